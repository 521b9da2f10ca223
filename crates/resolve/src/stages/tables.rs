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
        // Its GraphQL name: `custom_name`, else `name` (public) or `schema_name`; Hasura
        // refuses a table without a valid one.
        let base = match &entry.configuration.custom_name {
            Some(c) => c.clone(),
            None if name.schema == "public" => name.name.clone(),
            None => format!("{}_{}", name.schema, name.name),
        };
        if !rasura_naming::is_valid_name(&base) {
            let mut i = Inconsistency::new(
                "table",
                format!("table {name} in source {}", source.name),
                serde_json::to_value(name).unwrap_or_default(),
                format!("cannot include {base} in the GraphQL schema because it is not a valid GraphQL identifier"),
                ObjectRef::Table(name.clone()),
            );
            i.code = Some("validation-failed");
            report.push(i);
            continue;
        }
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
