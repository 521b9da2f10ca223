//! Database sources against real PostgreSQL databases: the metadata in a database of its own
//! (`--metadata-database-url`), a source added from an environment variable, renamed,
//! refused when it cannot be used, dropped; a source out of reach at start reported as
//! inconsistent (and `/healthz?strict=true` failing); event triggers delivered from the
//! source's database; the tutorial's metadata served through its own source definition.

mod events_support;

use std::path::Path;
use std::time::Duration;

use events_support::{metadata, ok, refused, wait_for, webhook};
use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

async fn sql(pg: &TestCluster, db: &str, text: &str) {
    pg.client(db).await.batch_execute(text).await.unwrap();
}

async fn rows_of_metadata(pg: &TestCluster, db: &str) -> i64 {
    let c = pg.client(db).await;
    match c
        .query_one("SELECT count(*) FROM hdb_catalog.hdb_metadata", &[])
        .await
    {
        Ok(r) => r.get(0),
        Err(_) => 0,
    }
}

async fn start_with_meta(pg: &TestCluster, env: &[(&str, &str)]) -> TestServer {
    TestServer::start(
        Path::new(BIN),
        &["--metadata-database-url", &pg.url("meta")],
        env,
    )
    .await
}

fn add_source(name: &str, url: Value) -> Value {
    json!({"type": "pg_add_source", "args": {"name": name,
        "configuration": {"connection_info": {"database_url": url,
            "pool_settings": {"max_connections": 4, "idle_timeout": 60}}}}})
}

