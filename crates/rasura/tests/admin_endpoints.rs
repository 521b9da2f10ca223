//! The admin endpoints beside the metadata API, against a real database: `/v1/graphql/explain`
//! (the SQL of each root field as a role would run it, and PostgreSQL's plan) and
//! `/v1alpha1/pg_dump` (the installed `pg_dump`, with `clean_output`).

use std::path::Path;

use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");
const SECRET: &str = "s3cret";

async fn start() -> (TestCluster, TestServer) {
    let pg = TestCluster::start("app").await;
    pg.client("app")
        .await
        .batch_execute(
            "CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL); \
             INSERT INTO author (name) VALUES ('ada'), ('bo');",
        )
        .await
        .unwrap();
    let s = TestServer::start(
        Path::new(BIN),
        &["--database-url", &pg.url("app"), "--admin-secret", SECRET],
        &[],
    )
    .await;
    for body in [
        json!({"type": "pg_track_table", "args": {"table": "author"}}),
        json!({"type": "pg_create_select_permission", "args": {"table": "author", "role": "user",
            "permission": {"columns": ["id", "name"], "filter": {"id": {"_eq": "X-Hasura-User-Id"}}}}}),
    ] {
        let (status, r) = s
            .post("/v1/metadata", &body, &[("x-hasura-admin-secret", SECRET)])
            .await;
        assert_eq!(status, 200, "{r}");
    }
    (pg, s)
}

async fn post_text(
    s: &TestServer,
    path: &str,
    body: &Value,
    headers: &[(&str, &str)],
) -> (u16, String, String) {
    let mut req = s.http.post(s.url(path)).json(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ct, r.text().await.unwrap())
}

#[tokio::test]
async fn explain_shows_each_root_fields_sql_and_plan_as_the_role_runs_it() {
    let (_pg, s) = start().await;
    let admin = [("x-hasura-admin-secret", SECRET)];
    let body = json!({"query": {"query": "query($n: String) { author(where: {name: {_eq: $n}}) { id } __typename }",
        "variables": {"n": "ada"}}, "user": {"x-hasura-role": "user", "x-hasura-user-id": "7"}});
    let (status, r) = s.post("/v1/graphql/explain", &body, &admin).await;
    assert_eq!(status, 200, "{r}");
    let fields = r.as_array().unwrap();
    assert_eq!(fields.len(), 2, "{r}");
    assert_eq!(fields[0]["field"], "author");
    let sql = fields[0]["sql"].as_str().unwrap();
    // The variable and the role's session variable are written in as literals.
    assert!(sql.contains("'ada'") && sql.contains("'7'"), "{sql}");
    assert!(!sql.contains("$1"), "{sql}");
    let plan: Vec<&str> = fields[0]["plan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(plan.iter().any(|l| l.contains("author")), "{plan:?}");
    assert_eq!(
        fields[1],
        json!({"field": "__typename", "sql": null, "plan": null})
    );
    // Nothing ran: the rows are as they were, and mutations are not explained.
    let m = json!({"query": {"query": "mutation { delete_author(where: {}) { affected_rows } }"}});
    let (status, r) = s.post("/v1/graphql/explain", &m, &admin).await;
    assert_eq!(status, 400, "{r}");
    assert_eq!(r["code"], "invalid-params");
    assert_eq!(r["error"], "only queries can be explained");
    // Admin only.
    let as_user = [("x-hasura-admin-secret", SECRET), ("x-hasura-role", "user")];
    let (status, r) = s.post("/v1/graphql/explain", &body, &as_user).await;
    assert_eq!(status, 400, "{r}");
    assert_eq!(
        r["error"],
        "You have to be an admin to access this endpoint"
    );
    let (status, _) = s.post("/v1/graphql/explain", &body, &[]).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn pg_dump_runs_the_installed_pg_dump_on_the_source() {
    let (_pg, s) = start().await;
    let admin = [("x-hasura-admin-secret", SECRET)];
    let body =
        json!({"opts": ["-O", "-x", "--schema-only", "--schema", "public"], "clean_output": true});
    let (status, ct, text) = post_text(&s, "/v1alpha1/pg_dump", &body, &admin).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(ct, "application/sql; charset=utf-8");
    assert!(text.contains("CREATE TABLE public.author ("), "{text}");
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("--") || l.trim().is_empty()),
        "{text}"
    );
    assert!(!text.contains("SET statement_timeout = 0;"), "{text}");
    // Without clean_output, pg_dump's own output.
    let raw = json!({"opts": ["--schema-only", "--table", "author"]});
    let (_, _, text) = post_text(&s, "/v1alpha1/pg_dump", &raw, &admin).await;
    assert!(
        text.starts_with("--\n-- PostgreSQL database dump"),
        "{text}"
    );
    // Data too, when asked.
    let data =
        json!({"opts": ["--data-only", "--inserts", "--table", "author"], "clean_output": true});
    let (_, _, text) = post_text(&s, "/v1alpha1/pg_dump", &data, &admin).await;
    assert!(text.contains("'ada'") && text.contains("'bo'"), "{text}");
    // Errors: an unknown source, pg_dump failing, a role other than admin.
    let (status, r) = s
        .post(
            "/v1alpha1/pg_dump",
            &json!({"opts": [], "source": "nope"}),
            &admin,
        )
        .await;
    assert_eq!(
        (status, r["code"].clone()),
        (400, json!("not-found")),
        "{r}"
    );
    assert_eq!(r["error"], "source \"nope\" not found");
    let (status, r) = s
        .post(
            "/v1alpha1/pg_dump",
            &json!({"opts": ["--no-such-option"]}),
            &admin,
        )
        .await;
    assert_eq!(status, 500, "{r}");
    assert_eq!(r["error"], "error while executing pg_dump");
    let as_user = [("x-hasura-admin-secret", SECRET), ("x-hasura-role", "user")];
    let (status, r) = s.post("/v1alpha1/pg_dump", &body, &as_user).await;
    assert_eq!(
        (status, r["code"].clone()),
        (400, json!("access-denied")),
        "{r}"
    );
}

