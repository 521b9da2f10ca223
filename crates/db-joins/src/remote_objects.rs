//! Relationships from a remote schema's objects to tables, filled in once the remote has
//! answered: the objects are found along each join's path, one statement is made per distinct
//! set of joined values (the table's select with `column = value` added; a null value answers
//! null without a statement), and the rows are put in place of the placeholders, the keys
//! added for the join taken out again.

use rasura_ir_types::types::DbJoin;
use serde_json::{Map, Value};

use rasura_gql_error::GqlError;

use crate::Statement;

/// Calls `visit` on every object at `path` below `v` (lists walked through, nulls skipped).
fn visit_objects(v: &mut Value, path: &[String], visit: &mut impl FnMut(&mut Map<String, Value>)) {
    match v {
        Value::Array(items) => items.iter_mut().for_each(|i| visit_objects(i, path, visit)),
        Value::Object(o) => match path.split_first() {
            None => visit(o),
            Some((key, rest)) => {
                if let Some(child) = o.get_mut(key) {
                    visit_objects(child, rest, visit);
                }
            }
        },
        _ => {}
    }
}

/// The joined values of one object, `None` if one of them is null.
fn values(o: &Map<String, Value>, join: &DbJoin) -> Result<Option<Vec<Value>>, GqlError> {
    let mut out = vec![];
    for (key, _) in &join.columns {
        match o.get(key) {
            None => {
                return Err(GqlError::new(
                    "unexpected",
                    "$",
                    format!("a join column is missing from the response: {key}"),
                ))
            }
            Some(Value::Null) => return Ok(None),
            Some(v) => out.push(v.clone()),
        }
    }
    Ok(Some(out))
}

/// What the joins of one remote answer need: (join, values) pairs in the order of `plans`.
pub type Lookups = Vec<(usize, Vec<Value>)>;

/// The statements filling `answer`'s joins, one per distinct set of values.
pub fn plan(
    answer: &mut Value,
    joins: &[DbJoin],
    stringify_numeric: bool,
) -> Result<(Vec<Statement>, Lookups), GqlError> {
    let mut lookups: Lookups = vec![];
    let mut failed = None;
    for (j, join) in joins.iter().enumerate() {
        visit_objects(answer, &join.path, &mut |o| {
            if !o.contains_key(&join.key) {
                return;
            }
            match values(o, join) {
                Ok(Some(v)) if !lookups.iter().any(|(i, x)| *i == j && x == &v) => {
                    lookups.push((j, v))
                }
                Ok(_) => {}
                Err(e) => failed = Some(e),
            }
        });
    }
    if let Some(e) = failed {
        return Err(e);
    }
    let options = rasura_translate::Options { stringify_numeric };
    let plans = lookups
        .iter()
        .map(|(j, v)| {
            let join = &joins[*j];
            let mut select = join.select.clone();
            let pairs = join
                .columns
                .iter()
                .map(|(_, c)| c.clone())
                .zip(v.iter().cloned());
            select.filter = crate::joined_filter(&select.filter, pairs);
            let t = rasura_translate::translate_select(&select, options);
            let sql = rasura_sql::print(&t.select).sql;
            (join.key.clone(), sql, t.params.0)
        })
        .collect();
    Ok((plans, lookups))
}

/// Puts each statement's answer (JSON text) in place, null where a joined value was null,
/// and removes the keys added for the joins.
pub fn splice(answer: &mut Value, joins: &[DbJoin], lookups: &Lookups, results: &[Option<String>]) {
    for (j, join) in joins.iter().enumerate() {
        visit_objects(answer, &join.path, &mut |o| {
            if !o.contains_key(&join.key) {
                return;
            }
            let found = match values(o, join) {
                Ok(Some(v)) => lookups
                    .iter()
                    .position(|(i, x)| *i == j && x == &v)
                    .and_then(|p| results.get(p).cloned().flatten())
                    .and_then(|text| serde_json::from_str(&text).ok()),
                _ => None,
            };
            o.insert(join.key.clone(), found.unwrap_or(Value::Null));
        });
    }
    for join in joins {
        visit_objects(answer, &join.path, &mut |o| {
            for k in &join.added {
                o.remove(k);
            }
        });
    }
}
