//! Runs the plan: one prepared statement per root field; Postgres returns the finished JSON and
//! its bytes are spliced into the response unparsed. A mutation's root fields run in order in
//! one transaction: all or nothing.

use std::sync::Arc;

use apollo_compiler::executable::OperationType;
use deadpool_postgres::GenericClient;
use rasura_schema::{MutationRoot, RoleSchema};
use serde_json::{Map, Value};
use tracing::Instrument;

use crate::error::GqlError;
use crate::introspection::{introspection, IntrospectionAnswer};
use crate::plan::RootPlan;
use crate::request::Request;
use crate::state::Engine;
use crate::statement::run_statement;

pub(crate) async fn execute(
    state: &Engine,
    schema: &Arc<RoleSchema>,
    request: Request<'_>,
    vars: &Map<String, Value>,
    plan: Vec<(String, RootPlan)>,
    session: &rasura_ir::Session,
) -> Result<Vec<u8>, GqlError> {
    let op = request.op;
    let introspection = if plan
        .iter()
        .any(|(_, p)| matches!(p, RootPlan::Introspection))
    {
        Some(introspection(&state.current().introspection, schema, &request, vars).await?)
    } else {
        None
    };
    // Remote parts first: each is one HTTP call, and a failing one costs only its own part.
    let mut errors = vec![];
    let mut remote = vec![None; plan.len()];
    for (i, (key, p)) in plan.iter().enumerate() {
        if let RootPlan::Remote(r) = p {
            let answer = rasura_remote::forward::run(r, key, vars)
                .instrument(tracing::info_span!("remote", remote_schema = %r.remote.name))
                .await;
            let mut data = answer.data;
            if !r.call.db_joins.is_empty() {
                let current = state.current();
                let tagging = Tagging::of(&current.resolved.query_tags, &request, schema);
                data = join_tables(state, &data, &r.call.db_joins, &tagging)
                    .instrument(tracing::info_span!("remote_table_joins"))
                    .await?;
            }
            remote[i] = Some(data);
            errors.extend(answer.errors);
        }
    }
    // The database sources the root fields run on, in order of number.
    let mut sources: Vec<usize> = plan
        .iter()
        .filter(|(_, p)| needs_db(p))
        .map(|(_, p)| p.source())
        .collect();
    sources.sort_unstable();
    sources.dedup();
    let mut out = Vec::with_capacity(256);
    if sources.is_empty() {
        write_roots(&mut out, &plan, introspection.as_ref(), &remote, &errors);
        return Ok(out);
    }
    let current = state.current();
    let tagging = Tagging::of(&current.resolved.query_tags, &request, schema);
    let mut results = vec![None; plan.len()];
    if op.operation_type == OperationType::Mutation {
        if let [n] = sources[..] {
            // One source: every root field in one transaction.
            results = mutate(state, &plan, Pick::source(n), session, &tagging).await?;
        } else {
            // Over several sources, as Hasura does: each root field in a transaction of its
            // own, in order; the first error ends the request (what ran before stays done).
            for (i, (_, p)) in plan.iter().enumerate() {
                if needs_db(p) {
                    let pick = Pick {
                        source: p.source(),
                        index: Some(i),
                    };
                    results[i] = mutate(state, &plan, pick, session, &tagging).await?[i].take();
                }
            }
        }
    } else {
        for &n in &sources {
            let part = read(state, n, &plan, &tagging).await?;
            for (i, r) in part.into_iter().enumerate() {
                if plan[i].1.source() == n && r.is_some() {
                    results[i] = r;
                }
            }
        }
    }
    for (db, part) in results.iter_mut().zip(remote) {
        if part.is_some() {
            *db = part;
        }
    }
    // Relationships to other sources' tables first (a remote join answers null for any
    // placeholder it does not know).
    for (i, (_, p)) in plan.iter().enumerate() {
        if let (RootPlan::Joined { sources, .. }, Some(json)) = (p.on_any_source(), &results[i]) {
            if !sources.is_empty() {
                let joins: Vec<&rasura_ir::SourceJoin> = sources.iter().collect();
                let filled = join_sources(state, json, &joins, &tagging)
                    .instrument(tracing::info_span!("source_joins"))
                    .await?;
                results[i] = Some(filled);
            }
        }
    }
    // Remote relationships: one batched call per join, then the placeholders are filled.
    for (i, (key, p)) in plan.iter().enumerate() {
        if let (RootPlan::Joined { joins, .. }, Some(json)) = (p.on_any_source(), &results[i]) {
            let (filled, errs) = rasura_remote::join::apply(json, joins, vars, key)
                .instrument(tracing::info_span!("remote_joins"))
                .await;
            results[i] = Some(filled);
            errors.extend(errs);
        }
    }
    write_roots(&mut out, &plan, introspection.as_ref(), &results, &errors);
    Ok(out)
}

