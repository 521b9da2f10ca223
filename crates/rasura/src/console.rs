//! `rasura console`: the web console on a port of its own, talking to a running engine (the
//! project's `config.yaml` endpoint, or `--endpoint`), as `hasura console` serves it.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Redirect, Response};
use axum::routing::get;
use axum::Router;
use rasura_console::PageSettings;
use std::sync::Arc;

use crate::cli::ConsoleArgs;

/// Serves the console until Ctrl-C.
pub async fn run(args: ConsoleArgs) -> anyhow::Result<()> {
    let settings = Arc::new(settings(&args)?);
    if !rasura_console::is_built() {
        eprintln!("rasura: the console is not built into this binary; run scripts/build-console.sh, then build rasura again");
    }
    let app = Router::new()
        .route("/", get(|| async { Redirect::temporary("/console") }))
        .route("/console", get(page))
        .route("/console/", get(page))
        .route("/console/{*path}", get(file))
        .with_state(settings.clone());
    let listener = tokio::net::TcpListener::bind((args.address.as_str(), args.console_port))
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot listen on {}:{}: {e}",
                args.address,
                args.console_port
            )
        })?;
    eprintln!(
        "rasura: console at http://{}/console, for the engine at {}",
        listener.local_addr()?,
        settings.endpoint
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// The engine's URL and admin secret: the project's (when there is one, or one is named),
/// else the flags and `HASURA_GRAPHQL_*` variables, else a local engine.
fn settings(args: &ConsoleArgs) -> anyhow::Result<PageSettings> {
    let p = &args.project;
    let (endpoint, admin_secret) = match p.open() {
        Ok((project, _)) => (project.config.endpoint, project.config.admin_secret),
        Err(e) if p.project.is_some() => return Err(e),
        Err(_) => (
            p.endpoint
                .clone()
                .or_else(|| std::env::var("HASURA_GRAPHQL_ENDPOINT").ok())
                .unwrap_or_else(|| "http://localhost:8080".into()),
            p.admin_secret
                .clone()
                .or_else(|| std::env::var("HASURA_GRAPHQL_ADMIN_SECRET").ok()),
        ),
    };
    Ok(PageSettings {
        endpoint: endpoint.trim_end_matches('/').to_string(),
        admin_secret: admin_secret.filter(|s| !s.is_empty()),
    })
}

async fn page(State(s): State<Arc<PageSettings>>, headers: HeaderMap) -> Response {
    rasura_server::console_answer("", &headers, &s)
}

async fn file(
    State(s): State<Arc<PageSettings>>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Response {
    rasura_server::console_answer(&path, &headers, &s)
}
