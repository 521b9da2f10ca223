//! Read connections shared by concurrent queries. A query (no transaction) does not need a
//! connection to itself: tokio-postgres pipelines statements sent on one connection, so a few
//! connections, each with several statements in flight, keep a few PostgreSQL backends busy
//! instead of waking one sleeping backend per request. Writes keep taking a pooled connection of
//! their own (they run in a transaction).
//!
//! A query goes to the first connection with room, so queries pack onto as few busy backends as
//! possible. A statement queued on a busy connection waits for the ones ahead of it, so a busy
//! connection has room while the expected wait there stays under the queue budget ([`QUEUE_BUDGET`]
//! by default: its statements in flight times how long one has been taking lately, and at least
//! the time since one last finished); past it, another connection is taken while the limit
//! allows. With the limit reached (a loaded engine), queries queue where the expected wait is
//! shortest, up to the depth; a connection on which nothing has finished for
//! [`STALLED_AFTER`] (a slow or stuck statement) takes none, and with no place left a query takes
//! a pooled connection of its own, as without sharing.

use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::PgError;
use crate::Pool;

/// The longest a statement is expected to wait behind others on a shared connection before
/// another connection is taken (while the limit allows).
pub const QUEUE_BUDGET: Duration = Duration::from_millis(2);

/// Nothing finished on a busy connection for this long: it takes no more statements.
pub const STALLED_AFTER: Duration = Duration::from_millis(20);

/// A connection a query runs on: shared with other queries or its own.
pub struct SharedConn(Arc<Slot>);

/// One pooled connection, when a statement on it last finished (or it last went busy), and how
/// long statements have been taking on it.
struct Slot {
    client: deadpool_postgres::Object,
    epoch: Instant,
    /// Microseconds since `epoch`.
    progress: AtomicU64,
    /// Moving average of the time between statements finishing while busy, in microseconds.
    service: AtomicU64,
}

impl Slot {
    fn new(client: deadpool_postgres::Object) -> Slot {
        Slot {
            client,
            epoch: Instant::now(),
            progress: AtomicU64::new(0),
            service: AtomicU64::new(0),
        }
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }

    /// The connection went busy: the clock for its first statement starts.
    fn went_busy(&self) {
        self.progress.store(self.now(), Ordering::Relaxed);
    }

    /// A statement finished: it took the time since the previous one finished (or since busy).
    fn finished(&self) {
        let now = self.now();
        let took = now.saturating_sub(self.progress.swap(now, Ordering::Relaxed));
        let avg = self.service.load(Ordering::Relaxed);
        self.service.store((avg * 3 + took) / 4, Ordering::Relaxed);
    }

    /// Microseconds since a statement last finished (or the connection went busy).
    fn waiting(&self) -> u64 {
        self.now()
            .saturating_sub(self.progress.load(Ordering::Relaxed))
    }

    /// How long a statement queued now would wait (microseconds), with `ahead` in flight.
    fn expected_wait(&self, ahead: usize) -> u64 {
        (self.service.load(Ordering::Relaxed) * ahead as u64).max(self.waiting())
    }
}

impl Deref for SharedConn {
    type Target = deadpool_postgres::Object;
    fn deref(&self) -> &deadpool_postgres::Object {
        &self.0.client
    }
}

impl Drop for SharedConn {
    fn drop(&mut self) {
        self.0.finished();
    }
}

impl SharedConn {
    /// Whether this connection is the query's alone (not shared with other queries): only then
    /// may its running statement be cancelled on the query's behalf.
    pub fn exclusive(&self) -> bool {
        Arc::strong_count(&self.0) == 1
    }

    /// Whether two queries run on the same connection.
    pub fn same(a: &SharedConn, b: &SharedConn) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }

    fn share(slot: &Arc<Slot>) -> SharedConn {
        if in_flight(slot) == 0 {
            slot.went_busy();
        }
        SharedConn(slot.clone())
    }
}

/// Queries in flight on a connection kept in the list (the list holds one reference).
fn in_flight(slot: &Arc<Slot>) -> usize {
    Arc::strong_count(slot) - 1
}

