//! The HTTP routes and their handlers.

mod control;
mod health;

pub use control::constant_time_eq;

use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

/// The whole HTTP API.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/hasura/healthz", get(health::healthz))
        .route("/v1/version", get(health::version))
        .route(
            "/v1/graphql",
            post(crate::graphql::v1).get(crate::subscriptions::upgrade),
        )
        .route(
            "/v1alpha1/graphql",
            post(crate::graphql::v1alpha1).get(crate::subscriptions::upgrade),
        )
        .route("/v1/metadata", post(control::metadata))
        .route("/v1/query", post(control::query))
        .route("/v2/query", post(control::query))
        .fallback(health::not_found)
        .with_state(state)
}
