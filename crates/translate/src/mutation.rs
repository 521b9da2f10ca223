//! Mutations → SQL: one statement per root field, the write in a data-modifying CTE and the
//! response built from its `RETURNING` rows. Nested inserts run row by row
//! ([`insert_row`]) and answer with [`rows_by_ctid`].

use rasura_ir::{
    BoolExp, ColumnRef, InsertRow, Mutation, MutationKind, MutationOutput, OnConflict,
    ResponseField, UpdateOp,
};
use rasura_metadata::QualifiedName;
use rasura_sql::{
    excluded, Alias, Dml, Expr, From, OnConflict as SqlOnConflict, Select, SelectItem, TypeName,
    With,
};
use serde_json::Value;

use crate::cx::{Cx, Options};
use crate::params::{value_text, Params};
use crate::query::{empty_array, json_object};

/// A translated statement: a plain query, or a write with its result query.
#[derive(Debug, Clone)]
pub enum Statement {
    Select(Box<Select>),
    With(Box<With>),
}

/// A statement and its parameters.
#[derive(Debug, Clone)]
pub struct TranslatedStatement {
    pub statement: Statement,
    pub params: Params,
}

impl TranslatedStatement {
    /// The SQL text.
    pub fn sql(&self) -> String {
        match &self.statement {
            Statement::Select(s) => rasura_sql::print(s).sql,
            Statement::With(w) => rasura_sql::print_with(w).sql,
        }
    }
}

fn cte() -> Alias {
    Alias("_m".into())
}

fn column_type(c: &ColumnRef) -> TypeName {
    TypeName::new(&c.type_schema, &c.type_name)
}

/// A value for a column: a text parameter cast to its type (GeoJSON through `ST_GeomFromGeoJSON`).
fn value_expr(params: &mut Params, c: &ColumnRef, v: &Value) -> Expr {
    if matches!(c.type_name.as_str(), "geometry" | "geography") && v.is_object() {
        return crate::filter::geo_value(params, c, v);
    }
    params.push(value_text(v, &c.type_name), Some(column_type(c)))
}

/// Translates a mutation without nested inserts.
pub fn translate_mutation(m: &Mutation, options: Options) -> TranslatedStatement {
    let mut params = Params::default();
    let mut cx = Cx::new(&mut params, options);
    let target = cx.alias();
    let dml = match &m.kind {
        MutationKind::Insert {
            rows, on_conflict, ..
        } if !rows.is_empty() => Some(insert_dml(
            &mut cx,
            &m.table,
            &target,
            rows,
            &[],
            on_conflict.as_ref(),
        )),
        MutationKind::Update { filter, set, .. } if !set.is_empty() => {
            let set = set
                .iter()
                .map(|(c, op, v)| (c.name.clone(), update_expr(cx.params, &target, c, *op, v)))
                .collect();
            let where_ = cx.bool_exp(filter, &target);
            Some(Dml::Update {
                schema: m.table.schema.clone(),
                name: m.table.name.clone(),
                alias: target,
                set,
                where_,
            })
        }
        MutationKind::Delete { filter } => {
            let where_ = cx.bool_exp(filter, &target);
            Some(Dml::Delete {
                schema: m.table.schema.clone(),
                name: m.table.name.clone(),
                alias: target,
                where_,
            })
        }
        // Nothing to write: no rows, no update operator.
        _ => None,
    };
    let statement = match dml {
        Some(dml) => {
            let json = response(&mut cx, &m.output, Source::Cte, &m.returning_filter);
            let (check, failed) = match &m.kind {
                MutationKind::Insert { check, .. } => (check.as_ref(), INSERT_CHECK_FAILED),
                MutationKind::Update { check, .. } => (check.as_ref(), UPDATE_CHECK_FAILED),
                MutationKind::Delete { .. } => (None, ""),
            };
            let body = checked_select(&mut cx, json, check, failed);
            Statement::With(Box::new(With {
                name: cte(),
                dml,
                returning_ctid: false,
                body,
            }))
        }
        None => Statement::Select(Box::new(text_select(response(
            &mut cx,
            &m.output,
            Source::Nothing,
            &m.returning_filter,
        )))),
    };
    TranslatedStatement { statement, params }
}

