//! The delivery loop: claims due events (`FOR UPDATE SKIP LOCKED`, so engines sharing a
//! database never take the same one), delivers each on its own task with at most
//! `http_pool_size` in flight, and records outcomes in batches. It wakes on the
//! `LISTEN` channel that every captured change notifies, and on `fetch_interval` for retries.
//!
//! On shutdown it stops claiming, waits (up to `graceful_shutdown`) for deliveries in flight,
//! records them, and releases the claims it still holds. Claims of an engine that died are
//! taken back by the survivors (and at start) through its vanished advisory lock.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::Duration;

use rasura_pg::Pool;
use rasura_resolve::ResolvedMetadata;
use tokio::sync::{mpsc, watch, Notify, Semaphore};
use tokio_postgres::{AsyncMessage, NoTls};

use crate::store::{self, Attempt, Outcome};

/// Tuning, with Hasura's defaults.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    pub database_url: String,
    /// Deliveries in flight at once (`HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE`, 100).
    pub http_pool_size: usize,
    /// Events claimed per fetch (`HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE`, 100).
    pub fetch_batch_size: usize,
    /// Sleep after an empty fetch when no notification comes
    /// (`HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL`, 1 s).
    pub fetch_interval: Duration,
    /// How long shutdown waits for deliveries in flight
    /// (`HASURA_GRAPHQL_GRACEFUL_SHUTDOWN_TIMEOUT`, 60 s).
    pub graceful_shutdown: Duration,
}

impl DeliveryConfig {
    pub fn new(database_url: &str) -> DeliveryConfig {
        DeliveryConfig {
            database_url: database_url.to_string(),
            http_pool_size: 100,
            fetch_batch_size: 100,
            fetch_interval: Duration::from_secs(1),
            graceful_shutdown: Duration::from_secs(60),
        }
    }
}

/// Where the loop reads the current triggers (the engine's latest resolved metadata).
pub type Triggers = Arc<dyn Fn() -> Arc<ResolvedMetadata> + Send + Sync>;

/// How often claims of dead engines are looked for.
const RECLAIM_EVERY: Duration = Duration::from_secs(5);

/// A running delivery loop.
pub struct Deliverer {
    stop: watch::Sender<bool>,
    done: tokio::task::JoinHandle<()>,
}

impl Deliverer {
    /// Starts the loop on the current runtime.
    pub fn start(config: DeliveryConfig, pool: Pool, triggers: Triggers) -> Deliverer {
        let (stop, stop_rx) = watch::channel(false);
        let done = tokio::spawn(run(config, pool, triggers, stop_rx));
        Deliverer { stop, done }
    }

    /// Stops claiming, lets deliveries in flight finish, records them, releases claims.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.done.await;
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

/// Opens a listening connection on `channel`, takes a fresh engine id's advisory lock on it,
/// and forwards notifications to `wake`. Returns the id; the connection lives on its own task
/// until it breaks, and `lost` is notified then. (Scheduled triggers use it too: claims of
/// both carry ids of this one lock space.)
pub async fn listen(
    url: &str,
    channel: &str,
    wake: Arc<Notify>,
    lost: Arc<Notify>,
) -> Result<i32, tokio_postgres::Error> {
    let (client, mut conn) = tokio_postgres::connect(url, NoTls).await?;
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
        let row = client
            .query_one(
                "SELECT pg_try_advisory_lock($1, $2)",
                &[&store::LOCK_SPACE, &id],
            )
            .await?;
        if row.get::<_, bool>(0) {
            break id;
        }
    };
    client.batch_execute(&format!("LISTEN {channel}")).await?;
    tokio::spawn(async move {
        // The client must live as long as the connection: it holds the session.
        let _client = client;
        while rx.recv().await.is_some() {
            wake.notify_one();
        }
        lost.notify_one();
    });
    Ok(id)
}

