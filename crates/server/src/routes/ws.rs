//! `GET /v1/graphql` with `Upgrade: websocket`: the origin checked against the CORS domains,
//! the sub-protocol chosen, and the socket handed to `rasura_subscriptions::serve`.

use axum::extract::{State, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::Response;

use rasura_subscriptions::Protocol;

use crate::cors::CorsConfig;
use crate::state::AppState;

/// `GET /v1/graphql` with `Upgrade: websocket`.
pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    open(state, headers, ws, false)
}

/// `GET /v1beta1/relay` with `Upgrade: websocket`: the same, against the Relay schema.
pub async fn upgrade_relay(
    State(state): State<AppState>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    open(state, headers, ws, true)
}

fn open(state: AppState, headers: HeaderMap, ws: WebSocketUpgrade, relay: bool) -> Response {
    // With a list of CORS domains, a browser page of another origin may not open a socket
    // (Hasura answers 400 before the handshake).
    if let CorsConfig::Domains(_) = &*state.cors {
        let origin = headers
            .get(axum::http::header::ORIGIN)
            .and_then(|o| o.to_str().ok());
        if origin.is_some_and(|o| !state.cors.allows(o)) {
            return crate::wire_error::api_error(&rasura_control::ApiError::bad_request(
                "access-denied",
                "received origin header does not match configured CORS domains",
            ));
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
    let cx = state.socket_context(relay);
    ws.on_upgrade(move |socket| rasura_subscriptions::serve(socket, cx, headers, protocol))
}
