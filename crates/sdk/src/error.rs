//! The error an Action handler answers with: a 4xx status and `{"message", "extensions"}`,
//! which the engine passes to the client as a GraphQL error.

use serde_json::{json, Map, Value};

/// An Action handler's refusal. The engine shows `message` to the client, with
/// `extensions.code` and any other extensions.
///
/// ```
/// let e = rasura_sdk::ActionError::new("card declined")
///     .with_code("payment-failed")
///     .with_extension("retry", serde_json::json!(false));
/// assert_eq!(e.status(), 400);
/// assert_eq!(
///     e.body(),
///     serde_json::json!({"message": "card declined", "extensions": {"code": "payment-failed", "retry": false}})
/// );
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ActionError {
    status: u16,
    message: String,
    extensions: Map<String, Value>,
}

impl ActionError {
    /// A 400 with `message`.
    ///
    /// ```
    /// assert_eq!(rasura_sdk::ActionError::new("no").body()["message"], "no");
    /// ```
    pub fn new(message: impl Into<String>) -> ActionError {
        ActionError {
            status: 400,
            message: message.into(),
            extensions: Map::new(),
        }
    }

    /// Sets `extensions.code`.
    ///
    /// ```
    /// let e = rasura_sdk::ActionError::new("no").with_code("forbidden");
    /// assert_eq!(e.body()["extensions"]["code"], "forbidden");
    /// ```
    pub fn with_code(self, code: impl Into<String>) -> ActionError {
        self.with_extension("code", Value::String(code.into()))
    }

    /// Adds an extension.
    ///
    /// ```
    /// let e = rasura_sdk::ActionError::new("no").with_extension("field", "email".into());
    /// assert_eq!(e.body()["extensions"]["field"], "email");
    /// ```
    pub fn with_extension(mut self, key: impl Into<String>, value: Value) -> ActionError {
        self.extensions.insert(key.into(), value);
        self
    }

    /// Another 4xx status (the engine treats every 4xx alike; 5xx would read as a crash).
    ///
    /// ```
    /// assert_eq!(rasura_sdk::ActionError::new("who?").with_status(401).status(), 401);
    /// assert_eq!(rasura_sdk::ActionError::new("x").with_status(500).status(), 400);
    /// ```
    pub fn with_status(mut self, status: u16) -> ActionError {
        if (400..500).contains(&status) {
            self.status = status;
        }
        self
    }

    /// The HTTP status.
    ///
    /// ```
    /// assert_eq!(rasura_sdk::ActionError::new("x").status(), 400);
    /// ```
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The JSON body.
    ///
    /// ```
    /// assert_eq!(rasura_sdk::ActionError::new("x").body(), serde_json::json!({"message": "x"}));
    /// ```
    pub fn body(&self) -> Value {
        if self.extensions.is_empty() {
            json!({"message": self.message})
        } else {
            json!({"message": self.message, "extensions": self.extensions})
        }
    }
}

impl std::fmt::Display for ActionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ActionError {}

#[cfg(feature = "axum")]
impl axum::response::IntoResponse for ActionError {
    fn into_response(self) -> axum::response::Response {
        let status = axum::http::StatusCode::from_u16(self.status)
            .unwrap_or(axum::http::StatusCode::BAD_REQUEST);
        (status, axum::Json(self.body())).into_response()
    }
}
