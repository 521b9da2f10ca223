//! Actions end to end: the tutorial's handler over real HTTP, and every failure mode of a
//! handler against a real local HTTP server.

use std::path::Path;
use std::time::Duration;

use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

/// A handler that answers by action name (read from the body Rasura sends).
async fn start_handler() -> String {
    rasura_test_support::http_stub(|req| async move {
        let payload: Value = serde_json::from_str(&req.body).unwrap_or_default();
        let name = payload["action"]["name"].as_str().unwrap_or_default().to_string();
        let ok = |v: Value| (200, vec![], v.to_string());
        match name.as_str() {
            // Echoes what it was sent, so the test can check Hasura's payload.
            "echo" => ok(json!({"input": payload["input"].to_string(), "role": payload["session_variables"]["x-hasura-role"], "has_query": payload["request_query"].is_string()})),
            "declined" => (400, vec![], json!({"message": "card declined", "extensions": {"code": "PAYMENT", "retry": false}}).to_string()),
            "plain_4xx" => (400, vec![], json!({"message": "nope", "code": "my-code"}).to_string()),
            "no_message" => (400, vec![], json!({"oops": 1}).to_string()),
            "server_error" => (500, vec![], json!({"message": "boom"}).to_string()),
            "not_json" => (200, vec![], "<html>hi</html>".to_string()),
            "missing_field" => ok(json!({"role": "x"})),
            "extra_field" => ok(json!({"input": "a", "role": "b", "has_query": true, "secret": 1})),
            "array" => ok(json!([{"input": "a", "role": "b", "has_query": true}])),
            "slow" => {
                tokio::time::sleep(Duration::from_secs(5)).await;
                ok(json!({"input": "a", "role": "b", "has_query": true}))
            }
            _ => (404, vec![], "{}".to_string()),
        }
    })
    .await
}

async fn server() -> (TestCluster, TestServer) {
    let pg = TestCluster::start("app").await;
    let server = TestServer::start(Path::new(BIN), &["--database-url", &pg.url("app")], &[]).await;
    (pg, server)
}

async fn define(s: &TestServer, actions: &[(&str, String, u64)]) {
    let mut ops = vec![json!({"type": "set_custom_types", "args": {
        "objects": [{"name": "EchoOut", "fields": [{"name": "input", "type": "String!"}, {"name": "role", "type": "String"}, {"name": "has_query", "type": "Boolean!"}]}],
        "input_objects": [{"name": "Item", "fields": [{"name": "sku", "type": "String!"}, {"name": "qty", "type": "Int"}]}]
    }})];
    for (name, handler, timeout) in actions {
        ops.push(json!({"type": "create_action", "args": {"name": name, "definition": {
            "kind": "synchronous", "type": "mutation", "output_type": "EchoOut", "handler": handler, "timeout": timeout,
            "arguments": [{"name": "items", "type": "[Item!]"}, {"name": "note", "type": "String"}]}}}));
    }
    let (status, body) = s
        .post("/v1/metadata", &json!({"type": "bulk", "args": ops}), &[])
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn handler_failures_are_clear_graphql_errors() {
    let (_pg, s) = server().await;
    let h = start_handler().await;
    let names = [
        "echo",
        "declined",
        "plain_4xx",
        "no_message",
        "server_error",
        "not_json",
        "missing_field",
        "extra_field",
        "array",
        "slow",
    ];
    let mut actions: Vec<(&str, String, u64)> =
        names.iter().map(|n| (*n, format!("{h}/{n}"), 1)).collect();
    actions.push(("refused", "http://127.0.0.1:9/nothing".to_string(), 1));
    define(&s, &actions).await;
    let call = |name: &str| json!({"query": format!("mutation($i: [Item!]) {{ {name}(items: $i, note: \"n\") {{ input role has_query }} }}"), "variables": {"i": [{"sku": "A", "qty": 2}]}});

    let (_, body) = s.post("/v1/graphql", &call("echo"), &[]).await;
    assert_eq!(body["data"]["echo"]["role"], "admin", "{body}");
    assert_eq!(body["data"]["echo"]["has_query"], true);
    assert_eq!(
        serde_json::from_str::<Value>(body["data"]["echo"]["input"].as_str().unwrap()).unwrap(),
        json!({"items": [{"sku": "A", "qty": 2}], "note": "n"})
    );

    let (_, body) = s.post("/v1/graphql", &call("declined"), &[]).await;
    assert_eq!(
        body,
        json!({"errors": [{"message": "card declined", "extensions": {"code": "PAYMENT", "retry": false}}]})
    );
    let (_, body) = s.post("/v1/graphql", &call("plain_4xx"), &[]).await;
    assert_eq!(
        body,
        json!({"errors": [{"message": "nope", "extensions": {"path": "$", "code": "my-code"}}]})
    );

    let expect = [
        ("no_message", "parse-failed", ""),
        ("server_error", "unexpected", "internal error"),
        (
            "not_json",
            "unexpected",
            "not a valid json response from webhook",
        ),
        (
            "missing_field",
            "unexpected",
            "field \"input\" expected in webhook response, but not found",
        ),
        (
            "extra_field",
            "unexpected",
            "unexpected fields in webhook response: secret",
        ),
        (
            "array",
            "unexpected",
            "expecting object for action webhook response but got array",
        ),
        ("slow", "unexpected", "http exception when calling webhook"),
        (
            "refused",
            "unexpected",
            "http exception when calling webhook",
        ),
    ];
    for (name, code, message) in expect {
        let started = std::time::Instant::now();
        let (status, body) = s.post("/v1/graphql", &call(name), &[]).await;
        assert_eq!(status, 200);
        assert_eq!(
            body["errors"][0]["extensions"]["code"], code,
            "{name}: {body}"
        );
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(message),
            "{name}: {body}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{name} took {:?}",
            started.elapsed()
        );
    }
    // The server is fine afterwards.
    let (_, body) = s.post("/v1/graphql", &call("echo"), &[]).await;
    assert!(body.get("data").is_some(), "{body}");
}

