//! End to end: GraphQL queries through the real binary against a real database.

use std::path::{Path, PathBuf};
use std::process::Command;

use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

async fn blog(extra: &[&str]) -> (TestCluster, TestServer) {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let mut args = vec!["--database-url", url.as_str()];
    args.extend_from_slice(extra);
    let server = TestServer::start(Path::new(BIN), &args, &[]).await;
    let setup = json!({"type": "bulk", "args": [
        {"type": "run_sql", "args": {"sql": "
            create table author (id serial primary key, name text not null, rating int, meta jsonb);
            create table article (id serial primary key, author_id int not null references author(id), title text not null, rating int not null);
            insert into author (name, rating, meta) values ('Ann', 5, '{\"twitter\": \"@ann\"}'), ('Bob', 2, null), ('Cid', null, '{}');
            insert into article (author_id, title, rating) values (1, 'Rust', 5), (1, 'Go', 3), (2, 'SQL', 4);"}},
        {"type": "track_table", "args": "author"},
        {"type": "track_table", "args": "article"},
        {"type": "create_object_relationship", "args": {"table": "article", "name": "author", "using": {"foreign_key_constraint_on": "author_id"}}},
        {"type": "create_array_relationship", "args": {"table": "author", "name": "articles", "using": {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}}}}
    ]});
    let (status, body) = server.post("/v1/query", &setup, &[]).await;
    assert_eq!(status, 200, "{body}");
    (pg, server)
}

#[tokio::test]
async fn queries_filter_order_nest_and_aggregate() {
    let (_pg, s) = blog(&[]).await;
    let body = s.graphql(r#"query($min: Int) { author(where: {_or: [{rating: {_gte: $min}}, {articles: {title: {_ilike: "%sql%"}}}]}, order_by: {name: desc}) {
            name articles(order_by: {id: desc}, limit: 1) { title author { name } } } }"#,
        json!({"min": 4}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"author": [
            {"name": "Bob", "articles": [{"title": "SQL", "author": {"name": "Bob"}}]},
            {"name": "Ann", "articles": [{"title": "Go", "author": {"name": "Ann"}}]}
        ]}})
    );
    let body = s.graphql("{ a: article_aggregate { aggregate { count max { rating } } } author(order_by: {articles_aggregate: {count: desc}}, limit: 1) { name n: articles_aggregate { aggregate { count } } } author_by_pk(id: 3) { __typename name } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {
            "a": {"aggregate": {"count": 3, "max": {"rating": 5}}},
            "author": [{"name": "Ann", "n": {"aggregate": {"count": 2}}}],
            "author_by_pk": {"__typename": "author", "name": "Cid"}
        }})
    );
    // The same query text with other variable values: cached plans must not keep old values.
    let q = "query($ids: [Int!], $name: String) { author(where: {_or: [{id: {_in: $ids}}, {name: {_eq: $name}}]}, order_by: {id: asc}) { id } }";
    for (vars, ids) in [
        (json!({"ids": [1], "name": "nobody"}), json!([{"id": 1}])),
        (
            json!({"ids": [2, 3], "name": "nobody"}),
            json!([{"id": 2}, {"id": 3}]),
        ),
        (json!({"ids": [], "name": "Ann"}), json!([{"id": 1}])),
        (json!({"ids": [], "name": "Bob"}), json!([{"id": 2}])),
    ] {
        assert_eq!(
            s.graphql(q, vars.clone()).await,
            json!({"data": {"author": ids}}),
            "{vars}"
        );
    }
    // Fragments, directives, batching.
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!([
                {"query": "query($s: Boolean!) { author(where: {meta: {_has_key: \"twitter\"}}) { ...F rating @skip(if: $s) } } fragment F on author { name }", "variables": {"s": true}},
                {"query": "{ author_by_pk(id: 99) { name } }"}
            ]),
            &[],
        )
        .await;
    assert_eq!(
        body,
        json!([{"data": {"author": [{"name": "Ann"}]}}, {"data": {"author_by_pk": null}}])
    );
}

