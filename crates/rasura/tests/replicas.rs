//! Read replicas against real PostgreSQL streaming replicas (`pg_basebackup -R` of a primary):
//! queries and live-query polls go to the replicas in turn, mutations to the primary; a replica
//! that stops is skipped, with none left reads go to the primary, and a replica that comes back
//! is used again. Replicas given by `--read-replica-url` and by a source's `read_replicas`.

mod events_support;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use events_support::{metadata, refused};
use rasura_test_support::{ws, TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

/// Which server answered: its port and whether it is a standby.
const WHERE: &str = "{ where_am_i { port replica } }";

/// The port and standby flag of the server that answered one query.
async fn answered_by(s: &TestServer) -> (i64, bool) {
    let r = s.graphql(WHERE, json!({})).await;
    assert!(r.get("errors").is_none(), "{r}");
    let row = &r["data"]["where_am_i"][0];
    (
        row["port"].as_i64().expect("a port"),
        row["replica"].as_bool().expect("a flag"),
    )
}

async fn ports_of(s: &TestServer, n: usize) -> Vec<i64> {
    let mut ports = Vec::new();
    for _ in 0..n {
        ports.push(answered_by(s).await.0);
    }
    ports
}

/// Waits (up to `timeout`) until a query is answered from `port`.
async fn until_answered_by(s: &TestServer, port: i64, timeout: Duration) {
    let start = Instant::now();
    loop {
        if answered_by(s).await.0 == port {
            return;
        }
        assert!(
            start.elapsed() < timeout,
            "no answer from port {port} in {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until the replica has replayed the primary's WAL up to now.
async fn caught_up(primary: &TestCluster, replica: &TestCluster) {
    let lsn: String = primary
        .client("app")
        .await
        .query_one("SELECT pg_current_wal_lsn()::text", &[])
        .await
        .unwrap()
        .get(0);
    let c = replica.client("app").await;
    let start = Instant::now();
    loop {
        let done: bool = c
            .query_one(
                "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn",
                &[&lsn],
            )
            .await
            .unwrap()
            .get(0);
        if done {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "replica lags");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn port(pg: &TestCluster) -> i64 {
    pg.cluster.port as i64
}

async fn track(s: &TestServer) {
    metadata(
        s,
        json!({"type": "bulk", "args": [
            {"type": "pg_track_table", "args": {"table": "item"}},
            {"type": "pg_track_table", "args": {"table": "where_am_i"}}
        ]}),
    )
    .await;
}

#[tokio::test]
async fn reads_go_to_replicas_in_turn_and_survive_them_stopping() {
    let primary = TestCluster::start("app").await;
    primary
        .client("app")
        .await
        .batch_execute(
            "CREATE TABLE item (id serial PRIMARY KEY, name text NOT NULL); \
             CREATE VIEW where_am_i AS \
               SELECT inet_server_port() AS port, pg_is_in_recovery() AS replica;",
        )
        .await
        .unwrap();
    primary.cluster.create_database("meta").await.unwrap();
    let mut r1 = TestCluster::start_replica_of(&primary).await;
    let r2 = TestCluster::start_replica_of(&primary).await;
    let (r1_url, r2_url) = (r1.url("app"), r2.url("app"));
    let s = TestServer::start(
        Path::new(BIN),
        &[
            "--database-url",
            &primary.url("app"),
            "--read-replica-url",
            &r1_url,
            "--read-replica-url",
            &r2_url,
            "--enabled-apis",
            "metadata,graphql,metrics",
        ],
        &[],
    )
    .await;
    assert_eq!(
        s.log_text().matches("reads from replica").count(),
        2,
        "{}",
        s.log_text()
    );
    track(&s).await;

    // Reads alternate between the two replicas; the primary answers none of them.
    let ports = ports_of(&s, 6).await;
    let seen: BTreeSet<i64> = ports.iter().copied().collect();
    assert_eq!(seen, BTreeSet::from([port(&r1), port(&r2)]), "{ports:?}");
    assert!(answered_by(&s).await.1, "a replica answers");

    // A mutation goes to the primary (a standby refuses writes), and reaches the replicas.
    let r = s
        .graphql(
            r#"mutation { insert_item_one(object: {name: "ada"}) { id name } }"#,
            json!({}),
        )
        .await;
    assert_eq!(r["data"]["insert_item_one"]["name"], "ada", "{r}");
    caught_up(&primary, &r1).await;
    caught_up(&primary, &r2).await;
    let r = s.graphql("{ item { name } }", json!({})).await;
    assert_eq!(r["data"]["item"], json!([{"name": "ada"}]), "{r}");

    // Connections to replicas are counted under their own label.
    let text = reqwest::get(s.url("/v1/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let replica_line = text
        .lines()
        .find(|l| l.starts_with("hasura_postgres_connections") && l.contains("role=\"replica\""))
        .unwrap_or_else(|| panic!("no replica connections in:\n{text}"));
    let open: f64 = replica_line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(open >= 1.0, "{replica_line}");

    // A live query is polled on a replica.
    let mut sub = ws::subscribe(
        s.port,
        "/v1/graphql",
        json!({}),
        "subscription { where_am_i { port replica } }",
    )
    .await;
    let first = ws::next_data(&mut sub).await;
    assert_eq!(first["where_am_i"][0]["replica"], true, "{first}");
    drop(sub);

    // One replica stops: every read is still answered, soon all by the other one.
    r1.cluster.stop().await.unwrap();
    let ports = ports_of(&s, 4).await;
    assert!(
        ports
            .iter()
            .all(|p| *p == port(&r2) || *p == port(&primary)),
        "{ports:?}"
    );
    assert_eq!(ports_of(&s, 4).await, vec![port(&r2); 4]);

    // Both stop: the primary answers reads.
    r2.cluster.stop().await.unwrap();
    let ports = ports_of(&s, 3).await;
    assert_eq!(ports, vec![port(&primary); 3]);
    assert!(!answered_by(&s).await.1, "the primary answers");
    let r = s.graphql("{ item { name } }", json!({})).await;
    assert_eq!(r["data"]["item"], json!([{"name": "ada"}]), "{r}");

    // The first comes back: after the retry interval, reads go to it again.
    r1.cluster.start().await.unwrap();
    until_answered_by(&s, port(&r1), Duration::from_secs(20)).await;
    drop(s);

    // A source's own `read_replicas` (Hasura's place: beside `connection_info`).
    let s = TestServer::start(
        Path::new(BIN),
        &["--metadata-database-url", &primary.url("meta")],
        &[],
    )
    .await;
    let add = |replicas: Value| {
        json!({"type": "pg_add_source", "args": {"name": "default", "configuration": {
            "connection_info": {"database_url": primary.url("app")},
            "read_replicas": replicas}}})
    };
    let e = refused(&s, add(json!([{"database_url": 5}])), "parse-failed").await;
    assert!(
        e["error"].as_str().unwrap().contains("read_replicas[0]"),
        "{e}"
    );
    metadata(
        &s,
        add(json!([{"database_url": r1_url, "pool_settings": {"max_connections": 2}}])),
    )
    .await;
    track(&s).await;
    assert_eq!(ports_of(&s, 3).await, vec![port(&r1); 3]);
    let md = metadata(&s, json!({"type": "export_metadata", "args": {}})).await;
    assert_eq!(
        md["sources"][0]["configuration"]["read_replicas"][0]["database_url"],
        json!(r1_url),
        "{md}"
    );
}
