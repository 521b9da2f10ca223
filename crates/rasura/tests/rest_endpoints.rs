//! RESTified endpoints through the real binary: created from a query collection, called at
//! `/api/rest/<url>` with path, query-string and body variables, under the caller's role, with
//! Hasura's errors; bad definitions refused.

use std::path::Path;

use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");
const ADMIN: (&str, &str) = ("x-hasura-admin-secret", "adm");

async fn server(pg: &TestCluster) -> TestServer {
    let url = pg.url("app");
    let s = TestServer::start(
        Path::new(BIN),
        &["--database-url", url.as_str(), "--admin-secret", "adm"],
        &[],
    )
    .await;
    let setup = json!({"type": "bulk", "args": [
        {"type": "run_sql", "args": {"sql": "create table item (id int primary key, name text, owner text);
            insert into item values (1, 'a', 'ann'), (2, 'b', 'bob'), (3, 'c d', 'ann');"}},
        {"type": "pg_track_table", "args": {"table": "item"}},
        {"type": "pg_create_select_permission", "args": {"table": "item", "role": "user",
            "permission": {"columns": ["id", "name"], "filter": {"owner": {"_eq": "X-Hasura-User-Id"}}}}},
        {"type": "create_query_collection", "args": {"name": "api", "definition": {"queries": [
            {"name": "all", "query": "query { item(order_by: {id: asc}) { id name } }"},
            {"name": "by_id", "query": "query ($id: Int!) { item_by_pk(id: $id) { id name } }"},
            {"name": "by_name", "query": "query ($name: String!, $limit: Int) { item(where: {name: {_eq: $name}}, limit: $limit) { id } }"},
            {"name": "rename", "query": "mutation ($id: Int!, $name: String!) { update_item_by_pk(pk_columns: {id: $id}, _set: {name: $name}) { id name } }"},
            {"name": "live", "query": "subscription { item { id } }"}
        ]}}},
        {"type": "create_rest_endpoint", "args": {"name": "all", "url": "items", "methods": ["GET"],
            "definition": {"query": {"collection_name": "api", "query_name": "all"}}}},
        {"type": "create_rest_endpoint", "args": {"name": "one", "url": "items/:id", "methods": ["GET", "PATCH"],
            "definition": {"query": {"collection_name": "api", "query_name": "by_id"}}}},
        {"type": "create_rest_endpoint", "args": {"name": "search", "url": "search", "methods": ["GET", "POST"],
            "definition": {"query": {"collection_name": "api", "query_name": "by_name"}}}},
        {"type": "create_rest_endpoint", "args": {"name": "rename", "url": "items/:id/name", "methods": ["POST"],
            "definition": {"query": {"collection_name": "api", "query_name": "rename"}}}}
    ]});
    let (status, body) = s.post("/v1/metadata", &setup, &[ADMIN]).await;
    assert_eq!(status, 200, "{body}");
    s
}

async fn call(
    s: &TestServer,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let mut req = s.http.request(method, s.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn endpoints_answer_with_path_query_and_body_variables() {
    let pg = TestCluster::start("app").await;
    let s = server(&pg).await;
    use reqwest::Method;
    // Without parameters: the data object alone.
    let (status, v) = call(&s, Method::GET, "/api/rest/items", None, &[ADMIN]).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v,
        json!({"item": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 3, "name": "c d"}]})
    );
    // A path parameter, converted to the declared Int.
    let (_, v) = call(&s, Method::GET, "/api/rest/items/2", None, &[ADMIN]).await;
    assert_eq!(v, json!({"item_by_pk": {"id": 2, "name": "b"}}));
    // Query-string variables, url-decoded; a JSON body for POST.
    let (_, v) = call(
        &s,
        Method::GET,
        "/api/rest/search?name=c%20d&limit=1",
        None,
        &[ADMIN],
    )
    .await;
    assert_eq!(v, json!({"item": [{"id": 3}]}));
    let (_, v) = call(
        &s,
        Method::POST,
        "/api/rest/search",
        Some(json!({"name": "a"})),
        &[ADMIN],
    )
    .await;
    assert_eq!(v, json!({"item": [{"id": 1}]}));
    // A mutation, with a path parameter and a body variable.
    let (_, v) = call(
        &s,
        Method::POST,
        "/api/rest/items/1/name",
        Some(json!({"name": "z"})),
        &[ADMIN],
    )
    .await;
    assert_eq!(v, json!({"update_item_by_pk": {"id": 1, "name": "z"}}));
    // The caller's role and session apply.
    let user = [
        ADMIN,
        ("x-hasura-role", "user"),
        ("x-hasura-user-id", "ann"),
    ];
    let (_, v) = call(&s, Method::GET, "/api/rest/items", None, &user).await;
    assert_eq!(
        v,
        json!({"item": [{"id": 1, "name": "z"}, {"id": 3, "name": "c d"}]})
    );
    // Hasura's errors.
    let (status, v) = call(&s, Method::GET, "/api/rest/nothing", None, &[ADMIN]).await;
    assert_eq!(
        (status, v),
        (
            404,
            json!({"path": "$", "code": "not-found", "error": "Endpoint not found"})
        )
    );
    let (status, v) = call(&s, Method::DELETE, "/api/rest/items", None, &[ADMIN]).await;
    assert_eq!(
        (status, v["code"].as_str(), v["error"].as_str()),
        (
            405,
            Some("method-not-allowed"),
            Some("Allowed methods: GET")
        )
    );
    let (status, v) = call(&s, Method::GET, "/api/rest/search", None, &[ADMIN]).await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["code"], "validation-failed", "{v}");
    let (status, v) = call(
        &s,
        Method::GET,
        "/api/rest/search?name=a&other=1",
        None,
        &[ADMIN],
    )
    .await;
    assert_eq!(
        (status, v["error"].as_str()),
        (400, Some("Unexpected variable other")),
        "{v}"
    );
    // No credentials: refused as /v1/graphql refuses.
    let (status, v) = call(&s, Method::GET, "/api/rest/items", None, &[]).await;
    assert_eq!(status, 401, "{v}");
}

