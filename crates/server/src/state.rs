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
    /// Serialises control-plane writes within this instance.
    pub write_lock: Arc<tokio::sync::Mutex<()>>,
    /// The pollers of multiplexed live queries.
    pub live: Arc<Hub>,
}

impl AppState {
    /// Prepares `hdb_catalog`, loads the stored metadata and the catalog, and resolves them.
    pub async fn load(pool: Pool, config: ServerConfig) -> Result<AppState, PgError> {
        Ok(AppState {
            engine: Engine::load(pool, config.exec).await?,
            auth: Arc::new(config.auth),
            cors: Arc::new(config.cors),
            apis: config.apis,
            write_lock: Arc::default(),
            live: Arc::default(),
        })
    }

    /// The same state with another connection pool (each serving thread has its own).
    pub fn with_pool(&self, pool: Pool) -> AppState {
        AppState {
            engine: self.engine.with_pool(pool),
            ..self.clone()
        }
    }

    /// What a WebSocket connection works with.
    pub fn socket_context(&self) -> rasura_subscriptions::Context {
        rasura_subscriptions::Context {
            engine: self.engine.clone(),
            auth: self.auth.clone(),
            hub: self.live.clone(),
        }
    }
}
