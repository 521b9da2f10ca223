//! JWT mode: Hasura's JSON config (`type` + `key`, claims namespace or path, stringified
//! claims, audience, issuer, allowed skew, `Authorization: Bearer` or a cookie) and the
//! verification of a request's token into a session.

use std::collections::BTreeMap;

use axum::http::HeaderMap;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rasura_ir::Session;
use serde::Deserialize;
use serde_json::Value;

use crate::auth::AuthError;

/// The JWT configuration, parsed once at startup.
#[derive(Clone)]
pub struct JwtConfig {
    algorithm: Algorithm,
    key: DecodingKey,
    claims_namespace: String,
    claims_namespace_path: Option<String>,
    stringified: bool,
    audience: Option<Vec<String>>,
    issuer: Option<String>,
    allowed_skew: u64,
    cookie: Option<String>,
}

impl std::fmt::Debug for JwtConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("JwtConfig")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(rename = "type")]
    kind: String,
    key: Option<String>,
    jwk_url: Option<String>,
    claims_namespace: Option<String>,
    claims_namespace_path: Option<String>,
    claims_format: Option<String>,
    audience: Option<Value>,
    issuer: Option<String>,
    allowed_skew: Option<u64>,
    header: Option<Value>,
    claims_map: Option<Value>,
}

/// Parses `--jwt-secret` (Hasura's JSON object).
pub fn parse_config(text: &str) -> Result<JwtConfig, String> {
    let raw: RawConfig =
        serde_json::from_str(text).map_err(|e| format!("invalid JWT config: {e}"))?;
    if raw.jwk_url.is_some() {
        return Err("JWT config: jwk_url is not supported yet; give the key with \"key\"".into());
    }
    if raw.claims_map.is_some() {
        return Err("JWT config: claims_map is not supported yet".into());
    }
    // Hasura spells Ed25519 as the key type; the algorithm is EdDSA.
    let kind = if raw.kind == "Ed25519" {
        "EdDSA"
    } else {
        raw.kind.as_str()
    };
    let algorithm: Algorithm = kind
        .parse()
        .map_err(|_| format!("JWT config: unsupported type {:?}", raw.kind))?;
    let key_text = raw.key.ok_or("JWT config: \"key\" is required")?;
    let key = match algorithm {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
            if key_text.len() < 32 {
                return Err("JWT config: an HMAC key must be at least 32 characters".into());
            }
            DecodingKey::from_secret(key_text.as_bytes())
        }
        Algorithm::RS256
        | Algorithm::RS384
        | Algorithm::RS512
        | Algorithm::PS256
        | Algorithm::PS384
        | Algorithm::PS512 => DecodingKey::from_rsa_pem(key_text.as_bytes())
            .map_err(|e| format!("JWT config: bad RSA key: {e}"))?,
        Algorithm::ES256 | Algorithm::ES384 => DecodingKey::from_ec_pem(key_text.as_bytes())
            .map_err(|e| format!("JWT config: bad EC key: {e}"))?,
        Algorithm::EdDSA => DecodingKey::from_ed_pem(key_text.as_bytes())
            .map_err(|e| format!("JWT config: bad Ed25519 key: {e}"))?,
        other => return Err(format!("JWT config: unsupported type {other:?}")),
    };
    let audience = match raw.audience {
        None => None,
        Some(Value::String(a)) => Some(vec![a]),
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
        ),
        Some(_) => return Err("JWT config: audience must be a string or a list of strings".into()),
    };
    let cookie = match raw.header {
        None => None,
        Some(h) => match h.get("type").and_then(Value::as_str) {
            Some("Authorization") => None,
            Some("Cookie") => Some(
                h.get("name")
                    .and_then(Value::as_str)
                    .ok_or("JWT config: the cookie header needs a name")?
                    .to_string(),
            ),
            _ => return Err("JWT config: header.type must be Authorization or Cookie".into()),
        },
    };
    Ok(JwtConfig {
        algorithm,
        key,
        claims_namespace: raw
            .claims_namespace
            .unwrap_or_else(|| "https://hasura.io/jwt/claims".into()),
        claims_namespace_path: raw.claims_namespace_path,
        stringified: raw.claims_format.as_deref() == Some("stringified_json"),
        audience,
        issuer: raw.issuer,
        allowed_skew: raw.allowed_skew.unwrap_or(0),
        cookie,
    })
}

fn err(code: &'static str, message: impl Into<String>) -> AuthError {
    AuthError {
        code,
        message: message.into(),
    }
}

/// The token of a request, if it carries one.
pub fn token(cfg: &JwtConfig, headers: &HeaderMap) -> Result<Option<String>, AuthError> {
    if let Some(name) = &cfg.cookie {
        let cookies = headers.get_all("cookie");
        for c in cookies.iter().filter_map(|v| v.to_str().ok()) {
            for part in c.split(';') {
                if let Some((k, v)) = part.trim().split_once('=') {
                    if k == name {
                        return Ok(Some(v.to_string()));
                    }
                }
            }
        }
        return Ok(None);
    }
    let Some(auth) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    match auth.split_once(' ') {
        Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") && !t.trim().is_empty() => {
            Ok(Some(t.trim().to_string()))
        }
        _ => Err(err("invalid-headers", "Malformed Authorization header")),
    }
}

