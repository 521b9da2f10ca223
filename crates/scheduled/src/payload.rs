//! The webhook body Hasura sends for a scheduled event, and its timestamps as Hasura prints
//! them (`2024-01-01T10:00:00Z`, a fraction only when there is one, in groups of three digits).

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

/// A time given in microseconds since the epoch, as Hasura prints it.
pub fn iso(micros: i64) -> String {
    let Some(t) = DateTime::<Utc>::from_timestamp_micros(micros) else {
        return String::new();
    };
    let format = if micros % 1_000_000 == 0 {
        SecondsFormat::Secs
    } else if micros % 1_000 == 0 {
        SecondsFormat::Millis
    } else {
        SecondsFormat::Micros
    };
    t.to_rfc3339_opts(format, true)
}

/// Microseconds since the epoch of an ISO-8601 time (`Z`, an offset, or none meaning UTC).
pub fn parse_time(s: &str) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_micros());
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc().timestamp_micros());
        }
    }
    None
}

/// The body of a cron event: `{id, name, scheduled_time, payload, comment?}`.
pub fn cron_body(
    id: &str,
    name: &str,
    scheduled_micros: i64,
    payload: Option<&Value>,
    comment: Option<&str>,
) -> String {
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.insert("name".into(), json!(name));
    m.insert("scheduled_time".into(), json!(iso(scheduled_micros)));
    m.insert("payload".into(), payload.cloned().unwrap_or(Value::Null));
    if let Some(c) = comment {
        m.insert("comment".into(), json!(c));
    }
    Value::Object(m).to_string()
}

/// The body of a one-off event: `{id, scheduled_time, payload, comment?, created_at}`.
pub fn one_off_body(
    id: &str,
    scheduled_micros: i64,
    payload: Option<&Value>,
    comment: Option<&str>,
    created_micros: i64,
) -> String {
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.insert("scheduled_time".into(), json!(iso(scheduled_micros)));
    m.insert("payload".into(), payload.cloned().unwrap_or(Value::Null));
    if let Some(c) = comment {
        m.insert("comment".into(), json!(c));
    }
    m.insert("created_at".into(), json!(iso(created_micros)));
    Value::Object(m).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_as_hasura_prints_them() {
        let t = parse_time("2024-01-01T10:00:00Z").unwrap();
        assert_eq!(iso(t), "2024-01-01T10:00:00Z");
        assert_eq!(iso(t + 120_000), "2024-01-01T10:00:00.120Z");
        assert_eq!(iso(t + 123_456), "2024-01-01T10:00:00.123456Z");
        assert_eq!(parse_time("2024-01-01T12:00:00+02:00"), Some(t));
        assert_eq!(parse_time("2024-01-01T10:00:00"), Some(t));
        assert_eq!(parse_time("tomorrow"), None);
    }

    #[test]
    fn bodies_have_hasura_keys() {
        let t = parse_time("2024-01-01T10:00:00Z").unwrap();
        let cron: Value = serde_json::from_str(&cron_body("e1", "nightly", t, None, None)).unwrap();
        assert_eq!(
            cron,
            json!({"id": "e1", "name": "nightly", "scheduled_time": "2024-01-01T10:00:00Z", "payload": null})
        );
        let one: Value = serde_json::from_str(&one_off_body(
            "e2",
            t,
            Some(&json!({"k": 1})),
            Some("hi"),
            t - 1_000_000,
        ))
        .unwrap();
        assert_eq!(
            one,
            json!({"id": "e2", "scheduled_time": "2024-01-01T10:00:00Z", "payload": {"k": 1},
                   "comment": "hi", "created_at": "2024-01-01T09:59:59Z"})
        );
    }
}
