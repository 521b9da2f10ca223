//! A database source's connection: its URL resolved (a template, an environment variable, or
//! parameters) with its pool settings and read replicas. The source served first is the
//! PostgreSQL source named `default` if there is one, else the first by name; the others are
//! served beside it (`db_sources.rs`).

use std::sync::OnceLock;

use rasura_metadata::document::Source;
use rasura_metadata::sources::{
    connection_info, parameters_url, read_replicas, ssl_parameters, UrlConf,
};

use crate::inconsistency::{Inconsistency, ObjectRef};
pub use crate::types::{ResolvedReplica, ResolvedSource};

/// The variable Hasura's default source reads its URL from.
pub const DATABASE_URL_VAR: &str = "HASURA_GRAPHQL_DATABASE_URL";

static DATABASE_URL: OnceLock<String> = OnceLock::new();

/// What `HASURA_GRAPHQL_DATABASE_URL` stands for when the environment does not set it (the
/// `--database-url` flag, or the embedded database). Set once, at start.
pub fn set_database_url(url: &str) {
    let _ = DATABASE_URL.set(url.to_string());
}

/// The value of environment variable `var` (`HASURA_GRAPHQL_DATABASE_URL` falls back to what
/// [`set_database_url`] set).
fn env(var: &str) -> Result<String, String> {
    if let Ok(v) = std::env::var(var) {
        return Ok(v);
    }
    match DATABASE_URL.get() {
        Some(url) if var == DATABASE_URL_VAR => Ok(url.clone()),
        _ => Err(format!("environment variable '{var}' not set")),
    }
}

/// Replicas of the database the engine was given (`--read-replica-url`), set once at start:
/// the replicas of the source whose URL is that database's, unless it lists its own.
static READ_REPLICA_URLS: OnceLock<Vec<String>> = OnceLock::new();

/// Sets what [`READ_REPLICA_URLS`] holds.
pub fn set_read_replica_urls(urls: Vec<String>) {
    let _ = READ_REPLICA_URLS.set(urls);
}

/// The URL a connection's `database_url` stands for.
fn url_of(conf: &UrlConf) -> Result<String, String> {
    Ok(match conf {
        UrlConf::Url(template) => super::actions::resolve_template(template)?,
        UrlConf::FromEnv(var) => env(var)?,
        UrlConf::Parameters {
            host,
            port,
            username,
            password,
            database,
        } => parameters_url(host, *port, username, password.as_deref(), database),
    })
}

/// `url` with the connection's `ssl_configuration` as libpq's parameters.
fn with_ssl(url: String, ssl: Option<&serde_json::Value>) -> Result<String, String> {
    let Some(ssl) = ssl else {
        return Ok(url);
    };
    let params: Vec<String> = ssl_parameters(ssl)?
        .into_iter()
        .map(|(k, v)| format!("{k}={}", v.replace('%', "%25").replace('&', "%26")))
        .collect();
    let join = if url.contains('?') { '&' } else { '?' };
    Ok(format!("{url}{join}{}", params.join("&")))
}

/// Resolves `source`'s connection and its read replicas'.
pub fn resolve(source: &Source) -> Result<ResolvedSource, String> {
    let info = connection_info(&source.configuration)?;
    let url = with_ssl(url_of(&info.url)?, info.ssl.as_ref())?;
    let mut replicas = read_replicas(&source.configuration)?
        .into_iter()
        .map(|r| {
            Ok(ResolvedReplica {
                url: with_ssl(url_of(&r.url)?, r.ssl.as_ref())?,
                pool: r.pool,
                isolation_level: r.isolation_level,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    if replicas.is_empty() && info.url == UrlConf::FromEnv(DATABASE_URL_VAR.into()) {
        replicas = READ_REPLICA_URLS
            .get()
            .into_iter()
            .flatten()
            .map(|url| ResolvedReplica {
                url: url.clone(),
                pool: info.pool.clone(),
                isolation_level: info.isolation_level.clone(),
            })
            .collect();
    }
    Ok(ResolvedSource {
        name: source.name.clone(),
        url,
        pool: info.pool,
        isolation_level: info.isolation_level,
        use_prepared_statements: info.use_prepared_statements,
        replicas,
    })
}

/// The inconsistency of source `name` that cannot be used (`reason`).
pub fn unreachable(name: &str, reason: &str) -> Inconsistency {
    Inconsistency::new(
        "source",
        format!("source {name}"),
        serde_json::Value::String(name.to_string()),
        reason,
        ObjectRef::Source(name.to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rasura_metadata::Metadata;
    use serde_json::json;

    fn source(name: &str, url: serde_json::Value) -> Source {
        let mut s = Source::default_source();
        s.name = name.into();
        s.configuration = json!({"connection_info": {"database_url": url}});
        s
    }

    #[test]
    fn the_served_source_and_its_url() {
        let mut md = Metadata::empty();
        md.sources = vec![
            source("b", json!("postgres://h/b")),
            source("a", json!("postgres://h/a")),
        ];
        assert_eq!(md.served_source().unwrap().name, "a");
        md.sources.push(source("default", json!("postgres://h/d")));
        assert_eq!(md.served_source().unwrap().name, "default");
        let r = resolve(md.served_source().unwrap()).unwrap();
        assert_eq!(r.url, "postgres://h/d");
        let missing = source("x", json!({"from_env": "RASURA_TEST_SURELY_UNSET"}));
        assert_eq!(
            resolve(&missing).unwrap_err(),
            "environment variable 'RASURA_TEST_SURELY_UNSET' not set"
        );
        let i = unreachable("x", "connection error");
        assert_eq!(i.name, "source x");
        assert_eq!(i.definition, json!("x"));
        assert_eq!(i.reason, "Inconsistent object: connection error");
        md.sources.clear();
        assert!(md.served_source().is_none());
    }

    #[test]
    fn read_replicas_beside_connection_info() {
        let mut s = source("db", json!("postgres://h/p"));
        s.configuration["read_replicas"] = json!([
            {"database_url": "postgres://r1/p", "pool_settings": {"max_connections": 7}},
            {"database_url": {"connection_parameters": {"host": "r2", "port": 5433,
                "username": "u", "database": "p"}}, "isolation_level": "repeatable-read"}
        ]);
        let r = resolve(&s).unwrap();
        assert_eq!(r.url, "postgres://h/p");
        assert_eq!(r.replicas.len(), 2);
        assert_eq!(r.replicas[0].url, "postgres://r1/p");
        assert_eq!(r.replicas[0].pool.max_connections, Some(7));
        assert_eq!(r.replicas[1].url, "postgresql://u@r2:5433/p");
        assert_eq!(r.replicas[1].isolation_level, "repeatable-read");
        s.configuration["read_replicas"] = json!([{"database_url": 5}]);
        assert!(resolve(&s).unwrap_err().starts_with("read_replicas[0]: "));
        s.configuration["read_replicas"] = json!({});
        assert!(resolve(&s).is_err());
    }
}
