//! Event triggers of a table: their definition as stored in the table entry's `event_triggers`
//! list (Hasura's shape), and the pure edits `create_event_trigger` / `delete_event_trigger`.
//!
//! Whether the columns exist is decided later, by resolving against the catalog; here only the
//! document's own rules are checked (name, webhook, operations, retry configuration).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::document::{Metadata, DEFAULT_SOURCE};
use crate::error::MetadataError;
use crate::table::QualifiedName;

/// `"*"` or a list of column names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EventColumns {
    All(Star),
    List(Vec<String>),
}

/// The literal `"*"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Star;

impl Serialize for Star {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("*")
    }
}

impl<'de> Deserialize<'de> for Star {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s == "*" {
            Ok(Star)
        } else {
            Err(serde::de::Error::custom(
                "expected \"*\" or a list of columns",
            ))
        }
    }
}

/// One operation's specification: the columns listened to (they matter for UPDATE only) and
/// the columns sent in the payload (all when absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperationSpec {
    pub columns: EventColumns,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<EventColumns>,
}

/// `definition` of a stored event trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriggerDefinition {
    #[serde(default)]
    pub enable_manual: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insert: Option<OperationSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<OperationSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete: Option<OperationSpec>,
}

/// `retry_conf`; Hasura's defaults when absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetryConf {
    #[serde(default)]
    pub num_retries: i64,
    #[serde(default = "default_interval")]
    pub interval_sec: i64,
    #[serde(default = "default_timeout")]
    pub timeout_sec: i64,
}

fn default_interval() -> i64 {
    10
}

fn default_timeout() -> i64 {
    60
}

impl Default for RetryConf {
    fn default() -> Self {
        RetryConf {
            num_retries: 0,
            interval_sec: default_interval(),
            timeout_sec: default_timeout(),
        }
    }
}

/// One configured header: a value, or the name of an environment variable holding it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeaderConf {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_from_env: Option<String>,
}

/// An event trigger as stored in a table entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventTrigger {
    pub name: String,
    pub definition: TriggerDefinition,
    #[serde(default)]
    pub retry_conf: RetryConf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_from_env: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<HeaderConf>,
    /// Keys this version does not model (transforms, cleanup_config), kept as they were.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl EventTrigger {
    /// Reads a stored entry.
    pub fn from_value(v: &Value) -> Result<EventTrigger, MetadataError> {
        serde_json::from_value(v.clone()).map_err(|e| MetadataError::Parse(e.to_string()))
    }
}

fn default_source() -> String {
    DEFAULT_SOURCE.to_string()
}

/// `create_event_trigger` arguments.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateEventTriggerArgs {
    pub name: String,
    pub table: QualifiedName,
    #[serde(default = "default_source")]
    pub source: String,
    #[serde(default)]
    pub webhook: Option<String>,
    #[serde(default)]
    pub webhook_from_env: Option<String>,
    #[serde(default)]
    pub insert: Option<OperationSpec>,
    #[serde(default)]
    pub update: Option<OperationSpec>,
    #[serde(default)]
    pub delete: Option<OperationSpec>,
    #[serde(default)]
    pub enable_manual: bool,
    #[serde(default)]
    pub retry_conf: Option<RetryConf>,
    #[serde(default)]
    pub headers: Vec<HeaderConf>,
    #[serde(default)]
    pub replace: bool,
    #[serde(default)]
    pub request_transform: Option<Value>,
    #[serde(default)]
    pub response_transform: Option<Value>,
    #[serde(default)]
    pub cleanup_config: Option<Value>,
    #[serde(default)]
    pub trigger_on_replication: Option<bool>,
    #[serde(default)]
    pub comment: Option<String>,
}

/// Postgres identifiers hold 63 bytes; `notify_hasura_<name>_INSERT` must fit.
const MAX_NAME_BYTES: usize = 63 - "notify_hasura_".len() - "_INSERT".len();

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn check_spec(spec: &Option<OperationSpec>) -> Result<(), MetadataError> {
    let Some(spec) = spec else { return Ok(()) };
    if matches!(&spec.columns, EventColumns::List(c) if c.is_empty()) {
        return Err(MetadataError::Parse(
            "found empty column specification".into(),
        ));
    }
    if matches!(&spec.payload, Some(EventColumns::List(c)) if c.is_empty()) {
        return Err(MetadataError::Parse(
            "found empty payload specification".into(),
        ));
    }
    Ok(())
}

