//! `run_sql`: the SQL runs in the request's transaction; tracked tables and columns it renamed
//! are renamed in the metadata (`rasura-ddl-follow`), tracked objects it dropped are untracked, and
//! anything else it broke is refused unless `cascade` is set.

use serde::Deserialize;
use serde_json::Value;

use crate::error::ApiError;
use crate::tx::ControlTx;

#[derive(Debug, Deserialize)]
struct RunSqlArgs {
    sql: String,
    #[serde(default)]
    cascade: bool,
    #[serde(default = "yes")]
    check_metadata_consistency: bool,
    #[serde(default)]
    read_only: bool,
    #[serde(default = "default_source")]
    source: String,
    /// Rasura's: run the statements one by one outside any transaction (migrations marked
    /// `-- hasura:no-transaction`).
    #[serde(default)]
    no_transaction: bool,
}

fn yes() -> bool {
    true
}

fn default_source() -> String {
    rasura_metadata::document::DEFAULT_SOURCE.to_string()
}

/// A `run_sql` with `no_transaction` runs here, before the request's transactions are opened
/// (an open snapshot of the request would make `CREATE INDEX CONCURRENTLY` wait for it forever);
/// `None` for any other request. The request then goes on as a read of what the SQL changed.
pub(super) async fn run_outside_transaction(
    md: &rasura_metadata::Metadata,
    pool: &rasura_pg::Pool,
    op: &str,
    args: &Value,
) -> Option<Result<Value, ApiError>> {
    if op != "run_sql" || args.get("no_transaction") != Some(&Value::Bool(true)) {
        return None;
    }
    Some(
        async {
            let args: RunSqlArgs = serde_json::from_value(args.clone())
                .map_err(|e| ApiError::bad_request("parse-failed", e.to_string()).at("$.args"))?;
            let served = md.served_source().map(|s| s.name.as_str()) == Some(args.source.as_str());
            let other = match md.source(&args.source) {
                Ok(s) if !served => Some(crate::run_sql_other::pool_of(s)?),
                Ok(_) => None,
                Err(_) => {
                    return Err(ApiError::bad_request(
                        "not-exists",
                        format!("source with name \"{}\" does not exist", args.source),
                    )
                    .at("$.args"))
                }
            };
            let client = other
                .as_ref()
                .unwrap_or(pool)
                .get()
                .await
                .map_err(rasura_pg::PgError::from)?;
            let result = rasura_pg::run_sql::run_each(&**client, &args.sql)
                .await
                .map_err(|e| ApiError::from(e).at("$.args"))?;
            Ok(result.to_json())
        }
        .await,
    )
}

/// A tracked function the SQL overloaded (a second function of its name) is refused, as
/// Hasura refuses it: a root field stands for one function.
fn refuse_overloaded(
    md: &rasura_metadata::Metadata,
    after: &rasura_catalog::Catalog,
) -> Result<(), ApiError> {
    let Some(source) = md.served_source() else {
        return Ok(());
    };
    let overloaded: Vec<String> = source
        .functions
        .iter()
        .map(|f| &f.function)
        .filter(|f| after.functions_named(&f.schema, &f.name).count() > 1)
        .map(|f| f.to_string())
        .collect();
    if overloaded.is_empty() {
        return Ok(());
    }
    Err(ApiError::bad_request(
        "not-supported",
        format!(
            "the following tracked function(s) cannot be overloaded: {}",
            overloaded.join(", ")
        ),
    )
    .at("$.args"))
}

/// A tracked function the SQL made VOLATILE is refused, as Hasura refuses it (its root field
/// would change from a query to a mutation under the clients' feet).
fn refuse_turned_volatile(
    md: &rasura_metadata::Metadata,
    before: &rasura_catalog::Catalog,
    after: &rasura_catalog::Catalog,
) -> Result<(), ApiError> {
    let Some(source) = md.served_source() else {
        return Ok(());
    };
    for tracked in &source.functions {
        let (schema, name) = (&tracked.function.schema, &tracked.function.name);
        let was = before.functions_named(schema, name).next();
        let now = after.functions_named(schema, name).next();
        if let (Some(was), Some(now)) = (was, now) {
            if was.volatility != "v" && now.volatility == "v" {
                return Err(ApiError::bad_request(
                    "not-supported",
                    format!(
                        "type of function \"{}\" is altered to \"VOLATILE\" which is not supported now",
                        tracked.function
                    ),
                )
                .at("$.args"));
            }
        }
    }
    Ok(())
}

