//! A source behind a real pgbouncer (Debian's, installed by scripts/setup.sh) in transaction
//! mode: with `use_prepared_statements: false` (Hasura's default for a source) every statement
//! runs unnamed, so queries, mutations, nested inserts and live queries work while pgbouncer
//! hands each transaction to any of its three server connections; an event trigger is
//! captured, claimed under the engine's lease and delivered through it.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use rasura_test_support::{ws, TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

/// A pgbouncer in transaction mode in front of database `app`, run as `postgres` (it refuses
/// root) as a daemon; stopped on drop by the PID it wrote.
struct Pgbouncer {
    port: u16,
    dir: tempfile::TempDir,
}

impl Pgbouncer {
    fn start(pg_port: u16) -> Pgbouncer {
        let dir = tempfile::tempdir().unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        }
        let port = rasura_cluster::free_port().unwrap();
        let d = dir.path().display();
        std::fs::write(dir.path().join("users.txt"), "\"postgres\" \"\"\n").unwrap();
        std::fs::write(
            dir.path().join("pgbouncer.ini"),
            format!(
                "[databases]\napp = host=127.0.0.1 port={pg_port} dbname=app user=postgres\n\
                 [pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\n\
                 unix_socket_dir =\nauth_type = trust\nauth_file = {d}/users.txt\n\
                 pool_mode = transaction\ndefault_pool_size = 3\nmax_client_conn = 500\n\
                 ignore_startup_parameters = extra_float_digits,options\n\
                 logfile = {d}/pgbouncer.log\npidfile = {d}/pgbouncer.pid\n"
            ),
        )
        .unwrap();
        let program = if Path::new("/usr/sbin/pgbouncer").exists() {
            "/usr/sbin/pgbouncer"
        } else {
            "pgbouncer"
        };
        let status = Command::new("runuser")
            .args(["-u", "postgres", "--", program, "-d"])
            .arg(dir.path().join("pgbouncer.ini"))
            .status()
            .expect("pgbouncer is not installed: run scripts/setup.sh (Debian package pgbouncer)");
        assert!(status.success(), "pgbouncer did not start");
        Pgbouncer { port, dir }
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/app", self.port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pgbouncer.log")).unwrap_or_default()
    }
}

impl Drop for Pgbouncer {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.dir.path().join("pgbouncer.pid")) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
    }
}

async fn ok(s: &TestServer, body: Value) -> Value {
    let (status, out) = s.post("/v1/metadata", &body, &[]).await;
    assert_eq!(status, 200, "{body} -> {out}");
    out
}

