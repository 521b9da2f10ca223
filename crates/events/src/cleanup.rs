//! Cleanup of processed events: on request (`cleanup_event_trigger_logs`) and on the schedule
//! of a trigger's `cleanup_config` (a five-field cron expression in UTC, checked each minute by
//! the delivery loop).

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
        .query_one("SELECT current_setting('statement_timeout')", &[])
        .await?
        .get(0);
    client
        .execute(
            "SELECT set_config('statement_timeout', $1, true)",
            &[&format!("{}s", timeout_secs)],
        )
        .await?;
    let hours = older_than_hours.clamp(0, i64::from(i32::MAX)) as i32;
    let (mut events, mut invocations) = (0i64, 0i64);
    loop {
        let row = client
            .query_one(
                DELETE_BATCH,
                &[&trigger, &hours, &batch_size, &clean_invocation_logs],
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
        .execute(
            "SELECT set_config('statement_timeout', $1, true)",
            &[&previous],
        )
        .await?;
    Ok((events, invocations))
}

/// Whether the cron expression `expr` (minute hour day-of-month month day-of-week; `*`,
/// `*/n`, `a-b`, `a-b/n` and lists) matches the given UTC minute. `None` if it does not parse.
pub fn cron_matches(
    expr: &str,
    minute: u32,
    hour: u32,
    dom: u32,
    month: u32,
    dow: u32,
) -> Option<bool> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    if fields.len() != 5 {
        return None;
    }
    let dow_ok =
        field_matches(fields[4], dow, 0, 7)? || (dow == 0 && field_matches(fields[4], 7, 0, 7)?);
    Some(
        field_matches(fields[0], minute, 0, 59)?
            && field_matches(fields[1], hour, 0, 23)?
            && field_matches(fields[2], dom, 1, 31)?
            && field_matches(fields[3], month, 1, 12)?
            && dow_ok,
    )
}

fn field_matches(field: &str, value: u32, min: u32, max: u32) -> Option<bool> {
    let mut any = false;
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().ok().filter(|s| *s > 0)?),
            None => (part, 1),
        };
        let (lo, hi) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            (a.parse().ok()?, b.parse().ok()?)
        } else {
            let v: u32 = range.parse().ok()?;
            (v, if part.contains('/') { max } else { v })
        };
        if lo < min || hi > max || lo > hi {
            return None;
        }
        if value >= lo && value <= hi && (value - lo).is_multiple_of(step) {
            any = true;
        }
    }
    Some(any)
}

/// (minute, hour, day of month, month, day of week) of a Unix time, in UTC.
pub fn utc_fields(unix_secs: u64) -> (u32, u32, u32, u32, u32) {
    let days = unix_secs / 86_400;
    let secs = unix_secs % 86_400;
    let (minute, hour) = (((secs / 60) % 60) as u32, (secs / 3600) as u32);
    let dow = ((days + 4) % 7) as u32; // 1970-01-01 was a Thursday
                                       // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let dom = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (minute, hour, dom, month, dow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron() {
        assert_eq!(cron_matches("0 0 * * *", 0, 0, 5, 3, 2), Some(true));
        assert_eq!(cron_matches("0 0 * * *", 1, 0, 5, 3, 2), Some(false));
        assert_eq!(cron_matches("*/15 * * * *", 30, 7, 1, 1, 0), Some(true));
        assert_eq!(cron_matches("*/15 * * * *", 31, 7, 1, 1, 0), Some(false));
        assert_eq!(cron_matches("0 9-17 * * 1-5", 0, 12, 1, 1, 3), Some(true));
        assert_eq!(cron_matches("0 9-17 * * 1-5", 0, 12, 1, 1, 6), Some(false));
        assert_eq!(cron_matches("0 0 * * 7", 0, 0, 1, 1, 0), Some(true));
        assert_eq!(cron_matches("1,2,3 * * * *", 2, 0, 1, 1, 0), Some(true));
        assert_eq!(cron_matches("61 * * * *", 0, 0, 1, 1, 0), None);
        assert_eq!(cron_matches("* * *", 0, 0, 1, 1, 0), None);
    }

    #[test]
    fn utc() {
        // 2026-12-01T19:08:00Z, a Tuesday.
        assert_eq!(utc_fields(1_796_152_080), (8, 19, 1, 12, 2));
        assert_eq!(utc_fields(0), (0, 0, 1, 1, 4));
    }
}
