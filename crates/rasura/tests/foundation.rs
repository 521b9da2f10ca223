//! End to end: the real binary against real PostgreSQL clusters.

use std::path::Path;

use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

async fn metadata(s: &TestServer, body: Value) -> (u16, Value) {
    s.post("/v1/metadata", &body, &[]).await
}

async fn run_sql(s: &TestServer, sql: &str) -> (u16, Value) {
    s.post(
        "/v2/query",
        &json!({"type": "run_sql", "args": {"sql": sql}}),
        &[],
    )
    .await
}

fn tracked(export: &Value) -> Vec<String> {
    export["sources"][0]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["table"]["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn embedded_default_serves_and_keeps_data_across_restarts() {
    let server = TestServer::start(Path::new(BIN), &[], &[]).await;
    let (status, body) = run_sql(
        &server,
        "create table author (id serial primary key, name text)",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = metadata(
        &server,
        json!({"type": "pg_track_table", "args": {"table": "author"}}),
    )
    .await;
    assert_eq!((status, body), (200, json!({"message": "success"})));
    let (_, export) = metadata(&server, json!({"type": "export_metadata", "args": {}})).await;
    assert_eq!(tracked(&export), vec!["author"]);
    assert!(
        server.log_text().contains("embedded cluster"),
        "{}",
        server.log_text()
    );
    let port = server.port;
    let dir = server.into_dir();
    let pgdata = dir.path().join(".rasura/pg");
    assert!(pgdata.join("PG_VERSION").exists());
    assert!(
        !pgdata.join("postmaster.pid").exists(),
        "the cluster was not stopped with the server"
    );

    let server = TestServer::start_in(Path::new(BIN), &[], &[], port, dir).await;
    let (_, export) = metadata(&server, json!({"type": "export_metadata", "args": {}})).await;
    assert_eq!(tracked(&export), vec!["author"]);
    let (_, rows) = run_sql(&server, "select count(*) from author").await;
    assert_eq!(rows["result"][1][0], "0");
}

#[tokio::test]
async fn database_url_starts_no_cluster() {
    let pg = TestCluster::start("app").await;
    let server = TestServer::start(Path::new(BIN), &["--database-url", &pg.url("app")], &[]).await;
    let (status, _) = run_sql(&server, "select 1").await;
    assert_eq!(status, 200);
    assert!(server.log_text().contains("--database-url"));
    let dir = server.into_dir();
    assert!(
        !dir.path().join(".rasura").exists(),
        "a cluster was created although a URL was given"
    );
}

#[tokio::test]
async fn a_second_server_on_a_taken_port_fails_at_start() {
    let pg = TestCluster::start("taken").await;
    let url = pg.url("taken");
    let first = TestServer::start(Path::new(BIN), &["--database-url", &url], &[]).await;
    let out = std::process::Command::new(BIN)
        .args([
            "serve",
            "--host",
            "127.0.0.1",
            "--database-url",
            &url,
            "--port",
            &first.port.to_string(),
        ])
        .env_remove("RASURA_ADMIN_SECRET")
        .env_remove("HASURA_GRAPHQL_ADMIN_SECRET")
        .output()
        .expect("run rasura");
    assert!(!out.status.success(), "the second server started");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot listen on"), "stderr: {stderr}");
    let (status, _) = run_sql(&first, "select 1").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn hasura_environment_names_are_accepted() {
    let pg = TestCluster::start("app").await;
    let server = TestServer::start(
        Path::new(BIN),
        &[],
        &[
            ("HASURA_GRAPHQL_DATABASE_URL", &pg.url("app")),
            ("HASURA_GRAPHQL_ADMIN_SECRET", "s3cret"),
        ],
    )
    .await;
    let body = json!({"type": "export_metadata", "args": {}});
    let (status, _) = server
        .post(
            "/v1/metadata",
            &body,
            &[("x-hasura-admin-secret", "s3cret")],
        )
        .await;
    assert_eq!(status, 200);
    assert!(!server.log_text().contains("embedded cluster"));
}

#[tokio::test]
async fn bad_input_gets_hasura_errors_and_the_server_keeps_serving() {
    let pg = TestCluster::start("app").await;
    let server = TestServer::start(Path::new(BIN), &["--database-url", &pg.url("app")], &[]).await;

    let (status, body) = server.post_raw("/v1/metadata", "{\"type\": ").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid-json")),
        "{body}"
    );

    let (status, body) = metadata(&server, json!({"type": "no_such_op", "args": {}})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("parse-failed")),
        "{body}"
    );

    let (status, body) = metadata(
        &server,
        json!({"type": "pg_track_table", "args": {"table": "missing"}}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "constraint-violation");
    assert_eq!(
        body["error"],
        "Inconsistent object: no such table/view exists in source: \"missing\""
    );

    run_sql(&server, "create table t (id int primary key)").await;
    let track =
        json!({"type": "pg_track_table", "args": {"table": {"schema": "public", "name": "t"}}});
    assert_eq!(metadata(&server, track.clone()).await.0, 200);
    let (status, body) = metadata(&server, track).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("already-tracked")),
        "{body}"
    );

    let (status, body) = run_sql(&server, "select * from nowhere").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("postgres-error")),
        "{body}"
    );
    assert_eq!(body["internal"]["error"]["status_code"], "42P01");

    let (status, body) = server
        .post(
            "/v1/metadata",
            &json!({"type": "export_metadata", "args": {}}),
            &[("x-hasura-role", "user")],
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("access-denied")),
        "{body}"
    );

    // A bulk is all or nothing: the table of its first step is not left behind.
    let (status, _) = server
        .post(
            "/v1/query",
            &json!({"type": "bulk", "args": [
                {"type": "run_sql", "args": {"sql": "create table half (id int)"}},
                {"type": "track_table", "args": {"name": "not_there"}}
            ]}),
            &[],
        )
        .await;
    assert_eq!(status, 400);
    let (_, rows) = run_sql(
        &server,
        "select count(*) from pg_tables where tablename = 'half'",
    )
    .await;
    assert_eq!(rows["result"][1][0], "0");

    // A stale resource_version is refused with 409.
    let (status, body) = metadata(
        &server,
        json!({"type": "export_metadata", "args": {}, "resource_version": 999}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("conflict")),
        "{body}"
    );

    let health = server
        .http
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn admin_secret_guards_the_control_plane() {
    let pg = TestCluster::start("app").await;
    let server = TestServer::start(
        Path::new(BIN),
        &[
            "--database-url",
            &pg.url("app"),
            "--admin-secret",
            "letmein",
        ],
        &[],
    )
    .await;
    let body = json!({"type": "export_metadata", "args": {}});
    for path in ["/v1/metadata", "/v1/query", "/v2/query"] {
        let (status, err) = server.post(path, &body, &[]).await;
        assert_eq!(
            (status, err["code"].as_str()),
            (401, Some("access-denied")),
            "{path}: {err}"
        );
        let (status, _) = server
            .post(path, &body, &[("x-hasura-admin-secret", "wrong")])
            .await;
        assert_eq!(status, 401);
    }
    let (status, _) = server
        .post(
            "/v1/metadata",
            &body,
            &[("X-Hasura-Admin-Secret", "letmein")],
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        !server.log_text().contains("letmein"),
        "the secret was logged"
    );
}

