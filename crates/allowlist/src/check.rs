//! The allow list of one metadata version, as sets of normalised queries, and the problems
//! that make its sections inconsistent.

use std::collections::{HashMap, HashSet};

use rasura_metadata::Metadata;
use serde_json::Value;

use crate::collections::{allowlist, collections};
use crate::normalize::normalize;

/// The queries the allow list lets through: raw and normalised texts, global and per role.
#[derive(Debug, Default)]
pub struct Allowlist {
    global: HashSet<String>,
    per_role: HashMap<String, HashSet<String>>,
}

/// What the allow list says of one query.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    Refused,
    /// Not GraphQL: the request fails at parsing anyway.
    Unparsable,
}

impl Allowlist {
    /// The allow list of `md`: every query of every listed collection, under its scope.
    pub fn build(md: &Metadata) -> Allowlist {
        let stored: HashMap<String, Vec<String>> = collections(md)
            .iter()
            .filter_map(|c| {
                let name = c.get("name")?.as_str()?.to_string();
                let queries = c
                    .pointer("/definition/queries")
                    .and_then(Value::as_array)
                    .map(|qs| {
                        qs.iter()
                            .filter_map(|q| q.get("query")?.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                Some((name, queries))
            })
            .collect();
        let mut list = Allowlist::default();
        for e in allowlist(md) {
            let Some(queries) = e
                .get("collection")
                .and_then(Value::as_str)
                .and_then(|c| stored.get(c))
            else {
                continue;
            };
            let forms: Vec<String> = queries
                .iter()
                .flat_map(|q| [Some(q.clone()), normalize(q).ok()])
                .flatten()
                .collect();
            let scope = e.get("scope");
            let global = scope
                .and_then(|s| s.get("global"))
                .and_then(Value::as_bool)
                .unwrap_or(true);
            if global {
                list.global.extend(forms);
                continue;
            }
            let roles = scope
                .and_then(|s| s.get("roles"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for r in roles.iter().filter_map(Value::as_str) {
                list.per_role
                    .entry(r.to_string())
                    .or_default()
                    .extend(forms.iter().cloned());
            }
        }
        list
    }

    /// Whether `role` may run `query`: it is, as written or once normalised, in a global
    /// collection of the list or in one scoped to the role.
    pub fn check(&self, role: &str, query: &str) -> Verdict {
        let role_set = self.per_role.get(role);
        let holds = |q: &str| self.global.contains(q) || role_set.is_some_and(|s| s.contains(q));
        if holds(query) {
            return Verdict::Allowed;
        }
        match normalize(query) {
            Ok(n) if holds(&n) => Verdict::Allowed,
            Ok(_) => Verdict::Refused,
            Err(_) => Verdict::Unparsable,
        }
    }
}

/// An object of these sections the engine cannot honour: (object type, name, definition,
/// reason).
pub type Problem = (&'static str, String, Value, String);

/// Allow-list entries naming a collection that does not exist, and stored queries that do
/// not parse.
pub fn problems(md: &Metadata) -> Vec<Problem> {
    let stored = collections(md);
    let mut out = vec![];
    for c in &stored {
        let name = c.get("name").and_then(Value::as_str).unwrap_or_default();
        let queries = c
            .pointer("/definition/queries")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for q in queries {
            let qname = q.get("name").and_then(Value::as_str).unwrap_or_default();
            let parsed = q
                .get("query")
                .and_then(Value::as_str)
                .ok_or_else(|| "no query text".to_string())
                .and_then(normalize);
            if let Err(e) = parsed {
                out.push((
                    "query_collection",
                    name.to_string(),
                    c.clone(),
                    format!(
                        "query \"{qname}\" of the collection does not parse: {}",
                        e.trim()
                    ),
                ));
            }
        }
    }
    for e in allowlist(md) {
        let coll = e
            .get("collection")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !stored
            .iter()
            .any(|c| c.get("name").and_then(Value::as_str) == Some(coll))
        {
            out.push((
                "allowlist",
                coll.to_string(),
                e.clone(),
                format!("query collection with name \"{coll}\" does not exist"),
            ));
        }
    }
    out
}
