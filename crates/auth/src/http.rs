//! HTTP facts shared by webhook callers (auth hook, JWK sets, action handlers, remotes).

use std::time::Duration;

/// Client headers never passed on to a webhook (hop-by-hop and content headers).
pub const NOT_FORWARDED: &[&str] = &[
    "content-length",
    "content-type",
    "content-md5",
    "user-agent",
    "host",
    "origin",
    "referer",
    "accept",
    "accept-encoding",
    "accept-language",
    "accept-datetime",
    "cache-control",
    "connection",
    "dnt",
];

/// Whether a client header is passed on to an action handler or remote schema that asks for
/// client headers: not a hop-by-hop or content header, and not `x-hasura-*` (those reach the
/// handler as session variables, after auth).
pub fn forwardable(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !NOT_FORWARDED.contains(&lower.as_str()) && !lower.starts_with("x-hasura-")
}

/// A request's headers as (name, value) text pairs (values that are not text are left out).
pub fn header_pairs(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_string(), v.to_string()))
        })
        .collect()
}

/// How long an answer may be reused: `Cache-Control: s-maxage`/`max-age`, else `Expires`.
pub fn cache_lifetime(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let max_age = headers
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .and_then(|cc| {
            cc.split(',').find_map(|d| {
                let d = d.trim();
                d.strip_prefix("s-maxage=")
                    .or_else(|| d.strip_prefix("max-age="))
                    .and_then(|n| n.parse().ok())
            })
        });
    if let Some(secs) = max_age {
        return Some(Duration::from_secs(secs));
    }
    let expires = headers.get("expires").and_then(|v| v.to_str().ok())?;
    httpdate::parse_http_date(expires)
        .ok()?
        .duration_since(std::time::SystemTime::now())
        .ok()
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderMap, HeaderValue};

    use super::*;

    #[test]
    fn lifetimes() {
        let mut h = HeaderMap::new();
        h.insert(
            "cache-control",
            HeaderValue::from_static("public, max-age=120"),
        );
        assert_eq!(cache_lifetime(&h), Some(Duration::from_secs(120)));
        let mut h = HeaderMap::new();
        h.insert(
            "expires",
            HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"),
        );
        assert_eq!(cache_lifetime(&h), None);
        assert_eq!(cache_lifetime(&HeaderMap::new()), None);
    }
}
