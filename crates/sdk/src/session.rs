//! Session variables as the engine sends them: names matched case-insensitively, values text.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

/// The session variables of a request (`x-hasura-role`, `x-hasura-user-id`, ...), with names
/// kept in lower case so that any spelling finds them.
///
/// ```
/// let s: rasura_sdk::Session =
///     serde_json::from_str(r#"{"X-Hasura-Role": "user", "x-hasura-user-id": "42"}"#).unwrap();
/// assert_eq!(s.role(), Some("user"));
/// assert_eq!(s.user_id(), Some("42"));
/// assert_eq!(s.get("X-HASURA-USER-ID"), Some("42"));
/// assert_eq!(s.get("x-hasura-org-id"), None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Session {
    vars: BTreeMap<String, String>,
}

impl Session {
    /// A session from (name, value) pairs.
    ///
    /// ```
    /// let s = rasura_sdk::Session::from_pairs([("X-Hasura-Role", "admin")]);
    /// assert_eq!(s.role(), Some("admin"));
    /// ```
    pub fn from_pairs<K: AsRef<str>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Session {
        Session {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.as_ref().to_ascii_lowercase(), v.into()))
                .collect(),
        }
    }

    /// The value of a variable, whatever the case of `name`.
    ///
    /// ```
    /// let s = rasura_sdk::Session::from_pairs([("x-hasura-org", "7")]);
    /// assert_eq!(s.get("X-Hasura-Org"), Some("7"));
    /// ```
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// `x-hasura-role`.
    ///
    /// ```
    /// assert_eq!(rasura_sdk::Session::default().role(), None);
    /// ```
    pub fn role(&self) -> Option<&str> {
        self.get("x-hasura-role")
    }

    /// `x-hasura-user-id`.
    ///
    /// ```
    /// let s = rasura_sdk::Session::from_pairs([("x-hasura-user-id", "u1")]);
    /// assert_eq!(s.user_id(), Some("u1"));
    /// ```
    pub fn user_id(&self) -> Option<&str> {
        self.get("x-hasura-user-id")
    }

    /// Every variable, names in lower case.
    ///
    /// ```
    /// let s = rasura_sdk::Session::from_pairs([("A", "1"), ("b", "2")]);
    /// assert_eq!(s.iter().collect::<Vec<_>>(), vec![("a", "1"), ("b", "2")]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl<'de> Deserialize<'de> for Session {
    /// Accepts string values, and numbers or booleans (written as text); `null` values are
    /// left out.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw: BTreeMap<String, serde_json::Value> = BTreeMap::deserialize(d)?;
        Ok(Session {
            vars: raw
                .into_iter()
                .filter_map(|(k, v)| {
                    let v = match v {
                        serde_json::Value::String(s) => s,
                        serde_json::Value::Null => return None,
                        other => other.to_string(),
                    };
                    Some((k.to_ascii_lowercase(), v))
                })
                .collect(),
        })
    }
}
