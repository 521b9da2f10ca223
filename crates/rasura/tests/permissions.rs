//! Role isolation end to end: two tenants, three roles, every root field kind queried as each
//! role; no row or column outside the role's rules ever comes back, and a write that breaks a
//! check changes nothing.

use std::path::Path;

use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

async fn setup() -> (TestCluster, TestServer) {
    setup_with(&[]).await
}

const JWT_KEY: &str = "a-test-hmac-key-with-32-or-more-characters";

async fn setup_with(extra: &[&str]) -> (TestCluster, TestServer) {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let mut args = vec!["--database-url", url.as_str(), "--admin-secret", "adm"];
    args.extend_from_slice(extra);
    let server = TestServer::start(Path::new(BIN), &args, &[]).await;
    let perm = |kind: &str, table: &str, role: &str, permission: Value| json!({"type": format!("create_{kind}_permission"), "args": {"table": table, "role": role, "permission": permission}});
    let setup = json!({"type": "bulk", "args": [
        {"type": "run_sql", "args": {"sql": "
            create table account (id serial primary key, tenant_id int not null, owner_id int not null, email text, secret text, balance int not null default 0);
            create table note (id serial primary key, account_id int not null references account(id), body text, private boolean not null default false);
            insert into account (tenant_id, owner_id, email, secret, balance) values
              (1, 10, 'a@t1', 's1', 100), (1, 11, 'b@t1', 's2', 50), (2, 20, 'c@t2', 's3', 75);
            insert into note (account_id, body, private) values
              (1, 'n1', false), (1, 'n1-private', true), (2, 'n2', false), (3, 'n3', false);"}},
        {"type": "track_table", "args": "account"},
        {"type": "track_table", "args": "note"},
        {"type": "create_object_relationship", "args": {"table": "note", "name": "account", "using": {"foreign_key_constraint_on": "account_id"}}},
        {"type": "create_array_relationship", "args": {"table": "account", "name": "notes", "using": {"foreign_key_constraint_on": {"table": "note", "column": "account_id"}}}},
        perm("select", "account", "member", json!({"columns": ["id", "tenant_id", "owner_id", "email"], "filter": {"tenant_id": {"_eq": "X-Hasura-Tenant-Id"}}, "allow_aggregations": true})),
        perm("select", "note", "member", json!({"columns": ["id", "account_id", "body"], "filter": {"_and": [{"account": {"tenant_id": {"_eq": "X-Hasura-Tenant-Id"}}}, {"private": {"_eq": false}}]}, "allow_aggregations": true})),
        perm("insert", "note", "member", json!({"columns": ["account_id", "body"], "check": {"account": {"tenant_id": {"_eq": "X-Hasura-Tenant-Id"}}}})),
        perm("select", "account", "owner", json!({"columns": "*", "filter": {"owner_id": {"_eq": "X-Hasura-User-Id"}}})),
        perm("select", "note", "owner", json!({"columns": "*", "filter": {"account": {"owner_id": {"_eq": "X-Hasura-User-Id"}}}})),
        perm("update", "account", "owner", json!({"columns": ["balance", "email"], "filter": {"owner_id": {"_eq": "X-Hasura-User-Id"}}, "check": {"balance": {"_gte": 0}}})),
        perm("delete", "note", "owner", json!({"filter": {"account": {"owner_id": {"_eq": "X-Hasura-User-Id"}}}})),
        perm("insert", "account", "owner", json!({"columns": ["tenant_id", "owner_id", "email"], "check": {}, "set": {"owner_id": "X-Hasura-User-Id"}, "backend_only": true})),
        perm("select", "account", "auditor", json!({"columns": ["id", "tenant_id"], "filter": {}, "limit": 2})),
    ]});
    let (status, body) = server
        .post("/v1/query", &setup, &[("x-hasura-admin-secret", "adm")])
        .await;
    assert_eq!(status, 200, "{body}");
    (pg, server)
}

async fn as_role(s: &TestServer, role: &str, vars: &[(&str, &str)], query: &str) -> Value {
    let mut headers = vec![("x-hasura-admin-secret", "adm"), ("x-hasura-role", role)];
    headers.extend_from_slice(vars);
    let (status, body) = s
        .post("/v1/graphql", &json!({"query": query}), &headers)
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn code(v: &Value) -> &str {
    v["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("none")
}

#[tokio::test]
async fn each_role_sees_only_its_rows_and_columns() {
    let (_pg, s) = setup().await;
    let t1 = [("x-hasura-tenant-id", "1")];
    let body = as_role(
        &s,
        "member",
        &t1,
        "{ account(order_by: {id: asc}) { id email notes(order_by: {id: asc}) { body } } }",
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"account": [
            {"id": 1, "email": "a@t1", "notes": [{"body": "n1"}]},
            {"id": 2, "email": "b@t1", "notes": [{"body": "n2"}]}
        ]}})
    );
    // Columns outside the rule do not exist for the role.
    assert_eq!(
        code(&as_role(&s, "member", &t1, "{ account { secret } }").await),
        "validation-failed"
    );
    assert_eq!(
        code(&as_role(&s, "member", &t1, "{ account { balance } }").await),
        "validation-failed"
    );
    // by_pk and aggregates obey the filter too.
    let body = as_role(&s, "member", &t1, "{ account_by_pk(id: 3) { id } account_aggregate { aggregate { count } } note_aggregate { aggregate { count } } }").await;
    assert_eq!(
        body,
        json!({"data": {"account_by_pk": null, "account_aggregate": {"aggregate": {"count": 2}}, "note_aggregate": {"aggregate": {"count": 2}}}})
    );
    // A relationship filter cannot see through to hidden rows.
    let body = as_role(
        &s,
        "member",
        &t1,
        r#"{ account(where: {notes: {body: {_eq: "n1-private"}}}) { id } }"#,
    )
    .await;
    assert_eq!(body, json!({"data": {"account": []}}));
    // Another tenant's view.
    let body = as_role(
        &s,
        "member",
        &[("x-hasura-tenant-id", "2")],
        "{ note { body account { email } } }",
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"note": [{"body": "n3", "account": {"email": "c@t2"}}]}})
    );
    // A missing session variable is an error, not an unfiltered read.
    let missing = as_role(&s, "member", &[], "{ account { id } }").await;
    assert_eq!(code(&missing), "not-found");
    assert_eq!(missing["errors"][0]["extensions"]["path"], "$", "{missing}");
    assert!(
        missing["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("missing session variables: \"x-hasura-")),
        "{missing}"
    );

    let u10 = [("x-hasura-user-id", "10")];
    let body = as_role(
        &s,
        "owner",
        &u10,
        "{ account { id secret balance } note(order_by: {id: asc}) { body } }",
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"account": [{"id": 1, "secret": "s1", "balance": 100}], "note": [{"body": "n1"}, {"body": "n1-private"}]}})
    );
    // No aggregations for owner.
    assert_eq!(
        code(
            &as_role(
                &s,
                "owner",
                &u10,
                "{ account_aggregate { aggregate { count } } }"
            )
            .await
        ),
        "validation-failed"
    );

    let body = as_role(
        &s,
        "auditor",
        &[],
        "{ account(order_by: {id: asc}) { id tenant_id } }",
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"account": [{"id": 1, "tenant_id": 1}, {"id": 2, "tenant_id": 1}]}})
    );
    assert_eq!(
        code(&as_role(&s, "auditor", &[], "{ account { email } }").await),
        "validation-failed"
    );
    assert_eq!(
        code(&as_role(&s, "auditor", &[], "{ note { id } }").await),
        "validation-failed"
    );
    // A role with no permissions sees nothing.
    assert_eq!(
        code(&as_role(&s, "stranger", &[], "{ account { id } }").await),
        "validation-failed"
    );
}

