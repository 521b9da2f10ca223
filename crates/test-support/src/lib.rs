//! Test support: throwaway PostgreSQL clusters (initdb + pg_ctl on a free port in a temp dir)
//! and a running `rasura` binary to talk to over real HTTP.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rasura_cluster::Cluster;

pub mod graphql_remote;
mod python_backend;
pub mod ws;
pub use python_backend::PythonBackend;
use serde_json::Value;

/// A PostgreSQL cluster that lives as long as this value; stopped and deleted on drop.
pub struct TestCluster {
    pub cluster: Cluster,
    _dir: tempfile::TempDir,
}

impl TestCluster {
    /// Creates and starts a cluster, with database `db` created in it.
    pub async fn start(db: &str) -> TestCluster {
        let (dir, cluster) = Self::place("rasura-test-pg-");
        cluster.init().await.expect("initdb");
        let t = Self::running(dir, cluster).await;
        t.cluster
            .create_database(db)
            .await
            .expect("create database");
        t
    }

    pub fn url(&self, db: &str) -> String {
        self.cluster.url(db)
    }

    /// Creates and starts a streaming read replica of `primary` (a base backup of it).
    pub async fn start_replica_of(primary: &TestCluster) -> TestCluster {
        let (dir, cluster) = Self::place("rasura-test-pg-replica-");
        cluster
            .init_replica_of(&primary.url("postgres"))
            .await
            .expect("pg_basebackup");
        Self::running(dir, cluster).await
    }

    /// A temp dir (open to `postgres`, which the cluster may run as) and a cluster described
    /// in it on a free port.
    fn place(prefix: &str) -> (tempfile::TempDir, Cluster) {
        let dir = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .expect("temp dir");
        allow_traverse(dir.path());
        let port = rasura_cluster::free_port().expect("free port");
        let cluster = Cluster::new(&dir.path().join("data"), port).expect("PostgreSQL binaries");
        (dir, cluster)
    }

    /// Starts `cluster`; another test may take the free port before PostgreSQL binds it, so
    /// another is tried then.
    async fn running(dir: tempfile::TempDir, mut cluster: Cluster) -> TestCluster {
        let mut tries = 0;
        while let Err(e) = cluster.start().await {
            tries += 1;
            let taken = e.to_string().contains("Address already in use");
            assert!(taken && tries < 5, "pg_ctl start: {e:?}");
            cluster.port = rasura_cluster::free_port().expect("free port");
        }
        TestCluster { cluster, _dir: dir }
    }

    /// A plain connection to database `db`, for arranging and checking data.
    pub async fn client(&self, db: &str) -> tokio_postgres::Client {
        let (client, conn) = tokio_postgres::connect(&self.url(db), tokio_postgres::NoTls)
            .await
            .expect("connect");
        tokio::spawn(conn);
        client
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        self.cluster.stop_blocking();
    }
}

fn allow_traverse(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755));
}

/// A running `rasura serve`; killed on drop.
pub struct TestServer {
    pub child: Child,
    pub port: u16,
    pub http: reqwest::Client,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts `bin serve` with `args` and `env`, on a free port, and waits for `/healthz`.
    /// Another test may take the free port before the server binds it; another is tried then.
    pub async fn start(bin: &Path, args: &[&str], env: &[(&str, &str)]) -> TestServer {
        let mut tries = 0;
        loop {
            let dir = tempfile::Builder::new()
                .prefix("rasura-test-srv-")
                .tempdir()
                .expect("temp dir");
            allow_traverse(dir.path());
            let port = rasura_cluster::free_port().expect("free port");
            let mut server = Self::spawn(bin, args, env, port, dir);
            match server.wait_healthy(Duration::from_secs(60)).await {
                Ok(()) => return server,
                Err(log) if log.contains("Address already in use") && tries < 5 => tries += 1,
                Err(log) => panic!("{log}"),
            }
        }
    }

    /// As [`TestServer::start`], in a given working directory and port.
    pub async fn start_in(
        bin: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        port: u16,
        dir: tempfile::TempDir,
    ) -> TestServer {
        let mut server = Self::spawn(bin, args, env, port, dir);
        if let Err(log) = server.wait_healthy(Duration::from_secs(60)).await {
            panic!("{log}");
        }
        server
    }

    fn spawn(
        bin: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        port: u16,
        dir: tempfile::TempDir,
    ) -> TestServer {
        let log = dir.path().join(format!("rasura-{port}.log"));
        let out = std::fs::File::create(&log).expect("log file");
        let mut cmd = Command::new(bin);
        cmd.arg("serve").arg("--port").arg(port.to_string());
        // Test servers stay on this machine, whatever the default for a database URL.
        if !args.contains(&"--host") {
            cmd.args(["--host", "127.0.0.1"]);
        }
        cmd.args(args)
            .current_dir(dir.path())
            .env_remove("RASURA_DATABASE_URL")
            .env_remove("HASURA_GRAPHQL_DATABASE_URL")
            .env_remove("RASURA_METADATA_DATABASE_URL")
            .env_remove("HASURA_GRAPHQL_METADATA_DATABASE_URL")
            .env_remove("RASURA_ADMIN_SECRET")
            .env_remove("HASURA_GRAPHQL_ADMIN_SECRET")
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log"))
            .stderr(out);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("spawn rasura");
        TestServer {
            child,
            port,
            http: reqwest::Client::new(),
            log,
            _dir: dir,
        }
    }

