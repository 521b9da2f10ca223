//! Hasura CLI projects against a real engine and PostgreSQL: `rasura deploy` of a project
//! written for the test gives the metadata `replace_metadata` of the same JSON gives;
//! `migrate status` after partial applies, `--down`, a squash, a broken migration rolled back
//! with nothing half-applied; `metadata export|diff|apply|inconsistency`; `serve --project`;
//! `init`; the catalog state the Hasura CLI keeps its migrations in; a project of two
//! databases deployed, migrated and seeded per database.

use std::path::{Path, PathBuf};

use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

/// Runs `rasura <args>` in `dir`; returns success, stdout and stderr.
async fn cli(dir: &Path, args: &[&str]) -> (bool, String, String) {
    cli_env(dir, args, &[]).await
}

/// As [`cli`], with environment variables.
async fn cli_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.args(args)
        .current_dir(dir)
        .env_remove("HASURA_GRAPHQL_ENDPOINT")
        .env_remove("HASURA_GRAPHQL_ADMIN_SECRET");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().await.expect("run rasura");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

async fn cli_ok(dir: &Path, args: &[&str]) -> (String, String) {
    let (ok, out, err) = cli(dir, args).await;
    assert!(ok, "rasura {args:?} failed:\n{out}\n{err}");
    (out, err)
}

