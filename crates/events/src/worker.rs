//! The delivery loop: claims due events (`FOR UPDATE SKIP LOCKED`, so engines sharing a
//! database never take the same one), delivers each on its own task with at most
//! `http_pool_size` in flight, and records outcomes in batches. It wakes on the
//! `LISTEN` channel that every captured change notifies, and on `fetch_interval` for retries.
//!
//! On shutdown it stops claiming, waits (up to `graceful_shutdown`) for deliveries in flight,
//! records them, and releases the claims it still holds. Claims of an engine that died are
//! taken back by the survivors (and at start) once its lease runs out.

use std::sync::Arc;
use std::time::Duration;

use rasura_pg::Pool;
use rasura_resolve::ResolvedMetadata;
use tokio::sync::watch;

use crate::session::Session;
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

async fn run(
    config: DeliveryConfig,
    pool: Pool,
    triggers: Triggers,
    mut stop: watch::Receiver<bool>,
) {
    let Some(session) = Session::open(
        &config.database_url,
        store::CHANNEL,
        "event delivery",
        config.http_pool_size,
        &pool,
        |c, batch| {
            Box::pin(async move { store::record(&***c, batch).await.map_err(|e| e.to_string()) })
        },
        &mut stop,
    )
    .await
    else {
        return;
    };
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
        let free = session
            .permits
            .available_permits()
            .min(config.fetch_batch_size);
        if free == 0 {
            tokio::select! {
                p = session.permits.clone().acquire_owned() => drop(p),
                _ = stop.changed() => {}
            }
            continue;
        }
        let claimed = if names.is_empty() {
            Ok(vec![])
        } else {
            match pool.get().await {
                Ok(c) => store::claim(&**c, &names, free as i64, session.engine_id()).await,
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
            let Ok(permit) = session.permits.clone().acquire_owned().await else {
                break;
            };
            let trigger = resolved
                .event_triggers
                .iter()
                .find(|t| t.name == e.trigger)
                .cloned();
            let http = session.http.clone();
            let record_tx = session.record_tx.clone();
            tokio::spawn(async move {
                let attempt = match trigger {
                    Some(t) => {
                        let started = std::time::Instant::now();
                        let attempt = crate::deliver::deliver(&http, &t, &e).await;
                        record(&attempt, started.elapsed());
                        attempt
                    }
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
            _ = session.wake.notified() => {}
            _ = tokio::time::sleep(config.fetch_interval) => {}
            _ = stop.changed() => {}
            _ = session.lost.notified() => session.reopen().await,
        }
    }
    session
        .close(config.graceful_shutdown, &pool, |c, id| {
            Box::pin(async move { store::release(&***c, id).await.map_err(|e| e.to_string()) })
        })
        .await;
}

/// An attempt in `/v1/metrics`: `hasura_event_invocations_total{status, trigger_name}`, the
/// webhook's time, and `hasura_event_processed_total` once the event is done (delivered, or
/// failed for good).
fn record(attempt: &Attempt, took: std::time::Duration) {
    let status = if attempt.outcome == Outcome::Delivered {
        "success"
    } else {
        "failed"
    };
    let trigger = attempt.trigger.clone();
    metrics::counter!("hasura_event_invocations_total", "status" => status, "trigger_name" => trigger.clone())
        .increment(1);
    metrics::histogram!("hasura_event_webhook_processing_time_seconds", "trigger_name" => trigger.clone())
        .record(took.as_secs_f64());
    if matches!(attempt.outcome, Outcome::Delivered | Outcome::Failed) {
        metrics::counter!("hasura_event_processed_total", "status" => status, "trigger_name" => trigger)
            .increment(1);
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
                    .query_typed_one(
                        "SELECT pg_try_advisory_xact_lock(hashtext($1))",
                        &[(&key, tokio_postgres::types::Type::TEXT)],
                    )
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
