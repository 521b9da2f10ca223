//! DDL through `run_sql` followed in the metadata, as Hasura follows it: a tracked table or a
//! column renamed in the database (found by the table's oid and the column's number) is renamed
//! in the metadata: the table entry, relationships on both sides, permissions (columns, presets,
//! and boolean expressions that reach the table through relationships or `_exists`), custom
//! column names and event trigger columns.

use std::collections::HashMap;

use rasura_catalog::Catalog;
use rasura_metadata::{Metadata, QualifiedName};
use rasura_resolve::ResolvedMetadata;
use serde_json::{Map, Value};

/// What a statement renamed among the tracked tables.
#[derive(Debug, Default, PartialEq)]
pub struct Renames {
    /// (old name, new name).
    pub tables: Vec<(QualifiedName, QualifiedName)>,
    /// (table, by its new name; old column, new column).
    pub columns: Vec<(QualifiedName, String, String)>,
}

impl Renames {
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.columns.is_empty()
    }
}

/// The renames of tracked tables and their columns between two reads of the catalog.
pub fn renames(md: &Metadata, before: &Catalog, after: &Catalog) -> Renames {
    let mut out = Renames::default();
    let Some(source) = md.served_source() else {
        return out;
    };
    for entry in &source.tables {
        let name = &entry.table;
        let Some(old) = before.table(&name.schema, &name.name) else {
            continue;
        };
        let (new_name, new) = match after.table(&name.schema, &name.name) {
            Some(t) if t.oid == old.oid => (name.clone(), t),
            _ => match after
                .tables
                .iter()
                .find(|t| old.oid != 0 && t.oid == old.oid)
            {
                Some(t) => {
                    let renamed = QualifiedName::new(&t.schema, &t.name);
                    out.tables.push((name.clone(), renamed.clone()));
                    (renamed, t)
                }
                None => continue,
            },
        };
        for c in &old.columns {
            if let Some(now) = new.columns.iter().find(|n| n.position == c.position) {
                if now.name != c.name {
                    out.columns
                        .push((new_name.clone(), c.name.clone(), now.name.clone()));
                }
            }
        }
    }
    out
}

/// `md` with `renames` applied; `resolved` is `md` resolved against the catalog before the
/// statement (for where each relationship leads).
pub fn apply(
    md: &Metadata,
    resolved: &ResolvedMetadata,
    renames: &Renames,
) -> Result<Metadata, String> {
    let table_new = |t: &QualifiedName| {
        renames
            .tables
            .iter()
            .find(|(old, _)| old == t)
            .map_or_else(|| t.clone(), |(_, new)| new.clone())
    };
    // (table, relationship) → target, all by their new names.
    let mut targets: HashMap<(QualifiedName, String), QualifiedName> = HashMap::new();
    for t in &resolved.tables {
        for r in t.object_relationships.iter().chain(&t.array_relationships) {
            targets.insert((table_new(&t.name), r.name.clone()), table_new(&r.target));
        }
    }
    let mut doc = serde_json::to_value(md).map_err(|e| e.to_string())?;
    let Some(tables) = default_tables(&mut doc) else {
        return Ok(md.clone());
    };
    for (old, new) in &renames.tables {
        for entry in tables.iter_mut() {
            rename_table_refs(entry, old, new);
        }
    }
    for (table, old, new) in &renames.columns {
        for entry in tables.iter_mut() {
            let this = entry.get("table").and_then(name_of);
            let Some(this) = this else { continue };
            if &this == table {
                rename_own_column(entry, old, new);
            }
            rename_remote_column(entry, table, old, new);
            for kind in ["select", "insert", "update", "delete"] {
                let Some(perms) = entry
                    .get_mut(format!("{kind}_permissions"))
                    .and_then(Value::as_array_mut)
                else {
                    continue;
                };
                for p in perms {
                    for key in ["filter", "check"] {
                        if let Some(exp) = p.pointer_mut(&format!("/permission/{key}")) {
                            walk_bool_exp(exp, &this, &targets, table, old, new);
                        }
                    }
                }
            }
        }
    }
    Metadata::from_json(doc).map_err(|e| e.to_string())
}

fn default_tables(doc: &mut Value) -> Option<&mut Vec<Value>> {
    doc.get_mut("sources")?
        .as_array_mut()?
        .iter_mut()
        .find(|s| s.get("name").and_then(Value::as_str) == Some("default"))?
        .get_mut("tables")?
        .as_array_mut()
}

fn name_of(v: &Value) -> Option<QualifiedName> {
    serde_json::from_value(v.clone()).ok()
}

fn name_value(n: &QualifiedName) -> Value {
    serde_json::json!({"schema": n.schema, "name": n.name})
}

/// Every `table`, `remote_table` and `_table` naming `old` now names `new`.
fn rename_table_refs(v: &mut Value, old: &QualifiedName, new: &QualifiedName) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if matches!(k.as_str(), "table" | "remote_table" | "_table")
                    && name_of(x).as_ref() == Some(old)
                {
                    *x = name_value(new);
                } else {
                    rename_table_refs(x, old, new);
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|x| rename_table_refs(x, old, new)),
        _ => {}
    }
}

fn rename_in_list(v: Option<&mut Value>, old: &str, new: &str) {
    if let Some(Value::Array(items)) = v {
        for x in items {
            if x.as_str() == Some(old) {
                *x = Value::String(new.to_string());
            }
        }
    }
}

fn rename_key(m: Option<&mut Value>, old: &str, new: &str) {
    if let Some(Value::Object(m)) = m {
        if let Some(x) = m.remove(old) {
            m.insert(new.to_string(), x);
        }
    }
}

