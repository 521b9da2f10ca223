//! The generated scaffold serves its route and answers the engine's error body until written.

use axum::body::Body;
use axum::http::Request;
use tower::ServiceExt;

#[tokio::test]
async fn the_scaffold_answers_an_action_error_until_implemented() {
    let body = r#"{"action": {"name": "login"}, "input": {"username": "u", "password": "p"},
                   "session_variables": {"x-hasura-role": "admin"}, "request_query": "mutation { login }"}"#;
    let resp = codegen_login::router()
        .oneshot(Request::post("/login").body(Body::from(body)).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(v["extensions"]["code"], "not-implemented");
}
