//! Checks a permission's boolean expression against the resolved tables: every column,
//! relationship, computed field, `_exists` table and operator in it must be one the engine
//! can compile, so that a rule it could not honour is reported when the metadata is set, not
//! when a query runs.

use std::collections::HashMap;

use rasura_metadata::QualifiedName;
use serde_json::Value;

use crate::types::ResolvedTable;

/// Comparison operators the engine compiles (`rasura_ir::CompareOp`, plus `_is_null` and
/// `_cast`); a test in `rasura-ir` keeps the two in step.
pub const COMPARISON_OPERATORS: &[&str] = &[
    "_eq",
    "_neq",
    "_gt",
    "_gte",
    "_lt",
    "_lte",
    "_in",
    "_nin",
    "_like",
    "_nlike",
    "_ilike",
    "_nilike",
    "_similar",
    "_nsimilar",
    "_regex",
    "_nregex",
    "_iregex",
    "_niregex",
    "_contains",
    "_contained_in",
    "_has_key",
    "_has_keys_any",
    "_has_keys_all",
    "_st_contains",
    "_st_crosses",
    "_st_equals",
    "_st_intersects",
    "_st_overlaps",
    "_st_touches",
    "_st_within",
    "_st_3d_intersects",
    "_st_d_within",
    "_st_3d_d_within",
    "_is_null",
    "_cast",
];

/// Operators comparing two columns.
pub const COLUMN_OPERATORS: &[&str] = &["_ceq", "_cne", "_cneq", "_cgt", "_cgte", "_clt", "_clte"];

/// Operators of Hasura's that the engine does not compile yet (PostGIS rasters, ltree, full
/// text).
fn not_supported_yet(op: &str) -> bool {
    op.starts_with("_st_")
        || matches!(
            op,
            "_ancestor"
                | "_ancestor_any"
                | "_descendant"
                | "_descendant_any"
                | "_matches"
                | "_matches_any"
                | "_matches_fulltext"
        )
}

/// The tables an expression may reach, by name.
pub(super) struct Tables<'a> {
    pub tables: &'a [ResolvedTable],
    pub index: HashMap<&'a QualifiedName, usize>,
}

impl<'a> Tables<'a> {
    pub fn new(tables: &'a [ResolvedTable]) -> Tables<'a> {
        let index = tables
            .iter()
            .enumerate()
            .map(|(i, t)| (&t.name, i))
            .collect();
        Tables { tables, index }
    }

    /// Checks `exp` as a boolean expression over the rows of `table`.
    pub fn check(&self, table: &ResolvedTable, exp: &Value) -> Result<(), String> {
        let Value::Object(m) = exp else {
            return match exp {
                Value::Null => Ok(()),
                _ => Err(format!("expected a boolean expression object, found {exp}")),
            };
        };
        for (key, value) in m {
            match normal(key).as_str() {
                "_and" | "_or" => match value {
                    Value::Array(items) => {
                        for i in items {
                            self.check(table, i)?;
                        }
                    }
                    other => self.check(table, other)?,
                },
                "_not" => self.check(table, value)?,
                "_exists" => {
                    let target = value
                        .get("_table")
                        .or_else(|| value.get("$table"))
                        .cloned()
                        .unwrap_or_default();
                    let target: QualifiedName = serde_json::from_value(target)
                        .map_err(|e| format!("_exists: invalid \"_table\": {e}"))?;
                    let Some(&t) = self.index.get(&target) else {
                        return Err(format!("_exists: table \"{target}\" is not tracked"));
                    };
                    let w = value.get("_where").or_else(|| value.get("$where"));
                    self.check(&self.tables[t], w.unwrap_or(&Value::Null))?;
                }
                name => self.field(table, name, value)?,
            }
        }
        Ok(())
    }

    fn field(&self, table: &ResolvedTable, name: &str, value: &Value) -> Result<(), String> {
        if table.info.column(name).is_some() {
            return comparison(name, table, value);
        }
        if let Some(r) = table.relationship(name) {
            let Some(&t) = self.index.get(&r.target) else {
                return Err(format!(
                    "relationship \"{name}\": table \"{}\" is not tracked",
                    r.target
                ));
            };
            return self.check(&self.tables[t], value);
        }
        if let Some(c) = table.computed_fields.iter().find(|c| c.name == name) {
            return match &c.returns_table {
                // A set-returning computed field: an expression over that table's rows.
                Some(target) => match self.index.get(target) {
                    Some(&t) => self.check(&self.tables[t], value),
                    None => Err(format!(
                        "computed field \"{name}\": table \"{target}\" is not tracked"
                    )),
                },
                None => comparison(name, table, value),
            };
        }
        if table.remote_relationships.iter().any(|r| r.name == name) {
            return Err(format!(
                "remote relationship \"{name}\" cannot be used in a permission"
            ));
        }
        Err(format!(
            "no column, relationship or computed field \"{name}\" in table \"{}\"",
            table.name
        ))
    }
}

/// `$eq` → `_eq`, `_ne` → `_neq`.
fn normal(key: &str) -> String {
    let k = key
        .strip_prefix('$')
        .map_or_else(|| key.to_string(), |k| format!("_{k}"));
    if k == "_ne" {
        "_neq".into()
    } else {
        k
    }
}

/// Checks the comparison object of column `column`; a non-object value means `_eq`.
fn comparison(column: &str, table: &ResolvedTable, value: &Value) -> Result<(), String> {
    let Value::Object(ops) = value else {
        return Ok(());
    };
    for (op, arg) in ops {
        let op = normal(op);
        if COLUMN_OPERATORS.contains(&op.as_str()) {
            let other = match arg {
                Value::String(c) => Some(c.as_str()),
                // `["$", column]`: a column of the root table, checked when queried.
                Value::Array(items) if items.len() == 2 && items[0] == "$" => None,
                _ => return Err(format!("{op} on \"{column}\": expected a column name")),
            };
            if let Some(c) = other {
                if table.info.column(c).is_none() {
                    return Err(format!(
                        "{op} on \"{column}\": no column \"{c}\" in table \"{}\"",
                        table.name
                    ));
                }
            }
            continue;
        }
        if op == "_cast" {
            if let Value::Object(casts) = arg {
                for (_, inner) in casts {
                    comparison(column, table, inner)?;
                }
            }
            continue;
        }
        if COMPARISON_OPERATORS.contains(&op.as_str()) {
            continue;
        }
        if not_supported_yet(&op) {
            return Err(format!(
                "the operator \"{op}\" (on \"{column}\") is not supported by this engine yet"
            ));
        }
        return Err(format!("unknown operator \"{op}\" on column \"{column}\""));
    }
    Ok(())
}
