//! Inherited roles through the real binary: a role made of others sees the union of their
//! rows and columns (a column only some parents allow is null on the other rows), takes a
//! mutation permission its parents agree on, is reported when they disagree until it gets its
//! own, and inherits from inherited roles; cycles are refused.

use std::path::Path;

use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

async fn server(pg: &TestCluster) -> TestServer {
    let url = pg.url("app");
    let s = TestServer::start(Path::new(BIN), &["--database-url", url.as_str()], &[]).await;
    let setup = json!({"type": "bulk", "args": [
        {"type": "run_sql", "args": {"sql": "
            create table doc (id int primary key, owner text, public bool, title text, body text, note text);
            insert into doc values
              (1, 'ann', true,  'a1', 'ann body',  'ann note'),
              (2, 'ann', false, 'a2', 'ann draft', 'ann secret'),
              (3, 'bob', true,  'b1', 'bob body',  'bob note'),
              (4, 'bob', false, 'b2', 'bob draft', 'bob secret');
            create function doc_headline(d doc) returns text as $$ select d.title || ' by ' || d.owner $$ language sql stable;"}},
        {"type": "pg_track_table", "args": {"table": "doc"}},
        {"type": "pg_add_computed_field", "args": {"table": "doc", "name": "headline", "definition": {"function": "doc_headline"}}},
        // reader: public rows, title and body; owner: own rows, every column but body.
        {"type": "pg_create_select_permission", "args": {"table": "doc", "role": "reader",
            "permission": {"columns": ["id", "title", "body"], "filter": {"public": {"_eq": true}}, "limit": 10}}},
        {"type": "pg_create_select_permission", "args": {"table": "doc", "role": "owner",
            "permission": {"columns": ["id", "owner", "title", "note"], "computed_fields": ["headline"], "filter": {"owner": {"_eq": "X-Hasura-User-Id"}},
                           "allow_aggregations": true, "limit": 3}}},
        {"type": "pg_create_update_permission", "args": {"table": "doc", "role": "reader",
            "permission": {"columns": ["title"], "filter": {"public": {"_eq": true}}}}},
        {"type": "pg_create_update_permission", "args": {"table": "doc", "role": "owner",
            "permission": {"columns": ["title", "note"], "filter": {"owner": {"_eq": "X-Hasura-User-Id"}}}}},
        {"type": "pg_create_delete_permission", "args": {"table": "doc", "role": "janitor",
            "permission": {"filter": {"public": {"_eq": false}}}}},
        {"type": "add_inherited_role", "args": {"role_name": "both", "role_set": ["reader", "owner"]}},
        {"type": "add_inherited_role", "args": {"role_name": "all", "role_set": ["both", "janitor"]}}
    ]});
    let (status, body) = s.post("/v1/metadata", &setup, &[]).await;
    assert_eq!(status, 200, "{body}");
    s
}

async fn as_role(s: &TestServer, role: &str, query: &str) -> Value {
    let (_, v) = s
        .post(
            "/v1/graphql",
            &json!({ "query": query }),
            &[("x-hasura-role", role), ("x-hasura-user-id", "ann")],
        )
        .await;
    v
}

#[tokio::test]
async fn an_inherited_role_sees_the_union_with_columns_nulled_where_not_allowed() {
    let pg = TestCluster::start("app").await;
    let s = server(&pg).await;
    let v = as_role(
        &s,
        "both",
        "{ doc(order_by: {id: asc}) { id title body note } }",
    )
    .await;
    // Rows: ann's own (owner) or public (reader). body: only reader's rows; note: only ann's.
    assert_eq!(
        v["data"]["doc"],
        json!([
            {"id": 1, "title": "a1", "body": "ann body", "note": "ann note"},
            {"id": 2, "title": "a2", "body": null, "note": "ann secret"},
            {"id": 3, "title": "b1", "body": "bob body", "note": null}
        ]),
        "{v}"
    );
    // Aggregations: allowed by one parent; the nulled values are not counted.
    let v = as_role(
        &s,
        "both",
        "{ doc_aggregate { aggregate { count(columns: note) } } }",
    )
    .await;
    assert_eq!(v["data"]["doc_aggregate"]["aggregate"]["count"], 2, "{v}");
    // A computed field only owner allows: shown on ann's rows only.
    let v = as_role(&s, "both", "{ doc(order_by: {id: asc}) { id headline } }").await;
    assert_eq!(
        v["data"]["doc"],
        json!([{"id": 1, "headline": "a1 by ann"}, {"id": 2, "headline": "a2 by ann"}, {"id": 3, "headline": null}]),
        "{v}"
    );
    // The request's own where and order_by see the hidden values as NULL: nothing to learn.
    let v = as_role(
        &s,
        "both",
        "{ doc(where: {body: {_eq: \"ann draft\"}}) { id } }",
    )
    .await;
    assert_eq!(v["data"]["doc"], json!([]), "{v}");
    let v = as_role(
        &s,
        "both",
        "{ doc(where: {body: {_is_null: true}}) { id } }",
    )
    .await;
    assert_eq!(v["data"]["doc"], json!([{"id": 2}]), "{v}");
    let v = as_role(
        &s,
        "both",
        "{ doc(order_by: [{note: desc_nulls_last}, {id: asc}]) { id } }",
    )
    .await;
    // ann's notes sort among themselves; bob's hidden one sorts as NULL, last.
    assert_eq!(
        v["data"]["doc"],
        json!([{"id": 2}, {"id": 1}, {"id": 3}]),
        "{v}"
    );
    // The largest limit of the parents applies.
    let v = as_role(&s, "both", "{ doc { id } }").await;
    assert_eq!(v["data"]["doc"].as_array().map(Vec::len), Some(3), "{v}");
}

#[tokio::test]
async fn mutation_permissions_are_inherited_when_parents_agree_and_reported_when_not() {
    let pg = TestCluster::start("app").await;
    let s = server(&pg).await;
    // reader and owner disagree on update: not inherited, reported, nothing refused.
    let (_, report) = s
        .post(
            "/v1/metadata",
            &json!({"type": "get_inconsistent_metadata", "args": {}}),
            &[],
        )
        .await;
    assert_eq!(report["is_consistent"], false, "{report}");
    let found = report["inconsistent_objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "both")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        found["type"], "inherited role permission inconsistency",
        "{report}"
    );
    assert_eq!(
        found["entity"],
        json!({"permission_type": "update", "source": "default", "table": "doc"})
    );
    let v = as_role(
        &s,
        "both",
        "mutation { update_doc(where: {}, _set: {title: \"x\"}) { affected_rows } }",
    )
    .await;
    // (no mutation of `both` is left at all: not even the mutation root)
    assert!(v["errors"].is_array() && v.get("data").is_none(), "{v}");
    // A permission of its own resolves it.
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "pg_create_update_permission", "args": {"table": "doc", "role": "both",
                "permission": {"columns": ["title"], "filter": {"owner": {"_eq": "X-Hasura-User-Id"}}}}}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, report) = s
        .post(
            "/v1/metadata",
            &json!({"type": "get_inconsistent_metadata", "args": {}}),
            &[],
        )
        .await;
    assert_eq!(report["is_consistent"], true, "{report}");
    let v = as_role(
        &s,
        "both",
        "mutation { update_doc(where: {}, _set: {title: \"x\"}) { affected_rows } }",
    )
    .await;
    assert_eq!(v["data"]["update_doc"]["affected_rows"], 2, "{v}");
    // An inherited role of an inherited role: janitor's delete is the only one, so it is taken.
    let v = as_role(
        &s,
        "all",
        "mutation { delete_doc(where: {id: {_eq: 4}}) { affected_rows } }",
    )
    .await;
    assert_eq!(v["data"]["delete_doc"]["affected_rows"], 1, "{v}");
}

