//! The metadata's `opentelemetry` section as Hasura defines it (`status`, `data_types`,
//! `exporter_otlp`, `batch_span_processor`), read into [`OtelConfig`], and what of it this
//! engine cannot honour.

use serde_json::{Map, Value};

/// How trace context is read from and written to HTTP headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagator {
    /// `X-B3-TraceId`, `X-B3-SpanId`, `X-B3-Sampled` (or one `b3` header): Hasura's default.
    B3,
    /// W3C `traceparent` (and `tracestate`).
    TraceContext,
}

/// A header sent with each export: a value, or one read from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue {
    Value(String),
    FromEnv(String),
}

/// The `opentelemetry` section, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtelConfig {
    pub enabled: bool,
    /// `traces`, `metrics`, `logs`, as listed.
    pub data_types: Vec<String>,
    pub traces_endpoint: Option<String>,
    pub metrics_endpoint: Option<String>,
    pub logs_endpoint: Option<String>,
    pub headers: Vec<(String, HeaderValue)>,
    pub resource_attributes: Vec<(String, String)>,
    /// `traces_propagators`; `None` when not given.
    pub propagators: Option<Vec<Propagator>>,
    pub max_export_batch_size: usize,
}

/// Hasura's default batch size of one export.
pub const DEFAULT_MAX_EXPORT_BATCH_SIZE: usize = 512;

impl Default for OtelConfig {
    fn default() -> Self {
        OtelConfig {
            enabled: false,
            data_types: vec![],
            traces_endpoint: None,
            metrics_endpoint: None,
            logs_endpoint: None,
            headers: vec![],
            resource_attributes: vec![],
            propagators: None,
            max_export_batch_size: DEFAULT_MAX_EXPORT_BATCH_SIZE,
        }
    }
}

fn object<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>, String> {
    v.as_object()
        .ok_or_else(|| format!("{what}: expected an object, got {v}"))
}

fn opt_string(o: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(format!("{key}: expected a string, got {v}")),
    }
}

fn list<'a>(o: &'a Map<String, Value>, key: &str) -> Result<&'a [Value], String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(v) => Err(format!("{key}: expected an array, got {v}")),
    }
}

impl OtelConfig {
    /// Reads the section (absent: the defaults, export disabled).
    pub fn parse(section: Option<&Value>) -> Result<OtelConfig, String> {
        let mut c = OtelConfig::default();
        let Some(v) = section.filter(|v| !v.is_null()) else {
            return Ok(c);
        };
        let o = object(v, "opentelemetry")?;
        c.enabled = match o.get("status") {
            None | Some(Value::Null) => false,
            Some(Value::String(s)) if s == "enabled" => true,
            Some(Value::String(s)) if s == "disabled" => false,
            _ => {
                return Err(
                    "OpenTelemetry status must be either \"enabled\" or \"disabled\"".into(),
                )
            }
        };
        for t in list(o, "data_types")? {
            match t.as_str() {
                Some(s @ ("traces" | "metrics" | "logs")) => c.data_types.push(s.to_string()),
                _ => return Err(format!("data_types: unexpected string {t}")),
            }
        }
        if let Some(e) = o.get("exporter_otlp").filter(|e| !e.is_null()) {
            c.read_exporter(object(e, "exporter_otlp")?)?;
        }
        if let Some(b) = o.get("batch_span_processor").filter(|b| !b.is_null()) {
            let b = object(b, "batch_span_processor")?;
            if let Some(n) = b.get("max_export_batch_size") {
                c.max_export_batch_size = n.as_u64().filter(|n| *n > 0).ok_or_else(|| {
                    format!("max_export_batch_size: expected a positive integer, got {n}")
                })? as usize;
            }
        }
        Ok(c)
    }

