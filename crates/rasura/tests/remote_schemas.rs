//! Remote schemas end to end: the tutorial's `hello` from the Python backend, forwarding
//! (variables, fragments, aliases, headers, customization) checked at a real local GraphQL
//! stub, and remotes that fail without taking the rest of the response down.

use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rasura_test_support::{StubRequest, TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

const SDL: &str = r#"
type Query { greet(name: String!): Greeting  echo(v: Int): Int }
type Greeting { text: String!  lang: Lang }
enum Lang { EN FR }
type Mutation { shout(text: String!): String }
"#;

/// The answer to the standard introspection query for `sdl`.
fn introspection(sdl: &str) -> Value {
    let schema = apollo_compiler::Schema::parse_and_validate(sdl, "remote.graphql").unwrap();
    let query = rasura_remote::introspect::INTROSPECTION_QUERY;
    let doc = apollo_compiler::ExecutableDocument::parse_and_validate(&schema, query, "q.graphql")
        .unwrap();
    let op = doc.operations.get(None).unwrap();
    let vars =
        apollo_compiler::request::coerce_variable_values(&schema, op, &Default::default()).unwrap();
    let resp = apollo_compiler::introspection::partial_execute(
        &schema,
        &schema.implementers_map(),
        &doc,
        op,
        &vars,
    )
    .unwrap();
    serde_json::to_value(resp).unwrap()
}

const NORMAL: u8 = 0;
const GARBAGE: u8 = 1;
const SLOW: u8 = 2;
const ERRORS: u8 = 3;

struct Remote {
    url: String,
    seen: Arc<Mutex<Vec<StubRequest>>>,
    mode: Arc<AtomicU8>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Remote {
    /// A GraphQL stub on its own runtime (so that it can be taken down): answers introspection
    /// from `SDL`, and other queries with `answer` (or per `mode`).
    fn start(answer: Value) -> Remote {
        Remote::start_with(move |_| answer.clone())
    }

    /// As [`Remote::start`], answering each forwarded request body with `answer(body)`.
    fn start_with(answer: impl Fn(&Value) -> Value + Send + Sync + 'static) -> Remote {
        let seen: Arc<Mutex<Vec<StubRequest>>> = Arc::default();
        let mode = Arc::new(AtomicU8::new(NORMAL));
        let (s, m) = (seen.clone(), mode.clone());
        let schema = introspection(SDL);
        // Built on a thread of its own: a runtime cannot be started inside the test's.
        let (runtime, url) = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let url = runtime.block_on(rasura_test_support::http_stub(move |req| {
            let body: Value = serde_json::from_str(&req.body).unwrap_or_default();
            let is_introspection = body["query"].as_str().unwrap_or_default().contains("__schema");
            if !is_introspection {
                s.lock().unwrap().push(req);
            }
            let mode = m.load(Ordering::SeqCst);
            let (schema, answer) = (schema.clone(), answer(&body));
            async move {
                if is_introspection {
                    return (200, vec![], schema.to_string());
                }
                match mode {
                    GARBAGE => (200, vec![], "<html>oops</html>".into()),
                    SLOW => {
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        (200, vec![], answer.to_string())
                    }
                    ERRORS => (200, vec![], json!({"data": {"r": null}, "errors": [{"message": "no greeting today", "path": ["r"]}]}).to_string()),
                    _ => (200, vec![], answer.to_string()),
                }
            }
        }));
        (runtime, url)
        })
        .join()
        .unwrap();
        Remote {
            url: format!("{url}/graphql"),
            seen,
            mode,
            runtime: Some(runtime),
        }
    }

    fn last(&self) -> StubRequest {
        self.seen
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("a forwarded request")
    }

    /// Takes the remote down: connections are refused from now on.
    fn stop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn metadata(s: &TestServer, body: Value) -> (u16, Value) {
    s.post("/v1/metadata", &body, &[]).await
}

async fn engine(pg: &TestCluster) -> TestServer {
    let s = TestServer::start(
        Path::new(BIN),
        &["--database-url", &pg.url("app")],
        &[("RASURA_TEST_REMOTE_TOKEN", "s3cret")],
    )
    .await;
    let (status, body) = metadata(&s, json!({"type": "bulk", "args": [
        {"type": "run_sql", "args": {"sql": "CREATE TABLE item (id serial PRIMARY KEY, name text); INSERT INTO item (name) VALUES ('one')"}},
        {"type": "pg_track_table", "args": {"table": "item"}}
    ]})).await;
    assert_eq!(status, 200, "{body}");
    s
}

#[tokio::test]
async fn forwarding_keeps_variables_fragments_aliases_and_headers() {
    let pg = TestCluster::start("app").await;
    let s = engine(&pg).await;
    let remote =
        Remote::start(json!({"data": {"hi": {"text": "Hello Ada", "__typename": "Greeting"}}}));
    let (status, body) = metadata(
        &s,
        json!({"type": "add_remote_schema", "args": {"name": "greetings", "definition": {
        "url": remote.url, "timeout_seconds": 2,
        "headers": [{"name": "X-Token", "value_from_env": "RASURA_TEST_REMOTE_TOKEN"}]}}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let query = "query Q($n: String!) { hi: greet(name: $n) { ...G } item { id name } } fragment G on Greeting { text __typename }";
    let (status, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": query, "variables": {"n": "Ada"}}),
            &[("X-Client", "c"), ("x-hasura-role", "admin")],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"data": {"hi": {"text": "Hello Ada", "__typename": "Greeting"}, "item": [{"id": 1, "name": "one"}]}})
    );
    let sent = remote.last();
    let forwarded: Value = serde_json::from_str(&sent.body).unwrap();
    let q = forwarded["query"].as_str().unwrap();
    assert!(q.starts_with("query($n: String!)"), "{q}");
    assert!(
        q.contains("hi: greet(name: $n)")
            && q.contains("... on Greeting")
            && q.contains("__typename"),
        "{q}"
    );
    assert!(!q.contains("item"), "the database part was forwarded: {q}");
    assert_eq!(forwarded["variables"], json!({"n": "Ada"}));
    assert_eq!(sent.header("x-token"), Some("s3cret"));
    assert_eq!(sent.header("x-hasura-role"), Some("admin"));
    assert_eq!(
        sent.header("x-client"),
        None,
        "client headers are not forwarded unless asked"
    );
    assert!(sent
        .header("user-agent")
        .unwrap()
        .starts_with("hasura-graphql-engine/"));

    // Name clashes are refused.
    let clash = Remote::start(json!({}));
    let (status, body) = metadata(&s, json!({"type": "add_remote_schema", "args": {"name": "again", "definition": {"url": clash.url}}})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("remote-schema-conflicts")),
        "{body}"
    );
    let (status, body) = metadata(&s, json!({"type": "add_remote_schema", "args": {"name": "greetings", "definition": {"url": clash.url}}})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("already-exists")),
        "{body}"
    );

    // Forwarded client headers, the introspection read back, removal.
    let (status, body) = metadata(
        &s,
        json!({"type": "update_remote_schema", "args": {"name": "greetings", "definition": {
        "url": remote.url, "forward_client_headers": true}}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    s.post(
        "/v1/graphql",
        &json!({"query": "{ echo(v: 2) }"}),
        &[("X-Client", "c")],
    )
    .await;
    assert_eq!(remote.last().header("x-client"), Some("c"));
    let (_, intro) = metadata(
        &s,
        json!({"type": "introspect_remote_schema", "args": {"name": "greetings"}}),
    )
    .await;
    assert_eq!(intro["data"]["__schema"]["queryType"]["name"], "Query");
    let (status, _) = metadata(
        &s,
        json!({"type": "remove_remote_schema", "args": {"name": "greetings"}}),
    )
    .await;
    assert_eq!(status, 200);
    let (_, body) = s
        .post("/v1/graphql", &json!({"query": "{ echo(v: 2) }"}), &[])
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "validation-failed",
        "{body}"
    );
}

#[tokio::test]
async fn customized_names_are_mapped_both_ways() {
    let pg = TestCluster::start("app").await;
    let s = engine(&pg).await;
    let remote = Remote::start(
        json!({"data": {"hi": {"g_text": "Hi", "__typename": "Greeting"}, "__typename": "Query"}}),
    );
    let (status, body) = metadata(&s, json!({"type": "add_remote_schema", "args": {"name": "greetings", "definition": {
        "url": remote.url, "customization": {"root_fields_namespace": "ext", "type_names": {"prefix": "R_"},
            "field_names": [{"parent_type": "Greeting", "prefix": "g_"}, {"parent_type": "Query", "mapping": {"greet": "salute"}}]}}}})).await;
    assert_eq!(status, 200, "{body}");
    let query = "{ ext { __typename hi: salute(name: \"x\") { ... on R_Greeting { g_text __typename } } } item { id } }";
    let (_, body) = s.post("/v1/graphql", &json!({"query": query}), &[]).await;
    assert_eq!(
        body,
        json!({"data": {"ext": {"hi": {"g_text": "Hi", "__typename": "R_Greeting"}, "__typename": "R_Query"}, "item": [{"id": 1}]}})
    );
    let q: Value = serde_json::from_str(&remote.last().body).unwrap();
    let q = q["query"].as_str().unwrap().to_string();
    assert!(
        q.contains("... on Greeting")
            && q.contains("hi: greet(name: \"x\")")
            && q.contains("g_text: text")
            && !q.contains("R_")
            && !q.contains("ext {"),
        "{q}"
    );
    let (_, types) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ __type(name: \"R_Greeting\") { fields { name } } }"}),
            &[],
        )
        .await;
    assert_eq!(
        types["data"]["__type"]["fields"].as_array().unwrap().len(),
        2,
        "{types}"
    );
}

