//! Query-API reads, `select` and `count`, for any role: compiled through the same IR and SQL
//! translation as GraphQL, under the role's select permissions (columns, row filter, row
//! limit), with relationships as nested `{name, columns, where, ...}` column entries.

use std::sync::Arc;

use rasura_ir::{BoolExp, ColumnRef, Field, OrderBy, OrderTarget, Select, Session, Shape};
use rasura_metadata::QualifiedName;
use rasura_schema::{RoleSchema, TableField};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::tx::ControlTx;

fn parse<T: serde::de::DeserializeOwned>(args: Value) -> Result<T, ApiError> {
    serde_json::from_value(args).map_err(|e| ApiError::bad_request("parse-failed", e.to_string()))
}

/// The request role's schema of the working metadata (which may differ from the served one):
/// its permissions on each table, none for admin.
pub(crate) async fn role_schema(ctx: &mut ControlTx<'_>) -> Result<Arc<RoleSchema>, ApiError> {
    let catalog = ctx.fresh_catalog().await?;
    let resolved = rasura_resolve::resolve(&ctx.md, catalog);
    rasura_schema::build_schema(&resolved, &ctx.session.role)
        .map(Arc::new)
        .map_err(|e| ApiError::bad_request("unexpected", e))
}

/// Hasura's refusal of an operation (`select`, `insert`, ...) the role has no permission for.
pub(crate) fn not_allowed(what: &str, table: &QualifiedName, role: &str) -> ApiError {
    ApiError::bad_request(
        "permission-denied",
        format!("{what} on \"{table}\" for role \"{role}\" is not allowed. "),
    )
}

/// A permission's boolean expression on table `t`, session variables resolved.
pub(crate) fn permission_exp(
    schema: &RoleSchema,
    session: &Session,
    t: usize,
    exp: &Value,
) -> Result<BoolExp, ApiError> {
    rasura_ir::permission::parse_permission_exp(schema, session, t, exp, "$")
        .map_err(|e| ApiError::bad_request(e.code, e.message))
}

/// A select of `table` as the session may read it.
struct Reader<'a> {
    schema: &'a RoleSchema,
    session: &'a Session,
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
    limit: Option<i64>,
    #[serde(default)]
    offset: Option<i64>,
}

/// A `limit` or `offset`: Hasura refuses a negative one as `not-supported`.
fn non_negative(v: Option<i64>, path: &str, key: &str) -> Result<Option<u64>, ApiError> {
    match v {
        Some(n) if n < 0 => Err(ApiError::bad_request(
            "not-supported",
            "unexpected negative value",
        )
        .at(format!("{path}.{key}"))),
        other => Ok(other.map(|n| n as u64)),
    }
}

