//! Permission shapes at the edges: a select permission without columns (to count rows only)
//! must leave the rest of the role's schema whole; a role without mutations is told so; insert
//! checks with array session variables hold on both GraphQL endpoints; a role that may read
//! nothing gets the placeholder query and no subscription root; a row limit bounds an
//! aggregate's nodes, not its aggregates.

use std::path::Path;

use rasura_test_support::{TestCluster, TestServer};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

#[tokio::test]
async fn a_permission_without_columns_counts_rows_and_breaks_nothing() {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let s = TestServer::start(Path::new(BIN), &["--database-url", url.as_str()], &[]).await;
    let (status, body) = s
        .post(
            "/v1/query",
            &json!({"type": "bulk", "args": [
                {"type": "run_sql", "args": {"sql": "
                    create table secret (id serial primary key, v text);
                    insert into secret (v) values ('a'), ('b');
                    create table open (id serial primary key);
                    insert into open default values;"}},
                {"type": "track_table", "args": "secret"},
                {"type": "track_table", "args": "open"},
                {"type": "create_select_permission", "args": {"table": "secret", "role": "viewer",
                    "permission": {"columns": [], "filter": {}, "allow_aggregations": true}}},
                {"type": "create_select_permission", "args": {"table": "open", "role": "viewer",
                    "permission": {"columns": ["id"], "filter": {}}}},
            ]}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ open { id } secret_aggregate { aggregate { count } } secret { __typename } }"}),
            &[("x-hasura-role", "viewer")],
        )
        .await;
    assert_eq!(
        body["data"],
        json!({"open": [{"id": 1}], "secret_aggregate": {"aggregate": {"count": 2}},
               "secret": [{"__typename": "secret"}, {"__typename": "secret"}]}),
        "{body}"
    );
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ secret { v } }"}),
            &[("x-hasura-role", "viewer")],
        )
        .await;
    assert_eq!(
        body["errors"][0]["message"],
        "field 'v' not found in type: 'secret'"
    );
    // A role that may not write anything has no mutation root, in Hasura's words.
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "mutation { delete_open(where: {}) { affected_rows } }"}),
            &[("x-hasura-role", "viewer")],
        )
        .await;
    assert_eq!(body["errors"][0]["message"], "no mutations exist", "{body}");
}

#[tokio::test]
async fn insert_checks_with_array_session_variables_are_enforced() {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let s = TestServer::start(Path::new(BIN), &["--database-url", url.as_str()], &[]).await;
    let (status, body) = s
        .post(
            "/v1/query",
            &json!({"type": "bulk", "args": [
                {"type": "run_sql", "args": {"sql": "
                    create table computer (id serial primary key, name text not null, spec jsonb not null);"}},
                {"type": "track_table", "args": "computer"},
                {"type": "create_insert_permission", "args": {"table": "computer", "role": "seller",
                    "permission": {"check": {"spec": {"_has_keys_all": "X-Hasura-Spec-Required-Keys"}},
                                   "columns": "*"}}},
                {"type": "create_select_permission", "args": {"table": "computer", "role": "seller",
                    "permission": {"columns": "*", "filter": {}}}},
            ]}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let insert = |spec: serde_json::Value, endpoint: &'static str| {
        let s = &s;
        async move {
            s.post(
                endpoint,
                &json!({"query": "mutation($spec: jsonb) { insert_computer(objects: [{name: \"c\", spec: $spec}]) { affected_rows } }",
                        "variables": {"spec": spec}}),
                &[
                    ("x-hasura-role", "seller"),
                    ("x-hasura-spec-required-keys", "{processor,display,memory,warranty}"),
                ],
            )
            .await
        }
    };
    for endpoint in ["/v1/graphql", "/v1alpha1/graphql"] {
        let (status, body) = insert(json!({"processor": "AMD", "display": "16"}), endpoint).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "permission-error",
            "{endpoint}: {status} {body}"
        );
        let full = json!({"processor": "a", "display": "b", "memory": "c", "warranty": "d"});
        let (_, body) = insert(full, endpoint).await;
        assert_eq!(
            body["data"]["insert_computer"]["affected_rows"], 1,
            "{endpoint}: {body}"
        );
    }
}

#[tokio::test]
async fn a_role_that_may_read_nothing_gets_hasuras_placeholder() {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let s = TestServer::start(Path::new(BIN), &["--database-url", url.as_str()], &[]).await;
    let nobody = [("x-hasura-role", "nobody")];
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ no_queries_available }"}),
            &nobody,
        )
        .await;
    assert_eq!(
        body["data"]["no_queries_available"],
        "There are no queries available to the current role. Either there are no sources or remote schemas configured, or the current role doesn't have the required permissions."
    );
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": r#"{ m: __type(name: "mutation_root") { name }
                                  s: __type(name: "subscription_root") { name } }"#}),
            &nobody,
        )
        .await;
    assert_eq!(body["data"], json!({"m": null, "s": null}), "{body}");
}

