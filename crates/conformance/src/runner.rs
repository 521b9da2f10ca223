//! Runs the corpus: one database and one `rasura serve` per folder (started with the folder's
//! `server_env`), with setup and teardown files posted to their endpoints around the tests as
//! the corpus README describes.

use std::any::Any;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rasura_test_support::{TestCluster, TestServer};
use serde_json::Value;

use crate::case::parse_cases;
use crate::compare::Verdict;
use crate::manifest::{Class, FixtureFile, Folder, TestRef};
use crate::yaml;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// What a folder run covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run {
    /// Fixtures around the test files; the test files are counted.
    Tests,
    /// Setup and teardown files only; they are counted.
    SetupOnly,
}

/// One counted file: a test file run, or a setup/teardown file posted.
pub struct FileResult {
    pub name: String,
    pub verdict: Verdict,
    /// A setup/teardown file that the corpus README expects to be refused.
    pub known_broken: bool,
    /// A test file upstream expects to fail.
    pub expected_failure: bool,
    /// On the committed list of known failures (with its cause).
    pub known: Option<&'static str>,
}

impl FileResult {
    /// A failure that nobody expects: it fails the run.
    pub fn unexpected_failure(&self) -> bool {
        matches!(self.verdict, Verdict::Fail(_))
            && !self.known_broken
            && !self.expected_failure
            && self.known.is_none()
    }
}

pub struct FolderResult {
    pub dir: String,
    /// Whether every class-level setup file was accepted.
    pub setup_ok: bool,
    /// Non-fatal problems: refused teardowns, missing extensions, a server that exited.
    pub warnings: Vec<String>,
    pub files: Vec<FileResult>,
}

/// The shared PostgreSQL cluster, the rasura binary and the corpus directory.
pub struct Env {
    cluster: TestCluster,
    bin: PathBuf,
    corpus: PathBuf,
    pub postgis_available: bool,
}

impl Env {
    /// Starts the cluster; `corpus` is the `conformance/hasura` directory.
    pub async fn start(bin: PathBuf, corpus: PathBuf) -> Result<Env, String> {
        let cluster = catch(TestCluster::start("postgres"))
            .await
            .map_err(|e| format!("the PostgreSQL cluster did not start: {e}"))?;
        let client = cluster.client("postgres").await;
        let postgis_available = client
            .query_opt(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'",
                &[],
            )
            .await
            .is_ok_and(|row| row.is_some());
        Ok(Env {
            cluster,
            bin,
            corpus,
            postgis_available,
        })
    }
}

/// Runs one folder in a fresh database `db` with its own rasura server.
pub async fn run_folder(env: &Env, db: &str, folder: &Folder, run: Run) -> FolderResult {
    let mut result = FolderResult {
        dir: folder.dir.clone(),
        setup_ok: true,
        warnings: Vec::new(),
        files: Vec::new(),
    };
    if folder.requires.iter().any(|r| r == "postgis") && !env.postgis_available {
        result
            .warnings
            .push("needs PostGIS, which is not installed".to_string());
    }
    let mut server = match start_folder(env, db, folder, &mut result.warnings).await {
        Ok(server) => server,
        Err(e) => {
            result.setup_ok = false;
            result.files = planned_files(folder, run)
                .into_iter()
                .map(|(name, file)| FileResult {
                    known: folder.known_failure(&file),
                    name,
                    verdict: Verdict::Fail(e.clone()),
                    known_broken: false,
                    expected_failure: false,
                })
                .collect();
            return result;
        }
    };
    let dir = folder.path(&env.corpus);
    for class in &folder.classes {
        match run {
            Run::Tests => run_class(&server, &dir, folder, class, &mut result).await,
            Run::SetupOnly => run_fixtures_only(&server, &dir, folder, class, &mut result).await,
        }
    }
    if let Ok(Some(status)) = server.child.try_wait() {
        result
            .warnings
            .push(format!("rasura exited ({status}) during the run"));
    }
    result
}

