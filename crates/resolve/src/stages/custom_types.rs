//! The relationships of actions' output types (`custom_types.objects[].relationships`),
//! checked as Hasura checks them: the remote table tracked, each mapped field a non-list field
//! of the object, each mapped column a column of the table. A relationship that fails is left
//! out of what is served and reported (refusing the edit that made it, with Hasura's words).

use std::collections::HashMap;

use rasura_metadata::QualifiedName;
use serde_json::Value;

use crate::inconsistency::{Inconsistency, ObjectRef};
use crate::types::ResolvedTable;

/// `custom_types` with every relationship that does not fit left out; what was wrong reported.
pub(super) fn check(
    custom_types: &Value,
    tables: &[ResolvedTable],
    report: &mut Vec<Inconsistency>,
) -> Value {
    let mut served = custom_types.clone();
    let Some(objects) = served.get_mut("objects").and_then(Value::as_array_mut) else {
        return served;
    };
    let by_name: HashMap<&QualifiedName, &ResolvedTable> =
        tables.iter().map(|t| (&t.name, t)).collect();
    let mut problems = vec![];
    for o in objects.iter_mut() {
        let object = o
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let fields: HashMap<String, String> = (o.get("fields").and_then(Value::as_array))
            .into_iter()
            .flatten()
            .filter_map(|f| {
                Some((
                    f.get("name")?.as_str()?.to_string(),
                    f.get("type")?.as_str()?.to_string(),
                ))
            })
            .collect();
        let Some(rels) = o.get_mut("relationships").and_then(Value::as_array_mut) else {
            continue;
        };
        rels.retain(
            |r| match relationship_problem(r, &object, &fields, &by_name) {
                None => true,
                Some(p) => {
                    problems.push(p);
                    false
                }
            },
        );
    }
    if !problems.is_empty() {
        let reason = match problems.as_slice() {
            [one] => format!("validation for the given custom types failed because {one}"),
            many => format!(
                "validation for the given custom types failed for the following reasons:\n{}",
                many.iter()
                    .map(|p| format!("  • {p}\n"))
                    .collect::<String>()
            ),
        };
        let mut i = Inconsistency::new(
            "custom_types",
            "custom_types".into(),
            custom_types.clone(),
            reason,
            ObjectRef::Section("custom_types".into()),
        );
        i.code = Some("constraint-violation");
        report.push(i);
    }
    served
}

/// What is wrong with one relationship of object type `object`, in Hasura's words.
fn relationship_problem(
    r: &Value,
    object: &str,
    fields: &HashMap<String, String>,
    tables: &HashMap<&QualifiedName, &ResolvedTable>,
) -> Option<String> {
    let name = r.get("name").and_then(Value::as_str).unwrap_or_default();
    let remote = r.get("remote_table").cloned().unwrap_or_default();
    let table_name = serde_json::from_value::<QualifiedName>(remote).ok();
    let shown = table_name
        .as_ref()
        .map_or_else(String::new, |t| t.to_string());
    let Some(table) = table_name.as_ref().and_then(|t| tables.get(t)) else {
        return Some(format!(
            "the remote table \"{shown}\" for relationship \"{name}\" of object type \"{object}\" does not exist"
        ));
    };
    let mapping = r.get("field_mapping").and_then(Value::as_object);
    for (field, column) in mapping.into_iter().flatten() {
        match fields.get(field) {
            None => {
                return Some(format!(
                    "the field \"{field}\" for relationship \"{name}\" in object type \"{object}\" does not exist"
                ))
            }
            Some(ty) if ty.trim_end_matches('!').starts_with('[') => {
                return Some(format!(
                    "the type of the field \"{field}\" for relationship \"{name}\" in object type \"{object}\" is a list type"
                ))
            }
            Some(_) => {}
        }
        let column = column.as_str().unwrap_or_default();
        if !table.info.columns.iter().any(|c| c.name == column) {
            return Some(format!(
                "the column \"{column}\" of remote table \"{shown}\" for relationship \"{name}\" of object type \"{object}\" does not exist"
            ));
        }
    }
    None
}
