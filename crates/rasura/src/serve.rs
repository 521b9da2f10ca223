//! `rasura serve`: the database (given, or an embedded cluster), the server, and a clean shutdown.

use std::net::SocketAddr;

use anyhow::Context;
use rasura_cluster::Cluster;
use rasura_server::{AppState, ServerConfig};

use crate::cli::ServeConfig;

/// Name of the database created in the embedded cluster.
const EMBEDDED_DB: &str = "rasura";

pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    log_configuration(&config);
    let cors = if config.disable_cors {
        rasura_server::cors::CorsConfig::Disabled
    } else {
        match &config.cors {
            Some(text) => {
                rasura_server::cors::CorsConfig::parse(text).map_err(|e| anyhow::anyhow!(e))?
            }
            None => rasura_server::cors::CorsConfig::AllowAll,
        }
    };
    let apis = match &config.enabled_apis {
        Some(text) => rasura_server::EnabledApis::parse(text).map_err(|e| anyhow::anyhow!(e))?,
        None => rasura_server::EnabledApis::default(),
    };
    if config.admin_secret.as_deref() == Some("") {
        anyhow::bail!(
            "the admin secret is empty: give a non-empty --admin-secret, or none at all to run without one"
        );
    }
    // An unknown naming convention is refused; graphql-default without the experimental
    // feature is ignored, as Hasura ignores it, with a warning.
    let convention = rasura_naming::server_convention().map_err(|e| anyhow::anyhow!(e))?;
    let features = rasura_naming::experimental_features();
    if convention != "hasura-default" && !features.iter().any(|f| f == "naming_convention") {
        tracing::warn!(
            "HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION={convention} takes effect only with the naming_convention experimental feature (HASURA_GRAPHQL_EXPERIMENTAL_FEATURES=naming_convention); hasura-default is used"
        );
    }
    for (var, value) in rasura_naming::unread_flags() {
        tracing::warn!(
            "{var}={value} is not read as a boolean (Hasura reads only True or False): the flag is off"
        );
    }
    if config.admin_secret.is_none() && !is_loopback(&config.host) {
        tracing::warn!(
            host = %config.host,
            "no admin secret is set and the server listens beyond this machine: anyone who can reach it is admin (set --admin-secret or HASURA_GRAPHQL_ADMIN_SECRET)"
        );
    }
    let jwt = match &config.jwt_secret {
        Some(text) => {
            let jwt = rasura_auth::jwt::parse_config(text).map_err(|e| anyhow::anyhow!(e))?;
            jwt.start_refresh().await.map_err(|e| anyhow::anyhow!(e))?;
            Some(jwt)
        }
        None => None,
    };
    let hook = match &config.auth_hook {
        Some(url) => Some(
            rasura_auth::webhook::AuthHook::new(url, config.auth_hook_mode.as_deref())
                .map_err(|e| anyhow::anyhow!(e))?,
        ),
        None => None,
    };
    if hook.is_some() && (jwt.is_some() || config.unauthorized_role.is_some()) {
        anyhow::bail!("the auth webhook cannot be combined with JWT mode or an unauthorized role");
    }
    if hook.is_some() && config.admin_secret.is_none() {
        anyhow::bail!("the auth webhook (--auth-hook, HASURA_GRAPHQL_AUTH_HOOK) needs an admin secret to be set");
    }
    if jwt.is_some() && config.admin_secret.is_none() {
        anyhow::bail!(
            "JWT mode (--jwt-secret, HASURA_GRAPHQL_JWT_SECRET) needs an admin secret to be set"
        );
    }
    if config.unauthorized_role.is_some() && config.admin_secret.is_none() {
        anyhow::bail!("--unauthorized-role (HASURA_GRAPHQL_UNAUTHORIZED_ROLE) needs an admin secret to be set");
    }
    // The port first: a server that cannot listen must not touch a database.
    let addr = listen_address(&config)?;
    std::net::TcpListener::bind(addr)
        .with_context(|| format!("cannot listen on {addr}: is another server using it?"))?;
    // The database URL (the `default` source's, and the metadata's unless a metadata database
    // is given); the embedded cluster when neither is given.
    let (url, embedded) = match (&config.database_url, &config.metadata_database_url) {
        (Some(url), _) => (Some(url.clone()), None),
        (None, Some(_)) => (None, None),
        (None, None) => {
            let embedded = start_embedded(&config).await?;
            (Some(embedded.cluster.url(EMBEDDED_DB)), Some(embedded))
        }
    };
    let watchdog = embedded
        .as_ref()
        .map(|e| tokio::spawn(watch_cluster(e.cluster.clone())));
    let access = Access {
        jwt,
        auth_hook: hook,
        cors,
        apis,
    };
    let result = run_server(&config, access, url.as_deref(), embedded.is_some()).await;
    if let Some(w) = watchdog {
        w.abort();
    }
    if let Some(embedded) = embedded {
        tracing::info!("stopping the embedded PostgreSQL cluster");
        if let Err(e) = embedded.cluster.stop().await {
            tracing::error!("could not stop the embedded cluster: {e}");
        }
    }
    result
}

