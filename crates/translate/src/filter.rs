//! Boolean expressions → SQL conditions over a table alias.

use rasura_ir::{AggregateFunction, BoolExp, ColumnRef, CompareOp};
use rasura_metadata::QualifiedName;
use rasura_sql::{Alias, Expr, From, Select, SelectItem, TypeName};
use serde_json::Value;

use crate::cx::Cx;
use crate::params::{array_literal, value_text, Params};

impl Cx<'_> {
    /// The condition `exp` over rows of `alias`.
    pub(crate) fn bool_exp(&mut self, exp: &BoolExp, alias: &Alias) -> Expr {
        self.bool_exp_rooted(exp, alias, alias)
    }

    /// As [`Cx::bool_exp`], with `root` the row a permission rule starts from (`["$", col]`).
    fn bool_exp_rooted(&mut self, exp: &BoolExp, alias: &Alias, root: &Alias) -> Expr {
        match exp {
            BoolExp::Rooted(e) => self.bool_exp_rooted(e, alias, alias),
            BoolExp::ComputedRelated { call, exp, .. } => {
                let inner = self.alias();
                let source = self.call(call, &Expr::Row(alias.clone()));
                let cond = self.bool_exp_rooted(exp, &inner, root);
                let Expr::Call { schema, name, args } = source else {
                    unreachable!("call builds a Call")
                };
                Expr::Exists(Box::new(Select {
                    items: vec![SelectItem::Expr(Expr::Int(1), None)],
                    from: Some(From::Function {
                        schema,
                        name,
                        args,
                        alias: inner,
                    }),
                    where_: Some(cond),
                    ..Default::default()
                }))
            }
            BoolExp::Exists { table, exp } => {
                let inner = self.alias();
                let cond = self.bool_exp_rooted(exp, &inner, root);
                Expr::Exists(Box::new(Select {
                    items: vec![SelectItem::Expr(Expr::Int(1), None)],
                    from: Some(From::Table {
                        schema: table.schema.clone(),
                        name: table.name.clone(),
                        alias: inner,
                    }),
                    where_: Some(cond),
                    ..Default::default()
                }))
            }
            BoolExp::CompareColumns {
                column,
                op,
                other,
                root: from_root,
            } => {
                let left = Expr::col(alias, &column.name);
                let right = Expr::col(if *from_root { root } else { alias }, other);
                let sym = match op {
                    CompareOp::Eq => "=",
                    CompareOp::Neq => "<>",
                    CompareOp::Gt => ">",
                    CompareOp::Gte => ">=",
                    CompareOp::Lt => "<",
                    _ => "<=",
                };
                Expr::BinOp(Box::new(left), sym, Box::new(right))
            }
            BoolExp::True => Expr::Bool(true),
            BoolExp::And(items) => Expr::and(
                items
                    .iter()
                    .map(|e| self.bool_exp_rooted(e, alias, root))
                    .collect(),
            ),
            BoolExp::Or(items) => Expr::or(
                items
                    .iter()
                    .map(|e| self.bool_exp_rooted(e, alias, root))
                    .collect(),
            ),
            BoolExp::Not(inner) => Expr::Not(Box::new(self.bool_exp_rooted(inner, alias, root))),
            BoolExp::IsNull { column, is_null } => Expr::IsNull(
                Box::new(self.column_value(column, alias, &Expr::Row(alias.clone()))),
                !is_null,
            ),
            BoolExp::Compare {
                column,
                cast,
                op,
                value,
            } => {
                let mut left = self.column_value(column, alias, &Expr::Row(alias.clone()));
                if *cast {
                    left = Expr::Cast(Box::new(left), column_type(column));
                }
                compare(self.params, left, column, *op, value)
            }
            BoolExp::Related {
                table,
                mapping,
                exp,
            } => {
                let inner = self.alias();
                let cond = self.bool_exp_rooted(exp, &inner, root);
                Expr::Exists(Box::new(correlated_select(
                    Expr::Int(1),
                    table,
                    mapping,
                    alias,
                    inner,
                    cond,
                )))
            }
            BoolExp::AggregatePredicate {
                function,
                table,
                mapping,
                columns,
                distinct,
                filter,
                predicate,
            } => {
                let inner = self.alias();
                let cond = self.bool_exp(filter, &inner);
                let args = columns.iter().map(|c| Expr::col(&inner, c)).collect();
                // `distinct` changes nothing for bool_and/bool_or, so only count takes it.
                let value = match function {
                    AggregateFunction::Count => Expr::Count {
                        distinct: *distinct,
                        args,
                    },
                    f => Expr::Func(f.name().to_string(), args),
                };
                let value = Expr::Subquery(Box::new(correlated_select(
                    value, table, mapping, alias, inner, cond,
                )));
                self.predicate(predicate, &value)
            }
        }
    }

    /// A predicate over a computed value (the IR gives it with an empty column name).
    fn predicate(&mut self, exp: &BoolExp, subject: &Expr) -> Expr {
        match exp {
            BoolExp::And(items) => {
                Expr::and(items.iter().map(|e| self.predicate(e, subject)).collect())
            }
            BoolExp::Compare {
                column, op, value, ..
            } => compare(self.params, subject.clone(), column, *op, value),
            BoolExp::IsNull { is_null, .. } => Expr::IsNull(Box::new(subject.clone()), !is_null),
            _ => Expr::Bool(true),
        }
    }
}

