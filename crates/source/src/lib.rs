//! The database source's connections as one thread holds them: a pool built from the served
//! source's resolved connection (URL, `pool_settings`, isolation level), the connections
//! queries share, and the same for each read replica; rebuilt when the metadata points the
//! source elsewhere. Reads go to the replicas in turn, skipping one that failed lately, and to
//! the primary when none is up.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rasura_metadata::sources::PoolSettings;
use rasura_pg::{PgError, Pool, PoolOptions, SharedConns};
use rasura_resolve::stages::sources::ResolvedSource;

/// A replica that failed is tried again after this long (a read then goes to it, and back to
/// the primary if it fails again).
pub const REPLICA_RETRY: Duration = Duration::from_secs(5);

/// How queries share connections (`--pg-shared-connections`, `--pg-pipeline-depth`: see
/// `rasura_pg::SharedConns`), and the statement timeout every connection carries.
#[derive(Debug, Clone, Copy)]
pub struct ConnSettings {
    /// Connections per serving thread queries share; 0 gives every query its own.
    pub shared: usize,
    /// Queries in flight on one shared connection before another is taken.
    pub depth: usize,
    /// `--query-timeout`, as `statement_timeout`.
    pub statement_timeout: Option<Duration>,
}

/// Connections to the served source.
pub struct SourceConn {
    /// The source's URL and pool options these connections were made with.
    pub url: String,
    pub options: PoolOptions,
    pub pool: Pool,
    /// Connections queries share (statements pipelined), taken from `pool`.
    pub reads: SharedConns,
    /// The read replicas, in the order the metadata lists them.
    pub replicas: Vec<Replica>,
    /// The next replica to read from (round robin).
    next: AtomicUsize,
    /// Whether statements are prepared (`use_prepared_statements`); unnamed otherwise.
    pub prepared: bool,
}

/// Connections to one read replica.
pub struct Replica {
    pub url: String,
    pub options: PoolOptions,
    pub pool: Pool,
    pub reads: SharedConns,
    /// When it last failed (milliseconds since the epoch), 0 when it is up.
    failed_at: AtomicU64,
}

/// Whether SQLSTATE `code` says the server went away (classes 08, connection errors, and
/// 57P, shut down or not accepting connections) rather than refused a statement.
pub fn server_gone(code: &str) -> bool {
    code.starts_with("08") || code.starts_with("57P")
}

/// Where a read runs: a replica, or the primary.
pub struct ReadTarget<'a> {
    pub pool: &'a Pool,
    pub reads: &'a SharedConns,
    /// The replica, when it is one (to report its failure).
    pub replica: Option<&'a Replica>,
    /// Whether statements are prepared there.
    pub prepared: bool,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Replica {
    /// Whether reads may go here: up, or failed longer than [`REPLICA_RETRY`] ago.
    fn usable(&self, now: u64) -> bool {
        let failed = self.failed_at.load(Ordering::Relaxed);
        failed == 0 || now.saturating_sub(failed) >= REPLICA_RETRY.as_millis() as u64
    }

    /// A read here could not reach the replica: reads skip it for [`REPLICA_RETRY`].
    pub fn failed(&self, why: &str) {
        if self.failed_at.swap(now_ms(), Ordering::Relaxed) == 0 {
            tracing::warn!(replica = %redact(&self.url), "read replica unreachable, reading from the others or the primary: {why}");
        }
    }

    /// A read here succeeded: it is up again.
    pub fn succeeded(&self) {
        if self.failed_at.swap(0, Ordering::Relaxed) != 0 {
            tracing::info!(replica = %redact(&self.url), "read replica back");
        }
    }

    /// Whether it is marked down now.
    pub fn is_down(&self) -> bool {
        self.failed_at.load(Ordering::Relaxed) != 0
    }
}

/// A URL without its password, for logs.
fn redact(url: &str) -> String {
    match url.parse::<tokio_postgres::Config>() {
        Ok(c) => format!(
            "{}:{}/{}",
            c.get_hosts()
                .first()
                .map(|h| match h {
                    tokio_postgres::config::Host::Tcp(h) => h.clone(),
                    tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
                })
                .unwrap_or_default(),
            c.get_ports().first().copied().unwrap_or(5432),
            c.get_dbname().unwrap_or_default()
        ),
        Err(_) => "?".into(),
    }
}

