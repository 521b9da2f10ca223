//! Query collections and the allow list through the real binary: the metadata API edits them,
//! and with `HASURA_GRAPHQL_ENABLE_ALLOWLIST` a role other than admin runs only listed
//! queries, over HTTP, in batches and over WebSocket.

use std::path::Path;

use futures_util::{SinkExt, StreamExt};
use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const BIN: &str = env!("CARGO_BIN_EXE_rasura");
const ADMIN: (&str, &str) = ("x-hasura-admin-secret", "adm");

async fn server(pg: &TestCluster, env: &[(&str, &str)]) -> TestServer {
    let url = pg.url("app");
    let s = TestServer::start(
        Path::new(BIN),
        &["--database-url", url.as_str(), "--admin-secret", "adm"],
        env,
    )
    .await;
    let setup = json!({"type": "bulk", "args": [
        {"type": "run_sql", "args": {"sql": "create table item (id int primary key, name text, secret text); insert into item values (1, 'a', 's1'), (2, 'b', 's2');"}},
        {"type": "pg_track_table", "args": {"table": "item"}},
        {"type": "pg_create_select_permission", "args": {"table": "item", "role": "user", "permission": {"columns": "*", "filter": {}}}},
        {"type": "pg_create_select_permission", "args": {"table": "item", "role": "editor", "permission": {"columns": "*", "filter": {}}}},
        {"type": "create_query_collection", "args": {"name": "public_queries", "definition": {"queries": [
            {"name": "names", "query": "query { item(order_by: {id: asc}) { id name } }"},
            {"name": "live", "query": "subscription { item(order_by: {id: asc}) { name } }"}
        ]}}},
        {"type": "create_query_collection", "args": {"name": "editor_queries", "definition": {"queries": [
            {"name": "secrets", "query": "query { item { secret } }"}
        ]}}},
        {"type": "add_collection_to_allowlist", "args": {"collection": "public_queries"}},
        {"type": "add_collection_to_allowlist", "args": {"collection": "editor_queries", "scope": {"global": false, "roles": ["editor"]}}}
    ]});
    let (status, body) = s.post("/v1/metadata", &setup, &[ADMIN]).await;
    assert_eq!(status, 200, "{body}");
    s
}

async fn as_role(s: &TestServer, role: &str, body: Value) -> Value {
    let (_, v) = s
        .post("/v1/graphql", &body, &[ADMIN, ("x-hasura-role", role)])
        .await;
    v
}

fn refused(v: &Value) -> bool {
    v["errors"][0]["message"] == "query is not allowed"
        && v["errors"][0]["extensions"]["code"] == "validation-failed"
}

