//! A small typed client for querying the engine's GraphQL endpoint.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

/// One GraphQL error of the engine's answer.
///
/// ```
/// let e: rasura_sdk::GraphQLError = serde_json::from_str(
///     r#"{"message": "field 'x' not found", "extensions": {"code": "validation-failed"}}"#,
/// ).unwrap();
/// assert_eq!(e.extensions["code"], "validation-failed");
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GraphQLError {
    pub message: String,
    #[serde(default)]
    pub extensions: Value,
}

/// Why a query gave no data.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// // Nothing listens on port 9 here: the engine cannot be reached.
/// let c = rasura_sdk::EngineClient::new("http://127.0.0.1:9/v1/graphql");
/// let err = c.query::<serde_json::Value>("{ user { id } }", serde_json::json!({})).await.unwrap_err();
/// assert!(matches!(err, rasura_sdk::ClientError::Http(_)));
/// # }
/// ```
#[derive(Debug)]
pub enum ClientError {
    /// The engine could not be reached or answered something else than JSON.
    Http(String),
    /// The engine answered GraphQL errors.
    GraphQL(Vec<GraphQLError>),
    /// `data` does not fit the type asked for.
    Decode(String),
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientError::Http(e) => write!(f, "cannot query the engine: {e}"),
            ClientError::GraphQL(errors) => {
                let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
                write!(f, "the engine answered errors: {}", messages.join("; "))
            }
            ClientError::Decode(e) => write!(f, "the engine's data does not fit: {e}"),
        }
    }
}

impl std::error::Error for ClientError {}

/// A client of one engine endpoint, with the headers every request carries (an admin secret,
/// a role, a bearer token).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// // A stand-in engine on a free local port.
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// let url = format!("http://{}/v1/graphql", listener.local_addr().unwrap());
/// let engine = axum::Router::new().route("/v1/graphql", axum::routing::post(
///     |h: axum::http::HeaderMap| async move {
///         assert_eq!(h["x-hasura-admin-secret"], "s3cret");
///         axum::Json(serde_json::json!({"data": {"user": [{"name": "Ada"}]}}))
///     }));
/// tokio::spawn(async move { axum::serve(listener, engine).await });
///
/// #[derive(serde::Deserialize)]
/// struct Users { user: Vec<User> }
/// #[derive(serde::Deserialize)]
/// struct User { name: String }
///
/// let client = rasura_sdk::EngineClient::new(&url).with_admin_secret("s3cret");
/// let users: Users = client.query("{ user { name } }", serde_json::json!({})).await.unwrap();
/// assert_eq!(users.user[0].name, "Ada");
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct EngineClient {
    url: String,
    headers: Vec<(String, String)>,
    http: reqwest::Client,
}

impl EngineClient {
    /// A client of `url` (e.g. `http://127.0.0.1:8080/v1/graphql`).
    ///
    /// ```
    /// let c = rasura_sdk::EngineClient::new("http://127.0.0.1:8080/v1/graphql");
    /// assert_eq!(c.url(), "http://127.0.0.1:8080/v1/graphql");
    /// ```
    pub fn new(url: &str) -> EngineClient {
        EngineClient {
            url: url.to_string(),
            headers: vec![],
            http: reqwest::Client::new(),
        }
    }

    /// The endpoint.
    ///
    /// ```
    /// assert_eq!(rasura_sdk::EngineClient::new("http://e/v1/graphql").url(), "http://e/v1/graphql");
    /// ```
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends `x-hasura-admin-secret` with every request.
    ///
    /// ```
    /// let _ = rasura_sdk::EngineClient::new("http://e/v1/graphql").with_admin_secret("s3cret");
    /// ```
    pub fn with_admin_secret(self, secret: &str) -> EngineClient {
        self.with_header("x-hasura-admin-secret", secret)
    }

    /// Sends a header with every request (`x-hasura-role`, `authorization`, ...).
    ///
    /// ```
    /// let _ = rasura_sdk::EngineClient::new("http://e/v1/graphql").with_header("x-hasura-role", "user");
    /// ```
    pub fn with_header(mut self, name: &str, value: &str) -> EngineClient {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Runs `query` with `variables` and decodes `data` as `T`; the engine's `errors` come back
    /// as [`ClientError::GraphQL`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let url = format!("http://{}/v1/graphql", listener.local_addr().unwrap());
    /// let engine = axum::Router::new().route("/v1/graphql", axum::routing::post(|| async {
    ///     axum::Json(serde_json::json!({"errors": [{"message": "no such field", "extensions": {"code": "validation-failed"}}]}))
    /// }));
    /// tokio::spawn(async move { axum::serve(listener, engine).await });
    /// let c = rasura_sdk::EngineClient::new(&url);
    /// match c.query::<serde_json::Value>("{ nope }", serde_json::json!({})).await {
    ///     Err(rasura_sdk::ClientError::GraphQL(errors)) => assert_eq!(errors[0].message, "no such field"),
    ///     other => panic!("{other:?}"),
    /// }
    /// # }
    /// ```
    pub async fn query<T: DeserializeOwned>(
        &self,
        query: &str,
        variables: Value,
    ) -> Result<T, ClientError> {
        let mut req = self
            .http
            .post(&self.url)
            .json(&json!({"query": query, "variables": variables}));
        for (k, v) in &self.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let resp = req
            .send()
            .await
            .map_err(|e| ClientError::Http(e.to_string()))?;
        let body: Value = resp
            .json()
            .await
            .map_err(|e| ClientError::Http(e.to_string()))?;
        if let Some(errors) = body.get("errors").filter(|e| !e.is_null()) {
            let errors: Vec<GraphQLError> = serde_json::from_value(errors.clone())
                .map_err(|e| ClientError::Decode(e.to_string()))?;
            return Err(ClientError::GraphQL(errors));
        }
        serde_json::from_value(body.get("data").cloned().unwrap_or(Value::Null))
            .map_err(|e| ClientError::Decode(e.to_string()))
    }
}
