//! `POST /v1/graphql`: the request path, each step a named function with its own tracing span:
//! parse → validate → build IR → plan (translate) → execute → assemble.

pub mod action;
pub mod cache;
mod error;
mod error_path;
pub(crate) mod execute;
pub mod limits;
mod mutate;
pub mod plan_cache;
pub(crate) mod request;

use std::sync::Arc;

use apollo_compiler::executable::{Operation, OperationType};
use apollo_compiler::validation::Valid;
use apollo_compiler::ExecutableDocument;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rasura_schema::RoleSchema;
use serde_json::{Map, Value};
use tracing::Instrument;

pub use error::GqlError;
pub(crate) use request::GqlRequest;
use request::RequestBody;

use crate::state::AppState;

/// Which GraphQL endpoint: `/v1alpha1` answers errors with HTTP status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    V1,
    V1Alpha1,
}

pub async fn v1(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    handle(&state, &headers, &body, Endpoint::V1).await
}

pub async fn v1alpha1(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    handle(&state, &headers, &body, Endpoint::V1Alpha1).await
}

async fn handle(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
    endpoint: Endpoint,
) -> Response {
    let body = match request::parse_body(body) {
        Ok(b) => b,
        Err(e) => return error_response(&e, endpoint),
    };
    let mut cookies = vec![];
    let mut response = match body {
        RequestBody::Single(req) => match run(state, headers, req, &mut cookies).await {
            Ok(bytes) => json_bytes(StatusCode::OK, bytes),
            Err(e) => error_response(&e, endpoint),
        },
        RequestBody::Batch(reqs) if reqs.len() > state.config.limits.max_batch => error_response(
            &GqlError::validation(
                "$",
                format!(
                    "the batch has {} operations, over the limit of {}",
                    reqs.len(),
                    state.config.limits.max_batch
                ),
            ),
            endpoint,
        ),
        RequestBody::Batch(reqs) => {
            let mut reqs = std::collections::VecDeque::from(reqs);
            // The first answer is made before the response starts: it settles the cookies an
            // auth webhook asks to set (it answers the same for every request of the batch).
            let first = match reqs.pop_front() {
                Some(req) => Some(answer(run(state, headers, req, &mut cookies).await)),
                None => None,
            };
            batch_response(state.clone(), headers.clone(), first, reqs)
        }
    };
    // Cookies the auth webhook asked to set reach the client.
    for c in cookies {
        if let Ok(v) = axum::http::HeaderValue::from_str(&c) {
            response
                .headers_mut()
                .append(axum::http::header::SET_COOKIE, v);
        }
    }
    response
}

/// One request's answer in a batch: its body, or its error's.
fn answer(ran: Result<Vec<u8>, GqlError>) -> Vec<u8> {
    ran.unwrap_or_else(|e| e.body().to_string().into_bytes())
}

/// A batch's answer, streamed: each request runs when the client has taken the answers before
/// it, so a batch of large answers (introspection) is never held whole in memory.
fn batch_response(
    state: AppState,
    headers: HeaderMap,
    first: Option<Vec<u8>>,
    rest: std::collections::VecDeque<GqlRequest>,
) -> Response {
    use futures_util::stream::{self, StreamExt};
    type Chunk = Result<Bytes, std::convert::Infallible>;
    let head = stream::once(async move {
        let mut b = Vec::with_capacity(first.as_ref().map_or(1, |f| f.len() + 1));
        b.push(b'[');
        b.extend(first.unwrap_or_default());
        Chunk::Ok(Bytes::from(b))
    });
    let tail = stream::unfold(
        (state, headers, rest),
        |(state, headers, mut rest)| async move {
            let req = rest.pop_front()?;
            let mut out = vec![b','];
            out.extend(answer(run(&state, &headers, req, &mut vec![]).await));
            Some((Chunk::Ok(Bytes::from(out)), (state, headers, rest)))
        },
    );
    let end = stream::once(async { Chunk::Ok(Bytes::from_static(b"]")) });
    (
        StatusCode::OK,
        [(
            axum::http::header::CONTENT_TYPE,
            "application/json; charset=utf-8",
        )],
        axum::body::Body::from_stream(head.chain(tail).chain(end)),
    )
        .into_response()
}