/// `child.col = parent.col` for each mapped pair (parent column, child column).
/// `SELECT item FROM table AS inner WHERE <inner joined to outer by mapping> AND cond`: the
/// correlated subquery behind relationship filters, counts and order-by targets.
pub(crate) fn correlated_select(
    item: Expr,
    table: &QualifiedName,
    mapping: &[(String, String)],
    outer: &Alias,
    inner: Alias,
    cond: Expr,
) -> Select {
    let mut conds = join_condition(mapping, outer, &inner);
    conds.push(cond);
    Select {
        items: vec![SelectItem::Expr(item, None)],
        from: Some(From::Table {
            schema: table.schema.clone(),
            name: table.name.clone(),
            alias: inner,
        }),
        where_: Some(Expr::and(conds)),
        ..Default::default()
    }
}

pub(crate) fn join_condition(
    mapping: &[(String, String)],
    parent: &Alias,
    child: &Alias,
) -> Vec<Expr> {
    mapping
        .iter()
        .map(|(p, c)| Expr::eq(Expr::col(child, c), Expr::col(parent, p)))
        .collect()
}

fn column_type(c: &ColumnRef) -> TypeName {
    TypeName::new(&c.type_schema, &c.type_name)
}

/// A GeoJSON value (an object, or its text from a session variable) as the column's type.
pub(crate) fn geo_value(params: &mut Params, column: &ColumnRef, value: &Value) -> Expr {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let p = params.push(Some(text), Some(TypeName::pg("text")));
    Expr::Cast(
        Box::new(Expr::func("ST_GeomFromGeoJSON", vec![p])),
        column_type(column),
    )
}

/// A GeoJSON value compared with `left`: without a `crs` it is read in the SRID of the value
/// it is compared with (PostGIS would assume 4326, and refuse to compare it with SRID 0 data);
/// with a `crs`, as given.
fn geo_operand(params: &mut Params, column: &ColumnRef, value: &Value, left: &Expr) -> Expr {
    let has_crs = match value {
        Value::Object(m) => m.contains_key("crs"),
        Value::String(s) => s.contains("\"crs\""),
        _ => false,
    };
    let shape = geo_value(params, column, value);
    if has_crs {
        return shape;
    }
    let Expr::Cast(geometry, ty) = shape else {
        return shape;
    };
    let srid = Expr::func("ST_SRID", vec![left.clone()]);
    Expr::Cast(
        Box::new(Expr::func("ST_SetSRID", vec![*geometry, srid])),
        ty,
    )
}

