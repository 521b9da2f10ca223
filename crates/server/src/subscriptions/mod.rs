//! GraphQL over WebSocket on `/v1/graphql`: both sub-protocols (`graphql-transport-ws` of the
//! graphql-ws library, and the legacy `graphql-ws` of subscriptions-transport-ws), auth at
//! `connection_init`, queries and mutations answered once, subscriptions as live queries
//! (`live`) that send a result only when it changed.

mod connection;
mod live;
pub mod multiplex;
mod outbox;
mod protocol;

use axum::extract::{State, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::Response;

use crate::state::AppState;
pub use protocol::Protocol;

/// `GET /v1/graphql` with `Upgrade: websocket`.
pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    // With a list of CORS domains, a browser page of another origin may not open a socket
    // (Hasura answers 400 before the handshake).
    if let crate::cors::CorsConfig::Domains(_) = &state.config.cors {
        let origin = headers
            .get(axum::http::header::ORIGIN)
            .and_then(|o| o.to_str().ok());
        if origin.is_some_and(|o| !state.config.cors.allows(o)) {
            use axum::response::IntoResponse;
            return crate::wire_error::ApiError::bad_request(
                "access-denied",
                "received origin header does not match configured CORS domains",
            )
            .into_response();
        }
    }
    // Small socket buffers (the library's default is 128 KiB each way): a thousand idle sockets
    // cost megabytes, not a gigabyte; larger messages still pass, in more reads.
    let ws = ws
        .protocols([Protocol::TRANSPORT_WS, Protocol::LEGACY])
        .read_buffer_size(8 << 10)
        .write_buffer_size(8 << 10);
    let protocol = match ws.selected_protocol().and_then(|p| p.to_str().ok()) {
        Some(Protocol::TRANSPORT_WS) => Protocol::TransportWs,
        _ => Protocol::Legacy,
    };
    ws.on_upgrade(move |socket| connection::serve(socket, state, headers, protocol))
}
