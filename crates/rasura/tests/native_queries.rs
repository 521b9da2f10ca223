//! Native queries and logical models end to end, against a real database: Hasura's own cases
//! (code with a trailing semicolon or comment, arguments as parameters, aliases, variables,
//! nullable arguments, required ones), permissions of the logical model, relationships between
//! native queries and to tables, a live query, the metadata API's refusals, and metadata that
//! round-trips through export and replace.

use std::path::Path;

use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

const HELLO: &str =
    "SELECT * FROM (VALUES ('hello', 'world'), ('welcome', 'friend')) as t(\"one\", \"two\")";
const EXCERPT: &str = "select id, \"Title\", (substring(content, 1, {{length}}) || (case when length(content) < {{length}} then '' else '...' end)) as excerpt, author_id from article";

async fn metadata(s: &TestServer, body: Value) -> (u16, Value) {
    s.post("/v1/metadata", &body, &[]).await
}

async fn ok(s: &TestServer, body: Value) {
    let (status, answer) = metadata(s, body).await;
    assert_eq!(status, 200, "{answer}");
}

fn track_query(name: &str, returns: Value, code: &str, args: Value) -> Value {
    json!({"type": "pg_track_native_query", "args": {"source": "default", "root_field_name": name,
        "type": "query", "returns": returns, "code": code, "arguments": args}})
}

