//! Multiplexed live queries: subscribers whose subscription compiled to the same statement share
//! one poller; within it, subscribers with the same parameters (variables and session values)
//! form a cohort. Each interval the poller runs ONE statement for up to `BATCH` cohorts, their
//! parameter sets passed as a JSON array and joined in SQL, and sends a cohort's result to its
//! subscribers only when it changed. A poller stops when its last subscriber leaves.
//!
//! Streaming subscriptions share pollers the same way: the cursor is one of the parameters, so
//! subscribers at different cursors are cohorts of one statement. A cohort that got rows is
//! sent them and moves past them: its cursor parameter becomes the last row's cursor (joining
//! the cohort already there, if any).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use rasura_exec::LiveShape;
use rasura_ir::stream::STREAM_CURSOR_KEY;

use crate::protocol::Protocol;
use rasura_exec::source::SourceConn;

/// Cohorts per statement.
const BATCH: usize = 100;

/// One subscriber: where its results go.
pub(crate) struct Subscriber {
    pub id: String,
    pub protocol: Protocol,
    pub out: crate::outbox::Outbox,
}

#[derive(Default)]
struct Cohort {
    subscribers: HashMap<u64, Subscriber>,
    /// The last result sent (the root field's JSON text).
    last: Option<String>,
}

/// A poller's cohorts by parameters.
#[derive(Default)]
struct Cohorts {
    by_params: HashMap<Vec<Option<String>>, Cohort>,
    /// Stream subscribers whose cohort moved past rows: their parameters now.
    moved: HashMap<u64, Vec<Option<String>>>,
}

impl Cohorts {
    /// A stream cohort moved to a new cursor, merged with the cohort already there.
    fn advance(&mut self, from: &[Option<String>], to: Vec<Option<String>>) {
        let Some(moving) = self.by_params.remove(from) else {
            return;
        };
        for handle in moving.subscribers.keys() {
            self.moved.insert(*handle, to.clone());
        }
        let there = self.by_params.entry(to).or_default();
        there.subscribers.extend(moving.subscribers);
    }
}

struct Poller {
    /// For its `livequery-poller-log` lines.
    id: String,
    key: String,
    sql: String,
    /// A stream's cursor parameter.
    cursor: Option<usize>,
    /// Its place in the hub: the source's number and the statement.
    hub_key: String,
    cohorts: Mutex<Cohorts>,
}

/// Subscription requests run at once (a first result, or a poll of one not shared): a burst
/// of subscribers queues here rather than each holding its planned request while it waits
/// (each waits at most a second for its turn).
const RUNNING: usize = 64;

/// All pollers of this engine.
pub struct Hub {
    pollers: Mutex<HashMap<String, Arc<Poller>>>,
    next_id: AtomicU64,
    /// Statements the pollers ran (for measurements).
    pub statements: AtomicU64,
    pub(crate) running: tokio::sync::Semaphore,
    /// Subscribers that joined or left since the allocator last gave free memory back.
    churn: AtomicU64,
}

/// Joins and leaves after which a poll cycle gives the allocator's free pages back: a burst of
/// subscribers leaves its requests' memory free but scattered between the ones it keeps.
const CHURN_TRIM: u64 = 1000;

impl Default for Hub {
    fn default() -> Hub {
        Hub {
            pollers: Mutex::default(),
            next_id: AtomicU64::default(),
            statements: AtomicU64::default(),
            running: tokio::sync::Semaphore::new(RUNNING),
            churn: AtomicU64::default(),
        }
    }
}

/// A subscriber's place in the hub; leaving is dropping it.
pub(crate) struct Membership {
    hub: Arc<Hub>,
    poller: Arc<Poller>,
    params: Vec<Option<String>>,
    handle: u64,
}

