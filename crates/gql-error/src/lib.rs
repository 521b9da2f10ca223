//! GraphQL-side errors in Hasura's shape: `{"errors":[{"message", "extensions":{"path","code"}}]}`.

pub mod path;

use apollo_compiler::diagnostic::ToCliReport;
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::validation::DiagnosticList;
use apollo_compiler::Schema;
use http::StatusCode;
use rasura_pg::PgError;
use serde_json::{json, Value};

/// An error answered on the GraphQL endpoint.
#[derive(Debug, Clone)]
pub struct GqlError {
    pub code: &'static str,
    pub path: String,
    pub message: String,
    pub internal: Option<Box<Value>>,
    /// Extensions given by an action handler: they replace Hasura's `{path, code}` verbatim.
    pub extensions: Option<Box<Value>>,
}

impl GqlError {
    pub fn new(code: &'static str, path: &str, message: impl Into<String>) -> GqlError {
        GqlError {
            code,
            path: path.to_string(),
            message: message.into(),
            internal: None,
            extensions: None,
        }
    }

    pub fn validation(path: &str, message: impl Into<String>) -> GqlError {
        GqlError::new("validation-failed", path, message)
    }

    /// The request ran past `--query-timeout`.
    pub fn timeout(limit: std::time::Duration) -> GqlError {
        GqlError::new(
            "timeout",
            "$",
            format!(
                "the request ran longer than the query timeout of {} ms and was cancelled",
                limit.as_millis()
            ),
        )
    }

    pub fn access_denied(message: &str) -> GqlError {
        GqlError::new("access-denied", "$", message)
    }

    /// The error as its receiver may see it: without `internal` (the statement, with its
    /// permission filters, and the database's own words) unless `shows_internal`.
    pub fn shown(mut self, shows_internal: bool) -> GqlError {
        if !shows_internal {
            self.internal = None;
        }
        self
    }

    pub fn body(&self) -> Value {
        if let Some(ext) = &self.extensions {
            return json!({"errors": [{"extensions": ext, "message": self.message}]});
        }
        let mut ext = json!({"path": self.path, "code": self.code});
        if let Some(i) = &self.internal {
            ext["internal"] = (**i).clone();
        }
        json!({"errors": [{"extensions": ext, "message": self.message}]})
    }

    /// The pre-v1 shape, used by `/v1alpha1/graphql`.
    pub fn legacy_body(&self) -> Value {
        json!({"path": self.path, "error": self.message, "code": self.code})
    }

