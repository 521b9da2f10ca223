//! A role's permissions applied to the IR: row filters (with session variables) on every read,
//! including relationships, relationship filters and orderings; row limits; insert and update
//! checks and presets; delete filters.

use rasura_schema::RoleSchema;
use serde_json::Value;

use crate::bool_exp::normalize_legacy;
use crate::build::{column_ref, Cx};
use crate::error::IrError;
use crate::types::{BoolExp, ColumnRef, CompareOp, OrderBy, OrderTarget, Session};
use crate::value::as_list;

impl Cx<'_> {
    fn perms(&self, table: usize) -> Option<&rasura_schema::RolePerms> {
        self.schema.tables[table].perms.as_deref()
    }

    /// The select filter of `table` for this session (`True` for admin).
    pub(crate) fn select_filter(&self, table: usize) -> Result<BoolExp, IrError> {
        select_filter(self.schema, self.session, table)
    }

    /// The columns of `table` this session sees only where a condition holds, with the
    /// condition (none for admin and for roles that are not inherited).
    pub(crate) fn redactions(&self, table: usize) -> Result<Vec<(String, BoolExp)>, IrError> {
        redactions(self.schema, self.session, table)
    }

    /// The select permission's row limit.
    pub(crate) fn select_limit(&self, table: usize) -> Option<u64> {
        self.perms(table)
            .and_then(|p| p.select.as_ref())
            .and_then(|s| s.limit)
    }

    /// `filter AND perm`, simplified when either is `True`.
    pub(crate) fn and_filter(&self, perm: BoolExp, user: BoolExp) -> BoolExp {
        and_filter(perm, user)
    }

    /// Adds the target tables' select filters to relationship conditions of a user's `where`.
    pub(crate) fn with_target_perms(&self, exp: BoolExp) -> Result<BoolExp, IrError> {
        with_target_perms(self.schema, self.session, exp)
    }

    fn filter_of(&self, table: &rasura_metadata::QualifiedName) -> Result<BoolExp, IrError> {
        filter_of(self.schema, self.session, table)
    }

    /// Orderings through relationships only see rows the role may select.
    pub(crate) fn order_with_perms(&self, order: Vec<OrderBy>) -> Result<Vec<OrderBy>, IrError> {
        fn fill(cx: &Cx<'_>, t: OrderTarget) -> Result<OrderTarget, IrError> {
            Ok(match t {
                OrderTarget::Related {
                    table,
                    mapping,
                    inner,
                    ..
                } => {
                    let filter = Box::new(cx.filter_of(&table)?);
                    OrderTarget::Related {
                        table,
                        mapping,
                        filter,
                        inner: Box::new(fill(cx, *inner)?),
                    }
                }
                OrderTarget::Aggregate {
                    table,
                    mapping,
                    op,
                    column,
                    ..
                } => {
                    let filter = Box::new(cx.filter_of(&table)?);
                    OrderTarget::Aggregate {
                        table,
                        mapping,
                        filter,
                        op,
                        column,
                    }
                }
                c => c,
            })
        }
        order
            .into_iter()
            .map(|o| {
                Ok(OrderBy {
                    target: fill(self, o.target)?,
                    ..o
                })
            })
            .collect()
    }
}

