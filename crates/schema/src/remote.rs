//! Remote schemas in a role's schema: the remote's types (from its introspection, renamed by
//! its type customization) as SDL, and its query and mutation root fields joined to
//! `query_root` / `mutation_root` (or under one namespace field). A remote whose root fields or
//! types clash with what is already there is left out and reported as a conflict.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;

use rasura_resolve::ResolvedRemoteSchema;
use serde_json::Value;

use crate::types::{MutationRoot, RootField};
use crate::writer::SdlWriter;

/// A type reference of an introspection answer as SDL, with named types renamed.
fn type_ref(t: &Value, r: &ResolvedRemoteSchema) -> Result<String, String> {
    match t.get("kind").and_then(Value::as_str) {
        Some("NON_NULL") => Ok(format!("{}!", type_ref(&t["ofType"], r)?)),
        Some("LIST") => Ok(format!("[{}]", type_ref(&t["ofType"], r)?)),
        Some(_) => t
            .get("name")
            .and_then(Value::as_str)
            .map(|n| r.type_name(n))
            .ok_or_else(|| "a type reference without a name".to_string()),
        None => Err("a type reference without a kind".into()),
    }
}

fn description(out: &mut String, v: &Value, indent: &str) {
    if let Some(d) = v.get("description").and_then(Value::as_str) {
        if !d.is_empty() {
            let _ = writeln!(out, "{indent}{}", Value::String(d.to_string()));
        }
    }
}

fn arguments(args: &Value, r: &ResolvedRemoteSchema) -> Result<String, String> {
    let list = args.as_array().map(Vec::as_slice).unwrap_or_default();
    if list.is_empty() {
        return Ok(String::new());
    }
    let mut parts = vec![];
    for a in list {
        let mut p = format!(
            "{}: {}",
            a["name"].as_str().unwrap_or_default(),
            type_ref(&a["type"], r)?
        );
        if let Some(d) = a.get("defaultValue").and_then(Value::as_str) {
            let _ = write!(p, " = {d}");
        }
        parts.push(p);
    }
    Ok(format!("({})", parts.join(", ")))
}

/// Field (or input field) definitions of the remote type `parent`, renamed.
fn field_lines(fields: &Value, parent: &str, r: &ResolvedRemoteSchema) -> Result<String, String> {
    let mut out = String::new();
    for f in fields.as_array().into_iter().flatten() {
        let original = f["name"].as_str().unwrap_or_default();
        let name = r.field_name(parent, original);
        if name.starts_with("__") {
            continue;
        }
        description(&mut out, f, "  ");
        let _ = writeln!(
            out,
            "  {name}{}: {}",
            arguments(&f["args"], r)?,
            type_ref(&f["type"], r)?
        );
    }
    Ok(out)
}

/// The SDL of one named type of the remote, renamed.
fn type_sdl(t: &Value, r: &ResolvedRemoteSchema) -> Result<String, String> {
    let original = t["name"].as_str().unwrap_or_default();
    let name = r.type_name(original);
    let mut out = String::new();
    description(&mut out, t, "");
    let names = |key: &str| -> Vec<String> {
        t[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["name"].as_str().map(|n| r.type_name(n)))
            .collect()
    };
    match t["kind"].as_str().unwrap_or_default() {
        "SCALAR" => {
            let _ = writeln!(out, "scalar {name}");
        }
        "OBJECT" | "INTERFACE" => {
            let keyword = if t["kind"] == "OBJECT" {
                "type"
            } else {
                "interface"
            };
            let interfaces = names("interfaces");
            let implements = if interfaces.is_empty() {
                String::new()
            } else {
                format!(" implements {}", interfaces.join(" & "))
            };
            let _ = writeln!(
                out,
                "{keyword} {name}{implements} {{\n{}}}",
                field_lines(&t["fields"], original, r)?
            );
        }
        "UNION" => {
            let _ = writeln!(out, "union {name} = {}", names("possibleTypes").join(" | "));
        }
        "ENUM" => {
            let _ = writeln!(out, "enum {name} {{");
            for v in t["enumValues"].as_array().into_iter().flatten() {
                let _ = writeln!(out, "  {}", v["name"].as_str().unwrap_or_default());
            }
            out.push_str("}\n");
        }
        "INPUT_OBJECT" => {
            let _ = writeln!(
                out,
                "input {name} {{\n{}}}",
                field_lines(&t["inputFields"], original, r)?
            );
        }
        other => return Err(format!("unknown type kind {other:?}")),
    }
    Ok(out)
}

