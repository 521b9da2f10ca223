//! Query-API writes besides `insert`: `update` (`$set`, `$inc`) and `delete`, with `where` and
//! `returning`, compiled through the same IR and SQL translation as GraphQL mutations. Admin only
//! (the dispatcher refuses other roles).

use rasura_ir::{
    ColumnRef, Field, Mutation, MutationKind, MutationOutput, ResponseField, UpdateOp,
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
    let args: WriteArgs = serde_json::from_value(args)
        .map_err(|e| ApiError::bad_request("parse-failed", e.to_string()))?;
    let catalog = ctx.fresh_catalog().await?;
    let resolved = rasura_resolve::resolve(&ctx.md, catalog);
    let schema = rasura_schema::build_schema(&resolved, "admin")
        .map_err(|e| ApiError::bad_request("unexpected", e))?;
    let t = *schema.table_index.get(&args.table).ok_or_else(|| {
        ApiError::bad_request(
            "not-exists",
            format!("table \"{}\" does not exist", args.table),
        )
        .at("$.table")
    })?;
    let where_ = args
        .where_
        .as_ref()
        .ok_or_else(|| ApiError::bad_request("parse-failed", "key \"where\" not found").at("$"))?;
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
    let mut output = vec![("affected_rows".to_string(), ResponseField::AffectedRows)];
    if !args.returning.is_empty() {
        let mut fields = vec![];
        for name in &args.returning {
            let column = column(&schema, t, name, "returning")?;
            fields.push((name.clone(), Field::Column { column, path: None }));
        }
        output.push(("returning".to_string(), ResponseField::Returning(fields)));
    }
    let m = Mutation {
        table: args.table.clone(),
        kind,
        output: MutationOutput::Response(output),
        returning_filter: rasura_ir::BoolExp::True,
    };
    let t = rasura_translate::translate_mutation(&m, rasura_translate::Options::default());
    let sql = t.sql();
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
