//! The HTTP routes and their handlers.

mod control;
mod health;

pub use control::constant_time_eq;

use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

/// `GET /dev/subscriptions` (admin): what the multiplexed live queries hold and have run.
async fn live_queries(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if let Err(e) = control::require_admin(&state, &headers) {
        return e.into_response();
    }
    axum::Json(state.live.report()).into_response()
}

/// The whole HTTP API: the enabled APIs' routes (the others answer 404 as unknown paths do),
/// behind the CORS layer.
pub fn router(state: AppState) -> Router {
    let apis = state.config.apis;
    let cors = state.config.cors.clone();
    let mut router = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/hasura/healthz", get(health::healthz))
        .route("/v1/version", get(health::version));
    if apis.graphql {
        router = router
            .route(
                "/v1/graphql",
                post(crate::graphql::v1).get(crate::subscriptions::upgrade),
            )
            .route(
                "/v1alpha1/graphql",
                post(crate::graphql::v1alpha1).get(crate::subscriptions::upgrade),
            );
    }
    if apis.metadata {
        router = router
            .route("/v1/metadata", post(control::metadata))
            .route("/v1/query", post(control::query))
            .route("/v2/query", post(control::query));
    }
    if apis.developer {
        router = router.route("/dev/subscriptions", get(live_queries));
    }
    let router = router.fallback(health::not_found).with_state(state);
    if cors == crate::cors::CorsConfig::Disabled {
        return router;
    }
    router.layer(axum::middleware::from_fn_with_state(
        cors,
        crate::cors::layer,
    ))
}
