//! Command-line flags; each has a `RASURA_*` environment variable and Hasura's name as an alias.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use rasura_exec::limits::QueryLimits;
use rasura_project::cmd::{
    DeployArgs, InitArgs, MetadataCommand, MigrateCommand, ProjectArgs, SeedCommand,
};

#[derive(Debug, Parser)]
#[command(
    name = "rasura",
    version,
    about = "A Hasura-compatible GraphQL engine for PostgreSQL"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the GraphQL and metadata APIs.
    Serve(Box<ServeArgs>),
    /// Generate code from the metadata.
    #[command(subcommand)]
    Codegen(CodegenCommand),
    /// A psql shell on the embedded database of a running `rasura serve`.
    Psql(PsqlArgs),
    /// The metadata of a Hasura CLI project (config v3) and of the engine.
    Metadata {
        #[command(flatten)]
        project: ProjectArgs,
        #[command(subcommand)]
        cmd: MetadataCommand,
    },
    /// The migrations of a Hasura CLI project.
    Migrate {
        #[command(flatten)]
        project: ProjectArgs,
        #[command(subcommand)]
        cmd: MigrateCommand,
    },
    /// The seeds of a Hasura CLI project.
    Seed {
        #[command(flatten)]
        project: ProjectArgs,
        #[command(subcommand)]
        cmd: SeedCommand,
    },
    /// Deploy a Hasura CLI project: metadata, migrations, metadata again, reload (and seeds).
    Deploy {
        #[command(flatten)]
        project: ProjectArgs,
        #[command(flatten)]
        args: DeployArgs,
    },
    /// Make a new Hasura CLI project directory.
    Init(InitArgs),
    /// Serve the web console against a running engine (a project's, or `--endpoint`), as
    /// `hasura console` does.
    Console(ConsoleArgs),
}

#[derive(Debug, Args)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// The address the console listens on
    #[arg(long, default_value = "127.0.0.1")]
    pub address: String,
    /// The console's port
    #[arg(long, default_value_t = 9695)]
    pub console_port: u16,
}

