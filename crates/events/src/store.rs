//! The delivery loop's statements over `hdb_catalog.event_log` and `event_invocation_logs`:
//! claiming a batch, recording outcomes, releasing claims, and taking back the claims of
//! engines that died.
//!
//! Claims: `locked` (a timestamp, as Hasura keeps it) plus `locked_by`, the claiming engine's
//! id. Each engine holds a lease on its id in `hdb_catalog.rasura_engine_lease`, renewed every
//! [`LEASE_RENEW`] while it lives, so a claim whose holder's lease ran out ([`LEASE`]) belongs
//! to a dead engine (`kill -9` included) and is taken back. A lease, unlike a session lock,
//! works through a pooler in transaction mode. Claims without `locked_by` (Hasura's) count as
//! abandoned after 30 minutes, as in Hasura. The statements here run unnamed, so that nothing
//! is left prepared on a pooled server connection.

use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

/// How long an engine's lease lasts without renewal.
pub const LEASE: std::time::Duration = std::time::Duration::from_secs(6);

/// How often a live engine renews its lease.
pub const LEASE_RENEW: std::time::Duration = std::time::Duration::from_secs(2);

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
    FROM o WHERE e.id = o.id RETURNING e.id";

/// Releases the claims engine `$1` still holds on undelivered events.
const RELEASE: &str = "UPDATE hdb_catalog.event_log SET locked = NULL, locked_by = NULL \
    WHERE locked_by = $1 AND delivered = 'f' AND error = 'f' RETURNING id";

/// Takes back the claims of engines whose lease ran out (they died); forgets leases long gone.
const RECLAIM_DEAD: &str = "WITH gone AS (DELETE FROM hdb_catalog.rasura_engine_lease \
      WHERE expires < now() - interval '1 minute'), \
    taken AS (UPDATE hdb_catalog.event_log e SET locked = NULL, locked_by = NULL \
      WHERE locked IS NOT NULL AND locked_by IS NOT NULL AND delivered = 'f' AND error = 'f' \
        AND NOT EXISTS (SELECT 1 FROM hdb_catalog.rasura_engine_lease l \
          WHERE l.engine_id = e.locked_by AND l.expires > now()) RETURNING 1) \
    SELECT count(*) FROM taken";

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
        .query_typed(
            CLAIM,
            &[
                (&triggers, Type::TEXT_ARRAY),
                (&limit, Type::INT8),
                (&engine_id, Type::INT4),
            ],
        )
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
    let rows = client
        .query_typed(
            RECORD,
            &[
                (&ids, Type::TEXT_ARRAY),
                (&triggers, Type::TEXT_ARRAY),
                (&statuses, Type::INT4_ARRAY),
                (&requests, Type::TEXT_ARRAY),
                (&responses, Type::TEXT_ARRAY),
                (&outcomes, Type::TEXT_ARRAY),
                (&secs, Type::INT4_ARRAY),
            ],
        )
        .await?;
    Ok(rows.len() as u64)
}

pub async fn release(
    client: &impl GenericClient,
    engine_id: i32,
) -> Result<u64, tokio_postgres::Error> {
    let rows = client
        .query_typed(RELEASE, &[(&engine_id, Type::INT4)])
        .await?;
    Ok(rows.len() as u64)
}

pub async fn reclaim_dead(client: &impl GenericClient) -> Result<u64, tokio_postgres::Error> {
    let row = client.query_typed_one(RECLAIM_DEAD, &[]).await?;
    Ok(row.get::<_, i64>(0) as u64)
}

/// The lease's length in seconds, as the statements take it.
fn lease_secs() -> f64 {
    LEASE.as_secs_f64()
}

/// Takes a lease on `engine_id`; `false` when another engine holds that id.
pub async fn take_lease(
    client: &impl GenericClient,
    engine_id: i32,
) -> Result<bool, tokio_postgres::Error> {
    let rows = client
        .query_typed(
            "INSERT INTO hdb_catalog.rasura_engine_lease (engine_id, expires) \
             VALUES ($1, now() + make_interval(secs => $2)) \
             ON CONFLICT (engine_id) DO NOTHING RETURNING engine_id",
            &[(&engine_id, Type::INT4), (&lease_secs(), Type::FLOAT8)],
        )
        .await?;
    Ok(!rows.is_empty())
}

/// Renews the lease on `engine_id`; `false` when it is gone (taken for dead).
pub async fn renew_lease(
    client: &impl GenericClient,
    engine_id: i32,
) -> Result<bool, tokio_postgres::Error> {
    let rows = client
        .query_typed(
            "UPDATE hdb_catalog.rasura_engine_lease \
             SET expires = now() + make_interval(secs => $2) \
             WHERE engine_id = $1 AND expires > now() RETURNING engine_id",
            &[(&engine_id, Type::INT4), (&lease_secs(), Type::FLOAT8)],
        )
        .await?;
    Ok(!rows.is_empty())
}

/// Gives the lease on `engine_id` up (an orderly stop).
pub async fn end_lease(
    client: &deadpool_postgres::Client,
    engine_id: i32,
) -> Result<(), tokio_postgres::Error> {
    client
        .query_typed(
            "DELETE FROM hdb_catalog.rasura_engine_lease WHERE engine_id = $1",
            &[(&engine_id, Type::INT4)],
        )
        .await
        .map(|_| ())
}
