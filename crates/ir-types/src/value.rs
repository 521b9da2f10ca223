//! Argument values: GraphQL literals with variables substituted, as JSON. An unset optional
//! variable makes its field absent, which is not the same as an explicit `null`.

use apollo_compiler::ast::Value as GqlValue;
use serde_json::{Map, Number, Value};

/// The JSON value of an argument; `None` when it refers to a variable that was not given.
pub fn resolve(value: &GqlValue, vars: &Map<String, Value>) -> Option<Value> {
    Some(match value {
        GqlValue::Null => Value::Null,
        GqlValue::Enum(n) => Value::String(n.to_string()),
        GqlValue::Variable(n) => return vars.get(n.as_str()).cloned(),
        GqlValue::String(s) => Value::String(s.clone()),
        GqlValue::Boolean(b) => Value::Bool(*b),
        GqlValue::Int(i) => number(i.as_str()),
        GqlValue::Float(f) => number(f.as_str()),
        GqlValue::List(items) => {
            Value::Array(items.iter().filter_map(|v| resolve(v, vars)).collect())
        }
        GqlValue::Object(fields) => Value::Object(
            fields
                .iter()
                .filter_map(|(k, v)| resolve(v, vars).map(|v| (k.to_string(), v)))
                .collect(),
        ),
    })
}

fn number(text: &str) -> Value {
    if let Ok(i) = text.parse::<i64>() {
        return Value::Number(i.into());
    }
    text.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map_or_else(|| Value::String(text.to_string()), Value::Number)
}

/// GraphQL input coercion of a single value to a list (`[x]` may be written `x`).
pub fn as_list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(items) => items.iter().collect(),
        Value::Null => vec![],
        other => vec![other],
    }
}
