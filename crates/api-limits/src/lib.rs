//! API limits per role: the `api_limits` section, its metadata edits, and the rate limiter
//! whose counters live in PostgreSQL.

pub mod config;
pub mod edits;
pub mod rate;

pub use config::{ApiLimits, RateLimit, RoleLimits};

#[cfg(test)]
mod tests;
