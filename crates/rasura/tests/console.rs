//! The web console: served at `/console` by the engine (deep links load the page, assets are
//! cached for good, `/` goes there), off by default with a database URL, on with
//! `--enable-console`; the Codegen tab's scaffolds for admin only; `rasura console` serving it
//! against another engine. The console must be built (`scripts/build-console.sh`, run by the
//! setup script): these tests fail, saying so, when it is not.

use std::path::Path;
use std::time::{Duration, Instant};

use rasura_test_support::{TestCluster, TestServer};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The page of a console URL; fails clearly when the console is not built.
async fn page(url: &str) -> (u16, String) {
    let r = reqwest::get(url).await.expect("request");
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    assert!(
        !text.contains("not built into this binary"),
        "the console is not built: run scripts/build-console.sh (scripts/setup.sh does)"
    );
    (status, text)
}

/// The first `/console/assets/...` file a page loads.
fn first_asset(html: &str) -> String {
    let at = html
        .find("/console/assets/")
        .expect("the page loads assets");
    let rest = &html[at..];
    rest[..rest.find('"').expect("quoted")].to_string()
}

#[tokio::test]
async fn the_engine_serves_the_console() {
    let pg = TestCluster::start("app").await;
    let url = pg.url("app");
    // With a database URL the console is off unless asked for, as in Hasura.
    let off = TestServer::start(Path::new(BIN), &["--database-url", url.as_str()], &[]).await;
    let r = reqwest::get(off.url("/console")).await.expect("request");
    assert_eq!(r.status(), 404);
    drop(off);

    let s = TestServer::start(
        Path::new(BIN),
        &[
            "--database-url",
            url.as_str(),
            "--enable-console",
            "--admin-secret",
            "s3cret",
        ],
        &[],
    )
    .await;
    let r = no_redirects()
        .get(s.url("/"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 307);
    assert_eq!(r.headers()["location"], "/console");
    // Deep links load the page; the engine it talks to is the origin that served it.
    let (status, html) = page(&s.url("/console/data/default/schema/public/tables/t/browse")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("<meta name=\"rasura-endpoint\" content=\"\""),
        "{html}"
    );
    for path in ["/console", "/console/"] {
        let (_, root) = page(&s.url(path)).await;
        assert_eq!(root, html, "{path}");
    }
    let asset = first_asset(&html);
    let r = reqwest::get(s.url(&asset)).await.expect("asset");
    assert_eq!(r.status(), 200, "{asset}");
    assert!(r.headers()["cache-control"]
        .to_str()
        .expect("text")
        .contains("immutable"));
    // Browsers that take gzip get the copy the build compressed (the client here does not
    // decompress: the bytes are gzip's).
    assert!(asset.ends_with(".js") || asset.ends_with(".css"), "{asset}");
    let r = reqwest::Client::new()
        .get(s.url(&asset))
        .header("accept-encoding", "gzip, deflate")
        .send()
        .await
        .expect("asset");
    assert_eq!(
        r.headers().get("content-encoding").map(|v| v.as_bytes()),
        Some(&b"gzip"[..]),
        "no gzip copy of {asset}: build the console with scripts/build-console.sh"
    );
    let zipped = r.bytes().await.expect("body");
    assert_eq!(&zipped[..2], &[0x1f, 0x8b]);
    let r = reqwest::get(s.url("/console/assets/missing-0000.js"))
        .await
        .expect("request");
    assert_eq!(r.status(), 404);

    // The Codegen tab: the scaffold `rasura codegen` writes, for admin only.
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "bulk", "args": [
                {"type": "set_custom_types", "args": {"objects": [
                    {"name": "LoginResponse", "fields": [{"name": "AccessToken", "type": "String!"}]}]}},
                {"type": "create_action", "args": {"name": "login", "definition": {
                    "kind": "synchronous", "handler": "http://127.0.0.1:9/login",
                    "arguments": [{"name": "username", "type": "String!"},
                                  {"name": "password", "type": "String!"}],
                    "output_type": "LoginResponse"}}}]}),
            &[("x-hasura-admin-secret", "s3cret")],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let http = reqwest::Client::new();
    let codegen = s.url("/console/api/codegen/login/python-fast-api");
    let r = http.get(&codegen).send().await.expect("request");
    assert_eq!(r.status(), 401);
    let r = http
        .get(&codegen)
        .header("x-hasura-admin-secret", "s3cret")
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
    let code = r.text().await.expect("body");
    assert!(code.contains("class LoginResponse"), "{code}");
    assert!(code.contains("AccessToken"), "{code}");
    let r = http
        .get(s.url("/console/api/codegen/nope/rust-axum"))
        .header("x-hasura-admin-secret", "s3cret")
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 400);
}

