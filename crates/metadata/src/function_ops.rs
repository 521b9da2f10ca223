//! Edits of tracked functions beyond tracking: `set_function_customization` (custom name and
//! root fields) and function permissions (`create_function_permission`,
//! `drop_function_permission`).

use serde_json::{json, Map, Value};

use crate::document::DEFAULT_SOURCE;
use crate::error::MetadataError;
use crate::table::{FunctionEntry, QualifiedName};
use crate::Metadata;

/// The tracked function `args.function` of `args.source`, or Hasura's not-exists error.
fn tracked<'a>(md: &'a mut Metadata, args: &Value) -> Result<&'a mut FunctionEntry, MetadataError> {
    let source_name = args
        .get("source")
        .and_then(Value::as_str)
        .unwrap_or(DEFAULT_SOURCE)
        .to_string();
    let name: QualifiedName = args
        .get("function")
        .cloned()
        .ok_or_else(|| MetadataError::Parse("key \"function\" not found".into()))
        .and_then(|v| serde_json::from_value(v).map_err(|e| MetadataError::Parse(e.to_string())))?;
    let source = md.source_mut(&source_name)?;
    source
        .functions
        .iter_mut()
        .find(|f| f.function == name)
        .ok_or_else(|| {
            MetadataError::NotExists(format!(
                "function \"{name}\" does not exist in source: {source_name}"
            ))
        })
}

/// Refuses `custom_root_fields` naming one field twice (Hasura checks this when parsing).
pub fn check_custom_root_fields(configuration: Option<&Value>) -> Result<(), MetadataError> {
    let Some(Value::Object(roots)) = configuration.and_then(|c| c.get("custom_root_fields")) else {
        return Ok(());
    };
    let names: Vec<&str> = roots.values().filter_map(Value::as_str).collect();
    for (i, a) in names.iter().enumerate() {
        if names[i + 1..].contains(a) {
            return Err(MetadataError::Parse(format!(
                "the following custom root field names are duplicated: \"{a}\" and \"{a}\""
            )));
        }
    }
    Ok(())
}

/// `set_function_customization`: replaces `custom_name` and `custom_root_fields`, keeping the
/// rest of the configuration (session argument, `exposed_as`).
pub fn set_function_customization(md: &mut Metadata, args: Value) -> Result<(), MetadataError> {
    let given = args.get("configuration").cloned().unwrap_or(json!({}));
    check_custom_root_fields(Some(&given))?;
    let entry = tracked(md, &args)?;
    let mut config = match entry.configuration.take() {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    for key in ["custom_name", "custom_root_fields"] {
        config.remove(key);
        if let Some(v) = given.get(key).filter(|v| !v.is_null()) {
            config.insert(key.to_string(), v.clone());
        }
    }
    entry.configuration = (!config.is_empty()).then_some(Value::Object(config));
    Ok(())
}

/// `create_function_permission {function, role}`.
pub fn create_function_permission(md: &mut Metadata, args: Value) -> Result<(), MetadataError> {
    let role = role_of(&args)?;
    let entry = tracked(md, &args)?;
    if entry.permissions.iter().any(|p| p["role"] == role.as_str()) {
        return Err(MetadataError::AlreadyExists(format!(
            "permission of role \"{role}\" already exists for function \"{}\"",
            entry.function
        )));
    }
    entry.permissions.push(json!({"role": role}));
    Ok(())
}

/// `drop_function_permission {function, role}`.
pub fn drop_function_permission(md: &mut Metadata, args: Value) -> Result<(), MetadataError> {
    let role = role_of(&args)?;
    let entry = tracked(md, &args)?;
    let before = entry.permissions.len();
    entry.permissions.retain(|p| p["role"] != role.as_str());
    if entry.permissions.len() == before {
        return Err(MetadataError::NotExists(format!(
            "permission of role \"{role}\" does not exist for function \"{}\"",
            entry.function
        )));
    }
    Ok(())
}

fn role_of(args: &Value) -> Result<String, MetadataError> {
    args.get("role")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| MetadataError::Parse("key \"role\" not found".into()))
}
