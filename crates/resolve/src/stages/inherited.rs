//! Inherited roles (`inherited_roles`): a role made of others gets, for every entity it has no
//! permission of its own on, what its parents allow, as Hasura combines them. Select: rows any
//! parent sees (filters OR-ed), the union of columns, a column that only some parents allow
//! nulled on rows those parents do not see (`ResolvedTable::redactions`), the largest limit,
//! aggregations if any parent allows them. Insert, update, delete and remote schemas: the
//! parents' permission when they agree, else the pair is inconsistent until the role gets
//! its own. Functions and actions: allowed if any parent is. Parents come first (inherited
//! roles of inherited roles); a cycle is refused.

use std::collections::{HashMap, HashSet};

use rasura_metadata::{Columns, Metadata, SelectPermission};
use serde_json::{json, Value};

use crate::inconsistency::{Inconsistency, ObjectRef};
use crate::types::{ResolvedAction, ResolvedFunction, ResolvedRemoteSchema, ResolvedTable};

/// One `inherited_roles` entry.
#[derive(Debug, Clone)]
pub(super) struct InheritedRole {
    pub name: String,
    pub parents: Vec<String>,
}

fn role_problem(name: &str, definition: &Value, reason: String) -> Inconsistency {
    Inconsistency::new(
        "inherited_role",
        name.to_string(),
        definition.clone(),
        reason,
        ObjectRef::InheritedRole(name.to_string()),
    )
}

/// A cycle among `left` (roles whose parents never all resolved), from the first role through
/// parents left too, back to where it closes: `["a", "b", "a"]`.
fn cycle_path(left: &[InheritedRole]) -> Vec<String> {
    let mut path: Vec<String> = vec![];
    let mut at = left.first().map(|r| r.name.clone());
    while let Some(name) = at {
        if let Some(start) = path.iter().position(|p| *p == name) {
            let mut cycle = path.split_off(start);
            cycle.push(name);
            return cycle;
        }
        path.push(name.clone());
        let role = left.iter().find(|r| r.name == name);
        at = role.and_then(|r| {
            r.parents
                .iter()
                .find(|p| left.iter().any(|l| &l.name == *p))
                .cloned()
        });
    }
    path
}

/// The entries of `md`, parents before children; bad entries and cycles reported.
pub(super) fn ordered_roles(md: &Metadata, report: &mut Vec<Inconsistency>) -> Vec<InheritedRole> {
    let mut roles: Vec<InheritedRole> = vec![];
    let entries = md
        .extra
        .get("inherited_roles")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for e in entries {
        let name = e
            .get("role_name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let parents: Vec<String> = e
            .get("role_set")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let problem = if name.is_empty() {
            Some("an inherited role needs a role_name".to_string())
        } else if name == "admin" {
            Some("the admin role cannot be an inherited role".to_string())
        } else if parents.is_empty() {
            Some(format!(
                "the inherited role \"{name}\" has an empty role_set"
            ))
        } else if roles.iter().any(|r| r.name == name) {
            Some(format!(
                "the inherited role \"{name}\" is defined more than once"
            ))
        } else {
            None
        };
        match problem {
            Some(reason) => report.push(role_problem(name, &e, reason)),
            None => roles.push(InheritedRole {
                name: name.to_string(),
                parents,
            }),
        }
    }
    let inherited: HashSet<String> = roles.iter().map(|r| r.name.clone()).collect();
    let mut done: HashSet<String> = HashSet::new();
    let mut ordered = vec![];
    let mut left = roles;
    loop {
        let (ready, waiting): (Vec<InheritedRole>, Vec<InheritedRole>) =
            left.into_iter().partition(|r| {
                r.parents
                    .iter()
                    .all(|p| !inherited.contains(p) || done.contains(p))
            });
        left = waiting;
        if ready.is_empty() {
            break;
        }
        for r in ready {
            done.insert(r.name.clone());
            ordered.push(r);
        }
    }
    if !left.is_empty() {
        // The cycle as Hasura names it: a path from a role back to itself.
        let path = cycle_path(&left);
        for r in &left {
            let mut i = role_problem(
                &r.name,
                &json!({"role_name": r.name, "role_set": r.parents}),
                format!("found cycle(s) in roles: {}", json!(path)),
            );
            i.code = Some("cyclic-dependency");
            report.push(i);
        }
    }
    ordered
}

/// Gives every inherited role, in order, what its parents allow where it has nothing of its own.
pub(super) fn resolve_inherited(
    roles: &[InheritedRole],
    tables: &mut [ResolvedTable],
    functions: &mut [ResolvedFunction],
    actions: &mut [ResolvedAction],
    remote_schemas: &mut [ResolvedRemoteSchema],
    report: &mut Vec<Inconsistency>,
) {
    for role in roles {
        for t in tables.iter_mut() {
            inherit_table(role, t, report);
        }
        for f in functions.iter_mut() {
            if role.parents.iter().any(|p| f.permissions.contains(p))
                && !f.permissions.contains(&role.name)
            {
                f.permissions.push(role.name.clone());
            }
        }
        for a in actions.iter_mut() {
            if role.parents.iter().any(|p| a.roles.contains(p)) && !a.roles.contains(&role.name) {
                a.roles.push(role.name.clone());
            }
        }
        for r in remote_schemas.iter_mut() {
            if r.permissions.contains_key(&role.name) {
                continue;
            }
            let given: Vec<&String> = role
                .parents
                .iter()
                .filter_map(|p| r.permissions.get(p))
                .collect();
            match agreed(&given, |a, b| a.trim() == b.trim()) {
                Agreed::None => {}
                Agreed::One(sdl) => {
                    let sdl = sdl.clone();
                    r.permissions.insert(role.name.clone(), sdl);
                }
                Agreed::Conflict => report.push(conflict(
                    &role.name,
                    json!({"permission_type": "remote_schema", "remote_schema": r.name}),
                    format!("remote schema permission, remote schema: {}", r.name),
                )),
            }
        }
    }
}

enum Agreed<'a, T> {
    None,
    One(&'a T),
    Conflict,
}

/// The parents' common permission: none, the one they all have, or a conflict.
fn agreed<'a, T>(given: &[&'a T], same: impl Fn(&T, &T) -> bool) -> Agreed<'a, T> {
    match given.split_first() {
        None => Agreed::None,
        Some((first, rest)) if rest.iter().all(|o| same(first, o)) => Agreed::One(first),
        Some(_) => Agreed::Conflict,
    }
}