#[derive(Debug, Args)]
pub struct PsqlArgs {
    /// The server's data directory [env: RASURA_DATA_DIR] [default: ./.rasura]
    #[arg(long, env = "RASURA_DATA_DIR", default_value = ".rasura")]
    pub data_dir: PathBuf,
    /// Further arguments for psql (after `--`).
    #[arg(last = true)]
    pub args: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum CodegenCommand {
    /// A handler scaffold with the action's types.
    Action(CodegenActionArgs),
}

#[derive(Debug, Args)]
pub struct CodegenActionArgs {
    /// The action's name.
    pub name: String,
    /// python-fast-api, typescript-express or rust-axum.
    #[arg(long, default_value = "python-fast-api")]
    pub framework: String,
    /// Read the metadata from this file (an export) instead of the engine.
    #[arg(long)]
    pub metadata: Option<PathBuf>,
    /// The running engine.
    #[arg(long, env = "RASURA_ENDPOINT", default_value = "http://127.0.0.1:8080")]
    pub endpoint: String,
    /// Admin secret of the running engine.
    #[arg(long, env = "RASURA_ADMIN_SECRET")]
    pub admin_secret: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port to listen on [env: RASURA_PORT, HASURA_GRAPHQL_SERVER_PORT] [default: 8080]
    #[arg(long)]
    pub port: Option<u16>,
    /// Address to bind; `*` is every interface [env: RASURA_HOST, HASURA_GRAPHQL_SERVER_HOST]
    /// [default: 127.0.0.1 with the embedded database, every interface with a database URL]
    #[arg(long)]
    pub host: Option<String>,
    /// PostgreSQL URL to serve; without it an embedded cluster in the data dir is used
    /// [env: RASURA_DATABASE_URL, HASURA_GRAPHQL_DATABASE_URL]
    #[arg(long)]
    pub database_url: Option<String>,
    /// PostgreSQL URL of the database that holds the metadata (`hdb_catalog`); without it the
    /// metadata lives in the database of --database-url
    /// [env: RASURA_METADATA_DATABASE_URL, HASURA_GRAPHQL_METADATA_DATABASE_URL]
    #[arg(long)]
    pub metadata_database_url: Option<String>,
    /// PostgreSQL URL of a read replica of --database-url's database (repeat for several;
    /// the environment takes them comma-separated): queries and live queries go to the
    /// replicas in turn, mutations to the primary. A source that lists `read_replicas` in its
    /// configuration uses those instead.
    /// [env: RASURA_READ_REPLICA_URLS, HASURA_GRAPHQL_READ_REPLICA_URLS]
    #[arg(long = "read-replica-url")]
    pub read_replica_urls: Vec<String>,
    /// Secret that grants admin access [env: RASURA_ADMIN_SECRET, HASURA_GRAPHQL_ADMIN_SECRET]
    #[arg(long)]
    pub admin_secret: Option<String>,
    /// JWT mode: Hasura's JSON config (type, key, claims_namespace, audience, issuer, ...)
    /// [env: RASURA_JWT_SECRET, HASURA_GRAPHQL_JWT_SECRET]
    #[arg(long)]
    pub jwt_secret: Option<String>,
    /// Auth webhook URL [env: RASURA_AUTH_HOOK, HASURA_GRAPHQL_AUTH_HOOK]
    #[arg(long)]
    pub auth_hook: Option<String>,
    /// GET or POST [env: RASURA_AUTH_HOOK_MODE, HASURA_GRAPHQL_AUTH_HOOK_MODE] [default: GET]
    #[arg(long)]
    pub auth_hook_mode: Option<String>,
    /// Role of requests that carry no credentials (needs an admin secret)
    /// [env: RASURA_UNAUTHORIZED_ROLE, HASURA_GRAPHQL_UNAUTHORIZED_ROLE]
    #[arg(long)]
    pub unauthorized_role: Option<String>,
    /// Where the embedded cluster lives [env: RASURA_DATA_DIR] [default: ./.rasura]
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Database connections in the pool [env: RASURA_PG_CONNECTIONS, HASURA_GRAPHQL_PG_CONNECTIONS] [default: 50]
    #[arg(long)]
    pub pg_connections: Option<usize>,
    /// Connections of each serving thread that queries share, their statements pipelined; 0 gives
    /// every query a connection of its own [env: RASURA_PG_SHARED_CONNECTIONS] [default: 4]
    #[arg(long)]
    pub pg_shared_connections: Option<usize>,
    /// Most queries in flight on one shared connection
    /// [env: RASURA_PG_PIPELINE_DEPTH] [default: 8]
    #[arg(long)]
    pub pg_pipeline_depth: Option<usize>,
    /// Threads serving HTTP, each with its own event loop and connections
    /// [env: RASURA_SERVER_THREADS] [default: the number of cores]
    #[arg(long)]
    pub server_threads: Option<usize>,
    /// Emit bigint, numeric, float8 and money values as JSON strings
    /// [env: RASURA_STRINGIFY_NUMERIC_TYPES, HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES]
    #[arg(long)]
    pub stringify_numeric_types: bool,
    /// Deepest selection nesting a query may have [env: RASURA_MAX_QUERY_DEPTH] [default: 32]
    #[arg(long)]
    pub max_query_depth: Option<usize>,
    /// Most fields a query may select, fragments expanded [env: RASURA_MAX_QUERY_NODES] [default: 20000]
    #[arg(long)]
    pub max_query_nodes: Option<usize>,
    /// Largest query text in bytes [env: RASURA_MAX_QUERY_BYTES] [default: 1048576]
    #[arg(long)]
    pub max_query_bytes: Option<usize>,
    /// Most lexical tokens the parser reads in one query [env: RASURA_MAX_QUERY_TOKENS] [default: 100000]
    #[arg(long)]
    pub max_query_tokens: Option<usize>,
    /// Most operations in one batched request [env: RASURA_MAX_BATCH_SIZE] [default: 100]
    #[arg(long)]
    pub max_batch_size: Option<usize>,
    /// Largest body of an admin's metadata or query API request, in bytes (a whole project's
    /// metadata) [env: RASURA_MAX_METADATA_BYTES] [default: 104857600]
    #[arg(long)]
    pub max_metadata_bytes: Option<usize>,
    /// Seconds a client has to send a request's head; idle keep-alive connections close after
    /// it too [env: RASURA_HTTP_HEADER_TIMEOUT] [default: 30]
    #[arg(long)]
    pub http_header_timeout: Option<u64>,
    /// Seconds a client has to send a request's body [env: RASURA_HTTP_BODY_TIMEOUT] [default: 60]
    #[arg(long)]
    pub http_body_timeout: Option<u64>,
    /// Seconds a GraphQL request may run before it is cancelled, with its statements
    /// [env: RASURA_QUERY_TIMEOUT] [default: none]
    #[arg(long)]
    pub query_timeout: Option<f64>,
    /// Open HTTP and WebSocket connections at most; more are closed at once
    /// [env: RASURA_MAX_CONNECTIONS] [default: 10000]
    #[arg(long)]
    pub max_connections: Option<usize>,
    /// Errors show their `internal` details (statement, database message) to every role
    /// [env: RASURA_DEV_MODE, HASURA_GRAPHQL_DEV_MODE]
    #[arg(long)]
    pub dev_mode: bool,
    /// Origins browsers may call from: `*`, or a comma-separated list (`https://*.example.com`,
    /// `http://localhost:*`) [env: RASURA_CORS_DOMAIN, HASURA_GRAPHQL_CORS_DOMAIN] [default: *]
    #[arg(long)]
    pub cors_domain: Option<String>,
    /// Send no CORS headers at all [env: RASURA_DISABLE_CORS, HASURA_GRAPHQL_DISABLE_CORS]
    #[arg(long)]
    pub disable_cors: bool,
    /// Serve the web console at /console: true or false (the flag alone: true)
    /// [env: RASURA_ENABLE_CONSOLE, HASURA_GRAPHQL_ENABLE_CONSOLE] [default: true with the
    /// embedded database, else false]
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub enable_console: Option<bool>,
    /// APIs to serve: graphql, metadata, developer, pgdump, config, metrics
    /// [env: RASURA_ENABLED_APIS, HASURA_GRAPHQL_ENABLED_APIS] [default: metadata,graphql,pgdump,config]
    #[arg(long)]
    pub enabled_apis: Option<String>,
    /// Whether admin is shown `internal` error details: true or false
    /// [env: RASURA_ADMIN_INTERNAL_ERRORS, HASURA_GRAPHQL_ADMIN_INTERNAL_ERRORS] [default: true]
    #[arg(long)]
    pub admin_internal_errors: Option<bool>,
    /// Roles other than admin may run only the queries of collections in the allow list
    /// [env: RASURA_ENABLE_ALLOWLIST, HASURA_GRAPHQL_ENABLE_ALLOWLIST]
    #[arg(long)]
    pub enable_allowlist: bool,
    /// Log types written as JSON lines on stdout: startup, http-log, webhook-log, websocket-log,
    /// query-log, ... [env: RASURA_ENABLED_LOG_TYPES, HASURA_GRAPHQL_ENABLED_LOG_TYPES]
    /// [default: startup,http-log,webhook-log,websocket-log,jwk-refresh-log]
    #[arg(long)]
    pub enabled_log_types: Option<String>,
    /// Lowest level written: debug, info, warn or error
    /// [env: RASURA_LOG_LEVEL, HASURA_GRAPHQL_LOG_LEVEL] [default: info]
    #[arg(long)]
    pub log_level: Option<String>,
    /// A Hasura CLI project directory whose migrations and metadata are applied at start, before
    /// the API is served [env: RASURA_PROJECT]
    #[arg(long)]
    pub project: Option<PathBuf>,
    /// A metadata directory (config v3 layout) applied at start, as Hasura's cli-migrations
    /// image does [env: HASURA_GRAPHQL_METADATA_DIR]
    #[arg(long)]
    pub metadata_dir: Option<PathBuf>,
    /// A migrations directory (`<database>/<version>_<name>/up.sql`) applied at start
    /// [env: HASURA_GRAPHQL_MIGRATIONS_DIR]
    #[arg(long)]
    pub migrations_dir: Option<PathBuf>,
}

/// Serve settings after flags, `RASURA_*` and `HASURA_GRAPHQL_*` variables and defaults.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub port: u16,
    pub host: String,
    pub database_url: Option<String>,
    pub metadata_database_url: Option<String>,
    pub read_replica_urls: Vec<String>,
    pub admin_secret: Option<String>,
    pub unauthorized_role: Option<String>,
    pub jwt_secret: Option<String>,
    pub auth_hook: Option<String>,
    pub auth_hook_mode: Option<String>,
    pub data_dir: PathBuf,
    pub pg_connections: usize,
    pub reads: rasura_exec::ReadSharing,
    pub stringify_numeric_types: bool,
    pub limits: QueryLimits,
    pub server_threads: usize,
    pub events: EventSettings,
    pub dev_mode: bool,
    pub admin_internal_errors: bool,
    pub http: crate::workers::HttpLimits,
    pub cors: Option<String>,
    pub disable_cors: bool,
    pub enabled_apis: Option<String>,
    pub enable_console: Option<bool>,
    pub query_timeout: Option<std::time::Duration>,
    pub enable_allowlist: bool,
    pub project: StartProject,
}

