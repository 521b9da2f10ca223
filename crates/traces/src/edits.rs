//! `set_opentelemetry_config` (the whole section replaced) and `set_opentelemetry_status`
//! (only its `status`).

use rasura_metadata::{Metadata, MetadataError};
use serde_json::Value;

use crate::config::OtelConfig;

/// Runs `op` if it is an OpenTelemetry edit; `None` otherwise.
pub fn apply(md: &mut Metadata, op: &str, args: &Value) -> Option<Result<(), MetadataError>> {
    match op {
        "set_opentelemetry_config" => Some(set_config(md, args)),
        "set_opentelemetry_status" => Some(set_status(md, args)),
        _ => None,
    }
}

fn set_config(md: &mut Metadata, args: &Value) -> Result<(), MetadataError> {
    OtelConfig::parse(Some(args)).map_err(MetadataError::Parse)?;
    if args.as_object().is_some_and(|o| o.is_empty()) {
        md.extra.remove("opentelemetry");
    } else {
        md.extra.insert("opentelemetry".into(), args.clone());
    }
    Ok(())
}

fn set_status(md: &mut Metadata, args: &Value) -> Result<(), MetadataError> {
    if !matches!(args.as_str(), Some("enabled" | "disabled")) {
        return Err(MetadataError::Parse(
            "OpenTelemetry status must be either \"enabled\" or \"disabled\"".into(),
        ));
    }
    let section = md
        .extra
        .entry("opentelemetry")
        .or_insert_with(|| Value::Object(Default::default()));
    match section.as_object_mut() {
        Some(o) => {
            o.insert("status".into(), args.clone());
            Ok(())
        }
        None => Err(MetadataError::Parse(
            "the stored OpenTelemetry configuration is not an object".into(),
        )),
    }
}