#[tokio::test]
async fn a_failing_remote_costs_only_its_part() {
    let pg = TestCluster::start("app").await;
    let s = engine(&pg).await;
    let mut remote = Remote::start(json!({"data": {"r": 7}}));
    let (status, body) = metadata(
        &s,
        json!({"type": "add_remote_schema", "args": {"name": "numbers", "definition": {
        "url": remote.url, "timeout_seconds": 1}}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let query = json!({"query": "{ r: echo(v: 7) item { id } }"});
    let (_, body) = s.post("/v1/graphql", &query, &[]).await;
    assert_eq!(body, json!({"data": {"r": 7, "item": [{"id": 1}]}}));

    // The remote's own errors come back with their paths.
    remote.mode.store(ERRORS, Ordering::SeqCst);
    let (_, body) = s.post("/v1/graphql", &query, &[]).await;
    assert_eq!(
        body["data"],
        json!({"r": null, "item": [{"id": 1}]}),
        "{body}"
    );
    assert_eq!(
        body["errors"],
        json!([{"message": "no greeting today", "path": ["r"]}])
    );

    for (mode, needle) in [(GARBAGE, "invalid JSON"), (SLOW, "within 1 s")] {
        remote.mode.store(mode, Ordering::SeqCst);
        let started = Instant::now();
        let (status, body) = s.post("/v1/graphql", &query, &[]).await;
        assert_eq!(status, 200);
        assert_eq!(
            body["data"],
            json!({"r": null, "item": [{"id": 1}]}),
            "{body}"
        );
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "remote-schema-error",
            "{body}"
        );
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(needle),
            "{body}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{:?}",
            started.elapsed()
        );
    }

    // Down: the part fails, the server keeps serving; at restart it is an inconsistency.
    remote.stop();
    let (_, body) = s.post("/v1/graphql", &query, &[]).await;
    assert_eq!(body["data"]["item"], json!([{"id": 1}]), "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "remote-schema-error",
        "{body}"
    );
    let dir = s.into_dir();
    let s = TestServer::start_in(
        Path::new(BIN),
        &["--database-url", &pg.url("app")],
        &[],
        rasura_cluster::free_port().unwrap(),
        dir,
    )
    .await;
    let (_, body) = s
        .post("/v1/graphql", &json!({"query": "{ item { id } }"}), &[])
        .await;
    assert_eq!(body, json!({"data": {"item": [{"id": 1}]}}));
    let (_, report) = metadata(&s, json!({"type": "get_inconsistent_metadata", "args": {}})).await;
    assert_eq!(report["is_consistent"], false, "{report}");
    assert_eq!(
        report["inconsistent_objects"][0]["type"], "remote_schema",
        "{report}"
    );
    // Adding an unreachable remote is refused.
    let (status, body) = metadata(
        &s,
        json!({"type": "add_remote_schema", "args": {"name": "gone", "definition": {
        "url": remote.url, "timeout_seconds": 1}}}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("remote-schema-error")),
        "{body}"
    );
}

#[tokio::test]
async fn the_tutorial_hello_remote_schema_through_the_python_backend() {
    let pg = TestCluster::start("app").await;
    let s = TestServer::start(Path::new(BIN), &["--database-url", &pg.url("app")], &[]).await;
    let Some(backend) = rasura_test_support::PythonBackend::start(&s.url("/v1/graphql")).await
    else {
        eprintln!("skipped: ../shared/interop/seed-python-backend not found");
        return;
    };
    let (status, body) = metadata(&s, json!({"type": "bulk", "args": [
        {"type": "run_sql", "args": {"sql": "CREATE TABLE \"user\" (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL); INSERT INTO \"user\" (name) VALUES ('Ada')"}},
        {"type": "pg_track_table", "args": {"table": "user"}},
        {"type": "add_remote_schema", "args": {"name": "hello", "definition": {"url": backend.url("/graphql"), "timeout_seconds": 60}}}
    ]})).await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = s
        .post("/v1/graphql", &json!({"query": "{ hello }"}), &[])
        .await;
    assert_eq!(body, json!({"data": {"hello": "Hello World"}}));
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ hello user { name } }"}),
            &[],
        )
        .await;
    assert_eq!(
        body,
        json!({"data": {"hello": "Hello World", "user": [{"name": "Ada"}]}})
    );
}