#[tokio::test]
async fn a_table_dropped_outside_is_reported_and_restarts_work() {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let server = TestServer::start(Path::new(BIN), &["--database-url", &url], &[]).await;
    run_sql(
        &server,
        "create table keep (id int primary key); create table doomed (id int primary key)",
    )
    .await;
    for t in ["keep", "doomed"] {
        assert_eq!(
            metadata(
                &server,
                json!({"type": "pg_track_table", "args": {"table": t}})
            )
            .await
            .0,
            200
        );
    }
    // Dropped behind the engine's back.
    pg.client("app")
        .await
        .batch_execute("drop table doomed")
        .await
        .unwrap();
    let (status, body) = metadata(&server, json!({"type": "reload_metadata", "args": {}})).await;
    assert_eq!(status, 200);
    assert_eq!(body["is_consistent"], false);
    let (_, body) = metadata(
        &server,
        json!({"type": "get_inconsistent_metadata", "args": {}}),
    )
    .await;
    assert_eq!(body["inconsistent_objects"][0]["type"], "table");
    assert_eq!(
        body["inconsistent_objects"][0]["name"],
        "table doomed in source default"
    );
    let health = server
        .http
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        health.text().await.unwrap(),
        "WARN: inconsistent objects in schema"
    );

    // A restart with the inconsistency still serves.
    let port = server.port;
    let dir = server.into_dir();
    let server =
        TestServer::start_in(Path::new(BIN), &["--database-url", &url], &[], port, dir).await;
    let (_, body) = metadata(
        &server,
        json!({"type": "get_inconsistent_metadata", "args": {}}),
    )
    .await;
    assert_eq!(body["is_consistent"], false);
    let (_, export) = metadata(&server, json!({"type": "export_metadata", "args": {}})).await;
    assert_eq!(tracked(&export), vec!["keep", "doomed"]);
    // Dropping the inconsistent objects clears the report.
    metadata(
        &server,
        json!({"type": "drop_inconsistent_metadata", "args": {}}),
    )
    .await;
    let (_, body) = metadata(
        &server,
        json!({"type": "get_inconsistent_metadata", "args": {}}),
    )
    .await;
    assert_eq!(body["is_consistent"], true);
}

