//! The engine state: one metadata version resolved against a catalog, with its schemas and
//! the caches of documents, plans and introspection answers made against them.

use std::sync::Arc;

use rasura_catalog::Catalog;
use rasura_metadata::Metadata;
use rasura_resolve::{resolve_with_remotes, RemoteIntrospections, ResolvedMetadata};
use rasura_schema::RoleSchema;

/// One consistent view of the engine: a metadata version resolved against a catalog.
#[derive(Debug)]
pub struct EngineState {
    pub metadata: Metadata,
    pub resource_version: i64,
    pub catalog: Arc<Catalog>,
    pub resolved: Arc<ResolvedMetadata>,
    /// The admin role's schema (every tracked table).
    pub admin_schema: Arc<RoleSchema>,
    /// Why the admin schema could not be built (then it is the empty schema), if it could not.
    pub schema_error: Option<String>,
    /// The schema of roles without permissions (until permissions are enforced: every other role).
    pub empty_schema: Arc<RoleSchema>,
    /// Validated GraphQL documents of this metadata version.
    pub documents: rasura_memory::cache::DocumentCache,
    /// Compiled plans of this metadata version.
    pub plans: crate::plan_cache::PlanCache,
    /// Introspection answers of this metadata version.
    pub introspection: crate::introspection::IntrospectionCache,
    /// The queries the allow list lets through (enforced with `enable_allowlist`).
    pub allowlist: rasura_allowlist::Allowlist,
    /// The RESTified endpoints served at `/api/rest/`.
    pub rest: rasura_rest::Endpoints,
    /// The API limits of each role (an invalid section, reported, limits nothing).
    pub api_limits: rasura_api_limits::ApiLimits,
    /// Type definitions shared by the schemas of this state (admin's and the roles').
    shared_types: Arc<rasura_schema::SharedTypes>,
    /// Schemas of the other roles, built on first use.
    role_schemas: std::sync::Mutex<std::collections::HashMap<String, Arc<RoleSchema>>>,
    /// The remote schemas' introspections this state was built with.
    remotes: RemoteIntrospections,
}

/// What a new state keeps of the one it replaces when only tables' permissions changed: the
/// admin schema (it sees every table whatever the permissions) and the schemas of the roles
/// whose permissions are the same.
struct Kept {
    admin: Arc<RoleSchema>,
    roles: std::collections::HashMap<String, Arc<RoleSchema>>,
    /// The definitions they share (the roles rebuilt share them too).
    shared: Arc<rasura_schema::SharedTypes>,
}

