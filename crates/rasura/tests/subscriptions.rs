//! Subscriptions over WebSocket with real client libraries (npm `graphql-ws`, and Apollo's
//! legacy `subscriptions-transport-ws`) from `../shared/interop/clients`, and bad input on the
//! socket.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

fn clients() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/interop/clients");
    p.join("run.sh").exists().then_some(p)
}

/// An engine polling live queries every `interval_ms`, with the developer API on.
async fn engine_polling(pg: &TestCluster, interval_ms: &str) -> TestServer {
    TestServer::start(
        Path::new(BIN),
        &[
            "--database-url",
            &pg.url("app"),
            "--admin-secret",
            "adm",
            "--enabled-apis",
            "graphql,metadata,developer",
        ],
        &[(
            "HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL",
            interval_ms,
        )],
    )
    .await
}

async fn engine(pg: &TestCluster) -> TestServer {
    let s = engine_polling(pg, "200").await;
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "bulk", "args": [
                {"type": "run_sql", "args": {"sql": "CREATE TABLE item (id serial PRIMARY KEY, name text NOT NULL, owner text)"}},
                {"type": "pg_track_table", "args": {"table": "item"}},
                {"type": "pg_create_select_permission", "args": {"table": "item", "role": "user", "permission": {
                    "columns": ["id", "name"], "filter": {"owner": {"_eq": "X-Hasura-User-Id"}}}}}
            ]}),
            &[("x-hasura-admin-secret", "adm")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    s
}

/// Starts `subscribe` of the client kit; its stdout lines come through the returned channel.
fn subscribe(
    url: &str,
    protocol: &str,
    query: &str,
    headers: Value,
    count: u32,
) -> (Child, std::sync::mpsc::Receiver<String>) {
    let mut child = Command::new("bash")
        .arg(clients().unwrap().join("run.sh"))
        .args([
            "subscribe",
            "--url",
            url,
            "--protocol",
            protocol,
            "--query",
            query,
        ])
        .args([
            "--headers",
            &headers.to_string(),
            "--count",
            &count.to_string(),
            "--timeout-ms",
            "60000",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the client kit");
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (child, rx)
}

fn next_line(rx: &std::sync::mpsc::Receiver<String>, within: Duration) -> Value {
    let line = rx.recv_timeout(within).expect("a result line in time");
    serde_json::from_str(&line).unwrap_or(Value::String(line))
}

async fn insert(s: &TestServer, name: &str, owner: &str) {
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "mutation ($n: String!, $o: String!) { insert_item_one(object: {name: $n, owner: $o}) { id } }",
                    "variables": {"n": name, "o": owner}}),
            &[("x-hasura-admin-secret", "adm")],
        )
        .await;
    assert!(body["data"].is_object(), "{body}");
}

async fn live_query_with(protocol: &str) {
    let Some(_) = clients() else {
        eprintln!("skipped: ../shared/interop/clients not found");
        return;
    };
    let pg = TestCluster::start("app").await;
    let s = engine(&pg).await;
    insert(&s, "first", "u1").await;
    let url = format!("ws://127.0.0.1:{}/v1/graphql", s.port);
    let headers =
        json!({"x-hasura-admin-secret": "adm", "x-hasura-role": "user", "x-hasura-user-id": "u1"});
    let (mut child, rx) = subscribe(
        &url,
        protocol,
        "subscription { item(order_by: {id: asc}) { name } }",
        headers,
        2,
    );
    // The first result arrives once the client installed its packages and connected.
    let first = next_line(&rx, Duration::from_secs(300));
    assert_eq!(
        first,
        json!({"data": {"item": [{"name": "first"}]}}),
        "{protocol}"
    );
    // Another owner's row changes nothing this role sees; an own row arrives within 2 s.
    insert(&s, "hidden", "u2").await;
    let started = Instant::now();
    insert(&s, "second", "u1").await;
    let second = next_line(&rx, Duration::from_secs(2));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(
        second,
        json!({"data": {"item": [{"name": "first"}, {"name": "second"}]}}),
        "{protocol}"
    );
    // After `--count` results the client stops the subscription and closes cleanly.
    let status = child.wait().unwrap();
    assert!(status.success(), "{protocol}: exit {status}");
}

#[tokio::test]
async fn graphql_transport_ws_client_sees_inserts() {
    live_query_with("graphql-transport-ws").await;
}

#[tokio::test]
async fn legacy_subscriptions_transport_ws_client_sees_inserts() {
    live_query_with("graphql-ws").await;
}

