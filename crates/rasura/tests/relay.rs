//! Relay at `/v1beta1/relay` against a real database: connections paged forwards and
//! backwards with Hasura's cursors, global ids and `node(id)`, permissions (a hidden row is a
//! null node; pages count only visible rows), the schema's shape (no list roots, `id` as the
//! global id, tables without a primary key left out), errors, and a subscription.

use std::path::Path;

use futures_util::{SinkExt, StreamExt};
use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const BIN: &str = env!("CARGO_BIN_EXE_rasura");
const SECRET: &str = "s3cret";

/// Base64 as Hasura writes ids and cursors.
fn b64(text: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

async fn start() -> (TestCluster, TestServer) {
    let pg = TestCluster::start("app").await;
    pg.client("app")
        .await
        .batch_execute(
            "CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL); \
             CREATE TABLE article (id serial PRIMARY KEY, title text NOT NULL, \
               author_id int REFERENCES author(id), published boolean NOT NULL DEFAULT true); \
             CREATE TABLE note (body text); \
             INSERT INTO author (name) VALUES ('ann'), ('bob'); \
             INSERT INTO article (title, author_id, published) VALUES \
               ('a1', 1, true), ('a2', 1, false), ('a3', 2, true), ('a4', 2, true), ('a5', 1, true); \
             CREATE FUNCTION by_author(who int) RETURNS SETOF article STABLE LANGUAGE sql \
               AS 'SELECT * FROM article WHERE author_id = who';",
        )
        .await
        .unwrap();
    let s = TestServer::start(
        Path::new(BIN),
        &["--database-url", &pg.url("app"), "--admin-secret", SECRET],
        &[],
    )
    .await;
    for body in [
        json!({"type": "pg_track_table", "args": {"table": "author"}}),
        json!({"type": "pg_track_table", "args": {"table": "article"}}),
        json!({"type": "pg_track_table", "args": {"table": "note"}}),
        json!({"type": "pg_track_function", "args": {"function": "by_author"}}),
        json!({"type": "pg_create_object_relationship", "args": {"table": "article", "name": "author", "using": {"foreign_key_constraint_on": "author_id"}}}),
        json!({"type": "pg_create_array_relationship", "args": {"table": "author", "name": "articles", "using": {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}}}}),
        json!({"type": "pg_create_select_permission", "args": {"table": "article", "role": "reader",
            "permission": {"columns": ["title"], "filter": {"published": {"_eq": true}}}}}),
    ] {
        let (status, r) = s
            .post("/v1/metadata", &body, &[("x-hasura-admin-secret", SECRET)])
            .await;
        assert_eq!(status, 200, "{r}");
    }
    (pg, s)
}

async fn relay(s: &TestServer, query: &str, role: Option<&str>) -> Value {
    let mut headers = vec![("x-hasura-admin-secret", SECRET)];
    if let Some(r) = role {
        headers.push(("x-hasura-role", r));
    }
    let (status, r) = s
        .post("/v1beta1/relay", &json!({ "query": query }), &headers)
        .await;
    assert_eq!(status, 200, "{r}");
    r
}

