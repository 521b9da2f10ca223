//! Reading a source database's catalog, with `hdb_catalog` prepared there, on connections of
//! its own (two halves at once): what metadata is resolved against, or an empty catalog marked
//! unreachable.

use rasura_catalog::Catalog;

use crate::error::PgError;
use crate::pool::{lazy_pool, PoolOptions};

/// The catalog of the database at `url`, with the rows of `enum_tables`; empty and marked
/// `unreachable` ("connection error", the cause logged) when it cannot be read.
pub async fn read(url: &str, enum_tables: &[(String, String)]) -> Catalog {
    let read = async {
        let pool = lazy_pool(url, &PoolOptions::default())?;
        let (mut client, other) = tokio::try_join!(pool.get(), pool.get())?;
        crate::hdb_catalog::ensure(&mut client).await?;
        let mut catalog = rasura_catalog::load_in_halves(&**client, &**other)
            .await
            .map_err(|e| PgError::Connection(e.to_string()))?;
        rasura_catalog::load_enum_rows(&**client, &mut catalog, enum_tables).await;
        Ok::<_, PgError>(catalog)
    };
    match read.await {
        Ok(catalog) => catalog,
        Err(e) => {
            tracing::warn!("cannot read the source's database: {e}");
            let mut catalog = Catalog::default();
            catalog.unreachable = Some("connection error".into());
            catalog.unreachable_message = Some(e.to_string());
            catalog
        }
    }
}

/// Adds the rows of `enum_tables` to a catalog [`read`] without them (nothing when it could
/// not be read).
pub async fn add_enum_rows(url: &str, catalog: &mut Catalog, enum_tables: &[(String, String)]) {
    if enum_tables.is_empty() || catalog.unreachable.is_some() {
        return;
    }
    let client = async { Ok::<_, PgError>(lazy_pool(url, &PoolOptions::default())?.get().await?) };
    match client.await {
        Ok(client) => rasura_catalog::load_enum_rows(&**client, catalog, enum_tables).await,
        Err(e) => tracing::warn!("cannot read the enum tables' rows: {e}"),
    }
}
