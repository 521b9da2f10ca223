//! Resolution as named stages, each taking the previous stage's output:
//! tables, enum tables, then relationships, computed fields, permissions, functions, actions,
//! event triggers, remote schemas, and last what inherited roles take from their parents.

pub mod actions;
pub mod bool_exp;
mod computed_fields;
pub mod cron_triggers;
mod custom_types;
mod db_sources;
mod entries;
mod enums;
mod event_triggers;
pub mod functions;
mod inherited;
pub mod native_queries;
mod permissions;
mod relationships;
mod remote_db;
pub mod remote_schemas;
pub mod source_rels;
pub mod sources;
mod tables;
mod unsupported;

use std::sync::Arc;

use rasura_catalog::Catalog;
use rasura_metadata::document::Source;
use rasura_metadata::Metadata;

use crate::inconsistency::{Inconsistency, ObjectRef};
use crate::types::{RemoteIntrospections, ResolvedMetadata};

/// Resolves `md` against `catalog` (remote schemas left out). Never fails: what does not fit
/// is reported and left out.
pub fn resolve(md: &Metadata, catalog: Arc<Catalog>) -> ResolvedMetadata {
    resolve_with_remotes(md, catalog, &RemoteIntrospections::new())
}

/// As [`resolve`], with the remote schemas whose introspections are in `remotes`.
pub fn resolve_with_remotes(
    md: &Metadata,
    catalog: Arc<Catalog>,
    remotes: &RemoteIntrospections,
) -> ResolvedMetadata {
    let mut report: Vec<Inconsistency> = vec![];
    // 0. what the engine does not implement: reported, never served as if it worked
    unsupported::report_unsupported(md, &mut report);
    // 0b-5. the database source served: its connection, tables, relationships, computed
    // fields, permissions, native queries and functions
    let no_tables = Source::default_source();
    let source = match catalog.unreachable {
        Some(_) => &no_tables,
        None => md.served_source().unwrap_or(&no_tables),
    };
    let (mut tables, functions, served) =
        db_sources::resolve_source(md.served_source(), &catalog, &mut report);
    // 6. actions, their handlers and headers resolved from the environment
    let actions = actions::resolve_actions(md, &mut report);
    // 7. event triggers whose columns exist, webhooks and headers from the environment
    let event_triggers = event_triggers::resolve_event_triggers(source, &tables, &mut report);
    // 7b. cron triggers: schedules parsed, webhooks and headers from the environment
    let cron_triggers = cron_triggers::resolve_cron_triggers(md, &mut report);
    // 8. remote schemas with their introspections, and relationships to them
    let remote_schemas = if remotes.is_empty() {
        vec![]
    } else {
        let r = remote_schemas::resolve_remote_schemas(md, remotes, &mut report);
        remote_schemas::resolve_remote_relationships(source, &r, &mut tables, &mut report);
        r
    };
    // 9. inherited roles, parents first: what they take from their parents
    let roles = inherited::ordered_roles(md, &mut report);
    let (mut functions, mut actions, mut remote_schemas) = (functions, actions, remote_schemas);
    inherited::resolve_inherited(
        &roles,
        &mut tables,
        &mut functions,
        &mut actions,
        &mut remote_schemas,
        &mut report,
    );
    // 10. the relationships of actions' output types, to tracked tables
    let custom_types = custom_types::check(
        md.extra
            .get("custom_types")
            .unwrap_or(&serde_json::Value::Null),
        &tables,
        &mut report,
    );
    let mut resolved = ResolvedMetadata::new(tables, functions, report, catalog);
    resolved.actions = actions;
    resolved.event_triggers = event_triggers;
    resolved.cron_triggers = cron_triggers;
    resolved.remote_schemas = remote_schemas;
    resolved.remote_schema_permissions = remote_schemas::permissions_enabled();
    resolved.custom_types = custom_types;
    resolved.naming = rasura_naming::Naming::for_source(
        source
            .extra
            .get("customization")
            .unwrap_or(&serde_json::Value::Null),
    );
    match crate::query_tags::QueryTags::parse(source.extra.get("query_tags")) {
        Ok(tags) => resolved.query_tags = tags,
        Err(reason) => resolved.inconsistencies.push(Inconsistency::new(
            "source",
            format!("source {}", source.name),
            source.extra.get("query_tags").cloned().unwrap_or_default(),
            reason,
            ObjectRef::Unknown,
        )),
    }
    resolved.source = served;
    // 11. the other database sources served at once, each on its own
    let catalog = resolved.catalog.clone();
    resolved.sources = db_sources::resolve_others(md, &catalog, &roles, &mut resolved);
    // 11b. relationships from the remotes' types to tables of every served source
    if !resolved.remote_schemas.is_empty() {
        let mut remotes = std::mem::take(&mut resolved.remote_schemas);
        let mut report = vec![];
        let served: Vec<(&str, &[crate::types::ResolvedTable])> = resolved
            .served()
            .filter_map(|r| Some((r.source.as_ref()?.name.as_str(), r.tables.as_slice())))
            .collect();
        remote_db::resolve(md, &mut remotes, &served, &mut report);
        resolved.remote_schemas = remotes;
        resolved.inconsistencies.extend(report);
    }
    // 12. relationships to tables of database sources, now that every source is resolved
    source_rels::resolve(md, &mut resolved);
    resolved
}
