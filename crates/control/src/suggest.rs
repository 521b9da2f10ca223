//! `pg_suggest_relationships`: for each foreign key between tracked tables, the object
//! relationship it gives and the reciprocal one (object when the key's columns are unique,
//! else array), as Hasura suggests them to the console.

use serde_json::{json, Value};

use crate::error::ApiError;
use crate::tx::ControlTx;

/// `{source?, tables?: [table], omit_tracked?: bool}` → `{relationships: [{type, from, to}]}`.
pub(super) async fn suggest_relationships(
    ctx: &mut ControlTx<'_>,
    args: Value,
) -> Result<Value, ApiError> {
    let wanted: Option<Vec<rasura_metadata::QualifiedName>> = match args.get("tables") {
        None | Some(Value::Null) => None,
        Some(t) => Some(serde_json::from_value(t.clone()).map_err(|e| {
            ApiError::bad_request("parse-failed", e.to_string()).at("$.args.tables")
        })?),
    };
    let omit_tracked = args.get("omit_tracked") == Some(&Value::Bool(true));
    let catalog = ctx.fresh_catalog().await?;
    let resolved = ctx.resolve_working(catalog.clone());
    let tracked = |schema: &str, name: &str| {
        resolved
            .tables
            .iter()
            .find(|t| t.name.schema == schema && t.name.name == name)
    };
    let chosen = |schema: &str, name: &str| {
        wanted
            .as_ref()
            .is_none_or(|w| w.iter().any(|t| t.schema == schema && t.name == name))
    };
    let mut tables: Vec<&rasura_resolve::ResolvedTable> = resolved.tables.iter().collect();
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
            let has =
                |from: &rasura_resolve::ResolvedTable, to: (&str, &str), m: &[(String, String)]| {
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
    Ok(json!({ "relationships": out }))
}

fn same_set(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

fn same_mapping(a: &[(String, String)], b: &[(String, String)]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}
