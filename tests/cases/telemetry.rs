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
pub(crate) const AGENT_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
pub(crate) const AGENT_SPAN: &str = "00f067aa0ba902b7";

pub(crate) struct Running {
    child: Child,
    pub(crate) agent: std::net::SocketAddr,
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
    let echo = echo_adapter(&format!("http://{}", tool.addr), "");
    start_with(&[("echo", echo)], POLICY, telemetry, env).await
}

/// `toolwall run` with these adapters and policy, `telemetry` in its config and `env` set.
pub(crate) async fn start_with(
    adapters: &[(&str, String)],
    policy: &str,
    telemetry: &str,
    env: &[(&str, String)],
) -> Running {
    let identity = "identity:\n  static: { agent: billing-bot, tenant: acme }\n";
    start_config(adapters, policy, &format!("{identity}{telemetry}"), env).await
}

/// [`start_with`], `config` (identity, telemetry, …) the config file after `listen`/`admin`.
pub(crate) async fn start_config(
    adapters: &[(&str, String)],
    policy: &str,
    config: &str,
    env: &[(&str, String)],
) -> Running {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("adapters")).expect("mkdir");
    std::fs::create_dir_all(root.join("policies")).expect("mkdir");
    for (name, yaml) in adapters {
        std::fs::write(root.join(format!("adapters/{name}.yaml")), yaml).expect("write");
    }
    std::fs::write(root.join("policies/p.rego"), policy).expect("write");
    let listen = free_port();
    let cfg = format!("listen: 127.0.0.1:{listen}\nadmin: 127.0.0.1:0\n{config}\n");
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

/// The MCP server got call span `s`'s CLIENT span `client` as its parent: in the `params._meta`
/// of the message `id` among `sent` (with the agent's `tracestate` and the protocol's own
/// members untouched) and in the `traceparent` header of its HTTP request among `requests`.
pub(crate) fn assert_server_got_client_span(
    s: &Span,
    client: &Span,
    id: &Value,
    sent: &[Value],
    requests: &[Value],
    state: Option<&str>,
) {
    let expected = format!(
        "00-{}-{}-01",
        hex::encode(&s.trace_id),
        hex::encode(&client.span_id)
    );
    let message = sent
        .iter()
        .find(|c| &c["id"] == id)
        .unwrap_or_else(|| panic!("the server did not get {id}: {sent:?}"));
    let meta = &message["params"]["_meta"];
    assert_eq!(meta["traceparent"], expected.as_str(), "{meta}");
    assert_eq!(meta["tracestate"].as_str(), state, "{meta}");
    // the protocol's own `_meta` members go on untouched
    assert_eq!(
        meta["io.modelcontextprotocol/protocolVersion"],
        "2026-07-28"
    );
    // the HTTP request carries the same parent
    let http = requests
        .iter()
        .find(|r| {
            r["body"]
                .as_str()
                .and_then(|b| serde_json::from_str::<Value>(b).ok())
                .is_some_and(|b| &b["id"] == id)
        })
        .expect("the HTTP request of the call");
    assert_eq!(http["headers"]["traceparent"], expected.as_str());
}

