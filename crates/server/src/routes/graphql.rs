//! `POST /v1/graphql` and `/v1alpha1/graphql`: the body (one request or a batch), auth, then
//! each request through `rasura_exec::run_as`; cookies an auth webhook sets reach the client.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rasura_exec::request::RequestBody;
use rasura_exec::{run_as, Channel, GqlError, GqlRequest};
use serde_json::Value;
use tracing::Instrument;

use crate::state::AppState;
use crate::wire_error::{graphql_error, json_bytes, Endpoint};

/// The client's address, if the connection's acceptor gave it.
pub(super) type Peer = Option<axum::Extension<crate::PeerAddr>>;

pub(super) fn peer_ip(peer: &Peer) -> Option<std::net::IpAddr> {
    peer.as_ref().map(|p| p.0 .0)
}

pub async fn v1(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(&state, &headers, peer_ip(&peer), &body, Endpoint::V1).await
}

pub async fn v1alpha1(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(&state, &headers, peer_ip(&peer), &body, Endpoint::V1Alpha1).await
}

/// `POST /v1beta1/relay`: GraphQL against the role's Relay schema.
pub async fn relay(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle(&state, &headers, peer_ip(&peer), &body, Endpoint::Relay).await
}

async fn handle(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<std::net::IpAddr>,
    body: &[u8],
    endpoint: Endpoint,
) -> Response {
    let mut body = match rasura_exec::request::parse_body(body) {
        Ok(b) => b,
        Err(e) => {
            crate::http_log::note_error(e.code, &e.message, &e.path);
            return graphql_error(&e, endpoint);
        }
    };
    rasura_log::http::note(|n| {
        n.request_mode = Some(match &body {
            RequestBody::Single(_) => "single",
            RequestBody::Batch(_) => "batched",
        })
    });
    if endpoint == Endpoint::Relay {
        match &mut body {
            RequestBody::Single(r) => r.relay = true,
            RequestBody::Batch(rs) => rs.iter_mut().for_each(|r| r.relay = true),
        }
    }
    let mut cookies = vec![];
    let max_batch = match &body {
        RequestBody::Batch(_) => batch_limit(state, headers).await,
        RequestBody::Single(_) => usize::MAX,
    };
    let mut response = match body {
        RequestBody::Single(req) => match run(state, headers, peer, req, &mut cookies).await {
            Ok(bytes) => json_bytes(StatusCode::OK, bytes),
            Err(e) => {
                crate::http_log::note_error(e.code, &e.message, &e.path);
                graphql_error(&e, endpoint)
            }
        },
        RequestBody::Batch(reqs) if reqs.len() > max_batch => graphql_error(
            &GqlError::validation(
                "$",
                format!(
                    "the batch has {} operations, over the limit of {max_batch}",
                    reqs.len(),
                ),
            ),
            endpoint,
        ),
        RequestBody::Batch(reqs) => {
            let mut reqs = std::collections::VecDeque::from(reqs);
            // The first answer is made before the response starts: it settles the cookies an
            // auth webhook asks to set (it answers the same for every request of the batch).
            let first = match reqs.pop_front() {
                Some(req) => Some(answer(run(state, headers, peer, req, &mut cookies).await)),
                None => None,
            };
            batch_response(state.clone(), headers.clone(), peer, first, reqs)
        }
    };
    // Cookies the auth webhook asked to set reach the client.
    for c in cookies {
        if let Ok(v) = axum::http::HeaderValue::from_str(&c) {
            response
                .headers_mut()
                .append(axum::http::header::SET_COOKIE, v);
        }
    }
    response
}

/// The most operations a batch may hold: `--max-batch-size`, or less by the caller's role's
/// API batch limit (the caller is authenticated for it only when such a limit exists).
async fn batch_limit(state: &AppState, headers: &HeaderMap) -> usize {
    let configured = state.engine.config.limits.max_batch;
    let limits = state.engine.current().api_limits.clone();
    if limits.batch_limit.is_none() || limits.disabled {
        return configured;
    }
    let role =
        match rasura_auth::authenticate(&state.auth, headers, &Value::Null, &mut vec![]).await {
            Ok(session) => session.role,
            // Refused anyway when its operations run.
            Err(_) => return configured,
        };
    match limits.for_role(&role).batch {
        Some(b) => configured.min(usize::try_from(b).unwrap_or(usize::MAX)),
        None => configured,
    }
}

