//! axum integration: the payloads as extractors (a body that does not fit is answered with a
//! 400 the engine understands), and a shared-secret check for handler routes.

use axum::extract::{FromRequest, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::error::ActionError;
use crate::payload::{ActionPayload, EventPayload};

async fn json_body<T: DeserializeOwned, S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<T, ActionError> {
    let bytes = axum::body::Bytes::from_request(req, state)
        .await
        .map_err(|e| {
            ActionError::new(format!("cannot read the request body: {e}"))
                .with_code("invalid-payload")
        })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ActionError::new(format!("the request body does not fit: {e}")).with_code("invalid-payload")
    })
}

/// Extracts the Action payload from the request body.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use axum::{routing::post, Json, Router};
/// use rasura_sdk::{ActionError, ActionPayload};
/// use tower::ServiceExt;
///
/// #[derive(serde::Deserialize)]
/// struct Args { name: String }
///
/// async fn hello(p: ActionPayload<Args>) -> Result<Json<serde_json::Value>, ActionError> {
///     if p.input.name.is_empty() {
///         return Err(ActionError::new("name is empty"));
///     }
///     Ok(Json(serde_json::json!({"greeting": format!("Hello {}", p.input.name)})))
/// }
///
/// let app = Router::new().route("/hello", post(hello));
/// let body = r#"{"action": {"name": "hello"}, "input": {"name": "Ada"}, "session_variables": {}}"#;
/// let req = axum::http::Request::post("/hello").body(axum::body::Body::from(body)).unwrap();
/// let resp = app.oneshot(req).await.unwrap();
/// assert_eq!(resp.status(), 200);
/// # }
/// ```
impl<Input, S> FromRequest<S> for ActionPayload<Input>
where
    Input: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ActionError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        json_body(req, state).await
    }
}

/// Extracts the Event payload from the request body (a 400 tells the engine to retry).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use axum::{routing::post, Router};
/// use rasura_sdk::EventPayload;
/// use tower::ServiceExt;
///
/// async fn on_event(p: EventPayload<serde_json::Value>) -> &'static str {
///     assert_eq!(p.trigger.name, "user_created");
///     "ok"
/// }
///
/// let app = Router::new().route("/event", post(on_event));
/// let body = r#"{"id": "1", "created_at": "2026-12-01T10:00:00Z", "trigger": {"name": "user_created"},
///   "table": {"schema": "public", "name": "user"},
///   "event": {"op": "INSERT", "data": {"old": null, "new": {"id": 1}}}}"#;
/// let req = axum::http::Request::post("/event").body(axum::body::Body::from(body)).unwrap();
/// assert_eq!(app.oneshot(req).await.unwrap().status(), 200);
/// # }
/// ```
impl<New, Old, S> FromRequest<S> for EventPayload<New, Old>
where
    New: DeserializeOwned,
    Old: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ActionError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        json_body(req, state).await
    }
}

/// A header every request must carry with a given value (configure the same header on the
/// action or trigger in the engine's metadata).
///
/// ```
/// let s = rasura_sdk::SharedSecret::new("x-backend-secret", "s3cret");
/// let mut h = axum::http::HeaderMap::new();
/// assert!(s.check(&h).is_err());
/// h.insert("x-backend-secret", "s3cret".parse().unwrap());
/// assert!(s.check(&h).is_ok());
/// ```
#[derive(Debug, Clone)]
pub struct SharedSecret {
    header: String,
    secret: String,
}

impl SharedSecret {
    /// The header's name and the value it must have.
    ///
    /// ```
    /// let _ = rasura_sdk::SharedSecret::new("x-backend-secret", "s3cret");
    /// ```
    pub fn new(header: impl Into<String>, secret: impl Into<String>) -> SharedSecret {
        SharedSecret {
            header: header.into(),
            secret: secret.into(),
        }
    }

    /// Whether `headers` carry the secret; a 401 error otherwise.
    ///
    /// ```
    /// let s = rasura_sdk::SharedSecret::new("x-k", "v");
    /// assert_eq!(s.check(&axum::http::HeaderMap::new()).unwrap_err().status(), 401);
    /// ```
    pub fn check(&self, headers: &HeaderMap) -> Result<(), ActionError> {
        let given = headers.get(self.header.as_str()).map(|v| v.as_bytes());
        // Compared in full whatever the first difference, so timing tells nothing.
        let matches = given.is_some_and(|g| {
            g.len() == self.secret.len()
                && g.iter()
                    .zip(self.secret.as_bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        });
        if matches {
            Ok(())
        } else {
            Err(ActionError::new("unauthorized")
                .with_code("access-denied")
                .with_status(401))
        }
    }
}

/// Middleware refusing requests without the shared secret: use it with
/// `axum::middleware::from_fn_with_state`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use axum::{middleware, routing::post, Router};
/// use rasura_sdk::{check_secret, SharedSecret};
/// use tower::ServiceExt;
///
/// let app = Router::new()
///     .route("/event", post(|| async { "ok" }))
///     .layer(middleware::from_fn_with_state(SharedSecret::new("x-k", "v"), check_secret));
/// let bare = axum::http::Request::post("/event").body(axum::body::Body::empty()).unwrap();
/// assert_eq!(app.clone().oneshot(bare).await.unwrap().status(), 401);
/// let signed = axum::http::Request::post("/event").header("x-k", "v").body(axum::body::Body::empty()).unwrap();
/// assert_eq!(app.oneshot(signed).await.unwrap().status(), 200);
/// # }
/// ```
pub async fn check_secret(
    State(secret): State<SharedSecret>,
    req: Request,
    next: Next,
) -> Response {
    match secret.check(req.headers()) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}