/// The embedded cluster, and the lock that makes this server its only user.
struct Embedded {
    cluster: Cluster,
    /// Held until the server stops: a second server on the same data directory is refused.
    _lock: std::fs::File,
}

/// Takes the data directory's lock, then creates (on first run) and starts the cluster.
async fn start_embedded(config: &ServeConfig) -> anyhow::Result<Embedded> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create the data dir {}", config.data_dir.display()))?;
    let lock = lock_data_dir(&config.data_dir)?;
    let mut cluster = Cluster::new(&config.data_dir.join("pg"), 0)?;
    if !cluster.on_socket() {
        cluster.port = rasura_cluster::free_port()?;
    }
    if !cluster.is_initialised() {
        tracing::info!(dir = %cluster.data_dir.display(), "creating the embedded PostgreSQL cluster");
        cluster.init().await?;
    }
    cluster.start().await?;
    cluster.create_database(EMBEDDED_DB).await?;
    match &cluster.socket_dir {
        Some(dir) => tracing::info!(
            socket_dir = %dir.display(),
            "the embedded PostgreSQL listens on a Unix socket only; for a shell: rasura psql (or psql -h {} -U postgres {EMBEDDED_DB})",
            dir.display()
        ),
        None => tracing::info!(
            port = cluster.port,
            "the embedded PostgreSQL listens on 127.0.0.1"
        ),
    }
    Ok(Embedded {
        cluster,
        _lock: lock,
    })
}

/// Locks `data_dir` for this process: refuses (naming the holder) when another server has it.
fn lock_data_dir(data_dir: &std::path::Path) -> anyhow::Result<std::fs::File> {
    use std::io::{Read, Seek, Write};
    let path = data_dir.join("serve.lock");
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    if file.try_lock().is_err() {
        let mut holder = String::new();
        let _ = file.read_to_string(&mut holder);
        anyhow::bail!(
            "another rasura serve (pid {}) is using the data directory {}; stop it, or give this one its own --data-dir or a --database-url",
            holder.trim(),
            data_dir.display()
        );
    }
    file.set_len(0)?;
    file.rewind()?;
    write!(file, "{}", std::process::id())?;
    Ok(file)
}

/// Starts the embedded cluster again if its server goes away under us (killed, or stopped by
/// hand): the pools reconnect once it is back.
async fn watch_cluster(mut cluster: Cluster) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
    loop {
        tick.tick().await;
        if cluster.running_port().is_some() {
            continue;
        }
        tracing::warn!("the embedded PostgreSQL cluster is not running; starting it again");
        if let Err(e) = cluster.start().await {
            tracing::error!("could not restart the embedded cluster: {e}");
        }
    }
}

/// The address the API listens on.
fn listen_address(config: &ServeConfig) -> anyhow::Result<SocketAddr> {
    format!("{}:{}", config.host, config.port)
        .parse()
        .with_context(|| format!("invalid address {}:{}", config.host, config.port))
}

/// `rasura psql`: a psql shell on the embedded cluster's database (the server must be running).
pub fn psql(data_dir: &std::path::Path, args: &[String]) -> anyhow::Result<()> {
    use std::os::unix::process::CommandExt;
    let cluster = Cluster::new(&data_dir.join("pg"), 0)?;
    let Some(port) = cluster.running_port() else {
        anyhow::bail!(
            "no embedded PostgreSQL is running in {}: start rasura serve first",
            data_dir.display()
        );
    };
    let host = match cluster.running_socket_dir() {
        Some(dir) => dir.to_string_lossy().to_string(),
        None => "127.0.0.1".to_string(),
    };
    let beside = cluster.bin_dir.join("psql");
    let program = if beside.exists() {
        beside
    } else {
        std::path::PathBuf::from("psql")
    };
    let err = std::process::Command::new(program)
        .args([
            "-h",
            &host,
            "-p",
            &port.to_string(),
            "-U",
            "postgres",
            EMBEDDED_DB,
        ])
        .args(args)
        .exec();
    Err(anyhow::anyhow!("cannot run psql: {err}"))
}

