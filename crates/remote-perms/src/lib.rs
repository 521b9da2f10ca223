//! Remote schema permissions: a role's view of a remote is the part of the remote's schema its
//! permission SDL names (types, fields, arguments, input fields, enum values), checked to be a
//! subset; arguments marked `@preset(value: ..., static: ...)` leave the role's schema and are
//! filled in when forwarding.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use apollo_compiler::ast::{
    Definition, Directive, DirectiveList, InputValueDefinition, Value as GqlValue,
};
use apollo_compiler::Node;
use rasura_resolve::{RemotePreset, ResolvedRemoteSchema};
use serde_json::{json, Value};

/// What the permission names of one type.
#[derive(Default)]
struct Allowed {
    /// Field (or input field, or enum value) → its arguments (empty for input fields/values).
    members: HashMap<String, HashSet<String>>,
    /// Union members.
    possible: HashSet<String>,
}

fn preset_of(dirs: &DirectiveList) -> Option<&Node<Directive>> {
    dirs.iter().find(|d| d.name == "preset")
}

fn preset(arg: &InputValueDefinition, d: &Directive) -> Result<RemotePreset, String> {
    let value = d
        .specified_argument_by_name("value")
        .ok_or_else(|| format!("@preset on argument \"{}\" needs a value", arg.name))?;
    let is_static = matches!(
        d.specified_argument_by_name("static").map(|v| &**v),
        Some(GqlValue::Boolean(true))
    );
    let session_variable = match &**value {
        GqlValue::String(s) if !is_static && s.to_ascii_lowercase().starts_with("x-hasura-") => {
            Some(s.to_ascii_lowercase())
        }
        _ => None,
    };
    Ok(RemotePreset {
        argument: arg.name.to_string(),
        literal: value.to_string(),
        session_variable,
        type_name: arg.ty.inner_named_type().to_string(),
    })
}

/// The remotes `role` sees: all of them for admin or when permissions are off; otherwise those
/// granted to the role, each cut down to its permission (a permission that does not fit the
/// remote any more leaves the remote out).
pub fn remotes_for(
    resolved: &rasura_resolve::ResolvedMetadata,
    role: &str,
) -> Vec<ResolvedRemoteSchema> {
    resolved
        .remote_schemas
        .iter()
        .filter_map(|r| {
            if role == "admin" || !resolved.remote_schema_permissions {
                return Some(r.clone());
            }
            role_view(r, r.permissions.get(role)?).ok()
        })
        .collect()
}