/// Where a response's rows come from.
enum Source<'a> {
    /// The `RETURNING` rows of the statement's CTE.
    Cte,
    /// No rows at all.
    Nothing,
    /// Rows of `table` found by `ctid` (`$ctids`, in that order), with a known row count.
    Ctids {
        table: &'a QualifiedName,
        ctids: Expr,
        affected: Expr,
    },
}

/// The JSON answering `output` from `source`.
fn response(
    cx: &mut Cx<'_>,
    output: &MutationOutput,
    source: Source<'_>,
    visible: &BoolExp,
) -> Expr {
    let rows_from =
        |cx: &mut Cx<'_>, row: Alias| -> (From, Option<Expr>, Vec<rasura_sql::OrderItem>) {
            let only_visible = cx.bool_exp(visible, &row);
            match &source {
                Source::Cte | Source::Nothing => (
                    From::Cte {
                        name: cte(),
                        alias: row,
                    },
                    Some(only_visible),
                    vec![],
                ),
                Source::Ctids { table, ctids, .. } => {
                    let ctid = Expr::col(&row, "ctid");
                    let cond = Expr::AnyAll {
                        left: Box::new(ctid.clone()),
                        op: "=",
                        all: false,
                        right: Box::new(ctids.clone()),
                    };
                    let order = rasura_sql::OrderItem {
                        expr: Expr::func("array_position", vec![ctids.clone(), ctid]),
                        desc: false,
                        nulls_first: false,
                    };
                    (
                        From::Table {
                            schema: table.schema.clone(),
                            name: table.name.clone(),
                            alias: row,
                        },
                        Some(Expr::and(vec![cond, only_visible])),
                        vec![order],
                    )
                }
            }
        };
    match output {
        MutationOutput::Single(fields) => {
            if matches!(source, Source::Nothing) {
                return Expr::Null;
            }
            let row = cx.alias();
            let value = cx.row_json(fields, &row);
            let (from, where_, _) = rows_from(cx, row);
            Expr::Subquery(Box::new(Select {
                items: vec![SelectItem::Expr(value, None)],
                from: Some(from),
                where_,
                limit: Some(1),
                ..Default::default()
            }))
        }
        MutationOutput::Response(fields) => {
            let mut pairs = vec![];
            for (key, f) in fields {
                let v = match f {
                    ResponseField::Typename(t) => Expr::Str(t.clone()),
                    ResponseField::AffectedRows => match &source {
                        Source::Nothing => Expr::Int(0),
                        Source::Ctids { affected, .. } => affected.clone(),
                        Source::Cte => Expr::Subquery(Box::new(Select {
                            items: vec![SelectItem::Expr(
                                Expr::Count {
                                    distinct: false,
                                    args: vec![],
                                },
                                None,
                            )],
                            from: Some(From::Cte {
                                name: cte(),
                                alias: Alias("_c".into()),
                            }),
                            ..Default::default()
                        })),
                    },
                    ResponseField::Returning(row_fields) => {
                        if matches!(source, Source::Nothing) {
                            empty_array()
                        } else {
                            let row = cx.alias();
                            let value = cx.row_json(row_fields, &row);
                            let (from, where_, order_by) = rows_from(cx, row);
                            let agg = Expr::JsonAgg {
                                expr: Box::new(value),
                                order_by,
                            };
                            Expr::Subquery(Box::new(Select {
                                items: vec![SelectItem::Expr(
                                    Expr::Coalesce(vec![agg, empty_array()]),
                                    None,
                                )],
                                from: Some(from),
                                where_,
                                ..Default::default()
                            }))
                        }
                    }
                };
                pairs.push((key.clone(), v));
            }
            json_object(pairs)
        }
    }
}

/// The messages of a failed insert or update check, as Hasura words them.
const INSERT_CHECK_FAILED: &str = "insert check constraint failed";
const UPDATE_CHECK_FAILED: &str = "update check constraint failed";

