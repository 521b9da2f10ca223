//! Relationship suggestions (`pg_suggest_relationships`): for each foreign key between
//! tracked tables, the object relationship it gives and the reciprocal one (object when the
//! key's columns are unique, else array), as Hasura suggests them to the console.

use rasura_metadata::QualifiedName;
use serde_json::{json, Value};

use crate::{ResolvedMetadata, ResolvedTable};

/// The suggestions for the tracked tables of `resolved` (those named in `wanted` and the ones
/// their keys point at, or all), in table order; under `omit_tracked`, without the
/// relationships already tracked.
pub fn relationships(
    resolved: &ResolvedMetadata,
    wanted: Option<&[QualifiedName]>,
    omit_tracked: bool,
) -> Vec<Value> {
    // By name, the first of a name as a scan would find it (a scan per key is quadratic).
    let mut by_name = std::collections::HashMap::new();
    for t in &resolved.tables {
        by_name
            .entry((t.name.schema.as_str(), t.name.name.as_str()))
            .or_insert(t);
    }
    let tracked = |schema: &str, name: &str| by_name.get(&(schema, name)).copied();
    let chosen = |schema: &str, name: &str| {
        wanted.is_none_or(|w| w.iter().any(|t| t.schema == schema && t.name == name))
    };
    let mut tables: Vec<&ResolvedTable> = resolved.tables.iter().collect();
    tables.sort_by(|a, b| (&a.name.schema, &a.name.name).cmp(&(&b.name.schema, &b.name.name)));
    let mut out = vec![];
    for t in tables {
        for fk in &t.info.foreign_keys {
            let (rs, rn) = (fk.ref_table.schema.as_str(), fk.ref_table.name.as_str());
            if tracked(rs, rn).is_none()
                || !(chosen(&t.name.schema, &t.name.name) || chosen(rs, rn))
            {
                continue;
            }
            let mapping: Vec<(String, String)> = fk
                .columns
                .iter()
                .cloned()
                .zip(fk.ref_columns.iter().cloned())
                .collect();
            // Each direction is left out under `omit_tracked` only when it is itself tracked.
            let has = |from: &ResolvedTable, to: (&str, &str), m: &[(String, String)]| {
                from.object_relationships
                    .iter()
                    .chain(&from.array_relationships)
                    .any(|r| {
                        r.target.schema == to.0
                            && r.target.name == to.1
                            && same_mapping(&r.mapping, m)
                    })
            };
            let reverse: Vec<(String, String)> = mapping
                .iter()
                .map(|(a, b)| (b.clone(), a.clone()))
                .collect();
            let forward_tracked = omit_tracked && has(t, (rs, rn), &mapping);
            let backward_tracked = omit_tracked
                && tracked(rs, rn)
                    .is_some_and(|target| has(target, (&t.name.schema, &t.name.name), &reverse));
            let here = json!({"schema": t.name.schema, "name": t.name.name});
            let there = json!({"schema": rs, "name": rn});
            // The key's columns are unique (a unique constraint, or the primary key itself).
            let unique = t
                .info
                .unique_constraints
                .iter()
                .chain(&t.info.primary_key)
                .any(|u| same_set(&u.columns, &fk.columns));
            if !forward_tracked {
                out.push(json!({
                    "type": "object",
                    "from": {"table": here, "columns": fk.columns, "constraint_name": fk.name},
                    "to": {"table": there, "columns": fk.ref_columns},
                }));
            }
            if backward_tracked {
                continue;
            }
            out.push(json!({
                "type": if unique { "object" } else { "array" },
                "from": {"table": there, "columns": fk.ref_columns},
                "to": {"table": here, "columns": fk.columns, "constraint_name": fk.name},
            }));
        }
    }
    out
}

fn same_set(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

fn same_mapping(a: &[(String, String)], b: &[(String, String)]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}
