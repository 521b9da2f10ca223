//! Hardening end to end: what a hostile or careless client can and cannot get from the engine
//! (internal error details, the admin secret), each against the real binary and PostgreSQL.

use std::path::Path;

use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

/// A server with one table readable by role `user`, started with `extra` flags and `env`.
async fn server(pg: &TestCluster, extra: &[&str], env: &[(&str, &str)]) -> TestServer {
    let url = pg.url("app");
    let mut args = vec!["--database-url", url.as_str(), "--admin-secret", "adm"];
    args.extend_from_slice(extra);
    let s = TestServer::start(Path::new(BIN), &args, env).await;
    let setup = json!({"type": "bulk", "args": [
        {"type": "run_sql", "args": {"sql": "create table if not exists item (id serial primary key, name text); insert into item (name) values ('a');"}},
        {"type": "track_table", "args": "item"},
        {"type": "create_select_permission", "args": {"table": "item", "role": "user", "permission": {"columns": ["id", "name"], "filter": {"id": {"_gt": 0}}}}},
    ]});
    let (status, body) = admin_post(&s, "/v1/query", &setup).await;
    // A second server on the same database finds the table tracked already.
    assert!(status == 200 || body["code"] == "already-tracked", "{body}");
    s
}

/// POSTs `body` to `path` with the admin secret.
async fn admin_post(s: &TestServer, path: &str, body: &Value) -> (u16, Value) {
    s.post(path, body, &[("x-hasura-admin-secret", "adm")])
        .await
}

