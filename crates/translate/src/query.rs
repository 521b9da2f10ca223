//! Selects → SQL: rows, single objects and aggregates, nested through relationships.

use rasura_ir::{AggField, AggOp, BoolExp, Field, OpField, OrderBy, OrderTarget, Select, Shape};
use rasura_native_queries::Part;
use rasura_sql::{
    Alias, Expr, From, NativePart, OrderItem, Select as SqlSelect, SelectItem, TypeName,
};

use crate::cx::{Cx, Options};
use crate::filter::{correlated_select, join_condition};
use crate::params::{array_literal, value_text, Params};

/// A statement that returns one row with one text column: the root field's JSON.
#[derive(Debug, Clone)]
pub struct Translated {
    pub select: SqlSelect,
    pub params: Params,
}

/// Translates one root field's select.
pub fn translate_select(select: &Select, options: Options) -> Translated {
    root_statement(options, |cx| cx.select_json(select, None))
}

/// The statement answering one root field: `SELECT (<json>)::text AS root`, `json` made by
/// `make` with the statement's parameters.
pub(crate) fn root_statement(
    options: Options,
    make: impl FnOnce(&mut Cx<'_>) -> Expr,
) -> Translated {
    let mut params = Params::default();
    let mut cx = Cx::new(&mut params, options);
    let json = make(&mut cx);
    Translated {
        select: SqlSelect {
            items: vec![SelectItem::Expr(
                Expr::Cast(Box::new(json), TypeName::pg("text")),
                Some("root".into()),
            )],
            ..Default::default()
        },
        params,
    }
}

/// The row set a nested select is joined to: (parent alias, mapping).
pub(crate) type Parent<'a> = Option<(&'a Alias, &'a [(String, String)])>;

impl Cx<'_> {
    /// A scalar subquery yielding the select's JSON.
    fn select_json(&mut self, select: &Select, parent: Parent<'_>) -> Expr {
        match &select.shape {
            Shape::Single(fields) => {
                let base = self.alias();
                let where_ = self.base_where(select, &base, parent);
                let row = self.row_json(fields, &base);
                Expr::Subquery(Box::new(SqlSelect {
                    items: vec![SelectItem::Expr(row, None)],
                    from: Some(self.table_from(select, base, parent)),
                    where_: (where_ != Expr::Bool(true)).then_some(where_),
                    limit: parent.map(|_| 1),
                    ..Default::default()
                }))
            }
            Shape::Rows(fields) => {
                let (from, order, row_alias) = self.base(select, parent);
                let row = self.row_json(fields, &row_alias);
                let agg = Expr::JsonAgg {
                    expr: Box::new(row),
                    order_by: order,
                };
                Expr::Subquery(Box::new(SqlSelect {
                    items: vec![SelectItem::Expr(
                        Expr::Coalesce(vec![agg, empty_array()]),
                        None,
                    )],
                    from: Some(from),
                    ..Default::default()
                }))
            }
            Shape::Aggregate(fields) => {
                let (from, order, row_alias) = self.base(select, parent);
                let mut pairs = vec![];
                for (key, f) in fields {
                    let v = match f {
                        AggField::Typename(t) => Expr::Str(t.clone()),
                        AggField::Nodes(nodes) => match select.nodes_limit {
                            None => {
                                let row = self.row_json(nodes, &row_alias);
                                Expr::Coalesce(vec![
                                    Expr::JsonAgg {
                                        expr: Box::new(row),
                                        order_by: order.clone(),
                                    },
                                    empty_array(),
                                ])
                            }
                            // The role's row limit: the nodes read the rows again, limited.
                            Some(n) => {
                                let limited = Select {
                                    limit: Some(n),
                                    nodes_limit: None,
                                    ..select.clone()
                                };
                                let (from, order, row_alias) = self.base(&limited, parent);
                                let row = self.row_json(nodes, &row_alias);
                                Expr::Subquery(Box::new(SqlSelect {
                                    items: vec![SelectItem::Expr(
                                        Expr::Coalesce(vec![
                                            Expr::JsonAgg {
                                                expr: Box::new(row),
                                                order_by: order,
                                            },
                                            empty_array(),
                                        ]),
                                        None,
                                    )],
                                    from: Some(from),
                                    ..Default::default()
                                }))
                            }
                        },
                        AggField::Aggregate(ops) => self.aggregate_ops(ops, &row_alias),
                    };
                    pairs.push((key.clone(), v));
                }
                Expr::Subquery(Box::new(SqlSelect {
                    items: vec![SelectItem::Expr(json_object(pairs), None)],
                    from: Some(from),
                    ..Default::default()
                }))
            }
        }
    }

    fn base_where(&mut self, select: &Select, base: &Alias, parent: Parent<'_>) -> Expr {
        let mut conds = match parent {
            Some((p, mapping)) => join_condition(mapping, p, base),
            None => vec![],
        };
        conds.push(self.bool_exp(&select.filter, base));
        Expr::and(conds)
    }

    /// The filtered, ordered, limited rows as a subquery `FROM (...) AS row_alias`, with the
    /// order-by values as extra columns so the JSON aggregate can keep the order.
    pub(crate) fn base(
        &mut self,
        select: &Select,
        parent: Parent<'_>,
    ) -> (From, Vec<OrderItem>, Alias) {
        let base = self.alias();
        let row_alias = self.alias();
        let where_ = self.base_where(select, &base, parent);
        // Only the columns the response needs leave the base query; a column the role sees
        // only on some rows leaves it null on the others.
        let mut items: Vec<SelectItem> = vec![];
        for c in needed_columns(&select.shape) {
            let value = Expr::col(&base, &c);
            let value = match select.redactions.iter().find(|(name, _)| *name == c) {
                Some((_, cond)) => self.shown_where(value, cond, &base),
                None => value,
            };
            items.push(SelectItem::Expr(value, Some(c)));
        }
        // A computed field the role sees only on some rows: whether it shows, per row.
        for (name, cond) in &select.redactions {
            if computed_names(&select.shape).contains(&name.as_str()) {
                let shown = self.bool_exp(cond, &base);
                items.push(SelectItem::Expr(shown, Some(format!("__shown_{name}"))));
                self.shown.push((row_alias.clone(), name.clone()));
            }
        }
        if needs_whole_row(&select.shape) {
            items.push(SelectItem::Expr(
                Expr::Row(base.clone()),
                Some("__row".into()),
            ));
            self.whole_rows.push(row_alias.clone());
        }
        let mut base_order = vec![];
        let mut outer_order = vec![];
        let mut distinct_on = vec![];
        // A value hidden on some rows is NULL there, for DISTINCT ON and ORDER BY too; one
        // expression (one set of parameters) per column, as DISTINCT ON must match ORDER BY.
        let mut hidden: Vec<(String, Expr)> = vec![];
        for d in &select.distinct_on {
            let value = Expr::col(&base, d);
            distinct_on.push(match select.redactions.iter().find(|(n, _)| n == d) {
                Some((_, cond)) => {
                    let e = self.shown_where(value, cond, &base);
                    hidden.push((d.clone(), e.clone()));
                    e
                }
                None => value,
            });
        }
        // DISTINCT ON needs its columns to lead the ORDER BY.
        if !distinct_on.is_empty() && select.order_by.is_empty() {
            for d in &distinct_on {
                base_order.push(OrderItem {
                    expr: d.clone(),
                    desc: false,
                    nulls_first: false,
                });
            }
        }
        for (i, ob) in select.order_by.iter().enumerate() {
            let mut expr = self.order_expr(&ob.target, &base);
            // A column hidden on some rows sorts as NULL there, as it shows.
            let target = match &ob.target {
                OrderTarget::Column(c) => Some(c.as_str()),
                OrderTarget::Computed(call) => Some(call.field.as_str()),
                _ => None,
            };
            let known = target.and_then(|h| hidden.iter().find(|(n, _)| n == h));
            if let Some((_, e)) = known {
                expr = e.clone();
            } else if let Some((_, cond)) =
                target.and_then(|h| select.redactions.iter().find(|(n, _)| n == h))
            {
                expr = self.shown_where(expr, cond, &base);
            }
            let name = format!("__order_{i}");
            items.push(SelectItem::Expr(expr.clone(), Some(name.clone())));
            base_order.push(order_item(expr, ob));
            outer_order.push(order_item(Expr::col(&row_alias, &name), ob));
        }
        let inner = SqlSelect {
            distinct_on,
            items,
            from: Some(self.table_from(select, base, parent)),
            where_: (where_ != Expr::Bool(true)).then_some(where_),
            order_by: base_order,
            limit: select.limit,
            offset: select.offset,
        };
        (
            From::Subquery {
                select: Box::new(inner),
                alias: row_alias.clone(),
            },
            outer_order,
            row_alias,
        )
    }

    /// `value` where `cond` holds on the row of `alias`, NULL elsewhere (a column the role
    /// sees only on some rows).
    fn shown_where(&mut self, value: Expr, cond: &BoolExp, alias: &Alias) -> Expr {
        Expr::Case {
            when: Box::new(self.bool_exp(cond, alias)),
            then: Box::new(value),
            otherwise: Box::new(Expr::Null),
        }
    }

    fn order_expr(&mut self, target: &OrderTarget, alias: &Alias) -> Expr {
        match target {
            OrderTarget::Column(c) => Expr::col(alias, c),
            OrderTarget::Computed(call) => self.call(call, &Expr::Row(alias.clone())),
            OrderTarget::Related {
                table,
                mapping,
                filter,
                inner,
            } => {
                let a = self.alias();
                let value = self.order_expr(inner, &a);
                let cond = self.bool_exp(filter, &a);
                Expr::Subquery(Box::new(SqlSelect {
                    limit: Some(1),
                    ..correlated_select(value, table, mapping, alias, a, cond)
                }))
            }
            OrderTarget::Aggregate {
                table,
                mapping,
                filter,
                op,
                column,
            } => {
                let a = self.alias();
                let cond = self.bool_exp(filter, &a);
                let value = match (op.as_str(), column) {
                    ("count", _) | (_, None) => Expr::Count {
                        distinct: false,
                        args: vec![],
                    },
                    (op, Some(c)) => Expr::func(op, vec![Expr::col(&a, c)]),
                };
                Expr::Subquery(Box::new(correlated_select(
                    value, table, mapping, alias, a, cond,
                )))
            }
        }
    }

    /// The JSON object of one row of `alias`.
    pub(crate) fn row_json(&mut self, fields: &[(String, Field)], alias: &Alias) -> Expr {
        let mut pairs = vec![];
        for (key, f) in fields {
            let v = match f {
                Field::Typename(t) => Expr::Str(t.clone()),
                Field::Column {
                    column,
                    path,
                    upper,
                } => {
                    let row = if self.whole_rows.contains(alias) {
                        Expr::col(alias, "__row")
                    } else {
                        Expr::Row(alias.clone())
                    };
                    let mut v = self.column_value(column, alias, &row);
                    // GeoJSON as Hasura prints it: 15 digits, the CRS as a long URN.
                    if matches!(column.type_name.as_str(), "geometry" | "geography") {
                        v = Expr::Cast(
                            Box::new(Expr::func(
                                "ST_AsGeoJSON",
                                vec![v, Expr::Int(15), Expr::Int(4)],
                            )),
                            TypeName::pg("json"),
                        );
                    }
                    if column.computed.is_some()
                        && self
                            .shown
                            .iter()
                            .any(|(a, n)| a == alias && *n == column.name)
                    {
                        v = Expr::Case {
                            when: Box::new(Expr::col(alias, &format!("__shown_{}", column.name))),
                            then: Box::new(v),
                            otherwise: Box::new(Expr::Null),
                        };
                    }
                    if let Some(path) = path {
                        let items: Vec<serde_json::Value> = path
                            .iter()
                            .map(|p| serde_json::Value::String(p.clone()))
                            .collect();
                        let p = self.params.push(
                            Some(array_literal(&items)),
                            Some(TypeName::pg("text").array_of()),
                        );
                        v = Expr::BinOp(Box::new(v), "#>", Box::new(p));
                    } else if self.options.stringify_numeric && stringified(&column.type_name) {
                        v = Expr::Cast(Box::new(v), TypeName::pg("text"));
                    }
                    if *upper {
                        v = Expr::Func("upper".into(), vec![v]);
                    }
                    v
                }
                Field::Relationship { mapping, select } => {
                    self.select_json(select, Some((alias, mapping)))
                }
                Field::Connection {
                    mapping,
                    connection,
                } => self.connection_json(connection, Some((alias, mapping))),
                Field::NodeId { table, primary_key } => {
                    let mut items = vec![
                        Expr::Int(1),
                        Expr::Str(table.schema.clone()),
                        Expr::Str(table.name.clone()),
                    ];
                    items.extend(primary_key.iter().map(|c| Expr::col(alias, &c.name)));
                    base64_of(Expr::func("json_build_array", items))
                }
                Field::RemoteJoin(_) | Field::SourceJoin(_) => {
                    let (id, lhs) = f.placeholder().expect("a join placeholder");
                    let row = if self.whole_rows.contains(alias) {
                        Expr::col(alias, "__row")
                    } else {
                        Expr::Row(alias.clone())
                    };
                    let lhs = lhs
                        .iter()
                        .map(|c| (c.name.clone(), self.column_value(c, alias, &row)))
                        .collect();
                    json_object(vec![
                        (
                            rasura_ir::JOIN_MARKER.to_string(),
                            Expr::Str(id.to_string()),
                        ),
                        ("lhs".to_string(), json_object(lhs)),
                    ])
                }
            };
            pairs.push((key.clone(), v));
        }
        json_object(pairs)
    }

    fn aggregate_ops(&mut self, ops: &[(String, AggOp)], alias: &Alias) -> Expr {
        let mut pairs = vec![];
        for (key, op) in ops {
            let v = match op {
                AggOp::Typename(t) => Expr::Str(t.clone()),
                AggOp::Count { columns, distinct } => Expr::Count {
                    distinct: *distinct,
                    args: columns.iter().map(|c| Expr::col(alias, c)).collect(),
                },
                AggOp::Op { op, fields } => {
                    let inner = fields
                        .iter()
                        .map(|(k, f)| {
                            let v = match f {
                                OpField::Typename(t) => Expr::Str(t.clone()),
                                OpField::Column(c) => {
                                    let v = Expr::func(op, vec![Expr::col(alias, &c.name)]);
                                    // avg, stddev, variance... are typed Float.
                                    if matches!(op.as_str(), "sum" | "max" | "min") {
                                        v
                                    } else {
                                        Expr::Cast(Box::new(v), TypeName::pg("float8"))
                                    }
                                }
                            };
                            (k.clone(), v)
                        })
                        .collect();
                    json_object(inner)
                }
            };
            pairs.push((key.clone(), v));
        }
        json_object(pairs)
    }
}