#[tokio::test]
async fn bad_queries_get_hasura_errors() {
    let (_pg, s) = blog(&["--max-query-depth", "4"]).await;
    let cases = [
        (
            json!({"query": "{ author { id "}),
            "validation-failed",
            "not a valid graphql query",
        ),
        (
            json!({"query": "{ autor { id } }"}),
            "validation-failed",
            "field 'autor' not found in type: 'query_root'",
        ),
        (
            json!({"query": "{ author(limit: \"x\") { id } }"}),
            "validation-failed",
            "",
        ),
        (
            json!({"query": "query($id: Int!) { author_by_pk(id: $id) { id } }"}),
            "validation-failed",
            "",
        ),
        (
            json!({"query": "{ nothing_here { id } }"}),
            "validation-failed",
            "",
        ),
        (
            json!({"query": "{ author { articles { author { articles { author { name } } } } } }"}),
            "validation-failed",
            "the query is nested",
        ),
        (
            json!({"query": "{ author(where: {name: {_regex: \"(\"}}) { id } }"}),
            "data-exception",
            "regular expression",
        ),
    ];
    for (body, code, message) in cases {
        let (status, resp) = s.post("/v1/graphql", &body, &[]).await;
        assert_eq!(status, 200, "{body}: {resp}");
        assert_eq!(
            resp["errors"][0]["extensions"]["code"], code,
            "{body}: {resp}"
        );
        assert!(
            resp["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(message),
            "{body}: {resp}"
        );
        assert!(resp.get("data").is_none(), "{resp}");
    }
    // Validation errors carry the path to the offending field or argument, as in Hasura.
    let paths = [
        ("{ autor { id } }", "$.selectionSet.autor"),
        (
            "{ author { id nope } }",
            "$.selectionSet.author.selectionSet.nope",
        ),
        (
            "{ author(where: {id: {_unexpected: 1}}) { id } }",
            "$.selectionSet.author.args.where.id._unexpected",
        ),
        (
            "{ author { ...A } } fragment A on author { articles { nope } }",
            "$.selectionSet.author.selectionSet.A.selectionSet.articles.selectionSet.nope",
        ),
    ];
    let resp = s
        .graphql(
            "{ author(where: {id: {_unexpected: 1}}) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        resp["errors"][0]["message"],
        "field '_unexpected' not found in type: 'Int_comparison_exp'"
    );
    for (query, path) in paths {
        let resp = s.graphql(query, json!({})).await;
        assert_eq!(
            resp["errors"][0]["extensions"]["path"], path,
            "{query}: {resp}"
        );
    }
    let (status, resp) = s.post_raw("/v1/graphql", "{not json").await;
    assert_eq!(
        (status, resp["errors"][0]["extensions"]["code"].as_str()),
        (200, Some("invalid-json"))
    );
    // The server is still serving.
    let body = s
        .graphql(
            "{ author(limit: 1, order_by: {id: asc}) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(body, json!({"data": {"author": [{"id": 1}]}}));
}

#[tokio::test]
async fn introspection_answers_what_clients_ask() {
    let (_pg, s) = blog(&[]).await;
    let body = s.graphql("{ __schema { queryType { name } types { name } } __type(name: \"author\") { fields { name type { kind ofType { name } } } } }",
        json!({}),
    )
    .await;
    let types: Vec<&str> = body["data"]["__schema"]["types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for t in [
        "author",
        "article_bool_exp",
        "author_aggregate_fields",
        "Int_comparison_exp",
        "order_by",
        "jsonb",
    ] {
        assert!(types.contains(&t), "{t} missing from {types:?}");
    }
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "query_root");
    let fields: Vec<&str> = body["data"]["__type"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec![
            "articles",
            "articles_aggregate",
            "id",
            "meta",
            "name",
            "rating"
        ]
    );
}

#[tokio::test]
async fn custom_names_and_other_schemas() {
    let (_pg, s) = blog(&[]).await;
    let setup = json!({"type": "bulk", "args": [
        {"type": "run_sql", "args": {"sql": "create schema library; create table library.book (isbn text primary key, title text); insert into library.book values ('1', 'Dune')"}},
        {"type": "pg_track_table", "args": {"table": {"schema": "library", "name": "book"}}},
        {"type": "pg_set_table_customization", "args": {"table": "author", "configuration": {
            "custom_name": "writer",
            "custom_root_fields": {"select": "writers", "select_by_pk": "writer_by_id"},
            "column_config": {"name": {"custom_name": "full_name"}}}}}
    ]});
    let (status, body) = s.post("/v1/metadata", &setup, &[]).await;
    assert_eq!(status, 200, "{body}");
    let body = s.graphql(r#"{ writers(where: {full_name: {_eq: "Ann"}}) { id full_name } writer_by_id(id: 2) { full_name __typename } writer_aggregate { aggregate { count } } library_book { title } }"#,
        json!({}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {
            "writers": [{"id": 1, "full_name": "Ann"}],
            "writer_by_id": {"full_name": "Bob", "__typename": "writer"},
            "writer_aggregate": {"aggregate": {"count": 3}},
            "library_book": [{"title": "Dune"}]
        }})
    );
    // The default names are gone.
    assert_eq!(
        s.graphql("{ author { id } }", json!({})).await["errors"][0]["extensions"]["code"],
        "validation-failed"
    );
}