/// A project applied when the engine starts (all empty: none).
#[derive(Debug, Clone, Default)]
pub struct StartProject {
    pub dir: Option<PathBuf>,
    pub metadata_dir: Option<PathBuf>,
    pub migrations_dir: Option<PathBuf>,
}

impl StartProject {
    pub fn is_set(&self) -> bool {
        self.dir.is_some() || self.metadata_dir.is_some() || self.migrations_dir.is_some()
    }
}

/// Event delivery tuning, from the environment only (Hasura's names and defaults).
#[derive(Debug, Clone, Copy)]
pub struct EventSettings {
    /// `RASURA_EVENTS_HTTP_POOL_SIZE`, `HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE`: 100.
    pub http_pool_size: usize,
    /// `RASURA_EVENTS_FETCH_BATCH_SIZE`, `HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE`: 100 (0: off).
    pub fetch_batch_size: usize,
    /// `RASURA_EVENTS_FETCH_INTERVAL`, `HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL`: 1000 ms.
    pub fetch_interval_ms: u64,
    /// `RASURA_GRACEFUL_SHUTDOWN_TIMEOUT`, `HASURA_GRAPHQL_GRACEFUL_SHUTDOWN_TIMEOUT`: 60 s.
    pub graceful_shutdown_secs: u64,
}

