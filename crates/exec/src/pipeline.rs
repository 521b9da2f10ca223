//! The GraphQL request path of an authenticated session, each step a named function with its
//! own tracing span: parse → validate → build IR → plan (translate) → execute → assemble.

use std::sync::Arc;

use apollo_compiler::executable::{Operation, OperationType};
use apollo_compiler::validation::Valid;
use apollo_compiler::ExecutableDocument;
use http::HeaderMap;
use rasura_schema::RoleSchema;
use serde_json::{Map, Value};
use tracing::Instrument;

use crate::error::{self, GqlError};
use crate::execute;
use crate::limits;
use crate::plan::{plan, RequestContext, RootPlan};
use crate::plan_cache;
use crate::request::{GqlRequest, Request};
use crate::state::Engine;

/// One GraphQL request of an authenticated session (HTTP, or a WebSocket whose session was
/// settled at `connection_init`; only those may subscribe); returns the response body and the
/// operation's type.
pub async fn run_as(
    state: &Engine,
    headers: &HeaderMap,
    session: &rasura_ir::Session,
    req: GqlRequest,
    channel: Channel,
) -> Result<Ran, GqlError> {
    let shows_internal = state.config.shows_internal(&session.role);
    let limits = state.current().api_limits.for_role(&session.role);
    // A stream's later batches are one subscription, counted when it started.
    let advance = matches!(
        channel,
        Channel::WebSocket {
            stream_cursor: Some(_)
        }
    );
    if let Some(rate) = limits.rate.as_ref().filter(|_| !advance) {
        let peer = match &channel {
            Channel::Http { peer } => *peer,
            Channel::WebSocket { .. } => None,
        };
        crate::api_limits::check_rate(state, headers, peer, session, rate)
            .await
            .map_err(|e| e.shown(shows_internal))?;
    }
    let timeout = match (state.config.query_timeout, limits.time) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let started = std::time::Instant::now();
    let ran = match timeout {
        // Dropping the pipeline cancels a statement running on a connection of its own.
        Some(limit) => tokio::time::timeout(limit, pipeline(state, headers, session, req, channel))
            .await
            .unwrap_or_else(|_| Err(GqlError::timeout(limit))),
        None => pipeline(state, headers, session, req, channel).await,
    };
    if !advance {
        crate::metrics::request(ran.as_ref().ok().map(|r| r.kind), started.elapsed());
    }
    ran.map_err(|e| e.shown(shows_internal))
}

/// With the allow list enabled, a role other than admin runs only listed queries; checked
/// before the document is validated against the schema (a text or a parse, no more).
fn check_allowlist(
    state: &Engine,
    engine: &crate::engine::EngineState,
    session: &rasura_ir::Session,
    query: &str,
) -> Result<(), GqlError> {
    if !state.config.enable_allowlist || session.role == "admin" {
        return Ok(());
    }
    match engine.allowlist.check(&session.role, query) {
        rasura_allowlist::Verdict::Refused => {
            let mut e = GqlError::validation("$", "query is not allowed");
            e.internal = Some(Box::new(
                serde_json::json!({"message": "query is not in any of the allowlists"}),
            ));
            Err(e)
        }
        // Allowed, or not GraphQL at all: parsing reports that.
        _ => Ok(()),
    }
}