impl Kept {
    fn of(
        previous: &EngineState,
        metadata: &Metadata,
        catalog: &Arc<Catalog>,
        remotes: &RemoteIntrospections,
    ) -> Option<Kept> {
        let (was, now) = (&previous.catalog, catalog);
        let same_catalog =
            Arc::ptr_eq(was, now) || (was.same_as(now) && was.unreachable == now.unreachable);
        let same_inputs = same_catalog && previous.remotes == *remotes;
        if !same_inputs || previous.schema_error.is_some() {
            return None;
        }
        let changed = rasura_resolve::diff::permission_roles_changed(&previous.metadata, metadata)?;
        let roles = previous.role_schemas.lock().expect("schema cache lock");
        // Keys are `role\0...` (backend-only and Relay variants).
        let kept_role = |key: &str| !changed.contains(key.split('\0').next().unwrap_or(key));
        Some(Kept {
            admin: previous.admin_schema.clone(),
            roles: (roles.iter())
                .filter(|(k, _)| kept_role(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            shared: previous.shared_types.clone(),
        })
    }
}

impl EngineState {
    /// Resolves `metadata` against `catalog` (unless `resolved` is that resolution already) and
    /// builds the admin schema (on the schema thread). The schemas of `previous`, the state
    /// this one replaces, seed the definitions to share.
    pub fn build(
        metadata: Metadata,
        resource_version: i64,
        catalog: Arc<Catalog>,
        remotes: RemoteIntrospections,
        previous: Option<Arc<EngineState>>,
        resolved: Option<ResolvedMetadata>,
    ) -> EngineState {
        rasura_memory::threads::on_schema_thread(move || {
            let kept = (previous.as_ref()).and_then(|p| Kept::of(p, &metadata, &catalog, &remotes));
            let shared_types = match &kept {
                Some(k) => k.shared.clone(),
                None => Arc::new(rasura_schema::SharedTypes::default()),
            };
            if let Some(p) = previous.filter(|_| kept.is_none()) {
                shared_types.seed(&p.admin_schema.schema);
                for s in p.role_schemas.lock().expect("schema cache lock").values() {
                    shared_types.seed(&s.schema);
                }
            }
            Self::build_here(
                metadata,
                resource_version,
                catalog,
                remotes,
                resolved,
                shared_types,
                kept,
            )
        })
    }

    fn build_here(
        metadata: Metadata,
        resource_version: i64,
        catalog: Arc<Catalog>,
        remotes: RemoteIntrospections,
        resolved: Option<ResolvedMetadata>,
        shared_types: Arc<rasura_schema::SharedTypes>,
        kept: Option<Kept>,
    ) -> EngineState {
        let t0 = std::time::Instant::now();
        let mut resolved =
            resolved.unwrap_or_else(|| resolve_with_remotes(&metadata, catalog.clone(), &remotes));
        let t1 = std::time::Instant::now();
        let empty_schema = Arc::new(
            rasura_schema::build_schema(&ResolvedMetadata::default(), "anonymous")
                .expect("the empty schema builds"),
        );
        let mut schema_error = None;
        let reused = kept.is_some();
        let built = match &kept {
            Some(k) => Ok(k.admin.clone()),
            None => rasura_multi_source::build_schema(&resolved, "admin", false, &shared_types)
                .map(Arc::new),
        };
        let admin_schema = match built {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("could not build the GraphQL schema: {e}");
                // Served as the empty schema, and said so by get_inconsistent_metadata.
                resolved
                    .inconsistencies
                    .push(rasura_resolve::Inconsistency::new(
                        "graphql_schema",
                        "graphql_schema".to_string(),
                        serde_json::Value::Null,
                        &e,
                        rasura_resolve::ObjectRef::Section("graphql_schema".into()),
                    ));
                schema_error = Some(e);
                empty_schema.clone()
            }
        };
        tracing::debug!(
            reused,
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
        let allowlist = rasura_allowlist::Allowlist::build(&metadata);
        EngineState {
            schema_error,
            allowlist,
            rest: rasura_rest::Endpoints::build(&metadata),
            api_limits: rasura_api_limits::ApiLimits::parse(metadata.extra.get("api_limits"))
                .unwrap_or_default(),
            metadata,
            resource_version,
            catalog,
            resolved,
            admin_schema,
            empty_schema,
            documents: Default::default(),
            plans: Default::default(),
            introspection: crate::introspection::IntrospectionCache::default(),
            shared_types,
            role_schemas: std::sync::Mutex::new(kept.map(|k| k.roles).unwrap_or_default()),
            remotes,
        }
    }

    /// The Relay schema `role` queries against at `/v1beta1/relay` (built on first use).
    pub fn relay_schema_for(&self, role: &str) -> Arc<RoleSchema> {
        self.role_schema(format!("{role}\u{0}relay"), role, |r, role, shared| {
            rasura_multi_source::build_relay_schema(r, role, shared)
        })
    }

    /// The schema `role` queries against.
    pub fn schema_for(&self, role: &str, backend_only: bool) -> Arc<RoleSchema> {
        if role == "admin" {
            return self.admin_schema.clone();
        }
        self.role_schema(
            format!("{role}\u{0}{backend_only}"),
            role,
            move |r, role, shared| rasura_multi_source::build_schema(r, role, backend_only, shared),
        )
    }

    /// The schema cached under `key`, else built for `role` by `build` (on the schema thread).
    fn role_schema(
        &self,
        key: String,
        role: &str,
        build: impl FnOnce(
                &ResolvedMetadata,
                &str,
                &rasura_schema::SharedTypes,
            ) -> Result<RoleSchema, String>
            + Send
            + 'static,
    ) -> Arc<RoleSchema> {
        let mut cache = self.role_schemas.lock().expect("schema cache lock");
        if let Some(s) = cache.get(&key) {
            return s.clone();
        }
        let (resolved, shared, owned_role) = (
            self.resolved.clone(),
            self.shared_types.clone(),
            role.to_string(),
        );
        let built = rasura_memory::threads::on_schema_thread(move || {
            let built = build(&resolved, &owned_role, &shared);
            // The parse's leftovers lie between the definitions kept: give them back.
            rasura_memory::threads::release_free_memory();
            built
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
