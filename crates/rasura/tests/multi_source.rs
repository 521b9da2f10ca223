//! Several database sources served at once, against two real databases: root fields of both
//! in one query, each source's relationships, permissions and customization, mutations on
//! each (and over both), `run_sql` on the second source, inconsistencies named and dropped
//! per source, clashes refused, the same served after a restart; live queries, pg_dump and
//! event triggers on the second source; relationships between tables of the two.

mod events_support;

use std::path::Path;

use events_support::{bodies, metadata, ok, refused, wait_for, webhook};
use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

async fn sql(pg: &TestCluster, db: &str, text: &str) {
    pg.client(db).await.batch_execute(text).await.unwrap();
}

async fn start(pg: &TestCluster) -> TestServer {
    let apis = (
        "HASURA_GRAPHQL_ENABLED_APIS",
        "metadata,graphql,pgdump,developer",
    );
    let interval = (
        "HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL",
        "200",
    );
    TestServer::start(
        Path::new(BIN),
        &["--database-url", &pg.url("app")],
        &[apis, interval],
    )
    .await
}

async fn gql_as(s: &TestServer, role: &str, query: &str) -> Value {
    let body = json!({"query": query});
    let (status, r) = s
        .post(
            "/v1/graphql",
            &body,
            &[("x-hasura-role", role), ("x-hasura-user-id", "1")],
        )
        .await;
    assert_eq!(status, 200, "{r}");
    r
}

/// Both databases: `app` (served first, as `default`) and `two`.
async fn two_databases() -> TestCluster {
    let pg = TestCluster::start("app").await;
    pg.cluster.create_database("two").await.unwrap();
    sql(
        &pg,
        "app",
        "CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL); \
         INSERT INTO author (name) VALUES ('ada'), ('bo');",
    )
    .await;
    sql(
        &pg,
        "two",
        "CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL, born int); \
         CREATE TABLE book (id serial PRIMARY KEY, title text NOT NULL UNIQUE, \
            author_id int REFERENCES author(id), owner int); \
         INSERT INTO author (name, born) VALUES ('tolstoy', 1828); \
         INSERT INTO book (title, author_id, owner) VALUES ('war', 1, 1), ('peace', 1, 2);",
    )
    .await;
    pg
}

