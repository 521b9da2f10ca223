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
            "id",
            "meta",
            "name",
            "rating",
            "articles",
            "articles_aggregate"
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
