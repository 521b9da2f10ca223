//! `where` arguments (`<t>_bool_exp`) → [`BoolExp`].

use rasura_naming::{vocab, Naming};
use rasura_schema::{RelInfo, RoleSchema, TableField};
use serde_json::Value;

use crate::error::IrError;
use crate::types::{AggregateFunction, BoolExp, ColumnRef, CompareOp, Session};
use crate::value::as_list;

/// Parses a boolean expression over table `table` (an index into the role's tables).
pub fn parse_bool_exp(
    schema: &RoleSchema,
    session: &Session,
    table: usize,
    v: &Value,
    path: &str,
) -> Result<BoolExp, IrError> {
    let Value::Object(m) = v else {
        if v.is_null() {
            return Ok(BoolExp::True);
        }
        return Err(IrError::new(
            path,
            "expected an object for a boolean expression",
        ));
    };
    let info = &schema.tables[table];
    let mut parts = vec![];
    for (key, value) in m {
        let here = format!("{path}.{key}");
        match key.as_str() {
            "_and" => parts.push(BoolExp::And(list(schema, session, table, value, &here)?)),
            "_or" => parts.push(BoolExp::Or(list(schema, session, table, value, &here)?)),
            "_not" => parts.push(BoolExp::Not(Box::new(parse_bool_exp(
                schema, session, table, value, &here,
            )?))),
            field => match info.input_field(field) {
                Some(TableField::Column(c)) => {
                    let col = &info.columns[c];
                    let column = ColumnRef {
                        name: col.name.clone(),
                        type_schema: col.type_schema.clone(),
                        type_name: col.type_name.clone(),
                        computed: None,
                    };
                    let value = crate::enums::stored_comparisons(col, value);
                    parts.extend(comparisons(&schema.naming, column, false, &value, &here)?);
                }
                Some(TableField::ObjectRel(r) | TableField::ArrayRel(r)) => {
                    parts.push(BoolExp::Related {
                        table: schema.tables[r.target].name.clone(),
                        mapping: r.mapping.clone(),
                        exp: Box::new(parse_bool_exp(schema, session, r.target, value, &here)?),
                    })
                }
                Some(TableField::ArrayAggregate(r)) => {
                    let Value::Object(preds) = value else {
                        return Err(IrError::new(&here, "expected an object"));
                    };
                    for (name, pred) in preds {
                        parts.push(aggregate_predicate(
                            schema,
                            session,
                            r,
                            name,
                            pred,
                            &format!("{here}.{name}"),
                        )?);
                    }
                }
                Some(TableField::Computed(n)) => {
                    let column = crate::computed::computed_ref(&info.computed[n], session);
                    parts.extend(comparisons(&schema.naming, column, false, value, &here)?);
                }
                // A set-returning computed field without arguments of its own: some row it
                // returns matches.
                Some(TableField::ComputedRows(n))
                    if info.computed[n].args.is_empty()
                        && info.computed[n].returns_table.is_some() =>
                {
                    let c = &info.computed[n];
                    let target = c.returns_table.unwrap_or_default();
                    parts.push(BoolExp::ComputedRelated {
                        call: crate::computed::computed_call(c, session),
                        table: schema.tables[target].name.clone(),
                        exp: Box::new(parse_bool_exp(schema, session, target, value, &here)?),
                    });
                }
                Some(
                    TableField::ComputedRows(_)
                    | TableField::ComputedAggregate(_)
                    | TableField::ArrayConnection(_)
                    | TableField::RemoteRel(_)
                    | TableField::SourceRel(_),
                )
                | None => {
                    return Err(IrError::unknown_field(
                        &here,
                        field,
                        &format!("{}_bool_exp", info.type_name),
                    ))
                }
            },
        }
    }
    Ok(match parts.len() {
        0 => BoolExp::True,
        1 => parts.pop().expect("one"),
        _ => BoolExp::And(parts),
    })
}

fn list(
    schema: &RoleSchema,
    session: &Session,
    table: usize,
    v: &Value,
    path: &str,
) -> Result<Vec<BoolExp>, IrError> {
    as_list(v)
        .into_iter()
        .enumerate()
        .map(|(i, x)| parse_bool_exp(schema, session, table, x, &format!("{path}[{i}]")))
        .collect()
}

