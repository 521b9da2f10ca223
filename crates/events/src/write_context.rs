//! What a write tells the capture triggers: the session variables and a trace context of
//! the transaction (`hasura.user`, `hasura.tracecontext`), set by every path that writes
//! (GraphQL mutations, the query API, `run_sql`), as Hasura sets them.

use deadpool_postgres::GenericClient;

/// Sets, for this transaction only, the session variables (a JSON object) and a fresh trace
/// context that an event captured in it records.
pub async fn set(
    client: &impl GenericClient,
    session_vars: &serde_json::Value,
) -> Result<(), tokio_postgres::Error> {
    // The request's own trace while traces are exported, so that delivery continues it.
    let (trace_id, span_id) =
        rasura_traces::current_ids().unwrap_or_else(|| (random_hex(16), random_hex(8)));
    let trace = serde_json::json!({"trace_id": trace_id, "span_id": span_id}).to_string();
    // One simple-protocol statement: a single exchange, nothing left prepared (a pooler in
    // transaction mode may hand the connection on).
    client
        .batch_execute(&format!(
            "SELECT set_config('hasura.user', {}, true), set_config('hasura.tracecontext', {}, true)",
            literal(&session_vars.to_string()),
            literal(&trace)
        ))
        .await
}

/// `text` as an escaped string literal (`E'...'`: quotes and backslashes doubled), whatever
/// `standard_conforming_strings` says.
fn literal(text: &str) -> String {
    format!("E'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
}

/// `bytes` random bytes as lower-case hex.
fn random_hex(bytes: usize) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::with_capacity(bytes * 2);
    while out.len() < bytes * 2 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(out.len());
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out.truncate(bytes * 2);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn literals_escape_quotes_and_backslashes() {
        assert_eq!(
            super::literal(r#"{"a":"it's \"x\""}"#),
            r#"E'{"a":"it''s \\"x\\""}'"#
        );
    }

    #[test]
    fn trace_ids_are_hex_of_the_asked_length() {
        let id = super::random_hex(16);
        assert_eq!(id.len(), 32);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(id, super::random_hex(16));
    }
}
