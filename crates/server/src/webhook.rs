//! Auth webhook mode: the request's headers (GET) or headers and GraphQL request (POST) go to
//! the configured hook; a 200 JSON object of `X-Hasura-*` values is the session, a 401 denies.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::HeaderMap;
use rasura_ir::Session;
use serde_json::{json, Map, Value};

use crate::auth::AuthError;

/// `--auth-hook` and `--auth-hook-mode`.
#[derive(Debug, Clone)]
pub struct AuthHook {
    pub url: String,
    pub post: bool,
    client: reqwest::Client,
}

impl AuthHook {
    pub fn new(url: &str, mode: Option<&str>) -> Result<AuthHook, String> {
        let post = match mode.map(str::to_ascii_uppercase).as_deref() {
            None | Some("GET") => false,
            Some("POST") => true,
            Some(other) => {
                return Err(format!("auth hook mode must be GET or POST, not {other:?}"))
            }
        };
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(AuthHook {
            url: url.to_string(),
            post,
            client,
        })
    }
}

/// Headers a GET hook does not receive (hop-by-hop and content headers).
const NOT_FORWARDED: &[&str] = &[
    "content-length",
    "content-type",
    "content-md5",
    "user-agent",
    "host",
    "origin",
    "referer",
    "accept",
    "accept-encoding",
    "accept-language",
    "accept-datetime",
    "cache-control",
    "connection",
    "dnt",
];

fn unexpected() -> AuthError {
    AuthError {
        code: "unexpected",
        message: "Invalid response from authorization hook".into(),
    }
}

/// Asks the hook who is making `request`.
pub async fn session(
    hook: &AuthHook,
    headers: &HeaderMap,
    request: &Value,
) -> Result<Session, AuthError> {
    let response = if hook.post {
        let all: Map<String, Value> = headers
            .iter()
            .filter_map(|(k, v)| {
                v.to_str()
                    .ok()
                    .map(|v| (k.as_str().to_string(), Value::String(v.to_string())))
            })
            .collect();
        hook.client
            .post(&hook.url)
            .json(&json!({"headers": all, "request": request}))
            .send()
            .await
    } else {
        let mut req = hook.client.get(&hook.url);
        for (k, v) in headers {
            if !NOT_FORWARDED.contains(&k.as_str()) {
                req = req.header(k, v);
            }
        }
        req.send().await
    };
    let response = response.map_err(|e| {
        tracing::warn!("auth hook unreachable: {e}");
        unexpected()
    })?;
    match response.status().as_u16() {
        200 => {}
        401 => {
            return Err(AuthError {
                code: "access-denied",
                message: "Authentication hook unauthorized this request".into(),
            })
        }
        other => {
            tracing::warn!(
                status = other,
                "auth hook answered with an unexpected status"
            );
            return Err(unexpected());
        }
    }
    let body: Value = response.json().await.map_err(|_| unexpected())?;
    let Value::Object(map) = body else {
        return Err(unexpected());
    };
    let mut vars = BTreeMap::new();
    for (k, v) in map {
        let k = k.to_ascii_lowercase();
        if !k.starts_with("x-hasura-") {
            continue;
        }
        let v = match v {
            Value::String(s) => s,
            other => other.to_string(),
        };
        vars.insert(k, v);
    }
    let role = vars
        .get("x-hasura-role")
        .cloned()
        .ok_or_else(|| AuthError {
            code: "access-denied",
            message: "the authorization hook did not give x-hasura-role".into(),
        })?;
    Ok(Session {
        role,
        vars,
        backend_only: false,
    })
}
