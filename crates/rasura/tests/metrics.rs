//! `/v1/metrics` under Hasura's names, behind `HASURA_GRAPHQL_METRICS_SECRET`, scraped by a real
//! Prometheus (Debian's `prometheus`, installed by scripts/setup.sh) and read back through its
//! query API.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");
const SECRET: &str = "scrape-secret";

struct Prometheus {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    fn start(target_port: u16) -> Prometheus {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: rasura\n    metrics_path: /v1/metrics\n    authorization:\n      credentials: {SECRET}\n    static_configs:\n      - targets: ['127.0.0.1:{target_port}']\n"
            ),
        )
        .unwrap();
        let port = rasura_cluster::free_port().unwrap();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "prometheus is not installed: run scripts/setup.sh (Debian package prometheus)",
            );
        Prometheus {
            child,
            port,
            _dir: dir,
        }
    }

    /// The value of an instant query, once it has one.
    async fn value(&self, query: &str, at_least: f64) -> f64 {
        let http = reqwest::Client::new();
        let start = Instant::now();
        loop {
            let r = http
                .get(format!("http://127.0.0.1:{}/api/v1/query", self.port))
                .query(&[("query", query)])
                .send()
                .await;
            if let Ok(r) = r {
                if let Ok(v) = r.json::<Value>().await {
                    let value = v["data"]["result"][0]["value"][1]
                        .as_str()
                        .and_then(|s| s.parse::<f64>().ok());
                    if let Some(x) = value.filter(|x| *x >= at_least) {
                        return x;
                    }
                }
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "Prometheus has no {query} >= {at_least} after 60 s"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

#[tokio::test]
async fn prometheus_scrapes_hasuras_metrics() {
    let pg = TestCluster::start("app").await;
    pg.client("app")
        .await
        .batch_execute("CREATE TABLE item (id int PRIMARY KEY); INSERT INTO item VALUES (1), (2);")
        .await
        .unwrap();
    let s = TestServer::start(
        Path::new(BIN),
        &[
            "--database-url",
            &pg.url("app"),
            "--enabled-apis",
            "metadata,graphql,metrics",
        ],
        &[("HASURA_GRAPHQL_METRICS_SECRET", SECRET)],
    )
    .await;
    s.post(
        "/v1/metadata",
        &json!({"type": "pg_track_table", "args": {"table": "item"}}),
        &[],
    )
    .await;
    for _ in 0..3 {
        let r = s.graphql("{ item { id } }", json!({})).await;
        assert_eq!(r["data"]["item"].as_array().unwrap().len(), 2);
    }
    s.graphql("{ nope }", json!({})).await;
    // The secret is asked for.
    let http = reqwest::Client::new();
    let r = http.get(s.url("/v1/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = http
        .get(s.url("/v1/metrics"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let text = http
        .get(s.url("/v1/metrics"))
        .bearer_auth(SECRET)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in [
        "hasura_graphql_requests_total",
        "hasura_graphql_execution_time_seconds_bucket",
        "hasura_http_connections",
        "hasura_cache_request_count",
        "hasura_metadata_resource_version",
        "hasura_http_request_bytes_total",
    ] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }
    // A real Prometheus scrapes it and answers queries on it.
    let prom = Prometheus::start(s.port);
    let ok = prom
        .value(
            "hasura_graphql_requests_total{operation_type=\"query\",response_status=\"success\"}",
            3.0,
        )
        .await;
    assert_eq!(ok, 3.0);
    let failed = prom
        .value(
            "hasura_graphql_requests_total{operation_type=\"unknown\",response_status=\"failed\"}",
            1.0,
        )
        .await;
    assert_eq!(failed, 1.0);
    let hits = prom
        .value("hasura_cache_request_count{status=\"hit\"}", 2.0)
        .await;
    assert!(hits >= 2.0);
    let version = prom.value("hasura_metadata_resource_version", 1.0).await;
    assert!(version >= 1.0);
    // The queries above opened connections to the source, counted with Hasura's labels.
    let connections = prom
        .value(
            "hasura_postgres_connections{source_name=\"default\",conn_info=\"HASURA_GRAPHQL_DATABASE_URL\",role=\"primary\"}",
            1.0,
        )
        .await;
    assert!(connections >= 1.0, "{connections}");
    // The enabled APIs decide: without `metrics` the path is unknown.
    let plain = TestServer::start(Path::new(BIN), &["--database-url", &pg.url("app")], &[]).await;
    let r = http
        .get(plain.url("/v1/metrics"))
        .bearer_auth(SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}
