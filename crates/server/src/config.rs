//! What the server is told at startup.

/// Everything `rasura serve` tells the server.
#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    /// Admin secret, JWT, auth webhook, unauthorized role.
    pub auth: rasura_auth::AuthConfig,
    /// Limits, timeouts, error detail and connection sharing of GraphQL execution.
    pub exec: rasura_exec::ExecConfig,
    /// `HASURA_GRAPHQL_CORS_DOMAIN`, `HASURA_GRAPHQL_DISABLE_CORS`.
    pub cors: crate::cors::CorsConfig,
    /// `HASURA_GRAPHQL_ENABLED_APIS`.
    pub apis: EnabledApis,
    /// `HASURA_GRAPHQL_METRICS_SECRET`: `/v1/metrics` asks for `Authorization: Bearer <it>`.
    pub metrics_secret: Option<String>,
    /// `HASURA_GRAPHQL_ENABLE_CONSOLE`: the console at `/console` (and `/` sent there).
    pub console: bool,
}

/// The APIs served (`HASURA_GRAPHQL_ENABLED_APIS`); the paths of the others answer 404.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnabledApis {
    /// `/v1/graphql`, `/v1alpha1/graphql` (and their WebSocket).
    pub graphql: bool,
    /// `/v1/metadata`, `/v1/query`, `/v2/query`.
    pub metadata: bool,
    /// `/dev/*`.
    pub developer: bool,
    pub pgdump: bool,
    pub config: bool,
    pub metrics: bool,
}

impl Default for EnabledApis {
    /// Hasura's default: `metadata,graphql,pgdump,config`.
    fn default() -> EnabledApis {
        EnabledApis::parse("metadata,graphql,pgdump,config").expect("known names")
    }
}

impl EnabledApis {
    /// Parses a comma-separated list of API names (case and spaces ignored).
    pub fn parse(text: &str) -> Result<EnabledApis, String> {
        let mut apis = EnabledApis {
            graphql: false,
            metadata: false,
            developer: false,
            pgdump: false,
            config: false,
            metrics: false,
        };
        for name in text.split(',').map(|n| n.trim().to_ascii_lowercase()) {
            match name.as_str() {
                "graphql" => apis.graphql = true,
                "metadata" => apis.metadata = true,
                "developer" => apis.developer = true,
                "pgdump" => apis.pgdump = true,
                "config" => apis.config = true,
                "metrics" => apis.metrics = true,
                "" => {}
                _ => {
                    return Err(format!(
                        "Only expecting list of comma separated API types metadata,graphql,pgdump,developer,config,metrics; found {name:?}"
                    ))
                }
            }
        }
        Ok(apis)
    }
}