/// Creates the database and its extensions, then starts rasura on it.
async fn start_folder(
    env: &Env,
    db: &str,
    folder: &Folder,
    warnings: &mut Vec<String>,
) -> Result<TestServer, String> {
    env.cluster
        .cluster
        .create_database(db)
        .await
        .map_err(|e| format!("CREATE DATABASE {db} failed: {e}"))?;
    let client = env.cluster.client(db).await;
    let mut extensions = vec!["postgis", "citext"];
    extensions.extend(folder.required_extensions());
    extensions.dedup();
    for ext in extensions {
        if ext.starts_with("postgis") && !env.postgis_available {
            continue;
        }
        let sql = format!("CREATE EXTENSION IF NOT EXISTS {ext}");
        if let Err(e) = client.batch_execute(&sql).await {
            warnings.push(format!("{sql}: {e}"));
        }
    }
    for schema in folder.required_schemas() {
        let sql = format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"");
        if let Err(e) = client.batch_execute(&sql).await {
            warnings.push(format!("{sql}: {e}"));
        }
    }
    drop(client);
    let bin = env.bin.clone();
    let url = env.cluster.url(db);
    let server_env = folder.env();
    catch(async move {
        let server_env: Vec<(&str, &str)> = server_env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        TestServer::start(
            &bin,
            &["--database-url", &url, "--stringify-numeric-types"],
            &server_env,
        )
        .await
    })
    .await
    .map_err(|e| format!("rasura did not start: {}", e.lines().next().unwrap_or("")))
}

/// Class setup, then each HTTP test wrapped in its per-test fixtures, then class teardown.
async fn run_class(
    server: &TestServer,
    dir: &Path,
    folder: &Folder,
    class: &Class,
    result: &mut FolderResult,
) {
    let fixture = class.fixture(folder.mode);
    let setup = post_fixtures(server, dir, folder, fixture.before_class).await;
    for test in http_tests(class) {
        let name = file_name(folder, class, &test.file);
        let verdict = match &setup {
            Err(e) => Verdict::Fail(format!("class setup refused: {e}")),
            Ok(()) => match post_fixtures(server, dir, folder, fixture.before_test).await {
                Err(e) => Verdict::Fail(format!("test setup refused: {e}")),
                Ok(()) => run_test_file(server, &dir.join(&test.file)).await,
            },
        };
        if setup.is_ok() {
            if let Err(e) = post_fixtures(server, dir, folder, fixture.after_test).await {
                result.warnings.push(format!("after {name}: {e}"));
            }
        }
        result.files.push(FileResult {
            name,
            verdict,
            known_broken: false,
            expected_failure: folder.is_expected_failure(&test.file),
            known: folder.known_failure(&test.file),
        });
    }
    if let Err(e) = &setup {
        result.setup_ok = false;
        result
            .warnings
            .push(format!("class {} setup: {e}", class.name));
    }
    if let Err(e) = post_fixtures(server, dir, folder, fixture.after_class).await {
        result
            .warnings
            .push(format!("class {} teardown: {e}", class.name));
    }
}

/// Posts every setup and teardown file of the class once, in run order, counting each.
async fn run_fixtures_only(
    server: &TestServer,
    dir: &Path,
    folder: &Folder,
    class: &Class,
    result: &mut FolderResult,
) {
    let fixture = class.fixture(folder.mode);
    for file in fixture.files() {
        let verdict = match post_fixture(server, dir, file).await {
            Ok(()) => Verdict::Pass,
            Err(e) => Verdict::Fail(e),
        };
        if fixture.before_class.contains(file) && verdict != Verdict::Pass {
            result.setup_ok = false;
        }
        result.files.push(FileResult {
            name: file_name(folder, class, file.file()),
            verdict,
            known_broken: folder.is_known_broken(file.file()),
            expected_failure: false,
            known: folder.known_failure(file.file()),
        });
    }
}

/// What a folder would count, for when it cannot run at all: (name shown, file).
fn planned_files(folder: &Folder, run: Run) -> Vec<(String, String)> {
    let mut names = Vec::new();
    for class in &folder.classes {
        let named = |f: &str| (file_name(folder, class, f), f.to_string());
        match run {
            Run::Tests => names.extend(http_tests(class).map(|t| named(&t.file))),
            Run::SetupOnly => {
                names.extend(class.fixture(folder.mode).files().map(|f| named(f.file())))
            }
        }
    }
    names
}

