//! Query-API data operations (used by setup scripts and older clients): admin's plain `insert`
//! here, `select` and `count` in `data_select.rs`, a role's `insert` (and one with `returning`
//! or `on_conflict`), `update` and `delete` in `data_write.rs`.

use rasura_catalog::{Column, Table};
use rasura_metadata::QualifiedName;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::tx::ControlTx;

pub(super) async fn run(ctx: &mut ControlTx<'_>, op: &str, args: Value) -> Result<Value, ApiError> {
    // They read and write the source served first; one naming another is refused, not
    // answered from the wrong database.
    if let Some(source) = args.get("source").and_then(Value::as_str) {
        let first = ctx.md.served_source().map(|s| s.name.as_str());
        if first != Some(source) {
            ctx.md.source(source).map_err(ApiError::from)?;
            return Err(ApiError::bad_request(
                "not-supported",
                format!(
                    "the query API's data operations work on the first source served (\"{}\") only, not on \"{source}\"",
                    first.unwrap_or_default()
                ),
            ));
        }
    }
    match op {
        // A role's insert goes through its permission (`data_write`).
        "insert"
            if ctx.session.role != "admin"
                || args.get("returning").is_some()
                || args.get("on_conflict").is_some() =>
        {
            crate::data_write::insert(ctx, args).await
        }
        "insert" => insert(ctx, args).await,
        "select" => crate::data_select::select(ctx, args).await,
        "count" => crate::data_select::count(ctx, args).await,
        "update" => crate::data_write::update(ctx, args).await,
        "delete" => crate::data_write::delete(ctx, args).await,
        _ => Err(ApiError::bad_request(
            "not-supported",
            format!("the query operation \"{op}\" is not supported yet"),
        )),
    }
}

fn parse<T: serde::de::DeserializeOwned>(args: Value) -> Result<T, ApiError> {
    serde_json::from_value(args).map_err(|e| ApiError::bad_request("parse-failed", e.to_string()))
}

#[derive(Debug, Deserialize)]
struct InsertArgs {
    table: QualifiedName,
    objects: Vec<Map<String, Value>>,
}

async fn insert(ctx: &mut ControlTx<'_>, args: Value) -> Result<Value, ApiError> {
    let args: InsertArgs = parse(args)?;
    if ctx
        .md
        .served_source()
        .and_then(|s| s.table(&args.table))
        .is_none()
    {
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
        // Unnamed, text parameters: nothing is left prepared (a pooler in transaction mode).
        let typed = rasura_pg::text_statement::typed(&params);
        affected += ctx
            .tx
            .execute_typed(sql.as_str(), &typed)
            .await
            .map_err(|e| ApiError::from_data(rasura_pg::PgError::from_db(e, Some(&sql))))?;
    }
    Ok(json!({"affected_rows": affected}))
}

fn quote_ident(s: &str) -> String {
    rasura_sql::print::quote_ident(s)
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
        params.push(rasura_translate::value_text(value, &column.type_name));
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
