//! The export of spans: a `tracing` layer that turns the engine's spans into OpenTelemetry
//! spans while an export is configured, and the OTLP/HTTP exporter behind it, rebuilt when the
//! metadata's `opentelemetry` section (or, without one, the `OTEL_EXPORTER_OTLP_*`
//! environment) changes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock, RwLock};
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry::KeyValue;
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, Sampler, SdkTracer, SdkTracerProvider,
};
use opentelemetry_sdk::Resource;
use tracing_subscriber::filter::{filter_fn, Filtered};
use tracing_subscriber::{Layer, Registry};

use crate::config::{HeaderValue, OtelConfig, Propagator};

/// The layer [`layer`] returns: spans of level INFO and above, while an export is on.
pub type TracesLayer = Filtered<
    tracing_opentelemetry::OpenTelemetryLayer<Registry, Switch>,
    tracing_subscriber::filter::FilterFn,
    Registry,
>;

/// Target of the spans made only for traces (requests, statements, webhooks): logs leave
/// them out.
pub const TARGET: &str = "rasura_otel";

static ON: AtomicBool = AtomicBool::new(false);
static TRACER: RwLock<Option<SdkTracer>> = RwLock::new(None);
static CURRENT: Mutex<Option<(Export, SdkTracerProvider)>> = Mutex::new(None);
static PROPAGATORS: RwLock<Vec<Propagator>> = RwLock::new(Vec::new());

/// Whether spans are being exported now.
pub fn is_on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// The formats trace context is written to webhooks in.
pub fn propagators() -> Vec<Propagator> {
    PROPAGATORS.read().map(|p| p.clone()).unwrap_or_default()
}

/// The layer to put first on the `Registry`; it exports nothing until [`configure`] turns an
/// export on.
pub fn layer() -> TracesLayer {
    tracing_opentelemetry::OpenTelemetryLayer::new(Switch)
        .with_tracked_inactivity(false)
        .with_filter(filter_fn(traced as fn(&tracing::Metadata<'_>) -> bool))
}

/// The tracer of the export configured now: the layer keeps one tracer for good, and this one
/// hands each span to the current export's.
#[derive(Debug, Clone, Copy)]
pub struct Switch;

impl opentelemetry::trace::Tracer for Switch {
    type Span = opentelemetry_sdk::trace::Span;

    fn build_with_context(
        &self,
        builder: opentelemetry::trace::SpanBuilder,
        parent_cx: &opentelemetry::Context,
    ) -> Self::Span {
        static IDLE: OnceLock<SdkTracer> = OnceLock::new();
        let current = TRACER.read().ok().and_then(|t| t.clone());
        let tracer = current.unwrap_or_else(|| {
            // No export: a provider with nowhere to send spans (the filter lets none through
            // then; this covers a span begun just as the export stopped).
            IDLE.get_or_init(|| SdkTracerProvider::builder().build().tracer("rasura"))
                .clone()
        });
        tracer.build_with_context(builder, parent_cx)
    }
}

/// Whether a span goes to the export: spans of level INFO and above, while one is on.
fn traced(m: &tracing::Metadata<'_>) -> bool {
    is_on() && m.is_span() && *m.level() <= tracing::Level::INFO
}

/// Turns the export's filter on or off. Whether a span's call site is wanted is cached (the
/// filter answers always or never), so the cache is rebuilt: off costs nothing per span.
fn set_on(on: bool) {
    if ON.swap(on, Ordering::Relaxed) != on {
        tracing::callsite::rebuild_interest_cache();
    }
}

/// What an export is made of, resolved (headers read from the environment).
#[derive(Debug, Clone, PartialEq)]
struct Export {
    endpoint: String,
    headers: Vec<(String, String)>,
    resource: Vec<(String, String)>,
    batch: usize,
    propagators: Vec<Propagator>,
}

/// The export the metadata's section asks for; without a section, the one the standard
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT` variables name.
fn wanted(section: Option<&serde_json::Value>) -> Option<Export> {
    let both = vec![Propagator::B3, Propagator::TraceContext];
    if section.is_none_or(|s| s.is_null()) {
        let endpoint = std::env::var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            .ok()
            .or_else(|| {
                std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT")
                    .ok()
                    .map(|base| format!("{}/v1/traces", base.trim_end_matches('/')))
            })?;
        return Some(Export {
            endpoint,
            headers: vec![],
            resource: vec![],
            batch: crate::config::DEFAULT_MAX_EXPORT_BATCH_SIZE,
            propagators: both,
        });
    }
    let c = OtelConfig::parse(section).ok()?;
    if !c.exports_traces() || c.problem().is_some() {
        return None;
    }
    let headers = c
        .headers
        .iter()
        .map(|(n, v)| {
            let value = match v {
                HeaderValue::Value(v) => v.clone(),
                HeaderValue::FromEnv(var) => std::env::var(var).unwrap_or_default(),
            };
            (n.clone(), value)
        })
        .collect();
    Some(Export {
        endpoint: c.traces_endpoint.clone()?,
        headers,
        resource: c.resource_attributes.clone(),
        batch: c.max_export_batch_size,
        propagators: c.propagators.clone().unwrap_or(both),
    })
}

/// Applies the metadata's `opentelemetry` section: starts, changes or stops the export (a
/// no-op when what it asks for is already running). Spans queued for an export that stops
/// are still sent, in the background.
pub fn configure(section: Option<&serde_json::Value>) {
    let want = wanted(section);
    let Ok(mut current) = CURRENT.lock() else {
        return;
    };
    if current.as_ref().map(|(e, _)| e) == want.as_ref() {
        return;
    }
    let old = current.take();
    let next = want.and_then(|e| match provider(&e) {
        Ok(p) => Some((e, p)),
        Err(why) => {
            tracing::error!("OpenTelemetry export to {} not started: {why}", e.endpoint);
            None
        }
    });
    set_on(false);
    if let Ok(mut t) = TRACER.write() {
        *t = next.as_ref().map(|(_, p)| p.tracer("rasura"));
    }
    if let Some((e, _)) = &next {
        if let Ok(mut p) = PROPAGATORS.write() {
            p.clone_from(&e.propagators);
        }
        tracing::info!("OpenTelemetry traces exported to {}", e.endpoint);
        set_on(true);
    }
    *current = next;
    if let Some((_, p)) = old {
        // Flushing may wait on the receiver: not on this thread.
        std::thread::spawn(move || {
            let _ = p.shutdown_with_timeout(Duration::from_secs(10));
        });
    }
}

/// A tracer provider exporting to `e` over OTLP/HTTP (protobuf) in batches.
fn provider(e: &Export) -> Result<SdkTracerProvider, String> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(e.endpoint.clone())
        .with_timeout(Duration::from_secs(10))
        .with_headers(e.headers.iter().cloned().collect::<HashMap<_, _>>())
        .build()
        .map_err(|err| err.to_string())?;
    let batch = BatchConfigBuilder::default()
        .with_max_export_batch_size(e.batch)
        .build();
    let processor = BatchSpanProcessor::builder(exporter)
        .with_batch_config(batch)
        .build();
    // Hasura's service name, so that dashboards made for it keep finding the engine; a
    // `service.name` resource attribute overrides it.
    let resource = Resource::builder()
        .with_service_name("hasura")
        .with_attributes(
            e.resource
                .iter()
                .map(|(k, v)| KeyValue::new(k.clone(), v.clone())),
        )
        .build();
    Ok(SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_resource(resource)
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOn)))
        .build())
}