/// One request's answer in a batch: its body, or its error's.
fn answer(ran: Result<Vec<u8>, GqlError>) -> Vec<u8> {
    ran.unwrap_or_else(|e| e.body().to_string().into_bytes())
}

/// A batch's answer, streamed: each request runs when the client has taken the answers before
/// it, so a batch of large answers (introspection) is never held whole in memory.
fn batch_response(
    state: AppState,
    headers: HeaderMap,
    peer: Option<std::net::IpAddr>,
    first: Option<Vec<u8>>,
    rest: std::collections::VecDeque<GqlRequest>,
) -> Response {
    let chunks = batch_chunks(first, rest, move |req| {
        let (state, headers) = (state.clone(), headers.clone());
        async move { answer(run(&state, &headers, peer, req, &mut vec![]).await) }
    });
    (
        StatusCode::OK,
        [(
            axum::http::header::CONTENT_TYPE,
            "application/json; charset=utf-8",
        )],
        axum::body::Body::from_stream(chunks),
    )
        .into_response()
}

type Chunk = Result<Bytes, std::convert::Infallible>;

/// A batch's answer in chunks: `[` with the first answer, `,` with each later one (`answer`
/// runs it when the chunk is asked for), then `]`. Before each later answer the other tasks of
/// the serving thread (a new connection, say) get their turn: a batch of large answers kept its
/// thread to itself for the whole batch, 20-60 ms, before.
fn batch_chunks<R, F, A>(
    first: Option<Vec<u8>>,
    rest: std::collections::VecDeque<R>,
    answer: F,
) -> impl futures_util::Stream<Item = Chunk>
where
    F: FnMut(R) -> A,
    A: std::future::Future<Output = Vec<u8>>,
{
    use futures_util::stream::{self, StreamExt};
    let head = stream::once(async move {
        let mut b = Vec::with_capacity(first.as_ref().map_or(1, |f| f.len() + 1));
        b.push(b'[');
        b.extend(first.unwrap_or_default());
        Chunk::Ok(Bytes::from(b))
    });
    let tail = stream::unfold((answer, rest), |(mut answer, mut rest)| async move {
        let req = rest.pop_front()?;
        tokio::task::yield_now().await;
        let mut out = vec![b','];
        out.extend(answer(req).await);
        Some((Chunk::Ok(Bytes::from(out)), (answer, rest)))
    });
    let end = stream::once(async { Chunk::Ok(Bytes::from_static(b"]")) });
    head.chain(tail).chain(end)
}

/// One GraphQL request through the whole pipeline; returns the response body.
pub(super) async fn run(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<std::net::IpAddr>,
    req: GqlRequest,
    set_cookies: &mut Vec<String>,
) -> Result<Vec<u8>, GqlError> {
    // Only an auth webhook in POST mode is sent the request; nothing to copy otherwise.
    let request = if state.auth.auth_hook.as_ref().is_some_and(|h| h.post) {
        serde_json::json!({"query": req.query, "variables": req.variables, "operationName": req.operation_name})
    } else {
        Value::Null
    };
    let session = rasura_auth::authenticate(&state.auth, headers, &request, set_cookies)
        .instrument(tracing::info_span!("auth"))
        .await
        .map_err(|e| GqlError::new(e.code, "$", e.message))?;
    crate::http_log::note_session(&session);
    run_as(
        &state.engine,
        headers,
        &session,
        req,
        Channel::Http { peer },
    )
    .await
    .map(|ran| ran.body)
}

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::task::{Context, Poll};

    use futures_util::Stream;

    use super::batch_chunks;

    #[test]
    fn a_batch_gives_its_thread_back_between_answers() {
        let answers = std::collections::VecDeque::from(vec![2, 3]);
        let mut chunks = pin!(batch_chunks(
            Some(b"1".to_vec()),
            answers,
            |n: u8| async move { n.to_string().into_bytes() }
        ));
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut next = || match chunks.as_mut().poll_next(&mut cx) {
            Poll::Ready(Some(Ok(bytes))) => Some(String::from_utf8(bytes.to_vec()).unwrap()),
            Poll::Ready(other) => panic!("{other:?}"),
            Poll::Pending => None,
        };
        assert_eq!(next().as_deref(), Some("[1"));
        // Each later answer, though ready at once, comes only after a turn given away.
        assert_eq!(next(), None);
        assert_eq!(next().as_deref(), Some(",2"));
        assert_eq!(next(), None);
        assert_eq!(next().as_deref(), Some(",3"));
        assert_eq!(next().as_deref(), Some("]"));
    }
}
