//! API limits per role through the real binary: depth, nodes, batch, time and rate, set with
//! `set_api_limits`; admin never limited; a rate limit shared by two engines on one database.

use std::path::Path;

use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");
const ADMIN: (&str, &str) = ("x-hasura-admin-secret", "adm");

async fn engine(pg: &TestCluster) -> TestServer {
    let url = pg.url("app");
    TestServer::start(
        Path::new(BIN),
        &["--database-url", url.as_str(), "--admin-secret", "adm"],
        &[],
    )
    .await
}

async fn setup(s: &TestServer, limits: Value) {
    let body = json!({"type": "bulk", "args": [
        {"type": "run_sql", "args": {"sql": "
            create table item (id int primary key, parent int references item(id));
            insert into item values (1, null), (2, 1);
            create function slow() returns setof item as $$ select pg_sleep(3); select * from item $$ language sql stable;"}},
        {"type": "pg_track_table", "args": {"table": "item"}},
        {"type": "pg_create_object_relationship", "args": {"table": "item", "name": "up", "using": {"foreign_key_constraint_on": "parent"}}},
        {"type": "pg_track_function", "args": {"function": "slow"}},
        {"type": "pg_create_select_permission", "args": {"table": "item", "role": "user",
            "permission": {"columns": ["id"], "filter": {}}}},
        {"type": "set_api_limits", "args": limits}
    ]});
    let (status, v) = s.post("/v1/metadata", &body, &[ADMIN]).await;
    assert_eq!(status, 200, "{v}");
}

async fn as_user(s: &TestServer, body: Value, user: &str) -> Value {
    let (_, v) = s
        .post(
            "/v1/graphql",
            &body,
            &[ADMIN, ("x-hasura-role", "user"), ("x-hasura-user-id", user)],
        )
        .await;
    v
}

fn message(v: &Value) -> String {
    v["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn depth_nodes_batch_and_time_are_limited_per_role() {
    let pg = TestCluster::start("app").await;
    let s = engine(&pg).await;
    setup(
        &s,
        json!({
            "depth_limit": {"global": 10, "per_role": {"user": 1}},
            "node_limit": {"global": 1, "per_role": {"user": 1}},
            "batch_limit": {"global": 10, "per_role": {"user": 2}},
            "time_limit": {"global": 1}
        }),
    )
    .await;
    // Depth 1, one node: served.
    let v = as_user(
        &s,
        json!({"query": "{ item(order_by: {id: asc}) { id } }"}),
        "u",
    )
    .await;
    assert_eq!(v["data"]["item"], json!([{"id": 1}, {"id": 2}]), "{v}");
    // Depth 2 (a relationship): refused for user, served to admin.
    let deep = "{ item { id up { id } } }";
    let v = as_user(&s, json!({"query": deep}), "u").await;
    assert_eq!(
        v["errors"][0]["extensions"]["code"], "validation-failed",
        "{v}"
    );
    assert!(message(&v).contains("over the depth limit of 1"), "{v}");
    let (_, v) = s
        .post("/v1/graphql", &json!({"query": deep}), &[ADMIN])
        .await;
    assert!(v["data"]["item"].is_array(), "{v}");
    // Two nodes side by side: over the node limit.
    let v = as_user(
        &s,
        json!({"query": "{ a: item { id } b: item { id } }"}),
        "u",
    )
    .await;
    assert!(message(&v).contains("over the node limit of 1"), "{v}");
    // Batches: two pass, three are refused whole.
    let one = json!({"query": "{ item { id } }"});
    let v = as_user(&s, json!([one, one]), "u").await;
    assert_eq!(v.as_array().map(Vec::len), Some(2), "{v}");
    let v = as_user(&s, json!([one, one, one]), "u").await;
    assert!(message(&v).contains("over the limit of 2"), "{v}");
    // The time limit cancels a slow query.
    let started = std::time::Instant::now();
    let v = as_user(&s, json!({"query": "{ slow { id } }"}), "u").await;
    assert_eq!(v["errors"][0]["extensions"]["code"], "timeout", "{v}");
    assert!(started.elapsed() < std::time::Duration::from_millis(2500));
    // Removed: nothing limits.
    let (status, _) = s
        .post(
            "/v1/metadata",
            &json!({"type": "remove_api_limits", "args": {}}),
            &[ADMIN],
        )
        .await;
    assert_eq!(status, 200);
    let v = as_user(&s, json!({"query": deep}), "u").await;
    assert!(v["data"]["item"].is_array(), "{v}");
}

#[tokio::test]
async fn a_rate_limit_holds_across_two_engines_on_one_database() {
    let pg = TestCluster::start("app").await;
    let a = engine(&pg).await;
    setup(
        &a,
        json!({"rate_limit": {"global": {"max_reqs_per_min": 100},
            "per_role": {"user": {"max_reqs_per_min": 3, "unique_params": ["x-hasura-user-id"]}}}}),
    )
    .await;
    let b = engine(&pg).await;
    let q = json!({"query": "{ item { id } }"});
    // Three requests of user u, spread over both engines, pass; the fourth is refused.
    for s in [&a, &b, &a] {
        let v = as_user(s, q.clone(), "u").await;
        assert!(v["data"]["item"].is_array(), "{v}");
    }
    let v = as_user(&b, q.clone(), "u").await;
    assert_eq!(
        v["errors"][0]["extensions"]["code"], "rate-limit-exceeded",
        "{v}"
    );
    assert_eq!(message(&v), "rate limit of 3 exceeded");
    // Another user id has its own count; admin none at all.
    let v = as_user(&a, q.clone(), "w").await;
    assert!(v["data"]["item"].is_array(), "{v}");
    for _ in 0..5 {
        let (_, v) = a.post("/v1/graphql", &q, &[ADMIN]).await;
        assert!(v["data"]["item"].is_array(), "{v}");
    }
    // By address: the connection's, or the first hop a proxy reports.
    let (status, v) = a
        .post(
            "/v1/metadata",
            &json!({"type": "set_api_limits", "args": {"rate_limit": {"global": {"max_reqs_per_min": 2, "unique_params": "IP"}}}}),
            &[ADMIN],
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let served = |v: &Value| v["data"]["item"].is_array();
    assert!(served(&by_ip(&a, &q, None).await));
    assert!(served(&by_ip(&a, &q, None).await));
    let v = by_ip(&a, &q, None).await;
    assert_eq!(
        v["errors"][0]["extensions"]["code"], "rate-limit-exceeded",
        "{v}"
    );
    assert!(served(&by_ip(&a, &q, Some("203.0.113.9, 10.0.0.1")).await));
    // Another address of this machine is another client.
    let other = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let v: Value = other
        .post(a.url("/v1/graphql"))
        .header("x-hasura-admin-secret", "adm")
        .header("x-hasura-role", "user")
        .header("x-hasura-user-id", "u")
        .body(q.to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(served(&v), "{v}");
}

/// A request of role user from this machine, or as forwarded by a proxy for `forwarded`.
async fn by_ip(s: &TestServer, q: &Value, forwarded: Option<&str>) -> Value {
    let mut h = vec![ADMIN, ("x-hasura-role", "user"), ("x-hasura-user-id", "u")];
    if let Some(f) = forwarded {
        h.push(("x-forwarded-for", f));
    }
    s.post("/v1/graphql", q, &h).await.1
}

#[tokio::test]
async fn a_jwt_session_meets_the_allow_list_and_its_rate_limit() {
    const KEY: &str = "a-test-hmac-key-with-32-or-more-characters";
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let jwt = json!({"type": "HS256", "key": KEY}).to_string();
    let s = TestServer::start(
        Path::new(BIN),
        &[
            "--database-url",
            url.as_str(),
            "--admin-secret",
            "adm",
            "--jwt-secret",
            &jwt,
        ],
        &[("HASURA_GRAPHQL_ENABLE_ALLOWLIST", "true")],
    )
    .await;
    setup(
        &s,
        json!({"rate_limit": {"global": {"max_reqs_per_min": 2, "unique_params": ["x-hasura-user-id"]}}}),
    )
    .await;
    let listed = "query { item(order_by: {id: asc}) { id } }";
    let (status, v) = s
        .post(
            "/v1/metadata",
            &json!({"type": "bulk", "args": [
                {"type": "create_query_collection", "args": {"name": "app", "definition": {"queries": [{"name": "items", "query": listed}]}}},
                {"type": "add_collection_to_allowlist", "args": {"collection": "app"}}]}),
            &[ADMIN],
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let token = |user: &str| {
        let claims = json!({"sub": user, "exp": 4_102_444_800u64, "https://hasura.io/jwt/claims": {
            "x-hasura-default-role": "user", "x-hasura-allowed-roles": ["user"], "x-hasura-user-id": user}});
        format!("Bearer {}", rasura_test_support::hs256(&claims, KEY))
    };
    let ann = token("ann");
    let run = |query: &str, auth: &str| {
        let (body, auth) = (json!({ "query": query }), auth.to_string());
        let s = &s;
        async move {
            s.post("/v1/graphql", &body, &[("authorization", auth.as_str())])
                .await
                .1
        }
    };
    // Listed: served; not listed: refused. Both count against the rate limit, checked first.
    let v = run(listed, &ann).await;
    assert_eq!(v["data"]["item"], json!([{"id": 1}, {"id": 2}]), "{v}");
    let v = run("{ item { id up { id } } }", &ann).await;
    assert_eq!(message(&v), "query is not allowed", "{v}");
    // Two requests a minute for ann, so the third is refused; bob has his own count.
    let v = run(listed, &ann).await;
    assert_eq!(
        v["errors"][0]["extensions"]["code"], "rate-limit-exceeded",
        "{v}"
    );
    let v = run(listed, &token("bob")).await;
    assert!(v["data"]["item"].is_array(), "{v}");
}
