//! Remote relationships of a table (to a remote schema's field), kept in the table entry's
//! `remote_relationships` list in Hasura's shape `{name, definition: {to_remote_schema:
//! {remote_schema, lhs_fields, remote_field}}}`; the older shape `{name, definition:
//! {remote_schema, hasura_fields, remote_field}}` is read too.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::document::{Metadata, DEFAULT_SOURCE};
use crate::error::MetadataError;
use crate::table::QualifiedName;

fn default_source() -> String {
    DEFAULT_SOURCE.to_string()
}

/// A remote relationship's target, whichever shape it was written in.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteTarget {
    pub remote_schema: String,
    pub lhs_fields: Vec<String>,
    /// `{field: {arguments, field?: {...}}}`.
    pub remote_field: Map<String, Value>,
}

/// Reads the `definition` of a stored relationship.
pub fn target(definition: &Value) -> Result<RemoteTarget, String> {
    let d = definition.get("to_remote_schema").unwrap_or(definition);
    let remote_schema = d
        .get("remote_schema")
        .and_then(Value::as_str)
        .ok_or("the remote relationship names no remote_schema")?
        .to_string();
    let lhs = d.get("lhs_fields").or_else(|| d.get("hasura_fields"));
    let lhs_fields = lhs
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .ok_or("the remote relationship has no lhs_fields")?;
    let remote_field = d
        .get("remote_field")
        .and_then(Value::as_object)
        .filter(|m| m.len() == 1)
        .cloned()
        .ok_or("remote_field must be an object with exactly one field")?;
    Ok(RemoteTarget {
        remote_schema,
        lhs_fields,
        remote_field,
    })
}

#[derive(Deserialize)]
struct RelationshipArgs {
    #[serde(default = "default_source")]
    source: String,
    table: QualifiedName,
    name: String,
    #[serde(default)]
    definition: Option<Value>,
    // The legacy flat form.
    #[serde(default)]
    remote_schema: Option<String>,
    #[serde(default)]
    hasura_fields: Option<Value>,
    #[serde(default)]
    remote_field: Option<Value>,
}

impl RelationshipArgs {
    fn definition(&self) -> Result<Value, MetadataError> {
        let d = match (&self.definition, &self.remote_schema) {
            (Some(d), _) => d.clone(),
            (None, Some(rs)) => {
                json!({"remote_schema": rs, "hasura_fields": self.hasura_fields, "remote_field": self.remote_field})
            }
            (None, None) => {
                return Err(MetadataError::Parse("key \"definition\" not found".into()))
            }
        };
        if d.get("to_source").is_none() {
            target(&d).map_err(MetadataError::Parse)?;
        }
        Ok(d)
    }
}

fn parse(args: Value) -> Result<RelationshipArgs, MetadataError> {
    serde_json::from_value(args).map_err(|e| MetadataError::Parse(e.to_string()))
}

fn find(list: &[Value], name: &str) -> Option<usize> {
    list.iter()
        .position(|r| r.get("name").and_then(Value::as_str) == Some(name))
}

/// `create_remote_relationship` (`update` replaces an existing one).
pub fn create(md: &mut Metadata, args: Value, update: bool) -> Result<(), MetadataError> {
    let args = parse(args)?;
    let definition = args.definition()?;
    let t = md.source_mut(&args.source)?.tracked_mut(&args.table)?;
    let existing = find(&t.remote_relationships, &args.name);
    let entry = json!({"name": args.name, "definition": definition});
    match (existing, update) {
        (Some(i), true) => t.remote_relationships[i] = entry,
        (None, true) => {
            return Err(MetadataError::NotExists(format!(
                "remote relationship \"{}\" does not exist",
                args.name
            )))
        }
        (Some(_), false) => {
            return Err(MetadataError::AlreadyExists(format!(
                "remote relationship with name \"{}\" already exists",
                args.name
            )))
        }
        (None, false) => {
            if t.field_names().any(|n| n == args.name) {
                return Err(MetadataError::AlreadyExists(format!(
                    "field with name \"{}\" already exists in table \"{}\"",
                    args.name, args.table
                )));
            }
            t.remote_relationships.push(entry)
        }
    }
    Ok(())
}

/// `delete_remote_relationship`.
pub fn delete(md: &mut Metadata, args: Value) -> Result<(), MetadataError> {
    let args = parse(args)?;
    let t = md.source_mut(&args.source)?.tracked_mut(&args.table)?;
    let i = find(&t.remote_relationships, &args.name).ok_or_else(|| {
        MetadataError::NotExists(format!(
            "remote relationship \"{}\" does not exist",
            args.name
        ))
    })?;
    t.remote_relationships.remove(i);
    Ok(())
}
