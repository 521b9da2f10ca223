//! What a WebSocket connection works with: the engine its operations run on, the auth settings
//! its `connection_init` is checked against, and the hub of multiplexed live queries.

use std::sync::Arc;

use rasura_auth::AuthConfig;
use rasura_exec::Engine;

use crate::multiplex::Hub;

/// A connection's context; cheap to clone.
#[derive(Clone)]
pub struct Context {
    pub engine: Engine,
    pub auth: Arc<AuthConfig>,
    pub hub: Arc<Hub>,
    /// The socket was opened on the Relay endpoint (`/v1beta1/relay`).
    pub relay: bool,
}
