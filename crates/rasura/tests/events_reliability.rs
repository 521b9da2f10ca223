//! Event delivery that survives engines killed with SIGKILL, engines sharing one database,
//! and a clean shutdown in the middle of a delivery.

mod events_support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use events_support::*;
use rasura_test_support::TestCluster;
use serde_json::{json, Value};

#[tokio::test]
async fn no_event_is_lost_when_engines_are_killed() {
    const N: usize = 2000;
    let pg = TestCluster::start("app").await;
    let mut s = start(&pg, &[]).await;
    setup_table(&s).await;
    // Fails about 30 % of requests (a fixed pseudo-random sequence); remembers what it accepted.
    let accepted: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let acc = accepted.clone();
    let (url, _) = webhook(move |req, n| {
        let x = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 33;
        if x % 10 < 3 {
            return (500, vec![], "{}".into());
        }
        let body: Value = serde_json::from_str(&req.body).unwrap();
        *acc.lock()
            .unwrap()
            .entry(body["id"].as_str().unwrap().to_string())
            .or_default() += 1;
        ok()
    })
    .await;
    metadata(
        &s,
        json!({"type": "pg_create_event_trigger", "args": {
        "name": "item_created", "table": "item", "webhook": url, "insert": {"columns": "*"},
        "retry_conf": {"num_retries": 1000, "interval_sec": 1, "timeout_sec": 5}}}),
    )
    .await;
    let inserting = {
        let client = pg.client("app").await;
        tokio::spawn(async move {
            for i in 0..N {
                client
                    .execute(
                        "INSERT INTO item (name) VALUES ($1)",
                        &[&format!("row {i}")],
                    )
                    .await
                    .unwrap();
                if i % 50 == 0 {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        })
    };
    for round in 0..2 {
        let target = (round + 1) * N / 3;
        wait_for(
            "deliveries before the kill",
            Duration::from_secs(60),
            || accepted.lock().unwrap().len() >= target / 2,
        )
        .await;
        s.child.kill().unwrap(); // SIGKILL: no chance to release claims
        s.child.wait().unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        s = start(&pg, &[]).await;
    }
    inserting.await.unwrap();
    let ids: Vec<String> = pg
        .client("app")
        .await
        .query("SELECT id FROM hdb_catalog.event_log", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ids.len(), N);
    wait_for("every event accepted", Duration::from_secs(120), || {
        let acc = accepted.lock().unwrap();
        ids.iter().all(|id| acc.contains_key(id))
    })
    .await;
    let start_wait = Instant::now();
    while open_events(&pg).await != (0, 0) {
        assert!(
            start_wait.elapsed() < Duration::from_secs(30),
            "{:?}",
            open_events(&pg).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(s.terminate(), "a clean shutdown");
    assert_eq!(open_events(&pg).await, (0, 0));
}

#[tokio::test]
async fn two_engines_share_the_work_without_doubles() {
    const N: usize = 2000;
    let pg = TestCluster::start("app").await;
    let a = start(&pg, &[("RASURA_TEST_ENGINE", "a")]).await;
    setup_table(&a).await;
    let (url, seen) = webhook(|_, _| ok()).await;
    // Each engine names itself in a header taken from its own environment.
    metadata(
        &a,
        json!({"type": "pg_create_event_trigger", "args": {
        "name": "item_created", "table": "item", "webhook": url, "insert": {"columns": "*"},
        "headers": [{"name": "X-Engine", "value_from_env": "RASURA_TEST_ENGINE"}]}}),
    )
    .await;
    let b = start(&pg, &[("RASURA_TEST_ENGINE", "b")]).await;
    insert_rows(&pg, N, 4).await;
    wait_for("every event", Duration::from_secs(60), || {
        seen.lock().unwrap().len() >= N
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut count: HashMap<String, usize> = HashMap::new();
    let mut by_engine: HashMap<String, usize> = HashMap::new();
    for r in seen.lock().unwrap().iter() {
        let body: Value = serde_json::from_str(&r.body).unwrap();
        *count
            .entry(body["id"].as_str().unwrap().to_string())
            .or_default() += 1;
        *by_engine
            .entry(r.header("x-engine").unwrap_or("?").to_string())
            .or_default() += 1;
    }
    assert_eq!(count.len(), N);
    assert!(
        count.values().all(|c| *c == 1),
        "some event was delivered twice"
    );
    assert!(
        by_engine.get("a").copied().unwrap_or(0) > 0
            && by_engine.get("b").copied().unwrap_or(0) > 0,
        "{by_engine:?}"
    );
    let per_engine: Vec<i64> = pg
        .client("app")
        .await
        .query("SELECT count(*) FROM hdb_catalog.event_invocation_logs GROUP BY event_id HAVING count(*) > 1", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(per_engine.is_empty(), "{per_engine:?}");
    assert_eq!(open_events(&pg).await, (0, 0));
    drop((a, b));
}

#[tokio::test]
async fn shutdown_releases_claims_of_deliveries_in_flight() {
    let pg = TestCluster::start("app").await;
    let mut s = start(&pg, &[("HASURA_GRAPHQL_GRACEFUL_SHUTDOWN_TIMEOUT", "1")]).await;
    setup_table(&s).await;
    let (hang, hang_seen) = rasura_hang().await;
    metadata(
        &s,
        json!({"type": "pg_create_event_trigger", "args": {
        "name": "slow", "table": "item", "webhook": hang, "insert": {"columns": "*"},
        "retry_conf": {"num_retries": 0, "interval_sec": 1, "timeout_sec": 60}}}),
    )
    .await;
    sql(&pg, "INSERT INTO item (name) VALUES ('x')").await;
    wait_for("the delivery to start", Duration::from_secs(10), || {
        hang_seen.lock().unwrap().len() == 1
    })
    .await;
    assert_eq!(open_events(&pg).await, (1, 1), "claimed while in flight");
    let started = Instant::now();
    assert!(s.terminate(), "a clean shutdown");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    // Not delivered, no longer claimed: the next engine takes it up at once.
    assert_eq!(open_events(&pg).await, (1, 0));
}
