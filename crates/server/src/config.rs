//! What the server is told at startup.

/// Server settings that the request handlers need.
#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    /// `--admin-secret`: when set, the control plane and admin access need it.
    pub admin_secret: Option<String>,
    /// `--unauthorized-role`: the role of requests without credentials (needs an admin secret).
    pub unauthorized_role: Option<String>,
    /// `--jwt-secret`: JWT mode (needs an admin secret).
    pub jwt: Option<crate::jwt::JwtConfig>,
    /// `--auth-hook`: webhook mode (needs an admin secret).
    pub auth_hook: Option<crate::webhook::AuthHook>,
    /// `--stringify-numeric-types`: bigint, numeric, float8 and money as JSON strings.
    pub stringify_numeric: bool,
    /// Depth, size and field-count limits of GraphQL queries.
    pub limits: crate::graphql::limits::QueryLimits,
    /// How queries share database connections.
    pub reads: ReadSharing,
    /// `HASURA_GRAPHQL_DEV_MODE`: errors carry `extensions.internal` (the statement and the
    /// database's own words) for every role, not only admin.
    pub dev_mode: bool,
    /// `HASURA_GRAPHQL_ADMIN_INTERNAL_ERRORS=false`: not even admin is shown `internal`.
    pub hide_internal_from_admin: bool,
    /// `HASURA_GRAPHQL_CORS_DOMAIN`, `HASURA_GRAPHQL_DISABLE_CORS`.
    pub cors: crate::cors::CorsConfig,
    /// `HASURA_GRAPHQL_ENABLED_APIS`.
    pub apis: EnabledApis,
    /// `--query-timeout`: the longest a GraphQL request may run; its statements are cancelled
    /// past it (the serving threads' connections carry it as `statement_timeout`).
    pub query_timeout: Option<std::time::Duration>,
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

impl ServerConfig {
    /// Whether an error answered to `role` may carry `internal` details.
    pub fn shows_internal(&self, role: &str) -> bool {
        self.dev_mode || (role == "admin" && !self.hide_internal_from_admin)
    }
}

/// Whether queries (not mutations) share a few connections per serving thread, their
/// statements pipelined (`rasura_pg::SharedConns`: a query queues behind others only while the
/// expected wait stays within a small budget). On by default: on the 2-core benchmark it cut
/// PostgreSQL's CPU per request by a third to a half and raised requests per second accordingly
/// (docs/benchmarks.md).
#[derive(Debug, Clone, Copy)]
pub struct ReadSharing {
    /// `--pg-shared-connections`: connections per serving thread; 0 gives every query a pooled
    /// connection of its own.
    pub connections: usize,
    /// `--pg-pipeline-depth`: queries in flight on one before another connection is taken.
    pub depth: usize,
}

impl Default for ReadSharing {
    fn default() -> ReadSharing {
        ReadSharing {
            connections: 4,
            depth: 8,
        }
    }
}
