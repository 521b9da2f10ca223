//! The control plane: `/v1/metadata`, `/v2/query` and legacy `/v1/query` operations.
//!
//! Every request runs in one database transaction against a working copy of the metadata:
//! `bulk` is all or nothing, `run_sql` and metadata edits see each other, and the new engine
//! state is swapped in only after the commit.

mod data_ops;
mod event_ops;
mod metadata_ops;
mod remote_ops;
mod run_sql;

use std::sync::Arc;

use axum::http::StatusCode;
use rasura_catalog::Catalog;
use rasura_metadata::Metadata;
use rasura_pg::{hdb_catalog, PgError};
use rasura_resolve::{resolve, Inconsistency, ResolvedMetadata};
use serde_json::{json, Value};

use crate::state::{AppState, EngineState};
use crate::wire_error::ApiError;

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
    pub tx: deadpool_postgres::Transaction<'a>,
    pub md: Metadata,
    pub catalog: Arc<Catalog>,
    catalog_dirty: bool,
    md_changed: bool,
    /// Inconsistencies that existed before this request (not blamed on it).
    baseline: Vec<Inconsistency>,
    pub resource_version: i64,
    /// Remote schema introspections as this request leaves them.
    pub remotes: rasura_resolve::RemoteIntrospections,
    remotes_changed: bool,
    /// `version` of the request body (export/replace answer differently for 2).
    pub request_version: u64,
    api: Api,
}

impl ControlTx<'_> {
    /// Marks the metadata as edited.
    pub fn changed(&mut self) {
        self.md_changed = true;
    }

    /// The catalog, re-read inside the transaction if SQL ran since it was read.
    pub async fn fresh_catalog(&mut self) -> Result<Arc<Catalog>, ApiError> {
        if self.catalog_dirty {
            let c = rasura_catalog::load(&*self.tx)
                .await
                .map_err(|e| ApiError::bad_request("unexpected", e.to_string()))?;
            self.catalog = Arc::new(c);
            self.catalog_dirty = false;
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
    async fn check_consistency(&mut self) -> Result<(), ApiError> {
        let (_, fresh) = self.new_inconsistencies().await?;
        if let Some(first) = fresh.first() {
            return Err(
                ApiError::bad_request("invalid-configuration", first.reason.clone())
                    .with_internal(json!(fresh)),
            );
        }
        Ok(())
    }
}

/// Runs one control-plane request body and answers with its JSON result.
pub async fn execute(state: &AppState, body: Value, api: Api) -> Result<Value, ApiError> {
    let Value::Object(req) = body else {
        return Err(ApiError::bad_request(
            "parse-failed",
            "expected an object with \"type\" and \"args\"",
        ));
    };
    let op = match req.get("type") {
        Some(Value::String(t)) => t.clone(),
        _ => return Err(ApiError::bad_request("parse-failed", "key \"type\" not found").at("$")),
    };
    let args = req.get("args").cloned().unwrap_or(Value::Null);
    let request_version = req.get("version").and_then(Value::as_u64).unwrap_or(1);
    let _guard = state.write_lock.lock().await;
    let engine = state.engine();
    if let Some(expected) = req.get("resource_version").and_then(Value::as_i64) {
        if expected != engine.resource_version {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!(
                    "metadata resource version referenced ({expected}) did not match current version"
                ),
            ));
        }
    }
    let mut client = state.pool.get().await.map_err(PgError::from)?;
    let tx = client
        .transaction()
        .await
        .map_err(|e| PgError::from_db(e, None))?;
    // The query timeout is for GraphQL requests; migrations and metadata edits run to the end.
    if state.config.query_timeout.is_some() {
        tx.batch_execute("SET LOCAL statement_timeout = 0")
            .await
            .map_err(|e| PgError::from_db(e, None))?;
    }
    let mut ctx = ControlTx {
        tx,
        md: engine.metadata.clone(),
        catalog: engine.catalog.clone(),
        catalog_dirty: false,
        md_changed: false,
        baseline: engine.resolved.inconsistencies.clone(),
        resource_version: engine.resource_version,
        remotes: state.remote_introspections(),
        remotes_changed: false,
        request_version,
        api,
    };
    let result = dispatch(&mut ctx, &op, args).await?;
    let catalog_changed = ctx.catalog_dirty || !Arc::ptr_eq(&ctx.catalog, &engine.catalog);
    let catalog = ctx.fresh_catalog().await?;
    if ctx.md_changed || catalog_changed {
        // The capture triggers follow the metadata in the same transaction.
        let resolved = resolve(&ctx.md, catalog.clone());
        rasura_events::sync::sync(&*ctx.tx, &resolved.event_triggers)
            .await
            .map_err(|e| PgError::from_db(e, None))?;
    }
    let mut version = ctx.resource_version;
    if ctx.md_changed {
        version = hdb_catalog::save_metadata(&*ctx.tx, &ctx.md, ctx.resource_version).await?;
    }
    let md = std::mem::take(&mut ctx.md);
    let changed = ctx.md_changed || ctx.remotes_changed;
    let remotes = std::mem::take(&mut ctx.remotes);
    ctx.tx
        .commit()
        .await
        .map_err(|e| PgError::from_db(e, None))?;
    if changed || catalog_changed {
        let engine =
            EngineState::build(md, version, catalog, remotes.clone(), Some(state.engine()));
        *state.remotes.write().expect("remotes lock") = remotes;
        state.set_engine(engine);
    }
    Ok(result)
}

