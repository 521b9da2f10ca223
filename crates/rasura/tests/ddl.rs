//! The metadata keeps step with the database: renames through `run_sql` are followed, tables
//! created outside the engine can be tracked at once, `untrack_table` with `cascade` takes its
//! dependents along; the query API reads as any role under its permissions; a bulk refuses
//! mixed access modes; a table and a function may not share a name; relationships are suggested
//! from foreign keys; a tracked function made VOLATILE is refused; `pg_get_table_info`
//! describes any table of the source.

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
                create table author (id serial primary key, name text not null);
                create table article (id serial primary key, title text not null,
                                      author_id int not null references author(id));
                insert into author (name) values ('Ann'), ('Bob');
                insert into article (title, author_id) values ('a1', 1), ('a2', 1), ('b1', 2);"}},
            {"type": "track_table", "args": "author"},
            {"type": "track_table", "args": "article"},
            {"type": "create_object_relationship", "args": {"table": "article", "name": "author",
                "using": {"foreign_key_constraint_on": "author_id"}}},
            {"type": "create_array_relationship", "args": {"table": "author", "name": "articles",
                "using": {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}}}},
            {"type": "create_select_permission", "args": {"table": "article", "role": "user",
                "permission": {"columns": ["id", "title", "author_id"],
                               "filter": {"author": {"id": {"_eq": "X-Hasura-User-Id"}}}}}},
            {"type": "create_select_permission", "args": {"table": "author", "role": "user",
                "permission": {"columns": ["id", "name"], "filter": {}}}},
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    (pg, server)
}

async fn query(s: &TestServer, body: Value) -> (u16, Value) {
    s.post("/v1/query", &body, &[]).await
}

async fn query_as(s: &TestServer, role: &str, body: Value) -> (u16, Value) {
    s.post(
        "/v1/query",
        &body,
        &[("x-hasura-role", role), ("x-hasura-user-id", "1")],
    )
    .await
}

async fn user_titles(s: &TestServer) -> Value {
    let (status, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ article(order_by: {id: asc}) { title } }"}),
            &[("x-hasura-role", "user"), ("x-hasura-user-id", "1")],
        )
        .await;
    assert_eq!(status, 200);
    body
}