/// Whether root field `p` runs on a database.
fn needs_db(p: &RootPlan) -> bool {
    !matches!(
        p,
        RootPlan::Introspection | RootPlan::Typename(_) | RootPlan::Remote(_)
    )
}

/// Which root fields of a plan run: those of one source, or only one of them.
#[derive(Clone, Copy)]
struct Pick {
    source: usize,
    index: Option<usize>,
}

impl Pick {
    fn source(source: usize) -> Pick {
        Pick {
            source,
            index: None,
        }
    }

    fn runs(&self, i: usize, p: &RootPlan) -> bool {
        p.source() == self.source && self.index.is_none_or(|j| j == i)
    }
}

/// Runs the picked root fields of a mutation in one transaction on their source's primary.
async fn mutate(
    state: &Engine,
    plan: &[(String, RootPlan)],
    pick: Pick,
    session: &rasura_ir::Session,
    tagging: &Tagging<'_>,
) -> Result<Vec<Option<String>>, GqlError> {
    let source = state
        .source_numbered(pick.source)
        .map_err(|e| GqlError::from_pg(&e, ""))?;
    let mut client = source
        .pool
        .get()
        .await
        .map_err(|e| GqlError::from_pg(&rasura_pg::PgError::from(e), ""))?;
    let cancel = CancelOnDrop::own(&client);
    let done = async {
        let tx = client
            .transaction()
            .await
            .map_err(|e| GqlError::from_pg(&rasura_pg::PgError::from_db(e, None), ""))?;
        set_event_context(&tx, session).await?;
        let stringify = state.config.stringify_numeric;
        let results = crate::statement::with_prepared(
            source.prepared,
            run_roots(&tx, plan, pick, stringify, tagging),
        )
        .await?;
        tx.commit()
            .await
            .map_err(|e| GqlError::from_pg(&rasura_pg::PgError::from_db(e, None), ""))?;
        Ok::<_, GqlError>(results)
    }
    .await;
    cancel.disarm();
    done
}

/// Runs the root fields of a query that are on source number `n`, on a read replica of it if
/// one is up; one that cannot be reached gives the read to the primary.
async fn read(
    state: &Engine,
    n: usize,
    plan: &[(String, RootPlan)],
    tagging: &Tagging<'_>,
) -> Result<Vec<Option<String>>, GqlError> {
    let source = state
        .source_numbered(n)
        .map_err(|e| GqlError::from_pg(&e, ""))?;
    let target = source.read_target();
    let stringify = state.config.stringify_numeric;
    let pick = Pick::source(n);
    match (
        read_roots(&target, plan, pick, stringify, tagging).await,
        target.replica,
    ) {
        (Ok(results), _) => Ok(results),
        (Err((e, true)), Some(replica)) => {
            replica.failed(&e.message);
            read_roots(&source.primary(), plan, pick, stringify, tagging)
                .await
                .map_err(|(e, _)| e)
        }
        (Err((e, _)), _) => Err(e),
    }
}

