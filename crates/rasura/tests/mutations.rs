//! End to end: mutations through the real binary, in one transaction per operation.

use std::path::Path;

use rasura_test_support::{TestCluster, TestServer};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

async fn setup() -> (TestCluster, TestServer) {
    let pg = TestCluster::start("app").await;
    let server = TestServer::start(Path::new(BIN), &["--database-url", &pg.url("app")], &[]).await;
    let setup = json!({"type": "bulk", "args": [
        {"type": "run_sql", "args": {"sql": "
            create table author (id serial primary key, name text not null unique, meta jsonb not null default '{}', rating int);
            create table article (id serial primary key, author_id int not null references author(id), title text not null check (title <> ''));"}},
        {"type": "track_table", "args": "author"},
        {"type": "track_table", "args": "article"},
        {"type": "create_object_relationship", "args": {"table": "article", "name": "author", "using": {"foreign_key_constraint_on": "author_id"}}},
        {"type": "create_array_relationship", "args": {"table": "author", "name": "articles", "using": {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}}}}
    ]});
    assert_eq!(server.post("/v1/query", &setup, &[]).await.0, 200);
    (pg, server)
}

async fn count(s: &TestServer, table: &str) -> i64 {
    let (_, body) = s
        .post(
            "/v2/query",
            &json!({"type": "count", "args": {"table": table}}),
            &[],
        )
        .await;
    body["count"].as_i64().unwrap()
}

#[tokio::test]
async fn inserts_nested_rows_and_answers_with_relationships() {
    let (_pg, s) = setup().await;
    let body = s.graphql(r#"mutation { insert_article(objects: [
             {title: "One", author: {data: {name: "Ann"}}},
             {title: "Two", author: {data: {name: "Bob", articles: {data: [{title: "Three"}]}}}}
           ]) { affected_rows returning { title author { name articles(order_by: {id: asc}) { title } } } } }"#,
        json!({}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"insert_article": {"affected_rows": 5, "returning": [
            {"title": "One", "author": {"name": "Ann", "articles": [{"title": "One"}]}},
            {"title": "Two", "author": {"name": "Bob", "articles": [{"title": "Three"}, {"title": "Two"}]}}
        ]}}})
    );
    // Upsert: the conflicting row is updated, not duplicated.
    let body = s.graphql(r#"mutation { insert_author_one(object: {name: "Ann", rating: 5}, on_conflict: {constraint: author_name_key, update_columns: [rating]}) { name rating } }"#,
        json!({}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"insert_author_one": {"name": "Ann", "rating": 5}}})
    );
    assert_eq!(count(&s, "author").await, 2);
}

#[tokio::test]
async fn updates_and_deletes() {
    let (_pg, s) = setup().await;
    s.graphql(r#"mutation { insert_author(objects: [{name: "Ann", rating: 1, meta: {a: 1, b: [1, 2]}}, {name: "Bob", rating: 2}]) { affected_rows } }"#, json!({})).await;
    let body = s.graphql(r#"mutation($m: jsonb) {
             u: update_author(where: {name: {_eq: "Ann"}}, _inc: {rating: 10}, _append: {meta: $m}) { affected_rows returning { rating meta } }
             k: update_author_by_pk(pk_columns: {id: 1}, _delete_key: {meta: "a"}) { meta }
             p: update_author_by_pk(pk_columns: {id: 99}, _set: {name: "nobody"}) { id }
             many: update_author_many(updates: [{where: {id: {_eq: 2}}, _set: {name: "Bo"}}, {where: {}, _delete_at_path: {meta: ["b"]}}]) { affected_rows }
             d: delete_author_by_pk(id: 2) { name }
           }"#,
        json!({"m": {"c": true}}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {
            "u": {"affected_rows": 1, "returning": [{"rating": 11, "meta": {"a": 1, "b": [1, 2], "c": true}}]},
            "k": {"meta": {"b": [1, 2], "c": true}},
            "p": null,
            "many": [{"affected_rows": 1}, {"affected_rows": 2}],
            "d": {"name": "Bo"}
        }})
    );
    let body = s
        .graphql(
            "mutation { delete_author(where: {}) { affected_rows } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body,
        json!({"data": {"delete_author": {"affected_rows": 1}}})
    );
}

