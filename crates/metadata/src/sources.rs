//! Database sources: a source's `connection_info` read from its configuration (the URL as a
//! string template, `{from_env}` or `{connection_parameters}`; pool settings; isolation level;
//! prepared statements) and its `read_replicas`, and the operations `pg_add_source`,
//! `pg_drop_source`, `pg_update_source`, `rename_source`, `list_source_kinds`,
//! `get_source_kind_capabilities`.

use serde_json::{json, Map, Value};

pub use crate::document::is_postgres;
use crate::document::{Metadata, Source};
use crate::error::MetadataError;

/// Where a source's connection URL comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlConf {
    /// A URL, possibly with `{{VAR}}` templates.
    Url(String),
    /// The value of an environment variable.
    FromEnv(String),
    /// A URL made of its parts.
    Parameters {
        host: String,
        port: u16,
        username: String,
        password: Option<String>,
        database: String,
    },
}

/// `pool_settings`: what is set, defaults applied by the user of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolSettings {
    pub max_connections: Option<u64>,
    /// Seconds a connection may sit idle (Hasura: 180).
    pub idle_timeout: Option<u64>,
    /// Seconds a connection lives at most (Hasura: 600; 0 = forever).
    pub connection_lifetime: Option<u64>,
    pub retries: Option<u64>,
    /// Seconds to wait for a free connection (unset: wait).
    pub pool_timeout: Option<u64>,
}

/// A PostgreSQL source's `connection_info`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    pub url: UrlConf,
    pub pool: PoolSettings,
    /// `read-committed` (default), `repeatable-read` or `serializable`.
    pub isolation_level: String,
    pub use_prepared_statements: bool,
    /// `ssl_configuration`, as written (its `sslmode` checked): see [`ssl_parameters`].
    pub ssl: Option<Value>,
}

/// Reads `configuration.connection_info` of a source.
pub fn connection_info(configuration: &Value) -> Result<ConnectionInfo, String> {
    let info = configuration
        .get("connection_info")
        .ok_or("the configuration has no \"connection_info\"")?;
    connection_info_of(info)
}

/// Reads `configuration.read_replicas` of a source (Hasura puts it beside `connection_info`):
/// each replica a `connection_info` of its own. None given: no replicas.
pub fn read_replicas(configuration: &Value) -> Result<Vec<ConnectionInfo>, String> {
    match configuration.get("read_replicas") {
        None | Some(Value::Null) => Ok(vec![]),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, r)| connection_info_of(r).map_err(|e| format!("read_replicas[{i}]: {e}")))
            .collect(),
        Some(_) => Err("read_replicas: expected an array of connection_info objects".into()),
    }
}

/// Reads one `connection_info` object (a source's, or a read replica's).
fn connection_info_of(info: &Value) -> Result<ConnectionInfo, String> {
    let url = match info.get("database_url") {
        Some(Value::String(s)) => UrlConf::Url(s.clone()),
        Some(Value::Object(o)) => url_object(o)?,
        Some(_) => return Err("one of string or object must be provided for url/webhook".into()),
        None => return Err("key \"database_url\" not found in connection_info".into()),
    };
    let pool = match info.get("pool_settings") {
        None | Some(Value::Null) => PoolSettings::default(),
        Some(Value::Object(p)) => {
            let n = |k: &str| -> Result<Option<u64>, String> {
                match p.get(k) {
                    None | Some(Value::Null) => Ok(None),
                    Some(v) => v.as_u64().map(Some).ok_or_else(|| {
                        format!("pool_settings.{k}: expected a non-negative integer, got {v}")
                    }),
                }
            };
            PoolSettings {
                max_connections: n("max_connections")?,
                idle_timeout: n("idle_timeout")?,
                connection_lifetime: n("connection_lifetime")?,
                retries: n("retries")?,
                pool_timeout: n("pool_timeout")?,
            }
        }
        Some(_) => return Err("pool_settings must be an object".into()),
    };
    let isolation_level = match info.get("isolation_level") {
        None | Some(Value::Null) => "read-committed".to_string(),
        Some(Value::String(s))
            if matches!(
                s.as_str(),
                "read-committed" | "repeatable-read" | "serializable"
            ) =>
        {
            s.clone()
        }
        Some(v) => {
            return Err(format!(
                "isolation_level: expected read-committed, repeatable-read or serializable, got {v}"
            ))
        }
    };
    let use_prepared_statements = match info.get("use_prepared_statements") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(v) => {
            return Err(format!(
                "use_prepared_statements: expected a boolean, got {v}"
            ))
        }
    };
    let ssl = info
        .get("ssl_configuration")
        .filter(|v| !v.is_null())
        .cloned();
    if let Some(ssl) = &ssl {
        ssl_mode(ssl)?;
    }
    Ok(ConnectionInfo {
        url,
        pool,
        isolation_level,
        use_prepared_statements,
        ssl,
    })
}

