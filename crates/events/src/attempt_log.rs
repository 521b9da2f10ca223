//! The `event-trigger` and `scheduled-trigger` log lines: one per delivery attempt, with the
//! request sent and what came back, in Hasura's shape.

use rasura_log::Level;
use rasura_transform::request::Request;
use serde_json::{json, Value};

/// What an attempt is for, for its log line.
pub struct Who<'a> {
    /// `event-trigger` or `scheduled-trigger`.
    pub kind: &'static str,
    pub event_id: &'a str,
    /// The trigger's name (none for a one-off scheduled event).
    pub event_name: Option<&'a str>,
    /// The trace the write that made the event was part of (trace id, span id), if recorded.
    pub trace: Option<(&'a str, &'a str)>,
}

/// What came back, as the log line gives it.
pub enum Answer<'a> {
    /// A 2xx answer (its body as the response transform left it).
    Delivered {
        status: u16,
        headers: &'a [(String, String)],
        body: &'a str,
    },
    /// A non-2xx answer.
    Status {
        status: u16,
        headers: &'a [(String, String)],
        body: &'a str,
    },
    /// No answer (the connection or the timeout failed).
    Client(&'a str),
    /// The answer could not be used (a response transform failed).
    Internal(Value),
}

/// Whether the line of `kind` would be written (build nothing otherwise).
pub fn wanted(kind: &str) -> bool {
    rasura_log::enabled(kind, Level::Info) || rasura_log::enabled(kind, Level::Error)
}

/// Writes the line of one attempt: `{event_id, event_name, request, response}`, at `info`
/// (failures at `error` with `HASURA_GRAPHQL_ENABLE_TRIGGERS_ERROR_LOG_LEVEL=true`).
pub fn log(who: &Who<'_>, outgoing: &Request, body: &str, timeout_sec: i64, answer: Answer<'_>) {
    let failed = !matches!(answer, Answer::Delivered { .. });
    let level = if failed && errors_as_errors() {
        Level::Error
    } else {
        Level::Info
    };
    if !rasura_log::enabled(who.kind, level) {
        return;
    }
    let response_object = |status: u16, headers: &[(String, String)], body: &str| {
        let headers: Vec<Value> = headers
            .iter()
            .map(|(n, v)| json!({"name": n, "value": v}))
            .collect();
        json!({"status": status, "headers": headers, "body": body, "size": body.len()})
    };
    let response = match answer {
        Answer::Delivered {
            status,
            headers,
            body,
        } => response_object(status, headers, body),
        Answer::Status {
            status,
            headers,
            body,
        } => json!({"type": "status", "detail": response_object(status, headers, body)}),
        Answer::Client(message) => json!({"type": "client", "detail": message}),
        Answer::Internal(detail) => json!({"type": "internal", "detail": detail}),
    };
    let headers: Vec<Value> = outgoing
        .headers
        .iter()
        .map(|(n, v)| json!([n, v]))
        .collect();
    let request = json!({
        "original_request": {
            "url": outgoing.url,
            "method": outgoing.method,
            "headers": headers,
            "body": body,
            "query_string": "",
            "response_timeout": format!("{timeout_sec}s"),
        },
        "original_size": body.len(),
    });
    let mut detail = json!({"event_id": who.event_id, "request": request, "response": response});
    if let Some(name) = who.event_name {
        detail["event_name"] = json!(name);
    }
    rasura_log::emit(who.kind, level, detail);
}

/// `HASURA_GRAPHQL_ENABLE_TRIGGERS_ERROR_LOG_LEVEL`: failed attempts logged as errors.
fn errors_as_errors() -> bool {
    [
        "RASURA_ENABLE_TRIGGERS_ERROR_LOG_LEVEL",
        "HASURA_GRAPHQL_ENABLE_TRIGGERS_ERROR_LOG_LEVEL",
    ]
    .iter()
    .filter_map(|n| std::env::var(n).ok())
    .any(|v| v.eq_ignore_ascii_case("true"))
}
