//! Resolution against a hand-written catalog document.

use std::sync::Arc;

use rasura_catalog::Catalog;
use rasura_metadata::{ops, Metadata};
use serde_json::json;

use super::resolve;

fn catalog() -> Arc<Catalog> {
    let col = |name: &str, ty: &str, nullable: bool| {
        json!({
            "name": name, "position": 1, "type": ty, "type_schema": "pg_catalog", "type_kind": "b",
            "type_category": "N", "elem_type": null, "elem_schema": null, "display_type": ty,
            "nullable": nullable, "has_default": false, "is_identity": false, "is_generated": false, "description": null
        })
    };
    let doc = json!({
        "server_version": 150000, "enums": [], "functions": [],
        "tables": [
            {"schema": "public", "name": "author", "kind": "r", "description": null,
             "insertable": true, "updatable": true, "deletable": true,
             "columns": [col("id", "int4", false), col("name", "text", true)],
             "primary_key": {"name": "author_pkey", "columns": ["id"]},
             "unique_constraints": [], "foreign_keys": []},
            {"schema": "public", "name": "article", "kind": "r", "description": null,
             "insertable": true, "updatable": true, "deletable": true,
             "columns": [col("id", "int4", false), col("author_id", "int4", false)],
             "primary_key": {"name": "article_pkey", "columns": ["id"]},
             "unique_constraints": [],
             "foreign_keys": [{"name": "article_author_id_fkey", "columns": ["author_id"],
                               "ref_table": {"schema": "public", "name": "author"}, "ref_columns": ["id"]}]}
        ]
    });
    Arc::new(Catalog::from_json(&doc.to_string()).unwrap())
}

fn metadata(ops_list: &[(&str, serde_json::Value)]) -> Metadata {
    let mut md = Metadata::empty();
    for (op, args) in ops_list {
        ops::apply(&mut md, op, args.clone()).unwrap();
    }
    md
}

#[test]
fn resolves_relationships_both_ways() {
    let md = metadata(&[
        ("track_table", json!("author")),
        ("track_table", json!("article")),
        (
            "create_object_relationship",
            json!({"table": "article", "name": "author", "using": {"foreign_key_constraint_on": "author_id"}}),
        ),
        (
            "create_array_relationship",
            json!({"table": "author", "name": "articles", "using": {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}}}),
        ),
    ]);
    let r = resolve(&md, catalog());
    assert!(r.inconsistencies.is_empty(), "{:?}", r.inconsistencies);
    let article = r
        .table(&rasura_metadata::QualifiedName::public("article"))
        .unwrap();
    let rel = article.relationship("author").unwrap();
    assert_eq!(
        rel.mapping,
        vec![("author_id".to_string(), "id".to_string())]
    );
    assert!(!rel.nullable);
    let author = r
        .table(&rasura_metadata::QualifiedName::public("author"))
        .unwrap();
    assert_eq!(
        author.relationship("articles").unwrap().mapping,
        vec![("id".to_string(), "author_id".to_string())]
    );
}

#[test]
fn missing_table_and_bad_relationship_are_reported_not_fatal() {
    let md = metadata(&[
        ("track_table", json!("author")),
        ("track_table", json!("gone")),
        (
            "create_object_relationship",
            json!({"table": "author", "name": "x", "using": {"foreign_key_constraint_on": "name"}}),
        ),
        (
            "create_select_permission",
            json!({"table": "author", "role": "user", "permission": {"columns": ["id", "nope"], "filter": {}}}),
        ),
    ]);
    let r = resolve(&md, catalog());
    let kinds: Vec<&str> = r.inconsistencies.iter().map(|i| i.kind.as_str()).collect();
    assert_eq!(kinds, vec!["table", "object_relation", "select_permission"]);
    assert_eq!(
        r.inconsistencies[0].reason,
        "Inconsistent object: no such table/view exists in source: \"gone\""
    );
    assert_eq!(r.tables.len(), 1);
}
