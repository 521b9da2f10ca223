//! What every handler can reach: the engine (its pool and current state), the auth settings,
//! the HTTP settings, the control plane's write lock and the live-query hub.

use std::sync::Arc;

use rasura_auth::AuthConfig;
use rasura_exec::Engine;
use rasura_pg::{PgError, Pool};
use rasura_subscriptions::Hub;

use crate::config::{EnabledApis, ServerConfig};
use crate::cors::CorsConfig;

/// The server's shared state; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
    pub auth: Arc<AuthConfig>,
    pub cors: Arc<CorsConfig>,
    pub apis: EnabledApis,
    /// The console is served at `/console`.
    pub console: bool,
    /// Serialises control-plane writes within this instance.
    pub write_lock: Arc<tokio::sync::Mutex<()>>,
    /// The pollers of multiplexed live queries.
    pub live: Arc<Hub>,
    /// What `/v1/metrics` asks for (none: open to whoever reaches it).
    pub metrics_secret: Option<Arc<str>>,
}

impl AppState {
    /// Prepares `hdb_catalog` in the metadata database `meta`, loads the stored metadata and
    /// the source's catalog, and resolves them.
    pub async fn load(
        meta: Pool,
        meta_url: &str,
        config: ServerConfig,
        layout: rasura_exec::Layout,
    ) -> Result<AppState, PgError> {
        Ok(AppState {
            metrics_secret: config.metrics_secret.map(Arc::from),
            engine: Engine::load(meta, meta_url, config.exec, layout).await?,
            auth: Arc::new(config.auth),
            cors: Arc::new(config.cors),
            apis: config.apis,
            console: config.console,
            write_lock: Arc::default(),
            live: Arc::default(),
        })
    }

    /// The same state with source connections of its own (each serving thread has its own),
    /// `connections` of them unless the source sets `max_connections`.
    pub fn for_thread(&self, connections: usize) -> AppState {
        AppState {
            engine: self.engine.for_thread(connections),
            ..self.clone()
        }
    }

    /// What a WebSocket connection works with.
    pub fn socket_context(&self, relay: bool) -> rasura_subscriptions::Context {
        rasura_subscriptions::Context {
            relay,
            engine: self.engine.clone(),
            auth: self.auth.clone(),
            hub: self.live.clone(),
        }
    }
}
