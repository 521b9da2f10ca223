//! The admin secret: where a request gives it, and a comparison that does not leak it by timing.

use http::HeaderMap;

/// The admin secret a request gives (`X-Hasura-Admin-Secret`, or the older
/// `X-Hasura-Access-Key`), if any.
pub fn given_admin_secret(headers: &HeaderMap) -> Option<&str> {
    ["x-hasura-admin-secret", "x-hasura-access-key"]
        .into_iter()
        .find_map(|name| headers.get(name).and_then(|v| v.to_str().ok()))
}

/// Compares a given secret with the configured one in constant time: both are hashed first,
/// so neither the position of the first difference nor the secret's length shows in the time.
pub fn constant_time_eq(given: &[u8], secret: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    let (a, b) = (Sha256::digest(given), Sha256::digest(secret));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}