async fn gql(s: &TestServer, role: &str, q: &str, variables: Value) -> Value {
    let headers = [("x-hasura-role", role), ("x-hasura-user-id", "2")];
    let (status, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": q, "variables": variables}),
            &headers,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn start() -> (TestCluster, TestServer) {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let s = TestServer::start(Path::new(BIN), &["--database-url", url.as_str()], &[]).await;
    let (status, body) = s.post("/v2/query", &json!({"type": "run_sql", "args": {"sql": "
        create table article (id int primary key, \"Title\" text, content text, author_id int);
        insert into article values (1, 'Dogs', 'I like to eat dog food I am a dogs I like to eat dog food I am a dogs I like to eat dog food I am a dogs', 1);
        create table author (id int primary key, name text);
        insert into author values (1, 'Ann'), (2, 'Bo');"}}), &[]).await;
    assert_eq!(status, 200, "{body}");
    ok(
        &s,
        json!({"type": "pg_track_table", "args": {"source": "default", "table": "author"}}),
    )
    .await;
    let text = |name: &str| json!({"name": name, "type": {"scalar": "text", "nullable": true}});
    ok(&s, json!({"type": "pg_track_logical_model", "args": {"source": "default",
        "name": "hello_world_return_type", "description": "Two words",
        "fields": [text("one"), {"name": "two", "type": "text", "nullable": true, "description": "The second"}]}})).await;
    ok(
        &s,
        json!({"type": "pg_track_logical_model", "args": {"source": "default",
        "name": "article_with_excerpt", "fields": [{"name": "id", "type": "integer"}, text("Title"),
        text("excerpt"), {"name": "author_id", "type": {"scalar": "integer", "nullable": true}}]}}),
    )
    .await;
    ok(
        &s,
        json!({"type": "pg_track_logical_model", "args": {"source": "default",
        "name": "nullability_model", "fields": [{"name": "arbitrary_number", "type": "integer"}]}}),
    )
    .await;
    for (name, code) in [
        ("hello_world_function", HELLO.to_string()),
        ("hello_semicolon_function", format!("{HELLO}; \n")),
        ("hello_comment_function", format!("{HELLO} -- my query")),
        ("UppercaseNativeQuery", HELLO.to_string()),
    ] {
        ok(
            &s,
            track_query(name, json!("hello_world_return_type"), &code, json!({})),
        )
        .await;
    }
    ok(
        &s,
        track_query(
            "hello_world_function_inline",
            json!({"fields": [text("one"), text("two")]}),
            HELLO,
            json!({}),
        ),
    )
    .await;
    let length = json!({"length": {"type": "integer", "nullable": false}});
    for name in [
        "article_with_excerpt",
        "article_with_excerpt_1",
        "article_with_excerpt_2",
    ] {
        ok(
            &s,
            track_query(name, json!("article_with_excerpt"), EXCERPT, length.clone()),
        )
        .await;
    }
    let code = "SELECT coalesce({{index}}, 100) as arbitrary_number";
    for (name, nullable) in [("nullability", true), ("non_nullability", false)] {
        let args = json!({"index": {"type": "integer", "nullable": nullable}});
        ok(
            &s,
            track_query(name, json!("nullability_model"), code, args),
        )
        .await;
    }
    (pg, s)
}

#[tokio::test]
async fn hasuras_cases_of_native_queries() {
    let (_pg, s) = start().await;
    let rows = json!([{"one": "hello", "two": "world"}, {"one": "welcome", "two": "friend"}]);
    for name in [
        "hello_world_function",
        "hello_semicolon_function",
        "hello_comment_function",
        "UppercaseNativeQuery",
    ] {
        let body = gql(
            &s,
            "admin",
            &format!("{{ {name} {{ one two }} }}"),
            json!({}),
        )
        .await;
        assert_eq!(body["data"][name], rows, "{name}: {body}");
    }
    let body = gql(&s, "admin", r#"{
        a: hello_world_function(where: {two: {_eq: "world"}}) { one two }
        b: hello_world_function_inline(where: {one: {_eq: "hello"}}) { one two __typename }
        c: hello_world_function(order_by: {one: asc}) { two __typename }
        d: hello_world_function(distinct_on: [one], order_by: [{one: desc}], limit: 1, offset: 0) { one }
    }"#, json!({})).await;
    assert_eq!(
        body["data"],
        json!({
            "a": [{"one": "hello", "two": "world"}],
            "b": [{"one": "hello", "two": "world", "__typename": "hello_world_function_inline"}],
            "c": [{"two": "world", "__typename": "hello_world_return_type"}, {"two": "friend", "__typename": "hello_world_return_type"}],
            "d": [{"one": "welcome"}],
        }),
        "{body}"
    );
    // Arguments are parameters: per field, per alias, from variables.
    let long = "I like to eat dog food I am a dogs...";
    let body = gql(&s, "admin", "{ article_with_excerpt(args: {length: 34}) { id Title excerpt }
        article_with_excerpt_1(args: {length: 34}) { excerpt } article_with_excerpt_2(args: {length: 13}) { excerpt }
        first: article_with_excerpt(args: {length: 34}) { excerpt } second: article_with_excerpt(args: {length: 13}) { excerpt } }", json!({})).await;
    assert_eq!(
        body["data"]["article_with_excerpt"],
        json!([{"id": 1, "Title": "Dogs", "excerpt": long}]),
        "{body}"
    );
    assert_eq!(
        body["data"]["article_with_excerpt_2"],
        json!([{"excerpt": "I like to eat..."}])
    );
    assert_eq!(body["data"]["first"], json!([{"excerpt": long}]));
    assert_eq!(
        body["data"]["second"],
        json!([{"excerpt": "I like to eat..."}])
    );
    let q = "query MyQuery($length: Int!) { article_with_excerpt(args: {length: $length}) { excerpt } }";
    for _ in 0..2 {
        // The second time from the plan cache.
        let body = gql(&s, "admin", q, json!({"length": 34})).await;
        assert_eq!(
            body["data"]["article_with_excerpt"],
            json!([{"excerpt": long}]),
            "{body}"
        );
    }
    let body = gql(&s, "admin", q, json!({"length": 13})).await;
    assert_eq!(
        body["data"]["article_with_excerpt"],
        json!([{"excerpt": "I like to eat..."}]),
        "{body}"
    );
    // An argument that is not a number stays a parameter: nothing of it reaches the SQL text.
    let body = gql(
        &s,
        "admin",
        "{ nullability(args: {index: 7}) { arbitrary_number } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body["data"]["nullability"],
        json!([{"arbitrary_number": 7}]),
        "{body}"
    );
    let body = gql(&s, "admin", "{ notnull: nullability(args: {index: 42}) { arbitrary_number }
        withnull: nullability(args: {index: null}) { arbitrary_number } omitted: nullability(args: {}) { arbitrary_number } }", json!({})).await;
    assert_eq!(
        body["data"],
        json!({"notnull": [{"arbitrary_number": 42}],
        "withnull": [{"arbitrary_number": 100}], "omitted": [{"arbitrary_number": 100}]}),
        "{body}"
    );
    // Required arguments, in Hasura's words and paths.
    let body = gql(
        &s,
        "admin",
        "{ non_nullability(args: {}) { arbitrary_number } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body["errors"][0]["extensions"],
        json!({"code": "validation-failed",
        "path": "$.selectionSet.non_nullability.args.args.index"}),
        "{body}"
    );
    assert_eq!(
        body["errors"][0]["message"],
        "missing required field 'index'"
    );
    let body = gql(
        &s,
        "admin",
        "{ article_with_excerpt(order_by: {id: asc}) { id } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body["errors"][0]["extensions"]["path"], "$.selectionSet.article_with_excerpt.args.args",
        "{body}"
    );
    assert_eq!(
        body["errors"][0]["message"],
        "missing required field 'args'"
    );
    // The schema as Hasura names and describes it.
    let body = gql(&s, "admin", r#"{
        m: __type(name: "hello_world_return_type") { description fields { name description type { kind name } } }
        e: __type(name: "hello_world_return_type_enum_name") { kind enumValues { name } }
        a: __type(name: "article_with_excerpt_arguments") { description inputFields { name type { kind ofType { name } } } }
    }"#, json!({})).await;
    assert_eq!(body["data"]["m"]["description"], "Two words", "{body}");
    assert_eq!(
        body["data"]["m"]["fields"][1],
        json!({"name": "two", "description": "The second", "type": {"kind": "SCALAR", "name": "String"}})
    );
    assert_eq!(
        body["data"]["e"]["enumValues"],
        json!([{"name": "one"}, {"name": "two"}])
    );
    assert_eq!(
        body["data"]["a"]["description"],
        "article_with_excerptNative Query Arguments"
    );
    assert_eq!(
        body["data"]["a"]["inputFields"],
        json!([{"name": "length", "type": {"kind": "NON_NULL", "ofType": {"name": "Int"}}}])
    );
}

#[tokio::test]
async fn permissions_relationships_and_a_live_query() {
    let (pg, s) = start().await;
    // A role sees the model's permitted columns and rows, and nothing it has no permission for.
    ok(
        &s,
        json!({"type": "pg_create_logical_model_select_permission", "args": {"source": "default",
        "name": "hello_world_return_type", "role": "user",
        "permission": {"columns": ["one"], "filter": {"one": {"_eq": "welcome"}}}}}),
    )
    .await;
    let body = gql(&s, "user", "{ hello_world_function { one } }", json!({})).await;
    assert_eq!(
        body["data"]["hello_world_function"],
        json!([{"one": "welcome"}]),
        "{body}"
    );
    let body = gql(&s, "user", "{ hello_world_function { two } }", json!({})).await;
    assert_eq!(
        body["errors"][0]["message"], "field 'two' not found in type: 'hello_world_return_type'",
        "{body}"
    );
    let body = gql(
        &s,
        "user",
        "{ article_with_excerpt(args: {length: 3}) { id } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body["errors"][0]["message"],
        "field 'article_with_excerpt' not found in type: 'query_root'",
        "{body}"
    );
    // Session variables in the model's row filter.
    ok(&s, json!({"type": "pg_create_logical_model_select_permission", "args": {"source": "default",
        "name": "nullability_model", "role": "user",
        "permission": {"columns": "*", "filter": {"arbitrary_number": {"_eq": "X-Hasura-User-Id"}}}}})).await;
    let body = gql(&s, "user", "{ a: nullability(args: {index: 2}) { arbitrary_number } b: nullability(args: {index: 3}) { arbitrary_number } }", json!({})).await;
    assert_eq!(
        body["data"],
        json!({"a": [{"arbitrary_number": 2}], "b": []}),
        "{body}"
    );
    // Relationships: to another native query, and to a table.
    ok(
        &s,
        json!({"type": "pg_track_logical_model", "args": {"source": "default", "name": "writer",
        "fields": [{"name": "id", "type": "integer"}, {"name": "name", "type": "text"}]}}),
    )
    .await;
    ok(
        &s,
        track_query(
            "articles",
            json!("article_with_excerpt"),
            "select id, \"Title\", content as excerpt, author_id from article",
            json!({}),
        ),
    )
    .await;
    let mut writers = track_query(
        "writers",
        json!("writer"),
        "select id, name from author",
        json!({}),
    );
    writers["args"]["array_relationships"] = json!([{"name": "articles", "using": {
        "column_mapping": {"id": "author_id"}, "remote_native_query": "articles"}}]);
    ok(&s, writers).await;
    let mut with_author = track_query(
        "articles_by",
        json!("article_with_excerpt"),
        "select id, \"Title\", content as excerpt, author_id from article",
        json!({}),
    );
    with_author["args"]["object_relationships"] = json!([{"name": "author", "using": {
        "column_mapping": {"author_id": "id"}, "remote_table": {"schema": "public", "name": "author"}}}]);
    ok(&s, with_author).await;
    let body = gql(
        &s,
        "admin",
        "{ writers(order_by: {id: asc}) { name __typename articles { Title } }
        articles_by { Title author { name } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body["data"],
        json!({
            "writers": [{"name": "Ann", "__typename": "writers", "articles": [{"Title": "Dogs"}]},
                        {"name": "Bo", "__typename": "writers", "articles": []}],
            "articles_by": [{"Title": "Dogs", "author": {"name": "Ann"}}],
        }),
        "{body}"
    );
    // A live query over a native query sees a new row.
    let mut ws = rasura_test_support::ws::subscribe(s.port, "/v1/graphql", json!({}),
        "subscription { article_with_excerpt(args: {length: 4}, order_by: {id: asc}) { id excerpt } }").await;
    let first = rasura_test_support::ws::next_data(&mut ws).await;
    assert_eq!(
        first["article_with_excerpt"],
        json!([{"id": 1, "excerpt": "I li..."}]),
        "{first}"
    );
    let db = pg.client("app").await;
    db.batch_execute("insert into article values (2, 'Cats', 'Cats nap', 2)")
        .await
        .unwrap();
    let next = rasura_test_support::ws::next_data(&mut ws).await;
    assert_eq!(
        next["article_with_excerpt"][1],
        json!({"id": 2, "excerpt": "Cats..."}),
        "{next}"
    );
}

#[tokio::test]
async fn the_metadata_api_checks_what_it_tracks() {
    let (_pg, s) = start().await;
    let (status, body) = metadata(
        &s,
        json!({"type": "pg_get_native_query", "args": {"source": "default"}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.as_array().map(Vec::len), Some(10), "{body}");
    let (_, body) = metadata(
        &s,
        json!({"type": "pg_get_logical_model", "args": {"source": "default"}}),
    )
    .await;
    let hello = body
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "hello_world_return_type")
        .unwrap()
        .clone();
    // The older flat form is kept in the current one.
    assert_eq!(
        hello["fields"][1],
        json!({"description": "The second", "name": "two", "type": {"nullable": true, "scalar": "text"}})
    );
    let refused = |body: Value, code: &str, error: &str| {
        assert_eq!(
            (body["code"].as_str(), body["error"].as_str()),
            (Some(code), Some(error)),
            "{body}"
        );
    };
    let (status, body) = metadata(
        &s,
        track_query(
            "hello_world_function",
            json!("hello_world_return_type"),
            HELLO,
            json!({}),
        ),
    )
    .await;
    assert_eq!(status, 400);
    refused(
        body,
        "already-tracked",
        "Native query 'hello_world_function' is already tracked.",
    );
    let (_, body) = metadata(
        &s,
        track_query(
            "broken",
            json!("hello_world_return_type"),
            "select {{x",
            json!({}),
        ),
    )
    .await;
    refused(
        body,
        "parse-failed",
        "Found '{{' without a matching closing '}}'",
    );
    let (_, body) = metadata(
        &s,
        track_query(
            "broken",
            json!("hello_world_return_type"),
            "select * from nowhere",
            json!({}),
        ),
    )
    .await;
    refused(
        body.clone(),
        "validation-failed",
        "Failed to validate query",
    );
    assert_eq!(body["internal"]["error"]["status_code"], "42P01", "{body}");
    let (_, body) = metadata(
        &s,
        track_query(
            "broken",
            json!("hello_world_return_type"),
            "select 1 as one, 'x' as two",
            json!({}),
        ),
    )
    .await;
    refused(
        body.clone(),
        "validation-failed",
        "Failed to validate query",
    );
    assert_eq!(body["internal"], "Return column 'one' has a type mismatch. The expected type is 'text', but the actual type is 'integer'.");
    let (_, body) = metadata(
        &s,
        track_query(
            "broken",
            json!("missing_model"),
            "select 1 as one",
            json!({}),
        ),
    )
    .await;
    refused(
        body,
        "constraint-violation",
        "Inconsistent object: The logical model missing_model could not be found",
    );
    let (_, body) = metadata(
        &s,
        track_query(
            "broken",
            json!("hello_world_return_type"),
            "select {{a}} as one, 'x' as two",
            json!({"b": {"type": "text"}}),
        ),
    )
    .await;
    refused(body, "constraint-violation", "Inconsistent object: The following columns are used in the query, but are not declared as arguments: ['a']");
    let (_, body) = metadata(&s, json!({"type": "pg_untrack_logical_model", "args": {"source": "default", "name": "nullability_model"}})).await;
    refused(
        body,
        "constraint-violation",
        "Logical model \"nullability_model\" still being used by native query \"non_nullability\".",
    );
    let (_, body) = metadata(&s, json!({"type": "pg_untrack_native_query", "args": {"source": "default", "root_field_name": "nope"}})).await;
    refused(
        body,
        "not-found",
        "Native query \"nope\" not found in source \"default\".",
    );
    // A native query whose root field another already has breaks the schema: refused.
    let (status, _) = metadata(
        &s,
        track_query("author", json!("hello_world_return_type"), HELLO, json!({})),
    )
    .await;
    assert_eq!(status, 500);
    // Untracked, the root field goes; tracked again, it comes back.
    ok(&s, json!({"type": "pg_untrack_native_query", "args": {"source": "default", "root_field_name": "UppercaseNativeQuery"}})).await;
    let body = gql(&s, "admin", "{ UppercaseNativeQuery { one } }", json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "validation-failed",
        "{body}"
    );
    ok(
        &s,
        track_query(
            "UppercaseNativeQuery",
            json!("hello_world_return_type"),
            HELLO,
            json!({}),
        ),
    )
    .await;
    // Export, then replace: the same document; a model taken away is reported, and dropped.
    let (_, exported) = metadata(&s, json!({"type": "export_metadata", "args": {}})).await;
    ok(
        &s,
        json!({"type": "replace_metadata", "args": exported.clone()}),
    )
    .await;
    let (_, again) = metadata(&s, json!({"type": "export_metadata", "args": {}})).await;
    assert_eq!(again, exported);
    let mut without = exported.clone();
    let models = without["sources"][0]["logical_models"]
        .as_array_mut()
        .unwrap();
    models.retain(|m| m["name"] != "nullability_model");
    let (status, body) = metadata(&s, json!({"type": "replace_metadata", "args": {"allow_inconsistent_metadata": true, "metadata": without}})).await;
    assert_eq!(status, 200, "{body}");
    let names: Vec<&str> = body["inconsistent_objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "native_query non_nullability in source default",
            "native_query nullability in source default"
        ],
        "{body}"
    );
    assert_eq!(
        body["inconsistent_objects"][0]["reason"],
        "Inconsistent object: The logical model nullability_model could not be found"
    );
    let body = gql(&s, "admin", "{ hello_world_function { one } }", json!({})).await;
    assert_eq!(
        body["data"]["hello_world_function"][0]["one"], "hello",
        "{body}"
    );
    ok(
        &s,
        json!({"type": "drop_inconsistent_metadata", "args": {}}),
    )
    .await;
    let (_, body) = metadata(
        &s,
        json!({"type": "pg_get_native_query", "args": {"source": "default"}}),
    )
    .await;
    assert_eq!(body.as_array().map(Vec::len), Some(8), "{body}");
}