#[tokio::test]
async fn a_bad_token_is_refused_by_both_protocols() {
    let Some(_) = clients() else {
        eprintln!("skipped: ../shared/interop/clients not found");
        return;
    };
    let pg = TestCluster::start("app").await;
    let s = engine(&pg).await;
    let url = format!("ws://127.0.0.1:{}/v1/graphql", s.port);
    for protocol in ["graphql-transport-ws", "graphql-ws"] {
        let (mut child, _rx) = subscribe(
            &url,
            protocol,
            "subscription { item { name } }",
            json!({"x-hasura-admin-secret": "wrong"}),
            1,
        );
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(3), "{protocol}: refused connection");
    }
    // The server keeps serving.
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ item { name } }"}),
            &[("x-hasura-admin-secret", "adm")],
        )
        .await;
    assert_eq!(body, json!({"data": {"item": []}}));
}

mod raw {
    //! The socket spoken by hand, for what no client library sends: bad input.

    use futures_util::{SinkExt, StreamExt};
    use serde_json::{json, Value};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;

    pub type Socket = tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >;

    pub async fn connect(port: u16, protocol: &str) -> Socket {
        let mut req = format!("ws://127.0.0.1:{port}/v1/graphql")
            .into_client_request()
            .unwrap();
        req.headers_mut()
            .insert("sec-websocket-protocol", protocol.parse().unwrap());
        let (ws, resp) = tokio_tungstenite::connect_async(req).await.unwrap();
        assert_eq!(resp.headers()["sec-websocket-protocol"], protocol);
        ws
    }

    pub async fn send(ws: &mut Socket, v: &str) {
        ws.send(Message::Text(v.into())).await.unwrap();
    }

    /// The next message that is not a keep-alive: a JSON message, or the close code.
    pub async fn next(ws: &mut Socket) -> Result<Value, u16> {
        loop {
            let m = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
                .await
                .expect("a message in time");
            match m {
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(&t).unwrap();
                    if v["type"] == "ka" || v["type"] == "ping" {
                        continue;
                    }
                    return Ok(v);
                }
                Some(Ok(Message::Close(Some(frame)))) => return Err(frame.code.into()),
                Some(Ok(Message::Close(None))) | None => return Err(1005),
                Some(Ok(_)) => continue,
                Some(Err(e)) => panic!("{e}"),
            }
        }
    }

    pub fn init() -> String {
        json!({"type": "connection_init", "payload": {"headers": {"x-hasura-admin-secret": "adm"}}})
            .to_string()
    }
}

