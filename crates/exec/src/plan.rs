//! Plan: each root field of the IR becomes what runs it (a statement from `rasura-translate`,
//! an action call, a remote call, a nested insert), with the remote joins to fill in after.

use std::sync::Arc;

use http::HeaderMap;
use rasura_schema::RoleSchema;

use crate::action;

/// What each root field needs to run.
pub enum RootPlan {
    Sql {
        sql: String,
        params: Vec<Option<String>>,
    },
    Typename(String),
    Introspection,
    /// `update_<t>_many`: statements run in order, answered as a JSON array.
    Many(Vec<(String, Vec<Option<String>>)>),
    /// An insert with related rows: run row by row.
    NestedInsert(Box<rasura_ir::Mutation>),
    /// A call of an action's handler.
    Action(Box<action::ActionPlan>),
    /// A read of an asynchronous action's stored call.
    ActionResult(Box<ActionResultPlan>),
    /// A root field of a remote schema, forwarded.
    Remote(Box<rasura_remote::forward::RemotePlan>),
    /// A database root field whose answer has remote relationships to fill in.
    Joined {
        inner: Box<RootPlan>,
        joins: Vec<rasura_remote::join::JoinPlan>,
        /// Relationships to tables of another database source, filled in first.
        sources: Vec<rasura_ir::SourceJoin>,
    },
    /// A root field of another database source (its number: `k + 1` for the resolved
    /// metadata's `sources[k]`).
    OnSource(usize, Box<RootPlan>),
}

impl RootPlan {
    /// The number of the database source the root field runs on (0: the first served).
    pub fn source(&self) -> usize {
        match self {
            RootPlan::OnSource(n, _) => *n,
            _ => 0,
        }
    }

    /// The plan without its source: what runs.
    pub fn on_any_source(&self) -> &RootPlan {
        match self {
            RootPlan::OnSource(_, inner) => inner,
            p => p,
        }
    }
}

/// The `query-log` line of a request about to run: each database root field's SQL and
/// parameters (`generated_sql` null when none has any).
pub fn log_query(req: &crate::request::GqlRequest, plan: &[(String, RootPlan)]) {
    let mut sql = serde_json::Map::new();
    let mut kind = "database";
    for (alias, p) in plan {
        let p = match p.on_any_source() {
            RootPlan::Joined { inner, .. } => inner.as_ref(),
            p => p,
        };
        match p {
            RootPlan::Sql { sql: text, params } => {
                sql.insert(
                    alias.clone(),
                    serde_json::json!({"query": text, "prepared_arguments": params}),
                );
            }
            RootPlan::Many(statements) => {
                for (i, (text, params)) in statements.iter().enumerate() {
                    sql.insert(
                        format!("{alias}.{i}"),
                        serde_json::json!({"query": text, "prepared_arguments": params}),
                    );
                }
            }
            RootPlan::Action(_) | RootPlan::ActionResult(_) => kind = "action",
            RootPlan::Remote(_) => kind = "remote-schema",
            RootPlan::Introspection => kind = "introspection",
            _ => {}
        }
    }
    let mut query = serde_json::json!({"query": req.query});
    if let Some(name) = &req.operation_name {
        query["operationName"] = name.clone().into();
    }
    if !req.variables.is_empty() {
        query["variables"] = serde_json::Value::Object(req.variables.clone());
    }
    let generated = if sql.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::Value::Object(sql)
    };
    rasura_log::graphql::query_log(query, generated, kind);
}

/// A read of a stored asynchronous call.
pub struct ActionResultPlan {
    pub id: Option<String>,
    pub action: String,
    pub selection: rasura_ir::ActionSelection,
    pub session: std::collections::BTreeMap<String, String>,
    pub admin: bool,
}

/// What action calls need from the request.
pub(crate) struct RequestContext<'a> {
    pub schema: &'a Arc<RoleSchema>,
    pub session: &'a rasura_ir::Session,
    pub query: &'a str,
    pub headers: &'a HeaderMap,
}

