//! `set_api_limits` (the whole section replaced) and `remove_api_limits`.

use rasura_metadata::{Metadata, MetadataError};
use serde_json::Value;

use crate::config::ApiLimits;

/// Runs `op` if it is an API-limits edit; `None` otherwise.
pub fn apply(md: &mut Metadata, op: &str, args: &Value) -> Option<Result<(), MetadataError>> {
    match op {
        "set_api_limits" => Some(set(md, args)),
        "remove_api_limits" => {
            md.extra.remove("api_limits");
            Some(Ok(()))
        }
        _ => None,
    }
}

fn set(md: &mut Metadata, args: &Value) -> Result<(), MetadataError> {
    let limits = ApiLimits::parse(Some(args)).map_err(MetadataError::Parse)?;
    if limits == ApiLimits::default() {
        // Hasura leaves an empty section out of the metadata.
        md.extra.remove("api_limits");
    } else {
        let v = serde_json::to_value(&limits).map_err(|e| MetadataError::Parse(e.to_string()))?;
        md.extra.insert("api_limits".into(), v);
    }
    Ok(())
}
