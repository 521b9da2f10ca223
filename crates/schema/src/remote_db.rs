//! Relationships from remote schemas' object types to tables in a role's schema: a field
//! added to the remote's type (`extend type`), `<name>: <table>` for an object relationship,
//! `<name>(distinct_on, limit, offset, order_by, where): [<table>!]!` (and
//! `<name>_aggregate` where the role may aggregate) for an array one. A role sees it when it
//! may select from the table and its view of the remote has the type.

use std::collections::HashMap;
use std::fmt::Write;

use rasura_metadata::QualifiedName;
use rasura_resolve::ResolvedRemoteSchema;

use crate::types::{RemoteDbRelInfo, TableInfo};
use crate::writer::{select_args, SdlWriter};

impl SdlWriter {
    /// Adds the relationships of the remotes in this schema; returns them.
    pub(crate) fn remote_db_relationships(
        &mut self,
        remotes: &[ResolvedRemoteSchema],
        conflicts: &[(String, String)],
        tables: &[TableInfo],
        table_index: &HashMap<QualifiedName, usize>,
        source: &str,
    ) -> Vec<RemoteDbRelInfo> {
        let mut out = vec![];
        for (i, r) in remotes.iter().enumerate() {
            if conflicts.iter().any(|(n, _)| n == &r.name) {
                continue;
            }
            // Those to another source's tables are added when the sources are merged.
            for rel in r.db_relationships.iter().filter(|x| x.source == source) {
                let Some(&target) = table_index.get(&rel.table) else {
                    continue;
                };
                let ty = r.introspection["types"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|t| t["name"] == rel.type_name.as_str() && t["kind"] == "OBJECT");
                let Some(ty) = ty else {
                    continue;
                };
                let taken = ty["fields"].as_array().into_iter().flatten().any(|f| {
                    r.field_name(&rel.type_name, f["name"].as_str().unwrap_or_default()) == rel.name
                });
                if !tables[target].visible || taken || !crate::naming::is_valid_name(&rel.name) {
                    continue;
                }
                let names = self.names(&tables[target]);
                let object = r.type_name(&rel.type_name);
                let mut fields = String::new();
                let mut aggregate_field = None;
                if rel.array {
                    let args = select_args(&names);
                    let _ = writeln!(fields, "  {}{args}: [{}!]!", rel.name, names.object);
                    if tables[target].allow_aggregations {
                        let agg = self.naming.field(&format!("{}_aggregate", rel.name));
                        let _ = writeln!(fields, "  {agg}{args}: {}!", names.aggregate);
                        aggregate_field = Some(agg);
                    }
                } else {
                    let _ = writeln!(fields, "  {}: {}", rel.name, names.object);
                }
                let _ = writeln!(self.types, "extend type {object} {{\n{fields}}}");
                out.push(RemoteDbRelInfo {
                    remote: i,
                    type_name: rel.type_name.clone(),
                    field: rel.name.clone(),
                    source: 0,
                    target,
                    array: rel.array,
                    aggregate_field,
                    mapping: rel.mapping.clone(),
                });
            }
        }
        out
    }
}