/// Translates every root field to its SQL statement.
pub(crate) fn plan(
    ir: &rasura_ir::Operation,
    stringify_numeric: bool,
    cx: &RequestContext<'_>,
) -> Vec<(String, RootPlan)> {
    let _span = tracing::info_span!("plan").entered();
    let options = rasura_translate::Options { stringify_numeric };
    ir.roots
        .iter()
        .map(|(key, root)| {
            let p = match root {
                rasura_ir::Root::Select(select) => {
                    let t = rasura_translate::translate_select(select, options);
                    RootPlan::Sql {
                        sql: rasura_sql::print(&t.select).sql,
                        params: t.params.0,
                    }
                }
                rasura_ir::Root::Connection(c) => {
                    let t = rasura_translate::translate_connection(c, options);
                    RootPlan::Sql {
                        sql: rasura_sql::print(&t.select).sql,
                        params: t.params.0,
                    }
                }
                rasura_ir::Root::Typename(t) => RootPlan::Typename(t.clone()),
                rasura_ir::Root::Introspection => RootPlan::Introspection,
                rasura_ir::Root::Mutation(m) => {
                    let nested = matches!(&m.kind, rasura_ir::MutationKind::Insert { rows, .. } if rows.iter().any(|r| r.is_nested()));
                    if nested {
                        RootPlan::NestedInsert(m.clone())
                    } else {
                        let t = rasura_translate::translate_mutation(m, options);
                        RootPlan::Sql { sql: t.sql(), params: t.params.0 }
                    }
                }
                rasura_ir::Root::Action(call) if cx.schema.actions[call.index].asynchronous => {
                    let headers: serde_json::Map<String, serde_json::Value> =
                        rasura_auth::http::header_pairs(cx.headers)
                            .into_iter()
                            .map(|(k, v)| (k, serde_json::Value::String(v)))
                            .collect();
                    RootPlan::Sql {
                        sql: action::INSERT_ASYNC_CALL.to_string(),
                        params: vec![
                            Some(cx.schema.actions[call.index].name.clone()),
                            Some(call.input.to_string()),
                            Some(serde_json::Value::Object(headers).to_string()),
                            Some(serde_json::to_string(&cx.session.vars).unwrap_or_default()),
                        ],
                    }
                }
                rasura_ir::Root::ActionResult(read) => RootPlan::ActionResult(Box::new(ActionResultPlan {
                    id: match &read.id {
                        serde_json::Value::String(s) => Some(s.clone()),
                        _ => None,
                    },
                    action: cx.schema.actions[read.index].name.clone(),
                    selection: read.selection.clone(),
                    session: cx.session.vars.clone(),
                    admin: cx.session.role == "admin",
                })),
                rasura_ir::Root::Action(call) => RootPlan::Action(Box::new(action::ActionPlan {
                    action: cx.schema.actions[call.index].clone(),
                    input: call.input.clone(),
                    selection: call.selection.clone(),
                    session: cx.session.vars.clone(),
                    request_query: Some(cx.query.to_string()),
                    client_headers: rasura_auth::http::header_pairs(cx.headers),
                    schema: cx.schema.clone(),
                })),
                rasura_ir::Root::Remote(call) => RootPlan::Remote(Box::new(rasura_remote::forward::RemotePlan {
                    remote: cx.schema.remotes[call.index].clone(),
                    call: (**call).clone(),
                    session: cx.session.vars.clone(),
                    client_headers: rasura_auth::http::header_pairs(cx.headers),
                })),
                rasura_ir::Root::UpdateMany(ms) => RootPlan::Many(
                    ms.iter()
                        .map(|m| {
                            let t = rasura_translate::translate_mutation(m, options);
                            (t.sql(), t.params.0)
                        })
                        .collect(),
                ),
            };
            let sources: Vec<rasura_ir::SourceJoin> =
                root.source_joins().into_iter().cloned().collect();
            let joins = root.remote_joins();
            let on = |p: RootPlan| match ir.sources.get(key) {
                Some(&n) => RootPlan::OnSource(n, Box::new(p)),
                None => p,
            };
            if joins.is_empty() && sources.is_empty() {
                return (key.clone(), on(p));
            }
            let client_headers = rasura_auth::http::header_pairs(cx.headers);
            let joins = joins
                .into_iter()
                .map(|j| rasura_remote::join::JoinPlan {
                    remote: cx.schema.remotes[j.remote].clone(),
                    join: j.clone(),
                    session: cx.session.vars.clone(),
                    client_headers: client_headers.clone(),
                })
                .collect();
            let joined = RootPlan::Joined {
                inner: Box::new(p),
                joins,
                sources,
            };
            (key.clone(), on(joined))
        })
        .collect()
}
