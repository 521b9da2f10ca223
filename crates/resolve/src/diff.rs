//! What a metadata change touched, for reusing what it did not: when two versions differ only
//! in tables' permissions, the admin schema is the same and so is the schema of every role
//! whose permissions are the same.

use std::collections::BTreeSet;

use rasura_metadata::document::Source;
use rasura_metadata::permission::PermissionEntry;
use rasura_metadata::table::TableEntry;
use rasura_metadata::Metadata;

/// The roles whose table permissions differ between `old` and `new`, when nothing else does
/// (`None`: something else changed too). Inherited roles count as changed with any role.
pub fn permission_roles_changed(old: &Metadata, new: &Metadata) -> Option<BTreeSet<String>> {
    let Metadata {
        version,
        sources,
        extra,
    } = new;
    if *version != old.version || *extra != old.extra || sources.len() != old.sources.len() {
        return None;
    }
    let mut roles = BTreeSet::new();
    for (a, b) in old.sources.iter().zip(sources) {
        source_roles(a, b, &mut roles)?;
    }
    if !roles.is_empty() {
        let inherited = extra.get("inherited_roles").and_then(|v| v.as_array());
        for r in inherited.into_iter().flatten() {
            if let Some(name) = r.get("role_name").and_then(|n| n.as_str()) {
                roles.insert(name.to_string());
            }
        }
    }
    Some(roles)
}

fn source_roles(old: &Source, new: &Source, roles: &mut BTreeSet<String>) -> Option<()> {
    let Source {
        name,
        kind,
        tables,
        functions,
        configuration,
        extra,
    } = new;
    let same = *name == old.name
        && *kind == old.kind
        && *functions == old.functions
        && *configuration == old.configuration
        && *extra == old.extra
        && tables.len() == old.tables.len();
    if !same {
        return None;
    }
    for (a, b) in old.tables.iter().zip(tables) {
        table_roles(a, b, roles)?;
    }
    Some(())
}

fn table_roles(old: &TableEntry, new: &TableEntry, roles: &mut BTreeSet<String>) -> Option<()> {
    let TableEntry {
        table,
        is_enum,
        configuration,
        object_relationships,
        array_relationships,
        computed_fields,
        remote_relationships,
        insert_permissions,
        select_permissions,
        update_permissions,
        delete_permissions,
        event_triggers,
        extra,
    } = new;
    let same = *table == old.table
        && *is_enum == old.is_enum
        && *configuration == old.configuration
        && *object_relationships == old.object_relationships
        && *array_relationships == old.array_relationships
        && *computed_fields == old.computed_fields
        && *remote_relationships == old.remote_relationships
        && *event_triggers == old.event_triggers
        && *extra == old.extra;
    if !same {
        return None;
    }
    changed(&old.insert_permissions, insert_permissions, roles);
    changed(&old.select_permissions, select_permissions, roles);
    changed(&old.update_permissions, update_permissions, roles);
    changed(&old.delete_permissions, delete_permissions, roles);
    Some(())
}

/// Adds the roles whose entry is not the same in both lists.
fn changed<P: PartialEq>(
    old: &[PermissionEntry<P>],
    new: &[PermissionEntry<P>],
    roles: &mut BTreeSet<String>,
) {
    if old == new {
        return;
    }
    let gone = old.iter().filter(|e| !new.contains(e));
    let added = new.iter().filter(|e| !old.contains(e));
    roles.extend(gone.chain(added).map(|e| e.role.clone()));
}
