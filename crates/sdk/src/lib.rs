//! Typed payloads, errors, axum extractors and a client for backend servers that sit behind a
//! Hasura-compatible engine (Rasura or Hasura): Action handlers, Event Trigger webhooks and
//! services that query the engine.
//!
//! ```
//! use rasura_sdk::{ActionPayload, ActionError, Session};
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! struct LoginArgs { username: String, password: String }
//!
//! let body = r#"{"action": {"name": "login"}, "input": {"username": "ada", "password": "pw"},
//!                "session_variables": {"X-Hasura-Role": "anonymous"}, "request_query": "mutation {...}"}"#;
//! let payload: ActionPayload<LoginArgs> = serde_json::from_str(body).unwrap();
//! assert_eq!(payload.action.name, "login");
//! assert_eq!(payload.session_variables.role(), Some("anonymous"));
//! let refused = ActionError::new("invalid credentials").with_code("invalid-credentials");
//! assert_eq!(refused.body()["extensions"]["code"], "invalid-credentials");
//! ```

mod error;
mod payload;
mod session;

#[cfg(feature = "client")]
mod client;
#[cfg(feature = "axum")]
mod extract;

pub use error::ActionError;
pub use payload::{
    ActionName, ActionPayload, DeliveryInfo, Event, EventData, EventPayload, Op, TableName,
    TraceContext, TriggerName,
};
pub use session::Session;

#[cfg(feature = "client")]
pub use client::{ClientError, EngineClient, GraphQLError};
#[cfg(feature = "axum")]
pub use extract::{check_secret, SharedSecret};
