//! Forwards a remote root field: POSTs the re-printed operation with the variables it uses to
//! the remote, with Hasura's header precedence, and takes its part of the answer. A remote that
//! is down, slow past its timeout or answers garbage costs only its own part: that part is
//! `null` and an error says why.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;
use tracing::Instrument;

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
    headers_for(&plan.remote, &plan.session, &plan.client_headers)
}

/// As [`headers`], from the parts.
pub fn headers_for(
    remote: &ResolvedRemoteSchema,
    session: &BTreeMap<String, String>,
    client_headers: &[(String, String)],
) -> HeaderMap {
    let mut map = HeaderMap::new();
    if remote.forward_client_headers {
        for (k, v) in client_headers {
            if rasura_auth::http::forwardable(k) {
                set(&mut map, k, v);
            }
        }
    }
    for (k, v) in session {
        set(&mut map, k, v);
    }
    for (k, v) in &remote.headers {
        set(&mut map, k, v);
    }
    set(&mut map, "content-type", "application/json");
    set(&mut map, "user-agent", &rasura_metadata::user_agent());
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

/// POSTs `query` with `variables` to the remote; its answer object (with `data` and/or
/// `errors`), or why there is none.
pub async fn call(
    r: &ResolvedRemoteSchema,
    headers: HeaderMap,
    query: &str,
    variables: Map<String, Value>,
) -> Result<Map<String, Value>, String> {
    let body = json!({"query": query, "variables": variables});
    let span = rasura_traces::call_span("remote schema", &r.url);
    let mut req = client()
        .post(&r.url)
        .timeout(Duration::from_secs(r.timeout_secs.max(1)))
        .headers(headers);
    for (k, v) in rasura_traces::headers_for(&span) {
        req = req.header(k, v);
    }
    let sent = req.body(body.to_string()).send().instrument(span).await;
    let resp = match sent {
        Ok(resp) => resp,
        Err(e) if e.is_timeout() => {
            return Err(format!(
                "remote schema \"{}\" did not answer within {} s",
                r.name, r.timeout_secs
            ))
        }
        Err(e) => {
            return Err(format!(
                "HTTP exception occurred while calling remote schema \"{}\": {e}",
                r.name
            ))
        }
    };
    let status = resp.status();
    let text = resp.text().await.map_err(|e| {
        format!(
            "cannot read the answer of remote schema \"{}\": {e}",
            r.name
        )
    })?;
    let Ok(Value::Object(answer)) = serde_json::from_str::<Value>(&text) else {
        return Err(format!(
            "Received invalid JSON value from remote schema \"{}\" (HTTP status {status})",
            r.name
        ));
    };
    if !answer.contains_key("data") && !answer.contains_key("errors") {
        return Err(format!(
            "remote schema \"{}\" answered neither data nor errors (HTTP status {status})",
            r.name
        ));
    }
    Ok(answer)
}

/// The variables of the request that `names` lists.
pub fn pick(vars: &Map<String, Value>, names: &[String]) -> Map<String, Value> {
    names
        .iter()
        .filter_map(|n| vars.get(n).map(|v| (n.clone(), v.clone())))
        .collect()
}

/// Runs the remote root field answered under `key`.
pub async fn run(plan: &RemotePlan, key: &str, vars: &Map<String, Value>) -> RemoteAnswer {
    let r = &plan.remote;
    let variables = pick(vars, &plan.call.variables);
    let mut answer = match call(r, headers(plan), &plan.call.query, variables).await {
        Ok(a) => a,
        Err(e) => return failed(key, e),
    };
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
pub(crate) fn rename_typenames(v: &mut Value, tree: &TypenameTree, r: &ResolvedRemoteSchema) {
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
