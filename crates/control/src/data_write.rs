//! Query-API writes: `update` (`$set`, `$inc`), `delete`, and `insert` with `returning` or
//! `on_conflict`, compiled through the same IR and SQL translation as GraphQL mutations. Admin
//! only (the dispatcher refuses other roles).

use rasura_ir::{
    ColumnRef, Field, InsertRow, Mutation, MutationKind, MutationOutput, OnConflict, ResponseField,
    UpdateOp,
};
use rasura_metadata::QualifiedName;
use rasura_schema::RoleSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::tx::ControlTx;

#[derive(Debug, Deserialize)]
struct WriteArgs {
    table: QualifiedName,
    #[serde(rename = "where")]
    where_: Option<Value>,
    #[serde(default, rename = "$set")]
    set: Map<String, Value>,
    #[serde(default, rename = "$inc")]
    inc: Map<String, Value>,
    #[serde(default)]
    returning: Vec<String>,
}

pub(crate) async fn update(ctx: &mut ControlTx<'_>, args: Value) -> Result<Value, ApiError> {
    write(ctx, args, false).await
}

pub(crate) async fn delete(ctx: &mut ControlTx<'_>, args: Value) -> Result<Value, ApiError> {
    write(ctx, args, true).await
}

async fn write(ctx: &mut ControlTx<'_>, args: Value, delete: bool) -> Result<Value, ApiError> {
    let args: WriteArgs = parse(args)?;
    let schema = admin_schema(ctx).await?;
    let t = table_of(&schema, &args.table)?;
    let where_ = args
        .where_
        .as_ref()
        .ok_or_else(|| ApiError::bad_request("parse-failed", "key \"where\" not found"))?;
    let filter = rasura_ir::bool_exp::parse_bool_exp(
        &schema,
        &ctx.session,
        t,
        &rasura_ir::bool_exp::normalize_legacy(where_),
        "$.where",
    )
    .map_err(|e| ApiError::bad_request("parse-failed", e.message).at(e.path))?;
    let kind = if delete {
        MutationKind::Delete { filter }
    } else {
        let mut set = vec![];
        for (ops, op, key) in [
            (&args.set, UpdateOp::Set, "$set"),
            (&args.inc, UpdateOp::Inc, "$inc"),
        ] {
            for (name, value) in ops {
                set.push((column(&schema, t, name, key)?, op, value.clone()));
            }
        }
        if set.is_empty() {
            return Err(ApiError::bad_request(
                "parse-failed",
                "atleast one of $set, $inc, $mul, $default has to be present",
            ));
        }
        MutationKind::Update {
            filter,
            set,
            check: None,
        }
    };
    let m = Mutation {
        table: args.table.clone(),
        kind,
        output: MutationOutput::Response(response(&schema, t, &args.returning)?),
        returning_filter: rasura_ir::BoolExp::True,
    };
    run_mutation(ctx, &m).await
}

#[derive(Deserialize)]
struct InsertArgs {
    table: QualifiedName,
    objects: Vec<Map<String, Value>>,
    #[serde(default)]
    returning: Vec<String>,
    #[serde(default)]
    on_conflict: Option<Value>,
}

/// `insert` with `returning` or `on_conflict` (`{constraint, update_columns}`, or the older
/// `{constraint, action: ignore|update}`).
pub(crate) async fn insert(ctx: &mut ControlTx<'_>, args: Value) -> Result<Value, ApiError> {
    let args: InsertArgs = parse(args)?;
    let schema = admin_schema(ctx).await?;
    let t = table_of(&schema, &args.table)?;
    let mut rows = vec![];
    for (i, object) in args.objects.iter().enumerate() {
        let mut columns = vec![];
        for (name, value) in object {
            let at = format!("objects[{i}]");
            columns.push((column(&schema, t, name, &at)?, value.clone()));
        }
        rows.push(InsertRow {
            columns,
            object_rels: vec![],
            array_rels: vec![],
        });
    }
    let on_conflict = match &args.on_conflict {
        None | Some(Value::Null) => None,
        Some(c) => Some(on_conflict(&schema, t, c)?),
    };
    let m = Mutation {
        table: args.table.clone(),
        kind: MutationKind::Insert {
            rows,
            on_conflict,
            check: None,
        },
        output: MutationOutput::Response(response(&schema, t, &args.returning)?),
        returning_filter: rasura_ir::BoolExp::True,
    };
    run_mutation(ctx, &m).await
}