#[tokio::test]
async fn bad_input_gets_the_protocols_answer_and_touches_no_other_connection() {
    let pg = TestCluster::start("app").await;
    let s = engine(&pg).await;
    // A healthy subscriber on its own connection, to check it is unaffected.
    let mut good = raw::connect(s.port, "graphql-transport-ws").await;
    raw::send(&mut good, &raw::init()).await;
    assert_eq!(
        raw::next(&mut good).await.unwrap()["type"],
        "connection_ack"
    );
    raw::send(&mut good, r#"{"id": "g", "type": "subscribe", "payload": {"query": "subscription { item { name } }"}}"#).await;
    assert_eq!(
        raw::next(&mut good).await.unwrap(),
        json!({"type": "next", "id": "g", "payload": {"data": {"item": []}}})
    );

    // graphql-transport-ws: subscribe before init is 4401, malformed JSON and unknown types 4400,
    // a second init 4429, a duplicate id 4409, a bad secret 4403, no init at all 4408.
    let cases: [(&[&str], u16); 5] = [
        (
            &[r#"{"id": "1", "type": "subscribe", "payload": {"query": "{ item { name } }"}}"#],
            4401,
        ),
        (&["{not json"], 4400),
        (&[r#"{"type": "bogus"}"#], 4400),
        (&[&raw::init(), &raw::init()], 4429),
        (
            &[
                r#"{"type": "connection_init", "payload": {"headers": {"x-hasura-admin-secret": "no"}}}"#,
            ],
            4403,
        ),
    ];
    for (msgs, code) in cases {
        let mut ws = raw::connect(s.port, "graphql-transport-ws").await;
        let mut result = Ok(json!(null));
        for m in msgs {
            raw::send(&mut ws, m).await;
        }
        for _ in 0..3 {
            result = raw::next(&mut ws).await;
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result, Err(code), "{msgs:?}");
    }
    let mut ws = raw::connect(s.port, "graphql-transport-ws").await;
    raw::send(&mut ws, &raw::init()).await;
    raw::next(&mut ws).await.unwrap();
    let sub = r#"{"id": "d", "type": "subscribe", "payload": {"query": "subscription { item { name } }"}}"#;
    raw::send(&mut ws, sub).await;
    raw::send(&mut ws, sub).await;
    let mut result = Ok(json!(null));
    for _ in 0..3 {
        result = raw::next(&mut ws).await;
        if result.is_err() {
            break;
        }
    }
    assert_eq!(result, Err(4409));
    let mut silent = raw::connect(s.port, "graphql-transport-ws").await;
    assert_eq!(raw::next(&mut silent).await, Err(4408));

    // Legacy graphql-ws: errors are messages; the connection stays open.
    let mut ws = raw::connect(s.port, "graphql-ws").await;
    raw::send(
        &mut ws,
        r#"{"id": "1", "type": "start", "payload": {"query": "subscription { item { name } }"}}"#,
    )
    .await;
    let e = raw::next(&mut ws).await.unwrap();
    assert_eq!(
        (
            e["type"].as_str(),
            e["payload"]["errors"][0]["extensions"]["code"].as_str()
        ),
        (Some("error"), Some("start-failed")),
        "{e}"
    );
    assert_eq!(
        raw::next(&mut ws).await.unwrap(),
        json!({"type": "complete", "id": "1"})
    );
    raw::send(&mut ws, "{not json").await;
    assert_eq!(
        raw::next(&mut ws).await.unwrap()["type"],
        "connection_error"
    );
    raw::send(&mut ws, &raw::init()).await;
    assert_eq!(raw::next(&mut ws).await.unwrap()["type"], "connection_ack");
    raw::send(
        &mut ws,
        r#"{"id": "2", "type": "start", "payload": {"query": "subscription { nope }"}}"#,
    )
    .await;
    let e = raw::next(&mut ws).await.unwrap();
    assert_eq!(e["type"], "error", "{e}");
    assert_eq!(
        e["payload"]["errors"][0]["extensions"]["code"], "validation-failed",
        "{e}"
    );
    assert_eq!(
        raw::next(&mut ws).await.unwrap(),
        json!({"type": "complete", "id": "2"})
    );
    // A query over the socket is answered once, then completed.
    raw::send(
        &mut ws,
        r#"{"id": "3", "type": "start", "payload": {"query": "{ item { name } }"}}"#,
    )
    .await;
    assert_eq!(
        raw::next(&mut ws).await.unwrap(),
        json!({"type": "data", "id": "3", "payload": {"data": {"item": []}}})
    );
    assert_eq!(
        raw::next(&mut ws).await.unwrap(),
        json!({"type": "complete", "id": "3"})
    );

    // The healthy subscriber still gets its changes.
    insert(&s, "later", "u1").await;
    assert_eq!(
        raw::next(&mut good).await.unwrap(),
        json!({"type": "next", "id": "g", "payload": {"data": {"item": [{"name": "later"}]}}})
    );
}

#[tokio::test]
async fn subscribers_of_one_query_share_one_statement_per_interval() {
    let pg = TestCluster::start("app").await;
    let s = engine(&pg).await;
    insert(&s, "a", "u1").await;
    insert(&s, "b", "u2").await;
    // 6 subscribers on 3 connections: two users (two cohorts), one query (one poller).
    let mut sockets = vec![];
    for (i, user) in ["u1", "u2", "u1"].iter().enumerate() {
        let mut ws = socket_as(s.port, user).await;
        for j in 0..2 {
            let sub = json!({"id": format!("{i}-{j}"), "type": "subscribe",
                "payload": {"query": "subscription { item(order_by: {id: asc}) { name } }"}});
            raw::send(&mut ws, &sub.to_string()).await;
            let first = raw::next(&mut ws).await.unwrap();
            let expected = if *user == "u1" { "a" } else { "b" };
            assert_eq!(
                first["payload"]["data"]["item"][0]["name"], expected,
                "{first}"
            );
        }
        sockets.push(ws);
    }
    // 200 ms interval: about 5 polls a second, one statement each for all 6 subscribers.
    one_poller_holds(&s, 2, 6).await;
    // A change reaches every subscriber of the cohort it concerns.
    insert(&s, "c", "u1").await;
    for (i, ws) in sockets.iter_mut().enumerate() {
        if i == 1 {
            continue;
        }
        for _ in 0..2 {
            let m = raw::next(ws).await.unwrap();
            assert_eq!(
                m["payload"]["data"]["item"],
                json!([{"name": "a"}, {"name": "c"}]),
                "{m}"
            );
        }
    }
    // Leaving empties the poller.
    all_leave_within_an_interval(&s, sockets).await;
}

#[tokio::test]
async fn streaming_subscriptions_send_batches_past_the_cursor() {
    let pg = TestCluster::start("app").await;
    let s = engine(&pg).await;
    insert(&s, "a", "u1").await;
    insert(&s, "b", "u1").await;
    insert(&s, "x", "u2").await;
    let mut ws = raw::connect(s.port, "graphql-transport-ws").await;
    let init = json!({"type": "connection_init", "payload": {"headers": {
        "x-hasura-admin-secret": "adm", "x-hasura-role": "user", "x-hasura-user-id": "u1"}}});
    raw::send(&mut ws, &init.to_string()).await;
    assert_eq!(raw::next(&mut ws).await.unwrap()["type"], "connection_ack");
    let sub = json!({"id": "s", "type": "subscribe", "payload": {
        "query": "subscription ($from: Int!) { item_stream(batch_size: 1, cursor: {initial_value: {id: $from}}) { id name } }",
        "variables": {"from": 0}}});
    raw::send(&mut ws, &sub.to_string()).await;
    // One row per batch, in cursor order, only rows the role may see; the cursor stays inside.
    let data = |m: Value| m["payload"]["data"]["item_stream"].clone();
    assert_eq!(
        data(raw::next(&mut ws).await.unwrap()),
        json!([{"id": 1, "name": "a"}])
    );
    assert_eq!(
        data(raw::next(&mut ws).await.unwrap()),
        json!([{"id": 2, "name": "b"}])
    );
    insert(&s, "c", "u1").await;
    assert_eq!(
        data(raw::next(&mut ws).await.unwrap()),
        json!([{"id": 4, "name": "c"}])
    );
    // Streams are for subscriptions only.
    let (_, body) = s
        .post("/v1/graphql", &json!({"query": "{ item_stream(batch_size: 1, cursor: {initial_value: {id: 0}}) { id } }"}), &[("x-hasura-admin-secret", "adm")])
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "validation-failed",
        "{body}"
    );
}

/// Streams are multiplexed as live queries are: subscribers of one `_stream` query at
/// different cursors are cohorts of one poller, one statement
/// per interval for all; a cohort moves past the rows it was sent and merges with the cohort
/// already at that cursor.
#[tokio::test]
async fn stream_subscribers_at_different_cursors_share_one_statement_per_interval() {
    let pg = TestCluster::start("app").await;
    let s = engine(&pg).await;
    for (name, owner) in [("a", "u1"), ("b", "u1"), ("c", "u1"), ("x", "u2")] {
        insert(&s, name, owner).await;
    }
    let by_var = "subscription ($from: Int!) { item_stream(batch_size: 10, cursor: {initial_value: {id: $from}}) { id name } }";
    let data = |m: Value| m["payload"]["data"]["item_stream"].clone();
    let ids = |m: Value| -> Vec<i64> {
        data(m)
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect()
    };
    let mut sockets = vec![];
    for user in ["u1", "u2"] {
        sockets.push(socket_as(s.port, user).await);
    }
    // u1: from 0, from 2, from 0 again; u2: from 0.
    let subs: [(usize, &str, &str, Value, Vec<i64>); 4] = [
        (0, "a", by_var, json!({"from": 0}), vec![1, 2, 3]),
        (0, "b", by_var, json!({"from": 2}), vec![3]),
        (0, "c", by_var, json!({"from": 0}), vec![1, 2, 3]),
        (1, "d", by_var, json!({"from": 0}), vec![4]),
    ];
    for (socket, id, query, variables, first) in &subs {
        let sub = json!({"id": id, "type": "subscribe",
            "payload": {"query": query, "variables": variables}});
        raw::send(&mut sockets[*socket], &sub.to_string()).await;
        let m = raw::next(&mut sockets[*socket]).await.unwrap();
        assert_eq!(m["id"], *id, "{m}");
        assert_eq!(&ids(m), first);
    }
    // One statement; u1's three subscribers are all past row 3 now (one cohort), u2 another.
    one_poller_holds(&s, 2, 4).await;
    // New rows reach each subscriber once, in its own cohort only.
    insert(&s, "e", "u1").await;
    let mut got = vec![];
    for _ in 0..3 {
        let m = raw::next(&mut sockets[0]).await.unwrap();
        got.push(m["id"].as_str().unwrap().to_string());
        assert_eq!(data(m), json!([{"id": 5, "name": "e"}]));
    }
    got.sort();
    assert_eq!(got, ["a", "b", "c"]);
    insert(&s, "y", "u2").await;
    let m = raw::next(&mut sockets[1]).await.unwrap();
    assert_eq!((m["id"].clone(), ids(m)), (json!("d"), vec![6]));
    // Nothing more for u1: its cursor is past row 5.
    let quiet = tokio::time::timeout(Duration::from_millis(600), raw::next(&mut sockets[0])).await;
    assert!(quiet.is_err(), "unexpected message {quiet:?}");
    // One subscriber leaves: the others keep their place; all leaving empties the poller.
    let stop = json!({"id": "b", "type": "complete"});
    raw::send(&mut sockets[0], &stop.to_string()).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(hub_report(&s).await["subscribers"].as_u64(), Some(3));
    insert(&s, "f", "u1").await;
    for _ in 0..2 {
        let m = raw::next(&mut sockets[0]).await.unwrap();
        assert_eq!(data(m), json!([{"id": 7, "name": "f"}]));
    }
    all_leave_within_an_interval(&s, sockets).await;
}

#[tokio::test]
async fn an_async_action_result_arrives_by_subscription() {
    let pg = TestCluster::start("app").await;
    let s = engine(&pg).await;
    // A handler that takes a moment.
    let handler = rasura_test_support::http_stub(|_| async {
        tokio::time::sleep(Duration::from_millis(700)).await;
        (200, vec![], json!({"greeting": "done"}).to_string())
    })
    .await;
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "bulk", "args": [
                {"type": "set_custom_types", "args": {"objects": [{"name": "Greeting", "fields": [{"name": "greeting", "type": "String!"}]}]}},
                {"type": "create_action", "args": {"name": "slowHello", "definition": {"kind": "asynchronous", "type": "mutation",
                    "output_type": "Greeting", "handler": handler, "arguments": []}}}
            ]}),
            &[("x-hasura-admin-secret", "adm")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "mutation { slowHello }"}),
            &[("x-hasura-admin-secret", "adm")],
        )
        .await;
    let id = body["data"]["slowHello"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_string();
    let mut ws = raw::connect(s.port, "graphql-ws").await;
    raw::send(&mut ws, &raw::init()).await;
    assert_eq!(raw::next(&mut ws).await.unwrap()["type"], "connection_ack");
    let sub = json!({"id": "a", "type": "start", "payload": {
        "query": "subscription ($id: uuid!) { slowHello(id: $id) { id output { greeting } } }", "variables": {"id": id}}});
    raw::send(&mut ws, &sub.to_string()).await;
    // Pending first (no output yet), then the result once the handler answered.
    let mut outputs = vec![];
    while outputs.last() != Some(&json!({"greeting": "done"})) {
        let m = raw::next(&mut ws).await.unwrap();
        assert_eq!(m["type"], "data", "{m}");
        assert_eq!(m["payload"]["data"]["slowHello"]["id"], id.as_str(), "{m}");
        outputs.push(m["payload"]["data"]["slowHello"]["output"].clone());
        assert!(outputs.len() <= 2, "{outputs:?}");
    }
}