fn json_bytes(status: StatusCode, bytes: Vec<u8>) -> Response {
    (
        status,
        [(
            axum::http::header::CONTENT_TYPE,
            "application/json; charset=utf-8",
        )],
        bytes,
    )
        .into_response()
}

fn error_response(e: &GqlError, endpoint: Endpoint) -> Response {
    match endpoint {
        Endpoint::V1 => json_bytes(StatusCode::OK, e.body().to_string().into_bytes()),
        Endpoint::V1Alpha1 => json_bytes(e.status(), e.legacy_body().to_string().into_bytes()),
    }
}

/// One GraphQL request through the whole pipeline; returns the response body.
async fn run(
    state: &AppState,
    headers: &HeaderMap,
    req: GqlRequest,
    set_cookies: &mut Vec<String>,
) -> Result<Vec<u8>, GqlError> {
    // Only an auth webhook in POST mode is sent the request; nothing to copy otherwise.
    let request = if state.config.auth_hook.as_ref().is_some_and(|h| h.post) {
        serde_json::json!({"query": req.query, "variables": req.variables, "operationName": req.operation_name})
    } else {
        Value::Null
    };
    let session = crate::auth::authenticate(&state.config, headers, &request, set_cookies)
        .await
        .map_err(|e| GqlError::new(e.code, "$", e.message))?;
    run_as(state, headers, &session, req, Channel::Http)
        .await
        .map(|ran| ran.body)
}

/// One GraphQL request of an authenticated session (HTTP, or a WebSocket whose session was
/// settled at `connection_init`; only those may subscribe); returns the response body and the
/// operation's type.
pub(crate) async fn run_as(
    state: &AppState,
    headers: &HeaderMap,
    session: &rasura_ir::Session,
    req: GqlRequest,
    channel: Channel,
) -> Result<Ran, GqlError> {
    let shows_internal = state.config.shows_internal(&session.role);
    let ran = match state.config.query_timeout {
        // Dropping the pipeline cancels a statement running on a connection of its own.
        Some(limit) => tokio::time::timeout(limit, pipeline(state, headers, session, req, channel))
            .await
            .unwrap_or_else(|_| Err(GqlError::timeout(limit))),
        None => pipeline(state, headers, session, req, channel).await,
    };
    ran.map_err(|e| e.shown(shows_internal))
}

