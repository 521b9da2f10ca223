//! `/v1/graphql/explain`: a query planned as the given session would run it, and for each root
//! field its SQL (the values written in as literals, as Hasura shows them) and PostgreSQL's
//! plan of it (`EXPLAIN`, never `ANALYZE`: nothing runs).

use apollo_compiler::executable::OperationType;
use http::HeaderMap;
use serde_json::{json, Value};

use crate::error::GqlError;
use crate::plan::RootPlan;
use crate::request::GqlRequest;
use crate::state::Engine;

/// Explains `req` for `session`: `[{field, sql, plan}]` for a query; for a subscription its one
/// root field's `{sql, plan}`.
pub async fn explain(
    state: &Engine,
    session: &rasura_ir::Session,
    req: GqlRequest,
) -> Result<Value, GqlError> {
    let engine = state.current();
    let schema = engine.schema_for(&session.role, false);
    let doc =
        crate::pipeline::parse_and_validate(&schema, &req.query, &state.config.limits).await?;
    let op = crate::pipeline::select_operation(&doc, req.operation_name.as_deref(), true)?;
    if op.operation_type == OperationType::Mutation {
        return Err(GqlError::new(
            "invalid-params",
            "$",
            "only queries can be explained",
        ));
    }
    let vars = crate::pipeline::coerce_variables(&schema, op, &req.variables)?;
    let headers = HeaderMap::new();
    let compiled = crate::pipeline::compile(
        state, &schema, &doc, op, &vars, session, &req.query, &headers, false,
    )?;
    let mut out = vec![];
    for (field, plan) in &compiled.plan {
        let (sql, params) = match plan.on_any_source() {
            RootPlan::Sql { sql, params } => (sql, params),
            RootPlan::Typename(_) | RootPlan::Introspection => {
                out.push(json!({"field": field, "sql": null, "plan": null}));
                continue;
            }
            RootPlan::Remote(_) => return Err(refused("only hasura queries can be explained")),
            RootPlan::Action(_) | RootPlan::ActionResult(_) => {
                return Err(refused("query actions cannot be explained"))
            }
            RootPlan::Joined { .. } => {
                return Err(refused(
                    "queries with remote relationships cannot be explained",
                ))
            }
            RootPlan::Many(_) | RootPlan::NestedInsert(_) | RootPlan::OnSource(..) => {
                return Err(refused("only queries can be explained"))
            }
        };
        let lines = plan_of(state, plan.source(), sql, params).await?;
        out.push(json!({"field": field, "sql": inline(sql, params), "plan": lines}));
    }
    if op.operation_type == OperationType::Subscription {
        let mut one = out.into_iter().next().unwrap_or(Value::Null);
        if let Value::Object(m) = &mut one {
            m.remove("field");
        }
        return Ok(one);
    }
    Ok(Value::Array(out))
}

fn refused(message: &str) -> GqlError {
    GqlError::new("invalid-params", "$", message)
}

/// PostgreSQL's plan of `sql` with `params`, one line per row.
async fn plan_of(
    state: &Engine,
    source: usize,
    sql: &str,
    params: &[Option<String>],
) -> Result<Vec<String>, GqlError> {
    let source = state
        .source_numbered(source)
        .map_err(|e| GqlError::from_pg(&e, ""))?;
    let client = source
        .pool
        .get()
        .await
        .map_err(|e| GqlError::from_pg(&rasura_pg::PgError::from(e), ""))?;
    let text = format!("EXPLAIN (FORMAT TEXT) {sql}");
    // Prepared or unnamed, as the source's queries are.
    let rows = rasura_pg::text_statement::rows(&client, &text, params, source.prepared)
        .await
        .map_err(|e| GqlError::from_pg(&rasura_pg::PgError::from_db(e, Some(&text)), &text))?;
    Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect())
}

/// `sql` with each `$n` outside quotes replaced by its parameter as a quoted literal (`NULL`
/// for none).
pub fn inline(sql: &str, params: &[Option<String>]) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut rest = sql;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '$' => {
                let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
                let index = rest[..digits]
                    .parse::<usize>()
                    .ok()
                    .and_then(|n| n.checked_sub(1));
                if let Some(p) = index.and_then(|n| params.get(n)) {
                    match p {
                        Some(v) => {
                            out.push('\'');
                            out.push_str(&v.replace('\'', "''"));
                            out.push('\'');
                        }
                        None => out.push_str("NULL"),
                    }
                    rest = &rest[digits..];
                    continue;
                }
            }
            None => {}
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn parameters_are_written_in_as_literals() {
        let params = vec![Some("it's".to_string()), None, Some("10".into())];
        assert_eq!(
            super::inline(
                "SELECT $1::text, '$2', \"$3\", $2, ($3)::int, $12 -- é",
                &params
            ),
            "SELECT 'it''s'::text, '$2', \"$3\", NULL, ('10')::int, $12 -- é"
        );
    }
}
