//! Event-trigger operations of the metadata API that touch `hdb_catalog.event_log` as well as
//! the document: create (columns checked against the catalog), delete (events archived),
//! manual invocation, redelivery, the log reads, and the cleanup of old events.

use rasura_metadata::event_triggers::{
    self, CreateEventTriggerArgs, DeleteEventTriggerArgs, EventColumns, OperationSpec,
};
use rasura_pg::PgError;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::GenericClient;

use crate::error::ApiError;
use crate::tx::{success, ControlTx};

/// Runs `op` if it is an event-trigger operation; `Ok(None)` otherwise.
pub(super) async fn run(
    ctx: &mut ControlTx<'_>,
    op: &str,
    args: Value,
) -> Result<Option<Value>, ApiError> {
    let result = match op {
        "create_event_trigger" => create(ctx, args).await?,
        "delete_event_trigger" => delete(ctx, args).await?,
        "invoke_event_trigger" => invoke(ctx, args).await?,
        "redeliver_event" => redeliver(ctx, args).await?,
        "get_event_logs" => event_logs(ctx, args).await?,
        "get_event_invocation_logs" => invocation_logs(ctx, args).await?,
        "get_event_by_id" => event_by_id(ctx, args).await?,
        "cleanup_event_trigger_logs" => cleanup(ctx, args).await?,
        _ => return Ok(None),
    };
    Ok(Some(result))
}

fn parse<T: serde::de::DeserializeOwned>(args: Value) -> Result<T, ApiError> {
    serde_json::from_value(args).map_err(|e| ApiError::bad_request("parse-failed", e.to_string()))
}

fn db(e: tokio_postgres::Error) -> ApiError {
    ApiError::from(PgError::from_db(e, None))
}

fn default_source() -> String {
    rasura_metadata::document::DEFAULT_SOURCE.to_string()
}

async fn create(ctx: &mut ControlTx<'_>, args: Value) -> Result<Value, ApiError> {
    let args: CreateEventTriggerArgs = parse(args)?;
    event_triggers::validate(&args).map_err(ApiError::from)?;
    // Listened columns are checked here (Hasura's `not-exists`); payload columns and
    // environment variables by resolution (an inconsistency).
    let catalog = ctx.fresh_catalog().await?;
    if let Some(table) = catalog.table(&args.table.schema, &args.table.name) {
        for spec in [&args.insert, &args.update, &args.delete]
            .into_iter()
            .flatten()
        {
            let OperationSpec {
                columns: EventColumns::List(cols),
                ..
            } = spec
            else {
                continue;
            };
            if let Some(c) = cols
                .iter()
                .find(|c| !table.columns.iter().any(|x| &x.name == *c))
            {
                return Err(ApiError::bad_request(
                    "not-exists",
                    format!("column \"{c}\" does not exist"),
                ));
            }
        }
    }
    event_triggers::create_event_trigger(&mut ctx.md, args).map_err(ApiError::from)?;
    ctx.changed();
    ctx.check_consistency().await?;
    Ok(success())
}

async fn delete(ctx: &mut ControlTx<'_>, args: Value) -> Result<Value, ApiError> {
    let args: DeleteEventTriggerArgs = parse(args)?;
    event_triggers::delete_event_trigger(&mut ctx.md, &args).map_err(ApiError::from)?;
    ctx.changed();
    let sql = "UPDATE hdb_catalog.event_log SET archived = 't' WHERE trigger_name = $1";
    let params: [(&(dyn ToSql + Sync), Type); 1] = [(&args.name, Type::TEXT)];
    match elsewhere(ctx, &args.source).await? {
        Some(own) => own.execute_typed(sql, &params).await,
        None => ctx.tx.execute_typed(sql, &params).await,
    }
    .map_err(db)?;
    Ok(success())
}

#[derive(Deserialize)]
struct InvokeArgs {
    name: String,
    #[serde(default = "default_source")]
    source: String,
    payload: Value,
}

