//! The two sub-protocols' messages, as the server writes them.

use axum::extract::ws::{CloseFrame, Message};
use serde_json::{json, Value};

/// Which sub-protocol a socket speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `graphql-transport-ws` (the graphql-ws library).
    TransportWs,
    /// `graphql-ws` (Apollo's subscriptions-transport-ws).
    Legacy,
}

impl Protocol {
    pub const TRANSPORT_WS: &'static str = "graphql-transport-ws";
    pub const LEGACY: &'static str = "graphql-ws";

    /// A result for operation `id`.
    pub fn data(self, id: &str, payload: Value) -> Message {
        let kind = match self {
            Protocol::TransportWs => "next",
            Protocol::Legacy => "data",
        };
        text(json!({"type": kind, "id": id, "payload": payload}))
    }

    /// Errors that stopped operation `id` before it ran (`errors` as in a response body).
    pub fn error(self, id: &str, errors: Value) -> Message {
        match self {
            Protocol::TransportWs => text(json!({"type": "error", "id": id, "payload": errors})),
            Protocol::Legacy => {
                text(json!({"type": "error", "id": id, "payload": {"errors": errors}}))
            }
        }
    }

    /// A keep-alive.
    pub fn keep_alive(self) -> Message {
        match self {
            Protocol::TransportWs => {
                text(json!({"type": "ping", "payload": {"message": "keepalive"}}))
            }
            Protocol::Legacy => text(json!({"type": "ka"})),
        }
    }
}

pub fn text(v: Value) -> Message {
    Message::Text(v.to_string().into())
}

pub fn complete(id: &str) -> Message {
    text(json!({"type": "complete", "id": id}))
}

pub fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.to_string().into(),
    }))
}
