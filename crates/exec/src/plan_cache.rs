//! Compiled plans cached per (role, query, operation name): a repeated query only binds its
//! variables and runs the prepared statements; parsing, validation, IR building, translation
//! and printing are skipped.
//!
//! A plan is cached as a template whose parameters are either fixed text or a variable's value.
//! To find which parameters come from which variable, the plan is built a second time with
//! every string or number variable replaced by a marker; the template is kept only if the SQL
//! is identical and every marker stands alone as a whole parameter (a variable used for a
//! limit, an ordering, a JSON path or a list changes the SQL or hides inside a parameter, and
//! such a query is simply not cached). Variables of other kinds (booleans steering
//! `@skip`/`@include`, lists, objects, nulls) are baked into the plan, so their values are
//! part of the key.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::plan::RootPlan;

/// Bytes of plans kept per metadata version; one plan's largest size.
const PLAN_BUDGET: usize = 64 << 20;
const MAX_PLAN: usize = 4 << 20;
const MARK: char = '\u{1}';

/// The key of a cached plan.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PlanKey {
    /// The role and the session variables: permission rules bake session values into plans.
    session: String,
    query: String,
    operation: Option<String>,
    fixed: String,
}

impl PlanKey {
    /// Estimated bytes of the key.
    fn size(&self) -> usize {
        self.session.len()
            + self.query.len()
            + self.operation.as_ref().map_or(0, String::len)
            + self.fixed.len()
            + 128
    }

    pub fn new(
        session: &rasura_ir::Session,
        query: &str,
        operation: Option<&str>,
        vars: &Map<String, Value>,
    ) -> PlanKey {
        // Variables that are not strings or numbers are never slots: their values are baked
        // into the plan, so they belong to the key.
        let mut fixed = String::new();
        for (k, v) in vars {
            if !matches!(v, Value::String(_) | Value::Number(_)) {
                fixed.push_str(k);
                fixed.push('=');
                fixed.push_str(&v.to_string());
                fixed.push('\u{0}');
            }
        }
        let mut who = session.role.clone();
        for (k, v) in &session.vars {
            who.push('\u{0}');
            who.push_str(k);
            who.push('=');
            who.push_str(v);
        }
        PlanKey {
            session: who,
            query: query.to_string(),
            operation: operation.map(str::to_string),
            fixed,
        }
    }

    /// The key of the same request against the Relay schema (whose plans differ: `id` is the
    /// global id there).
    pub fn relay(mut self) -> PlanKey {
        self.session.push_str("\u{0}relay");
        self
    }
}

/// A parameter of a template.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Fixed(Option<String>),
    Var(String),
}

#[derive(Debug, Clone)]
pub enum RootTemplate {
    Sql { sql: String, params: Vec<Param> },
    Typename(String),
    Introspection,
}

/// A cached plan, or the knowledge that this query's plan cannot be cached.
#[derive(Debug, Clone)]
pub enum Cached {
    Template(Arc<Vec<(String, RootTemplate)>>),
    NotCacheable,
}

impl Cached {
    /// The plan for these variables; `None` when a variable's value cannot fill a slot.
    pub fn instantiate(&self, vars: &Map<String, Value>) -> Option<Vec<(String, RootPlan)>> {
        let Cached::Template(roots) = self else {
            return None;
        };
        roots
            .iter()
            .map(|(key, root)| {
                let plan = match root {
                    RootTemplate::Typename(t) => RootPlan::Typename(t.clone()),
                    RootTemplate::Introspection => RootPlan::Introspection,
                    RootTemplate::Sql { sql, params } => RootPlan::Sql {
                        sql: sql.clone(),
                        params: params
                            .iter()
                            .map(|p| match p {
                                Param::Fixed(t) => Some(t.clone()),
                                Param::Var(name) => match vars.get(name)? {
                                    Value::String(s) => Some(Some(s.clone())),
                                    Value::Number(n) => Some(Some(n.to_string())),
                                    _ => None,
                                },
                            })
                            .collect::<Option<Vec<_>>>()?,
                    },
                };
                Some((key.clone(), plan))
            })
            .collect()
    }
}

/// The variables with every string and number replaced by its marker.
pub fn marked_variables(vars: &Map<String, Value>) -> Map<String, Value> {
    vars.iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(_) | Value::Number(_) => Value::String(format!("{MARK}{k}{MARK}")),
                other => other.clone(),
            };
            (k.clone(), v)
        })
        .collect()
}