async fn invoke(ctx: &mut ControlTx<'_>, args: Value) -> Result<Value, ApiError> {
    let args: InvokeArgs = parse(args)?;
    let (resolved, _) = ctx.new_inconsistencies().await?;
    let triggers = resolved
        .served_named(&args.source)
        .map(|(_, r)| r.event_triggers.as_slice())
        .unwrap_or_default();
    let Some(t) = triggers.iter().find(|t| t.name == args.name) else {
        return Err(ApiError::bad_request(
            "not-exists",
            format!("event trigger \"{}\" does not exist", args.name),
        ));
    };
    if !t.enable_manual {
        return Err(ApiError::bad_request(
            "not-supported",
            "manual mode is not enabled for event trigger",
        ));
    }
    let session = json!({"x-hasura-role": "admin"}).to_string();
    let payload = json!({"old": null, "new": args.payload}).to_string();
    let sql = "SELECT set_config('hasura.user', $5, true), \
             hdb_catalog.insert_event_log($1, $2, $3, 'MANUAL', $4::text::json)";
    let params: [(&(dyn ToSql + Sync), Type); 5] = [
        (&t.table.schema, Type::TEXT),
        (&t.table.name, Type::TEXT),
        (&t.name, Type::TEXT),
        (&payload, Type::TEXT),
        (&session, Type::TEXT),
    ];
    let row = match elsewhere(ctx, &args.source).await? {
        Some(own) => own.query_typed_one(sql, &params).await,
        None => ctx.tx.query_typed_one(sql, &params).await,
    }
    .map_err(db)?;
    let id: String = row.get(1);
    Ok(json!({"event_id": id}))
}

#[derive(Deserialize)]
struct EventIdArgs {
    event_id: String,
    #[serde(default = "default_source")]
    source: String,
    #[serde(default = "default_limit")]
    invocation_log_limit: i64,
    #[serde(default)]
    invocation_log_offset: i64,
}

fn default_limit() -> i64 {
    100
}

async fn redeliver(ctx: &mut ControlTx<'_>, args: Value) -> Result<Value, ApiError> {
    let args: EventIdArgs = parse(args)?;
    let mut own = elsewhere(ctx, &args.source).await?;
    let own_tx = match own.as_mut() {
        Some(c) => Some(c.transaction().await.map_err(db)?),
        None => None,
    };
    let tx = own_tx.as_ref().unwrap_or(&ctx.tx);
    let row = tx
        .query_typed_opt(
            "SELECT locked IS NOT NULL AND locked >= now() - interval '30 minute' \
             FROM hdb_catalog.event_log WHERE id = $1 FOR UPDATE",
            &[(&args.event_id, Type::TEXT)],
        )
        .await
        .map_err(db)?;
    match row {
        None => Err(ApiError::bad_request("not-exists", "event not found")),
        Some(r) if r.get::<_, bool>(0) => Err(ApiError::bad_request(
            "busy",
            "event is already being processed",
        )),
        Some(_) => {
            tx.execute_typed(
                "UPDATE hdb_catalog.event_log SET delivered = 'f', error = 'f', tries = 0, \
                     next_retry_at = NULL WHERE id = $1",
                &[(&args.event_id, Type::TEXT)],
            )
            .await
            .map_err(db)?;
            tx.batch_execute("SELECT pg_notify('rasura_event_log', '')")
                .await
                .map_err(db)?;
            if let Some(t) = own_tx {
                t.commit().await.map_err(db)?;
            }
            Ok(success())
        }
    }
}

/// An `event_log` row as the read APIs answer it.
const EVENT_JSON: &str = "json_build_object('id', e.id, 'schema_name', e.schema_name, \
    'table_name', e.table_name, 'trigger_name', e.trigger_name, 'payload', e.payload, \
    'delivered', e.delivered, 'error', e.error, 'tries', e.tries, 'created_at', e.created_at, \
    'locked', e.locked, 'next_retry_at', e.next_retry_at, 'archived', e.archived)";

