//! `order_by` and `distinct_on` arguments.

use rasura_naming::{vocab, Naming};
use rasura_schema::{RoleSchema, TableField};
use serde_json::Value;

use crate::error::IrError;
use crate::types::{BoolExp, OrderBy, OrderTarget, Session};
use crate::value::as_list;

/// Parses `order_by` (one object or a list of them; keys in the order written).
pub fn parse_order_by(
    schema: &RoleSchema,
    session: &Session,
    table: usize,
    v: &Value,
    path: &str,
) -> Result<Vec<OrderBy>, IrError> {
    let mut out = vec![];
    for (i, item) in as_list(v).into_iter().enumerate() {
        entries(
            schema,
            session,
            table,
            item,
            &format!("{path}[{i}]"),
            &|t| t,
            &mut out,
        )?;
    }
    Ok(out)
}

fn direction(naming: &Naming, v: &Value, path: &str) -> Result<Option<(bool, bool)>, IrError> {
    Ok(Some(match v {
        Value::Null => return Ok(None),
        Value::String(s) => match naming.internal(s, vocab::ORDER_BY) {
            "asc" | "asc_nulls_last" => (false, false),
            "asc_nulls_first" => (false, true),
            "desc" | "desc_nulls_first" => (true, true),
            "desc_nulls_last" => (true, false),
            other => {
                return Err(IrError::new(
                    path,
                    format!("unexpected order_by value \"{other}\""),
                ))
            }
        },
        _ => return Err(IrError::new(path, "expected an order_by enum value")),
    }))
}

fn entries(
    schema: &RoleSchema,
    session: &Session,
    table: usize,
    item: &Value,
    path: &str,
    wrap: &dyn Fn(OrderTarget) -> OrderTarget,
    out: &mut Vec<OrderBy>,
) -> Result<(), IrError> {
    let Value::Object(m) = item else {
        return Err(IrError::new(path, "expected an object"));
    };
    let info = &schema.tables[table];
    for (key, value) in m {
        let here = format!("{path}.{key}");
        match info.input_field(key) {
            Some(TableField::Column(c)) => {
                if let Some((desc, nulls_first)) = direction(&schema.naming, value, &here)? {
                    out.push(OrderBy {
                        target: wrap(OrderTarget::Column(c.clone())),
                        desc,
                        nulls_first,
                    });
                }
            }
            Some(TableField::Computed(n)) => {
                if let Some((desc, nulls_first)) = direction(&schema.naming, value, &here)? {
                    let call = crate::computed::computed_call(&info.computed[n], session);
                    out.push(OrderBy {
                        target: wrap(OrderTarget::Computed(Box::new(call))),
                        desc,
                        nulls_first,
                    });
                }
            }
            Some(TableField::ObjectRel(r)) => {
                let target = schema.tables[r.target].name.clone();
                let mapping = r.mapping.clone();
                let inner_wrap = move |t: OrderTarget| OrderTarget::Related {
                    table: target.clone(),
                    mapping: mapping.clone(),
                    filter: Box::new(BoolExp::True),
                    inner: Box::new(t),
                };
                if !value.is_null() {
                    entries(
                        schema,
                        session,
                        r.target,
                        value,
                        &here,
                        &|t| wrap(inner_wrap(t)),
                        out,
                    )?;
                }
            }
            Some(TableField::ArrayAggregate(r)) => {
                let Value::Object(aggs) = value else { continue };
                let target = &schema.tables[r.target];
                for (op, v) in aggs {
                    let here = format!("{here}.{op}");
                    if op == "count" {
                        if let Some((desc, nulls_first)) = direction(&schema.naming, v, &here)? {
                            out.push(OrderBy {
                                target: wrap(OrderTarget::Aggregate {
                                    table: target.name.clone(),
                                    mapping: r.mapping.clone(),
                                    filter: Box::new(BoolExp::True),
                                    op: "count".into(),
                                    column: None,
                                }),
                                desc,
                                nulls_first,
                            });
                        }
                        continue;
                    }
                    let Value::Object(cols) = v else { continue };
                    let op = schema.naming.internal(op, vocab::AGGREGATES);
                    for (field, d) in cols {
                        let col = target
                            .column_by_field(field)
                            .ok_or_else(|| IrError::new(&here, format!("no column \"{field}\"")))?;
                        if let Some((desc, nulls_first)) =
                            direction(&schema.naming, d, &format!("{here}.{field}"))?
                        {
                            out.push(OrderBy {
                                target: wrap(OrderTarget::Aggregate {
                                    table: target.name.clone(),
                                    mapping: r.mapping.clone(),
                                    filter: Box::new(BoolExp::True),
                                    op: op.to_string(),
                                    column: Some(col.name.clone()),
                                }),
                                desc,
                                nulls_first,
                            });
                        }
                    }
                }
            }
            _ => {
                return Err(IrError::unknown_field(
                    &here,
                    key,
                    &format!("{}_order_by", info.type_name),
                ))
            }
        }
    }
    Ok(())
}

/// Parses `distinct_on` into Postgres column names.
pub fn parse_distinct_on(
    schema: &RoleSchema,
    table: usize,
    v: &Value,
    path: &str,
) -> Result<Vec<String>, IrError> {
    as_list(v)
        .into_iter()
        .map(|f| {
            let name = f.as_str().unwrap_or_default();
            schema.tables[table]
                .column_by_field(name)
                .map(|c| c.name.clone())
                .ok_or_else(|| IrError::new(path, format!("unexpected column \"{name}\"")))
        })
        .collect()
}
