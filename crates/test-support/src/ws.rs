//! GraphQL over WebSocket for tests: a `graphql-transport-ws` connection with one
//! subscription, and the data of its next answers.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// A client WebSocket.
pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connects to `ws://127.0.0.1:<port><path>` with `graphql-transport-ws`, sends
/// `connection_init` (with `payload`) and subscribes to `query` as id `1`.
pub async fn subscribe(port: u16, path: &str, payload: Value, query: &str) -> Socket {
    let mut req = format!("ws://127.0.0.1:{port}{path}")
        .into_client_request()
        .expect("a WebSocket request");
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("a header value"),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("the WebSocket opens");
    for m in [
        json!({"type": "connection_init", "payload": payload}),
        json!({"type": "subscribe", "id": "1", "payload": {"query": query}}),
    ] {
        ws.send(Message::Text(m.to_string().into()))
            .await
            .expect("sent");
    }
    ws
}

/// The `data` of the next `next` message (an `error` message fails the test), within 10 s.
pub async fn next_data(ws: &mut Socket) -> Value {
    loop {
        let m = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("a message in time")
            .expect("the socket is open")
            .expect("a message");
        if let Message::Text(t) = m {
            let v: Value = serde_json::from_str(&t).expect("JSON");
            if v["type"] == "next" {
                return v["payload"]["data"].clone();
            }
            assert_ne!(v["type"], "error", "{v}");
        }
    }
}
