//! Stage 8: remote schemas, with URLs and headers resolved from the environment and their
//! introspection (fetched by the server) attached; a remote without one is inconsistent.

use std::collections::HashMap;

use rasura_metadata::Metadata;
use serde_json::Value;

use super::actions::resolve_template;
use crate::inconsistency::{in_table, Inconsistency, ObjectRef};
use crate::types::{RemoteIntrospections, ResolvedRemoteSchema};

pub(super) fn resolve_remote_schemas(
    md: &Metadata,
    remotes: &RemoteIntrospections,
    report: &mut Vec<Inconsistency>,
) -> Vec<ResolvedRemoteSchema> {
    let mut out = vec![];
    for entry in rasura_metadata::remote_schemas::entries(md) {
        let name = entry
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        match resolve_one(&name, &entry, remotes) {
            Ok(r) => out.push(r),
            Err(reason) => report.push(Inconsistency::new(
                "remote_schema",
                format!("remote_schema {name}"),
                entry.clone(),
                reason,
                ObjectRef::RemoteSchema(name),
            )),
        }
    }
    out
}

/// Whether remote schema permissions are enforced (`RASURA_ENABLE_REMOTE_SCHEMA_PERMISSIONS` or
/// `HASURA_GRAPHQL_ENABLE_REMOTE_SCHEMA_PERMISSIONS` set to `true`).
pub fn permissions_enabled() -> bool {
    [
        "RASURA_ENABLE_REMOTE_SCHEMA_PERMISSIONS",
        "HASURA_GRAPHQL_ENABLE_REMOTE_SCHEMA_PERMISSIONS",
    ]
    .iter()
    .any(|n| std::env::var(n).is_ok_and(|v| v.eq_ignore_ascii_case("true")))
}

/// The URL and headers of a stored entry, from the environment where it says so.
pub fn endpoint(entry: &Value) -> Result<(String, Vec<(String, String)>), String> {
    let d = entry.get("definition").cloned().unwrap_or_default();
    let url = match (
        d.get("url").and_then(Value::as_str),
        d.get("url_from_env").and_then(Value::as_str),
    ) {
        (Some(u), _) => resolve_template(u)?,
        (None, Some(var)) => {
            std::env::var(var).map_err(|_| format!("environment variable \"{var}\" not set"))?
        }
        (None, None) => return Err("the remote schema has no url".into()),
    };
    let mut headers = vec![];
    for h in d
        .get("headers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = h
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let value = match (
            h.get("value").and_then(Value::as_str),
            h.get("value_from_env").and_then(Value::as_str),
        ) {
            (Some(v), _) => resolve_template(v)?,
            (None, Some(var)) => {
                std::env::var(var).map_err(|_| format!("environment variable \"{var}\" not set"))?
            }
            (None, None) => return Err(format!("header \"{name}\" has no value")),
        };
        headers.push((name, value));
    }
    Ok((url, headers))
}

/// A `{"from": "to"}` object of strings (other values left out).
fn string_map(v: Option<&Value>) -> HashMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn resolve_one(
    name: &str,
    entry: &Value,
    remotes: &RemoteIntrospections,
) -> Result<ResolvedRemoteSchema, String> {
    let (url, headers) = endpoint(entry)?;
    let d = entry.get("definition").cloned().unwrap_or_default();
    let introspection = match remotes.get(name) {
        Some(Ok(i)) => i.clone(),
        Some(Err(e)) => return Err(e.clone()),
        None => return Err("the remote schema has not been introspected".into()),
    };
    let c = d.get("customization").cloned().unwrap_or_default();
    let tn = c.get("type_names").cloned().unwrap_or_default();
    let text = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let type_mapping = string_map(tn.get("mapping"));
    let field_names = c
        .get("field_names")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|f| {
            let mapping = string_map(f.get("mapping"));
            Some((
                f.get("parent_type")?.as_str()?.to_string(),
                (text(f, "prefix"), text(f, "suffix"), mapping),
            ))
        })
        .collect();
    let permissions = entry
        .get("permissions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            Some((
                p.get("role")?.as_str()?.to_string(),
                p.get("definition")?.get("schema")?.as_str()?.to_string(),
            ))
        })
        .collect();
    Ok(ResolvedRemoteSchema {
        name: name.to_string(),
        url,
        headers,
        forward_client_headers: d
            .get("forward_client_headers")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        timeout_secs: d
            .get("timeout_seconds")
            .and_then(Value::as_u64)
            .unwrap_or(60),
        namespace: c
            .get("root_fields_namespace")
            .and_then(Value::as_str)
            .map(str::to_string),
        type_prefix: text(&tn, "prefix"),
        type_suffix: text(&tn, "suffix"),
        type_mapping,
        field_names,
        permissions,
        introspection,
        presets: HashMap::new(),
        db_relationships: vec![],
    })
}