const BUILTIN_SCALARS: [&str; 5] = ["String", "Int", "Float", "Boolean", "ID"];

/// What one remote adds to a role's schema.
struct Addition {
    types: Vec<(String, String)>,
    query_fields: String,
    mutation_fields: String,
    query_roots: Vec<(String, RootField)>,
    mutation_roots: Vec<(String, MutationRoot)>,
}

fn addition(r: &ResolvedRemoteSchema, index: usize) -> Result<Addition, String> {
    let schema = &*r.introspection;
    let root_name = |key: &str| schema[key]["name"].as_str().map(str::to_string);
    let query_type = root_name("queryType");
    let mutation_type = root_name("mutationType");
    let subscription_type = root_name("subscriptionType");
    let by_name: HashMap<&str, &Value> = schema["types"]
        .as_array()
        .ok_or("the introspection has no types")?
        .iter()
        .filter_map(|t| Some((t["name"].as_str()?, t)))
        .collect();
    let mut types = vec![];
    for (name, t) in &by_name {
        let is_root = [&query_type, &mutation_type, &subscription_type]
            .iter()
            .any(|x| x.as_deref() == Some(*name));
        if name.starts_with("__")
            || BUILTIN_SCALARS.contains(name)
            || (is_root && r.namespace.is_none())
        {
            continue;
        }
        if subscription_type.as_deref() == Some(*name) {
            continue;
        }
        types.push((r.type_name(name), type_sdl(t, r)?));
    }
    let mut add = Addition {
        types,
        query_fields: String::new(),
        mutation_fields: String::new(),
        query_roots: vec![],
        mutation_roots: vec![],
    };
    let root_fields = |type_name: &Option<String>| -> Vec<String> {
        type_name
            .as_deref()
            .and_then(|n| by_name.get(n))
            .and_then(|t| t["fields"].as_array())
            .into_iter()
            .flatten()
            .filter_map(|f| f["name"].as_str().map(str::to_string))
            .collect()
    };
    match &r.namespace {
        Some(ns) => {
            if let Some(q) = &query_type {
                add.query_fields = format!("  {ns}: {}\n", r.type_name(q));
                add.query_roots
                    .push((ns.clone(), RootField::RemoteNamespace(index)));
            }
            if let Some(m) = &mutation_type {
                add.mutation_fields = format!("  {ns}: {}\n", r.type_name(m));
                add.mutation_roots
                    .push((ns.clone(), MutationRoot::RemoteNamespace(index)));
            }
        }
        None => {
            if let Some(q) = query_type.as_deref().and_then(|n| by_name.get(n)) {
                let parent = query_type.as_deref().unwrap_or_default();
                add.query_fields = field_lines(&q["fields"], parent, r)?;
                for f in root_fields(&query_type) {
                    add.query_roots
                        .push((r.field_name(parent, &f), RootField::Remote(index)));
                }
            }
            if let Some(m) = mutation_type.as_deref().and_then(|n| by_name.get(n)) {
                let parent = mutation_type.as_deref().unwrap_or_default();
                add.mutation_fields = field_lines(&m["fields"], parent, r)?;
                for f in root_fields(&mutation_type) {
                    add.mutation_roots
                        .push((r.field_name(parent, &f), MutationRoot::Remote(index)));
                }
            }
        }
    }
    Ok(add)
}

