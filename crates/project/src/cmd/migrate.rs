//! `rasura migrate create|apply|status|delete|squash`, with the migration state kept where the
//! Hasura CLI keeps it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use serde_json::Value;

use super::out::{info, table, warn};
use crate::client::Client;
use crate::config::Project;
use crate::migrations::{self, Direction, Step, Target};
use crate::state::{self, CliState};

#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// A new migration directory.
    Create(CreateArgs),
    /// Apply (or roll back) migrations.
    Apply(ApplyArgs),
    /// Which migrations the project has and which the database has applied.
    Status(DatabaseArgs),
    /// Forget migrations (and delete their directories).
    Delete(DeleteArgs),
    /// Squash a range of migrations into one.
    Squash(SquashArgs),
}

/// Which databases a command works on.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// The database (source) [default: the only one the engine has]
    #[arg(long)]
    pub database_name: Option<String>,
    /// Every database the engine has.
    #[arg(long)]
    pub all_databases: bool,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The migration's name.
    pub name: String,
    /// SQL of the up migration.
    #[arg(long)]
    pub up_sql: Option<String>,
    /// SQL of the down migration.
    #[arg(long)]
    pub down_sql: Option<String>,
    /// The up migration's SQL from a file.
    #[arg(long)]
    pub sql_from_file: Option<PathBuf>,
    /// The up migration is the engine database's schema (pg_dump), and is marked applied.
    #[arg(long, alias = "sql-from-server")]
    pub from_server: bool,
    /// Schemas dumped by --from-server [default: public]
    #[arg(long)]
    pub schema: Vec<String>,
    #[arg(long)]
    pub database_name: Option<String>,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Apply the next N migrations, or `all`.
    #[arg(long)]
    pub up: Option<String>,
    /// Roll back the last N migrations, or `all`.
    #[arg(long)]
    pub down: Option<String>,
    /// Migrate up or down to this version.
    #[arg(long)]
    pub goto: Option<u64>,
    /// Apply only this version (with --type).
    #[arg(long)]
    pub version: Option<u64>,
    /// `up` or `down`, for --version.
    #[arg(long = "type", default_value = "up")]
    pub kind: String,
    /// Record the migrations as applied (or rolled back) without running their SQL.
    #[arg(long)]
    pub skip_execution: bool,
    /// Print what would run, and run nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Run every migration statement by statement outside a transaction (a file whose first
    /// line is `-- hasura:no-transaction` always runs so).
    #[arg(long)]
    pub no_transaction: bool,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The version to delete.
    #[arg(long)]
    pub version: Option<u64>,
    /// Every migration.
    #[arg(long)]
    pub all: bool,
    /// Only forget the state on the engine; keep the directories.
    #[arg(long)]
    pub server: bool,
    /// Do not ask (this CLI never asks; accepted for the Hasura CLI's scripts).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

#[derive(Debug, Args)]
pub struct SquashArgs {
    /// The first version to squash.
    #[arg(long)]
    pub from: u64,
    /// The last version to squash [default: the latest]
    #[arg(long)]
    pub to: Option<u64>,
    /// The squashed migration's name.
    #[arg(long, default_value = "squashed")]
    pub name: String,
    /// Delete the squashed directories and forget their versions (all but the last).
    #[arg(long)]
    pub delete_source: bool,
    #[arg(long)]
    pub database_name: Option<String>,
}

pub async fn run(project: &Project, client: &Client, cmd: MigrateCommand) -> anyhow::Result<()> {
    match cmd {
        MigrateCommand::Create(a) => create(project, client, &a).await,
        MigrateCommand::Apply(a) => apply(project, client, &a).await,
        MigrateCommand::Status(a) => status(project, client, &a).await,
        MigrateCommand::Delete(a) => delete(project, client, &a).await,
        MigrateCommand::Squash(a) => squash(project, client, &a).await,
    }
}

