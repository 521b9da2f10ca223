//! Several engines on one metadata database: a metadata change or a schema change made through
//! one is served by the others within about a second (a notification, with a poll of the
//! resource version as the fallback), and edits through different engines never overwrite
//! each other.

use std::path::Path;
use std::time::{Duration, Instant};

use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

async fn engine(pg: &TestCluster) -> TestServer {
    TestServer::start(Path::new(BIN), &["--database-url", &pg.url("app")], &[]).await
}

async fn ok(s: &TestServer, path: &str, body: Value) -> Value {
    let (status, body) = s.post(path, &body, &[]).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Waits until `s` answers `query` without errors; the time it took.
async fn until_served(s: &TestServer, query: &str) -> Duration {
    let start = Instant::now();
    loop {
        let r = s.graphql(query, json!({})).await;
        if r.get("errors").is_none() {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "not served after 15 s: {r}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_change_through_one_engine_is_served_by_the_others() {
    let pg = TestCluster::start("app").await;
    let a = engine(&pg).await;
    let b = engine(&pg).await;
    let c = engine(&pg).await;
    ok(
        &a,
        "/v2/query",
        json!({"type": "run_sql", "args": {"sql": "CREATE TABLE item (id serial PRIMARY KEY, name text); INSERT INTO item (name) VALUES ('one');"}}),
    )
    .await;
    ok(
        &a,
        "/v1/metadata",
        json!({"type": "pg_track_table", "args": {"table": "item"}}),
    )
    .await;
    let tb = until_served(&b, "{ item { id name } }").await;
    let tc = until_served(&c, "{ item { id name } }").await;
    eprintln!("metadata change served by the other engines after {tb:?} and {tc:?}");
    // A schema change alone (no metadata edit) reaches them too.
    ok(
        &a,
        "/v2/query",
        json!({"type": "run_sql", "args": {"sql": "ALTER TABLE item ADD COLUMN price int"}}),
    )
    .await;
    let tb = until_served(&b, "{ item { price } }").await;
    eprintln!("schema change served by another engine after {tb:?}");
    // A metadata change made directly in the database (no notification): the poll finds it.
    let client = pg.client("app").await;
    client
        .batch_execute(
            "UPDATE hdb_catalog.hdb_metadata SET metadata = jsonb_set(metadata::jsonb, \
             '{sources,0,tables,0,select_permissions}', \
             '[{\"role\": \"user\", \"permission\": {\"columns\": [\"id\"], \"filter\": {}}}]')::json, \
             resource_version = resource_version + 1",
        )
        .await
        .unwrap();
    let start = Instant::now();
    loop {
        let (_, r) = c
            .post(
                "/v1/graphql",
                &json!({"query": "{ item { id } }"}),
                &[("x-hasura-role", "user")],
            )
            .await;
        if r["data"]["item"] == json!([{"id": 1}]) {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(15), "{r}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!(
        "a change without a notification served after {:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn edits_through_different_engines_are_all_kept() {
    let pg = TestCluster::start("app").await;
    let a = engine(&pg).await;
    let b = engine(&pg).await;
    let mut sql = String::new();
    for i in 0..6 {
        sql.push_str(&format!("CREATE TABLE t{i} (id int PRIMARY KEY);"));
    }
    ok(
        &a,
        "/v2/query",
        json!({"type": "run_sql", "args": {"sql": sql}}),
    )
    .await;
    // Alternate engines with no pause: each starts from what the other committed.
    for i in 0..6 {
        let s = if i % 2 == 0 { &a } else { &b };
        ok(
            s,
            "/v1/metadata",
            json!({"type": "pg_track_table", "args": {"table": format!("t{i}")}}),
        )
        .await;
    }
    let md = ok(
        &b,
        "/v1/metadata",
        json!({"type": "export_metadata", "args": {}}),
    )
    .await;
    let tracked: Vec<&str> = md["sources"][0]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["table"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(tracked, ["t0", "t1", "t2", "t3", "t4", "t5"]);
    // Concurrent edits through both: none lost.
    let untrack_t0 = json!({"type": "pg_untrack_table", "args": {"table": "t0"}});
    let untrack_t1 = json!({"type": "pg_untrack_table", "args": {"table": "t1"}});
    let (ra, rb) = tokio::join!(
        a.post("/v1/metadata", &untrack_t0, &[]),
        b.post("/v1/metadata", &untrack_t1, &[]),
    );
    // One may be refused as a conflict (it raced the other's commit); retried, it applies.
    for ((status, body), (s, t)) in [ra, rb].into_iter().zip([(&a, "t0"), (&b, "t1")]) {
        if status != 200 {
            assert_eq!(body["code"], "conflict", "{body}");
            ok(
                s,
                "/v1/metadata",
                json!({"type": "pg_untrack_table", "args": {"table": t}}),
            )
            .await;
        }
    }
    let md = ok(
        &a,
        "/v1/metadata",
        json!({"type": "export_metadata", "args": {}}),
    )
    .await;
    let left = md["sources"][0]["tables"].as_array().unwrap().len();
    assert_eq!(left, 4, "{md}");
}
