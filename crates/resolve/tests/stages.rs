//! Resolution against hand-written catalog documents.

use std::sync::Arc;

use rasura_catalog::Catalog;
use rasura_metadata::{ops, Metadata};
use serde_json::json;

use rasura_resolve::resolve;

fn catalog() -> Arc<Catalog> {
    Arc::new(Catalog::from_json(&catalog_doc().to_string()).unwrap())
}

fn catalog_doc() -> serde_json::Value {
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
    doc
}

fn metadata(ops_list: &[(&str, serde_json::Value)]) -> Metadata {
    rasura_resolve::stages::sources::set_database_url("postgres://127.0.0.1/test");
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

#[test]
fn permission_rules_naming_unknown_columns_or_operators_are_inconsistent() {
    let perm = |role: &str, filter: serde_json::Value| {
        (
            "create_select_permission",
            json!({"table": "article", "role": role, "permission": {"columns": ["id"], "filter": filter}}),
        )
    };
    let md = metadata(&[
        ("track_table", json!("author")),
        ("track_table", json!("article")),
        (
            "create_object_relationship",
            json!({"table": "article", "name": "author", "using": {"foreign_key_constraint_on": "author_id"}}),
        ),
        perm(
            "ok",
            json!({"_and": [{"author": {"name": {"_ilike": "%a%"}}}, {"id": {"$gt": 1}}, {"author_id": 3}, {"_exists": {"_table": "author", "_where": {"id": {"_eq": "X-Hasura-User-Id"}}}}]}),
        ),
        perm("column", json!({"author": {"nmae": {"_eq": "x"}}})),
        perm("operator", json!({"id": {"_equals": 1}})),
        perm("postgis", json!({"id": {"_st_intersects_rast": {}}})),
        perm(
            "exists",
            json!({"_exists": {"_table": "nowhere", "_where": {}}}),
        ),
    ]);
    let r = resolve(&md, catalog());
    let reasons: Vec<(String, String)> = r
        .inconsistencies
        .iter()
        .map(|i| (i.name.clone(), i.reason.clone()))
        .collect();
    assert_eq!(reasons.len(), 4, "{reasons:#?}");
    let about = |role: &str| {
        reasons
            .iter()
            .find(|(n, _)| n.contains(&format!("permission {role} ")))
            .map(|(_, r)| r.clone())
            .unwrap_or_default()
    };
    assert!(about("column").contains("\"nmae\""), "{reasons:#?}");
    assert!(about("operator").contains("unknown operator \"_equals\""));
    assert!(
        about("postgis").contains("\"_st_intersects_rast\"")
            && about("postgis").contains("not supported")
    );
    assert!(about("exists").contains("\"nowhere\""));
    let article = r
        .table(&rasura_metadata::QualifiedName::public("article"))
        .unwrap();
    assert!(article.select_permissions.contains_key("ok"));
    assert!(!article.select_permissions.contains_key("operator"));
}

#[test]
fn sections_the_engine_does_not_implement_are_reported_by_name() {
    let mut md = metadata(&[("track_table", json!("author"))]);
    md.extra.insert(
        "cron_triggers".into(),
        json!([{"name": "nightly", "webhook": "http://x", "schedule": "0 0 * *", "include_in_metadata": true}]),
    );
    md.extra.insert(
        "network".into(),
        json!({"tls_allowlist": [{"host": "example.com"}]}),
    );
    md.extra.insert(
        "allowlist".into(),
        json!([{"collection": "missing", "scope": {"global": true}}]),
    );
    md.extra.insert(
        "api_limits".into(),
        json!({"disabled": false, "depth_limit": {"per_role": {"user": 5}}}),
    );
    md.extra.insert("inherited_roles".into(), json!([]));
    md.extra.insert(
        "actions".into(),
        json!([{"name": "a", "definition": {"handler": "http://h", "output_type": "O", "response_transform": {"version": 2, "body": {"action": "transform", "template": "{{ $body.x "}}}}]),
    );
    let r = resolve(&md, catalog());
    let found: Vec<(&str, &str)> = r
        .inconsistencies
        .iter()
        .map(|i| (i.kind.as_str(), i.reason.as_str()))
        .collect();
    assert!(
        found.iter().any(|(kind, reason)| *kind == "cron_trigger"
            && reason.contains("invalid cron schedule \"0 0 * *\"")),
        "{found:#?}"
    );
    assert!(
        found.contains(&(
            "network",
            "Inconsistent object: network settings (TLS allow list) are not supported by this engine yet"
        )),
        "{found:#?}"
    );
    assert!(
        found.contains(&(
            "allowlist",
            "Inconsistent object: query collection with name \"missing\" does not exist"
        )),
        "{found:#?}"
    );
    assert!(found
        .iter()
        .any(|(k, r)| *k == "api_limits" && r.contains("API limits are not valid")));
    assert!(
        found
            .iter()
            .any(|(k, r)| *k == "action" && r.contains("response transform's body template")),
        "{found:#?}"
    );
    // An empty section asks for nothing.
    assert!(!found.iter().any(|(k, _)| *k == "inherited_role"));
    assert!(r.actions.is_empty());
    // The tracked table is served all the same.
    assert!(r
        .table(&rasura_metadata::QualifiedName::public("author"))
        .is_some());
}

#[test]
fn action_response_transforms_are_kept_and_trigger_ones_refused() {
    let mut md = metadata(&[("track_table", json!("author"))]);
    let transform =
        json!({"version": 2, "body": {"action": "transform", "template": "{\"id\": {{$body.n}}}"}});
    md.extra.insert(
        "actions".into(),
        json!([{"name": "a", "definition": {"handler": "http://h", "output_type": "O", "response_transform": transform}}]),
    );
    let r = resolve(&md, catalog());
    assert_eq!(r.actions.len(), 1, "{:#?}", r.inconsistencies);
    assert_eq!(r.actions[0].response_transform, Some(transform.clone()));
    assert_eq!(r.actions[0].request_transform, None);
}

#[test]
fn inherited_roles_combine_their_parents_permissions() {
    let md = metadata(&[
        ("track_table", json!("author")),
        (
            "create_select_permission",
            json!({"table": "author", "role": "a", "permission": {"columns": ["id"], "filter": {"id": {"_eq": 1}}, "limit": 5}}),
        ),
        (
            "create_select_permission",
            json!({"table": "author", "role": "b", "permission": {"columns": "*", "filter": {"id": {"_eq": 2}}, "allow_aggregations": true}}),
        ),
        (
            "create_delete_permission",
            json!({"table": "author", "role": "a", "permission": {"filter": {}}}),
        ),
        (
            "create_delete_permission",
            json!({"table": "author", "role": "b", "permission": {"filter": {}}}),
        ),
        (
            "create_update_permission",
            json!({"table": "author", "role": "a", "permission": {"columns": ["name"], "filter": {}}}),
        ),
        (
            "create_update_permission",
            json!({"table": "author", "role": "b", "permission": {"columns": ["id"], "filter": {}}}),
        ),
        (
            "add_inherited_role",
            json!({"role_name": "ab", "role_set": ["a", "b"]}),
        ),
        (
            "add_inherited_role",
            json!({"role_name": "abc", "role_set": ["ab", "c"]}),
        ),
    ]);
    let r = resolve(&md, catalog());
    let t = r
        .table(&rasura_metadata::QualifiedName::public("author"))
        .unwrap();
    let ab = &t.select_permissions["ab"];
    assert_eq!(
        ab.filter,
        json!({"_or": [{"id": {"_eq": 1}}, {"id": {"_eq": 2}}]})
    );
    assert_eq!(ab.limit, Some(5));
    assert!(ab.allow_aggregations);
    assert!(ab.columns.allows("id") && ab.columns.allows("name"));
    // `name` only through b: shown on b's rows; `id` through both: always.
    assert_eq!(
        t.redactions["ab"],
        std::collections::HashMap::from([(
            "name".to_string(),
            json!({"_or": [{"id": {"_eq": 2}}]})
        )])
    );
    // Equal deletes are inherited; different updates are not, and are reported.
    assert!(t.delete_permissions.contains_key("ab"));
    assert!(!t.update_permissions.contains_key("ab"));
    assert!(r.inconsistencies.iter().any(|i| i.name == "ab"
        && i.reason == "Could not inherit permission for the role 'ab' for the entity: 'update permission, table: author, source: 'default''"));
    // A role of an inherited role: one parent with a select permission, taken whole with
    // its redactions.
    assert_eq!(t.select_permissions["abc"], *ab);
    assert_eq!(t.redactions["abc"], t.redactions["ab"]);
    assert!(t.delete_permissions.contains_key("abc"));
}

#[test]
fn a_cycle_of_inherited_roles_is_inconsistent() {
    let mut md = metadata(&[("track_table", json!("author"))]);
    md.extra.insert(
        "inherited_roles".into(),
        json!([{"role_name": "x", "role_set": ["y"]}, {"role_name": "y", "role_set": ["x"]}]),
    );
    let r = resolve(&md, catalog());
    let cycles: Vec<_> = r
        .inconsistencies
        .iter()
        .filter(|i| i.kind == "inherited_role" && i.reason.contains("found cycle(s) in roles"))
        .collect();
    assert_eq!(cycles.len(), 2, "{:?}", r.inconsistencies);
}

#[test]
fn other_sources_resolve_against_their_own_catalogs() {
    let mut md = metadata(&[("track_table", json!("author"))]);
    let mut two = rasura_metadata::document::Source::default_source();
    two.name = "two".into();
    two.configuration = json!({"connection_info": {"database_url": "postgres://127.0.0.1/two"}});
    md.sources.push(two);
    for (op, args) in [
        (
            "pg_track_table",
            json!({"source": "two", "table": "article"}),
        ),
        ("pg_track_table", json!({"source": "two", "table": "gone"})),
        (
            "pg_create_select_permission",
            json!({"source": "two", "table": "article", "role": "user",
                   "permission": {"columns": ["id"], "filter": {}}}),
        ),
    ] {
        ops::apply(&mut md, op, args).unwrap();
    }
    // The second source's catalog is its own: `author` is not in it.
    let mut first = (*catalog()).clone();
    let mut doc = catalog_doc();
    doc["tables"]
        .as_array_mut()
        .unwrap()
        .retain(|t| t["name"] == "article");
    let two = Catalog::from_json(&doc.to_string()).unwrap();
    first.sources.insert("two".into(), Arc::new(two));
    let r = resolve(&md, Arc::new(first));
    assert_eq!(r.tables.len(), 1);
    assert_eq!(r.sources.len(), 1);
    let other = &r.sources[0];
    assert_eq!(other.source.as_ref().unwrap().name, "two");
    assert_eq!(other.tables.len(), 1);
    assert!(other.tables[0].select_permissions.contains_key("user"));
    // Its inconsistencies are in the first's list, named and placed in their source.
    let gone: Vec<_> = r.inconsistencies.iter().collect();
    assert_eq!(gone.len(), 1, "{gone:?}");
    assert_eq!(gone[0].name, "table gone in source two");
    assert_eq!(
        gone[0].object,
        rasura_resolve::ObjectRef::InSource(
            "two".into(),
            Box::new(rasura_resolve::ObjectRef::Table(
                rasura_metadata::QualifiedName::public("gone")
            ))
        )
    );
    // A source whose catalog was not read serves nothing and says so.
    let r = resolve(&md, catalog());
    assert!(r.sources[0].tables.is_empty());
    assert_eq!(
        r.inconsistencies[0].name, "source two",
        "{:?}",
        r.inconsistencies
    );
}
