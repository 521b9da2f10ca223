//! Naming conventions and source customization end to end: `graphql-default` (camelCase fields
//! and arguments, PascalCase types, upper-case `order_by` values, camelCase multi-word
//! operators) under the `naming_convention` experimental feature, ignored without it as Hasura
//! does; custom names kept as written; enum table values upper case; root field and type name
//! prefixes and suffixes; a root field namespace (queries, mutations, subscriptions).

use std::path::Path;

use rasura_test_support::ws::{next_data, subscribe};
use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

const FEATURE: (&str, &str) = ("HASURA_GRAPHQL_EXPERIMENTAL_FEATURES", "naming_convention");

const SQL: &str = "
    create table author_local (id serial primary key, name text not null, nick text);
    create table article_local (id serial primary key, title text not null,
                                author_id int not null references author_local(id),
                                rating numeric not null default 1);
    insert into author_local (name) values ('Ann'), ('Bob');
    insert into article_local (title, author_id, rating) values
        ('a1', 1, 2), ('a2', 1, 4), ('b1', 2, 3);";

/// A server on a fresh database with the two tables tracked, their relationships made, and
/// the default source customized as `customization` says.
async fn start(customization: Value, env: &[(&str, &str)]) -> (TestCluster, TestServer) {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let server = TestServer::start(Path::new(BIN), &["--database-url", url.as_str()], env).await;
    let (status, body) = server
        .post(
            "/v1/metadata",
            &json!({"type": "bulk", "args": [
                {"type": "run_sql", "args": {"sql": SQL}},
                {"type": "pg_track_table", "args": {"table": "author_local"}},
                {"type": "pg_track_table", "args": {"table": "article_local"}},
                {"type": "pg_create_object_relationship", "args": {"table": "article_local",
                    "name": "author", "using": {"foreign_key_constraint_on": "author_id"}}},
                {"type": "pg_create_array_relationship", "args": {"table": "author_local",
                    "name": "articles", "using": {"foreign_key_constraint_on":
                        {"table": "article_local", "column": "author_id"}}}},
                {"type": "pg_update_source", "args": {"name": "default",
                    "customization": customization}},
            ]}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    (pg, server)
}

async fn gql(s: &TestServer, q: &str) -> Value {
    let (status, body) = s.post("/v1/graphql", &json!({"query": q}), &[]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{q}\n{body}");
    body["data"].clone()
}

#[tokio::test]
async fn graphql_default_names_everything_as_hasura_does() {
    let (_pg, s) = start(json!({"naming_convention": "graphql-default"}), &[FEATURE]).await;
    let d = gql(
        &s,
        "{ authorLocal(orderBy: {id: DESC}, where: {nick: {_isNull: true}}) {
             __typename id name articlesAggregate { aggregate { count } } }
           authorLocalByPk(id: 1) { __typename name }
           articleLocalAggregate(where: {authorId: {_eq: 1}}) {
             __typename aggregate { __typename count sum { rating } stddevPop { rating } } } }",
    )
    .await;
    assert_eq!(
        d["authorLocal"],
        json!([
            {"__typename": "AuthorLocal", "id": 2, "name": "Bob",
             "articlesAggregate": {"aggregate": {"count": 1}}},
            {"__typename": "AuthorLocal", "id": 1, "name": "Ann",
             "articlesAggregate": {"aggregate": {"count": 2}}}
        ])
    );
    assert_eq!(
        d["authorLocalByPk"],
        json!({"__typename": "AuthorLocal", "name": "Ann"})
    );
    let agg = &d["articleLocalAggregate"];
    assert_eq!(agg["__typename"], "ArticleLocalAggregate");
    assert_eq!(
        agg["aggregate"]["__typename"],
        "ArticleLocalAggregateFields"
    );
    assert_eq!(agg["aggregate"]["count"], 2);
    assert_eq!(agg["aggregate"]["stddevPop"]["rating"].as_f64(), Some(1.0));

    // Ordering by a relationship's aggregate, distinct rows, variables typed by the new names.
    let (status, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "query($w: ArticleLocalBoolExp!, $o: [ArticleLocalOrderBy!]) {
                      articleLocal(where: $w, orderBy: $o, distinctOn: [authorId]) { authorId } }",
                    "variables": {"w": {"rating": {"_gte": 2}},
                                  "o": [{"authorId": "ASC"}, {"rating": "DESC_NULLS_LAST"}]}}),
            &[],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["data"]["articleLocal"],
        json!([{"authorId": 1}, {"authorId": 2}]),
        "{body}"
    );

    // Mutations: camelCase roots, arguments and response fields.
    let d = gql(
        &s,
        "mutation {
           insertAuthorLocal(objects: [{name: \"Cid\", articles: {data: [{title: \"c1\"}]}}]) {
             __typename affectedRows returning { __typename id } }
           updateArticleLocalByPk(pkColumns: {id: 1}, _set: {title: \"a1!\"}, _inc: {rating: 1}) {
             title rating }
           insertArticleLocalOne(object: {id: 2, title: \"again\", authorId: 1},
             onConflict: {constraint: article_local_pkey, updateColumns: [title]}) { id title }
           updateArticleLocalMany(updates: [{where: {id: {_eq: 3}}, _set: {title: \"b1!\"}}]) {
             affectedRows }
           deleteArticleLocalByPk(id: 3) { id } }",
    )
    .await;
    assert_eq!(
        d["insertAuthorLocal"]["__typename"],
        "AuthorLocalMutationResponse"
    );
    assert_eq!(d["insertAuthorLocal"]["affectedRows"], 2);
    assert_eq!(
        d["insertAuthorLocal"]["returning"][0]["__typename"],
        "AuthorLocal"
    );
    assert_eq!(d["updateArticleLocalByPk"]["title"], "a1!");
    assert_eq!(
        d["insertArticleLocalOne"],
        json!({"id": 2, "title": "again"})
    );
    assert_eq!(d["updateArticleLocalMany"], json!([{"affectedRows": 1}]));
    assert_eq!(d["deleteArticleLocalByPk"], json!({"id": 3}));

    // A relationship's aggregate is cased whole where it is selected, and as the
    // relationship's name plus `Aggregate` in filters and ordering (as in Hasura).
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "pg_create_array_relationship", "args": {"table": "author_local",
                "name": "written_articles", "using": {"foreign_key_constraint_on":
                    {"table": "article_local", "column": "author_id"}}}}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let d = gql(
        &s,
        "{ authorLocal(where: {written_articlesAggregate: {count: {predicate: {_gt: 0}}}},
                       orderBy: {written_articlesAggregate: {count: DESC}}) {
             name writtenArticlesAggregate { aggregate { count } } } }",
    )
    .await;
    assert_eq!(
        d["authorLocal"],
        json!([{"name": "Ann", "writtenArticlesAggregate": {"aggregate": {"count": 2}}},
               {"name": "Cid", "writtenArticlesAggregate": {"aggregate": {"count": 1}}}])
    );

    // The schema as Hasura prints it under graphql-default.
    let d = gql(
        &s,
        r#"{ o: __type(name: "OrderBy") { enumValues { name } }
             c: __type(name: "IntComparisonExp") { inputFields { name } }
             b: __type(name: "ArticleLocalBoolExp") { inputFields { name } } }"#,
    )
    .await;
    let names = |v: &Value, key: &str| -> Vec<String> {
        v[key]
            .as_array()
            .unwrap_or_else(|| panic!("{v}"))
            .iter()
            .map(|x| x["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names(&d["o"], "enumValues"),
        [
            "ASC",
            "ASC_NULLS_FIRST",
            "ASC_NULLS_LAST",
            "DESC",
            "DESC_NULLS_FIRST",
            "DESC_NULLS_LAST"
        ]
    );
    assert!(names(&d["c"], "inputFields").contains(&"_isNull".to_string()));
    assert_eq!(
        names(&d["b"], "inputFields"),
        ["_and", "_not", "_or", "author", "authorId", "id", "rating", "title"]
    );
    // The snake-case spellings are gone.
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ author_local { id } }"}),
            &[],
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "validation-failed");
}

#[tokio::test]
async fn the_convention_waits_for_the_experimental_feature() {
    let (_pg, s) = start(json!({"naming_convention": "graphql-default"}), &[]).await;
    let d = gql(
        &s,
        "{ author_local(order_by: {id: asc}) { __typename author_id: id } }",
    )
    .await;
    assert_eq!(d["author_local"][0]["__typename"], "author_local");
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "get_inconsistent_metadata", "args": {}}),
            &[],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["is_consistent"], true, "{body}");
}