/// A remote's answer with its relationships to tables filled in (`remote_db`), the
/// statements run on a read connection.
async fn join_tables(
    state: &Engine,
    data: &str,
    joins: &[rasura_ir::DbJoin],
    tagging: &Tagging<'_>,
) -> Result<String, GqlError> {
    let mut answer: Value = serde_json::from_str(data).unwrap_or(Value::Null);
    let stringify = state.config.stringify_numeric;
    let (statements, lookups) =
        rasura_db_joins::remote_objects::plan(&mut answer, joins, stringify)?;
    // Each join's statements on its table's source.
    let mut results = vec![None; statements.len()];
    let mut by_source: Vec<(usize, Vec<usize>)> = vec![];
    for (p, (j, _)) in lookups.iter().enumerate() {
        let n = joins[*j].source;
        match by_source.iter_mut().find(|(m, _)| *m == n) {
            Some((_, members)) => members.push(p),
            None => by_source.push((n, vec![p])),
        }
    }
    for (n, members) in by_source {
        let mine = members.iter().map(|&p| statements[p].clone()).collect();
        let answers = run_statements(state, n, mine, tagging).await?;
        for (p, a) in members.into_iter().zip(answers) {
            results[p] = a;
        }
    }
    rasura_db_joins::remote_objects::splice(&mut answer, joins, &lookups, &results);
    Ok(answer.to_string())
}

/// Statements run on a read connection of source number `n`; one answer each. Statements of
/// one text (a join's, for each set of joined values) run as one, over the JSON array of
/// their parameters, as live queries are multiplexed.
async fn run_statements(
    state: &Engine,
    n: usize,
    statements: Vec<rasura_db_joins::Statement>,
    tagging: &Tagging<'_>,
) -> Result<Vec<Option<String>>, GqlError> {
    if statements.is_empty() {
        return Ok(vec![]);
    }
    let mut groups: Vec<(String, Vec<usize>)> = vec![];
    for (i, (_, sql, _)) in statements.iter().enumerate() {
        match groups.iter_mut().find(|(text, _)| text == sql) {
            Some((_, members)) => members.push(i),
            None => groups.push((sql.clone(), vec![i])),
        }
    }
    let plans: Vec<(String, RootPlan)> = groups
        .iter()
        .map(|(sql, members)| {
            let (key, _, params) = &statements[members[0]];
            if members.len() == 1 {
                let (sql, params) = (sql.clone(), params.clone());
                return (key.clone(), RootPlan::Sql { sql, params });
            }
            let sets: Vec<&Vec<Option<String>>> =
                members.iter().map(|&i| &statements[i].2).collect();
            let sets = serde_json::to_string(&sets).unwrap_or_else(|_| "[]".into());
            let sql = rasura_sql::multiplex::multiplexed_one(sql);
            (
                key.clone(),
                RootPlan::Sql {
                    sql,
                    params: vec![Some(sets)],
                },
            )
        })
        .collect();
    let source = state
        .source_numbered(n)
        .map_err(|e| GqlError::from_pg(&e, ""))?;
    let stringify = state.config.stringify_numeric;
    let answers = read_roots(
        &source.read_target(),
        &plans,
        Pick::source(0),
        stringify,
        tagging,
    )
    .await
    .map_err(|(e, _)| e)?;
    let mut out = vec![None; statements.len()];
    for ((_, members), answer) in groups.iter().zip(answers) {
        if members.len() == 1 {
            out[members[0]] = answer;
            continue;
        }
        // `[[number, answer], ...]`, numbered from 1 in the order of `members`.
        let pairs: Vec<(usize, Value)> = answer
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        for (number, value) in pairs {
            if let Some(&i) = members.get(number.wrapping_sub(1)) {
                out[i] = Some(value.to_string());
            }
        }
    }
    Ok(out)
}

