//! Small HTTP facts shared by the webhook callers (auth hook, JWK sets, action handlers).

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
