//! CORS as Hasura answers it: `HASURA_GRAPHQL_CORS_DOMAIN` (`*` by default: every origin,
//! echoed back with credentials allowed) or a list of origins (`scheme://host[:port]`, with
//! `*.` for one subdomain level and `:*` for any port); `HASURA_GRAPHQL_DISABLE_CORS` sends no
//! CORS header at all. An allowed preflight is answered here (204); other requests get the
//! headers added to their answer.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

/// Which origins may call the API from a browser.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum CorsConfig {
    /// Every origin (Hasura's default, `*`).
    #[default]
    AllowAll,
    /// Only these.
    Domains(Vec<Domain>),
    /// No CORS headers at all.
    Disabled,
}

/// One allowed origin pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Domain {
    scheme: String,
    /// `*.host`: exactly one more label before `host`.
    wildcard: bool,
    host: String,
    /// `None`: no port given; `Some(None)`: any port (`:*`); `Some(Some(p))`: that port.
    port: Option<Option<u16>>,
}

const METHODS: &str = "GET,POST,PUT,PATCH,DELETE,OPTIONS";
const EXPOSE: &str = "X-Hasura-Query-Cache-Key,X-Hasura-Query-Family-Cache-Key,Warning";
const MAX_AGE: &str = "1728000";

impl CorsConfig {
    /// Parses `HASURA_GRAPHQL_CORS_DOMAIN`: `*`, or origins separated by commas.
    pub fn parse(text: &str) -> Result<CorsConfig, String> {
        let text = text.trim();
        if text == "*" {
            return Ok(CorsConfig::AllowAll);
        }
        text.split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(Domain::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(CorsConfig::Domains)
    }

    /// Whether a request from `origin` may be answered with CORS headers.
    pub fn allows(&self, origin: &str) -> bool {
        match self {
            CorsConfig::AllowAll => true,
            CorsConfig::Domains(ds) => ds.iter().any(|d| d.matches(origin)),
            CorsConfig::Disabled => false,
        }
    }
}

impl Domain {
    fn parse(text: &str) -> Result<Domain, String> {
        let invalid = || {
            format!(
                "invalid domain: '{text}'. All domains should have scheme + (optional wildcard) host + (optional port)"
            )
        };
        let (scheme, rest) = text.split_once("://").ok_or_else(invalid)?;
        let scheme_ok = !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c));
        if !scheme_ok {
            return Err(invalid());
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, "*")) => (h, Some(None)),
            Some((h, p)) => (h, Some(Some(p.parse::<u16>().map_err(|_| invalid())?))),
            None => (rest, None),
        };
        let (wildcard, host) = match host.strip_prefix("*.") {
            Some(h) => (true, h),
            None => (false, host),
        };
        let host_ok = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.".contains(c));
        if !host_ok {
            return Err(invalid());
        }
        Ok(Domain {
            scheme: scheme.to_ascii_lowercase(),
            wildcard,
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    fn matches(&self, origin: &str) -> bool {
        let origin = origin.to_ascii_lowercase();
        let Some((scheme, rest)) = origin.split_once("://") else {
            return false;
        };
        if scheme != self.scheme {
            return false;
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) => match p.parse::<u16>() {
                Ok(p) => (h, Some(p)),
                Err(_) => return false,
            },
            None => (rest, None),
        };
        let port_ok = match self.port {
            None => port.is_none(),
            Some(None) => true,
            Some(Some(p)) => port == Some(p),
        };
        let host_ok = if self.wildcard {
            host.strip_suffix(&self.host)
                .and_then(|sub| sub.strip_suffix('.'))
                .is_some_and(|label| !label.is_empty() && !label.contains('.'))
        } else {
            host == self.host
        };
        port_ok && host_ok
    }
}

/// The middleware.
pub async fn layer(State(cors): State<CorsConfig>, req: Request, next: Next) -> Response {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .filter(|o| o.to_str().is_ok_and(|o| cors.allows(o)))
        .cloned();
    let Some(origin) = origin else {
        return next.run(req).await;
    };
    if req.method() == Method::OPTIONS {
        let requested = req
            .headers()
            .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .cloned()
            .unwrap_or_else(|| HeaderValue::from_static(""));
        let mut resp = Response::new(Body::empty());
        *resp.status_mut() = StatusCode::NO_CONTENT;
        let h = resp.headers_mut();
        allow(h, origin);
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(MAX_AGE),
        );
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested);
        return resp;
    }
    let mut resp = next.run(req).await;
    allow(resp.headers_mut(), origin);
    resp
}

fn allow(h: &mut HeaderMap, origin: HeaderValue) {
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    h.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(METHODS),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSE),
    );
}

#[cfg(test)]
mod tests {
    use super::CorsConfig;

    #[test]
    fn origins_match_as_hasura_matches_them() {
        let c = CorsConfig::parse(
            "http://*.localhost, http://localhost:3000, https://*.foo.bar.com, http://dev.test:*",
        )
        .unwrap();
        for ok in [
            "http://localhost:3000",
            "http://app.localhost",
            "https://app.foo.bar.com",
            "http://dev.test:8080",
            "http://dev.test",
        ] {
            assert!(c.allows(ok), "{ok}");
        }
        for no in [
            "https://foo.bar.com",
            "https://inst1.app.foo.bar.com",
            "https://example.com",
            "http://localhost:3001",
            "https://localhost:3000",
            "http://app.localhost:80",
        ] {
            assert!(!c.allows(no), "{no}");
        }
        assert!(CorsConfig::AllowAll.allows("https://anything.example"));
        assert!(!CorsConfig::Disabled.allows("https://anything.example"));
        assert!(CorsConfig::parse("localhost:3000").is_err());
        assert!(CorsConfig::parse("http://a.com:port").is_err());
    }
}
