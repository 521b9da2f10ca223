//! Custom types and action root fields in a role's schema.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;

use rasura_resolve::ResolvedAction;
use serde_json::Value;

use crate::types::{MutationRoot, RootField};
use crate::writer::SdlWriter;

/// The named type of a GraphQL type reference (`[Line!]!` → `Line`).
fn base_name(ty: &str) -> &str {
    ty.trim_matches(|c| c == '[' || c == ']' || c == '!')
}

impl SdlWriter {
    /// Custom types as SDL; scalars they name that nothing defines are declared.
    pub(crate) fn custom_types(
        &mut self,
        custom: &Value,
        actions: &[ResolvedAction],
        tables: &[crate::TableInfo],
        table_index: &HashMap<rasura_metadata::QualifiedName, usize>,
        relationships: &mut HashMap<(String, String), crate::ActionRelationship>,
    ) {
        let list = |key: &str| {
            custom
                .get(key)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let mut defined = BTreeSet::new();
        let mut referenced = BTreeSet::new();
        for s in list("scalars") {
            if let Some(n) = s.get("name").and_then(Value::as_str) {
                self.scalar(n);
                defined.insert(n.to_string());
            }
        }
        for e in list("enums") {
            let Some(n) = e.get("name").and_then(Value::as_str) else {
                continue;
            };
            defined.insert(n.to_string());
            let _ = writeln!(self.types, "enum {n} {{");
            for v in e
                .get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(v) = v.get("value").and_then(Value::as_str) {
                    let _ = writeln!(self.types, "  {v}");
                }
            }
            self.types.push_str("}\n");
        }
        for (key, keyword) in [("input_objects", "input"), ("objects", "type")] {
            for o in list(key) {
                let Some(n) = o.get("name").and_then(Value::as_str) else {
                    continue;
                };
                defined.insert(n.to_string());
                let _ = writeln!(self.types, "{keyword} {n} {{");
                for f in o
                    .get("fields")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let (Some(fname), Some(ty)) = (
                        f.get("name").and_then(Value::as_str),
                        f.get("type").and_then(Value::as_str),
                    ) else {
                        continue;
                    };
                    referenced.insert(base_name(ty).to_string());
                    let _ = writeln!(self.types, "  {fname}: {ty}");
                }
                for r in o
                    .get("relationships")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let Some(rname) = r.get("name").and_then(Value::as_str) else {
                        continue;
                    };
                    let Ok(table) = serde_json::from_value::<rasura_metadata::QualifiedName>(
                        r.get("remote_table").cloned().unwrap_or_default(),
                    ) else {
                        continue;
                    };
                    let Some(&target) = table_index.get(&table) else {
                        continue;
                    };
                    if !tables[target].visible {
                        continue;
                    }
                    let array = r.get("type").and_then(Value::as_str) == Some("array");
                    let mapping = r
                        .get("field_mapping")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flatten()
                        .filter_map(|(f, c)| c.as_str().map(|c| (f.clone(), c.to_string())))
                        .collect();
                    let t = &tables[target].type_name;
                    let _ = if array {
                        writeln!(
                            self.types,
                            "  {rname}{}: [{t}!]!",
                            crate::writer::select_args(&self.names(&tables[target]))
                        )
                    } else {
                        writeln!(self.types, "  {rname}: {t}")
                    };
                    relationships.insert(
                        (n.to_string(), rname.to_string()),
                        crate::ActionRelationship {
                            target,
                            array,
                            mapping,
                        },
                    );
                }
                self.types.push_str("}\n");
            }
        }
        for a in actions {
            referenced.insert(base_name(&a.output_type).to_string());
            for (_, ty) in &a.arguments {
                referenced.insert(base_name(ty).to_string());
            }
        }
        for r in referenced {
            if !defined.contains(&r) && !self.defines_type(&r) {
                self.scalar(&r);
            }
        }
    }

    /// Action root fields the role may call.
    pub(crate) fn actions(
        &mut self,
        actions: &[ResolvedAction],
        role: &str,
        query_roots: &mut HashMap<String, RootField>,
        mutation_roots: &mut HashMap<String, MutationRoot>,
    ) {
        for (i, a) in actions.iter().enumerate() {
            if role != "admin" && !a.roles.iter().any(|r| r == role) {
                continue;
            }
            let args = if a.arguments.is_empty() {
                String::new()
            } else {
                let list: Vec<String> = a
                    .arguments
                    .iter()
                    .map(|(n, t)| format!("{n}: {t}"))
                    .collect();
                format!("({})", list.join(", "))
            };
            // An asynchronous action answers with the id of the stored call.
            let output = if a.asynchronous {
                "uuid!".to_string()
            } else {
                a.output_type.clone()
            };
            if a.asynchronous {
                self.scalar("uuid");
            }
            if a.asynchronous {
                // The result is read back with a query field named after the action.
                for sc in ["uuid", "timestamptz", "json"] {
                    self.scalar(sc);
                }
                let _ = writeln!(
                    self.types,
                    "type {name} {{\n  id: uuid!\n  created_at: timestamptz!\n  errors: json\n  output: {out}\n}}",
                    name = a.name,
                    out = a.output_type.trim_end_matches('!')
                );
                let _ = writeln!(self.query_fields, "  {}(id: uuid!): {}", a.name, a.name);
                query_roots.insert(a.name.clone(), RootField::ActionResult(i));
            }
            let line = format!("  {}{args}: {output}\n", a.name);
            if a.mutation {
                self.mutation_fields.push_str(&line);
                mutation_roots.insert(a.name.clone(), MutationRoot::Action(i));
            } else {
                self.query_fields.push_str(&line);
                query_roots.insert(a.name.clone(), RootField::Action(i));
            }
        }
    }
}