/// An `event_invocation_logs` row as the read APIs answer it (`status` named `http_status`).
const INVOCATION_JSON: &str = "json_build_object('id', i.id, 'trigger_name', i.trigger_name, \
    'event_id', i.event_id, 'http_status', i.status, 'request', i.request, \
    'response', i.response, 'created_at', i.created_at)";

#[derive(Deserialize)]
struct LogArgs {
    name: String,
    #[serde(default = "default_source")]
    source: String,
    #[serde(default = "default_limit")]
    limit: i64,
    #[serde(default)]
    offset: i64,
    #[serde(default)]
    status: Option<String>,
}

/// A connection to the database of source `name` when it is not the one served first (whose
/// work runs in the request's transaction).
async fn elsewhere(
    ctx: &ControlTx<'_>,
    name: &str,
) -> Result<Option<deadpool_postgres::Object>, ApiError> {
    if ctx.md.served_source().is_none_or(|s| s.name == name) {
        return Ok(None);
    }
    ctx.check_source(name)?;
    let source = ctx.md.source(name).map_err(ApiError::from)?;
    let pool = crate::run_sql_other::pool_of(source)?;
    Ok(Some(pool.get().await.map_err(rasura_pg::PgError::from)?))
}

async fn known_trigger(ctx: &mut ControlTx<'_>, source: &str, name: &str) -> Result<(), ApiError> {
    if event_triggers::find(&ctx.md, source, name).is_none() {
        return Err(ApiError::bad_request(
            "not-exists",
            format!("event trigger \"{name}\" does not exist"),
        ));
    }
    Ok(())
}

async fn json_rows(
    client: &impl GenericClient,
    sql: &str,
    params: &[(&(dyn ToSql + Sync), Type)],
) -> Result<Value, ApiError> {
    let row = client.query_typed_one(sql, params).await.map_err(db)?;
    let text: String = row.get(0);
    serde_json::from_str(&text).map_err(|e| ApiError::bad_request("unexpected", e.to_string()))
}

async fn event_logs(ctx: &mut ControlTx<'_>, args: Value) -> Result<Value, ApiError> {
    let args: LogArgs = parse(args)?;
    let filter = match args.status.as_deref() {
        None | Some("all") => "true",
        Some("pending") => "NOT e.delivered AND NOT e.error AND NOT e.archived",
        Some("processed") => "(e.delivered OR e.error) AND NOT e.archived",
        Some(_) => {
            return Err(ApiError::bad_request(
                "parse-failed",
                "event logs status can only be one of the following: processed or pending",
            ))
        }
    };
    known_trigger(ctx, &args.source, &args.name).await?;
    let sql = format!(
        "SELECT coalesce(json_agg(x.j ORDER BY x.created_at DESC), '[]')::text FROM \
         (SELECT {EVENT_JSON} AS j, e.created_at FROM hdb_catalog.event_log e \
          WHERE e.trigger_name = $1 AND {filter} ORDER BY e.created_at DESC LIMIT $2 OFFSET $3) x"
    );
    let params = [
        (&args.name as &(dyn ToSql + Sync), Type::TEXT),
        (&args.limit, Type::INT8),
        (&args.offset, Type::INT8),
    ];
    match elsewhere(ctx, &args.source).await? {
        Some(own) => json_rows(&**own, &sql, &params).await,
        None => json_rows(&*ctx.tx, &sql, &params).await,
    }
}

