//! Spans everywhere a call is decided: requests refused before they are routed or read (no
//! adapter for the path or the gRPC service, a body that is not JSON, an MCP message that
//! fails validation, an unlisted tool, no credentials) are `execute_tool` spans in the agent's trace, and MCP
//! `resources/read` / `prompts/get` are spans named as the MCP conventions say, their server
//! (the real MCP Python SDK) getting toolwall's CLIENT span in `params._meta`. Checked at a
//! real OTLP/HTTP receiver, its bodies decoded as `ExportTraceServiceRequest`.

use std::time::Duration;

use opentelemetry_proto::tonic::trace::v1::{span::SpanKind, Span};
use serde_json::{json, Value};

use super::mcp::{crm_adapter, McpServer, MCP_POLICY};
use super::telemetry::{
    assert_server_got_client_span, attr, start_config, start_with, wait_for_spans, AGENT_SPAN,
    AGENT_TRACE,
};
use crate::common::*;

type Request = http::Request<http_body_util::Full<bytes::Bytes>>;

/// The trace context an agent put in `params._meta` (another trace than its header's).
const META_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const META_SPAN: &str = "b7ad6b7169203331";

fn agent_tp() -> String {
    format!("00-{AGENT_TRACE}-{AGENT_SPAN}-01")
}

fn telemetry(receiver: &Upstream) -> String {
    format!(
        "telemetry:\n  enabled: true\n  protocol: http/protobuf\n  endpoint: http://{}\n",
        receiver.addr
    )
}

/// A POST of `body` to `path`, with the agent's `traceparent` header and `headers`.
fn post(path: &str, body: &str, headers: &[(&str, &str)]) -> Request {
    let mut b = req("POST", path)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("traceparent", agent_tp());
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(http_body_util::Full::new(bytes::Bytes::from(
        body.to_string(),
    )))
    .expect("req")
}

/// A 2026-07-28 MCP request (`method` with `params`, `_meta` members `meta` added), its
/// routing headers as the protocol asks (`name` the Mcp-Name).
fn mcp(id: Value, method: &str, mut params: Value, meta: Value, name: &str) -> Request {
    let mut m = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    });
    if let (Some(m), Value::Object(extra)) = (m.as_object_mut(), meta) {
        m.extend(extra);
    }
    params["_meta"] = m;
    let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
    post(
        "/crm/mcp",
        &body.to_string(),
        &[
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", method),
            ("mcp-name", name),
        ],
    )
}

fn decision_id(r: &Reply) -> String {
    r.headers
        .get("toolwall-decision-id")
        .and_then(|v| v.to_str().ok())
        .expect("decision id")
        .to_string()
}

/// The one span whose `toolwall.decision_id` is `id`.
fn by_decision<'a>(got: &'a [(String, Span)], id: &str) -> &'a Span {
    let found: Vec<&Span> = got
        .iter()
        .map(|(_, s)| s)
        .filter(|s| attr(s, "toolwall.decision_id").as_deref() == Some(id))
        .collect();
    assert_eq!(found.len(), 1, "one span for decision {id}: {got:?}");
    found[0]
}

/// A refusal's span: in `trace` under `parent`, an error with `reason`, and what was decided.
fn assert_refused(s: &Span, reason: &str, trace: &str, parent: &str) {
    assert_eq!(s.kind, SpanKind::Internal as i32, "{s:?}");
    assert_eq!(hex::encode(&s.trace_id), trace, "{s:?}");
    assert_eq!(hex::encode(&s.parent_span_id), parent, "{s:?}");
    assert_eq!(attr(s, "error.type").as_deref(), Some(reason), "{s:?}");
    assert_eq!(
        attr(s, "toolwall.reasons").as_deref(),
        Some(reason),
        "{s:?}"
    );
    let decision = attr(s, "toolwall.decision").unwrap_or_default();
    assert!(
        decision == "deny" || decision == "error",
        "a refusal's decision: {s:?}"
    );
    assert_eq!(s.status.as_ref().map(|st| st.code), Some(2), "status ERROR");
    assert!(
        s.start_time_unix_nano > 0 && s.start_time_unix_nano <= s.end_time_unix_nano,
        "{s:?}"
    );
}

