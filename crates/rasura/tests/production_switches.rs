//! The switches Hasura deployments set in production: CORS, the enabled APIs, and introspection
//! turned off for some roles; each through the real binary.

use std::path::Path;

use rasura_test_support::{TestCluster, TestServer};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

async fn server(pg: &TestCluster, extra: &[&str], env: &[(&str, &str)]) -> TestServer {
    let url = pg.url("app");
    let mut args = vec!["--database-url", url.as_str(), "--admin-secret", "adm"];
    args.extend_from_slice(extra);
    TestServer::start(Path::new(BIN), &args, env).await
}

/// Sends `method` to `path` with `headers`; returns the status and the response headers.
async fn request(
    s: &TestServer,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap) {
    let mut req = s.http.request(method.clone(), s.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if method == reqwest::Method::POST {
        req = req
            .header("x-hasura-admin-secret", "adm")
            .body(json!({"query": "{ __typename }"}).to_string());
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.headers().clone())
}

fn header<'a>(h: &'a reqwest::header::HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn cors_answers_preflights_and_marks_allowed_origins() {
    let pg = TestCluster::start("app").await;
    // Default `*`: any origin is echoed back, with credentials.
    let s = server(&pg, &[], &[]).await;
    let preflight = [
        ("origin", "https://app.example.com"),
        ("access-control-request-method", "POST"),
        (
            "access-control-request-headers",
            "content-type,x-hasura-role",
        ),
    ];
    let (status, h) = request(&s, reqwest::Method::OPTIONS, "/v1/graphql", &preflight).await;
    assert_eq!(status, 204);
    assert_eq!(
        header(&h, "access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert_eq!(header(&h, "access-control-allow-credentials"), Some("true"));
    assert_eq!(
        header(&h, "access-control-allow-methods"),
        Some("GET,POST,PUT,PATCH,DELETE,OPTIONS")
    );
    assert_eq!(
        header(&h, "access-control-allow-headers"),
        Some("content-type,x-hasura-role")
    );
    assert_eq!(header(&h, "access-control-max-age"), Some("1728000"));
    let (status, h) = request(
        &s,
        reqwest::Method::POST,
        "/v1/graphql",
        &[("origin", "https://app.example.com")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        header(&h, "access-control-allow-origin"),
        Some("https://app.example.com")
    );
    drop(s);
    // A list: only matching origins get the headers.
    let s = server(
        &pg,
        &[],
        &[(
            "HASURA_GRAPHQL_CORS_DOMAIN",
            "https://*.example.com, http://localhost:3000",
        )],
    )
    .await;
    for (origin, allowed) in [
        ("https://app.example.com", true),
        ("http://localhost:3000", true),
        ("https://example.com", false),
        ("https://a.b.example.com", false),
        ("http://evil.test", false),
    ] {
        let (_, h) = request(
            &s,
            reqwest::Method::POST,
            "/v1/graphql",
            &[("origin", origin)],
        )
        .await;
        assert_eq!(
            header(&h, "access-control-allow-origin").is_some(),
            allowed,
            "{origin}"
        );
    }
    drop(s);
    // Disabled: no CORS header at all, and no preflight answer.
    let s = server(&pg, &[], &[("HASURA_GRAPHQL_DISABLE_CORS", "true")]).await;
    let (status, h) = request(&s, reqwest::Method::OPTIONS, "/v1/graphql", &preflight).await;
    assert_ne!(status, 204);
    assert!(header(&h, "access-control-allow-origin").is_none());
    // A bad domain list stops the server at start, saying why.
    let out = std::process::Command::new(BIN)
        .args([
            "serve",
            "--host",
            "127.0.0.1",
            "--database-url",
            &pg.url("app"),
        ])
        .env("HASURA_GRAPHQL_CORS_DOMAIN", "example.com")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid domain"));
}

#[tokio::test]
async fn disabled_apis_answer_not_found() {
    let pg = TestCluster::start("app").await;
    let s = server(&pg, &[], &[("HASURA_GRAPHQL_ENABLED_APIS", "graphql")]).await;
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "export_metadata", "args": {}}),
            &[("x-hasura-admin-secret", "adm")],
        )
        .await;
    assert_eq!(
        (status, body),
        (
            404,
            json!({"path": "$", "error": "resource does not exist", "code": "not-found"})
        )
    );
    let (status, _) = request(&s, reqwest::Method::POST, "/v1/graphql", &[]).await;
    assert_eq!(status, 200);
    drop(s);
    // By default (as Hasura): no developer API; metadata and GraphQL served.
    let s = server(&pg, &[], &[]).await;
    let (status, _) = request(
        &s,
        reqwest::Method::GET,
        "/dev/subscriptions",
        &[("x-hasura-admin-secret", "adm")],
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = s
        .post(
            "/v1/metadata",
            &json!({"type": "export_metadata", "args": {}}),
            &[("x-hasura-admin-secret", "adm")],
        )
        .await;
    assert_eq!(status, 200);
    drop(s);
    let out = std::process::Command::new(BIN)
        .args([
            "serve",
            "--host",
            "127.0.0.1",
            "--database-url",
            &pg.url("app"),
        ])
        .env("HASURA_GRAPHQL_ENABLED_APIS", "graphql,nonsense")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Only expecting list"));
}

#[tokio::test]
async fn introspection_can_be_disabled_per_role() {
    let pg = TestCluster::start("app").await;
    let s = server(&pg, &[], &[]).await;
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "bulk", "args": [
                {"type": "run_sql", "args": {"sql": "create table item (id serial primary key)"}},
                {"type": "pg_track_table", "args": {"table": "item"}},
                {"type": "pg_create_select_permission", "args": {"table": "item", "role": "user", "permission": {"columns": ["id"], "filter": {}}}},
                {"type": "pg_create_select_permission", "args": {"table": "item", "role": "editor", "permission": {"columns": ["id"], "filter": {}}}},
                {"type": "set_graphql_schema_introspection_options", "args": {"disabled_for_roles": ["user"]}}
            ]}),
            &[("x-hasura-admin-secret", "adm")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let ask = |role: &'static str, query: &'static str| {
        let s = &s;
        async move {
            s.post(
                "/v1/graphql",
                &json!({"query": query}),
                &[("x-hasura-admin-secret", "adm"), ("x-hasura-role", role)],
            )
            .await
            .1
        }
    };
    for q in [
        "{ __schema { queryType { name } } }",
        "{ __type(name: \"item\") { name } }",
    ] {
        assert_eq!(
            ask("user", q).await,
            json!({"errors": [{"message": "introspection is disabled for role: \"user\"", "extensions": {"path": "$", "code": "not-supported"}}]})
        );
        assert!(ask("editor", q).await.get("data").is_some());
    }
    assert_eq!(
        ask("user", "{ __typename item { id } }").await,
        json!({"data": {"__typename": "query_root", "item": []}})
    );
    let (_, export) = s
        .post(
            "/v1/metadata",
            &json!({"type": "export_metadata", "args": {}}),
            &[("x-hasura-admin-secret", "adm")],
        )
        .await;
    assert_eq!(
        export["graphql_schema_introspection"],
        json!({"disabled_for_roles": ["user"]})
    );
}

#[tokio::test]
async fn a_websocket_from_an_origin_outside_the_cors_domains_is_refused() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let pg = TestCluster::start("app").await;
    let s = server(
        &pg,
        &[],
        &[("HASURA_GRAPHQL_CORS_DOMAIN", "https://app.example.com")],
    )
    .await;
    let connect = |origin: &'static str| {
        let port = s.port;
        async move {
            let mut req = format!("ws://127.0.0.1:{port}/v1/graphql")
                .into_client_request()
                .unwrap();
            req.headers_mut().insert(
                "sec-websocket-protocol",
                "graphql-transport-ws".parse().unwrap(),
            );
            req.headers_mut().insert("origin", origin.parse().unwrap());
            tokio_tungstenite::connect_async(req).await
        }
    };
    match connect("https://evil.example").await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status(), 400)
        }
        other => panic!("expected a refused handshake, got {:?}", other.map(|_| ())),
    }
    assert!(connect("https://app.example.com").await.is_ok());
}