/// parse → validate → build IR → plan → execute, for one request of a session.
async fn pipeline(
    state: &Engine,
    headers: &HeaderMap,
    session: &rasura_ir::Session,
    req: GqlRequest,
    channel: Channel,
) -> Result<Ran, GqlError> {
    let websocket = !matches!(channel, Channel::Http { .. });
    let role = session.role.clone();
    let engine = state.current();
    let schema = if req.relay {
        engine.relay_schema_for(&role)
    } else {
        engine.schema_for(&role, session.backend_only)
    };
    // Documents are validated against a schema: backend-only sessions and Relay have their own.
    let role = if req.relay {
        format!("{role}\u{0}relay")
    } else if session.backend_only {
        format!("{role}\u{0}backend")
    } else {
        role
    };
    limits::check_size(&req.query, &state.config.limits)?;
    let doc = match engine.documents.get(&role, &req.query) {
        // Cached for this role and metadata version: it passed the allow list already.
        Some(doc) => doc,
        None => {
            check_allowlist(state, &engine, session, &req.query)?;
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
    let mut key =
        plan_cache::PlanKey::new(session, &req.query, req.operation_name.as_deref(), &vars);
    if req.relay {
        key = key.relay();
    }
    let cached = if subscription {
        None
    } else {
        let cached = engine.plans.get(&key);
        crate::metrics::cache_lookup(cached.is_some());
        cached
    };
    let (mut stream, mut stream_cursor) = (None, None);
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
                rasura_memory::threads::off_the_serving_threads(move || {
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
            stream_cursor = compiled.stream_cursor;
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
        let mut db = plan
            .iter()
            .filter(|(_, p)| !matches!(p, RootPlan::Typename(_)));
        let first = db.next().map_or(0, |(_, p)| p.source());
        if db.any(|(_, p)| p.source() != first) {
            return Err(GqlError::new(
                "not-supported",
                "$",
                "all fields of a subscription must be from the same source",
            ));
        }
        // One statement answering the one root field: subscribers with the same statement
        // share a poller (`subscriptions::multiplex`).
        // (A field under a source namespace is polled as a whole request.)
        let one = match plan.as_slice() {
            [(key, p)] => Some((key, p.source(), p.on_any_source())),
            _ => None,
        };
        // A stream is shared too when its cursor is one parameter of the statement.
        let shareable = stream.is_none() || stream_cursor.is_some();
        if let Some((key, source, RootPlan::Sql { sql, params })) = one {
            if shareable && !key.contains(rasura_ir::NAMESPACE_SEPARATOR) {
                // Tagged with the field and the query's hash (no request id: the poller's
                // statement serves many requests), as Hasura tags live queries.
                let tags = &engine.resolved.query_tags;
                let sql = match tags.disabled {
                    true => sql.clone(),
                    false => tags.apply(sql, None, key, &execute::query_hash(&req.query), None),
                };
                live = Some(LiveShape {
                    source,
                    key: key.clone(),
                    sql,
                    params: params.clone(),
                    cursor: stream_cursor,
                });
            }
        }
    }
    if rasura_log::enabled("query-log", rasura_log::Level::Info) {
        crate::plan::log_query(&req, &plan);
    }
    let request = Request {
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

/// A freshly built plan, the streaming root if any (and its cursor's parameter), and the
/// plan's cache template.
pub(crate) struct Compiled {
    pub(crate) plan: Vec<(String, RootPlan)>,
    stream: Option<String>,
    stream_cursor: Option<usize>,
    template: Option<plan_cache::Cached>,
}

/// build IR → plan, for a request whose plan was not cached; with `template_wanted`, the plan
/// is built a second time with marked variables to make its cache template.
#[allow(clippy::too_many_arguments)] // the request's parts, each needed
pub(crate) fn compile(
    state: &Engine,
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
    let role_limits = state.current().api_limits.for_role(&session.role);
    crate::api_limits::check_shape(doc, &op.selection_set, &role_limits)?;
    let ir = build_ir(schema, doc, op, vars, session)?;
    let stream = ir.stream_root().map(str::to_string);
    let rcx = RequestContext {
        schema,
        session,
        query,
        headers,
    };
    let plan = plan(&ir, state.config.stringify_numeric, &rcx);
    // A stream's cursor: the plan built again with a marker for it, found as one parameter.
    let stream_cursor = stream.as_ref().and_then(|_| {
        let mut marked = vars.clone();
        let (name, mark) = (
            rasura_ir::stream::STREAM_CURSOR_VAR,
            plan_cache::CURSOR_MARK,
        );
        marked.insert(name.to_string(), Value::String(mark.to_string()));
        let ir = rasura_ir::build_ir(schema, doc, op, &marked, session).ok()?;
        plan_cache::marked_param(
            &plan,
            &self::plan(&ir, state.config.stringify_numeric, &rcx),
        )
    });
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
        stream_cursor,
        template,
    })
}

/// A subscription's statement, for multiplexing: the root field's response key, the SQL and
/// this subscriber's parameters.
#[derive(Debug, Clone)]
pub struct LiveShape {
    /// The number of the source it runs on (0: the first served).
    pub source: usize,
    pub key: String,
    pub sql: String,
    pub params: Vec<Option<String>>,
    /// A stream's cursor: the index of its parameter (the value rows are read past).
    pub cursor: Option<usize>,
}

/// What running one request gave.
pub struct Ran {
    pub body: Vec<u8>,
    pub kind: OperationType,
    pub live: Option<LiveShape>,
    /// The response key of a streaming root field (rows carry their cursor values).
    pub stream: Option<String>,
}

/// Where a request came from.
pub enum Channel {
    /// HTTP, with the client's address where the server knows it (rate limits by address).
    Http { peer: Option<std::net::IpAddr> },
    /// A WebSocket: subscriptions allowed; a stream's cursor carried over from its last batch.
    WebSocket { stream_cursor: Option<Value> },
}

/// Query texts up to this size are parsed and planned on the serving thread; larger ones on the
/// heavy-work thread (`memory::off_the_serving_threads`), so that one expensive document never
/// stalls the other requests of its event loop.
const PARSE_INLINE_BYTES: usize = 16 << 10;

/// Parses and validates the query against the role's schema, within the parser's recursion
/// and token limits (a hostile document is refused as soon as it passes them).
pub(crate) async fn parse_and_validate(
    schema: &Arc<RoleSchema>,
    query: &str,
    limits: &limits::QueryLimits,
) -> Result<Valid<ExecutableDocument>, GqlError> {
    limits::check_nesting(query, limits)?;
    if query.len() <= PARSE_INLINE_BYTES {
        return parse_and_validate_now(schema, query, limits);
    }
    let (schema, text, limits) = (schema.clone(), query.to_string(), *limits);
    rasura_memory::threads::off_the_serving_threads(move || {
        parse_and_validate_now(&schema, &text, &limits)
    })
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
        .map_err(|e| error::from_diagnostics(&schema.schema, query, &e.errors))?;
    match doc.validate(&schema.schema) {
        Ok(doc) => Ok(doc),
        Err(e) if tolerated(&e.partial, &e.errors) => Ok(Valid::assume_valid(e.partial)),
        Err(e) => Err(error::from_diagnostics(&schema.schema, query, &e.errors)),
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
    // A variable the operation does not declare is refused, as Hasura refuses it.
    let mut unexpected: Vec<&str> = vars
        .keys()
        .filter(|k| !op.variables.iter().any(|v| v.name == k.as_str()))
        .map(String::as_str)
        .collect();
    if !unexpected.is_empty() {
        unexpected.sort_unstable();
        return Err(GqlError::validation(
            "$",
            format!(
                "unexpected variables in variableValues: {}",
                unexpected.join(", ")
            ),
        ));
    }
    let given: apollo_compiler::response::JsonMap =
        serde_json::from_value(Value::Object(vars.clone()))
            .map_err(|e| GqlError::validation("$", e.to_string()))?;
    let coerced = apollo_compiler::request::coerce_variable_values(&schema.schema, op, &given)
        .map_err(|e| error::variable_error(&schema.schema, &e.message().to_string()))?;
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
