//! The engine as request handlers hold it: the connection pool, the connections queries share,
//! the execution settings, and the current engine state, swapped atomically on metadata changes.

use std::sync::{Arc, RwLock};

use rasura_catalog::Catalog;
use rasura_metadata::Metadata;
use rasura_pg::{hdb_catalog, PgError, Pool};
use rasura_resolve::RemoteIntrospections;

use crate::config::ExecConfig;
use crate::engine::EngineState;

/// The connections queries on `pool` share.
fn shared_conns(pool: &Pool, config: &ExecConfig) -> rasura_pg::SharedConns {
    rasura_pg::SharedConns::new(pool.clone(), config.reads.depth, config.reads.connections)
}

/// Everything GraphQL execution can reach; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    pub pool: Pool,
    /// Connections queries share (statements pipelined), taken from `pool`.
    pub reads: Arc<rasura_pg::SharedConns>,
    pub config: Arc<ExecConfig>,
    current: Arc<RwLock<Arc<EngineState>>>,
    /// The remote schemas' introspections (fetched at start, add, update and reload).
    remotes: Arc<RwLock<RemoteIntrospections>>,
    /// This engine's share of the rate limits' allowances (every serving thread's).
    pub rate_grants: Arc<rasura_api_limits::rate::Grants>,
}

impl Engine {
    /// Prepares `hdb_catalog`, loads the stored metadata and the catalog, and resolves them.
    pub async fn load(pool: Pool, config: ExecConfig) -> Result<Engine, PgError> {
        let remotes = Arc::new(RwLock::new(RemoteIntrospections::new()));
        let state = load_engine(&pool, &remotes, None).await?;
        Ok(Engine {
            reads: Arc::new(shared_conns(&pool, &config)),
            pool,
            config: Arc::new(config),
            current: Arc::new(RwLock::new(Arc::new(state))),
            remotes,
            rate_grants: Arc::default(),
        })
    }

    /// The same engine with another connection pool (each serving thread has its own).
    pub fn with_pool(&self, pool: Pool) -> Engine {
        Engine {
            reads: Arc::new(shared_conns(&pool, &self.config)),
            pool,
            ..self.clone()
        }
    }

    /// The current engine state (cheap: one Arc clone).
    pub fn current(&self) -> Arc<EngineState> {
        self.current.read().expect("engine lock poisoned").clone()
    }

    /// Swaps in a new engine state.
    pub fn set_current(&self, state: EngineState) {
        let old = std::mem::replace(
            &mut *self.current.write().expect("engine lock poisoned"),
            Arc::new(state),
        );
        // Unless a request still holds it, the old state goes now: give its memory back.
        drop(old);
        crate::memory::release_free_memory();
    }

    /// Builds and serves a metadata version the control plane committed, with the remote
    /// introspections as it left them.
    pub fn install(
        &self,
        metadata: Metadata,
        resource_version: i64,
        catalog: Arc<Catalog>,
        remotes: RemoteIntrospections,
    ) {
        let state = EngineState::build(
            metadata,
            resource_version,
            catalog,
            remotes.clone(),
            Some(self.current()),
        );
        *self.remotes.write().expect("remotes lock") = remotes;
        self.set_current(state);
    }

    /// The stored remote introspections (a copy to work on).
    pub fn remote_introspections(&self) -> RemoteIntrospections {
        self.remotes.read().expect("remotes lock").clone()
    }
}

async fn load_engine(
    pool: &Pool,
    remotes: &RwLock<RemoteIntrospections>,
    previous: Option<Arc<EngineState>>,
) -> Result<EngineState, PgError> {
    let t0 = std::time::Instant::now();
    let mut client = pool.get().await?;
    hdb_catalog::ensure(&mut client).await?;
    let (metadata, version) = hdb_catalog::load_metadata(&**client).await?;
    let t1 = std::time::Instant::now();
    let mut catalog = rasura_catalog::load(&**client)
        .await
        .map_err(|e| PgError::Connection(e.to_string()))?;
    rasura_catalog::load_enum_rows(&**client, &mut catalog, &metadata.enum_tables()).await;
    let t2 = std::time::Instant::now();
    let fetched = rasura_remote::introspect::introspect_all(&metadata).await;
    *remotes.write().expect("remotes lock") = fetched.clone();
    let t3 = std::time::Instant::now();
    let engine = EngineState::build(metadata, version, Arc::new(catalog), fetched, previous);
    tracing::info!(
        metadata_ms = (t1 - t0).as_millis() as u64,
        catalog_ms = (t2 - t1).as_millis() as u64,
        remotes_ms = (t3 - t2).as_millis() as u64,
        build_ms = t3.elapsed().as_millis() as u64,
        "engine state loaded"
    );
    // The capture triggers match the stored metadata (one engine at a time does this).
    let tx = client
        .transaction()
        .await
        .map_err(|e| PgError::from_db(e, None))?;
    hdb_catalog::lock(&*tx).await?;
    rasura_events::sync::sync(&*tx, &engine.resolved.event_triggers)
        .await
        .map_err(|e| PgError::from_db(e, None))?;
    tx.commit().await.map_err(|e| PgError::from_db(e, None))?;
    Ok(engine)
}