#[tokio::test]
async fn a_row_limit_bounds_nodes_but_not_aggregates() {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let s = TestServer::start(Path::new(BIN), &["--database-url", url.as_str()], &[]).await;
    let (status, body) = s
        .post(
            "/v1/query",
            &json!({"type": "bulk", "args": [
                {"type": "run_sql", "args": {"sql": "
                    create table author (id int primary key);
                    create table article (id int primary key, author_id int references author(id));
                    insert into author values (1), (2), (3);
                    insert into article values (1, 1), (2, 1), (3, 1);"}},
                {"type": "track_table", "args": "author"},
                {"type": "track_table", "args": "article"},
                {"type": "create_array_relationship", "args": {"table": "author", "name": "articles",
                    "using": {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}}}},
                {"type": "create_select_permission", "args": {"table": "author", "role": "user",
                    "permission": {"columns": ["id"], "filter": {}, "limit": 1, "allow_aggregations": true}}},
                {"type": "create_select_permission", "args": {"table": "article", "role": "user",
                    "permission": {"columns": ["id"], "filter": {}, "limit": 2, "allow_aggregations": true}}},
            ]}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ author_aggregate(order_by: {id: desc}) {
                                  aggregate { count max { id } } nodes { id } }
                                author(where: {id: {_eq: 1}}) {
                                  articles_aggregate { aggregate { count } nodes { id } } }
                                small: author_aggregate(limit: 2) { aggregate { count } } }"}),
            &[("x-hasura-role", "user")],
        )
        .await;
    assert_eq!(
        body["data"],
        json!({"author_aggregate": {"aggregate": {"count": 3, "max": {"id": 3}}, "nodes": [{"id": 3}]},
               "author": [{"articles_aggregate": {"aggregate": {"count": 3},
                                                  "nodes": [{"id": 1}, {"id": 2}]}}],
               "small": {"aggregate": {"count": 2}}}),
        "{body}"
    );
}

/// A role that may write to a table but not read it gets the bulk mutations answering
/// `affected_rows` only, as in Hasura: no `returning`, no `_one`/`_by_pk` fields, no query
/// root field; the permission's check, preset and filter still hold.
#[tokio::test]
async fn a_role_that_may_only_write_gets_the_bulk_mutations() {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let s = TestServer::start(Path::new(BIN), &["--database-url", url.as_str()], &[]).await;
    let (status, body) = s
        .post(
            "/v1/query",
            &json!({"type": "bulk", "args": [
                {"type": "run_sql", "args": {"sql": "
                    create table note (id serial primary key, body text not null, owner int not null);"}},
                {"type": "track_table", "args": "note"},
                {"type": "create_insert_permission", "args": {"table": "note", "role": "writer",
                    "permission": {"columns": ["body"], "set": {"owner": "X-Hasura-User-Id"},
                                   "check": {"body": {"_neq": "forbidden"}}}}},
                {"type": "create_update_permission", "args": {"table": "note", "role": "editor",
                    "permission": {"columns": ["body"], "filter": {"owner": {"_eq": "X-Hasura-User-Id"}}}}},
                {"type": "create_delete_permission", "args": {"table": "note", "role": "remover",
                    "permission": {"filter": {"owner": {"_eq": "X-Hasura-User-Id"}}}}},
            ]}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let run = |role: &'static str, q: &'static str| {
        let s = &s;
        async move {
            s.post(
                "/v1/graphql",
                &json!({"query": q}),
                &[("x-hasura-role", role), ("x-hasura-user-id", "7")],
            )
            .await
            .1
        }
    };
    let body = run(
        "writer",
        r#"mutation { insert_note(objects: [{body: "a"}, {body: "b"}]) { affected_rows } }"#,
    )
    .await;
    assert_eq!(body, json!({"data": {"insert_note": {"affected_rows": 2}}}));
    let body = run(
        "writer",
        r#"mutation { insert_note(objects: [{body: "forbidden"}]) { affected_rows } }"#,
    )
    .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "permission-error",
        "{body}"
    );
    // As in Hasura, an insert's row errors point at its rows (by the field's response key).
    assert_eq!(
        body["errors"][0]["extensions"]["path"], "$.selectionSet.insert_note.args.objects",
        "{body}"
    );
    let body = run(
        "writer",
        r#"mutation { mine: insert_note(objects: [{body: "forbidden"}]) { affected_rows } }"#,
    )
    .await;
    assert_eq!(
        body["errors"][0]["extensions"]["path"], "$.selectionSet.mine.args.objects",
        "{body}"
    );
    for q in [
        r#"mutation { insert_note(objects: [{body: "c"}]) { returning { id } } }"#,
        r#"mutation { insert_note_one(object: {body: "c"}) { id } }"#,
        r#"{ note { id } }"#,
    ] {
        let body = run("writer", q).await;
        assert!(body["errors"].is_array(), "{q}: {body}");
    }
    let body = run(
        "editor",
        r#"mutation { update_note(where: {}, _set: {body: "edited"}) { affected_rows } }"#,
    )
    .await;
    assert_eq!(body, json!({"data": {"update_note": {"affected_rows": 2}}}));
    let body = run(
        "remover",
        r#"mutation { delete_note(where: {}) { affected_rows } }"#,
    )
    .await;
    assert_eq!(body, json!({"data": {"delete_note": {"affected_rows": 2}}}));
    let client = pg.client("app").await;
    let left: i64 = client
        .query_one("SELECT count(*) FROM note", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(left, 0);
}

/// A role that may delete (or update) a table it may not select, whose relationship leads to a
/// table it may select without aggregations: its whole schema builds, and the mutation of the
/// other table works (found with Hasura's `delete/permissions` cases).
#[tokio::test]
async fn a_write_only_table_with_a_relationship_keeps_the_role_schema() {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let s = TestServer::start(Path::new(BIN), &["--database-url", url.as_str()], &[]).await;
    let (status, body) = s
        .post(
            "/v1/query",
            &json!({"type": "bulk", "args": [
                {"type": "run_sql", "args": {"sql": "
                    create table author (id serial primary key, name text not null);
                    create table article (id serial primary key, title text not null,
                      author_id int not null references author(id));
                    insert into author (name) values ('ann'), ('bob');
                    insert into article (title, author_id) values ('a1', 1), ('b1', 2);"}},
                {"type": "track_table", "args": "author"},
                {"type": "track_table", "args": "article"},
                {"type": "create_array_relationship", "args": {"table": "author", "name": "articles",
                    "using": {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}}}},
                {"type": "create_object_relationship", "args": {"table": "article", "name": "author",
                    "using": {"foreign_key_constraint_on": "author_id"}}},
                {"type": "create_delete_permission", "args": {"table": "author", "role": "user",
                    "permission": {"filter": {"id": {"_eq": "X-Hasura-User-Id"}}}}},
                {"type": "create_update_permission", "args": {"table": "author", "role": "user",
                    "permission": {"columns": ["name"], "filter": {"id": {"_eq": "X-Hasura-User-Id"}}}}},
                {"type": "create_select_permission", "args": {"table": "article", "role": "user",
                    "permission": {"columns": ["id", "title", "author_id"], "filter": {}}}},
                {"type": "create_delete_permission", "args": {"table": "article", "role": "user",
                    "permission": {"filter": {"author_id": {"_eq": "X-Hasura-User-Id"}}}}},
            ]}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let user = [("x-hasura-role", "user"), ("x-hasura-user-id", "1")];
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "mutation { delete_article(where: {id: {_eq: 1}}) { affected_rows returning { id title } } }"}),
            &user,
        )
        .await;
    assert_eq!(
        body,
        json!({"data": {"delete_article": {"affected_rows": 1, "returning": [{"id": 1, "title": "a1"}]}}})
    );
    // The table it may only write filters by the relationship to the one it may read.
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "mutation { update_author(where: {articles: {title: {_eq: \"none\"}}}, _set: {name: \"x\"}) { affected_rows } }"}),
            &user,
        )
        .await;
    assert_eq!(
        body,
        json!({"data": {"update_author": {"affected_rows": 0}}}),
        "{body}"
    );
}

/// A relationship's target brings its own permission into a `where` through the
/// relationship; `["$", col]` in that rule means the target's row, not the row the outer query
/// started from. (Comparing with the outer row would let a role find rows its permission
/// hides: here, a project whose only task the role may not see.)
#[tokio::test]
async fn a_targets_root_column_rule_is_rooted_at_the_target() {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let s = TestServer::start(Path::new(BIN), &["--database-url", url.as_str()], &[]).await;
    let (status, body) = s
        .post(
            "/v1/query",
            &json!({"type": "bulk", "args": [
                {"type": "run_sql", "args": {"sql": "
                    create table project (id serial primary key, min_level int not null, name text not null);
                    create table task (id serial primary key, project_id int not null references project(id),
                        min_level int not null, title text not null);
                    create table grant_ (task_id int not null references task(id), user_id int not null, user_level int not null);
                    insert into project (min_level, name) values (0, 'accessible'), (0, 'restricted');
                    insert into task (project_id, min_level, title) values (1, 0, 'low'), (2, 10, 'high');
                    insert into grant_ values (1, 1, 5), (2, 1, 5);"}},
                {"type": "track_table", "args": "project"},
                {"type": "track_table", "args": "task"},
                {"type": "track_table", "args": "grant_"},
                {"type": "create_array_relationship", "args": {"table": "project", "name": "tasks",
                    "using": {"foreign_key_constraint_on": {"table": "task", "column": "project_id"}}}},
                {"type": "create_array_relationship", "args": {"table": "task", "name": "grants",
                    "using": {"foreign_key_constraint_on": {"table": "grant_", "column": "task_id"}}}},
                {"type": "create_select_permission", "args": {"table": "project", "role": "user",
                    "permission": {"columns": ["id", "min_level", "name"], "filter": {}}}},
                {"type": "create_select_permission", "args": {"table": "task", "role": "user",
                    "permission": {"columns": ["id", "project_id", "min_level", "title"], "filter": {"grants": {
                        "user_id": {"_eq": "X-Hasura-User-Id"}, "user_level": {"_cgte": ["$", "min_level"]}}}}}},
                {"type": "create_select_permission", "args": {"table": "grant_", "role": "user",
                    "permission": {"columns": ["task_id", "user_id", "user_level"], "filter": {}}}},
            ]}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let user = [("x-hasura-role", "user"), ("x-hasura-user-id", "1")];
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ project(where: {tasks: {id: {_is_null: false}}}, order_by: {id: desc}) { name } task { title } }"}),
            &user,
        )
        .await;
    assert_eq!(
        body["data"],
        json!({"project": [{"name": "accessible"}], "task": [{"title": "low"}]}),
        "{body}"
    );
    let (_, body) = s
        .post(
            "/v1/query",
            &json!({"type": "select", "args": {"table": "project", "columns": ["id", "name"],
                "where": {"tasks": {"id": {"$ne": 0}}}, "order_by": "-id"}}),
            &user,
        )
        .await;
    assert_eq!(body, json!([{"id": 1, "name": "accessible"}]), "{body}");
}

/// A change of permissions alone keeps the admin schema and the schemas of the roles it did not
/// touch, and rebuilds the others: each role still sees exactly what its permissions say,
/// including through a relationship, an inherited role and a role added or dropped.
#[tokio::test]
async fn permission_changes_rebuild_exactly_the_roles_they_touch() {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let s = TestServer::start(Path::new(BIN), &["--database-url", url.as_str()], &[]).await;
    let meta = |body: serde_json::Value| {
        let s = &s;
        async move {
            let (status, body) = s.post("/v1/metadata", &body, &[]).await;
            assert_eq!(status, 200, "{body}");
        }
    };
    meta(json!({"type": "bulk", "args": [
        {"type": "run_sql", "args": {"sql": "
            create table author (id serial primary key, name text, secret text);
            create table book (id serial primary key, author_id int references author (id), title text);
            insert into author (name, secret) values ('ann', 's1');
            insert into book (author_id, title) values (1, 'b1');"}},
        {"type": "pg_track_table", "args": {"table": "author"}},
        {"type": "pg_track_table", "args": {"table": "book"}},
        {"type": "pg_create_object_relationship", "args": {"table": "book", "name": "author",
            "using": {"foreign_key_constraint_on": "author_id"}}},
        {"type": "pg_create_select_permission", "args": {"table": "author", "role": "r1",
            "permission": {"columns": ["id", "name"], "filter": {}}}},
        {"type": "pg_create_select_permission", "args": {"table": "book", "role": "r1",
            "permission": {"columns": ["title"], "filter": {}}}},
        {"type": "pg_create_select_permission", "args": {"table": "book", "role": "r2",
            "permission": {"columns": ["title"], "filter": {}}}},
        {"type": "add_inherited_role", "args": {"role_name": "both", "role_set": ["r1", "r2"]}}
    ]}))
    .await;
    let ask = |role: &'static str, query: &'static str| {
        let s = &s;
        async move {
            let (_, body) = s
                .post(
                    "/v1/graphql",
                    &json!({"query": query}),
                    &[("x-hasura-role", role)],
                )
                .await;
            body
        }
    };
    let ok = |body: serde_json::Value| body["errors"].is_null();
    // Every role's schema built once.
    for role in ["r1", "r2", "both"] {
        assert!(ok(ask(role, "{ book { title } }").await));
    }
    assert!(!ok(ask("r1", "{ author { secret } }").await));
    // r1 may now read `secret`, and books' authors through the relationship.
    meta(json!({"type": "bulk", "args": [
        {"type": "pg_drop_select_permission", "args": {"table": "author", "role": "r1"}},
        {"type": "pg_create_select_permission", "args": {"table": "author", "role": "r1",
            "permission": {"columns": ["id", "name", "secret"], "filter": {}}}}
    ]}))
    .await;
    let body = ask("r1", "{ author { secret } book { author { name } } }").await;
    assert_eq!(
        body["data"],
        json!({"author": [{"secret": "s1"}], "book": [{"author": {"name": "ann"}}]}),
        "{body}"
    );
    // r2 is as it was (no author), the inherited role follows r1.
    assert!(!ok(ask("r2", "{ author { name } }").await));
    assert!(ok(ask("r2", "{ book { title } }").await));
    assert!(ok(ask("both", "{ author { secret } }").await));
    // A new role, then r2 dropped; the admin schema is unchanged throughout.
    meta(
        json!({"type": "pg_create_select_permission", "args": {"table": "author", "role": "r3",
        "permission": {"columns": ["name"], "filter": {}}}}),
    )
    .await;
    assert!(ok(ask("r3", "{ author { name } }").await));
    meta(json!({"type": "pg_drop_select_permission", "args": {"table": "book", "role": "r2"}}))
        .await;
    let body = ask("r2", "{ book { title } }").await;
    assert!(!ok(body.clone()), "{body}");
    assert!(ok(ask(
        "admin",
        "{ author { secret } book { author { id } } }"
    )
    .await));
}