async fn metadata(s: &TestServer, body: Value) -> Value {
    let (status, body) = s.post("/v1/metadata", &body, &[]).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn export(s: &TestServer) -> Value {
    metadata(s, json!({"type": "export_metadata", "args": {}})).await
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A project directory with `config.yaml` pointing at `endpoint`.
fn project(endpoint: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("config.yaml"),
        &format!("version: 3\nendpoint: {endpoint}\nmetadata_directory: metadata\n"),
    );
    dir
}

fn migration(dir: &Path, name: &str, up: &str, down: &str) {
    let m = dir.join("migrations/default").join(name);
    write(&m.join("up.sql"), up);
    if !down.is_empty() {
        write(&m.join("down.sql"), down);
    }
}

/// Metadata with a bit of everything the project layout has a file for.
fn sample_metadata() -> Value {
    json!({
        "version": 3,
        "sources": [{"name": "default", "kind": "postgres",
            "configuration": {"connection_info": {"database_url": {"from_env": "PG_DATABASE_URL"}}},
            "tables": [
                {"table": {"schema": "public", "name": "author"},
                 "array_relationships": [{"name": "articles", "using": {"foreign_key_constraint_on":
                    {"table": {"schema": "public", "name": "article"}, "column": "author_id"}}}],
                 "select_permissions": [{"role": "user", "permission": {"columns": ["id", "name"],
                    "filter": {"id": {"_eq": "X-Hasura-User-Id"}}}}],
                 "event_triggers": [{"name": "author_created", "definition": {"enable_manual": false, "insert": {"columns": "*"}},
                    "retry_conf": {"num_retries": 0, "interval_sec": 10, "timeout_sec": 60},
                    "webhook": "http://127.0.0.1:9/hook"}]},
                {"table": {"schema": "public", "name": "article"},
                 "object_relationships": [{"name": "author", "using": {"foreign_key_constraint_on": "author_id"}}]}
            ]}],
        "actions": [{"name": "login", "definition": {"kind": "synchronous", "type": "mutation",
            "handler": "http://127.0.0.1:9/login", "arguments": [{"name": "username", "type": "String!"}],
            "output_type": "LoginOutput"}, "permissions": [{"role": "user"}]}],
        "custom_types": {"objects": [{"name": "LoginOutput", "fields": [{"name": "token", "type": "String!"}]}]},
        "cron_triggers": [{"name": "nightly", "webhook": "http://127.0.0.1:9/cron", "schedule": "0 3 * * *",
            "include_in_metadata": true, "payload": {"k": "v"}}],
        "query_collections": [{"name": "allowed-queries", "definition": {"queries":
            [{"name": "authors", "query": "query authors { author { id name } }"}]}}],
        "allowlist": [{"collection": "allowed-queries"}],
        "inherited_roles": [{"role_name": "editor_user", "role_set": ["user", "editor"]}]
    })
}

const INIT_UP: &str = "CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL);\n\
    CREATE TABLE article (id serial PRIMARY KEY, title text, author_id int REFERENCES author(id));\n";

async fn engine(pg: &TestCluster) -> TestServer {
    let url = pg.url("app");
    TestServer::start(
        Path::new(BIN),
        &["--database-url", &url],
        &[("PG_DATABASE_URL", url.as_str())],
    )
    .await
}

#[tokio::test]
async fn deploy_gives_what_replace_metadata_of_the_same_json_gives() {
    let pg = TestCluster::start("app").await;
    let server = engine(&pg).await;
    let p = project(&server.url(""));
    let dir = p.path();
    migration(
        dir,
        "1700000000000_init",
        INIT_UP,
        "DROP TABLE article; DROP TABLE author;",
    );
    migration(
        dir,
        "1700000000001_bio",
        "ALTER TABLE author ADD COLUMN bio text;",
        "ALTER TABLE author DROP COLUMN bio;",
    );
    write(
        &dir.join("seeds/default/1700000000002_authors.sql"),
        "INSERT INTO author (name) VALUES ('ada'), ('bo');",
    );
    let md = sample_metadata();
    rasura_project::layout::write(
        &dir.join("metadata"),
        &rasura_project::layout::export(&md).unwrap(),
    )
    .unwrap();
    let (_, err) = cli_ok(dir, &["deploy", "--with-seeds"]).await;
    assert!(err.contains("applied 1700000000000_init (up)"), "{err}");
    assert!(err.contains("Metadata is consistent"), "{err}");
    let deployed = export(&server).await;
    // The tables, relationships, action, cron trigger and allow list are served.
    let rows = server
        .graphql(
            "{ author(order_by: {id: asc}) { name bio articles { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        rows["data"]["author"],
        json!([{"name": "ada", "bio": null, "articles": []}, {"name": "bo", "bio": null, "articles": []}])
    );
    // The same JSON through replace_metadata.
    metadata(&server, json!({"type": "replace_metadata", "args": md})).await;
    assert_eq!(deployed, export(&server).await);
    // migrate status sees both migrations applied.
    let (status, _) = cli_ok(dir, &["migrate", "status", "--database-name", "default"]).await;
    assert!(status.contains("Database: default"), "{status}");
    for v in ["1700000000000  init", "1700000000001  bio"] {
        let line = status
            .lines()
            .find(|l| l.starts_with(v))
            .unwrap_or_else(|| panic!("{status}"));
        assert!(line.ends_with("Present        Present"), "{line:?}");
    }
    // A second deploy has nothing to do and changes nothing.
    let (_, err) = cli_ok(dir, &["deploy"]).await;
    assert!(
        err.contains("nothing to apply on database: default"),
        "{err}"
    );
    assert_eq!(deployed, export(&server).await);
    // The state is where the Hasura CLI keeps it.
    let state = metadata(&server, json!({"type": "get_catalog_state", "args": {}})).await;
    assert_eq!(
        state["cli_state"]["migrations"]["default"],
        json!({"1700000000000": false, "1700000000001": false})
    );
    assert_eq!(state["cli_state"]["settings"]["migration_mode"], "true");
    // A seed from a table's rows.
    let (_, err) = cli_ok(
        dir,
        &["seed", "create", "authors", "--from-table", "author"],
    )
    .await;
    assert!(err.contains("created seed file"), "{err}");
    let seeds: Vec<_> = std::fs::read_dir(dir.join("seeds/default"))
        .unwrap()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    assert!(
        seeds
            .iter()
            .any(|s| s.contains("INSERT INTO public.author") && s.contains("'ada'")),
        "{seeds:?}"
    );
}

#[tokio::test]
async fn endpoint_and_admin_secret_come_from_flags_the_environment_or_env_file() {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    let server = TestServer::start(
        Path::new(BIN),
        &["--database-url", &url, "--admin-secret", "s3cret"],
        &[],
    )
    .await;
    // config.yaml points elsewhere: the flag and the variable win over it.
    let p = project("http://127.0.0.1:1");
    let dir = p.path();
    let endpoint = server.url("");
    let (ok, _, err) = cli_env(
        dir,
        &["metadata", "reload"],
        &[("HASURA_GRAPHQL_ENDPOINT", endpoint.as_str())],
    )
    .await;
    assert!(!ok);
    assert!(
        err.contains("access-denied") || err.contains("invalid"),
        "{err}"
    );
    cli_ok(
        dir,
        &[
            "metadata",
            "reload",
            "--endpoint",
            &endpoint,
            "--admin-secret",
            "s3cret",
        ],
    )
    .await;
    let (ok, _, err) = cli_env(
        dir,
        &["metadata", "reload"],
        &[
            ("HASURA_GRAPHQL_ENDPOINT", endpoint.as_str()),
            ("HASURA_GRAPHQL_ADMIN_SECRET", "s3cret"),
        ],
    )
    .await;
    assert!(ok, "{err}");
    // A `.env` file in the project.
    write(
        &dir.join(".env"),
        &format!("HASURA_GRAPHQL_ENDPOINT={endpoint}\nHASURA_GRAPHQL_ADMIN_SECRET=s3cret\n"),
    );
    cli_ok(dir, &["metadata", "reload"]).await;
    // Outside a project: a clear error.
    let elsewhere = tempfile::tempdir().unwrap();
    let (ok, _, err) = cli(elsewhere.path(), &["migrate", "status"]).await;
    assert!(
        !ok && err.contains("not a Hasura project directory"),
        "{err}"
    );
}

#[tokio::test]
async fn migrate_partial_down_squash_and_a_broken_migration() {
    let pg = TestCluster::start("app").await;
    let server = engine(&pg).await;
    let p = project(&server.url(""));
    let dir = p.path();
    migration(dir, "10_a", "CREATE TABLE a (id int);", "DROP TABLE a;");
    migration(dir, "20_b", "CREATE TABLE b (id int);", "DROP TABLE b;");
    migration(dir, "30_c", "CREATE TABLE c (id int);", "DROP TABLE c;");
    let exists = |t: &'static str| {
        let pg = &pg;
        async move {
            let c = pg.client("app").await;
            let r = c
                .query_one("SELECT to_regclass($1) IS NOT NULL", &[&t])
                .await
                .unwrap();
            r.get::<_, bool>(0)
        }
    };
    cli_ok(dir, &["migrate", "apply", "--up", "2"]).await;
    assert!(exists("a").await && exists("b").await && !exists("c").await);
    let (status, _) = cli_ok(dir, &["migrate", "status"]).await;
    let line = |v: &str| {
        status
            .lines()
            .find(|l| l.starts_with(v))
            .unwrap_or_else(|| panic!("{status}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(line("20"), "20 b Present Present");
    assert_eq!(line("30"), "30 c Present Not Present");
    // --dry-run shows and runs nothing.
    let (plan, _) = cli_ok(dir, &["migrate", "apply", "--dry-run"]).await;
    assert!(plan.contains("30") && plan.contains("up"), "{plan}");
    assert!(!exists("c").await);
    // --down 1 rolls back b.
    cli_ok(dir, &["migrate", "apply", "--down", "1"]).await;
    assert!(exists("a").await && !exists("b").await);
    // A broken migration: its first statement is rolled back with it, and it is not recorded.
    migration(
        dir,
        "40_broken",
        "CREATE TABLE d (id int);\nCREATE TABLE e (id nosuchtype);",
        "",
    );
    let (ok, _, err) = cli(dir, &["migrate", "apply"]).await;
    assert!(!ok);
    assert!(
        err.contains("40_broken") && err.contains("nosuchtype"),
        "{err}"
    );
    assert!(
        exists("b").await && exists("c").await,
        "the migrations before it stay applied"
    );
    assert!(
        !exists("d").await,
        "nothing of the broken migration is left"
    );
    let state = metadata(&server, json!({"type": "get_catalog_state", "args": {}})).await;
    assert!(state["cli_state"]["migrations"]["default"]
        .get("40")
        .is_none());
    std::fs::remove_dir_all(dir.join("migrations/default/40_broken")).unwrap();
    // Squash 10..30 (all applied): one migration with the last version; with --delete-source
    // only that version stays recorded.
    let (_, err) = cli_ok(
        dir,
        &[
            "migrate",
            "squash",
            "--from",
            "10",
            "--name",
            "all",
            "--delete-source",
        ],
    )
    .await;
    assert!(
        err.contains("Created '30_all' after squashing '10' till '30'"),
        "{err}"
    );
    let up = std::fs::read_to_string(dir.join("migrations/default/30_all/up.sql")).unwrap();
    assert!(
        up.find("TABLE a").unwrap() < up.find("TABLE c").unwrap(),
        "{up}"
    );
    let down = std::fs::read_to_string(dir.join("migrations/default/30_all/down.sql")).unwrap();
    assert!(
        down.find("TABLE c").unwrap() < down.find("TABLE a").unwrap(),
        "{down}"
    );
    let state = metadata(&server, json!({"type": "get_catalog_state", "args": {}})).await;
    assert_eq!(
        state["cli_state"]["migrations"]["default"],
        json!({"30": false})
    );
    // Rolling the squashed migration back drops all three tables.
    cli_ok(dir, &["migrate", "apply", "--down", "all"]).await;
    assert!(!exists("a").await && !exists("b").await && !exists("c").await);
    // --skip-execution records without running; delete forgets.
    cli_ok(
        dir,
        &["migrate", "apply", "--version", "30", "--skip-execution"],
    )
    .await;
    assert!(!exists("a").await);
    cli_ok(dir, &["migrate", "delete", "--version", "30", "--server"]).await;
    let state = metadata(&server, json!({"type": "get_catalog_state", "args": {}})).await;
    assert_eq!(state["cli_state"]["migrations"]["default"], json!({}));
    assert!(dir.join("migrations/default/30_all").exists());
}

#[tokio::test]
async fn metadata_export_diff_apply_and_inconsistencies() {
    let pg = TestCluster::start("app").await;
    let server = engine(&pg).await;
    pg.client("app").await.batch_execute(INIT_UP).await.unwrap();
    metadata(
        &server,
        json!({"type": "replace_metadata", "args": sample_metadata()}),
    )
    .await;
    let p = project(&server.url(""));
    let dir = p.path();
    let (_, err) = cli_ok(dir, &["metadata", "export"]).await;
    assert!(err.contains("Metadata exported"), "{err}");
    for f in [
        "version.yaml",
        "databases/databases.yaml",
        "databases/default/tables/tables.yaml",
        "databases/default/tables/public_author.yaml",
        "databases/default/tables/public_article.yaml",
        "actions.yaml",
        "actions.graphql",
        "cron_triggers.yaml",
        "allow_list.yaml",
        "query_collections.yaml",
        "inherited_roles.yaml",
    ] {
        assert!(dir.join("metadata").join(f).exists(), "{f} missing");
    }
    let sdl = std::fs::read_to_string(dir.join("metadata/actions.graphql")).unwrap();
    assert!(
        sdl.contains("login(\n    username: String!\n  ): LoginOutput"),
        "{sdl}"
    );
    // Nothing differs right after an export.
    let (out, err) = cli_ok(dir, &["metadata", "diff"]).await;
    assert!(
        out.is_empty() && err.contains("zero differences found"),
        "{out}{err}"
    );
    // An edit of a table file shows in the diff, and apply sends it.
    let article = dir.join("metadata/databases/default/tables/public_article.yaml");
    let mut text = std::fs::read_to_string(&article).unwrap();
    text.push_str("select_permissions:\n- role: user\n  permission:\n    columns: [id, title]\n    filter: {}\n");
    std::fs::write(&article, text).unwrap();
    let (out, _) = cli_ok(dir, &["metadata", "diff"]).await;
    assert!(
        out.contains("databases/default/tables/public_article.yaml"),
        "{out}"
    );
    assert!(out.contains("+select_permissions:"), "{out}");
    cli_ok(dir, &["metadata", "apply"]).await;
    let md = export(&server).await;
    assert_eq!(
        md["sources"][0]["tables"][1]["select_permissions"][0]["permission"]["columns"],
        json!(["id", "title"])
    );
    // Export then apply is the identity.
    cli_ok(dir, &["metadata", "export"]).await;
    cli_ok(dir, &["metadata", "apply"]).await;
    assert_eq!(export(&server).await, md);
    // A table that is not in the database: applied, reported, listed, dropped.
    write(
        &dir.join("metadata/databases/default/tables/public_ghost.yaml"),
        "table:\n  name: ghost\n  schema: public\n",
    );
    let tables = dir.join("metadata/databases/default/tables/tables.yaml");
    let mut list = std::fs::read_to_string(&tables).unwrap();
    list.push_str("- \"!include public_ghost.yaml\"\n");
    std::fs::write(&tables, list).unwrap();
    let (ok, _, err) = cli(
        dir,
        &["metadata", "apply", "--disallow-inconsistent-metadata"],
    )
    .await;
    assert!(!ok, "{err}");
    let (_, err) = cli_ok(dir, &["metadata", "apply"]).await;
    assert!(err.contains("Metadata is inconsistent"), "{err}");
    let (table, _) = cli_ok(dir, &["metadata", "inconsistency", "list"]).await;
    assert!(table.starts_with("NAME"), "{table}");
    assert!(
        table.contains("ghost") && table.contains("table"),
        "{table}"
    );
    let (json_list, _) = cli_ok(dir, &["metadata", "ic", "list", "-o", "json"]).await;
    let list: Value = serde_json::from_str(&json_list).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let (ok, _, _) = cli(dir, &["metadata", "ic", "status"]).await;
    assert!(!ok);
    cli_ok(dir, &["metadata", "ic", "drop"]).await;
    cli_ok(dir, &["metadata", "ic", "status"]).await;
    // A broken YAML file is named with its line.
    std::fs::write(&article, "table:\n  name: [article\n").unwrap();
    let (ok, _, err) = cli(dir, &["metadata", "apply"]).await;
    assert!(!ok);
    assert!(
        err.contains("public_article.yaml") && err.contains("line"),
        "{err}"
    );
    // reload and clear.
    let (_, err) = cli_ok(dir, &["metadata", "reload"]).await;
    assert!(err.contains("Metadata reloaded"), "{err}");
    cli_ok(dir, &["metadata", "clear"]).await;
    assert!(export(&server).await["sources"][0]["tables"]
        .as_array()
        .is_none_or(|t| t.is_empty()));
}

#[tokio::test]
async fn serve_applies_a_project_before_it_serves_and_init_makes_one() {
    let pg = TestCluster::start("app").await;
    let p = project("http://127.0.0.1:1");
    let dir = p.path();
    migration(dir, "1_init", INIT_UP, "");
    let md = sample_metadata();
    rasura_project::layout::write(
        &dir.join("metadata"),
        &rasura_project::layout::export(&md).unwrap(),
    )
    .unwrap();
    let url = pg.url("app");
    let dir_arg = dir.display().to_string();
    let server = TestServer::start(
        Path::new(BIN),
        &["--database-url", &url, "--project", &dir_arg],
        &[("PG_DATABASE_URL", url.as_str())],
    )
    .await;
    // The first answer already has the project's tables and metadata.
    let rows = server.graphql("{ author { id } }", json!({})).await;
    assert_eq!(rows["data"]["author"], json!([]), "{rows}");
    let inconsistent = metadata(
        &server,
        json!({"type": "get_inconsistent_metadata", "args": {}}),
    )
    .await;
    assert_eq!(inconsistent["is_consistent"], true, "{inconsistent}");
    assert!(server.log_text().contains("project applied"));
    // `init` against it: a project with the engine's metadata and an init migration from the
    // server's schema, marked applied.
    let parent = tempfile::tempdir().unwrap();
    let endpoint = server.url("");
    let (_, err) = cli_ok(parent.path(), &["init", "app", "--endpoint", &endpoint]).await;
    assert!(err.contains("project created"), "{err}");
    let app: PathBuf = parent.path().join("app");
    let config = std::fs::read_to_string(app.join("config.yaml")).unwrap();
    assert!(
        config.starts_with("version: 3\n") && config.contains(&endpoint),
        "{config}"
    );
    assert!(app
        .join("metadata/databases/default/tables/public_author.yaml")
        .exists());
    let inits: Vec<_> = std::fs::read_dir(app.join("migrations/default"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(inits.len(), 1);
    let up = std::fs::read_to_string(inits[0].path().join("up.sql")).unwrap();
    assert!(up.contains("CREATE TABLE public.author"), "{up}");
    let (status, _) = cli_ok(&app, &["migrate", "status"]).await;
    assert!(
        status
            .lines()
            .any(|l| l.contains("init") && l.trim_end().ends_with("Present        Present")),
        "{status}"
    );
    // `init` refuses a directory that is a project already.
    let (ok, _, err) = cli(parent.path(), &["init", "app"]).await;
    assert!(!ok && err.contains("already"), "{err}");
}

#[tokio::test]
async fn catalog_state_is_kept_apart_from_the_metadata() {
    let pg = TestCluster::start("app").await;
    let server = engine(&pg).await;
    let before = metadata(
        &server,
        json!({"type": "export_metadata", "version": 2, "args": {}}),
    )
    .await;
    let state = metadata(&server, json!({"type": "get_catalog_state", "args": {}})).await;
    assert!(
        state["id"].as_str().is_some_and(|id| id.len() == 36),
        "{state}"
    );
    assert_eq!(
        (&state["cli_state"], &state["console_state"]),
        (&json!({}), &json!({}))
    );
    let ok = metadata(
        &server,
        json!({"type": "set_catalog_state", "args": {"type": "console", "state": {"onboardingShown": true}}}),
    )
    .await;
    assert_eq!(ok, json!({"message": "success"}));
    let state = metadata(&server, json!({"type": "get_catalog_state", "args": {}})).await;
    assert_eq!(state["console_state"], json!({"onboardingShown": true}));
    assert_eq!(state["cli_state"], json!({}));
    let after = metadata(
        &server,
        json!({"type": "export_metadata", "version": 2, "args": {}}),
    )
    .await;
    assert_eq!(before["resource_version"], after["resource_version"]);
    let (status, body) = server
        .post(
            "/v1/metadata",
            &json!({"type": "set_catalog_state", "args": {"type": "other", "state": {}}}),
            &[],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "parse-failed");
}

#[tokio::test]
async fn a_migration_marked_no_transaction_runs_outside_one() {
    let pg = TestCluster::start("app").await;
    let server = engine(&pg).await;
    let p = project(&server.url(""));
    let dir = p.path();
    migration(dir, "1_t", "CREATE TABLE t (a int, b int);", "");
    migration(
        dir,
        "2_index",
        "-- hasura:no-transaction\nCREATE INDEX CONCURRENTLY t_a ON t (a);\nCREATE INDEX CONCURRENTLY t_ab ON t (a, b);\n",
        "",
    );
    cli_ok(dir, &["migrate", "apply"]).await;
    let c = pg.client("app").await;
    let n: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_indexes WHERE tablename = 't' AND indexname IN ('t_a', 't_ab')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 2);
    // Without the marker the file runs in a transaction, where PostgreSQL refuses it.
    migration(
        dir,
        "3_unmarked",
        "CREATE INDEX CONCURRENTLY t_b ON t (b);",
        "",
    );
    let (ok, _, err) = cli(dir, &["migrate", "apply"]).await;
    assert!(!ok);
    assert!(
        err.contains("3_unmarked") && err.contains("transaction block"),
        "{err}"
    );
    // `--no-transaction` runs every file so.
    cli_ok(dir, &["migrate", "apply", "--no-transaction"]).await;
    // Inside a bulk, outside-a-transaction is refused rather than ignored.
    let (status, body) = server
        .post(
            "/v2/query",
            &json!({"type": "bulk", "args": [{"type": "run_sql", "args": {"sql": "SELECT 1", "no_transaction": true}}]}),
            &[],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "not-supported");
}

#[tokio::test]
async fn engines_started_together_apply_a_project_once() {
    let pg = TestCluster::start("app").await;
    let p = project("http://127.0.0.1:1");
    let dir = p.path();
    // Not idempotent: a second run would fail on the existing table.
    migration(dir, "1_init", INIT_UP, "");
    migration(
        dir,
        "2_rows",
        "INSERT INTO author (name) VALUES ('once');",
        "",
    );
    let md = sample_metadata();
    rasura_project::layout::write(
        &dir.join("metadata"),
        &rasura_project::layout::export(&md).unwrap(),
    )
    .unwrap();
    let url = pg.url("app");
    let dir_arg = dir.display().to_string();
    let args = [
        "--database-url",
        url.as_str(),
        "--project",
        dir_arg.as_str(),
    ];
    let env = [("PG_DATABASE_URL", url.as_str())];
    let (a, b) = tokio::join!(
        TestServer::start(Path::new(BIN), &args, &env),
        TestServer::start(Path::new(BIN), &args, &env),
    );
    for s in [&a, &b] {
        let rows = s.graphql("{ author { name } }", json!({})).await;
        assert_eq!(rows["data"]["author"], json!([{"name": "once"}]), "{rows}");
    }
}

#[tokio::test]
async fn a_project_with_two_databases_deploys_migrates_and_seeds_each() {
    let pg = TestCluster::start("app").await;
    pg.cluster.create_database("two").await.unwrap();
    let (app, two) = (pg.url("app"), pg.url("two"));
    let server = TestServer::start(
        Path::new(BIN),
        &["--database-url", &app],
        &[
            ("PG_DATABASE_URL", app.as_str()),
            ("TWO_DATABASE_URL", two.as_str()),
        ],
    )
    .await;
    let p = project(&server.url(""));
    let dir = p.path();
    migration(
        dir,
        "1700000000000_init",
        INIT_UP,
        "DROP TABLE article; DROP TABLE author;",
    );
    let m = dir.join("migrations/two/1700000000005_books");
    write(
        &m.join("up.sql"),
        "CREATE TABLE book (id serial PRIMARY KEY, title text NOT NULL, author_id int);",
    );
    write(&m.join("down.sql"), "DROP TABLE book;");
    write(
        &dir.join("seeds/two/1700000000006_books.sql"),
        "INSERT INTO book (title, author_id) VALUES ('war', 1), ('peace', 1);",
    );
    let remote = rasura_test_support::graphql_remote::writers().await;
    let mut md = sample_metadata();
    md["remote_schemas"] = json!([{"name": "writers",
        "definition": {"url": remote, "timeout_seconds": 60},
        "remote_relationships": [{"type_name": "Writer", "relationships": [{"name": "author",
            "definition": {"to_source": {"source": "default", "table": {"schema": "public", "name": "author"},
                "relationship_type": "object", "field_mapping": {"id": "id"}}}}]}]}]);
    md["sources"].as_array_mut().unwrap().push(json!({
        "name": "two", "kind": "postgres",
        "configuration": {"connection_info": {"database_url": {"from_env": "TWO_DATABASE_URL"}}},
        "customization": {"root_fields": {"prefix": "two_"}, "type_names": {"prefix": "Two_"}},
        "tables": [{"table": {"schema": "public", "name": "book"},
            "select_permissions": [{"role": "user", "permission": {"columns": ["title"],
                "filter": {"author_id": {"_eq": "X-Hasura-User-Id"}}}}]}]
    }));
    rasura_project::layout::write(
        &dir.join("metadata"),
        &rasura_project::layout::export(&md).unwrap(),
    )
    .unwrap();
    assert!(dir
        .join("metadata/databases/two/tables/public_book.yaml")
        .exists());
    let (_, err) = cli_ok(dir, &["deploy", "--with-seeds"]).await;
    assert!(err.contains("applied 1700000000005_books (up)"), "{err}");
    assert!(err.contains("Metadata is consistent"), "{err}");
    let deployed = export(&server).await;
    // Both databases and the remote schema are served, each with its own tables, seeds and
    // permissions.
    let r = server
        .graphql(
            "{ author { name } two_book(order_by: {id: asc}) { title } writers { id author { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r["data"]["two_book"],
        json!([{"title": "war"}, {"title": "peace"}]),
        "{r}"
    );
    assert_eq!(r["data"]["author"], json!([]), "{r}");
    assert_eq!(
        r["data"]["writers"][0],
        json!({"id": 1, "author": null}),
        "{r}"
    );
    assert!(dir.join("metadata/remote_schemas.yaml").exists());
    let (_, r) = server
        .post(
            "/v1/graphql",
            &json!({"query": "{ two_book { title } }"}),
            &[("x-hasura-role", "user"), ("x-hasura-user-id", "2")],
        )
        .await;
    assert_eq!(r["data"]["two_book"], json!([]), "{r}");
    // The same JSON through replace_metadata.
    metadata(&server, json!({"type": "replace_metadata", "args": md})).await;
    assert_eq!(deployed, export(&server).await);
    // Each database's migrations, in the Hasura CLI's state.
    let (status, _) = cli_ok(dir, &["migrate", "status", "--database-name", "two"]).await;
    assert!(status.contains("Database: two"), "{status}");
    let line = status
        .lines()
        .find(|l| l.starts_with("1700000000005  books"))
        .unwrap_or_else(|| panic!("{status}"));
    assert!(line.ends_with("Present        Present"), "{line:?}");
    let state = metadata(&server, json!({"type": "get_catalog_state", "args": {}})).await;
    assert_eq!(
        state["cli_state"]["migrations"]["two"],
        json!({"1700000000005": false})
    );
    assert_eq!(
        state["cli_state"]["migrations"]["default"],
        json!({"1700000000000": false})
    );
    // Exported, both databases have their files; the directory then matches the server.
    std::fs::remove_dir_all(dir.join("metadata")).unwrap();
    cli_ok(dir, &["metadata", "export"]).await;
    assert!(dir
        .join("metadata/databases/two/tables/public_book.yaml")
        .exists());
    let (out, _) = cli_ok(dir, &["metadata", "diff"]).await;
    assert!(
        out.contains("zero differences found") || out.is_empty(),
        "{out}"
    );
    // A second deploy changes nothing.
    let (_, err) = cli_ok(dir, &["deploy"]).await;
    assert!(err.contains("nothing to apply on database: two"), "{err}");
    assert_eq!(deployed, export(&server).await);
}
