//! Relay connections → SQL: one statement. The filtered, ordered rows (`base`) are numbered
//! over the whole set (`row_number`, `count(*) OVER ()`) with each row's cursor; the cursor
//! split (`after`/`before`, compared as JSON values item by item) and the slice
//! (`first`/`last`) cut the page; one aggregate over the page gives the edges in order and the
//! page info (previous/next pages exist when the page does not start at row 1 or end at the
//! last row of the whole set, as in Hasura). Global ids and cursors are base64 of PostgreSQL's
//! JSON text, as Hasura writes them.

use rasura_ir::{ConnField, Connection, EdgeField, OrderBy, PageField};
use rasura_sql::{Alias, Expr, From, OrderItem, Select as SqlSelect, SelectItem, TypeName};

use crate::cx::{Cx, Options};
use crate::query::{base64_of, empty_array, json_object, root_statement, Parent, Translated};

/// Translates one `<t>_connection` root field.
pub fn translate_connection(c: &Connection, options: Options) -> Translated {
    root_statement(options, |cx| cx.connection_json(c, None))
}

/// A value at a key path.
type AtPath<'a> = (&'a [String], Expr);

/// A JSON object of `values` at their `paths` (items sharing a first key nest together).
fn nested_object(items: Vec<AtPath<'_>>) -> Expr {
    let mut pairs: Vec<(String, Vec<AtPath<'_>>)> = vec![];
    for (path, value) in items {
        let Some((first, rest)) = path.split_first() else {
            continue;
        };
        match pairs.iter_mut().find(|(k, _)| k == first) {
            Some((_, v)) => v.push((rest, value)),
            None => pairs.push((first.clone(), vec![(rest, value)])),
        }
    }
    json_object(
        pairs
            .into_iter()
            .map(|(k, mut v)| {
                let value = if v.len() == 1 && v[0].0.is_empty() {
                    v.remove(0).1
                } else {
                    nested_object(v)
                };
                (k, value)
            })
            .collect(),
    )
}

impl Cx<'_> {
    /// A connection's JSON; `parent` correlates it to a row (a relationship's connection).
    pub(crate) fn connection_json(&mut self, c: &Connection, parent: Parent<'_>) -> Expr {
        let (from, order, rows) = self.base(&c.select, parent);
        let numbered = self.alias();
        let page = self.alias();
        // Each row's cursor: its order-by values under the cursor's keys.
        let values: Vec<AtPath<'_>> = c
            .cursor_keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.as_slice(), Expr::col(&rows, &format!("__order_{i}"))))
            .collect();
        let cursor = base64_of(nested_object(values));
        let numbered_select = SqlSelect {
            items: vec![
                SelectItem::Star(rows.clone()),
                SelectItem::Expr(
                    Expr::Window {
                        func: "row_number()",
                        order_by: order,
                    },
                    Some("__rn".into()),
                ),
                SelectItem::Expr(
                    Expr::Window {
                        func: "count(*)",
                        order_by: vec![],
                    },
                    Some("__total".into()),
                ),
                SelectItem::Expr(cursor, Some("__cursor".into())),
            ],
            from: Some(from),
            ..Default::default()
        };
        // The cursor split, then the slice.
        let where_ = c
            .split
            .as_ref()
            .map(|(after, values)| self.split(&c.select.order_by, values, *after, &numbered));
        let rn = |a: &Alias, desc: bool| OrderItem {
            expr: Expr::col(a, "__rn"),
            desc,
            nulls_first: false,
        };
        let (order_by, limit) = match c.slice {
            Some((true, n)) => (vec![rn(&numbered, false)], Some(n)),
            Some((false, n)) => (vec![rn(&numbered, true)], Some(n)),
            None => (vec![], None),
        };
        let page_select = SqlSelect {
            items: vec![SelectItem::Star(numbered.clone())],
            from: Some(From::Subquery {
                select: Box::new(numbered_select),
                alias: numbered,
            }),
            where_,
            order_by,
            limit,
            ..Default::default()
        };
        // The page's rows carry what the base rows carried (whole rows, shown columns).
        if self.whole_rows.contains(&rows) {
            self.whole_rows.push(page.clone());
        }
        let shown: Vec<(Alias, String)> = self
            .shown
            .iter()
            .filter(|(a, _)| a == &rows)
            .map(|(_, n)| (page.clone(), n.clone()))
            .collect();
        self.shown.extend(shown);
        let mut pairs = vec![];
        for (key, f) in &c.fields {
            let v = match f {
                ConnField::Typename(t) => Expr::Str(t.clone()),
                ConnField::PageInfo(fields) => {
                    let inner = fields
                        .iter()
                        .map(|(k, p)| (k.clone(), page_info(*p, &page)))
                        .collect();
                    json_object(inner)
                }
                ConnField::Edges(fields) => {
                    let mut edge = vec![];
                    for (k, e) in fields {
                        let v = match e {
                            EdgeField::Typename(t) => Expr::Str(t.clone()),
                            EdgeField::Cursor => Expr::col(&page, "__cursor"),
                            EdgeField::Node(node) => self.row_json(node, &page),
                        };
                        edge.push((k.clone(), v));
                    }
                    Expr::Coalesce(vec![
                        Expr::JsonAgg {
                            expr: Box::new(json_object(edge)),
                            order_by: vec![rn(&page, false)],
                        },
                        empty_array(),
                    ])
                }
            };
            pairs.push((key.clone(), v));
        }
        Expr::Subquery(Box::new(SqlSelect {
            items: vec![SelectItem::Expr(json_object(pairs), None)],
            from: Some(From::Subquery {
                select: Box::new(page_select),
                alias: page,
            }),
            ..Default::default()
        }))
    }

    /// Rows past (`after`) or before the cursor's `values`, item by item:
    /// `(c1 op v1) OR (c1 = v1 AND ((c2 op v2) OR (c2 = v2 AND ... FALSE)))`, the values
    /// compared as JSON (`to_jsonb`), `op` by each item's direction.
    fn split(
        &mut self,
        order: &[OrderBy],
        values: &[serde_json::Value],
        after: bool,
        rows: &Alias,
    ) -> Expr {
        let mut acc = Expr::Bool(false);
        for (i, (o, v)) in order.iter().zip(values).enumerate().rev() {
            let column = Expr::func("to_jsonb", vec![Expr::col(rows, &format!("__order_{i}"))]);
            let value = self
                .params
                .push(Some(v.to_string()), Some(TypeName::pg("jsonb")));
            let op = if after != o.desc { ">" } else { "<" };
            let past = Expr::BinOp(Box::new(column.clone()), op, Box::new(value.clone()));
            let equal = Expr::eq(column, value);
            acc = Expr::Or(vec![past, Expr::And(vec![equal, acc])]);
        }
        acc
    }
}

/// A page-info value over the page's rows of `page`.
fn page_info(p: PageField, page: &Alias) -> Expr {
    let rn = || Expr::col(page, "__rn");
    let cursors = |index: i64| {
        let agg = Expr::JsonAgg {
            expr: Box::new(Expr::col(page, "__cursor")),
            order_by: vec![OrderItem {
                expr: rn(),
                desc: false,
                nulls_first: false,
            }],
        };
        Expr::BinOp(Box::new(agg), "->>", Box::new(Expr::Int(index)))
    };
    match p {
        PageField::Typename => Expr::Str("PageInfo".into()),
        PageField::StartCursor => cursors(0),
        PageField::EndCursor => cursors(-1),
        PageField::HasPreviousPage => Expr::Coalesce(vec![
            Expr::BinOp(
                Box::new(Expr::func("min", vec![rn()])),
                ">",
                Box::new(Expr::Int(1)),
            ),
            Expr::Bool(false),
        ]),
        PageField::HasNextPage => Expr::Coalesce(vec![
            Expr::BinOp(
                Box::new(Expr::func("max", vec![rn()])),
                "<",
                Box::new(Expr::func("max", vec![Expr::col(page, "__total")])),
            ),
            Expr::Bool(false),
        ]),
    }
}
