//! The working state of one control-plane request: its transaction, the metadata being edited,
//! the catalog as SQL in the request leaves it, and the consistency check of each edit.

use std::sync::Arc;

use rasura_catalog::Catalog;
use rasura_metadata::Metadata;
use rasura_resolve::{Inconsistency, ResolvedMetadata};
use serde_json::{json, Value};

use crate::error::ApiError;

/// Which endpoint a request came through; it decides which operations exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// `/v1/metadata`
    Metadata,
    /// `/v1/query` (legacy) and `/v2/query`
    Query,
}

/// The working state of one control-plane request.
pub struct ControlTx<'a> {
    /// The served source's transaction; the metadata database's when there is no source or it
    /// is that database.
    pub tx: deadpool_postgres::Transaction<'a>,
    /// The metadata database's transaction, when it is not the source's database.
    pub meta_tx: Option<deadpool_postgres::Transaction<'a>>,
    /// The URL of the source `tx` works in (none: there is no usable source).
    pub source_url: Option<String>,
    /// The URL whose catalog `catalog` holds, when the working metadata names a source other
    /// than `tx`'s (read on a connection of its own).
    pub(crate) other_source: Option<String>,
    /// Who asks: admin for everything; another role only reads data (`select`, `count`) under
    /// its permissions.
    pub session: rasura_ir::Session,
    pub md: Metadata,
    pub catalog: Arc<Catalog>,
    pub(crate) catalog_dirty: bool,
    /// The other sources whose catalogs `catalog.sources` holds as read by this request: name
    /// → what they were read for (connection and enum tables); one missing is read again.
    pub(crate) source_keys: std::collections::HashMap<String, String>,
    pub(crate) md_changed: bool,
    /// Inconsistencies that existed before this request (not blamed on it).
    pub(crate) baseline: Vec<Inconsistency>,
    pub resource_version: i64,
    /// Remote schema introspections as this request leaves them.
    pub remotes: rasura_resolve::RemoteIntrospections,
    pub(crate) remotes_changed: bool,
    /// `version` of the request body (export/replace answer differently for 2).
    pub request_version: u64,
    pub(crate) api: Api,
    /// Numbers as strings in the query API's answers (`--stringify-numeric-types`).
    pub(crate) stringify_numeric: bool,
    /// The last passed consistency check's resolution of `md`, until the metadata changes
    /// again ([`Self::changed`] drops it): the next engine state is built from it.
    pub(crate) checked: Option<Checked>,
}

/// A resolution of the working metadata (its catalog included) and the remote introspections
/// it was made with.
pub(crate) struct Checked {
    resolved: ResolvedMetadata,
    remotes: rasura_resolve::RemoteIntrospections,
    /// What it resolved, to assert in tests that nothing changed it unannounced.
    #[cfg(debug_assertions)]
    md: Metadata,
}

impl<'a> ControlTx<'a> {
    /// Marks the metadata as edited.
    pub fn changed(&mut self) {
        self.md_changed = true;
        self.checked = None;
    }

