//! The collection edits and the check, on metadata documents in memory.

use rasura_metadata::Metadata;
use serde_json::json;

use crate::{apply, problems, Allowlist, Verdict};

fn run(md: &mut Metadata, op: &str, args: serde_json::Value) -> Result<Option<String>, String> {
    apply(md, op, &args)
        .expect("a collection op")
        .map_err(|e| format!("{} {}{}", e.error.code(), e.error, e.at))
}

fn with_collection() -> Metadata {
    let mut md = Metadata::default();
    run(
        &mut md,
        "create_query_collection",
        json!({"name": "c1", "comment": "first", "definition": {"queries": [
            {"name": "q1", "query": "query { user { id name } }"},
            {"name": "q2", "query": "query ($id: Int!) { user_by_pk(id: $id) { id } }"}
        ]}}),
    )
    .unwrap();
    md
}

#[test]
fn collections_are_created_edited_and_dropped_with_hasuras_errors() {
    let mut md = with_collection();
    let dup = run(&mut md, "create_query_collection", json!({"name": "c1"})).unwrap_err();
    assert!(
        dup.starts_with("already-exists query collection with name \"c1\" already exists"),
        "{dup}"
    );
    let e = run(
        &mut md,
        "add_query_to_collection",
        json!({"collection_name": "c1", "query_name": "q1", "query": "{ a }"}),
    )
    .unwrap_err();
    assert_eq!(
        e,
        "already-exists query with name \"q1\" already exists in collection \"c1\""
    );
    let e = run(
        &mut md,
        "add_query_to_collection",
        json!({"collection_name": "c1", "query_name": "bad", "query": "query {"}),
    )
    .unwrap_err();
    assert!(e.starts_with("parse-failed"), "{e}");
    let e = run(
        &mut md,
        "drop_query_from_collection",
        json!({"collection_name": "c1", "query_name": "nope"}),
    )
    .unwrap_err();
    assert_eq!(
        e,
        "not-found query with name \"nope\" not found in collection \"c1\""
    );
    let e = run(
        &mut md,
        "create_query_collection",
        json!({"name": "c2", "definition": {"queries": [
            {"name": "a", "query": "{ x }"}, {"name": "a", "query": "{ y }"}]}}),
    )
    .unwrap_err();
    assert!(
        e.starts_with("not-supported found duplicate query names \"a\""),
        "{e}"
    );
    run(
        &mut md,
        "add_collection_to_allowlist",
        json!({"collection": "c1"}),
    )
    .unwrap();
    let again = run(
        &mut md,
        "add_collection_to_allowlist",
        json!({"collection": "c1"}),
    )
    .unwrap();
    assert!(again.unwrap().contains("already exists in the allowlist"));
    let e = run(
        &mut md,
        "drop_query_collection",
        json!({"collection": "c1", "cascade": false}),
    )
    .unwrap_err();
    assert!(e.starts_with("dependency-error"), "{e}");
    run(
        &mut md,
        "rename_query_collection",
        json!({"name": "c1", "new_name": "c3"}),
    )
    .unwrap();
    assert_eq!(md.extra["allowlist"], json!([{"collection": "c3"}]));
    run(
        &mut md,
        "drop_query_collection",
        json!({"collection": "c3", "cascade": true}),
    )
    .unwrap();
    assert!(!md.extra.contains_key("allowlist"));
    assert!(!md.extra.contains_key("query_collections"));
    let e = run(
        &mut md,
        "drop_collection_from_allowlist",
        json!({"collection": "c3"}),
    )
    .unwrap_err();
    assert!(
        e.starts_with("not-exists query collection with name \"c3\" does not exist"),
        "{e}"
    );
}

#[test]
fn scopes_are_checked_and_updated() {
    let mut md = with_collection();
    for bad in [
        json!({"global": true, "roles": ["user"]}),
        json!({"global": false}),
        json!({"global": false, "roles": []}),
        json!({"global": false, "roles": ["a", "a"]}),
    ] {
        let e = run(
            &mut md,
            "add_collection_to_allowlist",
            json!({"collection": "c1", "scope": bad}),
        )
        .unwrap_err();
        assert!(e.starts_with("parse-failed"), "{e}");
    }
    let e = run(
        &mut md,
        "update_scope_of_collection_in_allowlist",
        json!({"collection": "c1", "scope": {"global": true}}),
    )
    .unwrap_err();
    assert_eq!(
        e,
        "not-found collection \"c1\" doesn't exist in the allowlist"
    );
    run(
        &mut md,
        "add_collection_to_allowlist",
        json!({"collection": "c1", "scope": {"global": false, "roles": ["editor"]}}),
    )
    .unwrap();
    let list = Allowlist::build(&md);
    let q = "query { user { id name } }";
    assert_eq!(list.check("editor", q), Verdict::Allowed);
    assert_eq!(list.check("user", q), Verdict::Refused);
    run(
        &mut md,
        "update_scope_of_collection_in_allowlist",
        json!({"collection": "c1", "scope": {"global": true}}),
    )
    .unwrap();
    assert_eq!(Allowlist::build(&md).check("user", q), Verdict::Allowed);
}

#[test]
fn the_check_compares_normalised_documents() {
    let mut md = with_collection();
    run(
        &mut md,
        "add_collection_to_allowlist",
        json!({"collection": "c1"}),
    )
    .unwrap();
    let list = Allowlist::build(&md);
    assert_eq!(
        list.check("user", "query {\n user {\n  __typename id, name\n }\n}"),
        Verdict::Allowed
    );
    assert_eq!(
        list.check("user", "query { user { id name company } }"),
        Verdict::Refused
    );
    assert_eq!(
        list.check("user", "query Other { user { id name } }"),
        Verdict::Refused
    );
    assert_eq!(list.check("user", "query { user {"), Verdict::Unparsable);
    // A collection outside the list lets nothing through.
    run(
        &mut md,
        "create_query_collection",
        json!({"name": "c2", "definition": {"queries": [{"name": "a", "query": "{ item { id } }"}]}}),
    )
    .unwrap();
    assert_eq!(
        Allowlist::build(&md).check("user", "{ item { id } }"),
        Verdict::Refused
    );
}

#[test]
fn broken_sections_are_problems() {
    let mut md = with_collection();
    md.extra
        .insert("allowlist".into(), json!([{"collection": "gone"}]));
    md.extra["query_collections"][0]["definition"]["queries"][0]["query"] = json!("query {");
    let found = problems(&md);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found
        .iter()
        .any(|p| p.0 == "allowlist" && p.3.contains("\"gone\" does not exist")));
    assert!(found
        .iter()
        .any(|p| p.0 == "query_collection" && p.3.contains("does not parse")));
}
