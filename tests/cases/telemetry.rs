//! Traces over OTLP: the real binary exports the span of each HTTP tool call to a real
//! OTLP/HTTP receiver (the recording upstream, its bodies decoded as
//! `ExportTraceServiceRequest`), continuing the agent's trace; the tool gets toolwall's span
//! as its parent. Off, nothing is exported.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::{span::SpanKind, Span};
use prost::Message;

use crate::common::*;

const BIN: &str = env!("CARGO_BIN_EXE_toolwall");
const AGENT_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const AGENT_SPAN: &str = "00f067aa0ba902b7";

struct Running {
    child: Child,
    agent: std::net::SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `toolwall run` in front of `tool`, with `telemetry` in its config and `env` set.
async fn start(tool: &Upstream, telemetry: &str, env: &[(&str, String)]) -> Running {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("adapters")).expect("mkdir");
    std::fs::create_dir_all(root.join("policies")).expect("mkdir");
    std::fs::write(
        root.join("adapters/echo.yaml"),
        echo_adapter(&format!("http://{}", tool.addr), ""),
    )
    .expect("write");
    std::fs::write(root.join("policies/p.rego"), POLICY).expect("write");
    let listen = free_port();
    let cfg = format!(
        "listen: 127.0.0.1:{listen}\nadmin: 127.0.0.1:0\nidentity:\n  static: {{ agent: billing-bot, tenant: acme }}\n{telemetry}\n"
    );
    std::fs::write(root.join("toolwall.yaml"), cfg).expect("write");
    let mut cmd = Command::new(BIN);
    cmd.args([
        "run",
        "-c",
        root.join("toolwall.yaml").to_str().expect("utf8"),
    ])
    .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
    .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    .env_remove("OTEL_SDK_DISABLED")
    // export each span within 100 ms rather than the default 5 s
    .env("OTEL_BSP_SCHEDULE_DELAY", "100")
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    // killed and waited for on drop, whatever the test's outcome
    let running = Running {
        child: cmd.spawn().expect("spawn"),
        agent: format!("127.0.0.1:{listen}").parse().expect("addr"),
        _dir: dir,
    };
    for _ in 0..1200 {
        if tokio::net::TcpStream::connect(running.agent).await.is_ok() {
            return running;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("toolwall did not start");
}

/// A refund with the agent's `traceparent`.
fn refund(amount: u32) -> http::Request<http_body_util::Full<bytes::Bytes>> {
    req("POST", "/echo/v1/refunds")
        .header("content-type", "application/json")
        .header("traceparent", format!("00-{AGENT_TRACE}-{AGENT_SPAN}-01"))
        .body(http_body_util::Full::new(bytes::Bytes::from(format!(
            r#"{{"charge":"ch_1","amount":{amount}}}"#
        ))))
        .expect("req")
}

/// Every span the OTLP/HTTP receiver got, with its resource's `service.name`.
fn spans(receiver: &Upstream) -> Vec<(String, Span)> {
    let mut bodies = Vec::new();
    for seen in receiver.requests() {
        assert_eq!(seen.method, "POST");
        assert_eq!(seen.path_and_query, "/v1/traces");
        assert_eq!(
            seen.headers.get("content-type").map(|v| v.as_bytes()),
            Some(&b"application/x-protobuf"[..])
        );
        bodies.push(seen.body.to_vec());
    }
    decode(&bodies)
}

/// The spans of `ExportTraceServiceRequest`s, each with its resource's `service.name`.
fn decode(bodies: &[Vec<u8>]) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    for body in bodies {
        let req = ExportTraceServiceRequest::decode(body.as_slice()).expect("OTLP protobuf");
        for rs in req.resource_spans {
            let service = rs
                .resource
                .iter()
                .flat_map(|r| r.attributes.iter())
                .find(|kv| kv.key == "service.name")
                .map(|kv| string(kv.value.as_ref().and_then(|v| v.value.as_ref())))
                .unwrap_or_default();
            for ss in rs.scope_spans {
                for s in ss.spans {
                    out.push((service.clone(), s));
                }
            }
        }
    }
    out
}

fn string(v: Option<&AnyValue>) -> String {
    match v {
        Some(AnyValue::StringValue(s)) => s.clone(),
        other => panic!("not a string attribute: {other:?}"),
    }
}

fn attr(span: &Span, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .map(|kv| string(kv.value.as_ref().and_then(|v| v.value.as_ref())))
}

async fn wait_for_spans(receiver: &Upstream, n: usize) -> Vec<(String, Span)> {
    for _ in 0..300 {
        let got = spans(receiver);
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the receiver got {} span(s), expected {n}",
        spans(receiver).len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_calls_are_spans_in_the_agents_trace() {
    let receiver = http_upstream().await;
    let tool = http_upstream().await;
    let telemetry = format!(
        "telemetry:\n  enabled: true\n  protocol: http/protobuf\n  endpoint: http://{}\n  service_name: tw-test\n",
        receiver.addr
    );
    let tw = start(&tool, &telemetry, &[]).await;

    let allowed = send(tw.agent, refund(5)).await;
    assert_eq!(allowed.status, 200, "{:?}", allowed.body);
    let refused = send(tw.agent, refund(500)).await;
    assert_eq!(refused.status, 403, "{:?}", refused.body);
    let id = |r: &Reply| {
        r.headers
            .get("toolwall-decision-id")
            .and_then(|v| v.to_str().ok())
            .expect("decision id")
            .to_string()
    };
    let (allowed_id, refused_id) = (id(&allowed), id(&refused));

    // allowed: the call, its policy and upstream children; refused: the call and its policy
    let got = wait_for_spans(&receiver, 5).await;
    assert_eq!(got.len(), 5, "{got:?}");
    let calls: Vec<&Span> = got
        .iter()
        .map(|(_, s)| s)
        .filter(|s| s.name.starts_with("execute_tool"))
        .collect();
    assert_eq!(calls.len(), 2, "one span per call: {calls:?}");
    let find = |decision_id: &str| {
        got.iter()
            .find(|(_, s)| attr(s, "toolwall.decision_id").as_deref() == Some(decision_id))
            .unwrap_or_else(|| panic!("no span for {decision_id}: {got:?}"))
    };
    for (service, span) in [find(&allowed_id), find(&refused_id)] {
        assert_eq!(service, "tw-test");
        assert_eq!(span.name, "execute_tool echo.refund");
        assert_eq!(span.kind, SpanKind::Internal as i32);
        // the agent's trace continues: same trace id, the agent's span as parent
        assert_eq!(hex::encode(&span.trace_id), AGENT_TRACE);
        assert_eq!(hex::encode(&span.parent_span_id), AGENT_SPAN);
        assert!(span.end_time_unix_nano > span.start_time_unix_nano);
        assert_eq!(
            attr(span, "gen_ai.operation.name").as_deref(),
            Some("execute_tool")
        );
        assert_eq!(
            attr(span, "gen_ai.tool.name").as_deref(),
            Some("echo.refund")
        );
        assert_eq!(
            attr(span, "gen_ai.agent.id").as_deref(),
            Some("billing-bot")
        );
        assert_eq!(
            attr(span, "gen_ai.agent.name").as_deref(),
            Some("billing-bot")
        );
        assert_eq!(attr(span, "toolwall.tenant").as_deref(), Some("acme"));
        let policy_version = attr(span, "toolwall.policy.version").expect("policy version");
        assert!(!policy_version.is_empty());
        assert_eq!(
            attr(span, "gen_ai.tool.call.id"),
            attr(span, "toolwall.decision_id")
        );
    }
    let (_, ok) = find(&allowed_id);
    assert_eq!(attr(ok, "toolwall.decision").as_deref(), Some("allow"));
    assert_eq!(attr(ok, "toolwall.reasons").as_deref(), Some(""));
    assert_eq!(attr(ok, "error.type"), None);
    let (_, no) = find(&refused_id);
    assert_eq!(attr(no, "toolwall.decision").as_deref(), Some("deny"));
    assert_eq!(
        attr(no, "toolwall.reasons").as_deref(),
        Some("amount_exceeds_threshold")
    );
    assert_eq!(attr(no, "error.type").as_deref(), Some("policy_denied"));
    assert_eq!(no.status.as_ref().map(|s| s.code), Some(2), "status ERROR");

    assert_ne!(hex::encode(&ok.span_id), AGENT_SPAN);

    // children: each call's policy evaluation, the allowed call's upstream request
    let children = |parent: &Span| -> Vec<&Span> {
        got.iter()
            .map(|(_, s)| s)
            .filter(|s| s.parent_span_id == parent.span_id)
            .collect()
    };
    let ok_children = children(ok);
    assert_eq!(ok_children.len(), 2, "{ok_children:?}");
    let policy = ok_children
        .iter()
        .find(|s| s.name == "toolwall.policy")
        .expect("policy span");
    assert_eq!(policy.kind, SpanKind::Internal as i32);
    assert_eq!(attr(policy, "toolwall.decision").as_deref(), Some("allow"));
    let client = ok_children
        .iter()
        .find(|s| s.name == "POST")
        .expect("upstream span");
    assert_eq!(client.kind, SpanKind::Client as i32);
    assert_eq!(hex::encode(&client.trace_id), AGENT_TRACE);
    assert_eq!(attr(client, "server.address").as_deref(), Some("127.0.0.1"));
    assert_eq!(attr(client, "http.request.method").as_deref(), Some("POST"));
    let status = client
        .attributes
        .iter()
        .find(|kv| kv.key == "http.response.status_code")
        .and_then(|kv| kv.value.as_ref().and_then(|v| v.value.clone()));
    assert_eq!(status, Some(AnyValue::IntValue(200)));
    // the call's span covers its children
    assert!(ok.start_time_unix_nano <= policy.start_time_unix_nano);
    assert!(client.end_time_unix_nano <= ok.end_time_unix_nano);
    let no_children = children(no);
    assert_eq!(no_children.len(), 1, "{no_children:?}");
    assert_eq!(no_children[0].name, "toolwall.policy");
    assert_eq!(
        attr(no_children[0], "toolwall.decision").as_deref(),
        Some("deny")
    );

    // the tool got one call, its traceparent's parent is toolwall's upstream span
    let seen = tool.requests();
    assert_eq!(seen.len(), 1);
    let tp = seen[0]
        .headers
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .expect("traceparent");
    assert_eq!(
        tp,
        format!("00-{AGENT_TRACE}-{}-01", hex::encode(&client.span_id))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standard_variables_turn_tracing_on() {
    let receiver = http_upstream().await;
    let tool = http_upstream().await;
    let env = [
        (
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            format!("http://{}/v1/traces", receiver.addr),
        ),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf".to_string()),
        ("OTEL_SERVICE_NAME", "from-env".to_string()),
        (
            "OTEL_TRACES_SAMPLER",
            "parentbased_traceidratio".to_string(),
        ),
        ("OTEL_TRACES_SAMPLER_ARG", "1.0".to_string()),
    ];
    let tw = start(&tool, "", &env).await;
    // no agent traceparent: toolwall's span starts the trace
    let r = send(
        tw.agent,
        json_post("/echo/v1/refunds", r#"{"charge":"ch_1","amount":5}"#),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let got = wait_for_spans(&receiver, 3).await;
    assert_eq!(got.len(), 3, "{got:?}");
    let (service, span) = got
        .iter()
        .find(|(_, s)| s.name == "execute_tool echo.refund")
        .expect("the call's span");
    assert_eq!(service, "from-env");
    assert!(span.parent_span_id.is_empty(), "a root span");
    let client = got
        .iter()
        .map(|(_, s)| s)
        .find(|s| s.name == "POST")
        .expect("upstream span");
    assert_eq!(client.parent_span_id, span.span_id);
    let tp = tool.requests()[0]
        .headers
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .expect("traceparent")
        .to_string();
    assert_eq!(
        tp,
        format!(
            "00-{}-{}-01",
            hex::encode(&span.trace_id),
            hex::encode(&client.span_id)
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn off_nothing_is_exported() {
    let receiver = http_upstream().await;
    let tool = http_upstream().await;
    // the endpoint variable alone would turn tracing on; the section turns it off
    let env = [
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://{}", receiver.addr),
        ),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf".to_string()),
    ];
    let tw = start(&tool, "telemetry:\n  enabled: false\n", &env).await;
    let ok = send(tw.agent, refund(5)).await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    let no = send(tw.agent, refund(500)).await;
    assert_eq!(no.status, 403, "{:?}", no.body);
    // twenty export intervals
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(receiver.requests().len(), 0);
    // the agent's traceparent goes to the tool as it was sent
    let tp = tool.requests()[0]
        .headers
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .expect("traceparent")
        .to_string();
    assert_eq!(tp, format!("00-{AGENT_TRACE}-{AGENT_SPAN}-01"));
}

/// The Python OTLP/gRPC receiver (tests/otel/receiver.py), killed on drop.
struct GrpcReceiver {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

impl Drop for GrpcReceiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl GrpcReceiver {
    async fn start() -> GrpcReceiver {
        let dir = tempfile::tempdir().expect("tempdir");
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/otel/receiver.py");
        let mut r = GrpcReceiver {
            child: Command::new(python())
                .arg(script)
                .arg(dir.path())
                .stdout(Stdio::null())
                .spawn()
                .expect("the test Python runs"),
            dir,
            port: 0,
        };
        for _ in 0..600 {
            if let Ok(p) = std::fs::read_to_string(r.dir.path().join("port")) {
                r.port = p.trim().parse().expect("port");
                return r;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the OTLP receiver did not start");
    }

    fn spans(&self) -> Vec<(String, Span)> {
        let mut bodies = Vec::new();
        for e in std::fs::read_dir(self.dir.path()).expect("read dir") {
            let path = e.expect("entry").path();
            if path.extension().is_some_and(|x| x == "pb") {
                bodies.push(std::fs::read(path).expect("read"));
            }
        }
        decode(&bodies)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_reach_an_otlp_grpc_receiver() {
    let receiver = GrpcReceiver::start().await;
    let tool = http_upstream().await;
    let env = [
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://127.0.0.1:{}", receiver.port),
        ),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc".to_string()),
    ];
    let tw = start(&tool, "", &env).await;
    let refused = send(tw.agent, refund(500)).await;
    assert_eq!(refused.status, 403, "{:?}", refused.body);
    // the call and its policy evaluation
    let mut got = Vec::new();
    for _ in 0..300 {
        got = receiver.spans();
        if got.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(got.len(), 2, "{got:?}");
    let (service, span) = got
        .iter()
        .find(|(_, s)| s.name.starts_with("execute_tool"))
        .expect("the call's span");
    assert_eq!(service, "toolwall");
    assert_eq!(span.name, "execute_tool echo.refund");
    assert_eq!(hex::encode(&span.trace_id), AGENT_TRACE);
    assert_eq!(hex::encode(&span.parent_span_id), AGENT_SPAN);
    assert_eq!(attr(span, "toolwall.decision").as_deref(), Some("deny"));
    assert_eq!(attr(span, "error.type").as_deref(), Some("policy_denied"));
    // refused: the tool got nothing
    assert!(tool.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_tool_is_an_error_of_the_call_and_its_client_span() {
    let receiver = http_upstream().await;
    // nothing listens on this port
    let gone = Upstream {
        addr: format!("127.0.0.1:{}", free_port()).parse().expect("addr"),
        seen: Default::default(),
        ca_pem: None,
    };
    let env = [
        (
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://{}", receiver.addr),
        ),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf".to_string()),
    ];
    let tw = start(&gone, "", &env).await;
    let r = send(tw.agent, refund(5)).await;
    assert_eq!(r.status, 502, "{:?}", r.body);
    let got = wait_for_spans(&receiver, 3).await;
    assert_eq!(got.len(), 3, "{got:?}");
    let span = |name: &str| {
        got.iter()
            .map(|(_, s)| s)
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no span {name}: {got:?}"))
    };
    let call = span("execute_tool echo.refund");
    assert_eq!(attr(call, "toolwall.decision").as_deref(), Some("error"));
    assert_eq!(
        attr(call, "error.type").as_deref(),
        Some("upstream_unavailable")
    );
    let client = span("POST");
    assert_eq!(client.parent_span_id, call.span_id);
    assert_eq!(
        attr(client, "error.type").as_deref(),
        Some("upstream_unavailable")
    );
    assert_eq!(
        client.status.as_ref().map(|s| s.code),
        Some(2),
        "status ERROR"
    );
    assert!(!client
        .attributes
        .iter()
        .any(|kv| kv.key == "http.response.status_code"));
}
