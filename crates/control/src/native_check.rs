//! A native query checked against its database when it is tracked: its code, with each
//! placeholder a parameter of the declared type, is prepared as Hasura prepares it (the code
//! in a CTE, the logical model's scalar fields selected), and the columns' types are compared
//! with the model's. A query that does not prepare, or returns a column of another type, is
//! refused with Hasura's `validation-failed` "Failed to validate query".

use rasura_native_queries::model::pg_type_name;
use rasura_native_queries::{Code, LogicalModel, NativeQuery, Part, Returns};
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::tx::ControlTx;

/// The statement that checks `nq` (returning rows of `lm`), with placeholders as `$n` casts.
fn statement(nq: &NativeQuery, code: &Code, lm: &LogicalModel) -> String {
    let mut numbers: Vec<&str> = vec![];
    let mut text = String::new();
    for p in &code.parts {
        match p {
            Part::Text(t) => text.push_str(t),
            Part::Arg(name) => {
                let n = match numbers.iter().position(|x| x == name) {
                    Some(i) => i + 1,
                    None => {
                        numbers.push(name);
                        numbers.len()
                    }
                };
                let ty = nq
                    .arguments
                    .iter()
                    .find(|a| &a.name == name)
                    .map_or("text", |a| a.type_name.as_str());
                text.push_str(&format!("(${n}::{ty})"));
            }
        }
    }
    let columns: Vec<String> = lm
        .scalar_fields()
        .map(|(f, _)| format!("\"{}\"", f.name.replace('"', "\"\"")))
        .collect();
    let columns = if columns.is_empty() {
        "1".to_string()
    } else {
        columns.join(", ")
    };
    format!("WITH _cte_logimo_vali_ AS (\n{text})\nSELECT {columns}\nFROM _cte_logimo_vali_")
}

fn failed(internal: Value) -> ApiError {
    ApiError::bad_request("validation-failed", "Failed to validate query")
        .at("$.args")
        .with_internal(internal)
}

/// Checks native query `args` (a `track_native_query` request) against the source database.
/// Models and arguments that do not fit are left to resolution, which reports them.
pub(crate) async fn check(ctx: &mut ControlTx<'_>, args: &Value) -> Result<(), ApiError> {
    let Ok(nq) = NativeQuery::parse(args) else {
        return Ok(());
    };
    let lm = match &nq.returns {
        Returns::Inline(lm) => lm.clone(),
        Returns::Model(name) => {
            let models = ctx
                .md
                .sources
                .iter()
                .filter_map(|s| s.extra.get("logical_models"))
                .filter_map(Value::as_array)
                .flatten();
            let found = models
                .filter(|m| m.get("name").and_then(Value::as_str) == Some(name))
                .find_map(|m| LogicalModel::parse(m).ok());
            match found {
                Some(lm) => lm,
                None => return Ok(()),
            }
        }
    };
    let Ok(code) = Code::parse(&nq.code) else {
        return Ok(());
    };
    if ctx.source_url.is_none()
        || ctx.source_moved()
        || code
            .check_arguments(nq.arguments.iter().map(|a| a.name.as_str()))
            .is_err()
    {
        return Ok(());
    }
    let sql = statement(&nq, &code.nestable(), &lm);
    ctx.tx
        .batch_execute("SAVEPOINT rasura_native_check")
        .await
        .map_err(|e| ApiError::from(rasura_pg::PgError::from_db(e, None)))?;
    let prepared = ctx.tx.prepare(&sql).await;
    ctx.tx
        .batch_execute(
            "ROLLBACK TO SAVEPOINT rasura_native_check; RELEASE SAVEPOINT rasura_native_check",
        )
        .await
        .map_err(|e| ApiError::from(rasura_pg::PgError::from_db(e, None)))?;
    let statement = match prepared {
        Ok(s) => s,
        Err(e) => {
            let error = ApiError::from(rasura_pg::PgError::from_db(e, Some(&sql)));
            let internal = error.internal.map(|i| *i).unwrap_or(json!(sql));
            return Err(failed(internal));
        }
    };
    for (field, scalar) in lm.scalar_fields() {
        let Some(column) = statement.columns().iter().find(|c| c.name() == field.name) else {
            continue;
        };
        let actual = column.type_().name();
        if pg_type_name(scalar) != actual {
            // Named as Hasura names PostgreSQL's types.
            let actual = match actual {
                "int2" => "smallint",
                "int4" => "integer",
                "int8" => "bigint",
                "bool" => "boolean",
                other => other,
            };
            return Err(failed(json!(format!(
                "Return column '{}' has a type mismatch. The expected type is '{scalar}', but the actual type is '{actual}'.",
                field.name
            ))));
        }
    }
    Ok(())
}
