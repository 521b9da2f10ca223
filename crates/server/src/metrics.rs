//! Prometheus metrics at `/v1/metrics` (with `metrics` in the enabled APIs), under Hasura's
//! names where Hasura has them. The crates record through the `metrics` facade as things
//! happen; gauges of what the engine holds (subscriptions, the metadata version) are read at
//! scrape time. `HASURA_GRAPHQL_METRICS_SECRET`, when set, is asked as `Authorization: Bearer`.

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::state::AppState;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Histogram buckets, as Hasura's.
const BUCKETS: [(&str, &[f64]); 2] = [
    (
        "hasura_graphql_execution_time_seconds",
        &[0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0],
    ),
    (
        "hasura_event_webhook_processing_time_seconds",
        &[0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0],
    ),
];

/// Installs the process's recorder (once; a process that has another keeps it).
pub fn install() {
    HANDLE.get_or_init(|| {
        let mut builder = PrometheusBuilder::new();
        for (name, buckets) in BUCKETS {
            builder = builder
                .set_buckets_for_metric(Matcher::Full(name.to_string()), buckets)
                .expect("buckets are not empty");
        }
        let handle = builder.install_recorder().ok()?;
        let upkeep = handle.clone();
        let started = std::thread::Builder::new()
            .name("rasura-metrics".into())
            .spawn(move || loop {
                std::thread::sleep(UPKEEP);
                upkeep.run_upkeep();
            });
        if let Err(e) = started {
            tracing::warn!("no upkeep thread for the metrics: {e}");
        }
        Some(handle)
    });
}

/// How often the histograms' new samples are folded into their buckets. The recorder keeps
/// every sample until then (a scrape does it too): without it, an engine nobody scrapes grew
/// by about 16 bytes a request (40 MB over the benchmark's 2.5 million requests).
const UPKEEP: std::time::Duration = std::time::Duration::from_secs(5);

/// `GET /v1/metrics`: the text exposition format.
pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(secret) = &state.metrics_secret {
        let given = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let ok = given.is_some_and(|g| {
            rasura_auth::secret::constant_time_eq(g.as_bytes(), secret.as_bytes())
        });
        if !ok {
            return crate::wire_error::api_error(&rasura_control::ApiError::new(
                StatusCode::UNAUTHORIZED,
                "access-denied",
                "invalid or missing metrics secret (send Authorization: Bearer <HASURA_GRAPHQL_METRICS_SECRET>)",
            ));
        }
    }
    let Some(Some(handle)) = HANDLE.get() else {
        return (StatusCode::OK, "").into_response();
    };
    // What the engine holds, read now.
    let live = state.live.report();
    let count = |k: &str| live.get(k).and_then(|v| v.as_u64()).unwrap_or(0) as f64;
    metrics::gauge!("hasura_active_subscriptions", "subscription_kind" => "live-query")
        .set(count("subscribers"));
    metrics::gauge!("hasura_active_subscription_pollers", "subscription_kind" => "live-query")
        .set(count("pollers"));
    metrics::gauge!("hasura_metadata_resource_version")
        .set(state.engine.current().resource_version as f64);
    // Hasura's labels: the source, how its connection was given, primary or replica.
    let engine = state.engine.current();
    if let Some(source) = &engine.resolved.source {
        let roles: &[(&str, bool)] = if source.replicas.is_empty() {
            &[("primary", false)]
        } else {
            &[("primary", false), ("replica", true)]
        };
        for (role, replica) in roles {
            metrics::gauge!(
                "hasura_postgres_connections",
                "source_name" => source.name.clone(),
                "conn_info" => conn_info(&engine.metadata, &source.name),
                "role" => *role
            )
            .set(rasura_pg::source_connections(*replica) as f64);
        }
    }
    handle.run_upkeep();
    (
        StatusCode::OK,
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response()
}

/// How the source's connection was given, for the `conn_info` label: the environment variable
/// it is read from (`HASURA_GRAPHQL_DATABASE_URL`, as Hasura shows it), else `database_url`.
fn conn_info(md: &rasura_metadata::Metadata, source: &str) -> String {
    let url = md
        .sources
        .iter()
        .find(|s| s.name == source)
        .and_then(|s| s.configuration.pointer("/connection_info/database_url"));
    match url.and_then(|u| u.get("from_env")).and_then(|v| v.as_str()) {
        Some(var) => var.to_string(),
        None => "database_url".to_string(),
    }
}
