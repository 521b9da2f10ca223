//! Stage 1: tracked tables that exist in the catalog.

use std::collections::HashMap;

use rasura_catalog::Catalog;
use rasura_metadata::Source;

use crate::inconsistency::{Inconsistency, ObjectRef};
use crate::types::ResolvedTable;

pub(super) fn resolve_tables(
    source: &Source,
    catalog: &Catalog,
    report: &mut Vec<Inconsistency>,
) -> Vec<ResolvedTable> {
    let mut out = vec![];
    for entry in &source.tables {
        let name = &entry.table;
        let Some(info) = catalog.table(&name.schema, &name.name) else {
            report.push(Inconsistency::new(
                "table",
                format!("table {name} in source {}", source.name),
                serde_json::to_value(name).unwrap_or_default(),
                format!("no such table/view exists in source: \"{name}\""),
                ObjectRef::Table(name.clone()),
            ));
            continue;
        };
        out.push(ResolvedTable {
            name: name.clone(),
            info: info.clone(),
            config: entry.configuration.clone(),
            is_enum: entry.is_enum,
            enum_values: None,
            enum_columns: HashMap::new(),
            object_relationships: vec![],
            array_relationships: vec![],
            computed_fields: vec![],
            select_permissions: HashMap::new(),
            insert_permissions: HashMap::new(),
            update_permissions: HashMap::new(),
            delete_permissions: HashMap::new(),
            remote_relationships: vec![],
            redactions: Default::default(),
            native: None,
        });
    }
    out
}
