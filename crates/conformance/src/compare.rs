//! JSON comparison with the corpus README's defaults: key order ignored, numbers by value,
//! and differing error bodies accepted as "soft" mismatches, except that error codes are
//! strict: an error body whose codes differ from the recorded ones fails.

use serde_json::{Number, Value};

/// The result of checking one response (or one test file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// Passed, but both sides are error bodies whose details differ.
    Soft(String),
    Fail(String),
}

/// Compares an expected body with an actual one; `batched` compares array elements one by one.
pub fn compare_body(expected: &Value, actual: &Value, batched: bool) -> Verdict {
    match (expected, actual) {
        (Value::Array(exp), Value::Array(act)) if batched && exp.len() == act.len() => {
            let mut soft = None;
            for (i, (e, a)) in exp.iter().zip(act).enumerate() {
                match compare_one(e, a, &format!("$[{i}]")) {
                    Verdict::Pass => {}
                    Verdict::Soft(d) => {
                        soft.get_or_insert(d);
                    }
                    fail => return fail,
                }
            }
            soft.map_or(Verdict::Pass, Verdict::Soft)
        }
        _ => compare_one(expected, actual, "$"),
    }
}

fn compare_one(expected: &Value, actual: &Value, path: &str) -> Verdict {
    match first_diff(expected, actual, path) {
        None => Verdict::Pass,
        Some(d) if is_error_body(expected) && is_error_body(actual) => {
            let (want, got) = (error_codes(expected), error_codes(actual));
            if !want.is_empty() && want != got {
                Verdict::Fail(format!(
                    "{path}: error codes {want:?} expected, actual {got:?}"
                ))
            } else {
                Verdict::Soft(d)
            }
        }
        Some(d) => Verdict::Fail(d),
    }
}

/// The codes of an error body, in order: `errors[].extensions.code` (or a legacy
/// `errors[].code`), or a legacy body's `code`.
fn error_codes(v: &Value) -> Vec<String> {
    let code = |e: &Value| {
        e.pointer("/extensions/code")
            .or_else(|| e.get("code"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    match v.get("errors") {
        Some(Value::Array(errors)) => errors.iter().filter_map(code).collect(),
        _ => code(v).into_iter().collect(),
    }
}

/// An error response: `{errors: …}`, or the legacy `{error: …, code: …}`.
pub fn is_error_body(v: &Value) -> bool {
    match v {
        Value::Object(m) => {
            m.contains_key("errors") || (m.contains_key("error") && m.contains_key("code"))
        }
        _ => false,
    }
}

/// The first place where `actual` differs from `expected`, as `path: expected …, actual …`.
pub fn first_diff(expected: &Value, actual: &Value, path: &str) -> Option<String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let sub = format!("{path}.{k}");
                match a.get(k) {
                    None => return Some(format!("{sub}: missing, expected {}", short(ev))),
                    Some(av) => {
                        if let Some(d) = first_diff(ev, av, &sub) {
                            return Some(d);
                        }
                    }
                }
            }
            let extra = a.keys().find(|k| !e.contains_key(*k))?;
            Some(format!(
                "{path}.{extra}: unexpected, actual {}",
                short(&a[extra])
            ))
        }
        (Value::Array(e), Value::Array(a)) => {
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                if let Some(d) = first_diff(ev, av, &format!("{path}[{i}]")) {
                    return Some(d);
                }
            }
            (e.len() != a.len())
                .then(|| format!("{path}: expected {} elements, actual {}", e.len(), a.len()))
        }
        (Value::Number(e), Value::Number(a)) if number_eq(e, a) => None,
        _ if expected == actual => None,
        _ => Some(format!(
            "{path}: expected {}, actual {}",
            short(expected),
            short(actual)
        )),
    }
}

fn number_eq(a: &Number, b: &Number) -> bool {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return x == y;
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return x == y;
    }
    matches!((a.as_f64(), b.as_f64()), (Some(x), Some(y)) if x == y)
}

/// Compact JSON, cut to 80 characters.
pub fn short(v: &Value) -> String {
    truncate(&v.to_string(), 80)
}

