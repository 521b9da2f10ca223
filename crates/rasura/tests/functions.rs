//! Tracked SQL functions end to end: arguments (named, unnamed `arg_<n>`, defaults, the
//! session argument), one-row and SETOF results, VOLATILE functions as mutations, custom names,
//! function permissions, and the functions Hasura refuses to track (which must never take the
//! rest of the schema with them).

use std::path::Path;

use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

async fn start(env: &[(&str, &str)]) -> (TestCluster, TestServer) {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let server = TestServer::start(Path::new(BIN), &["--database-url", url.as_str()], env).await;
    let (status, body) = query(
        &server,
        json!({"type": "bulk", "args": [
            {"type": "run_sql", "args": {"sql": "
                create table item (id serial primary key, name text not null, price int not null);
                insert into item (name, price) values ('apple', 3), ('pear', 5), ('plum', 7);
                create function cheaper(max_price int, name_like text default '%') returns setof item as $$
                    select * from item where price <= max_price and name like name_like order by id $$ language sql stable;
                create function nth_item(int, int default 0) returns setof item as $$
                    select * from item order by id offset $1 + $2 limit 1 $$ language sql stable;
                create function priciest() returns item as $$
                    select * from item order by price desc limit 1 $$ language sql stable;
                create function whoami(hasura_session json) returns setof item as $$
                    select id, hasura_session ->> 'x-hasura-user-id', 0 from item where id = 1 $$ language sql stable;
                create function add_item(item_name text) returns setof item as $$
                    insert into item (name, price) values (item_name, 1) returning * $$ language sql volatile;
                create function by_row(i item) returns setof item as $$ select i.* $$ language sql stable;
                create function not_rows() returns int as $$ select 1 $$ language sql stable;"}},
            {"type": "track_table", "args": "item"},
            {"type": "track_function", "args": "cheaper"},
            {"type": "track_function", "args": "nth_item"},
            {"type": "track_function", "version": 2, "args": {"function": "priciest",
                "configuration": {"custom_root_fields": {"function": "top_item"}}}},
            {"type": "track_function", "version": 2, "args": {"function": "whoami",
                "configuration": {"session_argument": "hasura_session"}}},
            {"type": "track_function", "args": "add_item"},
            {"type": "create_select_permission", "args": {"table": "item", "role": "user",
                "permission": {"columns": ["id", "name", "price"], "filter": {}, "allow_aggregations": true}}},
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    (pg, server)
}

async fn query(s: &TestServer, body: Value) -> (u16, Value) {
    s.post("/v1/query", &body, &[]).await
}

async fn gql(s: &TestServer, role: &str, q: &str) -> Value {
    let headers = [("x-hasura-role", role), ("x-hasura-user-id", "42")];
    let (status, body) = s.post("/v1/graphql", &json!({"query": q}), &headers).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn arguments_defaults_and_results() {
    let (_pg, s) = start(&[]).await;
    let d = gql(
        &s,
        "admin",
        r#"{ all: cheaper(args: {max_price: 5}) { name }
             p: cheaper(args: {max_price: 9, name_like: "p%"}, order_by: {price: desc}) { name }
             agg: cheaper_aggregate(args: {max_price: 9}) { aggregate { count } }
             second: nth_item(args: {arg_1: 1}) { name }
             third: nth_item(args: {arg_1: 1, arg_2: 1}) { name }
             top: top_item { name price }
             me: whoami { name } }"#,
    )
    .await;
    assert_eq!(
        d["data"],
        json!({"all": [{"name": "apple"}, {"name": "pear"}],
               "p": [{"name": "plum"}, {"name": "pear"}],
               "agg": {"aggregate": {"count": 3}},
               "second": [{"name": "pear"}], "third": [{"name": "plum"}],
               "top": {"name": "plum", "price": 7},
               "me": [{"name": "42"}]}),
        "{d}"
    );
    // The session argument is the engine's to fill: it is not an input field.
    let d = gql(&s, "admin", r#"{ __type(name: "whoami_args") { name } }"#).await;
    assert_eq!(d["data"]["__type"], Value::Null);
}

#[tokio::test]
async fn arguments_are_checked_as_hasura_checks_them() {
    let (_pg, s) = start(&[]).await;
    let d = gql(
        &s,
        "admin",
        "{ cheaper(args: {name_like: \"a%\"}) { name } }",
    )
    .await;
    assert_eq!(
        d["errors"][0]["message"],
        "Non default arguments cannot be omitted"
    );
    assert_eq!(d["errors"][0]["extensions"]["code"], "not-supported");
    assert_eq!(
        d["errors"][0]["extensions"]["path"],
        "$.selectionSet.cheaper.args.args"
    );
    let d = gql(&s, "admin", "{ nth_item(args: {arg_2: 1}) { name } }").await;
    assert_eq!(
        d["errors"][0]["message"],
        "Non default arguments cannot be omitted"
    );
    let d = gql(
        &s,
        "admin",
        "{ __type(name: \"query_root\") { fields { name args { name type { kind } } } } }",
    )
    .await;
    let fields = d["data"]["__type"]["fields"].as_array().unwrap();
    let cheaper = fields.iter().find(|f| f["name"] == "cheaper").unwrap();
    let args = cheaper["args"].as_array().unwrap();
    assert_eq!(args[0]["name"], "args");
    assert_eq!(
        args[0]["type"]["kind"], "NON_NULL",
        "a required argument makes args required"
    );
}

#[tokio::test]
async fn volatile_functions_are_mutations() {
    let (_pg, s) = start(&[]).await;
    let d = gql(
        &s,
        "admin",
        "mutation { add_item(args: {item_name: \"fig\"}) { name price } }",
    )
    .await;
    assert_eq!(d["data"]["add_item"], json!([{"name": "fig", "price": 1}]));
    let d = gql(
        &s,
        "admin",
        "{ add_item(args: {item_name: \"x\"}) { name } }",
    )
    .await;
    assert_eq!(
        d["errors"][0]["message"],
        "field 'add_item' not found in type: 'query_root'"
    );
    // A VOLATILE function needs a function permission even where permissions are inferred.
    let d = gql(
        &s,
        "user",
        "mutation { add_item(args: {item_name: \"x\"}) { name } }",
    )
    .await;
    assert!(d["errors"].is_array(), "{d}");
    let (status, body) = query(
        &s,
        json!({"type": "create_function_permission", "args": {"function": "add_item", "role": "user"}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let d = gql(
        &s,
        "user",
        "mutation { add_item(args: {item_name: \"kiwi\"}) { name } }",
    )
    .await;
    assert_eq!(d["data"]["add_item"], json!([{"name": "kiwi"}]), "{d}");
}

#[tokio::test]
async fn permissions_are_inferred_or_explicit() {
    let (_pg, s) = start(&[]).await;
    let d = gql(&s, "user", "{ cheaper(args: {max_price: 3}) { name } }").await;
    assert_eq!(d["data"]["cheaper"], json!([{"name": "apple"}]));
    let d = gql(&s, "nobody", "{ cheaper(args: {max_price: 3}) { name } }").await;
    assert!(
        d["errors"].is_array(),
        "no select permission, no function: {d}"
    );

    let (_pg2, strict) = start(&[("HASURA_GRAPHQL_INFER_FUNCTION_PERMISSIONS", "false")]).await;
    let d = gql(
        &strict,
        "user",
        "{ cheaper(args: {max_price: 3}) { name } }",
    )
    .await;
    assert!(d["errors"].is_array(), "{d}");
    let (status, _) = query(
        &strict,
        json!({"type": "pg_create_function_permission", "args": {"function": "cheaper", "role": "user"}}),
    )
    .await;
    assert_eq!(status, 200);
    let d = gql(
        &strict,
        "user",
        "{ cheaper(args: {max_price: 3}) { name } }",
    )
    .await;
    assert_eq!(d["data"]["cheaper"], json!([{"name": "apple"}]), "{d}");
}

#[tokio::test]
async fn functions_that_cannot_be_tracked_are_refused_and_break_nothing() {
    let (_pg, s) = start(&[]).await;
    let track = |f: &str, config: Value| json!({"type": "track_function", "version": 2, "args": {"function": f, "configuration": config}});
    let (status, body) = query(&s, track("not_rows", json!({}))).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"],
        "in function \"not_rows\": the function \"not_rows\" cannot be tracked because the function does not return a \"COMPOSITE\" type"
    );
    let (_, body) = query(&s, track("cheaper2", json!({}))).await;
    assert!(
        body["error"].as_str().unwrap().contains("no such function"),
        "{body}"
    );
    query(&s, json!({"type": "untrack_function", "args": "priciest"})).await;
    let (status, body) = query(&s, track("priciest", json!({"exposed_as": "mutation"}))).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("constraint-violation"))
    );
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("is not marked VOLATILE"),
        "{body}"
    );
    let (status, body) = query(
        &s,
        json!({"type": "pg_set_function_customization", "args": {"function": "cheaper",
            "configuration": {"custom_root_fields": {"function": "dup", "function_aggregate": "dup"}}}}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "parse-failed", "{body}");
    // Everything else still works.
    let d = gql(
        &s,
        "admin",
        "{ item_aggregate { aggregate { count } } cheaper(args: {max_price: 1}) { name } }",
    )
    .await;
    assert_eq!(d["data"]["item_aggregate"]["aggregate"]["count"], 3, "{d}");
}

#[tokio::test]
async fn custom_names_can_be_set_and_cleared() {
    let (_pg, s) = start(&[]).await;
    let set = |config: Value| json!({"type": "pg_set_function_customization", "args": {"function": "cheaper", "configuration": config}});
    let (status, body) = query(&s, set(json!({"custom_name": "bargains"}))).await;
    assert_eq!(status, 200, "{body}");
    let d = gql(
        &s,
        "admin",
        "{ bargains(args: {max_price: 3}) { name } bargains_aggregate(args: {max_price: 9}) { aggregate { count } } }",
    )
    .await;
    assert_eq!(d["data"]["bargains"], json!([{"name": "apple"}]), "{d}");
    let d = gql(&s, "admin", r#"{ __type(name: "bargains_args") { name } }"#).await;
    assert_eq!(d["data"]["__type"]["name"], "bargains_args");
    let (status, _) = query(&s, set(json!({}))).await;
    assert_eq!(status, 200);
    let d = gql(&s, "admin", "{ cheaper(args: {max_price: 3}) { name } }").await;
    assert_eq!(d["data"]["cheaper"], json!([{"name": "apple"}]));
    let (status, body) = query(
        &s,
        json!({"type": "pg_set_function_customization", "args": {"function": "missing", "configuration": {}}}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "not-exists");
    assert_eq!(
        body["error"],
        "function \"missing\" does not exist in source: default"
    );
}

#[tokio::test]
async fn a_function_taking_a_table_row_takes_the_row_as_text() {
    let (_pg, s) = start(&[]).await;
    let (status, body) = query(&s, json!({"type": "track_function", "args": "by_row"})).await;
    assert_eq!(status, 200, "{body}");
    let d = gql(
        &s,
        "admin",
        r#"{ by_row(args: {i: "(9,fig,4)"}) { id name price } }"#,
    )
    .await;
    assert_eq!(
        d["data"]["by_row"],
        json!([{"id": 9, "name": "fig", "price": 4}]),
        "{d}"
    );
    let d = gql(
        &s,
        "admin",
        r#"{ __type(name: "by_row_args") { inputFields { name type { name } } } }"#,
    )
    .await;
    assert_eq!(
        d["data"]["__type"]["inputFields"],
        json!([{"name": "i", "type": {"name": "item_scalar"}}])
    );
}