/// Up to `max` connections taken from the pool for good, each given queries while the expected
/// wait allows (see the module's text), up to `depth` at once.
pub struct SharedConns {
    pool: Pool,
    state: Mutex<Conns>,
    depth: usize,
    max: usize,
    /// Microseconds.
    budget: u64,
}

#[derive(Default)]
struct Conns {
    open: Vec<Arc<Slot>>,
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

/// What a query gets: a place on an open connection, a new shared one, or one of its own.
enum Choice<'a> {
    Share(SharedConn),
    Open(Reservation<'a>),
    Own,
}

impl SharedConns {
    /// `max` 0 turns sharing off: every query takes a pooled connection of its own.
    pub fn new(pool: Pool, depth: usize, max: usize) -> SharedConns {
        SharedConns {
            pool,
            state: Mutex::new(Conns::default()),
            depth: depth.max(1),
            max,
            budget: QUEUE_BUDGET.as_micros() as u64,
        }
    }

    /// The longest expected wait behind other statements before another connection is taken.
    pub fn queue_budget(mut self, budget: Duration) -> SharedConns {
        self.budget = budget.as_micros() as u64;
        self
    }

    /// A connection to run a query on (held until the query's statements are done).
    pub async fn get(&self) -> Result<SharedConn, PgError> {
        if self.max == 0 {
            return self.own().await;
        }
        match self.choose() {
            Choice::Share(conn) => Ok(conn),
            Choice::Own => self.own().await,
            Choice::Open(reservation) => {
                let slot = Arc::new(Slot::new(self.pool.get().await?));
                let conn = SharedConn::share(&slot);
                let mut s = self.state.lock().expect("shared connections lock");
                s.open.push(slot);
                drop(s);
                drop(reservation);
                Ok(conn)
            }
        }
    }

    fn choose(&self) -> Choice<'_> {
        let mut s = self.state.lock().expect("shared connections lock");
        s.open.retain(|c| !c.client.is_closed());
        // The first with room, not the least busy: queries pack onto as few backends as the
        // budget allows, and later connections take only what the first ones cannot.
        if let Some(c) = s.open.iter().find(|c| self.has_room(c)) {
            return Choice::Share(SharedConn::share(c));
        }
        if s.open.len() + s.pending < self.max {
            s.pending += 1;
            return Choice::Open(Reservation(&self.state));
        }
        match self.shortest_queue(&s.open) {
            Some(c) => Choice::Share(SharedConn::share(c)),
            // Every shared connection full or stalled: one of its own, as without sharing.
            None => Choice::Own,
        }
    }

    /// Whether a connection can take another statement within the budget.
    fn has_room(&self, slot: &Arc<Slot>) -> bool {
        let ahead = in_flight(slot);
        ahead == 0 || (ahead < self.depth && slot.expected_wait(ahead) < self.budget)
    }

    /// Where a statement waits least with every connection past the budget: one that is moving
    /// and under the depth.
    fn shortest_queue<'a>(&self, open: &'a [Arc<Slot>]) -> Option<&'a Arc<Slot>> {
        let stalled = STALLED_AFTER.as_micros() as u64;
        open.iter()
            .filter(|c| in_flight(c) < self.depth && c.waiting() < stalled)
            .min_by_key(|c| c.expected_wait(in_flight(c)))
    }

    async fn own(&self) -> Result<SharedConn, PgError> {
        Ok(SharedConn(Arc::new(Slot::new(self.pool.get().await?))))
    }

    /// A query abandoned `conn` before its statement finished (its client went away, or it ran
    /// out of time). When no other query has a statement queued there, the connection leaves
    /// the shared list first (so nothing new joins it) and its cancel token is returned: what
    /// runs on that backend is then the abandoned statement or nothing. A connection shared
    /// with other statements is left alone (`None`).
    pub fn abandon(&self, conn: &SharedConn) -> Option<tokio_postgres::CancelToken> {
        if conn.exclusive() {
            return Some(conn.0.client.cancel_token());
        }
        let mut s = self.state.lock().expect("shared connections lock");
        if in_flight(&conn.0) != 1 {
            return None;
        }
        s.open.retain(|c| !Arc::ptr_eq(c, &conn.0));
        Some(conn.0.client.cancel_token())
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