#[tokio::test]
async fn bad_definitions_are_refused_and_dependencies_kept() {
    let pg = TestCluster::start("app").await;
    let s = server(&pg).await;
    let create = |name: &str, url: &str, query: &str| {
        json!({"type": "create_rest_endpoint", "args": {"name": name, "url": url, "methods": ["GET"],
            "definition": {"query": {"collection_name": "api", "query_name": query}}}})
    };
    for (body, reason) in [
        (
            create("x", "a//b", "all"),
            "Empty segments or unnamed variables are not allowed: a//b",
        ),
        (
            create("x", "a/:id/:id", "by_id"),
            "Duplicate variables found in endpoint path: a/:id/:id",
        ),
        (
            create("x", "live", "live"),
            "in endpoint x: query with name live is a subscription",
        ),
        (
            create("x", "missing", "nope"),
            "in endpoint x: query with name nope does not exist in collection api",
        ),
        (create("x", ":any", "all"), "Ambiguous URL paths"),
    ] {
        let (status, v) = s.post("/v1/metadata", &body, &[ADMIN]).await;
        assert_eq!(status, 400, "{v}");
        assert_eq!(v["code"], "constraint-violation", "{v}");
        assert!(
            v["error"].as_str().unwrap_or_default().contains(reason),
            "{v}"
        );
    }
    let (status, v) = s
        .post("/v1/metadata", &create("all", "other", "all"), &[ADMIN])
        .await;
    assert_eq!(
        (status, v["code"].as_str()),
        (400, Some("already-exists")),
        "{v}"
    );
    // A query an endpoint uses cannot be dropped from under it.
    let (status, v) = s
        .post(
            "/v1/metadata",
            &json!({"type": "drop_query_from_collection", "args": {"collection_name": "api", "query_name": "all"}}),
            &[ADMIN],
        )
        .await;
    assert_eq!(status, 400, "{v}");
    let (status, _) = s
        .post(
            "/v1/metadata",
            &json!({"type": "drop_rest_endpoint", "args": {"name": "all"}}),
            &[ADMIN],
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = s
        .post(
            "/v1/metadata",
            &json!({"type": "drop_query_from_collection", "args": {"collection_name": "api", "query_name": "all"}}),
            &[ADMIN],
        )
        .await;
    assert_eq!(status, 200);
    let (_, md) = s
        .post(
            "/v1/metadata",
            &json!({"type": "export_metadata", "args": {}}),
            &[ADMIN],
        )
        .await;
    assert_eq!(
        md["rest_endpoints"].as_array().map(Vec::len),
        Some(3),
        "{md}"
    );
}
