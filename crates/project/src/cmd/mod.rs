//! The project commands (`metadata`, `migrate`, `seed`, `deploy`, `init`) with the Hasura
//! CLI's flags; progress goes to stderr as `INFO`/`WARN` lines, results to stdout.

mod deploy;
mod metadata;
mod migrate;
mod out;
mod seed;

use std::path::PathBuf;

use clap::Args;

use crate::client::Client;
use crate::config::{Overrides, Project};

pub use deploy::{apply_project_at_start, init, DeployArgs, InitArgs};
pub use metadata::MetadataCommand;
pub use migrate::MigrateCommand;
pub use seed::SeedCommand;

/// Flags every project command takes (before or after its subcommand).
#[derive(Debug, Clone, Args)]
pub struct ProjectArgs {
    /// The project directory [default: the current directory]
    #[arg(long, global = true)]
    pub project: Option<PathBuf>,
    /// A file of KEY=VALUE settings, relative to the project [default: .env]
    #[arg(long, global = true)]
    pub envfile: Option<PathBuf>,
    /// The engine's URL [env: HASURA_GRAPHQL_ENDPOINT] [default: config.yaml's endpoint]
    #[arg(long, global = true)]
    pub endpoint: Option<String>,
    /// The engine's admin secret [env: HASURA_GRAPHQL_ADMIN_SECRET]
    #[arg(long, global = true)]
    pub admin_secret: Option<String>,
}

impl ProjectArgs {
    /// The project and a client of its engine.
    pub fn open(&self) -> anyhow::Result<(Project, Client)> {
        let project = Project::load(
            self.project.as_deref(),
            self.envfile.as_deref(),
            &Overrides {
                endpoint: self.endpoint.clone(),
                admin_secret: self.admin_secret.clone(),
            },
        )?;
        let client = Client::new(
            &project.config.endpoint,
            project.config.admin_secret.as_deref(),
        );
        Ok((project, client))
    }
}

pub async fn metadata(args: &ProjectArgs, cmd: MetadataCommand) -> anyhow::Result<()> {
    let (project, client) = args.open()?;
    metadata::run(&project, &client, cmd).await
}

pub async fn migrate(args: &ProjectArgs, cmd: MigrateCommand) -> anyhow::Result<()> {
    let (project, client) = args.open()?;
    migrate::run(&project, &client, cmd).await
}

pub async fn seed(args: &ProjectArgs, cmd: SeedCommand) -> anyhow::Result<()> {
    let (project, client) = args.open()?;
    seed::run(&project, &client, cmd).await
}

pub async fn deploy(args: &ProjectArgs, deploy: DeployArgs) -> anyhow::Result<()> {
    let (project, client) = args.open()?;
    deploy::deploy(&project, &client, deploy.with_seeds).await
}
