//! The database source's connections as one thread holds them: a pool built from the served
//! source's resolved connection (URL, `pool_settings`, isolation level) and the connections
//! queries share, rebuilt when the metadata points the source elsewhere.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use rasura_pg::{PgError, Pool, PoolOptions};
use rasura_resolve::stages::sources::ResolvedSource;

use crate::config::ExecConfig;

/// Connections to the served source.
pub struct SourceConn {
    /// The source's URL and pool options these connections were made with.
    pub url: String,
    pub options: PoolOptions,
    pub pool: Pool,
    /// Connections queries share (statements pipelined), taken from `pool`.
    pub reads: rasura_pg::SharedConns,
}

/// One thread's connections to the source, built on first use and after a change.
#[derive(Clone, Default)]
pub struct SourceSlot {
    current: Arc<RwLock<Option<Arc<SourceConn>>>>,
}

/// The pool options of `source` on a thread given `default_size` connections (a
/// `max_connections` set in the metadata is shared out over `threads`).
pub fn options(
    source: &ResolvedSource,
    default_size: usize,
    threads: usize,
    config: &ExecConfig,
) -> PoolOptions {
    let secs = |s: Option<u64>| s.filter(|s| *s > 0).map(Duration::from_secs);
    let max_size = match source.pool.max_connections {
        Some(n) => (n as usize / threads.max(1)).max(1),
        None => default_size,
    };
    PoolOptions {
        max_size,
        idle_timeout: secs(source.pool.idle_timeout),
        lifetime: secs(source.pool.connection_lifetime),
        wait_timeout: source.pool.pool_timeout.map(Duration::from_secs),
        statement_timeout: config.query_timeout,
        isolation: match source.isolation_level.as_str() {
            "repeatable-read" => Some("repeatable read".into()),
            "serializable" => Some("serializable".into()),
            _ => None,
        },
    }
}

impl SourceSlot {
    /// The connections for `url` with `options`: the ones held if they match, else new ones
    /// (connections open on first use).
    pub fn get(
        &self,
        url: &str,
        options: &PoolOptions,
        config: &ExecConfig,
    ) -> Result<Arc<SourceConn>, PgError> {
        if let Some(c) = self.current.read().expect("source lock").as_ref() {
            if c.url == url && &c.options == options {
                return Ok(c.clone());
            }
        }
        let pool = rasura_pg::lazy_pool(url, options)?;
        rasura_pg::register_source_pool(&pool);
        let conn = Arc::new(SourceConn {
            url: url.to_string(),
            options: options.clone(),
            reads: rasura_pg::SharedConns::new(
                pool.clone(),
                config.reads.depth,
                config.reads.connections,
            ),
            pool,
        });
        *self.current.write().expect("source lock") = Some(conn.clone());
        Ok(conn)
    }

    /// Closes connections idle or open longer than the source's settings allow.
    pub fn prune(&self) {
        if let Some(c) = self.current.read().expect("source lock").as_ref() {
            rasura_pg::prune(&c.pool, &c.options);
        }
    }
}
