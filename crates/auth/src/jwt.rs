//! JWT mode: Hasura's JSON config (`type` + `key`, claims namespace or path, stringified
//! claims, audience, issuer, allowed skew, `Authorization: Bearer` or a cookie) and the
//! verification of a request's token into a session.

use std::collections::BTreeMap;

use http::HeaderMap;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rasura_ir::Session;
use serde::Deserialize;
use serde_json::Value;

use crate::error::AuthError;

/// Where verification keys come from.
#[derive(Clone)]
enum Keys {
    Static(DecodingKey),
    /// A JWK set fetched from `jwk_url`, refreshed as its `Cache-Control`/`Expires` say.
    Remote(std::sync::Arc<JwkStore>),
}

/// The fetched JWK set.
pub struct JwkStore {
    url: String,
    set: std::sync::RwLock<jsonwebtoken::jwk::JwkSet>,
}

/// The JWT configuration, parsed once at startup.
#[derive(Clone)]
pub struct JwtConfig {
    algorithm: Algorithm,
    keys: Keys,
    claims_map: Option<serde_json::Map<String, Value>>,
    claims_namespace: String,
    claims_namespace_path: Option<String>,
    stringified: bool,
    audience: Option<Vec<String>>,
    issuer: Option<String>,
    allowed_skew: u64,
    cookie: Option<String>,
}

impl JwtConfig {
    /// What `/v1alpha1/config` tells of this configuration (never the key):
    /// `{claims_namespace, claims_format, claims_map}`.
    pub fn describe(&self) -> Value {
        serde_json::json!({
            "claims_namespace": self
                .claims_namespace_path
                .clone()
                .unwrap_or_else(|| self.claims_namespace.clone()),
            "claims_format": if self.stringified { "stringified_json" } else { "json" },
            "claims_map": self.claims_map,
        })
    }
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
    let claims_map = match raw.claims_map {
        None => None,
        Some(Value::Object(m)) => Some(m),
        Some(_) => return Err("JWT config: claims_map must be an object".into()),
    };
    // Hasura spells Ed25519 as the key type; the algorithm is EdDSA.
    let kind = if raw.kind == "Ed25519" {
        "EdDSA"
    } else {
        raw.kind.as_str()
    };
    let algorithm: Algorithm = kind
        .parse()
        .map_err(|_| format!("JWT config: unsupported type {:?}", raw.kind))?;
    if let Some(url) = raw.jwk_url {
        let store = JwkStore {
            url,
            set: std::sync::RwLock::new(jsonwebtoken::jwk::JwkSet { keys: vec![] }),
        };
        return finish(
            raw_rest(
                raw.claims_namespace,
                raw.claims_namespace_path,
                raw.claims_format,
                raw.audience,
                raw.issuer,
                raw.allowed_skew,
                raw.header,
            )?,
            algorithm,
            Keys::Remote(std::sync::Arc::new(store)),
            claims_map,
        );
    }
    let key_text = raw
        .key
        .ok_or("JWT config: \"key\" or \"jwk_url\" is required")?;
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
    let rest = raw_rest(
        raw.claims_namespace,
        raw.claims_namespace_path,
        raw.claims_format,
        raw.audience,
        raw.issuer,
        raw.allowed_skew,
        raw.header,
    )?;
    finish(rest, algorithm, Keys::Static(key), claims_map)
}

/// The settings other than keys.
struct Rest {
    claims_namespace: String,
    claims_namespace_path: Option<String>,
    stringified: bool,
    audience: Option<Vec<String>>,
    issuer: Option<String>,
    allowed_skew: u64,
    cookie: Option<String>,
}