impl Cx<'_> {
    /// A native query's code as a subquery, a fresh parameter (cast to the argument's type)
    /// for each placeholder.
    fn native_from(&mut self, native: &rasura_ir::NativeCall, alias: Alias) -> From {
        let parts = native
            .code
            .parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => NativePart::Text(t.clone()),
                Part::Arg(name) => {
                    let (type_name, value) = native
                        .args
                        .get(name)
                        .cloned()
                        .unwrap_or_else(|| ("text".into(), serde_json::Value::Null));
                    NativePart::Param(self.params.push(
                        value_text(&value, &type_name),
                        Some(TypeName::pg(&type_name)),
                    ))
                }
            })
            .collect();
        From::Native { parts, alias }
    }
}

fn order_item(expr: Expr, ob: &OrderBy) -> OrderItem {
    OrderItem {
        expr,
        desc: ob.desc,
        nulls_first: ob.nulls_first,
    }
}

impl Cx<'_> {
    /// The table, or the function whose rows a select reads (a tracked function, or a computed
    /// field called on the `parent` row).
    fn table_from(&mut self, select: &Select, alias: Alias, parent: Parent<'_>) -> From {
        if let Some(native) = &select.from_native {
            return self.native_from(native, alias);
        }
        match &select.from_function {
            None => From::Table {
                schema: select.table.schema.clone(),
                name: select.table.name.clone(),
                alias,
            },
            Some(f) => From::Function {
                schema: f.function.schema.clone(),
                name: f.function.name.clone(),
                args: f
                    .args
                    .iter()
                    .map(|a| {
                        if a.parent_row {
                            return match parent {
                                Some((p, _)) if self.whole_rows.contains(p) => {
                                    Expr::col(p, "__row")
                                }
                                Some((p, _)) => Expr::Row(p.clone()),
                                None => Expr::Null,
                            };
                        }
                        let value = self.params.push(
                            value_text(&a.value, &a.type_name),
                            Some(TypeName::new(&a.type_schema, &a.type_name)),
                        );
                        match &a.name {
                            Some(name) => Expr::Named(name.clone(), Box::new(value)),
                            None => value,
                        }
                    })
                    .collect(),
                alias,
            },
        }
    }
}

