//! Remote relationships: fills the placeholders a query's database answer holds for remote
//! joins. Per join, the distinct join-column values of every parent row go to the remote in
//! one call (one aliased copy of the field per value set), and each placeholder is replaced by
//! its part of the answer.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use rasura_ir::{RemoteJoin, JOIN_MARKER};
use rasura_resolve::ResolvedRemoteSchema;
use serde_json::{json, Map, Value};

/// A remote join of a root field, with what its call needs.
pub struct JoinPlan {
    pub remote: ResolvedRemoteSchema,
    pub join: RemoteJoin,
    pub session: BTreeMap<String, String>,
    pub client_headers: Vec<(String, String)>,
}

/// The placeholder's join id and join-column values, if `v` is a placeholder.
fn placeholder(v: &Value) -> Option<(usize, &Value)> {
    let m = v.as_object()?;
    let id = m.get(JOIN_MARKER)?.as_str()?.parse().ok()?;
    Some((id, m.get("lhs")?))
}

fn collect<'a>(v: &'a Value, out: &mut HashMap<usize, Vec<&'a Value>>) {
    if let Some((id, lhs)) = placeholder(v) {
        let list = out.entry(id).or_default();
        if !list.contains(&lhs) {
            list.push(lhs);
        }
        return;
    }
    match v {
        Value::Array(items) => items.iter().for_each(|i| collect(i, out)),
        Value::Object(m) => m.values().for_each(|i| collect(i, out)),
        _ => {}
    }
}

fn replace(v: &mut Value, answers: &HashMap<usize, Vec<(Value, Value)>>) {
    if let Some((id, lhs)) = placeholder(v) {
        let found = answers
            .get(&id)
            .and_then(|list| list.iter().find(|(k, _)| k == lhs))
            .map(|(_, a)| a.clone())
            .unwrap_or(Value::Null);
        *v = found;
        return;
    }
    match v {
        Value::Array(items) => items.iter_mut().for_each(|i| replace(i, answers)),
        Value::Object(m) => m.values_mut().for_each(|i| replace(i, answers)),
        _ => {}
    }
}

/// A JSON value as a GraphQL literal; `"$column"` strings take the row's column value.
fn literal(v: &Value, lhs: &Value, out: &mut String) {
    match v {
        Value::String(s) if s.starts_with('$') => literal(&lhs[&s[1..]], &Value::Null, out),
        Value::Array(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                literal(x, lhs, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{k}: ");
                literal(x, lhs, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The batched operation: `r<i>: field(args) { next(args) { selection } }` per value set.
fn batched_query(j: &RemoteJoin, keys: &[&Value]) -> String {
    let mut q = String::from("query");
    if !j.variable_definitions.is_empty() {
        let _ = write!(q, "({})", j.variable_definitions.join(", "));
    }
    q.push_str(" {");
    for (i, lhs) in keys.iter().enumerate() {
        let _ = write!(q, " r{i}: ");
        for (depth, (field, args)) in j.path.iter().enumerate() {
            if depth > 0 {
                q.push_str(" { ");
            }
            q.push_str(field);
            if !args.is_empty() {
                q.push('(');
                for (n, (name, v)) in args.iter().enumerate() {
                    if n > 0 {
                        q.push_str(", ");
                    }
                    let _ = write!(q, "{name}: ");
                    literal(v, lhs, &mut q);
                }
                q.push(')');
            }
        }
        q.push_str(&j.selection);
        for _ in 1..j.path.len() {
            q.push_str(" }");
        }
    }
    q.push_str(" }");
    q
}

/// Follows the path below the first field (through lists, element by element).
fn descend(v: Value, path: &[(String, Map<String, Value>)]) -> Value {
    let Some(((field, _), rest)) = path.split_first() else {
        return v;
    };
    match v {
        Value::Array(items) => Value::Array(items.into_iter().map(|i| descend(i, path)).collect()),
        Value::Object(mut m) => descend(m.remove(field).unwrap_or(Value::Null), rest),
        _ => Value::Null,
    }
}

/// Fills the remote joins of `json` (the database's answer of one root field); returns the
/// finished JSON text and the errors met.
pub async fn apply(
    json: &str,
    joins: &[JoinPlan],
    vars: &Map<String, Value>,
    key: &str,
) -> (String, Vec<Value>) {
    let Ok(mut value) = serde_json::from_str::<Value>(json) else {
        return (json.to_string(), vec![]);
    };
    let mut keys: HashMap<usize, Vec<&Value>> = HashMap::new();
    collect(&value, &mut keys);
    let mut answers: HashMap<usize, Vec<(Value, Value)>> = HashMap::new();
    let mut errors = vec![];
    for plan in joins {
        let j = &plan.join;
        let Some(list) = keys.get(&j.id) else {
            continue;
        };
        let query = batched_query(j, list);
        let headers =
            crate::forward::headers_for(&plan.remote, &plan.session, &plan.client_headers);
        let variables = crate::forward::pick(vars, &j.variables);
        match crate::forward::call(&plan.remote, headers, &query, variables).await {
            Ok(mut answer) => {
                if let Some(Value::Array(errs)) = answer.remove("errors") {
                    errors.extend(errs);
                }
                let mut data = answer.remove("data").unwrap_or(Value::Null);
                let found = list
                    .iter()
                    .enumerate()
                    .map(|(i, lhs)| {
                        let part = data.get_mut(format!("r{i}")).map(Value::take).unwrap_or(Value::Null);
                        let mut part = descend(part, &j.path[1..]);
                        if let Some(tree) = &j.typenames {
                            crate::forward::rename_typenames(&mut part, tree, &plan.remote);
                        }
                        ((*lhs).clone(), part)
                    })
                    .collect();
                answers.insert(j.id, found);
            }
            Err(e) => errors.push(json!({"message": e, "extensions": {"code": "remote-schema-error", "path": format!("$.selectionSet.{key}")}})),
        }
    }
    replace(&mut value, &answers);
    (value.to_string(), errors)
}
