//! Stage 8b: relationships from remote schemas' object types to tracked tables
//! (`remote_schemas[].remote_relationships`, `to_source`), checked as Hasura checks them: the
//! type exists and is an object type, the joined fields exist and take no arguments, the
//! source is the served one, the table is tracked and the columns exist. What does not fit is
//! reported with Hasura's reasons and left out.

use rasura_metadata::{Metadata, QualifiedName};
use serde_json::{json, Value};

use crate::inconsistency::{Inconsistency, ObjectRef};
use crate::types::{RemoteDbRelationship, ResolvedRemoteSchema, ResolvedTable};

/// One relationship checked, or why it does not fit.
fn check(
    remote: &ResolvedRemoteSchema,
    type_name: &str,
    name: &str,
    definition: &Value,
    sources: &[(&str, &[ResolvedTable])],
) -> Result<RemoteDbRelationship, String> {
    let Some(to) = definition.get("to_source") else {
        return Err(if definition.get("to_remote_schema").is_some() {
            "relationships from a remote schema to a remote schema are not supported by this engine yet".into()
        } else {
            "remote relationship definition (strict format) expects exactly one of: to_source, to_remote_schema".into()
        });
    };
    let types = remote.introspection["types"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let ty = types
        .iter()
        .find(|t| t["name"].as_str() == Some(type_name))
        .ok_or_else(|| {
            format!(
                "no type named \"{type_name}\" defined in remote schema \"{}\"",
                remote.name
            )
        })?;
    if ty["kind"] != "OBJECT" {
        return Err(
            "remote relationships on a remote schema can only be defined on object types".into(),
        );
    }
    let src = to.get("source").and_then(Value::as_str).unwrap_or_default();
    let Some(&(_, tables)) = sources.iter().find(|(name, _)| *name == src) else {
        return Err(format!("source not found: \"{src}\""));
    };
    let table: QualifiedName = to
        .get("table")
        .cloned()
        .and_then(|t| serde_json::from_value(t).ok())
        .ok_or("the relationship's table is not valid")?;
    let target = tables
        .iter()
        .find(|t| t.name == table && t.native.is_none())
        .ok_or_else(|| format!("table \"{table}\" does not exist in source: {src}"))?;
    let array = match to.get("relationship_type").and_then(Value::as_str) {
        Some("array") => true,
        Some("object") => false,
        _ => return Err("\"relationship_type\" must be \"object\" or \"array\"".into()),
    };
    let fields = ty["fields"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut mapping = vec![];
    for (field, column) in to
        .get("field_mapping")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let joinable = fields.iter().any(|f| {
            f["name"].as_str() == Some(field.as_str())
                && f["args"].as_array().is_none_or(Vec::is_empty)
        });
        if !joinable {
            return Err(format!("\"{field}\" does not exist"));
        }
        let column = column.as_str().unwrap_or_default();
        if target.info.column(column).is_none() {
            return Err(format!("\"{column}\" does not exist"));
        }
        mapping.push((field.clone(), column.to_string()));
    }
    if mapping.is_empty() {
        return Err("\"field_mapping\" must map at least one field".into());
    }
    Ok(RemoteDbRelationship {
        type_name: type_name.to_string(),
        name: name.to_string(),
        source: src.to_string(),
        table,
        array,
        mapping,
    })
}

/// The relationships of every resolved remote schema, into its `db_relationships`; their
/// tables are looked up in `sources` (each served source's name and tables).
pub(super) fn resolve(
    md: &Metadata,
    remotes: &mut [ResolvedRemoteSchema],
    sources: &[(&str, &[ResolvedTable])],
    report: &mut Vec<Inconsistency>,
) {
    for entry in rasura_metadata::remote_schemas::entries(md) {
        let rs = entry
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Some(remote) = remotes.iter_mut().find(|r| r.name == rs) else {
            continue;
        };
        let blocks = entry.get("remote_relationships").and_then(Value::as_array);
        for block in blocks.into_iter().flatten() {
            let type_name = block
                .get("type_name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let rels = block.get("relationships").and_then(Value::as_array);
            for rel in rels.into_iter().flatten() {
                let name = rel.get("name").and_then(Value::as_str).unwrap_or_default();
                let definition = rel.get("definition").cloned().unwrap_or_default();
                match check(remote, type_name, name, &definition, sources) {
                    Ok(r) => remote.db_relationships.push(r),
                    Err(reason) => report.push(Inconsistency::new(
                        "remote_schema_remote_relationship",
                        format!(
                            "remote_schema_remote_relationship remote_relationship {name} on type {type_name} in remote schema {rs}"
                        ),
                        json!({"definition": definition, "name": name, "remote_schema": rs, "type": type_name}),
                        format!("in remote relationship \"{name}\": {reason}"),
                        ObjectRef::RemoteSchemaRelationship(rs.into(), type_name.into(), name.into()),
                    )),
                }
            }
        }
    }
}
