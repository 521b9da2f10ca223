//! The control plane and developer APIs are for admins: the admin secret when one is set, and
//! never another role.

use axum::http::{HeaderMap, StatusCode};
use rasura_auth::secret::{constant_time_eq, given_admin_secret};
use rasura_auth::AuthConfig;
use rasura_control::ApiError;

/// Refuses a request that is not an admin's.
pub fn require_admin(auth: &AuthConfig, headers: &HeaderMap) -> Result<(), ApiError> {
    if let Some(secret) = &auth.admin_secret {
        return match given_admin_secret(headers) {
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

/// As [`require_admin`], for the admin endpoints outside the metadata API (`pg_dump`,
/// `explain`), which refuse another role in Hasura's words for them.
pub fn require_admin_endpoint(auth: &AuthConfig, headers: &HeaderMap) -> Result<(), ApiError> {
    require_admin(auth, headers).map_err(|e| {
        if e.status == StatusCode::BAD_REQUEST {
            ApiError::bad_request(
                "access-denied",
                "You have to be an admin to access this endpoint",
            )
        } else {
            e
        }
    })
}

fn check_role(headers: &HeaderMap) -> Result<(), ApiError> {
    match headers.get("x-hasura-role").and_then(|v| v.to_str().ok()) {
        Some(role) if role != "admin" => Err(ApiError::bad_request(
            "access-denied",
            "restricted access : admin only",
        )),
        _ => Ok(()),
    }
}