fn http_tests(class: &Class) -> impl Iterator<Item = &TestRef> {
    class.tests.iter().filter(|t| t.runs_over_http())
}

/// The file name, tagged with the class when the folder has several.
fn file_name(folder: &Folder, class: &Class, file: &str) -> String {
    if folder.classes.len() > 1 {
        format!("{file} [{}]", class.name)
    } else {
        file.to_string()
    }
}

/// Posts fixture files in order; stops at the first refusal.
async fn post_fixtures(
    server: &TestServer,
    dir: &Path,
    folder: &Folder,
    files: &[FixtureFile],
) -> Result<(), String> {
    for file in files {
        post_fixture(server, dir, file).await.map_err(|e| {
            let known = if folder.is_known_broken(file.file()) {
                " (known broken)"
            } else {
                ""
            };
            format!("{}{known}: {e}", file.file())
        })?;
    }
    Ok(())
}

/// Posts one setup or teardown file to its endpoint; anything but HTTP 200 is a refusal.
async fn post_fixture(server: &TestServer, dir: &Path, file: &FixtureFile) -> Result<(), String> {
    let body = yaml::load(&dir.join(file.file()))?;
    match post(server, file.url(), &body, &[]).await? {
        (200, _) => Ok(()),
        (status, resp) => Err(format!("HTTP {status} {resp}")),
    }
}

/// Runs every case of a test file in order. All cases run even after a failure, so that
/// restoring steps (e.g. undoing an `ALTER TABLE`) still happen; the first failure is reported.
async fn run_test_file(server: &TestServer, path: &Path) -> Verdict {
    let cases = match yaml::load(path).and_then(|doc| parse_cases(&doc)) {
        Ok(cases) => cases,
        Err(e) => return Verdict::Fail(e),
    };
    let (mut fail, mut soft) = (None, None);
    for (i, case) in cases.iter().enumerate() {
        let label = if cases.len() > 1 {
            format!("case {}/{}: ", i + 1, cases.len())
        } else {
            String::new()
        };
        let verdict = match post(server, &case.url, &case.query, &case.headers).await {
            Ok((status, body)) => case.check(status, &body),
            Err(e) => Verdict::Fail(e),
        };
        match verdict {
            Verdict::Pass => {}
            Verdict::Soft(d) => {
                soft.get_or_insert(label + &d);
            }
            Verdict::Fail(d) => {
                fail.get_or_insert(label + &d);
            }
        }
    }
    match (fail, soft) {
        (Some(d), _) => Verdict::Fail(d),
        (None, Some(d)) => Verdict::Soft(d),
        (None, None) => Verdict::Pass,
    }
}

/// POSTs JSON with headers; a transport error is an `Err`, any HTTP answer is `Ok`.
async fn post(
    server: &TestServer,
    path: &str,
    body: &Value,
    headers: &[(String, String)],
) -> Result<(u16, Value), String> {
    let mut req = server
        .http
        .post(server.url(path))
        .json(body)
        .timeout(REQUEST_TIMEOUT);
    for (name, value) in headers {
        req = req.header(name.as_str(), value.as_str());
    }
    let resp = req
        .send()
        .await
        .map_err(|e| format!("request to {path} failed: {e}"))?;
    let status = resp.status().as_u16();
    let text = resp
        .text()
        .await
        .map_err(|e| format!("reading the answer from {path} failed: {e}"))?;
    Ok((
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    ))
}

/// Runs a future that may panic (the test-support helpers panic on failure) and returns the
/// panic message as an error.
async fn catch<T: Send + 'static>(
    fut: impl Future<Output = T> + Send + 'static,
) -> Result<T, String> {
    tokio::spawn(fut)
        .await
        .map_err(|e| match e.try_into_panic() {
            Ok(payload) => panic_text(payload.as_ref()),
            Err(e) => e.to_string(),
        })
}

/// The message of a panic payload.
pub fn panic_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        "panicked".to_string()
    }
}
