//! Stage 7b: cron triggers, with the schedule parsed and the webhook and headers read from the
//! environment (`webhook_from_env`, `{{VAR}}`, `value_from_env`).

use rasura_metadata::cron_triggers::{self, CronTrigger};
use rasura_metadata::event_triggers::HeaderConf;
use rasura_metadata::Metadata;
use serde_json::Value;

use super::actions::resolve_template;
use crate::inconsistency::{Inconsistency, ObjectRef};
use crate::types::ResolvedCronTrigger;

pub(super) fn resolve_cron_triggers(
    md: &Metadata,
    report: &mut Vec<Inconsistency>,
) -> Vec<ResolvedCronTrigger> {
    let Some(Value::Array(list)) = md.extra.get(cron_triggers::SECTION) else {
        return vec![];
    };
    let mut out = vec![];
    for raw in list {
        let name = raw
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        match CronTrigger::from_value(raw)
            .map_err(|e| e.to_string())
            .and_then(|t| resolve_one(&t))
        {
            Ok(t) => out.push(t),
            Err(reason) => report.push(Inconsistency::new(
                "cron_trigger",
                name.clone(),
                raw.clone(),
                reason,
                ObjectRef::CronTrigger(name),
            )),
        }
    }
    out
}

fn resolve_one(t: &CronTrigger) -> Result<ResolvedCronTrigger, String> {
    let (request_transform, response_transform) =
        super::unsupported::webhook_transforms(&serde_json::to_value(t).unwrap_or_default())?;
    let webhook = resolve_webhook(&t.webhook, &t.webhook_from_env)?;
    Ok(ResolvedCronTrigger {
        name: t.name.clone(),
        webhook,
        schedule: t.schedule.clone(),
        payload: t.payload.clone(),
        headers: resolve_headers(&t.headers)?,
        header_conf: t.headers.clone(),
        retry_conf: t.retry_conf.clone(),
        comment: t.comment.clone(),
        request_transform,
        response_transform,
    })
}

/// A webhook URL given literally (`{{VAR}}` templates filled in) or by `webhook_from_env`.
pub fn resolve_webhook(
    webhook: &Option<String>,
    from_env: &Option<String>,
) -> Result<String, String> {
    match (webhook, from_env) {
        (Some(url), _) => resolve_template(url),
        (None, Some(var)) => {
            std::env::var(var).map_err(|_| format!("environment variable \"{var}\" not set"))
        }
        (None, None) => Err("no webhook is given".into()),
    }
}

/// Configured headers as (name, value, the environment variable it came from).
pub fn resolve_headers(
    headers: &[HeaderConf],
) -> Result<Vec<(String, String, Option<String>)>, String> {
    let mut out = vec![];
    for h in headers {
        match (&h.value, &h.value_from_env) {
            (Some(v), _) => out.push((h.name.clone(), v.clone(), None)),
            (None, Some(var)) => {
                let v = std::env::var(var)
                    .map_err(|_| format!("environment variable \"{var}\" not set"))?;
                out.push((h.name.clone(), v, Some(var.clone())));
            }
            (None, None) => return Err(format!("header \"{}\" has no value", h.name)),
        }
    }
    Ok(out)
}