impl SdlWriter {
    /// Adds the remotes that fit; returns (remote name, reason) for those left out.
    pub(crate) fn remotes(
        &mut self,
        remotes: &[ResolvedRemoteSchema],
        query_roots: &mut HashMap<String, RootField>,
        mutation_roots: &mut HashMap<String, MutationRoot>,
    ) -> Vec<(String, String)> {
        let mut conflicts = vec![];
        let mut remote_types: HashMap<String, String> = HashMap::new();
        for (i, r) in remotes.iter().enumerate() {
            let add = match addition(r, i) {
                Ok(a) => a,
                Err(e) => {
                    conflicts.push((
                        r.name.clone(),
                        format!("cannot read the remote's schema: {e}"),
                    ));
                    continue;
                }
            };
            let clash = add
                .query_roots
                .iter()
                .map(|(n, _)| n)
                .find(|n| query_roots.contains_key(*n))
                .or_else(|| {
                    add.mutation_roots
                        .iter()
                        .map(|(n, _)| n)
                        .find(|n| mutation_roots.contains_key(*n))
                });
            if let Some(n) = clash {
                conflicts.push((
                    r.name.clone(),
                    format!(
                        "duplicate fields in merging the schemas of remote schema \"{}\": {n}",
                        r.name
                    ),
                ));
                continue;
            }
            let mut seen = BTreeSet::new();
            let type_clash = add.types.iter().find(|(n, sdl)| {
                !seen.insert(n.clone())
                    || match remote_types.get(n) {
                        Some(existing) => existing != sdl,
                        None => self.defines_type(n),
                    }
            });
            if let Some((n, _)) = type_clash {
                conflicts.push((
                    r.name.clone(),
                    format!("Found conflicting definitions for GraphQL type '{n}' in remote schema \"{}\"", r.name),
                ));
                continue;
            }
            for (n, sdl) in add.types {
                if remote_types.insert(n, sdl.clone()).is_none() {
                    self.types.push_str(&sdl);
                }
            }
            self.query_fields.push_str(&add.query_fields);
            self.mutation_fields.push_str(&add.mutation_fields);
            query_roots.extend(add.query_roots);
            mutation_roots.extend(add.mutation_roots);
        }
        conflicts
    }
}

impl SdlWriter {
    /// Adds the remote relationships whose remote is in this schema and whose columns the role
    /// may read, as fields of the tables' object types (`extend type`).
    pub(crate) fn remote_relationships(
        &mut self,
        resolved: &rasura_resolve::ResolvedMetadata,
        remotes: &[ResolvedRemoteSchema],
        conflicts: &[(String, String)],
        tables: &mut [crate::TableInfo],
        table_index: &HashMap<rasura_metadata::QualifiedName, usize>,
    ) -> Vec<crate::types::RemoteRelInfo> {
        let mut out = vec![];
        for t in &resolved.tables {
            let Some(&idx) = table_index.get(&t.name) else {
                continue;
            };
            if !tables[idx].visible {
                continue;
            }
            for rel in &t.remote_relationships {
                let Some(ri) = remotes.iter().position(|r| r.name == rel.remote_schema) else {
                    continue;
                };
                if conflicts.iter().any(|(n, _)| n == &rel.remote_schema) {
                    continue;
                }
                let info = &tables[idx];
                let readable = rel.lhs.iter().all(|c| {
                    info.fields
                        .values()
                        .any(|f| matches!(f, crate::TableField::Column(x) if x == c))
                });
                if !readable
                    || info.fields.contains_key(&rel.name)
                    || !crate::naming::is_valid_name(&rel.name)
                {
                    continue;
                }
                let r = &remotes[ri];
                // Follow the path through the (role's view of the) remote.
                let mut type_name = r.introspection["queryType"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let mut last = None;
                for (field, _) in &rel.path {
                    let Some(f) = rasura_resolve::stages::remote_schemas::remote_field(
                        &r.introspection,
                        &type_name,
                        field,
                    ) else {
                        last = None;
                        break;
                    };
                    type_name = rasura_resolve::stages::remote_schemas::inner_type(&f["type"])
                        .unwrap_or_default()
                        .to_string();
                    last = Some(f);
                }
                let Some(Ok(ty)) = last.map(|f| type_ref(&f["type"], r)) else {
                    continue;
                };
                let object = info.type_name.clone();
                let _ = writeln!(
                    self.types,
                    "extend type {object} {{\n  \"A remote relationship\"\n  {}: {ty}\n}}",
                    rel.name
                );
                std::sync::Arc::make_mut(&mut tables[idx].fields)
                    .insert(rel.name.clone(), crate::TableField::RemoteRel(out.len()));
                out.push(crate::types::RemoteRelInfo {
                    remote: ri,
                    lhs: rel.lhs.clone(),
                    path: rel.path.clone(),
                    result_type: type_name,
                });
            }
        }
        out
    }
}
