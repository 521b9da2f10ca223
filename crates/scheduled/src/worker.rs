//! The delivery loop of scheduled events: claims due cron and one-off events
//! (`FOR UPDATE SKIP LOCKED`, so engines sharing a database never take the same one),
//! delivers each on its own task with at most `http_pool_size` in flight, and records
//! outcomes in batches. Between rounds it sleeps until the next event is due (read from the
//! database), woken early by `NOTIFY rasura_scheduled` (new events, changed schedules) and
//! by retries coming due; there is no polling interval.
//!
//! Every minute it tops cron triggers up to their events ahead; every few seconds it takes
//! back the events of engines that died. On shutdown it waits for deliveries in flight and
//! puts what it still holds back to scheduled.

use std::time::{Duration, Instant};

use rasura_events::session::Session;
use rasura_events::worker::Triggers;
use rasura_pg::Pool;
use tokio::sync::watch;

use crate::store::{self, Attempt, Kind, Outcome};

/// Tuning (the event-trigger settings apply).
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    pub database_url: String,
    /// Deliveries in flight at once.
    pub http_pool_size: usize,
    /// Events claimed per round.
    pub fetch_batch_size: usize,
    /// How long shutdown waits for deliveries in flight.
    pub graceful_shutdown: Duration,
}

impl SchedulerConfig {
    pub fn new(database_url: &str) -> SchedulerConfig {
        SchedulerConfig {
            database_url: database_url.to_string(),
            http_pool_size: 100,
            fetch_batch_size: 100,
            graceful_shutdown: Duration::from_secs(60),
        }
    }
}

/// How often claims of dead engines are looked for.
const RECLAIM_EVERY: Duration = Duration::from_secs(5);
/// How often cron triggers are topped up.
const TOP_UP_EVERY: Duration = Duration::from_secs(60);
/// The longest sleep (a safety net: schedules are also announced by notification).
const MAX_SLEEP: Duration = Duration::from_secs(30);

/// A running scheduled-event loop.
pub struct Scheduler {
    stop: watch::Sender<bool>,
    done: tokio::task::JoinHandle<()>,
}

impl Scheduler {
    /// Starts the loop on the current runtime.
    pub fn start(config: SchedulerConfig, pool: Pool, triggers: Triggers) -> Scheduler {
        let (stop, stop_rx) = watch::channel(false);
        let done = tokio::spawn(run(config, pool, triggers, stop_rx));
        Scheduler { stop, done }
    }

    /// Stops claiming, lets deliveries in flight finish, records them, releases claims.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.done.await;
    }
}

