//! Operators of extension types end to end: ltree (`_ancestor`, `_descendant`, `_matches` and
//! their `_any` forms, `_matches_fulltext`) and PostGIS (`_st_*`, `_st_d_within`, `_cast`
//! between geometry and geography), with the comparison types Hasura gives them; aggregation
//! predicates (`count`, `bool_and`, `bool_or`) over array relationships; bad values answered
//! with Hasura's codes (invalid `ltree`, negative `limit`, a `LIKE` pattern ending in an escape);
//! GeoJSON output with Hasura's long CRS names.

use std::path::Path;

use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

async fn start(sql: &str, tables: &[&str]) -> (TestCluster, TestServer) {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let server = TestServer::start(Path::new(BIN), &["--database-url", url.as_str()], &[]).await;
    let mut ops = vec![json!({"type": "run_sql", "args": {"sql": sql}})];
    ops.extend(
        tables
            .iter()
            .map(|t| json!({"type": "track_table", "args": t})),
    );
    let (status, body) = server
        .post("/v1/query", &json!({"type": "bulk", "args": ops}), &[])
        .await;
    assert_eq!(status, 200, "{body}");
    (pg, server)
}

async fn gql(s: &TestServer, q: &str, variables: Value) -> Value {
    let (status, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": q, "variables": variables}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn paths(d: &Value, key: &str) -> Vec<String> {
    d["data"][key]
        .as_array()
        .unwrap_or_else(|| panic!("{d}"))
        .iter()
        .map(|r| r["path"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn ltree_operators() {
    let (_pg, s) = start(
        "create extension if not exists ltree;
         create table tree (id serial primary key, path ltree not null);
         insert into tree (path) values ('a'), ('a.b'), ('a.b.c'), ('a.x'), ('z.b');",
        &["tree"],
    )
    .await;
    let d = gql(
        &s,
        r#"{ anc: tree(where: {path: {_ancestor: "a.b.c"}}, order_by: {id: asc}) { path }
             desc: tree(where: {path: {_descendant: "a.b"}}, order_by: {id: asc}) { path }
             desc_any: tree(where: {path: {_descendant_any: ["a.x", "z"]}}, order_by: {id: asc}) { path }
             anc_any: tree(where: {path: {_ancestor_any: ["a.x", "z.b"]}}, order_by: {id: asc}) { path }
             m: tree(where: {path: {_matches: "*.b"}}, order_by: {id: asc}) { path }
             m_any: tree(where: {path: {_matches_any: ["a", "z.*"]}}, order_by: {id: asc}) { path }
             ft: tree(where: {path: {_matches_fulltext: "x | c"}}, order_by: {id: asc}) { path } }"#,
        json!({}),
    )
    .await;
    assert_eq!(paths(&d, "anc"), ["a", "a.b", "a.b.c"]);
    assert_eq!(paths(&d, "desc"), ["a.b", "a.b.c"]);
    assert_eq!(paths(&d, "desc_any"), ["a.x", "z.b"]);
    assert_eq!(paths(&d, "anc_any"), ["a", "a.x", "z.b"]);
    assert_eq!(paths(&d, "m"), ["a.b", "z.b"]);
    assert_eq!(paths(&d, "m_any"), ["a", "z.b"]);
    assert_eq!(paths(&d, "ft"), ["a.b.c", "a.x"]);
    let d = gql(
        &s,
        r#"{ __type(name: "ltree_comparison_exp") { inputFields { name type { name ofType { name } } } } }"#,
        json!({}),
    )
    .await;
    let fields: Vec<&str> = d["data"]["__type"]["inputFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    for op in [
        "_ancestor",
        "_ancestor_any",
        "_descendant",
        "_descendant_any",
        "_matches",
        "_matches_any",
        "_matches_fulltext",
        "_eq",
    ] {
        assert!(fields.contains(&op), "{op} in {fields:?}");
    }
}

#[tokio::test]
async fn postgis_operators_and_casts() {
    let (_pg, s) = start(
        "create extension if not exists postgis;
         create table place (id serial primary key, name text, geom geometry not null, geog geography);
         insert into place (name, geom, geog) values
           ('origin', ST_GeomFromText('POINT(0 0)'), 'SRID=4326;POINT(0 0)'),
           ('near', ST_GeomFromText('POINT(1 1)'), 'SRID=4326;POINT(0.001 0.001)'),
           ('far', ST_GeomFromText('POINT(10 10)'), 'SRID=4326;POINT(10 10)');",
        &["place"],
    )
    .await;
    let square =
        json!({"type": "Polygon", "coordinates": [[[-2, -2], [2, -2], [2, 2], [-2, 2], [-2, -2]]]});
    let d = gql(
        &s,
        r#"query ($sq: geometry!, $o: geometry!, $g: geography!) {
             within: place(where: {geom: {_st_within: $sq}}, order_by: {id: asc}) { name }
             dist: place(where: {geom: {_st_d_within: {distance: 2, from: $o}}}, order_by: {id: asc}) { name }
             geog: place(where: {geog: {_st_d_within: {distance: 1000, from: $g}}}, order_by: {id: asc}) { name }
             cast: place(where: {geom: {_cast: {geography: {_st_d_within: {distance: 200000, from: $g}}}}}, order_by: {id: asc}) { name }
           }"#,
        json!({"sq": square, "o": {"type": "Point", "coordinates": [0, 0]},
               "g": {"type": "Point", "coordinates": [0, 0]}}),
    )
    .await;
    assert_eq!(
        d["data"],
        json!({"within": [{"name": "origin"}, {"name": "near"}],
               "dist": [{"name": "origin"}, {"name": "near"}],
               "geog": [{"name": "origin"}, {"name": "near"}],
               "cast": [{"name": "origin"}, {"name": "near"}]}),
        "{d}"
    );
    let d = gql(
        &s,
        r#"{ g: __type(name: "st_d_within_geography_input") { inputFields { name defaultValue } }
             c: __type(name: "geometry_cast_exp") { inputFields { name } } }"#,
        json!({}),
    )
    .await;
    assert_eq!(
        d["data"]["g"]["inputFields"],
        json!([{"name": "distance", "defaultValue": null}, {"name": "from", "defaultValue": null},
               {"name": "use_spheroid", "defaultValue": "true"}])
    );
    assert_eq!(
        d["data"]["c"]["inputFields"],
        json!([{"name": "geography"}])
    );
    // GeoJSON as Hasura prints it: a geography's CRS as the long URN, none for SRID 0.
    let d = gql(
        &s,
        r#"{ place(where: {name: {_eq: "near"}}) { geom geog } }"#,
        json!({}),
    )
    .await;
    assert_eq!(
        d["data"]["place"][0],
        json!({"geom": {"type": "Point", "coordinates": [1, 1]},
               "geog": {"type": "Point", "coordinates": [0.001, 0.001],
                        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4326"}}}})
    );
    // GeoJSON that Hasura's parser refuses never reaches PostGIS (which would store an open
    // ring): `parse-failed`, pointing into the value.
    let insert = "mutation ($g: geometry!) { insert_place(objects: [{name: \"bad\", geom: $g}]) { affected_rows } }";
    for (g, message, at) in [
        (
            json!({"type": "Polygon", "coordinates": [[[0, 0], [0, 1], [0, 0]]]}),
            "A LinearRing needs at least 4 Positions",
            ".geom.coordinates[0]",
        ),
        (
            json!({"type": "Polygon", "coordinates": [[[0, 0], [0, 1], [1, 1], [1, 0]]]}),
            "the first and last locations have to be equal for a LinearRing",
            ".geom.coordinates[0]",
        ),
        (
            json!({"type": "Point", "coordinates": [43.75]}),
            "A Position needs at least 2 elements",
            ".geom.coordinates",
        ),
        (
            json!({"type": "Random", "coordinates": []}),
            "unexpected geometry type: Random",
            ".geom",
        ),
    ] {
        let body = gql(&s, insert, json!({"g": g})).await;
        assert_eq!(body["errors"][0]["message"], message, "{body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "parse-failed",
            "{body}"
        );
        let path = body["errors"][0]["extensions"]["path"]
            .as_str()
            .unwrap_or_default();
        assert!(path.ends_with(at), "{path}");
    }
    let body = gql(
        &s,
        "{ place_aggregate(where: {name: {_eq: \"bad\"}}) { aggregate { count } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body["data"]["place_aggregate"]["aggregate"]["count"], 0,
        "{body}"
    );
    // The query API's `$cast` to a type it cannot cast to: Hasura's answer.
    let (status, body) = s
        .post(
            "/v1/query",
            &json!({"type": "select", "args": {"table": "place", "columns": ["id"],
            "where": {"geog": {"$cast": {"integer": {"$eq": 0}}}}}}),
            &[],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        (body["code"].as_str(), body["error"].as_str()),
        (
            Some("unexpected-payload"),
            Some("cannot cast column of type \"geography\" to type \"integer\"")
        ),
        "{body}"
    );
}

#[tokio::test]
async fn aggregation_predicates_count_bool_and_bool_or() {
    let (_pg, s) = start(
        "create table team (id int primary key, name text not null);
         create table member (id int primary key, team_id int not null references team(id),
                              active boolean, admin boolean not null default false);
         insert into team values (1, 'all active'), (2, 'mixed'), (3, 'empty');
         insert into member values (1, 1, true, false), (2, 1, true, true),
                                   (3, 2, true, false), (4, 2, false, false);",
        &["team", "member"],
    )
    .await;
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "pg_create_array_relationship", "args": {"table": "team",
                "name": "members", "using": {"foreign_key_constraint_on":
                    {"table": "member", "column": "team_id"}}}}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let names = |d: &Value| -> Vec<String> {
        d["data"]["team"]
            .as_array()
            .unwrap_or_else(|| panic!("{d}"))
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect()
    };
    let q = "query($w: team_bool_exp) { team(where: $w, order_by: {id: asc}) { name } }";
    let all_active = json!({"members_aggregate": {"bool_and": {"arguments": "active",
        "predicate": {"_eq": true}}}});
    // bool_and over no rows is null, so the empty team is not "all active".
    assert_eq!(
        names(&gql(&s, q, json!({"w": all_active})).await),
        ["all active"]
    );
    let any_admin = json!({"members_aggregate": {"bool_or": {"arguments": "admin",
        "predicate": {"_eq": true}}}});
    assert_eq!(
        names(&gql(&s, q, json!({"w": any_admin})).await),
        ["all active"]
    );
    let any_inactive = json!({"members_aggregate": {"bool_and": {"arguments": "active",
        "filter": {"admin": {"_eq": false}}, "predicate": {"_eq": false}}}});
    assert_eq!(
        names(&gql(&s, q, json!({"w": any_inactive})).await),
        ["mixed"]
    );
    let two = json!({"members_aggregate": {"count": {"predicate": {"_eq": 2}},
        "bool_and": {"arguments": "active", "predicate": {"_eq": false}}}});
    assert_eq!(names(&gql(&s, q, json!({"w": two})).await), ["mixed"]);
    // The inputs are typed as Hasura types them: the column enum takes boolean columns only.
    let intro = gql(
        &s,
        r#"{ t: __type(name: "member_select_column_member_aggregate_bool_exp_bool_and_arguments_columns") {
               description enumValues { name } }
             e: __type(name: "member_aggregate_bool_exp") { inputFields { name type { name } } } }"#,
        json!({}),
    )
    .await;
    assert_eq!(
        intro["data"]["t"],
        json!({"description": "select \"member_aggregate_bool_exp_bool_and_arguments_columns\" columns of table \"member\"",
               "enumValues": [{"name": "active"}, {"name": "admin"}]})
    );
    assert_eq!(
        intro["data"]["e"]["inputFields"],
        json!([{"name": "bool_and", "type": {"name": "member_aggregate_bool_exp_bool_and"}},
               {"name": "bool_or", "type": {"name": "member_aggregate_bool_exp_bool_or"}},
               {"name": "count", "type": {"name": "member_aggregate_bool_exp_count"}}])
    );
    // A non-boolean column is refused by validation.
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ team(where: {members_aggregate: {bool_and: {arguments: id, predicate: {_eq: true}}}}) { name } }"}),
            &[],
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "validation-failed",
        "{body}"
    );
}