#[tokio::test]
async fn a_socket_closes_when_its_jwt_expires() {
    const KEY: &str = "a-test-secret-of-at-least-thirty-two-bytes";
    let pg = TestCluster::start("app").await;
    let jwt = json!({"type": "HS256", "key": KEY}).to_string();
    let s = TestServer::start(
        Path::new(BIN),
        &[
            "--database-url",
            &pg.url("app"),
            "--admin-secret",
            "adm",
            "--jwt-secret",
            &jwt,
        ],
        &[],
    )
    .await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({"exp": now + 2, "https://hasura.io/jwt/claims": {
        "x-hasura-allowed-roles": ["user"], "x-hasura-default-role": "user", "x-hasura-user-id": "u1"}});
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(KEY.as_bytes()),
    )
    .unwrap();
    let mut ws = raw::connect(s.port, "graphql-transport-ws").await;
    let init = json!({"type": "connection_init", "payload": {"headers": {"Authorization": format!("Bearer {token}")}}});
    raw::send(&mut ws, &init.to_string()).await;
    assert_eq!(raw::next(&mut ws).await.unwrap()["type"], "connection_ack");
    let started = Instant::now();
    assert_eq!(raw::next(&mut ws).await, Err(4403));
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

/// The subscribers the multiplexer holds now.
/// A `graphql-transport-ws` connection acknowledged as role `user` with that user id.
async fn socket_as(port: u16, user: &str) -> raw::Socket {
    let mut ws = raw::connect(port, "graphql-transport-ws").await;
    let init = json!({"type": "connection_init", "payload": {"headers": {
        "x-hasura-admin-secret": "adm", "x-hasura-role": "user", "x-hasura-user-id": user}}});
    raw::send(&mut ws, &init.to_string()).await;
    assert_eq!(raw::next(&mut ws).await.unwrap()["type"], "connection_ack");
    ws
}

