//! An operation over the socket: a query or mutation is answered once; a subscription is a live
//! query, re-run every refetch interval and sent only when its result changed.

use apollo_compiler::executable::OperationType;
use axum::extract::ws::Message;
use axum::http::HeaderMap;
use serde_json::Value;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rasura_exec::{Channel, GqlRequest};
use rasura_ir::stream::STREAM_CURSOR_KEY;

use crate::context::Context;
use crate::multiplex::Subscriber;
use crate::protocol::{complete, Protocol};

/// Running operations by id; an operation removes itself when it ends.
pub(crate) type Operations = Arc<Mutex<HashMap<String, tokio::task::AbortHandle>>>;

pub(crate) struct Operation {
    pub cx: Context,
    pub protocol: Protocol,
    pub headers: HeaderMap,
    pub session: rasura_ir::Session,
    pub id: String,
    pub req: GqlRequest,
    pub out: crate::outbox::Outbox,
    pub ops: Operations,
}

/// The root field's JSON text inside a response body `{"data":{"<key>":<root>}}`.
fn root_text(body: &[u8], key: &str) -> Option<String> {
    let prefix = format!("{{\"data\":{{{}:", Value::String(key.to_string()));
    let text = std::str::from_utf8(body).ok()?;
    text.strip_prefix(&prefix)?
        .strip_suffix("}}")
        .map(str::to_string)
}

pub(crate) async fn run(op: Operation) {
    let send = |m: Message| {
        op.out.send(m);
    };
    let mut last: Option<Vec<u8>> = None;
    let mut cursor: Option<Value> = None;
    let interval = crate::multiplex::refetch_interval();
    loop {
        let channel = Channel::WebSocket {
            stream_cursor: cursor.clone(),
        };
        match rasura_exec::run_as(
            &op.cx.engine,
            &op.headers,
            &op.session,
            op.req.clone(),
            channel,
        )
        .await
        {
            Err(e) => {
                let errors = e.body()["errors"].clone();
                send(op.protocol.error(&op.id, errors));
                if op.protocol == Protocol::Legacy {
                    send(complete(&op.id));
                }
                break;
            }
            Ok(ran) if ran.stream.is_some() => {
                // A stream: each non-empty batch goes out, and the cursor moves past it.
                let key = ran.stream.as_deref().unwrap_or_default();
                let mut payload: Value = serde_json::from_slice(&ran.body).unwrap_or(Value::Null);
                if let Some(Value::Array(rows)) =
                    payload.get_mut("data").and_then(|d| d.get_mut(key))
                {
                    for row in rows.iter_mut() {
                        if let Some(c) = row
                            .as_object_mut()
                            .and_then(|r| r.remove(STREAM_CURSOR_KEY))
                        {
                            cursor = Some(c);
                        }
                    }
                    if !rows.is_empty() {
                        send(op.protocol.data(&op.id, payload));
                    }
                } else {
                    send(op.protocol.data(&op.id, payload));
                }
            }
            Ok(ran) => {
                if last.as_ref() != Some(&ran.body) {
                    let payload: Value = serde_json::from_slice(&ran.body).unwrap_or(Value::Null);
                    send(op.protocol.data(&op.id, payload));
                }
                if ran.kind != OperationType::Subscription {
                    send(complete(&op.id));
                    break;
                }
                if let Some(shape) = &ran.live {
                    let source = match op.cx.engine.source_numbered(shape.source) {
                        Ok(s) => s,
                        Err(e) => {
                            let err = rasura_exec::GqlError::from_pg(&e, "");
                            send(op.protocol.error(&op.id, err.body()["errors"].clone()));
                            break;
                        }
                    };
                    // From now on the shared poller answers; leaving it is dropping this.
                    let _membership = op.cx.hub.join(
                        &source,
                        shape,
                        root_text(&ran.body, &shape.key),
                        Subscriber {
                            id: op.id.clone(),
                            protocol: op.protocol,
                            out: op.out.clone(),
                        },
                    );
                    std::future::pending::<()>().await;
                }
                last = Some(ran.body);
            }
        }
        tokio::time::sleep(interval).await;
    }
    op.ops.lock().expect("operations lock").remove(&op.id);
}
