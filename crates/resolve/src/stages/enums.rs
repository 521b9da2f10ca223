//! Stage 1b: enum tables (`is_enum`): each checked as Hasura checks it (a one-column text
//! primary key, at most one text comment column, at least one row, every value a GraphQL enum
//! value name), and the columns of every table that reference one.

use std::collections::HashMap;

use rasura_catalog::{Catalog, Column, EnumRows, Table};
use rasura_metadata::QualifiedName;

use crate::inconsistency::{Inconsistency, ObjectRef};
use crate::types::ResolvedTable;

/// Checks the enum tables (an invalid one is reported and left out, as Hasura leaves it out),
/// then records in every table which of its columns reference a valid one.
pub(super) fn resolve_enum_tables(
    source: &str,
    catalog: &Catalog,
    tables: &mut Vec<ResolvedTable>,
    report: &mut Vec<Inconsistency>,
) {
    let mut invalid = vec![];
    for t in tables.iter_mut().filter(|t| t.is_enum) {
        let key = (t.name.schema.clone(), t.name.name.clone());
        match check_enum_table(&t.name, &t.info, catalog.enum_rows.get(&key)) {
            Ok(values) => t.enum_values = Some(values),
            Err(reason) => {
                report.push(enum_inconsistency(source, &t.name, reason));
                invalid.push(t.name.clone());
            }
        }
    }
    tables.retain(|t| !invalid.contains(&t.name));

    // (schema, name) → primary key column, of the valid enum tables.
    let enum_pks: HashMap<(String, String), String> = tables
        .iter()
        .filter(|t| t.enum_values.is_some())
        .filter_map(|t| {
            let pk = t.info.primary_key.as_ref()?.columns.first()?.clone();
            Some(((t.name.schema.clone(), t.name.name.clone()), pk))
        })
        .collect();
    let mut broken = vec![];
    for t in tables.iter_mut() {
        let mut refs: HashMap<String, Vec<QualifiedName>> = HashMap::new();
        for fk in &t.info.foreign_keys {
            let target = (fk.ref_table.schema.clone(), fk.ref_table.name.clone());
            let (Some(pk), [column]) = (enum_pks.get(&target), fk.columns.as_slice()) else {
                continue;
            };
            if fk.ref_columns.as_slice() != [pk.clone()] {
                continue;
            }
            let name = QualifiedName {
                schema: target.0,
                name: target.1,
            };
            let list = refs.entry(column.clone()).or_default();
            if !list.contains(&name) {
                list.push(name);
            }
        }
        for (column, mut targets) in refs {
            if targets.len() > 1 {
                targets.sort_by_key(|n| n.to_string());
                let names: Vec<String> = targets.iter().map(|n| format!("\"{n}\"")).collect();
                let reason = format!(
                    "column \"{column}\" in table \"{}\" references multiple enum tables ({})",
                    t.name,
                    names.join(", ")
                );
                broken.push((t.name.clone(), reason));
            } else {
                t.enum_columns.insert(column, targets.remove(0));
            }
        }
    }
    for (name, reason) in broken {
        tables.retain(|t| t.name != name);
        report.push(enum_inconsistency(source, &name, reason));
    }
}

fn enum_inconsistency(source: &str, name: &QualifiedName, reason: String) -> Inconsistency {
    let mut i = Inconsistency::new(
        "table",
        format!("table {name} in source {source}"),
        serde_json::to_value(name).unwrap_or_default(),
        reason,
        ObjectRef::Table(name.clone()),
    );
    i.code = Some("constraint-violation");
    i
}