#[tokio::test]
async fn writes_follow_filters_checks_and_select_rules() {
    let (_pg, s) = setup().await;
    let t1 = [("x-hasura-tenant-id", "1")];
    // Insert into another tenant's account: the check fails and nothing is written.
    let body = as_role(
        &s,
        "member",
        &t1,
        r#"mutation { insert_note(objects: [{account_id: 3, body: "sneaky"}]) { affected_rows } }"#,
    )
    .await;
    assert_eq!(code(&body), "permission-error", "{body}");
    // Allowed insert; returning shows only what the role may select.
    let body = as_role(&s, "member", &t1, r#"mutation { insert_note_one(object: {account_id: 2, body: "ok"}) { body account { email } } }"#).await;
    assert_eq!(
        body,
        json!({"data": {"insert_note_one": {"body": "ok", "account": {"email": "b@t1"}}}})
    );
    // Columns outside the insert permission cannot be given.
    assert_eq!(code(&as_role(&s, "member", &t1, r#"mutation { insert_note(objects: [{account_id: 2, body: "x", private: true}]) { affected_rows } }"#).await), "validation-failed");
    // member has no update or delete at all.
    assert_eq!(
        code(
            &as_role(
                &s,
                "member",
                &t1,
                "mutation { delete_note(where: {}) { affected_rows } }"
            )
            .await
        ),
        "validation-failed"
    );

    let u10 = [("x-hasura-user-id", "10")];
    // Update outside the filter touches nothing; a negative balance breaks the check.
    let body = as_role(
        &s,
        "owner",
        &u10,
        "mutation { update_account(where: {id: {_eq: 3}}, _set: {balance: 1}) { affected_rows } }",
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"update_account": {"affected_rows": 0}}})
    );
    let body = as_role(
        &s,
        "owner",
        &u10,
        "mutation { update_account(where: {}, _inc: {balance: -500}) { affected_rows } }",
    )
    .await;
    assert_eq!(code(&body), "permission-error", "{body}");
    let body = as_role(
        &s,
        "owner",
        &u10,
        "mutation { d: delete_note(where: {}) { affected_rows } }",
    )
    .await;
    assert_eq!(body, json!({"data": {"d": {"affected_rows": 2}}}));

    // A backend-only insert needs the admin secret and the header; presets fill owner_id.
    let insert = r#"mutation { insert_account_one(object: {tenant_id: 9, email: "new@t9"}) { owner_id email } }"#;
    assert_eq!(
        code(&as_role(&s, "owner", &u10, insert).await),
        "validation-failed"
    );
    let body = as_role(
        &s,
        "owner",
        &[
            ("x-hasura-user-id", "10"),
            ("x-hasura-use-backend-only-permissions", "true"),
        ],
        insert,
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"insert_account_one": {"owner_id": 10, "email": "new@t9"}}}),
        "{body}"
    );
    // The database as the admin sees it: every rule held.
    let (_, rows) = s
        .post("/v2/query", &json!({"type": "run_sql", "args": {"sql": "select string_agg(body, ',' order by id) from note; select balance from account where id = 1"}}), &[("x-hasura-admin-secret", "adm")])
        .await;
    assert_eq!(rows["result"][1][0], "100", "{rows}");
    let (_, notes) = s
        .post("/v2/query", &json!({"type": "run_sql", "args": {"sql": "select string_agg(body, ',' order by id) from note"}}), &[("x-hasura-admin-secret", "adm")])
        .await;
    assert_eq!(notes["result"][1][0], "n2,n3,ok", "{notes}");
}