impl Drop for Membership {
    fn drop(&mut self) {
        self.hub.churn.fetch_add(1, Ordering::Relaxed);
        let mut pollers = self.hub.pollers.lock().expect("hub lock");
        let p = &self.poller;
        {
            let mut cohorts = p.cohorts.lock().expect("cohorts lock");
            let params = cohorts
                .moved
                .remove(&self.handle)
                .unwrap_or_else(|| self.params.clone());
            if let Some(c) = cohorts.by_params.get_mut(&params) {
                c.subscribers.remove(&self.handle);
                if c.subscribers.is_empty() {
                    cohorts.by_params.remove(&params);
                }
            }
            // The last subscriber gone, the poller leaves the hub now (its task ends when it
            // wakes); a new subscriber of this statement starts a new one.
            if cohorts.by_params.is_empty() {
                leave_hub(&mut pollers, p);
            }
        }
    }
}

/// Takes a poller out of the hub, unless another of the same statement has its place since.
fn leave_hub(pollers: &mut HashMap<String, Arc<Poller>>, p: &Arc<Poller>) {
    if pollers.get(&p.hub_key).is_some_and(|q| Arc::ptr_eq(q, p)) {
        pollers.remove(&p.hub_key);
    }
}

pub use rasura_sql::multiplex::{multiplexed, parameterize};

impl Hub {
    /// Adds a subscriber whose first result (`first`, the root field's JSON) it already has.
    pub(crate) fn join(
        self: &Arc<Self>,
        source: &Arc<SourceConn>,
        shape: &LiveShape,
        first: Option<String>,
        sub: Subscriber,
    ) -> Membership {
        let handle = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.churn.fetch_add(1, Ordering::Relaxed);
        let mut pollers = self.pollers.lock().expect("hub lock");
        // Equal statements of different sources are different pollers.
        let hub_key = format!("{}\u{1f}{}", shape.source, shape.sql);
        let poller = pollers.entry(hub_key.clone()).or_insert_with(|| {
            let p = Arc::new(Poller {
                id: rasura_log::request_id::new(),
                key: shape.key.clone(),
                sql: shape.sql.clone(),
                cursor: shape.cursor,
                hub_key: hub_key.clone(),
                cohorts: Mutex::default(),
            });
            tokio::spawn(poll(self.clone(), p.clone(), source.clone()));
            p
        });
        let mut cohorts = poller.cohorts.lock().expect("cohorts lock");
        let cohort = cohorts.by_params.entry(shape.params.clone()).or_default();
        if cohort.last.is_none() {
            cohort.last = first;
        }
        cohort.subscribers.insert(handle, sub);
        let poller = poller.clone();
        drop(cohorts);
        Membership {
            hub: self.clone(),
            poller,
            params: shape.params.clone(),
            handle,
        }
    }

    /// Pollers, cohorts and subscribers now held, and statements run so far.
    pub fn report(&self) -> Value {
        let pollers = self.pollers.lock().expect("hub lock");
        let (mut cohorts, mut subscribers) = (0, 0);
        for p in pollers.values() {
            let c = p.cohorts.lock().expect("cohorts lock");
            cohorts += c.by_params.len();
            subscribers += c
                .by_params
                .values()
                .map(|c| c.subscribers.len())
                .sum::<usize>();
        }
        serde_json::json!({
            "pollers": pollers.len(),
            "cohorts": cohorts,
            "subscribers": subscribers,
            "statements": self.statements.load(Ordering::Relaxed),
        })
    }
}

/// Whether a statement failed because its server went away (SQLSTATE classes 08 and 57P).
fn server_gone(e: &tokio_postgres::Error) -> bool {
    e.code()
        .is_none_or(|c| rasura_exec::source::server_gone(c.code()))
}

/// `HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL` (ms), 1 s by default.
pub fn refetch_interval() -> Duration {
    [
        "RASURA_LIVE_QUERIES_REFETCH_INTERVAL",
        "HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL",
    ]
    .iter()
    .find_map(|n| std::env::var(n).ok()?.parse::<u64>().ok())
    .map_or(Duration::from_secs(1), Duration::from_millis)
}

