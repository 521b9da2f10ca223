//! Helpers of the event-trigger tests: a throwaway engine with a table, recording webhooks,
//! and looks into `hdb_catalog.event_log`.
#![allow(dead_code)]

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rasura_test_support::{StubRequest, StubResponse, TestCluster, TestServer};
use serde_json::{json, Value};

pub const BIN: &str = env!("CARGO_BIN_EXE_rasura");

pub type Seen = Arc<Mutex<Vec<StubRequest>>>;

/// A webhook that records every request and answers with `answer(request, attempt number)`.
pub async fn webhook<F>(answer: F) -> (String, Seen)
where
    F: Fn(&StubRequest, usize) -> StubResponse + Send + Sync + 'static,
{
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let answer = Arc::new(answer);
    let url = rasura_test_support::http_stub(move |req| {
        let s = s.clone();
        let answer = answer.clone();
        async move {
            let n = {
                let mut v = s.lock().unwrap();
                v.push(req.clone());
                v.len()
            };
            answer(&req, n)
        }
    })
    .await;
    (url, seen)
}

pub fn ok() -> StubResponse {
    (200, vec![], "{}".into())
}

pub fn bodies(seen: &Seen) -> Vec<Value> {
    seen.lock()
        .unwrap()
        .iter()
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect()
}

pub async fn wait_for<F: Fn() -> bool>(what: &str, timeout: Duration, cond: F) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn metadata(s: &TestServer, body: Value) -> Value {
    let (status, body) = s.post("/v1/metadata", &body, &[]).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// POSTs a metadata request that must be refused with `code`; returns the error body.
pub async fn refused(s: &TestServer, body: Value, code: &str) -> Value {
    let (status, err) = s.post("/v1/metadata", &body, &[]).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (400, Some(code)),
        "{body} -> {err}"
    );
    err
}

pub async fn start(pg: &TestCluster, env: &[(&str, &str)]) -> TestServer {
    let mut env = env.to_vec();
    env.push(("HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL", "200"));
    TestServer::start(Path::new(BIN), &["--database-url", &pg.url("app")], &env).await
}

pub async fn setup_table(s: &TestServer) {
    let body = json!({"type": "bulk", "args": [
        {"type": "run_sql", "args": {"sql": "CREATE TABLE item (id serial PRIMARY KEY, name text NOT NULL, qty int NOT NULL DEFAULT 0, meta json)"}},
        {"type": "pg_track_table", "args": {"table": "item"}}
    ]});
    metadata(s, body).await;
}

/// A webhook that never answers in time.
pub async fn rasura_hang() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let url = rasura_test_support::http_stub(move |req| {
        s.lock().unwrap().push(req);
        async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            ok()
        }
    })
    .await;
    (url, seen)
}

/// Inserts `n` rows, one transaction each, from `tasks` connections.
pub async fn insert_rows(pg: &TestCluster, n: usize, tasks: usize) {
    let mut handles = vec![];
    for t in 0..tasks {
        let client = pg.client("app").await;
        handles.push(tokio::spawn(async move {
            for i in (t..n).step_by(tasks) {
                client
                    .execute(
                        "INSERT INTO item (name) VALUES ($1)",
                        &[&format!("row {i}")],
                    )
                    .await
                    .unwrap();
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
}

/// Events that are not delivered yet, or still claimed.
pub async fn open_events(pg: &TestCluster) -> (i64, i64) {
    let row = pg
        .client("app")
        .await
        .query_one(
            "SELECT count(*) FILTER (WHERE NOT delivered AND NOT error), count(*) FILTER (WHERE locked IS NOT NULL) FROM hdb_catalog.event_log",
            &[],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

/// Runs `sql` on the test database, outside the engine.
pub async fn sql(pg: &TestCluster, sql: &str) {
    pg.client("app").await.batch_execute(sql).await.unwrap();
}