impl EventSettings {
    fn from_env() -> EventSettings {
        EventSettings {
            http_pool_size: parsed(&[
                "RASURA_EVENTS_HTTP_POOL_SIZE",
                "HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE",
            ])
            .unwrap_or(100usize)
            .max(1),
            fetch_batch_size: parsed(&[
                "RASURA_EVENTS_FETCH_BATCH_SIZE",
                "HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE",
            ])
            .unwrap_or(100),
            fetch_interval_ms: parsed(&[
                "RASURA_EVENTS_FETCH_INTERVAL",
                "HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL",
            ])
            .unwrap_or(1000),
            graceful_shutdown_secs: parsed(&[
                "RASURA_GRACEFUL_SHUTDOWN_TIMEOUT",
                "HASURA_GRAPHQL_GRACEFUL_SHUTDOWN_TIMEOUT",
            ])
            .unwrap_or(60),
        }
    }
}

/// The first set, non-empty variable among `names`.
fn env(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
}

fn parsed<T: std::str::FromStr>(names: &[&str]) -> Option<T> {
    let v = env(names)?;
    match v.parse() {
        Ok(x) => Some(x),
        Err(_) => {
            eprintln!("rasura: ignoring {}={v:?}: not a valid value", names[0]);
            None
        }
    }
}

impl ServeArgs {
    /// The log settings (flags, then `RASURA_*`, then `HASURA_GRAPHQL_*`).
    pub fn log_config(&self) -> Result<rasura_log::LogConfig, String> {
        let types = self.enabled_log_types.clone().or_else(|| {
            env(&[
                "RASURA_ENABLED_LOG_TYPES",
                "HASURA_GRAPHQL_ENABLED_LOG_TYPES",
            ])
        });
        let level = self
            .log_level
            .clone()
            .or_else(|| env(&["RASURA_LOG_LEVEL", "HASURA_GRAPHQL_LOG_LEVEL"]));
        rasura_log::LogConfig::parse(types.as_deref(), level.as_deref())
    }