#[tokio::test]
async fn graphql_through_pgbouncer_in_transaction_mode() {
    let pg = TestCluster::start("app").await;
    pg.cluster.create_database("meta").await.unwrap();
    pg.client("app")
        .await
        .batch_execute(
            "CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL); \
             CREATE TABLE article (id serial PRIMARY KEY, title text NOT NULL, \
               author_id int NOT NULL REFERENCES author(id));",
        )
        .await
        .unwrap();
    let bouncer = Pgbouncer::start(pg.cluster.port);
    // Wait until it accepts connections.
    let mut tries = 0;
    while tokio_postgres::connect(&bouncer.url(), tokio_postgres::NoTls)
        .await
        .is_err()
    {
        tries += 1;
        assert!(
            tries < 100,
            "pgbouncer does not answer; log:\n{}",
            bouncer.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let s = TestServer::start(
        Path::new(BIN),
        &["--metadata-database-url", &pg.url("meta")],
        &[],
    )
    .await;
    ok(
        &s,
        json!({"type": "pg_add_source", "args": {"name": "default", "configuration": {
            "connection_info": {"database_url": bouncer.url(),
                "use_prepared_statements": false,
                "pool_settings": {"max_connections": 8}}}}}),
    )
    .await;
    ok(
        &s,
        json!({"type": "bulk", "args": [
            {"type": "pg_track_table", "args": {"table": "author"}},
            {"type": "pg_track_table", "args": {"table": "article"}},
            {"type": "pg_create_object_relationship", "args": {"table": "article",
                "name": "author", "using": {"foreign_key_constraint_on": "author_id"}}},
            {"type": "pg_create_array_relationship", "args": {"table": "author",
                "name": "articles", "using": {"foreign_key_constraint_on":
                    {"table": "article", "column": "author_id"}}}}
        ]}),
    )
    .await;

    // An event trigger on the pooled source: captured, claimed and delivered through it.
    let seen: std::sync::Arc<std::sync::Mutex<Vec<String>>> = Default::default();
    let s2 = seen.clone();
    let hook = rasura_test_support::http_stub(move |req| {
        s2.lock().unwrap().push(req.body);
        async { (200, vec![], "{}".to_string()) }
    })
    .await;
    ok(
        &s,
        json!({"type": "pg_create_event_trigger", "args": {"name": "author_added",
            "table": "author", "webhook": hook, "insert": {"columns": "*"}}}),
    )
    .await;

    // A live query, then writes through pgbouncer: a nested insert and a plain one.
    let mut sub = ws::subscribe(
        s.port,
        "/v1/graphql",
        json!({}),
        "subscription { author_aggregate { aggregate { count } } }",
    )
    .await;
    assert_eq!(
        ws::next_data(&mut sub).await["author_aggregate"]["aggregate"]["count"],
        0
    );
    let r = s
        .graphql(
            r#"mutation { insert_author_one(object: {name: "ada", articles: {data: [{title: "one"}, {title: "two"}]}}) { id articles { title } } }"#,
            json!({}),
        )
        .await;
    assert!(r.get("errors").is_none(), "{r}");
    assert_eq!(
        r["data"]["insert_author_one"]["articles"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let count = loop {
        let d = ws::next_data(&mut sub).await;
        let c = d["author_aggregate"]["aggregate"]["count"].clone();
        if c != 0 {
            break c;
        }
    };
    assert_eq!(count, 1);

    // Many queries with variables, concurrently: each statement unnamed, any server.
    let mut handles = vec![];
    for i in 0..40 {
        let http = s.http.clone();
        let url = s.url("/v1/graphql");
        handles.push(tokio::spawn(async move {
            let q = json!({"query": "query ($t: String!) { article(where: {title: {_eq: $t}}) { title author { name } } }",
                "variables": {"t": if i % 2 == 0 { "one" } else { "two" }}});
            // A statement lost in the pooler would leave the request waiting: bounded.
            let sent = http.post(url).json(&q).timeout(Duration::from_secs(10)).send();
            let r: Value = sent.await.expect("answered in time").json().await.unwrap();
            r
        }));
    }
    for h in handles {
        let r = h.await.unwrap();
        assert!(r.get("errors").is_none(), "{r}");
        assert_eq!(r["data"]["article"][0]["author"]["name"], "ada", "{r}");
    }
    let r = s
        .graphql(
            r#"mutation { update_article(where: {}, _set: {title: "three"}) { affected_rows } }"#,
            json!({}),
        )
        .await;
    assert_eq!(r["data"]["update_article"]["affected_rows"], 2, "{r}");

    // The event was delivered once, and the engine's delivery loops hold live leases.
    let start = std::time::Instant::now();
    while seen.lock().unwrap().is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no event delivered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let bodies = seen.lock().unwrap().clone();
    assert!(bodies[0].contains("\"ada\""), "{bodies:?}");
    let leases: i64 = pg
        .client("app")
        .await
        .query_one(
            "SELECT count(*) FROM hdb_catalog.rasura_engine_lease WHERE expires > now()",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(leases, 1, "the event loop's lease on the source");

    // The engine reached the database only through pgbouncer's few server connections.
    let backends: i64 = pg
        .client("app")
        .await
        .query_one(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = 'app' AND backend_type = 'client backend' \
               AND pid <> pg_backend_pid()",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(backends <= 3, "{backends} server connections");
}
