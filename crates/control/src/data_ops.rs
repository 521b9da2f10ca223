//! Query-API data operations: `insert`, `select` and `count` (used by setup scripts and older
//! clients). `select` and `count` are compiled through the same IR and SQL translation as GraphQL.

use std::sync::Arc;

use rasura_catalog::{Column, Table};
use rasura_ir::{BoolExp, ColumnRef, Field, OrderBy, OrderTarget, Select, Shape};
use rasura_metadata::QualifiedName;
use rasura_schema::RoleSchema;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::tx::ControlTx;

pub(super) async fn run(ctx: &mut ControlTx<'_>, op: &str, args: Value) -> Result<Value, ApiError> {
    match op {
        "insert" => insert(ctx, args).await,
        "select" => select(ctx, args).await,
        "count" => count(ctx, args).await,
        _ => Err(ApiError::bad_request(
            "not-supported",
            format!("the query operation \"{op}\" is not supported yet"),
        )),
    }
}

fn parse<T: serde::de::DeserializeOwned>(args: Value) -> Result<T, ApiError> {
    serde_json::from_value(args).map_err(|e| ApiError::bad_request("parse-failed", e.to_string()))
}

/// The admin schema of the request's working metadata (which may differ from the served one).
async fn working_schema(ctx: &mut ControlTx<'_>) -> Result<Arc<RoleSchema>, ApiError> {
    let catalog = ctx.fresh_catalog().await?;
    let resolved = rasura_resolve::resolve(&ctx.md, catalog);
    rasura_schema::build_schema(&resolved, "admin")
        .map(Arc::new)
        .map_err(|e| ApiError::bad_request("unexpected", e))
}

fn table_index(schema: &RoleSchema, table: &QualifiedName) -> Result<usize, ApiError> {
    schema.table_index.get(table).copied().ok_or_else(|| {
        ApiError::bad_request("not-exists", format!("table \"{table}\" does not exist"))
            .at("$.table")
    })
}

fn where_exp(schema: &RoleSchema, t: usize, w: Option<&Value>) -> Result<BoolExp, ApiError> {
    match w {
        None => Ok(BoolExp::True),
        Some(w) => rasura_ir::bool_exp::parse_bool_exp(
            schema,
            t,
            &rasura_ir::bool_exp::normalize_legacy(w),
            "$.where",
        )
        .map_err(|e| ApiError::bad_request("parse-failed", e.message).at(e.path)),
    }
}

/// Runs a translated select and returns its JSON.
async fn run_select(ctx: &ControlTx<'_>, select: &Select) -> Result<Value, ApiError> {
    let t = rasura_translate::translate_select(select, rasura_translate::Options::default());
    let sql = rasura_sql::print(&t.select).sql;
    let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = t
        .params
        .0
        .iter()
        .map(|p| p as &(dyn tokio_postgres::types::ToSql + Sync))
        .collect();
    let row = ctx
        .tx
        .query_one(sql.as_str(), &refs)
        .await
        .map_err(|e| rasura_pg::PgError::from_db(e, Some(&sql)))?;
    let text: Option<String> = row.get(0);
    Ok(text
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null))
}

#[derive(Debug, Deserialize)]
struct SelectArgs {
    table: QualifiedName,
    columns: Value,
    #[serde(default, rename = "where")]
    where_: Option<Value>,
    #[serde(default)]
    order_by: Option<Value>,
    #[serde(default)]
    limit: Option<u64>,
    #[serde(default)]
    offset: Option<u64>,
}

async fn select(ctx: &mut ControlTx<'_>, args: Value) -> Result<Value, ApiError> {
    let args: SelectArgs = parse(args)?;
    let schema = working_schema(ctx).await?;
    let t = table_index(&schema, &args.table)?;
    let info = &schema.tables[t];
    let names: Vec<String> = match &args.columns {
        Value::String(s) if s == "*" => {
            let mut cols: Vec<&rasura_schema::ColumnInfo> = info.columns.values().collect();
            cols.sort_by_key(|c| c.name.clone());
            cols.into_iter().map(|c| c.name.clone()).collect()
        }
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => {
            return Err(ApiError::bad_request(
                "parse-failed",
                "expected \"*\" or a list of columns",
            )
            .at("$.columns"))
        }
    };
    let mut fields = vec![];
    for n in names {
        let c = info.columns.get(&n).ok_or_else(|| {
            ApiError::bad_request("not-exists", format!("column \"{n}\" does not exist"))
                .at("$.columns")
        })?;
        fields.push((
            n,
            Field::Column {
                column: column_ref(c),
                path: None,
            },
        ));
    }
    let order_by = match &args.order_by {
        Some(v) => rql_order_by(v)?,
        None => vec![],
    };
    let select = Select {
        from_function: None,
        table: args.table.clone(),
        filter: where_exp(&schema, t, args.where_.as_ref())?,
        order_by,
        distinct_on: vec![],
        limit: args.limit,
        offset: args.offset,
        shape: Shape::Rows(fields),
    };
    run_select(ctx, &select).await
}

/// `order_by` as RQL writes it: `"col"`, `"+col"`, `"-col"`, or a list of those.
fn rql_order_by(v: &Value) -> Result<Vec<OrderBy>, ApiError> {
    rasura_ir::value::as_list(v)
        .into_iter()
        .map(|item| {
            let s = item.as_str().ok_or_else(|| {
                ApiError::bad_request("parse-failed", "expected a column name").at("$.order_by")
            })?;
            let (desc, col) = match s.strip_prefix('-') {
                Some(c) => (true, c),
                None => (false, s.strip_prefix('+').unwrap_or(s)),
            };
            Ok(OrderBy {
                target: OrderTarget::Column(col.to_string()),
                desc,
                nulls_first: desc,
            })
        })
        .collect()
}

#[derive(Debug, Deserialize)]
struct CountArgs {
    table: QualifiedName,
    #[serde(default, rename = "where")]
    where_: Option<Value>,
}

async fn count(ctx: &mut ControlTx<'_>, args: Value) -> Result<Value, ApiError> {
    let args: CountArgs = parse(args)?;
    let schema = working_schema(ctx).await?;
    let t = table_index(&schema, &args.table)?;
    let select = Select {
        from_function: None,
        table: args.table.clone(),
        filter: where_exp(&schema, t, args.where_.as_ref())?,
        order_by: vec![],
        distinct_on: vec![],
        limit: None,
        offset: None,
        shape: Shape::Aggregate(vec![(
            "aggregate".into(),
            rasura_ir::AggField::Aggregate(vec![(
                "count".into(),
                rasura_ir::AggOp::Count {
                    columns: vec![],
                    distinct: false,
                },
            )]),
        )]),
    };
    let v = run_select(ctx, &select).await?;
    Ok(json!({"count": v["aggregate"]["count"]}))
}

fn column_ref(c: &rasura_schema::ColumnInfo) -> ColumnRef {
    ColumnRef {
        name: c.name.clone(),
        type_schema: c.type_schema.clone(),
        type_name: c.type_name.clone(),
        computed: None,
    }
}

#[derive(Debug, Deserialize)]
struct InsertArgs {
    table: QualifiedName,
    objects: Vec<Map<String, Value>>,
}

async fn insert(ctx: &mut ControlTx<'_>, args: Value) -> Result<Value, ApiError> {
    let args: InsertArgs = parse(args)?;
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