async fn poll(hub: Arc<Hub>, p: Arc<Poller>, source: Arc<SourceConn>) {
    let statement = multiplexed(&p.sql);
    let interval = refetch_interval();
    loop {
        tokio::time::sleep(interval).await;
        if hub.churn.load(Ordering::Relaxed) >= CHURN_TRIM
            && hub.churn.swap(0, Ordering::Relaxed) >= CHURN_TRIM
        {
            rasura_memory::threads::release_free_memory();
        }
        let started = std::time::Instant::now();
        let logging = rasura_log::enabled("livequery-poller-log", rasura_log::Level::Info);
        let mut batches = vec![];
        let params: Vec<Vec<Option<String>>> = {
            // A poller without cohorts leaves the hub (under the hub's lock, so that no one joins
            // it meanwhile).
            let mut pollers = hub.pollers.lock().expect("hub lock");
            let cohorts = p.cohorts.lock().expect("cohorts lock");
            if cohorts.by_params.is_empty() {
                leave_hub(&mut pollers, &p);
                return;
            }
            cohorts.by_params.keys().cloned().collect()
        };
        let snapshot_time = started.elapsed().as_secs_f64();
        for (batch_index, batch) in params.chunks(BATCH).enumerate() {
            let arg = [Some(
                serde_json::to_string(batch).unwrap_or_else(|_| "[]".into()),
            )];
            let run_started = std::time::Instant::now();
            // Each poll reads where queries read: a replica in turn, else the primary.
            let target = source.read_target();
            let rows = match target.pool.get().await {
                Ok(client) => {
                    // Prepared, or unnamed for poolers, as the source says.
                    let rows =
                        rasura_pg::text_statement::rows(&client, &statement, &arg, source.prepared)
                            .await;
                    if let Some(replica) = target.replica {
                        match &rows {
                            Ok(_) => replica.succeeded(),
                            Err(e) if client.is_closed() || server_gone(e) => {
                                replica.failed(&e.to_string())
                            }
                            Err(_) => {}
                        }
                    }
                    rows
                }
                Err(e) => {
                    if let Some(replica) = target.replica {
                        replica.failed(&e.to_string());
                    }
                    tracing::warn!("live query: {e}");
                    continue;
                }
            };
            hub.statements.fetch_add(1, Ordering::Relaxed);
            let db_execution_time = run_started.elapsed().as_secs_f64();
            let rows = match rows {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!("live query statement failed: {e}");
                    continue;
                }
            };
            let push_started = std::time::Instant::now();
            let mut response_bytes = 0;
            let mut cohorts = p.cohorts.lock().expect("cohorts lock");
            for row in rows {
                let i: i64 = row.get(0);
                let result: Option<String> = row.get(1);
                let Some(key) = batch.get((i - 1) as usize) else {
                    continue;
                };
                let Some(cohort) = cohorts.by_params.get_mut(key) else {
                    continue;
                };
                let result = result.unwrap_or_else(|| "null".into());
                response_bytes += result.len();
                if let Some(param) = p.cursor {
                    if let Some((payload, to)) = stream_batch(&p.key, &result, key, param) {
                        for sub in cohort.subscribers.values() {
                            sub.out.send(sub.protocol.data(&sub.id, payload.clone()));
                        }
                        cohorts.advance(key, to);
                    }
                    continue;
                }
                if cohort.last.as_deref() == Some(result.as_str()) {
                    continue;
                }
                let payload: Value = serde_json::from_str(&format!(
                    "{{\"data\":{{{}:{result}}}}}",
                    Value::String(p.key.clone())
                ))
                .unwrap_or(Value::Null);
                for sub in cohort.subscribers.values() {
                    sub.out.send(sub.protocol.data(&sub.id, payload.clone()));
                }
                cohort.last = Some(result);
            }
            if logging {
                batches.push(serde_json::json!({
                    "batch_id": batch_index + 1,
                    "batch_response_size_bytes": response_bytes,
                    "db_execution_time": db_execution_time,
                    "pg_execution_time": db_execution_time,
                    "push_time": push_started.elapsed().as_secs_f64(),
                }));
            }
        }
        if logging {
            poller_log(
                &p,
                &statement,
                batches,
                params.len(),
                snapshot_time,
                started,
                interval,
            );
        }
    }
}

