//! Shared state: the pool, and the engine state (metadata, catalog, resolution) swapped atomically.

use std::sync::{Arc, RwLock};

use rasura_catalog::Catalog;
use rasura_metadata::Metadata;
use rasura_pg::{hdb_catalog, PgError, Pool};
use rasura_resolve::{resolve_with_remotes, RemoteIntrospections, ResolvedMetadata};
use rasura_schema::RoleSchema;

use crate::config::ServerConfig;

/// One consistent view of the engine: a metadata version resolved against a catalog.
#[derive(Debug)]
pub struct EngineState {
    pub metadata: Metadata,
    pub resource_version: i64,
    pub catalog: Arc<Catalog>,
    pub resolved: Arc<ResolvedMetadata>,
    /// The admin role's schema (every tracked table).
    pub admin_schema: Arc<RoleSchema>,
    /// The schema of roles without permissions (until permissions are enforced: every other role).
    pub empty_schema: Arc<RoleSchema>,
    /// Validated GraphQL documents of this metadata version.
    pub documents: crate::graphql::cache::DocumentCache,
    /// Compiled plans of this metadata version.
    pub plans: crate::graphql::plan_cache::PlanCache,
    /// Introspection answers of this metadata version.
    pub introspection: crate::graphql::execute::IntrospectionCache,
    /// Type definitions shared by the schemas of this state (admin's and the roles').
    shared_types: Arc<rasura_schema::SharedTypes>,
    /// Schemas of the other roles, built on first use.
    role_schemas: std::sync::Mutex<std::collections::HashMap<String, Arc<RoleSchema>>>,
}

impl EngineState {
    /// Resolves `metadata` against `catalog` and builds the admin schema (on the schema thread).
    /// The schemas of `previous`, the state this one replaces, seed the definitions to share.
    pub fn build(
        metadata: Metadata,
        resource_version: i64,
        catalog: Arc<Catalog>,
        remotes: RemoteIntrospections,
        previous: Option<Arc<EngineState>>,
    ) -> EngineState {
        crate::memory::on_schema_thread(move || {
            let shared_types = Arc::new(rasura_schema::SharedTypes::default());
            if let Some(p) = previous {
                shared_types.seed(&p.admin_schema.schema);
                for s in p.role_schemas.lock().expect("schema cache lock").values() {
                    shared_types.seed(&s.schema);
                }
            }
            Self::build_here(metadata, resource_version, catalog, &remotes, shared_types)
        })
    }

    fn build_here(
        metadata: Metadata,
        resource_version: i64,
        catalog: Arc<Catalog>,
        remotes: &RemoteIntrospections,
        shared_types: Arc<rasura_schema::SharedTypes>,
    ) -> EngineState {
        let t0 = std::time::Instant::now();
        let mut resolved = resolve_with_remotes(&metadata, catalog.clone(), remotes);
        let t1 = std::time::Instant::now();
        let empty_schema = Arc::new(
            rasura_schema::build_schema(&ResolvedMetadata::default(), "anonymous")
                .expect("the empty schema builds"),
        );
        let admin_schema =
            match rasura_schema::build_schema_shared(&resolved, "admin", false, &shared_types) {
                Ok(s) => Arc::new(s),
                Err(e) => {
                    tracing::error!("could not build the GraphQL schema: {e}");
                    empty_schema.clone()
                }
            };
        tracing::debug!(
            resolve_ms = (t1 - t0).as_millis() as u64,
            admin_schema_ms = t1.elapsed().as_millis() as u64,
            "engine state built"
        );
        // Remote schemas that clash with the rest are left out and reported.
        for (name, reason) in &admin_schema.remote_conflicts {
            tracing::warn!(remote_schema = %name, "remote schema left out: {reason}");
            resolved.remote_schemas.retain(|r| &r.name != name);
            resolved
                .inconsistencies
                .push(rasura_resolve::Inconsistency::new(
                    "remote_schema",
                    format!("remote_schema {name}"),
                    serde_json::Value::Null,
                    reason,
                    rasura_resolve::ObjectRef::RemoteSchema(name.clone()),
                ));
        }
        let resolved = Arc::new(resolved);
        EngineState {
            metadata,
            resource_version,
            catalog,
            resolved,
            admin_schema,
            empty_schema,
            documents: Default::default(),
            plans: Default::default(),
            introspection: crate::graphql::execute::IntrospectionCache::default(),
            shared_types,
            role_schemas: Default::default(),
        }
    }