/// parse → validate → build IR → plan → execute, for one request of a session.
async fn pipeline(
    state: &AppState,
    headers: &HeaderMap,
    session: &rasura_ir::Session,
    req: GqlRequest,
    channel: Channel,
) -> Result<Ran, GqlError> {
    let websocket = !matches!(channel, Channel::Http);
    let role = session.role.clone();
    let engine = state.engine();
    let schema = engine.schema_for(&role, session.backend_only);
    // Documents are validated against a schema: backend-only sessions have their own.
    let role = if session.backend_only {
        format!("{role}\u{0}backend")
    } else {
        role
    };
    limits::check_size(&req.query, &state.config.limits)?;
    let doc = match engine.documents.get(&role, &req.query) {
        Some(doc) => doc,
        None => {
            let doc =
                Arc::new(parse_and_validate(&schema, &req.query, &state.config.limits).await?);
            engine.documents.insert(&role, &req.query, doc.clone());
            doc
        }
    };
    let op = select_operation(&doc, req.operation_name.as_deref(), websocket)?;
    let mut vars = coerce_variables(&schema, op, &req.variables)?;
    // Subscriptions plan afresh (their statements are shared by the multiplexer instead), and a
    // stream's advanced cursor comes in through a reserved variable.
    let subscription = op.operation_type == OperationType::Subscription;
    if let Channel::WebSocket {
        stream_cursor: Some(c),
    } = &channel
    {
        vars.insert(rasura_ir::stream::STREAM_CURSOR_VAR.to_string(), c.clone());
    }
    let key = plan_cache::PlanKey::new(session, &req.query, req.operation_name.as_deref(), &vars);
    let cached = if subscription {
        None
    } else {
        engine.plans.get(&key)
    };
    let mut stream = None;
    let plan = match cached.as_ref().and_then(|c| c.instantiate(&vars)) {
        Some(plan) => plan,
        None => {
            let template_wanted = cached.is_none() && !subscription;
            let compiled = if req.query.len() <= PARSE_INLINE_BYTES {
                compile(
                    state,
                    &schema,
                    &doc,
                    op,
                    &vars,
                    session,
                    &req.query,
                    headers,
                    template_wanted,
                )?
            } else {
                // A large document's IR and plan are built off the serving thread too.
                let (st, sc, d, v, se, q, h) = (
                    state.clone(),
                    schema.clone(),
                    doc.clone(),
                    vars.clone(),
                    session.clone(),
                    req.query.clone(),
                    headers.clone(),
                );
                let name = op.name.as_ref().map(|n| n.to_string());
                crate::memory::off_the_serving_threads(move || {
                    let op = d
                        .operations
                        .get(name.as_deref())
                        .map_err(|_| GqlError::validation("$", "no such operation"))?;
                    compile(&st, &sc, &d, op, &v, &se, &q, &h, template_wanted)
                })
                .await
                .map_err(|e| GqlError::new("unexpected", "$", format!("planning failed: {e}")))??
            };
            stream = compiled.stream;
            if let Some(template) = compiled.template {
                engine.plans.insert(key, template);
            }
            compiled.plan
        }
    };
    if plan
        .iter()
        .any(|(_, p)| matches!(p, RootPlan::Introspection))
        && engine.metadata.introspection_disabled_for(&session.role)
    {
        return Err(GqlError::new(
            "not-supported",
            "$",
            format!("introspection is disabled for role: \"{}\"", session.role),
        ));
    }
    let mut live = None;
    if subscription {
        if plan.iter().any(|(_, p)| matches!(p, RootPlan::Remote(_))) {
            return Err(GqlError::validation(
                "$",
                "subscription to remote server is not supported",
            ));
        }
        // One statement answering the one root field: subscribers with the same statement
        // share a poller (`subscriptions::multiplex`).
        if let ([(key, RootPlan::Sql { sql, params })], None) = (plan.as_slice(), &stream) {
            live = Some(LiveShape {
                key: key.clone(),
                sql: sql.clone(),
                params: params.clone(),
            });
        }
    }
    let request = execute::Request {
        doc: &doc,
        op,
        query: &req.query,
        schema_key: &role,
    };
    execute::execute(state, &schema, request, &vars, plan, session)
        .instrument(tracing::info_span!("execute"))
        .await
        .map(|bytes| Ran {
            body: bytes,
            kind: op.operation_type,
            live,
            stream,
        })
}

/// A freshly built plan, the streaming root if any, and the plan's cache template.
struct Compiled {
    plan: Vec<(String, RootPlan)>,
    stream: Option<String>,
    template: Option<plan_cache::Cached>,
}

