//! Hasura's `request_transform` (versions 1 and 2) applied to a webhook request: method, URL
//! template (with `{{$base_url}}`), query parameters, headers added and removed, and the body
//! as a Kriti template, removed, or sent as `x-www-form-urlencoded`.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::kriti;

/// A webhook request, before or after its transform.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub url: String,
    pub method: String,
    pub headers: Vec<(String, String)>,
    /// `None`: no body.
    pub body: Option<Body>,
}

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Json(Value),
    /// Sent as it is (`x-www-form-urlencoded`).
    Text(String),
}

/// The variables templates see.
fn variables(req: &Request, session: Option<&Value>) -> HashMap<String, Value> {
    let mut vars = HashMap::new();
    let (base, query) = req.url.split_once('?').unwrap_or((req.url.as_str(), ""));
    vars.insert("base_url".into(), Value::String(base.to_string()));
    let params: Map<String, Value> = form_pairs(query)
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    vars.insert("query_params".into(), Value::Object(params));
    vars.insert(
        "body".into(),
        match &req.body {
            Some(Body::Json(v)) => v.clone(),
            Some(Body::Text(t)) => Value::String(t.clone()),
            None => Value::Null,
        },
    );
    vars.insert(
        "session_variables".into(),
        session.cloned().unwrap_or(Value::Null),
    );
    vars
}

fn form_pairs(query: &str) -> Vec<(String, String)> {
    query_pairs(query)
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect()
}

/// The decoded pairs of a query string; a name without `=` has no value.
pub(crate) fn query_pairs(query: &str) -> Vec<(String, Option<String>)> {
    let dec = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (dec(k), Some(dec(v))),
            None => (dec(p), None),
        })
        .collect()
}

/// An `x-www-form-urlencoded` body from a `form_template`: each value a text template.
pub(crate) fn form_body(
    form: &Map<String, Value>,
    vars: &HashMap<String, Value>,
) -> Result<String, String> {
    let mut pairs = vec![];
    for (k, v) in form {
        let v = match v {
            Value::String(t) => render_text(t, vars)?,
            other => other.to_string(),
        };
        pairs.push(format!("{}={}", encode(k), encode(&v)));
    }
    Ok(pairs.join("&"))
}

fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

use crate::kriti::render_text;

/// `req` with `transform` applied; `session` are the session variables templates may read.
pub fn apply(transform: &Value, req: Request, session: Option<&Value>) -> Result<Request, String> {
    let vars = variables(&req, session);
    let mut out = req.clone();
    if let Some(m) = transform.get("method").and_then(Value::as_str) {
        out.method = m.to_ascii_uppercase();
    }
    if let Some(u) = transform.get("url").and_then(Value::as_str) {
        out.url = render_text(u, &vars)?;
    }
    match transform.get("query_params") {
        Some(Value::Object(params)) => {
            let (base, _) = out.url.split_once('?').unwrap_or((out.url.as_str(), ""));
            let mut pairs = vec![];
            for (k, v) in params {
                let k = render_text(k, &vars)?;
                let v = match v {
                    Value::String(t) => render_text(t, &vars)?,
                    Value::Null => continue,
                    other => other.to_string(),
                };
                pairs.push(format!("{}={}", encode(&k), encode(&v)));
            }
            out.url = if pairs.is_empty() {
                base.to_string()
            } else {
                format!("{base}?{}", pairs.join("&"))
            };
        }
        Some(Value::String(t)) => {
            let (base, _) = out.url.split_once('?').unwrap_or((out.url.as_str(), ""));
            let q = render_text(t, &vars)?;
            out.url = if q.is_empty() {
                base.to_string()
            } else {
                format!("{base}?{q}")
            };
        }
        _ => {}
    }
    if let Some(h) = transform.get("request_headers") {
        let removed: Vec<String> = h
            .get("remove_headers")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_ascii_lowercase)
                    .collect()
            })
            .unwrap_or_default();
        out.headers
            .retain(|(k, _)| !removed.contains(&k.to_ascii_lowercase()));
        if let Some(Value::Object(add)) = h.get("add_headers") {
            for (k, v) in add {
                let v = match v {
                    Value::String(t) => render_text(t, &vars)?,
                    other => other.to_string(),
                };
                out.headers.retain(|(x, _)| !x.eq_ignore_ascii_case(k));
                out.headers.push((k.to_ascii_lowercase(), v));
            }
        }
    }
    let version = transform
        .get("version")
        .and_then(Value::as_u64)
        .unwrap_or(1);
    match transform.get("body") {
        // Version 1: the body is the template itself.
        Some(Value::String(t)) if version == 1 => {
            out.body = Some(Body::Json(kriti::render(t, &vars)?));
        }
        Some(Value::Object(b)) => match b.get("action").and_then(Value::as_str) {
            Some("remove") => out.body = None,
            Some("transform") => {
                let t = b.get("template").and_then(Value::as_str).unwrap_or("null");
                out.body = Some(Body::Json(kriti::render(t, &vars)?));
            }
            Some("x_www_form_urlencoded") => {
                let text = match b.get("form_template") {
                    Some(Value::Object(form)) => form_body(form, &vars)?,
                    _ => String::new(),
                };
                out.body = Some(Body::Text(text));
                out.headers
                    .retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
                out.headers.push((
                    "content-type".into(),
                    "application/x-www-form-urlencoded".into(),
                ));
            }
            other => return Err(format!("unknown body action {other:?}")),
        },
        _ => {}
    }
    Ok(out)
}
