//! OpenTelemetry traces against a real OTLP/HTTP receiver (a local HTTP server decoding the
//! protobuf export requests): `set_opentelemetry_config` turns the export on; a request's
//! spans (the request, the pipeline's stages, each SQL statement, an action's webhook call)
//! arrive under the trace the client named in `traceparent`, with the configured headers and
//! resource attributes; an action's handler and an event trigger's webhook receive the trace (the event's delivery
//! continues the trace of the mutation that made it); `set_opentelemetry_status`
//! turns it off; settings the engine cannot honour are refused in Hasura's format.

mod events_support;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use events_support::{metadata, refused};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use rasura_test_support::{http_stub, StubRequest, TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

/// What the receiver got: each export's headers and its spans with their resource's
/// attributes.
#[derive(Default)]
struct Received {
    headers: Vec<Vec<(String, String)>>,
    spans: Vec<(Span, Vec<(String, String)>)>,
}

fn string_of(v: &Option<opentelemetry_proto::tonic::common::v1::AnyValue>) -> String {
    match v.as_ref().and_then(|v| v.value.as_ref()) {
        Some(AnyValue::StringValue(s)) => s.clone(),
        Some(AnyValue::IntValue(i)) => i.to_string(),
        Some(AnyValue::BoolValue(b)) => b.to_string(),
        other => format!("{other:?}"),
    }
}

async fn receiver() -> (String, Arc<Mutex<Received>>) {
    let got: Arc<Mutex<Received>> = Arc::default();
    let g = got.clone();
    let url = http_stub(move |req: StubRequest| {
        let g = g.clone();
        async move {
            assert_eq!(req.path, "/v1/traces");
            let export = ExportTraceServiceRequest::decode(req.raw_body.as_slice())
                .expect("an OTLP protobuf export");
            let mut got = g.lock().unwrap();
            got.headers.push(req.headers.clone());
            for rs in export.resource_spans {
                let resource: Vec<(String, String)> = rs
                    .resource
                    .map(|r| {
                        r.attributes
                            .iter()
                            .map(|kv| (kv.key.clone(), string_of(&kv.value)))
                            .collect()
                    })
                    .unwrap_or_default();
                for ss in rs.scope_spans {
                    for s in ss.spans {
                        got.spans.push((s, resource.clone()));
                    }
                }
            }
            (200, vec![], "{}".to_string())
        }
    })
    .await;
    (url, got)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn attr(s: &Span, key: &str) -> Option<String> {
    s.attributes
        .iter()
        .find(|kv| kv.key == key)
        .map(|kv| string_of(&kv.value))
}

/// Waits until the receiver holds spans of `trace` named `names`; returns that trace's spans.
async fn spans_of(got: &Arc<Mutex<Received>>, trace: &str, names: &[&str]) -> Vec<Span> {
    let start = Instant::now();
    loop {
        let spans: Vec<Span> = got
            .lock()
            .unwrap()
            .spans
            .iter()
            .filter(|(s, _)| hex(&s.trace_id) == trace)
            .map(|(s, _)| s.clone())
            .collect();
        let have: BTreeSet<&str> = spans.iter().map(|s| s.name.as_str()).collect();
        if names.iter().all(|n| have.contains(n)) {
            return spans;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let got = got.lock().unwrap();
            let all: Vec<(String, &str)> = got
                .spans
                .iter()
                .map(|(s, _)| (hex(&s.trace_id), s.name.as_str()))
                .collect();
            panic!(
                "trace {trace}: wanted {names:?}, have {have:?}; {} exports: {all:?}",
                got.headers.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn graphql_traced(s: &TestServer, query: &str, traceparent: &str) -> Value {
    let r = s
        .http
        .post(s.url("/v1/graphql"))
        .header("traceparent", traceparent)
        .json(&json!({"query": query}))
        .send()
        .await
        .unwrap();
    r.json().await.unwrap()
}

#[tokio::test]
async fn spans_reach_an_otlp_receiver_under_the_clients_trace() {
    let pg = TestCluster::start("app").await;
    pg.client("app")
        .await
        .batch_execute(
            "CREATE TABLE item (id serial PRIMARY KEY, name text); \
             INSERT INTO item (name) VALUES ('ada');",
        )
        .await
        .unwrap();
    let (otlp, got) = receiver().await;
    let seen: Arc<Mutex<Vec<StubRequest>>> = Arc::default();
    let s2 = seen.clone();
    let handler = http_stub(move |req| {
        s2.lock().unwrap().push(req);
        async { (200, vec![], r#"{"ok": true}"#.to_string()) }
    })
    .await;
    let s = TestServer::start(
        Path::new(BIN),
        &["--database-url", &pg.url("app")],
        &[
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL", "100"),
            ("RASURA_TEST_OTLP_TOKEN", "sekrit"),
        ],
    )
    .await;
    metadata(
        &s,
        json!({"type": "bulk", "args": [
            {"type": "pg_track_table", "args": {"table": "item"}},
            {"type": "set_custom_types", "args": {"objects": [
                {"name": "Ok", "fields": [{"name": "ok", "type": "Boolean"}]}]}},
            {"type": "create_action", "args": {"name": "poke", "definition": {
                "kind": "synchronous", "type": "mutation", "output_type": "Ok",
                "handler": handler, "arguments": []}}}
        ]}),
    )
    .await;

    // Settings the engine cannot honour are refused, as Hasura words them.
    let e = refused(
        &s,
        json!({"type": "set_opentelemetry_config", "args": {
            "status": "enabled", "data_types": ["traces"],
            "exporter_otlp": {"otlp_traces_endpoint": otlp, "protocol": "grpc"}}}),
        "parse-failed",
    )
    .await;
    assert!(
        e["error"]
            .as_str()
            .unwrap()
            .contains("gRPC is not supported"),
        "{e}"
    );
    let (status, e) = s
        .post(
            "/v1/metadata",
            &json!({"type": "set_opentelemetry_config", "args": {
                "status": "enabled", "data_types": ["traces", "metrics"],
                "exporter_otlp": {"otlp_traces_endpoint": format!("{otlp}/v1/traces")}}}),
            &[],
        )
        .await;
    assert_eq!(status, 400, "{e}");
    assert!(e.to_string().contains("metrics"), "{e}");

    // On: Hasura's documented shape.
    metadata(
        &s,
        json!({"type": "set_opentelemetry_config", "args": {
            "status": "enabled", "data_types": ["traces"],
            "exporter_otlp": {
                "otlp_traces_endpoint": format!("{otlp}/v1/traces"),
                "protocol": "http/protobuf",
                "traces_propagators": ["tracecontext"],
                "headers": [{"name": "x-otlp-token", "value_from_env": "RASURA_TEST_OTLP_TOKEN"}],
                "resource_attributes": [{"name": "stage", "value": "test"}]},
            "batch_span_processor": {"max_export_batch_size": 64}}}),
    )
    .await;
    let md = metadata(&s, json!({"type": "export_metadata", "args": {}})).await;
    assert_eq!(md["opentelemetry"]["status"], "enabled", "{md}");

    // A query under the client's trace: the request is a child of the client's span, the
    // pipeline's stages and the statement children of the request.
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let parent = "00f067aa0ba902b7";
    let r = graphql_traced(&s, "{ item { name } }", &format!("00-{trace}-{parent}-01")).await;
    assert_eq!(r["data"]["item"][0]["name"], "ada", "{r}");
    let spans = spans_of(
        &got,
        trace,
        &[
            "POST /v1/graphql",
            "auth",
            "parse_validate",
            "plan",
            "execute",
            "statement",
        ],
    )
    .await;
    let request = spans.iter().find(|s| s.name == "POST /v1/graphql").unwrap();
    assert_eq!(hex(&request.parent_span_id), parent);
    assert_eq!(
        attr(request, "http.response.status_code").as_deref(),
        Some("200")
    );
    let statement = spans.iter().find(|s| s.name == "statement").unwrap();
    let sql = attr(statement, "db.statement").unwrap();
    assert!(sql.contains("SELECT") && sql.contains("item"), "{sql}");
    let ids: BTreeSet<String> = spans.iter().map(|s| hex(&s.span_id)).collect();
    for s in &spans {
        if s.name != "POST /v1/graphql" {
            assert!(
                ids.contains(&hex(&s.parent_span_id)),
                "{} has no parent here",
                s.name
            );
        }
    }
    {
        let got = got.lock().unwrap();
        let (_, resource) = &got.spans[0];
        assert!(
            resource.contains(&("stage".into(), "test".into())),
            "{resource:?}"
        );
        assert!(
            resource.contains(&("service.name".into(), "hasura".into())),
            "{resource:?}"
        );
        let token = got.headers[0].iter().find(|(k, _)| k == "x-otlp-token");
        assert_eq!(token.map(|(_, v)| v.as_str()), Some("sekrit"));
    }

    // An action's handler receives the trace (W3C, as configured), under the call's span.
    let trace2 = "0af7651916cd43dd8448eb211c80319c";
    let r = graphql_traced(
        &s,
        "mutation { poke { ok } }",
        &format!("00-{trace2}-b7ad6b7169203331-01"),
    )
    .await;
    assert_eq!(r["data"]["poke"]["ok"], true, "{r}");
    let sent = seen.lock().unwrap().last().cloned().unwrap();
    let tp = sent
        .header("traceparent")
        .expect("traceparent sent")
        .to_string();
    assert!(tp.starts_with(&format!("00-{trace2}-")), "{tp}");
    assert!(
        sent.header("x-b3-traceid").is_none(),
        "only the configured format"
    );
    let spans = spans_of(&got, trace2, &["action"]).await;
    let call = spans.iter().find(|s| s.name == "action").unwrap();
    assert_eq!(tp.split('-').nth(2), Some(hex(&call.span_id).as_str()));

    // An event trigger's webhook receives a trace too, under its delivery's span.
    metadata(
        &s,
        json!({"type": "pg_create_event_trigger", "args": {"name": "item_added",
            "table": "item", "webhook": handler, "insert": {"columns": "*"}}}),
    )
    .await;
    let trace4 = "22222222222222222222222222222222";
    let r = graphql_traced(
        &s,
        r#"mutation { insert_item_one(object: {name: "bo"}) { id } }"#,
        &format!("00-{trace4}-{parent}-01"),
    )
    .await;
    assert!(r.get("errors").is_none(), "{r}");
    let start = Instant::now();
    let event = loop {
        let last = seen.lock().unwrap().last().cloned().unwrap();
        if last.body.contains("item_added") {
            break last;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no event delivered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let tp = event
        .header("traceparent")
        .expect("traceparent sent")
        .to_string();
    // The delivery continues the trace of the mutation that made the event.
    assert_eq!(tp.split('-').nth(1), Some(trace4), "{tp}");
    let spans = spans_of(&got, trace4, &["event-trigger", "POST /v1/graphql"]).await;
    let delivery = spans.iter().find(|s| s.name == "event-trigger").unwrap();
    assert_eq!(tp.split('-').nth(2), Some(hex(&delivery.span_id).as_str()));

    // Off: nothing more is exported.
    metadata(
        &s,
        json!({"type": "set_opentelemetry_status", "args": "disabled"}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = got.lock().unwrap().spans.len();
    let trace3 = "11111111111111111111111111111111";
    graphql_traced(&s, "{ item { name } }", &format!("00-{trace3}-{parent}-01")).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let got = got.lock().unwrap();
    assert_eq!(got.spans.len(), before);
    assert!(got.spans.iter().all(|(s, _)| hex(&s.trace_id) != trace3));
}