/// The result query, failing the statement when a written row breaks `check`.
fn checked_select(cx: &mut Cx<'_>, json: Expr, check: Option<&BoolExp>, failed: &str) -> Select {
    let Some(check) = check else {
        return text_select(json);
    };
    let k = cx.alias();
    let holds = Expr::Coalesce(vec![cx.bool_exp(check, &k), Expr::Bool(false)]);
    let violated = Expr::Exists(Box::new(Select {
        items: vec![SelectItem::Expr(Expr::Int(1), None)],
        from: Some(From::Cte {
            name: cte(),
            alias: k,
        }),
        where_: Some(Expr::Not(Box::new(holds))),
        ..Default::default()
    }));
    let fail = Expr::func(
        "hdb_catalog.check_violation",
        vec![Expr::Str(failed.into())],
    );
    let text = TypeName::pg("text");
    Select {
        items: vec![SelectItem::Expr(
            Expr::Case {
                when: Box::new(violated),
                then: Box::new(Expr::Cast(Box::new(fail), text.clone())),
                otherwise: Box::new(Expr::Cast(Box::new(json), text)),
            },
            Some("root".into()),
        )],
        ..Default::default()
    }
}

fn text_select(json: Expr) -> Select {
    Select {
        items: vec![SelectItem::Expr(
            Expr::Cast(Box::new(json), TypeName::pg("text")),
            Some("root".into()),
        )],
        ..Default::default()
    }
}

fn insert_dml(
    cx: &mut Cx<'_>,
    table: &QualifiedName,
    target: &Alias,
    rows: &[InsertRow],
    extra: &[(ColumnRef, Value)],
    on_conflict: Option<&OnConflict>,
) -> Dml {
    // Every column given in any row; rows that leave one out take its DEFAULT.
    let mut columns: Vec<ColumnRef> = vec![];
    for row in rows {
        for (c, _) in row.columns.iter().chain(extra) {
            if !columns.iter().any(|x| x.name == c.name) {
                columns.push(c.clone());
            }
        }
    }
    let values = rows
        .iter()
        .map(|row| {
            columns
                .iter()
                .map(|c| {
                    row.columns
                        .iter()
                        .chain(extra)
                        .find(|(x, _)| x.name == c.name)
                        .map(|(x, v)| value_expr(cx.params, x, v))
                })
                .collect()
        })
        .collect();
    // With no column to update the conflict does nothing, and there is no row to filter:
    // the filter's parameters must not be bound either.
    let on_conflict = on_conflict.map(|oc| SqlOnConflict {
        constraint: oc.constraint.clone(),
        set: if oc.update_columns.is_empty() {
            vec![]
        } else {
            oc.update_columns
                .iter()
                .filter(|c| !oc.presets.iter().any(|(p, _)| &p.name == *c))
                .map(|c| (c.clone(), excluded(c)))
                .chain(
                    oc.presets
                        .iter()
                        .map(|(p, v)| (p.name.clone(), value_expr(cx.params, p, v))),
                )
                .collect()
        },
        where_: oc
            .filter
            .as_ref()
            .filter(|_| !oc.update_columns.is_empty())
            .map(|f| cx.bool_exp(f, target)),
    });
    Dml::Insert {
        schema: table.schema.clone(),
        name: table.name.clone(),
        alias: target.clone(),
        columns: columns.into_iter().map(|c| c.name).collect(),
        rows: values,
        on_conflict,
    }
}

fn update_expr(
    params: &mut Params,
    target: &Alias,
    c: &ColumnRef,
    op: UpdateOp,
    v: &Value,
) -> Expr {
    let col = Expr::col(target, &c.name);
    let bin = |l: Expr, sym: &'static str, r: Expr| Expr::BinOp(Box::new(l), sym, Box::new(r));
    match op {
        UpdateOp::Set => value_expr(params, c, v),
        UpdateOp::Inc => bin(col, "+", value_expr(params, c, v)),
        UpdateOp::Mul => bin(col, "*", value_expr(params, c, v)),
        UpdateOp::Default => Expr::Default,
        UpdateOp::Append => bin(
            col,
            "||",
            params.push(Some(v.to_string()), Some(TypeName::pg("jsonb"))),
        ),
        UpdateOp::Prepend => bin(
            params.push(Some(v.to_string()), Some(TypeName::pg("jsonb"))),
            "||",
            col,
        ),
        UpdateOp::DeleteKey => bin(
            col,
            "-",
            params.push(value_text(v, "text"), Some(TypeName::pg("text"))),
        ),
        UpdateOp::DeleteElem => bin(
            col,
            "-",
            params.push(value_text(v, "int4"), Some(TypeName::pg("int4"))),
        ),
        UpdateOp::DeleteAtPath => {
            let items = match v {
                Value::Array(items) => items.clone(),
                other => vec![other.clone()],
            };
            bin(
                col,
                "#-",
                params.push(
                    Some(crate::params::array_literal(&items)),
                    Some(TypeName::pg("text").array_of()),
                ),
            )
        }
    }
}