fn ssl_mode(ssl: &Value) -> Result<&str, String> {
    let mode = ssl
        .get("sslmode")
        .and_then(Value::as_str)
        .ok_or("ssl_configuration: key \"sslmode\" not found")?;
    match mode {
        "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full" => Ok(mode),
        _ => Err(format!("Invalid SSL Mode {mode}")),
    }
}

/// `ssl_configuration` (Hasura's: `sslmode`; `sslrootcert`, `sslcert`, `sslkey` each
/// `{from_env}`, a variable holding the PEM text) as libpq's URL parameters, each certificate
/// written to a file only this user reads.
pub fn ssl_parameters(ssl: &Value) -> Result<Vec<(String, String)>, String> {
    let mut out = vec![("sslmode".to_string(), ssl_mode(ssl)?.to_string())];
    if ssl.get("sslpassword").is_some_and(|p| !p.is_null()) {
        return Err(
            "ssl_configuration.sslpassword (an encrypted sslkey) is not supported by \
                    this engine yet"
                .into(),
        );
    }
    for key in ["sslrootcert", "sslcert", "sslkey"] {
        let Some(v) = ssl.get(key).filter(|v| !v.is_null()) else {
            continue;
        };
        let var = v.get("from_env").and_then(Value::as_str).ok_or_else(|| {
            format!("ssl_configuration.{key}: expected {{\"from_env\": <variable>}}")
        })?;
        let pem =
            std::env::var(var).map_err(|_| format!("environment variable '{var}' not set"))?;
        out.push((
            key.to_string(),
            private_file(&pem).map_err(|e| format!("{key}: {e}"))?,
        ));
    }
    Ok(out)
}

/// Writes `contents` to a file of its own (named by its hash) readable by this user only.
fn private_file(contents: &str) -> std::io::Result<String> {
    use std::hash::{Hash, Hasher};
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    contents.hash(&mut h);
    let dir = std::env::temp_dir().join(format!("rasura-ssl-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{:016x}.pem", h.finish()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)?;
    f.write_all(contents.as_bytes())?;
    Ok(path.to_string_lossy().into_owned())
}

fn url_object(o: &Map<String, Value>) -> Result<UrlConf, String> {
    match (o.get("from_env"), o.get("connection_parameters")) {
        (Some(_), Some(_)) => {
            Err("Only one of \"from_env\" or \"connection_parameters\" should be provided".into())
        }
        (Some(Value::String(var)), None) => Ok(UrlConf::FromEnv(var.clone())),
        (Some(_), None) => Err("from_env: expected the name of an environment variable".into()),
        (None, Some(Value::Object(p))) => {
            let text = |k: &str| -> Result<String, String> {
                p.get(k)
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| format!("key \"{k}\" not found in connection_parameters"))
            };
            let port = match p.get("port") {
                Some(Value::Number(n)) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
                Some(Value::String(s)) => s.parse().ok(),
                _ => None,
            }
            .ok_or("connection_parameters.port: expected a port number")?;
            Ok(UrlConf::Parameters {
                host: text("host")?,
                port,
                username: text("username")?,
                password: p
                    .get("password")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                database: text("database")?,
            })
        }
        (None, Some(_)) => Err("connection_parameters must be an object".into()),
        (None, None) => {
            Err("Either \"from_env\" or \"connection_parameters\" should be provided".into())
        }
    }
}

/// The URL `connection_parameters` stand for (user, password and database percent-encoded).
pub fn parameters_url(
    host: &str,
    port: u16,
    username: &str,
    password: Option<&str>,
    database: &str,
) -> String {
    let user = match password {
        Some(p) => format!("{}:{}", escape(username), escape(p)),
        None => escape(username),
    };
    format!("postgresql://{user}@{host}:{port}/{}", escape(database))
}

fn escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn parse_err(e: impl std::fmt::Display) -> MetadataError {
    MetadataError::Parse(e.to_string())
}

fn name_arg<'a>(args: &'a Value, key: &str) -> Result<&'a str, MetadataError> {
    args.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| parse_err(format!("key \"{key}\" not found")))
}

