//! The variables of a call: query string, then body, then path parameters (the later
//! winning), text values converted by the variable's declared type.

use serde_json::{Map, Value};

use crate::endpoints::{Endpoint, RestError, VarDef};

/// Where a value came from: text (URL, query string, form) needs converting, JSON does not.
enum Given {
    Text(String),
    Json(Value),
}

fn is_graphql_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// The variables of a call of `endpoint`: `query` is the raw query string, `body` the raw
/// body (a JSON object's values are taken as they are; with `form`, its fields as text).
pub fn gather(
    endpoint: &Endpoint,
    path_params: Vec<(String, String)>,
    query: &str,
    body: &[u8],
    form: bool,
) -> Result<Map<String, Value>, RestError> {
    let mut given: Vec<(String, Given)> = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), Given::Text(v.into_owned())))
        .collect();
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => given.extend(m.into_iter().map(|(k, v)| (k, Given::Json(v)))),
        _ if form => given.extend(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), Given::Text(v.into_owned()))),
        ),
        _ => {}
    }
    given.extend(path_params.into_iter().map(|(k, v)| (k, Given::Text(v))));
    let mut out = Map::new();
    for (name, value) in given {
        if !is_graphql_name(&name) {
            continue;
        }
        let Some(def) = endpoint.vars.iter().find(|v| v.name == name) else {
            return Err(RestError::new(
                400,
                "bad-request",
                format!("Unexpected variable {name}"),
            ));
        };
        match value {
            Given::Json(v) => {
                out.insert(name, v);
            }
            Given::Text(t) => match from_text(def, &t)? {
                Some(v) => {
                    out.insert(name, v);
                }
                None => {
                    out.remove(&name);
                }
            },
        }
    }
    Ok(out)
}

/// A text value as the declared type takes it; `None` leaves a nullable variable out.
fn from_text(def: &VarDef, text: &str) -> Result<Option<Value>, RestError> {
    if def.list {
        return Err(RestError::new(
            400,
            "bad-request",
            format!(
                "List variables are not currently supported in URL or Query parameters. (Variable {}, with value {:?})",
                def.name, text
            ),
        ));
    }
    let boolean = matches!(def.named.as_str(), "Boolean" | "Bool");
    if text.is_empty() {
        if boolean {
            return Ok(Some(Value::Bool(true)));
        }
        if !def.non_null {
            return Ok(None);
        }
    }
    let numeric = matches!(
        def.named.as_str(),
        "Int" | "Float" | "Number" | "Double" | "float8" | "numeric"
    );
    Ok(Some(match serde_json::from_str::<Value>(text) {
        Ok(Value::Bool(b)) if boolean => Value::Bool(b),
        Ok(Value::Number(n)) if numeric => Value::Number(n),
        _ => Value::String(text.to_string()),
    }))
}
