//! `/api/rest/<url>`: a RESTified endpoint's stored query, run as `/v1/graphql` runs it, with
//! variables from the path, query string and body; answers the `data` object alone.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rasura_exec::GqlRequest;
use serde_json::{json, Value};

use crate::state::AppState;
use crate::wire_error::json_bytes;

/// Hasura's `{path, error, code}` with its status.
fn refuse(status: u16, code: &str, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (
        status,
        axum::Json(json!({"path": "$", "error": message, "code": code})),
    )
        .into_response()
}

pub async fn call(
    State(state): State<AppState>,
    peer: super::graphql::Peer,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !["GET", "POST", "PUT", "DELETE", "PATCH"].contains(&method.as_str()) {
        return refuse(
            400,
            "bad-request",
            &format!("Method {method} not supported."),
        );
    }
    let path = uri.path().strip_prefix("/api/rest/").unwrap_or_default();
    let engine = state.engine.current();
    let (endpoint, params) = match engine.rest.find(method.as_str(), path) {
        Ok(found) => found,
        Err(e) => return refuse(e.status, e.code, &e.message),
    };
    let form = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let variables = match rasura_rest::variables::gather(
        endpoint,
        params,
        uri.query().unwrap_or_default(),
        &body,
        form,
    ) {
        Ok(v) => v,
        Err(e) => return refuse(e.status, e.code, &e.message),
    };
    let req = GqlRequest {
        query: endpoint.query.clone(),
        variables,
        operation_name: None,
        relay: false,
    };
    drop(engine);
    let mut cookies = vec![];
    match super::graphql::run(
        &state,
        &headers,
        super::graphql::peer_ip(&peer),
        req,
        &mut cookies,
    )
    .await
    {
        Ok(bytes) => {
            let answer: Value = serde_json::from_slice(&bytes).unwrap_or_default();
            match (answer.get("errors"), answer.get("data")) {
                (Some(errors), _) => json_bytes(StatusCode::OK, errors.to_string().into_bytes()),
                (None, Some(data)) => json_bytes(StatusCode::OK, data.to_string().into_bytes()),
                (None, None) => json_bytes(StatusCode::OK, bytes),
            }
        }
        Err(e) => (e.status(), axum::Json(e.legacy_body())).into_response(),
    }
}
