//! Tests of `ops.rs`.
use serde_json::json;

use super::*;

#[test]
fn tracks_in_every_legacy_form_and_refuses_twice() {
    let mut md = Metadata::empty();
    apply(&mut md, "track_table", json!("author")).unwrap();
    apply(
        &mut md,
        "track_table",
        json!({"schema": "public", "name": "article"}),
    )
    .unwrap();
    apply(
        &mut md,
        "pg_track_table",
        json!({"table": {"schema": "lib", "name": "book"}}),
    )
    .unwrap();
    let err = apply(&mut md, "track_table", json!({"table": "author"})).unwrap_err();
    assert_eq!(err.code(), "already-tracked");
    assert_eq!(md.sources[0].tables.len(), 3);
}

#[test]
fn relationships_and_permissions() {
    let mut md = Metadata::empty();
    apply(&mut md, "track_table", json!("article")).unwrap();
    apply(&mut md, "create_object_relationship",
        json!({"table": "article", "name": "author", "using": {"foreign_key_constraint_on": "author_id"}})).unwrap();
    let dup = apply(
        &mut md,
        "create_array_relationship",
        json!({"table": "article", "name": "author", "using": {"foreign_key_constraint_on": {"table": "x", "column": "y"}}}),
    );
    assert_eq!(dup.unwrap_err().code(), "already-exists");
    apply(
        &mut md,
        "create_select_permission",
        json!({"table": "article", "role": "user", "permission": {"columns": "*", "filter": {}}}),
    )
    .unwrap();
    assert_eq!(
        apply(&mut md, "create_select_permission",
            json!({"table": "article", "role": "user", "permission": {"columns": "*", "filter": {}}}))
            .unwrap_err().code(),
        "already-exists"
    );
    apply(
        &mut md,
        "drop_select_permission",
        json!({"table": "article", "role": "user"}),
    )
    .unwrap();
    apply(
        &mut md,
        "drop_relationship",
        json!({"table": "article", "relationship": "author"}),
    )
    .unwrap();
    assert_eq!(
        apply(
            &mut md,
            "drop_relationship",
            json!({"table": "article", "relationship": "author"})
        )
        .unwrap_err()
        .code(),
        "not-exists"
    );
    assert_eq!(apply(&mut md, "run_sql", json!({})).unwrap(), None);
}

#[test]
fn untrack_refuses_when_others_depend() {
    let mut md = Metadata::empty();
    apply(&mut md, "track_table", json!("author")).unwrap();
    apply(&mut md, "track_table", json!("article")).unwrap();
    apply(&mut md, "create_array_relationship",
        json!({"table": "author", "name": "articles", "using": {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}}})).unwrap();
    let err = apply(&mut md, "untrack_table", json!({"table": "article"})).unwrap_err();
    assert_eq!(err.code(), "dependency-error");
    apply(
        &mut md,
        "untrack_table",
        json!({"table": "article", "cascade": true}),
    )
    .unwrap();
    assert!(md.sources[0].tables[0].array_relationships.is_empty());
}
