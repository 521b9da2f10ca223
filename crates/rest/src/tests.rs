//! Endpoint tables, matching and variables, on metadata documents in memory.

use rasura_metadata::Metadata;
use serde_json::json;

use crate::{edits, problems, variables, Endpoints};

fn metadata(endpoints: serde_json::Value) -> Metadata {
    let mut md = Metadata::default();
    md.extra.insert(
        "query_collections".into(),
        json!([{"name": "c", "definition": {"queries": [
            {"name": "all", "query": "query { item { id } }"},
            {"name": "one", "query": "query ($id: Int!, $tag: String, $on: Boolean, $ids: [Int!]) { item(where: {id: {_eq: $id}}) { id } }"},
            {"name": "live", "query": "subscription { item { id } }"},
            {"name": "two", "query": "query a { x } query b { y }"}
        ]}}]),
    );
    md.extra.insert("rest_endpoints".into(), endpoints);
    md
}

fn ep(name: &str, url: &str, methods: &[&str], query: &str) -> serde_json::Value {
    json!({"name": name, "url": url, "methods": methods,
           "definition": {"query": {"collection_name": "c", "query_name": query}}, "comment": null})
}

#[test]
fn bad_entries_are_problems_with_hasuras_reasons() {
    let md = metadata(json!([
        ep("a", "x//y", &["GET"], "all"),
        ep("b", "x/:id/y/:id", &["GET"], "one"),
        ep("c", "live", &["GET"], "live"),
        ep("d", "two", &["GET"], "two"),
        ep("e", "gone", &["GET"], "nope"),
        ep("f", "items", &["GET"], "all"),
        ep("g", ":any", &["GET", "POST"], "one"),
        ep("h", "items", &["POST"], "all"),
    ]));
    let found: Vec<(String, String)> = problems(&md).into_iter().map(|(n, _, r)| (n, r)).collect();
    let reason = |n: &str| {
        found
            .iter()
            .find(|f| f.0 == n)
            .map(|f| f.1.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        reason("a"),
        "Empty segments or unnamed variables are not allowed: x//y"
    );
    assert_eq!(
        reason("b"),
        "Duplicate variables found in endpoint path: x/:id/y/:id"
    );
    assert_eq!(
        reason("c"),
        "in endpoint c: query with name live is a subscription"
    );
    assert_eq!(
        reason("d"),
        "in endpoint d: query with name two has multiple definitions."
    );
    assert_eq!(
        reason("e"),
        "in endpoint e: query with name nope does not exist in collection c"
    );
    // f and g share GET and one path; h shares POST with g: all three tied together.
    assert_eq!(reason("f"), "Ambiguous URL paths: items, :any, items");
    assert_eq!(reason("h"), reason("f"));
    assert_eq!(found.len(), 8, "{found:?}");
}

#[test]
fn requests_find_their_endpoint_or_hasuras_404_and_405() {
    let md = metadata(json!([
        ep("list", "items", &["GET"], "all"),
        ep("one", "items/:id", &["GET", "POST"], "one"),
    ]));
    assert!(problems(&md).is_empty());
    let table = Endpoints::build(&md);
    let (e, params) = table.find("GET", "items/7").unwrap();
    assert_eq!(e.name, "one");
    assert_eq!(params, vec![("id".to_string(), "7".to_string())]);
    let (e, _) = table.find("GET", "items").unwrap();
    assert_eq!(e.name, "list");
    let e = table.find("DELETE", "items").unwrap_err();
    assert_eq!(
        (e.status, e.code, e.message.as_str()),
        (405, "method-not-allowed", "Allowed methods: GET")
    );
    let e = table.find("GET", "items/").unwrap_err();
    assert_eq!(
        (e.status, e.code, e.message.as_str()),
        (404, "not-found", "Endpoint not found")
    );
    // Segments are percent-decoded.
    let (_, params) = table.find("GET", "items/a%20b").unwrap();
    assert_eq!(params[0].1, "a b");
}

#[test]
fn variables_come_from_query_body_and_path_converted_by_type() {
    let md = metadata(json!([ep("one", "items/:id", &["GET", "POST"], "one")]));
    let table = Endpoints::build(&md);
    let (e, params) = table.find("GET", "items/7").unwrap();
    let vars = variables::gather(e, params.clone(), "tag=a%20b&on&id=1", b"", false).unwrap();
    // The path wins over the query string; an empty Boolean is true.
    assert_eq!(json!(vars), json!({"id": 7, "tag": "a b", "on": true}));
    let vars = variables::gather(e, vec![], "", br#"{"id": 3, "ids": [1, 2]}"#, false).unwrap();
    assert_eq!(json!(vars), json!({"id": 3, "ids": [1, 2]}));
    let vars = variables::gather(e, vec![], "", b"tag=x&id=4", true).unwrap();
    assert_eq!(json!(vars), json!({"id": 4, "tag": "x"}));
    // An empty nullable value is left out; an Int that is not a number stays text.
    let vars = variables::gather(e, vec![], "tag=&id=abc", b"", false).unwrap();
    assert_eq!(json!(vars), json!({"id": "abc"}));
    let err = variables::gather(e, vec![], "nope=1", b"", false).unwrap_err();
    assert_eq!(
        (err.status, err.message.as_str()),
        (400, "Unexpected variable nope")
    );
    let err = variables::gather(e, vec![], "ids=1", b"", false).unwrap_err();
    assert!(
        err.message
            .starts_with("List variables are not currently supported"),
        "{err:?}"
    );
}

#[test]
fn endpoints_are_created_and_dropped_with_hasuras_errors() {
    let mut md = metadata(json!([]));
    let args = ep("list", "items", &["GET"], "all");
    edits::apply(&mut md, "create_rest_endpoint", &args)
        .unwrap()
        .unwrap();
    let (e, _) = edits::apply(&mut md, "create_rest_endpoint", &args)
        .unwrap()
        .unwrap_err();
    assert_eq!(
        (e.code(), e.to_string().as_str()),
        ("already-exists", "Endpoint with name: list already exists")
    );
    let (e, at) = edits::apply(
        &mut md,
        "create_rest_endpoint",
        &ep("x", "", &["GET"], "all"),
    )
    .unwrap()
    .unwrap_err();
    assert_eq!(
        (e.code(), e.to_string().as_str(), at),
        ("parse-failed", "empty string not allowed", ".url")
    );
    let (e, _) = edits::apply(&mut md, "drop_rest_endpoint", &json!({"name": "nope"}))
        .unwrap()
        .unwrap_err();
    assert_eq!(
        (e.code(), e.to_string().as_str()),
        ("not-exists", "endpoint with name: nope does not exist")
    );
    edits::apply(&mut md, "drop_rest_endpoint", &json!({"name": "list"}))
        .unwrap()
        .unwrap();
    assert!(!md.extra.contains_key("rest_endpoints"));
}