/// The named type at the bottom of an introspection type reference.
pub fn inner_type(t: &Value) -> Option<&str> {
    match t.get("ofType") {
        Some(o) if !o.is_null() => inner_type(o),
        _ => t.get("name").and_then(Value::as_str),
    }
}

/// A field of a named type of a remote's introspection.
pub fn remote_field<'a>(schema: &'a Value, type_name: &str, field: &str) -> Option<&'a Value> {
    schema["types"]
        .as_array()?
        .iter()
        .find(|t| t["name"] == type_name)?["fields"]
        .as_array()?
        .iter()
        .find(|f| f["name"] == field)
}

/// Collects the column names an argument value refers to as `"$column"`.
fn column_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.starts_with('$') => out.push(s[1..].to_string()),
        Value::Array(items) => items.iter().for_each(|i| column_refs(i, out)),
        Value::Object(m) => m.values().for_each(|i| column_refs(i, out)),
        _ => {}
    }
}

pub(super) fn resolve_remote_relationships(
    source: &rasura_metadata::Source,
    remotes: &[ResolvedRemoteSchema],
    tables: &mut [crate::types::ResolvedTable],
    report: &mut Vec<Inconsistency>,
) {
    for entry in &source.tables {
        let Some(t) = tables.iter_mut().find(|t| t.name == entry.table) else {
            continue;
        };
        let to_remotes = entry
            .remote_relationships
            .iter()
            .filter(|r| !super::source_rels::is_to_source(r));
        for raw in to_remotes {
            let name = raw["name"].as_str().unwrap_or_default().to_string();
            let result = (|| -> Result<crate::types::ResolvedRemoteRelationship, String> {
                let target = rasura_metadata::remote_relationships::target(&raw["definition"])?;
                let remote = remotes
                    .iter()
                    .find(|r| r.name == target.remote_schema)
                    .ok_or_else(|| {
                        format!("remote schema \"{}\" does not exist", target.remote_schema)
                    })?;
                for c in &target.lhs_fields {
                    if !t.info.columns.iter().any(|x| &x.name == c) {
                        return Err(format!(
                            "column \"{c}\" does not exist in table \"{}\"",
                            t.name
                        ));
                    }
                }
                let mut type_name = remote.introspection["queryType"]["name"]
                    .as_str()
                    .ok_or("the remote schema has no query type")?
                    .to_string();
                let mut path = vec![];
                let mut level = target.remote_field.clone();
                loop {
                    let (field, spec) = level.iter().next().ok_or("remote_field is empty")?;
                    let f = remote_field(&remote.introspection, &type_name, field)
                        .ok_or_else(|| format!("field \"{field}\" does not exist in type \"{type_name}\" of remote schema \"{}\"", remote.name))?;
                    let args = spec
                        .get("arguments")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default();
                    let mut refs = vec![];
                    column_refs(&Value::Object(args.clone()), &mut refs);
                    if let Some(c) = refs.iter().find(|c| !target.lhs_fields.contains(c)) {
                        return Err(format!(
                            "argument value \"${c}\" names a column not in lhs_fields"
                        ));
                    }
                    path.push((field.clone(), args));
                    type_name = inner_type(&f["type"]).unwrap_or_default().to_string();
                    match spec.get("field").and_then(Value::as_object) {
                        Some(next) if next.len() == 1 => level = next.clone(),
                        _ => break,
                    }
                }
                Ok(crate::types::ResolvedRemoteRelationship {
                    name: name.clone(),
                    remote_schema: remote.name.clone(),
                    lhs: target.lhs_fields,
                    path,
                })
            })();
            match result {
                Ok(r) => t.remote_relationships.push(r),
                Err(reason) => report.push(Inconsistency::new(
                    "remote_relationship",
                    in_table("remote_relationship", &name, &entry.table, &source.name),
                    raw.clone(),
                    reason,
                    ObjectRef::RemoteRelationship(entry.table.clone(), name.clone()),
                )),
            }
        }
    }
}
