//! Enum tables (`is_enum`) end to end: the `<table>_enum` type and the columns that reference
//! it, their operators, values in literals and variables, visibility without permission on the
//! enum table, Hasura's checks of what may be an enum table, and when values are read.

use std::path::Path;

use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

async fn start() -> (TestCluster, TestServer) {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let server = TestServer::start(Path::new(BIN), &["--database-url", url.as_str()], &[]).await;
    let (status, body) = query(
        &server,
        json!({"type": "bulk", "args": [
            {"type": "run_sql", "args": {"sql": "
                create table colors (value text primary key, comment text);
                insert into colors values ('red', 'warm'), ('blue', 'cold'), ('green', null);
                create table users (id serial primary key, name text not null,
                                    color text not null references colors, shade text references colors);
                insert into users (name, color) values ('Ann', 'red'), ('Bob', 'blue');
                create schema paint;
                create table paint.finishes (code text primary key);
                insert into paint.finishes values ('matte'), ('gloss');
                create table walls (id serial primary key, finish text references paint.finishes);
                create table bad_pk (id int primary key, label text);
                create table empty_enum (value text primary key);
                create table bad_values (value text primary key);
                insert into bad_values values ('ok'), ('not ok'), ('1st'), ('true');"}},
            {"type": "track_table", "args": {"table": "colors", "is_enum": true}},
            {"type": "track_table", "args": "users"},
            {"type": "track_table", "args": {"table": {"schema": "paint", "name": "finishes"}, "is_enum": true}},
            {"type": "track_table", "args": "walls"},
            {"type": "track_table", "args": "bad_pk"},
            {"type": "track_table", "args": "empty_enum"},
            {"type": "track_table", "args": "bad_values"},
            {"type": "create_select_permission", "args": {"table": "users", "role": "guest",
                "permission": {"columns": ["id", "name", "color"], "filter": {}}}},
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    (pg, server)
}

async fn query(s: &TestServer, body: Value) -> (u16, Value) {
    s.post("/v1/query", &body, &[]).await
}

async fn gql(s: &TestServer, role: &str, q: &str, variables: Value) -> Value {
    let (status, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": q, "variables": variables}),
            &[("x-hasura-role", role)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .map(|l| l.iter().filter_map(|v| v["name"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn enum_table_gives_referencing_columns_an_enum_type() {
    let (_pg, s) = start().await;
    let q = r#"{
        e: __type(name: "colors_enum") { kind description enumValues { name description } }
        users: __type(name: "users") { fields { name type { ofType { name } } } }
        cmp: __type(name: "colors_enum_comparison_exp") { inputFields { name } }
        order: __type(name: "users_order_by") { inputFields { name } }
        cols: __type(name: "users_select_column") { enumValues { name } }
        min: __type(name: "users_min_fields") { fields { name } }
        finish: __type(name: "paint_finishes_enum") { enumValues { name } }
        table: __type(name: "colors") { name }
    }"#;
    let d = &gql(&s, "admin", q, json!({})).await["data"];
    assert_eq!(d["e"]["kind"], "ENUM");
    assert_eq!(d["e"]["description"], Value::Null);
    assert_eq!(
        d["e"]["enumValues"],
        json!([{"name": "blue", "description": "cold"}, {"name": "green", "description": null},
               {"name": "red", "description": "warm"}])
    );
    let field_type = |f: &str| {
        d["users"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == f)
            .map(|x| x["type"]["ofType"]["name"].clone())
    };
    assert_eq!(field_type("color"), Some(json!("colors_enum")));
    assert_eq!(field_type("name"), Some(json!("String")));
    assert_eq!(
        names(&d["cmp"]["inputFields"]),
        ["_eq", "_in", "_is_null", "_neq", "_nin"]
    );
    assert!(names(&d["order"]["inputFields"]).contains(&"color"));
    assert!(names(&d["cols"]["enumValues"]).contains(&"color"));
    assert_eq!(
        names(&d["min"]["fields"]),
        ["id", "name"],
        "no min/max of an enum"
    );
    assert_eq!(names(&d["finish"]["enumValues"]), ["gloss", "matte"]);
    assert_eq!(d["table"]["name"], "colors", "the enum table stays a table");
}

#[tokio::test]
async fn enum_values_filter_insert_and_update() {
    let (_pg, s) = start().await;
    let d = gql(
        &s,
        "admin",
        "{ users(where: {color: {_in: [red, green]}}, order_by: {color: asc}) { name color } }",
        json!({}),
    )
    .await;
    assert_eq!(d["data"]["users"], json!([{"name": "Ann", "color": "red"}]));
    let d = gql(
        &s,
        "admin",
        "mutation ($c: colors_enum!) { insert_users_one(object: {name: \"Cy\", color: $c}) { color }
           update_users(where: {name: {_eq: \"Ann\"}}, _set: {shade: blue}) { returning { shade } } }",
        json!({"c": "green"}),
    )
    .await;
    assert_eq!(d["data"]["insert_users_one"]["color"], "green", "{d}");
    assert_eq!(
        d["data"]["update_users"]["returning"],
        json!([{"shade": "blue"}])
    );
}

#[tokio::test]
async fn bad_enum_values_are_refused_in_hasuras_words() {
    let (_pg, s) = start().await;
    let d = gql(
        &s,
        "admin",
        "{ users(where: {color: {_eq: purple}}) { name } }",
        json!({}),
    )
    .await;
    assert_eq!(
        d["errors"][0]["message"],
        "unexpected value \"purple\" for enum: 'colors_enum'"
    );
    assert_eq!(
        d["errors"][0]["extensions"]["path"],
        "$.selectionSet.users.args.where.color._eq"
    );
    let d = gql(
        &s,
        "admin",
        "{ users(where: {color: {_eq: \"red\"}}) { name } }",
        json!({}),
    )
    .await;
    assert_eq!(d["errors"][0]["message"], "expecting an enum");
    let d = gql(
        &s,
        "admin",
        "query ($c: colors_enum) { users(where: {color: {_eq: $c}}) { name } }",
        json!({"c": "purple"}),
    )
    .await;
    assert_eq!(
        d["errors"][0]["message"],
        "unexpected value \"purple\" for enum: 'colors_enum'"
    );
    assert_eq!(d["errors"][0]["extensions"]["path"], "$.variableValues.c");
    assert_eq!(d["errors"][0]["extensions"]["code"], "validation-failed");
}

#[tokio::test]
async fn enum_type_is_visible_without_permission_on_the_enum_table() {
    let (_pg, s) = start().await;
    let d = gql(
        &s,
        "guest",
        r#"{ t: __type(name: "colors") { name } e: __type(name: "colors_enum") { enumValues { name } }
             users(where: {color: {_eq: blue}}) { name color } }"#,
        json!({}),
    )
    .await;
    assert_eq!(d["data"]["t"], Value::Null);
    assert_eq!(
        names(&d["data"]["e"]["enumValues"]),
        ["blue", "green", "red"]
    );
    assert_eq!(
        d["data"]["users"],
        json!([{"name": "Bob", "color": "blue"}])
    );
}

#[tokio::test]
async fn tables_that_cannot_be_enums_are_refused() {
    let (_pg, s) = start().await;
    let set = |t: &str| json!({"type": "set_table_is_enum", "args": {"table": t, "is_enum": true}});
    let (status, body) = query(&s, set("users")).await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "constraint-violation");
    assert_eq!(
        body["error"],
        "the table \"users\" cannot be used as an enum for the following reasons:\n  \
         • the table’s primary key (\"id\") must have type \"text\", not type \"integer\"\n  \
         • the table must have exactly one primary key and optionally one comment column, not 4 columns (color, id, name, shade)\n"
    );
    let (_, body) = query(&s, set("bad_pk")).await;
    assert_eq!(
        body["error"],
        "the table \"bad_pk\" cannot be used as an enum for the following reasons:\n  \
         • the table’s primary key (\"id\") must have type \"text\", not type \"integer\"\n  \
         • the table must have exactly one primary key and optionally one comment column, not 2 columns (id, label)\n"
    );
    let (_, body) = query(&s, set("empty_enum")).await;
    assert_eq!(
        body["error"],
        "the table \"empty_enum\" cannot be used as an enum because the table must have at least one row"
    );
    let (_, body) = query(&s, set("bad_values")).await;
    assert_eq!(
        body["error"],
        "the table \"bad_values\" cannot be used as an enum because the values 1st, not ok, and \"true\" are not valid GraphQL enum value names"
    );
    // Nothing was kept: the metadata is consistent and the tables are plain tables.
    let (_, body) = query(&s, json!({"type": "get_inconsistent_metadata", "args": {}})).await;
    assert_eq!(body["is_consistent"], true, "{body}");
}

#[tokio::test]
async fn values_are_read_at_reload_and_invalid_ones_make_the_table_inconsistent() {
    let (_pg, s) = start().await;
    let (status, body) = query(
        &s,
        json!({"type": "bulk", "args": [
            {"type": "create_object_relationship", "args": {"table": "users", "name": "favourite",
                "using": {"foreign_key_constraint_on": "color"}}},
            {"type": "set_table_is_enum", "args": {"table": {"schema": "paint", "name": "finishes"}, "is_enum": false}},
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let values = |d: &Value| {
        names(&d["data"]["__type"]["enumValues"])
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    };
    let enum_q = r#"{ __type(name: "colors_enum") { enumValues { name } } }"#;
    // A row written later shows after reload_metadata, as in Hasura.
    let (status, _) = query(
        &s,
        json!({"type": "run_sql", "args": {"sql": "insert into colors values ('teal', null)"}}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        values(&gql(&s, "admin", enum_q, json!({})).await),
        ["blue", "green", "red"]
    );
    let (status, _) = query(&s, json!({"type": "reload_metadata", "args": {}})).await;
    assert_eq!(status, 200);
    assert_eq!(
        values(&gql(&s, "admin", enum_q, json!({})).await),
        ["blue", "green", "red", "teal"]
    );
    // An invalid value: at reload the table becomes inconsistent and leaves the schema, with
    // the relationship to it.
    query(
        &s,
        json!({"type": "run_sql", "args": {"sql": "insert into colors values ('sky blue', null)"}}),
    )
    .await;
    let (_, body) = query(&s, json!({"type": "reload_metadata", "args": {}})).await;
    assert_eq!(body["is_consistent"], false, "{body}");
    let (_, body) = query(&s, json!({"type": "get_inconsistent_metadata", "args": {}})).await;
    let objects = body["inconsistent_objects"].as_array().unwrap();
    assert_eq!(objects[0]["type"], "table");
    assert_eq!(
        objects[0]["reason"],
        "Inconsistent object: the table \"colors\" cannot be used as an enum because the value \"sky blue\" is not a valid GraphQL enum value name"
    );
    assert!(
        objects.iter().any(|o| o["type"] == "object_relation"),
        "{body}"
    );
    let d = gql(&s, "admin", r#"{ e: __type(name: "colors_enum") { name } u: __type(name: "users") { fields { name type { ofType { name } } } } }"#, json!({})).await;
    assert_eq!(d["data"]["e"], Value::Null);
    let color = d["data"]["u"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "color")
        .cloned()
        .unwrap();
    assert_eq!(color["type"]["ofType"]["name"], "String");
}

#[tokio::test]
async fn a_column_referencing_two_enum_tables_is_reported() {
    let (_pg, s) = start().await;
    let (status, body) = query(
        &s,
        json!({"type": "bulk", "args": [
            {"type": "run_sql", "args": {"sql": "
                create table tones (value text primary key);
                insert into tones values ('red'), ('blue');
                create table swatch (id serial primary key,
                    color text references colors references tones);"}},
            {"type": "track_table", "args": {"table": "tones", "is_enum": true}},
            {"type": "track_table", "args": "swatch"},
        ]}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "constraint-violation");
    assert_eq!(
        body["error"],
        "column \"color\" in table \"swatch\" references multiple enum tables (\"colors\", \"tones\")"
    );
}
