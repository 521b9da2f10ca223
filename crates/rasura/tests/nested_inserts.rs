//! Nested inserts end to end, as a permission matrix: object and array relationships, two
//! levels deep, roles with and without insert permission on each table, presets and checks at
//! every level; and the shapes Hasura accepts (`rel: null`, one-to-one after the parent,
//! `insert_<t>_one` with array relationships, upserts that do nothing) or refuses (columns a
//! parent determines).

use std::path::Path;

use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

async fn setup() -> (TestCluster, TestServer) {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let server = TestServer::start(
        Path::new(BIN),
        &["--database-url", url.as_str(), "--admin-secret", "adm"],
        &[],
    )
    .await;
    let perm = |kind: &str, table: &str, role: &str, permission: Value| json!({"type": format!("create_{kind}_permission"), "args": {"table": table, "role": role, "permission": permission}});
    let all = json!({"columns": "*", "filter": {}});
    let me = json!({"owner": "X-Hasura-User-Id"});
    let setup = json!({"type": "bulk", "args": [
        {"type": "run_sql", "args": {"sql": "
            create table org (id serial primary key, name text not null default 'org', owner int);
            create table users (id serial primary key, name text not null default 'u', org_id int references org(id), owner int);
            create table profile (id serial primary key, user_id int unique not null references users(id), bio text);
            create table post (id serial primary key, title text not null, slug text unique, org_id int references org(id), author_id int references users(id), owner int);
            create table comment (id serial primary key, post_id int not null references post(id), body text not null, owner int);"}},
        {"type": "track_table", "args": "org"},
        {"type": "track_table", "args": "users"},
        {"type": "track_table", "args": "profile"},
        {"type": "track_table", "args": "post"},
        {"type": "track_table", "args": "comment"},
        {"type": "create_object_relationship", "args": {"table": "post", "name": "org", "using": {"foreign_key_constraint_on": "org_id"}}},
        {"type": "create_object_relationship", "args": {"table": "post", "name": "author", "using": {"foreign_key_constraint_on": "author_id"}}},
        {"type": "create_object_relationship", "args": {"table": "users", "name": "org", "using": {"foreign_key_constraint_on": "org_id"}}},
        {"type": "create_object_relationship", "args": {"table": "comment", "name": "post", "using": {"foreign_key_constraint_on": "post_id"}}},
        {"type": "create_object_relationship", "args": {"table": "users", "name": "profile", "using": {"foreign_key_constraint_on": {"table": "profile", "column": "user_id"}}}},
        {"type": "create_object_relationship", "args": {"table": "profile", "name": "user", "using": {"foreign_key_constraint_on": "user_id"}}},
        {"type": "create_array_relationship", "args": {"table": "org", "name": "posts", "using": {"foreign_key_constraint_on": {"table": "post", "column": "org_id"}}}},
        {"type": "create_array_relationship", "args": {"table": "org", "name": "users", "using": {"foreign_key_constraint_on": {"table": "users", "column": "org_id"}}}},
        {"type": "create_array_relationship", "args": {"table": "post", "name": "comments", "using": {"foreign_key_constraint_on": {"table": "comment", "column": "post_id"}}}},
        // `user`: reads everything, inserts posts and comments only (each with a preset and a
        // check), updates its own posts.
        perm("select", "org", "user", all.clone()),
        perm("select", "users", "user", all.clone()),
        perm("select", "post", "user", all.clone()),
        perm("select", "comment", "user", all.clone()),
        perm("insert", "post", "user", json!({"columns": ["title", "slug", "org_id", "author_id"], "check": {"title": {"_neq": "forbidden"}}, "set": me})),
        perm("update", "post", "user", json!({"columns": ["title"], "filter": {"owner": {"_eq": "X-Hasura-User-Id"}}})),
        perm("insert", "comment", "user", json!({"columns": ["post_id", "body"], "check": {"body": {"_neq": "forbidden"}}, "set": me})),
        // `editor`: inserts into every table; orgs must be named ok*, presets everywhere.
        perm("select", "org", "editor", all.clone()),
        perm("select", "users", "editor", all.clone()),
        perm("select", "profile", "editor", all.clone()),
        perm("select", "post", "editor", all.clone()),
        perm("select", "comment", "editor", all.clone()),
        perm("insert", "org", "editor", json!({"columns": ["name"], "check": {"name": {"_like": "ok%"}}, "set": me})),
        perm("insert", "users", "editor", json!({"columns": ["name", "org_id"], "check": {}, "set": me})),
        perm("insert", "profile", "editor", json!({"columns": ["bio", "user_id"], "check": {}})),
        perm("insert", "post", "editor", json!({"columns": ["title", "slug", "org_id", "author_id"], "check": {}, "set": me})),
        perm("insert", "comment", "editor", json!({"columns": ["post_id", "body"], "check": {"body": {"_neq": "forbidden"}}, "set": me})),
    ]});
    let (status, body) = server
        .post("/v1/query", &setup, &[("x-hasura-admin-secret", "adm")])
        .await;
    assert_eq!(status, 200, "{body}");
    (pg, server)
}

async fn as_role(s: &TestServer, role: &str, query: &str) -> Value {
    let headers = [
        ("x-hasura-admin-secret", "adm"),
        ("x-hasura-role", role),
        ("x-hasura-user-id", "7"),
    ];
    let (status, body) = s
        .post("/v1/graphql", &json!({"query": query}), &headers)
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn admin(s: &TestServer, query: &str) -> Value {
    as_role(s, "admin", query).await
}

async fn counts(s: &TestServer) -> Value {
    admin(
        s,
        "{ org_aggregate { aggregate { count } } users_aggregate { aggregate { count } }
           profile_aggregate { aggregate { count } } post_aggregate { aggregate { count } }
           comment_aggregate { aggregate { count } } }",
    )
    .await["data"]
        .clone()
}

fn count_of(counts: &Value, table: &str) -> i64 {
    counts[format!("{table}_aggregate")]["aggregate"]["count"]
        .as_i64()
        .unwrap()
}

fn error(v: &Value) -> (&str, &str) {
    (
        v["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or("none"),
        v["errors"][0]["message"].as_str().unwrap_or(""),
    )
}

async fn input_fields(s: &TestServer, role: &str, ty: &str) -> Vec<String> {
    let q = format!("{{ __type(name: \"{ty}\") {{ inputFields {{ name }} }} }}");
    let body = as_role(s, role, &q).await;
    body["data"]["__type"]["inputFields"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .map(|f| f["name"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_relationship_is_offered_only_where_the_role_can_insert_into_its_target() {
    let (_pg, s) = setup().await;
    // `user` cannot insert orgs or users: no `org` or `author` in a post's insert input, but
    // `comments` (which it can insert) is there.
    let fields = input_fields(&s, "user", "post_insert_input").await;
    assert!(fields.contains(&"comments".to_string()), "{fields:?}");
    assert!(!fields.contains(&"org".to_string()), "{fields:?}");
    assert!(!fields.contains(&"author".to_string()), "{fields:?}");
    // `editor` can: every relationship is offered.
    let fields = input_fields(&s, "editor", "post_insert_input").await;
    for f in ["comments", "org", "author"] {
        assert!(fields.contains(&f.to_string()), "{f} in {fields:?}");
    }
    // The bypass: an org (and through it, another table) reached from a post.
    let before = counts(&s).await;
    for q in [
        r#"mutation { insert_post(objects: [{title: "x", org: {data: {posts: {data: []}}}}]) { affected_rows } }"#,
        r#"mutation { insert_post(objects: [{title: "x", author: {data: {name: "n"}}}]) { affected_rows } }"#,
        r#"mutation { insert_comment(objects: [{body: "b", post: {data: {title: "t", org: {data: {}}}}}]) { affected_rows } }"#,
    ] {
        let body = as_role(&s, "user", q).await;
        assert_eq!(error(&body).0, "validation-failed", "{q}: {body}");
    }
    assert_eq!(counts(&s).await, before);
}

#[tokio::test]
async fn every_level_applies_its_tables_presets_and_check() {
    let (_pg, s) = setup().await;
    // Two levels of array relationships (org -> posts -> comments) and two of object
    // relationships (comment -> post -> org), as `editor`: each row takes its table's preset.
    let body = as_role(
        &s,
        "editor",
        r#"mutation {
          a: insert_org(objects: [{name: "ok-a", posts: {data: [{title: "p1", comments: {data: [{body: "c1"}, {body: "c2"}]}}]}}]) {
            affected_rows returning { name owner posts { title owner comments(order_by: {id: asc}) { body owner } } } }
          b: insert_comment_one(object: {body: "c3", post: {data: {title: "p2", org: {data: {name: "ok-b"}}}}}) {
            body owner post { title owner org { name owner } } }
        }"#,
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {
            "a": {"affected_rows": 4, "returning": [{"name": "ok-a", "owner": 7, "posts": [{"title": "p1", "owner": 7, "comments": [
                {"body": "c1", "owner": 7}, {"body": "c2", "owner": 7}]}]}]},
            "b": {"body": "c3", "owner": 7, "post": {"title": "p2", "owner": 7, "org": {"name": "ok-b", "owner": 7}}}
        }})
    );
    // A check failing at any level fails the whole mutation; nothing is left behind.
    let before = counts(&s).await;
    for q in [
        // level 2, array: a comment breaks its check
        r#"mutation { insert_org(objects: [{name: "ok-c", posts: {data: [{title: "p", comments: {data: [{body: "forbidden"}]}}]}}]) { affected_rows } }"#,
        // level 2, object: the org breaks its check
        r#"mutation { insert_comment(objects: [{body: "c", post: {data: {title: "p", org: {data: {name: "bad"}}}}}]) { affected_rows } }"#,
        // level 1, the root row itself
        r#"mutation { insert_org_one(object: {name: "bad", posts: {data: [{title: "p"}]}}) { id } }"#,
    ] {
        let body = as_role(&s, "editor", q).await;
        assert_eq!(error(&body).0, "permission-error", "{q}: {body}");
    }
    assert_eq!(counts(&s).await, before);
    // `user` through the array relationship it may use: presets and checks at both levels.
    let body = as_role(
        &s,
        "user",
        r#"mutation { insert_post_one(object: {title: "mine", comments: {data: [{body: "hi"}]}}) { owner comments { body owner } } }"#,
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"insert_post_one": {"owner": 7, "comments": [{"body": "hi", "owner": 7}]}}})
    );
    let before = counts(&s).await;
    let body = as_role(
        &s,
        "user",
        r#"mutation { insert_post(objects: [{title: "ok", comments: {data: [{body: "forbidden"}]}}]) { affected_rows } }"#,
    )
    .await;
    assert_eq!(error(&body).0, "permission-error", "{body}");
    assert_eq!(counts(&s).await, before);
}

#[tokio::test]
async fn shapes_hasura_accepts() {
    let (_pg, s) = setup().await;
    // insert_<t>_one with an array relationship, as admin.
    let body = admin(
        &s,
        r#"mutation { insert_post_one(object: {title: "a", comments: {data: [{body: "x"}, {body: "y"}]}}) { title comments(order_by: {id: asc}) { body } } }"#,
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"insert_post_one": {"title": "a", "comments": [{"body": "x"}, {"body": "y"}]}}})
    );
    // Child rows, and a response without `affected_rows`.
    let body = as_role(
        &s,
        "editor",
        r#"mutation { insert_post(objects: [{title: "b", comments: {data: [{body: "z"}]}}]) { returning { title } } }"#,
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"insert_post": {"returning": [{"title": "b"}]}}})
    );
    // `rel: null` inserts nothing through it.
    let before = counts(&s).await;
    let body = as_role(
        &s,
        "editor",
        r#"mutation { insert_post(objects: [{title: "c", org: null, comments: null}]) { affected_rows returning { org_id } } }"#,
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"insert_post": {"affected_rows": 1, "returning": [{"org_id": null}]}}})
    );
    let after = counts(&s).await;
    assert_eq!(count_of(&after, "org"), count_of(&before, "org"));
    assert_eq!(count_of(&after, "comment"), count_of(&before, "comment"));
    // One to one on the target's foreign key: the profile comes after its user and takes the
    // user's id.
    let body = as_role(
        &s,
        "editor",
        r#"mutation { insert_users_one(object: {name: "ann", profile: {data: {bio: "hello"}}}) { id name profile { bio user { name } } } }"#,
    )
    .await;
    assert_eq!(
        body["data"]["insert_users_one"]["profile"],
        json!({"bio": "hello", "user": {"name": "ann"}}),
        "{body}"
    );
    // An upsert that updates nothing, for a role with an update permission (a filter that
    // must not be bound when there is nothing to update).
    let q = r#"mutation { insert_post(objects: [{title: "d", slug: "d"}], on_conflict: {constraint: post_slug_key, update_columns: []}) { affected_rows } }"#;
    let body = as_role(&s, "user", q).await;
    assert_eq!(body, json!({"data": {"insert_post": {"affected_rows": 1}}}));
    let body = as_role(&s, "user", q).await;
    assert_eq!(body, json!({"data": {"insert_post": {"affected_rows": 0}}}));
    // Its array rows then have no parent: refused, nothing written (as Hasura).
    let before = counts(&s).await;
    let body = admin(
        &s,
        r#"mutation { insert_post(objects: [{title: "d", slug: "d", comments: {data: [{body: "c"}]}}], on_conflict: {constraint: post_slug_key, update_columns: []}) { affected_rows } }"#,
    )
    .await;
    assert_eq!(
        body["errors"][0]["message"],
        "cannot proceed to insert array relations since insert to table \"post\" affects zero rows",
        "{body}"
    );
    assert_eq!(counts(&s).await, before);
}

