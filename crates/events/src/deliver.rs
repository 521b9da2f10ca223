//! One delivery attempt: POST the event to its webhook within the trigger's timeout, and decide
//! what follows from the answer (delivered, another try, or failed for good), as Hasura does:
//! 2xx delivers; otherwise a positive `Retry-After` (seconds) sets the next try even when the
//! retries are used up, else `interval_sec` until `num_retries` tries are spent.

use std::time::Duration;
use tracing::Instrument;

use rasura_resolve::ResolvedEventTrigger;

use rasura_transform::request::{Body, Request};

use crate::attempt_log::{self, Answer, Who};
use crate::payload;
use crate::store::{Attempt, ClaimedEvent, Outcome};

/// POSTs `e` to `t`'s webhook and records the attempt.
pub async fn deliver(
    http: &reqwest::Client,
    t: &ResolvedEventTrigger,
    e: &ClaimedEvent,
) -> Attempt {
    let body = payload::body(e, t.num_retries);
    let session = (t.request_transform.is_some() || t.response_transform.is_some())
        .then(|| {
            serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.pointer("/event/session_variables").cloned())
        })
        .flatten();
    let prepared = prepare(
        &t.webhook,
        &t.headers,
        t.request_transform.as_ref(),
        &body,
        Some(session.as_ref().unwrap_or(&serde_json::Value::Null)),
    );
    let (outgoing, body) = match prepared {
        Ok(o) => o,
        Err(err) => {
            // A transform that cannot be applied fails the attempt; it is retried as any.
            let message =
                serde_json::json!({"type": "transform_error", "message": err}).to_string();
            return Attempt {
                event_id: e.id.clone(),
                trigger: e.trigger.clone(),
                status: None,
                request: None,
                response: Some(payload::client_error_log(&message, LOG_VERSION)),
                outcome: failed(t, e, None),
            };
        }
    };
    let request_log = payload::request_log(
        &body,
        &t.headers,
        &rasura_metadata::user_agent(),
        LOG_VERSION,
    );
    let answer = answer_transform(
        t.response_transform.as_ref(),
        t.request_transform.is_some(),
        &outgoing,
        &body,
        &t.webhook,
        session.as_ref(),
    );
    // The write's trace, as captured with the event (`trace_context`): read only while traces
    // are exported, and without building the row data.
    let captured = rasura_traces::is_on()
        .then(|| serde_json::from_str::<Captured>(&e.payload).ok())
        .flatten()
        .and_then(|c| c.trace_context)
        .map(|t| (t.trace_id, t.span_id));
    let who = Who {
        kind: "event-trigger",
        event_id: &e.id,
        event_name: Some(&e.trigger),
        trace: captured.as_ref().map(|(t, s)| (t.as_str(), s.as_str())),
    };
    let sent = send(
        http,
        &outgoing,
        body,
        t.timeout_sec,
        LOG_VERSION,
        answer.as_ref(),
        &who,
    )
    .await;
    let outcome = if sent.delivered {
        Outcome::Delivered
    } else {
        failed(t, e, sent.retry_after)
    };
    Attempt {
        event_id: e.id.clone(),
        trigger: e.trigger.clone(),
        status: sent.status,
        request: Some(request_log),
        response: Some(sent.response_log),
        outcome,
    }
}

/// The invocation-log version of event triggers (scheduled triggers log "1").
const LOG_VERSION: &str = "2";

/// What one HTTP attempt gave.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The answer's status, if one came.
    pub status: Option<i32>,
    /// The invocation log's `response`.
    pub response_log: String,
    /// A 2xx answer came.
    pub delivered: bool,
    /// A positive `Retry-After` of a non-2xx answer.
    pub retry_after: Option<i32>,
}

/// A trigger's `response_transform` with what its templates see besides the answer.
pub struct AnswerTransform<'a> {
    pub transform: &'a serde_json::Value,
    /// `$request`: the sent request's context when a request transform made it, else null.
    pub request: serde_json::Value,
    /// The session `getSessionVariable` reads (event triggers: the event's).
    pub session: Option<&'a serde_json::Value>,
}

