//! Query-API writes: `update` (`$set`, `$inc`, `$mul`, `$default`), `delete`, and `insert`
//! with `returning` or `on_conflict` (`constraint` or `constraint_on`, `action`), compiled
//! through the same IR and SQL translation as GraphQL mutations.
//! Each runs for any role under its permission (row filter, columns, presets, check; an upsert
//! under the update permission too), as in Hasura.

use rasura_ir::{
    ColumnRef, Field, InsertRow, Mutation, MutationKind, MutationOutput, OnConflict, ResponseField,
    UpdateOp,
};
use rasura_metadata::QualifiedName;
use rasura_schema::RoleSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::data_select::{not_allowed, permission_exp};
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
    #[serde(default, rename = "$mul")]
    mul: Map<String, Value>,
    #[serde(default, rename = "$default")]
    default: Vec<String>,
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
    let schema = crate::data_select::role_schema(ctx).await?;
    let t = table_of(&schema, &args.table)?;
    let output = response(&schema, t, &args.returning)?;
    // A role writes under its permission (none: admin).
    let perms = schema.tables[t].perms.as_ref();
    let refused = |what: &str| not_allowed(what, &args.table, &ctx.session.role);
    let update_perm = match perms {
        Some(p) if !delete => Some(p.update.as_ref().ok_or_else(|| refused("update"))?),
        _ => None,
    };
    let delete_perm = match perms {
        Some(p) if delete => Some(p.delete.as_ref().ok_or_else(|| refused("delete"))?),
        _ => None,
    };
    let rule = |v: &Value| permission_exp(&schema, &ctx.session, t, v);
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
    .and_then(|w| rasura_ir::permission::with_target_perms(&schema, &ctx.session, w))
    .map_err(|e| ApiError::bad_request("parse-failed", e.message).at(e.path))?;
    let perm_filter = match (update_perm, delete_perm) {
        (Some(u), _) => Some(rule(&u.filter)?),
        (_, Some(d)) => Some(rule(&d.filter)?),
        _ => None,
    };
    let filter = match perm_filter {
        Some(p) => rasura_ir::BoolExp::And(vec![p, filter]),
        None => filter,
    };
    let kind = if delete {
        MutationKind::Delete { filter }
    } else {
        let mut set = vec![];
        let defaults: Map<String, Value> = args
            .default
            .iter()
            .map(|c| (c.clone(), Value::Null))
            .collect();
        for (ops, op, key) in [
            (&args.set, UpdateOp::Set, "$set"),
            (&args.inc, UpdateOp::Inc, "$inc"),
            (&args.mul, UpdateOp::Mul, "$mul"),
            (&defaults, UpdateOp::Default, "$default"),
        ] {
            for (name, value) in ops {
                if let Some(u) = update_perm {
                    if u.set.contains_key(name) {
                        return Err(ApiError::bad_request(
                            "not-supported",
                            format!(
                                "column \"{name}\" is not updatable for role \"{}\"; its value is predefined in permission",
                                ctx.session.role
                            ),
                        )
                        .at(format!("$[\"{key}\"]")));
                    }
                    if !u.columns.allows(name) {
                        return Err(ApiError::bad_request(
                            "permission-denied",
                            format!(
                                "role \"{}\" does not have permission to update column \"{name}\"",
                                ctx.session.role
                            ),
                        )
                        .at(format!("$.{key}")));
                    }
                }
                set.push((column(&schema, t, name, key)?, op, value.clone()));
            }
        }
        // The permission's presets, with session variables resolved.
        let mut check = None;
        if let Some(u) = update_perm {
            for (column, value) in presets(&schema, t, &ctx.session, &u.set)? {
                set.push((column, UpdateOp::Set, value));
            }
            check = u.check.as_ref().map(rule).transpose()?;
        }
        if set.is_empty() {
            return Err(ApiError::bad_request(
                "parse-failed",
                "atleast one of $set, $inc, $mul, $default has to be present",
            ));
        }
        MutationKind::Update { filter, set, check }
    };
    let m = Mutation {
        table: args.table.clone(),
        kind,
        output: MutationOutput::Response(output),
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
    let schema = crate::data_select::role_schema(ctx).await?;
    let t = table_of(&schema, &args.table)?;
    let role = ctx.session.role.clone();
    // As in Hasura: the arguments' shape first (an `on_conflict` without a valid action),
    // then `returning`.
    if let Some(c) = args.on_conflict.as_ref().filter(|c| c.is_object()) {
        conflict_action(c)?;
    }
    let output = response(&schema, t, &args.returning)?;
    // The catalog names the constraints an `on_conflict` may target.
    let catalog = match args.on_conflict.as_ref().filter(|c| !c.is_null()) {
        Some(_) => Some(ctx.fresh_catalog().await?),
        None => None,
    };
    // A role inserts under its insert permission (none: admin): its columns, presets, check.
    let perm = match schema.tables[t].perms.as_ref() {
        Some(p) => Some(
            p.insert
                .as_ref()
                .ok_or_else(|| not_allowed("insert", &args.table, &role))?,
        ),
        None => None,
    };
    let rule = |v: &Value| permission_exp(&schema, &ctx.session, t, v);
    let insert_presets = match perm {
        Some(p) => presets(&schema, t, &ctx.session, &p.set)?,
        None => vec![],
    };
    let mut rows = vec![];
    for (i, object) in args.objects.iter().enumerate() {
        let mut columns = vec![];
        for (name, value) in object {
            let at = format!("objects[{i}]");
            if perm.is_some_and(|p| !p.columns.allows(name) || p.set.contains_key(name)) {
                return Err(ApiError::bad_request(
                    "permission-denied",
                    format!("role \"{role}\" does not have permission to insert column \"{name}\""),
                )
                .at(format!("$.{at}")));
            }
            columns.push((column(&schema, t, name, &at)?, value.clone()));
        }
        columns.extend(insert_presets.iter().cloned());
        rows.push(InsertRow {
            columns,
            object_rels: vec![],
            array_rels: vec![],
        });
    }
    let mut on_conflict = match &args.on_conflict {
        None | Some(Value::Null) => None,
        Some(c) => {
            let inserted: Vec<String> = args
                .objects
                .iter()
                .flat_map(|o| o.keys().cloned())
                .collect();
            Some(on_conflict(
                catalog.as_deref().unwrap_or(&ctx.catalog),
                &args.table,
                &inserted,
                c,
            )?)
        }
    };
    // Rows a conflict updates follow the role's update permission.
    if let (Some(c), Some(p)) = (&mut on_conflict, schema.tables[t].perms.as_ref()) {
        if !c.update_columns.is_empty() {
            let u = p.update.as_ref().ok_or_else(|| {
                ApiError::bad_request(
                    "permission-denied",
                    format!(
                        "upsert on \"{}\" for role \"{role}\" is not allowed: no update permission",
                        args.table
                    ),
                )
                .at("$.on_conflict")
            })?;
            c.update_columns
                .retain(|col| u.columns.allows(col) && !u.set.contains_key(col));
            c.filter = Some(rule(&u.filter)?);
            c.presets = presets(&schema, t, &ctx.session, &u.set)?;
        }
    }
    let check = perm.map(|p| rule(&p.check)).transpose()?;
    let m = Mutation {
        table: args.table.clone(),
        kind: MutationKind::Insert {
            rows,
            on_conflict,
            check,
        },
        output: MutationOutput::Response(output),
        returning_filter: rasura_ir::BoolExp::True,
    };
    run_mutation(ctx, &m).await
}

