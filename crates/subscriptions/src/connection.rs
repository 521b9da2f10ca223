//! One WebSocket connection: its session (settled at `connection_init`), its operations, its
//! keep-alives. Bad input gets the protocol's error or close code and touches nothing else.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{json, Value};

use rasura_exec::GqlRequest;

use crate::context::Context;
use crate::live::Operations;
use crate::protocol::{close, complete, text, Protocol};

/// Seconds from the first of `names` that is set to a positive number, else `default`.
fn seconds(names: [&str; 2], default: u64) -> Duration {
    let secs = names
        .iter()
        .find_map(|n| std::env::var(n).ok()?.trim().parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(default);
    Duration::from_secs(secs)
}

/// How long `graphql-transport-ws` waits for `connection_init` (default 3 s).
fn init_timeout() -> Duration {
    seconds(
        [
            "RASURA_WEBSOCKET_CONNECTION_INIT_TIMEOUT",
            "HASURA_GRAPHQL_WEBSOCKET_CONNECTION_INIT_TIMEOUT",
        ],
        3,
    )
}

/// Keep-alive period (default 5 s).
fn keep_alive() -> Duration {
    seconds(
        [
            "RASURA_WEBSOCKET_KEEPALIVE",
            "HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE",
        ],
        5,
    )
}

/// Upgrade-request headers that say nothing about the client.
const WS_HEADERS: [&str; 5] = [
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-extensions",
    "upgrade",
    "connection",
];

struct Conn {
    /// This connection's id in the logs.
    ws_id: String,
    cx: Context,
    protocol: Protocol,
    upgrade_headers: HeaderMap,
    /// The headers operations run with: `connection_init`'s, then the upgrade request's.
    headers: HeaderMap,
    session: Option<rasura_ir::Session>,
    /// When the session's JWT expires: the socket closes then.
    expires: Option<tokio::time::Instant>,
    inits: u32,
    ops: Operations,
    out: crate::outbox::Outbox,
}

/// What the connection does after a client message.
enum Flow {
    Continue,
    Close(u16, String),
}

/// A WebSocket connection in `hasura_websocket_connections` (and out of
/// `hasura_http_connections`, which counts the others) while it lives.
struct SocketCounted;

impl SocketCounted {
    fn new() -> SocketCounted {
        metrics::gauge!("hasura_websocket_connections").increment(1.0);
        metrics::gauge!("hasura_http_connections").decrement(1.0);
        SocketCounted
    }
}

impl Drop for SocketCounted {
    fn drop(&mut self) {
        metrics::gauge!("hasura_websocket_connections").decrement(1.0);
        metrics::gauge!("hasura_http_connections").increment(1.0);
    }
}

pub async fn serve(
    mut socket: WebSocket,
    cx: Context,
    upgrade_headers: HeaderMap,
    protocol: Protocol,
) {
    let _counted = SocketCounted::new();
    let (out, mut outgoing) = crate::outbox::channel(crate::outbox::MAX_QUEUED_BYTES);
    let mut conn = Conn {
        ws_id: rasura_log::request_id::new(),
        cx,
        protocol,
        upgrade_headers,
        headers: HeaderMap::new(),
        session: None,
        expires: None,
        inits: 0,
        ops: Arc::default(),
        out,
    };
    conn.ws_log(json!({"type": "accepted"}), rasura_log::Level::Info);
    let overflow = outgoing.overflow();
    let init_deadline = tokio::time::sleep(init_timeout());
    tokio::pin!(init_deadline);
    let mut keep_alive = tokio::time::interval(keep_alive());
    keep_alive.reset();
    loop {
        // Both protocols: a socket that never says `connection_init` does not stay.
        let waiting_for_init = conn.session.is_none();
        tokio::select! {
            incoming = socket.recv() => {
                let flow = match incoming {
                    Some(Ok(Message::Text(t))) => conn.handle(t.as_str()).await,
                    Some(Ok(Message::Binary(b))) => match std::str::from_utf8(&b) {
                        Ok(t) => conn.handle(t).await,
                        Err(_) => conn.unparsable("not UTF-8 text"),
                    },
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => Flow::Continue,
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                };
                if let Flow::Close(code, reason) = flow {
                    while let Some(m) = outgoing.try_recv() {
                        if !send_in_time(&mut socket, m).await {
                            break;
                        }
                    }
                    let _ = socket.send(close(code, &reason)).await;
                    break;
                }
            }
            Some(m) = outgoing.recv() => {
                if !send_in_time(&mut socket, m).await {
                    break;
                }
            }
            () = overflow.wait() => {
                tracing::warn!(queued = outgoing.queued(), "closing a WebSocket whose client does not read what it is sent");
                let _ = tokio::time::timeout(SEND_TIMEOUT, socket.send(close(1008, "the client is not reading its messages"))).await;
                break;
            }
            _ = keep_alive.tick(), if conn.session.is_some() => {
                if !send_in_time(&mut socket, protocol.keep_alive()).await {
                    break;
                }
            }
            _ = tokio::time::sleep_until(conn.expires.unwrap_or_else(tokio::time::Instant::now)), if conn.expires.is_some() => {
                let _ = socket.send(close(4403, "Forbidden: the JWT expired")).await;
                break;
            }
            _ = &mut init_deadline, if waiting_for_init => {
                let _ = socket.send(close(4408, "Connection initialisation timeout")).await;
                break;
            }
        }
    }
    for (_, op) in conn.ops.lock().expect("operations lock").drain() {
        op.abort();
    }
    conn.ws_log(json!({"type": "closed"}), rasura_log::Level::Info);
}

/// How long one message may take to go out before the client counts as gone.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends `m`; false when the socket failed or the client did not take it in time.
async fn send_in_time(socket: &mut WebSocket, m: Message) -> bool {
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, socket.send(m)).await,
        Ok(Ok(()))
    )
}

