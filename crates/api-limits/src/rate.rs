//! The rate limiter: per-minute counters in PostgreSQL, shared by every engine on the
//! database, read as a sliding window.

use tokio_postgres::GenericClient;

use crate::config::RateLimit;

/// Counts one request under `key` and says whether it stays within `limit`.
/// `now` is the time in seconds since the epoch.
pub async fn hit(
    client: &impl GenericClient,
    key: &str,
    limit: &RateLimit,
    now: f64,
) -> Result<bool, tokio_postgres::Error> {
    let window = (now / 60.0).floor() as i64 * 60;
    let row = client
        .query_one(
            "INSERT INTO hdb_catalog.rasura_rate_limits AS r (key, window_start, count, previous) \
             VALUES ($1, $2, 1, 0) \
             ON CONFLICT (key) DO UPDATE SET \
               previous = CASE WHEN r.window_start = excluded.window_start THEN r.previous \
                               WHEN r.window_start = excluded.window_start - 60 THEN r.count \
                               ELSE 0 END, \
               count = CASE WHEN r.window_start = excluded.window_start THEN r.count + 1 ELSE 1 END, \
               window_start = excluded.window_start \
             RETURNING count, previous",
            &[&key, &window],
        )
        .await?;
    let (count, previous): (i32, i32) = (row.get(0), row.get(1));
    Ok(estimate(count, previous, now - window as f64) <= limit.max_reqs_per_min as f64)
}

/// Requests in the minute before now: this minute's count, and the last minute's weighted by
/// the part of it still inside the sliding window.
pub fn estimate(count: i32, previous: i32, elapsed_secs: f64) -> f64 {
    let left = ((60.0 - elapsed_secs) / 60.0).clamp(0.0, 1.0);
    f64::from(previous) * left + f64::from(count)
}

/// The counter's key: the role and the values of the limit's unique parameters (session
/// variables by name, or the client address for `"IP"`).
pub fn key(
    role: &str,
    limit: &RateLimit,
    var: impl Fn(&str) -> Option<String>,
    ip: Option<&str>,
) -> String {
    let mut key = format!("role={role}");
    match &limit.unique_params {
        Some(serde_json::Value::String(_)) => {
            key.push_str(&format!(";ip={}", ip.unwrap_or("")));
        }
        Some(serde_json::Value::Array(vars)) => {
            for v in vars.iter().filter_map(serde_json::Value::as_str) {
                let name = v.to_ascii_lowercase();
                key.push_str(&format!(";{name}={}", var(&name).unwrap_or_default()));
            }
        }
        _ => {}
    }
    key
}
