//! Shared state: the pool, and the engine state (metadata, catalog, resolution) swapped atomically.

use std::sync::{Arc, RwLock};

use rasura_catalog::Catalog;
use rasura_metadata::Metadata;
use rasura_pg::{hdb_catalog, PgError, Pool};
use rasura_resolve::{resolve, ResolvedMetadata};

use crate::config::ServerConfig;

/// One consistent view of the engine: a metadata version resolved against a catalog.
#[derive(Debug, Clone)]
pub struct EngineState {
    pub metadata: Metadata,
    pub resource_version: i64,
    pub catalog: Arc<Catalog>,
    pub resolved: Arc<ResolvedMetadata>,
}

impl EngineState {
    pub fn build(metadata: Metadata, resource_version: i64, catalog: Arc<Catalog>) -> EngineState {
        let resolved = Arc::new(resolve(&metadata, catalog.clone()));
        EngineState {
            metadata,
            resource_version,
            catalog,
            resolved,
        }
    }
}

/// Everything a request handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub config: Arc<ServerConfig>,
    engine: Arc<RwLock<Arc<EngineState>>>,
    /// Serialises control-plane writes within this instance.
    pub write_lock: Arc<tokio::sync::Mutex<()>>,
}

impl AppState {
    /// Prepares `hdb_catalog`, loads the stored metadata and the catalog, and resolves them.
    pub async fn load(pool: Pool, config: ServerConfig) -> Result<AppState, PgError> {
        let engine = load_engine(&pool).await?;
        Ok(AppState {
            pool,
            config: Arc::new(config),
            engine: Arc::new(RwLock::new(Arc::new(engine))),
            write_lock: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// The current engine state (cheap: one Arc clone).
    pub fn engine(&self) -> Arc<EngineState> {
        self.engine.read().expect("engine lock poisoned").clone()
    }

    /// Swaps in a new engine state.
    pub fn set_engine(&self, engine: EngineState) {
        *self.engine.write().expect("engine lock poisoned") = Arc::new(engine);
    }

    /// Re-reads metadata and catalog from the database.
    pub async fn reload(&self) -> Result<Arc<EngineState>, PgError> {
        let engine = load_engine(&self.pool).await?;
        self.set_engine(engine);
        Ok(self.engine())
    }
}

async fn load_engine(pool: &Pool) -> Result<EngineState, PgError> {
    let mut client = pool.get().await?;
    hdb_catalog::ensure(&mut client).await?;
    let (metadata, version) = hdb_catalog::load_metadata(&**client).await?;
    let catalog = rasura_catalog::load(&**client)
        .await
        .map_err(|e| PgError::Connection(e.to_string()))?;
    Ok(EngineState::build(metadata, version, Arc::new(catalog)))
}
