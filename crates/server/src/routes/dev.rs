//! The developer API (`/dev/*`, admin only, off unless enabled).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// `GET /dev/subscriptions`: what the multiplexed live queries hold and have run.
pub async fn live_queries(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(e) = crate::admin::require_admin(&state.auth, &headers) {
        return crate::wire_error::api_error(&e);
    }
    axum::Json(state.live.report()).into_response()
}