#[tokio::test]
async fn only_listed_queries_run_for_roles_when_the_allowlist_is_on() {
    let pg = TestCluster::start("app").await;
    let s = server(&pg, &[("HASURA_GRAPHQL_ENABLE_ALLOWLIST", "true")]).await;
    // Listed: formatting, commas and __typename do not matter.
    let listed = "query {\n  item(order_by: {id: asc}) {\n    __typename, id\n    name\n  }\n}";
    let v = as_role(&s, "user", json!({"query": listed})).await;
    assert_eq!(
        v["data"]["item"],
        json!([{"__typename": "item", "id": 1, "name": "a"}, {"__typename": "item", "id": 2, "name": "b"}]),
        "{v}"
    );
    // Not listed: refused before it runs, whatever the role may otherwise see.
    let v = as_role(
        &s,
        "user",
        json!({"query": "query { item { id name secret } }"}),
    )
    .await;
    assert!(refused(&v), "{v}");
    // Scoped to editor: editor runs it, user does not.
    let scoped = json!({"query": "query { item { secret } }"});
    assert_eq!(
        as_role(&s, "editor", scoped.clone()).await["data"]["item"][0]["secret"],
        "s1"
    );
    assert!(refused(&as_role(&s, "user", scoped.clone()).await));
    // Admin is not bound by the list.
    let (_, v) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ item { secret } }"}),
            &[ADMIN],
        )
        .await;
    assert_eq!(v["data"]["item"][1]["secret"], "s2", "{v}");
    // A batch is checked operation by operation.
    let v = as_role(
        &s,
        "user",
        json!([{"query": listed}, {"query": "query { item { secret } }"}]),
    )
    .await;
    assert_eq!(v[0]["data"]["item"][0]["id"], 1, "{v}");
    assert!(refused(&v[1]), "{v}");
    // Subscriptions too.
    let mut ws = connect(s.port).await;
    let init = json!({"type": "connection_init", "payload": {"headers": {
        "x-hasura-admin-secret": "adm", "x-hasura-role": "user"}}});
    ws.send(Message::Text(init.to_string().into()))
        .await
        .unwrap();
    assert_eq!(next(&mut ws).await["type"], "connection_ack");
    for (id, query) in [
        ("ok", "subscription { item(order_by: {id: asc}) { name } }"),
        ("no", "subscription { item { secret } }"),
    ] {
        let sub = json!({"id": id, "type": "subscribe", "payload": {"query": query}});
        ws.send(Message::Text(sub.to_string().into()))
            .await
            .unwrap();
        let answer = next(&mut ws).await;
        assert_eq!(answer["id"], id, "{answer}");
        if id == "ok" {
            assert_eq!(
                answer["payload"]["data"]["item"][0]["name"], "a",
                "{answer}"
            );
        } else {
            assert_eq!(answer["type"], "error", "{answer}");
            assert_eq!(
                answer["payload"][0]["message"], "query is not allowed",
                "{answer}"
            );
        }
    }
    // Taking the collection out of the list takes effect at once.
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "drop_collection_from_allowlist", "args": {"collection": "public_queries"}}),
            &[ADMIN],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(refused(
        &as_role(&s, "user", json!({"query": listed})).await
    ));
    // The sections are kept in the metadata and consistent.
    let (_, md) = s
        .post(
            "/v1/metadata",
            &json!({"type": "export_metadata", "args": {}}),
            &[ADMIN],
        )
        .await;
    assert_eq!(md["query_collections"].as_array().unwrap().len(), 2, "{md}");
    assert_eq!(
        md["allowlist"],
        json!([{"collection": "editor_queries", "scope": {"global": false, "roles": ["editor"]}}])
    );
    let (_, report) = s
        .post(
            "/v1/metadata",
            &json!({"type": "get_inconsistent_metadata", "args": {}}),
            &[ADMIN],
        )
        .await;
    assert_eq!(report["is_consistent"], true, "{report}");
}

#[tokio::test]
async fn without_the_switch_the_list_is_kept_but_not_enforced() {
    let pg = TestCluster::start("app").await;
    let s = server(&pg, &[]).await;
    let v = as_role(&s, "user", json!({"query": "query { item { id secret } }"})).await;
    assert_eq!(v["data"]["item"][0]["secret"], "s1", "{v}");
    // A collection on the list cannot be dropped without cascade.
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "drop_query_collection", "args": {"collection": "public_queries", "cascade": false}}),
            &[ADMIN],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "dependency-error", "{body}");
    assert_eq!(body["path"], "$.args.collection", "{body}");
    // An allow-list entry naming a missing collection is inconsistent, not silently kept.
    let (_, mut md) = s
        .post(
            "/v1/metadata",
            &json!({"type": "export_metadata", "args": {}}),
            &[ADMIN],
        )
        .await;
    md["allowlist"] = json!([{"collection": "nowhere"}]);
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "replace_metadata", "args": md}),
            &[ADMIN],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.to_string().contains("\\\"nowhere\\\" does not exist"),
        "{body}"
    );
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(port: u16) -> Socket {
    let mut req = format!("ws://127.0.0.1:{port}/v1/graphql")
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    tokio_tungstenite::connect_async(req).await.unwrap().0
}

/// The next message other than a keep-alive.
async fn next(ws: &mut Socket) -> Value {
    loop {
        let m = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("a message in time");
        if let Some(Ok(Message::Text(t))) = m {
            let v: Value = serde_json::from_str(&t).unwrap();
            if v["type"] != "ka" && v["type"] != "ping" {
                return v;
            }
        } else {
            panic!("socket ended: {m:?}");
        }
    }
}
