//! `actions.yaml` and `actions.graphql`: actions and custom types split as the Hasura CLI
//! splits them (signatures and type fields in the SDL, everything else in the YAML), and joined
//! back on apply.

use std::collections::HashSet;

use anyhow::{anyhow, bail};
use apollo_compiler::ast::{self, Definition};
use apollo_compiler::{Name, Node};
use serde_json::{json, Map, Value};

/// The custom type kinds in the order the CLI writes them.
const KINDS: [&str; 4] = ["enums", "input_objects", "objects", "scalars"];

/// The definition keys the SDL carries.
const SDL_KEYS: [&str; 3] = ["type", "arguments", "output_type"];

/// The `actions.yaml` document and the `actions.graphql` text of exported metadata.
pub fn split(actions: &Value, custom_types: &Value) -> (Value, String) {
    let actions = actions.as_array().cloned().unwrap_or_default();
    let mut sdl = String::new();
    let mut yaml_actions = Vec::new();
    for action in &actions {
        let def = action.get("definition").cloned().unwrap_or(json!({}));
        let root = if def.get("type").and_then(Value::as_str) == Some("query") {
            "Query"
        } else {
            "Mutation"
        };
        sdl.push_str(&format!("type {root} {{\n"));
        let name = action.get("name").and_then(Value::as_str).unwrap_or("");
        let args = def.get("arguments").and_then(Value::as_array);
        match args {
            Some(args) if !args.is_empty() => {
                sdl.push_str(&format!("  {name}(\n"));
                for a in args {
                    sdl.push_str(&input_value(a, "    "));
                }
                sdl.push_str("  )");
            }
            _ => sdl.push_str(&format!("  {name}")),
        }
        let out = def.get("output_type").and_then(Value::as_str).unwrap_or("");
        sdl.push_str(&format!(": {out}\n}}\n\n"));
        let mut entry = action.as_object().cloned().unwrap_or_default();
        if let Some(Value::Object(d)) = entry.get_mut("definition") {
            for k in SDL_KEYS {
                d.remove(k);
            }
        }
        yaml_actions.push(Value::Object(entry));
    }
    let mut yaml_types = Map::new();
    for kind in KINDS {
        let list = custom_types
            .get(kind)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut kept = Vec::new();
        for t in &list {
            sdl.push_str(&type_sdl(kind, t));
            let mut entry = t.as_object().cloned().unwrap_or_default();
            entry.remove("fields");
            kept.push(Value::Object(entry));
        }
        yaml_types.insert(kind.to_string(), Value::Array(kept));
    }
    (
        json!({"actions": yaml_actions, "custom_types": yaml_types}),
        sdl,
    )
}

fn description(d: Option<&Value>, indent: &str) -> Option<String> {
    let text = d?.as_str()?;
    if text.is_empty() {
        return None;
    }
    Some(format!(
        "{indent}\"\"\"{}\"\"\"\n",
        text.replace("\"\"\"", "\\\"\"\"")
    ))
}

fn input_value(a: &Value, indent: &str) -> String {
    let mut s = description(a.get("description"), indent).unwrap_or_default();
    let name = a.get("name").and_then(Value::as_str).unwrap_or("");
    let ty = a.get("type").and_then(Value::as_str).unwrap_or("");
    s.push_str(&format!("{indent}{name}: {ty}\n"));
    s
}