/// The [`AnswerTransform`] of a delivery of `body` by `outgoing` to `webhook`, if the trigger
/// has a response transform.
pub fn answer_transform<'a>(
    transform: Option<&'a serde_json::Value>,
    request_transformed: bool,
    outgoing: &Request,
    body: &str,
    webhook: &str,
    session: Option<&'a serde_json::Value>,
) -> Option<AnswerTransform<'a>> {
    let transform = transform?;
    let request = if request_transformed {
        let sent = Request {
            body: Some(Body::Text(body.to_string())),
            ..outgoing.clone()
        };
        rasura_transform::response::request_context(&sent, webhook, session)
    } else {
        serde_json::Value::Null
    };
    Some(AnswerTransform {
        transform,
        request,
        session,
    })
}

/// Sends `outgoing` with `body` (Hasura's `Content-Type` and `User-Agent` replace configured
/// ones of the same name) within `timeout_sec`, and describes the answer for the invocation
/// log of version `log_version`. A 2xx answer's body is logged as `answer` transforms it (as
/// Hasura does); a transform that fails makes the attempt a failure logged with status 500.
pub async fn send(
    http: &reqwest::Client,
    outgoing: &Request,
    body: String,
    timeout_sec: i64,
    log_version: &str,
    answer: Option<&AnswerTransform<'_>>,
    who: &Who<'_>,
) -> Sent {
    let logged_body = attempt_log::wanted(who.kind).then(|| body.clone());
    let log = |a: Answer<'_>| {
        if let Some(b) = &logged_body {
            attempt_log::log(who, outgoing, b, timeout_sec, a);
        }
    };
    let method =
        reqwest::Method::from_bytes(outgoing.method.as_bytes()).unwrap_or(reqwest::Method::POST);
    let mut req = http
        .request(method, &outgoing.url)
        .timeout(Duration::from_secs(timeout_sec.max(1) as u64));
    let mut content_type = "application/json".to_string();
    for (name, value) in &outgoing.headers {
        if name.eq_ignore_ascii_case("content-type") {
            content_type = value.clone();
            continue;
        }
        if name.eq_ignore_ascii_case("user-agent") {
            continue;
        }
        req = req.header(name.as_str(), value.as_str());
    }
    let span = rasura_traces::call_span_under(who.kind, &outgoing.url, who.trace);
    for (k, v) in rasura_traces::headers_for(&span) {
        req = req.header(k, v);
    }
    let req = req
        .header(reqwest::header::CONTENT_TYPE, content_type)
        .header(reqwest::header::USER_AGENT, rasura_metadata::user_agent())
        .body(body);
    let failure = |err: &reqwest::Error| Sent {
        status: None,
        response_log: payload::client_error_log(&http_exception(err), log_version),
        delivered: false,
        retry_after: None,
    };
    let resp = match req.send().instrument(span).await {
        Ok(resp) => resp,
        Err(err) => {
            log(Answer::Client(&http_exception(&err)));
            return failure(&err);
        }
    };
    let status = resp.status().as_u16();
    let headers: Vec<(String, String)> = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into()))
        .collect();
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    match resp.text().await {
        Ok(text) if (200..300).contains(&status) => {
            let transformed = answer.map(|a| {
                rasura_transform::response::apply(a.transform, &text, status, &a.request, a.session)
            });
            match transformed {
                Some(Err(e)) => {
                    tracing::warn!("response transform failed: {e}");
                    log(Answer::Internal(rasura_transform::response::error_bundle(
                        &e,
                    )));
                    let detail = rasura_transform::response::error_bundle(&e).to_string();
                    Sent {
                        status: Some(500),
                        response_log: payload::client_error_log(&detail, log_version),
                        delivered: false,
                        retry_after: None,
                    }
                }
                Some(Ok(v)) => {
                    let shown = v.to_string();
                    log(Answer::Delivered {
                        status,
                        headers: &headers,
                        body: &shown,
                    });
                    Sent {
                        status: Some(i32::from(status)),
                        response_log: payload::response_log(
                            status,
                            &headers,
                            &v.to_string(),
                            log_version,
                        ),
                        delivered: true,
                        retry_after: None,
                    }
                }
                None => {
                    log(Answer::Delivered {
                        status,
                        headers: &headers,
                        body: &text,
                    });
                    Sent {
                        status: Some(i32::from(status)),
                        response_log: payload::response_log(status, &headers, &text, log_version),
                        delivered: true,
                        retry_after: None,
                    }
                }
            }
        }
        // Hasura logs a non-2xx answer's body as a client error.
        Ok(text) => {
            log(Answer::Status {
                status,
                headers: &headers,
                body: &text,
            });
            Sent {
                status: Some(i32::from(status)),
                response_log: payload::client_error_log(&text, log_version),
                delivered: false,
                retry_after,
            }
        }
        Err(err) => {
            log(Answer::Client(&http_exception(&err)));
            failure(&err)
        }
    }
}