/// The columns of `table` the session sees only where a condition holds, with the condition
/// (an inherited role's columns that only some parents allow; none for other roles).
pub fn redactions(
    schema: &RoleSchema,
    session: &Session,
    table: usize,
) -> Result<Vec<(String, BoolExp)>, IrError> {
    let Some(p) = schema.tables[table].perms.as_ref() else {
        return Ok(vec![]);
    };
    let mut out = vec![];
    for (column, cond) in &p.redactions {
        let cond = parse_permission_exp(schema, session, table, cond, "$")?;
        out.push((column.clone(), cond));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Parses a permission rule of `table`: Postgres column names, relationships, `_exists`,
/// column comparisons, and session variables as values.
pub fn parse_permission_exp(
    schema: &RoleSchema,
    session: &Session,
    table: usize,
    v: &Value,
    path: &str,
) -> Result<BoolExp, IrError> {
    parse(schema, session, table, &normalize_legacy(v), path)
}

fn parse(
    schema: &RoleSchema,
    session: &Session,
    table: usize,
    v: &Value,
    path: &str,
) -> Result<BoolExp, IrError> {
    let Value::Object(m) = v else {
        return Ok(BoolExp::True);
    };
    let info = &schema.tables[table];
    let mut parts = vec![];
    for (key, value) in m {
        let here = format!("{path}.{key}");
        let list = |v: &Value| -> Result<Vec<BoolExp>, IrError> {
            as_list(v)
                .into_iter()
                .map(|x| parse(schema, session, table, x, &here))
                .collect()
        };
        match key.as_str() {
            "_and" => parts.push(BoolExp::And(list(value)?)),
            "_or" => parts.push(BoolExp::Or(list(value)?)),
            "_not" => parts.push(BoolExp::Not(Box::new(parse(
                schema, session, table, value, &here,
            )?))),
            "_exists" => {
                let target: rasura_metadata::QualifiedName =
                    serde_json::from_value(value.get("_table").cloned().unwrap_or_default())
                        .map_err(|e| IrError::new(&here, e.to_string()))?;
                let exp = match schema.table_index.get(&target) {
                    Some(&t) => parse(
                        schema,
                        session,
                        t,
                        value.get("_where").unwrap_or(&Value::Null),
                        &here,
                    )?,
                    None => {
                        return Err(IrError::new(
                            &here,
                            format!("table \"{target}\" is not tracked"),
                        ))
                    }
                };
                parts.push(BoolExp::Exists {
                    table: target,
                    exp: Box::new(exp),
                });
            }
            name => {
                if let Some(col) = info.columns.get(name) {
                    parts.extend(comparisons(session, column_ref(col), value, &here)?);
                } else if let Some(r) = info.relationships.get(name) {
                    parts.push(BoolExp::Related {
                        table: schema.tables[r.target].name.clone(),
                        mapping: r.mapping.clone(),
                        exp: Box::new(parse(schema, session, r.target, value, &here)?),
                    });
                } else if let Some(c) = info.computed.get(name) {
                    match (c.scalar.is_some(), c.returns_table) {
                        (true, _) => parts.extend(comparisons(
                            session,
                            crate::build::computed_ref(c, session),
                            value,
                            &here,
                        )?),
                        (false, Some(t)) => parts.push(BoolExp::ComputedRelated {
                            call: crate::build::computed_call(c, session),
                            table: schema.tables[t].name.clone(),
                            exp: Box::new(parse(schema, session, t, value, &here)?),
                        }),
                        _ => {}
                    }
                } else {
                    return Err(IrError::new(
                        &here,
                        format!(
                            "no column or relationship \"{name}\" in table \"{}\"",
                            info.name
                        ),
                    ));
                }
            }
        }
    }
    Ok(match parts.len() {
        0 => BoolExp::True,
        1 => parts.pop().expect("one"),
        _ => BoolExp::And(parts),
    })
}

fn comparisons(
    session: &Session,
    column: ColumnRef,
    v: &Value,
    path: &str,
) -> Result<Vec<BoolExp>, IrError> {
    let Value::Object(ops) = v else {
        // `{"col": value}` is shorthand for `_eq` (normally rewritten already).
        let value = session_value(session, v, false)?;
        return Ok(vec![BoolExp::Compare {
            column,
            cast: false,
            op: CompareOp::Eq,
            value,
        }]);
    };
    let mut out = vec![];
    for (op, value) in ops {
        let here = format!("{path}.{op}");
        let column_op = match op.as_str() {
            "_ceq" => Some(CompareOp::Eq),
            "_cne" | "_cneq" => Some(CompareOp::Neq),
            "_cgt" => Some(CompareOp::Gt),
            "_cgte" => Some(CompareOp::Gte),
            "_clt" => Some(CompareOp::Lt),
            "_clte" => Some(CompareOp::Lte),
            _ => None,
        };
        if let Some(cop) = column_op {
            let (other, root) = match value {
                Value::String(c) => (c.clone(), false),
                Value::Array(items) if items.len() == 2 && items[0] == "$" => {
                    (items[1].as_str().unwrap_or_default().to_string(), true)
                }
                _ => {
                    return Err(IrError::new(
                        &here,
                        "expected a column name or [\"$\", column]",
                    ))
                }
            };
            out.push(BoolExp::CompareColumns {
                column: column.clone(),
                op: cop,
                other,
                root,
            });
            continue;
        }
        match op.as_str() {
            "_is_null" => out.push(BoolExp::IsNull {
                column: column.clone(),
                is_null: value.as_bool().unwrap_or(false),
            }),
            "_cast" => {
                if let Some(inner) = value.get("String") {
                    let text = ColumnRef {
                        type_schema: "pg_catalog".into(),
                        type_name: "text".into(),
                        ..column.clone()
                    };
                    for e in comparisons(session, text, inner, &here)? {
                        if let BoolExp::Compare {
                            column, op, value, ..
                        } = e
                        {
                            out.push(BoolExp::Compare {
                                column,
                                cast: true,
                                op,
                                value,
                            });
                        } else {
                            out.push(e);
                        }
                    }
                }
            }
            _ => {
                let Some(cmp) = CompareOp::parse(op) else {
                    return Err(IrError::new(&here, format!("unexpected operator \"{op}\"")));
                };
                let list_op = matches!(
                    cmp,
                    CompareOp::In | CompareOp::Nin | CompareOp::HasKeysAny | CompareOp::HasKeysAll
                );
                let value = match (cmp, value) {
                    // `{distance, from}`: either may be a session variable.
                    (CompareOp::StDWithin | CompareOp::St3dDWithin, Value::Object(m)) => {
                        let mut resolved = serde_json::Map::new();
                        for (k, v) in m {
                            resolved.insert(k.clone(), session_value(session, v, false)?);
                        }
                        Value::Object(resolved)
                    }
                    _ => session_value(session, value, list_op)?,
                };
                out.push(BoolExp::Compare {
                    column: column.clone(),
                    cast: false,
                    op: cmp,
                    value,
                });
            }
        }
    }
    Ok(out)
}

/// A value with session-variable references replaced by the session's values; for list
/// operators a variable holds a Postgres array literal (`{a,b}`), read into a list.
/// A missing variable is reported at `$`, as Hasura does, not at the permission's key.
fn session_value(session: &Session, v: &Value, list: bool) -> Result<Value, IrError> {
    match v {
        Value::String(s) if s.to_ascii_lowercase().starts_with("x-hasura-") => {
            let found = session.var(s).ok_or_else(|| {
                IrError::new(
                    "$",
                    format!("missing session variables: \"{}\"", s.to_ascii_lowercase()),
                )
                .with_code("not-found")
            })?;
            if list {
                Ok(Value::Array(
                    parse_pg_array(found)
                        .into_iter()
                        .map(Value::String)
                        .collect(),
                ))
            } else {
                Ok(Value::String(found.to_string()))
            }
        }
        Value::Array(items) => Ok(Value::Array(
            items
                .iter()
                .map(|i| session_value(session, i, false))
                .collect::<Result<_, _>>()?,
        )),
        other => Ok(other.clone()),
    }
}

/// A permission preset's value: the session variable it names, or the value as given.
pub fn preset_value(session: &Session, v: &Value) -> Result<Value, IrError> {
    session_value(session, v, false)
}

/// The elements of a one-dimensional Postgres array literal, e.g. `{a,"b c"}`; a JSON list
/// (`["a","b"]`) is accepted too.
pub fn parse_pg_array(text: &str) -> Vec<String> {
    if let Ok(Value::Array(items)) = serde_json::from_str::<Value>(text) {
        return items
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .collect();
    }
    let inner = text.trim().trim_start_matches('{').trim_end_matches('}');
    let mut out = vec![];
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = inner.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            ',' if !quoted => out.push(std::mem::take(&mut cur).trim().to_string()),
            c => cur.push(c),
        }
    }
    if any {
        out.push(cur.trim().to_string());
    }
    out
}

