//! Runs the plan: one prepared statement per root field on one connection; Postgres returns the
//! finished JSON and its bytes are spliced into the response unparsed.

use apollo_compiler::executable::Operation;
use apollo_compiler::ExecutableDocument;
use serde_json::{Map, Value};
use tracing::Instrument;

use super::{GqlError, RootPlan, SharedSchema};
use crate::state::AppState;

pub(crate) async fn execute(
    state: &AppState,
    schema: &SharedSchema,
    doc: &apollo_compiler::validation::Valid<ExecutableDocument>,
    op: &Operation,
    vars: &Map<String, Value>,
    plan: Vec<(String, RootPlan)>,
) -> Result<Vec<u8>, GqlError> {
    let introspection = if plan
        .iter()
        .any(|(_, p)| matches!(p, RootPlan::Introspection))
    {
        Some(introspect(schema, doc, op, vars)?)
    } else {
        None
    };
    let needs_db = plan.iter().any(|(_, p)| matches!(p, RootPlan::Sql { .. }));
    let client = if needs_db {
        Some(
            state
                .pool
                .get()
                .await
                .map_err(|e| GqlError::from_pg(&rasura_pg::PgError::from(e), ""))?,
        )
    } else {
        None
    };
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"{\"data\":{");
    for (i, (key, p)) in plan.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(Value::String(key.clone()).to_string().as_bytes());
        out.push(b':');
        match p {
            RootPlan::Typename(t) => {
                out.extend_from_slice(Value::String(t.clone()).to_string().as_bytes())
            }
            RootPlan::Introspection => {
                let v = introspection
                    .as_ref()
                    .and_then(|m| m.get(key))
                    .cloned()
                    .unwrap_or(Value::Null);
                out.extend_from_slice(v.to_string().as_bytes());
            }
            RootPlan::Sql { sql, params } => {
                let client = client.as_ref().expect("connection taken for SQL roots");
                let json = run_statement(client, sql, params)
                    .instrument(tracing::debug_span!("statement", sql = %sql))
                    .await?;
                out.extend_from_slice(json.as_deref().unwrap_or("null").as_bytes());
            }
        }
    }
    out.extend_from_slice(b"}}");
    Ok(out)
}

async fn run_statement(
    client: &deadpool_postgres::Object,
    sql: &str,
    params: &[Option<String>],
) -> Result<Option<String>, GqlError> {
    let stmt = client
        .prepare_cached(sql)
        .await
        .map_err(|e| GqlError::from_pg(&rasura_pg::PgError::from_db(e, Some(sql)), sql))?;
    let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params
        .iter()
        .map(|p| p as &(dyn tokio_postgres::types::ToSql + Sync))
        .collect();
    let row = client
        .query_one(&stmt, &refs)
        .await
        .map_err(|e| GqlError::from_pg(&rasura_pg::PgError::from_db(e, Some(sql)), sql))?;
    Ok(row.get(0))
}

/// Answers `__schema` / `__type` from the role's schema.
fn introspect(
    schema: &SharedSchema,
    doc: &apollo_compiler::validation::Valid<ExecutableDocument>,
    op: &Operation,
    vars: &Map<String, Value>,
) -> Result<Map<String, Value>, GqlError> {
    let _span = tracing::info_span!("introspection").entered();
    let given: apollo_compiler::response::JsonMap =
        serde_json::from_value(Value::Object(vars.clone())).unwrap_or_default();
    let coerced = apollo_compiler::request::coerce_variable_values(&schema.schema, op, &given)
        .map_err(|e| GqlError::validation("$", e.message().to_string()))?;
    apollo_compiler::introspection::check_max_depth(doc, op)
        .map_err(|e| GqlError::validation("$", e.message().to_string()))?;
    let resp = apollo_compiler::introspection::partial_execute(
        &schema.schema,
        &schema.implementers,
        doc,
        op,
        &coerced,
    )
    .map_err(|e| GqlError::validation("$", e.message().to_string()))?;
    match resp.data.map(serde_json::to_value) {
        Some(Ok(Value::Object(m))) => Ok(m),
        _ => Ok(Map::new()),
    }
}
