//! An operation over the socket: a query or mutation is answered once; a subscription is a live
//! query, re-run every refetch interval and sent only when its result changed.

use std::time::Duration;

use apollo_compiler::executable::OperationType;
use axum::extract::ws::Message;
use axum::http::HeaderMap;
use serde_json::Value;
use tokio::sync::mpsc;

use super::connection::Operations;
use super::protocol::{complete, Protocol};
use crate::graphql::GqlRequest;
use crate::state::AppState;

pub(super) struct Operation {
    pub state: AppState,
    pub protocol: Protocol,
    pub headers: HeaderMap,
    pub session: rasura_ir::Session,
    pub id: String,
    pub req: GqlRequest,
    pub out: mpsc::UnboundedSender<Message>,
    pub ops: Operations,
}

/// `HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL` (ms), 1 s by default.
fn refetch_interval() -> Duration {
    [
        "RASURA_LIVE_QUERIES_REFETCH_INTERVAL",
        "HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL",
    ]
    .iter()
    .find_map(|n| std::env::var(n).ok()?.parse::<u64>().ok())
    .map_or(Duration::from_secs(1), Duration::from_millis)
}

pub(super) async fn run(op: Operation) {
    let send = |m: Message| {
        let _ = op.out.send(m);
    };
    let mut last: Option<Vec<u8>> = None;
    loop {
        match crate::graphql::run_as(&op.state, &op.headers, &op.session, op.req.clone(), true)
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
            Ok((bytes, kind)) => {
                if last.as_ref() != Some(&bytes) {
                    let payload: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                    send(op.protocol.data(&op.id, payload));
                    last = Some(bytes);
                }
                if kind != OperationType::Subscription {
                    send(complete(&op.id));
                    break;
                }
            }
        }
        tokio::time::sleep(refetch_interval()).await;
    }
    op.ops.lock().expect("operations lock").remove(&op.id);
}
