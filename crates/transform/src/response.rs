//! Hasura's `response_transform` (versions 1 and 2) applied to a webhook's answer: its body
//! rebuilt by a Kriti template, removed (null), or encoded as `x-www-form-urlencoded` text.
//! Templates see `$body` (the answer parsed as JSON, null when it is not JSON), `$request`
//! (the request context of a call made with a request transform, otherwise null) and
//! `$response` (`{"status": <code>}`); `getSessionVariable` reads the caller's session.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use crate::kriti;
use crate::request::{form_body, query_pairs, Body, Request};

/// What a response transform does to the body.
enum BodyAction<'a> {
    Remove,
    Template(&'a str),
    Form(&'a Map<String, Value>),
}

/// The body action of `transform` (`None`: the body is left as it was parsed), or why the
/// transform is malformed.
fn body_action(transform: &Value) -> Result<Option<BodyAction<'_>>, String> {
    let Value::Object(t) = transform else {
        return Err("a response transform must be an object".into());
    };
    let version = match t.get("version") {
        None | Some(Value::Null) => 1,
        Some(v) => match v.as_u64() {
            Some(n @ (1 | 2)) => n,
            _ => return Err(format!("expected 1 or 2, encountered {v}")),
        },
    };
    let Some(body) = t.get("body").filter(|b| !b.is_null()) else {
        return Ok(None);
    };
    if version == 1 {
        return match body {
            Value::String(s) => Ok(Some(BodyAction::Template(s))),
            _ => Err("a version 1 response transform's body must be a template string".into()),
        };
    }
    let Value::Object(b) = body else {
        return Err("a version 2 response transform's body must be an object".into());
    };
    match b.get("action").and_then(Value::as_str) {
        Some("remove") => Ok(Some(BodyAction::Remove)),
        Some("transform") => match b.get("template") {
            Some(Value::String(s)) => Ok(Some(BodyAction::Template(s))),
            _ => Err("key \"template\" not found in the body transform".into()),
        },
        Some("x_www_form_urlencoded") => match b.get("form_template") {
            Some(Value::Object(form)) => Ok(Some(BodyAction::Form(form))),
            _ => Err("key \"form_template\" not found in the body transform".into()),
        },
        _ => Err("invalid transform action".into()),
    }
}

/// Checks `transform` without applying it: its shape, and that its templates parse.
pub fn check(transform: &Value) -> Result<(), String> {
    match body_action(transform)? {
        None | Some(BodyAction::Remove) => Ok(()),
        Some(BodyAction::Template(t)) => kriti::parse(t).map(drop),
        Some(BodyAction::Form(form)) => {
            for v in form.values() {
                if let Value::String(t) = v {
                    // A form value is text: checked as Kriti checks a quoted string.
                    kriti::parse(&format!("\"{t}\""))?;
                }
            }
            Ok(())
        }
    }
}

/// `$request` for a call made with a request transform: `sent` is the request as sent
/// (transformed), `webhook_url` the handler's URL before the transform. Hasura gives one
/// context, `{body, session_variables, base_url, query_params}`, under each of the keys
/// `method`, `url`, `body`, `query_params` and `request_headers`; `body` is the sent body
/// parsed as JSON (null otherwise) and `query_params` the sent URL's `[name, value]` pairs.
pub fn request_context(sent: &Request, webhook_url: &str, session: Option<&Value>) -> Value {
    let body = match &sent.body {
        Some(Body::Json(v)) => v.clone(),
        Some(Body::Text(t)) => serde_json::from_str(t).unwrap_or(Value::Null),
        None => Value::Null,
    };
    let query = sent.url.split_once('?').map_or("", |(_, q)| q);
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    let params: Vec<Value> = query_pairs(query)
        .into_iter()
        .map(|(k, v)| json!([k, v]))
        .collect();
    let ctx = json!({
        "body": body,
        "session_variables": session.cloned().unwrap_or(Value::Null),
        "base_url": webhook_url,
        "query_params": params,
    });
    ["method", "url", "body", "query_params", "request_headers"]
        .into_iter()
        .map(|k| (k.to_string(), ctx.clone()))
        .collect::<Map<_, _>>()
        .into()
}

/// The body a webhook's answer stands for after `transform`: `body` is the answer's text,
/// `status` its HTTP status, `request` the `$request` value ([`request_context`], or null),
/// `session` the caller's session variables (for `getSessionVariable`). The result replaces
/// the answer's body, whatever the status (a 4xx answer's error object included).
pub fn apply(
    transform: &Value,
    body: &str,
    status: u16,
    request: &Value,
    session: Option<&Value>,
) -> Result<Value, kriti::Error> {
    let parsed: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let action = body_action(transform)?;
    let mut vars = HashMap::from([
        ("body".to_string(), parsed),
        ("request".to_string(), request.clone()),
        ("response".to_string(), json!({ "status": status })),
    ]);
    if let Some(s) = session {
        vars.insert(kriti::SESSION.to_string(), s.clone());
    }
    match action {
        None => Ok(vars.remove("body").unwrap_or_default()),
        Some(BodyAction::Remove) => Ok(Value::Null),
        Some(BodyAction::Template(t)) => kriti::render(t, &vars),
        Some(BodyAction::Form(form)) => form_body(form, &vars).map(Value::String),
    }
}

/// A failed transform's error as Hasura reports it (its `TransformErrorBundle`):
/// `[{"error_code", "message"}]`.
pub fn error_bundle(e: &str) -> Value {
    json!([{ "error_code": kriti::error_code(e), "message": e }])
}
