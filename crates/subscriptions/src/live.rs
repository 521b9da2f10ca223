//! An operation over the socket: a query or mutation is answered once; a subscription is a live
//! query, re-run every refetch interval and sent only when its result changed.

use apollo_compiler::executable::OperationType;
use axum::extract::ws::Message;
use axum::http::HeaderMap;
use serde_json::Value;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rasura_exec::{Channel, GqlRequest};

use crate::context::Context;
use crate::multiplex::{Membership, Subscriber};
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
    // Boxed: the request's state is large and lives only while it runs, not for as long as
    // the subscription is held.
    let joined = Box::pin(serve(&op)).await;
    let Operation { ops, id, .. } = op;
    match joined {
        // The shared poller answers from now on: only the membership is kept (leaving the
        // poller is dropping it, when the connection aborts this task).
        Some(membership) => {
            drop((ops, id));
            let _membership = membership;
            std::future::pending::<()>().await
        }
        None => {
            ops.lock().expect("operations lock").remove(&id);
        }
    }
}

/// Runs the operation until it ends (`None`) or is handed to the shared poller of its
/// statement (its membership).
async fn serve(op: &Operation) -> Option<Membership> {
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
        // A turn among the requests running at once; waiting at most a second, so that slow
        // ones (a remote's answer, say) cannot hold the others back for long.
        let turn = op.cx.hub.running.acquire();
        let permit = tokio::time::timeout(std::time::Duration::from_secs(1), turn).await;
        let ran = rasura_exec::run_as(
            &op.cx.engine,
            &op.headers,
            &op.session,
            op.req.clone(),
            channel,
        )
        .await;
        drop(permit);
        match ran {
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
                    if let Some(c) = crate::multiplex::take_cursors(rows) {
                        cursor = Some(c);
                    }
                    if !rows.is_empty() {
                        send(op.protocol.data(&op.id, payload));
                    }
                } else {
                    send(op.protocol.data(&op.id, payload));
                }
                // Shared from now on: the poller reads past this subscriber's cursor.
                if let Some(shape) = ran.live.as_ref().filter(|s| s.cursor.is_some()) {
                    let mut shape = shape.clone();
                    if let (Some(i), Some(c)) = (shape.cursor, &cursor) {
                        if let Some(slot) = shape.params.get_mut(i) {
                            *slot = crate::multiplex::cursor_text(c);
                        }
                    }
                    return join(op, &shape, None);
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
                    return join(op, shape, root_text(&ran.body, &shape.key));
                }
                last = Some(ran.body);
            }
        }
        tokio::time::sleep(interval).await;
    }
    None
}

/// Hands the operation to the shared poller of its statement; `None` (the error sent) if its
/// source is gone.
fn join(
    op: &Operation,
    shape: &rasura_exec::LiveShape,
    first: Option<String>,
) -> Option<Membership> {
    let source = match op.cx.engine.source_numbered(shape.source) {
        Ok(s) => s,
        Err(e) => {
            let err = rasura_exec::GqlError::from_pg(&e, "");
            op.out
                .send(op.protocol.error(&op.id, err.body()["errors"].clone()));
            return None;
        }
    };
    Some(op.cx.hub.join(
        &source,
        shape,
        first,
        Subscriber {
            id: op.id.clone(),
            protocol: op.protocol,
            out: op.out.clone(),
        },
    ))
}
