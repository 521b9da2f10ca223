//! The HTTP server, thin: routes for each enabled API, the CORS layer, the shared state the
//! handlers reach, and the one mapping of errors to Hasura's wire format. It wires `rasura-auth`,
//! `rasura-exec`, `rasura-control` and `rasura-subscriptions` together.

mod admin;
pub mod config;
pub mod cors;
pub mod http_log;
pub mod metrics;
mod routes;
pub mod state;
pub mod wire_error;

pub use config::{EnabledApis, ServerConfig};
pub use routes::router;

/// A console path's answer (asset or page), for `rasura console`'s own server.
pub use routes::console_answer;
pub use state::AppState;

/// The client's address, put into each request's extensions by whoever accepts connections.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub std::net::IpAddr);