/// The operators of one `<S>_comparison_exp` object, ANDed.
fn comparisons(
    naming: &Naming,
    column: ColumnRef,
    cast: bool,
    v: &Value,
    path: &str,
) -> Result<Vec<BoolExp>, IrError> {
    let Value::Object(ops) = v else {
        return Err(IrError::new(
            path,
            "expected an object of comparison operators",
        ));
    };
    let mut out = vec![];
    for (op, value) in ops {
        let here = format!("{path}.{op}");
        let op = naming.internal(op, vocab::OPERATORS);
        if op == "_is_null" {
            match value {
                Value::Bool(b) => out.push(BoolExp::IsNull {
                    column: column.clone(),
                    is_null: *b,
                }),
                _ => return Err(IrError::new(&here, "expected a boolean for type 'Boolean'")),
            }
            continue;
        }
        if op == "_cast" {
            // `_cast: {<Type>: {...}}`: the column cast to the type, then compared; jsonb to
            // `String`, geometry and geography to each other (same extension schema).
            let Value::Object(targets) = value else {
                continue;
            };
            for (target, inner) in targets {
                // Without case: PascalCase with `naming-convention-sep-2023`.
                let (type_schema, type_name) = match target.to_ascii_lowercase().as_str() {
                    "string" => ("pg_catalog".to_string(), "text"),
                    "geography" => (column.type_schema.clone(), "geography"),
                    "geometry" => (column.type_schema.clone(), "geometry"),
                    // GraphQL's validation refuses other types first; the query API gets
                    // Hasura's answer for a cast it cannot make.
                    _ => {
                        return Err(IrError::new(
                            &here,
                            format!(
                                "cannot cast column of type \"{}\" to type \"{target}\"",
                                column.type_name
                            ),
                        )
                        .with_code("unexpected-payload"))
                    }
                };
                let cast = ColumnRef {
                    type_schema,
                    type_name: type_name.to_string(),
                    ..column.clone()
                };
                out.extend(comparisons(
                    naming,
                    cast,
                    true,
                    inner,
                    &format!("{here}.{target}"),
                )?);
            }
            continue;
        }
        let Some(cmp) = CompareOp::parse(op) else {
            return Err(IrError::new(&here, format!("unexpected operator \"{op}\"")));
        };
        if column.type_name == "ltree"
            && !matches!(op, "_matches" | "_matches_any" | "_matches_fulltext")
        {
            check_label_paths(value, &here)?;
        }
        if value.is_null() {
            return Err(IrError::new(
                &here,
                "unexpected null value for type 'comparison operator'",
            ));
        }
        out.push(BoolExp::Compare {
            column: column.clone(),
            cast,
            op: cmp,
            value: value.clone(),
        });
    }
    Ok(out)
}

/// Rewrites the legacy spellings of boolean expressions (`$and`, `$eq`, `$cast: {text: …}`,
/// and the shorthand `{"col": value}` for `_eq`) into the `_`-prefixed form.
pub fn normalize_legacy(v: &Value) -> Value {
    let Value::Object(m) = v else {
        return v.clone();
    };
    let mut out = serde_json::Map::new();
    for (key, value) in m {
        let key = key
            .strip_prefix('$')
            .map_or_else(|| key.clone(), |k| format!("_{k}"));
        let value = match key.as_str() {
            "_and" | "_or" => {
                Value::Array(as_list(value).into_iter().map(normalize_legacy).collect())
            }
            "_not" => normalize_legacy(value),
            "_exists" => match value {
                Value::Object(e) => Value::Object(
                    e.iter()
                        .map(|(k, v)| {
                            let v = if k == "_where" || k == "$where" {
                                normalize_legacy(v)
                            } else {
                                v.clone()
                            };
                            (k.replacen('$', "_", 1), v)
                        })
                        .collect(),
                ),
                other => other.clone(),
            },
            k if k.starts_with('_') => value.clone(),
            _ => normalize_column(value),
        };
        out.insert(key, value);
    }
    Value::Object(out)
}