/// Checks a source's kind and configuration as `pg_add_source` receives them.
fn checked_configuration(args: &Value) -> Result<Value, MetadataError> {
    let configuration = args
        .get("configuration")
        .cloned()
        .ok_or_else(|| parse_err("key \"configuration\" not found"))?;
    connection_info(&configuration).map_err(parse_err)?;
    read_replicas(&configuration).map_err(parse_err)?;
    Ok(configuration)
}

/// `pg_add_source {name, configuration, replace_configuration?, customization?}`.
pub fn add_source(md: &mut Metadata, args: &Value) -> Result<(), MetadataError> {
    let name = name_arg(args, "name")?;
    let configuration = checked_configuration(args)?;
    let replace = args.get("replace_configuration") == Some(&Value::Bool(true));
    let customization = args.get("customization").filter(|c| !c.is_null()).cloned();
    check_customization(customization.as_ref())?;
    if let Some(existing) = md.sources.iter_mut().find(|s| s.name == name) {
        if !replace {
            return Err(MetadataError::AlreadyExists(format!(
                "source with name \"{name}\" already exists"
            )));
        }
        existing.configuration = configuration;
        set_optional(&mut existing.extra, "customization", customization);
        return Ok(());
    }
    let mut extra = Map::new();
    set_optional(&mut extra, "customization", customization);
    set_optional(
        &mut extra,
        "health_check",
        args.get("health_check").cloned(),
    );
    md.sources.push(Source {
        name: name.to_string(),
        kind: "postgres".into(),
        tables: vec![],
        functions: vec![],
        configuration,
        extra,
    });
    md.sources.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(())
}

/// A source's `customization` refused when malformed, in Hasura's words where it has them.
fn check_customization(c: Option<&Value>) -> Result<(), MetadataError> {
    match c {
        Some(c) => rasura_naming::check_customization(c).map_err(MetadataError::Parse),
        None => Ok(()),
    }
}

fn set_optional(extra: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    match value.filter(|v| !v.is_null() && v != &json!({})) {
        Some(v) => {
            extra.insert(key.to_string(), v);
        }
        None => {
            extra.remove(key);
        }
    }
}

/// `pg_update_source {name, configuration?, customization?, health_check?}`: each part given
/// replaces that part; the tables stay.
pub fn update_source(md: &mut Metadata, args: &Value) -> Result<(), MetadataError> {
    let name = name_arg(args, "name")?;
    let configuration = match args.get("configuration") {
        Some(c) if !c.is_null() => Some(checked_configuration(args).map(|_| c.clone())?),
        _ => None,
    };
    check_customization(args.get("customization"))?;
    let source = md.source_mut(name)?;
    if let Some(c) = configuration {
        source.configuration = c;
    }
    for key in ["customization", "health_check"] {
        if let Some(v) = args.get(key) {
            set_optional(&mut source.extra, key, Some(v.clone()));
        }
    }
    Ok(())
}

/// `pg_drop_source {name, cascade?}`: the source and everything tracked in it.
pub fn drop_source(md: &mut Metadata, args: &Value) -> Result<(), MetadataError> {
    let name = name_arg(args, "name")?;
    md.source(name)?;
    md.sources.retain(|s| s.name != name);
    Ok(())
}

/// `rename_source {name, new_name}`.
pub fn rename_source(md: &mut Metadata, args: &Value) -> Result<(), MetadataError> {
    let name = name_arg(args, "name")?;
    let new_name = name_arg(args, "new_name")?;
    if !md.sources.iter().any(|s| s.name == name) {
        return Err(MetadataError::NotExists(format!(
            "Could not find source with name \"{name}\""
        )));
    }
    if md.sources.iter().any(|s| s.name == new_name) {
        return Err(MetadataError::AlreadyExists(format!(
            "Source with name \"{new_name}\" already exists"
        )));
    }
    md.source_mut(name)?.name = new_name.to_string();
    md.sources.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(())
}

/// `set_query_tags {source_name, disabled?, format?, omit_request_id?}`: the source's query
/// tags (the SQL comments on generated statements), as given.
pub fn set_query_tags(md: &mut Metadata, args: &Value) -> Result<(), MetadataError> {
    let name = name_arg(args, "source_name")?;
    let mut tags = serde_json::Map::new();
    for (key, ok) in [
        (
            "disabled",
            args.get("disabled").is_none_or(Value::is_boolean),
        ),
        (
            "format",
            args.get("format").is_none_or(|f| {
                matches!(
                    f.as_str(),
                    Some("standard" | "sqlcommenter" | "standard_prepended")
                )
            }),
        ),
        (
            "omit_request_id",
            args.get("omit_request_id").is_none_or(Value::is_boolean),
        ),
    ] {
        if !ok {
            return Err(parse_err(format!("invalid value for \"{key}\"")));
        }
        if let Some(v) = args.get(key) {
            tags.insert(key.to_string(), v.clone());
        }
    }
    md.source_mut(name)?
        .extra
        .insert("query_tags".into(), Value::Object(tags));
    Ok(())
}