fn titles(page: &Value) -> Vec<String> {
    page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn connections_page_forwards_and_backwards_with_hasuras_cursors() {
    let (_pg, s) = start().await;
    let q = |args: &str| {
        format!(
            "{{ article_connection({args}) {{ pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} edges {{ cursor node {{ id title author {{ name }} }} }} }} }}"
        )
    };
    let r = relay(&s, &q("first: 2"), None).await;
    let page = &r["data"]["article_connection"];
    assert_eq!(titles(page), ["a1", "a2"], "{r}");
    // Hasura's cursor: base64 of PostgreSQL's JSON text of the order-by values.
    assert_eq!(page["edges"][0]["cursor"], b64("{\"id\" : 1}"));
    assert_eq!(page["pageInfo"]["startCursor"], b64("{\"id\" : 1}"));
    assert_eq!(page["pageInfo"]["endCursor"], b64("{\"id\" : 2}"));
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    assert_eq!(page["pageInfo"]["hasPreviousPage"], false);
    // The global id, Hasura's version 1.
    assert_eq!(
        page["edges"][0]["node"]["id"],
        b64("[1, \"public\", \"article\", 1]")
    );
    assert_eq!(page["edges"][0]["node"]["author"]["name"], "ann");
    // Forwards from the end cursor.
    let after = page["pageInfo"]["endCursor"].as_str().unwrap().to_string();
    let r = relay(&s, &q(&format!("first: 2, after: \"{after}\"")), None).await;
    let page = &r["data"]["article_connection"];
    assert_eq!(titles(page), ["a3", "a4"], "{r}");
    assert_eq!(page["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    // Backwards: the last two before a4, in order.
    let before = b64("{\"id\" : 4}");
    let r = relay(&s, &q(&format!("last: 2, before: \"{before}\"")), None).await;
    let page = &r["data"]["article_connection"];
    assert_eq!(titles(page), ["a2", "a3"], "{r}");
    assert_eq!(page["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    // Ordered by title descending: the cursor carries the title and the primary key.
    let r = relay(&s, &q("first: 1, order_by: {title: desc}"), None).await;
    let page = &r["data"]["article_connection"];
    assert_eq!(titles(page), ["a5"], "{r}");
    assert_eq!(
        page["edges"][0]["cursor"],
        b64("{\"title\" : \"a5\", \"id\" : 5}")
    );
    let after = page["edges"][0]["cursor"].as_str().unwrap().to_string();
    let r = relay(
        &s,
        &q(&format!(
            "first: 2, order_by: {{title: desc}}, after: \"{after}\""
        )),
        None,
    )
    .await;
    assert_eq!(
        titles(&r["data"]["article_connection"]),
        ["a4", "a3"],
        "{r}"
    );
    // Through an array relationship: each author's own page.
    let r = relay(
        &s,
        "{ author_connection { edges { node { name articles_connection(first: 1, order_by: {id: desc}) { pageInfo { hasNextPage } edges { node { title } } } } } } }",
        None,
    )
    .await;
    let authors = r["data"]["author_connection"]["edges"].as_array().unwrap();
    let first_of = |i: usize| &authors[i]["node"]["articles_connection"];
    assert_eq!(titles(first_of(0)), ["a5"], "{r}");
    assert_eq!(titles(first_of(1)), ["a4"], "{r}");
    assert_eq!(first_of(0)["pageInfo"]["hasNextPage"], true);
    // A tracked function's rows, paged.
    let r = relay(
        &s,
        "{ by_author_connection(args: {who: 1}, first: 2) { pageInfo { hasNextPage } edges { node { title } } } }",
        None,
    )
    .await;
    let page = &r["data"]["by_author_connection"];
    assert_eq!(titles(page), ["a1", "a2"], "{r}");
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    // An empty page.
    let r = relay(&s, &q("where: {title: {_eq: \"none\"}}"), None).await;
    let page = &r["data"]["article_connection"];
    assert_eq!(page["edges"], json!([]), "{r}");
    assert_eq!(page["pageInfo"]["hasNextPage"], false);
    // A role pages over the rows it may see only.
    let r = relay(
        &s,
        "{ article_connection(first: 10) { edges { node { title } } pageInfo { hasNextPage } } }",
        Some("reader"),
    )
    .await;
    assert_eq!(
        titles(&r["data"]["article_connection"]),
        ["a1", "a3", "a4", "a5"],
        "{r}"
    );
    // Errors, as Hasura words them.
    let r = relay(
        &s,
        "{ article_connection(first: 1, last: 1) { edges { cursor } } }",
        None,
    )
    .await;
    assert_eq!(
        r["errors"][0]["message"], "\"first\" and \"last\" are not allowed at once",
        "{r}"
    );
    let r = relay(
        &s,
        "{ article_connection(after: \"eyJpZCIgOiAxfQ==\", before: \"eyJpZCIgOiAxfQ==\") { edges { cursor } } }",
        None,
    )
    .await;
    assert_eq!(
        r["errors"][0]["message"],
        "\"after\" and \"before\" are not allowed at once"
    );
    let r = relay(
        &s,
        "{ article_connection(after: \"garbage\") { edges { cursor } } }",
        None,
    )
    .await;
    assert_eq!(
        r["errors"][0]["message"], "the \"after\" or \"before\" cursor is invalid",
        "{r}"
    );
}

#[tokio::test]
async fn node_finds_the_row_a_global_id_names_as_the_role_may_see_it() {
    let (_pg, s) = start().await;
    let id = |n: u32| b64(&format!("[1, \"public\", \"article\", {n}]"));
    let q = |id: &str| {
        format!("{{ node(id: \"{id}\") {{ id __typename ... on article {{ title }} }} }}")
    };
    let r = relay(&s, &q(&id(3)), None).await;
    assert_eq!(
        r["data"]["node"],
        json!({"id": id(3), "__typename": "article", "title": "a3"}),
        "{r}"
    );
    // An author through a fragment on the interface and one on its type.
    let author = b64("[1, \"public\", \"author\", 2]");
    let r = relay(
        &s,
        &format!(
            "{{ node(id: \"{author}\") {{ ... on Node {{ id }} ... on author {{ name }} }} }}"
        ),
        None,
    )
    .await;
    assert_eq!(
        r["data"]["node"],
        json!({"id": author, "name": "bob"}),
        "{r}"
    );
    // A row the role may not see is null; a table it may not see is an error.
    let r = relay(&s, &q(&id(2)), Some("reader")).await;
    assert_eq!(r["data"]["node"], Value::Null, "{r}");
    let r = relay(&s, &q(&id(1)), Some("reader")).await;
    assert_eq!(r["data"]["node"]["title"], "a1", "{r}");
    let r = relay(&s, &q(&author), Some("reader")).await;
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("invalid node id: "),
        "{r}"
    );
    // A key value of another JSON type than its column's is refused as Hasura parses it.
    for (bad, why) in [
        (
            "[1, \"public\", \"article\", \"3\"]",
            "parsing Int32 failed, expected Number, but encountered String",
        ),
        (
            "[1, \"public\", \"article\", 2.5]",
            "parsing Int32 failed, unexpected floating number 2.5",
        ),
    ] {
        let r = relay(&s, &q(&b64(bad)), None).await;
        assert_eq!(
            (
                r["errors"][0]["extensions"]["code"].as_str(),
                r["errors"][0]["extensions"]["path"].as_str()
            ),
            (Some("parse-failed"), Some("$.selectionSet.node")),
            "{r}"
        );
        assert_eq!(
            r["errors"][0]["message"],
            format!("value of column 'id' in node id: {why}"),
            "{r}"
        );
    }
    for bad in [
        b64("[2, \"default\", \"public\", \"article\", 1]"),
        b64("[]"),
        "not base64!".to_string(),
    ] {
        let r = relay(&s, &q(&bad), None).await;
        assert_eq!(
            r["errors"][0]["extensions"]["code"], "validation-failed",
            "{r}"
        );
        assert_eq!(
            r["errors"][0]["extensions"]["path"],
            "$.selectionSet.node.args.id"
        );
    }
}

#[tokio::test]
async fn the_relay_schema_has_relays_shape() {
    let (_pg, s) = start().await;
    let r = relay(
        &s,
        "{ __schema { queryType { fields { name } } } article: __type(name: \"article\") { fields { name } interfaces { name } } note: __type(name: \"note\") { interfaces { name } } }",
        None,
    )
    .await;
    let roots: Vec<&str> = r["data"]["__schema"]["queryType"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    // Node and the connections of tables with a primary key, in order of name (as Hasura
    // introspects); no list, by_pk or aggregate roots.
    assert_eq!(
        roots,
        [
            "article_connection",
            "author_connection",
            "by_author_connection",
            "node"
        ],
        "{r}"
    );
    let fields: Vec<&str> = r["data"]["article"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    // The global `id` once (the column `id` gives way to it), fields in order of name.
    assert_eq!(fields.iter().filter(|f| **f == "id").count(), 1, "{r}");
    assert!(fields.windows(2).all(|w| w[0] < w[1]), "{r}");
    assert_eq!(
        r["data"]["article"]["interfaces"],
        json!([{"name": "Node"}])
    );
    assert_eq!(r["data"]["note"]["interfaces"], json!([]));
    // Mutations answer Relay's object types: `id` is the global id.
    let r = relay(
        &s,
        "mutation { insert_article_one(object: {title: \"a6\", author_id: 2}) { id title } }",
        None,
    )
    .await;
    assert_eq!(
        r["data"]["insert_article_one"]["id"],
        b64("[1, \"public\", \"article\", 6]"),
        "{r}"
    );
    // /v1/graphql is unchanged: `id` is the column there.
    let (_, r) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ article(where: {id: {_eq: 6}}) { id } }"}),
            &[("x-hasura-admin-secret", SECRET)],
        )
        .await;
    assert_eq!(r["data"]["article"], json!([{"id": 6}]), "{r}");
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next message of `kind` on the socket.
async fn next_of(ws: &mut Socket, kind: &str) -> Value {
    loop {
        let m = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("a message in time");
        match m {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                if v["type"] == kind {
                    return v;
                }
            }
            Some(Ok(_)) => {}
            other => panic!("socket ended: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_subscription_on_the_relay_socket_sees_new_rows() {
    let (_pg, s) = start().await;
    let mut req = format!("ws://127.0.0.1:{}/v1beta1/relay", s.port)
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let send = |v: Value| Message::Text(v.to_string().into());
    ws.send(send(json!({"type": "connection_init",
        "payload": {"headers": {"x-hasura-admin-secret": SECRET}}})))
        .await
        .unwrap();
    next_of(&mut ws, "connection_ack").await;
    ws.send(send(
        json!({"id": "1", "type": "subscribe", "payload": {"query":
        "subscription { author_connection { edges { node { id name } } } }"}}),
    ))
    .await
    .unwrap();
    let first = next_of(&mut ws, "next").await;
    let edges = &first["payload"]["data"]["author_connection"]["edges"];
    assert_eq!(edges.as_array().unwrap().len(), 2, "{first}");
    assert_eq!(
        edges[0]["node"]["id"],
        b64("[1, \"public\", \"author\", 1]")
    );
    relay(
        &s,
        "mutation { insert_author_one(object: {name: \"cy\"}) { id } }",
        None,
    )
    .await;
    let second = next_of(&mut ws, "next").await;
    let edges = &second["payload"]["data"]["author_connection"]["edges"];
    assert_eq!(edges[2]["node"]["name"], "cy", "{second}");
}