#[tokio::test]
async fn metadata_in_its_own_database_and_a_source_from_the_environment() {
    let pg = TestCluster::start("app").await;
    pg.cluster.create_database("meta").await.unwrap();
    pg.cluster.create_database("other").await.unwrap();
    sql(
        &pg,
        "app",
        "CREATE TABLE author (id serial PRIMARY KEY, name text); \
         INSERT INTO author (name) VALUES ('ada'), ('bo');",
    )
    .await;
    let env = [("PG_DATABASE_URL", pg.url("app"))];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut s = start_with_meta(&pg, &env).await;
    // Only a metadata database: no source until one is added.
    let md = metadata(&s, json!({"type": "export_metadata", "args": {}})).await;
    assert_eq!(md["sources"], json!([]), "{md}");
    let kinds = metadata(&s, json!({"type": "list_source_kinds", "args": {}})).await;
    assert_eq!(kinds["sources"][0]["kind"], "pg", "{kinds}");
    // A source whose variable is not set is refused, and not stored.
    let e = refused(
        &s,
        add_source("default", json!({"from_env": "RASURA_TEST_NOT_SET"})),
        "constraint-violation",
    )
    .await;
    assert!(
        e["error"]
            .as_str()
            .unwrap()
            .contains("environment variable 'RASURA_TEST_NOT_SET' not set"),
        "{e}"
    );
    // So is one whose database cannot be reached.
    let e = refused(
        &s,
        add_source("default", json!("postgres://postgres@127.0.0.1:1/none")),
        "constraint-violation",
    )
    .await;
    assert!(
        e["error"].as_str().unwrap().contains("connection error"),
        "{e}"
    );
    let md = metadata(&s, json!({"type": "export_metadata", "args": {}})).await;
    assert_eq!(md["sources"], json!([]), "{md}");
    metadata(
        &s,
        add_source("default", json!({"from_env": "PG_DATABASE_URL"})),
    )
    .await;
    metadata(
        &s,
        json!({"type": "pg_track_table", "args": {"source": "default", "table": "author"}}),
    )
    .await;
    let q = "{ author(order_by: {id: asc}) { name } }";
    let r = s.graphql(q, json!({})).await;
    assert_eq!(
        r["data"]["author"],
        json!([{"name": "ada"}, {"name": "bo"}]),
        "{r}"
    );
    let h: Value = s
        .http
        .get(s.url("/healthz/sources"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["default"]["status"], "OK", "{h}");
    assert_eq!(h["default"]["error"], Value::Null, "{h}");
    // The metadata is in the metadata database, not in the source's.
    assert_eq!(rows_of_metadata(&pg, "meta").await, 1);
    assert_eq!(rows_of_metadata(&pg, "app").await, 0);
    // The exported source is as written.
    let md = metadata(&s, json!({"type": "export_metadata", "args": {}})).await;
    assert_eq!(
        md["sources"][0]["configuration"]["connection_info"]["database_url"],
        json!({"from_env": "PG_DATABASE_URL"})
    );
    // A second source is served beside it (tests/multi_source.rs has more), and goes again.
    metadata(&s, add_source("other", json!(pg.url("other")))).await;
    let h: Value = s
        .http
        .get(s.url("/healthz/sources"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["other"]["status"], "OK", "{h}");
    metadata(
        &s,
        json!({"type": "pg_drop_source", "args": {"name": "other"}}),
    )
    .await;
    // run_sql names its source.
    let r = metadata(
        &s,
        json!({"type": "run_sql", "args": {"source": "default", "sql": "INSERT INTO author (name) VALUES ('cy')"}}),
    )
    .await;
    assert_eq!(r["result_type"], "CommandOk", "{r}");
    refused(
        &s,
        json!({"type": "run_sql", "args": {"source": "nope", "sql": "SELECT 1"}}),
        "not-exists",
    )
    .await;
    // A restarted engine finds it all in the metadata database.
    s.terminate();
    let s = start_with_meta(&pg, &env).await;
    let r = s.graphql(q, json!({})).await;
    assert_eq!(r["data"]["author"].as_array().unwrap().len(), 3, "{r}");
    // Renamed: served under its new name; the old name is gone.
    metadata(
        &s,
        json!({"type": "rename_source", "args": {"name": "default", "new_name": "app"}}),
    )
    .await;
    let r = s.graphql(q, json!({})).await;
    assert_eq!(r["data"]["author"].as_array().unwrap().len(), 3, "{r}");
    let e = refused(
        &s,
        json!({"type": "pg_track_table", "args": {"table": "author"}}),
        "not-exists",
    )
    .await;
    assert_eq!(e["error"], "source with name \"default\" does not exist");
    refused(
        &s,
        json!({"type": "rename_source", "args": {"name": "gone", "new_name": "x"}}),
        "not-exists",
    )
    .await;
    // Moved to another database with pg_update_source: its tables are served from there.
    sql(
        &pg,
        "other",
        "CREATE TABLE author (id serial PRIMARY KEY, name text); \
         INSERT INTO author (name) VALUES ('zed');",
    )
    .await;
    metadata(
        &s,
        json!({"type": "pg_update_source", "args": {"name": "app",
            "configuration": {"connection_info": {"database_url": pg.url("other")}}}}),
    )
    .await;
    let r = s.graphql(q, json!({})).await;
    assert_eq!(r["data"]["author"], json!([{"name": "zed"}]), "{r}");
    // Dropped: nothing is served.
    metadata(
        &s,
        json!({"type": "pg_drop_source", "args": {"name": "app", "cascade": true}}),
    )
    .await;
    let r = s.graphql(q, json!({})).await;
    assert!(r["errors"].is_array(), "{r}");
    let md = metadata(&s, json!({"type": "export_metadata", "args": {}})).await;
    assert_eq!(md["sources"], json!([]), "{md}");
}

#[tokio::test]
async fn a_source_out_of_reach_at_start_is_inconsistent_and_strict_health_fails() {
    let pg = TestCluster::start("meta").await;
    let s = start_with_meta(&pg, &[("PG_DOWN", "postgres://postgres@127.0.0.1:1/none")]).await;
    // Stored by replace_metadata, which reports what does not fit instead of refusing it.
    let r = metadata(
        &s,
        json!({"type": "replace_metadata", "args": {"allow_inconsistent_metadata": true,
            "metadata": {"version": 3, "sources": [{"name": "default", "kind": "postgres", "tables": [],
                "configuration": {"connection_info": {"database_url": {"from_env": "PG_DOWN"}}}}]}}}),
    )
    .await;
    assert_eq!(r["is_consistent"], false, "{r}");
    let mut r = metadata(&s, json!({"type": "get_inconsistent_metadata", "args": {}})).await;
    // Hasura's `message`: the driver's account of why.
    let message = r["inconsistent_objects"][0]
        .as_object_mut()
        .and_then(|o| o.remove("message"));
    assert!(
        message
            .as_ref()
            .and_then(Value::as_str)
            .is_some_and(|m| m.contains("refused")),
        "{message:?}"
    );
    assert_eq!(
        r["inconsistent_objects"],
        json!([{"type": "source", "name": "source default", "definition": "default",
            "reason": "Inconsistent object: connection error"}]),
        "{r}"
    );
    let get = |path: &str| s.http.get(s.url(path)).send();
    let plain = get("/healthz").await.unwrap();
    assert_eq!(plain.status(), 200);
    assert_eq!(
        plain.text().await.unwrap(),
        "WARN: inconsistent objects in schema"
    );
    let strict = get("/healthz?strict=true").await.unwrap();
    assert_eq!(strict.status(), 500);
    assert_eq!(
        strict.text().await.unwrap(),
        "ERROR: inconsistent objects in schema"
    );
    // Each source's health.
    let h: Value = get("/healthz/sources").await.unwrap().json().await.unwrap();
    assert_eq!(h["default"]["status"], "ERROR", "{h}");
    assert!(
        h["default"]["timestamp"].as_str().unwrap().ends_with('Z'),
        "{h}"
    );
    // The server's settings, as Hasura's console and CLI read them.
    let c: Value = get("/v1alpha1/config").await.unwrap().json().await.unwrap();
    assert_eq!(c["is_admin_secret_set"], false, "{c}");
    assert_eq!(c["is_jwt_set"], false, "{c}");
    assert_eq!(c["jwt"], json!([]), "{c}");
    assert_eq!(c["default_naming_convention"], "hasura-default", "{c}");
    assert_eq!(
        c["live_queries"],
        json!({"batch_size": 100, "refetch_delay": 1})
    );
    assert!(c["version"].is_string(), "{c}");
}

#[tokio::test]
async fn event_triggers_fire_from_the_sources_database_and_the_tutorial_metadata_is_served() {
    let pg = TestCluster::start("app").await;
    pg.cluster.create_database("meta").await.unwrap();
    sql(
        &pg,
        "app",
        include_str!("../../../examples/seed/migrations/default/1700000000000_init/up.sql"),
    )
    .await;
    let app_url = pg.url("app");
    // The tutorial's metadata names its source `{from_env: HASURA_GRAPHQL_DATABASE_URL}`.
    let s = start_with_meta(&pg, &[("HASURA_GRAPHQL_DATABASE_URL", &app_url)]).await;
    let seed = rasura_project::layout::build(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/seed/metadata"),
    )
    .unwrap();
    metadata(
        &s,
        json!({"type": "replace_metadata", "args": {"allow_inconsistent_metadata": true, "metadata": seed}}),
    )
    .await;
    let r = s.graphql("{ user { name } }", json!({})).await;
    assert_eq!(r["data"]["user"], json!([]), "{r}");
    let (url, seen) = webhook(|_, _| ok()).await;
    metadata(
        &s,
        json!({"type": "pg_create_event_trigger", "args": {"name": "user_added", "table": "user",
            "webhook": url, "insert": {"columns": "*"}}}),
    )
    .await;
    let r = s
        .graphql(
            "mutation { insert_user_one(object: {name: \"ann\"}) { name } }",
            json!({}),
        )
        .await;
    assert_eq!(r["data"]["insert_user_one"]["name"], "ann", "{r}");
    wait_for("the event", Duration::from_secs(10), || {
        seen.lock().unwrap().len() == 1
    })
    .await;
    // The event was captured in the source's database.
    let c = pg.client("app").await;
    let n: i64 = c
        .query_one(
            "SELECT count(*) FROM hdb_catalog.event_log WHERE trigger_name = 'user_added'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}
