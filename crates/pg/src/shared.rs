//! Read connections shared by concurrent queries. A query (no transaction) does not need a
//! connection to itself: tokio-postgres pipelines statements sent on one connection, so a few
//! connections, each with several statements in flight, keep a few PostgreSQL backends busy
//! instead of waking one sleeping backend per request. Writes keep taking a pooled connection of
//! their own (they run in a transaction).

use std::sync::{Arc, Mutex};

use crate::error::PgError;
use crate::Pool;

/// A pooled connection some queries are using at the same time.
pub type SharedConn = Arc<deadpool_postgres::Object>;

/// Up to `max` connections taken from the pool for good, each given to up to `depth` queries at
/// once before another is taken; with `max` taken, the least busy one takes more.
pub struct SharedConns {
    pool: Pool,
    state: Mutex<Conns>,
    depth: usize,
    max: usize,
}

#[derive(Default)]
struct Conns {
    open: Vec<SharedConn>,
    /// Connections being taken from the pool to join `open`.
    pending: usize,
}

/// Gives back a reserved place in `open` if taking the connection fails or is abandoned.
struct Reservation<'a>(&'a Mutex<Conns>);

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.0.lock().expect("shared connections lock").pending -= 1;
    }
}

impl SharedConns {
    /// `max` 0 turns sharing off: every query takes a pooled connection of its own.
    pub fn new(pool: Pool, depth: usize, max: usize) -> SharedConns {
        SharedConns {
            pool,
            state: Mutex::new(Conns::default()),
            depth: depth.max(1),
            max,
        }
    }

    /// A connection to run a query on (held until the query's statements are done).
    pub async fn get(&self) -> Result<SharedConn, PgError> {
        if self.max == 0 {
            return Ok(Arc::new(self.pool.get().await?));
        }
        let reservation = {
            let mut s = self.state.lock().expect("shared connections lock");
            s.open.retain(|c| !c.is_closed());
            let full = s.open.len() + s.pending >= self.max;
            // In use by others: the strong count minus the list's own reference.
            if let Some(least) = s.open.iter().min_by_key(|c| Arc::strong_count(c)) {
                if Arc::strong_count(least) - 1 < self.depth || full {
                    return Ok(least.clone());
                }
            }
            if full {
                None // nothing open yet, all places reserved: a connection of its own
            } else {
                s.pending += 1;
                Some(Reservation(&self.state))
            }
        };
        let conn = Arc::new(self.pool.get().await?);
        if let Some(reservation) = reservation {
            self.state
                .lock()
                .expect("shared connections lock")
                .open
                .push(conn.clone());
            drop(reservation);
        }
        Ok(conn)
    }

    /// How many connections are kept open for sharing.
    pub fn open(&self) -> usize {
        self.state
            .lock()
            .expect("shared connections lock")
            .open
            .len()
    }
}