/// A database answer with its relationships to tables of other sources filled in: one
/// statement per join and distinct set of joined values, on the target's source; their own
/// such relationships filled in the same way.
fn join_sources<'a>(
    state: &'a Engine,
    json: &'a str,
    joins: &'a [&'a rasura_ir::SourceJoin],
    tagging: &'a Tagging<'_>,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, GqlError>> + Send + 'a>> {
    use rasura_db_joins::sources;
    Box::pin(async move {
        let mut answer: Value = serde_json::from_str(json).unwrap_or(Value::Null);
        let stringify = state.config.stringify_numeric;
        let lookups = sources::collect(&answer, joins);
        let mut results = vec![Value::Null; lookups.len()];
        for (j, join) in joins.iter().enumerate() {
            // This join's lookups, run on its source.
            let mine: Vec<usize> = (0..lookups.len()).filter(|&p| lookups[p].0 == j).collect();
            let picked: sources::Lookups = mine.iter().map(|&p| lookups[p].clone()).collect();
            let statements = sources::statements(joins, &picked, stringify);
            let texts = run_statements(state, join.source, statements, tagging).await?;
            let nested = join.select.source_joins();
            for (p, text) in mine.into_iter().zip(texts) {
                let mut text = text.unwrap_or_else(|| "null".into());
                if !nested.is_empty() {
                    text = join_sources(state, &text, &nested, tagging).await?;
                }
                results[p] = serde_json::from_str(&text).unwrap_or(Value::Null);
            }
        }
        sources::replace(&mut answer, joins, &lookups, &results);
        Ok(answer.to_string())
    })
}

/// Runs a query's root fields on a read connection of `target`. A failure says whether the
/// connection was lost (the server is unreachable) rather than the statement refused.
async fn read_roots(
    target: &crate::source::ReadTarget<'_>,
    plan: &[(String, RootPlan)],
    pick: Pick,
    stringify: bool,
    tagging: &Tagging<'_>,
) -> Result<Vec<Option<String>>, (GqlError, bool)> {
    let client = target
        .reads
        .get()
        .await
        .map_err(|e| (GqlError::from_pg(&e, ""), true))?;
    let cancel = CancelOnDrop::read(target.reads, &client);
    let done = crate::statement::with_prepared(
        target.prepared,
        run_roots(&*client, plan, pick, stringify, tagging),
    )
    .await;
    cancel.disarm();
    match done {
        Ok(results) => {
            if let Some(replica) = target.replica {
                replica.succeeded();
            }
            Ok(results)
        }
        Err(e) => {
            let lost = client.is_closed() || server_gone(&e);
            Err((e, lost))
        }
    }
}

/// Whether a statement failed because its server went away (connection errors, SQLSTATE
/// classes 08 and 57P: shut down, or not accepting connections) rather than refused it.
fn server_gone(e: &GqlError) -> bool {
    let sqlstate = e
        .internal
        .as_deref()
        .and_then(|i| i.pointer("/error/status_code"))
        .and_then(serde_json::Value::as_str);
    match sqlstate {
        Some(s) => crate::source::server_gone(s),
        None => e.code == "postgres-error" && e.message == "connection error",
    }
}

/// Cancels the statement running on a connection the request has to itself when the request
/// is dropped before it finished (the client went away, or the query timeout passed), so that
/// an abandoned query does not keep a backend and a pooled connection busy.
struct CancelOnDrop<'a> {
    connection: Connection<'a>,
    armed: bool,
}

/// The connection a request's statement runs on.
enum Connection<'a> {
    /// One of the request's own (a mutation's transaction).
    Own(Option<tokio_postgres::CancelToken>),
    /// A read connection, perhaps shared: cancelled only when no other query waits there
    /// (`SharedConns::abandon`).
    Read(&'a rasura_pg::SharedConns, &'a rasura_pg::SharedConn),
}

impl<'a> CancelOnDrop<'a> {
    fn own(client: &tokio_postgres::Client) -> CancelOnDrop<'a> {
        CancelOnDrop {
            connection: Connection::Own(Some(client.cancel_token())),
            armed: true,
        }
    }

    fn read(
        reads: &'a rasura_pg::SharedConns,
        conn: &'a rasura_pg::SharedConn,
    ) -> CancelOnDrop<'a> {
        CancelOnDrop {
            connection: Connection::Read(reads, conn),
            armed: true,
        }
    }

    /// The request finished: nothing to cancel.
    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for CancelOnDrop<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let token = match &mut self.connection {
            Connection::Own(token) => token.take(),
            Connection::Read(reads, conn) => reads.abandon(conn),
        };
        if let Some(token) = token {
            tracing::debug!("request dropped before its statement finished: cancelling it");
            tokio::spawn(async move {
                let _ = token.cancel_query(rasura_pg::tls::cancel_connector()).await;
            });
        }
    }
}