/// Hasura's report of parents that disagree on a permission.
fn conflict(role: &str, entity: Value, what: String) -> Inconsistency {
    let mut i = Inconsistency::new(
        "inherited role permission inconsistency",
        role.to_string(),
        Value::Null,
        "",
        ObjectRef::Unknown,
    );
    // Hasura's own wording, without the usual prefix, and the entity in place of a definition.
    i.reason =
        format!("Could not inherit permission for the role '{role}' for the entity: '{what}'");
    i.entity = Some(entity);
    i
}

/// A column list in a comparable form.
fn sorted_columns(c: &Columns) -> Columns {
    match c {
        Columns::List(l) => {
            let mut l = l.clone();
            l.sort();
            l.dedup();
            Columns::List(l)
        }
        other => other.clone(),
    }
}

fn inherit_table(role: &InheritedRole, t: &mut ResolvedTable, report: &mut Vec<Inconsistency>) {
    let name = role.name.clone();
    if !t.select_permissions.contains_key(&name) {
        if let Some((perm, redactions)) = combine_select(role, t) {
            t.select_permissions.insert(name.clone(), perm);
            if !redactions.is_empty() {
                t.redactions.insert(name.clone(), redactions);
            }
        }
    }
    let entity = |kind: &str| {
        (
            json!({"permission_type": kind, "source": "default", "table": t.name.name}),
            format!(
                "{kind} permission, table: {}, source: 'default'",
                t.name.name
            ),
        )
    };
    macro_rules! mutation {
        ($map:ident, $kind:literal, $norm:expr) => {
            if !t.$map.contains_key(&name) {
                let given: Vec<_> = role.parents.iter().filter_map(|p| t.$map.get(p)).collect();
                match agreed(&given, |a, b| $norm(a) == $norm(b)) {
                    Agreed::None => {}
                    Agreed::One(p) => {
                        let p = p.clone();
                        t.$map.insert(name.clone(), p);
                    }
                    Agreed::Conflict => {
                        let (e, what) = entity($kind);
                        report.push(conflict(&name, e, what));
                    }
                }
            }
        };
    }
    mutation!(
        insert_permissions,
        "insert",
        |p: &rasura_metadata::InsertPermission| {
            let mut p = p.clone();
            p.columns = sorted_columns(&p.columns);
            p
        }
    );
    mutation!(
        update_permissions,
        "update",
        |p: &rasura_metadata::UpdatePermission| {
            let mut p = p.clone();
            p.columns = sorted_columns(&p.columns);
            p
        }
    );
    mutation!(
        delete_permissions,
        "delete",
        |p: &rasura_metadata::DeletePermission| p.clone()
    );
}

