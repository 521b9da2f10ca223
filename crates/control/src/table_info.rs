//! `pg_get_table_info` and the source check of `pg_get_source_tables`: a table of the
//! database (tracked or not) as Hasura describes it, read from the current catalog.

use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::tx::ControlTx;

/// The `source` argument, which must name a served source.
pub(crate) fn source_arg(ctx: &ControlTx<'_>, args: &Value) -> Result<(), ApiError> {
    let source = args
        .get("source")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request("parse-failed", "key \"source\" not found"))
        .map_err(|e| e.at("$.args"))?;
    ctx.check_source(source).map_err(|e| e.at("$.args"))
}

/// `{source, table}` → the table's description, or null when there is no such table.
pub(crate) async fn get_table_info(
    ctx: &mut ControlTx<'_>,
    args: &Value,
) -> Result<Value, ApiError> {
    source_arg(ctx, args)?;
    let (schema, name) = match args.get("table") {
        Some(Value::String(n)) => ("public".to_string(), n.clone()),
        Some(Value::Object(t)) => (
            t.get("schema")
                .and_then(Value::as_str)
                .unwrap_or("public")
                .to_string(),
            t.get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        ),
        _ => {
            return Err(
                ApiError::bad_request("parse-failed", "key \"table\" not found").at("$.args"),
            )
        }
    };
    let source = args
        .get("source")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let catalog = ctx.catalog_of(source).await?;
    Ok(catalog
        .table(&schema, &name)
        .map_or(Value::Null, |t| describe(t)))
}

/// Hasura's description of a table: name, kind, columns with their types, keys and what may
/// be done to it.
fn describe(t: &rasura_catalog::Table) -> Value {
    let columns: Vec<Value> = t
        .columns
        .iter()
        .map(|c| {
            let writable = !c.is_generated && !c.identity_always;
            let mut col = json!({
                "name": c.name,
                "type": type_name(c),
                "nullable": c.nullable,
                "insertable": writable,
                "updatable": writable,
            });
            if let Some(d) = &c.description {
                col["description"] = json!(d);
            }
            col
        })
        .collect();
    let kind = if matches!(t.kind.as_str(), "v" | "m") {
        "view"
    } else {
        "table"
    };
    let mut out = Map::new();
    out.insert("name".into(), json!({"schema": t.schema, "name": t.name}));
    out.insert("type".into(), json!(kind));
    out.insert("columns".into(), Value::Array(columns));
    if let Some(pk) = &t.primary_key {
        out.insert("primary_key".into(), json!(pk.columns));
    }
    if !t.foreign_keys.is_empty() {
        let keys: Map<String, Value> = t
            .foreign_keys
            .iter()
            .map(|fk| {
                let mapping: Map<String, Value> = fk
                    .columns
                    .iter()
                    .zip(&fk.ref_columns)
                    .map(|(l, r)| (l.clone(), json!(r)))
                    .collect();
                let target = json!({"schema": fk.ref_table.schema, "name": fk.ref_table.name});
                (
                    fk.name.clone(),
                    json!({"foreign_table": target, "column_mapping": mapping}),
                )
            })
            .collect();
        out.insert("foreign_keys".into(), Value::Object(keys));
    }
    out.insert("insertable".into(), json!(t.insertable));
    out.insert("updatable".into(), json!(t.updatable));
    out.insert("deletable".into(), json!(t.deletable));
    Value::Object(out)
}

/// A column's type as Hasura spells it: the SQL names of the common types (`integer`,
/// `bigint`, `boolean`, ...), others by their `pg_type` name, arrays with `[]`.
fn type_name(c: &rasura_catalog::Column) -> String {
    let sql = |n: &str| match n {
        "int2" => "smallint".to_string(),
        "int4" => "integer".to_string(),
        "int8" => "bigint".to_string(),
        "bool" => "boolean".to_string(),
        "float4" => "real".to_string(),
        other => other.to_string(),
    };
    match (&c.elem_type, c.is_array()) {
        (Some(elem), true) => format!("{}[]", sql(elem)),
        _ => sql(&c.type_name),
    }
}
