//! `POST /v1/graphql/explain` (and `/v1alpha1/graphql/explain`), admin only: the SQL and
//! PostgreSQL's plan of each root field of a query, run as the session in `user` would run it
//! (`rasura_exec::explain`); errors in the metadata API's `{path, error, code}` form.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rasura_control::ApiError;
use rasura_exec::GqlRequest;
use serde::Deserialize;
use serde_json::Value;

use crate::state::AppState;
use crate::wire_error::api_error;

#[derive(Deserialize)]
struct ExplainRequest {
    query: GqlRequest,
    #[serde(default)]
    user: serde_json::Map<String, Value>,
}

pub async fn explain(State(state): State<AppState>, headers: HeaderMap, body: String) -> Response {
    if let Err(e) = crate::admin::require_admin_endpoint(&state.auth, &headers) {
        return api_error(&e);
    }
    let req: ExplainRequest = match serde_json::from_str(&body) {
        Ok(r) => r,
        Err(e) => return api_error(&ApiError::bad_request("parse-failed", e.to_string())),
    };
    // The session: `user`'s variables, its `x-hasura-role` (admin when absent).
    let vars: std::collections::BTreeMap<String, String> = req
        .user
        .iter()
        .map(|(k, v)| {
            let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
            (k.to_ascii_lowercase(), v)
        })
        .collect();
    let session = rasura_ir::Session {
        role: vars
            .get("x-hasura-role")
            .cloned()
            .unwrap_or_else(|| "admin".into()),
        vars,
        backend_only: false,
    };
    match rasura_exec::explain::explain(&state.engine, &session, req.query).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => api_error(&ApiError::bad_request(e.code, e.message).at(e.path)),
    }
}