/// The renamed column in its own table's entry: permission columns and presets, relationships
/// from this table, custom column names, event trigger columns.
fn rename_own_column(entry: &mut Value, old: &str, new: &str) {
    for kind in ["select", "insert", "update", "delete"] {
        if let Some(perms) = entry
            .get_mut(format!("{kind}_permissions"))
            .and_then(Value::as_array_mut)
        {
            for p in perms {
                rename_in_list(p.pointer_mut("/permission/columns"), old, new);
                rename_key(p.pointer_mut("/permission/set"), old, new);
            }
        }
    }
    for kind in ["object_relationships", "array_relationships"] {
        if let Some(rels) = entry.get_mut(kind).and_then(Value::as_array_mut) {
            for r in rels {
                match r.pointer_mut("/using/foreign_key_constraint_on") {
                    Some(Value::String(c)) if c == old => *c = new.to_string(),
                    Some(list @ Value::Array(_)) => rename_in_list(Some(list), old, new),
                    _ => {}
                }
                rename_key(
                    r.pointer_mut("/using/manual_configuration/column_mapping"),
                    old,
                    new,
                );
            }
        }
    }
    rename_key(
        entry.pointer_mut("/configuration/custom_column_names"),
        old,
        new,
    );
    rename_key(entry.pointer_mut("/configuration/column_config"), old, new);
    if let Some(triggers) = entry
        .get_mut("event_triggers")
        .and_then(Value::as_array_mut)
    {
        for t in triggers {
            for op in ["insert", "update", "delete"] {
                rename_in_list(
                    t.pointer_mut(&format!("/definition/{op}/columns")),
                    old,
                    new,
                );
                rename_in_list(
                    t.pointer_mut(&format!("/definition/{op}/payload")),
                    old,
                    new,
                );
            }
        }
    }
}

/// Relationships of any table that point at the renamed column of `table`.
fn rename_remote_column(entry: &mut Value, table: &QualifiedName, old: &str, new: &str) {
    for kind in ["object_relationships", "array_relationships"] {
        let Some(rels) = entry.get_mut(kind).and_then(Value::as_array_mut) else {
            continue;
        };
        for r in rels {
            if let Some(Value::Object(fk)) = r.pointer_mut("/using/foreign_key_constraint_on") {
                if fk.get("table").and_then(name_of).as_ref() == Some(table) {
                    for key in ["column", "columns"] {
                        match fk.get_mut(key) {
                            Some(Value::String(c)) if c == old => *c = new.to_string(),
                            Some(list @ Value::Array(_)) => rename_in_list(Some(list), old, new),
                            _ => {}
                        }
                    }
                }
            }
            let remote = r
                .pointer("/using/manual_configuration/remote_table")
                .and_then(name_of);
            if remote.as_ref() == Some(table) {
                if let Some(Value::Object(mapping)) =
                    r.pointer_mut("/using/manual_configuration/column_mapping")
                {
                    for v in mapping.values_mut() {
                        if v.as_str() == Some(old) {
                            *v = Value::String(new.to_string());
                        }
                    }
                }
            }
        }
    }
}

/// Renames `old` to `new` where a boolean expression rooted at `at` names a column of `table`
/// (directly, through relationships, or inside `_exists`).
fn walk_bool_exp(
    exp: &mut Value,
    at: &QualifiedName,
    targets: &HashMap<(QualifiedName, String), QualifiedName>,
    table: &QualifiedName,
    old: &str,
    new: &str,
) {
    match exp {
        Value::Array(items) => {
            for x in items {
                walk_bool_exp(x, at, targets, table, old, new);
            }
        }
        Value::Object(m) => {
            let keys: Vec<String> = m.keys().cloned().collect();
            let mut renamed = Map::new();
            for k in keys {
                let Some(mut v) = m.remove(&k) else { continue };
                let key = k.strip_prefix('$').map_or(k.as_str(), |s| s);
                let key_out = match key {
                    "_and" | "_or" | "and" | "or" | "_not" | "not" => {
                        walk_bool_exp(&mut v, at, targets, table, old, new);
                        k.clone()
                    }
                    "_exists" | "exists" => {
                        if let Some(t) = v.get("_table").and_then(name_of) {
                            if let Some(w) = v.get_mut("_where") {
                                walk_bool_exp(w, &t, targets, table, old, new);
                            }
                        }
                        k.clone()
                    }
                    _ => match targets.get(&(at.clone(), k.clone())) {
                        Some(target) => {
                            walk_bool_exp(&mut v, target, targets, table, old, new);
                            k.clone()
                        }
                        None if at == table && k == old => new.to_string(),
                        None => k.clone(),
                    },
                };
                renamed.insert(key_out, v);
            }
            *m = renamed;
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn boolean_expressions_follow_relationships_to_the_renamed_column() {
        let author = QualifiedName::new("public", "author");
        let article = QualifiedName::new("public", "article");
        let mut targets = HashMap::new();
        targets.insert((article.clone(), "author".to_string()), author.clone());
        let mut exp = json!({"_and": [{"author": {"id": {"_eq": "X-Hasura-User-Id"}}},
                                      {"id": {"_gt": 1}},
                                      {"_exists": {"_table": "author", "_where": {"id": {"_eq": 1}}}}]});
        walk_bool_exp(&mut exp, &article, &targets, &author, "id", "author_id");
        assert_eq!(
            exp,
            json!({"_and": [{"author": {"author_id": {"_eq": "X-Hasura-User-Id"}}},
                            {"id": {"_gt": 1}},
                            {"_exists": {"_table": "author", "_where": {"author_id": {"_eq": 1}}}}]})
        );
    }
}
