//! Stage 6: actions, with handler URLs and headers resolved from the environment.

use rasura_metadata::Metadata;
use serde_json::Value;

use crate::inconsistency::{Inconsistency, ObjectRef};
use crate::types::ResolvedAction;

/// `{{VAR}}` placeholders replaced from the environment; the first missing variable is an error.
pub fn resolve_template(text: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("unclosed template in {text:?}"))?;
        let var = after[..end].trim();
        let value =
            std::env::var(var).map_err(|_| format!("environment variable \"{var}\" not set"))?;
        out.push_str(&value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

pub(super) fn resolve_actions(
    md: &Metadata,
    report: &mut Vec<Inconsistency>,
) -> Vec<ResolvedAction> {
    let Some(Value::Array(list)) = md.extra.get("actions") else {
        return vec![];
    };
    let mut out = vec![];
    for a in list {
        let name = a
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let d = a.get("definition").cloned().unwrap_or_default();
        let result = (|| -> Result<ResolvedAction, String> {
            let (request_transform, response_transform) =
                super::unsupported::webhook_transforms(&d)?;
            let handler = resolve_template(
                d.get("handler")
                    .and_then(Value::as_str)
                    .ok_or("the action has no handler")?,
            )?;
            let output_type = d
                .get("output_type")
                .and_then(Value::as_str)
                .ok_or("the action has no output_type")?
                .to_string();
            let arguments = match d.get("arguments") {
                Some(Value::Array(args)) => args
                    .iter()
                    .map(|x| {
                        Ok((
                            x.get("name")
                                .and_then(Value::as_str)
                                .ok_or("an argument has no name")?
                                .to_string(),
                            x.get("type")
                                .and_then(Value::as_str)
                                .ok_or("an argument has no type")?
                                .to_string(),
                        ))
                    })
                    .collect::<Result<Vec<_>, String>>()?,
                _ => vec![],
            };
            let mut headers = vec![];
            if let Some(Value::Array(hs)) = d.get("headers") {
                for h in hs {
                    let hname = h
                        .get("name")
                        .and_then(Value::as_str)
                        .ok_or("a header has no name")?;
                    let value = match (
                        h.get("value").and_then(Value::as_str),
                        h.get("value_from_env").and_then(Value::as_str),
                    ) {
                        (Some(v), _) => v.to_string(),
                        (None, Some(var)) => std::env::var(var)
                            .map_err(|_| format!("environment variable \"{var}\" not set"))?,
                        _ => return Err(format!("header \"{hname}\" has no value")),
                    };
                    headers.push((hname.to_string(), value));
                }
            }
            let roles = match a.get("permissions") {
                Some(Value::Array(ps)) => ps
                    .iter()
                    .filter_map(|p| p.get("role").and_then(Value::as_str))
                    .map(str::to_string)
                    .collect(),
                _ => vec![],
            };
            Ok(ResolvedAction {
                name: name.clone(),
                mutation: d.get("type").and_then(Value::as_str) != Some("query"),
                asynchronous: d.get("kind").and_then(Value::as_str) == Some("asynchronous"),
                arguments,
                output_type,
                handler,
                headers,
                forward_client_headers: d
                    .get("forward_client_headers")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                timeout_secs: d.get("timeout").and_then(Value::as_u64).unwrap_or(30),
                roles,
                request_transform,
                response_transform,
            })
        })();
        match result {
            Ok(r) => out.push(r),
            Err(reason) => report.push(Inconsistency::new(
                "action",
                format!("action {name}"),
                a.clone(),
                reason,
                ObjectRef::Unknown,
            )),
        }
    }
    out
}