/// `rasura console --endpoint <engine>`: the same page on a port of its own, told the engine's
/// URL and (from the flag, as from a project's config.yaml) the admin secret.
#[tokio::test]
async fn rasura_console_serves_it_for_another_engine() {
    let port = rasura_cluster::free_port().expect("free port");
    let mut child = std::process::Command::new(BIN)
        .args([
            "console",
            "--endpoint",
            "http://127.0.0.1:18123/",
            "--admin-secret",
            "s\"3",
            "--console-port",
            &port.to_string(),
        ])
        .current_dir(std::env::temp_dir())
        .stdin(std::process::Stdio::null())
        .spawn()
        .expect("start rasura console");
    let url = format!("http://127.0.0.1:{port}/console/api/api-explorer");
    let started = Instant::now();
    let html = loop {
        if let Ok(r) = reqwest::get(&url).await {
            break r.text().await.expect("body");
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "rasura console did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        html.contains("<meta name=\"rasura-endpoint\" content=\"http://127.0.0.1:18123\""),
        "{html}"
    );
    assert!(
        html.contains("<meta name=\"rasura-admin-secret\" content=\"s&quot;3\">"),
        "{html}"
    );
}

/// The browser test's driver and browser, checked present (`scripts/setup.sh` installs both).
fn browser_parts() -> (std::path::PathBuf, String) {
    let e2e = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../console/e2e");
    assert!(
        e2e.join("node_modules/puppeteer-core").exists(),
        "puppeteer-core is not installed in console/e2e: run scripts/setup.sh"
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "no Chromium at {chromium}: run scripts/setup.sh (Debian's chromium package)"
    );
    (e2e, chromium)
}

/// An engine for the browser tests (admin secret `s3cret`; requests without credentials are
/// role `user`) with the tutorial's own backend.
async fn engine_and_backend(
    pg: &TestCluster,
    env: &[(&str, &str)],
) -> (TestServer, rasura_test_support::PythonBackend) {
    let url = pg.url("app");
    let s = TestServer::start(
        Path::new(BIN),
        &[
            "--database-url",
            url.as_str(),
            "--enable-console",
            "--admin-secret",
            "s3cret",
            "--unauthorized-role",
            "user",
        ],
        env,
    )
    .await;
    let Some(backend) = rasura_test_support::PythonBackend::start(&s.url("/v1/graphql")).await
    else {
        panic!("../shared/interop/seed-python-backend not found: the tutorial's backend is needed");
    };
    (s, backend)
}

/// Runs `console/e2e/<script>` against the engine; fails with its output (and the engine's
/// and backend's) unless every step passed. Screenshots go to `docs/console/` with
/// `RASURA_UPDATE_SCREENSHOTS=1`, else to a temporary directory; answers that directory.
async fn run_browser_script(
    script: &str,
    s: &TestServer,
    backend: &rasura_test_support::PythonBackend,
    tmp: &Path,
) -> std::path::PathBuf {
    let (e2e, chromium) = browser_parts();
    let update = std::env::var("RASURA_UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1");
    let shots = if update {
        e2e.join("../../docs/console")
    } else {
        tmp.to_path_buf()
    };
    let writers = rasura_test_support::graphql_remote::writers().await;
    let out = tokio::process::Command::new("node")
        .arg(script)
        .current_dir(&e2e)
        .env("CONSOLE_URL", s.url("/console"))
        .env("ADMIN_SECRET", "s3cret")
        .env("BACKEND_URL", backend.url(""))
        .env("WRITERS_URL", &writers)
        .env("SCREENSHOTS", &shots)
        .env("CHROMIUM", &chromium)
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(300), out)
        .await
        .expect("the browser test finished within 5 minutes")
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("all steps passed"),
        "{stdout}\n{}\nengine log:\n{}\nbackend:\n{}",
        String::from_utf8_lossy(&out.stderr),
        s.log_text(),
        backend.output()
    );
    shots
}

