//! Stage 7: event triggers whose table is resolved and whose columns exist, with the webhook
//! and headers read from the environment where the metadata says so.

use rasura_metadata::event_triggers::{EventColumns, EventTrigger, OperationSpec};
use rasura_metadata::Source;

use crate::inconsistency::{in_table, Inconsistency, ObjectRef};
use crate::types::{EventCleanup, EventOperation, ResolvedEventTrigger, ResolvedTable};

pub(super) fn resolve_event_triggers(
    source: &Source,
    tables: &[ResolvedTable],
    report: &mut Vec<Inconsistency>,
) -> Vec<ResolvedEventTrigger> {
    let mut out = vec![];
    let by_name: std::collections::HashMap<_, _> = tables.iter().map(|t| (&t.name, t)).collect();
    for entry in &source.tables {
        let Some(&table) = by_name.get(&entry.table) else {
            continue;
        };
        for raw in &entry.event_triggers {
            let name = raw
                .get("name")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_string();
            match EventTrigger::from_value(raw)
                .map_err(|e| e.to_string())
                .and_then(|t| resolve_one(&t, table))
            {
                Ok(t) => out.push(t),
                Err(reason) => report.push(Inconsistency::new(
                    "event_trigger",
                    in_table("event_trigger", &name, &entry.table, &source.name),
                    raw.clone(),
                    reason,
                    ObjectRef::EventTrigger(entry.table.clone(), name),
                )),
            }
        }
    }
    out
}

fn resolve_one(t: &EventTrigger, table: &ResolvedTable) -> Result<ResolvedEventTrigger, String> {
    let (request_transform, response_transform) =
        super::unsupported::webhook_transforms(&serde_json::to_value(t).unwrap_or_default())?;
    let webhook = super::cron_triggers::resolve_webhook(&t.webhook, &t.webhook_from_env)?;
    let headers = super::cron_triggers::resolve_headers(&t.headers)?;
    let op = |spec: &Option<OperationSpec>| -> Result<Option<EventOperation>, String> {
        let Some(spec) = spec else { return Ok(None) };
        Ok(Some(EventOperation {
            listened: columns(&spec.columns, table)?,
            payload: match &spec.payload {
                Some(c) => columns(c, table)?,
                None => None,
            },
        }))
    };
    Ok(ResolvedEventTrigger {
        name: t.name.clone(),
        table: table.name.clone(),
        enable_manual: t.definition.enable_manual,
        insert: op(&t.definition.insert)?,
        update: op(&t.definition.update)?,
        delete: op(&t.definition.delete)?,
        webhook,
        headers,
        num_retries: t.retry_conf.num_retries,
        interval_sec: t.retry_conf.interval_sec,
        timeout_sec: t.retry_conf.timeout_sec,
        cleanup: t.extra.get("cleanup_config").map(cleanup).transpose()?,
        request_transform,
        response_transform,
    })
}

/// `cleanup_config {schedule, clear_older_than, batch_size?, timeout?, clean_invocation_logs?, paused?}`.
fn cleanup(v: &serde_json::Value) -> Result<EventCleanup, String> {
    let int = |k: &str, default: Option<i64>| {
        v.get(k)
            .and_then(serde_json::Value::as_i64)
            .or(default)
            .ok_or_else(|| format!("cleanup_config needs an integer \"{k}\""))
    };
    let flag = |k: &str| {
        v.get(k)
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false)
    };
    let schedule = v
        .get("schedule")
        .and_then(serde_json::Value::as_str)
        .ok_or("cleanup_config needs a cron \"schedule\"")?;
    rasura_metadata::cron_triggers::parse_schedule(schedule)?;
    Ok(EventCleanup {
        schedule: schedule.to_string(),
        clear_older_than_hours: int("clear_older_than", None)?,
        batch_size: int("batch_size", Some(10_000))?,
        timeout_secs: int("timeout", Some(60))?,
        clean_invocation_logs: flag("clean_invocation_logs"),
        paused: flag("paused"),
    })
}

/// `None` for `"*"`; the listed columns when every one exists in the table.
fn columns(c: &EventColumns, table: &ResolvedTable) -> Result<Option<Vec<String>>, String> {
    match c {
        EventColumns::All(_) => Ok(None),
        EventColumns::List(cols) => {
            for c in cols {
                if !table.info.columns.iter().any(|x| &x.name == c) {
                    return Err(format!(
                        "column \"{c}\" does not exist in table \"{}\"",
                        table.name
                    ));
                }
            }
            Ok(Some(cols.clone()))
        }
    }
}