/// `list_source_kinds`: the kinds this engine knows (PostgreSQL only).
pub fn list_source_kinds() -> Value {
    json!({"sources": [
        {"kind": "pg", "builtin": true, "available": true, "display_name": "pg"}
    ]})
}

/// `get_source_kind_capabilities {name}`: PostgreSQL has none to list, as Hasura answers.
pub fn source_kind_capabilities(args: &Value) -> Result<Value, MetadataError> {
    let kind = name_arg(args, "name")?;
    if is_postgres(kind) {
        return Err(MetadataError::DataConnector(format!(
            "{kind} does not support Capabilities"
        )));
    }
    Err(MetadataError::NotFound(format!(
        "Source Kind {kind} was not found"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(url: Value) -> Value {
        json!({"connection_info": {"database_url": url}})
    }

    #[test]
    fn connection_info_forms() {
        let c = connection_info(&info(json!("postgres://h/db"))).unwrap();
        assert_eq!(c.url, UrlConf::Url("postgres://h/db".into()));
        assert_eq!(c.isolation_level, "read-committed");
        assert!(!c.use_prepared_statements);
        let c = connection_info(&info(json!({"from_env": "PG_URL"}))).unwrap();
        assert_eq!(c.url, UrlConf::FromEnv("PG_URL".into()));
        let c = connection_info(&info(json!({"connection_parameters":
            {"host": "h", "port": 5433, "username": "u@x", "password": "p/w", "database": "d"}})))
        .unwrap();
        let UrlConf::Parameters {
            host,
            port,
            username,
            password,
            database,
        } = c.url
        else {
            panic!("parameters")
        };
        assert_eq!(
            parameters_url(&host, port, &username, password.as_deref(), &database),
            "postgresql://u%40x:p%2Fw@h:5433/d"
        );
        let both = info(json!({"from_env": "A", "connection_parameters": {}}));
        assert!(connection_info(&both).unwrap_err().contains("Only one of"));
        assert!(connection_info(&info(json!(5))).is_err());
        let bad_level =
            json!({"connection_info": {"database_url": "x", "isolation_level": "dirty"}});
        assert!(connection_info(&bad_level).is_err());
        let pool = json!({"connection_info": {"database_url": "x",
            "pool_settings": {"max_connections": 7, "idle_timeout": 5}}});
        let c = connection_info(&pool).unwrap();
        assert_eq!(c.pool.max_connections, Some(7));
        assert_eq!(c.pool.idle_timeout, Some(5));
        assert_eq!(c.pool.retries, None);
    }

    #[test]
    fn add_update_rename_drop() {
        let mut md = Metadata::empty();
        let args = json!({"name": "pg2", "configuration": info(json!({"from_env": "PG2"}))});
        add_source(&mut md, &args).unwrap();
        assert_eq!(
            add_source(&mut md, &args).unwrap_err().to_string(),
            "source with name \"pg2\" already exists"
        );
        assert_eq!(md.sources.len(), 2);
        update_source(
            &mut md,
            &json!({"name": "pg2", "configuration": info(json!("postgres://h/x"))}),
        )
        .unwrap();
        assert_eq!(
            md.source("pg2").unwrap().configuration,
            info(json!("postgres://h/x"))
        );
        assert!(update_source(&mut md, &json!({"name": "nope"})).is_err());
        let e = rename_source(&mut md, &json!({"name": "pg2", "new_name": "default"}));
        assert_eq!(
            e.unwrap_err().to_string(),
            "Source with name \"default\" already exists"
        );
        rename_source(&mut md, &json!({"name": "pg2", "new_name": "app"})).unwrap();
        assert_eq!(md.sources[0].name, "app");
        drop_source(&mut md, &json!({"name": "app"})).unwrap();
        assert_eq!(
            drop_source(&mut md, &json!({"name": "app"}))
                .unwrap_err()
                .to_string(),
            "source with name \"app\" does not exist"
        );
        assert!(source_kind_capabilities(&json!({"name": "pg"})).is_err());
    }
}