#[tokio::test]
async fn roles_see_only_their_part_with_presets_filled_in() {
    let pg = TestCluster::start("app").await;
    let s = TestServer::start(
        Path::new(BIN),
        &["--database-url", &pg.url("app"), "--admin-secret", "adm"],
        &[("HASURA_GRAPHQL_ENABLE_REMOTE_SCHEMA_PERMISSIONS", "true")],
    )
    .await;
    let admin = [("x-hasura-admin-secret", "adm")];
    let remote = Remote::start(json!({"data": {"greet": {"text": "Hello 42"}}}));
    let (status, body) = s
        .post("/v1/metadata", &json!({"type": "add_remote_schema", "args": {"name": "greetings", "definition": {"url": remote.url}}}), &admin)
        .await;
    assert_eq!(status, 200, "{body}");
    let perm = "type Query { greet(name: String! @preset(value: \"x-hasura-user-id\")): Greeting }\ntype Greeting { text: String! }";
    let (status, body) = s
        .post("/v1/metadata", &json!({"type": "add_remote_schema_permissions", "args": {"remote_schema": "greetings", "role": "user", "definition": {"schema": perm}}}), &admin)
        .await;
    assert_eq!(status, 200, "{body}");
    // A permission naming what the remote lacks is refused.
    let (status, body) = s
        .post("/v1/metadata", &json!({"type": "add_remote_schema_permissions", "args": {"remote_schema": "greetings", "role": "other",
            "definition": {"schema": "type Query { nope: String }"}}}), &admin)
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("validation-failed")),
        "{body}"
    );

    let user = [
        ("x-hasura-admin-secret", "adm"),
        ("x-hasura-role", "user"),
        ("x-hasura-user-id", "42"),
    ];
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ greet { text } }"}),
            &user,
        )
        .await;
    assert_eq!(body, json!({"data": {"greet": {"text": "Hello 42"}}}));
    let q: Value = serde_json::from_str(&remote.last().body).unwrap();
    assert!(
        q["query"].as_str().unwrap().contains("greet(name: \"42\")"),
        "{q}"
    );
    for hidden in [
        "{ echo(v: 1) }",
        "{ greet { lang } }",
        "{ greet(name: \"x\") { text } }",
    ] {
        let (_, body) = s
            .post("/v1/graphql", &json!({"query": hidden}), &user)
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "validation-failed",
            "{hidden}: {body}"
        );
    }
    let stranger = [
        ("x-hasura-admin-secret", "adm"),
        ("x-hasura-role", "stranger"),
    ];
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ greet { text } }"}),
            &stranger,
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "validation-failed",
        "{body}"
    );
    let (_, body) = s
        .post("/v1/graphql", &json!({"query": "{ echo(v: 1) }"}), &admin)
        .await;
    assert!(
        body.get("errors").is_none(),
        "admin sees everything: {body}"
    );
}

