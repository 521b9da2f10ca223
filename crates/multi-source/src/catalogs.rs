//! The catalogs of the sources, read from their databases: the one served first, with the
//! others in its `sources`.

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

/// The catalog of the source `metadata` serves; empty when there is none (or its URL cannot
/// be made: resolution reports that), marked unreachable when it cannot be read.
/// The other sources' catalogs are in its `sources`.
pub async fn served(metadata: &Metadata) -> Catalog {
    served_with(metadata, None).await
}

/// [`served`], taking the served source's catalog from `early` (being read, without
/// enum rows, from the URL it names) when `metadata` serves that URL.
pub async fn served_with(
    metadata: &Metadata,
    early: Option<(String, tokio::task::JoinHandle<Catalog>)>,
) -> Catalog {
    let enums = metadata.enum_tables();
    let url = served_url(metadata);
    // A read begun for another URL is of no use.
    let early = match early {
        Some((early_url, read)) if Some(&early_url) == url.as_ref() => Some(read),
        Some((_, read)) => {
            read.abort();
            None
        }
        None => None,
    };
    let mut catalog = match (url, early) {
        (Some(url), Some(read)) => match read.await {
            Ok(mut catalog) => {
                rasura_pg::source_catalog::add_enum_rows(&url, &mut catalog, &enums).await;
                catalog
            }
            Err(_) => rasura_pg::source_catalog::read(&url, &enums).await,
        },
        (Some(url), None) => rasura_pg::source_catalog::read(&url, &enums).await,
        (None, _) => Catalog::default(),
    };
    catalog.sources = read_others(metadata).await;
    catalog
}

/// The URL of the source `metadata` serves (none: no source, or its URL cannot be made).
pub fn served_url(metadata: &Metadata) -> Option<String> {
    let source = metadata.served_source()?;
    rasura_resolve::stages::sources::resolve(source)
        .ok()
        .map(|s| s.url)
}
