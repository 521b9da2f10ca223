//! Relationships from a table to a table of a database source (`remote_relationships` with
//! `definition.to_source: {source, table, relationship_type, field_mapping}`), checked
//! against both sources once every source is resolved: the source served, the table
//! tracked there, the columns of both sides there.

use rasura_metadata::QualifiedName;
use serde_json::Value;

use crate::inconsistency::{in_table, Inconsistency, ObjectRef};
use crate::types::{ResolvedMetadata, ResolvedSourceRel};

/// Whether a stored remote relationship is to a database source.
pub fn is_to_source(raw: &Value) -> bool {
    raw.pointer("/definition/to_source").is_some()
}

/// One relationship of `table` (in `here`) checked.
fn check(
    here: &ResolvedMetadata,
    first: &ResolvedMetadata,
    table: &QualifiedName,
    name: &str,
    to: &Value,
) -> Result<ResolvedSourceRel, String> {
    let source = to["source"].as_str().ok_or("to_source names no source")?;
    let target: QualifiedName = serde_json::from_value(to["table"].clone())
        .map_err(|_| "to_source names no table".to_string())?;
    let array = match to["relationship_type"].as_str() {
        Some("array") => true,
        Some("object") => false,
        _ => return Err("relationship_type must be \"object\" or \"array\"".into()),
    };
    let (_, theirs) = first
        .served_named(source)
        .ok_or_else(|| format!("source \"{source}\" is not served (see its inconsistency)"))?;
    let goal = theirs
        .table(&target)
        .ok_or_else(|| format!("table \"{target}\" is not tracked in source \"{source}\""))?;
    let mine = here
        .table(table)
        .ok_or_else(|| format!("table \"{table}\" is not tracked"))?;
    let Some(Value::Object(fields)) = to.get("field_mapping") else {
        return Err("to_source has no field_mapping".into());
    };
    let mut mapping = vec![];
    for (lhs, rhs) in fields {
        let rhs = rhs
            .as_str()
            .ok_or("field_mapping values must be column names")?;
        if !mine.info.columns.iter().any(|c| &c.name == lhs) {
            return Err(format!(
                "column \"{lhs}\" does not exist in table \"{table}\""
            ));
        }
        if !goal.info.columns.iter().any(|c| c.name == rhs) {
            return Err(format!(
                "column \"{rhs}\" does not exist in table \"{target}\" of source \"{source}\""
            ));
        }
        mapping.push((lhs.clone(), rhs.to_string()));
    }
    if mapping.is_empty() {
        return Err("field_mapping is empty".into());
    }
    Ok(ResolvedSourceRel {
        table: table.clone(),
        name: name.to_string(),
        source: source.to_string(),
        target,
        array,
        mapping,
    })
}

/// Resolves the `to_source` relationships of every served source of `md` into its
/// `source_relationships`; what does not fit goes to `first`'s inconsistencies.
pub(super) fn resolve(md: &rasura_metadata::Metadata, first: &mut ResolvedMetadata) {
    let mut found: Vec<(usize, ResolvedSourceRel)> = vec![];
    let mut report = vec![];
    {
        for (n, here) in first.served().enumerate() {
            let Some(conn) = &here.source else { continue };
            let Ok(source) = md.source(&conn.name) else {
                continue;
            };
            for entry in &source.tables {
                for raw in entry
                    .remote_relationships
                    .iter()
                    .filter(|r| is_to_source(r))
                {
                    let name = raw["name"].as_str().unwrap_or_default();
                    let to = &raw["definition"]["to_source"];
                    match check(here, first, &entry.table, name, to) {
                        Ok(rel) => found.push((n, rel)),
                        Err(reason) => {
                            let object = ObjectRef::RemoteRelationship(
                                entry.table.clone(),
                                name.to_string(),
                            );
                            report.push(Inconsistency::new(
                                "remote_relationship",
                                in_table("remote_relationship", name, &entry.table, &source.name),
                                raw.clone(),
                                reason,
                                match n {
                                    0 => object,
                                    _ => ObjectRef::InSource(source.name.clone(), Box::new(object)),
                                },
                            ));
                        }
                    }
                }
            }
        }
    }
    for (n, rel) in found {
        match n {
            0 => first.source_relationships.push(rel),
            n => first.sources[n - 1].source_relationships.push(rel),
        }
    }
    first.inconsistencies.extend(report);
}
