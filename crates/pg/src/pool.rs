//! The connection pool (deadpool over tokio-postgres).

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, RecyclingMethod};

use crate::error::PgError;

pub type Pool = deadpool_postgres::Pool;

/// A pool of up to `max_size` connections to `url`; checks that one connection opens.
pub async fn connect_pool(url: &str, max_size: usize) -> Result<Pool, PgError> {
    let options = PoolOptions {
        max_size,
        ..PoolOptions::default()
    };
    let pool = lazy_pool(url, &options)?;
    drop(pool.get().await?);
    Ok(pool)
}

/// How a source's connections are pooled: its `pool_settings` with the engine's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolOptions {
    pub max_size: usize,
    /// A connection idle this long is closed (by [`prune`]).
    pub idle_timeout: Option<Duration>,
    /// A connection this old is closed (by [`prune`]).
    pub lifetime: Option<Duration>,
    /// How long a request waits for a free connection (unset: as long as it takes).
    pub wait_timeout: Option<Duration>,
    /// Every statement is cancelled past it (SQLSTATE 57014); a transaction may lift it with
    /// `SET LOCAL statement_timeout = 0`.
    pub statement_timeout: Option<Duration>,
    /// `default_transaction_isolation` (`read committed`, `repeatable read`, `serializable`).
    pub isolation: Option<String>,
}

impl Default for PoolOptions {
    fn default() -> PoolOptions {
        PoolOptions {
            max_size: 4,
            idle_timeout: None,
            lifetime: None,
            wait_timeout: None,
            statement_timeout: None,
            isolation: None,
        }
    }
}

/// A pool of connections to `url` as `options` say; connections open on first use.
pub fn lazy_pool(url: &str, options: &PoolOptions) -> Result<Pool, PgError> {
    let (mut config, tls) = crate::tls::connect_config(url)?;
    let mut settings = config.get_options().unwrap_or_default().to_string();
    if let Some(t) = options.statement_timeout {
        settings.push_str(&format!(" -c statement_timeout={}", t.as_millis().max(1)));
    }
    if let Some(level) = &options.isolation {
        // A space in an option's value is escaped with a backslash.
        settings.push_str(&format!(
            " -c default_transaction_isolation={}",
            level.replace(' ', "\\ ")
        ));
    }
    if !settings.trim().is_empty() {
        config.options(settings.trim());
    }
    let manager = Manager::from_config(
        config,
        tls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    let mut builder = Pool::builder(manager).max_size(options.max_size.max(1));
    if let Some(wait) = options.wait_timeout {
        builder = builder
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(wait));
    }
    builder
        .build()
        .map_err(|e| PgError::Connection(e.to_string()))
}

/// Closes the pooled connections that have been idle, or open, longer than `options` allow.
pub fn prune(pool: &Pool, options: &PoolOptions) {
    if options.idle_timeout.is_none() && options.lifetime.is_none() {
        return;
    }
    pool.retain(|_, m| {
        options.idle_timeout.is_none_or(|t| m.last_used() < t)
            && options.lifetime.is_none_or(|t| m.age() < t)
    });
}

/// The pools of the served source's connections that are alive (each serving thread has its
/// own), for `hasura_postgres_connections`; a pool replaced and dropped leaves on its own.
/// (pool, whether it is a read replica's)
static SOURCE_POOLS: std::sync::Mutex<Vec<(deadpool_postgres::WeakPool, bool)>> =
    std::sync::Mutex::new(Vec::new());

/// Counts `pool`'s connections as the served source's (its primary's, or a read replica's).
pub fn register_source_pool(pool: &Pool, replica: bool) {
    SOURCE_POOLS
        .lock()
        .expect("source pools lock")
        .push((pool.weak(), replica));
}

/// Connections open to the served source's primary (or, with `replica`, to its read replicas)
/// now, over every pool still alive.
pub fn source_connections(replica: bool) -> usize {
    let mut pools = SOURCE_POOLS.lock().expect("source pools lock");
    pools.retain(|(w, _)| w.upgrade().is_some());
    pools
        .iter()
        .filter(|(_, r)| *r == replica)
        .filter_map(|(w, _)| w.upgrade())
        .map(|p| p.status().size)
        .sum()
}
