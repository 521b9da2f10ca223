//! A table's relationships to tables of another database source (`to_source`): the first
//! database answers a placeholder per row (`{JOIN_MARKER: id, lhs: {column: value}}`, as for a
//! remote join); one statement runs per join and distinct set of joined values (the target's
//! select with `column = value` added), and each placeholder is replaced by its rows. A null
//! joined value answers `[]` (an array relationship) or null (an object one).

use rasura_ir_types::types::{SourceJoin, JOIN_MARKER};
use serde_json::Value;

use crate::Statement;

/// (index into the joins, joined values): the statements to run, in order.
pub type Lookups = Vec<(usize, Vec<Value>)>;

/// The join (index into `joins`) and joined values of `v`, if it is a placeholder of one of
/// them; the values are `None` when one is null.
fn placeholder(v: &Value, joins: &[&SourceJoin]) -> Option<(usize, Option<Vec<Value>>)> {
    let m = v.as_object()?;
    let id: usize = m.get(JOIN_MARKER)?.as_str()?.parse().ok()?;
    let j = joins.iter().position(|x| x.id == id)?;
    let lhs = m.get("lhs")?;
    let mut values = vec![];
    for (column, _) in &joins[j].columns {
        match lhs.get(column) {
            None | Some(Value::Null) => return Some((j, None)),
            Some(v) => values.push(v.clone()),
        }
    }
    Some((j, Some(values)))
}

/// The distinct joined values of every placeholder of `joins` in `answer`.
pub fn collect(answer: &Value, joins: &[&SourceJoin]) -> Lookups {
    let mut out: Lookups = vec![];
    let mut stack = vec![answer];
    while let Some(v) = stack.pop() {
        if let Some((j, values)) = placeholder(v, joins) {
            if let Some(values) = values {
                if !out.iter().any(|(i, x)| *i == j && *x == values) {
                    out.push((j, values));
                }
            }
            continue;
        }
        match v {
            Value::Array(items) => stack.extend(items.iter().rev()),
            Value::Object(m) => stack.extend(m.values().rev()),
            _ => {}
        }
    }
    out
}

/// One statement per lookup: the join's select with its joined values as conditions.
pub fn statements(joins: &[&SourceJoin], lookups: &Lookups, stringify: bool) -> Vec<Statement> {
    let options = rasura_translate::Options {
        stringify_numeric: stringify,
    };
    lookups
        .iter()
        .map(|(j, values)| {
            let join = joins[*j];
            let mut select = join.select.clone();
            let pairs = join
                .columns
                .iter()
                .map(|(_, c)| c.clone())
                .zip(values.iter().cloned());
            select.filter = crate::joined_filter(&select.filter, pairs);
            let t = rasura_translate::translate_select(&select, options);
            (j.to_string(), rasura_sql::print(&t.select).sql, t.params.0)
        })
        .collect()
}

/// Replaces every placeholder of `joins` in `answer` by the answer of its lookup (`results`
/// in the order of `lookups`).
pub fn replace(answer: &mut Value, joins: &[&SourceJoin], lookups: &Lookups, results: &[Value]) {
    if let Some((j, values)) = placeholder(answer, joins) {
        let empty = || match joins[j].array {
            true => Value::Array(vec![]),
            false => Value::Null,
        };
        *answer = values
            .and_then(|v| lookups.iter().position(|(i, x)| *i == j && *x == v))
            .and_then(|p| results.get(p).cloned())
            .unwrap_or_else(empty);
        return;
    }
    match answer {
        Value::Array(items) => items
            .iter_mut()
            .for_each(|i| replace(i, joins, lookups, results)),
        Value::Object(m) => m
            .values_mut()
            .for_each(|i| replace(i, joins, lookups, results)),
        _ => {}
    }
}