#[tokio::test]
async fn two_databases_served_at_once() {
    let pg = two_databases().await;
    let mut s = start(&pg).await;
    metadata(
        &s,
        json!({"type": "pg_track_table", "args": {"source": "default", "table": "author"}}),
    )
    .await;
    metadata(
        &s,
        json!({"type": "pg_add_source", "args": {"name": "two",
            "configuration": {"connection_info": {"database_url": pg.url("two")}}}}),
    )
    .await;
    // The second source's tables are checked against its own database.
    let e = refused(
        &s,
        json!({"type": "pg_track_table", "args": {"source": "two", "table": "nothing_here"}}),
        "constraint-violation",
    )
    .await;
    assert!(e["error"].as_str().unwrap().contains("nothing_here"), "{e}");
    metadata(
        &s,
        json!({"type": "pg_track_table", "args": {"source": "two", "table": "book"}}),
    )
    .await;
    // Root fields of both sources in one query, each read from its own database.
    let r = s
        .graphql(
            "{ author(order_by: {id: asc}) { name } book(order_by: {id: asc}) { title } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r["data"],
        json!({"author": [{"name": "ada"}, {"name": "bo"}],
               "book": [{"title": "war"}, {"title": "peace"}]}),
        "{r}"
    );
    // The second source's `author` clashes with the first's root fields: refused as Hasura
    // refuses it (500, `unexpected`), nothing stored.
    let body = json!({"type": "pg_track_table", "args": {"source": "two", "table": "author"}});
    let (status, e) = s.post("/v1/metadata", &body, &[]).await;
    assert_eq!(
        (status, e["code"].as_str()),
        (500, Some("unexpected")),
        "{e}"
    );
    assert!(
        e["error"]
            .as_str()
            .unwrap()
            .contains("found duplicate fields in selection set"),
        "{e}"
    );
    let md = metadata(&s, json!({"type": "export_metadata", "args": {}})).await;
    assert_eq!(
        md["sources"][1]["tables"].as_array().unwrap().len(),
        1,
        "{md}"
    );
    // With its names customized, the second source's `author` is served beside the first's,
    // with its relationship to `book` in its own database.
    metadata(
        &s,
        json!({"type": "pg_update_source", "args": {"name": "two",
            "customization": {"root_fields": {"prefix": "two_"},
                              "type_names": {"prefix": "Two_"}}}}),
    )
    .await;
    metadata(
        &s,
        json!({"type": "bulk", "args": [
            {"type": "pg_track_table", "args": {"source": "two", "table": "author"}},
            {"type": "pg_create_object_relationship", "args": {"source": "two",
                "table": "book", "name": "writer",
                "using": {"foreign_key_constraint_on": "author_id"}}},
            {"type": "pg_create_select_permission", "args": {"source": "two",
                "table": "book", "role": "user",
                "permission": {"columns": ["title"],
                               "filter": {"owner": {"_eq": "X-Hasura-User-Id"}}}}},
            {"type": "pg_create_select_permission", "args": {"source": "default",
                "table": "author", "role": "user",
                "permission": {"columns": ["name"], "filter": {"id": {"_eq": 2}}}}}
        ]}),
    )
    .await;
    let r = s
        .graphql(
            "{ author(where: {id: {_eq: 1}}) { name } \
               two_author { name born } \
               two_book(order_by: {id: asc}) { title writer { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r["data"],
        json!({"author": [{"name": "ada"}],
               "two_author": [{"name": "tolstoy", "born": 1828}],
               "two_book": [{"title": "war", "writer": {"name": "tolstoy"}},
                            {"title": "peace", "writer": {"name": "tolstoy"}}]}),
        "{r}"
    );
    let r = s
        .graphql(
            "{ __type(name: \"Two_book\") { name fields { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(r["data"]["__type"]["name"], "Two_book", "{r}");
    // A role sees each source under that source's permissions, and nothing it may not read.
    let r = gql_as(&s, "user", "{ author { name } two_book { title } }").await;
    assert_eq!(
        r["data"],
        json!({"author": [{"name": "bo"}], "two_book": [{"title": "war"}]}),
        "{r}"
    );
    let sub = "subscription { two_book(order_by: {id: asc}) { title } }";
    let mut ws = rasura_test_support::ws::subscribe(s.port, "/v1/graphql", json!({}), sub).await;
    let first = rasura_test_support::ws::next_data(&mut ws).await;
    assert_eq!(first["two_book"].as_array().unwrap().len(), 2, "{first}");
    // It joins its poller right after its first answer.
    let mut live = Value::Null;
    for _ in 0..50 {
        live = s
            .http
            .get(s.url("/dev/subscriptions"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if live["pollers"] == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        live["pollers"], 1,
        "multiplexed on the second source: {live}"
    );
    drop(ws);
    let r = gql_as(&s, "user", "{ two_author { name } }").await;
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("two_author"),
        "{r}"
    );
    // A role that may read nothing of either source.
    let r = gql_as(&s, "nobody", "{ no_queries_available }").await;
    assert!(r["data"]["no_queries_available"].is_string(), "{r}");
    // Mutations on the second source run in its database; over both sources each root field
    // runs in a transaction of its own, and the first error ends the request.
    let r = s
        .graphql(
            "mutation { insert_author_one(object: {name: \"cy\"}) { name } \
                        two_insert_book_one(object: {title: \"anna\", author_id: 1}) { title } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r["data"],
        json!({"insert_author_one": {"name": "cy"}, "two_insert_book_one": {"title": "anna"}}),
        "{r}"
    );
    let two = pg.client("two").await;
    let n: i64 = two
        .query_one("SELECT count(*) FROM book WHERE title = 'anna'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    let r = s
        .graphql(
            "mutation { insert_author_one(object: {name: \"dee\"}) { name } \
                        two_insert_book_one(object: {title: \"anna\"}) { title } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r["errors"][0]["extensions"]["code"], "constraint-violation",
        "{r}"
    );
    assert!(r.get("data").is_none(), "{r}");
    let app = pg.client("app").await;
    let n: i64 = app
        .query_one("SELECT count(*) FROM author WHERE name = 'dee'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        n, 1,
        "what ran before the failing field stays done, as in Hasura"
    );
    // run_sql on the second source: a new table there, tracked; dropping a tracked table
    // there untracks it.
    let r = metadata(
        &s,
        json!({"type": "run_sql", "args": {"source": "two",
            "sql": "CREATE TABLE shelf (id int PRIMARY KEY); INSERT INTO shelf VALUES (7);"}}),
    )
    .await;
    assert_eq!(r["result_type"], "CommandOk", "{r}");
    metadata(
        &s,
        json!({"type": "pg_track_table", "args": {"source": "two", "table": "shelf"}}),
    )
    .await;
    let r = s.graphql("{ two_shelf { id } }", json!({})).await;
    assert_eq!(r["data"]["two_shelf"], json!([{"id": 7}]), "{r}");
    let tables = metadata(
        &s,
        json!({"type": "pg_get_source_tables", "args": {"source": "two"}}),
    )
    .await;
    assert!(tables.to_string().contains("shelf"), "{tables}");
    metadata(
        &s,
        json!({"type": "run_sql", "args": {"source": "two", "sql": "DROP TABLE shelf"}}),
    )
    .await;
    let md = metadata(&s, json!({"type": "export_metadata", "args": {}})).await;
    assert!(!md["sources"][1].to_string().contains("shelf"), "{md}");
    // A statement that fails on the second source changes nothing there.
    let (status, _) = s
        .post(
            "/v1/metadata",
            &json!({"type": "run_sql", "args": {"source": "two",
                "sql": "CREATE TABLE half (id int); SELECT 1/0;"}}),
            &[],
        )
        .await;
    assert_eq!(status, 400);
    let gone = two
        .query_opt("SELECT 1 FROM pg_tables WHERE tablename = 'half'", &[])
        .await
        .unwrap();
    assert!(gone.is_none(), "the failed SQL's table must not stay");
    // A table dropped behind the engine's back: an inconsistency named with its source,
    // dropped from that source only.
    sql(&pg, "two", "DROP TABLE book CASCADE").await;
    metadata(&s, json!({"type": "reload_metadata", "args": {}})).await;
    let inc = metadata(&s, json!({"type": "get_inconsistent_metadata", "args": {}})).await;
    assert_eq!(inc["is_consistent"], false, "{inc}");
    assert!(
        inc.to_string().contains("table book in source two"),
        "{inc}"
    );
    metadata(
        &s,
        json!({"type": "drop_inconsistent_metadata", "args": {}}),
    )
    .await;
    let md = metadata(&s, json!({"type": "export_metadata", "args": {}})).await;
    let names: Vec<String> = md["sources"][1]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["table"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["author"], "{md}");
    assert_eq!(
        md["sources"][0]["tables"].as_array().unwrap().len(),
        1,
        "{md}"
    );
    // A restarted engine reads both databases again and serves both.
    s.terminate();
    let s = start(&pg).await;
    let r = s
        .graphql(
            "{ author_aggregate { aggregate { count } } two_author { name } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r["data"],
        json!({"author_aggregate": {"aggregate": {"count": 4}},
               "two_author": [{"name": "tolstoy"}]}),
        "{r}"
    );
    // Relay serves both sources: a connection of the second, and `node` finding its rows;
    // a table of one name in both sources is refused by `node`, as Hasura refuses it.
    let relay = |q: &str| {
        let body = json!({"query": q});
        let s = &s;
        async move {
            let (status, r) = s.post("/v1beta1/relay", &body, &[]).await;
            assert_eq!(status, 200, "{r}");
            r
        }
    };
    let r = relay("{ two_author_connection { edges { node { id name } } } author_connection { edges { node { name } } } }").await;
    let edges = &r["data"]["two_author_connection"]["edges"];
    assert_eq!(edges[0]["node"]["name"], "tolstoy", "{r}");
    assert_eq!(
        r["data"]["author_connection"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        4,
        "{r}"
    );
    let id = edges[0]["node"]["id"].as_str().unwrap().to_string();
    let r = relay(&format!(
        "{{ node(id: \"{id}\") {{ ... on Two_author {{ name born }} }} }}"
    ))
    .await;
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("more than one source"),
        "{r}"
    );
    // Explained on its own database.
    let (status, plan) = s
        .post(
            "/v1/graphql/explain",
            &json!({"query": {"query": "{ two_author { name } }"}}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{plan}");
    assert!(plan.to_string().contains("Seq Scan on author"), "{plan}");
}

#[tokio::test]
async fn a_second_source_under_a_namespace_and_one_out_of_reach() {
    let pg = two_databases().await;
    let s = start(&pg).await;
    metadata(
        &s,
        json!({"type": "pg_track_table", "args": {"source": "default", "table": "author"}}),
    )
    .await;
    metadata(
        &s,
        json!({"type": "pg_add_source", "args": {"name": "two",
            "configuration": {"connection_info": {"database_url": pg.url("two")}},
            "customization": {"root_fields": {"namespace": "two"},
                              "type_names": {"suffix": "_two"}}}}),
    )
    .await;
    metadata(
        &s,
        json!({"type": "bulk", "args": [
            {"type": "pg_track_table", "args": {"source": "two", "table": "author"}},
            {"type": "pg_track_table", "args": {"source": "two", "table": "book"}}
        ]}),
    )
    .await;
    let r = s
        .graphql(
            "{ author(order_by: {id: asc}) { name } two { author { name } book_aggregate { aggregate { count } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r["data"],
        json!({"author": [{"name": "ada"}, {"name": "bo"}],
               "two": {"author": [{"name": "tolstoy"}],
                       "book_aggregate": {"aggregate": {"count": 2}}}}),
        "{r}"
    );
    let r = s
        .graphql(
            "mutation { two { update_book(where: {}, _set: {owner: 9}) { affected_rows } } }",
            json!({}),
        )
        .await;
    assert_eq!(r["data"]["two"]["update_book"]["affected_rows"], 2, "{r}");
    // A live query on the second source: polled on its database by a shared poller.
    let sub = "subscription { two { author(order_by: {id: asc}) { name } } }";
    let mut ws = rasura_test_support::ws::subscribe(s.port, "/v1/graphql", json!({}), sub).await;
    let first = rasura_test_support::ws::next_data(&mut ws).await;
    assert_eq!(
        first["two"]["author"],
        json!([{"name": "tolstoy"}]),
        "{first}"
    );
    sql(&pg, "two", "INSERT INTO author (name) VALUES ('gogol')").await;
    let next = rasura_test_support::ws::next_data(&mut ws).await;
    assert_eq!(
        next["two"]["author"],
        json!([{"name": "tolstoy"}, {"name": "gogol"}]),
        "{next}"
    );
    // pg_dump of the second source dumps its database.
    let (status, dump) = s
        .post(
            "/v1alpha1/pg_dump",
            &json!({"opts": ["-O", "-x", "--schema-only"], "source": "two"}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{dump}");
    assert!(
        dump.as_str().unwrap().contains("CREATE TABLE public.book"),
        "{dump}"
    );
    // A source that cannot be reached is refused when added, and nothing is stored.
    let (status, e) = s
        .post(
            "/v1/metadata",
            &json!({"type": "pg_add_source", "args": {"name": "gone",
                "configuration": {"connection_info": {
                    "database_url": "postgres://postgres@127.0.0.1:1/none"}}}}),
            &[],
        )
        .await;
    assert_eq!(status, 400, "{e}");
    assert!(e.to_string().contains("connection error"), "{e}");
    let md = metadata(&s, json!({"type": "export_metadata", "args": {}})).await;
    assert_eq!(md["sources"].as_array().unwrap().len(), 2, "{md}");
    // An event trigger on the second source: captured in its database and delivered.
    let (hook, seen) = webhook(|_, _| ok()).await;
    metadata(
        &s,
        json!({"type": "pg_create_event_trigger", "args": {"source": "two", "name": "books",
            "table": "book", "insert": {"columns": "*"}, "webhook": hook}}),
    )
    .await;
    let r = s
        .graphql(
            "mutation { two { insert_book_one(object: {title: \"anna\"}) { id } } }",
            json!({}),
        )
        .await;
    assert!(r["data"]["two"]["insert_book_one"]["id"].is_number(), "{r}");
    wait_for("the event", std::time::Duration::from_secs(20), || {
        !seen.lock().unwrap().is_empty()
    })
    .await;
    let body = &bodies(&seen)[0];
    assert_eq!(body["trigger"]["name"], "books", "{body}");
    assert_eq!(body["table"]["name"], "book", "{body}");
    assert_eq!(body["event"]["data"]["new"]["title"], "anna", "{body}");
    let logged: i64 = pg
        .client("two")
        .await
        .query_one(
            "SELECT count(*) FROM hdb_catalog.event_log WHERE trigger_name = 'books'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        logged, 1,
        "the event is logged in the second source's database"
    );
    // Its logs are read from there, and it is redelivered there.
    let logs = metadata(
        &s,
        json!({"type": "pg_get_event_logs", "args": {"source": "two", "name": "books"}}),
    )
    .await;
    assert_eq!(logs[0]["table_name"], "book", "{logs}");
    let id = logs[0]["id"].as_str().unwrap().to_string();
    let mut delivered = false;
    for _ in 0..100 {
        let e = metadata(
            &s,
            json!({"type": "pg_get_event_by_id", "args": {"source": "two", "event_id": id}}),
        )
        .await;
        if e["event"]["delivered"] == true {
            delivered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(delivered, "the outcome is recorded in the second source");
    metadata(
        &s,
        json!({"type": "pg_redeliver_event", "args": {"source": "two", "event_id": id}}),
    )
    .await;
    wait_for("the redelivery", std::time::Duration::from_secs(20), || {
        seen.lock().unwrap().len() >= 2
    })
    .await;
    // The query API's data operations work on the first source: one naming the second is
    // refused rather than answered from the first's database.
    let (status, e) = s
        .post(
            "/v2/query",
            &json!({"type": "select", "args": {"source": "two", "table": "author", "columns": ["name"]}}),
            &[],
        )
        .await;
    assert_eq!(
        (status, e["code"].as_str()),
        (400, Some("not-supported")),
        "{e}"
    );
    let triggers = "SELECT count(*) FROM information_schema.triggers WHERE trigger_name LIKE 'notify_hasura_books%'";
    let there: i64 = pg
        .client("two")
        .await
        .query_one(triggers, &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        there, 1,
        "the capture trigger is in the second source's database"
    );
    // Dropping the second source takes its root fields away and keeps the first's.
    metadata(
        &s,
        json!({"type": "pg_drop_source", "args": {"name": "two", "cascade": true}}),
    )
    .await;
    let r = s.graphql("{ author { name } }", json!({})).await;
    assert_eq!(r["data"]["author"].as_array().unwrap().len(), 2, "{r}");
    let r = s.graphql("{ two { author { name } } }", json!({})).await;
    assert!(r["errors"].is_array(), "{r}");
    // Its database keeps no capture trigger of the dropped source's event trigger.
    let left: i64 = pg
        .client("two")
        .await
        .query_one(
            "SELECT count(*) FROM information_schema.triggers WHERE trigger_name LIKE 'notify_hasura_books%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
}

#[tokio::test]
async fn relationships_between_tables_of_two_sources() {
    let pg = two_databases().await;
    sql(
        &pg,
        "two",
        "INSERT INTO book (title, author_id, owner) VALUES ('orphan', NULL, 1)",
    )
    .await;
    let s = start(&pg).await;
    metadata(
        &s,
        json!({"type": "pg_add_source", "args": {"name": "two",
            "configuration": {"connection_info": {"database_url": pg.url("two")}}}}),
    )
    .await;
    let to = |source: &str, table: &str, kind: &str, mapping: Value| {
        json!({"to_source": {"source": source, "table": table,
            "relationship_type": kind, "field_mapping": mapping}})
    };
    metadata(
        &s,
        json!({"type": "bulk", "args": [
            {"type": "pg_track_table", "args": {"source": "default", "table": "author"}},
            {"type": "pg_track_table", "args": {"source": "two", "table": "book"}},
            {"type": "pg_create_remote_relationship", "args": {"source": "default",
                "table": "author", "name": "books",
                "definition": to("two", "book", "array", json!({"id": "author_id"}))}},
            {"type": "pg_create_remote_relationship", "args": {"source": "two",
                "table": "book", "name": "writer",
                "definition": to("default", "author", "object", json!({"author_id": "id"}))}},
            {"type": "pg_create_select_permission", "args": {"source": "default",
                "table": "author", "role": "user",
                "permission": {"columns": ["id", "name"], "filter": {}}}},
            {"type": "pg_create_select_permission", "args": {"source": "two",
                "table": "book", "role": "user",
                "permission": {"columns": ["title"],
                               "filter": {"owner": {"_eq": "X-Hasura-User-Id"}}}}}
        ]}),
    )
    .await;
    // Each author's books from the other database, and each book's writer back again.
    let r = s
        .graphql(
            "{ author(order_by: {id: asc}) { name books(order_by: {id: asc}) { title writer { name } } } \
               book(order_by: {id: asc}) { title writer { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r["data"],
        json!({
            "author": [
                {"name": "ada", "books": [{"title": "war", "writer": {"name": "ada"}},
                                          {"title": "peace", "writer": {"name": "ada"}}]},
                {"name": "bo", "books": []}
            ],
            "book": [{"title": "war", "writer": {"name": "ada"}},
                     {"title": "peace", "writer": {"name": "ada"}},
                     {"title": "orphan", "writer": null}]
        }),
        "{r}"
    );
    // Many parents with different joined values: one statement per join answers them all,
    // each parent getting its own rows.
    sql(
        &pg,
        "app",
        "INSERT INTO author (name) SELECT 'w' || i FROM generate_series(3, 12) i",
    )
    .await;
    sql(
        &pg,
        "two",
        "ALTER TABLE book DROP CONSTRAINT book_author_id_fkey; \
         INSERT INTO book (title, author_id, owner) SELECT 'b' || i, i, 1 FROM generate_series(3, 12) i",
    )
    .await;
    let r = s
        .graphql(
            "{ book(where: {author_id: {_gte: 3}}, order_by: {id: asc}) { title writer { name books { title } } } }",
            json!({}),
        )
        .await;
    let books = r["data"]["book"].as_array().unwrap();
    assert_eq!(books.len(), 10, "{r}");
    for b in books {
        let n = &b["title"].as_str().unwrap()[1..];
        assert_eq!(b["writer"]["name"], format!("w{n}"), "{r}");
        assert_eq!(
            b["writer"]["books"],
            json!([{"title": format!("b{n}")}]),
            "{r}"
        );
    }
    // The target's arguments apply to the joined rows.
    let r = s
        .graphql(
            "{ author(where: {id: {_eq: 1}}) { books(where: {title: {_eq: \"peace\"}}) { title } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r["data"]["author"],
        json!([{"books": [{"title": "peace"}]}]),
        "{r}"
    );
    // A role reads the joined rows under the target table's permission.
    let r = gql_as(
        &s,
        "user",
        "{ author(where: {id: {_eq: 1}}) { books { title } } }",
    )
    .await;
    assert_eq!(
        r["data"]["author"],
        json!([{"books": [{"title": "war"}]}]),
        "{r}"
    );
    // Relay: `node` finds a row of the second source's table, and its relationship back.
    let (status, r) = s
        .post(
            "/v1beta1/relay",
            &json!({"query": "{ book_connection(first: 1, order_by: {id: asc}) { edges { node { id title } } } }"}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{r}");
    let node = &r["data"]["book_connection"]["edges"][0]["node"];
    assert_eq!(node["title"], "war", "{r}");
    let q = format!(
        "{{ node(id: {}) {{ id ... on book {{ title writer {{ name }} }} }} }}",
        node["id"]
    );
    let (status, r) = s.post("/v1beta1/relay", &json!({"query": q}), &[]).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["data"]["node"]["title"], "war", "{r}");
    assert_eq!(r["data"]["node"]["writer"], json!({"name": "ada"}), "{r}");
    // A mutation's returning follows it too.
    let r = s
        .graphql(
            "mutation { insert_author_one(object: {name: \"cy\"}) { name books { title } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r["data"]["insert_author_one"],
        json!({"name": "cy", "books": []}),
        "{r}"
    );
    // A relationship to a table not tracked there is refused, and nothing is stored.
    let e = refused(
        &s,
        json!({"type": "pg_create_remote_relationship", "args": {"source": "default",
            "table": "author", "name": "nothing",
            "definition": to("two", "author", "array", json!({"id": "id"}))}}),
        "constraint-violation",
    )
    .await;
    assert!(e["error"].as_str().unwrap().contains("not tracked"), "{e}");
    let md = metadata(&s, json!({"type": "export_metadata", "args": {}})).await;
    let rels = &md["sources"][0]["tables"][0]["remote_relationships"];
    assert_eq!(rels.as_array().unwrap().len(), 1, "{md}");
}

#[tokio::test]
async fn a_remote_schema_joined_to_tables_of_both_sources() {
    let pg = two_databases().await;
    let remote = rasura_test_support::graphql_remote::writers().await;
    let s = start(&pg).await;
    let rel = |name: &str, source: &str, table: &str, kind: &str, column: &str| {
        json!({"type": "create_remote_schema_remote_relationship", "args": {
            "remote_schema": "writers", "type_name": "Writer", "name": name,
            "definition": {"to_source": {"source": source, "table": table,
                "relationship_type": kind, "field_mapping": {"id": column}}}}})
    };
    metadata(
        &s,
        json!({"type": "bulk", "args": [
            {"type": "pg_add_source", "args": {"name": "two",
                "configuration": {"connection_info": {"database_url": pg.url("two")}}}},
            {"type": "pg_track_table", "args": {"source": "default", "table": "author"}},
            {"type": "pg_track_table", "args": {"source": "two", "table": "book"}},
            {"type": "add_remote_schema", "args": {"name": "writers",
                "definition": {"url": remote, "timeout_seconds": 10}}},
            rel("person", "default", "author", "object", "id"),
            rel("books", "two", "book", "array", "author_id")
        ]}),
    )
    .await;
    let r = s
        .graphql(
            "{ writers { id person { name } books(order_by: {id: asc}) { title } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r["data"]["writers"],
        json!([
            {"id": 1, "person": {"name": "ada"}, "books": [{"title": "war"}, {"title": "peace"}]},
            {"id": 2, "person": {"name": "bo"}, "books": []},
            {"id": 3, "person": null, "books": []}
        ]),
        "{r}"
    );
    // A relationship to a source that does not exist is refused.
    let e = refused(
        &s,
        rel("ghost", "three", "book", "array", "author_id"),
        "constraint-violation",
    )
    .await;
    assert!(e.to_string().contains("source not found"), "{e}");
}
