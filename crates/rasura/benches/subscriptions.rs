//! Subscription benchmark: a throwaway cluster, the release engine, and many subscriptions
//! held while a steady stream of writes runs. Reports statements per second (from
//! `/dev/subscriptions`), engine CPU and RSS, the delay from a write's commit to each
//! subscriber's message (p50, p99), and the pollers left once every client has gone.
//!
//! Live queries (default): subscriber `j` runs query `j % queries` (queries differ by an
//! alias) with bucket `j % variable-sets`; each tick updates one bucket's rows.
//! Streams (`--stream`): `item_stream` from id 0 with bucket `j % variable-sets`; each tick
//! inserts a row into one bucket.
//!
//! Run: `cargo bench -p rasura --bench subscriptions -- [--connections 100]
//! [--per-connection 100] [--variable-sets 100] [--queries 1] [--stream] [--steady 30]
//! [--updates 20]` (figures go to docs/benchmarks.md by hand).

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
/// The sizes, from the command line.
struct Sizes {
    connections: usize,
    per_connection: usize,
    buckets: usize,
    queries: usize,
    stream: bool,
    steady: Duration,
    updates_per_sec: u64,
}

fn sizes() -> Sizes {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str, default: u64| -> u64 {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1)?.parse().ok())
            .unwrap_or(default)
    };
    Sizes {
        connections: flag("--connections", 100) as usize,
        per_connection: flag("--per-connection", 100) as usize,
        buckets: flag("--variable-sets", 100) as usize,
        queries: flag("--queries", 1).max(1) as usize,
        stream: args.iter().any(|a| a == "--stream"),
        steady: Duration::from_secs(flag("--steady", 30)),
        updates_per_sec: flag("--updates", 20).max(1),
    }
}

/// Subscriber `j`'s query text and variables.
fn subscription(z: &Sizes, j: usize) -> (String, Value) {
    let bucket = (j % z.buckets) as i64;
    if z.stream {
        let q = "subscription ($b: Int!, $from: Int!) { item_stream(batch_size: 100, cursor: {initial_value: {id: $from}}, where: {bucket: {_eq: $b}}) { id bucket val } }";
        return (q.to_string(), json!({"b": bucket, "from": 0}));
    }
    let q = format!(
        "subscription ($b: Int!) {{ item(where: {{bucket: {{_eq: $b}}}}, order_by: {{id: asc}}) {{ id bucket val q{}: id }} }}",
        j % z.queries
    );
    (q, json!({"b": bucket}))
}

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
    let z = sizes();
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
                 INSERT INTO item (bucket) SELECT b FROM generate_series(0, {}) b, generate_series(1, 3);", z.buckets - 1)}},
            {"type": "pg_track_table", "args": {"table": "item"}}
        ]}), &[("x-hasura-admin-secret", "adm")])
        .await;
    assert_eq!(status, 200, "{body}");
    let rss_idle = rss_kb(pid, "VmRSS");

    let commits: Commits = Arc::default();
    let latencies: Arc<Mutex<Vec<f64>>> = Arc::default();
    let measuring = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let root = if z.stream { "item_stream" } else { "item" };
    let per_connection = z.per_connection;
    let mut clients = vec![];
    let mut rss_peak = 0;
    let started = Instant::now();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    for c in 0..z.connections {
        let mut req = format!("ws://127.0.0.1:{}/v1/graphql", s.port)
            .into_client_request()
            .unwrap();
        req.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
        ws.send(Message::Text(json!({"type": "connection_init", "payload": {"headers": {"x-hasura-admin-secret": "adm"}}}).to_string().into())).await.unwrap();
        for i in 0..per_connection {
            let (query, variables) = subscription(&z, c * per_connection + i);
            let sub = json!({"id": i.to_string(), "type": "subscribe", "payload": {"query": query, "variables": variables}});
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
        clients.push(tokio::spawn(async move {
            let mut firsts = 0;
            while let Some(Ok(m)) = ws.next().await {
                let Message::Text(t) = m else { continue };
                let v: Value = serde_json::from_str(&t).unwrap_or_default();
                if v["type"] != "next" {
                    continue;
                }
                if firsts < per_connection {
                    firsts += 1;
                    if firsts == per_connection {
                        let _ = ready.send(());
                    }
                    continue;
                }
                if !measuring.load(std::sync::atomic::Ordering::Relaxed) {
                    continue;
                }
                let now = Instant::now();
                let rows = v["payload"]["data"][root]
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
        }));
        rss_peak = rss_peak.max(rss_kb(pid, "VmRSS"));
    }
    for _ in 0..z.connections {
        ready_rx.recv().await.unwrap();
    }
    let setup = started.elapsed();
    let held = report(&s).await;
    println!(
        "subscribed {} ({}) in {:.1} s: {held}; RSS {} MB",
        z.connections * per_connection,
        if z.stream { "streams" } else { "live queries" },
        setup.as_secs_f64(),
        rss_kb(pid, "VmRSS") / 1024
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
    let mut tick = tokio::time::interval(Duration::from_millis(1000 / z.updates_per_sec));
    let mut n = 0i64;
    let write = if z.stream {
        "INSERT INTO item (bucket, val) VALUES ($1::int8::int4, $2)"
    } else {
        "UPDATE item SET val = $2 WHERE bucket = $1::int8::int4"
    };
    while t0.elapsed() < z.steady {
        tick.tick().await;
        let bucket = (n * 37) % z.buckets as i64;
        n += 1;
        let v = values.entry(bucket).or_insert(0);
        *v += 1;
        client.execute(write, &[&bucket, &*v]).await.unwrap();
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
        "steady {:?}: {n} writes ({}/s), {} messages measured; statements {:.2}/s; engine CPU {:.0} % of a core; RSS idle {} MB, peak {} MB (VmHWM {} MB); commit->client p50 {:.0} ms, p90 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        z.steady,
        z.updates_per_sec,
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
    // Every client goes: the pollers stop within an interval (refetch 1 s).
    let held = report(&s).await;
    for c in clients {
        c.abort();
    }
    let gone = Instant::now();
    let mut left = held.clone();
    while gone.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = report(&s).await;
        if left["pollers"] == 0 && left["subscribers"] == 0 {
            break;
        }
    }
    println!(
        "clients gone: pollers {} -> {}, subscribers {} -> {} after {:.1} s",
        held["pollers"],
        left["pollers"],
        held["subscribers"],
        left["subscribers"],
        gone.elapsed().as_secs_f64()
    );
}