    /// Waits for `/healthz`; on failure, what went wrong and the server's log.
    async fn wait_healthy(&mut self, timeout: Duration) -> Result<(), String> {
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "rasura exited with {status}; log:\n{}",
                    self.log_text()
                ));
            }
            if let Ok(r) = self.http.get(self.url("/healthz")).send().await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            if start.elapsed() > timeout {
                return Err(format!(
                    "rasura did not answer /healthz in {timeout:?}; log:\n{}",
                    self.log_text()
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    /// The server's working directory (where an embedded cluster keeps `.rasura`).
    pub fn dir(&self) -> &Path {
        self._dir.path()
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// POSTs JSON to `path` with `headers`; returns the status and the JSON body.
    pub async fn post(&self, path: &str, body: &Value, headers: &[(&str, &str)]) -> (u16, Value) {
        let mut req = self.http.post(self.url(path)).json(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    /// POSTs a GraphQL request to `/v1/graphql` as admin; asserts HTTP 200 and returns the body.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        let body = serde_json::json!({"query": query, "variables": variables});
        let (status, body) = self.post("/v1/graphql", &body, &[]).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// POSTs raw bytes to `path`.
    pub async fn post_raw(&self, path: &str, body: &str) -> (u16, Value) {
        let resp = self
            .http
            .post(self.url(path))
            .body(body.to_string())
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Sends SIGTERM and waits for the process to exit; returns whether it exited cleanly.
    pub fn terminate(&mut self) -> bool {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        false
    }

    /// Gives the working directory back (to restart a server in the same place).
    pub fn into_dir(mut self) -> tempfile::TempDir {
        if let Ok(None) = self.child.try_wait() {
            self.terminate();
        }
        let dir = tempfile::Builder::new().tempdir().expect("temp dir");
        std::mem::replace(&mut self._dir, dir)
    }
}

impl Drop for TestServer {
    /// A polite stop, so that an embedded cluster is shut down with the server.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.terminate();
        }
    }
}

/// A request seen by an [`http_stub`].
#[derive(Debug, Clone)]
pub struct StubRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    pub path: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The body's bytes, as sent (for bodies that are not text, such as protobuf).
    pub raw_body: Vec<u8>,
}

impl StubRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A stub's answer: status, extra headers, body (sent as JSON).
pub type StubResponse = (u16, Vec<(String, String)>, String);

/// A real HTTP server on 127.0.0.1 for webhooks, handlers and key sets: every request is passed
/// to `answer` (which may sleep, to play a slow upstream). Returns the base URL.
pub async fn http_stub<F, Fut>(answer: F) -> String
where
    F: Fn(StubRequest) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = StubResponse> + Send + 'static,
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let answer = std::sync::Arc::new(answer);
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                let (head, body) = loop {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).to_string();
                    let len = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + len {
                        break (head, buf[end + 4..end + 4 + len].to_vec());
                    }
                };
                let mut lines = head.lines();
                let mut first = lines.next().unwrap_or_default().split(' ');
                let method = first.next().unwrap_or_default().to_string();
                let path = first.next().unwrap_or_default().to_string();
                let headers = lines
                    .filter_map(|l| {
                        l.split_once(':')
                            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                    })
                    .collect();
                let (status, extra, reply) = answer(StubRequest {
                    method,
                    path,
                    headers,
                    body: String::from_utf8_lossy(&body).to_string(),
                    raw_body: body,
                })
                .await;
                let mut resp = format!("HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n", reply.len());
                for (k, v) in extra {
                    resp.push_str(&format!("{k}: {v}\r\n"));
                }
                resp.push_str("\r\n");
                resp.push_str(&reply);
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}")
}

/// An HS256 JWT of `claims` signed with `key`, made without any JWT library (base64 and
/// OpenSSL's HMAC: header.claims.signature), for tests of JWT sessions.
pub fn hs256(claims: &Value, key: &str) -> String {
    use std::io::Write;
    let b64 = |b: &[u8]| {
        let mut c = Command::new("base64")
            .args(["-w", "0"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("base64");
        c.stdin
            .take()
            .expect("stdin")
            .write_all(b)
            .expect("written");
        let out = String::from_utf8(c.wait_with_output().expect("base64 output").stdout)
            .expect("base64 text");
        out.trim()
            .trim_end_matches('=')
            .replace('+', "-")
            .replace('/', "_")
    };
    let signing_input = format!(
        "{}.{}",
        b64(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64(claims.to_string().as_bytes())
    );
    let mut c = Command::new("openssl")
        .args([
            "dgst",
            "-sha256",
            "-mac",
            "HMAC",
            "-macopt",
            &format!("key:{key}"),
            "-binary",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("openssl");
    c.stdin
        .take()
        .expect("stdin")
        .write_all(signing_input.as_bytes())
        .expect("written");
    let sig = c.wait_with_output().expect("openssl output").stdout;
    format!("{signing_input}.{}", b64(&sig))
}

/// The time `secs` seconds from now as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC), as the scheduling
/// APIs take it.
pub fn iso_in(secs: f64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let t = now + secs;
    let micros = (t * 1e6) as i64;
    let (s, us) = (micros.div_euclid(1_000_000), micros.rem_euclid(1_000_000));
    // Days since the epoch to a civil date (UTC).
    let days = s.div_euclid(86_400);
    let rem = s.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{us:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
