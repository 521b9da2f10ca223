//! Forwards a remote root field: POSTs the re-printed operation with the variables it uses to
//! the remote, with Hasura's header precedence, and takes its part of the answer. A remote that
//! is down, slow past its timeout or answers garbage costs only its own part: that part is
//! `null` and an error says why.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;

use rasura_ir::{RemoteCall, TypenameTree};
use rasura_resolve::ResolvedRemoteSchema;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{json, Map, Value};

/// What a remote root field needs to run.
pub struct RemotePlan {
    pub remote: ResolvedRemoteSchema,
    pub call: RemoteCall,
    pub session: BTreeMap<String, String>,
    pub client_headers: Vec<(String, String)>,
}

/// One remote root field's part of the response.
pub struct RemoteAnswer {
    /// The JSON text of the field's value.
    pub data: String,
    /// GraphQL errors for the response's `errors`.
    pub errors: Vec<Value>,
}

pub(crate) fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(reqwest::Client::new)
}

pub(crate) fn user_agent() -> String {
    format!("hasura-graphql-engine/{}", rasura_metadata::COMPAT_VERSION)
}

fn set(map: &mut HeaderMap, name: &str, value: &str) {
    if let (Ok(n), Ok(v)) = (
        HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        map.insert(n, v);
    }
}

/// Headers in Hasura's precedence, lowest first: forwarded client headers, the session
/// variables, the configured headers; `Content-Type` and `User-Agent` always win.
pub fn headers(plan: &RemotePlan) -> HeaderMap {
    let mut map = HeaderMap::new();
    if plan.remote.forward_client_headers {
        for (k, v) in &plan.client_headers {
            let lower = k.to_ascii_lowercase();
            if !crate::http_util::NOT_FORWARDED.contains(&lower.as_str())
                && !lower.starts_with("x-hasura-")
            {
                set(&mut map, k, v);
            }
        }
    }
    for (k, v) in &plan.session {
        set(&mut map, k, v);
    }
    for (k, v) in &plan.remote.headers {
        set(&mut map, k, v);
    }
    set(&mut map, "content-type", "application/json");
    set(&mut map, "user-agent", &user_agent());
    map
}

fn failed(key: &str, message: String) -> RemoteAnswer {
    RemoteAnswer {
        data: "null".into(),
        errors: vec![
            json!({"message": message, "extensions": {"code": "remote-schema-error", "path": format!("$.selectionSet.{key}")}}),
        ],
    }
}

/// Runs the remote root field answered under `key`.
pub async fn run(plan: &RemotePlan, key: &str, vars: &Map<String, Value>) -> RemoteAnswer {
    let r = &plan.remote;
    let variables: Map<String, Value> = plan
        .call
        .variables
        .iter()
        .filter_map(|n| vars.get(n).map(|v| (n.clone(), v.clone())))
        .collect();
    let body = json!({"query": plan.call.query, "variables": variables});
    let sent = client()
        .post(&r.url)
        .timeout(Duration::from_secs(r.timeout_secs.max(1)))
        .headers(headers(plan))
        .body(body.to_string())
        .send()
        .await;
    let resp = match sent {
        Ok(resp) => resp,
        Err(e) if e.is_timeout() => {
            return failed(
                key,
                format!(
                    "remote schema \"{}\" did not answer within {} s",
                    r.name, r.timeout_secs
                ),
            )
        }
        Err(e) => {
            return failed(
                key,
                format!(
                    "HTTP exception occurred while calling remote schema \"{}\": {e}",
                    r.name
                ),
            )
        }
    };
    let status = resp.status();
    let text = match resp.text().await {
        Ok(t) => t,
        Err(e) => {
            return failed(
                key,
                format!(
                    "cannot read the answer of remote schema \"{}\": {e}",
                    r.name
                ),
            )
        }
    };
    let Ok(Value::Object(mut answer)) = serde_json::from_str::<Value>(&text) else {
        return failed(
            key,
            format!(
                "Received invalid JSON value from remote schema \"{}\" (HTTP status {status})",
                r.name
            ),
        );
    };
    if !answer.contains_key("data") && !answer.contains_key("errors") {
        return failed(
            key,
            format!(
                "remote schema \"{}\" answered neither data nor errors (HTTP status {status})",
                r.name
            ),
        );
    }
    let mut errors: Vec<Value> = match answer.remove("errors") {
        Some(Value::Array(e)) => e,
        Some(Value::Null) | None => vec![],
        Some(other) => vec![other],
    };
    if plan.call.namespace {
        for e in &mut errors {
            if let Some(Value::Array(path)) = e.get_mut("path") {
                path.insert(0, json!(key));
            }
        }
    }
    let data = answer.remove("data").unwrap_or(Value::Null);
    let mut part = if plan.call.namespace {
        data
    } else {
        data.get(key).cloned().unwrap_or(Value::Null)
    };
    if let Some(tree) = &plan.call.typenames {
        let tree = if plan.call.namespace {
            Some(tree)
        } else {
            tree.children.get(key)
        };
        if let Some(tree) = tree {
            rename_typenames(&mut part, tree, r);
        }
        if !plan.call.namespace && tree_has_root_typename(&plan.call.typenames, key) {
            if let Value::String(s) = &mut part {
                *s = r.type_name(s);
            }
        }
    }
    RemoteAnswer {
        data: part.to_string(),
        errors,
    }
}

fn tree_has_root_typename(tree: &Option<TypenameTree>, key: &str) -> bool {
    tree.as_ref().is_some_and(|t| t.typenames.contains(key))
}

/// Renames the remote's type names in `__typename` answers to the customized ones.
fn rename_typenames(v: &mut Value, tree: &TypenameTree, r: &ResolvedRemoteSchema) {
    match v {
        Value::Array(items) => items.iter_mut().for_each(|i| rename_typenames(i, tree, r)),
        Value::Object(m) => {
            for k in &tree.typenames {
                if let Some(Value::String(s)) = m.get_mut(k) {
                    *s = r.type_name(s);
                }
            }
            for (k, child) in &tree.children {
                if let Some(x) = m.get_mut(k) {
                    rename_typenames(x, child, r);
                }
            }
        }
        _ => {}
    }
}
