//! `run_sql` on a database source other than the one served first: the SQL runs in a
//! transaction of that database, which commits only if what it changed leaves the metadata
//! consistent (tracked tables it dropped are untracked; with `cascade`, what it broke is
//! dropped).

use serde_json::Value;

use crate::error::ApiError;
use crate::metadata_ops::drop_objects;
use crate::tx::ControlTx;

/// A connection pool to `source`'s database.
pub(crate) fn pool_of(
    source: &rasura_metadata::document::Source,
) -> Result<rasura_pg::Pool, ApiError> {
    let conn = rasura_resolve::stages::sources::resolve(source).map_err(|e| {
        ApiError::bad_request(
            "unexpected",
            format!("source with name \"{}\" is inconsistent: {e}", source.name),
        )
    })?;
    Ok(rasura_pg::pool::lazy_pool(
        &conn.url,
        &rasura_pg::pool::PoolOptions::default(),
    )?)
}

/// Runs `sql` on source `name` (checked to be a usable source).
pub(crate) async fn run_sql(
    ctx: &mut ControlTx<'_>,
    sql: &str,
    name: &str,
    read_only: bool,
    check: bool,
    cascade: bool,
) -> Result<Value, ApiError> {
    let source = ctx.md.source(name).map_err(ApiError::from)?.clone();
    let pool = pool_of(&source)?;
    let mut client = pool.get().await.map_err(rasura_pg::PgError::from)?;
    let pg = |e| rasura_pg::PgError::from_db(e, None);
    let tx = client.transaction().await.map_err(pg)?;
    if read_only {
        tx.batch_execute("SET TRANSACTION READ ONLY")
            .await
            .map_err(pg)?;
    }
    let before = ctx.fresh_catalog().await?.sources.get(name).cloned();
    let result = rasura_pg::run_sql::run_sql(&*tx, sql).await?;
    if read_only || !check {
        tx.commit().await.map_err(pg)?;
        ctx.source_dirty(name);
        return Ok(result.to_json());
    }
    // The catalog as the SQL leaves it, read in its transaction.
    let mut after = rasura_catalog::load(&*tx)
        .await
        .map_err(|e| ApiError::bad_request("unexpected", e.to_string()))?;
    let enums = rasura_multi_source::catalogs::enum_tables(&source);
    rasura_catalog::load_enum_rows(&*tx, &mut after, &enums).await;
    if let Some(before) = &before {
        // Tracked tables this SQL dropped are untracked with it.
        let gone = |t: &rasura_metadata::QualifiedName| {
            before.table(&t.schema, &t.name).is_some() && after.table(&t.schema, &t.name).is_none()
        };
        if let Ok(s) = ctx.md.source_mut(name) {
            let count = s.tables.len();
            s.tables.retain(|t| !gone(&t.table));
            if s.tables.len() != count {
                ctx.changed();
            }
        }
    }
    let mut catalog = (*ctx.catalog).clone();
    catalog
        .sources
        .insert(name.to_string(), std::sync::Arc::new(after));
    ctx.catalog = std::sync::Arc::new(catalog);
    ctx.source_read(name);
    settle(ctx, cascade).await?;
    tx.commit().await.map_err(pg)?;
    Ok(result.to_json())
}

/// What the SQL broke: refused (`dependency-error`), or with `cascade` dropped from the
/// metadata.
pub(crate) async fn settle(ctx: &mut ControlTx<'_>, cascade: bool) -> Result<(), ApiError> {
    let (_, broken) = ctx.new_inconsistencies().await?;
    if !broken.is_empty() {
        if !cascade {
            let mut names: Vec<&str> = broken.iter().map(|i| i.name.as_str()).collect();
            names.sort_unstable();
            return Err(ApiError::bad_request(
                "dependency-error",
                format!(
                    "cannot drop due to the following dependent objects: {}",
                    names.join(", ")
                ),
            ));
        }
        let objects: Vec<_> = broken.iter().map(|i| i.object.clone()).collect();
        drop_objects(&mut ctx.md, &objects);
        ctx.changed();
    }
    Ok(())
}
