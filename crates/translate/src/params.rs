//! Bind parameters gathered while SQL is built; every value is sent as text.

use rasura_sql::{Expr, TypeName};
use serde_json::Value;

/// The parameters of one statement, `$1` first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params(pub Vec<Option<String>>);

impl Params {
    /// Adds a text value and returns `$n::text::cast`.
    pub fn push(&mut self, text: Option<String>, cast: Option<TypeName>) -> Expr {
        self.0.push(text);
        Expr::Param {
            index: self.0.len(),
            cast,
        }
    }
}

/// The text Postgres parses for a JSON value given for a column of type `type_name`.
pub fn value_text(value: &Value, type_name: &str) -> Option<String> {
    let json_column = matches!(type_name, "json" | "jsonb");
    match value {
        Value::Null => None,
        Value::String(s) if !json_column => Some(s.clone()),
        Value::Array(items) if type_name.starts_with('_') => Some(array_literal(items)),
        other => Some(other.to_string()),
    }
}

/// A Postgres array literal (`{"a","b"}`) from JSON values.
pub fn array_literal(items: &[Value]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|v| match v {
            Value::Null => "NULL".to_string(),
            Value::Array(inner) => array_literal(inner),
            Value::String(s) => quote_element(s),
            other => quote_element(&other.to_string()),
        })
        .collect();
    format!("{{{}}}", parts.join(","))
}

fn quote_element(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}
