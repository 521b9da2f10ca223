//! Relationships from a remote schema's types to tables: `create_`, `update_` and
//! `delete_remote_schema_remote_relationship`, stored as Hasura stores them
//! (`remote_schemas[].remote_relationships: [{type_name, relationships: [{name, definition}]}]`)
//! and checked by resolution (`resolve: stages/remote_db.rs`). Also what keeps them across
//! `update_remote_schema` and refuses `remove_remote_schema` while the schema has any.

use serde_json::{json, Value};

use crate::error::ApiError;
use crate::tx::{success, ControlTx};

fn text<'a>(args: &'a Value, key: &str) -> Result<&'a str, ApiError> {
    args.get(key).and_then(Value::as_str).ok_or_else(|| {
        ApiError::bad_request("parse-failed", format!("key \"{key}\" not found")).at("$.args")
    })
}

fn remote_entry<'a>(md: &'a mut rasura_metadata::Metadata, name: &str) -> Option<&'a mut Value> {
    md.extra
        .get_mut("remote_schemas")
        .and_then(Value::as_array_mut)?
        .iter_mut()
        .find(|e| e.get("name").and_then(Value::as_str) == Some(name))
}

/// The relationships of type `type_name` in a remote schema's entry (the block made if absent).
fn block<'a>(entry: &'a mut Value, type_name: &str) -> &'a mut Vec<Value> {
    let blocks = entry
        .as_object_mut()
        .expect("a remote schema entry is an object")
        .entry("remote_relationships")
        .or_insert_with(|| json!([]));
    if !blocks.is_array() {
        *blocks = json!([]);
    }
    let blocks = blocks.as_array_mut().expect("an array");
    let i = match blocks.iter().position(|b| b["type_name"] == type_name) {
        Some(i) => i,
        None => {
            blocks.push(json!({"relationships": [], "type_name": type_name}));
            blocks.len() - 1
        }
    };
    if !blocks[i]["relationships"].is_array() {
        blocks[i]["relationships"] = json!([]);
    }
    blocks[i]["relationships"].as_array_mut().expect("an array")
}

/// Runs `op` if it is one of these operations; `Ok(None)` otherwise.
pub(super) async fn run(
    ctx: &mut ControlTx<'_>,
    op: &str,
    args: &Value,
) -> Result<Option<Value>, ApiError> {
    let create = match op {
        "create_remote_schema_remote_relationship" => true,
        "update_remote_schema_remote_relationship" => false,
        "delete_remote_schema_remote_relationship" => return delete(ctx, args).map(Some),
        _ => return Ok(None),
    };
    let (rs, type_name, name) = (
        text(args, "remote_schema")?,
        text(args, "type_name")?,
        text(args, "name")?,
    );
    let definition = args.get("definition").cloned().unwrap_or_default();
    let targets = ["to_source", "to_remote_schema"]
        .iter()
        .filter(|k| definition.get(**k).is_some())
        .count();
    if targets != 1 {
        return Err(ApiError::bad_request(
            "parse-failed",
            "remote relationship definition (strict format) expects exactly one of: to_source, to_remote_schema",
        )
        .at("$.args.definition"));
    }
    let entry = remote_entry(&mut ctx.md, rs).ok_or_else(|| {
        ApiError::bad_request(
            "not-exists",
            format!("remote schema with name \"{rs}\" does not exist"),
        )
        .at("$.args")
    })?;
    let rels = block(entry, type_name);
    let existing = rels.iter().position(|r| r["name"] == name);
    if !create && existing.is_none() {
        return Err(ApiError::bad_request(
            "not-exists",
            format!("no relationship defined on remote schema \"{rs}\" with name \"{name}\""),
        )
        .at("$.args"));
    }
    let rel = json!({"definition": definition, "name": name});
    match existing {
        Some(i) => rels[i] = rel,
        None => rels.push(rel),
    }
    ctx.changed();
    ctx.check_consistency()
        .await
        .map_err(|e| e.under("$.args"))?;
    Ok(Some(success()))
}

/// Deleting one that is not there succeeds, as in Hasura.
fn delete(ctx: &mut ControlTx<'_>, args: &Value) -> Result<Value, ApiError> {
    let (rs, type_name, name) = (
        text(args, "remote_schema")?,
        text(args, "type_name")?,
        text(args, "name")?,
    );
    remove(&mut ctx.md, rs, type_name, name);
    ctx.changed();
    Ok(success())
}

/// Removes one relationship (its type's block stays, as in Hasura).
pub(crate) fn remove(md: &mut rasura_metadata::Metadata, rs: &str, type_name: &str, name: &str) {
    let Some(entry) = remote_entry(md, rs) else {
        return;
    };
    let blocks = entry
        .get_mut("remote_relationships")
        .and_then(Value::as_array_mut);
    for b in blocks.into_iter().flatten() {
        if b["type_name"] == type_name {
            if let Some(rels) = b["relationships"].as_array_mut() {
                rels.retain(|r| r["name"] != name);
            }
        }
    }
}

/// The relationships a remote schema's entry holds (kept across `update_remote_schema`).
pub(crate) fn relationships_of(md: &rasura_metadata::Metadata, rs: &str) -> Option<Value> {
    rasura_metadata::remote_schemas::entries(md)
        .into_iter()
        .find(|e| e["name"] == rs)?
        .get("remote_relationships")
        .cloned()
}

/// Puts back the relationships `update_remote_schema` would otherwise drop.
pub(crate) fn restore(md: &mut rasura_metadata::Metadata, rs: &str, rels: Option<Value>) {
    if let (Some(rels), Some(entry)) = (rels, remote_entry(md, rs)) {
        entry["remote_relationships"] = rels;
    }
}

/// `remove_remote_schema` is refused while the schema has relationships to tables.
pub(crate) fn refuse_removal(md: &rasura_metadata::Metadata, rs: &str) -> Result<(), ApiError> {
    let mut names = vec![];
    for b in relationships_of(md, rs)
        .as_ref()
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for r in b["relationships"].as_array().into_iter().flatten() {
            names.push(format!(
                "remote_relationship {} on type {} in remote schema {rs}",
                r["name"].as_str().unwrap_or_default(),
                b["type_name"].as_str().unwrap_or_default()
            ));
        }
    }
    if names.is_empty() {
        return Ok(());
    }
    Err(ApiError::bad_request(
        "dependency-error",
        format!(
            "cannot drop due to the following dependent objects: {}",
            names.join(", ")
        ),
    )
    .at("$.args"))
}