/// Runs one operation (recursively for `bulk`).
fn dispatch<'a, 'b>(
    ctx: &'a mut ControlTx<'b>,
    op: &'a str,
    args: Value,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Value, ApiError>> + Send + 'a>>
where
    'b: 'a,
{
    Box::pin(async move {
        let bare = op.strip_prefix("pg_").unwrap_or(op);
        match bare {
            "bulk" | "bulk_atomic" | "bulk_keep_going" | "concurrent_bulk" => bulk(ctx, args).await,
            "run_sql" => run_sql::run_sql(ctx, args)
                .await
                .map_err(|e| e.under("$.args")),
            "insert" | "select" | "count" | "update" | "delete" if ctx.api == Api::Query => {
                data_ops::run(ctx, bare, args)
                    .await
                    .map_err(|e| e.under("$.args"))
            }
            _ => {
                if let Some(v) = metadata_ops::run(ctx, bare, args.clone()).await? {
                    return Ok(v);
                }
                if let Some(v) = remote_ops::run(ctx, bare, args.clone())
                    .await
                    .map_err(|e| e.under("$.args"))?
                {
                    return Ok(v);
                }
                if let Some(v) = event_ops::run(ctx, bare, args.clone())
                    .await
                    .map_err(|e| e.under("$.args"))?
                {
                    return Ok(v);
                }
                match rasura_metadata::ops::apply(&mut ctx.md, bare, args) {
                    Ok(Some(_)) => {
                        ctx.changed();
                        ctx.check_consistency()
                            .await
                            .map_err(|e| e.under("$.args"))?;
                        Ok(success())
                    }
                    Ok(None) => Err(unknown_op(op, ctx.api)),
                    Err(e) => Err(ApiError::from(e).at("$.args")),
                }
            }
        }
    })
}

async fn bulk(ctx: &mut ControlTx<'_>, args: Value) -> Result<Value, ApiError> {
    let Value::Array(items) = args else {
        return Err(
            ApiError::bad_request("parse-failed", "expected an array of operations").at("$.args"),
        );
    };
    let mut results = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let prefix = format!("$.args[{i}]");
        let op = match item.get("type") {
            Some(Value::String(t)) => t.clone(),
            _ => {
                return Err(
                    ApiError::bad_request("parse-failed", "key \"type\" not found").at(prefix),
                );
            }
        };
        let args = item.get("args").cloned().unwrap_or(Value::Null);
        results.push(
            dispatch(ctx, &op, args)
                .await
                .map_err(|e| e.under(&prefix))?,
        );
    }
    Ok(Value::Array(results))
}

pub fn success() -> Value {
    json!({"message": "success"})
}

fn unknown_op(op: &str, api: Api) -> ApiError {
    let message = match api {
        Api::Metadata => format!("unknown metadata command \"{op}\""),
        Api::Query => format!("unknown query command \"{op}\""),
    };
    ApiError::bad_request("parse-failed", message)
}
