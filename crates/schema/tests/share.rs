//! Shared definitions: a schema built with sharing prints exactly as one built alone; equal
//! types, fields and input values are one node within a schema, across roles, and across engine
//! states (seeded from the previous schemas).

use std::sync::Arc;

use apollo_compiler::schema::ExtendedType;
use apollo_compiler::{Node, Schema};
use rasura_catalog::Catalog;
use rasura_metadata::Metadata;
use rasura_resolve::ResolvedMetadata;
use rasura_schema::{build_schema_for, build_schema_shared, SharedTypes};
use serde_json::{json, Value};

fn column(name: &str, ty: &str) -> Value {
    json!({
        "name": name, "position": 1, "type": ty, "type_schema": "pg_catalog", "type_kind": "b",
        "type_category": if ty == "int4" { "N" } else { "S" }, "elem_type": null,
        "elem_schema": null, "display_type": ty, "nullable": name != "id", "has_default": false,
        "is_identity": false, "is_generated": false, "description": null
    })
}

fn resolved(user_columns: Value) -> ResolvedMetadata {
    let table = |name: &str| {
        json!({
            "schema": "public", "name": name, "kind": "r", "description": null,
            "insertable": true, "updatable": true, "deletable": true,
            "columns": [column("id", "int4"), column("title", "text"), column("rating", "int4")],
            "primary_key": {"name": format!("{name}_pkey"), "columns": ["id"]},
            "unique_constraints": [], "foreign_keys": []
        })
    };
    let catalog = json!({"server_version": 150000, "enums": [], "functions": [],
                         "tables": [table("book"), table("film")]});
    let catalog = Arc::new(Catalog::from_json(&catalog.to_string()).unwrap());
    // The editor's rows are fewer: a row filter changes no type.
    let perm = |role: &str| {
        let filter = match role {
            "editor" => json!({"rating": {"_gt": 3}}),
            _ => json!({}),
        };
        json!({"role": role, "permission": {"columns": user_columns.clone(), "filter": filter,
               "allow_aggregations": true}})
    };
    let md = Metadata::from_json(json!({"version": 3, "sources": [{
        "name": "default", "kind": "postgres",
        "configuration": {"connection_info": {"database_url": "postgres://x"}},
        "tables": [
            {"table": {"schema": "public", "name": "book"}, "select_permissions": [perm("user"), perm("editor")]},
            {"table": {"schema": "public", "name": "film"}, "select_permissions": [perm("user"), perm("editor")]}
        ]}]}))
    .unwrap();
    // The default source reads HASURA_GRAPHQL_DATABASE_URL: stand in for the engine's URL.
    rasura_resolve::stages::sources::set_database_url("postgres://127.0.0.1/fixture");
    rasura_resolve::resolve(&md, catalog)
}

fn object<'a>(schema: &'a Schema, name: &str) -> &'a Node<apollo_compiler::schema::ObjectType> {
    match schema.types.get(name) {
        Some(ExtendedType::Object(o)) => o,
        other => panic!("{name} is not an object type: {other:?}"),
    }
}

fn input<'a>(schema: &'a Schema, name: &str) -> &'a Node<apollo_compiler::schema::InputObjectType> {
    match schema.types.get(name) {
        Some(ExtendedType::InputObject(o)) => o,
        other => panic!("{name} is not an input type: {other:?}"),
    }
}

#[test]
fn sharing_changes_nothing_a_client_sees() {
    let r = resolved(json!(["id", "title"]));
    let shared = SharedTypes::default();
    for role in ["admin", "user", "editor"] {
        let alone = build_schema_for(&r, role, false).unwrap();
        let with_others = build_schema_shared(&r, role, false, &shared).unwrap();
        assert_eq!(
            alone.schema.to_string(),
            with_others.schema.to_string(),
            "{role}"
        );
    }
}

#[test]
fn equal_definitions_are_one_node() {
    let r = resolved(json!(["id", "title"]));
    let shared = SharedTypes::default();
    let admin = build_schema_shared(&r, "admin", false, &shared).unwrap();
    let user = build_schema_shared(&r, "user", false, &shared).unwrap();
    let editor = build_schema_shared(&r, "editor", false, &shared).unwrap();

    // Roles with the same permissions: whole types are one node.
    assert!(object(&user.schema, "book").ptr_eq(object(&editor.schema, "book")));
    // Whole types equal in the first schema built and a later one: one node (the first's are
    // recorded when the next is shared).
    assert!(input(&admin.schema, "Int_comparison_exp")
        .ptr_eq(input(&user.schema, "Int_comparison_exp")));
    // Admin sees one more column: its own type, but the fields it has in common are shared.
    assert!(!object(&admin.schema, "book").ptr_eq(object(&user.schema, "book")));
    assert_eq!(object(&admin.schema, "book").fields.len(), 3);
    assert_eq!(object(&user.schema, "book").fields.len(), 2);
    let title = |s: &Schema| object(s, "book").fields["title"].node.clone();
    assert!(title(&admin.schema).ptr_eq(&title(&user.schema)));
    // Within one schema: `id: order_by` of two tables' order-by inputs is one node.
    let id_order = |t: &str| input(&admin.schema, t).fields["id"].node.clone();
    assert!(id_order("book_max_order_by").ptr_eq(&id_order("film_max_order_by")));
    assert!(id_order("book_max_order_by").ptr_eq(&id_order("book_min_order_by")));
}