#[tokio::test]
async fn cycles_and_unknown_roles_are_refused_with_hasuras_errors() {
    let pg = TestCluster::start("app").await;
    let s = server(&pg).await;
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "add_inherited_role", "args": {"role_name": "both", "role_set": ["both", "x"]}}),
            &[],
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid-params")),
        "{body}"
    );
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "add_inherited_role", "args": {"role_name": "reader", "role_set": ["all"]}}),
            &[],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap_or_default().contains("cycle"),
        "{body}"
    );
    // A cycle in a whole document: refused and named as Hasura names it.
    let (_, mut md) = s
        .post(
            "/v1/metadata",
            &json!({"type": "export_metadata", "args": {}}),
            &[],
        )
        .await;
    md["inherited_roles"] = json!([
        {"role_name": "x", "role_set": ["y", "reader"]},
        {"role_name": "y", "role_set": ["x"]}
    ]);
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "replace_metadata", "args": md}),
            &[],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        (body["code"].as_str(), body["error"].as_str()),
        (
            Some("cyclic-dependency"),
            Some("found cycle(s) in roles: [\"x\",\"y\",\"x\"]")
        ),
        "{body}"
    );
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "drop_inherited_role", "args": {"role_name": "nobody"}}),
            &[],
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("not-exists")),
        "{body}"
    );
    let (status, _) = s
        .post(
            "/v1/metadata",
            &json!({"type": "drop_inherited_role", "args": {"role_name": "all"}}),
            &[],
        )
        .await;
    assert_eq!(status, 200);
    let v = as_role(&s, "all", "{ doc { id } }").await;
    assert!(v["errors"].is_array(), "{v}");
}

