//! Synchronous actions: the handler is POSTed Hasura's payload; its answer is checked against
//! the output type and the client's selection is applied; failures map to Hasura's errors.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tracing::Instrument;

use apollo_compiler::schema::ExtendedType;
use rasura_ir::{ActionSelection, SelectedField};
use rasura_resolve::ResolvedAction;
use rasura_schema::RoleSchema;
use rasura_transform::request::{Body, Request};
use serde_json::{json, Map, Value};

use crate::error::GqlError;

/// Stores an asynchronous call; answers its id (a JSON string).
pub const INSERT_ASYNC_CALL: &str = "INSERT INTO hdb_catalog.hdb_action_log \
     (action_name, input_payload, request_headers, session_variables, status) \
     VALUES ($1::text, $2::text::jsonb, $3::text::jsonb, $4::text::jsonb, 'created') RETURNING (to_json(id))::text";

/// Reads a stored call: `{id, created_at, errors, output, session_variables}`.
pub const READ_ASYNC_CALL: &str =
    "SELECT (SELECT (row_to_json(l))::text FROM (SELECT id, created_at, errors, \
     response_payload AS output, session_variables FROM hdb_catalog.hdb_action_log \
     WHERE id = $1::text::uuid AND action_name = $2::text) AS l)";

/// Shapes a stored call for the client: the caller's selection over `{id, created_at, errors,
/// output}`; a non-admin caller only sees calls made with the same session variables.
pub fn shape_result(
    row: Option<&str>,
    selection: &ActionSelection,
    session: &BTreeMap<String, String>,
    admin: bool,
) -> String {
    let Some(row) = row.and_then(|r| serde_json::from_str::<Value>(r).ok()) else {
        return "null".into();
    };
    if !admin {
        let stored: BTreeMap<String, String> =
            serde_json::from_value(row["session_variables"].clone()).unwrap_or_default();
        if &stored != session {
            return "null".into();
        }
    }
    apply(selection, &row).to_string()
}

/// Everything one action call needs.
pub struct ActionPlan {
    pub action: ResolvedAction,
    pub input: Value,
    pub selection: Option<ActionSelection>,
    pub session: BTreeMap<String, String>,
    /// The client's document (`None` for asynchronous calls, as Hasura sends null).
    pub request_query: Option<String>,
    pub client_headers: Vec<(String, String)>,
    pub schema: Arc<RoleSchema>,
}

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(reqwest::Client::new)
}

fn unexpected(message: &str) -> GqlError {
    GqlError::new("unexpected", "$", message)
}

/// A request or response transform that failed: Hasura's `<Which> Transformation Failed`,
/// with the Kriti error as `internal`.
fn transform_failed(action: &str, which: &str, e: &str) -> GqlError {
    tracing::warn!(action = %action, "{which} transform failed: {e}");
    let mut err = unexpected(&format!("{which} Transformation Failed"));
    err.internal = Some(Box::new(rasura_transform::response::error_bundle(e)));
    err
}

/// Calls the handler and returns its checked answer.
pub async fn run(plan: &ActionPlan) -> Result<Value, GqlError> {
    let a = &plan.action;
    let body = json!({
        "action": {"name": a.name},
        "input": plan.input,
        "session_variables": plan.session,
        "request_query": plan.request_query,
    });
    // The headers sent: the client's (when forwarded), then the configured ones.
    let mut headers: Vec<(String, String)> = vec![];
    if a.forward_client_headers {
        for (k, v) in &plan.client_headers {
            if rasura_auth::http::forwardable(k)
                && !a.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(k))
            {
                headers.push((k.clone(), v.clone()));
            }
        }
    }
    headers.extend(a.headers.iter().cloned());
    let mut outgoing = Request {
        url: a.handler.clone(),
        method: "POST".into(),
        headers,
        body: Some(Body::Json(body)),
    };
    let session = serde_json::to_value(&plan.session).unwrap_or_default();
    let logged = rasura_log::enabled("action-handler-log", rasura_log::Level::Info)
        .then(|| handler_log_request(&outgoing, a.timeout_secs));
    // `$request` of the response transform: the sent request, when it was transformed.
    let mut request_context = Value::Null;
    if let Some(t) = &a.request_transform {
        outgoing = rasura_transform::request::apply(t, outgoing, Some(&session))
            .map_err(|e| transform_failed(&a.name, "Request", &e))?;
        request_context =
            rasura_transform::response::request_context(&outgoing, &a.handler, Some(&session));
    }
    let transformed = logged
        .as_ref()
        .filter(|_| a.request_transform.is_some())
        .map(|_| handler_log_request(&outgoing, a.timeout_secs));
    let method = reqwest::Method::from_bytes(outgoing.method.as_bytes())
        .map_err(|_| unexpected("the request transform gave an invalid method"))?;
    let mut req = client()
        .request(method, &outgoing.url)
        .timeout(Duration::from_secs(a.timeout_secs.max(1)));
    for (k, v) in &outgoing.headers {
        req = req.header(k, v);
    }
    let span = rasura_traces::call_span("action", &outgoing.url);
    for (k, v) in rasura_traces::headers_for(&span) {
        req = req.header(k, v);
    }
    req = match outgoing.body {
        Some(Body::Json(v)) => req.json(&v),
        Some(Body::Text(t)) => req.body(t),
        None => req,
    };
    let resp = req.send().instrument(span).await.map_err(|e| {
        tracing::warn!(action = %a.name, "action handler call failed: {e}");
        unexpected("http exception when calling webhook")
    })?;
    let status = resp.status().as_u16();
    let mut text = resp
        .text()
        .await
        .map_err(|_| unexpected("http exception when calling webhook"))?;
    if let Some((request, size)) = logged {
        let mut detail = json!({
            "action_name": a.name, "request": request, "request_size": size,
            "response_size": text.len(),
        });
        if let Some((sent, sent_size)) = transformed {
            detail["request_trans"] = sent;
            detail["transformed_request_size"] = json!(sent_size);
        }
        rasura_log::emit("action-handler-log", rasura_log::Level::Info, detail);
    }
    // The response transform rebuilds the body before anything reads it, whatever the status.
    if let Some(t) = &a.response_transform {
        text =
            rasura_transform::response::apply(t, &text, status, &request_context, Some(&session))
                .map_err(|e| transform_failed(&a.name, "Response", &e))?
                .to_string();
    }
    if (400..500).contains(&status) {
        return Err(handler_error(&text));
    }
    if !(200..300).contains(&status) {
        return Err(unexpected("internal error"));
    }
    let answer: Value = serde_json::from_str(&text)
        .map_err(|_| unexpected("not a valid json response from webhook"))?;
    Ok(check_output(&plan.schema, &a.output_type, &answer)?.clone())
}

