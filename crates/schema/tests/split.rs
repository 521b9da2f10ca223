//! A schema of many tables is written on two threads (`SdlWriter::tables`): it must be exactly
//! the schema one thread writes, root fields included, for every role.

use std::sync::Arc;

use rasura_catalog::Catalog;
use rasura_metadata::Metadata;
use rasura_resolve::ResolvedMetadata;
use rasura_schema::{build_schema_for, build_schema_on_one_thread, RoleSchema};
use serde_json::{json, Value};

/// More than the split's threshold, so that the halves differ in what they hold.
const TABLES: usize = 300;

fn column(name: &str, ty: &str) -> Value {
    let category = match ty {
        "int4" => "N",
        "jsonb" | "json" => "U",
        _ => "S",
    };
    json!({
        "name": name, "position": 1, "type": ty, "type_schema": "pg_catalog", "type_kind": "b",
        "type_category": category, "elem_type": null, "elem_schema": null, "display_type": ty,
        "nullable": name != "id", "has_default": false, "is_identity": false,
        "is_generated": false, "description": null
    })
}

/// Tables `t0`..`t299`, each related to the one before; only the second half has a `jsonb`
/// column (so the jsonb operators come from the helper's half) and one table of the first half a
/// `json` one. Role `user` reads every table and inserts into the even ones.
fn resolved(extra: Value) -> ResolvedMetadata {
    let tables: Vec<Value> = (0..TABLES)
        .map(|i| {
            let mut columns = vec![column("id", "int4"), column("name", "text")];
            if i >= TABLES / 2 && i % 7 == 0 {
                columns.push(column("meta", "jsonb"));
            }
            if i == 3 {
                columns.push(column("doc", "json"));
            }
            json!({
                "schema": "public", "name": format!("t{i}"), "kind": "r", "description": null,
                "insertable": true, "updatable": true, "deletable": true, "columns": columns,
                "primary_key": {"name": format!("t{i}_pkey"), "columns": ["id"]},
                "unique_constraints": [], "foreign_keys": []
            })
        })
        .collect();
    let catalog = json!({"server_version": 150000, "enums": [], "functions": [], "tables": tables});
    let catalog = Arc::new(Catalog::from_json(&catalog.to_string()).unwrap());
    let tracked: Vec<Value> = (0..TABLES)
        .map(|i| {
            let mut t = json!({
                "table": {"schema": "public", "name": format!("t{i}")},
                "select_permissions": [{"role": "user", "permission": {
                    "columns": "*", "filter": {}, "allow_aggregations": i % 2 == 1}}]
            });
            if i % 2 == 0 {
                t["insert_permissions"] = json!([{"role": "user", "permission": {
                    "columns": ["name"], "check": {}}}]);
            }
            if i > 0 {
                t["object_relationships"] = json!([{"name": "prev", "using": {
                    "manual_configuration": {
                        "remote_table": {"schema": "public", "name": format!("t{}", i - 1)},
                        "column_mapping": {"id": "id"}}}}]);
            }
            if let Some(config) = extra.get(format!("t{i}")) {
                t["configuration"] = config.clone();
            }
            t
        })
        .collect();
    let md = Metadata::from_json(json!({"version": 3, "sources": [{
        "name": "default", "kind": "postgres",
        "configuration": {"connection_info": {"database_url": "postgres://x"}},
        "tables": tracked}]}))
    .unwrap();
    rasura_resolve::stages::sources::set_database_url("postgres://127.0.0.1/fixture");
    rasura_resolve::resolve(&md, catalog)
}

/// Everything of a role's schema that the writing decides, printed.
fn printed(s: &RoleSchema) -> (String, Vec<String>, Vec<String>) {
    let mut queries: Vec<String> = (s.query_roots.iter())
        .map(|(k, v)| format!("{k} {v:?}"))
        .collect();
    let mut mutations: Vec<String> = (s.mutation_roots.iter())
        .map(|(k, v)| format!("{k} {v:?}"))
        .collect();
    queries.sort();
    mutations.sort();
    (s.schema.to_string(), queries, mutations)
}

/// Both writings of every role's schema, and whether they were built.
fn assert_same(r: &ResolvedMetadata) -> Vec<bool> {
    let mut built = vec![];
    for role in ["admin", "user"] {
        let split = build_schema_for(r, role, false).map(|s| printed(&s));
        let alone = build_schema_on_one_thread(r, role, false).map(|s| printed(&s));
        assert_eq!(split, alone, "{role}");
        built.push(split.is_ok());
    }
    built
}

#[test]
fn two_halves_write_the_schema_one_thread_writes() {
    let r = resolved(json!({}));
    assert_eq!(assert_same(&r), [true, true]);
    let admin = build_schema_for(&r, "admin", false)
        .unwrap()
        .schema
        .to_string();
    // The jsonb operators, from the second half only, and the json path argument of the first.
    assert!(admin.contains("_contains: jsonb"), "jsonb operators");
    assert!(
        admin.contains("doc(\n"),
        "json column with its path argument"
    );
    assert!(admin.contains("t0_stream(") && admin.contains("t299_stream("));
}

#[test]
fn halves_whose_root_fields_meet_give_the_one_thread_schema() {
    // t10's stream takes the name of one in the second half: the later table has no stream.
    let r = resolved(json!({"t10": {"custom_root_fields": {"select_stream": "t250_stream"}}}));
    assert_eq!(assert_same(&r), [true, true]);
    // An insert field taking another's name is refused either way, in the same words.
    let r = resolved(json!({"t10": {"custom_root_fields": {"insert": "insert_t260"}}}));
    assert_eq!(assert_same(&r), [false, false]);
}
