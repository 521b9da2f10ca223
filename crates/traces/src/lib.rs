//! OpenTelemetry traces: the metadata's `opentelemetry` section (`config`, `edits`), the
//! export of the engine's spans over OTLP/HTTP (`export`), and W3C / B3 trace context read
//! from requests and written to webhooks (`propagate`).

pub mod config;
pub mod edits;
mod export;
mod propagate;

pub use export::{configure, is_on, layer, Switch, TracesLayer, TARGET};
pub use propagate::extract;

use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Makes `span` a child of the trace the request's headers name (`traceparent`, or B3), if
/// they name one and an export is on.
pub fn adopt_parent(span: &tracing::Span, headers: &http::HeaderMap) {
    if !is_on() {
        return;
    }
    if let Some(cx) = extract(headers) {
        let _ = span.set_parent(cx);
    }
}

/// The span of one call to a webhook (`what`: "action", "remote schema", "event trigger", ...)
/// at `url`, to run the call in.
pub fn call_span(what: &'static str, url: &str) -> tracing::Span {
    tracing::info_span!(
        target: TARGET,
        "webhook",
        otel.name = what,
        otel.kind = "client",
        url.full = %url,
    )
}

/// [`call_span`], continuing the trace `parent` names (`(trace id, span id)` in hex, as an
/// event's `trace_context` keeps them), when it names a valid one and an export is on.
pub fn call_span_under(
    what: &'static str,
    url: &str,
    parent: Option<(&str, &str)>,
) -> tracing::Span {
    let span = call_span(what, url);
    if let Some(cx) = parent
        .filter(|_| is_on())
        .and_then(|(t, s)| propagate::remote(t, s))
    {
        let _ = span.set_parent(cx);
    }
    span
}

/// The current span's trace and span ids in hex, while an export is on (what a write records
/// for the events it captures, so that their delivery continues the trace).
pub fn current_ids() -> Option<(String, String)> {
    if !is_on() {
        return None;
    }
    use opentelemetry::trace::TraceContextExt;
    let cx = tracing::Span::current().context();
    let sc = cx.span().span_context().clone();
    sc.is_valid()
        .then(|| (sc.trace_id().to_string(), sc.span_id().to_string()))
}

/// The headers that carry `span`'s trace to the webhook it calls (none when no export is on).
pub fn headers_for(span: &tracing::Span) -> Vec<(String, String)> {
    if !is_on() {
        return vec![];
    }
    propagate::inject(&span.context(), &export::propagators())
}