#[tokio::test]
async fn a_failing_mutation_leaves_nothing_behind() {
    let (_pg, s) = setup().await;
    // The second root field violates the unique name: the first one's row must not stay.
    let body = s.graphql(r#"mutation { a: insert_author_one(object: {name: "Ann"}) { id } b: insert_author(objects: [{name: "Cy"}, {name: "Cy"}]) { affected_rows } }"#,
        json!({}),
    )
    .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "constraint-violation",
        "{body}"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Uniqueness violation."),
        "{body}"
    );
    assert!(body.get("data").is_none());
    assert_eq!(count(&s, "author").await, 0);

    // A nested insert whose child breaks a check constraint: neither row stays.
    let body = s.graphql(r#"mutation { insert_author(objects: [{name: "Dee", articles: {data: [{title: ""}]}}]) { affected_rows } }"#, json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "permission-error",
        "{body}"
    );
    assert_eq!(count(&s, "author").await, 0);

    // Bad input: wrong types, a missing by_pk key, a foreign key to nothing.
    for (q, code) in [
        (
            r#"mutation { insert_author(objects: [{name: 5}]) { affected_rows } }"#,
            "validation-failed",
        ),
        (
            r#"mutation { delete_author_by_pk { id } }"#,
            "validation-failed",
        ),
        (
            r#"mutation { insert_article(objects: [{title: "x", author_id: 42}]) { affected_rows } }"#,
            "constraint-violation",
        ),
        (
            r#"mutation { update_author(where: {id: {_eq: 1}}, _inc: {rating: "x"}) { affected_rows } }"#,
            "validation-failed",
        ),
    ] {
        let body = s.graphql(q, json!({})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], code, "{q}: {body}");
    }
    // A column under two operators is named with every operator it appears in.
    let body = s.graphql(r#"mutation { update_author(where: {}, _set: {rating: 1, name: "x"}, _inc: {rating: 2}) { affected_rows } }"#,
        json!({}),
    )
    .await;
    assert_eq!(
        body["errors"][0],
        json!({"message": "column found in multiple operators; \"rating\" in _set, _inc",
               "extensions": {"path": "$", "code": "validation-failed"}})
    );
    // An empty objects list is fine and writes nothing.
    let body = s
        .graphql(
            "mutation { insert_author(objects: []) { affected_rows returning { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body,
        json!({"data": {"insert_author": {"affected_rows": 0, "returning": []}}})
    );
    assert_eq!(count(&s, "author").await, 0);
    assert_eq!(count(&s, "article").await, 0);
}

/// An upsert as a role: the update permission's presets apply to the rows the conflict
/// updates, and `returning` gives back the touched rows whole, as Hasura does, even where the
/// role's select filter would not show them (the insert/update permission chose them).
#[tokio::test]
async fn an_upsert_applies_update_presets_and_returns_the_rows_it_touched() {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let s = TestServer::start(Path::new(BIN), &["--database-url", url.as_str()], &[]).await;
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "bulk", "args": [
                {"type": "run_sql", "args": {"sql": "create table blog (id int primary key, author_id int not null, content text, updated_by int);
                    insert into blog values (1, 1, 'first', null);"}},
                {"type": "pg_track_table", "args": {"table": "blog"}},
                {"type": "pg_create_select_permission", "args": {"table": "blog", "role": "user",
                    "permission": {"columns": "*", "filter": {"author_id": "X-Hasura-User-Id"}}}},
                {"type": "pg_create_insert_permission", "args": {"table": "blog", "role": "user",
                    "permission": {"columns": ["id", "author_id", "content"], "check": {}}}},
                {"type": "pg_create_update_permission", "args": {"table": "blog", "role": "user",
                    "permission": {"columns": ["content"], "filter": {}, "set": {"updated_by": "X-Hasura-User-Id"}}}}
            ]}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, v) = s
        .post(
            "/v1/graphql",
            &json!({"query": "mutation { insert_blog(objects: [{id: 1, author_id: 1, content: \"by 2\"}], on_conflict: {constraint: blog_pkey, update_columns: [content]}) { affected_rows returning { id content updated_by } } }"}),
            &[("x-hasura-role", "user"), ("x-hasura-user-id", "2")],
        )
        .await;
    assert_eq!(
        v["data"]["insert_blog"],
        json!({"affected_rows": 1, "returning": [{"id": 1, "content": "by 2", "updated_by": 2}]}),
        "{v}"
    );
    // A query still sees only the role's rows.
    let (_, v) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ blog { id } }"}),
            &[("x-hasura-role", "user"), ("x-hasura-user-id", "2")],
        )
        .await;
    assert_eq!(v["data"]["blog"], json!([]), "{v}");
}