/// Mutation permissions: checks, filters and presets.
impl Cx<'_> {
    fn rule(&self, table: usize, rule: Option<&Value>) -> Result<Option<BoolExp>, IrError> {
        match rule {
            Some(v) => parse_permission_exp(self.schema, self.session, table, v, "$").map(Some),
            None => Ok(None),
        }
    }

    /// The insert permission's check (`None` for admin).
    pub(crate) fn insert_check(&self, table: usize) -> Result<Option<BoolExp>, IrError> {
        let check = self
            .perms(table)
            .and_then(|p| p.insert.as_ref())
            .map(|i| &i.check);
        self.rule(table, check)
    }

    /// The update permission's check.
    pub(crate) fn update_check(&self, table: usize) -> Result<Option<BoolExp>, IrError> {
        let check = self
            .perms(table)
            .and_then(|p| p.update.as_ref())
            .and_then(|u| u.check.as_ref());
        self.rule(table, check)
    }

    /// The update permission's row filter.
    pub(crate) fn update_perm_filter(&self, table: usize) -> Result<BoolExp, IrError> {
        let filter = self
            .perms(table)
            .and_then(|p| p.update.as_ref())
            .map(|u| &u.filter);
        Ok(self.rule(table, filter)?.unwrap_or(BoolExp::True))
    }

    /// The user's filter narrowed by the update permission.
    pub(crate) fn update_filter(&self, table: usize, user: BoolExp) -> Result<BoolExp, IrError> {
        Ok(self.and_filter(self.update_perm_filter(table)?, user))
    }

    /// The user's filter narrowed by the delete permission.
    pub(crate) fn delete_filter(&self, table: usize, user: BoolExp) -> Result<BoolExp, IrError> {
        let filter = self
            .perms(table)
            .and_then(|p| p.delete.as_ref())
            .map(|d| &d.filter);
        Ok(self.and_filter(self.rule(table, filter)?.unwrap_or(BoolExp::True), user))
    }

    fn presets(
        &self,
        table: usize,
        set: Option<&serde_json::Map<String, Value>>,
    ) -> Result<Vec<(ColumnRef, Value)>, IrError> {
        let Some(set) = set else { return Ok(vec![]) };
        let info = &self.schema.tables[table];
        set.iter()
            .filter_map(|(col, v)| info.columns.get(col).map(|c| (c, v)))
            .map(|(c, v)| {
                let value = session_value(self.session, v, false).map_err(|mut e| {
                    // Hasura words a preset's missing variable in the singular.
                    e.message = e.message.replacen(
                        "missing session variables:",
                        "missing session variable:",
                        1,
                    );
                    e
                })?;
                Ok((column_ref(c), value))
            })
            .collect()
    }

    /// Columns the insert permission sets, with session variables resolved.
    pub(crate) fn insert_presets(&self, table: usize) -> Result<Vec<(ColumnRef, Value)>, IrError> {
        self.presets(
            table,
            self.perms(table)
                .and_then(|p| p.insert.as_ref())
                .map(|i| &i.set),
        )
    }

    /// Columns the update permission sets.
    pub(crate) fn update_presets(&self, table: usize) -> Result<Vec<(ColumnRef, Value)>, IrError> {
        self.presets(
            table,
            self.perms(table)
                .and_then(|p| p.update.as_ref())
                .map(|u| &u.set),
        )
    }
}

