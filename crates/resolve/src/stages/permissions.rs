//! Stage 4: permissions per role whose columns exist.

use rasura_metadata::{Columns, PermissionEntry, Source};
use serde::Serialize;

use super::in_table;
use crate::inconsistency::{Inconsistency, ObjectRef};
use crate::types::ResolvedTable;

pub(super) fn resolve_permissions(
    source: &Source,
    tables: &mut [ResolvedTable],
    report: &mut Vec<Inconsistency>,
) {
    for table in tables.iter_mut() {
        let Some(entry) = source.table(&table.name) else {
            continue;
        };
        let has_field = |c: &str| {
            table.info.column(c).is_some() || table.computed_fields.iter().any(|f| f.name == c)
        };
        let mut check =
            |kind: &str, role: &str, columns: Option<&Columns>, definition: serde_json::Value| {
                let missing = match columns {
                    Some(Columns::List(cols)) => cols.iter().find(|c| !has_field(c)).cloned(),
                    _ => None,
                };
                match missing {
                    None => true,
                    Some(c) => {
                        report.push(Inconsistency::new(
                            &format!("{kind}_permission"),
                            in_table(&format!("permission {role}"), kind, &table.name),
                            definition,
                            format!("no such column exists: \"{c}\""),
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
            if check(
                "select",
                &p.role,
                Some(&p.permission.columns),
                def(p, &table.name),
            ) {
                table
                    .select_permissions
                    .insert(p.role.clone(), p.permission.clone());
            }
        }
        for p in &entry.insert_permissions {
            if check(
                "insert",
                &p.role,
                Some(&p.permission.columns),
                def(p, &table.name),
            ) {
                table
                    .insert_permissions
                    .insert(p.role.clone(), p.permission.clone());
            }
        }
        for p in &entry.update_permissions {
            if check(
                "update",
                &p.role,
                Some(&p.permission.columns),
                def(p, &table.name),
            ) {
                table
                    .update_permissions
                    .insert(p.role.clone(), p.permission.clone());
            }
        }
        for p in &entry.delete_permissions {
            if check("delete", &p.role, None, def(p, &table.name)) {
                table
                    .delete_permissions
                    .insert(p.role.clone(), p.permission.clone());
            }
        }
    }
}
