//! The connection pool (deadpool over tokio-postgres).

use deadpool_postgres::{Manager, ManagerConfig, RecyclingMethod};
use tokio_postgres::NoTls;

use crate::error::PgError;

pub type Pool = deadpool_postgres::Pool;

/// A pool of up to `max_size` connections to `url`; checks that one connection opens.
pub async fn connect_pool(url: &str, max_size: usize) -> Result<Pool, PgError> {
    connect_pool_with(url, max_size, None).await
}

/// As [`connect_pool`], every statement on its connections limited to `statement_timeout`
/// (PostgreSQL cancels it past that, SQLSTATE 57014); a transaction may lift it with
/// `SET LOCAL statement_timeout = 0`.
pub async fn connect_pool_with(
    url: &str,
    max_size: usize,
    statement_timeout: Option<std::time::Duration>,
) -> Result<Pool, PgError> {
    let mut config: tokio_postgres::Config = url.parse().map_err(|e: tokio_postgres::Error| {
        PgError::Connection(format!("invalid database URL: {e}"))
    })?;
    if let Some(t) = statement_timeout {
        let given = config.get_options().unwrap_or_default().to_string();
        config.options(format!(
            "{given} -c statement_timeout={}",
            t.as_millis().max(1)
        ));
    }
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    let pool = Pool::builder(manager)
        .max_size(max_size)
        .build()
        .map_err(|e| PgError::Connection(e.to_string()))?;
    drop(pool.get().await?);
    Ok(pool)
}