/// `perm AND user`, simplified when either is `True`.
pub fn and_filter(perm: BoolExp, user: BoolExp) -> BoolExp {
    match (perm, user) {
        (BoolExp::True, u) => u,
        (p, BoolExp::True) => p,
        (p, u) => BoolExp::And(vec![p, u]),
    }
}

/// A target table's permission rule, rooted at the target's row.
fn rooted(perm: BoolExp) -> BoolExp {
    match perm {
        BoolExp::True => BoolExp::True,
        other => BoolExp::Rooted(Box::new(other)),
    }
}

/// Adds the target tables' select filters (rooted at the target's row) to the relationship
/// conditions of a user's `where`, so that a role cannot find rows through a relationship that
/// it may not select.
pub fn with_target_perms(
    schema: &RoleSchema,
    session: &Session,
    exp: BoolExp,
) -> Result<BoolExp, IrError> {
    let recurse = |e: BoolExp| with_target_perms(schema, session, e);
    // A condition on rows of `table`, limited to the rows the role may select there.
    let guarded = |table: &rasura_metadata::QualifiedName, e: BoolExp| {
        let inner = recurse(e)?;
        let perm = rooted(filter_of(schema, session, table)?);
        Ok::<_, IrError>(Box::new(and_filter(perm, inner)))
    };
    Ok(match exp {
        BoolExp::And(items) => {
            BoolExp::And(items.into_iter().map(&recurse).collect::<Result<_, _>>()?)
        }
        BoolExp::Or(items) => {
            BoolExp::Or(items.into_iter().map(&recurse).collect::<Result<_, _>>()?)
        }
        BoolExp::Not(e) => BoolExp::Not(Box::new(recurse(*e)?)),
        BoolExp::Related {
            table,
            mapping,
            exp,
        } => BoolExp::Related {
            exp: guarded(&table, *exp)?,
            table,
            mapping,
        },
        BoolExp::ComputedRelated { call, table, exp } => BoolExp::ComputedRelated {
            exp: guarded(&table, *exp)?,
            call,
            table,
        },
        BoolExp::AggregatePredicate {
            function,
            table,
            mapping,
            columns,
            distinct,
            filter,
            predicate,
        } => BoolExp::AggregatePredicate {
            filter: guarded(&table, *filter)?,
            function,
            table,
            mapping,
            columns,
            distinct,
            predicate,
        },
        other => other,
    })
}