#[tokio::test]
async fn renames_through_run_sql_are_followed() {
    let (_pg, s) = start().await;
    let sql = |q: &str| json!({"type": "run_sql", "args": {"sql": q}});
    let (status, body) = query(&s, sql("alter table author rename column id to author_no")).await;
    assert_eq!(status, 200, "{body}");
    // The permission on article reaches author.id through a relationship: it follows.
    assert_eq!(
        user_titles(&s).await["data"]["article"],
        json!([{"title": "a1"}, {"title": "a2"}])
    );
    let (status, body) = query(&s, sql("alter table article rename to post")).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = query(&s, sql("alter table post rename column title to headline")).await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = query(&s, json!({"type": "export_metadata", "args": {}})).await;
    let tables = &body["sources"][0]["tables"];
    let post = tables
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"]["name"] == "post")
        .unwrap_or_else(|| panic!("{tables}"));
    assert_eq!(
        post["select_permissions"][0]["permission"]["columns"],
        json!(["id", "headline", "author_id"])
    );
    assert_eq!(
        post["select_permissions"][0]["permission"]["filter"],
        json!({"author": {"author_no": {"_eq": "X-Hasura-User-Id"}}})
    );
    let (status, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ post(order_by: {id: asc}) { headline author { name articles { headline } } } }"}),
            &[("x-hasura-role", "user"), ("x-hasura-user-id", "1")],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["post"][0]["headline"], "a1", "{body}");
    assert_eq!(
        body["data"]["post"][0]["author"]["articles"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    let (_, body) = query(&s, json!({"type": "get_inconsistent_metadata", "args": {}})).await;
    assert_eq!(body["is_consistent"], true, "{body}");
}

#[tokio::test]
async fn tables_created_outside_the_engine_can_be_tracked_at_once() {
    let (pg, s) = start().await;
    let client = pg.client("app").await;
    client
        .batch_execute("create table outside (id int primary key); insert into outside values (7);")
        .await
        .unwrap();
    let (status, body) = query(&s, json!({"type": "track_table", "args": "outside"})).await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = s
        .post("/v1/graphql", &json!({"query": "{ outside { id } }"}), &[])
        .await;
    assert_eq!(body["data"]["outside"], json!([{"id": 7}]));
    // Between two metadata requests (the catalog at hand read with the first): a column added
    // outside is seen by the next, which may grant it; an unchanged database is not read again.
    let (status, body) = query(
        &s,
        json!({"type": "create_select_permission", "args": {
        "table": "outside", "role": "r", "permission": {"columns": ["id"], "filter": {}}}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    client
        .batch_execute("alter table outside add column note text default 'n'")
        .await
        .unwrap();
    let (status, body) = query(&s, json!({"type": "create_select_permission", "args": {
        "table": "outside", "role": "r2", "permission": {"columns": ["id", "note"], "filter": {}}}}))
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ outside { note } }"}),
            &[("x-hasura-role", "r2")],
        )
        .await;
    assert_eq!(body["data"]["outside"], json!([{"note": "n"}]), "{body}");
}

#[tokio::test]
async fn untrack_with_cascade_takes_dependents_along() {
    let (_pg, s) = start().await;
    let untrack = |cascade: bool| json!({"type": "untrack_table", "args": {"table": "author", "cascade": cascade}});
    let (status, body) = query(&s, untrack(false)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("dependency-error")),
        "{body}"
    );
    let (status, body) = query(&s, untrack(true)).await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = query(&s, json!({"type": "get_inconsistent_metadata", "args": {}})).await;
    assert_eq!(body["is_consistent"], true, "{body}");
}

#[tokio::test]
async fn the_query_api_reads_as_a_role() {
    let (_pg, s) = start().await;
    let select = json!({"type": "select", "args": {"table": "article",
        "columns": ["title", {"name": "author", "columns": ["name"]}], "order_by": "id"}});
    let (status, body) = query_as(&s, "user", select.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!([{"title": "a1", "author": {"name": "Ann"}}, {"title": "a2", "author": {"name": "Ann"}}])
    );
    let (_, body) = query(&s, select).await;
    assert_eq!(
        body.as_array().map(Vec::len),
        Some(3),
        "admin sees every row"
    );
    let (_, body) = query_as(
        &s,
        "user",
        json!({"type": "count", "args": {"table": "article"}}),
    )
    .await;
    assert_eq!(body, json!({"count": 2}));
    // Anything but reading data stays admin-only.
    let (status, body) = query_as(
        &s,
        "user",
        json!({"type": "run_sql", "args": {"sql": "select 1"}}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("access-denied"))
    );
    let (status, _) = query_as(
        &s,
        "stranger",
        json!({"type": "select", "args": {"table": "article", "columns": ["id"]}}),
    )
    .await;
    assert_eq!(
        status, 400,
        "a role without select permission reads nothing"
    );
    // A failing data statement gets the code and words GraphQL gives it, not run_sql's.
    let (status, body) = s
        .post(
            "/v1/query",
            &json!({"type": "select", "args": {"table": "article", "columns": ["id"]}}),
            &[("x-hasura-role", "user"), ("x-hasura-user-id", "one")],
        )
        .await;
    assert_eq!(
        (status, &body["code"]),
        (400, &json!("data-exception")),
        "{body}"
    );
    assert_eq!(
        body["error"], "invalid input syntax for type integer: \"one\"",
        "{body}"
    );
    let (status, body) = query(
        &s,
        json!({"type": "insert", "args": {"table": "author", "objects": [{"id": 1, "name": "Twin"}]}}),
    )
    .await;
    assert_eq!(
        (status, &body["code"]),
        (400, &json!("constraint-violation")),
        "{body}"
    );
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("Uniqueness violation. duplicate key value")),
        "{body}"
    );
}

