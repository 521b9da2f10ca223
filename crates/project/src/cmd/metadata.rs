//! `rasura metadata export|apply|diff|reload|clear|inconsistency`.

use std::path::PathBuf;

use anyhow::bail;
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::out::{info, warn};
use crate::client::{inconsistencies, Client};
use crate::config::Project;
use crate::layout;

#[derive(Debug, Subcommand)]
pub enum MetadataCommand {
    /// Write the engine's metadata into the project's metadata directory (or print it).
    Export(ExportArgs),
    /// Replace the engine's metadata with the project's.
    Apply(ApplyArgs),
    /// Show how the project's metadata differs from the engine's (or between two directories).
    Diff(DiffArgs),
    /// Reload the engine's metadata (database schema and remote schemas read again).
    Reload,
    /// Clear the engine's metadata.
    Clear,
    /// Inconsistent metadata objects.
    #[command(subcommand, alias = "ic")]
    Inconsistency(InconsistencyCommand),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Print the metadata as `json` or `yaml` instead of writing the directory.
    #[arg(long, short)]
    pub output: Option<String>,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Print the metadata that would be sent, and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Refuse metadata the engine finds inconsistent (by default it is applied and reported).
    #[arg(long)]
    pub disallow_inconsistent_metadata: bool,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Directories to compare: none (the project against the engine), one (it against the
    /// engine) or two (the first against the second).
    pub dirs: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum InconsistencyCommand {
    /// List the inconsistent objects.
    #[command(alias = "ls")]
    List {
        /// `json` for a JSON list.
        #[arg(long, short)]
        output: Option<String>,
    },
    /// Whether the metadata is consistent.
    Status,
    /// Drop the inconsistent objects from the metadata.
    Drop,
}

pub async fn run(project: &Project, client: &Client, cmd: MetadataCommand) -> anyhow::Result<()> {
    match cmd {
        MetadataCommand::Export(a) => export(project, client, a.output.as_deref()).await,
        MetadataCommand::Apply(a) => apply(project, client, &a).await,
        MetadataCommand::Diff(a) => diff(project, client, &a.dirs).await,
        MetadataCommand::Reload => reload(client).await,
        MetadataCommand::Clear => {
            client.metadata("clear_metadata", json!({})).await?;
            info("Metadata cleared");
            Ok(())
        }
        MetadataCommand::Inconsistency(c) => inconsistency(client, c).await,
    }
}

async fn export(project: &Project, client: &Client, output: Option<&str>) -> anyhow::Result<()> {
    let md = client.export().await?;
    match output {
        Some("json") => println!("{}", serde_json::to_string_pretty(&md)?),
        Some("yaml") => print!("{}", crate::yaml::write(&md)),
        Some(other) => bail!("--output {other}: expected json or yaml"),
        None => {
            let files = layout::export(&md)?;
            layout::write(&project.metadata_dir(), &files)?;
            info(format!(
                "Metadata exported to {} ({} files)",
                project.metadata_dir().display(),
                files.len()
            ));
        }
    }
    Ok(())
}

/// Sends the project's metadata; `Ok(false)` when the engine reports it inconsistent (which
/// is said unless `quiet`: the first apply of a deploy, before the migrations, expects it).
pub async fn apply_dir(
    project: &Project,
    client: &Client,
    allow_inconsistent: bool,
    quiet: bool,
) -> anyhow::Result<bool> {
    let md = layout::build(&project.metadata_dir())?;
    let answer = client
        .post(
            "v1/metadata",
            &json!({"type": "replace_metadata", "version": 2,
                    "args": {"allow_inconsistent_metadata": allow_inconsistent, "metadata": md}}),
        )
        .await?;
    let bad = inconsistencies(&answer);
    if !bad.is_empty() && !quiet {
        warn("Metadata is inconsistent");
        print_inconsistencies(&bad);
        warn("Use 'rasura metadata ic list' to list the inconsistent objects");
    }
    Ok(bad.is_empty())
}

async fn apply(project: &Project, client: &Client, a: &ApplyArgs) -> anyhow::Result<()> {
    if a.dry_run {
        let md = layout::build(&project.metadata_dir())?;
        println!("{}", serde_json::to_string_pretty(&md)?);
        return Ok(());
    }
    apply_dir(project, client, !a.disallow_inconsistent_metadata, false).await?;
    info("Metadata applied");
    Ok(())
}

pub async fn reload(client: &Client) -> anyhow::Result<()> {
    client.metadata("reload_metadata", json!({})).await?;
    info("Metadata reloaded");
    let answer = client
        .metadata("get_inconsistent_metadata", json!({}))
        .await?;
    let bad = inconsistencies(&answer);
    if bad.is_empty() {
        info("Metadata is consistent");
    } else {
        warn("Metadata is inconsistent, use 'rasura metadata ic list' to see the inconsistent objects");
    }
    Ok(())
}

async fn inconsistency(client: &Client, cmd: InconsistencyCommand) -> anyhow::Result<()> {
    let answer = client
        .metadata("get_inconsistent_metadata", json!({}))
        .await?;
    let bad = inconsistencies(&answer);
    match cmd {
        InconsistencyCommand::List { output } => match output.as_deref() {
            Some("json") => println!("{}", serde_json::to_string_pretty(&bad)?),
            Some(other) => bail!("--output {other}: expected json"),
            None if bad.is_empty() => info("metadata is consistent"),
            None => print!("{}", inconsistency_table(&bad)),
        },
        InconsistencyCommand::Status if bad.is_empty() => info("metadata is consistent"),
        InconsistencyCommand::Status => bail!("metadata is inconsistent"),
        InconsistencyCommand::Drop => {
            client
                .metadata("drop_inconsistent_metadata", json!({}))
                .await?;
            info("all inconsistent objects removed from metadata");
        }
    }
    Ok(())
}

fn print_inconsistencies(bad: &[Value]) {
    eprint!("{}", inconsistency_table(bad));
}

/// `NAME TYPE DESCRIPTION REASON`, as the Hasura CLI prints them.
pub fn inconsistency_table(bad: &[Value]) -> String {
    let rows: Vec<[String; 4]> = bad
        .iter()
        .map(|o| {
            let def = o.get("definition").cloned().unwrap_or(Value::Null);
            let name = def
                .get("name")
                .map(|n| match n {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .unwrap_or_else(|| "N/A".into());
            let ty = o
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let reason = match o.get("reason") {
                Some(Value::String(s)) => s.clone(),
                Some(v) => cut(&v.to_string(), 80),
                None => String::new(),
            };
            [name, ty, cut(&def.to_string(), 50), reason]
        })
        .collect();
    super::out::table(&["NAME", "TYPE", "DESCRIPTION", "REASON"], &rows)
}

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    format!("{}...", s.chars().take(n).collect::<String>())
}

/// The files of both sides, normalised through the same layout, compared file by file.
async fn diff(project: &Project, client: &Client, dirs: &[PathBuf]) -> anyhow::Result<()> {
    let (from, to, from_name, to_name) = match dirs {
        [] => (
            client.export().await?,
            layout::build(&project.metadata_dir())?,
            "server".to_string(),
            "project".to_string(),
        ),
        [dir] => (
            client.export().await?,
            layout::build(&project.dir.join(dir))?,
            "server".to_string(),
            dir.display().to_string(),
        ),
        [a, b] => (
            layout::build(&project.dir.join(b))?,
            layout::build(&project.dir.join(a))?,
            b.display().to_string(),
            a.display().to_string(),
        ),
        _ => bail!("metadata diff takes at most two directories"),
    };
    info(format!("Showing diff between {from_name} and {to_name}..."));
    let text = crate::diff::files(&layout::export(&from)?, &layout::export(&to)?);
    if text.is_empty() {
        info("zero differences found");
    } else {
        print!("{text}");
    }
    Ok(())
}
