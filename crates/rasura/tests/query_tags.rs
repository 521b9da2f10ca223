//! Query tags: the statements of GraphQL root fields carry a comment with the field, the
//! query's hash and the operation (the request id only when `omit_request_id: false`), seen
//! where PostgreSQL shows running statements (`pg_stat_activity`); `set_query_tags` changes
//! the format or turns them off.

use std::path::Path;
use std::time::{Duration, Instant};

use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

/// Runs `query` (whose root field sleeps a second) and answers the text PostgreSQL shows for
/// its statement while it runs.
async fn running_statement(
    s: &TestServer,
    pg: &TestCluster,
    query: &str,
    request_id: &str,
) -> String {
    let body = json!({"query": query});
    let headers = [("x-request-id", request_id)];
    let request = s.post("/v1/graphql", &body, &headers);
    let watch = async {
        let client = pg.client("app").await;
        let started = Instant::now();
        loop {
            let rows = client
                .query(
                    "SELECT query FROM pg_stat_activity WHERE query LIKE '%pg_sleep_then%' AND pid <> pg_backend_pid()",
                    &[],
                )
                .await
                .expect("pg_stat_activity");
            if let Some(r) = rows.first() {
                return r.get::<_, String>(0);
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the statement never showed"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let ((status, answer), seen) = tokio::join!(request, watch);
    assert_eq!(status, 200, "{answer}");
    assert!(answer["data"].is_object(), "{answer}");
    seen
}

#[tokio::test]
async fn statements_carry_query_tags() {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let s = TestServer::start(Path::new(BIN), &["--database-url", url.as_str()], &[]).await;
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "bulk", "args": [
                {"type": "run_sql", "args": {"sql": "
                    create table item (id int primary key);
                    insert into item values (1);
                    create function pg_sleep_then() returns setof item as $$
                      select * from item where pg_sleep(0.5) is not null $$ language sql stable;"}},
                {"type": "pg_track_table", "args": {"table": "item"}},
                {"type": "pg_track_function", "args": {"function": "pg_sleep_then"}},
            ]}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let query = "query Slow { later: pg_sleep_then { id } }";
    let hash = {
        // The SHA-1 of the document, as the engine computes it.
        let out = std::process::Command::new("sha1sum")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().expect("stdin").write_all(query.as_bytes())?;
                c.wait_with_output()
            })
            .expect("sha1sum");
        String::from_utf8_lossy(&out.stdout)[..40].to_string()
    };
    // The default: standard, appended, no request id.
    let seen = running_statement(&s, &pg, query, "req-1").await;
    assert!(
        seen.ends_with(&format!(
            " /* field_name=later, parameterized_query_hash={hash}, operation_name=Slow */"
        )),
        "{seen}"
    );
    // sqlcommenter with the request id.
    let set = |tags: Value| {
        let s = &s;
        async move {
            let mut args = json!({"source_name": "default"});
            args.as_object_mut()
                .unwrap()
                .extend(tags.as_object().unwrap().clone());
            s.post(
                "/v1/metadata",
                &json!({"type": "set_query_tags", "args": args}),
                &[],
            )
            .await
        }
    };
    let (status, body) = set(json!({"format": "sqlcommenter", "omit_request_id": false})).await;
    assert_eq!(status, 200, "{body}");
    let seen = running_statement(&s, &pg, query, "req-2").await;
    assert!(
        seen.ends_with(&format!(
            " /* field_name='later',operation_name='Slow',parameterized_query_hash='{hash}',request_id='req-2' */"
        )),
        "{seen}"
    );
    // Off.
    let (status, body) = set(json!({"disabled": true})).await;
    assert_eq!(status, 200, "{body}");
    let seen = running_statement(&s, &pg, query, "req-3").await;
    assert!(!seen.contains("/*"), "{seen}");
    // Kept in the metadata; a bad format is refused.
    let (_, md) = s
        .post(
            "/v1/metadata",
            &json!({"type": "export_metadata", "args": {}}),
            &[],
        )
        .await;
    assert_eq!(
        md["sources"][0]["query_tags"],
        json!({"disabled": true}),
        "{md}"
    );
    let (status, body) = set(json!({"format": "xml"})).await;
    assert_eq!(
        (status, &body["code"]),
        (400, &json!("parse-failed")),
        "{body}"
    );
}

/// The statements of a nested insert (one per row, then the count) are tagged too: a trigger
/// records `current_query()`, the text PostgreSQL runs. (Asking only `affected_rows` of a
/// nested insert once failed: the count's statement bound the unused row list.)
#[tokio::test]
async fn nested_inserts_are_tagged() {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let s = TestServer::start(Path::new(BIN), &["--database-url", url.as_str()], &[]).await;
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "bulk", "args": [
                {"type": "run_sql", "args": {"sql": "
                    create table seen (q text);
                    create table parent (id serial primary key, name text);
                    create table child (id serial primary key, parent_id int references parent(id), name text);
                    create function record() returns trigger as $$
                      begin insert into seen values (current_query()); return new; end $$ language plpgsql;
                    create trigger record_child before insert on child for each row execute function record();"}},
                {"type": "pg_track_table", "args": {"table": "parent"}},
                {"type": "pg_track_table", "args": {"table": "child"}},
                {"type": "pg_create_array_relationship", "args": {"table": "parent", "name": "children",
                    "using": {"foreign_key_constraint_on": {"table": "child", "column": "parent_id"}}}},
            ]}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "mutation Family { made: insert_parent(objects: [{name: \"p\", children: {data: [{name: \"c1\"}, {name: \"c2\"}]}}]) { affected_rows } }"}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["made"]["affected_rows"],
        3,
        "{body}\n{}",
        s.log_text()
    );
    let client = pg.client("app").await;
    let seen: Vec<String> = client
        .query("SELECT q FROM seen", &[])
        .await
        .expect("seen")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(seen.len(), 2, "{seen:?}");
    for q in &seen {
        assert!(
            q.contains("/* field_name=made, parameterized_query_hash=")
                && q.ends_with(", operation_name=Family */"),
            "{q}"
        );
    }
}
