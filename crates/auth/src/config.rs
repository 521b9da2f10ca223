//! How requests are authenticated: the settings `rasura serve` is started with.

/// The auth mode: an admin secret, and with it a JWT secret, an auth webhook or an
/// unauthorized role (none of them without a secret: every request is then admin).
#[derive(Debug, Clone, Default)]
pub struct AuthConfig {
    /// `--admin-secret`: when set, the control plane and admin access need it.
    pub admin_secret: Option<String>,
    /// `--unauthorized-role`: the role of requests without credentials (needs an admin secret).
    pub unauthorized_role: Option<String>,
    /// `--jwt-secret`: JWT mode (needs an admin secret).
    pub jwt: Option<crate::jwt::JwtConfig>,
    /// `--auth-hook`: webhook mode (needs an admin secret).
    pub auth_hook: Option<crate::webhook::AuthHook>,
}