/// A query that fails in the database (an invalid regular expression), as `role`.
async fn failing_query(s: &TestServer, role: &str) -> Value {
    let (status, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ item(where: {name: {_regex: \"(\"}}) { id } }"}),
            &[("x-hasura-admin-secret", "adm"), ("x-hasura-role", role)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "data-exception",
        "{body}"
    );
    body
}

fn has_internal(body: &Value) -> bool {
    body["errors"][0]["extensions"].get("internal").is_some()
}

#[tokio::test]
async fn internal_error_details_reach_admin_only() {
    let pg = TestCluster::start("app").await;
    let s = server(&pg, &[], &[]).await;
    let user = failing_query(&s, "user").await;
    assert!(!has_internal(&user), "a role saw the statement: {user}");
    assert!(!user.to_string().contains("SELECT"), "{user}");
    let admin = failing_query(&s, "admin").await;
    assert!(has_internal(&admin), "{admin}");
    assert!(admin.to_string().contains("SELECT"), "{admin}");
    drop(s);
    // Dev mode: everyone sees them.
    let s = server(&pg, &[], &[("HASURA_GRAPHQL_DEV_MODE", "true")]).await;
    assert!(has_internal(&failing_query(&s, "user").await));
    drop(s);
    // Admin internal errors off: not even admin.
    let s = server(
        &pg,
        &[],
        &[("HASURA_GRAPHQL_ADMIN_INTERNAL_ERRORS", "false")],
    )
    .await;
    assert!(!has_internal(&failing_query(&s, "admin").await));
    let (status, body) = admin_post(
        &s,
        "/v2/query",
        &json!({"type": "run_sql", "args": {"sql": "select * from nowhere"}}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.get("internal").is_none(), "{body}");
}

#[tokio::test]
async fn an_empty_admin_secret_is_refused_at_start() {
    let out = std::process::Command::new(BIN)
        .args([
            "serve",
            "--host",
            "127.0.0.1",
            "--database-url",
            "postgres://nobody@127.0.0.1:1/none",
            "--admin-secret",
            "",
        ])
        .output()
        .expect("run rasura");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("admin secret is empty"), "{err}");
}

#[tokio::test]
async fn an_unknown_naming_convention_is_refused_at_start() {
    let out = std::process::Command::new(BIN)
        .args([
            "serve",
            "--host",
            "127.0.0.1",
            "--database-url",
            "postgres://nobody@127.0.0.1:1/none",
        ])
        .env("HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION", "kebab-case")
        .output()
        .expect("run rasura");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("naming_convention can either be \"hasura-default\" or \"graphql-default\""),
        "{err}"
    );
}

#[tokio::test]
async fn admin_secret_is_compared_whole() {
    let pg = TestCluster::start("app").await;
    let s = server(&pg, &[], &[]).await;
    let q = json!({"type": "export_metadata", "args": {}});
    for wrong in ["", "ad", "admx", "xadm", "admadm", "ADM"] {
        let (status, body) = s
            .post("/v1/metadata", &q, &[("x-hasura-admin-secret", wrong)])
            .await;
        assert_eq!(status, 401, "{wrong:?}: {body}");
        let (_, body) = s
            .post(
                "/v1/graphql",
                &json!({"query": "{ item { id } }"}),
                &[("x-hasura-admin-secret", wrong)],
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "access-denied",
            "{wrong:?}: {body}"
        );
    }
    let (status, _) = admin_post(&s, "/v1/metadata", &q).await;
    assert_eq!(status, 200);
}

/// POSTs a raw body to `/v1/graphql` as admin.
async fn raw_graphql(s: &TestServer, body: String) -> Value {
    let resp = s
        .http
        .post(s.url("/v1/graphql"))
        .header("x-hasura-admin-secret", "adm")
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
    resp.json().await.expect("json")
}

#[tokio::test]
async fn hostile_documents_are_refused_by_the_parser_limits() {
    let pg = TestCluster::start("app").await;
    let s = server(&pg, &[], &[]).await;
    // A megabyte of braces (just under the size limit), deep nesting, and a flood of tokens.
    let braces = "{".repeat((1 << 20) - 64);
    let deep = format!("{}id{}", "{ item ".repeat(5_000), " }".repeat(5_000));
    let flood = format!("{{ {} }}", "item { id } ".repeat(40_000));
    for (name, q, message) in [
        (
            "braces",
            braces,
            "the query nests brackets more than 128 levels deep",
        ),
        (
            "deep",
            deep,
            "the query nests brackets more than 128 levels deep",
        ),
        ("flood", flood, "not a valid graphql query"),
    ] {
        let body = raw_graphql(&s, json!({"query": q}).to_string()).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "validation-failed",
            "{name}: {body}"
        );
        assert_eq!(body["errors"][0]["message"], message, "{name}: {body}");
    }
    // Within the limits, a large ordinary query still runs.
    let wide = format!(
        "{{ {} }}",
        (0..2_000)
            .map(|i| format!("a{i}: item {{ id }}"))
            .collect::<String>()
    );
    let body = raw_graphql(&s, json!({"query": wide}).to_string()).await;
    assert_eq!(body["data"]["a1999"], json!([{"id": 1}]), "{body}");
    // The server is still there.
    let body = raw_graphql(&s, json!({"query": "{ item { id } }"}).to_string()).await;
    assert_eq!(body["data"]["item"], json!([{"id": 1}]));
}

#[tokio::test]
async fn batches_are_bounded_and_introspection_is_answered_once_per_schema() {
    let pg = TestCluster::start("app").await;
    let s = server(&pg, &["--max-batch-size", "40"], &[]).await;
    let introspection = json!({"query": "query IntrospectionQuery { __schema { queryType { name } types { name fields { name } } } }"});
    let batch: Vec<Value> = (0..30).map(|_| introspection.clone()).collect();
    let body = raw_graphql(&s, Value::Array(batch).to_string()).await;
    let answers = body.as_array().expect("a batch answer");
    assert_eq!(answers.len(), 30);
    assert!(answers.iter().all(|a| a == &answers[0]));
    assert_eq!(
        answers[0]["data"]["__schema"]["queryType"]["name"],
        "query_root"
    );
    // Over the limit: one error for the whole batch.
    let batch: Vec<Value> = (0..41).map(|_| introspection.clone()).collect();
    let body = raw_graphql(&s, Value::Array(batch).to_string()).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "validation-failed",
        "{body}"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("over the limit of 40"),
        "{body}"
    );
}

/// How long after the call the server closed `stream` (reading whatever it sends), or
/// `None` when it was still open after `within`.
async fn closed_after(
    mut stream: tokio::net::TcpStream,
    within: std::time::Duration,
) -> Option<std::time::Duration> {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 4096];
    let started = tokio::time::Instant::now();
    let deadline = started + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test]
