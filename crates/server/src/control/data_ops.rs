//! Query-API data operations used by setup scripts: `insert` (others answer `not-supported`).
//!
//! Values are bound as text parameters and cast to each column's type in SQL.

use rasura_catalog::{Column, Table};
use rasura_metadata::QualifiedName;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::ControlTx;
use crate::wire_error::ApiError;

#[derive(Debug, Deserialize)]
struct InsertArgs {
    table: QualifiedName,
    objects: Vec<Map<String, Value>>,
}

pub(super) async fn run(ctx: &mut ControlTx<'_>, op: &str, args: Value) -> Result<Value, ApiError> {
    match op {
        "insert" => insert(ctx, args).await,
        _ => Err(ApiError::bad_request(
            "not-supported",
            format!("the query operation \"{op}\" is not supported yet"),
        )),
    }
}

async fn insert(ctx: &mut ControlTx<'_>, args: Value) -> Result<Value, ApiError> {
    let args: InsertArgs = serde_json::from_value(args)
        .map_err(|e| ApiError::bad_request("parse-failed", e.to_string()))?;
    if ctx.md.default_source_mut().table(&args.table).is_none() {
        return Err(ApiError::bad_request(
            "not-exists",
            format!("table \"{}\" does not exist", args.table),
        )
        .at("$.table"));
    }
    let catalog = ctx.fresh_catalog().await?;
    let table = catalog
        .table(&args.table.schema, &args.table.name)
        .ok_or_else(|| {
            ApiError::bad_request(
                "not-exists",
                format!("table \"{}\" does not exist", args.table),
            )
        })?;
    let mut affected = 0u64;
    for (i, object) in args.objects.iter().enumerate() {
        let (sql, params) =
            insert_statement(table, object).map_err(|e| e.at(format!("$.objects[{i}]")))?;
        let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params
            .iter()
            .map(|p| p as &(dyn tokio_postgres::types::ToSql + Sync))
            .collect();
        affected += ctx
            .tx
            .execute(sql.as_str(), &refs)
            .await
            .map_err(|e| rasura_pg::PgError::from_db(e, Some(&sql)))?;
    }
    Ok(json!({"affected_rows": affected}))
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// `INSERT INTO t (cols) VALUES ($1::text::type, ...)` with the values as text.
fn insert_statement(
    table: &Table,
    object: &Map<String, Value>,
) -> Result<(String, Vec<Option<String>>), ApiError> {
    let mut cols = vec![];
    let mut exprs = vec![];
    let mut params = vec![];
    for (name, value) in object {
        let column = table.column(name).ok_or_else(|| {
            ApiError::bad_request("not-exists", format!("column \"{name}\" does not exist"))
        })?;
        params.push(value_text(column, value));
        exprs.push(cast_expr(column, params.len(), value));
        cols.push(quote_ident(name));
    }
    let target = format!(
        "{}.{}",
        quote_ident(&table.schema),
        quote_ident(&table.name)
    );
    let sql = if cols.is_empty() {
        format!("INSERT INTO {target} DEFAULT VALUES")
    } else {
        format!(
            "INSERT INTO {target} ({}) VALUES ({})",
            cols.join(", "),
            exprs.join(", ")
        )
    };
    Ok((sql, params))
}

fn cast_expr(column: &Column, n: usize, value: &Value) -> String {
    let ty = format!(
        "{}.{}",
        quote_ident(&column.type_schema),
        quote_ident(&column.type_name)
    );
    let geo = matches!(column.type_name.as_str(), "geometry" | "geography");
    if geo && value.is_object() {
        format!("ST_GeomFromGeoJSON(${n}::text)::{ty}")
    } else {
        format!("${n}::text::{ty}")
    }
}

/// The text form Postgres parses for `value` in `column`.
fn value_text(column: &Column, value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) if !matches!(column.type_name.as_str(), "json" | "jsonb") => {
            Some(s.clone())
        }
        Value::Array(items) if column.is_array() => Some(array_literal(items)),
        other => Some(other.to_string()),
    }
}

/// A Postgres array literal (`{"a","b"}`) from a JSON list.
fn array_literal(items: &[Value]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|v| match v {
            Value::Null => "NULL".to_string(),
            Value::Array(inner) => array_literal(inner),
            Value::String(s) => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
            other => format!(
                "\"{}\"",
                other.to_string().replace('\\', "\\\\").replace('"', "\\\"")
            ),
        })
        .collect();
    format!("{{{}}}", parts.join(","))
}
