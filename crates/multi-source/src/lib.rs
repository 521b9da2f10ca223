//! Several database sources in one schema per role: each source's schema built on its own,
//! then merged (`merge.rs`); the other sources' catalogs (`catalogs.rs`).

pub mod catalogs;
mod merge;
mod relationships;

use rasura_resolve::types::ResolvedSourceRel;
use rasura_resolve::ResolvedMetadata;
use rasura_schema::{RoleSchema, SharedTypes};

pub use merge::merge;

/// The schema `role` sees of every source `resolved` serves (the first and its `sources`);
/// `backend` as for [`rasura_schema::build_schema_shared`].
pub fn build_schema(
    resolved: &ResolvedMetadata,
    role: &str,
    backend: bool,
    shared: &SharedTypes,
) -> Result<RoleSchema, String> {
    let first = rasura_schema::build_schema_shared(resolved, role, backend, shared)?;
    let rels = source_rels(resolved);
    if resolved.sources.is_empty() && rels.is_empty() {
        return Ok(first);
    }
    let mut others = vec![];
    for (k, other) in resolved.sources.iter().enumerate() {
        let schema = rasura_schema::build_schema_shared(other, role, backend, shared)
            .map_err(|e| format!("source \"{}\": {e}", source_name(other, k + 1)))?;
        others.push(schema);
    }
    let mut names = vec![source_name(resolved, 0)];
    names.extend((0..others.len()).map(|k| source_name(&resolved.sources[k], k + 1)));
    merge(first, others, &names, &rels)
}

/// The Relay schema `role` sees of every source `resolved` serves: each source's connections
/// side by side, one `node` field (it finds a node in whichever source has its table).
pub fn build_relay_schema(
    resolved: &ResolvedMetadata,
    role: &str,
    shared: &SharedTypes,
) -> Result<RoleSchema, String> {
    let first = rasura_schema::build_relay_schema(resolved, role, shared)?;
    if resolved.sources.is_empty() && resolved.source_relationships.is_empty() {
        return Ok(first);
    }
    let mut others = vec![];
    for (k, other) in resolved.sources.iter().enumerate() {
        let schema = rasura_schema::build_relay_schema(other, role, shared)
            .map_err(|e| format!("source \"{}\": {e}", source_name(other, k + 1)))?;
        others.push(schema);
    }
    let mut names = vec![source_name(resolved, 0)];
    names.extend((0..others.len()).map(|k| source_name(&resolved.sources[k], k + 1)));
    merge(first, others, &names, &source_rels(resolved))
}

/// Every source's relationships to tables of a source, by the number of the source holding
/// the table.
fn source_rels(resolved: &ResolvedMetadata) -> Vec<(usize, ResolvedSourceRel)> {
    resolved
        .served()
        .enumerate()
        .flat_map(|(n, r)| r.source_relationships.iter().map(move |x| (n, x.clone())))
        .collect()
}

/// The name of source number `n` (0: the first), for messages.
fn source_name(r: &ResolvedMetadata, n: usize) -> String {
    r.source
        .as_ref()
        .map_or_else(|| format!("#{}", n + 1), |s| s.name.clone())
}
