//! `/v1/metadata`, `/v1/query`, `/v2/query`: admin only; the body is parsed here so that bad JSON
//! gets Hasura's error.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::control::{self, Api};
use crate::state::AppState;
use crate::wire_error::ApiError;

pub async fn metadata(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    handle(&state, &headers, &body, Api::Metadata).await
}

pub async fn query(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    handle(&state, &headers, &body, Api::Query).await
}

async fn handle(state: &AppState, headers: &HeaderMap, body: &[u8], api: Api) -> Response {
    let result = async {
        require_admin(state, headers)?;
        let value: serde_json::Value =
            serde_json::from_slice(body).map_err(ApiError::invalid_json)?;
        control::execute(state, value, api).await
    }
    .await;
    match result {
        Ok(v) => Json(v).into_response(),
        Err(mut e) => {
            tracing::debug!(code = e.code, error = %e.message, path = %e.path, "control-plane request refused");
            if !state.config.shows_internal("admin") {
                e.internal = None;
            }
            e.into_response()
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The control plane is for admins: the admin secret when one is set, else the admin role.
pub(crate) fn require_admin(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    if let Some(secret) = &state.config.admin_secret {
        let given = header(headers, "x-hasura-admin-secret")
            .or_else(|| header(headers, "x-hasura-access-key"));
        return match given {
            None => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "access-denied",
                "x-hasura-admin-secret/x-hasura-access-key required, but not found",
            )),
            Some(g) if !constant_time_eq(g.as_bytes(), secret.as_bytes()) => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "access-denied",
                "invalid x-hasura-admin-secret/x-hasura-access-key",
            )),
            Some(_) => check_role(headers),
        };
    }
    check_role(headers)
}

fn check_role(headers: &HeaderMap) -> Result<(), ApiError> {
    match header(headers, "x-hasura-role") {
        Some(role) if role != "admin" => Err(ApiError::bad_request(
            "access-denied",
            "restricted access : admin only",
        )),
        _ => Ok(()),
    }
}

/// Compares a given secret with the configured one in constant time: both are hashed first,
/// so neither the position of the first difference nor the secret's length shows in the time.
pub fn constant_time_eq(given: &[u8], secret: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    let (a, b) = (Sha256::digest(given), Sha256::digest(secret));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}
