//! The connection pool (deadpool over tokio-postgres).

use deadpool_postgres::{Manager, ManagerConfig, RecyclingMethod};
use tokio_postgres::NoTls;

use crate::error::PgError;

pub type Pool = deadpool_postgres::Pool;

/// A pool of up to `max_size` connections to `url`; checks that one connection opens.
pub async fn connect_pool(url: &str, max_size: usize) -> Result<Pool, PgError> {
    let config: tokio_postgres::Config = url.parse().map_err(|e: tokio_postgres::Error| {
        PgError::Connection(format!("invalid database URL: {e}"))
    })?;
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