/// The request to send to `webhook` with `headers`: as it is, or what `transform` makes of it
/// (`session` is the templates' `$session_variables`); and its body as text.
pub fn prepare(
    webhook: &str,
    headers: &[(String, String, Option<String>)],
    transform: Option<&serde_json::Value>,
    body: &str,
    session: Option<&serde_json::Value>,
) -> Result<(Request, String), String> {
    let headers = headers
        .iter()
        .map(|(k, v, _)| (k.clone(), v.clone()))
        .collect();
    let Some(transform) = transform else {
        let req = Request {
            url: webhook.to_string(),
            method: "POST".into(),
            headers,
            body: None,
        };
        return Ok((req, body.to_string()));
    };
    let value: serde_json::Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
    let req = Request {
        url: webhook.to_string(),
        method: "POST".into(),
        headers,
        body: Some(Body::Json(value)),
    };
    let mut out = rasura_transform::request::apply(transform, req, session)?;
    let text = match out.body.take() {
        Some(Body::Json(v)) => v.to_string(),
        Some(Body::Text(t)) => t,
        None => String::new(),
    };
    Ok((out, text))
}

/// What follows a failed attempt.
pub fn failed(t: &ResolvedEventTrigger, e: &ClaimedEvent, retry_after: Option<i32>) -> Outcome {
    match retry_after {
        Some(secs) => Outcome::Retry(secs),
        None if i64::from(e.tries) >= t.num_retries => Outcome::Failed,
        None => Outcome::Retry(t.interval_sec.clamp(1, i64::from(i32::MAX)) as i32),
    }
}

/// `Retry-After` as a positive whole number of seconds; dates and other forms are ignored.
pub fn parse_retry_after(v: &str) -> Option<i32> {
    v.trim().parse::<i32>().ok().filter(|s| *s > 0)
}

/// A failed request described as Hasura logs it: a JSON text
/// `{"type": "http_exception" | "invalid_url", "message"}`.
fn http_exception(err: &reqwest::Error) -> String {
    let (kind, message) = if err.is_timeout() {
        ("http_exception", "Response timeout".to_string())
    } else if err.is_connect() {
        ("http_exception", format!("Connection failure: {err}"))
    } else if err.is_builder() {
        ("invalid_url", format!("Invalid URL: {err}"))
    } else {
        ("http_exception", err.to_string())
    };
    serde_json::json!({"type": kind, "message": message}).to_string()
}

/// The part of a stored event payload a delivery's trace continues from.
#[derive(serde::Deserialize)]
struct Captured {
    trace_context: Option<CapturedTrace>,
}

#[derive(serde::Deserialize)]
struct CapturedTrace {
    trace_id: String,
    span_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rasura_metadata::QualifiedName;

    fn trigger(num_retries: i64) -> ResolvedEventTrigger {
        ResolvedEventTrigger {
            name: "t".into(),
            table: QualifiedName::public("x"),
            enable_manual: false,
            insert: None,
            update: None,
            delete: None,
            webhook: "http://127.0.0.1:1".into(),
            headers: vec![],
            num_retries,
            interval_sec: 7,
            timeout_sec: 1,
            cleanup: None,
            request_transform: None,
            response_transform: None,
        }
    }

    fn event(tries: i32) -> ClaimedEvent {
        ClaimedEvent {
            id: "e".into(),
            schema: "public".into(),
            table: "x".into(),
            trigger: "t".into(),
            payload: "{}".into(),
            tries,
            created_at: String::new(),
        }
    }

    #[test]
    fn retry_rules() {
        assert_eq!(failed(&trigger(0), &event(0), None), Outcome::Failed);
        assert_eq!(failed(&trigger(2), &event(1), None), Outcome::Retry(7));
        assert_eq!(failed(&trigger(2), &event(2), None), Outcome::Failed);
        // Retry-After keeps an event alive past its retries.
        assert_eq!(failed(&trigger(0), &event(5), Some(3)), Outcome::Retry(3));
        assert_eq!(parse_retry_after(" 12 "), Some(12));
        assert_eq!(parse_retry_after("0"), None);
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
