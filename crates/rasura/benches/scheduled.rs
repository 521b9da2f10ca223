//! Scheduled-event benchmark: 10,000 one-off events due in the same second, created through
//! the metadata API ahead of time, drained by the release engine to a keep-alive local webhook
//! in this process. Measures each event's lateness (webhook answer minus its scheduled time,
//! one wall clock) at p50/p90/p99/max, and how long the whole set took to drain.
//!
//! Run: `cargo bench -p rasura --bench scheduled` (figures go to docs/benchmarks.md by hand).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::routing::post;
use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");
const N: usize = 10_000;

type Answered = Arc<Mutex<HashMap<String, f64>>>;

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// A webhook answering 200 at once; notes when it answered for each event id.
async fn webhook() -> (String, Answered) {
    let answered: Answered = Arc::default();
    let a = answered.clone();
    let app = axum::Router::new().route(
        "/",
        post(move |body: String| {
            let a = a.clone();
            async move {
                let v: Value = serde_json::from_str(&body).unwrap_or_default();
                if let Some(id) = v["id"].as_str() {
                    a.lock()
                        .unwrap()
                        .entry(id.to_string())
                        .or_insert_with(unix_now);
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

fn percentile(sorted: &[f64], p: f64) -> f64 {
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
    // Due on a whole second far enough ahead for the creation to finish.
    let due = (unix_now() + 20.0).ceil();
    let client = pg.client("app").await;
    let at: String = client
        .query_one(
            "SELECT to_char(to_timestamp($1::float8) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
            &[&due],
        )
        .await
        .unwrap()
        .get(0);
    let t0 = Instant::now();
    for chunk in 0..N / 1000 {
        let bulk: Vec<Value> = (0..1000)
            .map(|i| {
                json!({"type": "create_scheduled_event", "args": {
                "webhook": url, "schedule_at": at, "payload": {"n": chunk * 1000 + i}}})
            })
            .collect();
        let (status, body) = s
            .post("/v1/metadata", &json!({"type": "bulk", "args": bulk}), &[])
            .await;
        assert_eq!(status, 200, "{body}");
    }
    println!(
        "created {N} events due at {at} in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    assert!(unix_now() < due, "creation ran past the due time");
    let deadline = Instant::now() + Duration::from_secs(180);
    while answered.lock().unwrap().len() < N {
        assert!(Instant::now() < deadline, "not all delivered");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut late: Vec<f64> = answered
        .lock()
        .unwrap()
        .values()
        .map(|t| (t - due) * 1e3)
        .collect();
    late.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let drained = late.last().copied().unwrap_or_default() / 1e3;
    println!(
        "{N} events due in the same second: first answered {:.1} ms after the due time; lateness p50 {:.0} ms, p90 {:.0} ms, p99 {:.0} ms, max {:.0} ms; drained {:.2} s after the due time ({:.0} events/s)",
        late[0],
        percentile(&late, 0.5),
        percentile(&late, 0.9),
        percentile(&late, 0.99),
        drained * 1e3,
        drained,
        N as f64 / drained
    );
    // Every event is recorded as delivered.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let open: i64 = client
            .query_one(
                "SELECT count(*) FROM hdb_catalog.hdb_scheduled_events WHERE status <> 'delivered'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if open == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{open} events not recorded as delivered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rss = std::fs::read_to_string(format!("/proc/{}/status", s.child.id()))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_string())
        .unwrap_or_default();
    println!("engine peak RSS: {rss} kB");
}