/// The tutorial done in the console in a real browser (`console/e2e/tutorial.mjs`: Chromium
/// driven by puppeteer-core) against this engine and the tutorial's own backend; then what it
/// did is checked through the API and the database.
#[tokio::test]
async fn the_tutorial_done_in_the_console_in_a_browser() {
    browser_parts();
    let pg = TestCluster::start("app").await;
    let (s, backend) = engine_and_backend(&pg, &[]).await;
    let tmp = tempfile::tempdir().expect("temp dir");
    let shots = run_browser_script("tutorial.mjs", &s, &backend, tmp.path()).await;
    for page in [
        "api-explorer",
        "data-permissions",
        "events-processed",
        "actions-codegen",
    ] {
        assert!(shots.join(format!("{page}.png")).exists(), "{page}.png");
    }

    // What the browser did, seen from the API and the database.
    let admin = [("x-hasura-admin-secret", "s3cret")];
    let (_, md) = s
        .post(
            "/v1/metadata",
            &json!({"type": "export_metadata", "args": {}}),
            &admin,
        )
        .await;
    let table = &md["sources"][0]["tables"][0];
    assert_eq!(
        table["table"],
        json!({"schema": "public", "name": "user"}),
        "{md}"
    );
    assert_eq!(
        table["select_permissions"][0]["permission"]["filter"],
        json!({"name": {"_eq": "Ada Lovelace"}}),
        "{md}"
    );
    assert_eq!(table["event_triggers"][0]["name"], "user_created", "{md}");
    assert_eq!(md["actions"][0]["name"], "login", "{md}");
    assert_eq!(md["remote_schemas"][0]["name"], "hello", "{md}");
    let client = pg.client("app").await;
    let delivered: i64 = client
        .query_one(
            "SELECT count(*) FROM hdb_catalog.event_log WHERE delivered",
            &[],
        )
        .await
        .expect("event log")
        .get(0);
    assert_eq!(delivered, 2);
    // The handler printed each new user, then the users it read back as role `user`.
    let printed = backend.output();
    assert!(printed.contains("Charles Babbage"), "{printed}");
    let (_, body) = s
        .post(
            "/v1/graphql",
            &json!({"query": "mutation { login(username: \"username\", password: \"password\") { AccessToken } }"}),
            &admin,
        )
        .await;
    assert_eq!(
        body["data"]["login"]["AccessToken"], "<sample value>",
        "{body}"
    );
}

/// The console's other workflows in a real browser (`console/e2e/workflows.mjs`): tables with
/// a foreign key made in forms and their suggested relationships, rows filtered, edited and
/// deleted, columns altered, permissions built with the row-check builder and previewed,
/// subscriptions and JWT decoding in the explorer, cron and one-off events, remote schema
/// permissions and relationships, metadata export, reload and inconsistencies, an enum table,
/// a computed field and a tracked function, deep links and log out; each
/// checked through the engine's API by the script.
#[tokio::test]
async fn the_console_workflows_in_a_browser() {
    browser_parts();
    let pg = TestCluster::start("app").await;
    let (s, backend) = engine_and_backend(
        &pg,
        &[("HASURA_GRAPHQL_ENABLE_REMOTE_SCHEMA_PERMISSIONS", "true")],
    )
    .await;
    let tmp = tempfile::tempdir().expect("temp dir");
    let shots = run_browser_script("workflows.mjs", &s, &backend, tmp.path()).await;
    assert!(shots.join("data-add-table.png").exists());
}
