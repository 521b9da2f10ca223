//! Why a request may not proceed: Hasura's error code and message.

/// A request that may not proceed.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthError {
    pub code: &'static str,
    pub message: String,
}

impl AuthError {
    pub(crate) fn denied(message: &str) -> AuthError {
        AuthError {
            code: "access-denied",
            message: message.to_string(),
        }
    }
}