fn shared_bench() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench");
    p.exists().then_some(p)
}

/// Numbers compared by value (`4.0` equals `4`), everything else exactly.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            (x.as_f64().unwrap() - y.as_f64().unwrap()).abs() < 1e-9
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

#[tokio::test]
async fn the_four_bench_queries_return_what_their_sql_returns() {
    let Some(bench) = shared_bench() else {
        eprintln!("skipped: ../shared/bench not found");
        return;
    };
    let pg = TestCluster::start("bench").await;
    let psql = Some(rasura_cluster::find_bin_dir().unwrap().join("psql"))
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("psql"));
    let port = pg.cluster.port.to_string();
    let psql_run = |args: &[&str]| {
        let out = Command::new(&psql)
            .args([
                "-X",
                "-q",
                "-At",
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-d",
                "bench",
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let dataset = bench.join("dataset/schema_and_data.sql");
    psql_run(&[
        "-v",
        "authors=200",
        "-v",
        "articles=4000",
        "-v",
        "comments=100",
        "-f",
        dataset.to_str().unwrap(),
    ]);
    let server =
        TestServer::start(Path::new(BIN), &["--database-url", &pg.url("bench")], &[]).await;
    let setup = json!({"type": "bulk", "args": [
        {"type": "pg_track_table", "args": {"table": "author"}},
        {"type": "pg_track_table", "args": {"table": "article"}},
        {"type": "pg_track_table", "args": {"table": "comment"}},
        {"type": "pg_create_object_relationship", "args": {"table": "article", "name": "author", "using": {"foreign_key_constraint_on": "author_id"}}},
        {"type": "pg_create_array_relationship", "args": {"table": "author", "name": "articles", "using": {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}}}}
    ]});
    assert_eq!(server.post("/v1/metadata", &setup, &[]).await.0, 200);
    for q in ["q1_by_pk", "q2_filter_join", "q3_nested", "q4_aggregate"] {
        let query =
            std::fs::read_to_string(bench.join(format!("queries/hasura/{q}.graphql"))).unwrap();
        let variables = if bench.join(format!("queries/hasura/{q}.vars.json")).exists() {
            json!({"id": 7})
        } else {
            json!({})
        };
        let (_, got) = server
            .post(
                "/v1/graphql",
                &json!({"query": query, "variables": variables}),
                &[],
            )
            .await;
        let sql: String = std::fs::read_to_string(bench.join(format!("queries/sql/{q}.sql")))
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('\\'))
            .collect::<Vec<_>>()
            .join("\n")
            .replace(":id", "7");
        let expected: Value = serde_json::from_str(psql_run(&["-c", &sql]).trim()).unwrap();
        assert!(same(&got, &expected), "{q}: rasura {got}\nsql {expected}");
    }
}

