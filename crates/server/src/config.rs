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
}
