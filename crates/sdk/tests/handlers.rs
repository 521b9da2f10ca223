//! Handlers built on the SDK, exercised in memory (`oneshot`, no sockets).

use axum::body::Body;
use axum::http::Request;
use axum::routing::post;
use axum::{Json, Router};
use rasura_sdk::{ActionError, ActionPayload, EventPayload, Op};
use serde::Deserialize;
use serde_json::{json, Value};
use tower::ServiceExt;

#[derive(Deserialize)]
struct LoginArgs {
    username: String,
    password: String,
}

async fn login(p: ActionPayload<LoginArgs>) -> Result<Json<Value>, ActionError> {
    if p.input.password != "secret" {
        return Err(ActionError::new("invalid credentials").with_code("invalid-credentials"));
    }
    Ok(Json(
        json!({"AccessToken": format!("token-for-{}", p.input.username), "role": p.session_variables.role()}),
    ))
}

#[derive(Debug, Deserialize, PartialEq)]
struct User {
    id: String,
    name: String,
}

async fn on_event(p: EventPayload<User>) -> Json<Value> {
    Json(json!({
        "op": p.event.op == Op::Insert,
        "name": p.event.data.new.map(|u| u.name),
        "engine_write": p.event.session_variables.is_some(),
        "retry": p.delivery_info.current_retry,
    }))
}

fn app() -> Router {
    Router::new()
        .route("/login", post(login))
        .route("/event", post(on_event))
}

async fn call(path: &str, body: &str) -> (u16, Value) {
    let req = Request::post(path)
        .body(Body::from(body.to_string()))
        .unwrap();
    let resp = app().oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn an_action_answers_its_output_or_hasuras_error_body() {
    let ok = r#"{"action": {"name": "login"}, "input": {"username": "ada", "password": "secret"},
                 "session_variables": {"X-Hasura-Role": "anonymous"}, "request_query": "mutation { login }"}"#;
    assert_eq!(
        call("/login", ok).await,
        (
            200,
            json!({"AccessToken": "token-for-ada", "role": "anonymous"})
        )
    );
    let bad = ok.replace("\"secret\"", "\"nope\"");
    assert_eq!(
        call("/login", &bad).await,
        (
            400,
            json!({"message": "invalid credentials", "extensions": {"code": "invalid-credentials"}})
        )
    );
    // An asynchronous action's null request_query is accepted.
    let async_call = ok.replace("\"mutation { login }\"", "null");
    assert_eq!(call("/login", &async_call).await.0, 200);
    // A body that does not fit is a 400 with a message, not a panic.
    let (status, body) = call("/login", r#"{"action": {"name": "login"}, "input": {}}"#).await;
    assert_eq!(status, 400);
    assert_eq!(body["extensions"]["code"], "invalid-payload");
    assert_eq!(call("/login", "not json").await.0, 400);
}

#[tokio::test]
async fn an_event_decodes_leniently() {
    let engine_write = r#"{"id": "e1", "created_at": "2026-12-01T10:00:00.123456Z",
        "trigger": {"name": "user_created"}, "table": {"schema": "public", "name": "user"},
        "event": {"op": "INSERT", "data": {"old": null, "new": {"id": "u1", "name": "Ada"}},
                  "session_variables": {"x-hasura-role": "admin"},
                  "trace_context": {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7"}},
        "delivery_info": {"max_retries": 3, "current_retry": 1}}"#;
    assert_eq!(
        call("/event", engine_write).await,
        (
            200,
            json!({"op": true, "name": "Ada", "engine_write": true, "retry": 1})
        )
    );
    // A write made in SQL: no session, no trace context, no delivery info, no Z.
    let sql_write = r#"{"id": "e2", "created_at": "2026-12-01T10:00:00.123456",
        "trigger": {"name": "user_created"}, "table": {"schema": "public", "name": "user"},
        "event": {"op": "INSERT", "data": {"old": null, "new": {"id": "u2", "name": "Bob"}},
                  "session_variables": null, "trace_context": null}}"#;
    assert_eq!(
        call("/event", sql_write).await,
        (
            200,
            json!({"op": true, "name": "Bob", "engine_write": false, "retry": 0})
        )
    );
}
