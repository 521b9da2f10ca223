//! `/healthz`, `/healthz/sources`, `/v1/version`, `/v1alpha1/config` and the answer for
//! unknown paths.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::state::AppState;

/// The Hasura version this engine answers as (clients such as the CLI parse it).
pub use rasura_metadata::COMPAT_VERSION;

/// `/healthz[?strict=true]`: the metadata database answers, and the metadata is consistent
/// (a warning, or with `strict` an error, when it is not).
pub async fn healthz(
    State(state): State<AppState>,
    Query(params): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if state.engine.meta.get().await.is_err() {
        return (StatusCode::INTERNAL_SERVER_ERROR, "ERROR").into_response();
    }
    let strict = params.get("strict").is_some_and(|v| v == "true");
    match (
        state.engine.current().resolved.inconsistencies.is_empty(),
        strict,
    ) {
        (true, _) => (StatusCode::OK, "OK").into_response(),
        (false, false) => (StatusCode::OK, "WARN: inconsistent objects in schema").into_response(),
        (false, true) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "ERROR: inconsistent objects in schema",
        )
            .into_response(),
    }
}

/// `/healthz/sources` (admin): each source's health, by a `SELECT 1` within 5 s:
/// `{"<source>": {"status": "OK" | "ERROR" | "TIMEOUT", "error": null | message, "timestamp"}}`
/// (Hasura's shape; a source that cannot be connected to is `ERROR`).
pub async fn sources(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    if let Err(e) = crate::admin::require_admin(&state.auth, &headers) {
        return crate::wire_error::api_error(&e);
    }
    let engine = state.engine.current();
    let mut out = serde_json::Map::new();
    for source in &engine.metadata.sources {
        let number = state.engine.source_number(&source.name);
        let served = number.is_some();
        let check = async {
            let conn = state
                .engine
                .source_numbered(number.unwrap_or_default())
                .map_err(|e| e.to_string())?;
            let client = conn.pool.get().await.map_err(|e| e.to_string())?;
            client
                .simple_query("SELECT 1")
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        };
        let (status, error) = if !served {
            (
                "ERROR",
                json!("the source is not served (see get_inconsistent_metadata)"),
            )
        } else {
            match tokio::time::timeout(std::time::Duration::from_secs(5), check).await {
                Ok(Ok(())) => ("OK", Value::Null),
                Ok(Err(e)) => ("ERROR", json!(e)),
                Err(_) => ("TIMEOUT", Value::Null),
            }
        };
        let timestamp = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now())
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        out.insert(
            source.name.clone(),
            json!({"status": status, "error": error, "timestamp": timestamp}),
        );
    }
    Json(Value::Object(out)).into_response()
}

/// `/v1alpha1/config` (admin): the server's settings as Hasura reports them.
pub async fn config(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    if let Err(e) = crate::admin::require_admin(&state.auth, &headers) {
        return crate::wire_error::api_error(&e);
    }
    let engine = state.engine.current();
    let auth = &state.auth;
    let polling = json!({"batch_size": 100, "refetch_delay": 1});
    Json(json!({
        "version": COMPAT_VERSION,
        "is_function_permissions_inferred": rasura_schema::infer_function_permissions(),
        "is_remote_schema_permissions_enabled": engine.resolved.remote_schema_permissions,
        "is_admin_secret_set": auth.admin_secret.is_some(),
        "is_auth_hook_set": auth.auth_hook.is_some(),
        "is_jwt_set": auth.jwt.is_some(),
        "jwt": auth.jwt.iter().map(|j| j.describe()).collect::<Vec<_>>(),
        "is_allow_list_enabled": state.engine.config.enable_allowlist,
        "live_queries": polling,
        "streaming_queries": polling,
        "console_assets_dir": null,
        "experimental_features": rasura_naming::experimental_features(),
        "is_prometheus_metrics_enabled": state.apis.metrics,
        "default_naming_convention": rasura_naming::server_convention()
            .unwrap_or_else(|_| "hasura-default".into()),
        "feature_flags": rasura_naming::feature_flags()
            .into_iter()
            .map(|(name, description, enabled)| {
                json!({"name": name, "description": description, "enabled": enabled})
            })
            .collect::<Vec<_>>(),
        "is_apollo_federation_enabled": false,
    }))
    .into_response()
}

pub async fn version() -> Json<serde_json::Value> {
    Json(
        json!({"version": COMPAT_VERSION, "server_type": "ce", "rasura_version": env!("CARGO_PKG_VERSION")}),
    )
}

pub async fn not_found() -> Response {
    crate::wire_error::not_found()
}
