//! Scheduled triggers against real local webhooks: one-off events on time, retries with
//! `Retry-After`, tolerance, cron triggers and their materialised events, two engines
//! sharing a database, and an engine killed with SIGKILL in the middle of a delivery.

mod events_support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use events_support::*;
use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

fn iso_in(secs: f64) -> String {
    rasura_test_support::iso_in(secs)
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

async fn events(s: &TestServer, args: Value) -> Vec<Value> {
    let v = metadata(s, json!({"type": "get_scheduled_events", "args": args})).await;
    v["events"].as_array().unwrap().clone()
}

async fn invocations(s: &TestServer, args: Value) -> Vec<Value> {
    let v = metadata(
        s,
        json!({"type": "get_scheduled_event_invocations", "args": args}),
    )
    .await;
    v["invocations"].as_array().unwrap().clone()
}

async fn one_off_status(s: &TestServer, id: &str) -> (String, i64) {
    let all = events(s, json!({"type": "one_off"})).await;
    let e = all.iter().find(|e| e["id"] == id).expect("event listed");
    (
        e["status"].as_str().unwrap().to_string(),
        e["tries"].as_i64().unwrap(),
    )
}

async fn wait_status(s: &TestServer, id: &str, want: &str, timeout: Duration) -> i64 {
    let start = std::time::Instant::now();
    loop {
        let (status, tries) = one_off_status(s, id).await;
        if status == want {
            return tries;
        }
        assert!(
            start.elapsed() < timeout,
            "event {id} is {status}, not {want}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_one_off_event_arrives_on_time_with_hasuras_body_and_log() {
    let pg = TestCluster::start("app").await;
    let s = start(&pg, &[("SCHED_TOKEN", "s3cret")]).await;
    let arrivals: Arc<Mutex<Vec<f64>>> = Arc::default();
    let a = arrivals.clone();
    let (url, seen) = webhook(move |_, _| {
        a.lock().unwrap().push(unix_now());
        (200, vec![], "{\"ok\": true}".into())
    })
    .await;
    let at = unix_now() + 2.0;
    let created = metadata(
        &s,
        json!({"type": "create_scheduled_event", "args": {
            "webhook": format!("{url}/remind"), "schedule_at": iso_in(2.0),
            "payload": {"user": 7}, "comment": "in two seconds",
            "headers": [{"name": "X-Token", "value_from_env": "SCHED_TOKEN"}, {"name": "X-Plain", "value": "p"}]}}),
    )
    .await;
    assert_eq!(created["message"], "success");
    let id = created["event_id"].as_str().unwrap().to_string();
    let (status, _) = one_off_status(&s, &id).await;
    assert_eq!(status, "scheduled");
    wait_for("the delivery", Duration::from_secs(10), || {
        !arrivals.lock().unwrap().is_empty()
    })
    .await;
    let lateness = arrivals.lock().unwrap()[0] - at;
    assert!(
        (-0.05..1.0).contains(&lateness),
        "delivered {lateness:.3} s after its time"
    );
    let tries = wait_status(&s, &id, "delivered", Duration::from_secs(5)).await;
    assert_eq!(tries, 1);
    let req = seen.lock().unwrap()[0].clone();
    assert_eq!(req.path, "/remind");
    assert_eq!(req.header("x-token"), Some("s3cret"));
    assert_eq!(req.header("x-plain"), Some("p"));
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert!(req
        .header("user-agent")
        .unwrap()
        .starts_with("hasura-graphql-engine/"));
    let body: Value = serde_json::from_str(&req.body).unwrap();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["id", "scheduled_time", "payload", "comment", "created_at"]
    );
    assert_eq!(body["id"], id.as_str());
    assert_eq!(body["payload"], json!({"user": 7}));
    assert!(body["scheduled_time"].as_str().unwrap().ends_with('Z'));
    let logs = invocations(&s, json!({"type": "one_off", "event_id": id})).await;
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert_eq!(logs[0]["status"], 200);
    assert_eq!(logs[0]["request"]["version"], "1");
    assert_eq!(logs[0]["request"]["payload"], body);
    // The secret is logged by the variable's name, not its value.
    assert!(!logs[0]["request"].to_string().contains("s3cret"));
    assert_eq!(logs[0]["response"]["type"], "webhook_response");
    assert_eq!(logs[0]["response"]["data"]["body"], "{\"ok\": true}");
    // Deleting the event takes its log with it.
    metadata(
        &s,
        json!({"type": "delete_scheduled_event", "args": {"type": "one_off", "event_id": id}}),
    )
    .await;
    assert!(events(&s, json!({"type": "one_off"})).await.is_empty());
    assert!(invocations(&s, json!({"type": "one_off", "event_id": id}))
        .await
        .is_empty());
    // Bad input is refused in Hasura's words.
    refused(
        &s,
        json!({"type": "create_scheduled_event", "args": {"webhook": url, "schedule_at": "soon"}}),
        "parse-failed",
    )
    .await;
    refused(
        &s,
        json!({"type": "get_scheduled_events", "args": {"type": "one_off", "status": ["gone"]}}),
        "parse-failed",
    )
    .await;
}

#[tokio::test]
async fn failures_are_retried_then_errored_and_retry_after_is_obeyed() {
    let pg = TestCluster::start("app").await;
    let s = start(&pg, &[]).await;
    // Always fails: one retry, then error.
    let (failing, failing_seen) = webhook(|_, _| (500, vec![], "down".into())).await;
    // First answer asks to come back in 1 s (past its retries), the second accepts.
    let arrivals: Arc<Mutex<Vec<f64>>> = Arc::default();
    let a = arrivals.clone();
    let (later, _) = webhook(move |_, n| {
        a.lock().unwrap().push(unix_now());
        if n == 1 {
            (503, vec![("Retry-After".into(), "1".into())], "busy".into())
        } else {
            ok()
        }
    })
    .await;
    let failing_id = metadata(
        &s,
        json!({"type": "create_scheduled_event", "args": {"webhook": failing, "schedule_at": iso_in(0.0),
            "retry_conf": {"num_retries": 1, "retry_interval_seconds": 1}}}),
    )
    .await["event_id"]
        .as_str()
        .unwrap()
        .to_string();
    let later_id = metadata(
        &s,
        json!({"type": "create_scheduled_event", "args": {"webhook": later, "schedule_at": iso_in(0.0)}}),
    )
    .await["event_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        wait_status(&s, &failing_id, "error", Duration::from_secs(10)).await,
        2
    );
    assert_eq!(failing_seen.lock().unwrap().len(), 2);
    let logs = invocations(&s, json!({"type": "one_off", "event_id": failing_id})).await;
    assert_eq!(logs.len(), 2);
    assert_eq!(logs[0]["status"], 500);
    assert_eq!(logs[0]["response"]["type"], "client_error");
    assert_eq!(logs[0]["response"]["data"]["message"], "down");
    assert_eq!(
        wait_status(&s, &later_id, "delivered", Duration::from_secs(10)).await,
        2
    );
    let times = arrivals.lock().unwrap().clone();
    let gap = times[1] - times[0];
    assert!(
        (0.9..2.0).contains(&gap),
        "retried {gap:.2} s after Retry-After: 1"
    );
}

#[tokio::test]
async fn an_event_older_than_its_tolerance_is_dead_and_never_sent() {
    let pg = TestCluster::start("app").await;
    let s = start(&pg, &[]).await;
    let (url, seen) = webhook(|_, _| ok()).await;
    let dead = metadata(
        &s,
        json!({"type": "create_scheduled_event", "args": {"webhook": url, "schedule_at": iso_in(-60.0),
            "retry_conf": {"tolerance_seconds": 30}}}),
    )
    .await["event_id"]
        .as_str()
        .unwrap()
        .to_string();
    let late_but_fine = metadata(
        &s,
        json!({"type": "create_scheduled_event", "args": {"webhook": url, "schedule_at": iso_in(-60.0)}}),
    )
    .await["event_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        wait_status(&s, &dead, "dead", Duration::from_secs(10)).await,
        0
    );
    wait_status(&s, &late_but_fine, "delivered", Duration::from_secs(10)).await;
    let bodies = bodies(&seen);
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["id"], late_but_fine.as_str());
    assert!(
        invocations(&s, json!({"type": "one_off", "event_id": dead}))
            .await
            .is_empty()
    );
    let dead_only = events(&s, json!({"type": "one_off", "status": ["dead"]})).await;
    assert_eq!(dead_only.len(), 1);
}

#[tokio::test]
async fn cron_triggers_materialise_their_events_and_deliver_when_the_time_comes() {
    let pg = TestCluster::start("app").await;
    let s = start(&pg, &[]).await;
    let (url, seen) = webhook(|_, _| ok()).await;
    let create = json!({"type": "create_cron_trigger", "args": {
        "name": "every_minute", "webhook": url, "schedule": "* * * * *",
        "payload": {"job": "sync"}, "headers": [{"name": "X-Job", "value": "sync"}],
        "include_in_metadata": true, "comment": "each minute"}});
    metadata(&s, create.clone()).await;
    let err = refused(&s, create, "already-exists").await;
    assert_eq!(
        err["error"],
        "cron trigger with name: every_minute already exists"
    );
    refused(
        &s,
        json!({"type": "create_cron_trigger", "args": {"name": "bad", "webhook": url, "schedule": "* * *", "include_in_metadata": true}}),
        "parse-failed",
    )
    .await;
    let listed = metadata(&s, json!({"type": "get_cron_triggers", "args": {}})).await;
    assert_eq!(listed["cron_triggers"][0]["name"], "every_minute");
    assert_eq!(
        listed["cron_triggers"][0]["retry_conf"],
        json!({"num_retries": 0, "retry_interval_seconds": 10, "timeout_seconds": 60, "tolerance_seconds": 21600})
    );
    // 100 events ahead, one per minute, on the minute.
    let counted = metadata(
        &s,
        json!({"type": "get_scheduled_events", "args": {"type": "cron", "trigger_name": "every_minute", "get_rows_count": true, "limit": 3}}),
    )
    .await;
    assert_eq!(counted["count"], 100, "{counted}");
    let first: Vec<String> = counted["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["scheduled_time"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(first.len(), 3);
    assert!(first.iter().all(|t| t.ends_with(":00Z")), "{first:?}");
    // Drive the clock: the first event's minute comes now.
    let client = pg.client("app").await;
    client
        .batch_execute(
            "UPDATE hdb_catalog.hdb_cron_events SET scheduled_time = now() - interval '1 second' \
             WHERE id = (SELECT id FROM hdb_catalog.hdb_cron_events ORDER BY scheduled_time LIMIT 1); \
             NOTIFY rasura_scheduled",
        )
        .await
        .unwrap();
    wait_for("the cron delivery", Duration::from_secs(5), || {
        !seen.lock().unwrap().is_empty()
    })
    .await;
    let req = seen.lock().unwrap()[0].clone();
    assert_eq!(req.header("x-job"), Some("sync"));
    let body: Value = serde_json::from_str(&req.body).unwrap();
    assert_eq!(body["name"], "every_minute");
    assert_eq!(body["payload"], json!({"job": "sync"}));
    assert_eq!(body["comment"], "each minute");
    assert!(body.get("created_at").is_none());
    let start = std::time::Instant::now();
    while delivered_now(&s).await.is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "not marked delivered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(delivered_now(&s).await.len(), 1);
    let logs = invocations(
        &s,
        json!({"type": "cron", "trigger_name": "every_minute", "get_rows_count": true}),
    )
    .await;
    assert_eq!(logs.len(), 1);
    // Exported (retry_conf left out as default); one not included in metadata is not, and
    // survives a replace_metadata of the export.
    metadata(
        &s,
        json!({"type": "create_cron_trigger", "args": {"name": "hidden", "webhook": url, "schedule": "0 3 * * *", "include_in_metadata": false}}),
    )
    .await;
    let exported = metadata(&s, json!({"type": "export_metadata", "args": {}})).await;
    let crons = exported["cron_triggers"].as_array().unwrap();
    assert_eq!(crons.len(), 1);
    assert_eq!(crons[0]["name"], "every_minute");
    assert!(crons[0].get("retry_conf").is_none());
    metadata(&s, json!({"type": "replace_metadata", "args": exported})).await;
    let names: Vec<String> = metadata(&s, json!({"type": "get_cron_triggers", "args": {}})).await
        ["cron_triggers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    assert!(names.contains(&"hidden".to_string()), "{names:?}");
    // Deleting a trigger deletes its future events; what happened stays.
    metadata(
        &s,
        json!({"type": "delete_cron_trigger", "args": {"name": "every_minute"}}),
    )
    .await;
    let left: Vec<(String, String)> = client
        .query(
            "SELECT status, trigger_name FROM hdb_catalog.hdb_cron_events WHERE trigger_name = 'every_minute'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        left,
        vec![("delivered".to_string(), "every_minute".to_string())]
    );
    refused(
        &s,
        json!({"type": "delete_cron_trigger", "args": {"name": "every_minute"}}),
        "not-exists",
    )
    .await;
}

async fn delivered_now(s: &TestServer) -> Vec<Value> {
    events(
        s,
        json!({"type": "cron", "trigger_name": "every_minute", "status": ["delivered"]}),
    )
    .await
}

#[tokio::test]
async fn two_engines_deliver_each_event_once() {
    const N: usize = 300;
    let pg = TestCluster::start("app").await;
    let a = start(&pg, &[]).await;
    let b = start(&pg, &[]).await;
    let counts: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let c = counts.clone();
    let (url, _) = webhook(move |req, _| {
        let body: Value = serde_json::from_str(&req.body).unwrap();
        *c.lock()
            .unwrap()
            .entry(body["id"].as_str().unwrap().to_string())
            .or_default() += 1;
        ok()
    })
    .await;
    let at = iso_in(2.0);
    let mut bulk = vec![];
    for i in 0..N {
        bulk.push(json!({"type": "create_scheduled_event", "args": {"webhook": url, "schedule_at": at, "payload": {"n": i}}}));
    }
    metadata(&a, json!({"type": "bulk", "args": bulk})).await;
    wait_for("every event", Duration::from_secs(30), || {
        counts.lock().unwrap().len() == N
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let counts = counts.lock().unwrap().clone();
    assert_eq!(counts.len(), N);
    assert!(counts.values().all(|n| *n == 1), "some event came twice");
    let delivered = events(&b, json!({"type": "one_off", "status": ["delivered"]})).await;
    assert_eq!(delivered.len(), N);
    drop(a);
}

#[tokio::test]
async fn an_event_held_by_a_killed_engine_is_delivered_by_another() {
    let pg = TestCluster::start("app").await;
    let mut a = start(&pg, &[]).await;
    // A webhook that holds the first request for a long time.
    let slow_seen: Arc<Mutex<usize>> = Arc::default();
    let ss = slow_seen.clone();
    let slow = rasura_test_support::http_stub(move |_| {
        let n = {
            let mut n = ss.lock().unwrap();
            *n += 1;
            *n
        };
        async move {
            if n == 1 {
                tokio::time::sleep(Duration::from_secs(60)).await;
            }
            ok()
        }
    })
    .await;
    let id = metadata(
        &a,
        json!({"type": "create_scheduled_event", "args": {"webhook": slow, "schedule_at": iso_in(0.0),
            "retry_conf": {"timeout_seconds": 120}}}),
    )
    .await["event_id"]
        .as_str()
        .unwrap()
        .to_string();
    wait_for("the first attempt", Duration::from_secs(10), || {
        *slow_seen.lock().unwrap() == 1
    })
    .await;
    assert_eq!(one_off_status(&a, &id).await.0, "locked");
    a.child.kill().unwrap(); // SIGKILL
    a.child.wait().unwrap();
    let b = start(&pg, &[]).await;
    wait_status(&b, &id, "delivered", Duration::from_secs(20)).await;
    assert_eq!(
        *slow_seen.lock().unwrap(),
        2,
        "delivered at least once, here twice"
    );
}

#[tokio::test]
async fn a_response_transform_reshapes_the_logged_answer_of_a_one_off_event() {
    let pg = TestCluster::start("app").await;
    let s = start(&pg, &[]).await;
    let (url, _) = webhook(|_, _| (200, vec![], "{\"ok\": true, \"id\": 9}".into())).await;
    // Version 1 (a bare template), as Hasura's docs first showed it.
    let id = metadata(
        &s,
        json!({"type": "create_scheduled_event", "args": {"webhook": url, "schedule_at": iso_in(0.0),
            "response_transform": {"body": "{\"done\": {{$body.ok}}, \"code\": {{$response.status}}}"}}}),
    )
    .await["event_id"]
        .as_str()
        .unwrap()
        .to_string();
    wait_status(&s, &id, "delivered", Duration::from_secs(10)).await;
    let logs = invocations(&s, json!({"type": "one_off", "event_id": id})).await;
    let body: Value =
        serde_json::from_str(logs[0]["response"]["data"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body, json!({"done": true, "code": 200}));
    // A template that does not parse is refused when the event is created.
    refused(
        &s,
        json!({"type": "create_scheduled_event", "args": {"webhook": url, "schedule_at": iso_in(0.0),
            "response_transform": {"body": "{{ $body. }}"}}}),
        "parse-failed",
    )
    .await;
}