    /// The schema `role` queries against.
    pub fn schema_for(&self, role: &str, backend_only: bool) -> Arc<RoleSchema> {
        if role == "admin" {
            return self.admin_schema.clone();
        }
        let key = format!("{role}\u{0}{backend_only}");
        let mut cache = self.role_schemas.lock().expect("schema cache lock");
        if let Some(s) = cache.get(&key) {
            return s.clone();
        }
        let (resolved, shared, owned_role) = (
            self.resolved.clone(),
            self.shared_types.clone(),
            role.to_string(),
        );
        let built = crate::memory::on_schema_thread(move || {
            rasura_schema::build_schema_shared(&resolved, &owned_role, backend_only, &shared)
        });
        let schema = match built {
            Ok(s) => Arc::new(s),
            Err(e) => {
                tracing::error!(role, "could not build the role's GraphQL schema: {e}");
                self.empty_schema.clone()
            }
        };
        cache.insert(key, schema.clone());
        schema
    }
}

/// The connections queries on `pool` share.
fn shared_conns(pool: &Pool, config: &ServerConfig) -> rasura_pg::SharedConns {
    rasura_pg::SharedConns::new(pool.clone(), config.reads.depth, config.reads.connections)
}

/// Everything a request handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    /// Connections queries share (statements pipelined), taken from `pool`.
    pub reads: Arc<rasura_pg::SharedConns>,
    pub config: Arc<ServerConfig>,
    engine: Arc<RwLock<Arc<EngineState>>>,
    /// Serialises control-plane writes within this instance.
    pub write_lock: Arc<tokio::sync::Mutex<()>>,
    /// The remote schemas' introspections (fetched at start, add, update and reload).
    pub remotes: Arc<RwLock<RemoteIntrospections>>,
    /// The pollers of multiplexed live queries.
    pub live: Arc<crate::subscriptions::multiplex::Hub>,
}

impl AppState {
    /// Prepares `hdb_catalog`, loads the stored metadata and the catalog, and resolves them.
    pub async fn load(pool: Pool, config: ServerConfig) -> Result<AppState, PgError> {
        let remotes = Arc::new(RwLock::new(RemoteIntrospections::new()));
        let engine = load_engine(&pool, &remotes, None).await?;
        Ok(AppState {
            reads: Arc::new(shared_conns(&pool, &config)),
            pool,
            config: Arc::new(config),
            engine: Arc::new(RwLock::new(Arc::new(engine))),
            write_lock: Arc::new(tokio::sync::Mutex::new(())),
            remotes,
            live: Arc::default(),
        })
    }

    /// The same state with another connection pool (each serving thread has its own).
    pub fn with_pool(&self, pool: Pool) -> AppState {
        AppState {
            reads: Arc::new(shared_conns(&pool, &self.config)),
            pool,
            ..self.clone()
        }
    }

    /// The current engine state (cheap: one Arc clone).
    pub fn engine(&self) -> Arc<EngineState> {
        self.engine.read().expect("engine lock poisoned").clone()
    }

    /// Swaps in a new engine state.
    pub fn set_engine(&self, engine: EngineState) {
        let old = std::mem::replace(
            &mut *self.engine.write().expect("engine lock poisoned"),
            Arc::new(engine),
        );
        // Unless a request still holds it, the old state goes now: give its memory back.
        drop(old);
        crate::memory::release_free_memory();
    }

    /// The stored remote introspections (a copy to work on).
    pub fn remote_introspections(&self) -> RemoteIntrospections {
        self.remotes.read().expect("remotes lock").clone()
    }

    /// Re-reads metadata and catalog from the database.
    pub async fn reload(&self) -> Result<Arc<EngineState>, PgError> {
        let engine = load_engine(&self.pool, &self.remotes, Some(self.engine())).await?;
        self.set_engine(engine);
        Ok(self.engine())
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
    let catalog = rasura_catalog::load(&**client)
        .await
        .map_err(|e| PgError::Connection(e.to_string()))?;
    let t2 = std::time::Instant::now();
    let fetched = crate::remote::introspect::introspect_all(&metadata).await;
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
