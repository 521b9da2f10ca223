//! A private PostgreSQL cluster from the installed binaries: initdb, start, stop (as `postgres` when root).
//!
//! Used by `rasura serve` for its embedded default and by the tests for throwaway clusters.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use thiserror::Error;
use tokio::process::Command;

/// The OS user a cluster runs as when the engine runs as root.
pub const POSTGRES_USER: &str = "postgres";

/// A cluster that could not be set up, started or stopped.
#[derive(Debug, Error)]
pub enum ClusterError {
    #[error(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or under /usr/lib/postgresql/*/bin; \
         install PostgreSQL (Debian: apt-get install postgresql), or pass --database-url to serve an existing database"
    )]
    BinariesNotFound,
    #[error("running as root, but there is no `{POSTGRES_USER}` OS user to run PostgreSQL as; create it or pass --database-url")]
    NoPostgresUser,
    #[error("{command} failed: {detail}")]
    Command { command: String, detail: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("could not connect to the cluster: {0}")]
    Connect(#[from] tokio_postgres::Error),
}

/// Where the PostgreSQL server binaries live.
pub fn find_bin_dir() -> Result<PathBuf, ClusterError> {
    if let Ok(dir) = std::env::var("PG_BIN") {
        let dir = PathBuf::from(dir);
        if dir.join("pg_ctl").exists() {
            return Ok(dir);
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join("pg_ctl").exists() && dir.join("initdb").exists() {
                // A directory of links (`/usr/local/bin/pg_ctl -> …/15/bin/pg_ctl`) may hold
                // only some programs: use the one the links point into.
                let real = std::fs::canonicalize(dir.join("pg_ctl"))
                    .ok()
                    .and_then(|p| p.parent().map(Path::to_path_buf));
                return Ok(real.unwrap_or(dir));
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("pg_ctl").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, p)| p)
        .ok_or(ClusterError::BinariesNotFound)
}

fn running_as_root() -> bool {
    // SAFETY-free: geteuid has no preconditions; libc exposes it as a plain function.
    #[allow(unsafe_code)]
    unsafe {
        libc::geteuid() == 0
    }
}

/// A free TCP port on 127.0.0.1 (free now; taken by whoever binds it first).
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A PostgreSQL cluster in `data_dir`, listening on 127.0.0.1:`port`, or (with
/// [`Cluster::on_socket`]) only on a Unix socket in its data directory.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub bin_dir: PathBuf,
    pub data_dir: PathBuf,
    pub log_file: PathBuf,
    pub port: u16,
    /// The directory of the Unix socket the cluster listens on, instead of TCP.
    pub socket_dir: Option<PathBuf>,
    as_postgres: bool,
}

/// The port number in a Unix socket's name (`.s.PGSQL.5432`): no TCP port is taken.
pub const SOCKET_PORT: u16 = 5432;

/// The longest socket path the kernel takes (`sun_path` holds 108 bytes with its NUL).
const MAX_SOCKET_PATH: usize = 107;

impl Cluster {
    /// Describes a cluster in `data_dir` (created by [`Cluster::init`] if missing).
    pub fn new(data_dir: &Path, port: u16) -> Result<Cluster, ClusterError> {
        let bin_dir = find_bin_dir()?;
        let as_postgres = running_as_root();
        if as_postgres && !user_exists(POSTGRES_USER) {
            return Err(ClusterError::NoPostgresUser);
        }
        let data_dir = std::path::absolute(data_dir)?;
        let log_file = data_dir.with_extension("log");
        Ok(Cluster {
            bin_dir,
            data_dir,
            log_file,
            port,
            socket_dir: None,
            as_postgres,
        })
    }

    /// The cluster listens only on a Unix socket in its data directory (no TCP port to
    /// collide with), when the socket's path fits; returns whether it does.
    pub fn on_socket(&mut self) -> bool {
        let path = self.data_dir.join(format!(".s.PGSQL.{SOCKET_PORT}"));
        if path.as_os_str().len() > MAX_SOCKET_PATH {
            return false;
        }
        self.socket_dir = Some(self.data_dir.clone());
        self.port = SOCKET_PORT;
        true
    }

    /// The libpq URL of database `db` on this cluster.
    pub fn url(&self, db: &str) -> String {
        match &self.socket_dir {
            Some(dir) => format!(
                "postgres://postgres@{}:{}/{}",
                percent_encode_path(&dir.to_string_lossy()),
                self.port,
                db
            ),
            None => format!("postgres://postgres@127.0.0.1:{}/{}", self.port, db),
        }
    }

    pub fn is_initialised(&self) -> bool {
        self.data_dir.join("PG_VERSION").exists()
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin_dir.join(program);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.arg("-u").arg(POSTGRES_USER).arg("--").arg(path);
            c
        } else {
            Command::new(path)
        };
        cmd.stdin(Stdio::null());
        cmd
    }

    async fn run(&self, mut cmd: Command, what: &str) -> Result<(), ClusterError> {
        let out = cmd.output().await?;
        if out.status.success() {
            return Ok(());
        }
        let mut detail = String::from_utf8_lossy(&out.stderr).trim().to_string();
        if detail.is_empty() {
            detail = String::from_utf8_lossy(&out.stdout).trim().to_string();
        }
        if let Ok(log) = std::fs::read_to_string(&self.log_file) {
            let tail: Vec<&str> = log.lines().rev().take(5).collect();
            if !tail.is_empty() {
                detail.push_str("\nserver log (last lines):\n");
                detail.push_str(&tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
            }
        }
        Err(ClusterError::Command {
            command: what.to_string(),
            detail,
        })
    }

    /// Creates the cluster (initdb) unless it exists: UTF8, trust auth on loopback, UTC.
    pub async fn init(&self) -> Result<(), ClusterError> {
        if self.is_initialised() {
            return Ok(());
        }
        std::fs::create_dir_all(&self.data_dir)?;
        self.hand_to_postgres(&self.data_dir)?;
        let mut cmd = self.command("initdb");
        cmd.arg("-D").arg(&self.data_dir).args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        ]);
        self.run(cmd, "initdb").await?;
        let conf = self.data_dir.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf)?;
        text.push_str(
            "\n# set by rasura\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n\
             timezone = 'UTC'\nlog_timezone = 'UTC'\nmax_connections = 200\nfsync = on\n",
        );
        std::fs::write(&conf, text)?;
        Ok(())
    }

    /// Creates this cluster as a streaming standby of the server at `primary_url`
    /// (`pg_basebackup -R`: a base backup plus `standby.signal` and `primary_conninfo`), unless
    /// it exists. The primary must allow replication connections (initdb's trust default does).
    pub async fn init_replica_of(&self, primary_url: &str) -> Result<(), ClusterError> {
        if self.is_initialised() {
            return Ok(());
        }
        std::fs::create_dir_all(&self.data_dir)?;
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&self.data_dir, std::fs::Permissions::from_mode(0o700))?;
        }
        self.hand_to_postgres(&self.data_dir)?;
        let mut cmd = self.command("pg_basebackup");
        cmd.arg("-D")
            .arg(&self.data_dir)
            .arg("-d")
            .arg(primary_url)
            .args(["-R", "-X", "stream", "-c", "fast", "--no-sync"]);
        self.run(cmd, "pg_basebackup").await
    }

    /// Makes `path` owned by the `postgres` user when running as root.
    fn hand_to_postgres(&self, path: &Path) -> Result<(), ClusterError> {
        if !self.as_postgres {
            return Ok(());
        }
        let status = std::process::Command::new("chown")
            .arg("-R")
            .arg(format!("{POSTGRES_USER}:"))
            .arg(path)
            .status()?;
        if !status.success() {
            return Err(ClusterError::Command {
                command: "chown".into(),
                detail: format!("could not give {} to {POSTGRES_USER}", path.display()),
            });
        }
        Ok(())
    }

    /// The port of a server already running on this data directory (left by a run that was
    /// killed), if there is one.
    pub fn running_port(&self) -> Option<u16> {
        let pid_file = std::fs::read_to_string(self.data_dir.join("postmaster.pid")).ok()?;
        let mut lines = pid_file.lines();
        let pid: i32 = lines.next()?.trim().parse().ok()?;
        let port: u16 = lines.nth(2)?.trim().parse().ok()?;
        std::path::Path::new(&format!("/proc/{pid}"))
            .exists()
            .then_some(port)
    }

    /// The socket directory of the running server, if it listens on one.
    pub fn running_socket_dir(&self) -> Option<PathBuf> {
        let pid_file = std::fs::read_to_string(self.data_dir.join("postmaster.pid")).ok()?;
        let dir = pid_file.lines().nth(4)?.trim();
        (!dir.is_empty()).then(|| PathBuf::from(dir))
    }

    /// Starts the server and waits until it accepts connections; adopts one already running.
    pub async fn start(&mut self) -> Result<(), ClusterError> {
        if let Some(port) = self.running_port() {
            // Adopted (left by a run that was killed): reach it the way it listens.
            self.port = port;
            if self.running_socket_dir().is_none() {
                self.socket_dir = None;
            }
            return self.wait_ready(Duration::from_secs(60)).await;
        }
        // Command-line settings win over postgresql.conf (clusters made by earlier versions
        // listen on TCP there).
        let listen = match &self.socket_dir {
            Some(dir) => format!(
                "-p {} -h '' -k '{}'",
                self.port,
                dir.to_string_lossy().replace('\'', "")
            ),
            None => format!("-p {}", self.port),
        };
        if !self.log_file.exists() {
            std::fs::write(&self.log_file, "")?;
        }
        self.hand_to_postgres(&self.log_file)?;
        let mut cmd = self.command("pg_ctl");
        cmd.arg("-D")
            .arg(&self.data_dir)
            .arg("-l")
            .arg(&self.log_file)
            .args(["-w", "-t", "60", "-o"])
            .arg(listen)
            .arg("start")
            .stdout(Stdio::null());
        self.run(cmd, "pg_ctl start").await?;
        self.wait_ready(Duration::from_secs(60)).await
    }

    async fn wait_ready(&self, timeout: Duration) -> Result<(), ClusterError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio_postgres::connect(&self.url("postgres"), tokio_postgres::NoTls).await {
                Ok(_) => return Ok(()),
                Err(e) if tokio::time::Instant::now() >= deadline => return Err(e.into()),
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// Creates database `name` if it does not exist.
    pub async fn create_database(&self, name: &str) -> Result<(), ClusterError> {
        let (client, conn) =
            tokio_postgres::connect(&self.url("postgres"), tokio_postgres::NoTls).await?;
        let handle = tokio::spawn(conn);
        let exists = client
            .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
            .await?
            .is_some();
        if !exists {
            let quoted = format!("\"{}\"", name.replace('"', "\"\""));
            client
                .batch_execute(&format!("CREATE DATABASE {quoted}"))
                .await?;
        }
        drop(client);
        let _ = handle.await;
        Ok(())
    }

    /// Stops the server (fast shutdown: open sessions are ended, data is flushed).
    pub async fn stop(&self) -> Result<(), ClusterError> {
        if !self.data_dir.join("postmaster.pid").exists() {
            return Ok(());
        }
        let mut cmd = self.command("pg_ctl");
        cmd.arg("-D")
            .arg(&self.data_dir)
            .args(["-m", "fast", "-w", "-t", "60", "stop"])
            .stdout(Stdio::null());
        self.run(cmd, "pg_ctl stop").await
    }

    /// Stops the server without waiting (for `Drop` paths); errors are ignored.
    pub fn stop_blocking(&self) {
        if !self.data_dir.join("postmaster.pid").exists() {
            return;
        }
        let path = self.bin_dir.join("pg_ctl");
        let mut cmd = if self.as_postgres {
            let mut c = std::process::Command::new("runuser");
            c.arg("-u").arg(POSTGRES_USER).arg("--").arg(path);
            c
        } else {
            std::process::Command::new(path)
        };
        let _ = cmd
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A socket directory as the host part of a URL.
fn percent_encode_path(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn user_exists(name: &str) -> bool {
    std::fs::read_to_string("/etc/passwd")
        .map(|p| p.lines().any(|l| l.split(':').next() == Some(name)))
        .unwrap_or(false)
}
