//! `/v1/metadata`, `/v1/query`, `/v2/query`: admin only, except that the query API reads data for
//! any authenticated role; the body is parsed here so that bad JSON
//! gets Hasura's error. One request at a time runs the control plane (`rasura_control::execute`);
//! what it commits is built and swapped in before the answer goes out.

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rasura_control::{Api, ApiError, Current};

use crate::state::AppState;
use crate::wire_error::api_error;

pub async fn metadata(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    handle(&state, &headers, body, Api::Metadata).await
}

pub async fn query(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    handle(&state, &headers, body, Api::Query).await
}

/// The largest body read for a role that is not admin (the query API's reads).
const NON_ADMIN_BODY_BYTES: usize = 2 << 20;

/// Reads the body once the caller is known: up to `--max-metadata-bytes` for admin (a whole
/// project's metadata), 2 MiB for anyone else.
async fn read_body(state: &AppState, body: Body, admin: bool) -> Result<Vec<u8>, ApiError> {
    let limit = if admin {
        state.engine.config.limits.max_metadata_bytes
    } else {
        NON_ADMIN_BODY_BYTES
    };
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => Ok(bytes.to_vec()),
        Err(_) => Err(ApiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "bad-request",
            format!(
                "the request body is over the limit of {limit} bytes{}",
                if admin { " (--max-metadata-bytes)" } else { "" }
            ),
        )),
    }
}

async fn handle(state: &AppState, headers: &HeaderMap, body: Body, api: Api) -> Response {
    let result = async {
        let session = match api {
            Api::Metadata => {
                crate::admin::require_admin(&state.auth, headers)?;
                rasura_ir::Session::admin()
            }
            // The query API reads data for any role, under its permissions (as Hasura does);
            // everything else in it stays admin-only (`rasura_control::execute`).
            Api::Query => {
                let mut cookies = vec![];
                rasura_auth::authenticate(
                    &state.auth,
                    headers,
                    &serde_json::Value::Null,
                    &mut cookies,
                )
                .await
                .map_err(|e| {
                    let status = if e.code == "access-denied" || e.code == "invalid-jwt" {
                        axum::http::StatusCode::UNAUTHORIZED
                    } else {
                        axum::http::StatusCode::BAD_REQUEST
                    };
                    ApiError::new(status, e.code, e.message)
                })?
            }
        };
        crate::http_log::note_session(&session);
        let body = read_body(state, body, session.role == "admin").await?;
        let value: serde_json::Value =
            serde_json::from_slice(&body).map_err(ApiError::invalid_json)?;
        rasura_log::http::note(|n| n.query = Some(serde_json::json!({"type": value.get("type")})));
        run(state, value, api, session).await
    }
    .await;
    match result {
        Ok(v) => Json(v).into_response(),
        Err(mut e) => {
            crate::http_log::note_error(e.code, &e.message, &e.path);
            tracing::debug!(code = e.code, error = %e.message, path = %e.path, "control-plane request refused");
            if !state.engine.config.shows_internal("admin") {
                e.internal = None;
            }
            api_error(&e)
        }
    }
}

/// Runs one control-plane request under the write lock and serves what it committed.
async fn run(
    state: &AppState,
    body: serde_json::Value,
    api: Api,
    session: rasura_ir::Session,
) -> Result<serde_json::Value, ApiError> {
    let _guard = state.write_lock.lock().await;
    // Another engine on this metadata database may have committed since: start from its
    // version (no edit of a stale copy, no needless conflict).
    if let Err(e) = state.engine.follow_store(false).await {
        tracing::warn!("cannot read the stored metadata's version: {e}");
    }
    let engine = state.engine.current();
    let current = Current {
        metadata: engine.metadata.clone(),
        resource_version: engine.resource_version,
        catalog: engine.catalog.clone(),
        inconsistencies: engine.resolved.inconsistencies.clone(),
        remotes: state.engine.remote_introspections(),
    };
    drop(engine);
    let lift_timeout = state.engine.config.query_timeout.is_some();
    // No usable source: the request works in the metadata database alone.
    let source = state.engine.source().ok();
    let dbs = rasura_control::Databases {
        meta: &state.engine.meta,
        meta_url: state.engine.meta_url(),
        source: source.as_ref().map(|s| (&s.pool, s.url.as_str())),
        stringify_numeric: state.engine.config.stringify_numeric,
    };
    let engine = &state.engine;
    let old_error = engine.current().schema_error.clone();
    // What the request commits is built first: a schema it breaks (two root fields of one
    // name, say) fails the request, as in Hasura, and nothing is committed.
    let build = |c: rasura_control::Committed| {
        let next = engine.build_next(
            c.metadata,
            c.resource_version,
            c.catalog,
            &c.remotes,
            c.resolved,
        );
        match &next.schema_error {
            Some(e) if next.schema_error != old_error => Err(ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "unexpected",
                e.clone(),
            )),
            _ => Ok((next, c.remotes)),
        }
    };
    let (answer, built) =
        rasura_control::execute(dbs, current, body, api, lift_timeout, session, build).await?;
    if let Some((next, remotes)) = built {
        engine.install_built(next, remotes);
    }
    Ok(answer)
}