#[tokio::test]
async fn the_tutorial_login_action_through_the_python_backend() {
    let (_pg, s) = server().await;
    let Some(backend) = rasura_test_support::PythonBackend::start(&s.url("/v1/graphql")).await
    else {
        eprintln!("skipped: ../shared/interop/seed-python-backend not found");
        return;
    };
    let port = backend.port;
    let setup = json!({"type": "bulk", "args": [
        {"type": "set_custom_types", "args": {"objects": [{"name": "LoginResponse", "fields": [{"name": "AccessToken", "type": "String!"}]}]}},
        {"type": "create_action", "args": {"name": "login", "definition": {"kind": "synchronous", "type": "mutation",
            "arguments": [{"name": "username", "type": "String!"}, {"name": "password", "type": "String!"}],
            "output_type": "LoginResponse", "handler": format!("http://127.0.0.1:{port}/login")}}}
    ]});
    assert_eq!(s.post("/v1/metadata", &setup, &[]).await.0, 200);
    let (_, body) = s
        .post("/v1/graphql", &json!({"query": "mutation { login(username: \"username\", password: \"password\") { AccessToken } }"}), &[])
        .await;
    drop(backend);
    assert_eq!(
        body,
        json!({"data": {"login": {"AccessToken": "<sample value>"}}})
    );
}