/// One poller holds `cohorts` cohorts of `subscribers` in all, and runs one statement per
/// interval for them (200 ms: 3 to 7 in a second).
async fn one_poller_holds(s: &TestServer, cohorts: u64, subscribers: u64) {
    let before = hub_report(s).await;
    let held = ["pollers", "cohorts", "subscribers"].map(|k| before[k].as_u64().unwrap());
    assert_eq!(held, [1, cohorts, subscribers], "{before}");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let after = hub_report(s).await;
    let ran = after["statements"].as_u64().unwrap() - before["statements"].as_u64().unwrap();
    assert!((3..=7).contains(&ran), "{ran} statements in one second");
}

/// The clients close their sockets: within one interval (200 ms) no poller or subscriber is
/// left (the last subscriber to leave stops its poller).
async fn all_leave_within_an_interval(s: &TestServer, sockets: Vec<raw::Socket>) {
    drop(sockets);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let end = hub_report(s).await;
    let left = ["pollers", "subscribers"].map(|k| end[k].as_u64().unwrap());
    assert_eq!(left, [0, 0], "{end}");
}

/// The developer API's count of pollers, cohorts, subscribers and statements run.
async fn hub_report(s: &TestServer) -> Value {
    let r = s
        .http
        .get(s.url("/dev/subscriptions"))
        .header("x-hasura-admin-secret", "adm")
        .send()
        .await
        .unwrap();
    r.json::<Value>().await.unwrap()
}

