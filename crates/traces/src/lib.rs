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

/// The headers that carry `span`'s trace to the webhook it calls (none when no export is on).
pub fn headers_for(span: &tracing::Span) -> Vec<(String, String)> {
    if !is_on() {
        return vec![];
    }
    propagate::inject(&span.context(), &export::propagators())
}