fn raw_rest(
    claims_namespace: Option<String>,
    claims_namespace_path: Option<String>,
    claims_format: Option<String>,
    audience: Option<Value>,
    issuer: Option<String>,
    allowed_skew: Option<u64>,
    header: Option<Value>,
) -> Result<Rest, String> {
    let audience = match audience {
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
    let cookie = match header {
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
    Ok(Rest {
        claims_namespace: claims_namespace.unwrap_or_else(|| "https://hasura.io/jwt/claims".into()),
        claims_namespace_path,
        stringified: claims_format.as_deref() == Some("stringified_json"),
        audience,
        issuer,
        allowed_skew: allowed_skew.unwrap_or(0),
        cookie,
    })
}

fn finish(
    r: Rest,
    algorithm: Algorithm,
    keys: Keys,
    claims_map: Option<serde_json::Map<String, Value>>,
) -> Result<JwtConfig, String> {
    Ok(JwtConfig {
        algorithm,
        keys,
        claims_map,
        claims_namespace: r.claims_namespace,
        claims_namespace_path: r.claims_namespace_path,
        stringified: r.stringified,
        audience: r.audience,
        issuer: r.issuer,
        allowed_skew: r.allowed_skew,
        cookie: r.cookie,
    })
}

impl JwtConfig {
    /// For `jwk_url`: fetches the key set now, then keeps refreshing it in the background as
    /// the response's `Cache-Control: max-age` (or `Expires`) says.
    pub async fn start_refresh(&self) -> Result<(), String> {
        let Keys::Remote(store) = &self.keys else {
            return Ok(());
        };
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
        let first = fetch_jwks(&client, store).await?;
        let store = store.clone();
        tokio::spawn(async move {
            let mut wait = first;
            loop {
                let Some(secs) = wait else { return };
                tokio::time::sleep(std::time::Duration::from_secs(secs.max(1))).await;
                wait = match fetch_jwks(&client, &store).await {
                    Ok(next) => next,
                    Err(e) => {
                        tracing::warn!("could not refresh the JWK set: {e}");
                        Some(60)
                    }
                };
            }
        });
        Ok(())
    }
}

/// Fetches the JWK set; returns how long it may be cached (seconds), if the server said.
async fn fetch_jwks(client: &reqwest::Client, store: &JwkStore) -> Result<Option<u64>, String> {
    let resp = client
        .get(&store.url)
        .send()
        .await
        .map_err(|e| format!("JWK set at {}: {e}", store.url))?;
    if !resp.status().is_success() {
        return Err(format!("JWK set at {}: HTTP {}", store.url, resp.status()));
    }
    let max_age = crate::http::cache_lifetime(resp.headers()).map(|d| d.as_secs());
    let set: jsonwebtoken::jwk::JwkSet = resp
        .json()
        .await
        .map_err(|e| format!("JWK set at {}: {e}", store.url))?;
    *store.set.write().expect("jwk lock") = set;
    Ok(max_age)
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
    let claims = verify(cfg, token)?;
    session_from_claims(cfg, &claims, requested)
}

/// When a verified token expires (its `exp`, seconds since the epoch), if it says.
pub fn expiry(cfg: &JwtConfig, token: &str) -> Option<u64> {
    verify(cfg, token).ok()?.get("exp")?.as_u64()
}

/// Checks `token`'s signature, time claims, audience and issuer; returns its claims.
fn verify(cfg: &JwtConfig, token: &str) -> Result<Value, AuthError> {
    let mut v = Validation::new(cfg.algorithm);
    v.leeway = cfg.allowed_skew;
    v.validate_nbf = true;
    v.required_spec_claims.clear();
    match &cfg.audience {
        Some(a) => v.set_audience(a),
        None => v.validate_aud = false,
    }
    let key = match &cfg.keys {
        Keys::Static(k) => k.clone(),
        Keys::Remote(store) => {
            let header = jsonwebtoken::decode_header(token)
                .map_err(|_| err("invalid-jwt", "Could not verify JWT: malformed token"))?;
            let set = store.set.read().expect("jwk lock");
            let jwk = match &header.kid {
                Some(kid) => set.find(kid),
                None => set.keys.first(),
            }
            .ok_or_else(|| {
                err(
                    "invalid-jwt",
                    "Could not verify JWT: no matching key in the JWK set",
                )
            })?;
            // The key's own algorithm, when the set names one, is the only one accepted.
            if let Some(alg) = jwk.common.key_algorithm {
                if alg.to_string() != format!("{:?}", header.alg) {
                    return Err(err(
                        "invalid-jwt",
                        "Could not verify JWT: algorithm not allowed",
                    ));
                }
            }
            v.algorithms = vec![header.alg];
            DecodingKey::from_jwk(jwk).map_err(|_| {
                err(
                    "invalid-jwt",
                    "Could not verify JWT: unusable key in the JWK set",
                )
            })?
        }
    };
    let data = jsonwebtoken::decode::<Value>(token, &key, &v).map_err(|e| {
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
    Ok(claims)
}

/// The session the verified `claims` give.
fn session_from_claims(
    cfg: &JwtConfig,
    claims: &Value,
    requested: Option<&str>,
) -> Result<Session, AuthError> {
    let hasura = match (&cfg.claims_map, &cfg.claims_namespace_path) {
        (Some(map), _) => Some(mapped_claims(map, claims)?),
        (None, Some(path)) => json_path(claims, path),
        (None, None) => claims.get(&cfg.claims_namespace).cloned(),
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
    Ok(Session {
        role,
        vars,
        backend_only: false,
    })
}

/// The Hasura claims built from `claims_map`: each entry a literal, or `{path, default?}` into
/// the token's claims.
fn mapped_claims(map: &serde_json::Map<String, Value>, claims: &Value) -> Result<Value, AuthError> {
    let mut out = serde_json::Map::new();
    for (name, spec) in map {
        let value = match spec {
            Value::Object(o) if o.contains_key("path") => {
                let path = o["path"].as_str().unwrap_or("$");
                match (json_path(claims, path), o.get("default")) {
                    (Some(v), _) => v,
                    (None, Some(d)) => d.clone(),
                    (None, None) => {
                        return Err(err(
                            "jwt-invalid-claims",
                            format!("JWT claim from claims_map, {name} not found"),
                        ));
                    }
                }
            }
            literal => literal.clone(),
        };
        out.insert(name.clone(), value);
    }
    Ok(Value::Object(out))
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
#[path = "jwt_tests.rs"]
mod tests;