async fn slow_and_surplus_connections_are_closed() {
    use tokio::io::AsyncWriteExt;
    let pg = TestCluster::start("app").await;
    let s = server(
        &pg,
        &[
            "--http-header-timeout",
            "8",
            "--http-body-timeout",
            "1",
            "--max-connections",
            "6",
        ],
        &[],
    )
    .await;
    let addr = format!("127.0.0.1:{}", s.port);
    // Heads that never end: each connection is closed after the header timeout.
    let mut slow = vec![];
    for _ in 0..5 {
        let mut c = tokio::net::TcpStream::connect(&addr).await.unwrap();
        c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        slow.push(c);
    }
    // Two more: with the server's own client holding at most one idle connection, at least
    // one of the seven finds the limit reached and is closed at once. Which one depends on
    // the order the serving threads accept them in, so all seven are watched.
    for _ in 0..2 {
        slow.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
    }
    // A refused connection closes at once, an accepted one only after the header timeout
    // (8 s): all seven are watched at once, and a close well before the timeout is a
    // refusal, even on a loaded machine.
    let closes = futures_util::future::join_all(
        slow.into_iter()
            .map(|c| closed_after(c, std::time::Duration::from_secs(30))),
    )
    .await;
    assert!(
        closes.iter().all(Option::is_some),
        "a slow head kept its connection: {closes:?}"
    );
    let refused = closes
        .iter()
        .flatten()
        .filter(|t| **t < std::time::Duration::from_secs(5))
        .count();
    assert!(
        refused >= 1,
        "no connection over the limit was closed: {closes:?}"
    );
    // A body that never ends is refused once the body timeout passes.
    let mut c = tokio::net::TcpStream::connect(&addr).await.unwrap();
    c.write_all(b"POST /v1/graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"query\":")
        .await
        .unwrap();
    let mut answer = vec![];
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        use tokio::io::AsyncReadExt;
        let _ = c.read_to_end(&mut answer).await;
    })
    .await;
    assert!(read.is_ok(), "a slow body kept its connection");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.is_empty() || text.starts_with("HTTP/1.1 4"), "{text}");
    // With the slow ones gone, the server serves as before.
    let body = raw_graphql(&s, json!({"query": "{ item { id } }"}).to_string()).await;
    assert_eq!(body["data"]["item"], json!([{"id": 1}]));
}

/// Statements sleeping in `pg_sleep` on the cluster now.
async fn sleeping(pg: &TestCluster) -> i64 {
    let c = pg.client("app").await;
    c.query_one(
        "select count(*) from pg_stat_activity where query like '%pg_sleep%' and state = 'active' and pid <> pg_backend_pid()",
        &[],
    )
    .await
    .unwrap()
    .get(0)
}

