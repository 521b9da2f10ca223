//! Tests of `jwt.rs`.
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
fn claims_map_builds_the_claims() {
    let c = cfg(json!({"claims_map": {
        "x-hasura-allowed-roles": {"path": "$.roles"},
        "x-hasura-default-role": {"path": "$.main_role", "default": "user"},
        "x-hasura-user-id": {"path": "$.sub"},
        "x-hasura-org": "acme"
    }}));
    let t = sign(json!({"sub": "7", "exp": now() + 60, "roles": ["user", "editor"]}));
    let s = session(&c, &t, None).unwrap();
    assert_eq!(
        (
            s.role.as_str(),
            s.var("x-hasura-user-id"),
            s.var("x-hasura-org")
        ),
        ("user", Some("7"), Some("acme"))
    );
    let missing = sign(json!({"exp": now() + 60}));
    assert_eq!(
        session(&c, &missing, None).unwrap_err().code,
        "jwt-invalid-claims"
    );
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
    let inner =
        json!({"x-hasura-allowed-roles": ["user"], "x-hasura-default-role": "user"}).to_string();
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
