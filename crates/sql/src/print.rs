//! The one place SQL text is produced. Identifiers are quoted by [`quote_ident`]; user values
//! never appear in the text, only `$n` parameters.

use std::fmt::Write;

use crate::ast::{
    Alias, Dml, Expr, From, NativePart, OrderItem, Select, SelectItem, TypeName, With,
};

/// A printed statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Printed {
    pub sql: String,
}

/// Prints a statement.
pub fn print(select: &Select) -> Printed {
    let mut out = String::new();
    select_sql(&mut out, select);
    Printed { sql: out }
}

/// Prints a data-modifying statement with its result query.
pub fn print_with(with: &With) -> Printed {
    let mut out = String::from("WITH ");
    alias_sql(&mut out, &with.name);
    out.push_str(" AS (");
    dml_sql(&mut out, &with.dml);
    out.push_str(" RETURNING *");
    if with.returning_ctid {
        out.push_str(", ctid AS \"__ctid\"");
    }
    out.push_str(") ");
    select_sql(&mut out, &with.body);
    Printed { sql: out }
}

fn table_alias(out: &mut String, schema: &str, name: &str, alias: &Alias) {
    let _ = write!(out, "{}.{} AS ", quote_ident(schema), quote_ident(name));
    alias_sql(out, alias);
}

fn assignments(out: &mut String, set: &[(String, Expr)]) {
    for (i, (c, e)) in set.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&quote_ident(c));
        out.push_str(" = ");
        expr_sql(out, e);
    }
}

fn dml_sql(out: &mut String, dml: &Dml) {
    match dml {
        Dml::Insert {
            schema,
            name,
            alias,
            columns,
            rows,
            on_conflict,
        } => {
            out.push_str("INSERT INTO ");
            table_alias(out, schema, name, alias);
            if columns.is_empty() {
                out.push_str(" DEFAULT VALUES");
            } else {
                out.push_str(" (");
                let cols: Vec<String> = columns.iter().map(|c| quote_ident(c)).collect();
                out.push_str(&cols.join(", "));
                out.push_str(") VALUES ");
                for (i, row) in rows.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push('(');
                    for (j, v) in row.iter().enumerate() {
                        if j > 0 {
                            out.push_str(", ");
                        }
                        match v {
                            Some(e) => expr_sql(out, e),
                            None => out.push_str("DEFAULT"),
                        }
                    }
                    out.push(')');
                }
            }
            if let Some(oc) = on_conflict {
                let _ = write!(
                    out,
                    " ON CONFLICT ON CONSTRAINT {} ",
                    quote_ident(&oc.constraint)
                );
                if oc.set.is_empty() {
                    out.push_str("DO NOTHING");
                } else {
                    out.push_str("DO UPDATE SET ");
                    assignments(out, &oc.set);
                    if let Some(w) = &oc.where_ {
                        out.push_str(" WHERE ");
                        expr_sql(out, w);
                    }
                }
            }
        }
        Dml::Update {
            schema,
            name,
            alias,
            set,
            where_,
        } => {
            out.push_str("UPDATE ");
            table_alias(out, schema, name, alias);
            out.push_str(" SET ");
            assignments(out, set);
            out.push_str(" WHERE ");
            expr_sql(out, where_);
        }
        Dml::Delete {
            schema,
            name,
            alias,
            where_,
        } => {
            out.push_str("DELETE FROM ");
            table_alias(out, schema, name, alias);
            out.push_str(" WHERE ");
            expr_sql(out, where_);
        }
    }
}

/// `"ident"` with inner quotes doubled.
pub fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// `'text'` with inner quotes doubled.
pub fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn type_sql(out: &mut String, t: &TypeName) {
    out.push_str(&quote_ident(&t.schema));
    out.push('.');
    out.push_str(&quote_ident(&t.name));
    if t.array {
        out.push_str("[]");
    }
}

fn alias_sql(out: &mut String, a: &Alias) {
    out.push_str(&quote_ident(&a.0));
}

