//! The control plane: `/v1/metadata`, `/v2/query` and legacy `/v1/query` operations.
//!
//! Every request runs in one database transaction against a working copy of the metadata:
//! `bulk` is all or nothing, `run_sql` and metadata edits see each other, and the new engine
//! state is swapped in only after the commit.

use std::sync::Arc;

use http::StatusCode;
use rasura_catalog::Catalog;
use rasura_metadata::Metadata;
use rasura_pg::{hdb_catalog, PgError, Pool};
use rasura_resolve::{resolve, Inconsistency, RemoteIntrospections};
use serde_json::Value;

use crate::error::ApiError;
use crate::tx::{success, Api, ControlTx};
use crate::{
    catalog_state_ops, data_ops, event_ops, metadata_ops, remote_ops, run_sql, scheduled_ops,
    source_ops,
};

/// What the engine serves when a request starts: the edits apply to a copy of it.
pub struct Current {
    pub metadata: Metadata,
    pub resource_version: i64,
    pub catalog: Arc<Catalog>,
    /// What is inconsistent already (not blamed on this request).
    pub inconsistencies: Vec<Inconsistency>,
    pub remotes: RemoteIntrospections,
}

/// A new metadata version (or catalog, or remote introspection) the request committed: the
/// engine serves it next.
pub struct Committed {
    pub metadata: Metadata,
    pub resource_version: i64,
    pub catalog: Arc<Catalog>,
    pub remotes: RemoteIntrospections,
    /// `metadata` resolved against `catalog` and `remotes`, when the request's last
    /// consistency check did that already.
    pub resolved: Option<rasura_resolve::ResolvedMetadata>,
}

/// The databases a request works in: the metadata database, and the served source's
/// connections with their URL (none when there is no usable source).
pub struct Databases<'a> {
    pub meta: &'a Pool,
    pub meta_url: &'a str,
    pub source: Option<(&'a Pool, &'a str)>,
    /// Whether the query API answers bigint, numeric, float8 and money values as strings
    /// (`--stringify-numeric-types`), as GraphQL answers do.
    pub stringify_numeric: bool,
}