/// build IR → plan, for a request whose plan was not cached; with `template_wanted`, the plan
/// is built a second time with marked variables to make its cache template.
#[allow(clippy::too_many_arguments)] // the request's parts, each needed
fn compile(
    state: &AppState,
    schema: &Arc<RoleSchema>,
    doc: &ExecutableDocument,
    op: &Operation,
    vars: &Map<String, Value>,
    session: &rasura_ir::Session,
    query: &str,
    headers: &HeaderMap,
    template_wanted: bool,
) -> Result<Compiled, GqlError> {
    limits::check_shape(doc, &op.selection_set, &state.config.limits)?;
    let ir = build_ir(schema, doc, op, vars, session)?;
    let stream = ir.stream_root().map(str::to_string);
    let rcx = RequestContext {
        schema,
        session,
        query,
        headers,
    };
    let plan = plan(&ir, state.config.stringify_numeric, &rcx);
    let template = template_wanted.then(|| {
        let marked = plan_cache::marked_variables(vars);
        match rasura_ir::build_ir(schema, doc, op, &marked, session) {
            Ok(ir) => plan_cache::template(
                &plan,
                &self::plan(&ir, state.config.stringify_numeric, &rcx),
            ),
            Err(_) => plan_cache::Cached::NotCacheable,
        }
    });
    Ok(Compiled {
        plan,
        stream,
        template,
    })
}

/// A subscription's statement, for multiplexing: the root field's response key, the SQL and
/// this subscriber's parameters.
#[derive(Debug, Clone)]
pub struct LiveShape {
    pub key: String,
    pub sql: String,
    pub params: Vec<Option<String>>,
}

/// What running one request gave.
pub(crate) struct Ran {
    pub body: Vec<u8>,
    pub kind: OperationType,
    pub live: Option<LiveShape>,
    /// The response key of a streaming root field (rows carry their cursor values).
    pub stream: Option<String>,
}

/// Where a request came from.
pub(crate) enum Channel {
    Http,
    /// A WebSocket: subscriptions allowed; a stream's cursor carried over from its last batch.
    WebSocket {
        stream_cursor: Option<Value>,
    },
}

/// Query texts up to this size are parsed and planned on the serving thread; larger ones on the
/// heavy-work thread (`memory::off_the_serving_threads`), so that one expensive document never
/// stalls the other requests of its event loop.
const PARSE_INLINE_BYTES: usize = 16 << 10;

/// Parses and validates the query against the role's schema, within the parser's recursion
/// and token limits (a hostile document is refused as soon as it passes them).
async fn parse_and_validate(
    schema: &Arc<RoleSchema>,
    query: &str,
    limits: &limits::QueryLimits,
) -> Result<Valid<ExecutableDocument>, GqlError> {
    limits::check_nesting(query, limits)?;
    if query.len() <= PARSE_INLINE_BYTES {
        return parse_and_validate_now(schema, query, limits);
    }
    let (schema, text, limits) = (schema.clone(), query.to_string(), *limits);
    crate::memory::off_the_serving_threads(move || parse_and_validate_now(&schema, &text, &limits))
        .await
        .map_err(|e| GqlError::new("unexpected", "$", format!("parsing failed: {e}")))?
}

fn parse_and_validate_now(
    schema: &RoleSchema,
    query: &str,
    limits: &limits::QueryLimits,
) -> Result<Valid<ExecutableDocument>, GqlError> {
    let _span = tracing::info_span!("parse_validate").entered();
    let doc = apollo_compiler::parser::Parser::new()
        .recursion_limit(limits.parser_recursion())
        .token_limit(limits.max_tokens)
        .parse_executable(&schema.schema, query, "query.graphql")
        .map_err(|e| error::from_diagnostics(query, &e.errors))?;
    match doc.validate(&schema.schema) {
        Ok(doc) => Ok(doc),
        Err(e) if tolerated(&e.partial, &e.errors) => Ok(Valid::assume_valid(e.partial)),
        Err(e) => Err(error::from_diagnostics(query, &e.errors)),
    }
}

/// Validation errors Hasura does not raise: variables declared but not used, and `offset`
/// given as a string of digits.
fn tolerated(
    doc: &ExecutableDocument,
    errors: &apollo_compiler::validation::DiagnosticList,
) -> bool {
    let mut string_offsets = limits::string_offsets(doc);
    errors.iter().all(|d| {
        if d.error.unstable_error_name() == Some("UnusedVariable") {
            return true;
        }
        if string_offsets > 0 && d.error.to_string() == "expected value of type Int, found a string"
        {
            string_offsets -= 1;
            return true;
        }
        false
    })
}