async fn run(
    config: SchedulerConfig,
    pool: Pool,
    triggers: Triggers,
    mut stop: watch::Receiver<bool>,
) {
    let Some(session) = Session::open(
        &config.database_url,
        store::CHANNEL,
        "scheduled event delivery",
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
    let mut last_reclaim: Option<Instant> = None;
    let mut last_top_up: Option<Instant> = None;
    loop {
        if *stop.borrow() {
            break;
        }
        let resolved = triggers();
        let names: Vec<String> = resolved
            .cron_triggers
            .iter()
            .map(|t| t.name.clone())
            .collect();
        if last_reclaim.is_none_or(|t| t.elapsed() >= RECLAIM_EVERY) {
            last_reclaim = Some(Instant::now());
            maintain(&pool, "take back the claims of stopped engines", |c| {
                Box::pin(async move { store::reclaim_dead(c).await })
            })
            .await;
        }
        if last_top_up.is_none_or(|t| t.elapsed() >= TOP_UP_EVERY) {
            last_top_up = Some(Instant::now());
            let list: Vec<(String, String)> = resolved
                .cron_triggers
                .iter()
                .map(|t| (t.name.clone(), t.schedule.clone()))
                .collect();
            maintain(&pool, "top up cron events", move |c| {
                Box::pin(async move {
                    crate::sync::top_up(
                        c,
                        &list,
                        chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()),
                    )
                    .await
                })
            })
            .await;
        }
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
        let mut claimed = vec![];
        match pool.get().await {
            Ok(c) => {
                if !names.is_empty() {
                    match store::claim(&**c, Kind::Cron, &names, free as i64, session.engine_id())
                        .await
                    {
                        Ok(mut e) => claimed.append(&mut e),
                        Err(e) => tracing::warn!("scheduled events: cannot claim: {e}"),
                    }
                }
                let left = free - claimed.len();
                if left > 0 {
                    match store::claim(&**c, Kind::OneOff, &[], left as i64, session.engine_id())
                        .await
                    {
                        Ok(mut e) => claimed.append(&mut e),
                        Err(e) => tracing::warn!("scheduled events: cannot claim: {e}"),
                    }
                }
            }
            Err(e) => tracing::warn!("scheduled events: {e}"),
        }
        let full = claimed.len() == free;
        for e in claimed {
            let Ok(permit) = session.permits.clone().acquire_owned().await else {
                break;
            };
            let trigger = match &e.trigger {
                Some(name) => resolved
                    .cron_triggers
                    .iter()
                    .find(|t| &t.name == name)
                    .cloned(),
                None => None,
            };
            let (http, record_tx, wake) = (
                session.http.clone(),
                session.record_tx.clone(),
                session.wake.clone(),
            );
            tokio::spawn(async move {
                let attempt = if e.kind == Kind::Cron && trigger.is_none() {
                    Attempt {
                        kind: e.kind,
                        event_id: e.id.clone(),
                        status: None,
                        request: None,
                        response: None,
                        outcome: Outcome::Postponed(60),
                    }
                } else {
                    let attempt = crate::deliver::deliver(&http, &e, trigger.as_ref()).await;
                    record(&attempt);
                    attempt
                };
                let retry_in = match attempt.outcome {
                    Outcome::Retry(s) | Outcome::Postponed(s) => Some(s),
                    _ => None,
                };
                let _ = record_tx.send(attempt);
                drop(permit);
                // Wake the loop when the retry comes due (it may be asleep on a later event).
                if let Some(s) = retry_in {
                    tokio::time::sleep(
                        Duration::from_secs(s.max(0) as u64) + Duration::from_millis(20),
                    )
                    .await;
                    wake.notify_one();
                }
            });
        }
        if full {
            continue;
        }
        let sleep = match pool.get().await {
            Ok(c) => match store::next_due(&**c, &names).await {
                // Due already but not claimable now (another engine holds it): look again soon.
                Ok(Some(secs)) if secs <= 0.0 => Duration::from_millis(50),
                Ok(Some(secs)) => Duration::from_secs_f64(secs).min(MAX_SLEEP),
                Ok(None) => MAX_SLEEP,
                Err(e) => {
                    tracing::warn!("scheduled events: {e}");
                    Duration::from_secs(1)
                }
            },
            Err(e) => {
                tracing::warn!("scheduled events: {e}");
                Duration::from_secs(1)
            }
        };
        let top_up_due =
            TOP_UP_EVERY.saturating_sub(last_top_up.map(|t| t.elapsed()).unwrap_or_default());
        // Awake for the next look at dead engines' claims (their leases run out on their own).
        let reclaim_due =
            RECLAIM_EVERY.saturating_sub(last_reclaim.map(|t| t.elapsed()).unwrap_or_default());
        tokio::select! {
            _ = session.wake.notified() => {}
            _ = tokio::time::sleep(sleep.min(top_up_due).min(reclaim_due)) => {}
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

/// Runs one upkeep statement on a pooled connection, logging what it did.
async fn maintain<F>(pool: &Pool, what: &str, f: F)
where
    F: for<'a> FnOnce(
        &'a tokio_postgres::Client,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<u64, tokio_postgres::Error>> + Send + 'a>,
    >,
{
    match pool.get().await {
        Ok(c) => match f(&c).await {
            Ok(n) if n > 0 => tracing::info!(rows = n, "scheduled events: {what}"),
            Ok(_) => {}
            Err(e) => tracing::warn!("scheduled events: cannot {what}: {e}"),
        },
        Err(e) => tracing::warn!("scheduled events: cannot {what}: {e}"),
    }
}

/// An attempt in `/v1/metrics`: `hasura_cron_events_invocation_total{status}` (or
/// `hasura_oneoff_events_...`), and `..._processed_total` once the event is done.
fn record(attempt: &crate::store::Attempt) {
    let status = if attempt.outcome == Outcome::Delivered {
        "success"
    } else {
        "failed"
    };
    let (invoked, processed) = match attempt.kind {
        crate::store::Kind::Cron => (
            "hasura_cron_events_invocation_total",
            "hasura_cron_events_processed_total",
        ),
        crate::store::Kind::OneOff => (
            "hasura_oneoff_events_invocation_total",
            "hasura_oneoff_events_processed_total",
        ),
    };
    metrics::counter!(invoked, "status" => status).increment(1);
    if matches!(
        attempt.outcome,
        Outcome::Delivered | Outcome::Error | Outcome::Dead
    ) {
        metrics::counter!(processed, "status" => status).increment(1);
    }
}