/// The query API's `count` with `distinct`, a relationship under an `alias`, and numbers as
/// strings with `--stringify-numeric-types` (found with Hasura's `v1/count` and `v1/select`
/// cases).
#[tokio::test]
async fn the_query_api_counts_distinct_aliases_and_stringifies() {
    let (_pg, s) = blog(&["--stringify-numeric-types"]).await;
    let q = |body: Value| {
        let s = &s;
        async move { s.post("/v1/query", &body, &[]).await }
    };
    let (status, r) = q(json!({"type": "count", "args": {"table": "article",
        "distinct": ["author_id"], "where": {"rating": {"$gte": 3}}}}))
    .await;
    assert_eq!((status, r), (200, json!({"count": 2})));
    let (status, r) = q(json!({"type": "count", "args": {"table": "article"}})).await;
    assert_eq!((status, r), (200, json!({"count": 3})));
    let (status, r) = q(json!({"type": "count", "args": {"table": "article",
        "distinct": ["author_id", "writer"]}}))
    .await;
    assert_eq!(status, 400, "{r}");
    assert_eq!(
        (r["path"].as_str(), r["code"].as_str()),
        (Some("$.args.distinct[1]"), Some("permission-denied")),
        "{r}"
    );
    let (status, r) = q(json!({"type": "select", "args": {"table": "article",
        "columns": ["id", {"name": "author", "alias": "written_by", "columns": ["name"]}],
        "where": {"id": 1}}}))
    .await;
    assert_eq!(
        (status, r),
        (200, json!([{"id": 1, "written_by": {"name": "Ann"}}]))
    );
    let (status, r) = q(json!({"type": "run_sql", "args": {"sql":
        "create table big (id bigserial primary key, n numeric not null); insert into big (n) values (1.50);"}}))
    .await;
    assert_eq!(status, 200, "{r}");
    q(json!({"type": "track_table", "args": "big"})).await;
    let (status, r) =
        q(json!({"type": "select", "args": {"table": "big", "columns": ["*"]}})).await;
    assert_eq!((status, r), (200, json!([{"id": "1", "n": "1.50"}])));
}