impl Conn {
    fn send(&self, m: Message) {
        self.out.send(m);
    }

    fn unparsable(&self, why: &str) -> Flow {
        match self.protocol {
            Protocol::TransportWs => {
                Flow::Close(4400, format!("Parsing client message failed: {why}"))
            }
            Protocol::Legacy => {
                self.send(text(json!({"type": "connection_error", "payload": format!("parsing ClientMessage failed: {why}")})));
                Flow::Continue
            }
        }
    }

    /// A `websocket-log` line about this connection.
    fn ws_log(&self, event: Value, level: rasura_log::Level) {
        if !rasura_log::enabled("websocket-log", level) {
            return;
        }
        let user_vars = self
            .session
            .as_ref()
            .map(|s| rasura_log::http::user_vars(&s.role, &s.vars));
        rasura_log::graphql::websocket(&self.ws_id, user_vars, event, level);
    }

    /// The `websocket-log` line of an operation's start or end.
    fn op_log(&self, id: &str, name: Option<&str>, what: &str) {
        if !rasura_log::enabled("websocket-log", rasura_log::Level::Info) {
            return;
        }
        self.ws_log(
            json!({"type": "operation", "detail": {
                "operation_id": id,
                "operation_name": name,
                "operation_type": {"type": what},
                "query": null,
                "request_id": rasura_log::request_id::new(),
            }}),
            rasura_log::Level::Info,
        );
    }

    async fn handle(&mut self, raw: &str) -> Flow {
        let msg: Value = match serde_json::from_str(raw) {
            Ok(v @ Value::Object(_)) => v,
            Ok(_) => return self.unparsable("expected a JSON object"),
            Err(e) => return self.unparsable(&e.to_string()),
        };
        let id = msg.get("id").and_then(Value::as_str).map(str::to_string);
        match (self.protocol, msg.get("type").and_then(Value::as_str)) {
            (_, Some("connection_init")) => self.init(msg.get("payload")).await,
            (Protocol::TransportWs, Some("ping")) => {
                let mut pong = json!({"type": "pong"});
                if let Some(p) = msg.get("payload") {
                    pong["payload"] = p.clone();
                }
                self.send(text(pong));
                Flow::Continue
            }
            (Protocol::TransportWs, Some("pong")) => Flow::Continue,
            (Protocol::TransportWs, Some("subscribe")) | (Protocol::Legacy, Some("start")) => {
                match id {
                    Some(id) => self.start(id, msg.get("payload").cloned().unwrap_or_default()),
                    None => self.unparsable("an operation needs an id"),
                }
            }
            (Protocol::TransportWs, Some("complete")) | (Protocol::Legacy, Some("stop")) => {
                if let Some(id) = id {
                    let removed = self.ops.lock().expect("operations lock").remove(&id);
                    if let Some(op) = removed {
                        op.abort();
                        self.op_log(&id, None, "stopped");
                        if self.protocol == Protocol::Legacy {
                            self.send(complete(&id));
                        }
                    }
                }
                Flow::Continue
            }
            (Protocol::Legacy, Some("connection_terminate")) => {
                Flow::Close(1000, "Normal Closure".into())
            }
            (_, other) => self.unparsable(&format!(
                "unknown message type {:?}",
                other.unwrap_or("(none)")
            )),
        }
    }

