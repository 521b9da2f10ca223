//! Event triggers end to end: capture by Postgres triggers, delivery to real local webhooks in
//! Hasura's shape, retries, the metadata API around events, cleanup, and the tutorial's flow.
//! (Surviving killed engines and sharing a database: `events_reliability.rs`.)

mod events_support;

use std::time::{Duration, Instant};

use events_support::*;
use rasura_test_support::TestCluster;
use serde_json::{json, Value};

#[tokio::test]
async fn changes_reach_the_webhook_in_hasuras_shape() {
    let pg = TestCluster::start("app").await;
    let s = start(&pg, &[("ITEM_HOOK_TOKEN", "t0ken")]).await;
    setup_table(&s).await;
    let (url, seen) = webhook(|_, _| ok()).await;
    metadata(&s, json!({"type": "pg_create_event_trigger", "args": {
        "name": "item_changed", "table": "item", "webhook": format!("{url}/hook"),
        "insert": {"columns": "*"},
        "update": {"columns": ["name"], "payload": ["id", "name"]},
        "delete": {"columns": "*"},
        "enable_manual": true,
        "headers": [{"name": "X-Static", "value": "s"}, {"name": "X-Token", "value_from_env": "ITEM_HOOK_TOKEN"}]
    }})).await;

    // A write through the engine carries the session and a trace context.
    let body =
        json!({"query": "mutation { insert_item_one(object: {name: \"a\", qty: 1}) { id } }"});
    let (_, r) = s.post("/v1/graphql", &body, &[]).await;
    assert!(r["data"].is_object(), "{r}");
    wait_for("the insert event", Duration::from_secs(10), || {
        seen.lock().unwrap().len() == 1
    })
    .await;
    let req = seen.lock().unwrap()[0].clone();
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/hook");
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert!(req
        .header("user-agent")
        .unwrap()
        .starts_with("hasura-graphql-engine/"));
    assert_eq!(req.header("x-static"), Some("s"));
    assert_eq!(req.header("x-token"), Some("t0ken"));
    let e: Value = serde_json::from_str(&req.body).unwrap();
    assert_eq!(e["trigger"], json!({"name": "item_changed"}));
    assert_eq!(e["table"], json!({"schema": "public", "name": "item"}));
    assert_eq!(e["event"]["op"], "INSERT");
    assert_eq!(e["event"]["data"]["old"], Value::Null);
    assert_eq!(
        e["event"]["data"]["new"],
        json!({"id": 1, "name": "a", "qty": 1, "meta": null})
    );
    assert_eq!(
        e["event"]["session_variables"],
        json!({"x-hasura-role": "admin"})
    );
    let trace = &e["event"]["trace_context"];
    assert_eq!(trace["trace_id"].as_str().unwrap().len(), 32, "{trace}");
    assert_eq!(trace["span_id"].as_str().unwrap().len(), 16, "{trace}");
    assert_eq!(
        e["delivery_info"],
        json!({"max_retries": 0, "current_retry": 0})
    );
    let created = e["created_at"].as_str().unwrap();
    assert!(
        created.len() == 27 && created.ends_with('Z') && created.as_bytes()[10] == b'T',
        "{created}"
    );
    let first_id = e["id"].as_str().unwrap().to_string();
    assert_eq!(first_id.len(), 36);

    // UPDATE fires only when a listened column changes; the payload has the chosen columns.
    let client = pg.client("app").await;
    client
        .batch_execute("UPDATE item SET qty = 5")
        .await
        .unwrap();
    client
        .batch_execute("UPDATE item SET name = 'b'")
        .await
        .unwrap();
    client.batch_execute("DELETE FROM item").await.unwrap();
    wait_for("update and delete", Duration::from_secs(10), || {
        seen.lock().unwrap().len() == 3
    })
    .await;
    let all = bodies(&seen);
    let update = all.iter().find(|b| b["event"]["op"] == "UPDATE").unwrap();
    assert_eq!(
        update["event"]["data"],
        json!({"old": {"id": 1, "name": "a"}, "new": {"id": 1, "name": "b"}})
    );
    // Writes made outside the engine carry no session and no trace context.
    assert_eq!(update["event"]["session_variables"], Value::Null);
    assert_eq!(update["event"]["trace_context"], Value::Null);
    let delete = all.iter().find(|b| b["event"]["op"] == "DELETE").unwrap();
    assert_eq!(delete["event"]["data"]["new"], Value::Null);
    assert_eq!(delete["event"]["data"]["old"]["qty"], 5);

    // Manual invocation.
    let r = metadata(&s, json!({"type": "pg_invoke_event_trigger", "args": {"name": "item_changed", "payload": {"hello": "world"}}})).await;
    let manual_id = r["event_id"].as_str().unwrap().to_string();
    wait_for("the manual event", Duration::from_secs(10), || {
        seen.lock().unwrap().len() == 4
    })
    .await;
    let manual = bodies(&seen).pop().unwrap();
    assert_eq!(manual["id"], manual_id.as_str());
    assert_eq!(manual["event"]["op"], "MANUAL");
    assert_eq!(
        manual["event"]["data"],
        json!({"old": null, "new": {"hello": "world"}})
    );

    // The logs: every event delivered, one invocation each, in Hasura's shapes.
    wait_for("all recorded", Duration::from_secs(10), || true).await;
    let start = Instant::now();
    loop {
        let logs = metadata(&s, json!({"type": "pg_get_event_logs", "args": {"name": "item_changed", "status": "processed"}})).await;
        if logs.as_array().unwrap().len() == 4 {
            assert!(logs
                .as_array()
                .unwrap()
                .iter()
                .all(|l| l["delivered"] == true && l["tries"] == 1));
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{logs}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let inv = metadata(
        &s,
        json!({"type": "pg_get_event_invocation_logs", "args": {"name": "item_changed"}}),
    )
    .await;
    assert_eq!(inv.as_array().unwrap().len(), 4);
    let one = metadata(
        &s,
        json!({"type": "pg_get_event_by_id", "args": {"event_id": first_id}}),
    )
    .await;
    assert_eq!(one["event"]["id"], first_id.as_str());
    let inv = &one["invocations"][0];
    assert_eq!(inv["http_status"], 200);
    assert_eq!(inv["request"]["version"], "2");
    assert_eq!(inv["request"]["payload"]["id"], first_id.as_str());
    assert!(inv["request"]["headers"]
        .as_array()
        .unwrap()
        .contains(&json!({"name": "X-Token", "value_from_env": "ITEM_HOOK_TOKEN"})));
    assert!(
        !inv.to_string().contains("t0ken"),
        "an environment header's value is logged: {inv}"
    );
    assert_eq!(inv["response"]["type"], "webhook_response");
    assert_eq!(inv["response"]["data"]["status"], 200);

    // Redelivery starts the count again.
    metadata(
        &s,
        json!({"type": "pg_redeliver_event", "args": {"event_id": first_id}}),
    )
    .await;
    wait_for("the redelivery", Duration::from_secs(10), || {
        seen.lock().unwrap().len() == 5
    })
    .await;
    let again = bodies(&seen).pop().unwrap();
    assert_eq!(again["id"], first_id.as_str());
    assert_eq!(again["delivery_info"]["current_retry"], 0);
    refused(
        &s,
        json!({"type": "pg_redeliver_event", "args": {"event_id": "nope"}}),
        "not-exists",
    )
    .await;

    // Deleting the trigger stops capture, drops the SQL objects and archives the events.
    metadata(
        &s,
        json!({"type": "pg_delete_event_trigger", "args": {"name": "item_changed"}}),
    )
    .await;
    let left: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_proc WHERE proname LIKE 'notify_hasura_item_changed_%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
    client
        .batch_execute("INSERT INTO item (name) VALUES ('after')")
        .await
        .unwrap();
    let unarchived: i64 = client
        .query_one(
            "SELECT count(*) FROM hdb_catalog.event_log WHERE NOT archived",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(unarchived, 0);
    let exported = metadata(&s, json!({"type": "export_metadata", "args": {}})).await;
    assert!(!exported.to_string().contains("item_changed"));
}

#[tokio::test]
async fn failures_are_retried_as_configured() {
    let pg = TestCluster::start("app").await;
    let s = start(&pg, &[]).await;
    setup_table(&s).await;
    // Fails twice with 500, then accepts: num_retries 2 is just enough.
    let (flaky, flaky_seen) = webhook(|_, n| {
        if n <= 2 {
            (500, vec![], "{\"boom\":1}".into())
        } else {
            ok()
        }
    })
    .await;
    // Always fails: num_retries 1 means two attempts, then the event is failed for good.
    let (down, down_seen) = webhook(|_, _| (500, vec![], "no".into())).await;
    // Asks for a later try with Retry-After although no retries are configured.
    let (later, later_seen) = webhook(|_, n| {
        if n == 1 {
            (503, vec![("Retry-After".into(), "1".into())], "{}".into())
        } else {
            ok()
        }
    })
    .await;
    // Hangs past the 1 s timeout.
    let (hang, hang_seen) = rasura_hang().await;
    for (name, url, retry) in [
        (
            "flaky",
            &flaky,
            json!({"num_retries": 2, "interval_sec": 1, "timeout_sec": 5}),
        ),
        (
            "down",
            &down,
            json!({"num_retries": 1, "interval_sec": 1, "timeout_sec": 5}),
        ),
        (
            "later",
            &later,
            json!({"num_retries": 0, "interval_sec": 1, "timeout_sec": 5}),
        ),
        (
            "hang",
            &hang,
            json!({"num_retries": 0, "interval_sec": 1, "timeout_sec": 1}),
        ),
    ] {
        metadata(&s, json!({"type": "pg_create_event_trigger", "args": {
            "name": name, "table": "item", "webhook": url, "insert": {"columns": "*"}, "retry_conf": retry}})).await;
    }
    let started = Instant::now();
    sql(&pg, "INSERT INTO item (name) VALUES ('x')").await;
    wait_for("three flaky attempts", Duration::from_secs(15), || {
        flaky_seen.lock().unwrap().len() == 3
    })
    .await;
    let retries: Vec<i64> = bodies(&flaky_seen)
        .iter()
        .map(|b| b["delivery_info"]["current_retry"].as_i64().unwrap())
        .collect();
    assert_eq!(retries, vec![0, 1, 2]);
    wait_for(
        "two attempts at the failing hook",
        Duration::from_secs(15),
        || down_seen.lock().unwrap().len() == 2,
    )
    .await;
    wait_for("the Retry-After retry", Duration::from_secs(15), || {
        later_seen.lock().unwrap().len() == 2
    })
    .await;
    wait_for("the hanging hook", Duration::from_secs(15), || {
        hang_seen.lock().unwrap().len() == 1
    })
    .await;
    let client = pg.client("app").await;
    let start = Instant::now();
    let states = loop {
        let rows = client
            .query("SELECT trigger_name, delivered, error, tries, locked IS NULL FROM hdb_catalog.event_log ORDER BY trigger_name", &[])
            .await
            .unwrap();
        let states: Vec<(String, bool, bool, i32, bool)> = rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
            .collect();
        if states.iter().all(|s| s.1 || s.2) {
            break states;
        }
        assert!(start.elapsed() < Duration::from_secs(15), "{states:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        states,
        vec![
            ("down".into(), false, true, 2, true),
            ("flaky".into(), true, false, 3, true),
            ("hang".into(), false, true, 1, true),
            ("later".into(), true, false, 2, true),
        ]
    );
    // A hanging webhook costs its timeout, not more.
    assert!(
        started.elapsed() < Duration::from_secs(12),
        "{:?}",
        started.elapsed()
    );
    let hang_log = client
        .query_one("SELECT status, response::text FROM hdb_catalog.event_invocation_logs WHERE trigger_name = 'hang'", &[])
        .await
        .unwrap();
    assert_eq!(hang_log.get::<_, Option<i32>>(0), None);
    let response: Value = serde_json::from_str(&hang_log.get::<_, String>(1)).unwrap();
    assert_eq!(response["type"], "client_error");
    assert!(
        response["data"]["message"]
            .as_str()
            .unwrap()
            .contains("timeout"),
        "{response}"
    );
    let failed = client
        .query_one("SELECT response::text FROM hdb_catalog.event_invocation_logs WHERE trigger_name = 'down' LIMIT 1", &[])
        .await
        .unwrap();
    let response: Value = serde_json::from_str(&failed.get::<_, String>(0)).unwrap();
    assert_eq!(
        response,
        json!({"type": "client_error", "data": {"message": "no"}, "version": "2"})
    );
}

#[tokio::test]
async fn bad_definitions_get_clear_errors() {
    let pg = TestCluster::start("app").await;
    let s = start(&pg, &[]).await;
    setup_table(&s).await;
    let base = json!({"name": "t", "table": "item", "webhook": "http://127.0.0.1:9/x", "insert": {"columns": "*"}});
    let with = |patch: Value| {
        let mut v = base.clone();
        for (k, x) in patch.as_object().unwrap() {
            v[k] = x.clone();
        }
        json!({"type": "pg_create_event_trigger", "args": v})
    };
    for (req, code, needle) in [
        (
            with(json!({"table": "nope"})),
            "not-exists",
            "table \"nope\" does not exist",
        ),
        (
            with(json!({"update": {"columns": ["ghost"]}})),
            "not-exists",
            "column \"ghost\" does not exist",
        ),
        (
            with(json!({"insert": {"columns": "*", "payload": ["ghost"]}})),
            "constraint-violation",
            "ghost",
        ),
        (
            with(json!({"webhook": "not a url"})),
            "parse-failed",
            "invalid webhook URL",
        ),
        (
            with(json!({"retry_conf": {"num_retries": -1, "interval_sec": 10}})),
            "parse-failed",
            "num_retries",
        ),
        (
            with(json!({"retry_conf": {"num_retries": "three"}})),
            "parse-failed",
            "",
        ),
        (
            with(json!({"webhook": null, "webhook_from_env": "RASURA_TEST_UNSET_VAR"})),
            "constraint-violation",
            "RASURA_TEST_UNSET_VAR",
        ),
        (
            with(json!({"name": "bad name"})),
            "parse-failed",
            "only alphanumeric",
        ),
        (with(json!({"insert": null})), "parse-failed", "atleast one"),
    ] {
        let (status, body) = s.post("/v1/metadata", &req, &[]).await;
        assert_eq!(status, 400, "{req} -> {body}");
        assert_eq!(body["code"], code, "{req} -> {body}");
        assert!(
            body["error"].as_str().unwrap().contains(needle),
            "{req} -> {body}"
        );
    }
    // Nothing was left behind by the refused requests.
    let exported = metadata(&s, json!({"type": "export_metadata", "args": {}})).await;
    assert!(
        exported["sources"][0]["tables"][0]
            .get("event_triggers")
            .is_none(),
        "{exported}"
    );
    metadata(&s, with(json!({}))).await;
    let (status, body) = s.post("/v1/metadata", &with(json!({})), &[]).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("already-exists")),
        "{body}"
    );
    refused(
        &s,
        json!({"type": "pg_invoke_event_trigger", "args": {"name": "t", "payload": {}}}),
        "not-supported",
    )
    .await;
    refused(
        &s,
        json!({"type": "pg_delete_event_trigger", "args": {"name": "ghost"}}),
        "not-exists",
    )
    .await;
}

#[tokio::test]
async fn the_tutorial_event_trigger_through_the_python_backend() {
    let pg = TestCluster::start("app").await;
    let s = start(&pg, &[]).await;
    let Some(backend) = rasura_test_support::PythonBackend::start(&s.url("/v1/graphql")).await
    else {
        eprintln!("skipped: ../shared/interop/seed-python-backend not found");
        return;
    };
    // The tutorial's table and trigger: `user(id uuid, name text)`, insert and manual.
    metadata(&s, json!({"type": "bulk", "args": [
        {"type": "run_sql", "args": {"sql": "CREATE TABLE \"user\" (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL)"}},
        {"type": "pg_track_table", "args": {"table": "user"}},
        {"type": "pg_create_event_trigger", "args": {"name": "user_created", "table": "user",
            "webhook": backend.url("/event"), "insert": {"columns": "*"}, "enable_manual": true}}
    ]})).await;
    let (_, r) = s
        .post("/v1/graphql", &json!({"query": "mutation { insert_user_one(object: {name: \"Ada Lovelace\"}) { id } }"}), &[])
        .await;
    let id = r["data"]["insert_user_one"]["id"]
        .as_str()
        .expect("an id")
        .to_string();
    let client = pg.client("app").await;
    let start = Instant::now();
    // The handler prints the name, then queries the engine for every user and prints that.
    loop {
        let out = backend.output();
        let delivered: bool = client
            .query_one(
                "SELECT coalesce(bool_and(delivered), false) FROM hdb_catalog.event_log",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if out.contains("Ada Lovelace") && out.contains(&id) && delivered {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "backend output:\n{out}\nengine log:\n{}",
            s.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status: Option<i32> = client
        .query_one("SELECT status FROM hdb_catalog.event_invocation_logs", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(status, Some(200));
}

#[tokio::test]
async fn processed_events_are_cleaned_up_on_request_and_on_schedule() {
    let pg = TestCluster::start("app").await;
    let s = start(&pg, &[]).await;
    setup_table(&s).await;
    let (url, seen) = webhook(|_, _| ok()).await;
    metadata(
        &s,
        json!({"type": "pg_create_event_trigger", "args": {
        "name": "item_created", "table": "item", "webhook": url, "insert": {"columns": "*"}}}),
    )
    .await;
    insert_rows(&pg, 6, 1).await;
    wait_for("six deliveries", Duration::from_secs(10), || {
        seen.lock().unwrap().len() == 6
    })
    .await;
    let client = pg.client("app").await;
    let start = Instant::now();
    while open_events(&pg).await != (0, 0) {
        assert!(start.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Three of them are old; one event is still pending and is never cleaned.
    client
        .batch_execute(
            "UPDATE hdb_catalog.event_log SET created_at = now() - interval '3 days' WHERE id IN (SELECT id FROM hdb_catalog.event_log ORDER BY created_at LIMIT 3);
             INSERT INTO hdb_catalog.event_log (schema_name, table_name, trigger_name, payload, created_at) VALUES ('public', 'item', 'item_created_x', '{}', now() - interval '3 days')",
        )
        .await
        .unwrap();
    let r = metadata(&s, json!({"type": "cleanup_event_trigger_logs", "args": {
        "event_trigger_name": "item_created", "clear_older_than": 48, "clean_invocation_logs": true, "batch_size": 2}})).await;
    assert_eq!(
        r,
        json!({"deleted_event_logs": 3, "deleted_event_invocation_logs": 3})
    );
    let left: i64 = client
        .query_one("SELECT count(*) FROM hdb_catalog.event_log", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 4);
    let (status, body) = s
        .post("/v1/metadata", &json!({"type": "cleanup_event_trigger_logs", "args": {"event_trigger_name": "nope", "clear_older_than": 1}}), &[])
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("not-exists")),
        "{body}"
    );

    // On a schedule: every minute, everything processed.
    metadata(&s, json!({"type": "pg_create_event_trigger", "args": {
        "name": "item_created", "table": "item", "webhook": url, "insert": {"columns": "*"}, "replace": true,
        "cleanup_config": {"schedule": "* * * * *", "clear_older_than": 0, "clean_invocation_logs": true}}})).await;
    let start = Instant::now();
    loop {
        let n: i64 = client
            .query_one(
                "SELECT count(*) FROM hdb_catalog.event_log WHERE trigger_name = 'item_created'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if n == 0 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(75), "{n} events left");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let invocations: i64 = client
        .query_one(
            "SELECT count(*) FROM hdb_catalog.event_invocation_logs",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(invocations, 0);
}

#[tokio::test]
async fn a_request_transform_reshapes_each_delivery() {
    let pg = TestCluster::start("app").await;
    let s = start(&pg, &[]).await;
    setup_table(&s).await;
    let (url, seen) = webhook(|_, _| ok()).await;
    metadata(&s, json!({"type": "pg_create_event_trigger", "args": {
        "name": "item_form", "table": "item", "webhook": url,
        "insert": {"columns": "*"},
        "request_transform": {
            "version": 2, "template_engine": "Kriti", "method": "PUT",
            "url": "{{$base_url}}/items/{{$body.event.data.new.id}}",
            "request_headers": {"add_headers": {"x-op": "{{$body.event.op}}"}},
            "body": {"action": "x_www_form_urlencoded",
                     "form_template": {"name": "{{$body.event.data.new.name}}", "role": "{{$session_variables['x-hasura-role']}}"}}
        }
    }})).await;
    let body =
        json!({"query": "mutation { insert_item_one(object: {name: \"a b\", qty: 1}) { id } }"});
    let (_, r) = s.post("/v1/graphql", &body, &[]).await;
    assert!(r["data"].is_object(), "{r}");
    wait_for("the transformed delivery", Duration::from_secs(10), || {
        seen.lock().unwrap().len() == 1
    })
    .await;
    let req = seen.lock().unwrap()[0].clone();
    assert_eq!(req.method, "PUT");
    assert_eq!(req.path, "/items/1");
    assert_eq!(req.header("x-op"), Some("INSERT"));
    assert_eq!(
        req.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(req.body, "name=a%20b&role=admin");
}

#[tokio::test]
async fn a_response_transform_reshapes_the_logged_answer() {
    let pg = TestCluster::start("app").await;
    let s = start(&pg, &[]).await;
    setup_table(&s).await;
    let (url, _) = webhook(|_, _| (200, vec![], "{\"n\": 5, \"noise\": [1, 2]}".into())).await;
    metadata(&s, json!({"type": "pg_create_event_trigger", "args": {
        "name": "item_reply", "table": "item", "webhook": url, "insert": {"columns": "*"},
        "response_transform": {"version": 2, "body": {"action": "transform",
            "template": "{\"n\": {{$body.n}}, \"status\": {{$response.status}}, \"role\": {{getSessionVariable(\"x-hasura-role\")}}}"}}
    }})).await;
    // A transform that cannot be applied fails the attempt (Hasura logs it with status 500).
    metadata(&s, json!({"type": "pg_create_event_trigger", "args": {
        "name": "item_bad_reply", "table": "item", "webhook": url, "insert": {"columns": "*"},
        "response_transform": {"version": 2, "body": {"action": "transform", "template": "{{$body.missing.deep}}"}}
    }})).await;
    let body =
        json!({"query": "mutation { insert_item_one(object: {name: \"x\", qty: 1}) { id } }"});
    let (_, r) = s.post("/v1/graphql", &body, &[]).await;
    assert!(r["data"].is_object(), "{r}");
    let client = pg.client("app").await;
    let start = Instant::now();
    let rows = loop {
        let rows = client
            .query(
                "SELECT e.trigger_name, e.delivered, e.error, l.status, l.response::text \
                 FROM hdb_catalog.event_log e JOIN hdb_catalog.event_invocation_logs l \
                   ON l.event_id = e.id ORDER BY e.trigger_name",
                &[],
            )
            .await
            .unwrap();
        if rows.len() == 2 {
            break rows;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{} logs",
            rows.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let log = |i: usize| -> Value { serde_json::from_str(rows[i].get::<_, &str>(4)).unwrap() };
    // item_bad_reply: not delivered, error, status 500 with Hasura's error bundle.
    assert_eq!(rows[0].get::<_, &str>(0), "item_bad_reply");
    assert!(!rows[0].get::<_, bool>(1) && rows[0].get::<_, bool>(2));
    assert_eq!(rows[0].get::<_, Option<i32>>(3), Some(500));
    assert_eq!(log(0)["type"], "client_error");
    let detail: Value = serde_json::from_str(log(0)["data"]["message"].as_str().unwrap()).unwrap();
    assert!(detail[0]["error_code"].is_string(), "{detail}");
    // item_reply: delivered, and the log keeps the transformed body.
    assert_eq!(rows[1].get::<_, &str>(0), "item_reply");
    assert!(rows[1].get::<_, bool>(1));
    assert_eq!(rows[1].get::<_, Option<i32>>(3), Some(200));
    let logged: Value = serde_json::from_str(log(1)["data"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(logged, json!({"n": 5, "status": 200, "role": "admin"}));
}

/// Writes by the query API (`insert`) and by `run_sql` are captured with the caller's session
/// and a trace context, as GraphQL mutations are (the console inserts rows this way).
#[tokio::test]
async fn query_api_and_run_sql_writes_carry_the_session() {
    let pg = TestCluster::start("app").await;
    let s = start(&pg, &[]).await;
    setup_table(&s).await;
    let (url, seen) = webhook(|_, _| ok()).await;
    metadata(
        &s,
        json!({"type": "pg_create_event_trigger", "args": {
        "name": "item_added", "table": "item", "webhook": url, "insert": {"columns": "*"}}}),
    )
    .await;
    let (status, body) = s
        .post(
            "/v2/query",
            &json!({"type": "insert", "args": {"table": "item", "objects": [{"name": "q", "qty": 1}]}}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = s
        .post(
            "/v2/query",
            &json!({"type": "run_sql", "args": {"sql": "INSERT INTO item (name, qty) VALUES ('r', 2)"}}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    wait_for("both events", Duration::from_secs(10), || {
        seen.lock().unwrap().len() == 2
    })
    .await;
    for e in bodies(&seen) {
        assert_eq!(
            e["event"]["session_variables"],
            json!({"x-hasura-role": "admin"}),
            "{e}"
        );
        let trace = &e["event"]["trace_context"];
        assert_eq!(trace["trace_id"].as_str().map(str::len), Some(32), "{e}");
    }
}