/// Who may call what, settled before the server starts.
struct Access {
    jwt: Option<rasura_auth::jwt::JwtConfig>,
    auth_hook: Option<rasura_auth::webhook::AuthHook>,
    cors: rasura_server::cors::CorsConfig,
    apis: rasura_server::EnabledApis,
}

async fn run_server(
    config: &ServeConfig,
    access: Access,
    database_url: Option<&str>,
    embedded: bool,
) -> anyhow::Result<()> {
    if let Some(url) = database_url {
        // The `default` source reads HASURA_GRAPHQL_DATABASE_URL: the flag or the embedded
        // database stand for it when the environment does not set it.
        rasura_resolve::stages::sources::set_database_url(url);
    }
    rasura_resolve::stages::sources::set_read_replica_urls(config.read_replica_urls.clone());
    let meta_url = config
        .metadata_database_url
        .as_deref()
        .or(database_url)
        .context("no database: give --database-url or --metadata-database-url")?;
    let meta = rasura_pg::connect_pool(meta_url, 2)
        .await
        .with_context(|| {
            format!(
                "cannot connect to the metadata database at {}",
                redact(meta_url)
            )
        })?;
    let threads = config.server_threads.max(1);
    let layout = rasura_exec::Layout {
        database_url: database_url.is_some(),
        source_connections: (config.pg_connections / threads).max(2),
        threads,
    };
    let state = AppState::load(
        meta,
        meta_url,
        ServerConfig {
            metrics_secret: std::env::var("RASURA_METRICS_SECRET")
                .or_else(|_| std::env::var("HASURA_GRAPHQL_METRICS_SECRET"))
                .ok()
                .filter(|s| !s.is_empty()),
            auth: rasura_auth::AuthConfig {
                admin_secret: config.admin_secret.clone(),
                unauthorized_role: config.unauthorized_role.clone(),
                jwt: access.jwt,
                auth_hook: access.auth_hook,
            },
            exec: rasura_exec::ExecConfig {
                query_timeout: config.query_timeout,
                stringify_numeric: config.stringify_numeric_types,
                limits: config.limits,
                reads: config.reads,
                dev_mode: config.dev_mode,
                hide_internal_from_admin: !config.admin_internal_errors,
                enable_allowlist: config.enable_allowlist,
            },
            cors: access.cors,
            apis: access.apis,
            // Hasura's default is off; Rasura's embedded database is a developer's own machine.
            console: config.enable_console.unwrap_or(embedded),
        },
        layout,
    )
    .await
    .context("cannot load the metadata")?;
    let async_actions = rasura_exec::async_actions::spawn(state.engine.clone());
    let follower = crate::follow::start(state.clone(), meta_url.to_string());
    let deliverer = start_event_delivery(config, &state);
    let scheduler = start_scheduled_delivery(config, meta_url, &state).await?;
    let engine = state.engine.current();
    for i in &engine.resolved.inconsistencies {
        tracing::warn!(name = %i.name, reason = %i.reason, "inconsistent metadata object left out");
    }
    let addr = listen_address(config)?;
    let origin = if embedded {
        "the embedded cluster"
    } else if config.metadata_database_url.is_some() {
        "--metadata-database-url"
    } else {
        "--database-url"
    };
    tracing::info!("metadata kept in {} ({origin})", redact(meta_url));
    match &engine.resolved.source {
        Some(s) => {
            tracing::info!("source \"{}\" served from {}", s.name, redact(&s.url));
            for r in &s.replicas {
                tracing::info!(
                    "source \"{}\" reads from replica {}",
                    s.name,
                    redact(&r.url)
                );
            }
        }
        None => tracing::info!("no database source is served yet (add one with pg_add_source)"),
    }
    tracing::info!(
        "GraphQL API at http://{addr}/v1/graphql, metadata API at http://{addr}/v1/metadata"
    );
    drop(engine);
    if config.project.is_set() {
        apply_project(&state, config).await?;
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let workers = crate::workers::start(
        &state,
        addr,
        config.server_threads,
        config.pg_connections,
        config.http,
        stop_rx,
    )?;
    rasura_log::startup(
        "server",
        serde_json::json!({"message": "Starting API server", "time_taken": rasura_log::uptime()}),
    );
    shutdown_signal().await;
    rasura_log::startup(
        "server",
        serde_json::json!("gracefully shutting down server"),
    );
    async_actions.abort(); // before the cluster stops under it
    follower.abort();
    if let Some(d) = deliverer {
        d.shutdown().await;
    }
    if let Some(s) = scheduler {
        s.shutdown().await;
    }
    let _ = stop_tx.send(true);
    for w in workers {
        match w.join() {
            Ok(Err(e)) => tracing::error!("worker: {e:#}"),
            Err(_) => tracing::error!("a worker thread panicked"),
            Ok(Ok(())) => {}
        }
    }
    tracing::info!("shut down");
    Ok(())
}

/// The advisory lock key under which engines apply a start-up project.
const PROJECT_LOCK: i64 = 7358237802;

/// Applies the start-up project through the engine's own API on a loopback port of its own,
/// before the API's port is served (as Hasura's cli-migrations image does with a temporary
/// server).
async fn apply_project(state: &AppState, config: &ServeConfig) -> anyhow::Result<()> {
    // Any free port but the API's own (free now, until the serving threads bind it).
    let api_port = listen_address(config)?.port();
    let mut listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    while listener.local_addr()?.port() == api_port {
        listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    }
    let endpoint = format!("http://{}", listener.local_addr()?);
    let app = rasura_server::router(state.for_thread(2));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let p = &config.project;
    let started = std::time::Instant::now();
    // Engines started together with the project apply it one at a time: the later ones find
    // the migrations recorded.
    let lock = state
        .engine
        .meta
        .get()
        .await
        .context("the metadata database, for the start-up lock")?;
    lock.batch_execute(&format!("SELECT pg_advisory_lock({PROJECT_LOCK})"))
        .await
        .context("taking the start-up lock")?;
    let applied = rasura_project::cmd::apply_project_at_start(
        &endpoint,
        config.admin_secret.as_deref(),
        p.dir.as_deref(),
        p.metadata_dir.as_deref(),
        p.migrations_dir.as_deref(),
    )
    .await;
    server.abort();
    let _ = lock
        .batch_execute(&format!("SELECT pg_advisory_unlock({PROJECT_LOCK})"))
        .await;
    drop(lock);
    applied.context("applying the project at start failed")?;
    tracing::info!("project applied in {} ms", started.elapsed().as_millis());
    Ok(())
}

/// Event delivery that follows the served sources: a loop per source, on the source's
/// database (with a pool of its own), started again there when the metadata moves it.
struct EventDelivery {
    stop: tokio::sync::watch::Sender<bool>,
    done: tokio::task::JoinHandle<()>,
}

impl EventDelivery {
    async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.done.await;
    }
}

