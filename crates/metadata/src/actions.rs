//! Actions and custom types: kept in the document's top-level `actions` and `custom_types`
//! sections (as Hasura exports them); one pure function per metadata operation.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::document::Metadata;
use crate::error::MetadataError;

fn parse<T: serde::de::DeserializeOwned>(args: Value) -> Result<T, MetadataError> {
    serde_json::from_value(args).map_err(|e| MetadataError::Parse(e.to_string()))
}

fn actions(md: &mut Metadata) -> &mut Vec<Value> {
    let v = md.extra.entry("actions").or_insert_with(|| json!([]));
    if !v.is_array() {
        *v = json!([]);
    }
    v.as_array_mut().expect("array")
}

fn find<'a>(list: &'a mut [Value], name: &str) -> Option<&'a mut Value> {
    list.iter_mut()
        .find(|a| a.get("name").and_then(Value::as_str) == Some(name))
}

/// `set_custom_types`: replaces every custom type.
pub fn set_custom_types(md: &mut Metadata, args: Value) -> Result<(), MetadataError> {
    let Value::Object(mut m) = args else {
        return Err(MetadataError::Parse(
            "expected an object of custom types".into(),
        ));
    };
    m.remove("source");
    for key in ["input_objects", "objects", "scalars", "enums"] {
        match m.get(key) {
            None | Some(Value::Array(_)) => {}
            Some(_) => return Err(MetadataError::Parse(format!("\"{key}\" must be a list"))),
        }
    }
    md.extra.insert("custom_types".into(), Value::Object(m));
    Ok(())
}

#[derive(Deserialize)]
struct ActionArgs {
    name: String,
    definition: Value,
    #[serde(default)]
    comment: Option<String>,
}

/// `create_action`.
pub fn create_action(md: &mut Metadata, args: Value) -> Result<(), MetadataError> {
    let a: ActionArgs = parse(args)?;
    let list = actions(md);
    if find(list, &a.name).is_some() {
        return Err(MetadataError::AlreadyExists(format!(
            "action with name \"{}\" already exists",
            a.name
        )));
    }
    let mut entry = Map::new();
    entry.insert("name".into(), json!(a.name));
    entry.insert("definition".into(), a.definition);
    if let Some(c) = a.comment {
        entry.insert("comment".into(), json!(c));
    }
    list.push(Value::Object(entry));
    Ok(())
}

/// `update_action`: replaces the definition, keeping the permissions.
pub fn update_action(md: &mut Metadata, args: Value) -> Result<(), MetadataError> {
    let a: ActionArgs = parse(args)?;
    let entry = find(actions(md), &a.name).ok_or_else(|| {
        MetadataError::NotExists(format!("action with name \"{}\" does not exist", a.name))
    })?;
    entry["definition"] = a.definition;
    Ok(())
}

#[derive(Deserialize)]
struct NameArgs {
    name: String,
}

/// `drop_action`.
pub fn drop_action(md: &mut Metadata, args: Value) -> Result<(), MetadataError> {
    let a: NameArgs = parse(args)?;
    let list = actions(md);
    let before = list.len();
    list.retain(|x| x.get("name").and_then(Value::as_str) != Some(a.name.as_str()));
    if list.len() == before {
        return Err(MetadataError::NotExists(format!(
            "action with name \"{}\" does not exist",
            a.name
        )));
    }
    Ok(())
}

#[derive(Deserialize)]
struct PermissionArgs {
    #[serde(alias = "name")]
    action: String,
    role: String,
    #[serde(default)]
    comment: Option<String>,
}

/// `create_action_permission`.
pub fn create_action_permission(md: &mut Metadata, args: Value) -> Result<(), MetadataError> {
    let a: PermissionArgs = parse(args)?;
    let entry = find(actions(md), &a.action).ok_or_else(|| {
        MetadataError::NotExists(format!("action with name \"{}\" does not exist", a.action))
    })?;
    let perms = entry
        .as_object_mut()
        .expect("object")
        .entry("permissions")
        .or_insert_with(|| json!([]));
    let list = perms
        .as_array_mut()
        .ok_or_else(|| MetadataError::Parse("permissions must be a list".into()))?;
    if list
        .iter()
        .any(|p| p.get("role").and_then(Value::as_str) == Some(a.role.as_str()))
    {
        return Err(MetadataError::AlreadyExists(format!(
            "permission for role \"{}\" is already defined on action \"{}\"",
            a.role, a.action
        )));
    }
    let mut p = json!({"role": a.role});
    if let Some(c) = a.comment {
        p["comment"] = json!(c);
    }
    list.push(p);
    Ok(())
}

/// `drop_action_permission`.
pub fn drop_action_permission(md: &mut Metadata, args: Value) -> Result<(), MetadataError> {
    let a: PermissionArgs = parse(args)?;
    let entry = find(actions(md), &a.action).ok_or_else(|| {
        MetadataError::NotExists(format!("action with name \"{}\" does not exist", a.action))
    })?;
    let Some(Value::Array(list)) = entry.get_mut("permissions") else {
        return Err(MetadataError::NotExists(format!(
            "permission for role \"{}\" does not exist",
            a.role
        )));
    };
    let before = list.len();
    list.retain(|p| p.get("role").and_then(Value::as_str) != Some(a.role.as_str()));
    if list.len() == before {
        return Err(MetadataError::NotExists(format!(
            "permission for role \"{}\" does not exist",
            a.role
        )));
    }
    Ok(())
}
