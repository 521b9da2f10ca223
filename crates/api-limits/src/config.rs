//! The `api_limits` section as typed data, and the limits of one role.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A limit: a `global` value and `per_role` overrides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Limit<T> {
    pub global: T,
    #[serde(default = "HashMap::new")]
    pub per_role: HashMap<String, T>,
}

impl<T: Clone> Limit<T> {
    fn for_role(&self, role: &str) -> T {
        self.per_role
            .get(role)
            .cloned()
            .unwrap_or_else(|| self.global.clone())
    }
}

/// `rate_limit`'s value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateLimit {
    pub max_reqs_per_min: u64,
    /// `"IP"`, or session variables whose values (with the role) key the counter.
    #[serde(default)]
    pub unique_params: Option<Value>,
}

/// The whole section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ApiLimits {
    #[serde(default)]
    pub disabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth_limit: Option<Limit<u64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_limit: Option<Limit<u64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_limit: Option<Limit<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_limit: Option<Limit<u64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<Limit<RateLimit>>,
}

/// What limits one role's requests.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoleLimits {
    pub depth: Option<u64>,
    pub nodes: Option<u64>,
    pub time: Option<std::time::Duration>,
    pub batch: Option<u64>,
    pub rate: Option<RateLimit>,
}

impl RoleLimits {
    pub fn is_empty(&self) -> bool {
        *self == RoleLimits::default()
    }
}

/// Checks `unique_params`: `"IP"` (any case) or session variables, never `x-hasura-role`.
fn check_unique_params(v: &Value) -> Result<(), String> {
    let bad = || {
        "Not a valid value. Should be either: 'IP' or a list of Hasura session variables"
            .to_string()
    };
    match v {
        Value::Null => Ok(()),
        Value::String(s) if s.eq_ignore_ascii_case("ip") => Ok(()),
        Value::Array(items) => {
            for i in items {
                match i.as_str() {
                    Some(s)
                        if s.to_ascii_lowercase().starts_with("x-hasura-")
                            && s != "x-hasura-role" => {}
                    _ => return Err(bad()),
                }
            }
            Ok(())
        }
        _ => Err(bad()),
    }
}

impl ApiLimits {
    /// The section of a metadata document (none: no limits), or why it is not valid.
    pub fn parse(v: Option<&Value>) -> Result<ApiLimits, String> {
        let Some(v) = v.filter(|v| !v.is_null()) else {
            return Ok(ApiLimits::default());
        };
        let limits: ApiLimits = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
        if let Some(r) = &limits.rate_limit {
            check_unique_params(r.global.unique_params.as_ref().unwrap_or(&Value::Null))?;
            for p in r.per_role.values() {
                check_unique_params(p.unique_params.as_ref().unwrap_or(&Value::Null))?;
            }
        }
        if let Some(t) = &limits.time_limit {
            if std::iter::once(&t.global)
                .chain(t.per_role.values())
                .any(|s| !s.is_finite() || *s < 0.0)
            {
                return Err("a time limit is a number of seconds, not negative".into());
            }
        }
        Ok(limits)
    }

    /// The limits of `role`: none for admin, or when the section is disabled.
    pub fn for_role(&self, role: &str) -> RoleLimits {
        if self.disabled || role == "admin" {
            return RoleLimits::default();
        }
        RoleLimits {
            depth: self.depth_limit.as_ref().map(|l| l.for_role(role)),
            nodes: self.node_limit.as_ref().map(|l| l.for_role(role)),
            time: self
                .time_limit
                .as_ref()
                .map(|l| std::time::Duration::from_secs_f64(l.for_role(role))),
            batch: self.batch_limit.as_ref().map(|l| l.for_role(role)),
            rate: self.rate_limit.as_ref().map(|l| l.for_role(role)),
        }
    }

    /// Whether any role could be limited.
    pub fn is_empty(&self) -> bool {
        self.disabled
            || (self.depth_limit.is_none()
                && self.node_limit.is_none()
                && self.time_limit.is_none()
                && self.batch_limit.is_none()
                && self.rate_limit.is_none())
    }
}
