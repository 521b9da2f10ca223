//! YAML loading for corpus files: anchors, merge keys and block scalars, turned into JSON values.

use std::path::Path;

use serde_json::{Map, Number, Value};

/// Reads and parses the YAML file at `path`.
pub fn load(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Parses one YAML document, applies `<<` merge keys and converts it to JSON.
pub fn parse(text: &str) -> Result<Value, String> {
    let mut value: yaml_serde::Value =
        yaml_serde::from_str(text).map_err(|e| format!("invalid YAML: {e}"))?;
    value
        .apply_merge()
        .map_err(|e| format!("invalid merge key: {e}"))?;
    Ok(to_json(value))
}

/// Converts a YAML value to JSON; tags are dropped and non-string keys are written as text.
fn to_json(value: yaml_serde::Value) -> Value {
    use yaml_serde::Value as Y;
    match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => number(&n),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Y::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                out.insert(key_text(to_json(k)), to_json(v));
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => to_json(tagged.value),
    }
}

fn number(n: &yaml_serde::Number) -> Value {
    if let Some(i) = n.as_i64() {
        Value::from(i)
    } else if let Some(u) = n.as_u64() {
        Value::from(u)
    } else {
        // NaN and infinities have no JSON form; keep their YAML spelling.
        n.as_f64()
            .and_then(Number::from_f64)
            .map_or_else(|| Value::String(n.to_string()), Value::Number)
    }
}

fn key_text(key: Value) -> String {
    match key {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::parse;
    use serde_json::json;

    #[test]
    fn quoted_numbers_and_timestamps_stay_strings() {
        let v = parse("a: '1'\nb: 1\nc: \"2018-01-01\"\nd: 2.5\n").unwrap();
        assert_eq!(v, json!({"a": "1", "b": 1, "c": "2018-01-01", "d": 2.5}));
    }

    #[test]
    fn merge_keys_and_anchors_are_applied() {
        let text = "base: &r\n  x: 1\n  y: 2\nuse:\n  <<: *r\n  y: 3\n";
        let v = parse(text).unwrap();
        assert_eq!(v["use"], json!({"x": 1, "y": 3}));
    }

    #[test]
    fn block_scalars_keep_newlines() {
        let v = parse("q: |\n  query {\n    a\n  }\n").unwrap();
        assert_eq!(v["q"], json!("query {\n  a\n}\n"));
    }
}
