//! Stage 4: permissions per role whose columns exist and whose row rules (filters and checks)
//! name only columns, relationships, computed fields and operators the engine compiles.

use rasura_metadata::{Columns, PermissionEntry, Source};
use serde::Serialize;

use super::bool_exp::Tables;
use crate::inconsistency::{in_table, Inconsistency, ObjectRef};
use crate::types::ResolvedTable;

pub(super) fn resolve_permissions(
    source: &Source,
    tables: &mut [ResolvedTable],
    report: &mut Vec<Inconsistency>,
) {
    // Row rules are checked against every table first (a rule may reach other tables).
    let mut broken: Vec<(usize, &'static str, String, String)> = vec![];
    let entries = super::entries::Entries::of(source);
    {
        let all = Tables::new(tables);
        for (i, table) in tables.iter().enumerate() {
            let Some(entry) = entries.get(&table.name) else {
                continue;
            };
            let mut rule = |kind: &'static str, role: &str, exp: Option<&serde_json::Value>| {
                if let Some(Err(e)) = exp.map(|e| all.check(table, e)) {
                    broken.push((i, kind, role.to_string(), e));
                }
            };
            for p in &entry.select_permissions {
                rule("select", &p.role, Some(&p.permission.filter));
            }
            for p in &entry.insert_permissions {
                rule("insert", &p.role, Some(&p.permission.check));
            }
            for p in &entry.update_permissions {
                rule("update", &p.role, Some(&p.permission.filter));
                rule("update", &p.role, p.permission.check.as_ref());
            }
            for p in &entry.delete_permissions {
                rule("delete", &p.role, Some(&p.permission.filter));
            }
        }
    }
    for (i, table) in tables.iter_mut().enumerate() {
        let Some(entry) = entries.get(&table.name) else {
            continue;
        };
        let has_field = |c: &str| {
            table.info.column(c).is_some() || table.computed_fields.iter().any(|f| f.name == c)
        };
        let mut check = |kind: &str,
                         role: &str,
                         columns: Option<&Columns>,
                         definition: &dyn Fn() -> serde_json::Value| {
            let missing = match columns {
                Some(Columns::List(cols)) => cols
                    .iter()
                    .find(|c| !has_field(c))
                    .map(|c| format!("no such column exists: \"{c}\"")),
                _ => None,
            };
            let why = missing.or_else(|| {
                broken
                    .iter()
                    .find(|(t, k, r, _)| *t == i && *k == kind && r == role)
                    .map(|(_, _, _, e)| format!("in the permission's row rule: {e}"))
            });
            match why {
                None => true,
                Some(why) => {
                    report.push(Inconsistency::new(
                        &format!("{kind}_permission"),
                        in_table(
                            &format!("permission {role}"),
                            kind,
                            &table.name,
                            &source.name,
                        ),
                        definition(),
                        why,
                        ObjectRef::Permission(
                            table.name.clone(),
                            kind.to_string(),
                            role.to_string(),
                        ),
                    ));
                    false
                }
            }
        };
        fn def<P: Serialize>(
            p: &PermissionEntry<P>,
            table: &rasura_metadata::QualifiedName,
        ) -> serde_json::Value {
            serde_json::json!({"role": p.role, "permission": p.permission, "table": table, "source": "default"})
        }
        for p in &entry.select_permissions {
            if check("select", &p.role, Some(&p.permission.columns), &|| {
                def(p, &table.name)
            }) {
                table
                    .select_permissions
                    .insert(p.role.clone(), p.permission.clone());
            }
        }
        for p in &entry.insert_permissions {
            if check("insert", &p.role, Some(&p.permission.columns), &|| {
                def(p, &table.name)
            }) {
                table
                    .insert_permissions
                    .insert(p.role.clone(), p.permission.clone());
            }
        }
        for p in &entry.update_permissions {
            if check("update", &p.role, Some(&p.permission.columns), &|| {
                def(p, &table.name)
            }) {
                table
                    .update_permissions
                    .insert(p.role.clone(), p.permission.clone());
            }
        }
        for p in &entry.delete_permissions {
            if check("delete", &p.role, None, &|| def(p, &table.name)) {
                table
                    .delete_permissions
                    .insert(p.role.clone(), p.permission.clone());
            }
        }
    }
}
