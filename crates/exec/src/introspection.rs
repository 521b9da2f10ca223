//! `__schema` and `__type`: answered by apollo-compiler from the role's schema, off the serving
//! threads, and kept per (schema, query, operation, variables).

use std::collections::HashMap;
use std::sync::Arc;

use apollo_compiler::executable::Operation;
use apollo_compiler::validation::Valid;
use apollo_compiler::ExecutableDocument;
use rasura_schema::RoleSchema;
use serde_json::{Map, Value};

use crate::error::GqlError;
use crate::request::Request;
use rasura_memory::cache::BoundedCache;

/// An introspection answer: each root field's JSON text, by response key.
pub type IntrospectionAnswer = Arc<HashMap<String, String>>;

/// Introspection answers per (schema, query, operation, variables), bounded in bytes. A schema
/// of 1,000 tables answers `__schema` in megabytes: computed once, copied after.
/// One answer is computed at a time: requests arriving together for an answer not yet kept
/// wait for it instead of each computing it.
#[derive(Debug)]
pub struct IntrospectionCache {
    answers: BoundedCache<String, IntrospectionAnswer>,
    computing: tokio::sync::Mutex<()>,
}

impl Default for IntrospectionCache {
    fn default() -> IntrospectionCache {
        IntrospectionCache {
            answers: BoundedCache::new(64 << 20, 16 << 20),
            computing: tokio::sync::Mutex::new(()),
        }
    }
}

/// The introspection part of a request: from the cache, or computed on the heavy-work thread
/// (it walks the whole schema) and kept.
pub(crate) async fn introspection(
    cache: &IntrospectionCache,
    schema: &Arc<RoleSchema>,
    request: &Request<'_>,
    vars: &Map<String, Value>,
) -> Result<IntrospectionAnswer, GqlError> {
    let name = request.op.name.as_ref().map(|n| n.to_string());
    let key = format!(
        "{}\u{0}{}\u{0}{}\u{0}{}",
        request.schema_key,
        name.as_deref().unwrap_or_default(),
        serde_json::to_string(vars).unwrap_or_default(),
        request.query
    );
    if let Some(answer) = cache.answers.get(&key) {
        return Ok(answer);
    }
    let _computing = cache.computing.lock().await;
    if let Some(answer) = cache.answers.get(&key) {
        return Ok(answer);
    }
    let (schema, doc, vars) = (schema.clone(), request.doc.clone(), vars.clone());
    let answer = rasura_memory::threads::off_the_serving_threads(move || {
        let op = doc
            .operations
            .get(name.as_deref())
            .map_err(|_| GqlError::validation("$", "no such operation"))?;
        introspect(&schema, &doc, op, &vars)
    })
    .await
    .map_err(|e| GqlError::new("unexpected", "$", format!("introspection failed: {e}")))??;
    let answer: IntrospectionAnswer = Arc::new(answer);
    let size = key.len()
        + answer
            .iter()
            .map(|(k, v)| k.len() + v.len() + 64)
            .sum::<usize>();
    cache.answers.insert(key, answer.clone(), size);
    Ok(answer)
}

/// Answers `__schema` / `__type` from the role's schema: each root field's JSON text.
fn introspect(
    schema: &Arc<RoleSchema>,
    doc: &Valid<ExecutableDocument>,
    op: &Operation,
    vars: &Map<String, Value>,
) -> Result<HashMap<String, String>, GqlError> {
    let _span = tracing::info_span!("introspection").entered();
    let given: apollo_compiler::response::JsonMap =
        serde_json::from_value(Value::Object(vars.clone())).unwrap_or_default();
    let coerced = apollo_compiler::request::coerce_variable_values(&schema.schema, op, &given)
        .map_err(|e| GqlError::validation("$", e.message().to_string()))?;
    apollo_compiler::introspection::check_max_depth(doc, op)
        .map_err(|e| GqlError::validation("$", e.message().to_string()))?;
    let resp = apollo_compiler::introspection::partial_execute(
        &schema.schema,
        &schema.implementers,
        doc,
        op,
        &coerced,
    )
    .map_err(|e| GqlError::validation("$", e.message().to_string()))?;
    // Each root field's JSON text straight from apollo's answer (no intermediate tree).
    Ok(resp
        .data
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_string(),
                        serde_json::to_string(v).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default())
}