async fn invocation_logs(ctx: &mut ControlTx<'_>, args: Value) -> Result<Value, ApiError> {
    let args: LogArgs = parse(args)?;
    known_trigger(ctx, &args.source, &args.name).await?;
    let sql = format!(
        "SELECT coalesce(json_agg(x.j ORDER BY x.created_at DESC), '[]')::text FROM \
         (SELECT {INVOCATION_JSON} AS j, i.created_at FROM hdb_catalog.event_invocation_logs i \
          WHERE i.trigger_name = $1 ORDER BY i.created_at DESC LIMIT $2 OFFSET $3) x"
    );
    let params = [
        (&args.name as &(dyn ToSql + Sync), Type::TEXT),
        (&args.limit, Type::INT8),
        (&args.offset, Type::INT8),
    ];
    match elsewhere(ctx, &args.source).await? {
        Some(own) => json_rows(&**own, &sql, &params).await,
        None => json_rows(&*ctx.tx, &sql, &params).await,
    }
}

async fn event_by_id(ctx: &mut ControlTx<'_>, args: Value) -> Result<Value, ApiError> {
    let args: EventIdArgs = parse(args)?;
    let sql = format!(
        "SELECT json_build_object('event', {EVENT_JSON}, 'invocations', \
           (SELECT coalesce(json_agg(x.j ORDER BY x.created_at DESC), '[]') FROM \
             (SELECT {INVOCATION_JSON} AS j, i.created_at FROM hdb_catalog.event_invocation_logs i \
              WHERE i.event_id = e.id ORDER BY i.created_at DESC LIMIT $2 OFFSET $3) x))::text \
         FROM hdb_catalog.event_log e WHERE e.id = $1"
    );
    let params: [(&(dyn ToSql + Sync), Type); 3] = [
        (&args.event_id, Type::TEXT),
        (&args.invocation_log_limit, Type::INT8),
        (&args.invocation_log_offset, Type::INT8),
    ];
    let row = match elsewhere(ctx, &args.source).await? {
        Some(own) => own.query_typed_opt(&sql, &params).await,
        None => ctx.tx.query_typed_opt(&sql, &params).await,
    }
    .map_err(db)?;
    let Some(row) = row else {
        return Err(ApiError::bad_request(
            "not-exists",
            format!("event id {} does not exist", args.event_id),
        ));
    };
    let text: String = row.get(0);
    serde_json::from_str(&text).map_err(|e| ApiError::bad_request("unexpected", e.to_string()))
}

#[derive(Deserialize)]
struct CleanupArgs {
    event_trigger_name: String,
    #[serde(default = "default_source")]
    source: String,
    clear_older_than: i64,
    #[serde(default = "default_batch")]
    batch_size: i64,
    #[serde(default)]
    clean_invocation_logs: bool,
    #[serde(default = "default_timeout")]
    timeout: i64,
}

fn default_batch() -> i64 {
    10_000
}

fn default_timeout() -> i64 {
    60
}

/// `cleanup_event_trigger_logs`: deletes processed events older than `clear_older_than` hours
/// (and, if asked, their invocation logs), in batches.
async fn cleanup(ctx: &mut ControlTx<'_>, args: Value) -> Result<Value, ApiError> {
    let args: CleanupArgs = parse(args)?;
    if args.clear_older_than < 0 || args.batch_size <= 0 || args.timeout <= 0 {
        return Err(ApiError::bad_request(
            "parse-failed",
            "clear_older_than must not be negative; batch_size and timeout must be positive",
        ));
    }
    known_trigger(ctx, &args.source, &args.event_trigger_name).await?;
    let (name, older, batch) = (
        &args.event_trigger_name,
        args.clear_older_than,
        args.batch_size,
    );
    let (invocations_too, timeout) = (args.clean_invocation_logs, args.timeout);
    let (events, invocations) = match elsewhere(ctx, &args.source).await? {
        Some(own) => {
            rasura_events::cleanup::run(&**own, name, older, batch, invocations_too, timeout).await
        }
        None => {
            rasura_events::cleanup::run(&*ctx.tx, name, older, batch, invocations_too, timeout)
                .await
        }
    }
    .map_err(db)?;
    Ok(json!({"deleted_event_logs": events, "deleted_event_invocation_logs": invocations}))
}