/// The values of an enum table, or why it cannot be one (Hasura's words).
fn check_enum_table(
    name: &QualifiedName,
    table: &Table,
    rows: Option<&Result<EnumRows, String>>,
) -> Result<EnumRows, String> {
    let mut problems = vec![];
    let pk: Option<&Column> = match table.primary_key.as_ref().map(|p| p.columns.as_slice()) {
        None | Some([]) => {
            problems.push("the table must have a primary key".to_string());
            None
        }
        Some([column]) => {
            let c = table.column(column);
            match c {
                Some(c) if is_text(c) => Some(c),
                Some(c) => {
                    problems.push(type_mismatch("primary key", c));
                    None
                }
                None => {
                    problems.push("the table must have a primary key".to_string());
                    None
                }
            }
        }
        Some(columns) => {
            let mut cols = columns.to_vec();
            cols.sort();
            problems.push(format!(
                "the table’s primary key must not span multiple columns ({})",
                cols.join(", ")
            ));
            None
        }
    };
    let others: Vec<&Column> = table
        .columns
        .iter()
        .filter(|c| pk.is_none_or(|pk| pk.name != c.name))
        .collect();
    match others.as_slice() {
        [] => {}
        [c] if is_text(c) => {}
        [c] => problems.push(type_mismatch("comment column", c)),
        many => {
            let mut names: Vec<&str> = many.iter().map(|c| c.name.as_str()).collect();
            names.sort_unstable();
            problems.push(format!(
                "the table must have exactly one primary key and optionally one comment column, not {} columns ({})",
                many.len(),
                names.join(", ")
            ));
        }
    }
    let mut values = None;
    if pk.is_some() {
        match rows {
            None => problems.push("postgres error: the table's rows were not read".to_string()),
            Some(Err(e)) => problems.push(format!("postgres error: {e}")),
            Some(Ok(rows)) => {
                if rows.is_empty() {
                    problems.push("the table must have at least one row".to_string());
                }
                let bad: Vec<&str> = rows
                    .iter()
                    .map(|(v, _)| v.as_str())
                    .filter(|v| !is_enum_value_name(v))
                    .collect();
                if let Some(message) = invalid_names(&bad) {
                    problems.push(message);
                }
                values = Some(rows.clone());
            }
        }
    }
    match (problems.as_slice(), values) {
        ([], Some(values)) => Ok(values),
        ([one], _) => Err(format!(
            "the table \"{name}\" cannot be used as an enum because {one}"
        )),
        (many, _) => {
            let mut out = format!(
                "the table \"{name}\" cannot be used as an enum for the following reasons:\n"
            );
            for p in many {
                out.push_str("  • ");
                out.push_str(p);
                out.push('\n');
            }
            Err(out)
        }
    }
}

fn is_text(c: &Column) -> bool {
    c.type_name == "text" && !c.is_array()
}

fn type_mismatch(what: &str, c: &Column) -> String {
    format!(
        "the table’s {what} (\"{}\") must have type \"text\", not type \"{}\"",
        c.name,
        type_text(c)
    )
}

/// A column type as Hasura names it in messages (`integer`, `varchar`, `text[]`, ...).
fn type_text(c: &Column) -> String {
    let base = |t: &str| -> String {
        match t {
            "int2" => "smallint",
            "int4" => "integer",
            "int8" => "bigint",
            "float4" => "real",
            "bool" => "boolean",
            other => other,
        }
        .to_string()
    };
    if c.is_array() {
        format!("{}[]", base(c.elem_type.as_deref().unwrap_or("text")))
    } else {
        base(&c.type_name)
    }
}

/// A GraphQL enum value name: a GraphQL name other than `true`, `false` and `null`.
fn is_enum_value_name(v: &str) -> bool {
    let mut chars = v.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic());
    first_ok
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
        && !matches!(v, "true" | "false" | "null")
}

/// `the value "x" is not ...` / `the values "a" and "b" are not ...` /
/// `the values a, b, and "c" are not ...` (Hasura's wording, values sorted).
fn invalid_names(bad: &[&str]) -> Option<String> {
    let mut bad = bad.to_vec();
    bad.sort_unstable();
    let plural = " are not valid GraphQL enum value names";
    Some(match bad.as_slice() {
        [] => return None,
        [one] => format!("the value \"{one}\" is not a valid GraphQL enum value name"),
        [a, b] => format!("the values \"{a}\" and \"{b}\"{plural}"),
        [rest @ .., last] => format!("the values {}, and \"{last}\"{plural}", rest.join(", ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_value_names_are_listed_as_hasura_lists_them() {
        assert_eq!(invalid_names(&[]), None);
        assert_eq!(
            invalid_names(&["a+b"]).unwrap(),
            "the value \"a+b\" is not a valid GraphQL enum value name"
        );
        assert_eq!(
            invalid_names(&["z z", "1a"]).unwrap(),
            "the values \"1a\" and \"z z\" are not valid GraphQL enum value names"
        );
        assert_eq!(
            invalid_names(&["c-", "a-", "b-"]).unwrap(),
            "the values a-, b-, and \"c-\" are not valid GraphQL enum value names"
        );
    }

    #[test]
    fn enum_value_names_follow_graphql() {
        for ok in ["red", "_x", "A1", "snake_case"] {
            assert!(is_enum_value_name(ok), "{ok}");
        }
        for bad in ["", "1a", "a-b", "true", "false", "null", "é"] {
            assert!(!is_enum_value_name(bad), "{bad}");
        }
    }
}