/// Sets what event triggers record about a write (`rasura_events::write_context`).
async fn set_event_context(
    client: &impl GenericClient,
    session: &rasura_ir::Session,
) -> Result<(), GqlError> {
    let vars = serde_json::to_value(&session.vars).unwrap_or_default();
    rasura_events::write_context::set(client, &vars)
        .await
        .map_err(|e| GqlError::from_pg(&rasura_pg::PgError::from_db(e, None), ""))
}

/// The `parameterized_query_hash` of query tags: the SHA-1 of the document (the same for every
/// set of variables).
pub(crate) fn query_hash(query: &str) -> String {
    use sha1::Digest;
    sha1::Sha1::digest(query.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What a request's statements are named by: its query tags (`rasura_resolve::query_tags`)
/// and, for errors, its insert root fields.
struct Tagging<'a> {
    tags: &'a rasura_resolve::query_tags::QueryTags,
    request_id: Option<String>,
    query_hash: String,
    operation: Option<&'a str>,
    /// The insert root fields by response key, with the argument their rows came in
    /// (`objects`, `object`): a database error of theirs points there, as in Hasura.
    inserts: std::collections::HashMap<String, &'static str>,
}

impl<'a> Tagging<'a> {
    fn of(
        tags: &'a rasura_resolve::query_tags::QueryTags,
        request: &Request<'a>,
        schema: &RoleSchema,
    ) -> Tagging<'a> {
        let query_hash = if tags.disabled {
            String::new()
        } else {
            query_hash(request.query)
        };
        // Only a mutation has inserts; a query pays nothing for them.
        let inserts = match request.op.operation_type {
            OperationType::Mutation => request
                .op
                .selection_set
                .fields()
                .filter_map(|f| match schema.mutation_roots.get(f.name.as_str()) {
                    Some(MutationRoot::Insert(_)) => {
                        Some((f.response_key().to_string(), "objects"))
                    }
                    Some(MutationRoot::InsertOne(_)) => {
                        Some((f.response_key().to_string(), "object"))
                    }
                    _ => None,
                })
                .collect(),
            _ => Default::default(),
        };
        // The request id is read only when the tags carry it.
        let request_id = (!tags.disabled && !tags.omit_request_id)
            .then(rasura_log::http::request_id)
            .flatten();
        Tagging {
            tags,
            request_id,
            query_hash,
            operation: request.op.name.as_ref().map(|n| n.as_str()),
            inserts,
        }
    }

    /// A database error of root field `key` with Hasura's path: an insert's constraint,
    /// check or data errors point at its rows' argument.
    fn locate(&self, e: GqlError, key: &str) -> GqlError {
        let row_error = matches!(
            e.code,
            "constraint-violation" | "permission-error" | "data-exception"
        );
        match self.inserts.get(key) {
            Some(arg) if row_error && e.path == "$" => GqlError {
                path: format!("$.selectionSet.{key}.args.{arg}"),
                ..e
            },
            _ => e,
        }
    }

    /// The statement of root field `key` (an alias; `ns\u{1f}field` under a namespace) with
    /// its tags.
    fn sql<'s>(&self, sql: &'s str, key: &str) -> std::borrow::Cow<'s, str> {
        if self.tags.disabled {
            return sql.into();
        }
        let field = key.rsplit('\u{1f}').next().unwrap_or(key);
        let tagged = self.tags.apply(
            sql,
            self.request_id.as_deref(),
            field,
            &self.query_hash,
            self.operation,
        );
        tagged.into()
    }
}