#[tokio::test]
async fn remote_relationships_join_rows_in_one_batched_call() {
    let pg = TestCluster::start("app").await;
    let s = engine(&pg).await;
    // Answers `r<i>: greet(name: "<x>") { ... }` with "Hello <x>" for each alias.
    let remote = Remote::start_with(|body| {
        let q = body["query"].as_str().unwrap_or_default();
        let mut data = serde_json::Map::new();
        for i in 0.. {
            let marker = format!("r{i}: greet(name: \"");
            let Some(at) = q.find(&marker) else { break };
            let rest = &q[at + marker.len()..];
            let name = &rest[..rest.find('"').unwrap()];
            let mut answer = json!({"text": format!("Hello {name}")});
            if q.contains("__typename") {
                answer["__typename"] = json!("Greeting");
            }
            data.insert(format!("r{i}"), answer);
        }
        json!({"data": data})
    });
    let (status, body) = metadata(&s, json!({"type": "bulk", "args": [
        {"type": "run_sql", "args": {"sql": "INSERT INTO item (name) VALUES ('two'), ('one')"}},
        {"type": "add_remote_schema", "args": {"name": "greetings", "definition": {"url": remote.url}}},
        {"type": "pg_create_remote_relationship", "args": {"table": "item", "name": "greeting", "definition": {"to_remote_schema": {
            "remote_schema": "greetings", "lhs_fields": ["name"], "remote_field": {"greet": {"arguments": {"name": "$name"}}}}}}}
    ]})).await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ item(order_by: {id: asc}) { id greeting { text __typename } } }"}),
            &[],
        )
        .await;
    assert_eq!(
        body,
        json!({"data": {"item": [
            {"id": 1, "greeting": {"text": "Hello one", "__typename": "Greeting"}},
            {"id": 2, "greeting": {"text": "Hello two", "__typename": "Greeting"}},
            {"id": 3, "greeting": {"text": "Hello one", "__typename": "Greeting"}}]}})
    );
    // Three rows, two distinct names: one call with two aliased copies of the field.
    let calls = remote.seen.lock().unwrap().len();
    assert_eq!(calls, 1);
    let q: Value = serde_json::from_str(&remote.last().body).unwrap();
    let q = q["query"].as_str().unwrap();
    assert!(
        q.contains("r0: greet") && q.contains("r1: greet") && !q.contains("r2:"),
        "{q}"
    );
    // The join column is not added to the answer when not asked for; by_pk works too.
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ item_by_pk(id: 2) { greeting { text } } }"}),
            &[],
        )
        .await;
    assert_eq!(
        body,
        json!({"data": {"item_by_pk": {"greeting": {"text": "Hello two"}}}})
    );
    // A relationship to a field the remote lacks is refused.
    let (status, body) = metadata(&s, json!({"type": "pg_create_remote_relationship", "args": {"table": "item", "name": "nope", "definition": {"to_remote_schema": {
        "remote_schema": "greetings", "lhs_fields": ["name"], "remote_field": {"missing": {"arguments": {}}}}}}})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("constraint-violation")),
        "{body}"
    );
}

/// Without remote schema permissions enabled, adding one is refused as Hasura refuses it
/// (kept, it would do nothing: every role sees every remote).
#[tokio::test]
async fn remote_schema_permissions_need_the_setting() {
    let pg = TestCluster::start("app").await;
    let s = TestServer::start(Path::new(BIN), &["--database-url", &pg.url("app")], &[]).await;
    let remote = Remote::start(json!({"data": {"greet": {"text": "Hello"}}}));
    let (status, body) = s
        .post("/v1/metadata", &json!({"type": "add_remote_schema", "args": {"name": "greetings", "definition": {"url": remote.url}}}), &[])
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = s
        .post("/v1/metadata", &json!({"type": "add_remote_schema_permissions", "args": {"remote_schema": "greetings", "role": "user",
            "definition": {"schema": "type Query { greet: String }"}}}), &[])
        .await;
    assert_eq!(
        (status, &body["code"]),
        (400, &json!("constraint-violation")),
        "{body}"
    );
    assert_eq!(
        body["error"],
        "remote schema permissions can only be added when remote schema permissions are enabled in the graphql-engine"
    );
}