/// One row of a nested insert: returns its `ctid` (with `with_ctid`; NULL otherwise, as for the
/// related rows, which may be views' rows and have none) and the row as JSON (one row, or none
/// when `on_conflict` skipped it). `extra` are foreign-key values taken from related rows.
pub fn insert_row(
    table: &QualifiedName,
    row: &InsertRow,
    extra: &[(ColumnRef, Value)],
    on_conflict: Option<&OnConflict>,
    check: Option<&BoolExp>,
    with_ctid: bool,
) -> TranslatedStatement {
    let mut params = Params::default();
    let mut cx = Cx::new(&mut params, Options::default());
    let target = cx.alias();
    let dml = insert_dml(
        &mut cx,
        table,
        &target,
        std::slice::from_ref(row),
        extra,
        on_conflict,
    );
    let r = Alias("_r".into());
    let body = Select {
        items: vec![
            SelectItem::Expr(
                if with_ctid {
                    Expr::Cast(Box::new(Expr::col(&r, "__ctid")), TypeName::pg("text"))
                } else {
                    Expr::Cast(Box::new(Expr::Null), TypeName::pg("text"))
                },
                None,
            ),
            SelectItem::Expr(
                Expr::Cast(
                    Box::new(Expr::func("row_to_json", vec![Expr::Row(r.clone())])),
                    TypeName::pg("text"),
                ),
                None,
            ),
        ],
        where_: check.map(|c| {
            let holds = Expr::Coalesce(vec![cx.bool_exp(c, &r), Expr::Bool(false)]);
            Expr::Case {
                when: Box::new(Expr::Not(Box::new(holds))),
                then: Box::new(Expr::func(
                    "hdb_catalog.check_violation",
                    vec![Expr::Str(INSERT_CHECK_FAILED.into())],
                )),
                otherwise: Box::new(Expr::Bool(true)),
            }
        }),
        from: Some(From::Cte {
            name: cte(),
            alias: r,
        }),
        ..Default::default()
    };
    TranslatedStatement {
        statement: Statement::With(Box::new(With {
            name: cte(),
            dml,
            returning_ctid: with_ctid,
            body,
        })),
        params,
    }
}

/// The response of a nested insert: the root rows found by `ctid`, in insertion order.
pub fn rows_by_ctid(
    table: &QualifiedName,
    output: &MutationOutput,
    ctids: &[String],
    affected: u64,
    visible: &BoolExp,
    options: Options,
) -> TranslatedStatement {
    let mut params = Params::default();
    // The count is the engine's own: a literal, so that a response without `affected_rows`
    // binds no parameter it does not use.
    let affected = Expr::Int(i64::try_from(affected).unwrap_or(i64::MAX));
    // The rows are read only for `returning` (or the one row): else no parameter either.
    let needs_rows = match output {
        MutationOutput::Single(_) => true,
        MutationOutput::Response(fields) => fields
            .iter()
            .any(|(_, f)| matches!(f, ResponseField::Returning(_))),
    };
    let list: Vec<Value> = ctids.iter().map(|c| Value::String(c.clone())).collect();
    let ctids = if needs_rows {
        params.push(
            Some(crate::params::array_literal(&list)),
            Some(TypeName::pg("tid").array_of()),
        )
    } else {
        Expr::Null
    };
    let mut cx = Cx::new(&mut params, options);
    let json = response(
        &mut cx,
        output,
        Source::Ctids {
            table,
            ctids,
            affected,
        },
        visible,
    );
    TranslatedStatement {
        statement: Statement::Select(Box::new(text_select(json))),
        params,
    }
}
