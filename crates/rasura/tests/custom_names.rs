//! Custom root fields for every operation of a table (`custom_root_fields`, with the
//! `{name, comment}` form), as Hasura names them.

use std::path::Path;

use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

#[tokio::test]
async fn every_root_field_can_be_renamed_and_described() {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let s = TestServer::start(Path::new(BIN), &["--database-url", url.as_str()], &[]).await;
    let (status, body) = s
        .post(
            "/v1/query",
            &json!({"type": "bulk", "args": [
                {"type": "run_sql", "args": {"sql": "create table person (id serial primary key, name text not null)"}},
                {"type": "track_table", "args": "person"},
                {"type": "set_table_customization", "args": {"table": "person", "configuration": {
                    "custom_root_fields": {
                        "select": "people", "select_by_pk": "personById", "select_aggregate": "peopleStats",
                        "insert": "addPeople", "insert_one": {"name": "addPerson", "comment": "adds one person"},
                        "update": "changePeople", "update_by_pk": "changePerson", "update_many": "changeMany",
                        "delete": "removePeople", "delete_by_pk": "removePerson"}}}},
            ]}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let gql = |q: &str| {
        let q = q.to_string();
        let s = &s;
        async move {
            let (status, body) = s.post("/v1/graphql", &json!({"query": q}), &[]).await;
            assert_eq!(status, 200);
            body
        }
    };
    let d = gql("{ __schema { mutationType { fields { name description } } queryType { fields { name } } } }").await;
    let names = |v: &Value| -> Vec<String> {
        let mut n: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_string())
            .collect();
        n.sort();
        n
    };
    assert_eq!(
        names(&d["data"]["__schema"]["mutationType"]["fields"]),
        [
            "addPeople",
            "addPerson",
            "changeMany",
            "changePeople",
            "changePerson",
            "removePeople",
            "removePerson"
        ]
    );
    assert_eq!(
        names(&d["data"]["__schema"]["queryType"]["fields"]),
        ["people", "peopleStats", "personById"]
    );
    let add_one = d["data"]["__schema"]["mutationType"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "addPerson")
        .unwrap();
    assert_eq!(add_one["description"], "adds one person");
    let d = gql(r#"mutation { addPerson(object: {name: "Ada"}) { id }
                              changePerson(pk_columns: {id: 1}, _set: {name: "Ada L"}) { name } }"#)
    .await;
    assert_eq!(d["data"]["changePerson"]["name"], "Ada L", "{d}");
    let d = gql("mutation { removePerson(id: 1) { name } }").await;
    assert_eq!(d["data"]["removePerson"]["name"], "Ada L", "{d}");
    let d = gql("mutation { insert_person_one(object: {name: \"x\"}) { id } }").await;
    assert_eq!(
        d["errors"][0]["message"],
        "field 'insert_person_one' not found in type: 'mutation_root'"
    );
}

#[tokio::test]
async fn comments_describe_types_and_fields() {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let s = TestServer::start(Path::new(BIN), &["--database-url", url.as_str()], &[]).await;
    let (status, body) = s
        .post(
            "/v1/query",
            &json!({"type": "bulk", "args": [
                {"type": "run_sql", "args": {"sql": "
                    create table note (id serial primary key, body text, tag text);
                    comment on table note is 'Notes \"quoted\"';
                    comment on column note.body is 'what it says';
                    create table plain (id serial primary key);"}},
                {"type": "track_table", "args": "note"},
                {"type": "track_table", "args": "plain"},
                {"type": "set_table_customization", "args": {"table": "note", "configuration": {
                    "column_config": {"tag": {"comment": "from metadata"}}}}},
            ]}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": r#"{ n: __type(name: "note") { description fields { name description } }
                                 p: __type(name: "plain") { description } }"#}),
            &[],
        )
        .await;
    let d = &body["data"];
    assert_eq!(d["n"]["description"], "Notes \"quoted\"");
    assert_eq!(
        d["n"]["fields"],
        json!([{"name": "body", "description": "what it says"},
               {"name": "id", "description": null},
               {"name": "tag", "description": "from metadata"}])
    );
    assert_eq!(
        d["p"]["description"],
        "columns and relationships of \"plain\""
    );
}

/// A table whose name is no GraphQL name is refused unless it has a `custom_name`, as in
/// Hasura (before, it was tracked and silently had no fields).
#[tokio::test]
async fn a_table_needs_a_graphql_name() {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let s = TestServer::start(Path::new(BIN), &["--database-url", url.as_str()], &[]).await;
    let (status, body) = s
        .post("/v2/query", &json!({"type": "run_sql", "args": {"sql":
            "create table \"author details\" (id int primary key, name text); insert into \"author details\" values (1, 'Ann');"}}), &[])
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = s
        .post("/v1/metadata", &json!({"type": "pg_track_table", "args": {"source": "default", "table": "author details"}}), &[])
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        (body["code"].as_str(), body["error"].as_str()),
        (Some("validation-failed"), Some("cannot include author details in the GraphQL schema because it is not a valid GraphQL identifier")),
        "{body}"
    );
    let (status, body) = s
        .post("/v1/metadata", &json!({"type": "pg_track_table", "args": {"source": "default", "table": "author details",
            "configuration": {"custom_name": "author_details"}}}), &[])
        .await;
    assert_eq!(status, 200, "{body}");
    let body = s.graphql("{ author_details { id name } }", json!({})).await;
    assert_eq!(
        body["data"]["author_details"],
        json!([{"id": 1, "name": "Ann"}]),
        "{body}"
    );
}