/// A refund with the agent's `traceparent`.
pub(crate) fn refund(amount: u32) -> http::Request<http_body_util::Full<bytes::Bytes>> {
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
pub(crate) fn decode(bodies: &[Vec<u8>]) -> Vec<(String, Span)> {
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

pub(crate) fn attr(span: &Span, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .map(|kv| string(kv.value.as_ref().and_then(|v| v.value.as_ref())))
}

pub(crate) async fn wait_for_spans(receiver: &Upstream, n: usize) -> Vec<(String, Span)> {
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

    // allowed: the call, its schema, policy and upstream children; refused: the call, its
    // schema and policy
    let got = wait_for_spans(&receiver, 7).await;
    assert_eq!(got.len(), 7, "{got:?}");
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
    assert_eq!(ok_children.len(), 3, "{ok_children:?}");
    let schema = ok_children
        .iter()
        .find(|s| s.name == "toolwall.schema")
        .expect("schema span");
    assert_eq!(schema.kind, SpanKind::Internal as i32);
    assert_eq!(attr(schema, "error.type"), None);
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
    assert_eq!(no_children.len(), 2, "{no_children:?}");
    let no_policy = no_children
        .iter()
        .find(|s| s.name == "toolwall.policy")
        .expect("policy span");
    assert_eq!(
        attr(no_policy, "toolwall.decision").as_deref(),
        Some("deny")
    );
    assert!(no_children.iter().any(|s| s.name == "toolwall.schema"));

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
    let got = wait_for_spans(&receiver, 4).await;
    assert_eq!(got.len(), 4, "{got:?}");
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
pub(crate) struct GrpcReceiver {
    child: Child,
    dir: tempfile::TempDir,
    pub(crate) port: u16,
}

impl Drop for GrpcReceiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl GrpcReceiver {
    async fn start() -> GrpcReceiver {
        Self::start_with(&[]).await
    }

    /// The receiver with these arguments after its directory (TLS: `CERT KEY [CLIENT_CA]`).
    pub(crate) async fn start_with(args: &[&std::path::Path]) -> GrpcReceiver {
        let dir = tempfile::tempdir().expect("tempdir");
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/otel/receiver.py");
        let mut r = GrpcReceiver {
            child: Command::new(python())
                .arg(script)
                .arg(dir.path())
                .args(args)
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

    pub(crate) fn spans(&self) -> Vec<(String, Span)> {
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
    // the call, its schema check and policy evaluation
    let mut got = Vec::new();
    for _ in 0..300 {
        got = receiver.spans();
        if got.len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(got.len(), 3, "{got:?}");
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
    let got = wait_for_spans(&receiver, 4).await;
    assert_eq!(got.len(), 4, "{got:?}");
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

/// A 2026-07-28 `tools/call` of the test MCP server's `refund`, its `_meta` members `meta`.
fn mcp_refund(id: Value, amount: u32, meta: Value, header_tp: Option<&str>) -> Request {
    let mut m = serde_json::json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    });
    if let (Some(m), Value::Object(extra)) = (m.as_object_mut(), meta) {
        m.extend(extra);
    }
    let body = serde_json::json!({
        "jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": {"name": "refund", "arguments": {"charge": "ch_1", "amount": amount}, "_meta": m},
    });
    let mut b = req("POST", "/crm/mcp")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/call")
        .header("mcp-name", "refund");
    if let Some(tp) = header_tp {
        b = b.header("traceparent", tp);
    }
    b.body(http_body_util::Full::new(bytes::Bytes::from(
        body.to_string(),
    )))
    .expect("req")
}

type Request = http::Request<http_body_util::Full<bytes::Bytes>>;
use serde_json::Value;

/// The JSON-RPC answer of a reply, JSON or SSE (its last message).
fn answer(r: &Reply) -> Value {
    if let Ok(v) = serde_json::from_slice::<Value>(&r.body) {
        return v;
    }
    String::from_utf8_lossy(&r.body)
        .split("\n\n")
        .filter_map(|ev| {
            let data: Vec<&str> = ev
                .lines()
                .filter_map(|l| l.trim_end_matches('\r').strip_prefix("data:"))
                .map(str::trim_start)
                .collect();
            serde_json::from_str::<Value>(&data.join("\n")).ok()
        })
        .last()
        .unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_tool_calls_are_spans_and_the_server_gets_the_client_span_in_meta() {
    use crate::cases::mcp::{crm_adapter, McpServer, MCP_POLICY};
    const HEADER_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
    const HEADER_SPAN: &str = "b7ad6b7169203331";
    let header_tp = format!("00-{HEADER_TRACE}-{HEADER_SPAN}-01");
    let agent_tp = format!("00-{AGENT_TRACE}-{AGENT_SPAN}-01");
    let bad_tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-zzzzzzzzzzzzzzzz-01";

    let receiver = http_upstream().await;
    let server = McpServer::start().await;
    let telemetry = format!(
        "telemetry:\n  enabled: true\n  protocol: http/protobuf\n  endpoint: http://{}\n",
        receiver.addr
    );
    let tw = start_with(
        &[("crm", crm_adapter(server.addr, ""))],
        MCP_POLICY,
        &telemetry,
        &[],
    )
    .await;

    // A: the trace context in `_meta` wins over the request's header
    let meta = serde_json::json!({"traceparent": agent_tp, "tracestate": "vendor=abc"});
    let a = send(
        tw.agent,
        mcp_refund(serde_json::json!("call-a"), 5, meta, Some(&header_tp)),
    )
    .await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    assert_eq!(answer(&a)["result"]["isError"], false, "{:?}", answer(&a));
    // B: a malformed `_meta.traceparent` starts a new trace (not the header's)
    let meta = serde_json::json!({"traceparent": bad_tp, "tracestate": "vendor=abc"});
    let b = send(
        tw.agent,
        mcp_refund(serde_json::json!(2), 5, meta, Some(&header_tp)),
    )
    .await;
    assert_eq!(b.status, 200, "{}", String::from_utf8_lossy(&b.body));
    assert_eq!(answer(&b)["result"]["isError"], false, "{:?}", answer(&b));
    // C: refused by policy; no `_meta` context, so the header's
    let c = send(
        tw.agent,
        mcp_refund(
            serde_json::json!(3),
            5000,
            serde_json::json!({}),
            Some(&header_tp),
        ),
    )
    .await;
    assert_eq!(answer(&c)["result"]["isError"], true, "{:?}", answer(&c));

    // A and B: call, schema, policy, CLIENT; C: call, schema, policy
    let got = wait_for_spans(&receiver, 11).await;
    assert_eq!(got.len(), 11, "{got:?}");
    let call = |id: &str| {
        got.iter()
            .map(|(_, s)| s)
            .find(|s| {
                s.name.starts_with("execute_tool")
                    && attr(s, "jsonrpc.request.id").as_deref() == Some(id)
            })
            .unwrap_or_else(|| panic!("no call span for request {id}: {got:?}"))
    };
    let children = |parent: &Span| -> Vec<&Span> {
        got.iter()
            .map(|(_, s)| s)
            .filter(|s| s.parent_span_id == parent.span_id)
            .collect()
    };
    let (sa, sb, sc) = (call("call-a"), call("2"), call("3"));
    for (s, id) in [(sa, "call-a"), (sb, "2"), (sc, "3")] {
        assert_eq!(s.name, "execute_tool crm.refund");
        assert_eq!(s.kind, SpanKind::Internal as i32);
        assert_eq!(
            attr(s, "gen_ai.operation.name").as_deref(),
            Some("execute_tool")
        );
        assert_eq!(attr(s, "gen_ai.tool.name").as_deref(), Some("crm.refund"));
        assert_eq!(attr(s, "gen_ai.tool.call.id").as_deref(), Some(id));
        assert_eq!(attr(s, "mcp.method.name").as_deref(), Some("tools/call"));
        assert_eq!(
            attr(s, "mcp.protocol.version").as_deref(),
            Some("2026-07-28")
        );
        assert_eq!(
            attr(s, "mcp.session.id"),
            None,
            "a 2026-07-28 call has no session"
        );
        assert_eq!(attr(s, "toolwall.adapter").as_deref(), Some("crm"));
        assert!(attr(s, "toolwall.decision_id").is_some_and(|d| !d.is_empty()));
    }
    // A: the agent's `_meta` context continues
    assert_eq!(hex::encode(&sa.trace_id), AGENT_TRACE);
    assert_eq!(hex::encode(&sa.parent_span_id), AGENT_SPAN);
    assert_eq!(attr(sa, "toolwall.decision").as_deref(), Some("allow"));
    assert_eq!(attr(sa, "error.type"), None);
    // B: a new trace, a root span
    assert_ne!(hex::encode(&sb.trace_id), AGENT_TRACE);
    assert_ne!(hex::encode(&sb.trace_id), HEADER_TRACE);
    assert!(sb.parent_span_id.is_empty(), "a root span");
    // C: refused, in the header's trace, no CLIENT span
    assert_eq!(hex::encode(&sc.trace_id), HEADER_TRACE);
    assert_eq!(hex::encode(&sc.parent_span_id), HEADER_SPAN);
    assert_eq!(attr(sc, "toolwall.decision").as_deref(), Some("deny"));
    assert_eq!(attr(sc, "error.type").as_deref(), Some("policy_denied"));
    assert_eq!(
        attr(sc, "toolwall.reasons").as_deref(),
        Some("amount_exceeds_threshold")
    );
    assert_eq!(sc.status.as_ref().map(|s| s.code), Some(2), "status ERROR");
    let mut c_children: Vec<&str> = children(sc).iter().map(|s| s.name.as_str()).collect();
    c_children.sort();
    assert_eq!(c_children, ["toolwall.policy", "toolwall.schema"]);

    // the server got A and B only, each with toolwall's CLIENT span as the parent in `_meta`
    let calls = server.tool_calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    let requests = server.requests();
    for (s, id, state) in [
        (sa, serde_json::json!("call-a"), Some("vendor=abc")),
        (sb, serde_json::json!(2), None),
    ] {
        let kids = children(s);
        assert_eq!(kids.len(), 3, "{kids:?}");
        assert!(kids.iter().any(|k| k.name == "toolwall.policy"));
        assert!(kids.iter().any(|k| k.name == "toolwall.schema"));
        let client = kids
            .iter()
            .find(|k| k.kind == SpanKind::Client as i32)
            .unwrap_or_else(|| panic!("no CLIENT span: {kids:?}"));
        assert_eq!(client.name, "tools/call crm.refund");
        assert_eq!(
            attr(client, "mcp.method.name").as_deref(),
            Some("tools/call")
        );
        assert_eq!(attr(client, "server.address").as_deref(), Some("127.0.0.1"));
        assert_eq!(attr(client, "error.type"), None);
        assert!(client.end_time_unix_nano <= s.end_time_unix_nano);
        assert_server_got_client_span(s, client, &id, &calls, &requests, state);
    }
    // the malformed traceparent never reached the server
    assert!(!requests.iter().any(|r| r.to_string().contains("zzzzzzzz")));
}

/// Refunds under 100 allowed with emails redacted; larger ones need a human.
const STAGES_POLICY: &str = r#"
package toolwall
import rego.v1

default decision := {"allow": false, "reasons": ["default_deny"]}

decision := {"allow": true, "reasons": [], "redact": ["email"]} if input.args.amount < 100

decision := {"allow": true, "reasons": ["large_refund"], "require_approval": true} if {
	input.args.amount >= 100
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_redaction_and_approval_are_child_spans() {
    let receiver = http_upstream().await;
    let tool = http_upstream().await;
    let telemetry = format!(
        "telemetry:\n  enabled: true\n  protocol: http/protobuf\n  endpoint: http://{}\nlimits:\n  rate: [ {{ per_minute: 2, burst: 2 }} ]\napprovals:\n  ttl: 1h\n  approvers:\n    - {{ name: alice, token_env: TW_TEL_ALICE }}\n  tiers: {{ default: {{ quorum: 1 }} }}\n",
        receiver.addr
    );
    let echo = echo_adapter(&format!("http://{}", tool.addr), "");
    let env = [("TW_TEL_ALICE", "alice-token-0123456789".to_string())];
    let tw = start_with(&[("echo", echo)], STAGES_POLICY, &telemetry, &env).await;
    let refund = |amount: u32| {
        send(
            tw.agent,
            json_post(
                "/echo/v1/refunds",
                &format!(
                    r#"{{"charge":"ch_1","amount":{amount},"meta":{{"note":"mail jane.doe@example.com"}}}}"#
                ),
            ),
        )
    };
    // allowed and redacted; held for approval; over the rate limit
    let ok = refund(5).await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    let held = refund(500).await;
    assert_eq!(held.status, 403, "{}", String::from_utf8_lossy(&held.body));
    let limited = refund(5).await;
    assert_eq!(
        limited.status,
        429,
        "{}",
        String::from_utf8_lossy(&limited.body)
    );
    let id = |r: &Reply| {
        r.headers
            .get("toolwall-decision-id")
            .and_then(|v| v.to_str().ok())
            .expect("decision id")
            .to_string()
    };

    // ok: schema, policy, redact, limits, CLIENT; held: schema, policy, limits, approval;
    // limited: schema, policy, redact, limits (redaction comes before admission)
    let got = wait_for_spans(&receiver, 3 + 5 + 4 + 4).await;
    assert_eq!(got.len(), 16, "{got:?}");
    let call = |r: &Reply| {
        let id = id(r);
        got.iter()
            .map(|(_, s)| s)
            .find(|s| attr(s, "toolwall.decision_id").as_deref() == Some(id.as_str()))
            .unwrap_or_else(|| panic!("no span for {id}"))
    };
    let kids = |parent: &Span| -> Vec<&Span> {
        let mut k: Vec<&Span> = got
            .iter()
            .map(|(_, s)| s)
            .filter(|s| s.parent_span_id == parent.span_id)
            .collect();
        k.sort_by(|a, b| a.name.cmp(&b.name));
        k
    };
    let names = |k: &[&Span]| k.iter().map(|s| s.name.clone()).collect::<Vec<_>>();

    let ok_kids = kids(call(&ok));
    assert_eq!(
        names(&ok_kids),
        [
            "POST",
            "toolwall.limits",
            "toolwall.policy",
            "toolwall.redact",
            "toolwall.schema"
        ]
    );
    let redact = ok_kids[3];
    let redactions = redact
        .attributes
        .iter()
        .find(|kv| kv.key == "toolwall.redactions")
        .and_then(|kv| kv.value.as_ref().and_then(|v| v.value.clone()));
    assert_eq!(redactions, Some(AnyValue::IntValue(1)));
    assert_eq!(attr(ok_kids[1], "error.type"), None);
    // the tool got the email masked
    let seen = tool.requests();
    assert_eq!(seen.len(), 1);
    assert!(!String::from_utf8_lossy(&seen[0].body).contains("jane.doe"));

    let held_call = call(&held);
    assert_eq!(
        attr(held_call, "error.type").as_deref(),
        Some("approval_required")
    );
    let held_kids = kids(held_call);
    assert_eq!(
        names(&held_kids),
        [
            "toolwall.approval",
            "toolwall.limits",
            "toolwall.policy",
            "toolwall.schema"
        ]
    );
    let approval = held_kids[0];
    assert_eq!(
        attr(approval, "error.type").as_deref(),
        Some("approval_required")
    );
    let wait = approval
        .attributes
        .iter()
        .find(|kv| kv.key == "toolwall.approval.wait_ms")
        .and_then(|kv| kv.value.as_ref().and_then(|v| v.value.clone()));
    assert!(
        matches!(wait, Some(AnyValue::IntValue(ms)) if ms >= 0),
        "{wait:?}"
    );

    let limited_call = call(&limited);
    assert_eq!(
        attr(limited_call, "error.type").as_deref(),
        Some("rate_limited")
    );
    let limited_kids = kids(limited_call);
    assert_eq!(
        names(&limited_kids),
        [
            "toolwall.limits",
            "toolwall.policy",
            "toolwall.redact",
            "toolwall.schema"
        ]
    );
    assert_eq!(
        attr(limited_kids[0], "error.type").as_deref(),
        Some("rate_limited")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mcp_session_call_carries_its_session_id() {
    use crate::cases::mcp::{crm_adapter, McpServer, MCP_POLICY};
    let receiver = http_upstream().await;
    let server = McpServer::start().await;
    let telemetry = format!(
        "telemetry:\n  enabled: true\n  protocol: http/protobuf\n  endpoint: http://{}\n",
        receiver.addr
    );
    let tw = start_with(
        &[("crm", crm_adapter(server.addr, ""))],
        MCP_POLICY,
        &telemetry,
        &[],
    )
    .await;
    let post = |headers: &[(&str, &str)], body: &str| {
        let mut b = req("POST", "/crm/mcp")
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(http_body_util::Full::new(bytes::Bytes::from(
            body.to_string(),
        )))
        .expect("req")
    };
    let init = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}"#;
    let r = send(tw.agent, post(&[], init)).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let sid = r
        .headers
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .expect("session id")
        .to_string();
    let session = [
        ("mcp-session-id", sid.as_str()),
        ("mcp-protocol-version", "2025-11-25"),
    ];
    let r = send(
        tw.agent,
        post(
            &session,
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        ),
    )
    .await;
    assert!(r.status.is_success(), "{}", r.status);
    let call = r#"{"jsonrpc":"2.0","id":"s-1","method":"tools/call","params":{"name":"refund","arguments":{"charge":"ch_1","amount":7}}}"#;
    let r = send(tw.agent, post(&session, call)).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(answer(&r)["result"]["isError"], false, "{:?}", answer(&r));

    // initialize and the notification are not calls: one call, its schema, policy, CLIENT
    let got = wait_for_spans(&receiver, 4).await;
    assert_eq!(got.len(), 4, "{got:?}");
    let span = got
        .iter()
        .map(|(_, s)| s)
        .find(|s| s.name == "execute_tool crm.refund")
        .expect("the call's span");
    assert_eq!(attr(span, "mcp.session.id").as_deref(), Some(sid.as_str()));
    assert_eq!(
        attr(span, "mcp.protocol.version").as_deref(),
        Some("2025-11-25")
    );
    assert_eq!(attr(span, "jsonrpc.request.id").as_deref(), Some("s-1"));
    assert_eq!(attr(span, "gen_ai.tool.call.id").as_deref(), Some("s-1"));
    // no context from the agent: a new trace, and the server's `_meta` names the CLIENT span
    assert!(span.parent_span_id.is_empty());
    let client = got
        .iter()
        .map(|(_, s)| s)
        .find(|s| s.kind == SpanKind::Client as i32)
        .expect("CLIENT span");
    let calls = server.tool_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(
        calls[0]["params"]["_meta"]["traceparent"],
        format!(
            "00-{}-{}-01",
            hex::encode(&span.trace_id),
            hex::encode(&client.span_id)
        )
        .as_str()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn off_the_mcp_server_gets_a_well_formed_meta_traceparent_only() {
    use crate::cases::mcp::{crm_adapter, McpServer, MCP_POLICY};
    let server = McpServer::start().await;
    let tw = start_with(
        &[("crm", crm_adapter(server.addr, ""))],
        MCP_POLICY,
        "",
        &[],
    )
    .await;
    let good = format!("00-{AGENT_TRACE}-{AGENT_SPAN}-01");
    let bad = "00-4bf92f3577b34da6a3ce929d0e0e4736-zzzzzzzzzzzzzzzz-01";
    for (id, tp) in [("good", good.as_str()), ("bad", bad)] {
        let meta = serde_json::json!({"traceparent": tp, "tracestate": "vendor=abc"});
        let r = send(tw.agent, mcp_refund(serde_json::json!(id), 5, meta, None)).await;
        assert_eq!(answer(&r)["result"]["isError"], false, "{:?}", answer(&r));
    }
    let calls = server.tool_calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    let meta = |id: &str| {
        calls
            .iter()
            .find(|c| c["id"] == id)
            .map(|c| c["params"]["_meta"].clone())
            .unwrap_or_else(|| panic!("no call {id}: {calls:?}"))
    };
    // well-formed: passed on as sent, with its tracestate
    assert_eq!(meta("good")["traceparent"], good.as_str());
    assert_eq!(meta("good")["tracestate"], "vendor=abc");
    // malformed: neither it nor its tracestate reach the server; the rest of `_meta` does
    let m = meta("bad");
    assert!(m.get("traceparent").is_none(), "{m}");
    assert!(m.get("tracestate").is_none(), "{m}");
    assert_eq!(m["io.modelcontextprotocol/protocolVersion"], "2026-07-28");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mcp_server_gone_is_an_error_of_the_call_and_its_client_span() {
    use crate::cases::mcp::{crm_adapter, McpServer, MCP_POLICY};
    let receiver = http_upstream().await;
    let server = McpServer::start().await;
    let telemetry = format!(
        "telemetry:\n  enabled: true\n  protocol: http/protobuf\n  endpoint: http://{}\n",
        receiver.addr
    );
    let tw = start_with(
        &[("crm", crm_adapter(server.addr, ""))],
        MCP_POLICY,
        &telemetry,
        &[],
    )
    .await;
    // the first call lists the tools (pinned); then the server goes away
    let r = send(
        tw.agent,
        mcp_refund(serde_json::json!(1), 5, serde_json::json!({}), None),
    )
    .await;
    assert_eq!(answer(&r)["result"]["isError"], false, "{:?}", answer(&r));
    drop(server);
    let r = send(
        tw.agent,
        mcp_refund(serde_json::json!(2), 5, serde_json::json!({}), None),
    )
    .await;
    assert_eq!(r.status, 502, "{}", String::from_utf8_lossy(&r.body));

    let got = wait_for_spans(&receiver, 8).await;
    assert_eq!(got.len(), 8, "{got:?}");
    let call = got
        .iter()
        .map(|(_, s)| s)
        .find(|s| {
            s.name.starts_with("execute_tool")
                && attr(s, "jsonrpc.request.id").as_deref() == Some("2")
        })
        .expect("the second call's span");
    assert_eq!(
        attr(call, "error.type").as_deref(),
        Some("upstream_unavailable")
    );
    let client = got
        .iter()
        .map(|(_, s)| s)
        .find(|s| s.kind == SpanKind::Client as i32 && s.parent_span_id == call.span_id)
        .expect("its CLIENT span");
    assert_eq!(client.name, "tools/call crm.refund");
    assert_eq!(
        attr(client, "error.type").as_deref(),
        Some("upstream_unavailable")
    );
    assert_eq!(client.status.as_ref().map(|s| s.code), Some(2), "ERROR");
}

/// `telemetry.record_arguments`: the call's arguments on its span, every entity masked — the
/// policy asked for no redaction, and the tool still got the address — and off by default.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arguments_are_on_the_span_only_when_asked_and_always_masked() {
    let email = "jane.doe@example.com";
    let body = format!(r#"{{"charge":"ch_77","amount":5,"meta":{{"note":"mail {email}"}}}}"#);
    let call = || {
        req("POST", "/echo/v1/refunds")
            .header("content-type", "application/json")
            .body(http_body_util::Full::new(bytes::Bytes::from(body.clone())))
            .expect("req")
    };
    for record in [true, false] {
        let receiver = http_upstream().await;
        let tool = http_upstream().await;
        let mut telemetry = format!(
            "telemetry:\n  enabled: true\n  protocol: http/protobuf\n  endpoint: http://{}\n",
            receiver.addr
        );
        if record {
            telemetry.push_str("  record_arguments: true\n");
        }
        let tw = start(&tool, &telemetry, &[]).await;
        let r = send(tw.agent, call()).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        // the tool got the arguments as sent: the span's masking is the span's own
        let seen = tool.requests();
        assert!(
            String::from_utf8_lossy(&seen[0].body).contains(email),
            "the tool should get the address"
        );
        // the children end (and may be exported) before the call's span: wait for it
        let mut got = wait_for_spans(&receiver, 1).await;
        for _ in 0..100 {
            if got.iter().any(|(_, s)| s.name.starts_with("execute_tool")) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            got = wait_for_spans(&receiver, 1).await;
        }
        let call_span = got
            .iter()
            .map(|(_, s)| s)
            .find(|s| s.name.starts_with("execute_tool"))
            .expect("the call's span");
        let args = attr(call_span, "gen_ai.tool.call.arguments");
        if record {
            let args = args.expect("arguments recorded");
            let v: serde_json::Value = serde_json::from_str(&args).expect("JSON arguments");
            assert_eq!(v["charge"], "ch_77");
            assert_eq!(v["amount"], 5);
            assert_eq!(v["meta"]["note"], "mail [EMAIL]", "{args}");
        } else {
            assert_eq!(args, None);
        }
        let all: String = got.iter().map(|(_, s)| format!("{s:?}")).collect();
        assert!(!all.contains(email), "the address reached a span: {all}");
    }
}

/// Spans still queued when toolwall stops are exported before it exits: with a 60 s export
/// interval, the receiver has nothing until SIGTERM, then the call's spans. With the
/// multi-thread runtime (two workers) and the current-thread one (`TOOLWALL_WORKERS=1`), where
/// the export runs on the very thread that stops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_spans_are_exported_at_shutdown() {
    for workers in ["2", "1"] {
        let receiver = http_upstream().await;
        let tool = http_upstream().await;
        let telemetry = format!(
            "telemetry:\n  enabled: true\n  protocol: http/protobuf\n  endpoint: http://{}\n",
            receiver.addr
        );
        let mut tw = start(
            &tool,
            &telemetry,
            &[
                ("OTEL_BSP_SCHEDULE_DELAY", "60000".to_string()),
                ("TOOLWALL_WORKERS", workers.to_string()),
            ],
        )
        .await;
        let r = send(tw.agent, refund(5)).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(
            receiver.requests().is_empty(),
            "exported before the interval ({workers} workers)"
        );
        let stopped = Command::new("kill")
            .args(["-TERM", &tw.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(stopped.success());
        let mut exited = false;
        for _ in 0..200 {
            if tw.child.try_wait().expect("wait").is_some() {
                exited = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(exited, "toolwall did not stop ({workers} workers)");
        // the call, its schema, policy and upstream spans: all there once it exited
        let got = spans(&receiver);
        assert_eq!(got.len(), 4, "{workers} workers: {got:?}");
        assert!(got.iter().any(|(_, s)| s.name == "execute_tool echo.refund"
            && hex::encode(&s.parent_span_id) == AGENT_SPAN));
    }
}
