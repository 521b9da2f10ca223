//! Three engines on one database behind a real haproxy (Debian's `haproxy`, installed by
//! scripts/setup.sh): metadata changed through the balancer reaches every engine, event
//! triggers deliver each event once whichever engine is asked, and with one engine killed
//! (`kill -9`) the API keeps answering, a subscription through the balancer sees inserts, events
//! keep flowing (each delivered once) and metadata keeps changing.

mod events_support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use events_support::{bodies, ok, wait_for, webhook, BIN};
use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

struct Haproxy {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Haproxy {
    fn start(backends: &[u16]) -> Haproxy {
        let dir = tempfile::tempdir().unwrap();
        let port = rasura_cluster::free_port().unwrap();
        let mut config = format!(
            "global\n  maxconn 1000\ndefaults\n  mode http\n  timeout connect 1s\n  timeout client 30s\n  timeout server 30s\n  timeout tunnel 1h\n  retries 3\n  option redispatch\nfrontend api\n  bind 127.0.0.1:{port}\n  default_backend engines\nbackend engines\n  balance roundrobin\n  option httpchk GET /healthz\n"
        );
        for (i, b) in backends.iter().enumerate() {
            config.push_str(&format!(
                "  server e{i} 127.0.0.1:{b} check inter 200ms fall 1 rise 1\n"
            ));
        }
        let path = dir.path().join("haproxy.cfg");
        std::fs::write(&path, config).unwrap();
        let child = Command::new("haproxy")
            .arg("-f")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("haproxy is not installed: run scripts/setup.sh (Debian package haproxy)");
        Haproxy {
            child,
            port,
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

async fn post(http: &reqwest::Client, url: &str, body: Value) -> (u16, Value) {
    let r = http.post(url).json(&body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Runs `query` through the balancer `n` times; every answer must have data.
async fn queries_all_answered(http: &reqwest::Client, lb: &Haproxy, query: &str, n: usize) {
    for i in 0..n {
        let (status, body) = post(http, &lb.url("/v1/graphql"), json!({"query": query})).await;
        assert_eq!(status, 200, "request {i}: {body}");
        assert!(body.get("errors").is_none(), "request {i}: {body}");
    }
}

#[tokio::test]
async fn three_engines_behind_haproxy_survive_one_killed() {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let mut engines = Vec::new();
    for _ in 0..3 {
        engines.push(TestServer::start(Path::new(BIN), &["--database-url", &url], &[]).await);
    }
    let lb = Haproxy::start(&engines.iter().map(|e| e.port).collect::<Vec<_>>());
    let http = reqwest::Client::new();
    let start = std::time::Instant::now();
    while http.get(lb.url("/healthz")).send().await.is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "haproxy did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Schema and metadata through the balancer (each request may land on any engine).
    let (status, body) = post(
        &http,
        &lb.url("/v2/query"),
        json!({"type": "run_sql", "args": {"sql": "CREATE TABLE note (id serial PRIMARY KEY, body text)"}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(
        &http,
        &lb.url("/v1/metadata"),
        json!({"type": "pg_track_table", "args": {"table": "note"}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (hook, seen) = webhook(|_, _| ok()).await;
    let (status, body) = post(
        &http,
        &lb.url("/v1/metadata"),
        json!({"type": "pg_create_event_trigger", "args": {"name": "note_added", "table": "note",
            "webhook": hook, "insert": {"columns": "*"}}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Every engine serves the table within about a second.
    for e in &engines {
        let t = std::time::Instant::now();
        loop {
            if e.graphql("{ note { id } }", json!({}))
                .await
                .get("errors")
                .is_none()
            {
                break;
            }
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "engine {} not following",
                e.port
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    queries_all_answered(&http, &lb, "{ note { id body } }", 30).await;
    // Inserts through the balancer: each event delivered once.
    for i in 0..20 {
        let (status, body) = post(
            &http,
            &lb.url("/v1/graphql"),
            json!({"query": format!("mutation {{ insert_note_one(object: {{body: \"n{i}\"}}) {{ id }} }}")}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "{body}");
    }
    wait_for("20 deliveries", Duration::from_secs(20), || {
        seen.lock().unwrap().len() >= 20
    })
    .await;
    // One engine dies without a goodbye.
    engines[0].child.kill().unwrap();
    let _ = engines[0].child.wait();
    queries_all_answered(&http, &lb, "{ note { id } }", 30).await;
    for i in 20..30 {
        let (status, body) = post(
            &http,
            &lb.url("/v1/graphql"),
            json!({"query": format!("mutation {{ insert_note_one(object: {{body: \"n{i}\"}}) {{ id }} }}")}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "{body}");
    }
    // A subscription through the balancer sees a row inserted through it (on any engine).
    let count = subscription_sees_an_insert(&http, &lb).await;
    assert_eq!(count, 31);
    // Metadata still changes, and the survivors serve the change.
    let (status, body) = post(
        &http,
        &lb.url("/v1/metadata"),
        json!({"type": "pg_create_select_permission", "args": {"table": "note", "role": "reader",
            "permission": {"columns": ["body"], "filter": {}}}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for e in &engines[1..] {
        let t = std::time::Instant::now();
        loop {
            let (_, r) = e
                .post(
                    "/v1/graphql",
                    &json!({"query": "{ note(limit: 1) { body } }"}),
                    &[("x-hasura-role", "reader")],
                )
                .await;
            if r.get("errors").is_none() {
                break;
            }
            assert!(t.elapsed() < Duration::from_secs(10), "{r}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // Every event was delivered, none twice (whatever the dead engine had claimed is taken
    // back by the others).
    wait_for("31 deliveries", Duration::from_secs(60), || {
        seen.lock().unwrap().len() >= 31
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let delivered = bodies(&seen);
    let bodies_seen: BTreeSet<String> = delivered
        .iter()
        .map(|b| {
            b["event"]["data"]["new"]["body"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(bodies_seen.len(), 31, "each note's event arrived");
    assert_eq!(delivered.len(), 31, "no event was delivered twice");
}

/// Subscribes to the note count over a WebSocket through the balancer, inserts a note through
/// it, and answers the count the subscription then sends.
async fn subscription_sees_an_insert(http: &reqwest::Client, lb: &Haproxy) -> u64 {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;
    let mut req = format!("ws://127.0.0.1:{}/v1/graphql", lb.port)
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    ws.send(Message::Text(r#"{"type":"connection_init"}"#.into()))
        .await
        .unwrap();
    ws.send(Message::Text(
        r#"{"type":"subscribe","id":"c","payload":{"query":"subscription { note_aggregate { aggregate { count } } }"}}"#.into(),
    ))
    .await
    .unwrap();
    let mut next_count = async || loop {
        let m = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .expect("a message within 20 s")
            .unwrap()
            .unwrap();
        let v: Value = serde_json::from_str(m.to_text().unwrap_or("{}")).unwrap_or_default();
        if v["type"] == "next" {
            return v["payload"]["data"]["note_aggregate"]["aggregate"]["count"]
                .as_u64()
                .unwrap();
        }
    };
    assert_eq!(next_count().await, 30);
    let (status, body) = post(
        http,
        &lb.url("/v1/graphql"),
        json!({"query": "mutation { insert_note_one(object: {body: \"n30\"}) { id } }"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    next_count().await
}
