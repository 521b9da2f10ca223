//! `config.yaml` (version 3) of a project, with the Hasura CLI's precedence: flag, then
//! environment (`HASURA_GRAPHQL_<KEY>`), then the `.env` file, then `config.yaml`, then defaults.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde_json::Value;

use crate::yaml;

/// The resolved settings of a project.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub version: u64,
    pub endpoint: String,
    pub admin_secret: Option<String>,
    pub metadata_directory: String,
    pub migrations_directory: String,
    pub seeds_directory: String,
    pub actions_kind: String,
    pub actions_handler_webhook_baseurl: String,
}

/// Settings given on the command line (they win over everything else).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub endpoint: Option<String>,
    pub admin_secret: Option<String>,
}

/// A project: its directory and settings.
#[derive(Debug, Clone)]
pub struct Project {
    pub dir: PathBuf,
    pub config: Config,
}

impl Project {
    /// Loads the project in `dir` (the current directory when not given). `envfile` is relative
    /// to the project; a missing default `.env` is fine, a missing named one is an error.
    pub fn load(
        dir: Option<&Path>,
        envfile: Option<&Path>,
        overrides: &Overrides,
    ) -> anyhow::Result<Project> {
        let dir = match dir {
            Some(d) => d.to_path_buf(),
            None => std::env::current_dir().context("the current directory")?,
        };
        let config_path = dir.join("config.yaml");
        if !config_path.exists() {
            bail!(
                "{} is not a Hasura project directory: config.yaml not found (run `rasura init` to make one, or pass --project)",
                dir.display()
            );
        }
        let file = yaml::read(&config_path)?;
        let dotenv = match envfile {
            Some(f) => read_envfile(&dir.join(f), true)?,
            None => read_envfile(&dir.join(".env"), false)?,
        };
        let lookup = |key: &str| lookup(key, &dotenv, &file);
        let config = resolve(&lookup, overrides)?;
        if config.version < 3 {
            bail!(
                "{}: config version {} is not supported; this CLI reads config version 3 (`hasura scripts update-project-v3` upgrades a project)",
                config_path.display(),
                config.version
            );
        }
        Ok(Project { dir, config })
    }

    pub fn metadata_dir(&self) -> PathBuf {
        self.dir.join(&self.config.metadata_directory)
    }

    pub fn migrations_dir(&self) -> PathBuf {
        self.dir.join(&self.config.migrations_directory)
    }

    pub fn seeds_dir(&self) -> PathBuf {
        self.dir.join(&self.config.seeds_directory)
    }
}

impl Config {
    /// A version 3 configuration with every default, for `endpoint` (a project given as
    /// directories rather than a `config.yaml`).
    pub fn defaults(endpoint: &str, admin_secret: Option<&str>) -> Config {
        let overrides = Overrides {
            endpoint: Some(endpoint.to_string()),
            admin_secret: admin_secret.map(str::to_string),
        };
        resolve(&|k| (k == "version").then(|| "3".to_string()), &overrides)
            .expect("the defaults resolve")
    }
}

/// A setting by its config key (`actions.kind`): environment, `.env`, then `config.yaml`.
fn lookup(key: &str, dotenv: &HashMap<String, String>, file: &Value) -> Option<String> {
    let env_name = format!(
        "HASURA_GRAPHQL_{}",
        key.replace('.', "_").to_ascii_uppercase()
    );
    if let Ok(v) = std::env::var(&env_name) {
        return Some(v);
    }
    if let Some(v) = dotenv.get(&env_name) {
        return Some(v.clone());
    }
    let mut cur = file;
    for part in key.split('.') {
        cur = cur.get(part)?;
    }
    match cur {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => Some(Value::Array(items.clone()).to_string()),
        _ => None,
    }
}