#[tokio::test]
async fn bulk_access_modes_and_name_clashes() {
    let (_pg, s) = start().await;
    let (status, body) = query(
        &s,
        json!({"type": "bulk", "args": [
            {"type": "insert", "args": {"table": "author", "objects": [{"name": "Cy"}]}},
            {"type": "run_sql", "args": {"sql": "select 1", "read_only": true}},
        ]}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"],
        "incompatible access mode requirements in bulk query, expected access mode: READ WRITE but $.args[1] forces READ ONLY"
    );
    let (status, body) = query(
        &s,
        json!({"type": "bulk", "args": [
            {"type": "run_sql", "args": {"sql": "create function author() returns setof author as $$ select * from author $$ language sql stable"}},
            {"type": "track_function", "args": "author"},
        ]}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("not-supported")),
        "{body}"
    );
    assert_eq!(body["error"], "table with name \"author\" already exists");
}

#[tokio::test]
async fn metadata_api_breadth() {
    let (_pg, s) = start().await;
    let meta = |body: Value| {
        let s = &s;
        async move { s.post("/v1/metadata", &body, &[]).await }
    };
    query(&s, json!({"type": "run_sql", "args": {"sql": "create table t1 (id int primary key); create table t2 (id int primary key);"}})).await;
    // bulk_keep_going: the failed step is undone and reported in its place.
    let (status, body) = meta(json!({"type": "bulk_keep_going", "args": [
        {"type": "pg_track_table", "args": {"table": "t1"}},
        {"type": "pg_track_table", "args": {"table": "missing"}},
        {"type": "pg_track_table", "args": {"table": "t2"}},
    ]}))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body[0], json!({"message": "success"}));
    assert_eq!(body[1]["code"], "constraint-violation", "{body}");
    assert_eq!(body[2], json!({"message": "success"}));
    let (status, body) = meta(json!({"type": "pg_untrack_tables", "args": {"tables": [{"table": "t1"}, {"table": "t2"}]}})).await;
    assert_eq!((status, body.clone()), (200, json!({"message": "success"})));
    let (status, body) = meta(
        json!({"type": "pg_track_tables", "args": {"tables": [{"table": "t1"}, {"table": "t2"}]}}),
    )
    .await;
    assert_eq!((status, body.clone()), (200, json!({"message": "success"})));
    let (_, body) =
        meta(json!({"type": "pg_get_source_tables", "args": {"source": "default"}})).await;
    assert!(
        body.as_array()
            .unwrap()
            .contains(&json!({"schema": "public", "name": "t2"})),
        "{body}"
    );
    let (status, body) = meta(json!({"type": "pg_set_permission_comment", "args": {"table": "article", "role": "user", "type": "select", "comment": "own articles"}})).await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = meta(json!({"type": "export_metadata", "args": {}})).await;
    let article = body["sources"][0]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"]["name"] == "article")
        .unwrap()
        .clone();
    assert_eq!(article["select_permissions"][0]["comment"], "own articles");
}

#[tokio::test]
async fn undeclared_variables_are_refused() {
    let (_pg, s) = start().await;
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "query ($id: Int) { author(where: {id: {_eq: $id}}) { name } }",
                    "variables": {"id": 1, "extra": 2, "also": 3}}),
            &[],
        )
        .await;
    assert_eq!(
        body["errors"][0]["message"],
        "unexpected variables in variableValues: also, extra"
    );
    // A bad field is reported as such, even when the variable it used is then unused.
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "query ($id: Int) { author { nope(x: $id) } }", "variables": {"id": 1}}),
            &[],
        )
        .await;
    assert_eq!(
        body["errors"][0]["message"],
        "field 'nope' not found in type: 'author'"
    );
}

#[tokio::test]
async fn the_query_api_updates_and_deletes() {
    let (_pg, s) = start().await;
    let (status, body) = query(
        &s,
        json!({"type": "update", "args": {"table": "article", "where": {"author_id": {"$eq": 1}},
            "$set": {"title": "renamed"}, "$inc": {"author_id": 0}, "returning": ["id", "title"]}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["affected_rows"], 2);
    assert_eq!(body["returning"].as_array().map(Vec::len), Some(2));
    assert_eq!(body["returning"][0]["title"], "renamed");
    let (status, body) = query(
        &s,
        json!({"type": "delete", "args": {"table": "article", "where": {"title": {"_eq": "b1"}}}}),
    )
    .await;
    assert_eq!((status, body.clone()), (200, json!({"affected_rows": 1})));
    let (status, body) = query_as(
        &s,
        "user",
        json!({"type": "delete", "args": {"table": "article", "where": {}}}),
    )
    .await;
    // A role without a delete permission is refused as Hasura refuses it.
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("permission-denied"))
    );
}