fn on_conflict(schema: &RoleSchema, t: usize, c: &Value) -> Result<OnConflict, ApiError> {
    let constraint = c
        .get("constraint")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ApiError::bad_request("parse-failed", "key \"constraint\" not found")
                .at("$.on_conflict")
        })?
        .to_string();
    let update_columns = match (c.get("update_columns"), c.get("action")) {
        (Some(Value::Array(cols)), _) => cols
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        (_, Some(Value::String(a))) if a == "update" => {
            let mut cols: Vec<String> = schema.tables[t].columns.keys().cloned().collect();
            cols.sort();
            cols
        }
        _ => vec![],
    };
    // The query API writes as admin: no permission presets.
    Ok(OnConflict {
        constraint,
        update_columns,
        filter: None,
        presets: vec![],
    })
}

fn parse<T: serde::de::DeserializeOwned>(args: Value) -> Result<T, ApiError> {
    serde_json::from_value(args).map_err(|e| ApiError::bad_request("parse-failed", e.to_string()))
}

async fn admin_schema(ctx: &mut ControlTx<'_>) -> Result<RoleSchema, ApiError> {
    let catalog = ctx.fresh_catalog().await?;
    let resolved = rasura_resolve::resolve(&ctx.md, catalog);
    rasura_schema::build_schema(&resolved, "admin")
        .map_err(|e| ApiError::bad_request("unexpected", e))
}

fn table_of(schema: &RoleSchema, table: &QualifiedName) -> Result<usize, ApiError> {
    schema.table_index.get(table).copied().ok_or_else(|| {
        ApiError::bad_request("not-exists", format!("table \"{table}\" does not exist"))
            .at("$.table")
    })
}

/// `affected_rows`, and `returning` with the named columns when asked.
fn response(
    schema: &RoleSchema,
    t: usize,
    returning: &[String],
) -> Result<Vec<(String, ResponseField)>, ApiError> {
    let mut output = vec![("affected_rows".to_string(), ResponseField::AffectedRows)];
    if !returning.is_empty() {
        let mut fields = vec![];
        for name in returning {
            let column = column(schema, t, name, "returning")?;
            fields.push((
                name.clone(),
                Field::Column {
                    column,
                    path: None,
                    upper: false,
                },
            ));
        }
        output.push(("returning".to_string(), ResponseField::Returning(fields)));
    }
    Ok(output)
}

async fn run_mutation(ctx: &ControlTx<'_>, m: &Mutation) -> Result<Value, ApiError> {
    let t = rasura_translate::translate_mutation(m, rasura_translate::Options::default());
    let sql = t.sql();
    let typed = rasura_pg::text_statement::typed(&t.params.0);
    let row = ctx
        .tx
        .query_typed_one(sql.as_str(), &typed)
        .await
        .map_err(|e| ApiError::from_data(rasura_pg::PgError::from_db(e, Some(&sql))))?;
    let text: Option<String> = row.get(0);
    Ok(text
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null))
}

fn column(schema: &RoleSchema, t: usize, name: &str, at: &str) -> Result<ColumnRef, ApiError> {
    let c = schema.tables[t].columns.get(name).ok_or_else(|| {
        ApiError::bad_request("not-exists", format!("no such column exists: \"{name}\""))
            .at(format!("$.{at}"))
    })?;
    Ok(ColumnRef {
        name: c.name.clone(),
        type_schema: c.type_schema.clone(),
        type_name: c.type_name.clone(),
        computed: None,
    })
}
