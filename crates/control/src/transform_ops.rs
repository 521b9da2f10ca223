//! `test_webhook_transform`: a request transform applied to a sample request, answered with
//! the request that would be sent.

use serde_json::{json, Value};

use crate::error::ApiError;
use rasura_transform::request::{apply, Body, Request};

/// `{webhook_url, body?, request_transform, session_variables?}` →
/// `{webhook_url, method, headers: [[name, value]], body}`.
pub(super) fn test_webhook_transform(args: &Value) -> Result<Value, ApiError> {
    let url = match args.get("webhook_url") {
        Some(Value::String(u)) => u.clone(),
        Some(Value::Object(o)) => match o.get("from_env").and_then(Value::as_str) {
            Some(var) => std::env::var(var).map_err(|_| {
                ApiError::bad_request("not-found", format!("Environment variable '{var}' not set"))
                    .at("$.args.webhook_url")
            })?,
            None => return Err(missing("webhook_url")),
        },
        _ => return Err(missing("webhook_url")),
    };
    let transform = args
        .get("request_transform")
        .ok_or_else(|| missing("request_transform"))?;
    let req = Request {
        url,
        method: "POST".into(),
        headers: vec![],
        body: Some(Body::Json(args.get("body").cloned().unwrap_or(Value::Null))),
    };
    // A response transform is checked too (there is no response to apply it to).
    if let Some(t) = args.get("response_transform").and_then(template_of) {
        rasura_transform::kriti::parse(t).map_err(|e| refused("response", &e))?;
    }
    if let Some(t) = template_of(transform) {
        rasura_transform::kriti::parse(t).map_err(|e| refused("request", &e))?;
    }
    let out =
        apply(transform, req, args.get("session_variables")).map_err(|e| refused("request", &e))?;
    let mut headers = out.headers;
    headers.sort();
    let headers: Vec<Value> = headers.into_iter().map(|(k, v)| json!([k, v])).collect();
    Ok(json!({
        "webhook_url": out.url,
        "method": out.method,
        "headers": headers,
        "body": match out.body {
            Some(Body::Json(v)) => v,
            Some(Body::Text(t)) => Value::String(t),
            None => Value::String(String::new()),
        },
    }))
}

/// A transform's body template (version 2 `body.template`, version 1 `body`).
fn template_of(t: &Value) -> Option<&str> {
    match t.get("body") {
        Some(Value::String(s)) => Some(s),
        Some(b) => b.get("template").and_then(Value::as_str),
        None => None,
    }
}

/// Hasura's answer to a template that does not parse or evaluate.
fn refused(which: &str, e: &str) -> ApiError {
    ApiError::bad_request(
        "validation-failed",
        format!("{which} transform validation failed"),
    )
    .at("$.args")
    .with_internal(json!([{
        "error_code": rasura_transform::kriti::error_code(e),
        "message": e,
    }]))
}

fn missing(key: &str) -> ApiError {
    ApiError::bad_request("parse-failed", format!("key \"{key}\" not found")).at("$.args")
}