/// A column's comparison object; a non-object value means `_eq`.
fn normalize_column(v: &Value) -> Value {
    match v {
        Value::Object(ops) if ops.keys().all(|k| k.starts_with('$') || k.starts_with('_')) => {
            let mut out = serde_json::Map::new();
            for (op, value) in ops {
                let op = op
                    .strip_prefix('$')
                    .map_or_else(|| op.clone(), |o| format!("_{o}"));
                let op = match op.as_str() {
                    "_ne" => "_neq".to_string(),
                    _ => op,
                };
                let value = if op == "_cast" {
                    match value {
                        Value::Object(casts) => Value::Object(
                            casts
                                .iter()
                                .map(|(t, inner)| {
                                    let t = if t == "text" {
                                        "String".to_string()
                                    } else {
                                        t.clone()
                                    };
                                    (t, normalize_column(inner))
                                })
                                .collect(),
                        ),
                        other => other.clone(),
                    }
                } else {
                    value.clone()
                };
                out.insert(op, value);
            }
            Value::Object(out)
        }
        Value::Object(_) => normalize_legacy(v),
        other => serde_json::json!({"_eq": other}),
    }
}

/// An `ltree` value (or each of a list) checked as Hasura checks it before the database sees
/// it: labels of letters, digits, `_` and `-`, separated by dots.
fn check_label_paths(v: &Value, path: &str) -> Result<(), IrError> {
    let bad = |at: &str| {
        IrError::new(
            at,
            "Expecting label path: a sequence of zero or more labels separated by dots, for example L1.L2.L3",
        )
        .with_code("parse-failed")
    };
    let valid = |s: &str| {
        s.is_empty()
            || s.split('.').all(|l| {
                !l.is_empty()
                    && l.chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
            })
    };
    match v {
        Value::String(s) if !valid(s) => Err(bad(path)),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if let Value::String(s) = item {
                    if !valid(s) {
                        return Err(bad(&format!("{path}[{i}]")));
                    }
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// One aggregation predicate of `<rel>_aggregate: {count|bool_and|bool_or: {arguments,
/// distinct, filter, predicate}}` over the related rows of `rel`.
fn aggregate_predicate(
    schema: &RoleSchema,
    session: &Session,
    rel: &RelInfo,
    name: &str,
    pred: &Value,
    here: &str,
) -> Result<BoolExp, IrError> {
    let (function, result_type) = match name {
        "count" => (AggregateFunction::Count, "int8"),
        "bool_and" => (AggregateFunction::BoolAnd, "bool"),
        "bool_or" => (AggregateFunction::BoolOr, "bool"),
        other => {
            return Err(IrError::new(
                here,
                format!("field '{other}' not found in aggregation predicates"),
            ))
        }
    };
    let target = &schema.tables[rel.target];
    let columns: Vec<String> = match pred.get("arguments") {
        Some(a) => as_list(a)
            .into_iter()
            .filter_map(Value::as_str)
            .filter_map(|f| target.column_by_field(f).map(|c| c.name.clone()))
            .collect(),
        None => vec![],
    };
    if function != AggregateFunction::Count && columns.len() != 1 {
        return Err(IrError::new(
            &format!("{here}.arguments"),
            "expected one boolean column",
        ));
    }
    let filter = match pred.get("filter") {
        Some(f) => parse_bool_exp(schema, session, rel.target, f, &format!("{here}.filter"))?,
        None => BoolExp::True,
    };
    let subject = ColumnRef {
        name: String::new(),
        type_schema: "pg_catalog".into(),
        type_name: result_type.into(),
        computed: None,
    };
    let predicate = pred
        .get("predicate")
        .map(|p| {
            comparisons(
                &schema.naming,
                subject,
                false,
                p,
                &format!("{here}.predicate"),
            )
        })
        .transpose()?
        .unwrap_or_default();
    Ok(BoolExp::AggregatePredicate {
        function,
        table: target.name.clone(),
        mapping: rel.mapping.clone(),
        columns,
        distinct: pred
            .get("distinct")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        filter: Box::new(filter),
        predicate: Box::new(BoolExp::And(predicate)),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::normalize_legacy;

    #[test]
    fn legacy_spellings() {
        assert_eq!(
            normalize_legacy(
                &json!({"$or": [{"id": 1}, {"name": {"$ne": "x"}}], "tags": {"$cast": {"text": {"$like": "%a%"}}}})
            ),
            json!({"_or": [{"id": {"_eq": 1}}, {"name": {"_neq": "x"}}], "tags": {"_cast": {"String": {"_like": "%a%"}}}})
        );
        assert_eq!(
            normalize_legacy(&json!({"author": {"id": {"_eq": 1}}})),
            json!({"author": {"id": {"_eq": 1}}})
        );
    }
}
