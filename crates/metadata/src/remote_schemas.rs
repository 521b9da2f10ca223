//! Remote schemas: kept in the document's top-level `remote_schemas` list (Hasura's shape,
//! `{name, definition, comment?, permissions?}`); one pure function per metadata operation.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::document::Metadata;
use crate::error::MetadataError;

fn parse<T: serde::de::DeserializeOwned>(args: Value) -> Result<T, MetadataError> {
    serde_json::from_value(args).map_err(|e| MetadataError::Parse(e.to_string()))
}

fn list(md: &mut Metadata) -> &mut Vec<Value> {
    let v = md
        .extra
        .entry("remote_schemas")
        .or_insert_with(|| json!([]));
    if !v.is_array() {
        *v = json!([]);
    }
    v.as_array_mut().expect("array")
}

fn position(list: &[Value], name: &str) -> Option<usize> {
    list.iter()
        .position(|r| r.get("name").and_then(Value::as_str) == Some(name))
}

fn not_exists(name: &str) -> MetadataError {
    MetadataError::NotExists(format!("remote schema with name \"{name}\" does not exist"))
}

/// The stored entries.
pub fn entries(md: &Metadata) -> Vec<Value> {
    md.extra
        .get("remote_schemas")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

#[derive(Deserialize)]
struct RemoteSchemaArgs {
    name: String,
    definition: Map<String, Value>,
    #[serde(default)]
    comment: Option<String>,
}

/// Checks a `definition` on its own: exactly one of `url` / `url_from_env`, a positive
/// timeout, headers with exactly one value source.
fn check_definition(d: &Map<String, Value>) -> Result<(), MetadataError> {
    match (d.get("url"), d.get("url_from_env")) {
        (Some(Value::String(url)), None) => crate::event_triggers::check_url(url)
            .map_err(|_| MetadataError::Parse(format!("invalid remote schema URL \"{url}\"")))?,
        (None, Some(Value::String(_))) => {}
        (Some(_), Some(_)) => {
            return Err(MetadataError::Parse(
                "both `url` and `url_from_env` can't be present".into(),
            ))
        }
        _ => {
            return Err(MetadataError::Parse(
                "both `url` and `url_from_env` can't be empty".into(),
            ))
        }
    }
    if let Some(t) = d.get("timeout_seconds") {
        if t.as_u64().is_none_or(|t| t == 0) {
            return Err(MetadataError::Parse(
                "timeout_seconds must be a positive integer".into(),
            ));
        }
    }
    for h in d
        .get("headers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let value = h.get("value").is_some();
        let env = h.get("value_from_env").is_some();
        if h.get("name").and_then(Value::as_str).is_none() || value == env {
            return Err(MetadataError::Parse(
                "each header needs a name and exactly one of value or value_from_env".into(),
            ));
        }
    }
    Ok(())
}

fn entry(args: RemoteSchemaArgs, permissions: Option<Value>) -> Value {
    let mut e = Map::new();
    e.insert("name".into(), json!(args.name));
    e.insert("definition".into(), Value::Object(args.definition));
    if let Some(c) = args.comment {
        e.insert("comment".into(), json!(c));
    }
    if let Some(p) = permissions {
        e.insert("permissions".into(), p);
    }
    Value::Object(e)
}

/// `add_remote_schema`.
pub fn add_remote_schema(md: &mut Metadata, args: Value) -> Result<(), MetadataError> {
    let args: RemoteSchemaArgs = parse(args)?;
    check_definition(&args.definition)?;
    let list = list(md);
    if position(list, &args.name).is_some() {
        return Err(MetadataError::AlreadyExists(format!(
            "remote schema with name \"{}\" already exists",
            args.name
        )));
    }
    list.push(entry(args, None));
    Ok(())
}

/// `update_remote_schema`: a new definition; permissions are kept.
pub fn update_remote_schema(md: &mut Metadata, args: Value) -> Result<(), MetadataError> {
    let args: RemoteSchemaArgs = parse(args)?;
    check_definition(&args.definition)?;
    let list = list(md);
    let i = position(list, &args.name).ok_or_else(|| not_exists(&args.name))?;
    let permissions = list[i].get("permissions").cloned();
    list[i] = entry(args, permissions);
    Ok(())
}

#[derive(Deserialize)]
struct NameArgs {
    name: String,
}

/// `remove_remote_schema`.
pub fn remove_remote_schema(md: &mut Metadata, args: Value) -> Result<(), MetadataError> {
    let args: NameArgs = parse(args)?;
    let list = list(md);
    let i = position(list, &args.name).ok_or_else(|| not_exists(&args.name))?;
    list.remove(i);
    Ok(())
}

/// Whether a remote schema of that name exists (for `reload_remote_schema`).
pub fn require(md: &Metadata, args: &Value) -> Result<String, MetadataError> {
    let args: NameArgs = parse(args.clone())?;
    if position(&entries(md), &args.name).is_none() {
        return Err(not_exists(&args.name));
    }
    Ok(args.name)
}

#[derive(Deserialize)]
struct PermissionArgs {
    remote_schema: String,
    role: String,
    #[serde(default)]
    definition: Option<Value>,
    #[serde(default)]
    comment: Option<String>,
}

/// `add_remote_schema_permissions {remote_schema, role, definition: {schema}}`.
pub fn add_permission(md: &mut Metadata, args: Value) -> Result<(), MetadataError> {
    let args: PermissionArgs = parse(args)?;
    let definition = args
        .definition
        .ok_or_else(|| MetadataError::Parse("key \"definition\" not found".into()))?;
    if definition.get("schema").and_then(Value::as_str).is_none() {
        return Err(MetadataError::Parse("key \"schema\" not found".into()));
    }
    if args.role == "admin" {
        return Err(MetadataError::ConstraintViolation(
            "cannot define permission for admin role".into(),
        ));
    }
    let list = list(md);
    let i = position(list, &args.remote_schema).ok_or_else(|| not_exists(&args.remote_schema))?;
    let perms = list[i]
        .as_object_mut()
        .expect("object")
        .entry("permissions")
        .or_insert_with(|| json!([]));
    let perms = perms
        .as_array_mut()
        .ok_or_else(|| MetadataError::Parse("permissions must be a list".into()))?;
    if perms
        .iter()
        .any(|p| p.get("role").and_then(Value::as_str) == Some(&args.role))
    {
        return Err(MetadataError::AlreadyExists(format!(
            "permissions for role: \"{}\" for remote schema:\"{}\" already exists",
            args.role, args.remote_schema
        )));
    }
    let mut p = json!({"role": args.role, "definition": definition});
    if let Some(c) = args.comment {
        p["comment"] = json!(c);
    }
    perms.push(p);
    Ok(())
}

/// `drop_remote_schema_permissions {remote_schema, role}`.
pub fn drop_permission(md: &mut Metadata, args: Value) -> Result<(), MetadataError> {
    let args: PermissionArgs = parse(args)?;
    let list = list(md);
    let i = position(list, &args.remote_schema).ok_or_else(|| not_exists(&args.remote_schema))?;
    let removed = list[i]
        .get_mut("permissions")
        .and_then(Value::as_array_mut)
        .map(|perms| {
            let before = perms.len();
            perms.retain(|p| p.get("role").and_then(Value::as_str) != Some(&args.role));
            before != perms.len()
        })
        .unwrap_or(false);
    if !removed {
        return Err(MetadataError::NotExists(format!(
            "permissions for role: \"{}\" for remote schema:\"{}\" does not exist",
            args.role, args.remote_schema
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_update_remove() {
        let mut md = Metadata::empty();
        let def = json!({"name": "hello", "definition": {"url": "http://127.0.0.1:8000/graphql", "timeout_seconds": 5}});
        add_remote_schema(&mut md, def.clone()).unwrap();
        assert_eq!(
            add_remote_schema(&mut md, def).unwrap_err().code(),
            "already-exists"
        );
        for bad in [
            json!({"name": "x", "definition": {}}),
            json!({"name": "x", "definition": {"url": "http://a", "url_from_env": "B"}}),
            json!({"name": "x", "definition": {"url": "nope"}}),
            json!({"name": "x", "definition": {"url": "http://a", "timeout_seconds": 0}}),
        ] {
            assert_eq!(
                add_remote_schema(&mut md, bad).unwrap_err().code(),
                "parse-failed"
            );
        }
        add_permission(
            &mut md,
            json!({"remote_schema": "hello", "role": "user", "definition": {"schema": "type Query { hello: String }"}}),
        )
        .unwrap();
        update_remote_schema(
            &mut md,
            json!({"name": "hello", "definition": {"url": "http://127.0.0.1:9/graphql"}}),
        )
        .unwrap();
        let e = &entries(&md)[0];
        assert_eq!(e["definition"]["url"], "http://127.0.0.1:9/graphql");
        assert_eq!(e["permissions"][0]["role"], "user");
        drop_permission(&mut md, json!({"remote_schema": "hello", "role": "user"})).unwrap();
        remove_remote_schema(&mut md, json!({"name": "hello"})).unwrap();
        assert_eq!(
            remove_remote_schema(&mut md, json!({"name": "hello"}))
                .unwrap_err()
                .code(),
            "not-exists"
        );
    }
}
