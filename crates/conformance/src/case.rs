//! One recorded exchange from a test file, and checking a response against it.

use serde_json::Value;

use crate::compare::{self, Verdict};

/// A request to send and the response it should get.
#[derive(Debug, Clone)]
pub struct Case {
    pub url: String,
    pub status: u16,
    /// The JSON body; an array is a batched request.
    pub query: Value,
    /// The expected body; `None` when only the status is checked.
    pub response: Option<Value>,
    pub headers: Vec<(String, String)>,
}

/// The cases of a test file: one mapping, or a list of mappings run in order.
pub fn parse_cases(doc: &Value) -> Result<Vec<Case>, String> {
    match doc {
        Value::Array(items) => items.iter().map(parse_case).collect(),
        other => Ok(vec![parse_case(other)?]),
    }
}

fn parse_case(v: &Value) -> Result<Case, String> {
    let obj = v.as_object().ok_or("a case is not a mapping")?;
    let url = obj
        .get("url")
        .and_then(Value::as_str)
        .ok_or("case without a `url`")?
        .to_string();
    let status = obj
        .get("status")
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
        .ok_or("case without a valid `status`")?;
    let query = obj.get("query").cloned().ok_or("case without a `query`")?;
    let response = obj.get("response").filter(|r| !is_empty(r)).cloned();
    let headers = match obj.get("headers") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(h)) => h.iter().map(|(k, v)| (k.clone(), header_text(v))).collect(),
        Some(_) => return Err("`headers` is not a mapping".into()),
    };
    Ok(Case {
        url,
        status,
        query,
        response,
        headers,
    })
}

/// Upstream skips the body check when `response` is absent or empty.
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// Header values are sent as strings, whatever their YAML type.
fn header_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Case {
    pub fn is_batch(&self) -> bool {
        self.query.is_array()
    }

    /// Checks an actual status and body against the case.
    pub fn check(&self, status: u16, body: &Value) -> Verdict {
        if status != self.status {
            return Verdict::Fail(format!(
                "status {status}, expected {}; body {}",
                self.status,
                compare::short(body)
            ));
        }
        match &self.response {
            None => Verdict::Pass,
            Some(expected) => compare::compare_body(expected, body, self.is_batch()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_single_and_listed_cases() {
        let one = json!({"url": "/v1/graphql", "status": 200, "query": {"query": "{a}"},
                         "headers": {"X-Hasura-User-Id": 1}});
        let cases = parse_cases(&one).unwrap();
        assert_eq!(cases.len(), 1);
        assert_eq!(
            cases[0].headers,
            vec![("X-Hasura-User-Id".into(), "1".into())]
        );
        assert!(cases[0].response.is_none());
        let list = json!([one.clone(), one]);
        assert_eq!(parse_cases(&list).unwrap().len(), 2);
    }

    #[test]
    fn status_is_checked_first() {
        let case = parse_cases(&json!({"url": "/v1/graphql", "status": 400, "query": {},
                                       "response": {"errors": []}}))
        .unwrap()
        .remove(0);
        assert!(matches!(
            case.check(200, &json!({"errors": []})),
            Verdict::Fail(_)
        ));
        assert_eq!(case.check(400, &json!({"errors": []})), Verdict::Pass);
    }
}