fn compare(
    params: &mut Params,
    left: Expr,
    column: &ColumnRef,
    op: CompareOp,
    value: &Value,
) -> Expr {
    use CompareOp::*;
    let ty = column_type(column);
    let bin = |params: &mut Params, sym: &'static str, cast: TypeName| {
        // The value's text form follows the type it is cast to (a `_has_key` key is plain text).
        let as_type = if cast.name == "text" {
            "text"
        } else {
            column.type_name.as_str()
        };
        let right = params.push(value_text(value, as_type), Some(cast));
        Expr::BinOp(Box::new(left.clone()), sym, Box::new(right))
    };
    match op {
        Eq => bin(params, "=", ty),
        Neq => bin(params, "<>", ty),
        Gt => bin(params, ">", ty),
        Gte => bin(params, ">=", ty),
        Lt => bin(params, "<", ty),
        Lte => bin(params, "<=", ty),
        Like => bin(params, "LIKE", ty),
        Nlike => bin(params, "NOT LIKE", ty),
        Ilike => bin(params, "ILIKE", ty),
        Nilike => bin(params, "NOT ILIKE", ty),
        Similar => bin(params, "SIMILAR TO", ty),
        Nsimilar => bin(params, "NOT SIMILAR TO", ty),
        Regex => bin(params, "~", ty),
        Nregex => bin(params, "!~", ty),
        Iregex => bin(params, "~*", ty),
        Niregex => bin(params, "!~*", ty),
        Contains => bin(params, "@>", TypeName::pg("jsonb")),
        ContainedIn => bin(params, "<@", TypeName::pg("jsonb")),
        HasKey => bin(params, "?", TypeName::pg("text")),
        StContains | StCrosses | StEquals | StIntersects | StOverlaps | StTouches | StWithin
        | St3dIntersects => {
            let f = match op {
                StContains => "ST_Contains",
                StCrosses => "ST_Crosses",
                StEquals => "ST_Equals",
                StIntersects => "ST_Intersects",
                StOverlaps => "ST_Overlaps",
                StTouches => "ST_Touches",
                StWithin => "ST_Within",
                _ => "ST_3DIntersects",
            };
            let shape = geo_operand(params, column, value, &left);
            Expr::func(f, vec![left, shape])
        }
        StDWithin | St3dDWithin => {
            let from = geo_operand(
                params,
                column,
                value.get("from").unwrap_or(&Value::Null),
                &left,
            );
            let distance = params.push(
                value.get("distance").and_then(|d| value_text(d, "float8")),
                Some(TypeName::pg("float8")),
            );
            let mut args = vec![left, from, distance];
            let f = if op == StDWithin {
                "ST_DWithin"
            } else {
                "ST_3DDWithin"
            };
            if op == StDWithin && column.type_name == "geography" {
                let spheroid = value
                    .get("use_spheroid")
                    .cloned()
                    .unwrap_or(Value::Bool(true));
                args.push(params.push(value_text(&spheroid, "bool"), Some(TypeName::pg("bool"))));
            }
            Expr::func(f, args)
        }
        Ancestor | Descendant | Matches | MatchesFulltext => {
            let (sym, ty) = match op {
                Ancestor => ("@>", "ltree"),
                Descendant => ("<@", "ltree"),
                Matches => ("~", "lquery"),
                _ => ("@", "ltxtquery"),
            };
            let right = params.push(
                value_text(value, "text"),
                Some(TypeName::new(&column.type_schema, ty)),
            );
            Expr::BinOp(Box::new(left), sym, Box::new(right))
        }
        AncestorAny | DescendantAny | MatchesAny => {
            let (sym, ty) = match op {
                AncestorAny => ("@>", "ltree"),
                DescendantAny => ("<@", "ltree"),
                _ => ("?", "lquery"),
            };
            let right = params.push(
                Some(array_literal(&list(value))),
                Some(TypeName::new(&column.type_schema, ty).array_of()),
            );
            Expr::BinOp(Box::new(left), sym, Box::new(right))
        }
        HasKeysAny | HasKeysAll => {
            let items = list(value);
            let right = params.push(
                Some(array_literal(&items)),
                Some(TypeName::pg("text").array_of()),
            );
            let sym = if op == HasKeysAny { "?|" } else { "?&" };
            Expr::BinOp(Box::new(left), sym, Box::new(right))
        }
        In | Nin => {
            let texts: Vec<Value> = list(value)
                .iter()
                .map(|v| value_text(v, &column.type_name).map_or(Value::Null, Value::String))
                .collect();
            let right = params.push(Some(array_literal(&texts)), Some(ty.array_of()));
            let any = Expr::AnyAll {
                left: Box::new(left),
                op: "=",
                all: false,
                right: Box::new(right),
            };
            if op == In {
                any
            } else {
                Expr::Not(Box::new(any))
            }
        }
    }
}

fn list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items.clone(),
        Value::Null => vec![],
        other => vec![other.clone()],
    }
}

impl Cx<'_> {
    /// The value of a column, or of a computed field called on `row` (the whole row).
    pub(crate) fn column_value(&mut self, c: &ColumnRef, alias: &Alias, row: &Expr) -> Expr {
        match &c.computed {
            None => Expr::col(alias, &c.name),
            Some(call) => self.call(call, row),
        }
    }

    /// `"schema"."f"(…row…, session)`.
    pub(crate) fn call(&mut self, call: &rasura_ir::ComputedCall, row: &Expr) -> Expr {
        // Up to the last argument given: later ones keep their defaults.
        let last = call
            .args
            .iter()
            .map(|(p, ..)| *p)
            .chain([call.table_argument])
            .chain(call.session_argument)
            .max()
            .unwrap_or(0);
        let args = (0..call.arity.min(last + 1))
            .map(|i| {
                if i == call.table_argument {
                    row.clone()
                } else if Some(i) == call.session_argument {
                    self.params
                        .push(Some(call.session.clone()), Some(TypeName::pg("json")))
                } else if let Some((_, schema, ty, v)) = call.args.iter().find(|a| a.0 == i) {
                    self.params
                        .push(value_text(v, ty), Some(TypeName::new(schema, ty)))
                } else {
                    Expr::Null
                }
            })
            .collect();
        Expr::Call {
            schema: call.function.schema.clone(),
            name: call.function.name.clone(),
            args,
        }
    }
}
