//! The delivery loop's statements over `hdb_catalog.event_log` and `event_invocation_logs`:
//! claiming a batch, recording outcomes, releasing claims, and taking back the claims of
//! engines that died.
//!
//! Claims: `locked` (a timestamp, as Hasura keeps it) plus `locked_by`, the claiming engine's
//! id. Each engine holds a session advisory lock `(LOCK_SPACE, id)` on its listening
//! connection for as long as it lives, so a claim whose holder's lock is gone belongs to a
//! dead engine and is taken back at once. Claims without `locked_by` (Hasura's) count as
//! abandoned after 30 minutes, as in Hasura.

use tokio_postgres::GenericClient;

/// The first key of every engine's advisory lock.
pub const LOCK_SPACE: i32 = 73_582_378;

/// The channel `hdb_catalog.insert_event_log` notifies on.
pub const CHANNEL: &str = "rasura_event_log";

/// Claims up to `$2` due events of the triggers `$1` for engine `$3`.
const CLAIM: &str = "UPDATE hdb_catalog.event_log SET locked = now(), locked_by = $3 \
    WHERE id IN (SELECT l.id FROM hdb_catalog.event_log l \
      WHERE l.delivered = 'f' AND l.error = 'f' AND l.archived = 'f' \
        AND (l.locked IS NULL OR l.locked < now() - interval '30 minute') \
        AND (l.next_retry_at IS NULL OR l.next_retry_at <= now()) \
        AND l.trigger_name = ANY($1) \
      ORDER BY l.locked NULLS FIRST, l.next_retry_at NULLS FIRST, l.created_at \
      LIMIT $2 FOR UPDATE SKIP LOCKED) \
    RETURNING id, schema_name, table_name, trigger_name, payload::text, tries, \
      to_char(created_at, 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";

/// Writes a batch of outcomes: an invocation-log row per attempt, and each event's new state.
const RECORD: &str = "WITH o AS (SELECT * FROM unnest($1::text[], $2::text[], $3::int4[], \
      $4::text[], $5::text[], $6::text[], $7::int4[]) \
      AS o(id, trigger_name, status, request, response, outcome, retry_secs)), \
    logged AS (INSERT INTO hdb_catalog.event_invocation_logs \
      (trigger_name, event_id, status, request, response) \
      SELECT trigger_name, id, status, request::json, response::json FROM o WHERE request IS NOT NULL) \
    UPDATE hdb_catalog.event_log e SET \
      tries = e.tries + CASE WHEN o.request IS NOT NULL THEN 1 ELSE 0 END, \
      delivered = (o.outcome = 'delivered'), \
      error = (o.outcome = 'error'), \
      locked = NULL, locked_by = NULL, \
      next_retry_at = CASE WHEN o.outcome = 'retry' \
        THEN now() + make_interval(secs => o.retry_secs) ELSE NULL END \
    FROM o WHERE e.id = o.id";

/// Releases the claims engine `$1` still holds on undelivered events.
const RELEASE: &str = "UPDATE hdb_catalog.event_log SET locked = NULL, locked_by = NULL \
    WHERE locked_by = $1 AND delivered = 'f' AND error = 'f'";

/// Takes back the claims of engines whose advisory lock is gone (they died).
const RECLAIM_DEAD: &str = "UPDATE hdb_catalog.event_log SET locked = NULL, locked_by = NULL \
    WHERE locked IS NOT NULL AND locked_by IS NOT NULL AND delivered = 'f' AND error = 'f' \
      AND locked_by::int8 NOT IN (SELECT objid::int8 FROM pg_locks \
        WHERE locktype = 'advisory' AND classid::int8 = $1::int8 AND objsubid = 2 AND granted)";

/// One claimed event.
#[derive(Debug, Clone)]
pub struct ClaimedEvent {
    pub id: String,
    pub schema: String,
    pub table: String,
    pub trigger: String,
    /// `{"op", "data", "session_variables", "trace_context"}` as stored.
    pub payload: String,
    pub tries: i32,
    /// UTC ISO-8601 with microseconds and `Z`.
    pub created_at: String,
}

/// What became of one claimed event.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Delivered,
    /// Tries used up: the event is failed for good.
    Failed,
    /// Another try after this many seconds.
    Retry(i32),
    /// Not attempted (its trigger is unknown here): released, tried again after this many
    /// seconds, no invocation logged.
    Postponed(i32),
}

/// One attempt's record.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub event_id: String,
    pub trigger: String,
    pub status: Option<i32>,
    /// `None` when nothing was sent (see [`Outcome::Postponed`]).
    pub request: Option<String>,
    pub response: Option<String>,
    pub outcome: Outcome,
}

pub async fn claim(
    client: &impl GenericClient,
    triggers: &[String],
    limit: i64,
    engine_id: i32,
) -> Result<Vec<ClaimedEvent>, tokio_postgres::Error> {
    let rows = client
        .query(CLAIM, &[&triggers, &limit, &engine_id])
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| ClaimedEvent {
            id: r.get(0),
            schema: r.get(1),
            table: r.get(2),
            trigger: r.get(3),
            payload: r.get(4),
            tries: r.get(5),
            created_at: r.get(6),
        })
        .collect())
}

pub async fn record(
    client: &impl GenericClient,
    attempts: &[Attempt],
) -> Result<u64, tokio_postgres::Error> {
    let mut ids = vec![];
    let mut triggers = vec![];
    let mut statuses = vec![];
    let mut requests = vec![];
    let mut responses = vec![];
    let mut outcomes = vec![];
    let mut secs = vec![];
    for a in attempts {
        ids.push(a.event_id.as_str());
        triggers.push(a.trigger.as_str());
        statuses.push(a.status);
        requests.push(a.request.as_deref());
        responses.push(a.response.as_deref());
        let (outcome, s) = match a.outcome {
            Outcome::Delivered => ("delivered", 0),
            Outcome::Failed => ("error", 0),
            Outcome::Retry(s) | Outcome::Postponed(s) => ("retry", s),
        };
        outcomes.push(outcome);
        secs.push(s);
    }
    client
        .execute(
            RECORD,
            &[
                &ids, &triggers, &statuses, &requests, &responses, &outcomes, &secs,
            ],
        )
        .await
}

pub async fn release(
    client: &impl GenericClient,
    engine_id: i32,
) -> Result<u64, tokio_postgres::Error> {
    client.execute(RELEASE, &[&engine_id]).await
}

pub async fn reclaim_dead(client: &impl GenericClient) -> Result<u64, tokio_postgres::Error> {
    client
        .execute(RECLAIM_DEAD, &[&i64::from(LOCK_SPACE)])
        .await
}

/// Takes this engine's advisory lock (held by the session of `client` until it closes).
pub async fn hold_engine_lock(
    client: &impl GenericClient,
    engine_id: i32,
) -> Result<(), tokio_postgres::Error> {
    client
        .execute(
            "SELECT pg_advisory_lock($1, $2)",
            &[&LOCK_SPACE, &engine_id],
        )
        .await
        .map(|_| ())
}
