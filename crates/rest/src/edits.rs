//! `create_rest_endpoint` and `drop_rest_endpoint`.

use rasura_metadata::{Metadata, MetadataError};
use serde_json::{json, Value};

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "PATCH"];

/// The stored entries (`rest_endpoints`).
pub fn entries(md: &Metadata) -> Vec<Value> {
    md.extra
        .get("rest_endpoints")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn store(md: &mut Metadata, list: Vec<Value>) {
    if list.is_empty() {
        md.extra.remove("rest_endpoints");
    } else {
        md.extra.insert("rest_endpoints".into(), Value::Array(list));
    }
}

/// A refused edit and where in `args` (appended to `$.args`).
pub type EditError = (MetadataError, &'static str);

fn text<'a>(args: &'a Value, key: &str, at: &'static str) -> Result<&'a str, EditError> {
    match args.get(key) {
        Some(Value::String(s)) if s.is_empty() => {
            Err((MetadataError::Parse("empty string not allowed".into()), at))
        }
        Some(Value::String(s)) => Ok(s),
        _ => Err((MetadataError::Parse(format!("key \"{key}\" not found")), "")),
    }
}

/// Runs `op` if it is a REST endpoint edit; `None` otherwise.
pub fn apply(md: &mut Metadata, op: &str, args: &Value) -> Option<Result<(), EditError>> {
    match op {
        "create_rest_endpoint" => Some(create(md, args)),
        "drop_rest_endpoint" => Some(drop(md, args)),
        _ => None,
    }
}

/// `{name, url, methods, definition: {query: {collection_name, query_name}}, comment?}`.
fn create(md: &mut Metadata, args: &Value) -> Result<(), EditError> {
    let name = text(args, "name", ".name")?;
    let url = text(args, "url", ".url")?;
    let methods = args
        .get("methods")
        .and_then(Value::as_array)
        .ok_or((MetadataError::Parse("key \"methods\" not found".into()), ""))?;
    if methods.is_empty() {
        return Err((
            MetadataError::Parse("parsing NonEmpty failed, unexpected empty list".into()),
            ".methods",
        ));
    }
    for m in methods {
        if !m.as_str().is_some_and(|m| METHODS.contains(&m)) {
            return Err((
                MetadataError::Parse(format!(
                    "unknown method {m}, expected one of GET, POST, PUT, DELETE, PATCH"
                )),
                ".methods",
            ));
        }
    }
    let query = args.pointer("/definition/query");
    for key in ["collection_name", "query_name"] {
        if !query.and_then(|q| q.get(key)).is_some_and(Value::is_string) {
            return Err((
                MetadataError::Parse(format!("key \"{key}\" not found")),
                ".definition.query",
            ));
        }
    }
    let mut list = entries(md);
    if list
        .iter()
        .any(|e| e.get("name").and_then(Value::as_str) == Some(name))
    {
        return Err((
            MetadataError::AlreadyExists(format!("Endpoint with name: {name} already exists")),
            "",
        ));
    }
    list.push(json!({
        "name": name,
        "url": url,
        "methods": methods,
        "definition": {"query": query},
        "comment": args.get("comment").cloned().unwrap_or(Value::Null),
    }));
    store(md, list);
    Ok(())
}

/// `{name}`.
fn drop(md: &mut Metadata, args: &Value) -> Result<(), EditError> {
    let name = text(args, "name", ".name")?;
    let mut list = entries(md);
    let before = list.len();
    list.retain(|e| e.get("name").and_then(Value::as_str) != Some(name));
    if list.len() == before {
        return Err((
            MetadataError::NotExists(format!("endpoint with name: {name} does not exist")),
            "",
        ));
    }
    store(md, list);
    Ok(())
}
