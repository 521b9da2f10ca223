//! What GraphQL execution records for `/v1/metrics`, under Hasura's names.

use std::time::Duration;

use apollo_compiler::executable::OperationType;

/// One request: `hasura_graphql_requests_total{operation_type, response_status}` and, when it
/// succeeded (subscriptions aside), `hasura_graphql_execution_time_seconds{operation_type}`.
/// `kind` is none when the request failed before or during execution.
pub fn request(kind: Option<OperationType>, took: Duration) {
    let (operation_type, status) = match kind {
        Some(OperationType::Query) => ("query", "success"),
        Some(OperationType::Mutation) => ("mutation", "success"),
        Some(OperationType::Subscription) => ("subscription", "success"),
        None => ("unknown", "failed"),
    };
    metrics::counter!(
        "hasura_graphql_requests_total",
        "operation_type" => operation_type,
        "response_status" => status
    )
    .increment(1);
    if matches!(kind, Some(OperationType::Query | OperationType::Mutation)) {
        metrics::histogram!(
            "hasura_graphql_execution_time_seconds",
            "operation_type" => operation_type
        )
        .record(took.as_secs_f64());
    }
}

/// A plan-cache lookup: `hasura_cache_request_count{status="hit"|"miss"}`.
pub fn cache_lookup(hit: bool) {
    let status = if hit { "hit" } else { "miss" };
    metrics::counter!("hasura_cache_request_count", "status" => status).increment(1);
}