fn select_sql(out: &mut String, s: &Select) {
    out.push_str("SELECT ");
    if !s.distinct_on.is_empty() {
        out.push_str("DISTINCT ON (");
        list(out, &s.distinct_on, expr_sql);
        out.push_str(") ");
    }
    if s.items.is_empty() {
        out.push('1');
    }
    for (i, item) in s.items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        match item {
            SelectItem::Expr(e, name) => {
                expr_sql(out, e);
                if let Some(n) = name {
                    out.push_str(" AS ");
                    out.push_str(&quote_ident(n));
                }
            }
            SelectItem::Star(a) => {
                alias_sql(out, a);
                out.push_str(".*");
            }
        }
    }
    if let Some(f) = &s.from {
        out.push_str(" FROM ");
        match f {
            From::Table {
                schema,
                name,
                alias,
            } => {
                let _ = write!(out, "{}.{} AS ", quote_ident(schema), quote_ident(name));
                alias_sql(out, alias);
            }
            From::Subquery { select, alias } => {
                out.push('(');
                select_sql(out, select);
                out.push_str(") AS ");
                alias_sql(out, alias);
            }
            From::Cte { name, alias } => {
                alias_sql(out, name);
                out.push_str(" AS ");
                alias_sql(out, alias);
            }
            From::Native { parts, alias } => {
                out.push('(');
                for p in parts {
                    match p {
                        NativePart::Text(t) => out.push_str(t),
                        NativePart::Param(e) => expr_sql(out, e),
                    }
                }
                out.push_str(") AS ");
                alias_sql(out, alias);
            }
            From::Function {
                schema,
                name,
                args,
                alias,
            } => {
                let _ = write!(out, "{}.{}(", quote_ident(schema), quote_ident(name));
                list(out, args, expr_sql);
                out.push_str(") AS ");
                alias_sql(out, alias);
            }
        }
    }
    if let Some(w) = &s.where_ {
        out.push_str(" WHERE ");
        expr_sql(out, w);
    }
    if !s.order_by.is_empty() {
        out.push_str(" ORDER BY ");
        order_sql(out, &s.order_by);
    }
    if let Some(l) = s.limit {
        let _ = write!(out, " LIMIT {l}");
    }
    if let Some(o) = s.offset {
        let _ = write!(out, " OFFSET {o}");
    }
}

fn order_sql(out: &mut String, items: &[OrderItem]) {
    for (i, o) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        expr_sql(out, &o.expr);
        out.push_str(if o.desc { " DESC" } else { " ASC" });
        out.push_str(if o.nulls_first {
            " NULLS FIRST"
        } else {
            " NULLS LAST"
        });
    }
}

fn list<T>(out: &mut String, items: &[T], f: fn(&mut String, &T)) {
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        f(out, x);
    }
}

fn joined(out: &mut String, items: &[Expr], sep: &str) {
    out.push('(');
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        expr_sql(out, x);
    }
    out.push(')');
}

