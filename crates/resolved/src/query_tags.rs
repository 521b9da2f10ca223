//! Query tags (`sources[].query_tags`, `set_query_tags`): the SQL comment appended to each
//! statement generated for a GraphQL root field, with the request id, operation name, field
//! name and query hash, in Hasura's `standard` or `sqlcommenter` format. On unless disabled;
//! the request id left out unless `omit_request_id: false` (as Hasura since 2.11.7), so that
//! a statement's text stays the same across requests and its prepared form is reused.

use serde_json::Value;

/// How a source's statements are tagged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryTags {
    pub disabled: bool,
    pub format: TagFormat,
    pub omit_request_id: bool,
}

/// Where and how the pairs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagFormat {
    /// `/* key=value, key=value */` after the statement.
    Standard,
    /// The same, before the statement.
    StandardPrepended,
    /// `/* key='url%20encoded',... */` sorted by key, after the statement (sqlcommenter).
    SqlCommenter,
}

impl Default for QueryTags {
    fn default() -> QueryTags {
        QueryTags {
            disabled: false,
            format: TagFormat::Standard,
            omit_request_id: true,
        }
    }
}

impl QueryTags {
    /// A source's `query_tags` (absent: the defaults); what does not parse is an error.
    pub fn parse(v: Option<&Value>) -> Result<QueryTags, String> {
        let mut tags = QueryTags::default();
        let Some(v) = v else {
            return Ok(tags);
        };
        let Some(o) = v.as_object() else {
            return Err("query_tags must be an object".into());
        };
        let flag = |key: &str, default: bool| match o.get(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(format!("query_tags.{key} must be a boolean")),
        };
        tags.disabled = flag("disabled", false)?;
        tags.omit_request_id = flag("omit_request_id", true)?;
        tags.format = match o.get("format").map(|f| f.as_str()) {
            None | Some(Some("standard")) => TagFormat::Standard,
            Some(Some("standard_prepended")) => TagFormat::StandardPrepended,
            Some(Some("sqlcommenter")) => TagFormat::SqlCommenter,
            Some(other) => return Err(format!("unknown query_tags.format {other:?}")),
        };
        Ok(tags)
    }

    /// `sql` with its tags (`request_id` left out when omitted or unknown), or `sql` as it is
    /// when tags are disabled.
    pub fn apply(
        &self,
        sql: &str,
        request_id: Option<&str>,
        field_name: &str,
        query_hash: &str,
        operation_name: Option<&str>,
    ) -> String {
        if self.disabled {
            return sql.to_string();
        }
        let mut pairs: Vec<(&str, &str)> = vec![];
        if let Some(id) = request_id.filter(|_| !self.omit_request_id) {
            pairs.push(("request_id", id));
        }
        pairs.push(("field_name", field_name));
        pairs.push(("parameterized_query_hash", query_hash));
        if let Some(op) = operation_name {
            pairs.push(("operation_name", op));
        }
        let comment = match self.format {
            TagFormat::Standard | TagFormat::StandardPrepended => pairs
                .iter()
                .map(|(k, v)| format!("{k}={}", inert(v)))
                .collect::<Vec<_>>()
                .join(", "),
            TagFormat::SqlCommenter => {
                pairs.sort_by_key(|(k, _)| *k);
                pairs
                    .iter()
                    .map(|(k, v)| format!("{k}='{}'", url_encode(v)))
                    .collect::<Vec<_>>()
                    .join(",")
            }
        };
        match self.format {
            TagFormat::StandardPrepended => format!("/* {comment} */ {sql}"),
            _ => format!("{sql} /* {comment} */"),
        }
    }
}

/// A value that can neither close the comment nor open a nested one (PostgreSQL nests block
/// comments): a request id comes from the client.
fn inert(v: &str) -> String {
    v.replace("*/", "* /").replace("/*", "/ *")
}

/// Percent-encoding of everything but unreserved characters (RFC 3986), as sqlcommenter asks.
fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn standard_by_default_without_the_request_id() {
        let t = QueryTags::parse(None).unwrap();
        assert_eq!(
            t.apply("SELECT 1", Some("r1"), "child", "h", Some("GetChild")),
            "SELECT 1 /* field_name=child, parameterized_query_hash=h, operation_name=GetChild */"
        );
        let t = QueryTags::parse(Some(&json!({"omit_request_id": false}))).unwrap();
        assert_eq!(
            t.apply("SELECT 1", Some("r1"), "child", "h", None),
            "SELECT 1 /* request_id=r1, field_name=child, parameterized_query_hash=h */"
        );
    }

    #[test]
    fn sqlcommenter_sorts_and_encodes_and_prepended_goes_first() {
        let t = QueryTags::parse(Some(&json!({"format": "sqlcommenter"}))).unwrap();
        assert_eq!(
            t.apply("SELECT 1", None, "my field", "h", Some("Op")),
            "SELECT 1 /* field_name='my%20field',operation_name='Op',parameterized_query_hash='h' */"
        );
        let t = QueryTags::parse(Some(&json!({"format": "standard_prepended"}))).unwrap();
        assert_eq!(
            t.apply("SELECT 1", None, "f", "h", None),
            "/* field_name=f, parameterized_query_hash=h */ SELECT 1"
        );
    }

    #[test]
    fn disabled_and_bad_settings() {
        let t = QueryTags::parse(Some(&json!({"disabled": true}))).unwrap();
        assert_eq!(t.apply("SELECT 1", None, "f", "h", None), "SELECT 1");
        assert!(QueryTags::parse(Some(&json!({"format": "xml"}))).is_err());
        assert!(QueryTags::parse(Some(&json!({"disabled": "yes"}))).is_err());
    }

    #[test]
    fn a_comment_cannot_be_closed_early() {
        let t = QueryTags::default();
        let t2 = QueryTags::parse(Some(&json!({"omit_request_id": false}))).unwrap();
        for tagged in [
            t.apply("SELECT 1", None, "f", "h", Some("a*/b")),
            t2.apply("SELECT 1", Some("x*/; DROP TABLE t; /*"), "f", "h", None),
        ] {
            assert_eq!(tagged.matches("*/").count(), 1, "{tagged}");
            assert_eq!(tagged.matches("/*").count(), 1, "{tagged}");
        }
    }
}