/// Verifies `token` and builds the session; `requested` is the `X-Hasura-Role` header.
pub fn session(
    cfg: &JwtConfig,
    token: &str,
    requested: Option<&str>,
) -> Result<Session, AuthError> {
    let mut v = Validation::new(cfg.algorithm);
    v.leeway = cfg.allowed_skew;
    v.validate_nbf = true;
    v.required_spec_claims.clear();
    match &cfg.audience {
        Some(a) => v.set_audience(a),
        None => v.validate_aud = false,
    }
    let data = jsonwebtoken::decode::<Value>(token, &cfg.key, &v).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind::*;
        let what = match e.kind() {
            ExpiredSignature => "JWTExpired".to_string(),
            ImmatureSignature => "JWTNotInScope".to_string(),
            InvalidAudience => "JWTNotInAudience".to_string(),
            InvalidSignature => "JWSError JWSInvalidSignature".to_string(),
            InvalidAlgorithm => "JWSError (JWSInvalidHeader \"algorithm not allowed\")".to_string(),
            other => format!("{other:?}"),
        };
        err("invalid-jwt", format!("Could not verify JWT: {what}"))
    })?;
    let claims = data.claims;
    // A token without `iss` is accepted even when an issuer is configured.
    if let (Some(want), Some(got)) = (&cfg.issuer, claims.get("iss").and_then(Value::as_str)) {
        if want != got {
            return Err(err("invalid-jwt", "Could not verify JWT: JWTNotInIssuer"));
        }
    }
    let hasura = match &cfg.claims_namespace_path {
        Some(path) => json_path(&claims, path),
        None => claims.get(&cfg.claims_namespace).cloned(),
    }
    .ok_or_else(|| {
        err(
            "jwt-invalid-claims",
            "claims key: 'https://hasura.io/jwt/claims' not found",
        )
    })?;
    let hasura = match (cfg.stringified, hasura) {
        (true, Value::String(s)) => serde_json::from_str(&s).map_err(|_| {
            err(
                "jwt-invalid-claims",
                "the claims are not valid stringified JSON",
            )
        })?,
        (_, v) => v,
    };
    let Value::Object(map) = hasura else {
        return Err(err(
            "jwt-invalid-claims",
            "the claims must be a JSON object",
        ));
    };
    let map: BTreeMap<String, Value> = map
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect();
    let allowed = match map.get("x-hasura-allowed-roles") {
        None => {
            return Err(err(
                "jwt-missing-role-claims",
                "JWT claim does not contain x-hasura-allowed-roles",
            ))
        }
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect::<Vec<_>>(),
        Some(other) => {
            return Err(err(
                "jwt-invalid-claims",
                format!("invalid x-hasura-allowed-roles; should be a list of roles: {other}"),
            ))
        }
    };
    let default = match map.get("x-hasura-default-role") {
        None => {
            return Err(err(
                "jwt-missing-role-claims",
                "JWT claim does not contain x-hasura-default-role",
            ))
        }
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(err(
                "jwt-invalid-claims",
                format!("invalid x-hasura-default-role; should be a role: {other}"),
            ))
        }
    };
    let role = requested.map_or(default, str::to_string);
    if !allowed.contains(&role) {
        return Err(err(
            "access-denied",
            "Your requested role is not in allowed roles",
        ));
    }
    let mut vars = BTreeMap::new();
    for (k, v) in map {
        if !k.starts_with("x-hasura-")
            || k == "x-hasura-allowed-roles"
            || k == "x-hasura-default-role"
        {
            continue;
        }
        let text = match v {
            Value::String(s) => s,
            Value::Array(items) => format!(
                "{{{}}}",
                items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            other => other.to_string(),
        };
        vars.insert(k, text);
    }
    vars.insert("x-hasura-role".into(), role.clone());
    Ok(Session { role, vars })
}

