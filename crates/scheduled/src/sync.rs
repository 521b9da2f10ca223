//! Cron events materialised ahead, as Hasura keeps them: a new trigger gets its next
//! `EVENTS_AHEAD` times at once; a changed or removed one loses its future events not yet
//! tried; and every engine tops triggers up to `EVENTS_AHEAD` future events each minute
//! (concurrent inserts meet Hasura's unique index on scheduled events and do nothing).

use chrono::{DateTime, Utc};
use rasura_metadata::cron_triggers::{next_times, parse_schedule, CronTrigger, EVENTS_AHEAD};
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

const INSERT: &str = "INSERT INTO hdb_catalog.hdb_cron_events (trigger_name, scheduled_time) \
    SELECT $1, to_timestamp(t::float8 / 1000000) FROM unnest($2::int8[]) AS t \
    ON CONFLICT (trigger_name, scheduled_time) WHERE status = 'scheduled' DO NOTHING";

const DELETE_FUTURE: &str = "DELETE FROM hdb_catalog.hdb_cron_events \
    WHERE trigger_name = $1 AND scheduled_time > now() AND tries = 0 AND status = 'scheduled'";

/// Makes the stored cron events follow a metadata change from `old` to `new` (run in the
/// control plane's transaction). Returns whether anything changed.
pub async fn sync(
    client: &impl GenericClient,
    old: &[CronTrigger],
    new: &[CronTrigger],
    now: DateTime<Utc>,
) -> Result<bool, tokio_postgres::Error> {
    let mut changed = false;
    for o in old {
        let kept = new
            .iter()
            .any(|n| n.name == o.name && n.schedule == o.schedule);
        if !kept {
            client
                .execute_typed(DELETE_FUTURE, &[(&o.name, Type::TEXT)])
                .await?;
            changed = true;
        }
    }
    for n in new {
        let same = old
            .iter()
            .any(|o| o.name == n.name && o.schedule == n.schedule);
        if !same {
            materialise(client, &n.name, &n.schedule, now, EVENTS_AHEAD).await?;
            changed = true;
        }
    }
    if changed {
        client
            .batch_execute(&format!("NOTIFY {}", crate::store::CHANNEL))
            .await?;
    }
    Ok(changed)
}

/// Inserts the next `n` times of trigger `name`'s `schedule` after `after`.
pub async fn materialise(
    client: &impl GenericClient,
    name: &str,
    schedule: &str,
    after: DateTime<Utc>,
    n: usize,
) -> Result<u64, tokio_postgres::Error> {
    let Ok(schedule) = parse_schedule(schedule) else {
        return Ok(0);
    };
    let times: Vec<i64> = next_times(&schedule, after, n)
        .into_iter()
        .map(|t| t.timestamp_micros())
        .collect();
    client
        .execute_typed(INSERT, &[(&name, Type::TEXT), (&times, Type::INT8_ARRAY)])
        .await
}

/// Tops every trigger (name, schedule) up to `EVENTS_AHEAD` future events not yet tried, starting after its
/// latest event. Returns how many events were added.
pub async fn top_up(
    client: &impl GenericClient,
    triggers: &[(String, String)],
    now: DateTime<Utc>,
) -> Result<u64, tokio_postgres::Error> {
    let names: Vec<&str> = triggers.iter().map(|(n, _)| n.as_str()).collect();
    let rows = client
        .query_typed(
            "SELECT n, (SELECT count(*) FROM hdb_catalog.hdb_cron_events \
                        WHERE trigger_name = n AND status = 'scheduled' AND tries = 0), \
                       (SELECT (extract(epoch FROM max(scheduled_time)) * 1000000)::int8 \
                        FROM hdb_catalog.hdb_cron_events WHERE trigger_name = n) \
             FROM unnest($1::text[]) AS n",
            &[(&names, Type::TEXT_ARRAY)],
        )
        .await?;
    let mut added = 0;
    for r in rows {
        let (name, count, last): (String, i64, Option<i64>) = (r.get(0), r.get(1), r.get(2));
        if count as usize >= EVENTS_AHEAD {
            continue;
        }
        let Some((_, schedule)) = triggers.iter().find(|(n, _)| *n == name) else {
            continue;
        };
        let after = last
            .and_then(DateTime::<Utc>::from_timestamp_micros)
            .filter(|l| *l > now)
            .unwrap_or(now);
        added += materialise(
            client,
            &name,
            schedule,
            after,
            EVENTS_AHEAD - count as usize,
        )
        .await?;
    }
    Ok(added)
}
