//! Live-query benchmark: a throwaway cluster, the release engine, and 10,000 subscriptions
//! (100 connections x 100 subscriptions, 100 distinct variable sets) held while a steady
//! stream of updates runs. Reports statements per second (from `/dev/subscriptions`), engine
//! CPU and RSS, and the delay from an update's commit to each subscriber's message (p50, p99).
//!
//! Run: `cargo bench -p rasura --bench subscriptions` (figures go to docs/benchmarks.md by hand).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const BIN: &str = env!("CARGO_BIN_EXE_rasura");
const CONNECTIONS: usize = 100;
const PER_CONNECTION: usize = 100;
const BUCKETS: i32 = 100;
const UPDATES_PER_SEC: u64 = 20;
const STEADY: Duration = Duration::from_secs(30);

/// (bucket, value) -> when the update that set it committed.
type Commits = Arc<Mutex<HashMap<(i64, i64), Instant>>>;

fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    fields
        .get(11)
        .and_then(|u| u.parse::<u64>().ok())
        .unwrap_or(0)
        + fields
            .get(12)
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0)
}

fn rss_kb(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

async fn report(s: &TestServer) -> Value {
    s.http
        .get(s.url("/dev/subscriptions"))
        .header("x-hasura-admin-secret", "adm")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let pg = TestCluster::start("app").await;
    let s = TestServer::start(
        Path::new(BIN),
        &[
            "--database-url",
            &pg.url("app"),
            "--admin-secret",
            "adm",
            "--enabled-apis",
            "graphql,metadata,developer",
        ],
        &[],
    )
    .await;
    let pid = s.child.id();
    let (status, body) = s
        .post("/v1/metadata", &json!({"type": "bulk", "args": [
            {"type": "run_sql", "args": {"sql": format!(
                "CREATE TABLE item (id serial PRIMARY KEY, bucket int NOT NULL, val bigint NOT NULL DEFAULT 0);
                 CREATE INDEX ON item (bucket);
                 INSERT INTO item (bucket) SELECT b FROM generate_series(0, {}) b, generate_series(1, 3);", BUCKETS - 1)}},
            {"type": "pg_track_table", "args": {"table": "item"}}
        ]}), &[("x-hasura-admin-secret", "adm")])
        .await;
    assert_eq!(status, 200, "{body}");
    let rss_idle = rss_kb(pid, "VmRSS");

    let commits: Commits = Arc::default();
    let latencies: Arc<Mutex<Vec<f64>>> = Arc::default();
    let measuring = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let query = "subscription ($b: Int!) { item(where: {bucket: {_eq: $b}}, order_by: {id: asc}) { id bucket val } }";
    let started = Instant::now();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    for c in 0..CONNECTIONS {
        let mut req = format!("ws://127.0.0.1:{}/v1/graphql", s.port)
            .into_client_request()
            .unwrap();
        req.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
        ws.send(Message::Text(json!({"type": "connection_init", "payload": {"headers": {"x-hasura-admin-secret": "adm"}}}).to_string().into())).await.unwrap();
        for i in 0..PER_CONNECTION {
            let bucket = ((c * PER_CONNECTION + i) as i32) % BUCKETS;
            let sub = json!({"id": i.to_string(), "type": "subscribe", "payload": {"query": query, "variables": {"b": bucket}}});
            ws.send(Message::Text(sub.to_string().into()))
                .await
                .unwrap();
        }
        let (commits, latencies, measuring, ready) = (
            commits.clone(),
            latencies.clone(),
            measuring.clone(),
            ready_tx.clone(),
        );
        tokio::spawn(async move {
            let mut firsts = 0;
            while let Some(Ok(m)) = ws.next().await {
                let Message::Text(t) = m else { continue };
                let v: Value = serde_json::from_str(&t).unwrap_or_default();
                if v["type"] != "next" {
                    continue;
                }
                if firsts < PER_CONNECTION {
                    firsts += 1;
                    if firsts == PER_CONNECTION {
                        let _ = ready.send(());
                    }
                    continue;
                }
                if !measuring.load(std::sync::atomic::Ordering::Relaxed) {
                    continue;
                }
                let now = Instant::now();
                let rows = v["payload"]["data"]["item"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let newest = rows
                    .iter()
                    .filter_map(|r| Some((r["bucket"].as_i64()?, r["val"].as_i64()?)))
                    .max_by_key(|(_, v)| *v);
                if let Some(key) = newest {
                    if let Some(at) = commits.lock().unwrap().get(&key) {
                        latencies
                            .lock()
                            .unwrap()
                            .push(now.duration_since(*at).as_secs_f64() * 1e3);
                    }
                }
            }
        });
    }
    for _ in 0..CONNECTIONS {
        ready_rx.recv().await.unwrap();
    }
    let setup = started.elapsed();
    let held = report(&s).await;
    println!(
        "subscribed {} in {:.1} s: {held}",
        CONNECTIONS * PER_CONNECTION,
        setup.as_secs_f64()
    );

    // Steady updates: one bucket's rows each tick, values increasing per bucket.
    let client = pg.client("app").await;
    measuring.store(true, std::sync::atomic::Ordering::Relaxed);
    let (cpu0, st0, t0) = (
        cpu_ticks(pid),
        report(&s).await["statements"].as_u64().unwrap(),
        Instant::now(),
    );
    let mut values: HashMap<i64, i64> = HashMap::new();
    let mut tick = tokio::time::interval(Duration::from_millis(1000 / UPDATES_PER_SEC));
    let mut n = 0i64;
    let mut rss_peak = 0;
    while t0.elapsed() < STEADY {
        tick.tick().await;
        let bucket = (n * 37) % i64::from(BUCKETS);
        n += 1;
        let v = values.entry(bucket).or_insert(0);
        *v += 1;
        client
            .execute(
                "UPDATE item SET val = $2 WHERE bucket = $1::int8::int4",
                &[&bucket, &*v],
            )
            .await
            .unwrap();
        commits.lock().unwrap().insert((bucket, *v), Instant::now());
        rss_peak = rss_peak.max(rss_kb(pid, "VmRSS"));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    measuring.store(false, std::sync::atomic::Ordering::Relaxed);
    let secs = t0.elapsed().as_secs_f64();
    let statements = report(&s).await["statements"].as_u64().unwrap() - st0;
    let ticks_per_sec = 100.0;
    let cpu = (cpu_ticks(pid) - cpu0) as f64 / ticks_per_sec / secs;
    let mut lat = latencies.lock().unwrap().clone();
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    println!(
        "steady {STEADY:?}: {n} updates ({UPDATES_PER_SEC}/s), {} messages measured; statements {:.2}/s; engine CPU {:.0} % of a core; RSS idle {} MB, peak {} MB (VmHWM {} MB); commit->client p50 {:.0} ms, p90 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        lat.len(),
        statements as f64 / secs,
        cpu * 100.0,
        rss_idle / 1024,
        rss_peak / 1024,
        rss_kb(pid, "VmHWM") / 1024,
        pct(0.5),
        pct(0.9),
        pct(0.99),
        lat.last().copied().unwrap_or(f64::NAN)
    );
}
