//! The body of a GraphQL request: one `{query, variables, operationName}` or a batch (an array).

use std::sync::Arc;

use apollo_compiler::executable::Operation;
use apollo_compiler::validation::Valid;
use apollo_compiler::ExecutableDocument;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::GqlError;

/// One GraphQL request.
#[derive(Debug, Clone, Deserialize)]
pub struct GqlRequest {
    pub query: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub variables: Map<String, Value>,
    #[serde(default, rename = "operationName")]
    pub operation_name: Option<String>,
    /// Sent to the Relay endpoint (`/v1beta1/relay`): run against the role's Relay schema.
    #[serde(skip)]
    pub relay: bool,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Map<String, Value>, D::Error> {
    Ok(Option::<Map<String, Value>>::deserialize(d)?.unwrap_or_default())
}

/// A single request or a batch.
#[derive(Debug)]
pub enum RequestBody {
    Single(GqlRequest),
    Batch(Vec<GqlRequest>),
}

pub fn parse_body(body: &[u8]) -> Result<RequestBody, GqlError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| GqlError::new("invalid-json", "$", format!("Error in $: {e}")))?;
    match value {
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| one(v, &format!("$[{i}]")))
            .collect::<Result<_, _>>()
            .map(RequestBody::Batch),
        v => one(v, "$").map(RequestBody::Single),
    }
}

fn one(v: Value, path: &str) -> Result<GqlRequest, GqlError> {
    serde_json::from_value(v).map_err(|e| GqlError::new("parse-failed", path, e.to_string()))
}

/// The request being executed: its document and operation, its text, and the key of the
/// schema it was validated against (the role, and whether backend-only).
pub(crate) struct Request<'a> {
    pub doc: &'a Arc<Valid<ExecutableDocument>>,
    pub op: &'a Operation,
    pub query: &'a str,
    pub schema_key: &'a str,
}