/// The select permission made of the parents' ones, and the columns to null on rows of
/// parents that do not allow them (column → the condition under which the value shows).
fn combine_select(
    role: &InheritedRole,
    t: &ResolvedTable,
) -> Option<(SelectPermission, HashMap<String, Value>)> {
    let parents: Vec<(&String, &SelectPermission)> = role
        .parents
        .iter()
        .filter_map(|p| t.select_permissions.get(p).map(|s| (p, s)))
        .collect();
    match parents.as_slice() {
        [] => return None,
        [(p, s)] => {
            let carried = t.redactions.get(*p).cloned().unwrap_or_default();
            return Some(((*s).clone(), carried));
        }
        _ => {}
    }
    let columns: Vec<String> = t
        .info
        .columns
        .iter()
        .map(|c| c.name.clone())
        .filter(|c| parents.iter().any(|(_, s)| s.columns.allows(c)))
        .collect();
    let mut redactions = HashMap::new();
    for c in &columns {
        let granting: Vec<&(&String, &SelectPermission)> = parents
            .iter()
            .filter(|(_, s)| s.columns.allows(c))
            .collect();
        let own = |p: &String, s: &SelectPermission| {
            t.redactions
                .get(p)
                .and_then(|r| r.get(c))
                .cloned()
                .unwrap_or_else(|| s.filter.clone())
        };
        let carried = granting
            .iter()
            .any(|(p, _)| t.redactions.get(*p).is_some_and(|r| r.contains_key(c)));
        if granting.len() < parents.len() || carried {
            let conds: Vec<Value> = granting.iter().map(|(p, s)| own(p, s)).collect();
            redactions.insert(c.clone(), json!({ "_or": conds }));
        }
    }
    // Scalar computed fields likewise: shown where a parent allowing them sees the row.
    let computed_names: Vec<&String> = {
        let mut names: Vec<&String> = vec![];
        for (_, s) in &parents {
            for c in &s.computed_fields {
                if !names.contains(&c) {
                    names.push(c);
                }
            }
        }
        names
    };
    for c in computed_names {
        let granting: Vec<&(&String, &SelectPermission)> = parents
            .iter()
            .filter(|(_, s)| s.computed_fields.contains(c))
            .collect();
        let carried = granting
            .iter()
            .any(|(p, _)| t.redactions.get(*p).is_some_and(|r| r.contains_key(c)));
        if granting.len() < parents.len() || carried {
            let conds: Vec<Value> = granting
                .iter()
                .map(|(p, s)| {
                    t.redactions
                        .get(*p)
                        .and_then(|r| r.get(c))
                        .cloned()
                        .unwrap_or_else(|| s.filter.clone())
                })
                .collect();
            redactions.insert(c.clone(), json!({ "_or": conds }));
        }
    }
    let all_columns = parents.iter().all(|(_, s)| s.columns == Columns::All);
    let mut computed: Vec<String> = vec![];
    for (_, s) in &parents {
        for c in &s.computed_fields {
            if !computed.contains(c) {
                computed.push(c.clone());
            }
        }
    }
    let union_roots = |get: fn(&SelectPermission) -> &Option<Vec<String>>| {
        let mut out: Vec<String> = vec![];
        for (_, s) in &parents {
            match get(s) {
                None => return None,
                Some(l) => {
                    for x in l {
                        if !out.contains(x) {
                            out.push(x.clone());
                        }
                    }
                }
            }
        }
        Some(out)
    };
    let perm = SelectPermission {
        columns: if all_columns {
            Columns::All
        } else {
            Columns::List(columns)
        },
        computed_fields: computed,
        filter: json!({ "_or": parents.iter().map(|(_, s)| s.filter.clone()).collect::<Vec<_>>() }),
        limit: parents.iter().filter_map(|(_, s)| s.limit).max(),
        allow_aggregations: parents.iter().any(|(_, s)| s.allow_aggregations),
        query_root_fields: union_roots(|s| &s.query_root_fields),
        subscription_root_fields: union_roots(|s| &s.subscription_root_fields),
    };
    Some((perm, redactions))
}