async fn run(
    config: DeliveryConfig,
    pool: Pool,
    triggers: Triggers,
    mut stop: watch::Receiver<bool>,
) {
    let wake = Arc::new(Notify::new());
    let lost = Arc::new(Notify::new());
    let mut engine_id = loop {
        match listen(
            &config.database_url,
            store::CHANNEL,
            wake.clone(),
            lost.clone(),
        )
        .await
        {
            Ok(id) => break id,
            Err(e) => {
                tracing::warn!("event delivery: cannot open the listening connection: {e}");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.changed() => return,
                }
            }
        }
    };
    tracing::info!(engine_id, "event delivery started");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(config.http_pool_size)
        .build()
        .unwrap_or_default();
    let permits = Arc::new(Semaphore::new(config.http_pool_size));
    let (record_tx, record_rx) = mpsc::unbounded_channel::<Attempt>();
    let recorder_stop = Arc::new(Notify::new());
    let recorder = tokio::spawn(record_loop(
        pool.clone(),
        record_rx,
        recorder_stop.clone(),
        |c, batch| {
            Box::pin(async move { store::record(&***c, batch).await.map_err(|e| e.to_string()) })
        },
    ));
    let mut last_reclaim: Option<std::time::Instant> = None;
    let mut last_cleanup_minute = unix_now() / 60;
    loop {
        if *stop.borrow() {
            break;
        }
        if last_reclaim.is_none_or(|t| t.elapsed() >= RECLAIM_EVERY) {
            last_reclaim = Some(std::time::Instant::now());
            match pool.get().await {
                Ok(c) => match store::reclaim_dead(&**c).await {
                    Ok(n) if n > 0 => tracing::info!(
                        events = n,
                        "event delivery: took back the claims of a stopped engine"
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::warn!("event delivery: {e}"),
                },
                Err(e) => tracing::warn!("event delivery: {e}"),
            }
        }
        let resolved = triggers();
        let minute = unix_now() / 60;
        if minute != last_cleanup_minute {
            last_cleanup_minute = minute;
            scheduled_cleanups(&pool, &resolved, minute * 60);
        }
        let names: Vec<String> = resolved
            .event_triggers
            .iter()
            .map(|t| t.name.clone())
            .collect();
        let free = permits.available_permits().min(config.fetch_batch_size);
        if free == 0 {
            tokio::select! {
                p = permits.clone().acquire_owned() => drop(p),
                _ = stop.changed() => {}
            }
            continue;
        }
        let claimed = if names.is_empty() {
            Ok(vec![])
        } else {
            match pool.get().await {
                Ok(c) => store::claim(&**c, &names, free as i64, engine_id).await,
                Err(e) => {
                    tracing::warn!("event delivery: {e}");
                    Ok(vec![])
                }
            }
        };
        let events = match claimed {
            Ok(events) => events,
            Err(e) => {
                tracing::warn!("event delivery: cannot claim events: {e}");
                vec![]
            }
        };
        let full = events.len() == free;
        for e in events {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            let trigger = resolved
                .event_triggers
                .iter()
                .find(|t| t.name == e.trigger)
                .cloned();
            let http = http.clone();
            let record_tx = record_tx.clone();
            tokio::spawn(async move {
                let attempt = match trigger {
                    Some(t) => crate::deliver::deliver(&http, &t, &e).await,
                    None => Attempt {
                        event_id: e.id.clone(),
                        trigger: e.trigger.clone(),
                        status: None,
                        request: None,
                        response: None,
                        outcome: Outcome::Postponed(60),
                    },
                };
                let _ = record_tx.send(attempt);
                drop(permit);
            });
        }
        if full {
            continue;
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(config.fetch_interval) => {}
            _ = stop.changed() => {}
            _ = lost.notified() => {
                // The listening session (and with it this engine's lock) is gone: claims
                // made under the old id may be taken back by others; carry on under a new one.
                if let Ok(id) = listen(&config.database_url, store::CHANNEL, wake.clone(), lost.clone()).await {
                    tracing::warn!(old = engine_id, new = id, "event delivery: listening connection re-opened");
                    engine_id = id;
                }
            }
        }
    }
    // Shutdown: wait for deliveries in flight, then record them and release what is left.
    let all = config.http_pool_size as u32;
    if tokio::time::timeout(config.graceful_shutdown, permits.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!(
            "event delivery: deliveries still in flight at shutdown are left to be retried"
        );
    }
    drop(record_tx);
    // Deliveries still hanging hold senders: tell the recorder to write what it has and stop.
    recorder_stop.notify_one();
    let _ = tokio::time::timeout(Duration::from_secs(10), recorder).await;
    match pool.get().await {
        Ok(c) => match store::release(&**c, engine_id).await {
            Ok(n) => tracing::info!(released = n, "event delivery stopped"),
            Err(e) => tracing::warn!("event delivery: cannot release claims: {e}"),
        },
        Err(e) => tracing::warn!("event delivery: cannot release claims: {e}"),
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Starts the cleanups whose cron schedule matches this minute (one engine runs each: an
/// advisory lock per trigger and minute).
fn scheduled_cleanups(pool: &Pool, resolved: &ResolvedMetadata, minute_start: u64) {
    use rasura_metadata::cron_triggers::{fires_at, parse_schedule};
    let Some(minute) = chrono::DateTime::<chrono::Utc>::from_timestamp(minute_start as i64, 0)
    else {
        return;
    };
    for t in &resolved.event_triggers {
        let Some(c) = t.cleanup.clone().filter(|c| !c.paused) else {
            continue;
        };
        if !parse_schedule(&c.schedule).is_ok_and(|s| fires_at(&s, minute)) {
            continue;
        }
        let (pool, name) = (pool.clone(), t.name.clone());
        tokio::spawn(async move {
            let result = async {
                let mut client = pool.get().await.map_err(|e| e.to_string())?;
                let tx = client.transaction().await.map_err(|e| e.to_string())?;
                let key = format!("{name}@{minute_start}");
                let mine: bool = tx
                    .query_one("SELECT pg_try_advisory_xact_lock(hashtext($1))", &[&key])
                    .await
                    .map_err(|e| e.to_string())?
                    .get(0);
                if !mine {
                    return Ok((0, 0));
                }
                let n = crate::cleanup::run(
                    &*tx,
                    &name,
                    c.clear_older_than_hours,
                    c.batch_size,
                    c.clean_invocation_logs,
                    c.timeout_secs,
                )
                .await
                .map_err(|e| e.to_string())?;
                tx.commit().await.map_err(|e| e.to_string())?;
                Ok::<_, String>(n)
            }
            .await;
            match result {
                Ok((e, i)) => {
                    tracing::info!(trigger = %name, events = e, invocations = i, "event log cleanup")
                }
                Err(e) => tracing::warn!(trigger = %name, "event log cleanup failed: {e}"),
            }
        });
    }
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
pub async fn record_loop<A: Send + 'static>(
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
