//! The one place errors become HTTP responses in Hasura's wire format.
//!
//! Control plane (`rasura_control::ApiError`): `{"path", "error", "code"[, "internal"]}` with its
//! HTTP status. GraphQL (`rasura_exec::GqlError`): `{"errors": [{"message", "extensions": {"path",
//! "code"[, "internal"]}}]}`, status 200 on `/v1/graphql`; `/v1alpha1/graphql` answers the same
//! body with the error's status (Hasura encodes both with `encodeGQErr`; only `/v1` maps the
//! status to 200).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rasura_control::ApiError;
use rasura_exec::GqlError;

/// Which GraphQL endpoint: `/v1alpha1` answers errors with HTTP status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    V1,
    V1Alpha1,
    /// `/v1beta1/relay`: answered as `/v1/graphql` is.
    Relay,
}

/// A JSON body already serialized.
pub fn json_bytes(status: StatusCode, bytes: Vec<u8>) -> Response {
    (
        status,
        [(
            axum::http::header::CONTENT_TYPE,
            "application/json; charset=utf-8",
        )],
        bytes,
    )
        .into_response()
}

/// A GraphQL error as `endpoint` answers it.
pub fn graphql_error(e: &GqlError, endpoint: Endpoint) -> Response {
    match endpoint {
        Endpoint::V1 | Endpoint::Relay => {
            json_bytes(StatusCode::OK, e.body().to_string().into_bytes())
        }
        Endpoint::V1Alpha1 => json_bytes(e.status(), e.body().to_string().into_bytes()),
    }
}

/// A control-plane (or other non-GraphQL) error.
pub fn api_error(e: &ApiError) -> Response {
    (e.status, axum::Json(e.control_body())).into_response()
}

/// The answer for unknown paths (and APIs not enabled).
pub fn not_found() -> Response {
    api_error(&ApiError::new(
        StatusCode::NOT_FOUND,
        "not-found",
        "resource does not exist",
    ))
}