    /// The metadata database's transaction.
    pub fn meta(&self) -> &deadpool_postgres::Transaction<'a> {
        self.meta_tx.as_ref().unwrap_or(&self.tx)
    }

    /// The source the working metadata serves, its connection resolved (none: no source, or
    /// one whose URL cannot be made).
    pub fn wanted_source(&self) -> Option<rasura_resolve::stages::sources::ResolvedSource> {
        let source = self.md.served_source()?;
        rasura_resolve::stages::sources::resolve(source).ok()
    }

    /// Whether the working metadata serves a source other than the one `tx` works in.
    pub fn source_moved(&self) -> bool {
        self.wanted_source().map(|s| s.url) != self.source_url
    }

    /// Refuses an operation naming source `name` that is not served: unknown, or not usable.
    pub fn check_source(&self, name: &str) -> Result<(), ApiError> {
        let source = self.md.source(name).map_err(ApiError::from)?;
        let usable = rasura_metadata::sources::is_postgres(&source.kind)
            && rasura_resolve::stages::sources::resolve(source).is_ok();
        if !usable {
            return Err(ApiError::bad_request(
                "unexpected",
                format!("source with name \"{name}\" is inconsistent"),
            ));
        }
        Ok(())
    }

    /// The catalog, re-read inside the transaction if SQL ran since it was read, with the rows
    /// of every enum table of the working metadata (tables whose shape did not change keep the
    /// rows read before, as Hasura keeps them until a reload). A source other than `tx`'s is
    /// read on a connection of its own; no source has an empty catalog.
    pub async fn fresh_catalog(&mut self) -> Result<Arc<Catalog>, ApiError> {
        let mut catalog = self.first_catalog().await?;
        // The other sources' catalogs: read once per request, again after SQL ran there or
        // their connection changed.
        let mut others = std::collections::BTreeMap::new();
        for source in rasura_multi_source::catalogs::other_sources(&self.md) {
            let key = catalog_key(source);
            let kept = catalog.sources.get(&source.name).cloned();
            let read = match kept {
                Some(c) if self.source_keys.get(&source.name) == Some(&key) => c,
                _ => {
                    self.source_keys.insert(source.name.clone(), key);
                    rasura_multi_source::catalogs::read_one(source).await
                }
            };
            others.insert(source.name.clone(), read);
        }
        let same = others.len() == catalog.sources.len()
            && others
                .iter()
                .all(|(n, c)| catalog.sources.get(n).is_some_and(|k| Arc::ptr_eq(k, c)));
        if !same {
            Arc::make_mut(&mut catalog).sources = others;
            self.catalog = catalog.clone();
        }
        Ok(catalog)
    }

    /// The catalog of source `name` ([`Self::fresh_catalog`], or one of its `sources`).
    pub async fn catalog_of(&mut self, name: &str) -> Result<Arc<Catalog>, ApiError> {
        let catalog = self.fresh_catalog().await?;
        if self.md.served_source().map(|s| s.name.as_str()) == Some(name) {
            return Ok(catalog);
        }
        Ok(catalog.sources.get(name).cloned().unwrap_or_default())
    }

    /// Marks source `name`'s catalog to be read again (SQL ran there).
    pub(crate) fn source_dirty(&mut self, name: &str) {
        self.source_keys.remove(name);
    }

    /// Marks source `name`'s catalog in `catalog.sources` as current (read where SQL that
    /// has not committed yet ran).
    pub(crate) fn source_read(&mut self, name: &str) {
        if let Ok(source) = self.md.source(name) {
            self.source_keys
                .insert(name.to_string(), catalog_key(source));
        }
    }

    /// [`Self::fresh_catalog`] of the source served first.
    async fn first_catalog(&mut self) -> Result<Arc<Catalog>, ApiError> {
        let others = self.catalog.sources.clone();
        let mut catalog = self.first_catalog_alone().await?;
        if catalog.sources.is_empty() && !others.is_empty() {
            Arc::make_mut(&mut catalog).sources = others;
            self.catalog = catalog.clone();
        }
        Ok(catalog)
    }

    async fn first_catalog_alone(&mut self) -> Result<Arc<Catalog>, ApiError> {
        if self.source_moved() {
            let wanted = self.wanted_source();
            let url = wanted.as_ref().map(|s| s.url.clone());
            if self.catalog_dirty || self.other_source != url {
                self.catalog = Arc::new(match &url {
                    Some(url) => rasura_pg::source_catalog::read(url, &self.md.enum_tables()).await,
                    None => Catalog::default(),
                });
                self.other_source = url;
                self.catalog_dirty = false;
            }
            return Ok(self.catalog.clone());
        }
        if self.other_source.take().is_some() {
            self.catalog_dirty = true;
        }
        if self.catalog_dirty && self.catalog.version.is_some() {
            // No DDL since the catalog at hand was read (by anyone, this request included):
            // it is current, and the full read (a second at 10,000 tables) is not needed.
            let now = rasura_catalog::version(&*self.tx).await.ok();
            if now.is_some() && now == self.catalog.version {
                self.catalog_dirty = false;
            }
        }
        if self.catalog_dirty {
            // DDL ran since the catalog at hand was read (a second at 10,000 tables).
            tracing::debug!("the database catalog is read again");
            let mut c = rasura_catalog::load(&*self.tx)
                .await
                .map_err(|e| ApiError::bad_request("unexpected", e.to_string()))?;
            rasura_catalog::keep_enum_rows(&mut c, &self.catalog);
            self.catalog = Arc::new(c);
            self.catalog_dirty = false;
        }
        let wanted = self.md.enum_tables();
        if wanted
            .iter()
            .any(|k| !self.catalog.enum_rows.contains_key(k))
        {
            let mut c = (*self.catalog).clone();
            rasura_catalog::load_enum_rows(&*self.tx, &mut c, &wanted).await;
            self.catalog = Arc::new(c);
        }
        Ok(self.catalog.clone())
    }

    /// Resolves the working metadata; returns what is inconsistent now but was not before.
    pub async fn new_inconsistencies(
        &mut self,
    ) -> Result<(ResolvedMetadata, Vec<Inconsistency>), ApiError> {
        let catalog = self.fresh_catalog().await?;
        let resolved = self.resolve_working(catalog);
        let fresh = resolved
            .inconsistencies
            .iter()
            .filter(|i| {
                !self
                    .baseline
                    .iter()
                    .any(|b| b.name == i.name && b.reason == i.reason)
            })
            .cloned()
            .collect();
        Ok((resolved, fresh))
    }

    /// The working metadata resolved, remote schemas included.
    pub fn resolve_working(&self, catalog: Arc<Catalog>) -> ResolvedMetadata {
        rasura_resolve::resolve_with_remotes(&self.md, catalog, &self.remotes)
    }

    /// Records a remote schema's fresh introspection (or why there is none).
    pub fn set_remote(&mut self, name: &str, result: Result<Arc<Value>, String>) {
        self.remotes.insert(name.to_string(), result);
        self.remotes_changed = true;
    }

    /// Refuses an edit that made something inconsistent.
    pub(crate) async fn check_consistency(&mut self) -> Result<(), ApiError> {
        let (resolved, mut fresh) = self.new_inconsistencies().await?;
        fresh.retain(Inconsistency::blocks_edits);
        if let Some(first) = fresh.first() {
            // Where Hasura refuses with a specific code, it says the reason as it is. Otherwise
            // `constraint-violation`, as the recorded cases of Hasura's suite answer (current
            // Hasura says `invalid-configuration` there).
            let (code, message) = match first.code {
                Some(code) => (code, first.bare_reason().to_string()),
                None => ("constraint-violation", first.reason.clone()),
            };
            return Err(ApiError::bad_request(code, message).with_internal(json!(fresh)));
        }
        self.checked = Some(Checked {
            resolved,
            remotes: self.remotes.clone(),
            #[cfg(debug_assertions)]
            md: self.md.clone(),
        });
        Ok(())
    }

    /// The last consistency check's resolution, if it still resolves the working metadata
    /// against `catalog` with the remote introspections at hand (resolving 10,000 tables again
    /// takes a good part of a second).
    pub(crate) fn take_checked(&mut self, catalog: &Arc<Catalog>) -> Option<ResolvedMetadata> {
        let checked = self.checked.take()?;
        if !Arc::ptr_eq(&checked.resolved.catalog, catalog) || checked.remotes != self.remotes {
            return None;
        }
        #[cfg(debug_assertions)]
        assert!(
            checked.md == self.md,
            "the metadata changed after its consistency check without `changed()`"
        );
        Some(checked.resolved)
    }
}

/// The answer of an operation that has nothing else to say.
pub fn success() -> Value {
    json!({"message": "success"})
}

/// What a source's catalog is read for: its connection and its enum tables.
fn catalog_key(source: &rasura_metadata::document::Source) -> String {
    let enums = rasura_multi_source::catalogs::enum_tables(source);
    format!("{}{enums:?}", source.configuration)
}
