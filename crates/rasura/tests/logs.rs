//! The engine's logs as Hasura writes them: JSON lines on stdout with `type`, `timestamp`,
//! `level`, `detail`; a `startup` line of the settings (secrets only as set or not), an
//! `http-log` line per request with its id, role, status and error; `x-request-id` honoured and
//! returned; the enabled types and the level obeyed; no colour codes in a file; one
//! `event-trigger` / `scheduled-trigger` line per delivery attempt, `action-handler-log` per
//! handler call and `livequery-poller-log` per poll cycle.

use std::path::Path;

use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");
const SECRET: &str = "log-test-secret";

/// The JSON lines once the log has settled (lines are written by a log thread of their own).
async fn settled(s: &TestServer) -> Vec<Value> {
    let mut last = usize::MAX;
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let now = lines(s);
        if now.len() == last {
            return now;
        }
        last = now.len();
    }
}

fn lines(s: &TestServer) -> Vec<Value> {
    s.log_text()
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn of_type<'a>(lines: &'a [Value], kind: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["type"] == kind).collect()
}

async fn post(
    s: &TestServer,
    path: &str,
    body: Value,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = s.http.post(s.url(path)).json(&body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn requests_are_logged_in_hasuras_shape() {
    let pg = TestCluster::start("app").await;
    let s = TestServer::start(
        Path::new(BIN),
        &["--database-url", &pg.url("app"), "--admin-secret", SECRET],
        &[],
    )
    .await;
    let admin = [
        ("x-hasura-admin-secret", SECRET),
        ("x-request-id", "req-123"),
    ];
    let r = post(
        &s,
        "/v1/graphql",
        json!({"query": "{ __typename }"}),
        &admin,
    )
    .await;
    assert_eq!(r.headers()["x-request-id"], "req-123");
    let r = post(
        &s,
        "/v1/graphql",
        json!({"query": "{ nope }"}),
        &[("x-hasura-admin-secret", SECRET), ("x-hasura-role", "user")],
    )
    .await;
    let failed_id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(failed_id.len(), 36, "a generated id: {failed_id}");
    post(
        &s,
        "/v1/metadata",
        json!({"type": "export_metadata", "args": {}}),
        &[("x-hasura-admin-secret", SECRET)],
    )
    .await;
    post(
        &s,
        "/v1/metadata",
        json!({"type": "export_metadata", "args": {}}),
        &[],
    )
    .await;
    let all = settled(&s).await;
    for l in &all {
        for key in ["type", "timestamp", "level", "detail"] {
            assert!(l.get(key).is_some(), "{key} missing: {l}");
        }
        let ts = l["timestamp"].as_str().unwrap();
        assert!(ts.len() == 28 && ts.ends_with("+0000"), "{ts}");
    }
    let text = s.log_text();
    assert!(!text.contains(SECRET), "the admin secret is never logged");
    assert!(!text.contains('\u{1b}'), "no colour codes in a file");
    // Start-up.
    let startup = of_type(&all, "startup");
    let conf = startup
        .iter()
        .find(|l| l["detail"]["kind"] == "server_configuration")
        .expect("server_configuration");
    assert_eq!(conf["detail"]["info"]["admin_secret_set"], true);
    assert!(startup
        .iter()
        .any(|l| l["detail"]["info"]["message"] == "Starting API server"));
    // One http-log line per request.
    let http = of_type(&all, "http-log");
    let ok = http
        .iter()
        .find(|l| l["detail"]["request_id"] == "req-123")
        .expect("the line of req-123");
    assert_eq!(ok["level"], "info");
    let op = &ok["detail"]["operation"];
    assert_eq!(op["user_vars"]["x-hasura-role"], "admin");
    assert_eq!(op["request_mode"], "single");
    assert!(op["query_execution_time"].as_f64().unwrap() >= 0.0);
    assert!(op["response_size"].as_u64().unwrap() > 0);
    let info = &ok["detail"]["http_info"];
    assert_eq!(
        (&info["status"], &info["method"], &info["url"], &info["ip"]),
        (
            &json!(200),
            &json!("POST"),
            &json!("/v1/graphql"),
            &json!("127.0.0.1")
        )
    );
    let failed = http
        .iter()
        .find(|l| l["detail"]["request_id"] == failed_id.as_str())
        .expect("the failed request's line");
    assert_eq!(failed["level"], "error");
    assert_eq!(failed["detail"]["operation"]["request_mode"], "error");
    assert_eq!(
        failed["detail"]["operation"]["error"]["code"],
        "validation-failed"
    );
    assert_eq!(
        failed["detail"]["operation"]["user_vars"]["x-hasura-role"],
        "user"
    );
    let md: Vec<_> = http
        .iter()
        .filter(|l| l["detail"]["http_info"]["url"] == "/v1/metadata")
        .collect();
    assert_eq!(md.len(), 2);
    assert_eq!(
        md[0]["detail"]["operation"]["query"],
        json!({"type": "export_metadata"})
    );
    assert_eq!(md[0]["detail"]["operation"]["request_mode"], "non-graphql");
    assert_eq!(md[1]["level"], "error");
    assert_eq!(
        md[1]["detail"]["operation"]["error"]["code"],
        "access-denied"
    );
}

#[tokio::test]
async fn enabled_types_and_level_are_obeyed() {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let s = TestServer::start(
        Path::new(BIN),
        &["--database-url", &url],
        &[("HASURA_GRAPHQL_ENABLED_LOG_TYPES", "startup")],
    )
    .await;
    s.graphql("{ __typename }", json!({})).await;
    let all = settled(&s).await;
    assert!(!of_type(&all, "startup").is_empty());
    assert!(
        of_type(&all, "http-log").is_empty(),
        "http-log is not enabled"
    );
    let s = TestServer::start(
        Path::new(BIN),
        &["--database-url", &url, "--log-level", "warn"],
        &[],
    )
    .await;
    s.graphql("{ __typename }", json!({})).await;
    let all = settled(&s).await;
    assert!(all.is_empty(), "info lines are below warn: {all:?}");
    // An unknown type stops the start with the valid ones named.
    let out = std::process::Command::new(BIN)
        .args(["serve", "--enabled-log-types", "http-log,nope"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Valid list of comma-separated log types"),
        "{err}"
    );
}

#[tokio::test]
async fn query_log_and_websocket_log_when_enabled() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;

    let pg = TestCluster::start("app").await;
    pg.client("app")
        .await
        .batch_execute("CREATE TABLE item (id int PRIMARY KEY); INSERT INTO item VALUES (7);")
        .await
        .unwrap();
    let s = TestServer::start(
        Path::new(BIN),
        &["--database-url", &pg.url("app")],
        &[(
            "HASURA_GRAPHQL_ENABLED_LOG_TYPES",
            "startup,http-log,query-log,websocket-log",
        )],
    )
    .await;
    s.post(
        "/v1/metadata",
        &json!({"type": "pg_track_table", "args": {"table": "item"}}),
        &[],
    )
    .await;
    let r = post(
        &s,
        "/v1/graphql",
        json!({"query": "query Items($n: Int!) { item(limit: $n) { id } }", "variables": {"n": 5}, "operationName": "Items"}),
        &[("x-request-id", "q-1")],
    )
    .await;
    assert_eq!(r.status(), 200);
    // A WebSocket connection with one operation.
    let mut req = format!("ws://127.0.0.1:{}/v1/graphql", s.port)
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
        r#"{"type":"subscribe","id":"op1","payload":{"query":"subscription Watch { item { id } }","operationName":"Watch"}}"#.into(),
    ))
    .await
    .unwrap();
    // Wait for the first answer, then stop and close.
    loop {
        let m = ws.next().await.unwrap().unwrap();
        if m.to_text().unwrap_or("").contains("\"next\"") {
            break;
        }
    }
    ws.send(Message::Text(r#"{"type":"complete","id":"op1"}"#.into()))
        .await
        .unwrap();
    ws.close(None).await.unwrap();
    let start = std::time::Instant::now();
    let all = loop {
        let all = lines(&s);
        if of_type(&all, "websocket-log")
            .iter()
            .any(|l| l["detail"]["event"]["type"] == "closed")
        {
            break all;
        }
        assert!(start.elapsed().as_secs() < 10, "no closed event: {all:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    // query-log: the request and the generated SQL with its parameters.
    let q = of_type(&all, "query-log")
        .into_iter()
        .find(|l| l["detail"]["request_id"] == "q-1")
        .expect("the query-log line of q-1");
    assert_eq!(q["detail"]["kind"], "database");
    assert_eq!(q["detail"]["query"]["operationName"], "Items");
    assert_eq!(q["detail"]["query"]["variables"], json!({"n": 5}));
    let generated = &q["detail"]["generated_sql"]["item"];
    assert!(
        generated["query"].as_str().unwrap().contains("SELECT"),
        "{generated}"
    );
    assert!(generated["prepared_arguments"].is_array(), "{generated}");
    // websocket-log: accepted, the operation started and stopped, closed; one connection id.
    let ws_lines = of_type(&all, "websocket-log");
    let events: Vec<String> = ws_lines
        .iter()
        .map(|l| {
            let e = &l["detail"]["event"];
            match e["type"].as_str().unwrap() {
                "operation" => format!(
                    "operation {}",
                    e["detail"]["operation_type"]["type"].as_str().unwrap()
                ),
                other => other.to_string(),
            }
        })
        .collect();
    assert_eq!(
        events,
        [
            "accepted",
            "operation started",
            "operation stopped",
            "closed"
        ]
    );
    let ids: std::collections::BTreeSet<_> = ws_lines
        .iter()
        .map(|l| l["detail"]["connection_info"]["websocket_id"].to_string())
        .collect();
    assert_eq!(ids.len(), 1);
    let started = ws_lines[1];
    assert_eq!(
        started["detail"]["event"]["detail"]["operation_name"],
        "Watch"
    );
    assert_eq!(started["detail"]["user_vars"]["x-hasura-role"], "admin");
}

#[tokio::test]
async fn webhook_calls_and_pollers_are_logged_in_hasuras_shape() {
    let pg = TestCluster::start("app").await;
    pg.client("app")
        .await
        .batch_execute("CREATE TABLE item (id int PRIMARY KEY)")
        .await
        .unwrap();
    let hook = rasura_test_support::http_stub(|_| async {
        (
            200,
            vec![("x-seen".into(), "yes".into())],
            "{\"id\": 1}".into(),
        )
    })
    .await;
    let s = TestServer::start(
        Path::new(BIN),
        &["--database-url", &pg.url("app")],
        &[
            (
                "HASURA_GRAPHQL_ENABLED_LOG_TYPES",
                "startup,http-log,action-handler-log,livequery-poller-log",
            ),
            (
                "HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL",
                "200",
            ),
        ],
    )
    .await;
    let now = rasura_test_support::iso_in(0.0);
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "bulk", "args": [
                {"type": "pg_track_table", "args": {"table": "item"}},
                {"type": "pg_create_event_trigger", "args": {"table": "item", "name": "item_added",
                    "insert": {"columns": "*"}, "webhook": format!("{hook}/event")}},
                {"type": "set_custom_types", "args": {"objects": [
                    {"name": "Out", "fields": [{"name": "id", "type": "Int!"}]}]}},
                {"type": "create_action", "args": {"name": "make", "definition": {
                    "kind": "synchronous", "type": "mutation", "arguments": [],
                    "output_type": "Out", "handler": format!("{hook}/action")}}},
                {"type": "create_scheduled_event", "args": {"webhook": format!("{hook}/once"),
                    "schedule_at": now, "payload": {"n": 1}}},
            ]}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "mutation { insert_item_one(object: {id: 1}) { id } make { id } }"}),
            &[],
        )
        .await;
    assert_eq!(body["data"]["make"], json!({"id": 1}), "{body}");
    // A live query for the poller's lines.
    let _ws = rasura_test_support::ws::subscribe(
        s.port,
        "/v1/graphql",
        json!({}),
        "subscription { item { id } }",
    )
    .await;
    let start = std::time::Instant::now();
    let all = loop {
        let all = lines(&s);
        let have = |t: &str| !of_type(&all, t).is_empty();
        if [
            "event-trigger",
            "scheduled-trigger",
            "action-handler-log",
            "livequery-poller-log",
        ]
        .iter()
        .all(|t| have(t))
        {
            break all;
        }
        assert!(
            start.elapsed().as_secs() < 20,
            "not all lines came: {all:#?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let event = of_type(&all, "event-trigger")[0];
    assert_eq!(event["level"], "info");
    let d = &event["detail"];
    assert_eq!(d["event_name"], "item_added");
    assert!(d["event_id"].is_string(), "{d}");
    assert_eq!(
        d["request"]["original_request"]["url"],
        format!("{hook}/event")
    );
    assert_eq!(d["request"]["original_request"]["method"], "POST");
    let sent: Value =
        serde_json::from_str(d["request"]["original_request"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(sent["event"]["data"]["new"], json!({"id": 1}));
    assert_eq!(d["response"]["status"], 200);
    assert_eq!(d["response"]["body"], "{\"id\": 1}");
    assert!(d["response"]["headers"]
        .as_array()
        .unwrap()
        .contains(&json!({"name": "x-seen", "value": "yes"})));
    let once = &of_type(&all, "scheduled-trigger")[0]["detail"];
    assert!(
        once.get("event_name").is_none(),
        "a one-off event has no trigger: {once}"
    );
    assert_eq!(
        once["request"]["original_request"]["url"],
        format!("{hook}/once")
    );
    assert_eq!(once["response"]["status"], 200);
    let action = &of_type(&all, "action-handler-log")[0]["detail"];
    assert_eq!(action["action_name"], "make");
    assert_eq!(action["request"]["url"], format!("{hook}/action"));
    assert_eq!(action["response_size"], 9);
    assert_eq!(
        action["request_size"].as_u64().unwrap(),
        action["request"]["body"].as_str().unwrap().len() as u64
    );
    let poll = &of_type(&all, "livequery-poller-log")[0]["detail"];
    assert_eq!(poll["kind"], "live-query");
    assert_eq!(poll["subscriber_count"], 1);
    assert_eq!(poll["batches"][0]["batch_id"], 1);
    assert!(
        poll["batches"][0]["db_execution_time"].is_number(),
        "{poll}"
    );
    assert!(poll["generated_sql"]
        .as_str()
        .unwrap()
        .contains("json_array_elements"));
    assert_eq!(poll["subscription_options"]["refetch_delay"], 0.2);
}
