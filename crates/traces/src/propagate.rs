//! Trace context across HTTP: read from a request's headers (W3C `traceparent`, else B3, in
//! whichever form the client sent), and written into webhook requests in the formats the
//! configuration lists.

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use opentelemetry::Context;
use opentelemetry_sdk::propagation::TraceContextPropagator;

use crate::config::Propagator;

struct Headers<'a>(&'a http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

struct Out<'a>(&'a mut Vec<(String, String)>);

impl Injector for Out<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.push((key.to_string(), value));
    }
}

/// The remote parent a request names, if it names a valid one.
pub fn extract(headers: &http::HeaderMap) -> Option<Context> {
    let cx = if headers.contains_key("traceparent") {
        TraceContextPropagator::new().extract(&Headers(headers))
    } else {
        Context::new().with_remote_span_context(b3(headers)?)
    };
    cx.span().span_context().is_valid().then_some(cx)
}

/// B3 context: one `b3: {trace}-{span}[-{sampled}]` header, or the `X-B3-*` ones.
fn b3(headers: &http::HeaderMap) -> Option<SpanContext> {
    let get = |k: &str| headers.get(k).and_then(|v| v.to_str().ok());
    let (trace, span, sampled) = match get("b3") {
        Some(single) => {
            let mut parts = single.split('-');
            let trace = parts.next()?;
            let span = parts.next()?;
            (trace, span, parts.next())
        }
        None => (
            get("x-b3-traceid")?,
            get("x-b3-spanid")?,
            get("x-b3-sampled").or(get("x-b3-flags")),
        ),
    };
    // A 64-bit trace id is the low half of a 128-bit one.
    let trace = if trace.len() == 16 {
        format!("{trace:0>32}")
    } else {
        trace.to_string()
    };
    let trace = TraceId::from_hex(&trace).ok()?;
    let span = SpanId::from_hex(span).ok()?;
    let flags = match sampled {
        Some("0") => TraceFlags::default(),
        _ => TraceFlags::SAMPLED,
    };
    let cx = SpanContext::new(trace, span, flags, true, TraceState::default());
    cx.is_valid().then_some(cx)
}

/// A context whose remote parent is the sampled span `span_id` of trace `trace_id` (hex).
pub fn remote(trace_id: &str, span_id: &str) -> Option<Context> {
    let trace = TraceId::from_hex(trace_id).ok()?;
    let span = SpanId::from_hex(span_id).ok()?;
    let sc = SpanContext::new(
        trace,
        span,
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    );
    sc.is_valid()
        .then(|| Context::new().with_remote_span_context(sc))
}

/// The headers that carry `cx` in each of `formats`.
pub fn inject(cx: &Context, formats: &[Propagator]) -> Vec<(String, String)> {
    let mut out = vec![];
    let sc = cx.span().span_context().clone();
    if !sc.is_valid() {
        return out;
    }
    for f in formats {
        match f {
            Propagator::TraceContext => {
                TraceContextPropagator::new().inject_context(cx, &mut Out(&mut out))
            }
            Propagator::B3 => {
                out.push(("x-b3-traceid".into(), sc.trace_id().to_string()));
                out.push(("x-b3-spanid".into(), sc.span_id().to_string()));
                let sampled = if sc.is_sampled() { "1" } else { "0" };
                out.push(("x-b3-sampled".into(), sampled.into()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, http::HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn traceparent_b3_and_nothing() {
        let tp = headers(&[(
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        )]);
        let cx = extract(&tp).unwrap();
        let sc = cx.span().span_context().clone();
        assert_eq!(
            sc.trace_id().to_string(),
            "0af7651916cd43dd8448eb211c80319c"
        );
        assert_eq!(sc.span_id().to_string(), "b7ad6b7169203331");
        let out = inject(&cx, &[Propagator::TraceContext, Propagator::B3]);
        assert_eq!(
            out[0],
            (
                "traceparent".to_string(),
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".to_string()
            )
        );
        assert!(out.contains(&("x-b3-spanid".into(), "b7ad6b7169203331".into())));

        let multi = headers(&[
            ("x-b3-traceid", "463ac35c9f6413ad"),
            ("x-b3-spanid", "a2fb4a1d1a96d312"),
            ("x-b3-sampled", "0"),
        ]);
        let sc = extract(&multi).unwrap().span().span_context().clone();
        assert_eq!(
            sc.trace_id().to_string(),
            "0000000000000000463ac35c9f6413ad"
        );
        assert!(!sc.is_sampled());
        let single = headers(&[("b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1")]);
        assert!(extract(&single).unwrap().span().span_context().is_sampled());
        assert!(extract(&headers(&[("traceparent", "garbage")])).is_none());
        assert!(extract(&http::HeaderMap::new()).is_none());
    }
}
