//! `/healthz`, `/v1/version` and the answer for unknown paths.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::state::AppState;

/// The Hasura version this engine answers as (clients such as the CLI parse it).
pub use rasura_metadata::COMPAT_VERSION;

pub async fn healthz(State(state): State<AppState>) -> Response {
    if state.engine.pool.get().await.is_err() {
        return (StatusCode::INTERNAL_SERVER_ERROR, "ERROR").into_response();
    }
    if state.engine.current().resolved.inconsistencies.is_empty() {
        (StatusCode::OK, "OK").into_response()
    } else {
        (StatusCode::OK, "WARN: inconsistent objects in schema").into_response()
    }
}

pub async fn version() -> Json<serde_json::Value> {
    Json(
        json!({"version": COMPAT_VERSION, "server_type": "ce", "rasura_version": env!("CARGO_PKG_VERSION")}),
    )
}

pub async fn not_found() -> Response {
    crate::wire_error::not_found()
}
