//! Actions' response transforms end to end, against a real local HTTP handler: the handler's
//! answer reshaped into the output type, a 4xx answer reshaped into Hasura's `{message}`
//! error, an answer that is not JSON seen as null, a transform that fails at run time, and one
//! that does not parse refused when the action is made.

use std::path::Path;

use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

/// A handler answering in its own shapes, by path.
async fn start_handler() -> String {
    rasura_test_support::http_stub(|req| async move {
        let answer = match req.path.split('?').next().unwrap_or_default() {
            "/user" => (
                200,
                json!({"data": {"user": {"user_id": 5, "full_name": "Ann"}}}).to_string(),
            ),
            "/declined" => (422, json!({"error": {"text": "card declined"}}).to_string()),
            "/html" => (200, "<html>hi</html>".to_string()),
            _ => (200, json!({"data": {}}).to_string()),
        };
        (answer.0, vec![], answer.1)
    })
    .await
}

fn action(name: &str, handler: String, extra: Value) -> Value {
    let mut definition = json!({
        "kind": "synchronous", "type": "mutation", "output_type": "Out", "handler": handler,
        "arguments": [{"name": "title", "type": "String"}],
    });
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        definition[k] = v;
    }
    json!({"type": "create_action", "args": {"name": name, "definition": definition}})
}

#[tokio::test]
async fn response_transforms_reshape_the_handler_answer() {
    let pg = TestCluster::start("app").await;
    let s = TestServer::start(Path::new(BIN), &["--database-url", &pg.url("app")], &[]).await;
    let h = start_handler().await;
    let to_out = "{\"id\": {{$body.data.user.user_id}}, \"name\": {{$body.data.user.full_name}}, \"status\": {{$response.status}}}";
    let setup = json!({"type": "bulk", "args": [
        {"type": "set_custom_types", "args": {"objects": [{"name": "Out", "fields": [
            {"name": "id", "type": "Int!"}, {"name": "name", "type": "String"},
            {"name": "status", "type": "Int"}, {"name": "who", "type": "String"}]}]}},
        // Version 1: the body is the template.
        action("get_user", format!("{h}/user"), json!({"response_transform": {"body": to_out}})),
        // Version 2, after a request transform: `$request` is the sent request's context,
        // and getSessionVariable reads the caller's session.
        action("make", format!("{h}/user"), json!({
            "request_transform": {"version": 2, "url": "{{$base_url}}?by=me",
                "body": {"action": "transform", "template": "{\"t\": {{$body.input.title}}}"}},
            "response_transform": {"version": 2, "template_engine": "Kriti", "body": {"action": "transform",
                "template": "{\"id\": {{$body.data.user.user_id}}, \"name\": {{$request.body.body.t}}, \"who\": {{getSessionVariable(\"x-hasura-user-id\")}}, \"status\": {{length($request.url.query_params)}}}"}}
        })),
        // A 4xx answer is reshaped into Hasura's error object.
        action("pay", format!("{h}/declined"), json!({"response_transform": {"version": 2, "body": {"action": "transform",
            "template": "{{ if $response.status == 200 }} {\"id\": 1} {{ else }} {\"message\": {{$body.error.text}}} {{ end }}"}}})),
        // An answer that is not JSON is null to the template.
        action("page", format!("{h}/html"), json!({"response_transform": {"version": 2, "body": {"action": "transform",
            "template": "{\"id\": {{$response.status}}, \"name\": {{$body ?? \"not json\"}}}"}}})),
        // A transform that fails when it runs.
        action("broken", format!("{h}/other"), json!({"response_transform": {"body": to_out}})),
        {"type": "create_action_permission", "args": {"action": "make", "role": "user"}}
    ]});
    let (status, body) = s.post("/v1/metadata", &setup, &[]).await;
    assert_eq!(status, 200, "{body}");
    let call = |name: &str| json!({"query": format!("mutation {{ {name}(title: \"box\") {{ id name status who }} }}")});

    let (_, body) = s.post("/v1/graphql", &call("get_user"), &[]).await;
    assert_eq!(
        body,
        json!({"data": {"get_user": {"id": 5, "name": "Ann", "status": 200, "who": null}}})
    );

    let (_, body) = s
        .post(
            "/v1/graphql",
            &call("make"),
            &[("x-hasura-role", "user"), ("x-hasura-user-id", "42")],
        )
        .await;
    assert_eq!(
        body,
        json!({"data": {"make": {"id": 5, "name": "box", "status": 1, "who": "42"}}})
    );

    let (_, body) = s.post("/v1/graphql", &call("pay"), &[]).await;
    assert_eq!(
        body,
        json!({"errors": [{"message": "card declined", "extensions": {"path": "$", "code": "unexpected"}}]})
    );

    let (_, body) = s.post("/v1/graphql", &call("page"), &[]).await;
    assert_eq!(
        body,
        json!({"data": {"page": {"id": 200, "name": "not json", "status": null, "who": null}}})
    );

    let (_, body) = s.post("/v1/graphql", &call("broken"), &[]).await;
    let err = &body["errors"][0];
    assert_eq!(err["message"], "Response Transformation Failed", "{body}");
    assert_eq!(err["extensions"]["code"], "unexpected", "{body}");
    assert_eq!(err["extensions"]["path"], "$", "{body}");
    assert!(body.get("data").is_none_or(Value::is_null), "{body}");

    // A body template that does not parse is refused when the action is made.
    let (status, body) = s
        .post(
            "/v1/metadata",
            &action(
                "bad",
                h.clone(),
                json!({"response_transform": {"version": 2, "body": {"action": "transform", "template": "{{ $body.x "}}}),
            ),
            &[],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("response transform")),
        "{body}"
    );
}
