//! A role's view of the tables: which are visible, which columns and relationships each
//! permission exposes, and the permission rules the IR builder applies.

use std::collections::HashMap;
use std::sync::Arc;

use rasura_metadata::{
    Columns, DeletePermission, InsertPermission, SelectPermission, UpdatePermission,
};
use rasura_resolve::ResolvedMetadata;

use crate::types::{TableField, TableInfo};

/// The permissions of one role on one table (absent for the admin role, which may do anything).
#[derive(Debug, Clone, Default)]
pub struct RolePerms {
    pub select: Option<SelectPermission>,
    pub insert: Option<InsertPermission>,
    pub update: Option<UpdatePermission>,
    pub delete: Option<DeletePermission>,
    /// Columns seen only on some rows (an inherited role's columns that only some parents
    /// allow): column → the condition, as a permission filter, under which the value shows.
    pub redactions: HashMap<String, serde_json::Value>,
}

/// Narrows every table to what `role` may see and do.
/// Mutation permissions marked `backend_only` count only when `backend` is set (a request with
/// the admin secret and `x-hasura-use-backend-only-permissions: true`).
pub(crate) fn apply_role(
    tables: &mut [TableInfo],
    resolved: &ResolvedMetadata,
    role: &str,
    backend: bool,
) {
    let admin = role == "admin";
    for t in tables.iter_mut() {
        let writable: Vec<String> = {
            let mut cols: Vec<&crate::ColumnInfo> =
                t.columns.values().filter(|c| c.writable).collect();
            cols.sort_by_key(|c| c.name.clone());
            cols.into_iter().map(|c| c.name.clone()).collect()
        };
        if admin {
            t.visible = true;
            t.allow_aggregations = true;
            t.insert_columns = writable.clone();
            t.update_columns = writable;
            continue;
        }
        let Some(r) = resolved.table(&t.name) else {
            continue;
        };
        let perms = RolePerms {
            select: r.select_permissions.get(role).cloned(),
            insert: r
                .insert_permissions
                .get(role)
                .filter(|p| backend || !p.backend_only)
                .cloned(),
            update: r
                .update_permissions
                .get(role)
                .filter(|p| backend || !p.backend_only)
                .cloned(),
            delete: r
                .delete_permissions
                .get(role)
                .filter(|p| backend || !p.backend_only)
                .cloned(),
            redactions: r.redactions.get(role).cloned().unwrap_or_default(),
        };
        t.visible = perms.select.is_some();
        t.allow_aggregations = perms.select.as_ref().is_some_and(|s| s.allow_aggregations);
        let select_cols = perms
            .select
            .as_ref()
            .map(|s| s.columns.clone())
            .unwrap_or_default();
        Arc::make_mut(&mut t.fields).retain(|_, f| match f {
            TableField::Column(c) => select_cols.allows(c),
            TableField::Computed(n) => perms
                .select
                .as_ref()
                .is_some_and(|s| s.computed_fields.contains(n)),
            _ => true,
        });
        let allowed =
            |cols: &Columns, preset: &serde_json::Map<String, serde_json::Value>| -> Vec<String> {
                writable
                    .iter()
                    .filter(|c| cols.allows(c) && !preset.contains_key(*c))
                    .cloned()
                    .collect()
            };
        t.insert_columns = perms
            .insert
            .as_ref()
            .map(|p| allowed(&p.columns, &p.set))
            .unwrap_or_default();
        t.update_columns = perms
            .update
            .as_ref()
            .map(|p| allowed(&p.columns, &p.set))
            .unwrap_or_default();
        t.perms = Some(Box::new(perms));
    }
    // Relationships (and computed fields returning rows) only to tables the role can see;
    // aggregates only where allowed.
    let visible: Vec<bool> = tables.iter().map(|t| t.visible).collect();
    let aggregates: Vec<bool> = tables.iter().map(|t| t.allow_aggregations).collect();
    for t in tables.iter_mut() {
        let target = |n: &String| t.computed.get(n).and_then(|c| c.returns_table);
        let rows_to: HashMap<String, usize> = t
            .fields
            .values()
            .filter_map(|f| match f {
                TableField::ComputedRows(n) | TableField::ComputedAggregate(n) => {
                    target(n).map(|i| (n.clone(), i))
                }
                _ => None,
            })
            .collect();
        Arc::make_mut(&mut t.fields).retain(|_, f| match f {
            TableField::Column(_)
            | TableField::Computed(_)
            | TableField::RemoteRel(_)
            | TableField::SourceRel(_) => true,
            TableField::ObjectRel(r) | TableField::ArrayRel(r) | TableField::ArrayConnection(r) => {
                visible[r.target]
            }
            TableField::ArrayAggregate(r) => visible[r.target] && aggregates[r.target],
            TableField::ComputedRows(n) => rows_to.get(n).is_some_and(|&i| visible[i]),
            TableField::ComputedAggregate(n) => {
                rows_to.get(n).is_some_and(|&i| visible[i] && aggregates[i])
            }
        });
    }
}

/// The kinds of query root fields the select permission allows (`None`: all).
pub(crate) fn allows_root(perms: Option<&RolePerms>, kind: &str) -> bool {
    let Some(p) = perms else {
        return true; // admin
    };
    match p.select.as_ref().map(|s| s.query_root_fields.as_ref()) {
        // Without a select permission (a role that may only write) no query root field.
        None => false,
        Some(Some(list)) => list.iter().any(|k| k == kind),
        Some(None) => true,
    }
}

/// Whether a role without a select permission on the table may still write to it (Hasura
/// then gives it the bulk mutations, answering `affected_rows` only).
pub(crate) fn writes_only(t: &TableInfo) -> bool {
    !t.visible
        && t.perms
            .as_ref()
            .is_some_and(|p| p.insert.is_some() || p.update.is_some() || p.delete.is_some())
}

/// Relationships of every table by name, whatever the role sees (permission rules may
/// traverse relationships the role cannot select).
pub(crate) fn all_relationships(tables: &[TableInfo]) -> Vec<HashMap<String, crate::RelInfo>> {
    tables
        .iter()
        .map(|t| {
            t.fields
                .iter()
                .filter_map(|(name, f)| match f {
                    TableField::ObjectRel(r) | TableField::ArrayRel(r) => {
                        Some((name.clone(), r.clone()))
                    }
                    _ => None,
                })
                .collect()
        })
        .collect()
}
