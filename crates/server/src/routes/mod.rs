//! The HTTP routes: each enabled API's paths and their handlers.

mod console;
mod dev;
mod explain;
mod graphql;
mod health;
mod metadata;
mod pgdump;
mod rest;
mod ws;

use axum::routing::{get, post};
use axum::Router;

use crate::cors::CorsConfig;
use crate::state::AppState;
pub use console::serve as console_answer;

/// The whole HTTP API: the enabled APIs' routes (the others answer 404 as unknown paths do),
/// behind the CORS layer.
pub fn router(state: AppState) -> Router {
    crate::metrics::install();
    let apis = state.apis;
    let cors = (*state.cors).clone();
    let mut router = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/hasura/healthz", get(health::healthz))
        .route("/healthz/sources", get(health::sources))
        .route("/v1/version", get(health::version));
    if apis.graphql {
        router = router
            .route("/v1/graphql", post(graphql::v1).get(ws::upgrade))
            .route(
                "/v1alpha1/graphql",
                post(graphql::v1alpha1).get(ws::upgrade),
            )
            .route("/api/rest/{*path}", axum::routing::any(rest::call))
            // Relay; `/v1/relay` is the path of Hasura's releases before v2, kept as an alias.
            .route(
                "/v1beta1/relay",
                post(graphql::relay).get(ws::upgrade_relay),
            )
            .route("/v1/relay", post(graphql::relay).get(ws::upgrade_relay));
    }
    if apis.metadata {
        router = router
            .route("/v1/metadata", post(metadata::metadata))
            .route("/v1/query", post(metadata::query))
            .route("/v2/query", post(metadata::query))
            .route("/v1/graphql/explain", post(explain::explain))
            .route("/v1alpha1/graphql/explain", post(explain::explain));
    }
    if apis.pgdump {
        router = router.route("/v1alpha1/pg_dump", post(pgdump::pg_dump));
    }
    if apis.config {
        router = router.route("/v1alpha1/config", get(health::config));
    }
    if apis.metrics {
        router = router.route("/v1/metrics", get(crate::metrics::scrape));
    }
    if state.console {
        router = router
            .route("/", get(console::root))
            .route("/console", get(console::index))
            .route("/console/", get(console::index))
            .route(
                "/console/api/codegen/{action}/{framework}",
                get(console::codegen),
            )
            .route("/console/{*path}", get(console::path));
    }
    if apis.developer {
        router = router.route("/dev/subscriptions", get(dev::live_queries));
    }
    let mut router = router.fallback(health::not_found).with_state(state);
    if cors != CorsConfig::Disabled {
        router = router.layer(axum::middleware::from_fn_with_state(
            cors,
            crate::cors::layer,
        ));
    }
    // Outermost: every answer gets its request id and its log line.
    router.layer(axum::middleware::from_fn(crate::http_log::layer))
}