#[tokio::test]
async fn the_query_api_inserts_with_returning_and_on_conflict() {
    let (_pg, s) = start().await;
    let (status, body) = query(
        &s,
        json!({"type": "insert", "args": {"table": "author",
            "objects": [{"name": "Cy"}, {"name": "Di"}], "returning": ["id", "name"]}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"affected_rows": 2, "returning": [{"id": 3, "name": "Cy"}, {"id": 4, "name": "Di"}]})
    );
    let (status, body) = query(
        &s,
        json!({"type": "insert", "args": {"table": "author",
            "objects": [{"id": 1, "name": "Ann2"}],
            "on_conflict": {"constraint": "author_pkey", "update_columns": ["name"]},
            "returning": ["name"]}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"affected_rows": 1, "returning": [{"name": "Ann2"}]})
    );
}

#[tokio::test]
async fn relationships_are_suggested_from_foreign_keys() {
    let (_pg, s) = start().await;
    let (status, body) = query(
        &s,
        json!({"type": "bulk", "args": [
            {"type": "run_sql", "args": {"sql": "create table profile (author_id int primary key references author(id), bio text);"}},
            {"type": "track_table", "args": "profile"}
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let suggest = |args: Value| {
        let s = &s;
        async move {
            s.post(
                "/v1/metadata",
                &json!({"type": "pg_suggest_relationships", "args": args}),
                &[],
            )
            .await
        }
    };
    let (status, all) = suggest(json!({})).await;
    assert_eq!(status, 200, "{all}");
    let article = json!({"schema": "public", "name": "article"});
    let author = json!({"schema": "public", "name": "author"});
    let profile = json!({"schema": "public", "name": "profile"});
    assert_eq!(
        all["relationships"],
        json!([
            {"type": "object",
             "from": {"table": article, "columns": ["author_id"], "constraint_name": "article_author_id_fkey"},
             "to": {"table": author, "columns": ["id"]}},
            {"type": "array",
             "from": {"table": author, "columns": ["id"]},
             "to": {"table": article, "columns": ["author_id"], "constraint_name": "article_author_id_fkey"}},
            {"type": "object",
             "from": {"table": profile, "columns": ["author_id"], "constraint_name": "profile_author_id_fkey"},
             "to": {"table": author, "columns": ["id"]}},
            // The key's column is the primary key: one profile per author.
            {"type": "object",
             "from": {"table": author, "columns": ["id"]},
             "to": {"table": profile, "columns": ["author_id"], "constraint_name": "profile_author_id_fkey"}}
        ])
    );
    // Tracked ones left out, and only the tables asked for.
    let (_, fresh) = suggest(json!({"omit_tracked": true})).await;
    assert_eq!(
        fresh["relationships"].as_array().map(Vec::len),
        Some(2),
        "{fresh}"
    );
    let (_, one) = suggest(json!({"tables": [{"schema": "public", "name": "profile"}]})).await;
    assert_eq!(
        one["relationships"].as_array().map(Vec::len),
        Some(2),
        "{one}"
    );
    // One direction tracked: only the other is still suggested.
    let (status, body) = query(
        &s,
        json!({"type": "create_object_relationship", "args": {"table": "profile", "name": "author",
            "using": {"foreign_key_constraint_on": "author_id"}}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, fresh) = suggest(json!({"omit_tracked": true})).await;
    assert_eq!(
        fresh["relationships"],
        json!([{"type": "object",
             "from": {"table": author, "columns": ["id"]},
             "to": {"table": profile, "columns": ["author_id"], "constraint_name": "profile_author_id_fkey"}}]),
        "{fresh}"
    );
}

#[tokio::test]
async fn a_tracked_function_made_volatile_is_refused() {
    let (_pg, s) = start().await;
    let (status, body) = query(
        &s,
        json!({"type": "bulk", "args": [
            {"type": "run_sql", "args": {"sql": "create function titled(t text) returns setof article
                as $$ select * from article where title = t $$ language sql stable;"}},
            {"type": "track_function", "args": "titled"},
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let make_volatile = "create or replace function titled(t text) returns setof article
        as $$ select * from article where title = t $$ language sql volatile;";
    let (status, body) = query(
        &s,
        json!({"type": "run_sql", "args": {"sql": make_volatile}}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "not-supported", "{body}");
    assert_eq!(
        body["error"],
        "type of function \"titled\" is altered to \"VOLATILE\" which is not supported now"
    );
    // The SQL was rolled back: the function is still a query.
    let (status, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "{ titled(args: {t: \"a1\"}) { id } }"}),
            &[],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["titled"], json!([{"id": 1}]), "{body}");
    // Nor may it be overloaded.
    let (status, body) = query(
        &s,
        json!({"type": "run_sql", "args": {"sql": "create function titled(t text, n int) returns setof article
            as $$ select * from article where title = t $$ language sql stable;"}}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "not-supported");
    assert_eq!(
        body["error"],
        "the following tracked function(s) cannot be overloaded: titled"
    );
    // An untracked function may change as it likes.
    let (status, body) = query(
        &s,
        json!({"type": "bulk", "args": [
            {"type": "untrack_function", "args": {"name": "titled"}},
            {"type": "run_sql", "args": {"sql": make_volatile}},
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn table_info_describes_any_table_of_the_source() {
    let (_pg, s) = start().await;
    let (status, body) = query(
        &s,
        json!({"type": "run_sql", "args": {"sql": "
            create table gadget (id int generated always as identity primary key,
                                 tags int4[], price numeric, doubled numeric generated always as (price * 2) stored);
            comment on column gadget.price is 'In euros';
            create view titles as select id, title from article;"}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let info = |table: Value| {
        let s = &s;
        async move {
            s.post(
                "/v1/metadata",
                &json!({"type": "pg_get_table_info", "args": {"source": "default", "table": table}}),
                &[],
            )
            .await
        }
    };
    let (status, body) = info(json!("article")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"name": {"schema": "public", "name": "article"}, "type": "table",
               "columns": [
                 {"name": "id", "type": "integer", "nullable": false, "insertable": true, "updatable": true},
                 {"name": "title", "type": "text", "nullable": false, "insertable": true, "updatable": true},
                 {"name": "author_id", "type": "integer", "nullable": false, "insertable": true, "updatable": true}],
               "primary_key": ["id"],
               "foreign_keys": {"article_author_id_fkey": {
                   "foreign_table": {"schema": "public", "name": "author"},
                   "column_mapping": {"author_id": "id"}}},
               "insertable": true, "updatable": true, "deletable": true})
    );
    // An untracked table: identity and generated columns cannot be written, arrays and
    // comments are shown.
    let (_, body) = info(json!({"schema": "public", "name": "gadget"})).await;
    assert_eq!(
        body["columns"],
        json!([
            {"name": "id", "type": "integer", "nullable": false, "insertable": false, "updatable": false},
            {"name": "tags", "type": "integer[]", "nullable": true, "insertable": true, "updatable": true},
            {"name": "price", "type": "numeric", "nullable": true, "insertable": true, "updatable": true,
             "description": "In euros"},
            {"name": "doubled", "type": "numeric", "nullable": true, "insertable": false, "updatable": false}
        ])
    );
    assert!(body.get("foreign_keys").is_none(), "{body}");
    let (_, body) = info(json!("titles")).await;
    assert_eq!(body["type"], "view");
    assert!(body.get("primary_key").is_none(), "{body}");
    // No such table: null; no such source: not-exists; the data-connector form: not for postgres.
    let (status, body) = info(json!("nothing")).await;
    assert_eq!((status, body), (200, Value::Null));
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "pg_get_table_info", "args": {"source": "elsewhere", "table": "article"}}),
            &[],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "not-exists");
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "get_table_info", "args": {"source": "default", "table": "article"}}),
            &[],
        )
        .await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(
        body["error"],
        "Schema fetching is not supported for 'postgres'"
    );
    let (_, tables) = s
        .post(
            "/v1/metadata",
            &json!({"type": "pg_get_source_tables", "args": {"source": "default"}}),
            &[],
        )
        .await;
    assert!(
        tables
            .as_array()
            .unwrap()
            .contains(&json!({"schema": "public", "name": "gadget"})),
        "{tables}"
    );
}