impl SourceConn {
    /// Where the next read runs: the next replica that is up, else the primary.
    pub fn read_target(&self) -> ReadTarget<'_> {
        let n = self.replicas.len();
        if n > 0 {
            let start = self.next.fetch_add(1, Ordering::Relaxed);
            let now = now_ms();
            for i in 0..n {
                let r = &self.replicas[(start + i) % n];
                if r.usable(now) {
                    return ReadTarget {
                        pool: &r.pool,
                        reads: &r.reads,
                        replica: Some(r),
                        prepared: self.prepared,
                    };
                }
            }
        }
        self.primary()
    }

    /// The primary, for reads that must see the latest writes (or when no replica is up).
    pub fn primary(&self) -> ReadTarget<'_> {
        ReadTarget {
            pool: &self.pool,
            reads: &self.reads,
            replica: None,
            prepared: self.prepared,
        }
    }
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
    settings: &ConnSettings,
) -> PoolOptions {
    options_of(
        &source.pool,
        &source.isolation_level,
        default_size,
        threads,
        settings,
    )
}

/// The pool options of each read replica of `source`, as [`options`].
pub fn replica_options(
    source: &ResolvedSource,
    default_size: usize,
    threads: usize,
    settings: &ConnSettings,
) -> Vec<(String, PoolOptions)> {
    source
        .replicas
        .iter()
        .map(|r| {
            let options = options_of(&r.pool, &r.isolation_level, default_size, threads, settings);
            (r.url.clone(), options)
        })
        .collect()
}

fn options_of(
    pool: &PoolSettings,
    isolation_level: &str,
    default_size: usize,
    threads: usize,
    settings: &ConnSettings,
) -> PoolOptions {
    let secs = |s: Option<u64>| s.filter(|s| *s > 0).map(Duration::from_secs);
    let max_size = match pool.max_connections {
        Some(n) => (n as usize / threads.max(1)).max(1),
        None => default_size,
    };
    PoolOptions {
        max_size,
        idle_timeout: secs(pool.idle_timeout),
        lifetime: secs(pool.connection_lifetime),
        wait_timeout: pool.pool_timeout.map(Duration::from_secs),
        statement_timeout: settings.statement_timeout,
        isolation: match isolation_level {
            "repeatable-read" => Some("repeatable read".into()),
            "serializable" => Some("serializable".into()),
            _ => None,
        },
    }
}

impl SourceSlot {
    /// The connections for `url` with `options` and `replicas`: the ones held if they match,
    /// else new ones (connections open on first use).
    pub fn get(
        &self,
        url: &str,
        options: &PoolOptions,
        replicas: &[(String, PoolOptions)],
        settings: &ConnSettings,
        prepared: bool,
    ) -> Result<Arc<SourceConn>, PgError> {
        if let Some(c) = self.current.read().expect("source lock").as_ref() {
            let same_replicas = c.replicas.len() == replicas.len()
                && c.replicas
                    .iter()
                    .zip(replicas)
                    .all(|(r, (u, o))| &r.url == u && &r.options == o);
            if c.url == url && &c.options == options && same_replicas && c.prepared == prepared {
                return Ok(c.clone());
            }
        }
        // Unprepared statements mark a source that may sit behind a pooler in transaction mode
        // (pgbouncer), where statements pipelined on one connection get lost: no sharing then.
        let sharing = if prepared { settings.shared } else { 0 };
        let shared = |pool: &Pool| SharedConns::new(pool.clone(), settings.depth, sharing);
        let pool = rasura_pg::lazy_pool(url, options)?;
        rasura_pg::register_source_pool(&pool, false);
        let mut held = Vec::with_capacity(replicas.len());
        for (url, options) in replicas {
            let pool = rasura_pg::lazy_pool(url, options)?;
            rasura_pg::register_source_pool(&pool, true);
            held.push(Replica {
                url: url.clone(),
                options: options.clone(),
                reads: shared(&pool),
                pool,
                failed_at: AtomicU64::new(0),
            });
        }
        let conn = Arc::new(SourceConn {
            url: url.to_string(),
            options: options.clone(),
            reads: shared(&pool),
            pool,
            replicas: held,
            next: AtomicUsize::new(0),
            prepared,
        });
        *self.current.write().expect("source lock") = Some(conn.clone());
        Ok(conn)
    }

    /// Closes connections idle or open longer than the source's settings allow.
    pub fn prune(&self) {
        if let Some(c) = self.current.read().expect("source lock").as_ref() {
            rasura_pg::prune(&c.pool, &c.options);
            for r in &c.replicas {
                rasura_pg::prune(&r.pool, &r.options);
            }
        }
    }
}