/// Waits until no statement sleeps; fails after `within`.
async fn until_none_sleep(pg: &TestCluster, within: std::time::Duration, what: &str) {
    let start = std::time::Instant::now();
    while sleeping(pg).await > 0 {
        assert!(start.elapsed() < within, "{what}: the statement still runs");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn track_slow_view(s: &TestServer) {
    let (status, body) = admin_post(s, "/v1/query", &json!({"type": "bulk", "args": [
                {"type": "run_sql", "args": {"sql": "create view slow as select 1 as id, pg_sleep(30)::text as nap"}},
                {"type": "track_table", "args": "slow"},
            ]})).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn the_query_timeout_cancels_the_request_and_its_statement() {
    let pg = TestCluster::start("app").await;
    let s = server(&pg, &["--query-timeout", "1"], &[]).await;
    track_slow_view(&s).await;
    // A mutation whose transaction sleeps: a trigger that calls pg_sleep.
    let (status, body) = admin_post(&s, "/v2/query", &json!({"type": "run_sql", "args": {"sql": "create function nap_trigger() returns trigger language plpgsql as $$ begin perform pg_sleep(30); return new; end $$; create trigger nap before insert on item for each row execute function nap_trigger();"}})).await;
    assert_eq!(status, 200, "{body}");
    for (what, query) in [
        ("query", "{ slow { id nap } }"),
        (
            "mutation",
            "mutation { insert_item_one(object: {name: \"x\"}) { id } }",
        ),
    ] {
        let started = std::time::Instant::now();
        let body = raw_graphql(&s, json!({"query": query}).to_string()).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "timeout",
            "{what}: {body}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{what}"
        );
        until_none_sleep(&pg, std::time::Duration::from_secs(10), what).await;
    }
    // The control plane is not bound by it (migrations run to the end).
    let (status, body) = admin_post(
        &s,
        "/v2/query",
        &json!({"type": "run_sql", "args": {"sql": "select pg_sleep(1.5)"}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_client_that_goes_away_takes_its_statement_with_it() {
    let pg = TestCluster::start("app").await;
    for sharing in ["4", "0"] {
        let s = server(&pg, &["--pg-shared-connections", sharing], &[]).await;
        if sharing == "4" {
            track_slow_view(&s).await;
        }
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_millis(700))
            .build()
            .unwrap();
        let gone = client
            .post(s.url("/v1/graphql"))
            .header("x-hasura-admin-secret", "adm")
            .body(json!({"query": "{ slow { id nap } }"}).to_string())
            .send()
            .await;
        assert!(gone.is_err(), "the slow query answered");
        until_none_sleep(
            &pg,
            std::time::Duration::from_secs(10),
            &format!("shared connections {sharing}"),
        )
        .await;
    }
}

#[tokio::test]
async fn metadata_the_engine_cannot_honour_is_reported_not_kept_silently() {
    let pg = TestCluster::start("app").await;
    let s = server(&pg, &[], &[]).await;
    let (_, exported) = admin_post(
        &s,
        "/v1/metadata",
        &json!({"type": "export_metadata", "args": {}}),
    )
    .await;
    let mut md = exported.clone();
    md["network"] = json!({"tls_allowlist": [{"host": "example.com"}]});
    md["rest_endpoints"] = json!([{"name": "items", "url": "items", "methods": ["GET"], "definition": {"query": {"collection_name": "c", "query_name": "q"}}}]);
    // Refused as inconsistent, as Hasura refuses it, unless asked to keep it.
    let (status, body) = admin_post(
        &s,
        "/v1/metadata",
        &json!({"type": "replace_metadata", "args": md.clone()}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = admin_post(&s, "/v1/metadata", &json!({"type": "replace_metadata", "version": 2, "args": {"allow_inconsistent_metadata": true, "metadata": md}})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["is_consistent"], false);
    let (_, report) = admin_post(
        &s,
        "/v1/metadata",
        &json!({"type": "get_inconsistent_metadata", "args": {}}),
    )
    .await;
    assert_eq!(report["is_consistent"], false, "{report}");
    let reasons: Vec<String> = report["inconsistent_objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| format!("{} {}", o["type"], o["reason"]))
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("network")
            && r.contains("network settings (TLS allow list) are not supported")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("rest_endpoint")
                && r.contains("collection with name c does not exist")),
        "{reasons:?}"
    );
    // A server started on this metadata says so in its log.
    let second = server(&pg, &[], &[]).await;
    assert!(
        second
            .log_text()
            .contains("network settings (TLS allow list) are not supported"),
        "{}",
        second.log_text()
    );
    drop(second);
    // Dropping the inconsistent objects removes the sections.
    let (status, _) = admin_post(
        &s,
        "/v1/metadata",
        &json!({"type": "drop_inconsistent_metadata", "args": {}}),
    )
    .await;
    assert_eq!(status, 200);
    let (_, report) = admin_post(
        &s,
        "/v1/metadata",
        &json!({"type": "get_inconsistent_metadata", "args": {}}),
    )
    .await;
    assert_eq!(report["is_consistent"], true, "{report}");
    let (_, after) = admin_post(
        &s,
        "/v1/metadata",
        &json!({"type": "export_metadata", "args": {}}),
    )
    .await;
    assert!(after.get("network").is_none(), "{after}");
    // A permission rule on a column that does not exist is refused when it is set.
    let (status, body) = admin_post(&s, "/v1/metadata", &json!({"type": "pg_create_select_permission", "args": {"table": "item", "role": "other", "permission": {"columns": ["id"], "filter": {"nmae": {"_eq": "x"}}}}})).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("\"nmae\""),
        "{body}"
    );
}
