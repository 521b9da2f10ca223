//! Role schemas of two sources merged: root fields side by side, clashes refused, the
//! placeholder only for a role that may read nothing anywhere.

use std::sync::Arc;

use rasura_catalog::Catalog;
use rasura_metadata::document::Source;
use rasura_metadata::{ops, Metadata};
use rasura_schema::{RootField, SharedTypes};
use serde_json::{json, Value};

fn catalog(tables: &[&str]) -> Catalog {
    let col = |name: &str, ty: &str| {
        json!({"name": name, "position": 1, "type": ty, "type_schema": "pg_catalog",
               "type_kind": "b", "type_category": "N", "elem_type": null, "elem_schema": null,
               "display_type": ty, "nullable": false, "has_default": false,
               "is_identity": false, "is_generated": false, "description": null})
    };
    let tables: Vec<Value> = tables
        .iter()
        .map(|t| {
            json!({"schema": "public", "name": t, "kind": "r", "description": null,
                   "insertable": true, "updatable": true, "deletable": true,
                   "columns": [col("id", "int4"), col("name", "text")],
                   "primary_key": {"name": format!("{t}_pkey"), "columns": ["id"]},
                   "unique_constraints": [], "foreign_keys": []})
        })
        .collect();
    let doc = json!({"server_version": 150000, "enums": [], "functions": [], "tables": tables});
    Catalog::from_json(&doc.to_string()).unwrap()
}

/// `default` tracks `author`; `two` tracks `author` and `book`, with `customization`.
fn metadata(customization: Value) -> Metadata {
    rasura_resolve::stages::sources::set_database_url("postgres://127.0.0.1/one");
    let mut md = Metadata::empty();
    ops::apply(&mut md, "track_table", json!("author")).unwrap();
    let mut two = Source::default_source();
    two.name = "two".into();
    two.configuration = json!({"connection_info": {"database_url": "postgres://127.0.0.1/two"}});
    if !customization.is_null() {
        two.extra.insert("customization".into(), customization);
    }
    md.sources.push(two);
    for (op, args) in [
        (
            "pg_track_table",
            json!({"source": "two", "table": "author"}),
        ),
        ("pg_track_table", json!({"source": "two", "table": "book"})),
        (
            "pg_create_select_permission",
            json!({"source": "two", "table": "book", "role": "reader",
                   "permission": {"columns": ["name"], "filter": {}}}),
        ),
    ] {
        ops::apply(&mut md, op, args).unwrap();
    }
    md
}

fn resolved(md: &Metadata) -> rasura_resolve::ResolvedMetadata {
    let mut first = catalog(&["author"]);
    first
        .sources
        .insert("two".into(), Arc::new(catalog(&["author", "book"])));
    let r = rasura_resolve::resolve(md, Arc::new(first));
    assert!(r.inconsistencies.is_empty(), "{:?}", r.inconsistencies);
    r
}

#[test]
fn root_fields_of_one_name_in_two_sources_are_refused() {
    let r = resolved(&metadata(Value::Null));
    let e = rasura_multi_source::build_schema(&r, "admin", false, &SharedTypes::default())
        .expect_err("a clash");
    assert!(
        e.starts_with("found duplicate fields in selection set for mutation root: ["),
        "{e}"
    );
    assert!(e.contains("'insert_author'"), "{e}");
}

#[test]
fn prefixed_sources_merge_and_each_root_field_knows_its_source() {
    let custom = json!({"root_fields": {"prefix": "two_"}, "type_names": {"prefix": "Two_"}});
    let r = resolved(&metadata(custom));
    let s = rasura_multi_source::build_schema(&r, "admin", false, &SharedTypes::default())
        .expect("merged");
    assert_eq!(s.query_roots["author"], RootField::Select(0));
    assert_eq!(s.query_roots["two_author"], RootField::Source(0));
    assert_eq!(s.query_roots["two_book_by_pk"], RootField::Source(0));
    assert!(s.schema.types.contains_key("Two_book"));
    assert!(s.schema.types.contains_key("author"));
    let sub = &s.schema.types["subscription_root"];
    let fields: Vec<String> = match sub {
        apollo_compiler::schema::ExtendedType::Object(o) => {
            o.fields.keys().map(|k| k.to_string()).collect()
        }
        _ => vec![],
    };
    assert!(
        fields.contains(&"two_book_stream".to_string()),
        "{fields:?}"
    );
    // Root fields in order of name, as introspection answers them.
    let mut sorted = fields.clone();
    sorted.sort();
    assert_eq!(fields, sorted);
    // A role that reads only the second source has its fields and no placeholder.
    let reader = rasura_multi_source::build_schema(&r, "reader", false, &SharedTypes::default())
        .expect("merged");
    assert!(reader.query_roots.contains_key("two_book"));
    assert!(!reader.query_roots.contains_key("no_queries_available"));
    assert!(!reader.query_roots.contains_key("author"));
    // A role that reads nothing anywhere keeps it.
    let nobody = rasura_multi_source::build_schema(&r, "nobody", false, &SharedTypes::default())
        .expect("merged");
    assert_eq!(nobody.query_roots.len(), 1);
    assert!(nobody.query_roots.contains_key("no_queries_available"));
}
