//! The control plane's error: Hasura's code, message, JSON path and HTTP status, with the
//! metadata and database errors mapped to it. Sent as `{"path", "error", "code"[, "internal"]}`.

use http::StatusCode;
use rasura_metadata::MetadataError;
use rasura_pg::PgError;
use serde_json::{json, Value};

/// An error in Hasura's shape.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub path: String,
    pub internal: Option<Box<Value>>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            path: "$".to_string(),
            internal: None,
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn at(mut self, path: impl Into<String>) -> ApiError {
        self.path = path.into();
        self
    }

    /// Puts `prefix` before the current path (`$.args` + `$.table` → `$.args.table`).
    pub fn under(mut self, prefix: &str) -> ApiError {
        self.path = format!(
            "{prefix}{}",
            self.path.strip_prefix('$').unwrap_or(&self.path)
        );
        self
    }

    pub fn invalid_json(detail: impl std::fmt::Display) -> ApiError {
        ApiError::bad_request("invalid-json", format!("Error in $: {detail}"))
    }

    /// The control-plane body.
    pub fn control_body(&self) -> Value {
        let mut body = json!({"path": self.path, "error": self.message, "code": self.code});
        if let Some(i) = &self.internal {
            body["internal"] = (**i).clone();
        }
        body
    }
}

impl From<MetadataError> for ApiError {
    fn from(e: MetadataError) -> Self {
        let status = match e {
            MetadataError::Parse(_) => StatusCode::BAD_REQUEST,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError::new(status, e.code(), e.to_string())
    }
}

/// Maps a database error; `internal` carries the Postgres details (admin-only callers see it).
impl ApiError {
    /// A failed data statement of the query API (`select`, `insert`, ...): Hasura's code and
    /// message for it, as GraphQL gives them (`run_sql` failures stay `postgres-error`).
    pub fn from_data(e: PgError) -> ApiError {
        let Some((code, message)) = e.data_error() else {
            return e.into();
        };
        let status = if code == "unexpected" {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::BAD_REQUEST
        };
        let mut err = ApiError::new(status, code, message);
        err.internal = ApiError::from(e).internal;
        err
    }
}

impl From<PgError> for ApiError {
    fn from(e: PgError) -> Self {
        match &e {
            PgError::Statement {
                sqlstate,
                message,
                detail,
                hint,
                statement,
            } => {
                let mut err = ApiError::bad_request("postgres-error", "query execution failed");
                err.internal = Some(Box::new(json!({
                    "statement": statement,
                    "prepared": false,
                    "arguments": [],
                    "error": {
                        "exec_status": "FatalError",
                        "hint": hint,
                        "message": message,
                        "status_code": sqlstate,
                        "description": detail,
                    }
                })));
                err
            }
            PgError::Conflict { .. } => {
                ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            PgError::Connection(_) => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "postgres-error",
                "connection error",
            )
            .with_internal(json!(e.to_string())),
            PgError::BadMetadata(_) => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "unexpected",
                e.to_string(),
            ),
        }
    }
}

impl ApiError {
    pub fn with_internal(mut self, internal: Value) -> ApiError {
        self.internal = Some(Box::new(internal));
        self
    }
}
