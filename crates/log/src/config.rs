//! Which lines are written: the enabled log types and the level threshold, from Hasura's
//! settings.

use std::collections::BTreeSet;

/// A line's level; a line is written when its level is at or above the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }

    /// `debug`, `info`, `warn` or `error` (any case).
    pub fn parse(s: &str) -> Result<Level, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "debug" => Ok(Level::Debug),
            "info" => Ok(Level::Info),
            "warn" => Ok(Level::Warn),
            "error" => Ok(Level::Error),
            other => Err(format!(
                "log level {other:?}: expected one of debug, info, warn, error"
            )),
        }
    }
}

/// The types a user may enable, as Hasura names them.
pub const CONFIGURABLE: [&str; 10] = [
    "startup",
    "http-log",
    "webhook-log",
    "websocket-log",
    "query-log",
    "execution-log",
    "livequery-poller-log",
    "action-handler-log",
    "data-connector-log",
    "jwk-refresh-log",
];

/// Enabled when nothing is said, as in Hasura.
pub const DEFAULT_ENABLED: [&str; 5] = [
    "startup",
    "http-log",
    "webhook-log",
    "websocket-log",
    "jwk-refresh-log",
];

/// The log settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    pub enabled: BTreeSet<String>,
    pub level: Level,
}

impl Default for LogConfig {
    fn default() -> LogConfig {
        LogConfig {
            enabled: DEFAULT_ENABLED.iter().map(|s| s.to_string()).collect(),
            level: Level::Info,
        }
    }
}

impl LogConfig {
    /// From `HASURA_GRAPHQL_ENABLED_LOG_TYPES` (comma-separated) and `HASURA_GRAPHQL_LOG_LEVEL`
    /// values; an unknown type or level is an error naming the valid ones.
    pub fn parse(types: Option<&str>, level: Option<&str>) -> Result<LogConfig, String> {
        let mut config = LogConfig::default();
        if let Some(types) = types {
            config.enabled.clear();
            for t in types.split(',').map(|t| t.trim().to_ascii_lowercase()) {
                if t.is_empty() {
                    continue;
                }
                if !CONFIGURABLE.contains(&t.as_str()) {
                    return Err(format!(
                        "log type {t:?} is not known. Valid list of comma-separated log types: {}",
                        CONFIGURABLE.join(", ")
                    ));
                }
                config.enabled.insert(t);
            }
        }
        if let Some(level) = level {
            config.level = Level::parse(level)?;
        }
        Ok(config)
    }

    /// Whether a line of `kind` at `level` is written: internal types (any type a user cannot
    /// enable, such as `event-trigger`) only need the level.
    pub fn allows(&self, kind: &str, level: Level) -> bool {
        level >= self.level && (!CONFIGURABLE.contains(&kind) || self.enabled.contains(kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_and_levels_filter_as_hasura_filters() {
        let c = LogConfig::default();
        assert!(c.allows("http-log", Level::Info));
        assert!(!c.allows("query-log", Level::Info));
        assert!(c.allows("event-trigger", Level::Info));
        assert!(!c.allows("http-log", Level::Debug));
        let c = LogConfig::parse(Some("Query-Log, startup"), Some("WARN")).unwrap();
        assert!(!c.allows("http-log", Level::Error));
        assert!(c.allows("query-log", Level::Error));
        assert!(!c.allows("query-log", Level::Info));
        let e = LogConfig::parse(Some("http-log,nope"), None).unwrap_err();
        assert!(e.contains("\"nope\"") && e.contains("Valid list"), "{e}");
        assert!(LogConfig::parse(None, Some("loud")).is_err());
    }
}
