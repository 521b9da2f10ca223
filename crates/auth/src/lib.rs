//! Who is asking: a request's headers (or a WebSocket's `connection_init` payload) become a
//! `Session` (role and session variables) by Hasura's auth modes: admin secret, JWT, auth
//! webhook, unauthorized role.

pub mod config;
pub mod error;
pub mod http;
pub mod jwt;
pub mod secret;
pub mod session;
pub mod webhook;

pub use config::AuthConfig;
pub use error::AuthError;
pub use session::{authenticate, resolve_session};
