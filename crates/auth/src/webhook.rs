//! Auth webhook mode: the request's headers (GET) or headers and GraphQL request (POST) go to
//! the configured hook; a 200 JSON object of `X-Hasura-*` values is the session, a 401 denies.

use std::collections::BTreeMap;
use std::time::Duration;

use http::HeaderMap;
use rasura_ir::Session;
use serde_json::{json, Map, Value};

use crate::error::AuthError;

/// `--auth-hook` and `--auth-hook-mode`.
#[derive(Debug, Clone)]
pub struct AuthHook {
    pub url: String,
    pub post: bool,
    client: reqwest::Client,
    /// Answers the hook allowed to be cached (`Cache-Control: max-age`, `Expires`), by request.
    cache: std::sync::Arc<
        std::sync::Mutex<std::collections::HashMap<u64, (Session, std::time::Instant)>>,
    >,
}

/// A session from the hook, with the cookies it asked to set on the client.
pub struct HookAnswer {
    pub session: Session,
    pub set_cookies: Vec<String>,
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
            cache: Default::default(),
        })
    }
}

fn unexpected() -> AuthError {
    AuthError {
        code: "unexpected",
        message: "Invalid response from authorization hook".into(),
    }
}

/// The cache key of a request: what the hook would be sent.
fn cache_key(hook: &AuthHook, headers: &HeaderMap, request: &Value) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let mut pairs: Vec<(&str, &[u8])> = headers
        .iter()
        .filter(|(k, _)| hook.post || !crate::http::NOT_FORWARDED.contains(&k.as_str()))
        .map(|(k, v)| (k.as_str(), v.as_bytes()))
        .collect();
    pairs.sort();
    pairs.hash(&mut h);
    if hook.post {
        request.to_string().hash(&mut h);
    }
    h.finish()
}

/// Asks the hook who is making `request` (or reuses a cached answer).
pub async fn session(
    hook: &AuthHook,
    headers: &HeaderMap,
    request: &Value,
) -> Result<HookAnswer, AuthError> {
    let key = cache_key(hook, headers, request);
    if let Some((s, until)) = hook.cache.lock().expect("hook cache").get(&key) {
        if *until > std::time::Instant::now() {
            return Ok(HookAnswer {
                session: s.clone(),
                set_cookies: vec![],
            });
        }
    }
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
            if !crate::http::NOT_FORWARDED.contains(&k.as_str()) {
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
    let set_cookies: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    let keep = crate::http::cache_lifetime(response.headers());
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
    let session = Session {
        role,
        vars,
        backend_only: false,
    };
    if let Some(d) = keep.filter(|d| !d.is_zero()) {
        let mut cache = hook.cache.lock().expect("hook cache");
        if cache.len() > 10_000 {
            cache.clear();
        }
        cache.insert(key, (session.clone(), std::time::Instant::now() + d));
    }
    Ok(HookAnswer {
        session,
        set_cookies,
    })
}