/// A handler request as the `action-handler-log` line gives it, and its body's size.
fn handler_log_request(r: &Request, timeout_secs: u64) -> (Value, usize) {
    let body = match &r.body {
        Some(Body::Json(v)) => v.to_string(),
        Some(Body::Text(t)) => t.clone(),
        None => String::new(),
    };
    let headers: Vec<Value> = r.headers.iter().map(|(k, v)| json!([k, v])).collect();
    let size = body.len();
    let request = json!({
        "url": r.url, "method": r.method, "headers": headers, "body": body,
        "query_string": "", "response_timeout": (timeout_secs * 1_000_000).to_string(),
    });
    (request, size)
}

/// Calls the handler and shapes its answer by the client's selection; relationships to tables
/// are read with `client`.
pub(crate) async fn run_and_shape(
    plan: &ActionPlan,
    client: &impl crate::statement::Conn,
    stringify: bool,
) -> Result<String, GqlError> {
    let answer = run(plan).await?;
    Ok(match &plan.selection {
        Some(sel) => shape(client, sel, &answer, stringify).await?.to_string(),
        None => answer.to_string(),
    })
}

/// A 4xx answer: `message` passes through; the handler's `extensions` replace Hasura's.
fn handler_error(text: &str) -> GqlError {
    let Ok(Value::Object(body)) = serde_json::from_str::<Value>(text) else {
        return GqlError::new(
            "parse-failed",
            "$",
            "the action handler answered 4xx without a JSON object",
        );
    };
    let Some(message) = body.get("message").and_then(Value::as_str) else {
        return GqlError::new(
            "parse-failed",
            "$",
            "key \"message\" not found in the action handler's error",
        );
    };
    let mut err = GqlError::new("unexpected", "$", message);
    match body.get("extensions") {
        Some(ext @ Value::Object(_)) => err.extensions = Some(Box::new(ext.clone())),
        _ => {
            let code = body
                .get("code")
                .and_then(Value::as_str)
                .unwrap_or("unexpected")
                .to_string();
            err.extensions = Some(Box::new(json!({"path": "$", "code": code})));
        }
    }
    err
}

/// Checks the answer against the output type: object or list, required fields present and not
/// null, no undeclared fields.
fn check_output<'a>(
    schema: &RoleSchema,
    output_type: &str,
    answer: &'a Value,
) -> Result<&'a Value, GqlError> {
    let list = output_type.trim_end_matches('!').starts_with('[');
    let name = output_type.trim_matches(|c| c == '[' || c == ']' || c == '!');
    match (list, answer) {
        (_, Value::Null) => return Ok(answer),
        (true, Value::Array(items)) => {
            for item in items {
                check_object(schema, name, item)?;
            }
        }
        (false, Value::Object(_)) => check_object(schema, name, answer)?,
        (true, _) => {
            return Err(unexpected(
                "expecting array for action webhook response but got object",
            ))
        }
        (false, _) => {
            return Err(unexpected(
                "expecting object for action webhook response but got array",
            ))
        }
    }
    Ok(answer)
}