/// Runs the picked database root fields; one JSON text (or null) per plan entry.
async fn run_roots(
    client: &impl crate::statement::Conn,
    plan: &[(String, RootPlan)],
    pick: Pick,
    stringify: bool,
    tagging: &Tagging<'_>,
) -> Result<Vec<Option<String>>, GqlError> {
    let mut results = Vec::with_capacity(plan.len());
    for (i, (key, p)) in plan.iter().enumerate() {
        if !pick.runs(i, p) {
            results.push(None);
            continue;
        }
        let p = match p.on_any_source() {
            RootPlan::Joined { inner, .. } => inner.as_ref(),
            other => other,
        };
        let json = async {
            Ok::<_, GqlError>(match p {
                RootPlan::Typename(_)
                | RootPlan::Introspection
                | RootPlan::Remote(_)
                | RootPlan::Joined { .. }
                | RootPlan::OnSource(..) => None,
                RootPlan::Sql { sql, params } => {
                    run_statement(client, &tagging.sql(sql, key), params)
                        .instrument(tracing::info_span!(
                            target: rasura_traces::TARGET,
                            "statement",
                            otel.kind = "client",
                            db.system = "postgresql",
                            db.statement = %sql,
                        ))
                        .await?
                }
                RootPlan::Many(statements) => {
                    let mut parts = vec![];
                    for (sql, params) in statements {
                        parts.push(
                            run_statement(client, &tagging.sql(sql, key), params)
                                .await?
                                .unwrap_or_else(|| "null".into()),
                        );
                    }
                    Some(format!("[{}]", parts.join(",")))
                }
                RootPlan::NestedInsert(m) => {
                    let tag = |sql: &str| tagging.sql(sql, key).into_owned();
                    Some(crate::mutate::nested_insert(client, m, stringify, &tag).await?)
                }
                RootPlan::Action(a) => {
                    Some(crate::action::run_and_shape(a, client, stringify).await?)
                }
                RootPlan::ActionResult(r) => {
                    let row = match &r.id {
                        Some(id) => run_statement(
                            client,
                            crate::action::READ_ASYNC_CALL,
                            &[Some(id.clone()), Some(r.action.clone())],
                        )
                        .await
                        .or_else(|e| {
                            if e.code == "data-exception" {
                                Ok(None)
                            } else {
                                Err(e)
                            }
                        })?,
                        None => None,
                    };
                    Some(crate::action::shape_result(
                        row.as_deref(),
                        &r.selection,
                        &r.session,
                        r.admin,
                    ))
                }
            })
        }
        .await
        .map_err(|e| tagging.locate(e, key))?;
        results.push(json);
    }
    Ok(results)
}

fn write_roots(
    out: &mut Vec<u8>,
    plan: &[(String, RootPlan)],
    introspection: Option<&IntrospectionAnswer>,
    results: &[Option<String>],
    errors: &[Value],
) {
    let name = |out: &mut Vec<u8>, n: &str| {
        out.extend_from_slice(Value::String(n.to_string()).to_string().as_bytes());
        out.push(b':');
    };
    out.extend_from_slice(b"{\"data\":{");
    // Fields under a source namespace (`ns\u{1f}key`) come together: one nested object.
    let mut open: Option<&str> = None;
    let (mut first_top, mut first_inner) = (true, true);
    for (i, (full_key, p)) in plan.iter().enumerate() {
        let (namespace, key) = match full_key.split_once(rasura_ir::NAMESPACE_SEPARATOR) {
            Some((ns, k)) => (Some(ns), k),
            None => (None, full_key.as_str()),
        };
        if open != namespace {
            if open.is_some() {
                out.push(b'}');
            }
            if let Some(ns) = namespace {
                if !first_top {
                    out.push(b',');
                }
                first_top = false;
                first_inner = true;
                name(out, ns);
                out.push(b'{');
            }
            open = namespace;
        }
        let first = if open.is_some() {
            &mut first_inner
        } else {
            &mut first_top
        };
        if !*first {
            out.push(b',');
        }
        *first = false;
        name(out, key);
        match p {
            RootPlan::Typename(t) => {
                out.extend_from_slice(Value::String(t.clone()).to_string().as_bytes())
            }
            RootPlan::Introspection => {
                let v = introspection.and_then(|m| m.get(full_key));
                out.extend_from_slice(v.map_or("null", String::as_str).as_bytes());
            }
            _ => {
                let json = results.get(i).and_then(|r| r.as_deref()).unwrap_or("null");
                out.extend_from_slice(json.as_bytes());
            }
        }
    }
    if open.is_some() {
        out.push(b'}');
    }
    out.push(b'}');
    if !errors.is_empty() {
        out.extend_from_slice(b",\"errors\":");
        out.extend_from_slice(Value::Array(errors.to_vec()).to_string().as_bytes());
    }
    out.push(b'}');
}
