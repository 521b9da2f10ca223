//! The `http-log` line of each request. Handlers add what only they know (the session's
//! variables, the error, the operation type) to the request's note while it runs; the HTTP
//! layer writes the line when the response is made.

use std::cell::RefCell;
use std::future::Future;

use serde_json::{json, Map, Value};

use crate::Level;

tokio::task_local! {
    static NOTE: RefCell<Note>;
}

/// What handlers tell the log about the request they serve.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Note {
    /// The session's variables (`x-hasura-role`, ...), once authenticated.
    pub user_vars: Option<Value>,
    /// The error the request was answered with, as `{code, error, path}`.
    pub error: Option<Value>,
    /// `{"type": ...}`: a metadata request's operation type (`null` for GraphQL).
    pub query: Option<Value>,
    /// `single`, `batched` or `non-graphql`.
    pub request_mode: Option<&'static str>,
    /// The request's id (set by the HTTP layer).
    pub request_id: Option<String>,
}

/// Changes the current request's note (nothing outside a request).
/// Changes the current request's note (nothing outside a request, or when no `http-log` line
/// can be written: handlers then build nothing for it).
pub fn note(f: impl FnOnce(&mut Note)) {
    if !crate::enabled("http-log", Level::Error) {
        return;
    }
    let _ = NOTE.try_with(|n| f(&mut n.borrow_mut()));
}

/// A session's `user_vars` as Hasura logs them: its role and its variables.
pub fn user_vars<'a>(
    role: &str,
    vars: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> Value {
    let mut out = Map::new();
    out.insert("x-hasura-role".into(), role.into());
    for (k, v) in vars {
        out.insert(k.clone(), v.clone().into());
    }
    Value::Object(out)
}

/// The id of the request being served, if any.
pub fn request_id() -> Option<String> {
    NOTE.try_with(|n| n.borrow().request_id.clone())
        .ok()
        .flatten()
}

/// Runs `fut` (the request `id`) with a fresh note; returns its output and the note it left.
pub async fn scope<F: Future>(id: &str, fut: F) -> (F::Output, Note) {
    let note = Note {
        request_id: Some(id.to_string()),
        ..Note::default()
    };
    NOTE.scope(RefCell::new(note), async {
        let out = fut.await;
        (out, NOTE.with(|n| n.take()))
    })
    .await
}

/// The HTTP side of a request.
#[derive(Debug, Clone)]
pub struct HttpInfo {
    pub status: u16,
    pub method: String,
    /// The path, without the query string.
    pub url: String,
    pub ip: String,
    pub http_version: &'static str,
}

/// Writes the request's `http-log` line: level `error` when it was answered with an error.
pub fn log(
    request_id: &str,
    http: &HttpInfo,
    note: Note,
    seconds: f64,
    response_size: Option<u64>,
) {
    let level = if note.error.is_some() {
        Level::Error
    } else {
        Level::Info
    };
    if !crate::enabled("http-log", level) {
        return;
    }
    crate::emit(
        "http-log",
        level,
        detail(request_id, http, note, seconds, response_size),
    );
}

fn detail(
    request_id: &str,
    http: &HttpInfo,
    note: Note,
    seconds: f64,
    response_size: Option<u64>,
) -> Value {
    let mut op = Map::new();
    op.insert("request_id".into(), json!(request_id));
    if let Some(v) = note.user_vars {
        op.insert("user_vars".into(), v);
    }
    let mode = if note.error.is_some() {
        "error"
    } else {
        note.request_mode.unwrap_or("non-graphql")
    };
    op.insert("request_mode".into(), json!(mode));
    op.insert(
        "query".into(),
        note.query.unwrap_or_else(|| json!({"type": null})),
    );
    if let Some(e) = note.error {
        op.insert("error".into(), e);
    }
    op.insert("query_execution_time".into(), json!(seconds));
    if let Some(n) = response_size {
        op.insert("response_size".into(), json!(n));
        op.insert("uncompressed_response_size".into(), json!(n));
    }
    json!({
        "request_id": request_id,
        "operation": op,
        "http_info": {
            "status": http.status,
            "http_version": http.http_version,
            "url": http.url,
            "ip": http.ip,
            "method": http.method,
            "content_encoding": null,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn handlers_notes_reach_the_line() {
        let ((), n) = scope("id-1", async {
            assert_eq!(request_id().as_deref(), Some("id-1"));
            note(|n| n.user_vars = Some(json!({"x-hasura-role": "user"})));
            note(|n| {
                n.error = Some(json!({"code": "validation-failed", "error": "x", "path": "$"}))
            });
        })
        .await;
        let http = HttpInfo {
            status: 200,
            method: "POST".into(),
            url: "/v1/graphql".into(),
            ip: "127.0.0.1".into(),
            http_version: "HTTP/1.1",
        };
        let d = detail("id-1", &http, n, 0.5, Some(10));
        assert_eq!(d["operation"]["request_mode"], "error");
        assert_eq!(d["operation"]["user_vars"]["x-hasura-role"], "user");
        assert_eq!(d["operation"]["error"]["code"], "validation-failed");
        assert_eq!(d["http_info"]["url"], "/v1/graphql");
        assert_eq!(d["request_id"], "id-1");
        // Outside a request a note goes nowhere.
        note(|n| n.request_mode = Some("single"));
    }
}
