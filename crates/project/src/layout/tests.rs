//! Export-then-build on a metadata document with a bit of everything.

use super::*;

fn sample() -> Value {
    json!({
        "version": 3,
        "sources": [
            {"name": "default", "kind": "postgres",
             "tables": [
                {"table": {"schema": "public", "name": "users"},
                 "array_relationships": [{"name": "posts", "using": {"foreign_key_constraint_on": {"table": {"schema": "public", "name": "posts"}, "column": "user_id"}}}],
                 "select_permissions": [{"role": "user", "permission": {"columns": ["id"], "filter": {"id": {"_eq": "X-Hasura-User-Id"}}}}]},
                {"table": {"schema": "app", "name": "posts"}}
             ],
             "functions": [{"function": {"schema": "public", "name": "search"}}],
             "configuration": {"connection_info": {"database_url": {"from_env": "PG_DATABASE_URL"}}}},
            {"name": "other db", "kind": "postgres", "tables": [], "configuration": {"connection_info": {"database_url": "postgres://x"}}}
        ],
        "actions": [{"name": "login", "definition": {"kind": "synchronous", "type": "mutation", "handler": "http://h",
            "arguments": [{"name": "u", "type": "String!"}], "output_type": "Out"}}],
        "custom_types": {"objects": [{"name": "Out", "fields": [{"name": "t", "type": "String"}]}]},
        "remote_schemas": [{"name": "rs", "definition": {"url": "http://r", "timeout_seconds": 60}}],
        "cron_triggers": [{"name": "c", "webhook": "http://w", "schedule": "* * * * *", "include_in_metadata": true}],
        "allowlist": [{"collection": "allowed", "scope": {"global": true}}],
        "query_collections": [{"name": "allowed", "definition": {"queries": [{"name": "q", "query": "query { users { id } }\n"}]}}],
        "inherited_roles": [{"role_name": "both", "role_set": ["a", "b"]}],
        "api_limits": {"disabled": false, "depth_limit": {"global": 5, "per_role": {}}},
        "network": {"tls_allowlist": []},
        "graphql_schema_introspection": {"disabled_for_roles": ["anonymous"]}
    })
}

fn paths(files: &[File]) -> Vec<String> {
    files.iter().map(|f| f.path.display().to_string()).collect()
}

#[test]
fn export_lays_out_the_files_as_the_hasura_cli() {
    let files = export(&sample()).unwrap();
    let p = paths(&files);
    for want in [
        "version.yaml",
        "databases/databases.yaml",
        "databases/default/tables/tables.yaml",
        "databases/default/tables/public_users.yaml",
        "databases/default/tables/app_posts.yaml",
        "databases/default/functions/functions.yaml",
        "databases/default/functions/public_search.yaml",
        "databases/other db/tables/tables.yaml",
        "actions.yaml",
        "actions.graphql",
        "remote_schemas.yaml",
        "allow_list.yaml",
        "cron_triggers.yaml",
        "query_collections.yaml",
        "inherited_roles.yaml",
        "rest_endpoints.yaml",
        "api_limits.yaml",
        "network.yaml",
        "graphql_schema_introspection.yaml",
        "metrics_config.yaml",
        "opentelemetry.yaml",
        "backend_configs.yaml",
    ] {
        assert!(p.contains(&want.to_string()), "{want} missing from {p:?}");
    }
    let text = |path: &str| {
        files
            .iter()
            .find(|f| f.path == Path::new(path))
            .unwrap()
            .text
            .clone()
    };
    let dbs: Value = yaml_serde::from_str(&text("databases/databases.yaml")).unwrap();
    assert_eq!(dbs[0]["tables"], "!include default/tables/tables.yaml");
    assert_eq!(
        dbs[0]["functions"],
        "!include default/functions/functions.yaml"
    );
    assert_eq!(dbs[1]["tables"], "!include other db/tables/tables.yaml");
    let tables: Value =
        yaml_serde::from_str(&text("databases/default/tables/tables.yaml")).unwrap();
    assert_eq!(
        tables,
        json!(["!include public_users.yaml", "!include app_posts.yaml"])
    );
    assert_eq!(text("rest_endpoints.yaml").trim(), "[]");
    assert_eq!(text("version.yaml").trim(), "version: 3");
}

#[test]
fn exporting_then_building_is_the_identity() {
    let dir = tempfile::tempdir().unwrap();
    let md = sample();
    write(dir.path(), &export(&md).unwrap()).unwrap();
    let built = build(dir.path()).unwrap();
    let mut want = md.clone();
    // Keys that an absent value exports as, read back as they are written (as the Hasura CLI
    // sends them).
    want["opentelemetry"] = json!({});
    want["backend_configs"] = json!({});
    assert_eq!(built, want);
}

#[test]
fn a_dropped_table_file_goes_on_the_next_export() {
    let dir = tempfile::tempdir().unwrap();
    let mut md = sample();
    write(dir.path(), &export(&md).unwrap()).unwrap();
    let old = dir.path().join("databases/default/tables/app_posts.yaml");
    assert!(old.exists());
    md["sources"][0]["tables"].as_array_mut().unwrap().pop();
    write(dir.path(), &export(&md).unwrap()).unwrap();
    assert!(!old.exists());
    assert_eq!(
        build(dir.path()).unwrap()["sources"][0]["tables"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn unknown_top_level_keys_are_refused_not_dropped() {
    let e = export(&json!({"version": 3, "surprise": 1})).unwrap_err();
    assert!(e.to_string().contains("surprise"), "{e}");
}

#[test]
fn a_hand_written_project_with_yaml_tags_builds() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("databases/default/tables")).unwrap();
    std::fs::write(d.join("version.yaml"), "version: 3\n").unwrap();
    std::fs::write(
        d.join("databases/databases.yaml"),
        "- name: default\n  kind: postgres\n  configuration:\n    connection_info:\n      database_url:\n        from_env: HASURA_GRAPHQL_DATABASE_URL\n  tables: !include default/tables/tables.yaml\n",
    )
    .unwrap();
    std::fs::write(
        d.join("databases/default/tables/tables.yaml"),
        "- \"!include public_t.yaml\"\n",
    )
    .unwrap();
    std::fs::write(
        d.join("databases/default/tables/public_t.yaml"),
        "table:\n  name: t\n  schema: public\n",
    )
    .unwrap();
    let md = build(d).unwrap();
    assert_eq!(
        md["sources"][0]["tables"],
        json!([{"table": {"name": "t", "schema": "public"}}])
    );
    assert!(md.get("actions").is_none());
}
