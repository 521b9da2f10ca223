//! `pg_suggest_relationships`: the working metadata resolved, then
//! `rasura_resolve::suggest::relationships`.

use serde_json::{json, Value};

use crate::error::ApiError;
use crate::tx::ControlTx;

/// `{source?, tables?: [table], omit_tracked?: bool}` → `{relationships: [{type, from, to}]}`.
pub(super) async fn suggest_relationships(
    ctx: &mut ControlTx<'_>,
    args: Value,
) -> Result<Value, ApiError> {
    let wanted: Option<Vec<rasura_metadata::QualifiedName>> = match args.get("tables") {
        None | Some(Value::Null) => None,
        Some(t) => Some(serde_json::from_value(t.clone()).map_err(|e| {
            ApiError::bad_request("parse-failed", e.to_string()).at("$.args.tables")
        })?),
    };
    let omit_tracked = args.get("omit_tracked") == Some(&Value::Bool(true));
    let catalog = ctx.fresh_catalog().await?;
    let resolved = ctx.resolve_working(catalog);
    let out = rasura_resolve::suggest::relationships(&resolved, wanted.as_deref(), omit_tracked);
    Ok(json!({ "relationships": out }))
}