#[tokio::test]
async fn run_sql_untracks_dropped_tables_and_guards_dependents() {
    let pg = TestCluster::start("app").await;
    let server = TestServer::start(Path::new(BIN), &["--database-url", &pg.url("app")], &[]).await;
    let (status, body) = server
        .post("/v1/query", &json!({"type": "bulk", "args": [
            {"type": "run_sql", "args": {"sql": "create table author (id serial primary key); create table article (id serial primary key, author_id int references author(id))"}},
            {"type": "track_table", "args": {"schema": "public", "name": "author"}},
            {"type": "track_table", "args": {"schema": "public", "name": "article"}},
            {"type": "create_object_relationship", "args": {"table": "article", "name": "author", "using": {"foreign_key_constraint_on": "author_id"}}},
            {"type": "create_array_relationship", "args": {"table": "author", "name": "articles", "using": {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}}}}
        ]}), &[])
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = run_sql(&server, "drop table article").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("dependency-error")),
        "{body}"
    );
    let (status, body) = server
        .post(
            "/v2/query",
            &json!({"type": "run_sql", "args": {"sql": "drop table article", "cascade": true}}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, export) = metadata(&server, json!({"type": "export_metadata", "args": {}})).await;
    assert_eq!(tracked(&export), vec!["author"]);
    assert!(export["sources"][0]["tables"][0]
        .get("array_relationships")
        .is_none());
}

/// Runs `rasura serve` in `dir` (the data directory `.rasura` there) until it exits.
fn second_serve(dir: &Path, port: u16) -> std::process::Output {
    std::process::Command::new(BIN)
        .args(["serve", "--port", &port.to_string()])
        .current_dir(dir)
        .env_remove("RASURA_DATABASE_URL")
        .env_remove("HASURA_GRAPHQL_DATABASE_URL")
        .env_remove("RASURA_ADMIN_SECRET")
        .env_remove("HASURA_GRAPHQL_ADMIN_SECRET")
        .output()
        .expect("run rasura")
}

#[tokio::test]
async fn a_second_server_on_the_same_data_directory_leaves_the_first_alone() {
    let first = TestServer::start(Path::new(BIN), &[], &[]).await;
    let (status, body) = run_sql(
        &first,
        "create table kept (id int); insert into kept values (1)",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Another port, same data directory: refused before it touches the cluster.
    let out = second_serve(first.dir(), rasura_cluster::free_port().unwrap());
    assert!(!out.status.success(), "the second server started");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("is using the data directory"),
        "stderr: {stderr}"
    );
    // The first server's port: refused on the port, first.
    let out = second_serve(first.dir(), first.port);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen on"));
    let (status, body) = run_sql(&first, "select count(*) from kept").await;
    assert_eq!(status, 200, "the first server lost its database: {body}");
    // The embedded cluster listens on a Unix socket in its data directory, not on TCP.
    let pgdata = first.dir().join(".rasura/pg");
    assert!(pgdata.join(".s.PGSQL.5432").exists());
    let pid_file = std::fs::read_to_string(pgdata.join("postmaster.pid")).unwrap();
    assert_eq!(
        pid_file.lines().nth(5).map(str::trim),
        Some(""),
        "{pid_file}"
    );
    // `rasura psql` reaches it.
    let out = std::process::Command::new(BIN)
        .args(["psql", "--", "-At", "-c", "select count(*) from kept"])
        .current_dir(first.dir())
        .output()
        .expect("run rasura psql");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1", "{out:?}");
    // The database stopped under the server (as a careless second server used to do): it is
    // started again and the server answers again.
    let pid = pid_file.lines().next().unwrap().trim().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status();
    let start = std::time::Instant::now();
    loop {
        let (status, _) = run_sql(&first, "select count(*) from kept").await;
        if status == 200 {
            break;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "the server did not recover; log:\n{}",
            first.log_text()
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