    fn read_exporter(&mut self, e: &Map<String, Value>) -> Result<(), String> {
        self.traces_endpoint = opt_string(e, "otlp_traces_endpoint")?;
        self.metrics_endpoint = opt_string(e, "otlp_metrics_endpoint")?;
        self.logs_endpoint = opt_string(e, "otlp_logs_endpoint")?;
        match opt_string(e, "protocol")?.as_deref() {
            None | Some("http/protobuf") => {}
            Some("http/json") => return Err("http/json is not supported".into()),
            Some("grpc") => return Err("gRPC is not supported".into()),
            Some(p) => return Err(format!("protocol: unexpected string '{p}'")),
        }
        for (i, h) in list(e, "headers")?.iter().enumerate() {
            let h = object(h, &format!("headers[{i}]"))?;
            let name = opt_string(h, "name")?.ok_or(format!("headers[{i}]: no \"name\""))?;
            let value = match (opt_string(h, "value")?, opt_string(h, "value_from_env")?) {
                (Some(v), None) => HeaderValue::Value(v),
                (None, Some(var)) => HeaderValue::FromEnv(var),
                _ => {
                    return Err(format!(
                        "headers[{i}]: expecting exactly one of \"value\" and \"value_from_env\""
                    ))
                }
            };
            self.headers.push((name, value));
        }
        for (i, a) in list(e, "resource_attributes")?.iter().enumerate() {
            let a = object(a, &format!("resource_attributes[{i}]"))?;
            match (opt_string(a, "name")?, opt_string(a, "value")?) {
                (Some(n), Some(v)) => self.resource_attributes.push((n, v)),
                _ => {
                    return Err(format!(
                        "resource_attributes[{i}]: needs \"name\" and \"value\""
                    ))
                }
            }
        }
        if e.contains_key("traces_propagators") {
            let mut ps = vec![];
            for p in list(e, "traces_propagators")? {
                ps.push(match p.as_str() {
                    Some("b3") => Propagator::B3,
                    Some("tracecontext") => Propagator::TraceContext,
                    _ => return Err(format!("traces_propagators: unexpected string {p}")),
                });
            }
            self.propagators = Some(ps);
        }
        Ok(())
    }

    /// Whether traces are to be exported.
    pub fn exports_traces(&self) -> bool {
        self.enabled && self.data_types.iter().any(|t| t == "traces")
    }

    /// Why the section cannot be honoured as written, if it cannot: an enabled export of
    /// traces with no endpoint or a header from an unset variable, or of metrics or logs
    /// (not exported over OTLP by this engine).
    pub fn problem(&self) -> Option<String> {
        if !self.enabled {
            return None;
        }
        if let Some(t) = self.data_types.iter().find(|t| *t != "traces") {
            return Some(format!(
                "exporting {t} over OpenTelemetry is not supported by this engine yet \
                 (metrics: scrape /v1/metrics; logs: the JSON log lines on stdout)"
            ));
        }
        if self.exports_traces() && self.traces_endpoint.is_none() {
            return Some("Missing OpenTelemetry traces endpoint (otlp_traces_endpoint)".into());
        }
        for (name, value) in &self.headers {
            if let HeaderValue::FromEnv(var) = value {
                if std::env::var(var).is_err() {
                    return Some(format!(
                        "header {name}: environment variable '{var}' not set"
                    ));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hasuras_documented_example_reads() {
        let c = OtelConfig::parse(Some(&json!({
            "status": "enabled", "data_types": ["traces"],
            "exporter_otlp": {"otlp_traces_endpoint": "http://localhost:4318/v1/traces",
                "protocol": "http/protobuf", "traces_propagators": ["tracecontext"],
                "headers": [{"name": "x-test-header", "value": "testing"}],
                "resource_attributes": [{"name": "stage", "value": "production"}]},
            "batch_span_processor": {"max_export_batch_size": 100}})))
        .unwrap();
        assert!(c.exports_traces());
        assert_eq!(c.propagators, Some(vec![Propagator::TraceContext]));
        assert_eq!(c.max_export_batch_size, 100);
        assert_eq!(c.problem(), None);
        assert_eq!(OtelConfig::parse(None).unwrap(), OtelConfig::default());
    }

    #[test]
    fn bad_and_unsupported_settings_are_named() {
        let err = |v: Value| OtelConfig::parse(Some(&v)).unwrap_err();
        assert!(err(json!({"status": "on"})).contains("must be either"));
        assert_eq!(
            err(json!({"exporter_otlp": {"protocol": "grpc"}})),
            "gRPC is not supported"
        );
        assert!(err(json!({"data_types": ["spans"]})).contains("unexpected"));
        let c = OtelConfig::parse(Some(
            &json!({"status": "enabled", "data_types": ["traces"]}),
        ));
        assert!(c.unwrap().problem().unwrap().contains("traces endpoint"));
        let c = OtelConfig::parse(Some(&json!({"status": "enabled",
            "data_types": ["traces", "metrics"],
            "exporter_otlp": {"otlp_traces_endpoint": "http://x/v1/traces"}})));
        assert!(c.unwrap().problem().unwrap().contains("metrics"));
    }
}
