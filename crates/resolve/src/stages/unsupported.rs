//! Metadata this engine cannot honour yet, reported as inconsistent objects (never silently
//! kept as if it worked): whole sections (network, metrics settings, ...), an OpenTelemetry
//! export that cannot run,
//! a second database source (one PostgreSQL source is served), a source's customization
//! that does not parse. Each
//! message names the feature; the later work removes entries from here. Also the check of
//! webhook transforms (`webhook_transforms`).

use rasura_metadata::Metadata;
use serde_json::Value;

use crate::inconsistency::{Inconsistency, ObjectRef};

/// Top-level sections: (key, object type, what it is, name of one entry's key).
const SECTIONS: &[(&str, &str, &str, Option<&str>)] = &[
    (
        "network",
        "network",
        "network settings (TLS allow list) are",
        None,
    ),
    (
        "metrics_config",
        "metrics_config",
        "metrics settings are",
        None,
    ),
    (
        "backend_configs",
        "backend_configs",
        "data connector backends are",
        None,
    ),
];

fn not_yet(feature: &str) -> String {
    format!("{feature} not supported by this engine yet")
}

/// Reports every part of `md` the engine does not implement.
pub(super) fn report_unsupported(md: &Metadata, report: &mut Vec<Inconsistency>) {
    // Query collections and the allow list are built; what in them cannot work is reported.
    for (kind, name, definition, reason) in rasura_allowlist::problems(md) {
        let object = if kind == "allowlist" {
            ObjectRef::AllowlistEntry(name.clone())
        } else {
            ObjectRef::QueryCollection(name.clone())
        };
        report.push(Inconsistency::new(
            kind,
            format!("{} {name}", kind.replace('_', " ")),
            definition,
            reason,
            object,
        ));
    }
    // Traces are exported; what of the section cannot be honoured is reported.
    let otel = md.extra.get("opentelemetry");
    let problem = match rasura_traces::config::OtelConfig::parse(otel) {
        Ok(c) => c.problem(),
        Err(e) => Some(e),
    };
    if let Some(reason) = problem {
        report.push(Inconsistency::new(
            "opentelemetry",
            "opentelemetry".into(),
            otel.cloned().unwrap_or_default(),
            format!("the OpenTelemetry configuration cannot be used: {reason}"),
            ObjectRef::Section("opentelemetry".into()),
        ));
    }
    // API limits are built; a section that does not parse is reported.
    if let Err(e) = rasura_api_limits::ApiLimits::parse(md.extra.get("api_limits")) {
        report.push(Inconsistency::new(
            "api_limits",
            "api_limits".into(),
            md.extra.get("api_limits").cloned().unwrap_or_default(),
            format!("the API limits are not valid: {e}"),
            ObjectRef::Section("api_limits".into()),
        ));
    }
    // REST endpoints are built; an entry they cannot serve is reported.
    for (name, definition, reason) in rasura_rest::problems(md) {
        report.push(Inconsistency::new(
            "rest_endpoint",
            format!("rest_endpoint {name}"),
            definition,
            reason,
            ObjectRef::RestEndpoint(name),
        ));
    }
    for (key, kind, feature, entry_name) in SECTIONS {
        let reason = not_yet(feature);
        match md.extra.get(*key) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for item in items {
                    let name = entry_name
                        .and_then(|k| item.get(k))
                        .and_then(Value::as_str)
                        .unwrap_or("?");
                    report.push(Inconsistency::new(
                        kind,
                        format!("{} {name}", kind.replace('_', " ")),
                        item.clone(),
                        &reason,
                        ObjectRef::Section((*key).to_string()),
                    ));
                }
            }
            Some(Value::Object(m)) if m.is_empty() => {}
            Some(other) => report.push(Inconsistency::new(
                kind,
                kind.replace('_', " "),
                other.clone(),
                &reason,
                ObjectRef::Section((*key).to_string()),
            )),
        }
    }
    for source in &md.sources {
        if !rasura_metadata::sources::is_postgres(&source.kind) {
            report.push(Inconsistency::new(
                "source",
                format!("source {}", source.name),
                serde_json::Value::String(source.name.clone()),
                format!(
                    "sources of kind \"{}\" are not supported by this engine",
                    source.kind
                ),
                ObjectRef::Source(source.name.clone()),
            ));
            continue;
        }
        // The naming convention, prefixes, suffixes and namespace are built; a customization
        // that does not parse is reported.
        let customization = source.extra.get("customization");
        let reason = customization.and_then(|c| rasura_naming::check_customization(c).err());
        if let Some(reason) = reason {
            report.push(Inconsistency::new(
                "source",
                format!("source {} customization", source.name),
                customization.cloned().unwrap_or_default(),
                reason,
                ObjectRef::SourceCustomization(source.name.clone()),
            ));
        }
    }
}

/// A webhook's transforms, checked: `request_transform` with its body template parsed, and
/// `response_transform` with its shape and templates checked (`rasura_transform::response`).
/// Answers (request transform, response transform).
pub(super) fn webhook_transforms(
    definition: &Value,
) -> Result<(Option<Value>, Option<Value>), String> {
    let response = match definition
        .get("response_transform")
        .filter(|v| !v.is_null())
    {
        Some(t) => {
            rasura_transform::response::check(t)
                .map_err(|e| format!("the response transform's body template: {e}"))?;
            Some(t.clone())
        }
        None => None,
    };
    let Some(t) = definition.get("request_transform").filter(|v| !v.is_null()) else {
        return Ok((None, response));
    };
    let body = match t.get("body") {
        Some(Value::String(s)) => Some(s.as_str()),
        Some(b) => b.get("template").and_then(Value::as_str),
        None => None,
    };
    if let Some(template) = body {
        rasura_transform::kriti::parse(template)
            .map_err(|e| format!("the request transform's body template: {e}"))?;
    }
    Ok((Some(t.clone()), response))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn a_triggers_response_transform_is_kept_for_its_deliveries() {
        let transform = json!({"version": 2, "body": {"action": "transform",
            "template": "{\"id\": {{$body.n}}}"}});
        let (req, resp) = super::webhook_transforms(
            &json!({"webhook": "http://h", "response_transform": transform}),
        )
        .unwrap();
        assert_eq!((req, resp), (None, Some(transform)));
    }
}
