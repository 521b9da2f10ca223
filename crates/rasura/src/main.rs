//! The `rasura` binary: command line, startup, graceful shutdown.

mod cli;
mod console;
mod follow;
mod serve;
mod workers;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let logs = match &cli.command {
        cli::Command::Serve(args) => args.log_config(),
        _ => Ok(rasura_log::LogConfig::default()),
    };
    let logs = match logs {
        Ok(l) => l,
        Err(e) => {
            eprintln!("rasura: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    init_tracing(logs.level);
    rasura_log::init(logs);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = runtime.block_on(async {
        match cli.command {
            cli::Command::Serve(args) => serve::serve(args.resolve()).await,
            cli::Command::Codegen(cli::CodegenCommand::Action(args)) => codegen_action(args).await,
            cli::Command::Psql(args) => serve::psql(&args.data_dir, &args.args),
            cli::Command::Metadata { project, cmd } => {
                rasura_project::cmd::metadata(&project, cmd).await
            }
            cli::Command::Migrate { project, cmd } => {
                rasura_project::cmd::migrate(&project, cmd).await
            }
            cli::Command::Seed { project, cmd } => rasura_project::cmd::seed(&project, cmd).await,
            cli::Command::Deploy { project, args } => {
                rasura_project::cmd::deploy(&project, args).await
            }
            cli::Command::Init(args) => rasura_project::cmd::init(&args).await,
            cli::Command::Console(args) => console::run(args).await,
        }
    });
    rasura_log::flush();
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rasura: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Prints a handler scaffold for an action, from a metadata file or a running engine.
async fn codegen_action(args: cli::CodegenActionArgs) -> anyhow::Result<()> {
    let md: serde_json::Value = match &args.metadata {
        Some(path) => serde_json::from_str(&std::fs::read_to_string(path)?)?,
        None => {
            let mut req = reqwest::Client::new()
                .post(format!(
                    "{}/v1/metadata",
                    args.endpoint.trim_end_matches('/')
                ))
                .json(&serde_json::json!({"type": "export_metadata", "args": {}}));
            if let Some(secret) = &args.admin_secret {
                req = req.header("x-hasura-admin-secret", secret);
            }
            req.send().await?.error_for_status()?.json().await?
        }
    };
    let code = rasura_codegen::generate(&md, &args.name, &args.framework)
        .map_err(|e| anyhow::anyhow!(e))?;
    print!("{code}");
    Ok(())
}

/// Diagnostics for people, on stderr (stdout carries the JSON log lines), coloured only on a
/// terminal; `RUST_LOG` refines the level. Under them, the OpenTelemetry export of spans
/// (`rasura_traces`), idle until the metadata or the environment configures one; the spans
/// made only for it stay out of the diagnostics.
fn init_tracing(level: rasura_log::Level) {
    use std::io::IsTerminal;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| level.as_str().to_string());
    let filter = format!("{filter},{}=off", rasura_traces::TARGET);
    let diagnostics = tracing_subscriber::fmt::layer()
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_filter(tracing_subscriber::EnvFilter::new(filter));
    tracing_subscriber::registry()
        .with(rasura_traces::layer())
        .with(diagnostics)
        .init();
}