/// Each served source's name and database URL.
fn served_sources(state: &AppState) -> Vec<(String, String)> {
    let current = state.engine.current();
    current
        .resolved
        .served()
        .filter_map(|r| r.source.as_ref())
        .map(|s| (s.name.clone(), s.url.clone()))
        .collect()
}

/// The event triggers of source `name` as the delivery loop reads them.
fn triggers_of(state: &AppState, name: &str) -> std::sync::Arc<rasura_resolve::ResolvedMetadata> {
    let current = state.engine.current();
    let mut only = rasura_resolve::ResolvedMetadata::default();
    match current.resolved.served_named(name) {
        Some((0, _)) => return current.resolved.clone(),
        Some((_, r)) => only.event_triggers = r.event_triggers.clone(),
        None => {}
    }
    std::sync::Arc::new(only)
}

/// Starts event delivery (unless `fetch_batch_size` is 0).
fn start_event_delivery(config: &ServeConfig, state: &AppState) -> Option<EventDelivery> {
    let e = config.events;
    if e.fetch_batch_size == 0 {
        tracing::info!("event delivery is off (fetch batch size 0)");
        return None;
    }
    let (stop, mut stop_rx) = tokio::sync::watch::channel(false);
    let state = state.clone();
    let done = tokio::spawn(async move {
        let mut running: Vec<((String, String), rasura_events::Deliverer)> = vec![];
        loop {
            let wanted = served_sources(&state);
            let (keep, gone): (Vec<_>, Vec<_>) =
                running.into_iter().partition(|(k, _)| wanted.contains(k));
            running = keep;
            for (_, d) in gone {
                d.shutdown().await;
            }
            for (name, url) in wanted {
                if running.iter().any(|((n, u), _)| *n == name && *u == url) {
                    continue;
                }
                match rasura_pg::connect_pool(&url, 4).await {
                    Ok(pool) => {
                        let mut dc = rasura_events::DeliveryConfig::new(&url);
                        dc.http_pool_size = e.http_pool_size;
                        dc.fetch_batch_size = e.fetch_batch_size;
                        dc.fetch_interval = std::time::Duration::from_millis(e.fetch_interval_ms);
                        dc.graceful_shutdown =
                            std::time::Duration::from_secs(e.graceful_shutdown_secs);
                        let (s, n) = (state.clone(), name.clone());
                        let d = rasura_events::Deliverer::start(
                            dc,
                            pool,
                            std::sync::Arc::new(move || triggers_of(&s, &n)),
                        );
                        running.push(((name, url), d));
                    }
                    Err(err) => tracing::warn!(
                        source = %name,
                        "event delivery: cannot connect to the source's database: {err}"
                    ),
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                _ = stop_rx.changed() => break,
            }
        }
        for (_, d) in running {
            d.shutdown().await;
        }
    });
    Some(EventDelivery { stop, done })
}

/// Starts the scheduled-event loop (unless event delivery is off), with a pool of its own.
async fn start_scheduled_delivery(
    config: &ServeConfig,
    url: &str,
    state: &AppState,
) -> anyhow::Result<Option<rasura_scheduled::Scheduler>> {
    let e = config.events;
    if e.fetch_batch_size == 0 {
        return Ok(None);
    }
    let pool = rasura_pg::connect_pool(url, 4)
        .await
        .context("cannot connect the scheduled-event loop to the database")?;
    let mut sc = rasura_scheduled::SchedulerConfig::new(url);
    sc.http_pool_size = e.http_pool_size;
    sc.fetch_batch_size = e.fetch_batch_size;
    sc.graceful_shutdown = std::time::Duration::from_secs(e.graceful_shutdown_secs);
    let state = state.clone();
    Ok(Some(rasura_scheduled::Scheduler::start(
        sc,
        pool,
        std::sync::Arc::new(move || state.engine.current().resolved.clone()),
    )))
}

/// Whether `host` is a loopback address (or `localhost`).
fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The URL without its password.
/// The `startup` line of the settings, as Hasura logs them: secrets only as whether they are set.
fn log_configuration(config: &ServeConfig) {
    rasura_log::startup(
        "server_configuration",
        serde_json::json!({
            "port": config.port,
            "server_host": config.host,
            "admin_secret_set": config.admin_secret.is_some(),
            "auth_hook": config.auth_hook,
            "auth_hook_mode": config.auth_hook_mode,
            "jwt_secret": config.jwt_secret.as_ref().map(|_| "<JWK REDACTED>"),
            "unauth_role": config.unauthorized_role,
            "cors_config": {"allowed_origins": config.cors.as_deref().unwrap_or("*"), "disabled": config.disable_cors},
            "enabled_apis": config.enabled_apis.as_deref().unwrap_or("metadata,graphql,pgdump,config"),
            "stringify_numeric_types": config.stringify_numeric_types,
            "enable_allowlist": config.enable_allowlist,
            "dev_mode": config.dev_mode,
            "admin_internal_errors": config.admin_internal_errors,
            "events_fetch_batch_size": config.events.fetch_batch_size,
            "graceful_shutdown_timeout": config.events.graceful_shutdown_secs,
            "server_threads": config.server_threads,
            "pg_connections": config.pg_connections,
            "database_url_set": config.database_url.is_some(),
            "metadata_database_url_set": config.metadata_database_url.is_some(),
        }),
    );
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..s + 3], &creds[..colon], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown signal received");
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact("postgres://u:secret@h:5/db"),
            "postgres://u:***@h:5/db"
        );
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
    }
}