/// `s` cut to at most `max` characters, with an ellipsis when cut.
pub fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((end, _)) => format!("{}…", &s[..end]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn json_eq(a: &Value, b: &Value) -> bool {
        first_diff(a, b, "$").is_none()
    }

    #[test]
    fn key_order_is_ignored() {
        let a = json!({"data": {"author": [{"id": 1, "name": "A"}]}});
        let b = json!({"data": {"author": [{"name": "A", "id": 1}]}});
        assert!(json_eq(&a, &b));
        assert_eq!(compare_body(&a, &b, false), Verdict::Pass);
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(json_eq(&json!(2), &json!(2.0)));
        assert!(json_eq(
            &json!({"x": [1.5, -3]}),
            &json!({"x": [1.5, -3.0]})
        ));
        assert!(!json_eq(&json!(2), &json!(2.5)));
        assert!(!json_eq(&json!(2), &json!("2")));
    }

    #[test]
    fn missing_extra_and_reordered_elements_are_reported() {
        let e = json!({"a": 1, "b": [1, 2]});
        assert_eq!(
            first_diff(&e, &json!({"b": [1, 2]}), "$").unwrap(),
            "$.a: missing, expected 1"
        );
        assert_eq!(
            first_diff(&e, &json!({"a": 1, "b": [1, 2], "c": null}), "$").unwrap(),
            "$.c: unexpected, actual null"
        );
        assert_eq!(
            first_diff(&e, &json!({"a": 1, "b": [2, 1]}), "$").unwrap(),
            "$.b[0]: expected 1, actual 2"
        );
        assert_eq!(
            first_diff(&e, &json!({"a": 1, "b": [1]}), "$").unwrap(),
            "$.b: expected 2 elements, actual 1"
        );
    }

    #[test]
    fn differing_error_codes_fail() {
        let e = json!({"errors": [{"message": "x", "extensions": {"code": "not-supported"}}]});
        let same = json!({"errors": [{"message": "y", "extensions": {"code": "not-supported"}}]});
        let other =
            json!({"errors": [{"message": "x", "extensions": {"code": "validation-failed"}}]});
        assert!(matches!(compare_body(&e, &same, false), Verdict::Soft(_)));
        assert!(matches!(compare_body(&e, &other, false), Verdict::Fail(_)));
        let legacy = json!({"path": "$", "error": "x", "code": "not-found"});
        let wrapped = json!({"errors": [{"path": "$", "error": "x", "code": "not-found"}]});
        assert!(matches!(
            compare_body(&wrapped, &legacy, false),
            Verdict::Soft(_)
        ));
    }

    #[test]
    fn differing_error_bodies_are_soft() {
        let e = json!({"errors": [{"message": "field \"x\" not found", "extensions": {"code": "validation-failed"}}]});
        let a = json!({"errors": [{"message": "no such field", "extensions": {"code": "validation-failed"}}]});
        assert!(matches!(compare_body(&e, &a, false), Verdict::Soft(_)));
        let legacy = json!({"error": "bad", "code": "validation-failed", "path": "$"});
        assert!(matches!(compare_body(&legacy, &a, false), Verdict::Soft(_)));
    }

    #[test]
    fn an_expected_error_must_be_an_error() {
        let e = json!({"errors": [{"message": "boom"}]});
        let a = json!({"data": {"author": []}});
        assert!(matches!(compare_body(&e, &a, false), Verdict::Fail(_)));
        assert!(matches!(compare_body(&a, &e, false), Verdict::Fail(_)));
        // `error` alone (without `code`) is not the legacy error shape.
        assert!(!is_error_body(&json!({"error": "x"})));
    }

    #[test]
    fn batches_compare_element_by_element() {
        let e = json!([{"data": {"a": 1}}, {"errors": [{"message": "x"}]}]);
        let soft = json!([{"data": {"a": 1.0}}, {"errors": [{"message": "y"}]}]);
        assert!(matches!(compare_body(&e, &soft, true), Verdict::Soft(d) if d.starts_with("$[1]")));
        let bad = json!([{"data": {"a": 2}}, {"errors": [{"message": "x"}]}]);
        assert!(
            matches!(compare_body(&e, &bad, true), Verdict::Fail(d) if d.starts_with("$[0].data.a"))
        );
        assert!(matches!(
            compare_body(&e, &json!([]), true),
            Verdict::Fail(_)
        ));
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        assert_eq!(truncate("héllo", 2), "hé…");
        assert_eq!(truncate("abc", 3), "abc");
    }
}