/// The query API's `update`, `delete` and `insert` for a role, under its permissions: row
/// filter, columns, presets (with session variables) and check (found with Hasura's
/// `v1/update/permissions` cases).
#[tokio::test]
async fn the_query_api_updates_and_deletes_under_a_roles_permissions() {
    let (_pg, s) = blog(&[]).await;
    let setup = json!({"type": "bulk", "args": [
        {"type": "create_select_permission", "args": {"table": "article", "role": "user",
            "permission": {"columns": ["id", "title", "rating", "author_id"], "filter": {}}}},
        {"type": "create_update_permission", "args": {"table": "article", "role": "user",
            "permission": {"columns": ["title"], "filter": {"author_id": "X-Hasura-User-Id"},
                "set": {"rating": "X-Hasura-Rating"}, "check": {"title": {"_neq": "bad"}}}}},
        {"type": "create_delete_permission", "args": {"table": "article", "role": "user",
            "permission": {"filter": {"author_id": "X-Hasura-User-Id"}}}}
    ]});
    let (status, r) = s.post("/v1/query", &setup, &[]).await;
    assert_eq!(status, 200, "{r}");
    let user = [
        ("x-hasura-role", "user"),
        ("x-hasura-user-id", "1"),
        ("x-hasura-rating", "1"),
    ];
    let q = |body: Value| {
        let s = &s;
        async move { s.post("/v1/query", &body, &user).await }
    };
    // Its own article: updated, the preset applied.
    let (status, r) = q(json!({"type": "update", "args": {"table": "article",
        "$set": {"title": "Rust 2"}, "where": {"id": 1}, "returning": ["id", "title", "rating"]}}))
    .await;
    assert_eq!(
        (status, r),
        (
            200,
            json!({"affected_rows": 1, "returning": [{"id": 1, "title": "Rust 2", "rating": 1}]})
        )
    );
    // Another author's article: not touched.
    let (status, r) = q(json!({"type": "update", "args": {"table": "article",
        "$set": {"title": "mine"}, "where": {"id": 3}}}))
    .await;
    assert_eq!((status, r), (200, json!({"affected_rows": 0})));
    // A column it may not update, a preset column, and the check.
    let (status, r) = q(json!({"type": "update", "args": {"table": "article",
        "$set": {"author_id": 2}, "where": {"id": 1}}}))
    .await;
    assert_eq!(status, 400, "{r}");
    assert_eq!(
        (r["code"].as_str(), r["path"].as_str()),
        (Some("permission-denied"), Some("$.args.$set")),
        "{r}"
    );
    let (_, r) = q(json!({"type": "update", "args": {"table": "article",
        "$set": {"rating": 5}, "where": {"id": 1}}}))
    .await;
    assert_eq!(r["code"], "not-supported", "{r}");
    let (status, r) = q(json!({"type": "update", "args": {"table": "article",
        "$set": {"title": "bad"}, "where": {"id": 1}}}))
    .await;
    assert_eq!(status, 400, "{r}");
    assert_eq!(r["code"], "permission-error", "{r}");
    // Delete: only its own rows.
    let (status, r) = q(json!({"type": "delete", "args": {"table": "article", "where": {}}})).await;
    assert_eq!((status, r), (200, json!({"affected_rows": 2})));
    let (_, left) = s
        .post(
            "/v1/query",
            &json!({"type": "count", "args": {"table": "article"}}),
            &[],
        )
        .await;
    assert_eq!(left, json!({"count": 1}));
    // Inserting: without an insert permission refused; with one, its columns, presets and
    // check apply.
    let insert = json!({"type": "insert", "args": {"table": "article",
        "objects": [{"title": "x"}], "returning": ["title", "author_id", "rating"]}});
    let (status, r) = q(insert.clone()).await;
    assert_eq!(
        (status, r["code"].as_str()),
        (400, Some("permission-denied")),
        "{r}"
    );
    let (status, r) = s
        .post(
            "/v1/query",
            &json!({"type": "create_insert_permission", "args": {"table": "article", "role": "user",
                "permission": {"columns": ["title"], "check": {"title": {"_neq": "bad"}},
                    "set": {"author_id": "X-Hasura-User-Id", "rating": 3}}}}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{r}");
    let (status, r) = q(insert).await;
    assert_eq!(
        (status, r),
        (
            200,
            json!({"affected_rows": 1, "returning": [{"title": "x", "author_id": 1, "rating": 3}]})
        )
    );
    let (status, r) = q(json!({"type": "insert", "args": {"table": "article",
        "objects": [{"title": "y", "author_id": 2}]}}))
    .await;
    assert_eq!(
        (status, r["code"].as_str()),
        (400, Some("permission-denied")),
        "{r}"
    );
    let (status, r) = q(json!({"type": "insert", "args": {"table": "article",
        "objects": [{"title": "bad"}]}}))
    .await;
    assert_eq!(
        (status, r["code"].as_str()),
        (400, Some("permission-error")),
        "{r}"
    );
    // An upsert updates only what the update permission lets it: its rows, its columns, and
    // the preset.
    let upsert = |id: i64| {
        json!({"type": "insert", "args": {"table": "article",
            "objects": [{"id": id, "title": "upserted"}],
            "on_conflict": {"constraint": "article_pkey", "update_columns": ["title", "rating"]},
            "returning": ["id", "title", "rating"]}})
    };
    let (status, r) = s
        .post(
            "/v1/query",
            &json!({"type": "bulk", "args": [
                {"type": "create_select_permission", "args": {"table": "article", "role": "editor",
                    "permission": {"columns": ["id", "title", "rating"], "filter": {}}}},
                {"type": "create_insert_permission", "args": {"table": "article", "role": "editor",
                    "permission": {"columns": ["id", "title"], "check": {},
                        "set": {"author_id": "1", "rating": 1}}}}]}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{r}");
    let editor = |body: Value| {
        let s = &s;
        async move {
            s.post("/v1/query", &body, &[("x-hasura-role", "editor")])
                .await
        }
    };
    let (status, r) = editor(upsert(3)).await;
    assert_eq!(
        (status, r["code"].as_str()),
        (400, Some("permission-denied")),
        "{r}"
    );
    let (status, r) = s
        .post(
            "/v1/query",
            &json!({"type": "create_update_permission", "args": {"table": "article", "role": "editor",
                "permission": {"columns": ["title"], "filter": {"author_id": {"_eq": 1}},
                    "set": {"rating": 7}}}}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{r}");
    // Article 3 is Bob's: the conflict leaves it alone.
    let (status, r) = editor(upsert(3)).await;
    assert_eq!(
        (status, r),
        (200, json!({"affected_rows": 0, "returning": []}))
    );
    // Ann's new article 2 (deleted above, so inserted), then upserted: title and the preset.
    let (status, r) = editor(upsert(2)).await;
    assert_eq!(
        (status, r),
        (
            200,
            json!({"affected_rows": 1, "returning": [{"id": 2, "title": "upserted", "rating": 1}]})
        )
    );
    let (status, r) = editor(upsert(2)).await;
    assert_eq!(
        (status, r),
        (
            200,
            json!({"affected_rows": 1, "returning": [{"id": 2, "title": "upserted", "rating": 7}]})
        )
    );
}

async fn v1(s: &TestServer, body: Value) -> (u16, Value) {
    s.post("/v1/query", &body, &[]).await
}

/// The query API's upserts and update operators as Hasura runs them: `constraint_on`, an
/// `update` action that changes only the columns given, `$mul` and `$default` beside `$set`,
/// and the refusals (an unknown action or constraint, a column that is not there).
#[tokio::test]
async fn the_query_api_upserts_and_update_operators() {
    let (_pg, s) = blog(&[]).await;
    let (status, r) = v1(&s, json!({"type": "run_sql", "args": {"sql":
        "create table product (id int primary key, name text not null, price numeric not null, note text default 'new');
         insert into product values (1, 'Product 1', 5, 'old'), (2, 'Product 2', 15, 'old');"}})).await;
    assert_eq!(status, 200, "{r}");
    v1(&s, json!({"type": "track_table", "args": "product"})).await;
    // `action: update` sets what the object gives; `note` keeps its value (not its default).
    let (status, r) = v1(&s, json!({"type": "insert", "args": {"table": "product",
        "objects": [{"id": 1, "name": "Product 1", "price": 7}], "on_conflict": {"constraint_on": ["id"], "action": "update"},
        "returning": ["id", "note", "price"]}})).await;
    assert_eq!(
        (status, &r),
        (
            200,
            &json!({"affected_rows": 1, "returning": [{"id": 1, "note": "old", "price": 7}]})
        )
    );
    let (_, r) = v1(&s, json!({"type": "insert", "args": {"table": "product",
        "objects": [{"id": 2, "name": "x", "price": 1}], "on_conflict": {"constraint": "product_pkey", "action": "ignore"}}})).await;
    assert_eq!(r, json!({"affected_rows": 0}));
    for (conflict, code, error, path) in [
        (
            json!({"constraint_on": "id", "action": "random"}),
            "parse-failed",
            "Expecting 'ignore' or 'update'",
            "$.args.on_conflict.action",
        ),
        (
            json!({"constraint_on": "id"}),
            "parse-failed",
            "key \"action\" not found",
            "$.args.on_conflict",
        ),
        (
            json!({"constraint": "nope", "action": "ignore"}),
            "not-exists",
            "constraint \"nope\" for table \"product\" does not exist",
            "$.args.on_conflict.constraint",
        ),
        (
            json!({"constraint_on": ["name"], "action": "update"}),
            "not-exists",
            "there is no unique or exclusion constraint matching the ON CONFLICT specification",
            "$.args.on_conflict.constraint_on",
        ),
        (
            json!({"constraint_on": ["nope"], "action": "update"}),
            "not-exists",
            "column \"nope\" does not exist",
            "$.args.on_conflict.constraint_on[0]",
        ),
    ] {
        let (status, r) = v1(
            &s,
            json!({"type": "insert", "args": {"table": "product",
            "objects": [{"id": 2, "name": "x", "price": 1}], "on_conflict": conflict}}),
        )
        .await;
        assert_eq!(status, 400, "{r}");
        assert_eq!(
            (r["code"].as_str(), r["error"].as_str(), r["path"].as_str()),
            (Some(code), Some(error), Some(path)),
            "{r}"
        );
    }
    let (_, r) = v1(&s, json!({"type": "insert", "args": {"table": "product", "objects": [{"id": 3, "name": "y", "price": 1}], "returning": ["nope"]}})).await;
    assert_eq!(
        (r["code"].as_str(), r["error"].as_str()),
        (
            Some("permission-denied"),
            Some("no such column exists : \"nope\"")
        ),
        "{r}"
    );
    // `$mul` and `$default` beside `$set`: all applied.
    let (status, r) = v1(&s, json!({"type": "update", "args": {"table": "product", "where": {"id": 2},
        "$set": {"name": "P2"}, "$mul": {"price": 2}, "$default": ["note"], "returning": ["name", "price", "note"]}})).await;
    assert_eq!(
        (status, &r),
        (
            200,
            &json!({"affected_rows": 1, "returning": [{"name": "P2", "price": 30, "note": "new"}]})
        )
    );
    let (status, r) = v1(&s, json!({"type": "update", "args": {"table": "product", "where": {"id": 1}, "$mul": {"price": 2}, "returning": ["price"]}})).await;
    assert_eq!(
        (status, &r),
        (
            200,
            &json!({"affected_rows": 1, "returning": [{"price": 14}]})
        )
    );
    // A delete a foreign key stops, in Hasura's words.
    let body = s
        .graphql(
            "mutation { delete_author(where: {id: {_eq: 1}}) { affected_rows } }",
            json!({}),
        )
        .await;
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("Foreign key violation. update or delete on table \"author\""),
        "{body}"
    );
}

/// Descriptions as Hasura gives them: a computed field's from its metadata comment, else its
/// function's database comment; an empty metadata comment gives none (table, column, root
/// field). And the query API's `order_by` objects and negative limits.
#[tokio::test]
async fn descriptions_and_the_query_apis_select_arguments() {
    let (_pg, s) = blog(&[]).await;
    let (status, r) = v1(&s, json!({"type": "bulk", "args": [
        {"type": "run_sql", "args": {"sql": "
            create function author_upper(a author) returns text as $$ select upper(a.name) $$ language sql stable;
            comment on function author_upper(author) is 'The name, shouted';
            create function author_lower(a author) returns text as $$ select lower(a.name) $$ language sql stable;
            comment on function author_lower(author) is 'ignored: the metadata says';
            create function author_same(a author) returns text as $$ select a.name $$ language sql stable;"}},
        {"type": "add_computed_field", "args": {"table": "author", "name": "upper_name", "definition": {"function": "author_upper"}}},
        {"type": "add_computed_field", "args": {"table": "author", "name": "lower_name", "definition": {"function": "author_lower"}, "comment": "The name, quietly"}},
        {"type": "add_computed_field", "args": {"table": "author", "name": "same_name", "definition": {"function": "author_same"}, "comment": ""}},
        {"type": "set_table_customization", "args": {"table": "article", "configuration": {
            "comment": "", "column_config": {"title": {"comment": ""}}, "custom_root_fields": {"select": {"comment": ""}}}}},
    ]})).await;
    assert_eq!(status, 200, "{r}");
    let d = s
        .graphql(
            r#"{ author: __type(name: "author") { fields { name description } }
        article: __type(name: "article") { description fields { name description } }
        root: __type(name: "query_root") { fields { name description } } }"#,
            json!({}),
        )
        .await;
    let about = |ty: &str, field: &str| -> Value {
        d["data"][ty]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == field)
            .map(|f| f["description"].clone())
            .unwrap_or_default()
    };
    assert_eq!(about("author", "upper_name"), "The name, shouted", "{d}");
    assert_eq!(about("author", "lower_name"), "The name, quietly", "{d}");
    assert_eq!(about("author", "same_name"), Value::Null, "{d}");
    assert_eq!(d["data"]["article"]["description"], Value::Null, "{d}");
    assert_eq!(about("article", "title"), Value::Null, "{d}");
    assert_eq!(about("root", "article"), Value::Null, "{d}");
    assert_eq!(
        about("root", "author"),
        "fetch data from the table: \"author\"",
        "{d}"
    );
    // `order_by` as objects; nulls placed as asked.
    let (status, r) = v1(
        &s,
        json!({"type": "select", "args": {"table": "author", "columns": ["name"],
        "order_by": [{"column": "rating", "type": "desc", "nulls": "last"}], "limit": 2}}),
    )
    .await;
    assert_eq!(
        (status, &r),
        (200, &json!([{"name": "Ann"}, {"name": "Bob"}]))
    );
    let (status, r) = v1(
        &s,
        json!({"type": "select", "args": {"table": "author", "columns": ["name"],
        "order_by": {"column": "rating", "type": "desc"}, "limit": 1}}),
    )
    .await;
    assert_eq!((status, &r), (200, &json!([{"name": "Cid"}])));
    for key in ["limit", "offset"] {
        let (status, r) = v1(
            &s,
            json!({"type": "select", "args": {"table": "author", "columns": ["name"], key: -1}}),
        )
        .await;
        assert_eq!(status, 400, "{r}");
        assert_eq!(
            (r["code"].as_str(), r["error"].as_str(), r["path"].as_str()),
            (
                Some("not-supported"),
                Some("unexpected negative value"),
                Some(format!("$.args.{key}").as_str())
            ),
            "{r}"
        );
    }
}
