//! One delivery attempt of a scheduled event, as Hasura makes it: an event older than its
//! tolerance is dead (nothing sent, nothing logged); otherwise the body is POSTed (through
//! the request transform, if any) with `rasura_events::deliver::send`; a 2xx delivers (its
//! body logged through the response transform, if any; a failing one fails the attempt), and a
//! failure retries after `Retry-After` or `retry_interval_seconds` until `num_retries` retries
//! are spent. Invocation logs are of version "1".

use rasura_metadata::cron_triggers::ScheduledRetryConf;
use rasura_metadata::event_triggers::HeaderConf;
use rasura_resolve::stages::actions::resolve_template;
use rasura_resolve::stages::cron_triggers::resolve_headers;
use rasura_resolve::ResolvedCronTrigger;
use serde_json::Value;

use crate::payload;
use crate::store::{Attempt, Claimed, Outcome};

const LOG_VERSION: &str = "1";

/// What an attempt needs, whichever kind the event is.
struct Target {
    webhook: String,
    headers: Vec<(String, String, Option<String>)>,
    retry: ScheduledRetryConf,
    request_transform: Option<Value>,
    response_transform: Option<Value>,
    body: String,
}

/// Delivers `e`: a cron event with its trigger `t`, or a one-off event with its own row.
pub async fn deliver(
    http: &reqwest::Client,
    e: &Claimed,
    t: Option<&ResolvedCronTrigger>,
) -> Attempt {
    let attempt = |status, request, response, outcome| Attempt {
        kind: e.kind,
        event_id: e.id.clone(),
        status,
        request,
        response,
        outcome,
    };
    let target = match target(e, t) {
        Ok(target) => target,
        Err(message) => {
            // Configuration that cannot be used (an unset variable): logged, then retried as
            // any failure, so that setting the variable lets it through.
            let retry = e
                .one_off
                .as_ref()
                .and_then(|c| c.retry_conf.as_deref())
                .and_then(|r| serde_json::from_str(r).ok())
                .or_else(|| t.map(|t| t.retry_conf.clone()))
                .unwrap_or_default();
            let log = rasura_events::payload::client_error_log(&message, LOG_VERSION);
            return attempt(None, None, Some(log), failed(&retry, e, None));
        }
    };
    if e.overdue_secs > target.retry.tolerance_seconds as f64 {
        return attempt(None, None, None, Outcome::Dead);
    }
    let prepared = rasura_events::deliver::prepare(
        &target.webhook,
        &target.headers,
        target.request_transform.as_ref(),
        &target.body,
        None,
    );
    let (outgoing, body) = match prepared {
        Ok(p) => p,
        Err(err) => {
            // Hasura fails the event at once when its request transform cannot be applied.
            let message =
                serde_json::json!({"type": "transform_error", "message": err}).to_string();
            let log = rasura_events::payload::client_error_log(&message, LOG_VERSION);
            return attempt(None, None, Some(log), Outcome::Error);
        }
    };
    let request_log = rasura_events::payload::request_log(
        &body,
        &target.headers,
        &rasura_metadata::user_agent(),
        LOG_VERSION,
    );
    let answer = rasura_events::deliver::answer_transform(
        target.response_transform.as_ref(),
        target.request_transform.is_some(),
        &outgoing,
        &body,
        &target.webhook,
        None,
    );
    let sent = rasura_events::deliver::send(
        http,
        &outgoing,
        body,
        target.retry.timeout_seconds,
        LOG_VERSION,
        answer.as_ref(),
        &rasura_events::attempt_log::Who {
            kind: "scheduled-trigger",
            event_id: &e.id,
            event_name: e.trigger.as_deref(),
            trace: None,
        },
    )
    .await;
    let outcome = if sent.delivered {
        Outcome::Delivered
    } else {
        failed(&target.retry, e, sent.retry_after)
    };
    attempt(
        sent.status,
        Some(request_log),
        Some(sent.response_log),
        outcome,
    )
}

fn target(e: &Claimed, t: Option<&ResolvedCronTrigger>) -> Result<Target, String> {
    if let Some(t) = t {
        return Ok(Target {
            webhook: t.webhook.clone(),
            headers: t.headers.clone(),
            retry: t.retry_conf.clone(),
            request_transform: t.request_transform.clone(),
            response_transform: t.response_transform.clone(),
            body: payload::cron_body(
                &e.id,
                &t.name,
                e.scheduled_micros,
                t.payload.as_ref(),
                t.comment.as_deref(),
            ),
        });
    }
    let c = e.one_off.clone().unwrap_or_default();
    let json = |s: &Option<String>| -> Option<Value> {
        s.as_deref().and_then(|s| serde_json::from_str(s).ok())
    };
    let webhook = match json(&c.webhook_conf) {
        Some(Value::String(url)) => resolve_template(&url)?,
        Some(Value::Object(m)) => match m.get("from_env").and_then(Value::as_str) {
            Some(var) => {
                std::env::var(var).map_err(|_| format!("environment variable \"{var}\" not set"))?
            }
            None => return Err("the event has no webhook".into()),
        },
        _ => return Err("the event has no webhook".into()),
    };
    let header_conf: Vec<HeaderConf> = json(&c.header_conf)
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default();
    let payload = json(&c.payload);
    Ok(Target {
        webhook,
        headers: resolve_headers(&header_conf)?,
        retry: json(&c.retry_conf)
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default(),
        request_transform: json(&c.request_transform),
        response_transform: json(&c.response_transform),
        body: payload::one_off_body(
            &e.id,
            e.scheduled_micros,
            payload.as_ref(),
            c.comment.as_deref(),
            e.created_micros,
        ),
    })
}

/// What follows a failed attempt: `Retry-After` always retries; otherwise another try while
/// fewer than `num_retries` retries were made.
pub fn failed(retry: &ScheduledRetryConf, e: &Claimed, retry_after: Option<i32>) -> Outcome {
    match retry_after {
        Some(secs) => Outcome::Retry(secs),
        None if i64::from(e.tries) >= retry.num_retries => Outcome::Error,
        None => Outcome::Retry(retry.retry_interval_seconds.clamp(0, i64::from(i32::MAX)) as i32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Kind;

    fn event(tries: i32) -> Claimed {
        Claimed {
            kind: Kind::OneOff,
            id: "e".into(),
            trigger: None,
            scheduled_micros: 0,
            created_micros: 0,
            overdue_secs: 0.0,
            tries,
            one_off: None,
        }
    }

    #[test]
    fn retry_rules() {
        let r = ScheduledRetryConf {
            num_retries: 1,
            retry_interval_seconds: 7,
            ..Default::default()
        };
        assert_eq!(failed(&r, &event(0), None), Outcome::Retry(7));
        assert_eq!(failed(&r, &event(1), None), Outcome::Error);
        assert_eq!(failed(&r, &event(4), Some(2)), Outcome::Retry(2));
    }

    #[tokio::test]
    async fn older_than_tolerance_is_dead_and_nothing_is_sent() {
        let mut e = event(0);
        e.one_off = Some(crate::store::OneOffConf {
            webhook_conf: Some("\"http://127.0.0.1:1/never\"".into()),
            retry_conf: Some(r#"{"tolerance_seconds": 5}"#.into()),
            ..Default::default()
        });
        e.overdue_secs = 6.0;
        let a = deliver(&reqwest::Client::new(), &e, None).await;
        assert_eq!(a.outcome, Outcome::Dead);
        assert!(a.request.is_none() && a.response.is_none());
    }
}