/// A stream cohort's rows past its cursor: the message (cursor values taken off the rows) and
/// the cohort's parameters past the last row; `None` when there are no new rows.
fn stream_batch(
    key: &str,
    result: &str,
    params: &[Option<String>],
    param: usize,
) -> Option<(Value, Vec<Option<String>>)> {
    let Ok(Value::Array(mut rows)) = serde_json::from_str::<Value>(result) else {
        return None;
    };
    let last = take_cursors(&mut rows);
    if rows.is_empty() {
        return None;
    }
    let mut to = params.to_vec();
    if let (Some(slot), Some(c)) = (to.get_mut(param), last) {
        *slot = cursor_text(&c);
    }
    let payload = serde_json::json!({"data": {key: rows}});
    Some((payload, to))
}

/// Takes the cursor values off a stream's rows; the last row's is where the stream goes on.
pub(crate) fn take_cursors(rows: &mut [Value]) -> Option<Value> {
    let mut last = None;
    for row in rows {
        if let Some(c) = row
            .as_object_mut()
            .and_then(|r| r.remove(STREAM_CURSOR_KEY))
        {
            last = Some(c);
        }
    }
    last
}

/// A cursor value as the text parameter it is passed as.
pub(crate) fn cursor_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The `livequery-poller-log` line of one poll cycle, in Hasura's shape.
fn poller_log(
    p: &Poller,
    statement: &str,
    batches: Vec<Value>,
    cohorts: usize,
    snapshot_time: f64,
    started: std::time::Instant,
    interval: Duration,
) {
    rasura_log::emit(
        "livequery-poller-log",
        rasura_log::Level::Info,
        serde_json::json!({
            "poller_id": p.id,
            "kind": if p.cursor.is_some() { "streaming" } else { "live-query" },
            "snapshot_time": snapshot_time,
            "execution_batches": batches.clone(),
            "batches": batches,
            "subscriber_count": cohorts,
            "total_time": started.elapsed().as_secs_f64(),
            "source": "default",
            "generated_sql": statement,
            "subscription_options": {
                "batch_size": BATCH,
                "refetch_delay": interval.as_secs_f64(),
            },
        }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_batch_moves_its_cohort_past_the_last_row() {
        let params = vec![Some("u1".to_string()), Some("0".to_string())];
        let rows = r#"[{"id":1,"__rasura_cursor":1},{"id":2,"__rasura_cursor":"2"}]"#;
        let (payload, to) = stream_batch("s", rows, &params, 1).unwrap();
        assert_eq!(
            payload,
            serde_json::json!({"data": {"s": [{"id": 1}, {"id": 2}]}})
        );
        assert_eq!(to, vec![Some("u1".to_string()), Some("2".to_string())]);
        assert!(stream_batch("s", "[]", &params, 1).is_none());
        // Cohorts meeting at one cursor become one.
        let mut cohorts = Cohorts::default();
        for (h, p) in [(1, params.clone()), (2, to.clone())] {
            let c = cohorts.by_params.entry(p).or_default();
            c.subscribers.insert(h, sub());
        }
        cohorts.advance(&params, to.clone());
        assert_eq!(cohorts.by_params.len(), 1);
        assert_eq!(cohorts.by_params[&to].subscribers.len(), 2);
        assert_eq!(cohorts.moved.get(&1), Some(&to));
    }

    fn sub() -> Subscriber {
        Subscriber {
            id: "x".into(),
            protocol: Protocol::TransportWs,
            out: crate::outbox::channel(1024).0,
        }
    }

    #[test]
    fn parameters_become_elements_of_the_cohort() {
        let sql = r#"SELECT "$1" FROM t WHERE a = $1::text::int4 AND b = '$2' AND c = $12::text"#;
        assert_eq!(
            parameterize(sql),
            r#"SELECT "$1" FROM t WHERE a = ("_subs"."v" ->> 0)::text::int4 AND b = '$2' AND c = ("_subs"."v" ->> 11)::text"#
        );
    }
}
