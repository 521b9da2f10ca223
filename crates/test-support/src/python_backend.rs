//! The tutorial's FastAPI backend from `../shared/interop/seed-python-backend`, started on a
//! free port with its output in a file; stopped on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running tutorial backend.
pub struct PythonBackend {
    child: Child,
    pub port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl PythonBackend {
    /// Where the backend lives, if `../shared` is beside the project.
    pub fn dir() -> Option<PathBuf> {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/interop/seed-python-backend");
        p.join("run.sh").exists().then_some(p)
    }

    /// Starts it (its first run installs its packages) with `GRAPHQL_ENGINE_URL` set, and
    /// waits until it answers. `None` when `../shared` is absent.
    pub async fn start(engine_url: &str) -> Option<PythonBackend> {
        let dir = Self::dir()?;
        let port = rasura_cluster::free_port().expect("free port");
        let tmp = tempfile::tempdir().expect("temp dir");
        let log = tmp.path().join("backend.log");
        let out = std::fs::File::create(&log).expect("log file");
        let child = Command::new("bash")
            .arg(dir.join("run.sh"))
            .env("PORT", port.to_string())
            .env("GRAPHQL_ENGINE_URL", engine_url)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log"))
            .stderr(out)
            .spawn()
            .expect("start the Python backend");
        let backend = PythonBackend {
            child,
            port,
            log,
            _dir: tmp,
        };
        let http = reqwest::Client::new();
        let started = Instant::now();
        while http.get(backend.url("/docs")).send().await.is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(300),
                "the Python backend did not start; its output:\n{}",
                backend.output()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Some(backend)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    /// Everything it printed so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for PythonBackend {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