    pub fn resolve(self) -> ServeConfig {
        let limits = self.limits();
        let http = self.http_limits();
        let database_url = self
            .database_url
            .clone()
            .or_else(|| env(&["RASURA_DATABASE_URL", "HASURA_GRAPHQL_DATABASE_URL"]));
        let metadata_database_url = self.metadata_database_url.clone().or_else(|| {
            env(&[
                "RASURA_METADATA_DATABASE_URL",
                "HASURA_GRAPHQL_METADATA_DATABASE_URL",
            ])
        });
        // As Hasura: every interface when serving a given database (a drop-in container);
        // loopback for the embedded default, a developer's machine.
        let default_host = if database_url.is_some() || metadata_database_url.is_some() {
            "0.0.0.0"
        } else {
            "127.0.0.1"
        };
        ServeConfig {
            port: self
                .port
                .or_else(|| parsed(&["RASURA_PORT", "HASURA_GRAPHQL_SERVER_PORT"]))
                .unwrap_or(8080),
            host: self
                .host
                .or_else(|| env(&["RASURA_HOST", "HASURA_GRAPHQL_SERVER_HOST"]))
                .map(|h| if h == "*" { "0.0.0.0".to_string() } else { h })
                .unwrap_or_else(|| default_host.to_string()),
            database_url,
            metadata_database_url,
            read_replica_urls: if self.read_replica_urls.is_empty() {
                env(&[
                    "RASURA_READ_REPLICA_URLS",
                    "HASURA_GRAPHQL_READ_REPLICA_URLS",
                ])
                .map(|v| {
                    v.split(',')
                        .map(|u| u.trim().to_string())
                        .filter(|u| !u.is_empty())
                        .collect()
                })
                .unwrap_or_default()
            } else {
                self.read_replica_urls
            },
            admin_secret: self
                .admin_secret
                .or_else(|| env(&["RASURA_ADMIN_SECRET", "HASURA_GRAPHQL_ADMIN_SECRET"])),
            unauthorized_role: self.unauthorized_role.or_else(|| {
                env(&[
                    "RASURA_UNAUTHORIZED_ROLE",
                    "HASURA_GRAPHQL_UNAUTHORIZED_ROLE",
                ])
            }),
            jwt_secret: self
                .jwt_secret
                .or_else(|| env(&["RASURA_JWT_SECRET", "HASURA_GRAPHQL_JWT_SECRET"])),
            auth_hook: self
                .auth_hook
                .or_else(|| env(&["RASURA_AUTH_HOOK", "HASURA_GRAPHQL_AUTH_HOOK"])),
            auth_hook_mode: self
                .auth_hook_mode
                .or_else(|| env(&["RASURA_AUTH_HOOK_MODE", "HASURA_GRAPHQL_AUTH_HOOK_MODE"])),
            data_dir: self
                .data_dir
                .or_else(|| env(&["RASURA_DATA_DIR"]).map(PathBuf::from))
                .unwrap_or_else(|| PathBuf::from(".rasura")),
            pg_connections: self
                .pg_connections
                .or_else(|| parsed(&["RASURA_PG_CONNECTIONS", "HASURA_GRAPHQL_PG_CONNECTIONS"]))
                .unwrap_or(50),
            reads: {
                let d = rasura_exec::ReadSharing::default();
                rasura_exec::ReadSharing {
                    connections: self
                        .pg_shared_connections
                        .or_else(|| parsed(&["RASURA_PG_SHARED_CONNECTIONS"]))
                        .unwrap_or(d.connections),
                    depth: self
                        .pg_pipeline_depth
                        .or_else(|| parsed(&["RASURA_PG_PIPELINE_DEPTH"]))
                        .unwrap_or(d.depth),
                }
            },
            stringify_numeric_types: self.stringify_numeric_types
                || parsed(&[
                    "RASURA_STRINGIFY_NUMERIC_TYPES",
                    "HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES",
                ])
                .unwrap_or(false),
            limits,
            events: EventSettings::from_env(),
            http,
            query_timeout: self
                .query_timeout
                .or_else(|| parsed(&["RASURA_QUERY_TIMEOUT"]))
                .filter(|s: &f64| *s > 0.0 && s.is_finite())
                .map(std::time::Duration::from_secs_f64),
            cors: self
                .cors_domain
                .clone()
                .or_else(|| env(&["RASURA_CORS_DOMAIN", "HASURA_GRAPHQL_CORS_DOMAIN"])),
            disable_cors: self.disable_cors
                || parsed(&["RASURA_DISABLE_CORS", "HASURA_GRAPHQL_DISABLE_CORS"]).unwrap_or(false),
            enabled_apis: self
                .enabled_apis
                .clone()
                .or_else(|| env(&["RASURA_ENABLED_APIS", "HASURA_GRAPHQL_ENABLED_APIS"])),
            enable_console: self
                .enable_console
                .or_else(|| parsed(&["RASURA_ENABLE_CONSOLE", "HASURA_GRAPHQL_ENABLE_CONSOLE"])),
            dev_mode: self.dev_mode
                || parsed(&["RASURA_DEV_MODE", "HASURA_GRAPHQL_DEV_MODE"]).unwrap_or(false),
            enable_allowlist: self.enable_allowlist
                || parsed(&["RASURA_ENABLE_ALLOWLIST", "HASURA_GRAPHQL_ENABLE_ALLOWLIST"])
                    .unwrap_or(false),
            admin_internal_errors: self
                .admin_internal_errors
                .or_else(|| {
                    parsed(&[
                        "RASURA_ADMIN_INTERNAL_ERRORS",
                        "HASURA_GRAPHQL_ADMIN_INTERNAL_ERRORS",
                    ])
                })
                .unwrap_or(true),
            project: StartProject {
                dir: self
                    .project
                    .clone()
                    .or_else(|| env(&["RASURA_PROJECT"]).map(PathBuf::from)),
                metadata_dir: self
                    .metadata_dir
                    .clone()
                    .or_else(|| env(&["HASURA_GRAPHQL_METADATA_DIR"]).map(PathBuf::from)),
                migrations_dir: self
                    .migrations_dir
                    .clone()
                    .or_else(|| env(&["HASURA_GRAPHQL_MIGRATIONS_DIR"]).map(PathBuf::from)),
            },
            server_threads: self
                .server_threads
                .or_else(|| parsed(&["RASURA_SERVER_THREADS"]))
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
                .max(1),
        }
    }

