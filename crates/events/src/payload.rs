//! The webhook body Hasura sends for an event, and the request/response records it keeps in
//! `event_invocation_logs`.

use serde_json::value::RawValue;
use serde_json::{json, Value};

use crate::store::ClaimedEvent;

/// `{id, created_at, trigger, table, event, delivery_info}`; the stored event (`op`, `data`,
/// `session_variables`, `trace_context`) is spliced in as it was captured.
pub fn body(e: &ClaimedEvent, max_retries: i64) -> String {
    let event = RawValue::from_string(e.payload.clone())
        .unwrap_or_else(|_| RawValue::from_string("null".into()).expect("null is JSON"));
    json!({
        "id": e.id,
        "created_at": e.created_at,
        "trigger": {"name": e.trigger},
        "table": {"schema": e.schema, "name": e.table},
        "event": event,
        "delivery_info": {"max_retries": max_retries, "current_retry": e.tries},
    })
    .to_string()
}

/// The invocation log's `request`: the body sent, the default headers and the configured ones
/// (values from the environment are logged by the variable's name, not their value).
pub fn request_log(
    body: &str,
    headers: &[(String, String, Option<String>)],
    user_agent: &str,
    version: &str,
) -> String {
    let payload: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let mut logged = vec![
        json!({"name": "Content-Type", "value": "application/json"}),
        json!({"name": "User-Agent", "value": user_agent}),
    ];
    logged.extend(
        headers
            .iter()
            .filter(|(name, _, _)| {
                !name.eq_ignore_ascii_case("content-type")
                    && !name.eq_ignore_ascii_case("user-agent")
            })
            .map(|(name, value, env)| match env {
                Some(var) => json!({"name": name, "value_from_env": var}),
                None => json!({"name": name, "value": value}),
            }),
    );
    let headers = logged;
    json!({"payload": payload, "headers": headers, "version": version}).to_string()
}

/// The invocation log's `response` for an HTTP answer.
pub fn response_log(
    status: u16,
    headers: &[(String, String)],
    body: &str,
    version: &str,
) -> String {
    let headers: Vec<Value> = headers
        .iter()
        .map(|(n, v)| json!({"name": n, "value": v}))
        .collect();
    json!({"type": "webhook_response", "data": {"status": status, "headers": headers, "body": body}, "version": version})
        .to_string()
}

/// The invocation log's `response` for anything but a 2xx answer: the answer's body, or a
/// description of why no answer came (refused, timed out, bad URL).
pub fn client_error_log(message: &str, version: &str) -> String {
    json!({"type": "client_error", "data": {"message": message}, "version": version}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_hasura_shape() {
        let e = ClaimedEvent {
            id: "8f0c".into(),
            schema: "public".into(),
            table: "user".into(),
            trigger: "user_created".into(),
            payload: r#"{"op": "INSERT", "data": {"new": {"id": 1}, "old": null}, "trace_context": null, "session_variables": null}"#.into(),
            tries: 2,
            created_at: "2026-12-01T10:00:00.123456Z".into(),
        };
        let v: Value = serde_json::from_str(&body(&e, 3)).unwrap();
        assert_eq!(
            v,
            json!({"id": "8f0c", "created_at": "2026-12-01T10:00:00.123456Z",
                   "trigger": {"name": "user_created"}, "table": {"schema": "public", "name": "user"},
                   "event": {"op": "INSERT", "data": {"new": {"id": 1}, "old": null}, "trace_context": null, "session_variables": null},
                   "delivery_info": {"max_retries": 3, "current_retry": 2}})
        );
    }

    #[test]
    fn env_headers_logged_by_name() {
        let log: Value = serde_json::from_str(&request_log(
            "{}",
            &[
                ("a".into(), "1".into(), None),
                ("b".into(), "secret".into(), Some("B_VAR".into())),
            ],
            "ua",
            "2",
        ))
        .unwrap();
        assert_eq!(
            log["headers"],
            json!([{"name": "Content-Type", "value": "application/json"}, {"name": "User-Agent", "value": "ua"},
                   {"name": "a", "value": "1"}, {"name": "b", "value_from_env": "B_VAR"}])
        );
        assert!(!log.to_string().contains("secret"));
    }
}