#[tokio::test]
async fn bad_values_get_hasuras_codes_before_the_database() {
    let (_pg, s) = start(
        "create extension if not exists ltree;
         create table tree (id serial primary key, path ltree not null, name text);
         insert into tree (path, name) values ('a', 'John');",
        &["tree"],
    )
    .await;
    let error = |q: &'static str| {
        let s = &s;
        async move {
            let (_, body) = s.post("/v1/graphql", &json!({"query": q}), &[]).await;
            body["errors"][0].clone()
        }
    };
    let e = error(r#"{ tree(where: {path: {_ancestor: "a.b."}}) { id } }"#).await;
    assert_eq!(e["extensions"]["code"], "parse-failed", "{e}");
    assert_eq!(
        e["extensions"]["path"],
        "$.selectionSet.tree.args.where.path._ancestor"
    );
    let e = error(r#"{ tree(where: {path: {_descendant_any: ["a", "b..c"]}}) { id } }"#).await;
    assert_eq!(
        e["extensions"]["path"], "$.selectionSet.tree.args.where.path._descendant_any[1]",
        "{e}"
    );
    let e = error("{ tree(limit: -1) { id } }").await;
    assert_eq!(e["extensions"]["code"], "not-supported", "{e}");
    assert_eq!(e["message"], "unexpected negative value");
    let e = error(r#"{ tree(where: {name: {_like: "Jo\\"}}) { id } }"#).await;
    assert_eq!(e["extensions"]["code"], "bad-request", "{e}");
}