fn check_object(schema: &RoleSchema, type_name: &str, v: &Value) -> Result<(), GqlError> {
    let Some(ExtendedType::Object(obj)) = schema.schema.types.get(type_name) else {
        return Ok(());
    };
    let Value::Object(map) = v else {
        return Err(unexpected(
            "expecting object for action webhook response but got array",
        ));
    };
    let unexpected_fields: Vec<&str> = map
        .keys()
        .filter(|k| !obj.fields.contains_key(k.as_str()))
        .map(String::as_str)
        .collect();
    if !unexpected_fields.is_empty() {
        return Err(unexpected(&format!(
            "unexpected fields in webhook response: {}",
            unexpected_fields.join(", ")
        )));
    }
    // In the order the metadata defines the type, so that the first missing field named is
    // Hasura's.
    let mut fields: Vec<_> = obj.fields.iter().collect();
    if let Some(order) = schema.custom_object_fields.get(type_name) {
        fields.sort_by_key(|(n, _)| order.iter().position(|o| o == n.as_str()));
    }
    for (name, field) in fields {
        // Relationship fields are filled from the tables, not by the handler.
        if schema
            .action_relationships
            .contains_key(&(type_name.to_string(), name.to_string()))
        {
            continue;
        }
        if field.ty.is_non_null() {
            match map.get(name.as_str()) {
                None => {
                    return Err(unexpected(&format!(
                        "field \"{name}\" expected in webhook response, but not found"
                    )))
                }
                Some(Value::Null) => {
                    return Err(unexpected(&format!(
                        "expecting not null value for field \"{name}\""
                    )))
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}

/// The selection applied to an answer, with relationships read from the database.
fn shape<'a, C: crate::statement::Conn>(
    client: &'a C,
    sel: &'a ActionSelection,
    v: &'a Value,
    stringify: bool,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Value, GqlError>> + Send + 'a>> {
    Box::pin(async move {
        match v {
            Value::Array(items) => {
                let mut out = vec![];
                for i in items {
                    out.push(shape(client, sel, i, stringify).await?);
                }
                Ok(Value::Array(out))
            }
            Value::Object(map) => {
                let mut out = Map::new();
                for (key, f) in &sel.fields {
                    let value = match f {
                        SelectedField::Relationship { mapping, select } => {
                            related(client, mapping, select, map, stringify).await?
                        }
                        SelectedField::Field {
                            name,
                            nested: Some(inner),
                            ..
                        } => {
                            shape(
                                client,
                                inner,
                                map.get(name).unwrap_or(&Value::Null),
                                stringify,
                            )
                            .await?
                        }
                        other => apply_one(other, map),
                    };
                    out.insert(key.clone(), value);
                }
                Ok(Value::Object(out))
            }
            other => Ok(other.clone()),
        }
    })
}

/// Rows of the related table whose mapped columns equal the answer's fields.
async fn related<C: crate::statement::Conn>(
    client: &C,
    mapping: &[(String, rasura_ir::ColumnRef)],
    select: &rasura_ir::Select,
    answer: &Map<String, Value>,
    stringify: bool,
) -> Result<Value, GqlError> {
    let mut select = select.clone();
    let mut conds = vec![select.filter.clone()];
    for (field, column) in mapping {
        match answer.get(field) {
            None | Some(Value::Null) => {
                return Ok(if matches!(select.shape, rasura_ir::Shape::Rows(_)) {
                    json!([])
                } else {
                    Value::Null
                })
            }
            Some(v) => conds.push(rasura_ir::BoolExp::Compare {
                column: column.clone(),
                cast: false,
                op: rasura_ir::CompareOp::Eq,
                value: v.clone(),
            }),
        }
    }
    select.filter = rasura_ir::BoolExp::And(conds);
    let t = rasura_translate::translate_select(
        &select,
        rasura_translate::Options {
            stringify_numeric: stringify,
        },
    );
    let sql = rasura_sql::print(&t.select).sql;
    let text = crate::statement::run_statement(client, &sql, &t.params.0).await?;
    Ok(text
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null))
}

fn apply_one(f: &SelectedField, map: &Map<String, Value>) -> Value {
    match f {
        SelectedField::Typename(t) => Value::String(t.clone()),
        SelectedField::Field { name, .. } => map.get(name).cloned().unwrap_or(Value::Null),
        SelectedField::Relationship { .. } => Value::Null,
    }
}

/// The client's selection applied to a value (objects field by field, lists item by item).
fn apply(sel: &ActionSelection, v: &Value) -> Value {
    match v {
        Value::Array(items) => Value::Array(items.iter().map(|i| apply(sel, i)).collect()),
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, f) in &sel.fields {
                let value = match f {
                    SelectedField::Typename(t) => Value::String(t.clone()),
                    SelectedField::Field { name, nested, .. } => {
                        let raw = map.get(name).cloned().unwrap_or(Value::Null);
                        match nested {
                            Some(inner) => apply(inner, &raw),
                            None => raw,
                        }
                    }
                    SelectedField::Relationship { .. } => Value::Null,
                };
                out.insert(key.clone(), value);
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}
