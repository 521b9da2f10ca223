//! Each database source resolved against its own catalog: the one served first (by the
//! caller, with the rest of the metadata) and those served besides it (tables,
//! relationships, permissions, functions, event triggers, inherited roles). What the engine does not serve on
//! the others yet is reported, never silently kept.

use std::sync::Arc;

use rasura_catalog::Catalog;
use rasura_metadata::document::Source;
use rasura_metadata::Metadata;
use serde_json::Value;

use super::inherited::{resolve_inherited, InheritedRole};
use crate::inconsistency::{in_table, Inconsistency, ObjectRef};
use crate::types::ResolvedMetadata;

/// The PostgreSQL sources of `md` other than the served one, each resolved against its catalog
/// in `catalog.sources` (a source whose catalog was not read is reported as unreachable).
/// Their inconsistencies go to `first`'s list, each object marked with its source.
pub(super) fn resolve_others(
    md: &Metadata,
    catalog: &Catalog,
    roles: &[InheritedRole],
    first: &mut ResolvedMetadata,
) -> Vec<ResolvedMetadata> {
    let served = md.served_source().map(|s| s.name.as_str());
    let mut out = vec![];
    for source in &md.sources {
        if !rasura_metadata::sources::is_postgres(&source.kind)
            || Some(source.name.as_str()) == served
        {
            continue;
        }
        let cat = catalog
            .sources
            .get(&source.name)
            .cloned()
            .unwrap_or_else(|| {
                let mut c = Catalog::default();
                c.unreachable = Some("the source's database was not read".into());
                Arc::new(c)
            });
        let mut report = vec![];
        let (mut tables, mut functions, conn) = resolve_source(Some(source), &cat, &mut report);
        let mut triggers = vec![];
        if conn.is_some() {
            report_unserved(source, &mut report);
            triggers = super::event_triggers::resolve_event_triggers(source, &tables, &mut report);
        }
        resolve_inherited(
            roles,
            &mut tables,
            &mut functions,
            &mut [],
            &mut [],
            &mut report,
        );
        let mut resolved = ResolvedMetadata::new(tables, functions, vec![], cat);
        resolved.naming = rasura_naming::Naming::for_source(
            source.extra.get("customization").unwrap_or(&Value::Null),
        );
        if let Ok(tags) = crate::query_tags::QueryTags::parse(source.extra.get("query_tags")) {
            resolved.query_tags = tags;
        }
        resolved.source = conn;
        resolved.event_triggers = triggers;
        first
            .inconsistencies
            .extend(report.into_iter().map(|mut i| {
                i.object = match i.object {
                    o @ (ObjectRef::Source(_) | ObjectRef::SourceCustomization(_)) => o,
                    o => ObjectRef::InSource(source.name.clone(), Box::new(o)),
                };
                i
            }));
        out.push(resolved);
    }
    out
}

/// Relationships to remote schemas of a source other than the first: not served yet.
fn report_unserved(source: &rasura_metadata::document::Source, report: &mut Vec<Inconsistency>) {
    let why = format!(
        "remote relationships to remote schemas on a database source other than the first one served are not supported by this engine yet (source \"{}\")",
        source.name
    );
    let name = |v: &Value| {
        v.get("name")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()
    };
    for t in &source.tables {
        for r in t
            .remote_relationships
            .iter()
            .filter(|r| !super::source_rels::is_to_source(r))
        {
            report.push(Inconsistency::new(
                "remote_relationship",
                in_table("remote_relationship", &name(r), &t.table, &source.name),
                r.clone(),
                &why,
                ObjectRef::RemoteRelationship(t.table.clone(), name(r)),
            ));
        }
    }
}

/// Resolves database source `source` (none: no tables) against its `catalog`: its connection
/// (a connection that cannot be made, or a database the engine could not read, serves no
/// tables), then tracked tables that exist with their catalog entries, enum tables,
/// relationships, computed fields, permissions, native queries and functions.
pub(super) fn resolve_source(
    source: Option<&Source>,
    catalog: &Catalog,
    report: &mut Vec<Inconsistency>,
) -> (
    Vec<crate::types::ResolvedTable>,
    Vec<crate::types::ResolvedFunction>,
    Option<super::sources::ResolvedSource>,
) {
    let no_tables = Source::default_source();
    let (source, served) = match (source, &catalog.unreachable) {
        (Some(s), Some(reason)) => {
            let mut i = super::sources::unreachable(&s.name, reason);
            i.message.clone_from(&catalog.unreachable_message);
            report.push(i);
            (&no_tables, None)
        }
        (Some(s), None) => match super::sources::resolve(s) {
            Ok(r) => (s, Some(r)),
            Err(reason) => {
                report.push(super::sources::unreachable(&s.name, &reason));
                (s, None)
            }
        },
        (None, _) => (&no_tables, None),
    };
    // 1. tracked tables that exist, with their catalog entries
    let mut tables = super::tables::resolve_tables(source, catalog, report);
    // 1b. enum tables checked (invalid ones left out), columns referencing them marked
    super::enums::resolve_enum_tables(&source.name, catalog, &mut tables, report);
    // 2. relationships whose foreign keys or mapped columns exist and whose targets are tracked
    super::relationships::resolve_relationships(source, catalog, &mut tables, report);
    // 3. computed fields whose functions exist and take the table's row
    super::computed_fields::resolve_computed_fields(source, catalog, &mut tables, report);
    // 4. permissions whose columns exist
    super::permissions::resolve_permissions(source, &mut tables, report);
    // 4b. native queries, as tables whose rows their code returns
    super::native_queries::resolve_native_queries(source, &mut tables, report);
    // 5. tracked functions
    let functions = super::functions::resolve_functions(source, catalog, &tables, report);
    (tables, functions, served)
}