/// The columns a shape reads from its rows (fields, relationship keys, aggregated columns).
fn needed_columns(shape: &Shape) -> Vec<String> {
    fn fields(out: &mut Vec<String>, fields: &[(String, Field)]) {
        for (_, f) in fields {
            match f {
                Field::Column { column, .. } if column.computed.is_none() => {
                    out.push(column.name.clone())
                }
                Field::Relationship { mapping, .. } | Field::Connection { mapping, .. } => {
                    out.extend(mapping.iter().map(|(p, _)| p.clone()))
                }
                Field::NodeId { primary_key, .. } => {
                    out.extend(primary_key.iter().map(|c| c.name.clone()))
                }
                Field::RemoteJoin(_) | Field::SourceJoin(_) => {
                    let (_, lhs) = f.placeholder().expect("a join placeholder");
                    out.extend(
                        lhs.iter()
                            .filter(|c| c.computed.is_none())
                            .map(|c| c.name.clone()),
                    )
                }
                _ => {}
            }
        }
    }
    let mut out = vec![];
    match shape {
        Shape::Rows(f) | Shape::Single(f) => fields(&mut out, f),
        Shape::Aggregate(items) => {
            for (_, item) in items {
                match item {
                    AggField::Nodes(n) => fields(&mut out, n),
                    AggField::Aggregate(ops) => {
                        for (_, op) in ops {
                            match op {
                                AggOp::Count { columns, .. } => out.extend(columns.iter().cloned()),
                                AggOp::Op { fields, .. } => {
                                    out.extend(fields.iter().filter_map(|(_, f)| match f {
                                        OpField::Column(c) => Some(c.name.clone()),
                                        OpField::Typename(_) => None,
                                    }))
                                }
                                AggOp::Typename(_) => {}
                            }
                        }
                    }
                    AggField::Typename(_) => {}
                }
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|c| seen.insert(c.clone()));
    out
}

/// The computed fields a shape's rows show.
fn computed_names(shape: &Shape) -> Vec<&str> {
    let fields: Vec<&(String, Field)> = match shape {
        Shape::Rows(f) | Shape::Single(f) => f.iter().collect(),
        Shape::Aggregate(items) => items
            .iter()
            .filter_map(|(_, i)| match i {
                AggField::Nodes(n) => Some(n.iter()),
                _ => None,
            })
            .flatten()
            .collect(),
    };
    fields
        .into_iter()
        .filter_map(|(_, f)| match f {
            Field::Column { column, .. } if column.computed.is_some() => Some(column.name.as_str()),
            _ => None,
        })
        .collect()
}

/// Whether row fields call computed fields (which need the whole row).
fn needs_whole_row(shape: &Shape) -> bool {
    let calls = |fields: &[(String, Field)]| {
        fields.iter().any(|(_, f)| match f {
            Field::Column { column, .. } => column.computed.is_some(),
            Field::Relationship { select, .. } => select
                .from_function
                .as_ref()
                .is_some_and(|c| c.args.iter().any(|a| a.parent_row)),
            _ => false,
        })
    };
    match shape {
        Shape::Rows(f) | Shape::Single(f) => calls(f),
        Shape::Aggregate(a) => a
            .iter()
            .any(|(_, f)| matches!(f, AggField::Nodes(n) if calls(n))),
    }
}

pub(crate) fn empty_array() -> Expr {
    Expr::Cast(Box::new(Expr::Str("[]".into())), TypeName::pg("json"))
}

/// `json_build_object` takes at most 100 arguments; wider objects are built in chunks... by a
/// row constructor instead, which keeps key order.
pub(crate) fn json_object(pairs: Vec<(String, Expr)>) -> Expr {
    if pairs.len() <= 50 {
        Expr::JsonObject(pairs)
    } else {
        Expr::RowToJson(pairs)
    }
}

fn stringified(type_name: &str) -> bool {
    matches!(type_name, "int8" | "numeric" | "float8" | "money")
}

/// `regexp_replace(encode(convert_to(json::text, 'UTF8'), 'base64'), E'\n', '', 'g')`.
pub(crate) fn base64_of(json: Expr) -> Expr {
    let text = Expr::Cast(Box::new(json), TypeName::pg("text"));
    let bytes = Expr::func("convert_to", vec![text, Expr::Str("UTF8".into())]);
    let encoded = Expr::func("encode", vec![bytes, Expr::Str("base64".into())]);
    Expr::func(
        "regexp_replace",
        vec![
            encoded,
            Expr::Str("\n".into()),
            Expr::Str(String::new()),
            Expr::Str("g".into()),
        ],
    )
}