fn resolve(lookup: &dyn Fn(&str) -> Option<String>, o: &Overrides) -> anyhow::Result<Config> {
    let get = |k: &str, default: &str| lookup(k).unwrap_or_else(|| default.to_string());
    let version = get("version", "1");
    let version: u64 = version
        .parse()
        .with_context(|| format!("config version {version:?} is not a number"))?;
    let admin_secret = match &o.admin_secret {
        Some(s) => Some(s.clone()),
        None => match lookup("admin_secret") {
            Some(s) => Some(s),
            // `admin_secrets`: a JSON list; the first is sent.
            None => lookup("admin_secrets")
                .and_then(|l| serde_json::from_str::<Vec<String>>(&l).ok())
                .and_then(|l| l.into_iter().next()),
        },
    };
    Ok(Config {
        version,
        endpoint: o
            .endpoint
            .clone()
            .unwrap_or_else(|| get("endpoint", "http://localhost:8080")),
        admin_secret,
        metadata_directory: get("metadata_directory", "metadata"),
        migrations_directory: get("migrations_directory", "migrations"),
        seeds_directory: get("seeds_directory", "seeds"),
        actions_kind: get("actions.kind", "synchronous"),
        actions_handler_webhook_baseurl: get(
            "actions.handler_webhook_baseurl",
            "http://localhost:3000",
        ),
    })
}

/// `KEY=VALUE` lines (comments, blank lines, `export ` and quotes allowed).
fn read_envfile(path: &Path, required: bool) -> anyhow::Result<HashMap<String, String>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(_) if !required => return Ok(HashMap::new()),
        Err(e) => bail!("reading {}: {e}", path.display()),
    };
    let mut vars = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else {
            bail!(
                "{}:{}: expected KEY=VALUE, found {line:?}",
                path.display(),
                i + 1
            );
        };
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(v);
        vars.insert(k.trim().to_string(), v.to_string());
    }
    Ok(vars)
}

/// The `config.yaml` that `rasura init` writes.
pub fn initial_config(endpoint: &str, admin_secret: Option<&str>) -> String {
    let mut text = format!("version: 3\nendpoint: {endpoint}\n");
    if let Some(s) = admin_secret {
        text.push_str(&format!(
            "admin_secret: {}\n",
            yaml::write(&Value::from(s)).trim()
        ));
    }
    text.push_str(
        "metadata_directory: metadata\nactions:\n  kind: synchronous\n  handler_webhook_baseurl: http://localhost:3000\n",
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let file: Value = yaml_serde::from_str(
            "version: 3\nendpoint: http://file:1\nadmin_secrets: ['a', 'b']\nmigrations_directory: db/migrations\nactions:\n  handler_webhook_baseurl: http://h\n",
        )
        .unwrap();
        let dotenv = HashMap::from([(
            "HASURA_GRAPHQL_SEEDS_DIRECTORY".to_string(),
            "s".to_string(),
        )]);
        let l = |k: &str| lookup(k, &dotenv, &file);
        let c = resolve(&l, &Overrides::default()).unwrap();
        assert_eq!(c.endpoint, "http://file:1");
        assert_eq!(c.admin_secret.as_deref(), Some("a"));
        assert_eq!(c.migrations_directory, "db/migrations");
        assert_eq!(c.seeds_directory, "s");
        assert_eq!(c.metadata_directory, "metadata");
        assert_eq!(c.actions_handler_webhook_baseurl, "http://h");
        let o = Overrides {
            endpoint: Some("http://flag:2".into()),
            admin_secret: Some("f".into()),
        };
        let c = resolve(&l, &o).unwrap();
        assert_eq!(
            (c.endpoint.as_str(), c.admin_secret.as_deref()),
            ("http://flag:2", Some("f"))
        );
    }

    #[test]
    fn init_config_reads_back() {
        let text = initial_config("http://localhost:8080", Some("s: x"));
        let file: Value = yaml_serde::from_str(&text).unwrap();
        assert_eq!(file["admin_secret"], "s: x");
        assert_eq!(file["version"], 3);
    }

    #[test]
    fn envfile_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(".env");
        std::fs::write(&p, "# c\nexport A=1\nB=\"two words\"\n\nC='x'\n").unwrap();
        let v = read_envfile(&p, true).unwrap();
        assert_eq!(v["A"], "1");
        assert_eq!(v["B"], "two words");
        assert_eq!(v["C"], "x");
        std::fs::write(&p, "oops\n").unwrap();
        assert!(read_envfile(&p, true)
            .unwrap_err()
            .to_string()
            .ends_with(":1: expected KEY=VALUE, found \"oops\""));
        assert!(read_envfile(&dir.path().join("none"), false)
            .unwrap()
            .is_empty());
    }
}
