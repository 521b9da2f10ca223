//! `rasura deploy` (metadata, migrations, metadata again, reload, seeds), `rasura init`, and a
//! project applied when the engine starts.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;
use serde_json::json;

use super::migrate::{self, DatabaseArgs};
use super::out::{info, warn};
use super::{metadata, seed};
use crate::client::Client;
use crate::config::{initial_config, Overrides, Project};
use crate::layout;

/// `rasura deploy`'s flags.
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// Run the seeds after the metadata.
    #[arg(long)]
    pub with_seeds: bool,
}

/// `rasura init`'s flags.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The new project's directory [default: hasura]
    pub dir: Option<PathBuf>,
    /// The engine's URL written into config.yaml; with it, the engine's metadata and schema
    /// are exported into the project.
    #[arg(long)]
    pub endpoint: Option<String>,
    /// The admin secret written into config.yaml.
    #[arg(long)]
    pub admin_secret: Option<String>,
}

/// As `hasura deploy`: the metadata first (so that the databases are connected), then every
/// database's migrations, the metadata again (now that its tables exist), a reload, and seeds
/// when asked.
pub async fn deploy(project: &Project, client: &Client, with_seeds: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    client.check().await?;
    metadata::apply_dir(project, client, true, true)
        .await
        .context("applying metadata failed (is the metadata directory well formed?)")?;
    migrate_all(project, client)
        .await
        .context("applying migrations failed")?;
    let consistent = metadata::apply_dir(project, client, true, false)
        .await
        .context("applying metadata failed")?;
    info("Metadata applied");
    metadata::reload(client).await?;
    if with_seeds {
        for db in migrate::databases(client, &all()).await? {
            if project.seeds_dir().join(&db).is_dir() {
                if let Err(e) = seed::apply(project, client, &db, &[]).await {
                    warn(format!("applying seeds failed: {e:#}"));
                }
            }
        }
    }
    info(format!(
        "deployed in {} ms{}",
        started.elapsed().as_millis(),
        if consistent {
            ""
        } else {
            " (the metadata is inconsistent)"
        }
    ));
    Ok(())
}

fn all() -> DatabaseArgs {
    DatabaseArgs {
        database_name: None,
        all_databases: true,
    }
}

/// `migrate apply --all-databases`, skipping databases without a migrations directory.
async fn migrate_all(project: &Project, client: &Client) -> anyhow::Result<()> {
    for db in migrate::databases(client, &all()).await? {
        if !project.migrations_dir().join(&db).is_dir() {
            info(format!(
                "no migrations directory for database {db}; skipped"
            ));
            continue;
        }
        let args = migrate::ApplyArgs {
            up: None,
            down: None,
            goto: None,
            version: None,
            kind: "up".into(),
            skip_execution: false,
            dry_run: false,
            no_transaction: false,
            db: DatabaseArgs {
                database_name: Some(db),
                all_databases: false,
            },
        };
        migrate::apply(project, client, &args).await?;
    }
    Ok(())
}

/// A new project directory: `config.yaml`, an empty metadata directory in the v3 layout,
/// `migrations/` and `seeds/`; with an endpoint, the engine's metadata and schema exported
/// into it.
pub async fn init(a: &InitArgs) -> anyhow::Result<()> {
    let dir = a.dir.clone().unwrap_or_else(|| "hasura".into());
    if dir.join("config.yaml").exists() {
        bail!("{} is already a Hasura project directory", dir.display());
    }
    if dir.exists() && std::fs::read_dir(&dir)?.next().is_some() {
        bail!("directory '{}' already exists", dir.display());
    }
    let endpoint = a.endpoint.as_deref().unwrap_or("http://localhost:8080");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(
        dir.join("config.yaml"),
        initial_config(endpoint, a.admin_secret.as_deref()),
    )?;
    for sub in ["migrations", "seeds"] {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    let empty = json!({"version": 3, "sources": []});
    layout::write(&dir.join("metadata"), &layout::export(&empty)?)?;
    if a.endpoint.is_some() {
        let project = Project::load(Some(&dir), None, &Overrides::default())?;
        let client = Client::new(endpoint, a.admin_secret.as_deref());
        let md = client.export().await?;
        layout::write(&project.metadata_dir(), &layout::export(&md)?)?;
        info("Metadata exported");
        for db in migrate::databases(&client, &all()).await? {
            let create = migrate::CreateArgs {
                name: "init".into(),
                up_sql: None,
                down_sql: None,
                sql_from_file: None,
                from_server: true,
                schema: vec![],
                database_name: Some(db),
            };
            migrate::run(&project, &client, migrate::MigrateCommand::Create(create)).await?;
        }
    }
    info(format!(
        "project created in {}; next: cd {} && rasura metadata export",
        dir.display(),
        dir.display()
    ));
    Ok(())
}

/// The start-up of `rasura serve --project DIR` (and of the `cli-migrations` image's
/// `HASURA_GRAPHQL_METADATA_DIR` / `HASURA_GRAPHQL_MIGRATIONS_DIR`): the project deployed onto
/// the engine at `endpoint` before it serves anyone else.
pub async fn apply_project_at_start(
    endpoint: &str,
    admin_secret: Option<&str>,
    project_dir: Option<&Path>,
    metadata_dir: Option<&Path>,
    migrations_dir: Option<&Path>,
) -> anyhow::Result<()> {
    let client = Client::new(endpoint, admin_secret);
    let project = match project_dir {
        Some(dir) => {
            let mut p = Project::load(
                Some(dir),
                None,
                &Overrides {
                    endpoint: Some(endpoint.into()),
                    admin_secret: admin_secret.map(str::to_string),
                },
            )?;
            p.config.endpoint = endpoint.into();
            p
        }
        None => {
            let mut config = crate::config::Config::defaults(endpoint, admin_secret);
            if let Some(d) = metadata_dir {
                config.metadata_directory = d.display().to_string();
            }
            if let Some(d) = migrations_dir {
                config.migrations_directory = d.display().to_string();
            }
            Project {
                dir: std::env::current_dir()?,
                config,
            }
        }
    };
    let has_metadata = project.metadata_dir().is_dir();
    let has_migrations = project.migrations_dir().is_dir();
    if has_metadata {
        metadata::apply_dir(&project, &client, true, has_migrations).await?;
    }
    if has_migrations {
        migrate_all(&project, &client).await?;
        if has_metadata {
            metadata::apply_dir(&project, &client, true, false).await?;
        }
        metadata::reload(&client).await?;
    }
    if has_metadata {
        info("project metadata applied");
    }
    Ok(())
}
