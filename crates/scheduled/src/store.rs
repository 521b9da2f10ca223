//! The delivery loop's statements over `hdb_cron_events`, `hdb_scheduled_events` and their
//! invocation logs: claiming due events, recording outcomes, releasing claims, taking back
//! the claims of engines that died, and finding when the next event is due.
//!
//! A claim sets `status = 'locked'` (Hasura's) and `locked_by`, the claiming engine's id, whose
//! lease in `hdb_catalog.rasura_engine_lease` is renewed as long as the engine lives.

use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

/// The channel that wakes delivery loops when an event is created or a schedule changes.
pub const CHANNEL: &str = "rasura_scheduled";

/// Which of the two kinds of scheduled event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Cron,
    OneOff,
}

impl Kind {
    pub fn events(self) -> &'static str {
        match self {
            Kind::Cron => "hdb_catalog.hdb_cron_events",
            Kind::OneOff => "hdb_catalog.hdb_scheduled_events",
        }
    }

    pub fn logs(self) -> &'static str {
        match self {
            Kind::Cron => "hdb_catalog.hdb_cron_event_invocation_logs",
            Kind::OneOff => "hdb_catalog.hdb_scheduled_event_invocation_logs",
        }
    }
}

/// Due: scheduled, and its time (or its retry's) has come.
const DUE: &str = "status = 'scheduled' \
    AND ((next_retry_at IS NULL AND scheduled_time <= now()) OR next_retry_at <= now())";

const MICROS: &str = "(extract(epoch FROM scheduled_time) * 1000000)::int8, \
    (extract(epoch FROM coalesce(created_at, now())) * 1000000)::int8, \
    extract(epoch FROM now() - scheduled_time)::float8";

/// One claimed event.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub kind: Kind,
    pub id: String,
    /// The cron trigger's name (cron events).
    pub trigger: Option<String>,
    pub scheduled_micros: i64,
    pub created_micros: i64,
    /// Seconds since the event's scheduled time.
    pub overdue_secs: f64,
    pub tries: i32,
    /// One-off events carry their own configuration: `webhook_conf`, `retry_conf`,
    /// `payload`, `header_conf` (JSON texts), `comment`, `request_transform` and
    /// `response_transform`.
    pub one_off: Option<OneOffConf>,
}

/// What a one-off event row configures.
#[derive(Debug, Clone, Default)]
pub struct OneOffConf {
    pub webhook_conf: Option<String>,
    pub retry_conf: Option<String>,
    pub payload: Option<String>,
    pub header_conf: Option<String>,
    pub comment: Option<String>,
    pub request_transform: Option<String>,
    pub response_transform: Option<String>,
}

/// What became of one claimed event.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Delivered,
    /// Tries used up.
    Error,
    /// Another try after this many seconds.
    Retry(i32),
    /// Older than its tolerance: not delivered.
    Dead,
    /// Not attempted (its trigger is unknown here): back to scheduled after this many seconds.
    Postponed(i32),
}

/// One attempt's record.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub kind: Kind,
    pub event_id: String,
    pub status: Option<i32>,
    /// `None` when nothing was sent.
    pub request: Option<String>,
    /// `None` when nothing is logged.
    pub response: Option<String>,
    pub outcome: Outcome,
}

/// Claims up to `limit` due events of `kind` for `engine_id` (cron events only of `triggers`).
pub async fn claim(
    client: &impl GenericClient,
    kind: Kind,
    triggers: &[String],
    limit: i64,
    engine_id: i32,
) -> Result<Vec<Claimed>, tokio_postgres::Error> {
    let table = kind.events();
    let rows = match kind {
        Kind::Cron => {
            let sql = format!(
                "UPDATE {table} SET status = 'locked', locked_by = $3 WHERE id IN \
                   (SELECT id FROM {table} WHERE {DUE} AND trigger_name = ANY($1) \
                    ORDER BY coalesce(next_retry_at, scheduled_time) LIMIT $2 \
                    FOR UPDATE SKIP LOCKED) \
                 RETURNING id, trigger_name, {MICROS}, tries"
            );
            client
                .query_typed(
                    &sql,
                    &[
                        (&triggers, Type::TEXT_ARRAY),
                        (&limit, Type::INT8),
                        (&engine_id, Type::INT4),
                    ],
                )
                .await?
        }
        Kind::OneOff => {
            let sql = format!(
                "UPDATE {table} SET status = 'locked', locked_by = $2 WHERE id IN \
                   (SELECT id FROM {table} WHERE {DUE} \
                    ORDER BY coalesce(next_retry_at, scheduled_time) LIMIT $1 \
                    FOR UPDATE SKIP LOCKED) \
                 RETURNING id, NULL::text, {MICROS}, tries, webhook_conf::text, \
                   retry_conf::text, payload::text, header_conf::text, comment, \
                   request_transform::text, response_transform::text"
            );
            client
                .query_typed(&sql, &[(&limit, Type::INT8), (&engine_id, Type::INT4)])
                .await?
        }
    };
    Ok(rows
        .into_iter()
        .map(|r| Claimed {
            kind,
            id: r.get(0),
            trigger: r.get(1),
            scheduled_micros: r.get(2),
            created_micros: r.get(3),
            overdue_secs: r.get(4),
            tries: r.get(5),
            one_off: (kind == Kind::OneOff).then(|| OneOffConf {
                webhook_conf: r.get(6),
                retry_conf: r.get(7),
                payload: r.get(8),
                header_conf: r.get(9),
                comment: r.get(10),
                request_transform: r.get(11),
                response_transform: r.get(12),
            }),
        })
        .collect())
}

