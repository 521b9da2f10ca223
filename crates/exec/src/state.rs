//! The engine as request handlers hold it: the metadata database's pool, this thread's source
//! connections, the execution settings, and the current engine state, swapped atomically on
//! metadata changes.

use std::sync::{Arc, RwLock};

use rasura_catalog::Catalog;
use rasura_metadata::Metadata;
use rasura_pg::{hdb_catalog, PgError, Pool};
use rasura_resolve::{RemoteIntrospections, ResolvedMetadata};

use crate::config::ExecConfig;
use crate::engine::EngineState;
use rasura_source::{SourceConn, SourceSlot};

/// Where the engine's databases are, settled at start.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// A database URL was given (flag, environment or the embedded database): metadata stored
    /// for the first time gets the `default` source on it, as Hasura adds it.
    pub database_url: bool,
    /// Source connections per serving thread when the source does not set `max_connections`.
    pub source_connections: usize,
    /// Serving threads (each holds its own source connections).
    pub threads: usize,
}

/// Everything GraphQL execution can reach; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    /// The metadata database: `hdb_catalog`'s metadata, scheduled events, rate-limit counters.
    pub meta: Pool,
    meta_url: Arc<str>,
    /// This thread's connections to the served source.
    source: SourceSlot,
    /// This thread's connections to the other sources served at once, by name.
    others: Arc<std::sync::Mutex<std::collections::HashMap<String, SourceSlot>>>,
    layout: Layout,
    pub config: Arc<ExecConfig>,
    current: Arc<RwLock<Arc<EngineState>>>,
    /// The remote schemas' introspections (fetched at start, add, update and reload).
    remotes: Arc<RwLock<RemoteIntrospections>>,
    /// This engine's share of the rate limits' allowances (every serving thread's).
    pub rate_grants: Arc<rasura_api_limits::rate::Grants>,
}

impl Engine {
    /// Prepares `hdb_catalog` in the metadata database `meta`, loads the stored metadata,
    /// connects to the source it names and reads its catalog, and resolves them.
    pub async fn load(
        meta: Pool,
        meta_url: &str,
        config: ExecConfig,
        layout: Layout,
    ) -> Result<Engine, PgError> {
        let remotes = Arc::new(RwLock::new(RemoteIntrospections::new()));
        let source = SourceSlot::default();
        let state = load_engine(&meta, layout, &remotes).await?;
        rasura_traces::configure(state.metadata.extra.get("opentelemetry"));
        Ok(Engine {
            meta,
            meta_url: meta_url.into(),
            source,
            others: Arc::default(),
            layout,
            config: Arc::new(config),
            current: Arc::new(RwLock::new(Arc::new(state))),
            remotes,
            rate_grants: Arc::default(),
        })
    }

    /// The same engine with source connections of its own (each serving thread has its own),
    /// `connections` of them unless the source sets `max_connections`.
    pub fn for_thread(&self, connections: usize) -> Engine {
        Engine {
            source: SourceSlot::default(),
            others: Arc::default(),
            layout: Layout {
                source_connections: connections,
                ..self.layout
            },
            ..self.clone()
        }
    }

    /// The metadata database's URL.
    pub fn meta_url(&self) -> &str {
        &self.meta_url
    }

    /// This thread's connections to the served source (made on first use, and again when the
    /// metadata points the source elsewhere).
    pub fn source(&self) -> Result<Arc<SourceConn>, PgError> {
        self.source_numbered(0)
    }

    /// The number of the source named `name` among those served (0: the first; none: it is
    /// not served).
    pub fn source_number(&self, name: &str) -> Option<usize> {
        self.current().resolved.served_named(name).map(|(n, _)| n)
    }

    /// This thread's connections to source number `n`: 0 the first served, `k + 1` the
    /// resolved metadata's `sources[k]`.
    pub fn source_numbered(&self, n: usize) -> Result<Arc<SourceConn>, PgError> {
        let state = self.current();
        let resolved = match n {
            0 => Some(&*state.resolved),
            n => state.resolved.sources.get(n - 1),
        };
        let Some(s) = resolved.and_then(|r| r.source.as_ref()) else {
            return Err(PgError::Connection(
                "no database source is connected (see get_inconsistent_metadata)".into(),
            ));
        };
        let slot = match n {
            0 => self.source.clone(),
            _ => {
                let mut others = self.others.lock().expect("source slots lock");
                others.entry(s.name.clone()).or_default().clone()
            }
        };
        let (size, threads) = (self.layout.source_connections, self.layout.threads);
        let settings = rasura_source::ConnSettings {
            shared: self.config.reads.connections,
            depth: self.config.reads.depth,
            statement_timeout: self.config.query_timeout,
        };
        let options = rasura_source::options(s, size, threads, &settings);
        let replicas = rasura_source::replica_options(s, size, threads, &settings);
        slot.get(
            &s.url,
            &options,
            &replicas,
            &settings,
            s.use_prepared_statements,
        )
    }

    /// Closes source connections idle or open longer than the source's settings allow.
    pub fn prune_source(&self) {
        self.source.prune();
        let state = self.current();
        let mut others = self.others.lock().expect("source slots lock");
        // Connections of sources no longer served go.
        others.retain(|name, _| {
            let named = |r: &ResolvedMetadata| r.source.as_ref().is_some_and(|s| &s.name == name);
            state.resolved.sources.iter().any(named)
        });
        for slot in others.values() {
            slot.prune();
        }
    }

