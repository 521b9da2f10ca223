//! What GraphQL execution is told at startup: limits, number formatting, error detail, timeout,
//! and how queries share database connections.

/// Execution settings.
#[derive(Debug, Clone, Default)]
pub struct ExecConfig {
    /// `--stringify-numeric-types`: bigint, numeric, float8 and money as JSON strings.
    pub stringify_numeric: bool,
    /// Depth, size and field-count limits of GraphQL queries.
    pub limits: crate::limits::QueryLimits,
    /// How queries share database connections.
    pub reads: ReadSharing,
    /// `HASURA_GRAPHQL_DEV_MODE`: errors carry `extensions.internal` (the statement and the
    /// database's own words) for every role, not only admin.
    pub dev_mode: bool,
    /// `HASURA_GRAPHQL_ADMIN_INTERNAL_ERRORS=false`: not even admin is shown `internal`.
    pub hide_internal_from_admin: bool,
    /// `--query-timeout`: the longest a GraphQL request may run; its statements are cancelled
    /// past it (the serving threads' connections carry it as `statement_timeout`).
    pub query_timeout: Option<std::time::Duration>,
    /// `HASURA_GRAPHQL_ENABLE_ALLOWLIST`: roles other than admin may run only the queries of
    /// the collections in the allow list.
    pub enable_allowlist: bool,
}

impl ExecConfig {
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
