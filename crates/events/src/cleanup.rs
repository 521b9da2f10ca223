//! Cleanup of processed events: on request (`cleanup_event_trigger_logs`) and on the schedule
//! of a trigger's `cleanup_config` (a five-field cron expression in UTC, checked each minute by
//! the delivery loop).

use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

/// One batch: processed, unclaimed events of `$1` older than `$2` hours, at most `$3`;
/// their invocation logs go too when `$4`.
const DELETE_BATCH: &str = "WITH ids AS (SELECT id FROM hdb_catalog.event_log \
      WHERE trigger_name = $1 AND (delivered OR error) AND locked IS NULL \
        AND created_at < now() - make_interval(hours => $2::int4) \
      LIMIT $3 FOR UPDATE SKIP LOCKED), \
    inv AS (DELETE FROM hdb_catalog.event_invocation_logs \
      WHERE $4 AND event_id IN (SELECT id FROM ids) RETURNING 1), \
    ev AS (DELETE FROM hdb_catalog.event_log WHERE id IN (SELECT id FROM ids) RETURNING 1) \
    SELECT (SELECT count(*) FROM ev), (SELECT count(*) FROM inv)";

/// Deletes in batches until a batch comes back short; each statement is bounded by
/// `timeout_secs`. Returns (events deleted, invocation logs deleted).
pub async fn run(
    client: &impl GenericClient,
    trigger: &str,
    older_than_hours: i64,
    batch_size: i64,
    clean_invocation_logs: bool,
    timeout_secs: i64,
) -> Result<(i64, i64), tokio_postgres::Error> {
    let previous: String = client
        .query_typed_one("SELECT current_setting('statement_timeout')", &[])
        .await?
        .get(0);
    client
        .query_typed(
            "SELECT set_config('statement_timeout', $1, true)",
            &[(&format!("{}s", timeout_secs), Type::TEXT)],
        )
        .await?;
    let hours = older_than_hours.clamp(0, i64::from(i32::MAX)) as i32;
    let (mut events, mut invocations) = (0i64, 0i64);
    loop {
        let row = client
            .query_typed_one(
                DELETE_BATCH,
                &[
                    (&trigger, Type::TEXT),
                    (&hours, Type::INT4),
                    (&batch_size, Type::INT8),
                    (&clean_invocation_logs, Type::BOOL),
                ],
            )
            .await?;
        let (e, i): (i64, i64) = (row.get(0), row.get(1));
        events += e;
        invocations += i;
        if e < batch_size {
            break;
        }
    }
    client
        .query_typed(
            "SELECT set_config('statement_timeout', $1, true)",
            &[(&previous, Type::TEXT)],
        )
        .await?;
    Ok((events, invocations))
}