/// The role's view of `r` under the permission `sdl`.
pub fn role_view(r: &ResolvedRemoteSchema, sdl: &str) -> Result<ResolvedRemoteSchema, String> {
    let doc = apollo_compiler::ast::Document::parse(sdl, "permission.graphql")
        .map_err(|e| format!("the permission's schema does not parse: {}", e.errors))?;
    let mut allowed: HashMap<String, Allowed> = HashMap::new();
    let mut presets: HashMap<(String, String), Vec<RemotePreset>> = HashMap::new();
    let mut root_names = HashMap::new();
    for def in &doc.definitions {
        match def {
            Definition::SchemaDefinition(s) => {
                for op in &s.root_operations {
                    root_names.insert(op.0.to_string(), op.1.to_string());
                }
            }
            Definition::ObjectTypeDefinition(t) => {
                let a = allowed.entry(t.name.to_string()).or_default();
                for f in &t.fields {
                    let mut args = HashSet::new();
                    for arg in &f.arguments {
                        match preset_of(&arg.directives) {
                            Some(d) => presets
                                .entry((t.name.to_string(), f.name.to_string()))
                                .or_default()
                                .push(preset(arg, d)?),
                            None => {
                                args.insert(arg.name.to_string());
                            }
                        }
                    }
                    a.members.insert(f.name.to_string(), args);
                }
            }
            Definition::InterfaceTypeDefinition(t) => {
                let a = allowed.entry(t.name.to_string()).or_default();
                for f in &t.fields {
                    a.members.insert(
                        f.name.to_string(),
                        f.arguments.iter().map(|x| x.name.to_string()).collect(),
                    );
                }
            }
            Definition::InputObjectTypeDefinition(t) => {
                let a = allowed.entry(t.name.to_string()).or_default();
                for f in &t.fields {
                    a.members.insert(f.name.to_string(), HashSet::new());
                }
            }
            Definition::EnumTypeDefinition(t) => {
                let a = allowed.entry(t.name.to_string()).or_default();
                for v in &t.values {
                    a.members.insert(v.value.to_string(), HashSet::new());
                }
            }
            Definition::UnionTypeDefinition(t) => {
                let a = allowed.entry(t.name.to_string()).or_default();
                a.possible = t.members.iter().map(|m| m.to_string()).collect();
            }
            Definition::ScalarTypeDefinition(t) => {
                allowed.entry(t.name.to_string()).or_default();
            }
            _ => {}
        }
    }
    let schema = &*r.introspection;
    let types = schema["types"]
        .as_array()
        .ok_or("the remote's introspection has no types")?;
    let by_name: HashMap<&str, &Value> = types
        .iter()
        .filter_map(|t| Some((t["name"].as_str()?, t)))
        .collect();
    // Subset check: everything named exists in the remote.
    for (name, a) in &allowed {
        let Some(t) = by_name.get(name.as_str()) else {
            return Err(format!(
                "type \"{name}\" does not exist in the remote schema"
            ));
        };
        for (member, args) in &a.members {
            let m = ["fields", "inputFields", "enumValues"]
                .iter()
                .filter_map(|k| t[*k].as_array())
                .flatten()
                .find(|f| f["name"] == member.as_str());
            let Some(m) = m else {
                return Err(format!(
                    "\"{member}\" does not exist in type \"{name}\" of the remote schema"
                ));
            };
            for arg in args {
                if !m["args"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|x| x["name"] == arg.as_str())
                {
                    return Err(format!("argument \"{arg}\" does not exist in field \"{name}.{member}\" of the remote schema"));
                }
            }
        }
    }
    for ((t, f), ps) in &presets {
        let field = by_name
            .get(t.as_str())
            .and_then(|x| x["fields"].as_array())
            .into_iter()
            .flatten()
            .find(|x| x["name"] == f.as_str());
        for p in ps {
            if !field
                .into_iter()
                .flat_map(|x| x["args"].as_array())
                .flatten()
                .any(|x| x["name"] == p.argument.as_str())
            {
                return Err(format!(
                    "argument \"{}\" does not exist in field \"{t}.{f}\" of the remote schema",
                    p.argument
                ));
            }
        }
    }
    let root = |key: &str, op: &str| -> Value {
        let remote = schema[key]["name"].as_str();
        let named = root_names.get(op).map(String::as_str).or(remote);
        match named {
            Some(n) if allowed.contains_key(n) && remote == Some(n) => json!({"name": n}),
            _ => Value::Null,
        }
    };
    let keep = |t: &Value| -> Option<Value> {
        let name = t["name"].as_str()?;
        if name.starts_with("__") || matches!(name, "String" | "Int" | "Float" | "Boolean" | "ID") {
            return Some(t.clone());
        }
        let a = allowed.get(name)?;
        let mut t = t.clone();
        for key in ["fields", "inputFields", "enumValues"] {
            if let Some(list) = t[key].as_array_mut() {
                list.retain(|m| {
                    m["name"]
                        .as_str()
                        .is_some_and(|n| a.members.contains_key(n))
                });
                for m in list.iter_mut() {
                    let n = m["name"].as_str().unwrap_or_default().to_string();
                    if let Some(args) = m["args"].as_array_mut() {
                        args.retain(|x| {
                            x["name"]
                                .as_str()
                                .is_some_and(|x| a.members[&n].contains(x))
                        });
                    }
                }
            }
        }
        if !a.possible.is_empty() {
            if let Some(list) = t["possibleTypes"].as_array_mut() {
                list.retain(|m| m["name"].as_str().is_some_and(|n| a.possible.contains(n)));
            }
        }
        Some(t)
    };
    let filtered: Vec<Value> = types.iter().filter_map(keep).collect();
    let mut view = r.clone();
    view.introspection = Arc::new(json!({
        "queryType": root("queryType", "query"),
        "mutationType": root("mutationType", "mutation"),
        "subscriptionType": null,
        "types": filtered,
        "directives": schema["directives"].clone(),
    }));
    view.presets = presets;
    Ok(view)
}
