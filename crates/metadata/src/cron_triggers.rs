//! Cron triggers: the `cron_triggers` section (Hasura's shape), its pure edits
//! (`create_cron_trigger`, `delete_cron_trigger`), what `get_cron_triggers` and
//! `export_metadata` show of it, and the cron schedule itself (five fields, UTC).
//!
//! Hasura keeps every cron trigger in the metadata but exports only those with
//! `include_in_metadata: true`; a `replace_metadata` keeps the others.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::document::Metadata;
use crate::error::MetadataError;
use crate::event_triggers::{check_headers, check_webhook, HeaderConf};

/// The metadata key of the section.
pub const SECTION: &str = "cron_triggers";

/// How many future events of a trigger are kept in `hdb_cron_events`.
pub const EVENTS_AHEAD: usize = 100;

/// `retry_conf` of a scheduled trigger; every field defaults on its own (Hasura's defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduledRetryConf {
    #[serde(default)]
    pub num_retries: i64,
    #[serde(default = "default_interval")]
    pub retry_interval_seconds: i64,
    #[serde(default = "default_timeout")]
    pub timeout_seconds: i64,
    #[serde(default = "default_tolerance")]
    pub tolerance_seconds: i64,
}

fn default_interval() -> i64 {
    10
}
fn default_timeout() -> i64 {
    60
}
fn default_tolerance() -> i64 {
    21_600
}

impl Default for ScheduledRetryConf {
    fn default() -> Self {
        ScheduledRetryConf {
            num_retries: 0,
            retry_interval_seconds: default_interval(),
            timeout_seconds: default_timeout(),
            tolerance_seconds: default_tolerance(),
        }
    }
}

impl ScheduledRetryConf {
    /// Hasura's rules: no negative number of retries or seconds.
    pub fn check(&self) -> Result<(), MetadataError> {
        if self.num_retries < 0 {
            return Err(MetadataError::Parse(
                "num_retries cannot be a negative value".into(),
            ));
        }
        for (name, v) in [
            ("retry_interval_seconds", self.retry_interval_seconds),
            ("timeout_seconds", self.timeout_seconds),
            ("tolerance_seconds", self.tolerance_seconds),
        ] {
            if v < 0 {
                return Err(MetadataError::Parse(format!(
                    "{name} cannot be a negative value"
                )));
            }
        }
        Ok(())
    }
}

/// One cron trigger as the metadata holds it (keys in the order Hasura exports them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CronTrigger {
    pub name: String,
    /// A URL, `{{ENV}}` templates allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<String>,
    /// The environment variable holding the URL (the issue's `webhook_from_env`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_from_env: Option<String>,
    pub schedule: String,
    pub include_in_metadata: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
    #[serde(default, skip_serializing_if = "is_default_retry")]
    pub retry_conf: ScheduledRetryConf,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<HeaderConf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_transform: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_transform: Option<Value>,
}

fn is_default_retry(r: &ScheduledRetryConf) -> bool {
    *r == ScheduledRetryConf::default()
}

impl CronTrigger {
    /// Reads one entry, checking what the document alone can check.
    pub fn from_value(v: &Value) -> Result<CronTrigger, MetadataError> {
        let t: CronTrigger =
            serde_json::from_value(v.clone()).map_err(|e| MetadataError::Parse(e.to_string()))?;
        t.check()?;
        Ok(t)
    }

    fn check(&self) -> Result<(), MetadataError> {
        check_webhook(&self.webhook, &self.webhook_from_env)?;
        parse_schedule(&self.schedule).map_err(MetadataError::Parse)?;
        self.retry_conf.check()?;
        check_headers(&self.headers)
    }

    /// The entry as `get_cron_triggers` shows it: `retry_conf` in full and `headers` always.
    pub fn to_listing(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Value::Object(m) = &mut v {
            m.insert(
                "retry_conf".into(),
                serde_json::to_value(&self.retry_conf).unwrap_or_default(),
            );
            if !m.contains_key("headers") {
                m.insert("headers".into(), Value::Array(vec![]));
            }
        }
        v
    }
}

/// A parsed schedule: standard five-field cron (minute hour day-of-month month day-of-week),
/// evaluated in UTC.
pub type Schedule = croner::Cron;

/// Parses a five-field cron expression.
pub fn parse_schedule(s: &str) -> Result<Schedule, String> {
    if s.split_whitespace().count() != 5 {
        return Err(format!(
            "invalid cron schedule \"{s}\": expected five fields (minute hour day-of-month month day-of-week)"
        ));
    }
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Disallowed)
        .year(croner::parser::Year::Disallowed)
        .build()
        .parse(s)
        .map_err(|e| format!("invalid cron schedule \"{s}\": {e}"))
}