async fn subscribers(s: &TestServer) -> u64 {
    hub_report(s).await["subscribers"].as_u64().unwrap()
}

#[tokio::test]
async fn a_client_that_stops_reading_is_closed_and_its_subscriptions_end() {
    let pg = TestCluster::start("app").await;
    let s = engine_polling(&pg, "50").await;
    // A view whose rows change at every poll: every subscriber is sent ~200 KB each time.
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "bulk", "args": [
                {"type": "run_sql", "args": {"sql": "CREATE VIEW ticking AS SELECT g AS id, repeat('x', 400) || clock_timestamp()::text AS payload FROM generate_series(1, 500) g"}},
                {"type": "pg_track_table", "args": {"table": "ticking"}}
            ]}),
            &[("x-hasura-admin-secret", "adm")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut ws = raw::connect(s.port, "graphql-transport-ws").await;
    raw::send(&mut ws, &raw::init()).await;
    assert_eq!(raw::next(&mut ws).await.unwrap()["type"], "connection_ack");
    for i in 0..50 {
        let sub = json!({"id": i.to_string(), "type": "subscribe", "payload": {"query": "subscription { ticking { id payload } }"}});
        raw::send(&mut ws, &sub.to_string()).await;
    }
    // The client reads nothing more: the engine must give up on it, not queue for it.
    let start = Instant::now();
    while subscribers(&s).await > 0 || start.elapsed() < Duration::from_secs(1) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the engine still serves a client that reads nothing; log:\n{}",
            s.log_text()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    drop(ws);
    // Others are served as before.
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ ticking(limit: 1) { id } }"}),
            &[("x-hasura-admin-secret", "adm")],
        )
        .await;
    assert_eq!(body["data"]["ticking"], json!([{"id": 1}]));
}

#[tokio::test]
async fn a_legacy_socket_that_never_initialises_is_closed() {
    let pg = TestCluster::start("app").await;
    let s = TestServer::start(
        Path::new(BIN),
        &["--database-url", &pg.url("app"), "--admin-secret", "adm"],
        &[("HASURA_GRAPHQL_WEBSOCKET_CONNECTION_INIT_TIMEOUT", "1")],
    )
    .await;
    let mut ws = raw::connect(s.port, "graphql-ws").await;
    assert_eq!(raw::next(&mut ws).await, Err(4408));
}