/// POSTs a raw body; answers the status and the parsed answer (null when not JSON).
async fn post_big(
    s: &TestServer,
    path: &str,
    body: String,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let mut req = s.http.post(s.url(path)).body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn metadata_of_real_size_is_accepted_from_admin_only() {
    let (_pg, s) = start().await;
    let admin = [("x-hasura-admin-secret", SECRET)];
    // About 6 MB of metadata: the table tracked and 20,000 stored queries.
    let (_, exported) = s
        .post(
            "/v1/metadata",
            &json!({"type": "export_metadata", "args": {}}),
            &admin,
        )
        .await;
    let mut md = exported;
    let queries: Vec<Value> = (0..20_000)
        .map(|i| {
            json!({"name": format!("query_{i}"),
                "query": format!("query q{i} {{ author(where: {{id: {{_eq: {i}}}}}, limit: 10) {{ id name }} }} # {}", "x".repeat(200))})
        })
        .collect();
    md["query_collections"] = json!([{"name": "big", "definition": {"queries": queries}}]);
    let body = json!({"type": "replace_metadata", "args": md}).to_string();
    assert!(body.len() > 5_000_000, "{} bytes", body.len());
    let (status, r) = post_big(&s, "/v1/metadata", body, &admin).await;
    assert_eq!(status, 200, "{r}");
    let (_, back) = s
        .post(
            "/v1/metadata",
            &json!({"type": "export_metadata", "args": {}}),
            &admin,
        )
        .await;
    assert_eq!(
        back["query_collections"][0]["definition"]["queries"]
            .as_array()
            .map(Vec::len),
        Some(20_000)
    );
    // A role that is not admin is not read past 2 MiB.
    let padded = json!({"type": "select", "args": {"table": "author", "columns": ["id"]},
        "padding": "x".repeat(2_200_000)})
    .to_string();
    let user = [
        ("x-hasura-admin-secret", SECRET),
        ("x-hasura-role", "user"),
        ("x-hasura-user-id", "1"),
    ];
    let (status, r) = post_big(&s, "/v2/query", padded, &user).await;
    assert_eq!(
        (status, r["code"].as_str()),
        (413, Some("bad-request")),
        "{r}"
    );
    // Admin's limit is --max-metadata-bytes.
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let small = TestServer::start(
        Path::new(BIN),
        &["--database-url", &url, "--max-metadata-bytes", "300000"],
        &[],
    )
    .await;
    let over = json!({"type": "export_metadata", "args": {}, "padding": "x".repeat(400_000)});
    let (status, r) = post_big(&small, "/v1/metadata", over.to_string(), &[]).await;
    assert_eq!(status, 413, "{r}");
    assert!(
        r["error"]
            .as_str()
            .unwrap_or_default()
            .contains("300000 bytes"),
        "{r}"
    );
}