/// Checks the arguments on their own (no catalog needed).
pub fn validate(args: &CreateEventTriggerArgs) -> Result<(), MetadataError> {
    if !valid_name(&args.name) {
        return Err(MetadataError::Parse(
            "only alphanumeric and underscore and hyphens allowed for name".into(),
        ));
    }
    if args.name.len() > MAX_NAME_BYTES {
        return Err(MetadataError::Parse(format!(
            "event trigger name can be at most {MAX_NAME_BYTES} characters"
        )));
    }
    check_webhook(&args.webhook, &args.webhook_from_env)?;
    if args.insert.is_none()
        && args.update.is_none()
        && args.delete.is_none()
        && !args.enable_manual
    {
        return Err(MetadataError::Parse(
            "atleast one amongst insert/update/delete/enable_manual spec must be provided".into(),
        ));
    }
    check_spec(&args.insert)?;
    check_spec(&args.update)?;
    check_spec(&args.delete)?;
    if let Some(r) = &args.retry_conf {
        if r.num_retries < 0 {
            return Err(MetadataError::Parse(
                "retry_conf.num_retries cannot be negative".into(),
            ));
        }
        if r.interval_sec <= 0 {
            return Err(MetadataError::Parse(
                "retry_conf.interval_sec must be a positive number of seconds".into(),
            ));
        }
        if r.timeout_sec <= 0 {
            return Err(MetadataError::Parse(
                "retry_conf.timeout_sec must be a positive number of seconds".into(),
            ));
        }
    }
    check_headers(&args.headers)
}

/// Exactly one of a webhook URL (checked) or the environment variable holding it.
pub fn check_webhook(
    webhook: &Option<String>,
    from_env: &Option<String>,
) -> Result<(), MetadataError> {
    match (webhook, from_env) {
        (Some(_), Some(_)) => Err(MetadataError::Parse(
            "only one of webhook or webhook_from_env should be given".into(),
        )),
        (None, None) => Err(MetadataError::Parse(
            "must provide webhook or webhook_from_env".into(),
        )),
        (Some(url), None) => check_url(url),
        (None, Some(_)) => Ok(()),
    }
}

/// Every header has exactly one of `value` and `value_from_env`.
pub fn check_headers(headers: &[HeaderConf]) -> Result<(), MetadataError> {
    for h in headers {
        if h.value.is_some() == h.value_from_env.is_some() {
            return Err(MetadataError::Parse(format!(
                "header \"{}\" needs exactly one of value or value_from_env",
                h.name
            )));
        }
    }
    Ok(())
}

/// A webhook URL given literally must be http(s) with a host; `{{ENV}}` templates are
/// checked when they are resolved.
pub fn check_url(url: &str) -> Result<(), MetadataError> {
    if url.contains("{{") {
        return Ok(());
    }
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with('/') && !r.contains(char::is_whitespace) => {
            Ok(())
        }
        _ => Err(MetadataError::Parse(format!(
            "invalid webhook URL \"{url}\": expected an http:// or https:// URL"
        ))),
    }
}

/// The table and stored entry of the trigger called `name`, in any table of the source.
pub fn find<'a>(
    md: &'a Metadata,
    source: &str,
    name: &str,
) -> Option<(&'a QualifiedName, &'a Value)> {
    let source = md.source(source).ok()?;
    source.tables.iter().find_map(|t| {
        t.event_triggers
            .iter()
            .find(|e| e.get("name").and_then(Value::as_str) == Some(name))
            .map(|e| (&t.table, e))
    })
}