fn expr_sql(out: &mut String, e: &Expr) {
    match e {
        Expr::Column(a, c) => {
            alias_sql(out, a);
            out.push('.');
            out.push_str(&quote_ident(c));
        }
        Expr::Row(a) => alias_sql(out, a),
        Expr::Param { index, cast } => {
            let _ = write!(out, "${index}::text");
            if let Some(t) = cast {
                out.push_str("::");
                type_sql(out, t);
            }
        }
        Expr::Str(s) => out.push_str(&quote_literal(s)),
        Expr::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Expr::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Expr::Null => out.push_str("NULL"),
        Expr::Default => out.push_str("DEFAULT"),
        Expr::Named(name, value) => {
            out.push_str(&quote_ident(name));
            out.push_str(" => ");
            expr_sql(out, value);
        }
        Expr::Call { schema, name, args } => {
            let _ = write!(out, "{}.{}(", quote_ident(schema), quote_ident(name));
            list(out, args, expr_sql);
            out.push(')');
        }
        Expr::Func(name, args) => {
            out.push_str(name);
            out.push('(');
            list(out, args, expr_sql);
            out.push(')');
        }
        Expr::Count { distinct, args } => {
            out.push_str("count(");
            if *distinct {
                out.push_str("DISTINCT ");
            }
            match args.len() {
                0 => out.push('*'),
                1 => expr_sql(out, &args[0]),
                _ => {
                    out.push('(');
                    list(out, args, expr_sql);
                    out.push(')');
                }
            }
            out.push(')');
        }
        Expr::JsonAgg { expr, order_by } => {
            out.push_str("json_agg(");
            expr_sql(out, expr);
            if !order_by.is_empty() {
                out.push_str(" ORDER BY ");
                order_sql(out, order_by);
            }
            out.push(')');
        }
        Expr::Window { func, order_by } => {
            let _ = write!(out, "{func} OVER (");
            if !order_by.is_empty() {
                out.push_str("ORDER BY ");
                order_sql(out, order_by);
            }
            out.push(')');
        }
        Expr::BinOp(l, op, r) => {
            out.push('(');
            expr_sql(out, l);
            let _ = write!(out, " {op} ");
            expr_sql(out, r);
            out.push(')');
        }
        Expr::AnyAll {
            left,
            op,
            all,
            right,
        } => {
            out.push('(');
            expr_sql(out, left);
            let _ = write!(out, " {op} {} (", if *all { "ALL" } else { "ANY" });
            expr_sql(out, right);
            out.push_str("))");
        }
        Expr::And(items) => joined(out, items, " AND "),
        Expr::Or(items) => joined(out, items, " OR "),
        Expr::Not(x) => {
            out.push_str("(NOT ");
            expr_sql(out, x);
            out.push(')');
        }
        Expr::IsNull(x, negated) => {
            out.push('(');
            expr_sql(out, x);
            out.push_str(if *negated {
                " IS NOT NULL)"
            } else {
                " IS NULL)"
            });
        }
        Expr::Exists(s) => {
            out.push_str("EXISTS (");
            select_sql(out, s);
            out.push(')');
        }
        Expr::Subquery(s) => {
            out.push('(');
            select_sql(out, s);
            out.push(')');
        }
        Expr::Cast(x, t) => {
            out.push('(');
            expr_sql(out, x);
            out.push_str(")::");
            type_sql(out, t);
        }
        Expr::Coalesce(items) => {
            out.push_str("coalesce");
            joined(out, items, ", ");
        }
        Expr::Case {
            when,
            then,
            otherwise,
        } => {
            out.push_str("CASE WHEN ");
            expr_sql(out, when);
            out.push_str(" THEN ");
            expr_sql(out, then);
            out.push_str(" ELSE ");
            expr_sql(out, otherwise);
            out.push_str(" END");
        }
        Expr::RowToJson(pairs) => {
            out.push_str("row_to_json((SELECT \"_e\" FROM (SELECT ");
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                expr_sql(out, v);
                out.push_str(" AS ");
                out.push_str(&quote_ident(k));
            }
            out.push_str(") AS \"_e\"))");
        }
        Expr::JsonObject(pairs) => {
            out.push_str("json_build_object(");
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&quote_literal(k));
                out.push_str(", ");
                expr_sql(out, v);
            }
            out.push(')');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_identifiers_and_literals() {
        let a = Alias("_0".into());
        let s = Select {
            items: vec![SelectItem::Expr(
                Expr::JsonObject(vec![("it's".into(), Expr::col(&a, "we\"ird"))]),
                Some("root".into()),
            )],
            from: Some(From::Table {
                schema: "public".into(),
                name: "Album".into(),
                alias: a.clone(),
            }),
            where_: Some(Expr::eq(
                Expr::col(&a, "id"),
                Expr::Param {
                    index: 1,
                    cast: Some(TypeName::pg("int4")),
                },
            )),
            ..Default::default()
        };
        assert_eq!(
            print(&s).sql,
            "SELECT json_build_object('it''s', \"_0\".\"we\"\"ird\") AS \"root\" FROM \"public\".\"Album\" AS \"_0\" \
             WHERE (\"_0\".\"id\" = $1::text::\"pg_catalog\".\"int4\")"
        );
    }
}
