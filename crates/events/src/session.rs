//! What both delivery loops (event triggers here, scheduled events in `rasura-scheduled`)
//! hold while they run: a listening session whose renewed lease gives the engine its id, the
//! HTTP client, the permits that bound deliveries in flight, and the recorder that writes
//! outcomes in batches; and the orderly close (wait for deliveries, record, release claims).

use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::pin::Pin;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rasura_pg::Pool;
use tokio::sync::{mpsc, watch, Notify, Semaphore};
use tokio::task::JoinHandle;
use tokio_postgres::AsyncMessage;

/// Releases the claims an engine id still holds; answers how many.
pub type Release = for<'a> fn(
    &'a deadpool_postgres::Client,
    i32,
) -> Pin<Box<dyn Future<Output = Result<u64, String>> + Send + 'a>>;

/// A delivery loop's running parts.
pub struct Session<A> {
    /// The engine id claims are made under (its advisory lock lives with the listening
    /// session); see [`Session::engine_id`].
    engine_id: AtomicI32,
    /// Notified on each notification of the channel.
    pub wake: Arc<Notify>,
    /// Notified when the listening session breaks (see [`Session::reopen`]).
    pub lost: Arc<Notify>,
    pub http: reqwest::Client,
    /// One permit per delivery in flight.
    pub permits: Arc<Semaphore>,
    /// Where finished attempts go to be recorded.
    pub record_tx: mpsc::UnboundedSender<A>,
    recorder_stop: Arc<Notify>,
    recorder: JoinHandle<()>,
    database_url: String,
    channel: &'static str,
    label: &'static str,
    in_flight: usize,
}

impl<A: Send + 'static> Session<A> {
    /// Opens the listening session on `channel` (trying again each second until it opens, or
    /// `None` once `stop` is set) and starts the recorder with `write`. `label` names the loop
    /// in logs.
    pub async fn open(
        database_url: &str,
        channel: &'static str,
        label: &'static str,
        in_flight: usize,
        pool: &Pool,
        write: WriteBatch<A>,
        stop: &mut watch::Receiver<bool>,
    ) -> Option<Session<A>> {
        let wake = Arc::new(Notify::new());
        let lost = Arc::new(Notify::new());
        let engine_id = loop {
            match listen(database_url, channel, wake.clone(), lost.clone()).await {
                Ok(id) => break id,
                Err(e) => {
                    tracing::warn!("{label}: cannot open the listening connection: {e}");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                        _ = stop.changed() => return None,
                    }
                }
            }
        };
        tracing::info!(engine_id, "{label} started");
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(in_flight)
            .build()
            .unwrap_or_default();
        let (record_tx, record_rx) = mpsc::unbounded_channel::<A>();
        let recorder_stop = Arc::new(Notify::new());
        let recorder = tokio::spawn(record_loop(
            pool.clone(),
            record_rx,
            recorder_stop.clone(),
            write,
        ));
        Some(Session {
            engine_id: AtomicI32::new(engine_id),
            wake,
            lost,
            http,
            permits: Arc::new(Semaphore::new(in_flight)),
            record_tx,
            recorder_stop,
            recorder,
            database_url: database_url.to_string(),
            channel,
            label,
            in_flight,
        })
    }

    /// The engine id to claim under now.
    pub fn engine_id(&self) -> i32 {
        self.engine_id.load(Ordering::Relaxed)
    }

    /// After [`Session::lost`]: the listening session (and with it the engine's lock) is gone,
    /// so claims made under the old id may be taken back by others; carry on under a new one.
    pub async fn reopen(&self) {
        let (wake, lost) = (self.wake.clone(), self.lost.clone());
        if let Ok(id) = listen(&self.database_url, self.channel, wake, lost).await {
            let label = self.label;
            let old = self.engine_id.swap(id, Ordering::Relaxed);
            tracing::warn!(old, new = id, "{label}: listening connection re-opened");
        }
    }

    /// Waits up to `graceful` for deliveries in flight, records every outcome, and releases
    /// the claims still held with `release`.
    pub async fn close(self, graceful: Duration, pool: &Pool, release: Release) {
        let (label, engine_id) = (self.label, self.engine_id());
        let all = self.in_flight as u32;
        if tokio::time::timeout(graceful, self.permits.acquire_many(all))
            .await
            .is_err()
        {
            tracing::warn!(
                "{label}: deliveries still in flight at shutdown are left to be retried"
            );
        }
        drop(self.record_tx);
        // Deliveries still hanging hold senders: tell the recorder to write what it has and stop.
        self.recorder_stop.notify_one();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.recorder).await;
        let released = match pool.get().await {
            Ok(c) => {
                let released = release(&c, engine_id).await;
                let _ = crate::store::end_lease(&c, engine_id).await;
                released
            }
            Err(e) => Err(e.to_string()),
        };
        match released {
            Ok(n) => tracing::info!(released = n, "{label} stopped"),
            Err(e) => tracing::warn!("{label}: cannot release claims: {e}"),
        }
    }
}

