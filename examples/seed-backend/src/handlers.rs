//! The action and event handlers, and the router that serves them with the remote schema.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use rasura_sdk::{ActionError, ActionPayload, EngineClient, EventPayload};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Settings from the environment.
#[derive(Clone)]
pub struct Config {
    pub engine_url: String,
    pub admin_secret: Option<String>,
    pub jwt_secret: Option<String>,
}

impl Config {
    pub fn from_env() -> Config {
        let var = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
        Config {
            engine_url: var("GRAPHQL_ENGINE_URL")
                .unwrap_or_else(|| "http://127.0.0.1:8080/v1/graphql".into()),
            admin_secret: var("RASURA_ADMIN_SECRET").or_else(|| var("HASURA_GRAPHQL_ADMIN_SECRET")),
            jwt_secret: var("JWT_SECRET"),
        }
    }

    fn engine(&self) -> EngineClient {
        let client = EngineClient::new(&self.engine_url);
        match &self.admin_secret {
            Some(s) => client.with_admin_secret(s),
            None => client,
        }
    }
}

/// The router: `/login`, `/event`, `/graphql`.
pub fn app(config: Config) -> Router {
    let hello = Router::new()
        .route("/graphql", post(crate::hello::graphql))
        .with_state(crate::hello::schema());
    Router::new()
        .route("/login", post(login))
        .route("/event", post(event))
        .with_state(config)
        .merge(hello)
}

/// An argon2 hash (PHC string) of `password` with a fresh salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

#[derive(Deserialize)]
pub struct LoginArgs {
    username: String,
    password: String,
}

#[derive(Serialize)]
pub struct LoginResponse {
    #[serde(rename = "AccessToken")]
    access_token: String,
}

#[derive(Deserialize)]
struct Users {
    user: Vec<UserRow>,
}

#[derive(Deserialize)]
struct UserRow {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password_hash: Option<String>,
}

fn invalid() -> ActionError {
    ActionError::new("invalid credentials").with_code("invalid-credentials")
}

/// The `login` action: the user's password checked against its stored hash, a JWT answered.
async fn login(
    State(config): State<Config>,
    p: ActionPayload<LoginArgs>,
) -> Result<Json<LoginResponse>, ActionError> {
    let Some(secret) = &config.jwt_secret else {
        return Err(
            ActionError::new("login is not configured: JWT_SECRET is not set")
                .with_code("not-configured"),
        );
    };
    let found: Users = config
        .engine()
        .query(
            "query ($name: String!) { user(where: {name: {_eq: $name}}) { id password_hash } }",
            json!({"name": p.input.username}),
        )
        .await
        .map_err(|e| {
            ActionError::new(format!("cannot look the user up: {e}")).with_code("unexpected")
        })?;
    // Names are not unique (the tutorial's table): the user is the one the password fits.
    let user = found
        .user
        .into_iter()
        .find(|u| {
            verify_password(
                &p.input.password,
                u.password_hash.as_deref().unwrap_or_default(),
            )
        })
        .ok_or_else(invalid)?;
    Ok(Json(LoginResponse {
        access_token: token(secret, &user.id)
            .map_err(|e| ActionError::new(e).with_code("unexpected"))?,
    }))
}

/// A JWT with Hasura's claims for the `user` role, valid for an hour.
fn token(secret: &str, user_id: &str) -> Result<String, String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let claims = json!({
        "sub": user_id,
        "iat": now,
        "exp": now + 3600,
        "https://hasura.io/jwt/claims": {
            "x-hasura-allowed-roles": ["user"],
            "x-hasura-default-role": "user",
            "x-hasura-user-id": user_id,
        },
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(|e| e.to_string())
}

#[derive(Debug, Deserialize)]
pub struct NewUser {
    id: String,
    name: String,
}

/// The `user` insert event: print the name, then every user as the engine sees them.
async fn event(
    State(config): State<Config>,
    p: EventPayload<NewUser, Value>,
) -> Result<Json<Value>, ActionError> {
    if let Some(user) = &p.event.data.new {
        println!("{}", user.name);
        println!("new user {} ({})", user.name, user.id);
    }
    let users: Users = config
        .engine()
        .query("{ user { id name } }", json!({}))
        .await
        .map_err(|e| ActionError::new(e.to_string()).with_code("unexpected"))?;
    let listed: Vec<String> = users
        .user
        .iter()
        .map(|u| format!("{} {}", u.id, u.name))
        .collect();
    println!("users: {}", listed.join(", "));
    Ok(Json(json!({"users": users.user.len()})))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    fn config() -> Config {
        Config {
            engine_url: "http://127.0.0.1:9/v1/graphql".into(),
            admin_secret: None,
            jwt_secret: Some("a-test-secret-of-thirty-two-bytes!".into()),
        }
    }

    #[test]
    fn passwords_verify_against_their_hash_only() {
        let h = hash_password("lovelace").unwrap();
        assert!(verify_password("lovelace", &h));
        assert!(!verify_password("babbage", &h));
        assert!(!verify_password("lovelace", "not a hash"));
    }

    #[test]
    fn tokens_carry_hasuras_claims() {
        let t = token("k", "u1").unwrap();
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        v.set_required_spec_claims(&["exp"]);
        let data =
            jsonwebtoken::decode::<Value>(&t, &jsonwebtoken::DecodingKey::from_secret(b"k"), &v)
                .unwrap();
        assert_eq!(
            data.claims["https://hasura.io/jwt/claims"]["x-hasura-user-id"],
            "u1"
        );
        assert_eq!(
            data.claims["https://hasura.io/jwt/claims"]["x-hasura-default-role"],
            "user"
        );
    }

    #[tokio::test]
    async fn hello_answers_like_the_tutorial() {
        let req = Request::post("/graphql")
            .header("content-type", "application/json")
            .body(Body::from(r#"{"query": "{ hello }"}"#))
            .unwrap();
        let resp = app(config()).oneshot(req).await.unwrap();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v, json!({"data": {"hello": "Hello World"}}));
    }

    #[tokio::test]
    async fn login_without_a_reachable_engine_is_a_clear_action_error() {
        let body = r#"{"action": {"name": "login"}, "input": {"username": "ada", "password": "x"}, "session_variables": {}}"#;
        let resp = app(config())
            .oneshot(Request::post("/login").body(Body::from(body)).unwrap())
            .await
            .unwrap();
        assert_eq!(resp.status(), 400);
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["extensions"]["code"], "unexpected");
    }
}