fn type_sdl(kind: &str, t: &Value) -> String {
    let mut s = description(t.get("description"), "").unwrap_or_default();
    let name = t.get("name").and_then(Value::as_str).unwrap_or("");
    let items = |key: &str| {
        t.get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    match kind {
        "scalars" => s.push_str(&format!("scalar {name}\n\n")),
        "enums" => {
            s.push_str(&format!("enum {name} {{\n"));
            for v in items("values") {
                s.push_str(&description(v.get("description"), "  ").unwrap_or_default());
                let value = v.get("value").and_then(Value::as_str).unwrap_or("");
                s.push_str(&format!("  {value}\n"));
            }
            s.push_str("}\n\n");
        }
        _ => {
            let keyword = if kind == "input_objects" {
                "input"
            } else {
                "type"
            };
            s.push_str(&format!("{keyword} {name} {{\n"));
            for f in items("fields") {
                s.push_str(&input_value(&f, "  "));
            }
            s.push_str("}\n\n");
        }
    }
    s
}

/// Actions and custom types from the two files; `None` for a key the metadata leaves out.
pub fn join(yaml: &Value, sdl: &str) -> anyhow::Result<(Option<Value>, Option<Value>)> {
    let parsed = SdlParts::parse(sdl)?;
    let yaml_actions = yaml
        .get("actions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut actions = Vec::new();
    let mut seen = HashSet::new();
    for entry in &yaml_actions {
        let name = entry.get("name").and_then(Value::as_str).unwrap_or("");
        let Some(sig) = parsed.actions.iter().find(|a| a.name == name) else {
            bail!("action {name} is not present in actions.graphql");
        };
        seen.insert(name.to_string());
        actions.push(action(Some(entry), sig));
    }
    for sig in parsed.actions.iter().filter(|a| !seen.contains(&a.name)) {
        actions.push(action(None, sig));
    }
    let yaml_types = yaml.get("custom_types").cloned().unwrap_or(json!({}));
    for kind in KINDS {
        for t in yaml_types
            .get(kind)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = t.get("name").and_then(Value::as_str).unwrap_or("");
            if !parsed.types[kind].iter().any(|p| p["name"] == name) {
                bail!("custom type {name} is not present in actions.graphql");
            }
        }
    }
    let mut types = Map::new();
    let mut any_type = false;
    for kind in KINDS {
        let listed = yaml_types.get(kind).and_then(Value::as_array);
        let list: Vec<Value> = parsed.types[kind]
            .iter()
            .map(|t| {
                let from_yaml =
                    listed.and_then(|l| l.iter().find(|y| y.get("name") == t.get("name")));
                merge_type(t, from_yaml)
            })
            .collect();
        // Empty kinds are left out, as the engine exports them.
        if !list.is_empty() {
            any_type = true;
            types.insert(kind.to_string(), Value::Array(list));
        }
    }
    Ok((
        (!actions.is_empty()).then_some(Value::Array(actions)),
        any_type.then_some(Value::Object(types)),
    ))
}

/// An action field of the SDL.
struct Signature {
    name: String,
    root: &'static str,
    arguments: Vec<Value>,
    output_type: String,
}

struct SdlParts {
    actions: Vec<Signature>,
    types: std::collections::HashMap<&'static str, Vec<Value>>,
}

impl SdlParts {
    fn parse(sdl: &str) -> anyhow::Result<SdlParts> {
        let doc = ast::Document::parse(sdl, "actions.graphql")
            .map_err(|e| anyhow!("actions.graphql: {}", e.errors))?;
        let mut parts = SdlParts {
            actions: Vec::new(),
            types: KINDS.iter().map(|k| (*k, Vec::new())).collect(),
        };
        for def in &doc.definitions {
            match def {
                Definition::ObjectTypeDefinition(o) if is_root(&o.name) => {
                    parts.add_actions(&o.name, &o.fields)
                }
                Definition::ObjectTypeExtension(o) if is_root(&o.name) => {
                    parts.add_actions(&o.name, &o.fields)
                }
                Definition::ObjectTypeDefinition(o) => {
                    let fields = o.fields.iter().map(|f| field(&f.name, &f.ty, &f.description));
                    parts.push("objects", &o.name, &o.description, "fields", fields.collect());
                }
                Definition::InputObjectTypeDefinition(o) => {
                    let fields = o
                        .fields
                        .iter()
                        .map(|f| field(&f.name, &f.ty, &f.description));
                    parts.push("input_objects", &o.name, &o.description, "fields", fields.collect());
                }
                Definition::EnumTypeDefinition(e) => {
                    let values = e.values.iter().map(|v| {
                        let mut m = json!({"value": v.value.as_str()});
                        if let Some(d) = &v.description {
                            m["description"] = json!(d.trim());
                        }
                        m
                    });
                    parts.push("enums", &e.name, &e.description, "values", values.collect());
                }
                Definition::ScalarTypeDefinition(s) => {
                    let mut m = json!({"name": s.name.as_str()});
                    if let Some(d) = &s.description {
                        m["description"] = json!(d.trim());
                    }
                    parts.types.get_mut("scalars").expect("kind").push(m);
                }
                other => bail!(
                    "actions.graphql: only object, input, enum and scalar types and Query or Mutation fields may be defined here, not {}",
                    other.name().map(|n| n.to_string()).unwrap_or_else(|| "a schema definition".into())
                ),
            }
        }
        Ok(parts)
    }

    fn add_actions(&mut self, root: &Name, fields: &[Node<ast::FieldDefinition>]) {
        let root = if root.as_str() == "Query" {
            "query"
        } else {
            "mutation"
        };
        for f in fields {
            self.actions.push(Signature {
                name: f.name.to_string(),
                root,
                arguments: f
                    .arguments
                    .iter()
                    .map(|a| field(&a.name, &a.ty, &a.description))
                    .collect(),
                output_type: f.ty.to_string(),
            });
        }
    }

    fn push(
        &mut self,
        kind: &'static str,
        name: &Name,
        desc: &Option<Node<str>>,
        key: &str,
        items: Vec<Value>,
    ) {
        let mut m = json!({"name": name.as_str()});
        if let Some(d) = desc {
            m["description"] = json!(d.trim());
        }
        m[key] = Value::Array(items);
        self.types.get_mut(kind).expect("kind").push(m);
    }
}

fn is_root(name: &Name) -> bool {
    matches!(name.as_str(), "Query" | "Mutation")
}

fn field(name: &Name, ty: &ast::Type, desc: &Option<Node<str>>) -> Value {
    let mut m = json!({"name": name.as_str(), "type": ty.to_string()});
    if let Some(d) = desc {
        m["description"] = json!(d.trim());
    }
    m
}

/// An action from its YAML entry (handler, kind, permissions, ...) and its SDL signature.
fn action(entry: Option<&Value>, sig: &Signature) -> Value {
    let yaml_def = entry
        .and_then(|e| e.get("definition"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut def = Map::new();
    if let Some(kind) = yaml_def.get("kind").filter(|k| k.as_str() != Some("")) {
        def.insert("kind".into(), kind.clone());
    }
    def.insert("type".into(), json!(sig.root));
    if let Some(h) = yaml_def.get("handler") {
        def.insert("handler".into(), h.clone());
    }
    def.insert("arguments".into(), Value::Array(sig.arguments.clone()));
    def.insert("output_type".into(), json!(sig.output_type));
    for (k, v) in &yaml_def {
        if !def.contains_key(k) && !SDL_KEYS.contains(&k.as_str()) && k != "kind" {
            def.insert(k.clone(), v.clone());
        }
    }
    let mut out = Map::new();
    out.insert("name".into(), json!(sig.name));
    out.insert("definition".into(), Value::Object(def));
    if let Some(Value::Object(e)) = entry {
        for (k, v) in e {
            if k != "name" && k != "definition" {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}

/// A custom type of the SDL, its description and relationships taken from the YAML when the
/// YAML lists it.
fn merge_type(sdl: &Value, yaml: Option<&Value>) -> Value {
    let mut out = sdl.as_object().cloned().unwrap_or_default();
    if let Some(Value::Object(y)) = yaml {
        out.remove("description");
        for (k, v) in y {
            if k != "fields" && k != "values" && k != "name" {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Value, Value) {
        let actions = json!([
            {"name": "login", "definition": {"handler": "{{BASE}}/login", "type": "mutation", "kind": "synchronous",
              "arguments": [{"name": "username", "type": "String!"}, {"name": "password", "type": "String!", "description": "in clear"}],
              "output_type": "LoginOutput", "forward_client_headers": true, "timeout": 10},
             "permissions": [{"role": "anonymous"}], "comment": "Log in"},
            {"name": "me", "definition": {"handler": "http://h/me", "type": "query", "arguments": [], "output_type": "[User!]!"}}
        ]);
        let types = json!({
            "scalars": [{"name": "Token", "description": "a JWT"}],
            "enums": [{"name": "Color", "values": [{"value": "RED"}, {"value": "GREEN", "description": "go"}]}],
            "objects": [{"name": "LoginOutput", "fields": [{"name": "token", "type": "Token!"}],
                         "relationships": [{"name": "user", "type": "object", "remote_table": {"schema": "public", "name": "users"}, "field_mapping": {"id": "id"}}]},
                        {"name": "User", "fields": [{"name": "id", "type": "Int!"}]}],
            "input_objects": [{"name": "Filter", "description": "which", "fields": [{"name": "color", "type": "Color"}]}]
        });
        (actions, types)
    }

    #[test]
    fn split_then_join_gives_the_metadata_back() {
        let (actions, types) = sample();
        let (yaml, sdl) = split(&actions, &types);
        assert!(sdl.contains("type Mutation {\n"), "{sdl}");
        assert!(sdl.contains("  login(\n    username: String!\n"), "{sdl}");
        assert!(sdl.contains("type Query {\n  me: [User!]!\n}"), "{sdl}");
        assert!(
            sdl.contains("enum Color {\n  RED\n  \"\"\"go\"\"\"\n  GREEN\n}"),
            "{sdl}"
        );
        let def = &yaml["actions"][0]["definition"];
        assert!(def.get("arguments").is_none() && def.get("output_type").is_none());
        assert!(yaml["custom_types"]["objects"][0].get("fields").is_none());
        // Through YAML text and back.
        let yaml_text = crate::yaml::write(&yaml);
        let yaml_back: Value = yaml_serde::from_str(&yaml_text).unwrap();
        let (a, t) = join(&yaml_back, &sdl).unwrap();
        assert_eq!(a.unwrap(), actions);
        let t = t.unwrap();
        for kind in KINDS {
            assert_eq!(t[kind], types[kind], "{kind}");
        }
    }

    #[test]
    fn an_action_of_the_yaml_missing_from_the_sdl_is_an_error() {
        let yaml = json!({"actions": [{"name": "gone", "definition": {"handler": "h"}}]});
        let e = join(&yaml, "type Query { other: Int }").unwrap_err();
        assert_eq!(
            e.to_string(),
            "action gone is not present in actions.graphql"
        );
    }

    #[test]
    fn extend_type_and_hand_written_sdl_are_read() {
        let yaml = json!({"actions": [{"name": "a", "definition": {"kind": "asynchronous", "handler": "h"}}],
                          "custom_types": {"objects": [{"name": "O"}]}});
        let sdl = "extend type Mutation { a(x: [Int!]): O }\n\"\"\" described \"\"\"\ntype O { id: uuid! }";
        let (a, t) = join(&yaml, sdl).unwrap();
        assert_eq!(
            a.unwrap(),
            json!([{"name": "a", "definition": {"kind": "asynchronous", "type": "mutation", "handler": "h",
                "arguments": [{"name": "x", "type": "[Int!]"}], "output_type": "O"}}])
        );
        // The YAML lists the type without a description: the YAML wins, as in the Hasura CLI.
        assert_eq!(
            t.unwrap()["objects"],
            json!([{"name": "O", "fields": [{"name": "id", "type": "uuid!"}]}])
        );
    }

    #[test]
    fn a_broken_sdl_is_an_error_with_its_place() {
        let e = join(&json!({}), "type Query {").unwrap_err().to_string();
        assert!(e.starts_with("actions.graphql:"), "{e}");
    }
}