/// Writes a batch of outcomes of one kind: a log row per attempt that logged something, and
/// each event's new state.
pub async fn record(
    client: &impl GenericClient,
    attempts: &[Attempt],
) -> Result<u64, tokio_postgres::Error> {
    let mut written = 0;
    for kind in [Kind::Cron, Kind::OneOff] {
        let (mut ids, mut statuses, mut requests, mut responses, mut outcomes, mut secs) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        for a in attempts.iter().filter(|a| a.kind == kind) {
            ids.push(a.event_id.as_str());
            statuses.push(a.status);
            requests.push(a.request.as_deref());
            responses.push(a.response.as_deref());
            let (outcome, s) = match a.outcome {
                Outcome::Delivered => ("delivered", 0),
                Outcome::Error => ("error", 0),
                Outcome::Dead => ("dead", 0),
                Outcome::Retry(s) | Outcome::Postponed(s) => ("scheduled", s),
            };
            outcomes.push(outcome);
            secs.push(s);
        }
        if ids.is_empty() {
            continue;
        }
        let sql = format!(
            "WITH o AS (SELECT * FROM unnest($1::text[], $2::int4[], $3::text[], $4::text[], \
               $5::text[], $6::int4[]) AS o(id, status, request, response, outcome, secs)), \
             logged AS (INSERT INTO {logs} (event_id, status, request, response) \
               SELECT id, status, request::json, response::json FROM o \
               WHERE response IS NOT NULL) \
             UPDATE {events} e SET \
               tries = e.tries + CASE WHEN o.request IS NOT NULL THEN 1 ELSE 0 END, \
               status = o.outcome, locked_by = NULL, \
               next_retry_at = CASE WHEN o.outcome = 'scheduled' \
                 THEN now() + make_interval(secs => o.secs) ELSE e.next_retry_at END \
             FROM o WHERE e.id = o.id",
            logs = kind.logs(),
            events = kind.events()
        );
        written += client
            .execute_typed(
                &sql,
                &[
                    (&ids, Type::TEXT_ARRAY),
                    (&statuses, Type::INT4_ARRAY),
                    (&requests, Type::TEXT_ARRAY),
                    (&responses, Type::TEXT_ARRAY),
                    (&outcomes, Type::TEXT_ARRAY),
                    (&secs, Type::INT4_ARRAY),
                ],
            )
            .await?;
    }
    Ok(written)
}

/// Puts the events engine `engine_id` still holds back to scheduled.
pub async fn release(
    client: &impl GenericClient,
    engine_id: i32,
) -> Result<u64, tokio_postgres::Error> {
    let mut n = 0;
    for kind in [Kind::Cron, Kind::OneOff] {
        let sql = format!(
            "UPDATE {} SET status = 'scheduled', locked_by = NULL \
             WHERE status = 'locked' AND locked_by = $1",
            kind.events()
        );
        n += client
            .execute_typed(&sql, &[(&engine_id, Type::INT4)])
            .await?;
    }
    Ok(n)
}

/// Puts back to scheduled the events locked by engines whose lease ran out (they died,
/// `kill -9` included; see `rasura_events::store`), and those locked with no engine named.
pub async fn reclaim_dead(client: &impl GenericClient) -> Result<u64, tokio_postgres::Error> {
    let mut n = 0;
    for kind in [Kind::Cron, Kind::OneOff] {
        let sql = format!(
            "WITH taken AS (UPDATE {} e SET status = 'scheduled', locked_by = NULL \
             WHERE status = 'locked' AND (locked_by IS NULL OR NOT EXISTS \
               (SELECT 1 FROM hdb_catalog.rasura_engine_lease l \
                  WHERE l.engine_id = e.locked_by AND l.expires > now())) RETURNING 1) \
             SELECT count(*) FROM taken",
            kind.events()
        );
        let row = client.query_typed_one(&sql, &[]).await?;
        n += row.get::<_, i64>(0) as u64;
    }
    Ok(n)
}

/// Seconds until the next scheduled event (of `triggers`, or one-off) is due; negative when
/// one is due already; `None` when nothing is scheduled.
pub async fn next_due(
    client: &impl GenericClient,
    triggers: &[String],
) -> Result<Option<f64>, tokio_postgres::Error> {
    let row = client
        .query_typed_one(
            "SELECT extract(epoch FROM least( \
               (SELECT min(coalesce(next_retry_at, scheduled_time)) \
                  FROM hdb_catalog.hdb_cron_events \
                  WHERE status = 'scheduled' AND trigger_name = ANY($1)), \
               (SELECT min(coalesce(next_retry_at, scheduled_time)) \
                  FROM hdb_catalog.hdb_scheduled_events WHERE status = 'scheduled') \
             ) - now())::float8",
            &[(&triggers, Type::TEXT_ARRAY)],
        )
        .await?;
    Ok(row.get(0))
}