/// The next `n` times of `schedule` strictly after `after`.
pub fn next_times(schedule: &Schedule, after: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
    schedule.iter_after(after).take(n).collect()
}

/// Whether `schedule` fires in the minute starting at `minute_start`.
pub fn fires_at(schedule: &Schedule, minute_start: DateTime<Utc>) -> bool {
    schedule.is_time_matching(&minute_start).unwrap_or(false)
}

/// Every cron trigger of the metadata (entries that do not parse are skipped; resolving
/// reports them).
pub fn all(md: &Metadata) -> Vec<CronTrigger> {
    entries(md)
        .iter()
        .filter_map(|v| serde_json::from_value(v.clone()).ok())
        .collect()
}

fn entries(md: &Metadata) -> &[Value] {
    md.extra
        .get(SECTION)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn entries_mut(md: &mut Metadata) -> &mut Vec<Value> {
    let section = md
        .extra
        .entry(SECTION)
        .or_insert_with(|| Value::Array(vec![]));
    if !section.is_array() {
        *section = Value::Array(vec![]);
    }
    section.as_array_mut().expect("made an array above")
}

fn position(md: &Metadata, name: &str) -> Option<usize> {
    entries(md)
        .iter()
        .position(|e| e.get("name").and_then(Value::as_str) == Some(name))
}

fn not_exists(name: &str) -> MetadataError {
    MetadataError::NotExists(format!("cron trigger with name: {name} does not exist"))
}

/// `create_cron_trigger`: adds the trigger, or with `replace: true` replaces one.
pub fn create_cron_trigger(md: &mut Metadata, args: &Value) -> Result<CronTrigger, MetadataError> {
    let mut fields: Map<String, Value> = match args {
        Value::Object(m) => m.clone(),
        _ => return Err(MetadataError::Parse("expected an object".into())),
    };
    let replace = match fields.remove("replace") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => b,
        Some(_) => return Err(MetadataError::Parse("\"replace\" must be a boolean".into())),
    };
    let trigger = CronTrigger::from_value(&Value::Object(fields))?;
    let stored = serde_json::to_value(&trigger).map_err(|e| MetadataError::Parse(e.to_string()))?;
    match (position(md, &trigger.name), replace) {
        (Some(_), false) => Err(MetadataError::AlreadyExists(format!(
            "cron trigger with name: {} already exists",
            trigger.name
        ))),
        (None, true) => Err(not_exists(&trigger.name)),
        (Some(i), true) => {
            entries_mut(md)[i] = stored;
            Ok(trigger)
        }
        (None, false) => {
            entries_mut(md).push(stored);
            Ok(trigger)
        }
    }
}

/// `delete_cron_trigger {name}`.
pub fn delete_cron_trigger(md: &mut Metadata, args: &Value) -> Result<(), MetadataError> {
    let name = args
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| MetadataError::Parse("key \"name\" not found".into()))?;
    let i = position(md, name).ok_or_else(|| not_exists(name))?;
    entries_mut(md).remove(i);
    if entries(md).is_empty() {
        md.extra.remove(SECTION);
    }
    Ok(())
}

/// Removes the trigger called `name` (dropping an inconsistent object).
pub fn remove(md: &mut Metadata, name: &str) {
    if let Some(i) = position(md, name) {
        entries_mut(md).remove(i);
    }
    if entries(md).is_empty() {
        md.extra.remove(SECTION);
    }
}

/// `get_cron_triggers`: every trigger, in the order they were created.
pub fn listing(md: &Metadata) -> Value {
    let list: Vec<Value> = entries(md)
        .iter()
        .map(|v| match serde_json::from_value::<CronTrigger>(v.clone()) {
            Ok(t) => t.to_listing(),
            Err(_) => v.clone(),
        })
        .collect();
    serde_json::json!({ "cron_triggers": list })
}