    pub fn status(&self) -> StatusCode {
        match self.code {
            "access-denied" | "invalid-jwt" => StatusCode::UNAUTHORIZED,
            "unexpected" | "postgres-error" => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// A database error while executing: SQLSTATE class 22 is the client's data, class 23 a
    /// constraint; anything else is unexpected.
    pub fn from_pg(e: &PgError, statement: &str) -> GqlError {
        match e {
            PgError::Statement {
                sqlstate,
                message,
                detail,
                hint,
                ..
            } => {
                let internal = json!({
                    "statement": statement,
                    "prepared": true,
                    "error": {"exec_status": "FatalError", "message": message, "status_code": sqlstate,
                              "description": detail, "hint": hint}
                });
                let (code, msg) = e.data_error().unwrap_or_default();
                GqlError {
                    code,
                    path: "$".into(),
                    message: msg,
                    internal: Some(Box::new(internal)),
                    extensions: None,
                }
            }
            PgError::Connection(detail) => GqlError {
                internal: Some(Box::new(json!({"error": detail, "statement": statement}))),
                ..GqlError::new("postgres-error", "$", "connection error")
            },
            other => GqlError::new("unexpected", "$", other.to_string()),
        }
    }
}

/// The first diagnostic of a failed parse/validation, in Hasura's words where they differ.
pub fn from_diagnostics(schema: &Schema, query: &str, list: &DiagnosticList) -> GqlError {
    // A syntax error or a parser limit anywhere (a document cut short by a limit has build
    // errors too, and they may come first).
    if list.iter().any(|d| is_syntax(&d.error.to_string())) {
        return GqlError::validation("$.query", "not a valid graphql query");
    }
    // A selection set left empty by an unknown field is reported after it, and a variable the
    // bad field used is reported unused: the field is the cause.
    let first = list
        .iter()
        .find(|d| {
            !d.error.to_string().contains("must have a subselection set")
                && d.error.unstable_error_name() != Some("UnusedVariable")
        })
        .or_else(|| list.iter().next());
    let Some(first) = first else {
        return GqlError::validation("$", "invalid query");
    };
    let text = first.error.to_string();
    let path = first.error.location().map_or_else(
        || "$".to_string(),
        |span| crate::path::path_at(query, span.offset()),
    );
    if let Some((missing, at)) = missing_required(&text) {
        let path = format!("{path}{at}");
        return GqlError::validation(&path, format!("missing required field '{missing}'"));
    }
    GqlError::validation(&path, translate_message(schema, &text))
}

/// A required argument or input field left out, as Hasura says it: the name, and what to add
/// to the path of the field or value (`.args.<argument>`, `.<input field>`). apollo-compiler
/// says "the required argument `query_root.f(a:)` is not provided" and "the required field
/// `t_arguments.a` is not provided".
fn missing_required(text: &str) -> Option<(String, String)> {
    let ticks: Vec<&str> = text.split('`').collect();
    if !text.ends_with("is not provided") || ticks.len() < 3 {
        return None;
    }
    if text.starts_with("the required argument ") {
        let (_, arg) = ticks[1].rsplit_once('(')?;
        let arg = arg.trim_end_matches(')').trim_end_matches(':');
        return Some((arg.to_string(), format!(".args.{arg}")));
    }
    if text.starts_with("the required field ") {
        let (_, field) = ticks[1].rsplit_once('.')?;
        return Some((field.to_string(), format!(".{field}")));
    }
    None
}

/// Whether a diagnostic's text is a syntax error or one of the parser's limits.
fn is_syntax(text: &str) -> bool {
    text.starts_with("syntax error") || text.contains("limit reached")
}

/// Whether `name` is an enum type of `schema`.
fn is_enum(schema: &Schema, name: &str) -> bool {
    matches!(schema.types.get(name), Some(ExtendedType::Enum(_)))
}

/// Rewrites apollo-compiler's wording of the common cases into Hasura's.
fn translate_message(schema: &Schema, text: &str) -> String {
    // "type `query_root` does not have a field `x`" → "field 'x' not found in type: 'query_root'"
    let ticks: Vec<&str> = text.split('`').collect();
    if text.contains("does not have a field") && ticks.len() >= 4 {
        return format!("field '{}' not found in type: '{}'", ticks[3], ticks[1]);
    }
    // "field `_ne` does not exist on `String_comparison_exp`" (an input object's field)
    if text.starts_with("field `") && text.contains("` does not exist on `") && ticks.len() >= 4 {
        return format!("field '{}' not found in type: '{}'", ticks[1], ticks[3]);
    }
    // "`mutation` root operation type is not defined" (a role without mutations)
    if text.starts_with("`mutation` root operation type is not defined") {
        return "no mutations exist".to_string();
    }
    if text.starts_with("`subscription` root operation type is not defined") {
        return "no subscriptions exist".to_string();
    }
    // "value `x` does not exist on `colors_enum`" (an enum value the type does not have)
    if text.starts_with("value `") && text.contains("` does not exist on `") && ticks.len() >= 4 {
        return format!("unexpected value \"{}\" for enum: '{}'", ticks[1], ticks[3]);
    }
    // "expected value of type colors_enum, found a string" (a string where an enum value goes)
    if let Some(rest) = text.strip_prefix("expected value of type ") {
        if let Some((ty, _)) = rest.split_once(", found") {
            if is_enum(
                schema,
                ty.trim_matches(|c| c == '[' || c == ']' || c == '!'),
            ) {
                return "expecting an enum".to_string();
            }
        }
    }
    text.to_string()
}

/// A variable value that does not fit its declared type, at `$.variableValues.<name>`, in
/// Hasura's words for enums. apollo-compiler says "could not coerce variable NAME: VALUE to
/// type TYPE".
pub fn variable_error(schema: &Schema, text: &str) -> GqlError {
    let parsed = text
        .strip_prefix("could not coerce variable ")
        .and_then(|rest| rest.split_once(": "))
        .and_then(|(name, rest)| {
            let (value, ty) = rest.rsplit_once(" to type ")?;
            Some((
                name,
                value,
                ty.trim_matches(|c| c == '[' || c == ']' || c == '!'),
            ))
        });
    let Some((name, value, ty)) = parsed else {
        return GqlError::validation("$", request_error_message(text));
    };
    let path = format!("$.variableValues.{name}");
    match serde_json::from_str::<Value>(value) {
        Ok(Value::String(v)) if is_enum(schema, ty) => GqlError::validation(
            &path,
            format!("unexpected value {} for enum: '{ty}'", Value::String(v)),
        ),
        _ => GqlError::validation(&path, request_error_message(text)),
    }
}

/// Variable coercion errors, in Hasura's words where they differ.
pub fn request_error_message(text: &str) -> String {
    text.to_string()
}