#[tokio::test]
async fn asynchronous_actions_store_their_results() {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let s = TestServer::start(Path::new(BIN), &["--database-url", &url], &[]).await;
    let h = start_handler().await;
    define(&s, &[]).await;
    let create = json!({"type": "create_action", "args": {"name": "echo", "definition": {
        "kind": "asynchronous", "type": "mutation", "output_type": "EchoOut", "handler": format!("{h}/echo"),
        "arguments": [{"name": "note", "type": "String"}]}}});
    assert_eq!(s.post("/v1/metadata", &create, &[]).await.0, 200);
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "mutation { echo(note: \"later\") }"}),
            &[],
        )
        .await;
    let id = body["data"]["echo"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_string();
    let read = json!({"query": "query($id: uuid!) { echo(id: $id) { id errors output { input role has_query } } }", "variables": {"id": id}});
    let mut result = Value::Null;
    for _ in 0..100 {
        let (_, body) = s.post("/v1/graphql", &read, &[]).await;
        if !body["data"]["echo"]["output"].is_null() {
            result = body;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let output = &result["data"]["echo"]["output"];
    assert_eq!(output["role"], "admin", "{result}");
    // Asynchronous calls carry no request_query.
    assert_eq!(output["has_query"], false, "{result}");
    assert_eq!(
        serde_json::from_str::<Value>(output["input"].as_str().unwrap()).unwrap(),
        json!({"note": "later"})
    );
    // The stored result outlives the engine.
    let port = s.port;
    let dir = s.into_dir();
    let s = TestServer::start_in(Path::new(BIN), &["--database-url", &url], &[], port, dir).await;
    let (_, again) = s.post("/v1/graphql", &read, &[]).await;
    assert_eq!(again, result);
}

#[tokio::test]
async fn only_permitted_roles_see_an_action() {
    let (_pg, s) = server().await;
    let h = start_handler().await;
    define(&s, &[("echo", format!("{h}/echo"), 5)]).await;
    let grant =
        json!({"type": "create_action_permission", "args": {"action": "echo", "role": "user"}});
    assert_eq!(s.post("/v1/metadata", &grant, &[]).await.0, 200);
    let q = json!({"query": "mutation { echo(note: \"x\") { role } }"});
    let (_, body) = s
        .post(
            "/v1/graphql",
            &q,
            &[("x-hasura-role", "user"), ("x-hasura-user-id", "5")],
        )
        .await;
    assert_eq!(body, json!({"data": {"echo": {"role": "user"}}}));
    let (_, body) = s
        .post("/v1/graphql", &q, &[("x-hasura-role", "guest")])
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "validation-failed",
        "{body}"
    );
    let drop =
        json!({"type": "drop_action_permission", "args": {"action": "echo", "role": "user"}});
    assert_eq!(s.post("/v1/metadata", &drop, &[]).await.0, 200);
    let (_, body) = s
        .post("/v1/graphql", &q, &[("x-hasura-role", "user")])
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "validation-failed",
        "{body}"
    );
}

#[tokio::test]
async fn action_outputs_join_tables_through_relationships() {
    let (_pg, s) = server().await;
    let h = rasura_test_support::http_stub(|_| async {
        (200, vec![], json!({"id": 7, "account_id": 2}).to_string())
    })
    .await;
    let setup = json!({"type": "bulk", "args": [
        {"type": "run_sql", "args": {"sql": "create table account (id int primary key, email text, owner int); insert into account values (1, 'a@x', 7), (2, 'b@x', 7), (3, 'c@x', 8)"}},
        {"type": "pg_track_table", "args": {"table": "account"}},
        {"type": "set_custom_types", "args": {"objects": [{"name": "Who", "fields": [{"name": "id", "type": "Int!"}, {"name": "account_id", "type": "Int"}],
            "relationships": [
                {"name": "account", "type": "object", "remote_table": "account", "field_mapping": {"account_id": "id"}},
                {"name": "owned", "type": "array", "remote_table": {"schema": "public", "name": "account"}, "field_mapping": {"id": "owner"}}
            ]}]}},
        {"type": "create_action", "args": {"name": "who", "definition": {"type": "query", "output_type": "Who", "handler": format!("{h}/who")}}}
    ]});
    let (status, body) = s.post("/v1/metadata", &setup, &[]).await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = s
        .post("/v1/graphql", &json!({"query": "{ who { id account { email } owned(order_by: {id: desc}) { id } } }"}), &[])
        .await;
    assert_eq!(
        body,
        json!({"data": {"who": {"id": 7, "account": {"email": "b@x"}, "owned": [{"id": 2}, {"id": 1}]}}})
    );
    // Relationships that do not fit are refused with Hasura's words, and nothing changes.
    let who = |rel: serde_json::Value| {
        json!({"type": "set_custom_types", "args": {"objects": [{"name": "Who",
            "fields": [{"name": "id", "type": "Int!"}, {"name": "account_id", "type": "Int"}],
            "relationships": [rel]}]}})
    };
    for (rel, error) in [
        (
            json!({"name": "account", "type": "object", "remote_table": "nosuch", "field_mapping": {"account_id": "id"}}),
            "the remote table \"nosuch\" for relationship \"account\" of object type \"Who\" does not exist",
        ),
        (
            json!({"name": "account", "type": "object", "remote_table": "account", "field_mapping": {"nofield": "id"}}),
            "the field \"nofield\" for relationship \"account\" in object type \"Who\" does not exist",
        ),
        (
            json!({"name": "owned", "type": "array", "remote_table": "account", "field_mapping": {"id": "nocolumn"}}),
            "the column \"nocolumn\" of remote table \"account\" for relationship \"owned\" of object type \"Who\" does not exist",
        ),
    ] {
        let (status, body) = s.post("/v1/metadata", &who(rel), &[]).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["code"], "constraint-violation", "{body}");
        assert_eq!(
            body["error"],
            format!("validation for the given custom types failed because {error}"),
            "{body}"
        );
    }
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ who { account { email } } }"}),
            &[],
        )
        .await;
    assert_eq!(
        body,
        json!({"data": {"who": {"account": {"email": "b@x"}}}})
    );
    // The table an action's relationship reaches cannot be untracked from under it, even with
    // cascade (the custom types are no dependent to drop).
    for cascade in [false, true] {
        let (status, body) = s
            .post(
                "/v1/metadata",
                &json!({"type": "pg_untrack_table", "args": {"table": "account", "cascade": cascade}}),
                &[],
            )
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["code"], "constraint-violation", "{body}");
        assert!(
            body["error"]
                .as_str()
                .is_some_and(|e| e.contains("the remote table \"account\"")),
            "{body}"
        );
    }
}

