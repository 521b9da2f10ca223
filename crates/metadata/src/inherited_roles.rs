//! `add_inherited_role` and `drop_inherited_role`: the `inherited_roles` section.

use serde_json::{json, Value};

use crate::error::MetadataError;
use crate::Metadata;

fn entries(md: &Metadata) -> Vec<Value> {
    md.extra
        .get("inherited_roles")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn store(md: &mut Metadata, list: Vec<Value>) {
    if list.is_empty() {
        md.extra.remove("inherited_roles");
    } else {
        md.extra
            .insert("inherited_roles".into(), Value::Array(list));
    }
}

fn name_of(e: &Value) -> Option<&str> {
    e.get("role_name").and_then(Value::as_str)
}

/// `{role_name, role_set}`: adds the role, or replaces its role set.
pub fn add(md: &mut Metadata, args: Value) -> Result<(), MetadataError> {
    let name = name_of(&args)
        .ok_or_else(|| MetadataError::Parse("key \"role_name\" not found".into()))?
        .to_string();
    let set: Vec<String> = args
        .get("role_set")
        .and_then(Value::as_array)
        .ok_or_else(|| MetadataError::Parse("key \"role_set\" not found".into()))?
        .iter()
        .map(|r| {
            r.as_str()
                .map(str::to_string)
                .ok_or_else(|| MetadataError::Parse("expected a role name (a string)".into()))
        })
        .collect::<Result<_, _>>()?;
    if set.is_empty() {
        return Err(MetadataError::Parse(
            "parsing NonEmpty failed, unexpected empty list".into(),
        ));
    }
    if set.contains(&name) {
        return Err(MetadataError::InvalidParams(
            "an inherited role name cannot be in the role combination".into(),
        ));
    }
    let entry = json!({"role_name": name, "role_set": set});
    let mut list = entries(md);
    match list.iter_mut().find(|e| name_of(e) == Some(name.as_str())) {
        Some(e) => *e = entry,
        None => list.push(entry),
    }
    store(md, list);
    Ok(())
}

/// `{role_name}`.
pub fn drop(md: &mut Metadata, args: Value) -> Result<(), MetadataError> {
    let name = name_of(&args)
        .ok_or_else(|| MetadataError::Parse("key \"role_name\" not found".into()))?
        .to_string();
    let mut list = entries(md);
    let before = list.len();
    list.retain(|e| name_of(e) != Some(name.as_str()));
    if list.len() == before {
        return Err(MetadataError::NotExists(format!(
            "\"{name}\" inherited role doesn't exist"
        )));
    }
    store(md, list);
    Ok(())
}
