//! The lines about GraphQL work: `query-log` (the SQL a request runs) and `websocket-log`
//! (a WebSocket connection's life and operations).

use serde_json::{json, Value};

use crate::{emit, enabled, http, Level};

/// A `query-log` line (when enabled): the GraphQL request and each root field's generated SQL
/// with its parameters; `kind` is `database`, `action`, `remote-schema` or `introspection`.
pub fn query_log(query: Value, generated_sql: Value, kind: &str) {
    if !enabled("query-log", Level::Info) {
        return;
    }
    emit(
        "query-log",
        Level::Info,
        json!({
            "query": query,
            "generated_sql": generated_sql,
            "kind": kind,
            "request_id": http::request_id(),
        }),
    );
}

/// A `websocket-log` line: the connection (`websocket_id`), the session's variables once
/// known, and the event (`{"type": "accepted" | "closed" | "rejected" | "operation", ...}`).
pub fn websocket(websocket_id: &str, user_vars: Option<Value>, event: Value, level: Level) {
    if !enabled("websocket-log", level) {
        return;
    }
    emit(
        "websocket-log",
        level,
        json!({
            "connection_info": {"websocket_id": websocket_id, "token_expiry": null, "msg": null},
            "user_vars": user_vars,
            "event": event,
        }),
    );
}