/// The select filter of `table` for this session (`True` for admin, nothing for a role
/// without a select permission).
pub fn select_filter(
    schema: &RoleSchema,
    session: &Session,
    table: usize,
) -> Result<BoolExp, IrError> {
    match schema.tables[table].perms.as_ref() {
        None => Ok(BoolExp::True),
        Some(p) => match &p.select {
            Some(s) => parse_permission_exp(schema, session, table, &s.filter, "$"),
            None => Ok(BoolExp::Or(vec![])),
        },
    }
}

fn filter_of(
    schema: &RoleSchema,
    session: &Session,
    table: &rasura_metadata::QualifiedName,
) -> Result<BoolExp, IrError> {
    match schema.table_index.get(table) {
        Some(&t) => select_filter(schema, session, t),
        None => Ok(BoolExp::True),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_pg_array;

    #[test]
    fn array_literals() {
        assert_eq!(parse_pg_array("{Camilla,DSP}"), vec!["Camilla", "DSP"]);
        assert_eq!(parse_pg_array("{\"a b\",\"c,d\"}"), vec!["a b", "c,d"]);
        assert_eq!(parse_pg_array("{}"), Vec::<String>::new());
        assert_eq!(parse_pg_array("[\"x\", 2]"), vec!["x", "2"]);
    }

    #[test]
    fn exists_where_is_normalised() {
        let v = crate::bool_exp::normalize_legacy(
            &serde_json::json!({"_exists": {"_table": "user", "_where": {"id": "X-Hasura-User-Id"}}}),
        );
        assert_eq!(
            v["_exists"]["_where"]["id"],
            serde_json::json!({"_eq": "X-Hasura-User-Id"})
        );
    }
}