fn random_id() -> i32 {
    let mut h = RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    ((h.finish() & 0x7fff_fffe) + 1) as i32
}

/// Opens a listening connection on `channel`, takes a lease for a fresh engine id and renews
/// it on that connection, and forwards notifications to `wake`. Returns the id; the connection
/// lives on its own task until it breaks or the lease cannot be renewed, and `lost` is
/// notified then. (Claims of event triggers and of scheduled events carry these ids.)
async fn listen(
    url: &str,
    channel: &str,
    wake: Arc<Notify>,
    lost: Arc<Notify>,
) -> Result<i32, Box<dyn std::error::Error + Send + Sync>> {
    let (config, tls) = rasura_pg::connect_config(url)?;
    let (client, mut conn) = config.connect(tls).await?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|cx| conn.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(_))) => {
                    let _ = tx.send(());
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            }
        }
    });
    let id = loop {
        let id = random_id();
        if crate::store::take_lease(&client, id).await? {
            break id;
        }
    };
    // Wakes deliveries at once on a direct connection; a pooler in transaction mode drops the
    // subscription, and polling covers that.
    client.batch_execute(&format!("LISTEN {channel}")).await?;
    tokio::spawn(async move {
        let mut renew = tokio::time::interval(crate::store::LEASE_RENEW);
        renew.tick().await;
        loop {
            tokio::select! {
                note = rx.recv() => match note {
                    Some(()) => wake.notify_one(),
                    None => break,
                },
                _ = renew.tick() => {
                    // A lease that cannot be renewed (taken for dead, or the database out of
                    // reach): carry on under a new id.
                    if !matches!(crate::store::renew_lease(&client, id).await, Ok(true)) {
                        break;
                    }
                }
            }
        }
        lost.notify_one();
    });
    Ok(id)
}

/// Writes one batch of outcomes on a connection.
pub type WriteBatch<A> = for<'a> fn(
    &'a deadpool_postgres::Client,
    &'a [A],
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<u64, String>> + Send + 'a>,
>;

/// Writes outcomes in batches of whatever has arrived (with `write`); keeps a batch until it
/// is written. On `stop` it writes what has arrived and returns.
async fn record_loop<A: Send + 'static>(
    pool: Pool,
    mut rx: mpsc::UnboundedReceiver<A>,
    stop: Arc<Notify>,
    write: WriteBatch<A>,
) {
    let mut batch: Vec<A> = Vec::new();
    let mut stopping = false;
    loop {
        if batch.is_empty() {
            if stopping {
                return;
            }
            tokio::select! {
                a = rx.recv() => match a {
                    Some(a) => batch.push(a),
                    None => return,
                },
                _ = stop.notified() => {
                    stopping = true;
                    while let Ok(a) = rx.try_recv() {
                        batch.push(a);
                    }
                    if batch.is_empty() {
                        return;
                    }
                }
            }
        }
        while batch.len() < 500 {
            match rx.try_recv() {
                Ok(a) => batch.push(a),
                Err(_) => break,
            }
        }
        let written = match pool.get().await {
            Ok(c) => write(&c, &batch).await,
            Err(e) => Err(e.to_string()),
        };
        match written {
            Ok(_) => {
                batch.clear();
                if stopping {
                    while let Ok(a) = rx.try_recv() {
                        batch.push(a);
                    }
                }
            }
            Err(e) => {
                tracing::warn!("cannot record {} delivery outcomes: {e}", batch.len());
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}