/// Runs one control-plane request body in one transaction (one in each database when the
/// source is not the metadata database: the source's commits first); answers with its JSON
/// result and, if it changed what the engine serves, what to serve next. `lift_timeout`: the
/// source connections carry the GraphQL query timeout, which metadata edits and migrations do
/// not obey. `session`: admin, or (on `/v1/query`) a role that may only read data under its
/// permissions. `prepare` turns what is to be committed into what the engine will serve
/// (its schemas built) before the commit: refused, the request fails and nothing is kept.
/// Requests must not run concurrently (the caller holds the write lock).
pub async fn execute<S>(
    dbs: Databases<'_>,
    current: Current,
    body: Value,
    api: Api,
    lift_timeout: bool,
    session: rasura_ir::Session,
    prepare: impl FnOnce(Committed) -> Result<S, ApiError>,
) -> Result<(Value, Option<S>), ApiError> {
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
    if let Some(expected) = req.get("resource_version").and_then(Value::as_i64) {
        if expected != current.resource_version {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!(
                    "metadata resource version referenced ({expected}) did not match current version"
                ),
            ));
        }
    }
    let outside = match (api, session.role == "admin") {
        (Api::Query, true) => {
            let pool = dbs.source.map_or(dbs.meta, |(pool, _)| pool);
            let bare = op.strip_prefix("pg_").unwrap_or(&op);
            match run_sql::run_outside_transaction(&current.metadata, pool, bare, &args).await {
                Some(result) => Some(result?),
                None => None,
            }
        }
        _ => None,
    };
    let old_crons = rasura_metadata::cron_triggers::all(&current.metadata);
    let old_capture = rasura_events::sync::capture_inputs(&current.metadata);
    // The other sources' databases as they were: one the request drops or moves loses its
    // capture triggers.
    let old_others: Vec<String> = rasura_multi_source::catalogs::other_sources(&current.metadata)
        .filter_map(|s| rasura_resolve::stages::sources::resolve(s).ok())
        .map(|s| s.url)
        .collect();
    let mut meta_client = dbs.meta.get().await.map_err(PgError::from)?;
    let mut source_client = match dbs.source {
        Some((pool, url)) if url != dbs.meta_url => Some(pool.get().await.map_err(PgError::from)?),
        _ => None,
    };
    let begin = |e| PgError::from_db(e, None);
    let (tx, meta_tx) = match &mut source_client {
        Some(c) => (
            c.transaction().await.map_err(begin)?,
            Some(meta_client.transaction().await.map_err(begin)?),
        ),
        None => (meta_client.transaction().await.map_err(begin)?, None),
    };
    // The query timeout is for GraphQL requests; migrations and metadata edits run to the end.
    if lift_timeout {
        tx.batch_execute("SET LOCAL statement_timeout = 0")
            .await
            .map_err(|e| PgError::from_db(e, None))?;
    }
    // Writes by the query API and `run_sql` are captured with the caller's session, as
    // GraphQL mutations are.
    let mut vars = session.vars.clone();
    vars.entry("x-hasura-role".into())
        .or_insert_with(|| session.role.clone());
    let vars = serde_json::to_value(&vars).unwrap_or_default();
    rasura_events::write_context::set(&tx, &vars)
        .await
        .map_err(|e| PgError::from_db(e, None))?;
    let mut ctx = ControlTx {
        tx,
        meta_tx,
        source_url: dbs.source.map(|(_, url)| url.to_string()),
        other_source: None,
        session,
        md: current.metadata,
        catalog: current.catalog.clone(),
        // Read again, as Hasura reads it for each metadata request: tables and functions
        // created outside the engine (psql, a migration tool, another instance) are seen.
        catalog_dirty: true,
        source_keys: Default::default(),
        md_changed: false,
        baseline: current.inconsistencies,
        resource_version: current.resource_version,
        remotes: current.remotes,
        remotes_changed: false,
        request_version,
        api,
        stringify_numeric: dbs.stringify_numeric,
        checked: None,
    };
    let result = match outside {
        Some(result) => result,
        None => dispatch(&mut ctx, &op, args).await?,
    };
    let catalog = ctx.fresh_catalog().await?;
    let catalog_changed = !catalog.same_as(&current.catalog);
    // The capture triggers depend on the sources, their event triggers and their tables'
    // columns: unchanged, there is nothing to follow (and no need to resolve for it).
    let capture_same = !catalog_changed
        && !ctx.source_moved()
        && rasura_events::sync::capture_inputs(&ctx.md) == old_capture;
    if (ctx.md_changed || catalog_changed) && !capture_same {
        // The capture triggers follow the metadata in the same transaction.
        let resolved = resolve(&ctx.md, catalog.clone());
        if ctx.source_moved() {
            // The source is another database now: the old one loses the triggers, the new
            // one gets them.
            if ctx.source_url.is_some() {
                rasura_events::sync::sync(&*ctx.tx, &[])
                    .await
                    .map_err(|e| PgError::from_db(e, None))?;
            }
            if let Some(s) = &resolved.source {
                rasura_events::sync::sync_at(&s.url, &resolved.event_triggers).await?;
            }
        } else if ctx.source_url.is_some() {
            rasura_events::sync::sync(&*ctx.tx, &resolved.event_triggers)
                .await
                .map_err(|e| PgError::from_db(e, None))?;
        }
        // The other sources' capture triggers, each in its own database.
        for other in &resolved.sources {
            if let Some(s) = &other.source {
                rasura_events::sync::sync_at(&s.url, &other.event_triggers).await?;
            }
        }
        let served: Vec<&str> = resolved
            .served()
            .filter_map(|r| r.source.as_ref().map(|s| s.url.as_str()))
            .collect();
        for url in old_others.iter().filter(|u| !served.contains(&u.as_str())) {
            if let Err(e) = rasura_events::sync::sync_at(url, &[]).await {
                tracing::warn!("the capture triggers of a source no longer served stay: {e}");
            }
        }
    }
    if ctx.md_changed {
        // Cron events follow their triggers in the same transaction.
        let new_crons = rasura_metadata::cron_triggers::all(&ctx.md);
        let now = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now());
        rasura_scheduled::sync::sync(&**ctx.meta(), &old_crons, &new_crons, now)
            .await
            .map_err(|e| PgError::from_db(e, None))?;
    }
    let mut version = ctx.resource_version;
    if ctx.md_changed || catalog_changed {
        // A schema change (run_sql DDL) is a new resource version too, as in Hasura: engines
        // that missed the announcement (a pooler in transaction mode loses LISTEN) see it on
        // their poll.
        version = hdb_catalog::save_metadata(&**ctx.meta(), &ctx.md, ctx.resource_version).await?;
    }
    // The other engines on this metadata database follow (told when this commits).
    if ctx.md_changed || catalog_changed {
        let change = if ctx.md_changed {
            hdb_catalog::Change::Metadata
        } else {
            hdb_catalog::Change::Catalog
        };
        hdb_catalog::announce(&**ctx.meta(), version, change).await?;
    }
    let resolved = ctx.take_checked(&catalog);
    let md = std::mem::take(&mut ctx.md);
    let changed = ctx.md_changed || ctx.remotes_changed;
    let remotes = std::mem::take(&mut ctx.remotes);
    let prepared = (changed || catalog_changed)
        .then(|| {
            prepare(Committed {
                metadata: md,
                resource_version: version,
                catalog,
                remotes,
                resolved,
            })
        })
        .transpose()
        .map_err(|e| e.under("$.args"))?;
    ctx.tx
        .commit()
        .await
        .map_err(|e| PgError::from_db(e, None))?;
    if let Some(meta_tx) = ctx.meta_tx {
        meta_tx
            .commit()
            .await
            .map_err(|e| PgError::from_db(e, None))?;
    }
    Ok((result, prepared))
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
        let bulk_op = matches!(
            bare,
            "bulk" | "bulk_atomic" | "bulk_keep_going" | "concurrent_bulk"
        );
        // The query API reads and writes data for any role, under its permissions.
        let data_op = matches!(bare, "select" | "count" | "insert" | "update" | "delete")
            && ctx.api == Api::Query;
        if ctx.session.role != "admin" && !bulk_op && !data_op {
            return Err(
                ApiError::bad_request("access-denied", "restricted access : admin only")
                    .at("$.args"),
            );
        }
        match bare {
            "bulk_keep_going" => bulk_keep_going(ctx, args).await,
            // `{tables: [<track_table args>...]}`: one by one, all or nothing.
            "track_tables" | "untrack_tables" => {
                let one = if bare == "track_tables" {
                    "track_table"
                } else {
                    "untrack_table"
                };
                let tables = args
                    .get("tables")
                    .and_then(Value::as_array)
                    .cloned()
                    .ok_or_else(|| {
                        ApiError::bad_request("parse-failed", "key \"tables\" not found")
                            .at("$.args")
                    })?;
                for (i, t) in tables.into_iter().enumerate() {
                    dispatch(ctx, one, t)
                        .await
                        .map_err(|e| e.under(&format!("$.args.tables[{i}]")))?;
                }
                Ok(success())
            }
            "get_table_info" if op.starts_with("pg_") => {
                crate::table_info::get_table_info(ctx, &args).await
            }
            "get_table_info" => Err(ApiError::new(
                http::StatusCode::INTERNAL_SERVER_ERROR,
                "unexpected",
                "Schema fetching is not supported for 'postgres'",
            )),
            "get_source_tables" => {
                crate::table_info::source_arg(ctx, &args)?;
                let name = args
                    .get("source")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let catalog = ctx.catalog_of(name).await?;
                let mut tables: Vec<Value> = catalog
                    .tables
                    .iter()
                    .map(|t| serde_json::json!({"schema": t.schema, "name": t.name}))
                    .collect();
                tables.sort_by_key(|t| t.to_string());
                Ok(Value::Array(tables))
            }
            "bulk" | "bulk_atomic" | "concurrent_bulk" => bulk(ctx, args).await,
            "suggest_relationships" => crate::suggest::suggest_relationships(ctx, args).await,
            "test_webhook_transform" => crate::transform_ops::test_webhook_transform(&args),
            "run_sql" => run_sql::run_sql(ctx, args)
                .await
                .map_err(|e| e.under("$.args")),
            "insert" | "select" | "count" | "update" | "delete" if ctx.api == Api::Query => {
                data_ops::run(ctx, bare, args)
                    .await
                    .map_err(|e| e.under("$.args"))
            }
            _ => {
                if let Some(edit) = rasura_allowlist::apply(&mut ctx.md, bare, &args) {
                    let answer =
                        edit.map_err(|e| ApiError::from(e.error).at(format!("$.args{}", e.at)))?;
                    return Ok(match answer {
                        // Nothing to change: Hasura answers why.
                        Some(message) => serde_json::json!({ "message": message }),
                        None => {
                            ctx.changed();
                            // An endpoint may use what the edit took away.
                            ctx.check_consistency()
                                .await
                                .map_err(|e| e.under("$.args"))?;
                            success()
                        }
                    });
                }
                if let Some(edit) = rasura_native_queries::edits::apply(&mut ctx.md, bare, &args) {
                    return match edit.map_err(|e| ApiError::from(e).at("$.args"))? {
                        rasura_native_queries::edits::Edit::Answer(v) => Ok(v),
                        rasura_native_queries::edits::Edit::Changed => {
                            ctx.changed();
                            if bare == "track_native_query" {
                                crate::native_check::check(ctx, &args).await?;
                            }
                            ctx.check_consistency()
                                .await
                                .map_err(|e| e.under("$.args"))?;
                            Ok(success())
                        }
                    };
                }
                if let Some(edit) = rasura_api_limits::edits::apply(&mut ctx.md, bare, &args) {
                    edit.map_err(|e| ApiError::from(e).at("$.args"))?;
                    ctx.changed();
                    return Ok(success());
                }
                if let Some(edit) = rasura_traces::edits::apply(&mut ctx.md, bare, &args) {
                    edit.map_err(|e| ApiError::from(e).at("$.args"))?;
                    ctx.changed();
                    // An export it cannot start (no endpoint, metrics) is refused.
                    ctx.check_consistency()
                        .await
                        .map_err(|e| e.under("$.args"))?;
                    return Ok(success());
                }
                if let Some(edit) = rasura_rest::edits::apply(&mut ctx.md, bare, &args) {
                    edit.map_err(|(e, at)| ApiError::from(e).at(format!("$.args{at}")))?;
                    ctx.changed();
                    ctx.check_consistency()
                        .await
                        .map_err(|e| e.under("$.args"))?;
                    return Ok(success());
                }
                if let Some(v) = metadata_ops::run(ctx, bare, args.clone()).await? {
                    return Ok(v);
                }
                if let Some(v) = catalog_state_ops::run(ctx, bare, &args).await? {
                    return Ok(v);
                }
                if let Some(v) = source_ops::run(ctx, bare, &args)
                    .await
                    .map_err(|e| e.under("$.args"))?
                {
                    return Ok(v);
                }
                if let Some(v) = crate::remote_db_ops::run(ctx, bare, &args).await? {
                    return Ok(v);
                }
                if let Some(v) = remote_ops::run(ctx, bare, args.clone())
                    .await
                    .map_err(|e| e.under("$.args"))?
                {
                    return Ok(v);
                }
                if let Some(v) = scheduled_ops::run(ctx, bare, args.clone())
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
                let cascade = args.get("cascade") == Some(&Value::Bool(true));
                match rasura_metadata::ops::apply(&mut ctx.md, bare, args) {
                    Ok(Some(_)) => {
                        ctx.changed();
                        if bare == "untrack_table" {
                            // What depended on the table (relationships the catalog alone
                            // ties to it, permissions through them) goes with it under
                            // `cascade`, and otherwise stops the untracking.
                            let (_, mut broken) = ctx.new_inconsistencies().await?;
                            let source = ctx
                                .md
                                .served_source()
                                .map_or_else(|| "default".to_string(), |s| s.name.clone());
                            // A whole section that breaks (an action's relationship to the
                            // table, in `custom_types`) is no dependent to drop: it refuses the
                            // edit below, in its own words.
                            broken.retain(|i| {
                                !matches!(i.object, rasura_resolve::ObjectRef::Section(_))
                            });
                            if !cascade && !broken.is_empty() {
                                let mut names: Vec<String> = broken
                                    .iter()
                                    .filter_map(|i| dependent_name(&i.object, &source))
                                    .collect();
                                names.sort();
                                return Err(ApiError::bad_request(
                                    "dependency-error",
                                    format!(
                                        "cannot drop due to the following dependent objects: {}",
                                        names.join(", ")
                                    ),
                                )
                                .at("$.args"));
                            }
                            let objects: Vec<_> = broken.iter().map(|i| i.object.clone()).collect();
                            metadata_ops::drop_objects(&mut ctx.md, &objects);
                        }
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
    check_access_modes(&items)?;
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

/// `bulk_keep_going`: every operation runs; a failed one is undone (to a savepoint, with the
/// metadata as it was) and answers with its error in its place, the others keep their effect.
async fn bulk_keep_going(ctx: &mut ControlTx<'_>, args: Value) -> Result<Value, ApiError> {
    let Value::Array(items) = args else {
        return Err(
            ApiError::bad_request("parse-failed", "expected an array of operations").at("$.args"),
        );
    };
    let mut results = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let prefix = format!("$.args[{i}]");
        let Some(op) = item.get("type").and_then(Value::as_str).map(str::to_string) else {
            let e = ApiError::bad_request("parse-failed", "key \"type\" not found").at(&prefix);
            results.push(e.control_body());
            continue;
        };
        let args = item.get("args").cloned().unwrap_or(Value::Null);
        let saved = (
            ctx.md.clone(),
            ctx.catalog.clone(),
            ctx.catalog_dirty,
            ctx.md_changed,
        );
        ctx.tx
            .batch_execute("SAVEPOINT rasura_keep_going")
            .await
            .map_err(|e| PgError::from_db(e, None))?;
        match dispatch(ctx, &op, args).await {
            Ok(v) => {
                ctx.tx
                    .batch_execute("RELEASE SAVEPOINT rasura_keep_going")
                    .await
                    .map_err(|e| PgError::from_db(e, None))?;
                results.push(v);
            }
            Err(e) => {
                ctx.tx
                    .batch_execute("ROLLBACK TO SAVEPOINT rasura_keep_going; RELEASE SAVEPOINT rasura_keep_going")
                    .await
                    .map_err(|e| PgError::from_db(e, None))?;
                (ctx.md, ctx.catalog, ctx.catalog_dirty, ctx.md_changed) = saved;
                results.push(e.under(&prefix).control_body());
            }
        }
    }
    Ok(Value::Array(results))
}

/// How Hasura names an object that depends on a table being dropped.
fn dependent_name(o: &rasura_resolve::ObjectRef, source: &str) -> Option<String> {
    use rasura_resolve::ObjectRef;
    let (kind, what) = match o {
        ObjectRef::Relationship(t, name) => ("relationship", format!("{t}.{name}")),
        ObjectRef::Permission(t, kind, role) => ("permission", format!("{t}.{role}.{kind}")),
        ObjectRef::ComputedField(t, name) => ("computed field", format!("{t}.{name}")),
        ObjectRef::EventTrigger(t, name) => ("event trigger", format!("{t}.{name}")),
        ObjectRef::RemoteRelationship(t, name) => ("remote relationship", format!("{t}.{name}")),
        ObjectRef::Function(f) => ("function", f.to_string()),
        ObjectRef::InSource(source, inner) => return dependent_name(inner, source),
        ObjectRef::RemoteSchemaRelationship(rs, ty, name) => {
            return Some(format!(
                "remote_relationship {name} on type {ty} in remote schema {rs}"
            ))
        }
        _ => return None,
    };
    Some(format!("{kind} {what} in source \"{source}\""))
}

/// The transaction access mode an operation needs: a `read_only` `run_sql` READ ONLY; other
/// `run_sql` and data writes READ WRITE; reads and metadata edits either.
fn access_mode(item: &Value) -> Option<&'static str> {
    let op = item.get("type").and_then(Value::as_str)?;
    match op.strip_prefix("pg_").unwrap_or(op) {
        "run_sql" => Some(
            if item.pointer("/args/read_only") == Some(&Value::Bool(true)) {
                "READ ONLY"
            } else {
                "READ WRITE"
            },
        ),
        "insert" | "update" | "delete" => Some("READ WRITE"),
        _ => None,
    }
}

/// Refuses a bulk whose operations need different access modes (as Hasura does: the whole
/// bulk runs in one transaction).
fn check_access_modes(items: &[Value]) -> Result<(), ApiError> {
    let mut expected: Option<&'static str> = None;
    for (i, item) in items.iter().enumerate() {
        let Some(mode) = access_mode(item) else {
            continue;
        };
        match expected {
            None => expected = Some(mode),
            Some(e) if e != mode => {
                return Err(ApiError::bad_request(
                    "bad-request",
                    format!("incompatible access mode requirements in bulk query, expected access mode: {e} but $.args[{i}] forces {mode}"),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

fn unknown_op(op: &str, api: Api) -> ApiError {
    let message = match api {
        Api::Metadata => format!("unknown metadata command \"{op}\""),
        Api::Query => format!("unknown query command \"{op}\""),
    };
    ApiError::bad_request("parse-failed", message)
}
