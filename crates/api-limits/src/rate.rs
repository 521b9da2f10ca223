//! The rate limiter: per-minute counters in PostgreSQL, shared by every engine on the
//! database, read as a sliding window, and handed to each engine in grants so that most
//! requests are counted in memory.
//!
//! A request takes a token from its engine's grant for the key; when none is left, the engine
//! asks the database for more (one statement): at most a sixteenth of the limit at once, and
//! never more than the sliding estimate leaves (last minute's count weighted by the part of it
//! still inside the window, plus this minute's). The engines together therefore never serve
//! more than the limit; tokens granted but not used are lost when the minute turns (at most a
//! sixteenth of the limit per engine). A limit under 32 is counted request by request.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

use crate::config::RateLimit;

/// What one engine holds of each key's allowance in the current minute.
#[derive(Debug, Default)]
pub struct Grants {
    held: Mutex<HashMap<String, Held>>,
}

#[derive(Debug, Clone, Copy)]
struct Held {
    window: i64,
    tokens: u64,
}

/// The minute `now` (seconds since the epoch) falls in, as its first second.
fn window_of(now: f64) -> i64 {
    (now / 60.0).floor() as i64 * 60
}

impl Grants {
    /// Counts one request under `key` at `now` (seconds since the epoch) and says whether it
    /// stays within `limit`.
    pub async fn hit(
        &self,
        client: &impl GenericClient,
        key: &str,
        limit: &RateLimit,
        now: f64,
    ) -> Result<bool, tokio_postgres::Error> {
        let window = window_of(now);
        if self.take(key, window) {
            return Ok(true);
        }
        let granted = grant(client, key, limit.max_reqs_per_min, now).await?;
        if granted == 0 {
            return Ok(false);
        }
        let mut held = self.held.lock().expect("grants lock");
        // Grants of past minutes are dropped as new ones come.
        held.retain(|_, h| h.window >= window);
        held.insert(
            key.to_string(),
            Held {
                window,
                tokens: granted - 1,
            },
        );
        Ok(true)
    }

    /// Counts one request under `key` at `now` from this engine's grant alone, if it has a
    /// token left (no database needed); `false` means ask [`Grants::hit`].
    pub fn try_take(&self, key: &str, now: f64) -> bool {
        self.take(key, window_of(now))
    }

    /// Takes a token from this engine's grant for `key` in `window`, if one is left.
    fn take(&self, key: &str, window: i64) -> bool {
        let mut held = self.held.lock().expect("grants lock");
        match held.get_mut(key) {
            Some(h) if h.window == window && h.tokens > 0 => {
                h.tokens -= 1;
                true
            }
            _ => false,
        }
    }
}

/// The counter turned over to this minute (last minute's count becomes `previous`) and a
/// grant taken from what the sliding estimate leaves, under the row's lock, in one statement.
const GRANT: &str = "\
INSERT INTO hdb_catalog.rasura_rate_limits AS r (key, window_start, count, previous, granted) \
VALUES ($1, $2, $3, 0, $3) \
ON CONFLICT (key) DO UPDATE SET \
  previous = CASE WHEN r.window_start = excluded.window_start THEN r.previous \
                  WHEN r.window_start = excluded.window_start - 60 THEN r.count ELSE 0 END, \
  count = (CASE WHEN r.window_start = excluded.window_start THEN r.count ELSE 0 END) \
        + greatest(0, least($4::int, floor($5::float8 \
            - (CASE WHEN r.window_start = excluded.window_start THEN r.previous \
                    WHEN r.window_start = excluded.window_start - 60 THEN r.count ELSE 0 END) * $6::float8 \
            - (CASE WHEN r.window_start = excluded.window_start THEN r.count ELSE 0 END))::int)), \
  granted = greatest(0, least($4::int, floor($5::float8 \
            - (CASE WHEN r.window_start = excluded.window_start THEN r.previous \
                    WHEN r.window_start = excluded.window_start - 60 THEN r.count ELSE 0 END) * $6::float8 \
            - (CASE WHEN r.window_start = excluded.window_start THEN r.count ELSE 0 END))::int)), \
  window_start = excluded.window_start \
RETURNING granted";

/// Asks the database for tokens of `key`'s allowance; returns how many it gave.
async fn grant(
    client: &impl GenericClient,
    key: &str,
    max: u64,
    now: f64,
) -> Result<u64, tokio_postgres::Error> {
    let window = window_of(now);
    // The part of last minute still inside the sliding window.
    let left = ((60.0 - (now - window as f64)) / 60.0).clamp(0.0, 1.0);
    let chunk = i32::try_from(if max < 32 { 1 } else { max / 16 }).unwrap_or(i32::MAX);
    let first = i32::try_from(max).unwrap_or(i32::MAX).min(chunk);
    let max = max as f64;
    let row = client
        .query_typed_one(
            GRANT,
            &[
                (&key, Type::TEXT),
                (&window, Type::INT8),
                (&first, Type::INT4),
                (&chunk, Type::INT4),
                (&max, Type::FLOAT8),
                (&left, Type::FLOAT8),
            ],
        )
        .await?;
    Ok(u64::try_from(row.get::<_, i32>(0)).unwrap_or(0))
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