/// The receiver's spans once `n` have arrived, and no more after a while.
async fn exactly(receiver: &Upstream, n: usize) -> Vec<(String, Span)> {
    wait_for_spans(receiver, n).await;
    // the exporter sends every 100 ms: anything more would be here by now
    tokio::time::sleep(Duration::from_millis(600)).await;
    let got = wait_for_spans(receiver, n).await;
    assert_eq!(got.len(), n, "{got:?}");
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_refused_before_routing_or_reading_are_spans_in_the_agents_trace() {
    let receiver = http_upstream().await;
    let tool = http_upstream().await;
    let server = McpServer::start().await;
    let echo = echo_adapter(&format!("http://{}", tool.addr), "");
    let tw = start_with(
        &[("echo", echo), ("crm", crm_adapter(server.addr, ""))],
        MCP_POLICY,
        &telemetry(&receiver),
        &[],
    )
    .await;

    // HTTP: no adapter for the path
    let unrouted = send(tw.agent, post("/nowhere/v1/refunds", "{}", &[])).await;
    assert_eq!(unrouted.status, 403, "{:?}", unrouted.body);
    let unrouted_reason = unrouted.json()["error"]["reasons"][0]
        .as_str()
        .expect("reason")
        .to_string();
    // MCP: not the adapter's endpoint; a body that is not JSON; a message whose routing
    // header contradicts its body
    let off_endpoint = send(tw.agent, post("/crm/elsewhere", "{}", &[])).await;
    assert_eq!(off_endpoint.status, 403, "{:?}", off_endpoint.body);
    let not_json = send(tw.agent, post("/crm/mcp", "{not json", &[])).await;
    assert_eq!(not_json.status, 400);
    assert_eq!(not_json.json()["error"]["code"], -32700);
    let mismatch = send(
        tw.agent,
        mcp(
            json!(7),
            "tools/call",
            json!({"name": "refund", "arguments": {"charge": "ch_1", "amount": 5}}),
            json!({}),
            "send_email",
        ),
    )
    .await;
    assert_eq!(mismatch.status, 400, "{:?}", mismatch.body);
    // a tool the server does not list, its trace context in `_meta`
    let unlisted = send(
        tw.agent,
        mcp(
            json!("u-1"),
            "tools/call",
            json!({"name": "wire_money", "arguments": {}}),
            json!({"traceparent": format!("00-{META_TRACE}-{META_SPAN}-01")}),
            "wire_money",
        ),
    )
    .await;
    let refusal = unlisted.json();
    assert_eq!(refusal["result"]["isError"], true, "{refusal}");
    // not a call: no span
    let list = send(
        tw.agent,
        mcp(json!(9), "tools/list", json!({}), json!({}), ""),
    )
    .await;
    assert!(list.json()["result"]["tools"].is_array(), "{:?}", list.body);
    // gRPC: a service no adapter guards
    let (grpc_status, grpc_message) = unguarded_grpc(tw.agent).await;
    assert_eq!(grpc_status.as_deref(), Some("12"), "UNIMPLEMENTED");
    let grpc_id = grpc_message
        .split("decision_id ")
        .nth(1)
        .map(|rest| rest.chars().take(36).collect::<String>())
        .unwrap_or_else(|| panic!("no decision id in {grpc_message}"));
    // no `traceparent` at all: a root span
    let mut bare = post("/nowhere/v1/x", "{}", &[]);
    bare.headers_mut().remove("traceparent");
    let bare = send(tw.agent, bare).await;
    assert_eq!(bare.status, 403);

    let got = exactly(&receiver, 7).await;
    let agent = (AGENT_TRACE, AGENT_SPAN);

    let s = by_decision(&got, &decision_id(&unrouted));
    assert_refused(s, &unrouted_reason, agent.0, agent.1);
    assert_eq!(s.name, "execute_tool", "no tool: the operation alone");
    assert_eq!(attr(s, "gen_ai.tool.name"), None);
    assert_eq!(
        attr(s, "gen_ai.operation.name").as_deref(),
        Some("execute_tool")
    );
    assert_eq!(attr(s, "gen_ai.agent.id"), None, "not identified yet");

    let s = by_decision(&got, &decision_id(&off_endpoint));
    assert_refused(s, "unknown_tool", agent.0, agent.1);
    assert_eq!(s.name, "execute_tool");
    assert_eq!(attr(s, "toolwall.adapter").as_deref(), Some("crm"));

    let s = by_decision(&got, &decision_id(&not_json));
    assert_refused(s, "invalid_json", agent.0, agent.1);
    assert_eq!(attr(s, "gen_ai.agent.id").as_deref(), Some("billing-bot"));
    assert_eq!(attr(s, "toolwall.tenant").as_deref(), Some("acme"));

    let s = by_decision(&got, &decision_id(&mismatch));
    assert_refused(s, "invalid_mcp_message", agent.0, agent.1);
    assert_eq!(s.name, "execute_tool");
    assert_eq!(attr(s, "mcp.method.name").as_deref(), Some("tools/call"));
    assert_eq!(attr(s, "jsonrpc.request.id"), None, "not read as a call");

    // the unlisted tool: in `_meta`'s trace; its name is an attribute, not the span's
    let s = by_decision(&got, &decision_id(&unlisted));
    assert_refused(s, "unknown_tool", META_TRACE, META_SPAN);
    assert_eq!(s.name, "execute_tool");
    assert_eq!(
        attr(s, "gen_ai.tool.name").as_deref(),
        Some("crm.wire_money")
    );
    assert_eq!(attr(s, "mcp.method.name").as_deref(), Some("tools/call"));
    assert_eq!(attr(s, "jsonrpc.request.id").as_deref(), Some("u-1"));
    assert_eq!(attr(s, "gen_ai.tool.call.id").as_deref(), Some("u-1"));

    let s = by_decision(&got, &grpc_id);
    assert_refused(s, "unknown_upstream", agent.0, agent.1);
    assert_eq!(s.name, "execute_tool");

    let s = by_decision(&got, &decision_id(&bare));
    assert!(s.parent_span_id.is_empty(), "a root span: {s:?}");
    assert_eq!(s.trace_id.len(), 16);
    assert_ne!(hex::encode(&s.trace_id), AGENT_TRACE);
    assert_ne!(s.trace_id, vec![0; 16]);

    // none has a child: nothing ran after the refusal
    for (_, s) in &got {
        assert!(
            !got.iter().any(|(_, c)| c.parent_span_id == s.span_id),
            "{got:?}"
        );
    }
    // the server saw no call
    assert!(server.tool_calls().is_empty(), "{:?}", server.tool_calls());
}

/// A gRPC call (HTTP/2, prior knowledge) to `payments.v1.Admin/ResetAll`, with the agent's
/// `traceparent`: its `grpc-status` and `grpc-message` (a trailers-only answer).
async fn unguarded_grpc(addr: std::net::SocketAddr) -> (Option<String>, String) {
    use http_body_util::BodyExt;
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .expect("h2 handshake");
    tokio::spawn(conn);
    // one length-prefixed message: `{scope: "all"}` (field 1, a string)
    let body = bytes::Bytes::from_static(&[0, 0, 0, 0, 5, 0x0a, 3, b'a', b'l', b'l']);
    let request = http::Request::builder()
        .method("POST")
        .uri(format!("http://{addr}/payments.v1.Admin/ResetAll"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("traceparent", agent_tp())
        .body(http_body_util::Full::new(body))
        .expect("request");
    let resp = sender.send_request(request).await.expect("response");
    let (parts, body) = resp.into_parts();
    let trailers = body.collect().await.expect("body").trailers().cloned();
    let get = |k: &str| {
        parts
            .headers
            .get(k)
            .or_else(|| trailers.as_ref().and_then(|t| t.get(k)))
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    (get("grpc-status"), get("grpc-message").unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_without_credentials_is_a_span() {
    let receiver = http_upstream().await;
    let server = McpServer::start().await;
    let config = format!(
        "identity:\n  jwt: {{ issuer: https://idp.test, audience: toolwall, hs256_secret_env: TW_SPANS_SECRET }}\n{}",
        telemetry(&receiver)
    );
    let tw = start_config(
        &[("crm", crm_adapter(server.addr, ""))],
        MCP_POLICY,
        &config,
        &[(
            "TW_SPANS_SECRET",
            "0123456789abcdef0123456789abcdef-spans".to_string(),
        )],
    )
    .await;
    let call = json!({"name": "refund", "arguments": {"charge": "ch_1", "amount": 5}});
    let anonymous = send(
        tw.agent,
        mcp(json!(1), "tools/call", call.clone(), json!({}), "refund"),
    )
    .await;
    assert_eq!(anonymous.status, 401, "{:?}", anonymous.body);
    let mut forged = mcp(json!(2), "tools/call", call, json!({}), "refund");
    forged.headers_mut().insert(
        "authorization",
        http::HeaderValue::from_static("Bearer not.a.jwt"),
    );
    let forged = send(tw.agent, forged).await;
    assert_eq!(forged.status, 401, "{:?}", forged.body);

    let got = exactly(&receiver, 2).await;
    for (reply, reason) in [(&anonymous, "unauthenticated"), (&forged, "invalid_token")] {
        let s = by_decision(&got, &decision_id(reply));
        assert_refused(s, reason, AGENT_TRACE, AGENT_SPAN);
        assert_eq!(s.name, "execute_tool");
        assert_eq!(attr(s, "toolwall.adapter").as_deref(), Some("crm"));
        assert_eq!(attr(s, "gen_ai.agent.id"), None);
    }
    assert!(server.requests().is_empty(), "nothing reached the server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resources_read_and_prompts_get_are_spans_and_the_server_gets_the_client_span() {
    let receiver = http_upstream().await;
    let server = McpServer::start().await;
    let tw = start_with(
        &[("crm", crm_adapter(server.addr, ""))],
        MCP_POLICY,
        &telemetry(&receiver),
        &[],
    )
    .await;
    let meta_tp = format!("00-{META_TRACE}-{META_SPAN}-01");

    // allowed, its context in `_meta` (which wins over the header)
    let read = send(
        tw.agent,
        mcp(
            json!("r-1"),
            "resources/read",
            json!({"uri": "crm://customers/c9"}),
            json!({"traceparent": meta_tp, "tracestate": "vendor=abc"}),
            "crm://customers/c9",
        ),
    )
    .await;
    let answer = read.json();
    assert!(
        answer["result"]["contents"][0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("Ada")),
        "{answer}"
    );
    // allowed, the header's context
    let prompt = send(
        tw.agent,
        mcp(
            json!(2),
            "prompts/get",
            json!({"name": "summarize", "arguments": {"customer_id": "c9"}}),
            json!({}),
            "summarize",
        ),
    )
    .await;
    let answer = prompt.json();
    assert!(
        answer["result"]["messages"][0]["content"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("c9")),
        "{answer}"
    );
    // refused by policy
    let secret = send(
        tw.agent,
        mcp(
            json!(3),
            "resources/read",
            json!({"uri": "crm://customers/secret-1"}),
            json!({}),
            "crm://customers/secret-1",
        ),
    )
    .await;
    let answer = secret.json();
    assert_eq!(answer["error"]["code"], -32003, "{answer}");
    assert_eq!(answer["error"]["data"]["reasons"][0], "secret_resource");

    // read and prompt: the call, its policy and CLIENT children; secret: the call, policy
    let got = exactly(&receiver, 8).await;
    let children = |parent: &Span| -> Vec<&Span> {
        got.iter()
            .map(|(_, s)| s)
            .filter(|s| s.parent_span_id == parent.span_id)
            .collect()
    };

    let r = by_decision(&got, &decision_id(&read));
    let p = by_decision(&got, &decision_id(&prompt));
    let x = by_decision(&got, &decision_id(&secret));
    assert_eq!(r.name, "resources/read", "the URI is not in the name");
    assert_eq!(p.name, "prompts/get summarize");
    assert_eq!(x.name, "resources/read");
    for (s, method, id) in [
        (r, "resources/read", "r-1"),
        (p, "prompts/get", "2"),
        (x, "resources/read", "3"),
    ] {
        assert_eq!(s.kind, SpanKind::Internal as i32);
        assert_eq!(attr(s, "mcp.method.name").as_deref(), Some(method));
        assert_eq!(attr(s, "jsonrpc.request.id").as_deref(), Some(id));
        assert_eq!(
            attr(s, "mcp.protocol.version").as_deref(),
            Some("2026-07-28")
        );
        assert_eq!(attr(s, "toolwall.adapter").as_deref(), Some("crm"));
        assert_eq!(attr(s, "gen_ai.agent.id").as_deref(), Some("billing-bot"));
        // not a tool call: no GenAI tool attributes
        for key in [
            "gen_ai.operation.name",
            "gen_ai.tool.name",
            "gen_ai.tool.call.id",
        ] {
            assert_eq!(attr(s, key), None, "{key}: {s:?}");
        }
        assert!(children(s).iter().any(|c| c.name == "toolwall.policy"));
    }
    assert_eq!(
        attr(r, "mcp.resource.uri").as_deref(),
        Some("crm://customers/c9")
    );
    assert_eq!(attr(p, "gen_ai.prompt.name").as_deref(), Some("summarize"));
    assert_eq!(
        attr(x, "mcp.resource.uri").as_deref(),
        Some("crm://customers/secret-1")
    );
    // the `_meta` context continues for the read, the header's for the prompt
    assert_eq!(hex::encode(&r.trace_id), META_TRACE);
    assert_eq!(hex::encode(&r.parent_span_id), META_SPAN);
    assert_eq!(hex::encode(&p.trace_id), AGENT_TRACE);
    assert_eq!(hex::encode(&p.parent_span_id), AGENT_SPAN);
    for s in [r, p] {
        assert_eq!(attr(s, "toolwall.decision").as_deref(), Some("allow"));
        assert_eq!(attr(s, "error.type"), None);
    }
    assert_eq!(attr(x, "toolwall.decision").as_deref(), Some("deny"));
    assert_eq!(attr(x, "error.type").as_deref(), Some("policy_denied"));
    assert_eq!(
        attr(x, "toolwall.reasons").as_deref(),
        Some("secret_resource")
    );
    assert_eq!(x.status.as_ref().map(|st| st.code), Some(2));
    let x_children: Vec<&str> = children(x).iter().map(|c| c.name.as_str()).collect();
    assert_eq!(x_children, ["toolwall.policy"], "no CLIENT span");

    // each forwarded request: a CLIENT child named as its call, the server's parent in
    // `_meta` and in the header
    let requests = server.requests();
    let bodies: Vec<Value> = requests
        .iter()
        .filter_map(|r| {
            r["body"]
                .as_str()
                .and_then(|b| serde_json::from_str(b).ok())
        })
        .collect();
    assert!(
        !bodies.iter().any(|b| b["id"] == 3),
        "the refused read reached the server"
    );
    for (s, id, name, target, state) in [
        (
            r,
            json!("r-1"),
            "resources/read",
            ("mcp.resource.uri", "crm://customers/c9"),
            Some("vendor=abc"),
        ),
        (
            p,
            json!(2),
            "prompts/get summarize",
            ("gen_ai.prompt.name", "summarize"),
            None,
        ),
    ] {
        let kids = children(s);
        assert_eq!(kids.len(), 2, "{kids:?}");
        let client = kids
            .iter()
            .find(|k| k.kind == SpanKind::Client as i32)
            .unwrap_or_else(|| panic!("no CLIENT span: {kids:?}"));
        assert_eq!(client.name, name);
        assert_eq!(attr(client, "mcp.method.name"), attr(s, "mcp.method.name"));
        assert_eq!(attr(client, target.0).as_deref(), Some(target.1));
        assert_eq!(attr(client, "server.address").as_deref(), Some("127.0.0.1"));
        assert_eq!(attr(client, "error.type"), None);
        assert_server_got_client_span(s, client, &id, &bodies, &requests, state);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn off_a_resources_read_keeps_only_a_well_formed_meta_traceparent() {
    let server = McpServer::start().await;
    let tw = start_with(
        &[("crm", crm_adapter(server.addr, ""))],
        MCP_POLICY,
        "",
        &[],
    )
    .await;
    let good = format!("00-{META_TRACE}-{META_SPAN}-01");
    let bad = "00-4bf92f3577b34da6a3ce929d0e0e4736-zzzzzzzzzzzzzzzz-01";
    for (id, tp) in [(1, good.as_str()), (2, bad)] {
        let reply = send(
            tw.agent,
            mcp(
                json!(id),
                "resources/read",
                json!({"uri": "crm://customers/c9"}),
                json!({"traceparent": tp, "tracestate": "vendor=abc"}),
                "crm://customers/c9",
            ),
        )
        .await;
        assert!(
            reply.json()["result"]["contents"].is_array(),
            "{:?}",
            reply.body
        );
    }
    let bodies: Vec<Value> = server
        .requests()
        .iter()
        .filter_map(|r| {
            r["body"]
                .as_str()
                .and_then(|b| serde_json::from_str(b).ok())
        })
        .collect();
    let meta = |id: i64| {
        bodies
            .iter()
            .find(|b| b["id"] == id)
            .map(|b| b["params"]["_meta"].clone())
            .unwrap_or_else(|| panic!("the server did not get {id}: {bodies:?}"))
    };
    assert_eq!(meta(1)["traceparent"], good.as_str());
    assert_eq!(meta(1)["tracestate"], "vendor=abc");
    assert!(meta(2).get("traceparent").is_none(), "{}", meta(2));
    assert!(meta(2).get("tracestate").is_none(), "{}", meta(2));
    assert_eq!(
        meta(2)["io.modelcontextprotocol/protocolVersion"],
        "2026-07-28"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_call_of_a_batch_is_its_own_span_in_its_own_trace() {
    let receiver = http_upstream().await;
    let server = McpServer::start().await;
    let tw = start_with(
        &[("crm", crm_adapter(server.addr, ""))],
        MCP_POLICY,
        &telemetry(&receiver),
        &[],
    )
    .await;
    // the server's tools, listed (2026-07-28) and pinned: the batch's calls look them up
    let list = send(
        tw.agent,
        mcp(json!(1), "tools/list", json!({}), json!({}), ""),
    )
    .await;
    assert!(list.json()["result"]["tools"].is_array(), "{:?}", list.body);
    // a 2025-03-26 batch: the first call denied (its trace in `_meta`), the second allowed
    // but not forwarded (the header's trace), as one refusal refuses the whole batch
    let meta_tp = format!("00-{META_TRACE}-{META_SPAN}-01");
    let batch = json!([
        {"jsonrpc": "2.0", "id": "b-1", "method": "tools/call",
         "params": {"name": "refund", "arguments": {"charge": "ch_1", "amount": 5000},
                    "_meta": {"traceparent": meta_tp}}},
        {"jsonrpc": "2.0", "id": "b-2", "method": "tools/call",
         "params": {"name": "refund", "arguments": {"charge": "ch_2", "amount": 5}}},
    ]);
    let reply = send(tw.agent, post("/crm/mcp", &batch.to_string(), &[])).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let answers = reply.json();
    assert_eq!(answers[0]["result"]["isError"], true, "{answers}");
    assert!(
        answers[1]["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("not forwarded")),
        "{answers}"
    );

    // each call: its span, schema and policy; no CLIENT span (nothing was sent)
    let got = exactly(&receiver, 6).await;
    let call = |id: &str| {
        got.iter()
            .map(|(_, s)| s)
            .find(|s| attr(s, "jsonrpc.request.id").as_deref() == Some(id))
            .unwrap_or_else(|| panic!("no span for {id}: {got:?}"))
    };
    let (first, second) = (call("b-1"), call("b-2"));
    assert_eq!(hex::encode(&first.trace_id), META_TRACE);
    assert_eq!(hex::encode(&first.parent_span_id), META_SPAN);
    assert_eq!(attr(first, "toolwall.decision").as_deref(), Some("deny"));
    assert_eq!(
        attr(first, "toolwall.reasons").as_deref(),
        Some("amount_exceeds_threshold")
    );
    assert_eq!(hex::encode(&second.trace_id), AGENT_TRACE);
    assert_eq!(hex::encode(&second.parent_span_id), AGENT_SPAN);
    for s in [first, second] {
        assert_eq!(s.name, "execute_tool crm.refund");
        assert_eq!(attr(s, "error.type").as_deref(), Some("policy_denied"));
        assert_eq!(s.status.as_ref().map(|st| st.code), Some(2), "status ERROR");
        assert_ne!(attr(s, "toolwall.decision_id"), None);
        let mut kids: Vec<&str> = got
            .iter()
            .map(|(_, c)| c)
            .filter(|c| c.parent_span_id == s.span_id)
            .map(|c| c.name.as_str())
            .collect();
        kids.sort();
        assert_eq!(kids, ["toolwall.policy", "toolwall.schema"], "{got:?}");
    }
    assert_ne!(
        attr(first, "toolwall.decision_id"),
        attr(second, "toolwall.decision_id")
    );
    assert!(server.tool_calls().is_empty(), "{:?}", server.tool_calls());
}

/// A call shed by the load-shed layer (`max_in_flight` reached) never reaches the pipeline:
/// its record is written by the shell, and with it its span, in the agent's trace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shed_call_is_a_span_in_the_agents_trace() {
    let receiver = http_upstream().await;
    let tool = http_upstream().await;
    let echo = echo_adapter(&format!("http://{}", tool.addr), "");
    let tw = start_with(
        &[("echo", echo)],
        "package toolwall\ndefault decision := {\"allow\": true}\n",
        &format!("{}request: {{ max_in_flight: 1 }}\n", telemetry(&receiver)),
        &[],
    )
    .await;
    // occupies the only slot for the adapter timeout (500 ms)
    let agent = tw.agent;
    let slow = tokio::spawn(async move {
        let mut r = req("GET", "/echo/slow")
            .body(http_body_util::Full::new(bytes::Bytes::new()))
            .expect("req");
        r.headers_mut().remove("traceparent");
        send(agent, r).await
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let shed = send(
        tw.agent,
        post("/echo/v1/refunds", r#"{"charge":"ch_1","amount":5}"#, &[]),
    )
    .await;
    assert_eq!(shed.status, 503, "{:?}", shed.body);
    assert_eq!(shed.reasons(), vec!["overloaded"]);
    let id = decision_id(&shed);
    assert_eq!(slow.await.expect("join").status, 504);

    // the shed call's span, and the timed-out call's three (itself, policy, the upstream)
    let got = exactly(&receiver, 4).await;
    let s = by_decision(&got, &id);
    assert_eq!(s.name, "execute_tool", "{s:?}");
    assert_refused(s, "overloaded", AGENT_TRACE, AGENT_SPAN);
    assert_eq!(attr(s, "toolwall.adapter").as_deref(), Some("echo"));
    assert!(
        got.iter()
            .all(|(_, other)| other.parent_span_id != s.span_id),
        "a shed call has no stage: {got:?}"
    );
    // nothing of the shed call reached the tool
    assert!(
        tool.requests().iter().all(|r| r.path_and_query == "/slow"),
        "{:?}",
        tool.requests()
    );
}