impl Reader<'_> {
    fn table(&self, name: &QualifiedName) -> Result<usize, ApiError> {
        let t = self.schema.table_index.get(name).copied().ok_or_else(|| {
            ApiError::bad_request("not-exists", format!("table \"{name}\" does not exist"))
                .at("$.table")
        })?;
        if let Some(p) = &self.schema.tables[t].perms {
            if p.select.is_none() {
                return Err(not_allowed("select", name, &self.session.role));
            }
        }
        Ok(t)
    }

    fn may_select(&self, t: usize, column: &str) -> bool {
        match &self.schema.tables[t].perms {
            None => true,
            Some(p) => p.select.as_ref().is_some_and(|s| s.columns.allows(column)),
        }
    }

    /// The role's row filter AND the request's `where`.
    fn filter(&self, t: usize, user: Option<&Value>, path: &str) -> Result<BoolExp, ApiError> {
        let perm = match self.schema.tables[t]
            .perms
            .as_ref()
            .and_then(|p| p.select.as_ref())
        {
            None => BoolExp::True,
            Some(s) => permission_exp(self.schema, self.session, t, &s.filter)?,
        };
        let user = match user {
            None => BoolExp::True,
            Some(w) => rasura_ir::bool_exp::parse_bool_exp(
                self.schema,
                self.session,
                t,
                &rasura_ir::bool_exp::normalize_legacy(w),
                &format!("{path}.where"),
            )
            .and_then(|w| rasura_ir::permission::with_target_perms(self.schema, self.session, w))
            .map_err(|e| {
                let code = if e.code == "unexpected-payload" {
                    e.code
                } else {
                    "parse-failed"
                };
                ApiError::bad_request(code, e.message).at(e.path)
            })?,
        };
        Ok(rasura_ir::permission::and_filter(perm, user))
    }

    fn select(
        &self,
        t: usize,
        args: &SelectArgs,
        single: bool,
        path: &str,
    ) -> Result<Select, ApiError> {
        let info = &self.schema.tables[t];
        let mut fields = vec![];
        for item in rasura_ir::value::as_list(&args.columns) {
            match item {
                Value::String(s) if s == "*" => {
                    let mut cols: Vec<_> = info
                        .columns
                        .values()
                        .filter(|c| self.may_select(t, &c.name))
                        .collect();
                    cols.sort_by_key(|c| c.name.clone());
                    fields.extend(cols.into_iter().map(|c| (c.name.clone(), column_field(c))));
                }
                Value::String(n) => {
                    let c = info.columns.get(n).filter(|_| self.may_select(t, n)).ok_or_else(|| {
                        ApiError::bad_request(
                            "permission-denied",
                            format!("role \"{}\" does not have permission to select column \"{n}\" (or it does not exist)", self.session.role),
                        )
                        .at(format!("{path}.columns"))
                    })?;
                    fields.push((n.clone(), column_field(c)));
                }
                Value::Object(_) => {
                    let nested: SelectArgs = serde_json::from_value(json!({
                        "table": info.name, "columns": item.get("columns").cloned().unwrap_or(json!("*")),
                        "where": item.get("where"), "order_by": item.get("order_by"),
                        "limit": item.get("limit"), "offset": item.get("offset"),
                    }))
                    .map_err(|e| ApiError::bad_request("parse-failed", e.to_string()))?;
                    let name = item.get("name").and_then(Value::as_str).unwrap_or_default();
                    let (rel, single) = match info.fields.get(name) {
                        Some(TableField::ObjectRel(r)) => (r, true),
                        Some(TableField::ArrayRel(r)) => (r, false),
                        _ => {
                            return Err(ApiError::bad_request(
                                "not-exists",
                                format!(
                                    "relationship \"{name}\" does not exist on table \"{}\"",
                                    info.name
                                ),
                            )
                            .at(format!("{path}.columns")))
                        }
                    };
                    let target = &self.schema.tables[rel.target].name;
                    self.table(target)?;
                    let inner =
                        self.select(rel.target, &nested, single, &format!("{path}.columns"))?;
                    let key = item.get("alias").and_then(Value::as_str).unwrap_or(name);
                    fields.push((
                        key.to_string(),
                        Field::Relationship {
                            mapping: rel.mapping.clone(),
                            select: Box::new(inner),
                        },
                    ));
                }
                _ => {
                    return Err(ApiError::bad_request(
                        "parse-failed",
                        "expected \"*\", a column name or a relationship",
                    )
                    .at(format!("{path}.columns")))
                }
            }
        }
        let perm_limit = info
            .perms
            .as_ref()
            .and_then(|p| p.select.as_ref())
            .and_then(|s| s.limit);
        let given = non_negative(args.limit, path, "limit")?;
        let offset = non_negative(args.offset, path, "offset")?;
        let limit = match (given, perm_limit) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Ok(Select {
            from_function: None,
            from_native: None,
            table: info.name.clone(),
            filter: self.filter(t, args.where_.as_ref(), path)?,
            order_by: match &args.order_by {
                Some(v) => rql_order_by(v)?,
                None => vec![],
            },
            distinct_on: vec![],
            limit,
            offset,
            nodes_limit: None,
            shape: if single {
                Shape::Single(fields)
            } else {
                Shape::Rows(fields)
            },
            redactions: rasura_ir::permission::redactions(self.schema, self.session, t)
                .map_err(|e| ApiError::bad_request(e.code, e.message))?,
        })
    }
}

fn column_field(c: &rasura_schema::ColumnInfo) -> Field {
    Field::Column {
        column: ColumnRef {
            name: c.name.clone(),
            type_schema: c.type_schema.clone(),
            type_name: c.type_name.clone(),
            computed: None,
        },
        upper: false,
        path: None,
    }
}