/// The value a stream's cursor is replaced by to find its parameter.
pub const CURSOR_MARK: &str = "\u{1}cursor\u{1}";

/// The index of the one parameter holding [`CURSOR_MARK`] in the one root field's statement
/// built with the marker, when everything else (SQL, other parameters) is as in `real`.
pub fn marked_param(real: &[(String, RootPlan)], marked: &[(String, RootPlan)]) -> Option<usize> {
    let ([(_, r)], [(_, m)]) = (real, marked) else {
        return None;
    };
    let (
        RootPlan::Sql {
            sql: s1,
            params: p1,
        },
        RootPlan::Sql {
            sql: s2,
            params: p2,
        },
    ) = (r.on_any_source(), m.on_any_source())
    else {
        return None;
    };
    if s1 != s2 || p1.len() != p2.len() {
        return None;
    }
    let mut found = None;
    for (i, (a, b)) in p1.iter().zip(p2).enumerate() {
        if b.as_deref() == Some(CURSOR_MARK) && found.is_none() {
            found = Some(i);
        } else if a != b {
            return None;
        }
    }
    found
}

/// Compares the plan built from real values with the one built from markers.
pub fn template(real: &[(String, RootPlan)], marked: &[(String, RootPlan)]) -> Cached {
    if real.len() != marked.len() {
        return Cached::NotCacheable;
    }
    let mut roots = vec![];
    for ((key, r), (_, m)) in real.iter().zip(marked) {
        let root = match (r, m) {
            (RootPlan::Typename(t), RootPlan::Typename(_)) => RootTemplate::Typename(t.clone()),
            (RootPlan::Introspection, RootPlan::Introspection) => RootTemplate::Introspection,
            (
                RootPlan::Sql {
                    sql: s1,
                    params: p1,
                },
                RootPlan::Sql {
                    sql: s2,
                    params: p2,
                },
            ) if s1 == s2 && p1.len() == p2.len() => {
                let mut params = vec![];
                for (real, marked) in p1.iter().zip(p2) {
                    let text = marked.as_deref().unwrap_or_default();
                    if !text.contains(MARK) {
                        if real != marked {
                            return Cached::NotCacheable;
                        }
                        params.push(Param::Fixed(real.clone()));
                        continue;
                    }
                    let name = text.strip_prefix(MARK).and_then(|t| t.strip_suffix(MARK));
                    match name {
                        Some(n) if !n.contains(MARK) => params.push(Param::Var(n.to_string())),
                        _ => return Cached::NotCacheable,
                    }
                }
                RootTemplate::Sql {
                    sql: s1.clone(),
                    params,
                }
            }
            _ => return Cached::NotCacheable,
        };
        roots.push((key.clone(), root));
    }
    Cached::Template(Arc::new(roots))
}

impl Cached {
    /// Estimated bytes of the template.
    fn size(&self) -> usize {
        let Cached::Template(roots) = self else {
            return 16;
        };
        roots
            .iter()
            .map(|(key, root)| {
                key.len()
                    + 64
                    + match root {
                        RootTemplate::Sql { sql, params } => {
                            sql.len()
                                + params
                                    .iter()
                                    .map(|p| match p {
                                        Param::Fixed(t) => 32 + t.as_ref().map_or(0, String::len),
                                        Param::Var(n) => 32 + n.len(),
                                    })
                                    .sum::<usize>()
                        }
                        RootTemplate::Typename(t) => t.len(),
                        RootTemplate::Introspection => 0,
                    }
            })
            .sum()
    }
}

/// The cache; part of the engine state, so a metadata change starts a fresh one. Bounded in
/// bytes; plans of query texts over [`rasura_memory::cache::MAX_CACHED_QUERY`] are not kept.
#[derive(Debug)]
pub struct PlanCache {
    entries: rasura_memory::cache::BoundedCache<PlanKey, Cached>,
}

impl Default for PlanCache {
    fn default() -> PlanCache {
        PlanCache {
            entries: rasura_memory::cache::BoundedCache::new(PLAN_BUDGET, MAX_PLAN),
        }
    }
}

impl PlanCache {
    pub fn get(&self, key: &PlanKey) -> Option<Cached> {
        self.entries.get(key)
    }

    pub fn insert(&self, key: PlanKey, plan: Cached) {
        if key.query.len() > rasura_memory::cache::MAX_CACHED_QUERY {
            return;
        }
        let size = key.size() + plan.size();
        self.entries.insert(key, plan, size);
    }
}