/// An HS256 token signed with the test key.
fn hs256(claims: &Value) -> String {
    rasura_test_support::hs256(claims, JWT_KEY)
}

#[tokio::test]
async fn jwt_sessions_apply_the_role_rules() {
    let config = json!({"type": "HS256", "key": JWT_KEY}).to_string();
    let (_pg, s) = setup_with(&["--jwt-secret", &config]).await;
    let claims = json!({"sub": "x", "exp": 4_102_444_800u64, "https://hasura.io/jwt/claims": {
        "x-hasura-allowed-roles": ["member"], "x-hasura-default-role": "member", "x-hasura-tenant-id": "2"}});
    let token = hs256(&claims);
    let auth = format!("Bearer {token}");
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ account { email } }"}),
            &[("authorization", auth.as_str())],
        )
        .await;
    assert_eq!(body, json!({"data": {"account": [{"email": "c@t2"}]}}));
    // Headers cannot widen a JWT session.
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ account { email } }"}),
            &[("authorization", auth.as_str()), ("x-hasura-role", "owner")],
        )
        .await;
    assert_eq!(code(&body), "access-denied");
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ account { email } }"}),
            &[
                ("authorization", auth.as_str()),
                ("x-hasura-tenant-id", "1"),
            ],
        )
        .await;
    assert_eq!(body, json!({"data": {"account": [{"email": "c@t2"}]}}));
    // A tampered token, or none at all.
    let tampered = format!("Bearer {}x", &token[..token.len() - 1]);
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ account { email } }"}),
            &[("authorization", tampered.as_str())],
        )
        .await;
    assert_eq!(code(&body), "invalid-jwt");
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ account { email } }"}),
            &[],
        )
        .await;
    assert_eq!(code(&body), "invalid-headers");
    // The admin secret still wins.
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ account_aggregate { aggregate { count } } }"}),
            &[("x-hasura-admin-secret", "adm")],
        )
        .await;
    assert_eq!(
        body,
        json!({"data": {"account_aggregate": {"aggregate": {"count": 3}}}})
    );
    let log = s.log_text();
    assert!(
        !log.contains(JWT_KEY) && !log.contains(&token),
        "a secret reached the log"
    );
}

