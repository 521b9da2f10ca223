//! The catalogs of the sources served besides the first, read from their databases.

use std::collections::BTreeMap;
use std::sync::Arc;

use rasura_catalog::Catalog;
use rasura_metadata::document::Source;
use rasura_metadata::Metadata;

/// The PostgreSQL sources of `md` other than the one served first.
pub fn other_sources(md: &Metadata) -> impl Iterator<Item = &Source> {
    let served = md.served_source().map(|s| s.name.clone());
    md.sources.iter().filter(move |s| {
        rasura_metadata::sources::is_postgres(&s.kind) && Some(&s.name) != served.as_ref()
    })
}

/// The enum tables of `source`, whose rows its catalog holds.
pub fn enum_tables(source: &Source) -> Vec<(String, String)> {
    source
        .tables
        .iter()
        .filter(|t| t.is_enum)
        .map(|t| (t.table.schema.clone(), t.table.name.clone()))
        .collect()
}

/// The catalog of `source` read from its database (marked unreachable when it cannot be
/// read); an empty one when its URL cannot be made (resolution reports why).
pub async fn read_one(source: &Source) -> Arc<Catalog> {
    match rasura_resolve::stages::sources::resolve(source) {
        Ok(conn) => {
            Arc::new(rasura_pg::source_catalog::read(&conn.url, &enum_tables(source)).await)
        }
        Err(_) => Arc::new(Catalog::default()),
    }
}

/// The catalogs of every source [`other_sources`] gives, by name.
pub async fn read_others(md: &Metadata) -> BTreeMap<String, Arc<Catalog>> {
    let mut out = BTreeMap::new();
    for source in other_sources(md) {
        out.insert(source.name.clone(), read_one(source).await);
    }
    out
}