    fn http_limits(&self) -> crate::workers::HttpLimits {
        let d = crate::workers::HttpLimits::default();
        let secs = |flag: Option<u64>, name: &str, default: std::time::Duration| {
            flag.or_else(|| parsed(&[name]))
                .filter(|s| *s > 0)
                .map_or(default, std::time::Duration::from_secs)
        };
        crate::workers::HttpLimits {
            header_timeout: secs(
                self.http_header_timeout,
                "RASURA_HTTP_HEADER_TIMEOUT",
                d.header_timeout,
            ),
            body_timeout: secs(
                self.http_body_timeout,
                "RASURA_HTTP_BODY_TIMEOUT",
                d.body_timeout,
            ),
            max_connections: self
                .max_connections
                .or_else(|| parsed(&["RASURA_MAX_CONNECTIONS"]))
                .unwrap_or(d.max_connections)
                .max(1),
        }
    }

    fn limits(&self) -> QueryLimits {
        let d = QueryLimits::default();
        QueryLimits {
            max_depth: self
                .max_query_depth
                .or_else(|| parsed(&["RASURA_MAX_QUERY_DEPTH"]))
                .unwrap_or(d.max_depth),
            max_nodes: self
                .max_query_nodes
                .or_else(|| parsed(&["RASURA_MAX_QUERY_NODES"]))
                .unwrap_or(d.max_nodes),
            max_bytes: self
                .max_query_bytes
                .or_else(|| parsed(&["RASURA_MAX_QUERY_BYTES"]))
                .unwrap_or(d.max_bytes),
            max_tokens: self
                .max_query_tokens
                .or_else(|| parsed(&["RASURA_MAX_QUERY_TOKENS"]))
                .unwrap_or(d.max_tokens),
            max_batch: self
                .max_batch_size
                .or_else(|| parsed(&["RASURA_MAX_BATCH_SIZE"]))
                .unwrap_or(d.max_batch)
                .max(1),
            max_metadata_bytes: self
                .max_metadata_bytes
                .or_else(|| parsed(&["RASURA_MAX_METADATA_BYTES"]))
                .unwrap_or(d.max_metadata_bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{Cli, Command, ServeConfig};

    fn serve(args: &[&str]) -> ServeConfig {
        let cli = Cli::try_parse_from(["rasura", "serve"].iter().chain(args)).unwrap();
        match cli.command {
            Command::Serve(a) => a.resolve(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn binds_every_interface_for_a_given_database_and_loopback_for_the_embedded_one() {
        assert_eq!(serve(&[]).host, "127.0.0.1");
        assert_eq!(
            serve(&["--database-url", "postgres://h/db"]).host,
            "0.0.0.0"
        );
        assert_eq!(
            serve(&["--database-url", "postgres://h/db", "--host", "127.0.0.1"]).host,
            "127.0.0.1"
        );
        assert_eq!(serve(&["--host", "*"]).host, "0.0.0.0");
    }
}