/// A tiny auth webhook over real HTTP: `Authorization: Bearer member-1` is a member of tenant 1
/// (an answer that may be cached for a minute, with a cookie), anything else is refused with
/// 401. POST requests must carry the GraphQL request. Counts the calls it gets.
async fn start_hook(calls: std::sync::Arc<std::sync::atomic::AtomicUsize>) -> String {
    let base = rasura_test_support::http_stub(move |req| {
        calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        async move {
            let member = req.header("authorization") == Some("Bearer member-1")
                || (req.method == "POST" && req.body.contains("Bearer member-1"));
            let post_ok = req.method != "POST" || req.body.contains("\"query\"");
            if member && post_ok {
                let headers = vec![
                    ("cache-control".to_string(), "max-age=60".to_string()),
                    ("set-cookie".to_string(), "seen=1; Path=/".to_string()),
                ];
                (
                    200,
                    headers,
                    r#"{"X-Hasura-Role": "member", "X-Hasura-Tenant-Id": "1"}"#.to_string(),
                )
            } else {
                (401, vec![], "{}".to_string())
            }
        }
    })
    .await;
    format!("{base}/auth")
}

#[tokio::test]
async fn webhook_sessions_in_both_modes() {
    for mode in ["GET", "POST"] {
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let hook = start_hook(calls.clone()).await;
        let (_pg, s) = setup_with(&["--auth-hook", &hook, "--auth-hook-mode", mode]).await;
        let q = json!({"query": "{ account(order_by: {id: asc}) { id } }"});
        let first = s
            .http
            .post(s.url("/v1/graphql"))
            .header("authorization", "Bearer member-1")
            .json(&q)
            .send()
            .await
            .unwrap();
        // The hook's cookie reaches the client.
        assert_eq!(
            first
                .headers()
                .get("set-cookie")
                .map(|v| v.to_str().unwrap()),
            Some("seen=1; Path=/"),
            "{mode}"
        );
        let body: Value = first.json().await.unwrap();
        assert_eq!(
            body,
            json!({"data": {"account": [{"id": 1}, {"id": 2}]}}),
            "{mode}"
        );
        // The same request again is answered from the cached session (max-age=60).
        let (_, again) = s
            .post("/v1/graphql", &q, &[("authorization", "Bearer member-1")])
            .await;
        assert_eq!(again, body);
        assert_eq!(
            calls.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "{mode}: the hook was not cached"
        );
        let (_, body) = s
            .post("/v1/graphql", &q, &[("authorization", "Bearer nobody")])
            .await;
        assert_eq!(code(&body), "access-denied", "{mode}");
        // The admin secret is checked first.
        let (_, body) = s
            .post(
                "/v1/graphql",
                &json!({"query": "{ account_aggregate { aggregate { count } } }"}),
                &[("x-hasura-admin-secret", "adm")],
            )
            .await;
        assert_eq!(
            body,
            json!({"data": {"account_aggregate": {"aggregate": {"count": 3}}}}),
            "{mode}"
        );
    }
}

/// Serves one JSON document over HTTP (with a cache lifetime), e.g. a JWK set.
async fn serve_json(body: String) -> String {
    let base = rasura_test_support::http_stub(move |_| {
        let body = body.clone();
        async move {
            (
                200,
                vec![("cache-control".to_string(), "max-age=300".to_string())],
                body,
            )
        }
    })
    .await;
    format!("{base}/jwks.json")
}

#[tokio::test]
async fn jwt_keys_from_a_jwk_url() {
    let k = {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let mut c = Command::new("base64")
            .args(["-w", "0"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        c.stdin
            .take()
            .unwrap()
            .write_all(JWT_KEY.as_bytes())
            .unwrap();
        let out = String::from_utf8(c.wait_with_output().unwrap().stdout).unwrap();
        out.trim()
            .trim_end_matches('=')
            .replace('+', "-")
            .replace('/', "_")
    };
    let jwks = json!({"keys": [{"kty": "oct", "kid": "k1", "alg": "HS256", "k": k}]}).to_string();
    let url = serve_json(jwks).await;
    let config = json!({"type": "HS256", "jwk_url": url}).to_string();
    let (_pg, s) = setup_with(&["--jwt-secret", &config]).await;
    let claims = json!({"exp": 4_102_444_800u64, "https://hasura.io/jwt/claims": {
        "x-hasura-allowed-roles": ["member"], "x-hasura-default-role": "member", "x-hasura-tenant-id": "1"}});
    let auth = format!("Bearer {}", hs256(&claims));
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ account(order_by: {id: asc}) { id } }"}),
            &[("authorization", auth.as_str())],
        )
        .await;
    assert_eq!(body, json!({"data": {"account": [{"id": 1}, {"id": 2}]}}));
}
