//! Event delivery benchmark: a throwaway cluster, the release engine, and a keep-alive local
//! webhook in this process. Measures
//! - burst: 20,000 rows inserted in one statement; events/s from commit to the last 2xx;
//! - stream: single-row commits at a steady rate; latency from each commit to the webhook's
//!   2xx for that row (p50, p90, p99), and whether delivery kept up.
//!
//! Run: `cargo bench -p rasura --bench events` (figures go to docs/benchmarks.md by hand).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::routing::post;
use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

type Answered = Arc<Mutex<HashMap<i64, Instant>>>;

/// A webhook answering 200 at once; notes when it answered for each row id.
async fn webhook() -> (String, Answered) {
    let answered: Answered = Arc::default();
    let a = answered.clone();
    let app = axum::Router::new().route(
        "/",
        post(move |body: String| {
            let a = a.clone();
            async move {
                let v: Value = serde_json::from_str(&body).unwrap_or_default();
                if let Some(id) = v["event"]["data"]["new"]["id"].as_i64() {
                    a.lock().unwrap().entry(id).or_insert_with(Instant::now);
                }
                "{}"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, answered)
}

async fn metadata(s: &TestServer, body: Value) {
    let (status, body) = s.post("/v1/metadata", &body, &[]).await;
    assert_eq!(status, 200, "{body}");
}

async fn wait_all(answered: &Answered, n: usize, timeout: Duration) -> bool {
    let start = Instant::now();
    while answered.lock().unwrap().len() < n {
        if start.elapsed() > timeout {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    true
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let pg = TestCluster::start("app").await;
    let s = TestServer::start(Path::new(BIN), &["--database-url", &pg.url("app")], &[]).await;
    let (url, answered) = webhook().await;
    metadata(&s, json!({"type": "bulk", "args": [
        {"type": "run_sql", "args": {"sql": "CREATE TABLE item (id bigserial PRIMARY KEY, name text NOT NULL)"}},
        {"type": "pg_track_table", "args": {"table": "item"}},
        {"type": "pg_create_event_trigger", "args": {"name": "item_created", "table": "item",
            "webhook": url, "insert": {"columns": "*"}}}
    ]}))
    .await;
    let client = pg.client("app").await;

    // Burst: one statement, many events.
    const BURST: usize = 20_000;
    let t0 = Instant::now();
    client
        .execute(
            "INSERT INTO item (name) SELECT 'row ' || g FROM generate_series(1, $1::int) g",
            &[&(BURST as i32)],
        )
        .await
        .unwrap();
    let committed = Instant::now();
    assert!(wait_all(&answered, BURST, Duration::from_secs(120)).await);
    let last = answered.lock().unwrap().values().max().copied().unwrap();
    let secs = (last - committed).as_secs_f64();
    println!(
        "burst: {BURST} events (insert took {:.0} ms), all delivered {:.2} s after commit: {:.0} events/s",
        (committed - t0).as_secs_f64() * 1e3,
        secs,
        BURST as f64 / secs
    );
    wait_drained(&client).await;

    // Stream: single-row commits from 4 connections at a fixed total rate.
    for rate in [500usize, 1000, 2000] {
        let duration = Duration::from_secs(10);
        let per_conn_interval = Duration::from_secs_f64(4.0 / rate as f64);
        let commits: Arc<Mutex<HashMap<i64, Instant>>> = Arc::default();
        let before = answered.lock().unwrap().len();
        let mut tasks = vec![];
        for _ in 0..4 {
            let c = pg.client("app").await;
            let commits = commits.clone();
            tasks.push(tokio::spawn(async move {
                let start = Instant::now();
                let mut next = start;
                while start.elapsed() < duration {
                    let row = c
                        .query_one("INSERT INTO item (name) VALUES ('s') RETURNING id", &[])
                        .await
                        .unwrap();
                    commits.lock().unwrap().insert(row.get(0), Instant::now());
                    next += per_conn_interval;
                    if let Some(wait) = next.checked_duration_since(Instant::now()) {
                        tokio::time::sleep(wait).await;
                    }
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let sent = commits.lock().unwrap().len();
        let kept_up = wait_all(&answered, before + sent, Duration::from_secs(60)).await;
        let mut lat: Vec<f64> = {
            let answered_now = answered.lock().unwrap();
            commits
                .lock()
                .unwrap()
                .iter()
                .filter_map(|(id, c)| {
                    answered_now
                        .get(id)
                        .map(|a| a.saturating_duration_since(*c).as_secs_f64() * 1e3)
                })
                .collect()
        };
        lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "stream: target {rate}/s, committed {sent} in {:?} ({:.0}/s), delivered {}: commit->2xx p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            duration,
            sent as f64 / duration.as_secs_f64(),
            if kept_up { "all" } else { "NOT all" },
            percentile(&lat, 0.5),
            percentile(&lat, 0.9),
            percentile(&lat, 0.99),
            lat.last().copied().unwrap_or(f64::NAN),
        );
        wait_drained(&client).await;
    }
    let rss = std::fs::read_to_string(format!("/proc/{}/status", s.child.id()))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_string())
        .unwrap_or_default();
    println!("engine peak RSS: {rss} kB");
}

/// Waits until every event is recorded as delivered.
async fn wait_drained(client: &tokio_postgres::Client) {
    loop {
        let open: i64 = client
            .query_one(
                "SELECT count(*) FROM hdb_catalog.event_log WHERE NOT delivered",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if open == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