    /// The current engine state (cheap: one Arc clone).
    pub fn current(&self) -> Arc<EngineState> {
        self.current.read().expect("engine lock poisoned").clone()
    }

    /// Swaps in a new engine state.
    pub fn set_current(&self, state: EngineState) {
        rasura_traces::configure(state.metadata.extra.get("opentelemetry"));
        let old = std::mem::replace(
            &mut *self.current.write().expect("engine lock poisoned"),
            Arc::new(state),
        );
        // Unless a request still holds it, the old state goes now, on the schema thread, which
        // gives its memory back afterwards.
        rasura_memory::threads::free_later(old);
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
        let state = self.build_next(metadata, resource_version, catalog, &remotes, None);
        self.install_built(state, remotes);
    }

    /// Builds what a metadata version would serve, without serving it yet; `resolved`: the
    /// metadata already resolved against `catalog` and `remotes`, if it is.
    pub fn build_next(
        &self,
        metadata: Metadata,
        resource_version: i64,
        catalog: Arc<Catalog>,
        remotes: &RemoteIntrospections,
        resolved: Option<rasura_resolve::ResolvedMetadata>,
    ) -> EngineState {
        EngineState::build(
            metadata,
            resource_version,
            catalog,
            remotes.clone(),
            Some(self.current()),
            resolved,
        )
    }

    /// Serves a state [`Self::build_next`] built, with the remote introspections it was
    /// built from.
    pub fn install_built(&self, state: EngineState, remotes: RemoteIntrospections) {
        *self.remotes.write().expect("remotes lock") = remotes;
        self.set_current(state);
    }

    /// Serves what another engine committed to the metadata database: the stored metadata
    /// when its version is newer than this engine's (or always, with `catalog_too`, when the
    /// database schema changed), the source's catalog read again; remote schemas introspected
    /// again only when their definitions changed. The caller holds the control-plane lock.
    /// Answers whether anything was installed.
    pub async fn follow_store(&self, catalog_too: bool) -> Result<bool, PgError> {
        let client = self.meta.get().await?;
        if !catalog_too
            && hdb_catalog::stored_version(&**client).await? <= self.current().resource_version
        {
            return Ok(false);
        }
        let (metadata, version) = hdb_catalog::load_metadata(&**client).await?;
        drop(client);
        let current = self.current();
        if version < current.resource_version
            || (version == current.resource_version && !catalog_too)
        {
            return Ok(false);
        }
        let catalog = rasura_multi_source::catalogs::served(&metadata).await;
        let remotes = if metadata.extra.get("remote_schemas")
            == current.metadata.extra.get("remote_schemas")
        {
            self.remote_introspections()
        } else {
            rasura_remote::introspect::introspect_all(&metadata).await
        };
        drop(current);
        self.install(metadata, version, Arc::new(catalog), remotes);
        Ok(true)
    }

    /// The stored remote introspections (a copy to work on).
    pub fn remote_introspections(&self) -> RemoteIntrospections {
        self.remotes.read().expect("remotes lock").clone()
    }
}

async fn load_engine(
    meta: &Pool,
    layout: Layout,
    remotes: &RwLock<RemoteIntrospections>,
) -> Result<EngineState, PgError> {
    let t0 = std::time::Instant::now();
    let mut client = meta.get().await?;
    hdb_catalog::ensure(&mut client).await?;
    let (text, version) = hdb_catalog::load_metadata_text(&**client).await?;
    drop(client);
    // The served source's catalog (a second at 10,000 tables) is read while the document is
    // parsed: its connection is known from the sources alone, read first.
    let early = (text.as_deref())
        .and_then(hdb_catalog::sources_only)
        .and_then(|head| rasura_multi_source::catalogs::served_url(&head))
        .map(|url| {
            let read = tokio::spawn({
                let url = url.clone();
                async move { rasura_pg::source_catalog::read(&url, &[]).await }
            });
            (url, read)
        });
    let mut metadata = match text {
        Some(text) => tokio::task::spawn_blocking(move || hdb_catalog::parse_metadata(&text))
            .await
            .map_err(|e| PgError::BadMetadata(e.to_string()))??,
        None => Metadata::empty(),
    };
    if version == 0 && !layout.database_url {
        // Nothing stored and no database given: no source until one is added.
        metadata.sources.clear();
    }
    let t1 = std::time::Instant::now();
    let catalog = rasura_multi_source::catalogs::served_with(&metadata, early).await;
    let t2 = std::time::Instant::now();
    let fetched = rasura_remote::introspect::introspect_all(&metadata).await;
    *remotes.write().expect("remotes lock") = fetched.clone();
    let t3 = std::time::Instant::now();
    let engine = EngineState::build(metadata, version, Arc::new(catalog), fetched, None, None);
    tracing::info!(
        metadata_ms = (t1 - t0).as_millis() as u64,
        catalog_ms = (t2 - t1).as_millis() as u64,
        remotes_ms = (t3 - t2).as_millis() as u64,
        build_ms = t3.elapsed().as_millis() as u64,
        "engine state loaded"
    );
    // The capture triggers match the stored metadata (one engine at a time does this), in
    // every source's database.
    if let Some(s) = &engine.resolved.source {
        rasura_events::sync::sync_at(&s.url, &engine.resolved.event_triggers).await?;
    }
    for r in &engine.resolved.sources {
        if let Some(s) = &r.source {
            if let Err(e) = rasura_events::sync::sync_at(&s.url, &r.event_triggers).await {
                tracing::warn!(source = %s.name, "event triggers not set up: {e}");
            }
        }
    }
    Ok(engine)
}