pub(crate) async fn select(ctx: &mut ControlTx<'_>, args: Value) -> Result<Value, ApiError> {
    let args: SelectArgs = parse(args)?;
    let schema = role_schema(ctx).await?;
    let session = ctx.session.clone();
    let reader = Reader {
        schema: &schema,
        session: &session,
    };
    let t = reader.table(&args.table)?;
    let select = reader.select(t, &args, false, "$")?;
    run_select(ctx, &select).await
}

#[derive(Debug, Deserialize)]
struct CountArgs {
    table: QualifiedName,
    #[serde(default, rename = "where")]
    where_: Option<Value>,
    /// Rows counted once per distinct value of these columns.
    #[serde(default)]
    distinct: Option<Vec<String>>,
}

pub(crate) async fn count(ctx: &mut ControlTx<'_>, args: Value) -> Result<Value, ApiError> {
    let args: CountArgs = parse(args)?;
    let schema = role_schema(ctx).await?;
    let session = ctx.session.clone();
    let reader = Reader {
        schema: &schema,
        session: &session,
    };
    let t = reader.table(&args.table)?;
    let distinct = args.distinct.unwrap_or_default();
    for (i, c) in distinct.iter().enumerate() {
        if !schema.tables[t].columns.contains_key(c) || !reader.may_select(t, c) {
            return Err(ApiError::bad_request(
                "permission-denied",
                format!("no such column exists : \"{c}\""),
            )
            .at(format!("$.distinct[{i}]")));
        }
    }
    let select = Select {
        from_function: None,
        from_native: None,
        table: args.table.clone(),
        filter: reader.filter(t, args.where_.as_ref(), "$")?,
        order_by: vec![],
        distinct_on: vec![],
        limit: None,
        offset: None,
        nodes_limit: None,
        redactions: vec![],
        shape: Shape::Aggregate(vec![(
            "aggregate".into(),
            rasura_ir::AggField::Aggregate(vec![(
                "count".into(),
                rasura_ir::AggOp::Count {
                    distinct: !distinct.is_empty(),
                    columns: distinct,
                },
            )]),
        )]),
    };
    let v = run_select(ctx, &select).await?;
    Ok(json!({"count": v["aggregate"]["count"]}))
}

/// `order_by` as RQL writes it: `"col"`, `"+col"`, `"-col"`, or a list of those.
/// `order_by`: `"col"`, `"+col"`, `"-col"`, or `{column, type: asc|desc, nulls: first|last}`,
/// alone or in a list; nulls come last ascending and first descending unless said.
fn rql_order_by(v: &Value) -> Result<Vec<OrderBy>, ApiError> {
    let bad = |m: &str| ApiError::bad_request("parse-failed", m).at("$.order_by");
    rasura_ir::value::as_list(v)
        .into_iter()
        .map(|item| {
            let (col, desc, nulls) = match &item {
                Value::String(s) => match s.strip_prefix('-') {
                    Some(c) => (c.to_string(), true, None),
                    None => (s.strip_prefix('+').unwrap_or(s).to_string(), false, None),
                },
                Value::Object(o) => {
                    let col = o.get("column").and_then(Value::as_str);
                    let col = col.ok_or_else(|| bad("key \"column\" not found"))?;
                    let desc = match o.get("type").and_then(Value::as_str) {
                        None | Some("asc") => false,
                        Some("desc") => true,
                        Some(_) => return Err(bad("expecting \"asc\" or \"desc\" for \"type\"")),
                    };
                    let nulls = match o.get("nulls").and_then(Value::as_str) {
                        None => None,
                        Some("first") => Some(true),
                        Some("last") => Some(false),
                        Some(_) => {
                            return Err(bad("expecting \"first\" or \"last\" for \"nulls\""))
                        }
                    };
                    (col.to_string(), desc, nulls)
                }
                _ => return Err(bad("expected a column name")),
            };
            Ok(OrderBy {
                target: OrderTarget::Column(col),
                desc,
                nulls_first: nulls.unwrap_or(desc),
            })
        })
        .collect()
}

/// Runs a translated select and returns its JSON.
async fn run_select(ctx: &ControlTx<'_>, select: &Select) -> Result<Value, ApiError> {
    let t = rasura_translate::translate_select(
        select,
        rasura_translate::Options {
            stringify_numeric: ctx.stringify_numeric,
        },
    );
    let sql = rasura_sql::print(&t.select).sql;
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