/// Picks the operation to run.
pub fn select_operation<'a>(
    doc: &'a ExecutableDocument,
    name: Option<&str>,
    websocket: bool,
) -> Result<&'a Operation, GqlError> {
    let op = match name {
        Some(n) => doc
            .operations
            .get(Some(n))
            .map_err(|_| GqlError::validation("$", format!("no such operation found in the document: {n:?}")))?,
        None => doc.operations.get(None).map_err(|_| {
            GqlError::validation(
                "$",
                "exactly one operation has to be present in the document when operationName is not specified",
            )
        })?,
    };
    match op.operation_type {
        OperationType::Query | OperationType::Mutation => Ok(op),
        OperationType::Subscription if websocket => Ok(op),
        OperationType::Subscription => Err(GqlError::new(
            "unexpected-payload",
            "$",
            "subscriptions are not supported over HTTP, use websockets instead",
        )),
    }
}

/// Applies defaults and checks the variables against their declared types.
pub fn coerce_variables(
    schema: &RoleSchema,
    op: &Operation,
    vars: &Map<String, Value>,
) -> Result<Map<String, Value>, GqlError> {
    let given: apollo_compiler::response::JsonMap =
        serde_json::from_value(Value::Object(vars.clone()))
            .map_err(|e| GqlError::validation("$", e.to_string()))?;
    let coerced = apollo_compiler::request::coerce_variable_values(&schema.schema, op, &given)
        .map_err(|e| {
            GqlError::validation("$", error::request_error_message(&e.message().to_string()))
        })?;
    match serde_json::to_value(coerced.into_inner()) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Ok(Map::new()),
    }
}

/// Builds the IR of the operation.
fn build_ir(
    schema: &RoleSchema,
    doc: &ExecutableDocument,
    op: &Operation,
    vars: &Map<String, Value>,
    session: &rasura_ir::Session,
) -> Result<rasura_ir::Operation, GqlError> {
    let _span = tracing::info_span!("build_ir").entered();
    rasura_ir::build_ir(schema, doc, op, vars, session)
        .map_err(|e| GqlError::new(e.code, &e.path, e.message))
}

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
    Remote(Box<crate::remote::forward::RemotePlan>),
    /// A database root field whose answer has remote relationships to fill in.
    Joined {
        inner: Box<RootPlan>,
        joins: Vec<crate::remote::join::JoinPlan>,
    },
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
fn plan(
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
                        crate::http_util::header_pairs(cx.headers)
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
                    client_headers: crate::http_util::header_pairs(cx.headers),
                    schema: cx.schema.clone(),
                })),
                rasura_ir::Root::Remote(call) => RootPlan::Remote(Box::new(crate::remote::forward::RemotePlan {
                    remote: cx.schema.remotes[call.index].clone(),
                    call: (**call).clone(),
                    session: cx.session.vars.clone(),
                    client_headers: crate::http_util::header_pairs(cx.headers),
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
            let joins = root.remote_joins();
            if joins.is_empty() {
                return (key.clone(), p);
            }
            let client_headers = crate::http_util::header_pairs(cx.headers);
            let joins = joins
                .into_iter()
                .map(|j| crate::remote::join::JoinPlan {
                    remote: cx.schema.remotes[j.remote].clone(),
                    join: j.clone(),
                    session: cx.session.vars.clone(),
                    client_headers: client_headers.clone(),
                })
                .collect();
            (key.clone(), RootPlan::Joined { inner: Box::new(p), joins })
        })
        .collect()
}

/// Keeps `Arc<RoleSchema>` type visible to submodules.
pub(crate) type SharedSchema = Arc<RoleSchema>;