/// `on_conflict`: the target (`constraint`, or `constraint_on`: the columns of a primary key
/// or unique constraint) and `action` (`ignore`, or `update`: the inserted columns; or, as in
/// GraphQL, `update_columns`).
fn on_conflict(
    catalog: &rasura_catalog::Catalog,
    table: &QualifiedName,
    inserted: &[String],
    c: &Value,
) -> Result<OnConflict, ApiError> {
    let bad = |code: &'static str, message: String, at: &str| {
        ApiError::bad_request(code, message).at(format!("$.on_conflict{at}"))
    };
    let info = catalog.table(&table.schema, &table.name);
    let constraints: Vec<&rasura_catalog::Constraint> = info
        .map(|i| i.primary_key.iter().chain(&i.unique_constraints).collect())
        .unwrap_or_default();
    let constraint = match (c.get("constraint"), c.get("constraint_on")) {
        (Some(Value::String(name)), _) => {
            if !constraints.iter().any(|k| &k.name == name) {
                return Err(bad(
                    "not-exists",
                    format!("constraint \"{name}\" for table \"{table}\" does not exist"),
                    ".constraint",
                ));
            }
            name.clone()
        }
        (_, Some(on)) => {
            let columns: Vec<String> = match on {
                Value::String(c) => vec![c.clone()],
                Value::Array(list) => list
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
                _ => {
                    return Err(bad(
                        "parse-failed",
                        "expected a column or a list of columns".into(),
                        ".constraint_on",
                    ))
                }
            };
            for (i, col) in columns.iter().enumerate() {
                if info.and_then(|t| t.column(col)).is_none() {
                    return Err(bad(
                        "not-exists",
                        format!("column \"{col}\" does not exist"),
                        &format!(".constraint_on[{i}]"),
                    ));
                }
            }
            let mut wanted = columns.clone();
            wanted.sort();
            let found = constraints.iter().find(|k| {
                let mut cols = k.columns.clone();
                cols.sort();
                cols == wanted
            });
            match found {
                Some(k) => k.name.clone(),
                None => {
                    return Err(bad(
                        "not-exists",
                        "there is no unique or exclusion constraint matching the ON CONFLICT specification".into(),
                        ".constraint_on",
                    ))
                }
            }
        }
        _ => {
            return Err(bad(
                "parse-failed",
                "key \"constraint\" or \"constraint_on\" not found".into(),
                "",
            ))
        }
    };
    let update_columns = match (c.get("update_columns"), conflict_action(c)?) {
        (Some(Value::Array(cols)), _) => cols
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        // The columns the objects give, as Hasura updates them; the others keep their values.
        (_, Some("update")) => {
            let mut cols: Vec<String> = inserted.to_vec();
            cols.sort();
            cols.dedup();
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

/// `on_conflict.action` as Hasura parses it, `ignore` or `update` (none with GraphQL's
/// `update_columns` instead).
fn conflict_action(c: &Value) -> Result<Option<&str>, ApiError> {
    if matches!(c.get("update_columns"), Some(Value::Array(_))) {
        return Ok(None);
    }
    match c.get("action").and_then(Value::as_str) {
        Some(a @ ("ignore" | "update")) => Ok(Some(a)),
        Some(_) => Err(
            ApiError::bad_request("parse-failed", "Expecting 'ignore' or 'update'")
                .at("$.on_conflict.action"),
        ),
        None => Err(
            ApiError::bad_request("parse-failed", "key \"action\" not found").at("$.on_conflict"),
        ),
    }
}

fn parse<T: serde::de::DeserializeOwned>(args: Value) -> Result<T, ApiError> {
    serde_json::from_value(args).map_err(|e| ApiError::bad_request("parse-failed", e.to_string()))
}

/// A permission's presets (`set`), session variables resolved.
fn presets(
    schema: &RoleSchema,
    t: usize,
    session: &rasura_ir::Session,
    set: &Map<String, Value>,
) -> Result<Vec<(ColumnRef, Value)>, ApiError> {
    set.iter()
        .map(|(name, value)| {
            let value = rasura_ir::permission::preset_value(session, value)
                .map_err(|e| ApiError::bad_request(e.code, e.message))?;
            Ok((column(schema, t, name, "$set")?, value))
        })
        .collect()
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
            // A role reads back only the columns it may select.
            if let Some(p) = &schema.tables[t].perms {
                if !p.select.as_ref().is_some_and(|s| s.columns.allows(name)) {
                    return Err(ApiError::bad_request(
                        "permission-denied",
                        format!("no such column exists : \"{name}\""),
                    )
                    .at("$.returning"));
                }
            }
            let column = column(schema, t, name, "returning").map_err(|_| {
                ApiError::bad_request(
                    "permission-denied",
                    format!("no such column exists : \"{name}\""),
                )
                .at("$.returning")
            })?;
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
    let t = rasura_translate::translate_mutation(
        m,
        rasura_translate::Options {
            stringify_numeric: ctx.stringify_numeric,
        },
    );
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
