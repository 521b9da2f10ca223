//! `rasura seed create|apply`: SQL files under `seeds/<database>/`, run in one request.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::migrate::{databases, DatabaseArgs};
use super::out::info;
use crate::client::Client;
use crate::config::Project;

#[derive(Debug, Subcommand)]
pub enum SeedCommand {
    /// A new seed file (empty, or the rows of tables).
    Create(CreateArgs),
    /// Run seed files.
    Apply(ApplyArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The seed's name.
    pub name: String,
    /// Tables whose rows become the seed (`schema.table` or `table`), dumped as INSERTs.
    #[arg(long)]
    pub from_table: Vec<String>,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Seed files to run (relative to `seeds/<database>`) [default: all, in name order]
    #[arg(long, short)]
    pub file: Vec<PathBuf>,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

pub async fn run(project: &Project, client: &Client, cmd: SeedCommand) -> anyhow::Result<()> {
    match cmd {
        SeedCommand::Create(a) => create(project, client, &a).await,
        SeedCommand::Apply(a) => {
            for db in databases(client, &a.db).await? {
                apply(project, client, &db, &a.file).await?;
            }
            Ok(())
        }
    }
}

async fn create(project: &Project, client: &Client, a: &CreateArgs) -> anyhow::Result<()> {
    let db = match databases(client, &a.db).await {
        Ok(mut dbs) if dbs.len() == 1 => dbs.remove(0),
        Ok(_) => bail!("seed create works on one database: give --database-name"),
        Err(e) => return Err(e),
    };
    let dir = project.seeds_dir().join(&db);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(format!(
        "{}_{}.sql",
        crate::migrations::new_version(),
        a.name
    ));
    let text = if a.from_table.is_empty() {
        String::new()
    } else {
        let mut opts = vec!["--no-owner", "--no-acl", "--data-only", "--inserts"];
        for t in &a.from_table {
            opts.extend(["--table", t.as_str()]);
        }
        client.pg_dump(&db, &opts).await?
    };
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    info(format!(
        "created seed file successfully: {}",
        path.display()
    ));
    Ok(())
}

/// Runs the seed files of a database (all of them when `files` is empty), in one request.
pub async fn apply(
    project: &Project,
    client: &Client,
    db: &str,
    files: &[PathBuf],
) -> anyhow::Result<()> {
    let dir = project.seeds_dir().join(db);
    let paths: Vec<PathBuf> = if files.is_empty() {
        let mut all = Vec::new();
        crate::layout::files_with_extension(&dir, "sql", &mut all);
        all.sort();
        all
    } else {
        files.iter().map(|f| dir.join(f)).collect()
    };
    if paths.is_empty() {
        bail!("no SQL files found in {}", dir.display());
    }
    let mut steps = Vec::new();
    for p in &paths {
        if !p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("sql"))
        {
            bail!("{}: a seed file must end in .sql", p.display());
        }
        let sql = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        steps.push(json!({"type": "run_sql", "args": {"sql": sql, "source": db}}));
    }
    client
        .post(
            "v2/query",
            &json!({"type": "bulk", "args": Value::Array(steps)}),
        )
        .await
        .context("applying seeds failed; none of them was applied")?;
    info(format!(
        "Seeds planted on database {db}: {}",
        paths
            .iter()
            .map(|p| p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    Ok(())
}
