//! The HTTP layer of the logs: each request gets an id (its `x-request-id`, or a new one, sent
//! back in the response's `x-request-id`) and, when answered, its `http-log` line with what the
//! handler noted (`rasura_log::http::note`).

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use rasura_log::http::{HttpInfo, Note};
use tracing::Instrument;

use crate::PeerAddr;

/// The request id of the request being served (for handlers that pass it on).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub async fn layer(mut req: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let headers = req.headers();
    let id = rasura_log::request_id::of(header(headers, "x-request-id"));
    // Behind a proxy the client is the one it names.
    let ip = header(headers, "x-real-ip")
        .map(str::to_string)
        .or_else(|| {
            header(headers, "x-forwarded-for")
                .and_then(|f| f.split(',').next())
                .map(|s| s.trim().to_string())
        })
        .or_else(|| req.extensions().get::<PeerAddr>().map(|p| p.0.to_string()))
        .unwrap_or_default();
    let method = req.method().to_string();
    let url = req.uri().path().to_string();
    let http_version = match req.version() {
        axum::http::Version::HTTP_10 => "HTTP/1.0",
        axum::http::Version::HTTP_2 => "HTTP/2",
        _ => "HTTP/1.1",
    };
    let request_bytes = axum::body::HttpBody::size_hint(req.body())
        .exact()
        .or_else(|| header(req.headers(), "content-length").and_then(|l| l.parse().ok()))
        .unwrap_or(0);
    req.extensions_mut().insert(RequestId(id.clone()));
    // The request's span for traces: a child of the trace the client names, if any.
    let span = tracing::info_span!(
        target: rasura_traces::TARGET,
        "request",
        otel.name = %format_args!("{method} {url}"),
        otel.kind = "server",
        http.request.method = %method,
        url.path = %url,
        request_id = %id,
        http.response.status_code = tracing::field::Empty,
    );
    rasura_traces::adopt_parent(&span, req.headers());
    let (mut response, note): (Response, Note) = rasura_log::http::scope(&id, next.run(req))
        .instrument(span.clone())
        .await;
    span.record("http.response.status_code", response.status().as_u16());
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    let size = axum::body::HttpBody::size_hint(response.body()).exact();
    if counted(&url, response.status()) {
        metrics::counter!("hasura_http_request_bytes_total").increment(request_bytes);
        metrics::counter!("hasura_http_response_bytes_total").increment(size.unwrap_or(0));
    }
    let http = HttpInfo {
        status: response.status().as_u16(),
        method,
        url,
        ip,
        http_version,
    };
    rasura_log::http::log(&id, &http, note, started.elapsed().as_secs_f64(), size);
    response
}

/// Whether a request counts in the byte totals (as Hasura: not health checks, the version or
/// unknown paths).
fn counted(url: &str, status: axum::http::StatusCode) -> bool {
    !matches!(url, "/healthz" | "/hasura/healthz" | "/v1/version")
        && status != axum::http::StatusCode::NOT_FOUND
}

fn header<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Notes the session's variables (with its role) for the request's log line.
pub fn note_session(session: &rasura_ir::Session) {
    rasura_log::http::note(|n| {
        n.user_vars = Some(rasura_log::http::user_vars(&session.role, &session.vars));
    });
}

/// Notes the error a request was answered with, in Hasura's `{code, error, path}`.
pub fn note_error(code: &str, error: &str, path: &str) {
    rasura_log::http::note(|n| {
        n.error = Some(serde_json::json!({"code": code, "error": error, "path": path}));
    });
}