/// A value an inherited role sees only on some rows is NULL elsewhere for the request's own
/// `where` (under `_not` too), `order_by` and `distinct_on`, computed fields included: nothing
/// the answer hides can be found out by filtering or sorting on it.
#[tokio::test]
async fn hidden_values_cannot_be_found_out_by_filters_or_order() {
    let pg = TestCluster::start("app").await;
    let s = server(&pg).await;
    let ids = |v: &Value, key: &str| -> Vec<i64> {
        v["data"][key]
            .as_array()
            .unwrap_or_else(|| panic!("{v}"))
            .iter()
            .filter_map(|r| r["id"].as_i64())
            .collect()
    };
    // `both` sees rows 1 and 3 (reader) and 1 and 2 (owner); row 3's note and headline are hidden.
    let v = as_role(
        &s,
        "both",
        r#"{
        not_x: doc(where: {_not: {note: {_eq: "x"}}}, order_by: {id: asc}) { id }
        not_null: doc(where: {_not: {note: {_is_null: true}}}, order_by: {id: asc}) { id }
        nulls: doc(where: {note: {_is_null: true}}, order_by: {id: asc}) { id }
        by_headline: doc(where: {headline: {_like: "b1%"}}) { id }
        not_headline: doc(where: {_not: {headline: {_like: "a%"}}}) { id }
        sorted: doc(order_by: {headline: asc_nulls_first}) { id }
        distinct: doc(distinct_on: [note], order_by: [{note: asc}, {id: asc}]) { id note }
    }"#,
    )
    .await;
    assert_eq!(ids(&v, "not_x"), [1, 2], "{v}");
    assert_eq!(ids(&v, "not_null"), [1, 2], "{v}");
    assert_eq!(ids(&v, "nulls"), [3], "{v}");
    assert_eq!(ids(&v, "by_headline"), Vec::<i64>::new(), "{v}");
    assert_eq!(ids(&v, "not_headline"), Vec::<i64>::new(), "{v}");
    assert_eq!(ids(&v, "sorted"), [3, 1, 2], "{v}");
    assert_eq!(
        v["data"]["distinct"],
        json!([{"id": 1, "note": "ann note"}, {"id": 2, "note": "ann secret"}, {"id": 3, "note": null}]),
        "{v}"
    );
}