    async fn init(&mut self, payload: Option<&Value>) -> Flow {
        self.inits += 1;
        if self.protocol == Protocol::TransportWs && self.inits > 1 {
            return Flow::Close(4429, "Too many initialisation requests".into());
        }
        // `connection_init`'s headers first, then the upgrade request's (the first one wins).
        let mut headers = HeaderMap::new();
        for (k, v) in &self.upgrade_headers {
            if !WS_HEADERS.contains(&k.as_str()) {
                headers.insert(k.clone(), v.clone());
            }
        }
        if let Some(Value::Object(given)) = payload.and_then(|p| p.get("headers")) {
            for (k, v) in given {
                if let (Ok(name), Some(Ok(value))) = (
                    HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes()),
                    v.as_str().map(HeaderValue::from_str),
                ) {
                    headers.insert(name, value);
                }
            }
        }
        let mut cookies = vec![];
        match rasura_auth::authenticate(&self.cx.auth, &headers, &Value::Null, &mut cookies).await {
            Ok(session) => {
                self.expires = self.jwt_expiry(&headers);
                self.session = Some(session);
                self.headers = headers;
                self.send(text(json!({"type": "connection_ack"})));
                if self.protocol == Protocol::Legacy {
                    self.send(self.protocol.keep_alive());
                }
                Flow::Continue
            }
            Err(e) => {
                self.ws_log(
                    json!({"type": "rejected", "detail": {"code": e.code, "error": e.message, "path": "$"}}),
                    rasura_log::Level::Error,
                );
                self.refuse_init(e)
            }
        }
    }

    /// The answer to a `connection_init` whose credentials were refused.
    fn refuse_init(&self, e: rasura_auth::AuthError) -> Flow {
        match self.protocol {
            Protocol::TransportWs => Flow::Close(4403, "Forbidden".into()),
            Protocol::Legacy => {
                self.send(text(
                    json!({"type": "connection_error", "payload": e.message}),
                ));
                Flow::Close(
                    4400,
                    format!("Connection initialization failed: {}", e.message),
                )
            }
        }
    }

    /// The expiry of the JWT the session came from (none when the admin secret was used).
    fn jwt_expiry(&self, headers: &HeaderMap) -> Option<tokio::time::Instant> {
        let jwt = self.cx.auth.jwt.as_ref()?;
        if headers.contains_key("x-hasura-admin-secret")
            || headers.contains_key("x-hasura-access-key")
        {
            return None;
        }
        let token = rasura_auth::jwt::token(jwt, headers).ok()??;
        let exp = rasura_auth::jwt::expiry(jwt, &token)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        Some(tokio::time::Instant::now() + Duration::from_secs(exp.saturating_sub(now)))
    }

    fn start_failed(&self, id: &str, message: &str) {
        let errors =
            json!([{"message": message, "extensions": {"path": "$", "code": "start-failed"}}]);
        self.send(self.protocol.error(id, errors));
        if self.protocol == Protocol::Legacy {
            self.send(complete(id));
        }
    }

    fn start(&mut self, id: String, payload: Value) -> Flow {
        let Some(session) = self.session.clone() else {
            return match self.protocol {
                Protocol::TransportWs => Flow::Close(4401, "Unauthorized".into()),
                Protocol::Legacy => {
                    self.start_failed(
                        &id,
                        "cannot start as connection_init failed or was not sent",
                    );
                    Flow::Continue
                }
            };
        };
        let ops = self.ops.lock().expect("operations lock");
        if ops.contains_key(&id) {
            drop(ops);
            return match self.protocol {
                Protocol::TransportWs => {
                    Flow::Close(4409, format!("Subscriber for {id} already exists"))
                }
                Protocol::Legacy => {
                    self.start_failed(&id, &format!("an operation already running has id {id:?}"));
                    Flow::Continue
                }
            };
        }
        let req: GqlRequest = match serde_json::from_value(payload) {
            Ok(r) => GqlRequest {
                relay: self.cx.relay,
                ..r
            },
            Err(e) => {
                drop(ops);
                let errors = json!([{"message": e.to_string(), "extensions": {"path": "$", "code": "parse-failed"}}]);
                self.send(self.protocol.error(&id, errors));
                if self.protocol == Protocol::Legacy {
                    self.send(complete(&id));
                }
                return Flow::Continue;
            }
        };
        drop(ops);
        self.op_log(&id, req.operation_name.as_deref(), "started");
        let mut ops = self.ops.lock().expect("operations lock");
        let task = tokio::spawn(crate::live::run(crate::live::Operation {
            cx: self.cx.clone(),
            protocol: self.protocol,
            headers: self.headers.clone(),
            session,
            id: id.clone(),
            req,
            out: self.out.clone(),
            ops: self.ops.clone(),
        }));
        ops.insert(id, task.abort_handle());
        Flow::Continue
    }
}