/// `create_event_trigger`: adds the trigger to its table (or replaces it with `replace`).
pub fn create_event_trigger(
    md: &mut Metadata,
    args: CreateEventTriggerArgs,
) -> Result<(), MetadataError> {
    validate(&args)?;
    let existing = find(md, &args.source, &args.name).map(|(t, _)| t.clone());
    match (&existing, args.replace) {
        (Some(_), false) => {
            return Err(MetadataError::AlreadyExists(format!(
                "Event trigger with name \"{}\" already exists",
                args.name
            )))
        }
        (None, true) => {
            return Err(MetadataError::NotExists(format!(
                "event trigger \"{}\" does not exist",
                args.name
            )))
        }
        (Some(t), true) if t != &args.table => {
            return Err(MetadataError::NotSupported(
                "cannot replace table or schema for trigger".into(),
            ))
        }
        _ => {}
    }
    let mut extra = Map::new();
    for (k, v) in [
        ("request_transform", args.request_transform),
        ("response_transform", args.response_transform),
        ("cleanup_config", args.cleanup_config),
    ] {
        if let Some(v) = v {
            extra.insert(k.into(), v);
        }
    }
    let trigger = EventTrigger {
        name: args.name.clone(),
        definition: TriggerDefinition {
            enable_manual: args.enable_manual,
            insert: args.insert,
            update: args.update,
            delete: args.delete,
        },
        retry_conf: args.retry_conf.unwrap_or_default(),
        webhook: args.webhook,
        webhook_from_env: args.webhook_from_env,
        headers: args.headers,
        extra,
    };
    let value = serde_json::to_value(&trigger).map_err(|e| MetadataError::Parse(e.to_string()))?;
    let table = md.source_mut(&args.source)?.tracked_mut(&args.table)?;
    match table
        .event_triggers
        .iter_mut()
        .find(|e| e.get("name").and_then(Value::as_str) == Some(&args.name))
    {
        Some(slot) => *slot = value,
        None => table.event_triggers.push(value),
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
pub struct DeleteEventTriggerArgs {
    pub name: String,
    #[serde(default = "default_source")]
    pub source: String,
}

/// `delete_event_trigger`: removes the trigger; returns the table it was on.
pub fn delete_event_trigger(
    md: &mut Metadata,
    args: &DeleteEventTriggerArgs,
) -> Result<QualifiedName, MetadataError> {
    let Some((table, _)) = find(md, &args.source, &args.name) else {
        return Err(MetadataError::NotExists(format!(
            "event trigger \"{}\" does not exist",
            args.name
        )));
    };
    let table = table.clone();
    let entry = md.source_mut(&args.source)?.tracked_mut(&table)?;
    entry
        .event_triggers
        .retain(|e| e.get("name").and_then(Value::as_str) != Some(&args.name));
    Ok(table)
}

/// `pause_event_trigger_cleanups` / `resume_event_trigger_cleanups`: sets `cleanup_config.paused`
/// of the triggers named by `{"event_triggers": {"sources": "*" | [names]} | [{"source_name"?,
/// "event_triggers": [names]}]}`. Named triggers must exist and have a cleanup config; the
/// source forms skip triggers without one.
pub fn set_cleanups_paused(
    md: &mut Metadata,
    args: &Value,
    paused: bool,
) -> Result<(), MetadataError> {
    let which = args
        .get("event_triggers")
        .ok_or_else(|| MetadataError::Parse("key \"event_triggers\" not found".into()))?;
    // (source, Some(names)) for named triggers, (source, None) for every trigger of the source.
    let mut wanted: Vec<(String, Option<Vec<String>>)> = vec![];
    match which {
        Value::Object(m) => match m.get("sources") {
            Some(Value::String(s)) if s == "*" => {
                wanted.extend(md.sources.iter().map(|src| (src.name.clone(), None)));
            }
            Some(Value::Array(names)) if !names.is_empty() => {
                for n in names {
                    let n = n.as_str().ok_or_else(|| MetadataError::Parse("source can be * or a list of source names".into()))?;
                    md.source(n).map_err(|_| MetadataError::NotExists(format!("source with name {n} does not exists")))?;
                    wanted.push((n.to_string(), None));
                }
            }
            _ => return Err(MetadataError::Parse("source can be * or a list of source names".into())),
        },
        Value::Array(list) if !list.is_empty() => {
            for q in list {
                let source = q.get("source_name").and_then(Value::as_str).unwrap_or(DEFAULT_SOURCE).to_string();
                let names: Vec<String> = q
                    .get("event_triggers")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
                    .ok_or_else(|| MetadataError::Parse("key \"event_triggers\" not found".into()))?;
                wanted.push((source, Some(names)));
            }
        }
        _ => {
            return Err(MetadataError::Parse(
                "The event trigger cleanup argument should either be \"*\", list of sources or list of event trigger qualifiers".into(),
            ))
        }
    }
    for (source, names) in wanted {
        let src = md.source_mut(&source)?;
        if let Some(names) = &names {
            for n in names {
                let has = src
                    .tables
                    .iter()
                    .flat_map(|t| &t.event_triggers)
                    .find(|e| e.get("name").and_then(Value::as_str) == Some(n));
                match has {
                    None => {
                        return Err(MetadataError::NotExists(format!(
                            "event trigger \"{n}\" does not exist"
                        )))
                    }
                    Some(e) if e.get("cleanup_config").is_none() => {
                        return Err(MetadataError::NotExists(format!(
                            "cleanup config does not exist for {n}"
                        )))
                    }
                    Some(_) => {}
                }
            }
        }
        for t in &mut src.tables {
            for e in &mut t.event_triggers {
                let name = e
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                if names.as_ref().is_some_and(|n| !n.contains(&name)) {
                    continue;
                }
                if let Some(Value::Object(c)) = e.get_mut("cleanup_config") {
                    c.insert("paused".into(), Value::Bool(paused));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn md_with_user() -> Metadata {
        let mut md = Metadata::empty();
        crate::ops::apply(&mut md, "pg_track_table", json!({"table": "user"})).unwrap();
        md
    }

    fn args(v: Value) -> CreateEventTriggerArgs {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn stores_hasura_shape_with_defaults() {
        let mut md = md_with_user();
        create_event_trigger(
            &mut md,
            args(json!({"name": "user_created", "table": "user", "webhook": "http://h/event", "insert": {"columns": "*"}})),
        )
        .unwrap();
        let stored = &md.source(DEFAULT_SOURCE).unwrap().tables[0].event_triggers[0];
        assert_eq!(
            stored,
            &json!({"name": "user_created", "definition": {"enable_manual": false, "insert": {"columns": "*"}},
                    "retry_conf": {"num_retries": 0, "interval_sec": 10, "timeout_sec": 60},
                    "webhook": "http://h/event"})
        );
        let again = create_event_trigger(
            &mut md,
            args(
                json!({"name": "user_created", "table": "user", "webhook": "http://h/x", "insert": {"columns": "*"}}),
            ),
        );
        assert_eq!(again.unwrap_err().code(), "already-exists");
        create_event_trigger(
            &mut md,
            args(json!({"name": "user_created", "table": "user", "webhook": "http://h/x", "delete": {"columns": "*"}, "replace": true})),
        )
        .unwrap();
        let t = &md.source(DEFAULT_SOURCE).unwrap().tables[0];
        assert_eq!(t.event_triggers.len(), 1);
        assert_eq!(t.event_triggers[0]["webhook"], "http://h/x");
    }

    #[test]
    fn cleanups_pause_and_resume() {
        let mut md = md_with_user();
        create_event_trigger(
            &mut md,
            args(json!({"name": "a", "table": "user", "webhook": "http://h", "insert": {"columns": "*"},
                "cleanup_config": {"schedule": "0 0 * * *", "clear_older_than": 24}})),
        )
        .unwrap();
        create_event_trigger(&mut md, args(json!({"name": "b", "table": "user", "webhook": "http://h", "insert": {"columns": "*"}}))).unwrap();
        let paused = |md: &Metadata| {
            md.source(DEFAULT_SOURCE).unwrap().tables[0].event_triggers[0]["cleanup_config"]
                ["paused"]
                .clone()
        };
        set_cleanups_paused(
            &mut md,
            &json!({"event_triggers": [{"event_triggers": ["a"]}]}),
            true,
        )
        .unwrap();
        assert_eq!(paused(&md), json!(true));
        set_cleanups_paused(&mut md, &json!({"event_triggers": {"sources": "*"}}), false).unwrap();
        assert_eq!(paused(&md), json!(false));
        let e = set_cleanups_paused(
            &mut md,
            &json!({"event_triggers": [{"event_triggers": ["b"]}]}),
            true,
        )
        .unwrap_err();
        assert_eq!(e.code(), "not-exists");
        let e = set_cleanups_paused(&mut md, &json!({"event_triggers": "x"}), true).unwrap_err();
        assert_eq!(e.code(), "parse-failed");
    }

    #[test]
    fn refuses_bad_input() {
        let mut md = md_with_user();
        for (bad, needle) in [
            (
                json!({"name": "9x", "table": "user", "webhook": "http://h", "insert": {"columns": "*"}}),
                "only alphanumeric",
            ),
            (
                json!({"name": "a", "table": "user", "insert": {"columns": "*"}}),
                "webhook or webhook_from_env",
            ),
            (
                json!({"name": "a", "table": "user", "webhook": "http://h", "webhook_from_env": "X", "insert": {"columns": "*"}}),
                "only one",
            ),
            (
                json!({"name": "a", "table": "user", "webhook": "not a url", "insert": {"columns": "*"}}),
                "invalid webhook URL",
            ),
            (
                json!({"name": "a", "table": "user", "webhook": "http://h"}),
                "atleast one",
            ),
            (
                json!({"name": "a", "table": "user", "webhook": "http://h", "insert": {"columns": "*"}, "retry_conf": {"num_retries": -1}}),
                "num_retries",
            ),
            (
                json!({"name": "a", "table": "user", "webhook": "http://h", "insert": {"columns": "*"}, "retry_conf": {"interval_sec": 0}}),
                "interval_sec",
            ),
            (
                json!({"name": "a", "table": "user", "webhook": "http://h", "insert": {"columns": "*", "payload": []}}),
                "empty payload",
            ),
            (
                json!({"name": "x".repeat(50), "table": "user", "webhook": "http://h", "insert": {"columns": "*"}}),
                "at most 42",
            ),
        ] {
            let e = create_event_trigger(&mut md, args(bad)).unwrap_err();
            assert!(
                e.to_string().contains(needle),
                "{e} should mention {needle}"
            );
        }
        let e = create_event_trigger(
            &mut md,
            args(json!({"name": "a", "table": "nope", "webhook": "http://h", "insert": {"columns": "*"}})),
        )
        .unwrap_err();
        assert_eq!(e.code(), "not-exists");
        let missing = delete_event_trigger(
            &mut md,
            &DeleteEventTriggerArgs {
                name: "a".into(),
                source: DEFAULT_SOURCE.into(),
            },
        );
        assert_eq!(missing.unwrap_err().code(), "not-exists");
    }
}