/// `$.a.b` (or `$` for the root) in a JSON value.
fn json_path(v: &Value, path: &str) -> Option<Value> {
    let mut cur = v;
    for part in path
        .trim_start_matches('$')
        .split('.')
        .filter(|p| !p.is_empty())
    {
        cur = cur.get(part)?;
    }
    Some(cur.clone())
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{encode, EncodingKey, Header};
    use serde_json::json;

    use super::*;

    const KEY: &str = "an-hmac-key-of-at-least-32-characters!!";

    fn cfg(extra: Value) -> JwtConfig {
        let mut c = json!({"type": "HS256", "key": KEY});
        c.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        parse_config(&c.to_string()).unwrap()
    }

    fn sign(claims: Value) -> String {
        encode(
            &Header::default(),
            &claims,
            &EncodingKey::from_secret(KEY.as_bytes()),
        )
        .unwrap()
    }

    fn now() -> i64 {
        jsonwebtoken::get_current_timestamp() as i64
    }

    fn claims(roles: Value, default: &str) -> Value {
        json!({"sub": "42", "exp": now() + 600, "https://hasura.io/jwt/claims": {
            "x-hasura-allowed-roles": roles, "x-hasura-default-role": default,
            "X-Hasura-User-Id": "42", "x-hasura-org-ids": ["1", "2"]}})
    }

    #[test]
    fn a_good_token_gives_a_session() {
        let s = session(
            &cfg(json!({})),
            &sign(claims(json!(["user", "editor"]), "user")),
            None,
        )
        .unwrap();
        assert_eq!(s.role, "user");
        assert_eq!(s.var("x-hasura-user-id"), Some("42"));
        assert_eq!(s.var("x-hasura-org-ids"), Some("{1,2}"));
        let s = session(
            &cfg(json!({})),
            &sign(claims(json!(["user", "editor"]), "user")),
            Some("editor"),
        )
        .unwrap();
        assert_eq!(s.role, "editor");
    }

    fn code(c: &JwtConfig, token: &str, role: Option<&str>) -> &'static str {
        session(c, token, role).unwrap_err().code
    }

    #[test]
    fn bad_tokens_are_refused_with_hasura_codes() {
        let c = cfg(json!({}));
        // A role outside the allowed ones.
        assert_eq!(
            code(&c, &sign(claims(json!(["user"]), "user")), Some("admin")),
            "access-denied"
        );
        // Bad signature.
        let other = encode(
            &Header::default(),
            &claims(json!(["user"]), "user"),
            &EncodingKey::from_secret(b"another-key-another-key-another-key!!"),
        )
        .unwrap();
        assert_eq!(code(&c, &other, None), "invalid-jwt");
        // alg: none.
        let none = format!(
            "{}.{}.",
            base64_url(br#"{"alg":"none","typ":"JWT"}"#),
            base64_url(claims(json!(["user"]), "user").to_string().as_bytes())
        );
        assert_eq!(code(&c, &none, None), "invalid-jwt");
        // Expired, not yet valid.
        let mut expired = claims(json!(["user"]), "user");
        expired["exp"] = json!(now() - 600);
        assert_eq!(code(&c, &sign(expired), None), "invalid-jwt");
        let mut early = claims(json!(["user"]), "user");
        early["nbf"] = json!(now() + 600);
        assert_eq!(code(&c, &sign(early), None), "invalid-jwt");
        // Audience and issuer.
        let aud = cfg(json!({"audience": "myapp", "issuer": "me"}));
        let mut wrong_aud = claims(json!(["user"]), "user");
        wrong_aud["aud"] = json!("other");
        assert_eq!(code(&aud, &sign(wrong_aud), None), "invalid-jwt");
        let mut wrong_iss = claims(json!(["user"]), "user");
        wrong_iss["aud"] = json!("myapp");
        wrong_iss["iss"] = json!("you");
        assert_eq!(code(&aud, &sign(wrong_iss), None), "invalid-jwt");
        // Missing and malformed role claims.
        let mut missing = claims(json!(["user"]), "user");
        missing["https://hasura.io/jwt/claims"]
            .as_object_mut()
            .unwrap()
            .remove("x-hasura-allowed-roles");
        assert_eq!(code(&c, &sign(missing), None), "jwt-missing-role-claims");
        let mut no_default = claims(json!(["user"]), "user");
        no_default["https://hasura.io/jwt/claims"]
            .as_object_mut()
            .unwrap()
            .remove("x-hasura-default-role");
        assert_eq!(code(&c, &sign(no_default), None), "jwt-missing-role-claims");
        assert_eq!(
            code(&c, &sign(claims(json!("user"), "user")), None),
            "jwt-invalid-claims"
        );
        // Garbage.
        assert_eq!(code(&c, "not.a.jwt", None), "invalid-jwt");
    }

    #[test]
    fn namespace_path_stringified_claims_and_cookies() {
        let c = cfg(
            json!({"claims_namespace_path": "$.hasura.claims", "claims_format": "stringified_json", "header": {"type": "Cookie", "name": "tok"}}),
        );
        let inner = json!({"x-hasura-allowed-roles": ["user"], "x-hasura-default-role": "user"})
            .to_string();
        let t = sign(json!({"exp": now() + 60, "hasura": {"claims": inner}}));
        assert_eq!(session(&c, &t, None).unwrap().role, "user");
        let mut headers = HeaderMap::new();
        headers.insert("cookie", format!("a=b; tok={t}").parse().unwrap());
        assert_eq!(token(&c, &headers).unwrap(), Some(t));
        assert!(parse_config(r#"{"type": "HS256", "key": "short"}"#).is_err());
    }

    fn base64_url(bytes: &[u8]) -> String {
        const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }
}