/// A request transform reshapes the handler call: method, URL (from `{{$base_url}}`), query
/// parameters, headers and a Kriti body built from the action's input and session.
#[tokio::test]
async fn a_request_transform_reshapes_the_handler_call() {
    let (_pg, s) = server().await;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(vec![]));
    let log = seen.clone();
    let h = rasura_test_support::http_stub(move |req| {
        log.lock().unwrap().push(req);
        async { (200, vec![], json!({"id": 7, "name": "ok"}).to_string()) }
    })
    .await;
    let setup = json!({"type": "bulk", "args": [
        {"type": "set_custom_types", "args": {"objects": [{"name": "Out", "fields": [{"name": "id", "type": "Int!"}, {"name": "name", "type": "String"}]}]}},
        {"type": "create_action", "args": {"name": "make", "definition": {
            "type": "mutation", "output_type": "Out", "handler": h.clone(),
            "arguments": [{"name": "title", "type": "String!"}],
            "request_transform": {
                "version": 2, "template_engine": "Kriti", "method": "PUT",
                "url": "{{$base_url}}/items",
                "query_params": {"by": "{{$session_variables['x-hasura-user-id']}}"},
                "request_headers": {"add_headers": {"x-kind": "make"}, "remove_headers": []},
                "body": {"action": "transform", "template": "{\"name\": {{$body.input.title}}, \"upper\": {{toUpper($body.input.title)}}}"}
            }}}},
        {"type": "create_action_permission", "args": {"action": "make", "role": "user"}}
    ]});
    let (status, body) = s.post("/v1/metadata", &setup, &[]).await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "mutation { make(title: \"box\") { id name } }"}),
            &[("x-hasura-role", "user"), ("x-hasura-user-id", "42")],
        )
        .await;
    assert_eq!(body, json!({"data": {"make": {"id": 7, "name": "ok"}}}));
    let req = seen.lock().unwrap()[0].clone();
    assert_eq!(req.method, "PUT");
    assert_eq!(req.path, "/items?by=42");
    assert_eq!(req.header("x-kind"), Some("make"));
    let sent: serde_json::Value = serde_json::from_str(&req.body).unwrap();
    assert_eq!(sent, json!({"name": "box", "upper": "BOX"}));
    // A body template that does not parse is refused when the action is made.
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "create_action", "args": {"name": "bad", "definition": {
                "type": "mutation", "output_type": "Out", "handler": h,
                "request_transform": {"version": 2, "body": {"action": "transform", "template": "{{ $body.x "}}}}}),
            &[],
        )
        .await;
    assert_eq!(status, 400, "{body}");
}