#[test]
fn roles_generating_the_same_sdl_share_one_schema() {
    let r = resolved(json!(["id", "title"]));
    let shared = SharedTypes::default();
    let admin = build_schema_shared(&r, "admin", false, &shared).unwrap();
    let user = build_schema_shared(&r, "user", false, &shared).unwrap();
    let editor = build_schema_shared(&r, "editor", false, &shared).unwrap();
    // Same columns, different row filters: one schema, each role its own annotations.
    assert!(Arc::ptr_eq(&user.schema, &editor.schema));
    assert!(!Arc::ptr_eq(&admin.schema, &user.schema));
    let filter = |s: &rasura_schema::RoleSchema| {
        let book = &s.tables[s.table_index[&rasura_metadata::QualifiedName::new("public", "book")]];
        format!("{:?}", book.perms.as_ref().map(|p| &p.select))
    };
    assert_ne!(filter(&user), filter(&editor));
    assert!(filter(&editor).contains("rating"), "{}", filter(&editor));
    // Once no role serves it, the same text is built again (nothing kept for it).
    let text = user.schema.to_string();
    drop((user, editor));
    let again = build_schema_shared(&r, "user", false, &shared).unwrap();
    assert_eq!(Arc::strong_count(&again.schema), 1);
    assert_eq!(again.schema.to_string(), text);
}

#[test]
fn roles_share_a_tables_facts_and_equal_fields() {
    let r = resolved(json!(["id", "title"]));
    let shared = SharedTypes::default();
    let admin = build_schema_shared(&r, "admin", false, &shared).unwrap();
    let user = build_schema_shared(&r, "user", false, &shared).unwrap();
    let editor = build_schema_shared(&r, "editor", false, &shared).unwrap();
    let book = |s: &rasura_schema::RoleSchema| {
        s.tables[s.table_index[&rasura_metadata::QualifiedName::new("public", "book")]].clone()
    };
    // Columns, keys and relationships are every role's: one allocation.
    assert!(Arc::ptr_eq(&book(&admin).base, &book(&user).base));
    assert!(Arc::ptr_eq(&book(&user).base, &book(&editor).base));
    assert_eq!(book(&user).columns.len(), 3);
    // The visible fields: equal for the user and the editor, not for admin.
    assert!(Arc::ptr_eq(&book(&user).fields, &book(&editor).fields));
    assert!(!Arc::ptr_eq(&book(&admin).fields, &book(&user).fields));
    assert_eq!(book(&admin).fields.len(), 3);
    assert_eq!(book(&user).fields.len(), 2);
    // Permissions stay each role's own.
    assert!(book(&admin).perms.is_none());
    assert_ne!(
        format!("{:?}", book(&user).perms),
        format!("{:?}", book(&editor).perms)
    );
    // Other metadata (another table's columns): its own facts, not an equal-named one's.
    let other = resolved(json!(["id"]));
    let alone = build_schema_shared(&other, "user", false, &shared).unwrap();
    assert_eq!(book(&alone).fields.len(), 1);
    assert!(Arc::ptr_eq(&book(&alone).base, &book(&user).base));
}

#[test]
fn a_rebuilt_state_shares_what_did_not_change() {
    let before = resolved(json!(["id", "title"]));
    let old = SharedTypes::default();
    let old_user = build_schema_shared(&before, "user", false, &old).unwrap();

    // The next engine state: seeded from the old schemas; one role now sees another column.
    let after = resolved(json!(["id", "title", "rating"]));
    let new = SharedTypes::default();
    new.seed(&old_user.schema);
    let admin = build_schema_shared(&after, "admin", false, &new).unwrap();
    let user = build_schema_shared(&after, "user", false, &new).unwrap();
    assert_eq!(object(&user.schema, "book").fields.len(), 3);
    assert!(!object(&user.schema, "book").ptr_eq(object(&old_user.schema, "book")));
    // Fields that stayed the same are the old nodes.
    let title = |s: &Schema| object(s, "book").fields["title"].node.clone();
    assert!(title(&user.schema).ptr_eq(&title(&old_user.schema)));
    assert!(title(&admin.schema).ptr_eq(&title(&old_user.schema)));
    // And what was built is what a schema built alone is.
    assert_eq!(
        user.schema.to_string(),
        build_schema_for(&after, "user", false)
            .unwrap()
            .schema
            .to_string()
    );
}
