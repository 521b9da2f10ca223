//! The HTTP server: routes, the control plane (metadata and query APIs), and the one mapping of
//! every layer's errors to Hasura's wire format.

pub mod async_actions;
pub mod auth;
pub mod config;
pub mod control;
pub mod cors;
pub mod graphql;
pub mod http_util;
pub mod jwt;
pub mod memory;
pub mod remote;
pub mod routes;
pub mod state;
pub mod subscriptions;
pub mod webhook;
pub mod wire_error;

pub use config::ServerConfig;
pub use routes::router;
pub use state::AppState;