/// The engine's source names.
async fn sources(client: &Client) -> anyhow::Result<Vec<String>> {
    let md = client.export().await?;
    Ok(md
        .get("sources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("name").and_then(Value::as_str).map(str::to_string))
        .collect())
}

/// The databases to work on: the named one (which the engine must have), all, or the only one.
pub async fn databases(client: &Client, a: &DatabaseArgs) -> anyhow::Result<Vec<String>> {
    let all = sources(client).await?;
    if a.all_databases {
        return Ok(all);
    }
    match &a.database_name {
        Some(db) if all.contains(db) => Ok(vec![db.clone()]),
        Some(db) => bail!("database {db:?} is not connected to the engine (check if database exists on the engine)"),
        None if all.len() == 1 => Ok(all),
        None if all.is_empty() => bail!("the engine has no database"),
        None => bail!(
            "--database-name flag is required: the engine has {} databases ({})",
            all.len(),
            all.join(", ")
        ),
    }
}

fn db_dir(project: &Project, db: &str) -> PathBuf {
    project.migrations_dir().join(db)
}

async fn create(project: &Project, client: &Client, a: &CreateArgs) -> anyhow::Result<()> {
    let db = match &a.database_name {
        Some(db) => db.clone(),
        None => only_subdir(&project.migrations_dir()).unwrap_or_else(|| "default".into()),
    };
    let version = migrations::new_version();
    let dir = db_dir(project, &db).join(format!("{version}_{}", a.name));
    let (up, down) = if a.from_server {
        let schemas = if a.schema.is_empty() {
            vec!["public".to_string()]
        } else {
            a.schema.clone()
        };
        let mut opts = vec!["-O", "-x", "--schema-only"];
        for s in &schemas {
            opts.extend(["--schema", s.as_str()]);
        }
        (Some(client.pg_dump(&db, &opts).await?), None)
    } else if let Some(f) = &a.sql_from_file {
        let text = std::fs::read_to_string(project.dir.join(f))
            .with_context(|| format!("reading {}", f.display()))?;
        (Some(text), None)
    } else {
        if a.up_sql.is_some() != a.down_sql.is_some() {
            warn(if a.up_sql.is_some() {
                "you are creating an up migration without a down migration"
            } else {
                "you are creating a down migration without an up migration"
            });
        }
        (
            Some(a.up_sql.clone().unwrap_or_default()),
            Some(a.down_sql.clone().unwrap_or_default()),
        )
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    if let Some(up) = up {
        std::fs::write(dir.join("up.sql"), up)?;
    }
    if let Some(down) = down {
        std::fs::write(dir.join("down.sql"), down)?;
    }
    info(format!(
        "Migrations files created: version {version}, name {}, in {}",
        a.name,
        dir.display()
    ));
    if a.from_server {
        let mut state = CliState::read(client).await?;
        state.set(&db, version, false);
        state.write(client).await.with_context(|| {
            format!("marking the migration applied failed; mark it with: rasura migrate apply --skip-execution --version {version} --database-name {db}")
        })?;
        info(format!(
            "version {version} marked as applied on database {db}"
        ));
    }
    Ok(())
}

fn only_subdir(dir: &Path) -> Option<String> {
    let subdirs: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    (subdirs.len() == 1).then(|| subdirs[0].clone())
}

fn target(a: &ApplyArgs) -> anyhow::Result<Target> {
    let given = [
        a.up.is_some(),
        a.down.is_some(),
        a.goto.is_some(),
        a.version.is_some(),
    ];
    if given.iter().filter(|g| **g).count() > 1 {
        bail!("only one migration type can be applied at a time (--up, --down, --type or --goto)");
    }
    let count = |s: &str| -> anyhow::Result<Option<usize>> {
        if s == "all" {
            return Ok(None);
        }
        s.parse()
            .map(Some)
            .with_context(|| format!("{s:?} is not a number or `all`"))
    };
    Ok(if let Some(n) = &a.up {
        Target::Up(count(n)?)
    } else if let Some(n) = &a.down {
        Target::Down(count(n)?)
    } else if let Some(v) = a.goto {
        Target::Goto(v)
    } else if let Some(v) = a.version {
        let dir = match a.kind.as_str() {
            "up" => Direction::Up,
            "down" => Direction::Down,
            other => bail!("--type {other}: expected up or down"),
        };
        Target::Version(v, dir)
    } else {
        Target::Up(None)
    })
}

pub async fn apply(project: &Project, client: &Client, a: &ApplyArgs) -> anyhow::Result<()> {
    let target = target(a)?;
    if a.skip_execution && a.dry_run {
        bail!("--dry-run and --skip-execution cannot be used together");
    }
    if a.db.all_databases && matches!(target, Target::Goto(_) | Target::Version(..)) {
        bail!("--all-databases cannot be used with --goto or --version");
    }
    let dbs = databases(client, &a.db).await?;
    let mut failed = Vec::new();
    for db in &dbs {
        if let Err(e) = apply_db(project, client, db, target, a).await {
            warn(format!(
                "skipping applying migrations on database '{db}', encountered: \n{e:#}"
            ));
            failed.push(db.clone());
        }
    }
    if !failed.is_empty() {
        bail!(
            "applying migrations failed on database(s): {}",
            failed.join(",")
        );
    }
    Ok(())
}

async fn apply_db(
    project: &Project,
    client: &Client,
    db: &str,
    target: Target,
    a: &ApplyArgs,
) -> anyhow::Result<()> {
    let dir = db_dir(project, db);
    let migrations = migrations::scan(&dir).with_context(|| {
        format!(
            "expected to find a migrations directory for database '{db}' in {}",
            project.migrations_dir().display()
        )
    })?;
    let mut state = CliState::read(client).await?;
    state.check_mode()?;
    state::copy_legacy(client, &mut state, db).await?;
    let steps = migrations::plan(&migrations, &state.applied(db), target)?;
    if steps.is_empty() {
        info(format!("nothing to apply on database: {db}"));
        return Ok(());
    }
    if a.dry_run {
        let rows: Vec<[String; 3]> = steps
            .iter()
            .map(|s| {
                [
                    s.version.to_string(),
                    s.direction.as_str().into(),
                    s.name.clone(),
                ]
            })
            .collect();
        print!("{}", table(&["VERSION", "TYPE", "NAME"], &rows));
        return Ok(());
    }
    let total = Instant::now();
    for step in &steps {
        let mut step = step.clone();
        step.no_transaction |= a.no_transaction;
        run_step(client, &mut state, db, &step, a.skip_execution).await?;
    }
    info(format!(
        "migrations applied on database: {db} ({} in {} ms)",
        steps.len(),
        total.elapsed().as_millis()
    ));
    Ok(())
}

/// Runs one migration (in one transaction on the engine) and records it.
async fn run_step(
    client: &Client,
    state: &mut CliState,
    db: &str,
    step: &Step,
    skip_execution: bool,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let label = format!(
        "{}_{} ({})",
        step.version,
        step.name,
        step.direction.as_str()
    );
    if let (Some(sql), false) = (&step.sql, skip_execution) {
        let outcome = if step.no_transaction {
            "it ran outside a transaction: its statements before the failing one stay applied"
        } else {
            "nothing of it was applied"
        };
        client
            .run_sql(db, sql, false, step.no_transaction)
            .await
            .with_context(|| format!("migration {label} failed; {outcome}"))?;
    }
    match step.direction {
        Direction::Up => state.set(db, step.version, false),
        Direction::Down => state.remove(db, step.version),
    }
    state.write(client).await?;
    let how = if skip_execution {
        "recorded"
    } else {
        "applied"
    };
    info(format!(
        "{how} {label} in {} ms",
        started.elapsed().as_millis()
    ));
    Ok(())
}

async fn status(project: &Project, client: &Client, a: &DatabaseArgs) -> anyhow::Result<()> {
    let dbs = databases(client, a).await?;
    let mut state = CliState::read(client).await?;
    for db in &dbs {
        state::copy_legacy(client, &mut state, db).await?;
        let dir = db_dir(project, db);
        let migrations = if dir.exists() {
            migrations::scan(&dir)?
        } else {
            Vec::new()
        };
        let applied = state.applied(db);
        let mut versions: Vec<u64> = migrations.iter().map(|m| m.version).collect();
        versions.extend(applied.keys().copied());
        versions.sort_unstable();
        versions.dedup();
        let present = |yes: bool| if yes { "Present" } else { "Not Present" }.to_string();
        let rows: Vec<[String; 4]> = versions
            .iter()
            .map(|v| {
                let m = migrations.iter().find(|m| m.version == *v);
                [
                    v.to_string(),
                    m.map(|m| m.name.clone()).unwrap_or_default(),
                    present(m.is_some()),
                    present(applied.contains_key(v)),
                ]
            })
            .collect();
        println!("\nDatabase: {db}");
        print!(
            "{}",
            table(
                &["VERSION", "NAME", "SOURCE STATUS", "DATABASE STATUS"],
                &rows
            )
        );
    }
    Ok(())
}

async fn delete(project: &Project, client: &Client, a: &DeleteArgs) -> anyhow::Result<()> {
    if a.all == a.version.is_some() {
        bail!("give exactly one of --all and --version");
    }
    let dbs = databases(client, &a.db).await?;
    let mut state = CliState::read(client).await?;
    state.check_mode()?;
    for db in &dbs {
        let dir = db_dir(project, db);
        let on_disk = if dir.exists() {
            migrations::scan(&dir)?
        } else {
            Vec::new()
        };
        let applied = state.applied(db);
        let versions: Vec<u64> = match a.version {
            Some(v) if applied.contains_key(&v) || on_disk.iter().any(|m| m.version == v) => {
                vec![v]
            }
            Some(v) => bail!("version {v} not found"),
            None => {
                let mut all: Vec<u64> = applied.keys().copied().collect();
                all.extend(on_disk.iter().map(|m| m.version));
                all
            }
        };
        for v in &versions {
            state.remove(db, *v);
            if !a.server {
                if let Some(m) = on_disk.iter().find(|m| m.version == *v) {
                    std::fs::remove_dir_all(&m.dir)
                        .with_context(|| format!("removing {}", m.dir.display()))?;
                }
            }
        }
    }
    state.write(client).await?;
    info("Deleted migrations");
    Ok(())
}

async fn squash(project: &Project, client: &Client, a: &SquashArgs) -> anyhow::Result<()> {
    let db = match &a.database_name {
        Some(db) => db.clone(),
        None => databases(
            client,
            &DatabaseArgs {
                database_name: None,
                all_databases: false,
            },
        )
        .await?
        .remove(0),
    };
    let dir = db_dir(project, &db);
    let all = migrations::scan(&dir)?;
    let to =
        a.to.unwrap_or_else(|| all.last().map(|m| m.version).unwrap_or(0));
    let range: Vec<_> = all
        .iter()
        .filter(|m| m.version >= a.from && m.version <= to)
        .collect();
    if range.first().map(|m| m.version) != Some(a.from) {
        bail!("version {} is not a migration of {}", a.from, dir.display());
    }
    if range.last().map(|m| m.version) != Some(to) {
        bail!("version {to} is not a migration of {}", dir.display());
    }
    let mut state = CliState::read(client).await?;
    state.check_mode()?;
    let applied = state.applied(&db);
    let applied_count = range
        .iter()
        .filter(|m| applied.contains_key(&m.version))
        .count();
    if applied_count != 0 && applied_count != range.len() {
        bail!("migrations are out of sync: some of {}..{to} are applied and some are not; apply or roll them back first", a.from);
    }
    let up: String = range
        .iter()
        .filter_map(|m| m.up.as_deref())
        .map(|s| format!("\n{s}"))
        .collect();
    let down: String = range
        .iter()
        .rev()
        .filter_map(|m| m.down.as_deref())
        .map(|s| format!("\n{s}"))
        .collect();
    let holding = dir.join(format!("squashed_{}_to_{to}", a.from));
    std::fs::create_dir_all(&holding)?;
    for m in &range {
        let name = m.dir.file_name().expect("a migration directory has a name");
        std::fs::rename(&m.dir, holding.join(name))
            .with_context(|| format!("moving {}", m.dir.display()))?;
    }
    let new_dir = dir.join(format!("{to}_{}", a.name));
    std::fs::create_dir_all(&new_dir)?;
    std::fs::write(new_dir.join("up.sql"), up)?;
    std::fs::write(new_dir.join("down.sql"), down)?;
    info(format!(
        "Created '{to}_{}' after squashing '{}' till '{to}'",
        a.name, a.from
    ));
    if a.delete_source {
        std::fs::remove_dir_all(&holding)?;
        if applied_count != 0 {
            for m in &range[..range.len() - 1] {
                state.remove(&db, m.version);
            }
            state.write(client).await?;
        }
        info("the squashed migrations were deleted");
    } else {
        info(format!(
            "the squashed migrations were moved to {}",
            holding.display()
        ));
    }
    Ok(())
}
