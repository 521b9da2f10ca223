//! Who is asking: the request's headers → a [`Session`] (role and session variables), by the
//! rules of Hasura's auth modes: the admin secret (checked first; its holder may act as any
//! role through `X-Hasura-Role` and `X-Hasura-*` headers), then a JWT when JWT mode is on,
//! then the unauthorized role; with no secret set every request is trusted.

use http::HeaderMap;
use rasura_ir::Session;

use crate::config::AuthConfig;
use crate::error::AuthError;
use crate::secret::{constant_time_eq, given_admin_secret};

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The `x-hasura-*` headers as session variables (names in lower case), secrets left out.
fn session_from_headers(headers: &HeaderMap, default_role: &str) -> Session {
    let mut vars = std::collections::BTreeMap::new();
    for (name, value) in headers {
        let name = name.as_str().to_ascii_lowercase();
        if !name.starts_with("x-hasura-")
            || name == "x-hasura-admin-secret"
            || name == "x-hasura-access-key"
        {
            continue;
        }
        if let Ok(v) = value.to_str() {
            vars.insert(name, v.to_string());
        }
    }
    let role = vars
        .get("x-hasura-role")
        .cloned()
        .unwrap_or_else(|| default_role.to_string());
    vars.insert("x-hasura-role".into(), role.clone());
    let backend_only = vars
        .get("x-hasura-use-backend-only-permissions")
        .is_some_and(|v| v == "true");
    Session {
        role,
        vars,
        backend_only,
    }
}

/// Resolves the session of a request, calling the auth webhook when that mode is on.
pub async fn authenticate(
    config: &AuthConfig,
    headers: &HeaderMap,
    request: &serde_json::Value,
    set_cookies: &mut Vec<String>,
) -> Result<Session, AuthError> {
    let Some(hook) = &config.auth_hook else {
        return resolve_session(config, headers);
    };
    if let Some(secret) = &config.admin_secret {
        match given_admin_secret(headers) {
            Some(given) if constant_time_eq(given.as_bytes(), secret.as_bytes()) => {
                return Ok(session_from_headers(headers, "admin"))
            }
            Some(_) => {
                return Err(AuthError::denied(
                    "invalid x-hasura-admin-secret/x-hasura-access-key",
                ))
            }
            None => {}
        }
    }
    let answer = crate::webhook::session(hook, headers, request).await?;
    set_cookies.extend(answer.set_cookies);
    Ok(answer.session)
}

/// Resolves the session of a request.
pub fn resolve_session(config: &AuthConfig, headers: &HeaderMap) -> Result<Session, AuthError> {
    let Some(secret) = &config.admin_secret else {
        return Ok(session_from_headers(headers, "admin"));
    };
    match given_admin_secret(headers) {
        Some(given) if constant_time_eq(given.as_bytes(), secret.as_bytes()) => {
            Ok(session_from_headers(headers, "admin"))
        }
        Some(_) => Err(AuthError::denied(
            "invalid x-hasura-admin-secret/x-hasura-access-key",
        )),
        None if config.jwt.is_some() => {
            let jwt = config.jwt.as_ref().expect("checked");
            match crate::jwt::token(jwt, headers)? {
                Some(t) => crate::jwt::session(jwt, &t, header(headers, "x-hasura-role")),
                None => match &config.unauthorized_role {
                    Some(role) => Ok(Session {
                        role: role.clone(),
                        vars: [("x-hasura-role".to_string(), role.clone())]
                            .into_iter()
                            .collect(),
                        backend_only: false,
                    }),
                    None => Err(AuthError {
                        code: "invalid-headers",
                        message:
                            "Missing 'Authorization' or 'Cookie' header in JWT authentication mode"
                                .into(),
                    }),
                },
            }
        }
        None => match &config.unauthorized_role {
            Some(role) => {
                let mut s = session_from_headers(headers, role);
                s.role = role.clone();
                s.backend_only = false;
                s.vars.insert("x-hasura-role".into(), role.clone());
                Ok(s)
            }
            None => Err(AuthError::denied(
                "x-hasura-admin-secret/x-hasura-access-key required, but not found",
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use http::{HeaderName, HeaderValue};

    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn modes() {
        let open = AuthConfig::default();
        let s = resolve_session(
            &open,
            &headers(&[("X-Hasura-Role", "user"), ("X-HASURA-USER-ID", "7")]),
        )
        .unwrap();
        assert_eq!(
            (s.role.as_str(), s.var("x-hasura-user-id")),
            ("user", Some("7"))
        );
        assert_eq!(resolve_session(&open, &headers(&[])).unwrap().role, "admin");

        let guarded = AuthConfig {
            admin_secret: Some("s".into()),
            ..Default::default()
        };
        assert_eq!(
            resolve_session(&guarded, &headers(&[])).unwrap_err().code,
            "access-denied"
        );
        assert!(resolve_session(&guarded, &headers(&[("x-hasura-admin-secret", "x")])).is_err());
        let s = resolve_session(
            &guarded,
            &headers(&[("x-hasura-admin-secret", "s"), ("x-hasura-role", "editor")]),
        )
        .unwrap();
        assert_eq!(s.role, "editor");
        assert!(s.var("x-hasura-admin-secret").is_none());

        let anon = AuthConfig {
            admin_secret: Some("s".into()),
            unauthorized_role: Some("anonymous".into()),
            ..Default::default()
        };
        let s = resolve_session(&anon, &headers(&[("x-hasura-role", "admin")])).unwrap();
        assert_eq!(s.role, "anonymous");
    }
}