#[tokio::test]
async fn columns_a_parent_determines_are_refused() {
    let (_pg, s) = setup().await;
    let before = counts(&s).await;
    // A child row of an array relationship setting the column the parent fills in.
    let body = as_role(
        &s,
        "editor",
        r#"mutation { insert_org(objects: [{name: "ok", posts: {data: [{title: "x", org_id: 5}]}}]) { affected_rows } }"#,
    )
    .await;
    assert_eq!(
        error(&body),
        (
            "validation-failed",
            "cannot insert \"org_id\" columns as their values are already being determined by parent insert"
        ),
        "{body}"
    );
    // A row giving the column of an object relationship it also inserts.
    let body = as_role(
        &s,
        "editor",
        r#"mutation { insert_post(objects: [{title: "x", org_id: 1, org: {data: {name: "ok"}}}]) { affected_rows } }"#,
    )
    .await;
    assert_eq!(
        error(&body),
        (
            "validation-failed",
            "cannot insert object relationship \"org\" as \"org_id\" column values are already determined"
        ),
        "{body}"
    );
    assert_eq!(
        body["errors"][0]["extensions"]["path"],
        json!("$.selectionSet.insert_post.args.objects[0].org")
    );
    // The one-to-one child may not give the key either.
    let body = as_role(
        &s,
        "editor",
        r#"mutation { insert_users(objects: [{name: "x", profile: {data: {bio: "b", user_id: 3}}}]) { affected_rows } }"#,
    )
    .await;
    assert_eq!(error(&body).0, "validation-failed", "{body}");
    assert_eq!(counts(&s).await, before);
}

#[tokio::test]
async fn a_related_row_can_be_inserted_through_a_view() {
    let (_pg, s) = setup().await;
    let (status, body) = s
        .post(
            "/v1/query",
            &json!({"type": "bulk", "args": [
                {"type": "run_sql", "args": {"sql": "create view writer as select id, name from users"}},
                {"type": "track_table", "args": "writer"},
                {"type": "create_object_relationship", "args": {"table": "post", "name": "writer",
                    "using": {"manual_configuration": {"remote_table": "writer",
                        "column_mapping": {"author_id": "id"}}}}},
            ]}),
            &[("x-hasura-admin-secret", "adm")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let body = admin(
        &s,
        r#"mutation { insert_post(objects: [{title: "via view", writer: {data: {name: "Vi"}}}]) {
             affected_rows returning { title writer { name } } } }"#,
    )
    .await;
    assert_eq!(
        body["data"]["insert_post"],
        json!({"affected_rows": 2, "returning": [{"title": "via view", "writer": {"name": "Vi"}}]}),
        "{body}"
    );
}