pub(super) async fn run_sql(ctx: &mut ControlTx<'_>, args: Value) -> Result<Value, ApiError> {
    let args: RunSqlArgs = serde_json::from_value(args)
        .map_err(|e| ApiError::bad_request("parse-failed", e.to_string()))?;
    if args.no_transaction {
        // Only a request of its own runs outside a transaction (`run_outside_transaction`).
        return Err(ApiError::bad_request(
            "not-supported",
            "no_transaction is only allowed on a run_sql request of its own, not inside bulk",
        ));
    }
    ctx.check_source(&args.source)?;
    if ctx.md.served_source().map(|s| s.name.as_str()) != Some(args.source.as_str()) {
        let (sql, source) = (&args.sql, &args.source);
        let (read_only, check) = (args.read_only, args.check_metadata_consistency);
        return crate::run_sql_other::run_sql(ctx, sql, source, read_only, check, args.cascade)
            .await;
    }
    if ctx.source_moved() {
        // The request moved the source to another database: its SQL waits for the next one.
        return Err(ApiError::bad_request(
            "unexpected",
            format!(
                "source with name \"{}\" was changed by this request; run the SQL in a request of its own",
                args.source
            ),
        ));
    }
    if args.read_only {
        ctx.tx
            .batch_execute("SET TRANSACTION READ ONLY")
            .await
            .map_err(|e| rasura_pg::PgError::from_db(e, None))?;
    }
    // The catalog as the statement finds it, to tell what it renamed or dropped.
    let before = if args.read_only || !args.check_metadata_consistency {
        None
    } else {
        Some(ctx.fresh_catalog().await?)
    };
    let result = rasura_pg::run_sql::run_sql(&*ctx.tx, &args.sql).await?;
    let Some(before) = before else {
        return Ok(result.to_json());
    };
    ctx.catalog_dirty = true;
    let after = ctx.fresh_catalog().await?;
    refuse_overloaded(&ctx.md, &after)?;
    refuse_turned_volatile(&ctx.md, &before, &after)?;
    // Tables and columns it renamed are renamed in the metadata too.
    let renamed = rasura_ddl_follow::renames(&ctx.md, &before, &after);
    if !renamed.is_empty() {
        let resolved = rasura_resolve::resolve(&ctx.md, before.clone());
        ctx.md = rasura_ddl_follow::apply(&ctx.md, &resolved, &renamed)
            .map_err(|e| ApiError::bad_request("unexpected", e))?;
        ctx.changed();
    }
    // Tracked tables and functions that this SQL dropped are untracked with it.
    let Some(source) = ctx.md.served_source_mut() else {
        return Ok(result.to_json());
    };
    let dropped: Vec<_> = source
        .tables
        .iter()
        .map(|t| t.table.clone())
        .filter(|t| {
            before.table(&t.schema, &t.name).is_some() && after.table(&t.schema, &t.name).is_none()
        })
        .collect();
    if !dropped.is_empty() {
        source.tables.retain(|t| !dropped.contains(&t.table));
        ctx.changed();
    }
    let Some(source) = ctx.md.served_source_mut() else {
        return Ok(result.to_json());
    };
    let before_fns = source.functions.len();
    source.functions.retain(|f| {
        let (s, n) = (&f.function.schema, &f.function.name);
        before.functions_named(s, n).next().is_none()
            || after.functions_named(s, n).next().is_some()
    });
    if source.functions.len() != before_fns {
        ctx.changed();
    }
    crate::run_sql_other::settle(ctx, args.cascade).await?;
    Ok(result.to_json())
}
