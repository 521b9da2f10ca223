//! Computed fields that return rows of a table (`SETOF <table>`): a field with the table's
//! select arguments and an `_aggregate` twin, under the returned table's permissions, and a
//! filter on the rows they return (those without arguments of their own).

use std::path::Path;

use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

async fn gql(s: &TestServer, role: &str, q: &str) -> Value {
    let (status, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": q}),
            &[("x-hasura-role", role), ("x-hasura-user-id", "1")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn set_returning_computed_fields() {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let s = TestServer::start(Path::new(BIN), &["--database-url", url.as_str()], &[]).await;
    let (status, body) = s
        .post(
            "/v1/query",
            &json!({"type": "bulk", "args": [
                {"type": "run_sql", "args": {"sql": "
                    create table author (id serial primary key, name text not null);
                    create table article (id serial primary key, author_id int not null, title text not null, published bool not null);
                    insert into author (name) values ('Ann'), ('Bob');
                    insert into article (author_id, title, published) values
                      (1, 'a1', true), (1, 'a2', false), (1, 'a3', true), (2, 'b1', true);
                    create function author_published(a author) returns setof article as $$
                      select * from article where author_id = a.id and published $$ language sql stable;
                    create function author_search(a author, search text, max int default 10) returns setof article as $$
                      select * from article where author_id = a.id and title like search limit max $$ language sql stable;
                    create function author_visible(a author, hasura_session json) returns setof article as $$
                      select * from article where author_id = a.id
                        and author_id = (hasura_session ->> 'x-hasura-user-id')::int $$ language sql stable;"}},
                {"type": "track_table", "args": "author"},
                {"type": "track_table", "args": "article"},
                {"type": "add_computed_field", "args": {"table": "author", "name": "published",
                    "definition": {"function": "author_published"}}},
                {"type": "add_computed_field", "args": {"table": "author", "name": "search",
                    "definition": {"function": "author_search"}}},
                {"type": "add_computed_field", "args": {"table": "author", "name": "mine",
                    "definition": {"function": "author_visible", "session_argument": "hasura_session"}}},
                {"type": "create_select_permission", "args": {"table": "author", "role": "user",
                    "permission": {"columns": ["id", "name"], "filter": {}}}},
                {"type": "create_select_permission", "args": {"table": "article", "role": "user",
                    "permission": {"columns": ["id", "title"], "filter": {"title": {"_neq": "a3"}}}}},
            ]}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let d = gql(
        &s,
        "admin",
        r#"{ author(order_by: {id: asc}) { name
               published(order_by: {id: desc}, limit: 5) { title }
               published_aggregate { aggregate { count } }
               first: published(where: {title: {_eq: "a1"}}) { title } } }"#,
    )
    .await;
    assert_eq!(
        d["data"]["author"],
        json!([
            {"name": "Ann", "published": [{"title": "a3"}, {"title": "a1"}],
             "published_aggregate": {"aggregate": {"count": 2}}, "first": [{"title": "a1"}]},
            {"name": "Bob", "published": [{"title": "b1"}],
             "published_aggregate": {"aggregate": {"count": 1}}, "first": []}
        ]),
        "{d}"
    );
    // Another role reads the rows under the returned table's permission (a3 is hidden), and a
    // session argument gets the session.
    let d = gql(
        &s,
        "user",
        "{ author(order_by: {id: asc}) { name published { title } mine { title } } }",
    )
    .await;
    assert_eq!(
        d["data"]["author"],
        json!([
            {"name": "Ann", "published": [{"title": "a1"}], "mine": [{"title": "a1"}, {"title": "a2"}]},
            {"name": "Bob", "published": [{"title": "b1"}], "mine": []}
        ]),
        "{d}"
    );
    // Extra arguments come in `args` (required ones must be given).
    let d = gql(
        &s,
        "admin",
        r#"{ author(where: {id: {_eq: 1}}) { s: search(args: {search: "a%"}, order_by: {id: asc}) { title }
             one: search(args: {search: "a%", max: 1}) { title } } }"#,
    )
    .await;
    assert_eq!(
        d["data"]["author"],
        json!([{"s": [{"title": "a1"}, {"title": "a2"}, {"title": "a3"}], "one": [{"title": "a1"}]}]),
        "{d}"
    );
    let d = gql(&s, "admin", "{ author { search { title } } }").await;
    assert!(d["errors"].is_array(), "args are required: {d}");
    // Without aggregations allowed on the returned table, no _aggregate field.
    let d = gql(
        &s,
        "user",
        "{ author { published_aggregate { aggregate { count } } } }",
    )
    .await;
    assert_eq!(
        d["errors"][0]["message"],
        "field 'published_aggregate' not found in type: 'author'"
    );
    // Filtering by the rows a computed field returns, under the returned table's permission.
    let q = |title: &str| {
        format!(r#"{{ author(where: {{published: {{title: {{_eq: "{title}"}}}}}}) {{ name }} }}"#)
    };
    let d = gql(&s, "admin", &q("a3")).await;
    assert_eq!(d["data"]["author"], json!([{"name": "Ann"}]), "{d}");
    let d = gql(&s, "user", &q("a3")).await;
    assert_eq!(
        d["data"]["author"],
        json!([]),
        "a3 is hidden from user: {d}"
    );
    let d = gql(&s, "user", &q("b1")).await;
    assert_eq!(d["data"]["author"], json!([{"name": "Bob"}]), "{d}");
    // One that takes arguments of its own cannot be a filter.
    let d = gql(
        &s,
        "admin",
        r#"{ author(where: {search: {title: {_eq: "a1"}}}) { name } }"#,
    )
    .await;
    assert_eq!(
        d["errors"][0]["extensions"]["code"], "validation-failed",
        "{d}"
    );
}

#[tokio::test]
async fn scalar_computed_fields_filter_and_order() {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let s = TestServer::start(Path::new(BIN), &["--database-url", url.as_str()], &[]).await;
    let (status, body) = s
        .post(
            "/v1/query",
            &json!({"type": "bulk", "args": [
                {"type": "run_sql", "args": {"sql": "
                    create table person (id serial primary key, first text not null, last text not null);
                    insert into person (first, last) values ('Ada', 'Lovelace'), ('Alan', 'Turing'), ('Grace', 'Hopper');
                    create function full_name(p person) returns text as $$ select p.first || ' ' || p.last $$ language sql stable;
                    create function name_length(p person) returns int as $$ select length(p.first) + length(p.last) $$ language sql stable;
                    create function greeting(p person, word text, punct text default '!') returns text as $$ select word || ' ' || p.first || punct $$ language sql stable;"}},
                {"type": "track_table", "args": "person"},
                {"type": "add_computed_field", "args": {"table": "person", "name": "full_name",
                    "definition": {"function": "full_name"}}},
                {"type": "add_computed_field", "args": {"table": "person", "name": "name_length",
                    "definition": {"function": "name_length"}}},
                {"type": "add_computed_field", "args": {"table": "person", "name": "greeting",
                    "definition": {"function": "greeting"}}},
            ]}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let d = gql(
        &s,
        "admin",
        r#"{ a: person(where: {full_name: {_ilike: "%turing%"}}) { full_name }
             b: person(order_by: [{name_length: desc}, {id: asc}]) { first name_length }
             c: person(where: {name_length: {_gt: 10}}, order_by: {full_name: asc}) { first } }"#,
    )
    .await;
    assert_eq!(
        d["data"],
        json!({"a": [{"full_name": "Alan Turing"}],
               "b": [{"first": "Ada", "name_length": 11}, {"first": "Grace", "name_length": 11},
                     {"first": "Alan", "name_length": 10}],
               "c": [{"first": "Ada"}, {"first": "Grace"}]}),
        "{d}"
    );
    // A scalar computed field with arguments of its own takes them in `args`, and is not offered
    // for filtering or ordering.
    let d = gql(
        &s,
        "admin",
        r#"{ person(where: {id: {_eq: 1}}) { hi: greeting(args: {word: "Hi"}) yo: greeting(args: {word: "Yo", punct: "?"}) } }"#,
    )
    .await;
    assert_eq!(
        d["data"]["person"],
        json!([{"hi": "Hi Ada!", "yo": "Yo Ada?"}]),
        "{d}"
    );
    let d = gql(
        &s,
        "admin",
        r#"{ person(where: {greeting: {_eq: "x"}}) { id } }"#,
    )
    .await;
    assert!(d["errors"].is_array(), "{d}");
}

/// One function both tracked at the root and a computed field: each gets its own arguments'
/// type (`search_author_args` beside `author_search_args`), and both answer. A customization
/// that gives a function a name already taken fails the request with Hasura's 500, and the
/// engine keeps serving what it served.
#[tokio::test]
async fn root_function_and_computed_field_and_root_clashes() {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let s = TestServer::start(Path::new(BIN), &["--database-url", url.as_str()], &[]).await;
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "bulk", "args": [
                {"type": "run_sql", "args": {"sql": "
                    create table author (id serial primary key, name text not null);
                    insert into author (name) values ('Ann'), ('Bob');
                    create function author_search(a author, search text) returns setof author as $$
                      select * from author where id = a.id and name like search $$ language sql stable;
                    create function other_authors() returns setof author as $$
                      select * from author $$ language sql stable;"}},
                {"type": "pg_track_table", "args": {"table": "author"}},
                {"type": "pg_track_function", "args": {"function": "author_search"}},
                {"type": "pg_track_function", "args": {"function": "other_authors"}},
                {"type": "pg_add_computed_field", "args": {"table": "author", "name": "search",
                    "definition": {"function": "author_search"}}},
            ]}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let d = gql(
        &s,
        "admin",
        r#"{ author(order_by: {id: asc}) { name search(args: {search: "A%"}) { name } }
             cf: __type(name: "search_author_args") { name }
             root: __type(name: "author_search_args") { inputFields { name } } }"#,
    )
    .await;
    assert_eq!(
        d["data"]["author"],
        json!([{"name": "Ann", "search": [{"name": "Ann"}]}, {"name": "Bob", "search": []}]),
        "{d}"
    );
    assert_eq!(d["data"]["cf"]["name"], "search_author_args", "{d}");
    let root_args: Vec<&str> = d["data"]["root"]["inputFields"]
        .as_array()
        .expect("root args")
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    assert_eq!(root_args, ["a", "search"], "{d}");
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "get_inconsistent_metadata", "args": {}}),
            &[],
        )
        .await;
    assert_eq!(
        (status, &body["is_consistent"]),
        (200, &json!(true)),
        "{body}"
    );

    // A function named as a table's root fields: refused, nothing kept.
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "pg_set_function_customization", "args": {
                "function": "other_authors", "configuration": {"custom_name": "author"}}}),
            &[],
        )
        .await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["code"], "unexpected", "{body}");
    assert_eq!(body["path"], "$.args", "{body}");
    assert_eq!(
        body["error"], "found duplicate fields in selection set: ['author_aggregate', 'author']",
        "{body}"
    );
    let d = gql(&s, "admin", "{ other_authors { name } author { name } }").await;
    assert_eq!(
        d["data"]["other_authors"].as_array().map(Vec::len),
        Some(2),
        "{d}"
    );
    let (_, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "export_metadata", "args": {}}),
            &[],
        )
        .await;
    let functions = body["sources"][0]["functions"].to_string();
    assert!(!functions.contains("custom_name"), "{functions}");
}