/// Shapes an exported document: only triggers with `include_in_metadata`, sorted by name;
/// the section goes when none is left.
pub fn for_export(doc: &mut Value) {
    let Some(Value::Array(list)) = doc.get_mut(SECTION) else {
        return;
    };
    list.retain(|t| t.get("include_in_metadata") != Some(&Value::Bool(false)));
    list.sort_by(|a, b| {
        let name = |v: &Value| {
            v.get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        name(a).cmp(&name(b))
    });
    if list.is_empty() {
        if let Value::Object(m) = doc {
            m.remove(SECTION);
        }
    }
}

/// For `replace_metadata`: the new document keeps the old triggers that are not part of
/// exported metadata; a new trigger may not take such a trigger's name.
pub fn keep_unexported(old: &Metadata, new: &mut Metadata) -> Result<(), MetadataError> {
    let kept: Vec<Value> = entries(old)
        .iter()
        .filter(|t| t.get("include_in_metadata") == Some(&Value::Bool(false)))
        .cloned()
        .collect();
    for t in kept {
        let name = t.get("name").and_then(Value::as_str).unwrap_or_default();
        if position(new, name).is_some() {
            return Err(MetadataError::AlreadyExists(format!(
                "cron trigger with name \"{name}\" already exists as a cron trigger with \"included_in_metadata\" as false"
            )));
        }
        entries_mut(new).push(t);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn schedules_are_five_field_utc() {
        let every_minute = parse_schedule("* * * * *").unwrap();
        let times = next_times(&every_minute, at("2024-01-01T10:00:30Z"), 3);
        assert_eq!(
            times,
            vec![
                at("2024-01-01T10:01:00Z"),
                at("2024-01-01T10:02:00Z"),
                at("2024-01-01T10:03:00Z")
            ]
        );
        // Day of week 0 and 7 are Sunday; 2024-01-07 was a Sunday.
        let sundays = parse_schedule("30 6 * * 0").unwrap();
        assert_eq!(
            next_times(&sundays, at("2024-01-01T00:00:00Z"), 1),
            vec![at("2024-01-07T06:30:00Z")]
        );
        let nightly = parse_schedule("0 0 */2 * *").unwrap();
        assert!(fires_at(&nightly, at("2024-01-03T00:00:00Z")));
        assert!(!fires_at(&nightly, at("2024-01-02T00:00:00Z")));
        assert!(parse_schedule("0 * * * * *").is_err());
        assert!(parse_schedule("61 * * * *").is_err());
        assert!(parse_schedule("every day").is_err());
    }

    #[test]
    fn create_replace_delete_and_export() {
        let mut md = Metadata::empty();
        let args = json!({"name": "a", "webhook": "http://x/y", "schedule": "* * * * *", "include_in_metadata": false, "payload": {"k": 1}});
        create_cron_trigger(&mut md, &args).unwrap();
        let e = create_cron_trigger(&mut md, &args).unwrap_err();
        assert_eq!(e.code(), "already-exists");
        assert_eq!(e.to_string(), "cron trigger with name: a already exists");
        let e = create_cron_trigger(
            &mut md,
            &json!({"name": "b", "webhook": "http://x", "schedule": "* * * * *", "include_in_metadata": true, "replace": true}),
        )
        .unwrap_err();
        assert_eq!(e.code(), "not-exists");
        create_cron_trigger(
            &mut md,
            &json!({"name": "b", "webhook": "http://x", "schedule": "0 0 * * *", "include_in_metadata": true, "retry_conf": {"num_retries": 2}}),
        )
        .unwrap();
        let listing = listing(&md);
        assert_eq!(
            listing["cron_triggers"][0]["retry_conf"],
            json!({"num_retries": 0, "retry_interval_seconds": 10, "timeout_seconds": 60, "tolerance_seconds": 21600})
        );
        assert_eq!(listing["cron_triggers"][0]["headers"], json!([]));
        let mut doc = md.to_json();
        for_export(&mut doc);
        assert_eq!(
            doc["cron_triggers"],
            json!([{"name": "b", "webhook": "http://x", "schedule": "0 0 * * *", "include_in_metadata": true,
                    "retry_conf": {"num_retries": 2, "retry_interval_seconds": 10, "timeout_seconds": 60, "tolerance_seconds": 21600}}])
        );
        // replace_metadata keeps the trigger that is not exported.
        let mut new = Metadata::empty();
        keep_unexported(&md, &mut new).unwrap();
        assert_eq!(all(&new).len(), 1);
        assert!(keep_unexported(&md, &mut new).is_err());
        delete_cron_trigger(&mut md, &json!({"name": "a"})).unwrap();
        delete_cron_trigger(&mut md, &json!({"name": "b"})).unwrap();
        assert!(md.extra.get(SECTION).is_none());
        assert_eq!(
            delete_cron_trigger(&mut md, &json!({"name": "b"}))
                .unwrap_err()
                .to_string(),
            "cron trigger with name: b does not exist"
        );
        let bad = json!({"name": "c", "webhook": "http://x", "schedule": "* * *", "include_in_metadata": true});
        assert_eq!(
            create_cron_trigger(&mut md, &bad).unwrap_err().code(),
            "parse-failed"
        );
    }
}
