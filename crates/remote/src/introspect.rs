//! Fetches a remote schema's introspection (the June 2018 query shape), with its configured
//! headers and the admin role, within its timeout.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rasura_metadata::Metadata;
use rasura_resolve::RemoteIntrospections;
use serde_json::{json, Value};

/// The standard introspection query.
pub const INTROSPECTION_QUERY: &str = "query IntrospectionQuery { __schema { queryType { name } \
mutationType { name } subscriptionType { name } types { ...FullType } directives { name \
description locations args { ...InputValue } } } } fragment FullType on __Type { kind name \
description fields(includeDeprecated: true) { name description args { ...InputValue } type { \
...TypeRef } isDeprecated deprecationReason } inputFields { ...InputValue } interfaces { \
...TypeRef } enumValues(includeDeprecated: true) { name description isDeprecated \
deprecationReason } possibleTypes { ...TypeRef } } fragment InputValue on __InputValue { name \
description type { ...TypeRef } defaultValue } fragment TypeRef on __Type { kind name ofType { \
kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { \
kind name ofType { kind name } } } } } } } }";

/// The remote's `__schema`, or why it could not be had.
pub async fn introspect(
    url: &str,
    headers: &[(String, String)],
    timeout_secs: u64,
) -> Result<Value, String> {
    let mut req = crate::forward::client()
        .post(url)
        .timeout(Duration::from_secs(timeout_secs.max(1)))
        .header("x-hasura-role", "admin");
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let resp = req
        .header(reqwest::header::USER_AGENT, rasura_metadata::user_agent())
        .json(&json!({"query": INTROSPECTION_QUERY}))
        .send()
        .await
        .map_err(|e| format!("HTTP exception occurred while sending the request to {url}: {e}"))?;
    let status = resp.status();
    let text = resp
        .text()
        .await
        .map_err(|e| format!("HTTP exception occurred while reading the answer of {url}: {e}"))?;
    let body: Value = serde_json::from_str(&text).map_err(|_| {
        format!("introspection of {url} (status {status}): not a valid json response")
    })?;
    match body.get("data").and_then(|d| d.get("__schema")) {
        Some(s) if s.is_object() => Ok(s.clone()),
        _ => Err(format!(
            "introspection of {url} (status {status}) did not answer data.__schema: {}",
            body.get("errors").cloned().unwrap_or(Value::Null)
        )),
    }
}

/// Introspects the remote schema stored as `entry`.
pub async fn introspect_entry(entry: &Value) -> Result<Arc<Value>, String> {
    let (url, headers) = rasura_resolve::stages::remote_schemas::endpoint(entry)?;
    let timeout = entry["definition"]["timeout_seconds"]
        .as_u64()
        .unwrap_or(60);
    introspect(&url, &headers, timeout).await.map(Arc::new)
}

/// Introspects every remote schema of `md` (one at a time; a failure is kept as the reason).
pub async fn introspect_all(md: &Metadata) -> RemoteIntrospections {
    let mut out = HashMap::new();
    for entry in rasura_metadata::remote_schemas::entries(md) {
        let name = entry["name"].as_str().unwrap_or_default().to_string();
        let result = introspect_entry(&entry).await;
        if let Err(e) = &result {
            tracing::warn!(remote_schema = %name, "cannot introspect the remote schema: {e}");
        }
        out.insert(name, result);
    }
    out
}