#[tokio::test]
async fn the_server_default_applies_to_a_source_without_one() {
    let (_pg, s) = start(
        Value::Null,
        &[
            FEATURE,
            (
                "HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION",
                "graphql-default",
            ),
        ],
    )
    .await;
    let d = gql(
        &s,
        "{ articleLocal(where: {authorId: {_eq: 2}}) { title } }",
    )
    .await;
    assert_eq!(d["articleLocal"], json!([{"title": "b1"}]));
    // A source's own convention wins over the default.
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "pg_update_source", "args": {"name": "default",
                "customization": {"naming_convention": "hasura-default"}}}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let d = gql(
        &s,
        "{ article_local(where: {author_id: {_eq: 2}}) { title } }",
    )
    .await;
    assert_eq!(d["article_local"], json!([{"title": "b1"}]));
    let config: Value = reqwest::get(s.url("/v1alpha1/config"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        config["default_naming_convention"], "graphql-default",
        "{config}"
    );
    assert_eq!(
        config["experimental_features"],
        json!(["naming_convention"])
    );
}

#[tokio::test]
async fn custom_names_are_kept_and_prefixes_apply() {
    let (_pg, s) = start(
        json!({"naming_convention": "graphql-default",
               "root_fields": {"prefix": "test", "suffix": "query"}}),
        &[FEATURE],
    )
    .await;
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "pg_set_table_customization", "args": {"table": "author_local",
                "configuration": {"custom_name": "authorDetails",
                    "custom_root_fields": {"select_by_pk": "author_detail"},
                    "column_config": {"id": {"custom_name": "author_id"}}}}}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let d = gql(
        &s,
        "{ testAuthorDetailsQuery(where: {author_id: {_eq: 1}}) { __typename author_id name }
           testAuthor_detailQuery(author_id: 2) { name }
           testArticleLocalAggregateQuery { aggregate { count } } }",
    )
    .await;
    assert_eq!(
        d["testAuthorDetailsQuery"],
        json!([{"__typename": "authorDetails", "author_id": 1, "name": "Ann"}])
    );
    assert_eq!(d["testAuthor_detailQuery"]["name"], "Bob");
    assert_eq!(d["testArticleLocalAggregateQuery"]["aggregate"]["count"], 3);

    // hasura-default with prefixes: plain concatenation; type names prefixed too.
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "pg_update_source", "args": {"name": "default", "customization": {
                "root_fields": {"prefix": "test_", "suffix": "_query"},
                "type_names": {"prefix": "my_"}}}}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let d = gql(
        &s,
        "{ test_article_local_query(where: {author: {name: {_eq: \"Bob\"}}}) { __typename title } }",
    )
    .await;
    assert_eq!(
        d["test_article_local_query"],
        json!([{"__typename": "my_article_local", "title": "b1"}])
    );
    // A malformed customization is refused.
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "pg_update_source", "args": {"name": "default",
                "customization": {"naming_convention": "kebab-case"}}}),
            &[],
        )
        .await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn a_namespace_puts_the_source_under_one_field() {
    let (_pg, s) = start(
        json!({"root_fields": {"namespace": "db"}, "type_names": {"prefix": "my_"}}),
        &[],
    )
    .await;
    let d = gql(
        &s,
        "{ __typename db { __typename author_local(order_by: {id: asc}) { name }
                           total: article_local_aggregate { aggregate { count } } } }",
    )
    .await;
    assert_eq!(
        d,
        json!({"__typename": "query_root", "db": {"__typename": "my_db_query",
            "author_local": [{"name": "Ann"}, {"name": "Bob"}],
            "total": {"aggregate": {"count": 3}}}})
    );
    let d = gql(
        &s,
        "mutation { db { insert_author_local_one(object: {name: \"Cid\"}) { id }
                         delete_article_local(where: {id: {_eq: 3}}) { affected_rows } } }",
    )
    .await;
    assert_eq!(
        d,
        json!({"db": {"insert_author_local_one": {"id": 3},
                      "delete_article_local": {"affected_rows": 1}}})
    );
    // The root fields are no longer at the top; subscriptions have the namespace too.
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ author_local { id } }"}),
            &[],
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "validation-failed");
    let d = gql(
        &s,
        r#"{ __schema { subscriptionType { fields { name type { ofType { name } } } } } }"#,
    )
    .await;
    assert_eq!(
        d["__schema"]["subscriptionType"]["fields"][0],
        json!({"name": "db", "type": {"ofType": {"name": "my_db_subscription"}}})
    );
    // A subscription under the namespace answers nested, and again after a change.
    let mut ws = subscribe(
        s.port,
        "/v1/graphql",
        json!({}),
        "subscription { db { author_local(order_by: {id: asc}) { name } } }",
    )
    .await;
    let first = next_data(&mut ws).await;
    assert_eq!(
        first["db"]["author_local"],
        json!([{"name": "Ann"}, {"name": "Bob"}, {"name": "Cid"}])
    );
    gql(
        &s,
        "mutation { db { insert_author_local_one(object: {name: \"Dee\"}) { id } } }",
    )
    .await;
    let second = next_data(&mut ws).await;
    assert_eq!(second["db"]["author_local"][3], json!({"name": "Dee"}));
    let (_, md) = s
        .post(
            "/v1/metadata",
            &json!({"type": "get_inconsistent_metadata", "args": {}}),
            &[],
        )
        .await;
    assert_eq!(md["is_consistent"], true, "{md}");
}

