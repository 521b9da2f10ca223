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
}

/// Whether queries (not mutations) share a few connections per serving thread, their
/// statements pipelined (`rasura_pg::SharedConns`). Off by default: with the engine, the load
/// and PostgreSQL on the same 2 cores it gave 25-35 % more requests per second but a p99 of
/// 80-240 ms instead of 5 ms; with PostgreSQL on a core of its own, 25-65 % more at about the
/// same p99 (docs/benchmarks.md).
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
            connections: 0,
            depth: 3,
        }
    }
}