/// The names of one type's fields, or null when the type does not exist.
async fn type_fields(s: &TestServer, name: &str) -> Value {
    let d = gql(
        s,
        &format!(r#"{{ __type(name: "{name}") {{ kind fields {{ name type {{ name ofType {{ name }} }} }} inputFields {{ name type {{ name ofType {{ name }} }} }} enumValues {{ name }} }} }}"#),
    )
    .await;
    d["__type"].clone()
}

#[tokio::test]
async fn the_september_2023_flag_cases_scalars_constraints_and_function_arguments() {
    const FLAG: (&str, &str) = ("HASURA_FF_NAMING_CONVENTION_SEP_2023", "True");
    let graphql = json!({"naming_convention": "graphql-default"});
    let (pg, s) = start(graphql.clone(), &[FEATURE, FLAG]).await;
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "bulk", "args": [
                {"type": "run_sql", "args": {"sql": "
                    alter table author_local add column joined timestamptz not null default now(),
                      add column profile jsonb not null default '{\"lang\": \"en\"}';
                    create function search_authors(search_text text) returns setof author_local
                      as $$ select * from author_local where name ilike search_text $$
                      language sql stable;"}},
                {"type": "pg_track_function", "args": {"function": "search_authors"}}
            ]}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // Scalars are PascalCase, as column types, in comparisons and as `_cast` targets.
    let author = type_fields(&s, "AuthorLocal").await;
    let field_type = |t: &Value, f: &str| {
        t["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == f)
            .map(|x| x["type"]["ofType"]["name"].clone())
            .unwrap()
    };
    assert_eq!(field_type(&author, "joined"), "Timestamptz", "{author}");
    assert_eq!(field_type(&author, "profile"), "Jsonb");
    assert!(type_fields(&s, "timestamptz").await.is_null());
    assert_eq!(type_fields(&s, "Timestamptz").await["kind"], "SCALAR");
    let d = gql(
        &s,
        r#"{ authorLocal(where: {profile: {_contains: {lang: "en"}}, joined: {_lte: "2999-01-01"}}, orderBy: {id: ASC}) { name } }"#,
    )
    .await;
    assert_eq!(d["authorLocal"], json!([{"name": "Ann"}, {"name": "Bob"}]));
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "query ($t: Timestamptz!, $p: Jsonb) { authorLocal(where: {joined: {_lte: $t}, profile: {_contains: $p}}) { id } }",
                "variables": {"t": "2999-01-01T00:00:00Z", "p": {"lang": "en"}}}),
            &[],
        )
        .await;
    assert_eq!(
        body["data"]["authorLocal"].as_array().map(Vec::len),
        Some(2),
        "{body}"
    );

    // Unique constraints are camelCase values, read back to the constraint.
    let constraint = type_fields(&s, "AuthorLocalConstraint").await;
    assert_eq!(
        constraint["enumValues"],
        json!([{"name": "authorLocalPkey"}])
    );
    let d = gql(
        &s,
        r#"mutation { insertAuthorLocalOne(object: {id: 1, name: "Ann B"},
             onConflict: {constraint: authorLocalPkey, updateColumns: [name]}) { id name } }"#,
    )
    .await;
    assert_eq!(d["insertAuthorLocalOne"], json!({"id": 1, "name": "Ann B"}));

    // A tracked function's arguments type is generated, its arguments camelCase.
    let args = type_fields(&s, "SearchAuthorsArgs").await;
    assert_eq!(args["inputFields"][0]["name"], "searchText", "{args}");
    let d = gql(
        &s,
        r#"{ searchAuthors(args: {searchText: "b%"}) { name } }"#,
    )
    .await;
    assert_eq!(d["searchAuthors"], json!([{"name": "Bob"}]));

    // /v1alpha1/config lists the flag, enabled.
    let config: Value = s
        .http
        .get(s.url("/v1alpha1/config"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let flag = config["feature_flags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "naming-convention-sep-2023")
        .cloned();
    assert_eq!(
        flag.map(|f| f["enabled"].clone()),
        Some(json!(true)),
        "{config}"
    );

    // Without the flag (or with `true`, which Hasura does not read as True) none of it.
    let url = pg.url("app");
    let plain = TestServer::start(
        Path::new(BIN),
        &["--database-url", url.as_str()],
        &[FEATURE, ("HASURA_FF_NAMING_CONVENTION_SEP_2023", "true")],
    )
    .await;
    let author = type_fields(&plain, "AuthorLocal").await;
    assert_eq!(field_type(&author, "joined"), "timestamptz", "{author}");
    let constraint = type_fields(&plain, "AuthorLocalConstraint").await;
    assert_eq!(
        constraint["enumValues"],
        json!([{"name": "author_local_pkey"}])
    );
    assert!(type_fields(&plain, "SearchAuthorsArgs").await.is_null());
    let args = type_fields(&plain, "searchAuthorsArgs").await;
    assert_eq!(args["inputFields"][0]["name"], "search_text", "{args}");
    let d = gql(
        &plain,
        r#"{ searchAuthors(args: {search_text: "a%"}) { name } }"#,
    )
    .await;
    assert_eq!(d["searchAuthors"], json!([{"name": "Ann B"}]));
}
