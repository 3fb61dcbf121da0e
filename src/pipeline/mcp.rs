//! The MCP front end: one Streamable HTTP endpoint per `kind: mcp` adapter.
//!
//! Every POSTed JSON-RPC message is checked (shape, routing headers against the body); the
//! requests that act — `tools/call`, `resources/read`, `prompts/get` — go through the same
//! stages as HTTP tools (schema, policy, limits, write-ahead audit), and a refusal is answered
//! the MCP way: a `tools/call` *result* with `isError: true` saying why. What the server sends
//! back (a JSON body or an SSE stream, relayed event by event) is read message by message:
//! `tools/list` results are pinned and filtered, `tools/call` results are checked against the
//! tool's `outputSchema` and redacted, and server-to-client requests (sampling, elicitation,
//! roots) are decided by policy before they reach the agent.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http::request::Parts;
use http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::ctx::{CallCtx, Outcome};
use super::reject::{Reason, Reject};
use super::{admit, decide_call, full, read_body, ResBody, DECISION_HEADER};
use crate::app::AppState;
use crate::config::raw::Mode;
use crate::config::{Adapter, Snapshot, Tool};
use crate::mcp::{McpTool, PinStatus};
use crate::protocol::mcp::{self as proto, ProtocolError, Shape};
use crate::protocol::sse;
use crate::redact::ActionPlan;
use crate::stage::forward::{forward, strip_hop_by_hop, Outgoing};
use crate::stage::limits::SpendReservation;
use crate::stage::{identify, policy, redact};
use crate::state::micros;

/// Largest response toolwall reads whole (JSON bodies; its own `tools/list` fetches).
const MAX_RESPONSE_BYTES: usize = redact::MAX_RESPONSE_BYTES;
/// `tools/list` pages toolwall follows when it reads the list itself.
const MAX_LIST_PAGES: usize = 32;

/// Handle one request to an MCP adapter's endpoint.
pub async fn run(
    app: &Arc<AppState>,
    snap: Arc<Snapshot>,
    mut ctx: CallCtx,
    parts: Parts,
    body: Incoming,
    (adapter_idx, path): (usize, &str),
    traceparent: HeaderValue,
) -> Response<ResBody> {
    let adapter = &snap.adapters[adapter_idx];
    let base = adapter.upstream.base_path.as_str();
    if !(path == "/" || path == base || (path.strip_suffix('/') == Some(base))) {
        let endpoint = if base.is_empty() { "" } else { base };
        return refuse_http(
            &mut ctx,
            Reject::new(
                Reason::UnknownTool,
                format!(
                    "MCP adapter `{}` has one endpoint: /{}{endpoint}",
                    adapter.name, adapter.name
                ),
            ),
        );
    }
    ctx.request = Some(json!({
        "method": parts.method.as_str(),
        "host": adapter.upstream.host,
        "path": adapter.upstream.base_path,
    }));
    if let Err(rej) = crate::protocol::http::check_headers(&parts.headers) {
        return refuse_http(&mut ctx, rej);
    }
    match identify::identify(&snap, &parts) {
        Ok(p) => ctx.principal = Some(p),
        Err(rej) => return refuse_http(&mut ctx, rej),
    }
    let mut headers = parts.headers.clone();
    if ctx.principal.as_ref().is_some_and(|p| p.source == "jwt") {
        // a bearer token toolwall consumed as identity is not the server's to see
        headers.remove(header::AUTHORIZATION);
    }
    let ex = Exchange {
        app: app.clone(),
        snap: snap.clone(),
        adapter: adapter_idx,
        principal: ctx.principal.clone(),
        headers,
        traceparent,
        trace_id: ctx.trace_id.clone(),
        modern: proto::is_modern(
            parts
                .headers
                .get(proto::PROTOCOL_VERSION_HEADER)
                .and_then(|v| v.to_str().ok()),
        ),
        pending: HashMap::new(),
    };
    match parts.method {
        Method::POST => {
            let body = match read_body(body, &parts.headers, snap.max_body_bytes).await {
                Ok(b) => b,
                Err(rej) => return refuse_http(&mut ctx, rej),
            };
            post(ex, ctx, &parts.headers, body).await
        }
        Method::GET | Method::DELETE => {
            // the server's own stream (GET) or the end of a session (DELETE): not a tool call
            ctx.record = false;
            ex.relay(parts.method.clone(), Bytes::new()).await
        }
        _ => refuse_http(
            &mut ctx,
            Reject::new(
                Reason::InvalidMcpMessage,
                format!(
                    "MCP Streamable HTTP takes POST, GET and DELETE, not {}",
                    parts.method
                ),
            ),
        ),
    }
}

/// The answer to a POSTed message, or what to forward for it.
enum Step {
    /// Answer the agent with this JSON-RPC message (nothing forwarded).
    Answer(Value, StatusCode),
    /// Forward this message (serialized); `Some` tracks the response to a request.
    Forward(Bytes, Option<(Value, Pending)>),
}

/// What toolwall does with the response to a forwarded request.
enum Pending {
    /// A decided call: its result is checked, redacted and recorded.
    Call(Box<CallState>),
    /// `tools/list`: pinned and filtered.
    ToolsList,
}

struct CallState {
    ctx: CallCtx,
    /// The tool, for `tools/call` (not for `resources/read` / `prompts/get`).
    tool: Option<Arc<McpTool>>,
    plan: Option<ActionPlan>,
    spend: Option<SpendReservation>,
}

async fn post(
    mut ex: Exchange,
    mut ctx: CallCtx,
    headers: &HeaderMap,
    body: Bytes,
) -> Response<ResBody> {
    let msg = match crate::json::parse_strict(&body, ex.snap.max_json_depth) {
        Ok(v) => v,
        Err(e) => {
            let rej = Reject::new(Reason::InvalidJson, format!("the body is not JSON: {e}"));
            let answer =
                proto::error_response(&Value::Null, proto::PARSE_ERROR, &rej.message, None);
            ctx.outcome = Some(Outcome::Refused(rej));
            return json_response(StatusCode::BAD_REQUEST, &answer, &ctx.decision_id);
        }
    };
    match msg {
        Value::Array(batch) => post_batch(ex, ctx, headers, batch).await,
        msg => {
            let decision_id = ctx.decision_id.clone();
            match ex.decide(ctx, headers, msg).await {
                Step::Answer(answer, status) => json_response(status, &answer, &decision_id),
                Step::Forward(bytes, pending) => {
                    if let Some((id, p)) = pending {
                        ex.pending.insert(id_key(&id), p);
                    }
                    let mut resp = ex.relay(Method::POST, bytes).await;
                    set_decision_header(resp.headers_mut(), &decision_id);
                    resp
                }
            }
        }
    }
}

/// JSON-RPC batches (2025-03-26 clients): every element is decided; one refusal refuses the
/// whole batch (nothing is forwarded), else the batch goes on with every element as decided.
async fn post_batch(
    mut ex: Exchange,
    mut ctx: CallCtx,
    headers: &HeaderMap,
    batch: Vec<Value>,
) -> Response<ResBody> {
    ctx.record = false;
    if batch.is_empty() {
        let answer =
            proto::error_response(&Value::Null, proto::INVALID_REQUEST, "empty batch", None);
        return json_response(StatusCode::BAD_REQUEST, &answer, &ctx.decision_id);
    }
    let mut steps = Vec::with_capacity(batch.len());
    for msg in batch {
        let element = ex.new_ctx();
        steps.push(ex.decide(element, headers, msg).await);
    }
    let refused: Vec<usize> = steps
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s, Step::Answer(..)))
        .map(|(i, _)| i)
        .collect();
    if let Some(first) = refused.first() {
        let mut answers = Vec::new();
        for step in steps {
            match step {
                Step::Answer(a, _) => answers.push(a),
                Step::Forward(_, pending) => {
                    let Some((id, p)) = pending else {
                        continue; // a notification or response: nothing to answer
                    };
                    if let Pending::Call(mut call) = p {
                        call.ctx.outcome = Some(Outcome::Refused(Reject::new(
                            Reason::PolicyDenied,
                            format!("the batch was refused: element {first} was refused"),
                        )));
                        if let Some(spend) = call.spend.take() {
                            crate::stage::limits::settle_after_failure(spend, Reason::PolicyDenied)
                                .await;
                        }
                    }
                    answers.push(proto::error_response(
                        &id,
                        proto::REFUSED,
                        &format!("not forwarded: element {first} of this batch was refused"),
                        None,
                    ));
                }
            }
        }
        return json_response(StatusCode::OK, &Value::Array(answers), &ctx.decision_id);
    }
    let mut out = BytesMut::from(&b"["[..]);
    for step in steps {
        if let Step::Forward(bytes, pending) = step {
            if let Some((id, p)) = pending {
                ex.pending.insert(id_key(&id), p);
            }
            if out.len() > 1 {
                out.extend_from_slice(b",");
            }
            out.extend_from_slice(&bytes);
        }
    }
    out.extend_from_slice(b"]");
    ex.relay(Method::POST, out.freeze()).await
}

/// One MCP exchange: the request's context, and what is pending on the response.
struct Exchange {
    app: Arc<AppState>,
    snap: Arc<Snapshot>,
    adapter: usize,
    principal: Option<identify::Principal>,
    /// The agent's headers as forwarded (JWT stripped).
    headers: HeaderMap,
    traceparent: HeaderValue,
    trace_id: String,
    modern: bool,
    pending: HashMap<String, Pending>,
}

impl Exchange {
    fn adapter(&self) -> &Adapter {
        &self.snap.adapters[self.adapter]
    }

    /// `input.request` of a decided message: the server's endpoint.
    fn facts(&self) -> policy::RequestFacts<'_> {
        let adapter = self.adapter();
        policy::RequestFacts {
            method: "POST",
            host: &adapter.upstream.host,
            path: &adapter.upstream.base_path,
            now: self.app.clock().now(),
        }
    }

    fn new_ctx(&self) -> CallCtx {
        let audit = self
            .app
            .audit
            .as_ref()
            .map(|(sink, args)| super::ctx::AuditHook {
                sink: sink.clone(),
                args: *args,
                redactor: self.snap.redactor.clone(),
            });
        let mut ctx = CallCtx::new(
            self.app.metrics.clone(),
            &self.snap,
            self.trace_id.clone(),
            audit,
        );
        ctx.principal = self.principal.clone();
        ctx.adapter = Some(self.adapter().name.clone());
        ctx.request = Some(json!({
            "method": "POST",
            "host": self.adapter().upstream.host,
            "path": self.adapter().upstream.base_path,
        }));
        ctx
    }

    /// Decide one message the agent sent.
    async fn decide(&mut self, mut ctx: CallCtx, headers: &HeaderMap, msg: Value) -> Step {
        let shape = match proto::shape(&msg) {
            Ok(s) => s,
            Err(e) => return protocol_refusal(ctx, &msg, e),
        };
        if let Err(e) = proto::check_routing_headers(headers, &msg, shape) {
            return protocol_refusal(ctx, &msg, e);
        }
        if shape != Shape::Request {
            ctx.record = false;
            return Step::Forward(serialize(&msg), None);
        }
        let id = msg.get("id").cloned().unwrap_or(Value::Null);
        match proto::method(&msg) {
            "tools/call" => self.decide_tool_call(ctx, headers, msg, id).await,
            "resources/read" | "prompts/get" => self.decide_gated(ctx, msg, id).await,
            "tools/list" => {
                ctx.record = false;
                Step::Forward(serialize(&msg), Some((id, Pending::ToolsList)))
            }
            _ => {
                ctx.record = false;
                Step::Forward(serialize(&msg), None)
            }
        }
    }

    async fn decide_tool_call(
        &mut self,
        mut ctx: CallCtx,
        headers: &HeaderMap,
        mut msg: Value,
        id: Value,
    ) -> Step {
        let Some(params) = msg.get_mut("params").and_then(Value::as_object_mut) else {
            let e = ProtocolError::new(proto::INVALID_PARAMS, "tools/call needs params");
            return protocol_refusal(ctx, &Value::Null, e).with_id(&id);
        };
        let Some(name) = params
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            let e = ProtocolError::new(proto::INVALID_PARAMS, "tools/call needs params.name");
            return protocol_refusal(ctx, &Value::Null, e).with_id(&id);
        };
        let args = match params.remove("arguments") {
            None | Some(Value::Null) => Value::Object(Map::new()),
            Some(v @ Value::Object(_)) => v,
            Some(_) => {
                let e = ProtocolError::new(
                    proto::INVALID_PARAMS,
                    "tools/call params.arguments must be an object",
                );
                return protocol_refusal(ctx, &Value::Null, e).with_id(&id);
            }
        };
        let qualified = format!("{}.{name}", self.adapter().name);
        let found = match self.app.mcp.lookup(&self.snap, self.adapter(), &name) {
            Some(t) => Some(t),
            None => {
                // never listed (or announced changed): read the list as the agent would
                match self.fetch_tool_list().await {
                    Ok(()) => self.app.mcp.lookup(&self.snap, self.adapter(), &name),
                    Err(rej) => return self.refuse_call(ctx, &id, rej),
                }
            }
        };
        let Some((mcp_tool, status)) = found else {
            ctx.set_unlisted_tool(qualified);
            let rej = Reject::new(
                Reason::UnknownTool,
                format!("the server lists no tool `{name}`"),
            );
            return self.refuse_call(ctx, &id, rej);
        };
        let tool = &mcp_tool.tool;
        ctx.set_tool(tool);
        ctx.cost_usd = tool.cost_usd;
        ctx.schema = tool.schema_ref.clone();
        let mut extra = json!({"method": "tools/call", "name": name, "definition": mcp_tool.hash});
        if let PinStatus::Changed { pinned } = &status {
            extra["pinned_definition"] = json!(pinned);
            ctx.extra = Some(extra);
            let rej = Reject::new(
                Reason::ToolDefinitionChanged,
                format!(
                    "the server changed tool `{name}` since it was pinned ({pinned} → {}); an operator must re-pin it (toolwall mcp pin --adapter {})",
                    mcp_tool.hash,
                    self.adapter().name
                ),
            );
            return self.refuse_call(ctx, &id, rej);
        }
        if let Err(e) = proto::check_param_headers(&mcp_tool.params, &args, headers, self.modern) {
            return protocol_refusal(ctx, &Value::Null, e).with_id(&id);
        }
        ctx.extra = Some(extra.clone());
        let snap = self.snap.clone();
        let schema_tool = mcp_tool.input_schema_tool(&snap.adapters[self.adapter]);
        let empty = Map::new();
        let rest = msg
            .get("params")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let mut headers = std::mem::take(&mut self.headers);
        let modern = self.modern;
        let encode = |args: &Value| {
            proto::set_param_headers(&mcp_tool.params, args, &mut headers, modern);
            proto::encode_request(&msg, rest, Some(args), None)
        };
        let decided = self
            .decide_and_admit(&mut ctx, tool, schema_tool, args, extra, encode)
            .await;
        self.headers = headers;
        match decided {
            Ok((bytes, plan, spend)) => {
                ctx.outcome = Some(Outcome::Forwarded { status: 200 });
                let call = CallState {
                    ctx,
                    tool: Some(mcp_tool.clone()),
                    plan,
                    spend,
                };
                Step::Forward(bytes, Some((id, Pending::Call(Box::new(call)))))
            }
            Err(rej) => self.refuse_call(ctx, &id, rej),
        }
    }

    /// `resources/read` (by URI) and `prompts/get` (by name): policy sees
    /// `<adapter>.resources/read` / `<adapter>.prompts/get` with the params as `args`.
    async fn decide_gated(&mut self, mut ctx: CallCtx, mut msg: Value, id: Value) -> Step {
        let method = proto::method(&msg).to_string();
        let key = proto::name_key(&method).unwrap_or("name");
        let mut args = msg
            .get_mut("params")
            .map(Value::take)
            .unwrap_or_else(|| json!({}));
        if args.get(key).and_then(Value::as_str).is_none() {
            let e = ProtocolError::new(
                proto::INVALID_PARAMS,
                format!("{method} needs params.{key}"),
            );
            return protocol_refusal(ctx, &Value::Null, e).with_id(&id);
        }
        let meta = args.as_object_mut().and_then(|m| m.remove("_meta"));
        let tool = self.pseudo_tool(&method);
        ctx.set_tool(&tool);
        let extra = json!({"method": method, key: args.get(key)});
        ctx.extra = Some(extra.clone());
        let encode = |args: &Value| {
            let rest = args.as_object().unwrap_or(&Map::new()).clone();
            proto::encode_request(&msg, &rest, None, meta.as_ref())
        };
        match self
            .decide_and_admit(&mut ctx, &tool, &tool, args, extra, encode)
            .await
        {
            Ok((bytes, plan, spend)) => {
                ctx.outcome = Some(Outcome::Forwarded { status: 200 });
                let call = CallState {
                    ctx,
                    tool: None,
                    plan,
                    spend,
                };
                Step::Forward(bytes, Some((id, Pending::Call(Box::new(call)))))
            }
            Err(rej) => {
                let text = refusal_text(&rej, &ctx.decision_id);
                let data = json!({"reasons": rej.reasons(), "decision_id": ctx.decision_id});
                ctx.outcome = Some(Outcome::Refused(rej));
                Step::Answer(
                    proto::error_response(&id, proto::REFUSED, &text, Some(data)),
                    StatusCode::OK,
                )
            }
        }
    }

    /// A tool for what policy decides that is not a listed tool (`<adapter>.<method>`).
    fn pseudo_tool(&self, method: &str) -> Tool {
        let name = format!("{}.{method}", self.adapter().name);
        Tool {
            label: crate::metrics::tool_label(&name),
            name,
            method: Method::POST,
            path: String::new(),
            args_from: crate::config::raw::ArgsFrom::Json,
            schema: None,
            schema_ref: None,
            coerce: HashMap::new(),
            cost_usd: 0.0,
            cost_pointer: None,
            read_only: false,
            risk: json!({}),
        }
    }

    /// Policy (with shadow mode), limits and the write-ahead record. `encode` serializes the
    /// message to forward from the decided (possibly redacted) arguments — borrowed from the
    /// policy input before the write-ahead record takes it, so they are never copied. Returns
    /// those bytes, the response redaction plan and the spend reservation.
    async fn decide_and_admit(
        &self,
        ctx: &mut CallCtx,
        tool: &Tool,
        schema_tool: &Tool,
        args: Value,
        extra: Value,
        encode: impl FnOnce(&Value) -> Bytes,
    ) -> Result<(Bytes, Option<ActionPlan>, Option<SpendReservation>), Reject> {
        let adapter = self.adapter();
        let facts = self.facts();
        let shadow_copy = (self.snap.mode == Mode::Shadow).then(|| args.clone());
        let mut forward_args = None;
        if let Err(rej) = decide_call(
            &self.app,
            &self.snap,
            ctx,
            adapter,
            tool,
            schema_tool,
            args,
            &facts,
            Some(extra),
        ) {
            match shadow_copy {
                Some(original) if rej.reason.shadowable() => {
                    ctx.shadow = Some(rej);
                    forward_args = Some(original);
                }
                _ => return Err(rej),
            }
        }
        let plan = ctx
            .decision
            .as_ref()
            .and_then(|d| redact::plan_for(d).ok().flatten());
        let bytes = match (&forward_args, ctx.input.as_ref()) {
            (Some(original), _) => encode(original),
            (None, Some(input)) => encode(&input["args"]),
            (None, None) => return Err(Reject::new(Reason::Internal, "decided call has no input")),
        };
        let spend = admit(&self.app, &self.snap, ctx, Some(tool)).await?;
        Ok((bytes, plan, spend))
    }

    fn refuse_call(&self, mut ctx: CallCtx, id: &Value, rej: Reject) -> Step {
        let text = refusal_text(&rej, &ctx.decision_id);
        ctx.outcome = Some(Outcome::Refused(rej));
        Step::Answer(
            proto::refusal_result(id, &text, self.modern),
            StatusCode::OK,
        )
    }

    /// Read the server's `tools/list` (every page) with the agent's session, and record it.
    async fn fetch_tool_list(&self) -> Result<(), Reject> {
        let version = self
            .headers
            .get(proto::PROTOCOL_VERSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut headers = self.headers.clone();
        headers.remove(proto::NAME_HEADER);
        headers.insert(proto::METHOD_HEADER, HeaderValue::from_static("tools/list"));
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/json, text/event-stream"),
        );
        drop_param_headers(&mut headers);
        let mut defs = Vec::new();
        let mut cursor: Option<Value> = None;
        for page in 0..MAX_LIST_PAGES {
            let id = format!("toolwall-list-{}-{page}", uuid::Uuid::now_v7());
            let mut params = Map::new();
            if let Some(c) = cursor.take() {
                params.insert("cursor".into(), c);
            }
            if self.modern {
                params.insert(
                    "_meta".into(),
                    json!({
                        proto::META_PROTOCOL_VERSION: version,
                        proto::META_CLIENT_CAPABILITIES: {},
                    }),
                );
            }
            let req = json!({"jsonrpc": "2.0", "id": id, "method": "tools/list", "params": params});
            let out = Outgoing {
                method: Method::POST,
                path_and_query: String::new(),
                body: serialize(&req),
                content_type: Some("application/json"),
                traceparent: self.traceparent.clone(),
                identity_encoding: true,
            };
            let resp = forward(self.adapter(), &headers, out).await?;
            let event_stream = redact::is_event_stream(resp.headers());
            let status = resp.status();
            let body = read_all(resp.into_body()).await?;
            let messages = if event_stream {
                let (events, tail) = sse::parse_all(&body);
                events
                    .into_iter()
                    .chain(tail)
                    .filter_map(|e| e.data.and_then(|d| serde_json::from_str::<Value>(&d).ok()))
                    .collect::<Vec<_>>()
            } else {
                serde_json::from_slice::<Value>(&body)
                    .ok()
                    .into_iter()
                    .collect()
            };
            let Some(answer) = messages
                .into_iter()
                .find(|m| m.get("id") == Some(&json!(id)))
            else {
                return Err(Reject::new(
                    Reason::UpstreamUnavailable,
                    format!("the MCP server did not answer toolwall's tools/list (HTTP {status})"),
                ));
            };
            let Some(result) = answer.get("result") else {
                return Err(Reject::new(
                    Reason::UpstreamUnavailable,
                    format!(
                        "the MCP server refused toolwall's tools/list: {}",
                        answer["error"]
                    ),
                ));
            };
            if let Some(tools) = result.get("tools").and_then(Value::as_array) {
                defs.extend(tools.iter().cloned());
            }
            match result.get("nextCursor") {
                Some(c) if !c.is_null() => cursor = Some(c.clone()),
                _ => break,
            }
        }
        let observed = self
            .app
            .mcp
            .observe(self.app.state(), &self.snap, self.adapter(), &defs)
            .await
            .map_err(|e| Reject::new(Reason::StateUnavailable, e.to_string()))?;
        for (name, status) in observed {
            if let Ok((tool, PinStatus::Repinned { old })) = status {
                self.audit_repinned(&name, &tool, &old);
            }
        }
        Ok(())
    }

    /// Forward to the server and relay its answer: JSON read whole and rewritten, SSE
    /// rewritten event by event as it streams, anything else passed as is.
    async fn relay(self, method: Method, body: Bytes) -> Response<ResBody> {
        let out = Outgoing {
            method: method.clone(),
            path_and_query: String::new(),
            body,
            content_type: (method == Method::POST).then_some("application/json"),
            traceparent: self.traceparent.clone(),
            identity_encoding: true,
        };
        let started = std::time::Instant::now();
        let resp = match forward(self.adapter(), &self.headers, out).await {
            Ok(r) => r,
            Err(rej) => return self.upstream_failed(rej).await,
        };
        let upstream_us = started.elapsed().as_micros() as u64;
        let (mut rparts, rbody) = resp.into_parts();
        rparts.headers = strip_hop_by_hop(&rparts.headers, |_| true);
        let status = rparts.status;
        let mut ex = self;
        for p in ex.pending.values_mut() {
            if let Pending::Call(c) = p {
                c.ctx.upstream_latency_us = Some(upstream_us);
                c.ctx.outcome = Some(Outcome::Forwarded {
                    status: status.as_u16(),
                });
            }
        }
        if redact::is_event_stream(&rparts.headers) {
            rparts.headers.remove(header::CONTENT_LENGTH);
            return Response::from_parts(rparts, ex.relay_events(rbody));
        }
        if !redact::is_json(&rparts.headers) || (!status.is_success() && ex.pending.is_empty()) {
            return Response::from_parts(rparts, rbody.boxed());
        }
        let bytes = match read_all(rbody).await {
            Ok(b) => b,
            Err(rej) => return ex.upstream_failed(rej).await,
        };
        let Ok(v) = serde_json::from_slice::<Value>(&bytes) else {
            return Response::from_parts(rparts, full(bytes));
        };
        let out = match v {
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for m in items {
                    if let Some(m) = ex.on_server_message(m).await {
                        out.push(m);
                    }
                }
                Value::Array(out)
            }
            m => ex.on_server_message(m).await.unwrap_or(Value::Null),
        };
        rparts.headers.remove(header::CONTENT_LENGTH);
        Response::from_parts(rparts, full(serialize(&out)))
    }

    /// The server could not be reached: pending calls are refused (and their spend released).
    async fn upstream_failed(mut self, rej: Reject) -> Response<ResBody> {
        let mut answers = Vec::new();
        for (_, p) in self.pending.drain() {
            if let Pending::Call(mut c) = p {
                if let Some(s) = c.spend.take() {
                    crate::stage::limits::settle_after_forward_error(s, &rej).await;
                }
                c.ctx.outcome = Some(Outcome::Refused(rej.clone()));
                answers.push(c.ctx.decision_id.clone());
            }
        }
        let decision_id = answers.pop().unwrap_or_default();
        let (mut parts, body) = rej.to_response(&decision_id).into_parts();
        set_decision_header(&mut parts.headers, &decision_id);
        Response::from_parts(parts, full(body))
    }

    /// Relay an SSE body, each event read and rewritten (or withheld) in order, by a task
    /// that owns the exchange: when the agent goes away the task ends and the pending calls'
    /// records are written.
    fn relay_events(self, body: Incoming) -> ResBody {
        use futures_util::StreamExt;
        let (tx, rx) =
            tokio::sync::mpsc::channel::<Result<http_body::Frame<Bytes>, hyper::Error>>(16);
        let mut ex = self;
        tokio::spawn(async move {
            let mut data = body.into_data_stream();
            let mut parser = sse::Parser::new();
            loop {
                // an agent that went away ends the relay at once, even on a quiet stream
                let chunk = tokio::select! {
                    c = data.next() => c,
                    _ = tx.closed() => return,
                };
                let end = chunk.is_none();
                let events = match chunk {
                    Some(Ok(c)) => parser.push(&c),
                    Some(Err(e)) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                    // a last event without its blank line
                    None => parser.finish().into_iter().collect(),
                };
                if !events.is_empty() {
                    let mut out = BytesMut::new();
                    for ev in events {
                        out.extend_from_slice(&ex.on_event(ev).await);
                    }
                    if tx
                        .send(Ok(http_body::Frame::data(out.freeze())))
                        .await
                        .is_err()
                    {
                        return; // the agent went away
                    }
                }
                if end {
                    return;
                }
            }
        });
        BodyExt::boxed(ChannelBody { rx })
    }

    async fn on_event(&mut self, ev: sse::Event) -> Bytes {
        let Some(text) = ev.data.as_deref() else {
            return ev.raw;
        };
        let Ok(msg) = serde_json::from_str::<Value>(text) else {
            return ev.raw;
        };
        let before = msg.clone();
        match self.on_server_message(msg).await {
            Some(m) if m == before => ev.raw,
            Some(m) => sse::rebuild_event(&ev, &String::from_utf8_lossy(&serialize(&m))),
            None => sse::withheld_event(&ev),
        }
    }

    /// One message from the server: `None` withholds it from the agent.
    async fn on_server_message(&mut self, msg: Value) -> Option<Value> {
        let shape = proto::shape(&msg).ok();
        match shape {
            Some(Shape::Response) => {
                let key = id_key(msg.get("id").unwrap_or(&Value::Null));
                match self.pending.remove(&key) {
                    Some(Pending::ToolsList) => Some(self.filter_tools_list(msg).await),
                    Some(Pending::Call(call)) => Some(self.finish_call(*call, msg).await),
                    None => Some(msg),
                }
            }
            Some(Shape::Request) if proto::is_gated_server_request(proto::method(&msg)) => {
                self.gate_server_request(msg).await
            }
            Some(Shape::Notification)
                if proto::method(&msg) == "notifications/tools/list_changed" =>
            {
                self.app.mcp.mark_stale(&self.adapter().name);
                Some(msg)
            }
            _ => Some(msg),
        }
    }

    /// Pin, then filter a `tools/list` result by pin and by `data.toolwall.tool_visible`.
    async fn filter_tools_list(&self, mut msg: Value) -> Value {
        let Some(tools) = msg.pointer("/result/tools").and_then(Value::as_array) else {
            return msg;
        };
        let adapter = self.adapter();
        let observed = match self
            .app
            .mcp
            .observe(self.app.state(), &self.snap, adapter, tools)
            .await
        {
            Ok(o) => o,
            Err(e) => {
                let id = msg.get("id").cloned().unwrap_or(Value::Null);
                return proto::error_response(
                    &id,
                    -32603,
                    &format!("toolwall cannot check tool pins: {e}"),
                    None,
                );
            }
        };
        let mut keep = Vec::with_capacity(observed.len());
        for (name, status) in observed {
            let (tool, status) = match status {
                Ok(t) => t,
                Err(why) => {
                    tracing::warn!(adapter = %adapter.name, tool = %name, %why, "MCP tool withheld: invalid definition");
                    keep.push(false);
                    continue;
                }
            };
            match &status {
                PinStatus::Changed { pinned } => {
                    let mut ctx = self.new_ctx();
                    ctx.set_tool(&tool.tool);
                    ctx.extra = Some(json!({
                        "method": "tools/list", "name": name,
                        "definition": tool.hash, "pinned_definition": pinned,
                    }));
                    ctx.outcome = Some(Outcome::Refused(Reject::new(
                        Reason::ToolDefinitionChanged,
                        format!("tool `{name}` withheld from tools/list: its definition changed since it was pinned"),
                    )));
                    keep.push(false);
                    continue;
                }
                PinStatus::Repinned { old } => self.audit_repinned(&name, &tool, old),
                PinStatus::New | PinStatus::Pinned => {}
            }
            keep.push(self.visible(&tool.tool));
        }
        if let Some(list) = msg
            .pointer_mut("/result/tools")
            .and_then(Value::as_array_mut)
        {
            let mut it = keep.into_iter();
            list.retain(|_| it.next().unwrap_or(false));
        }
        msg
    }

    /// `pin: auto` accepted a changed definition: recorded with both hashes (the record is
    /// written when the context drops, here).
    fn audit_repinned(&self, name: &str, tool: &McpTool, old: &str) {
        let mut ctx = self.new_ctx();
        ctx.set_tool(&tool.tool);
        ctx.extra = Some(json!({
            "method": "tools/list", "name": name, "event": "repinned",
            "definition": tool.hash, "pinned_definition": old,
        }));
        ctx.outcome = Some(Outcome::Forwarded { status: 200 });
    }

    /// `data.toolwall.tool_visible` for this principal and tool: absent rule ⇒ visible;
    /// false, undefined or an error ⇒ hidden.
    fn visible(&self, tool: &Tool) -> bool {
        if !self.snap.policy.has_visible {
            return true;
        }
        let input = policy::visibility_input(
            &self.snap,
            self.principal.as_ref(),
            self.adapter(),
            tool,
            self.app.clock().now(),
        );
        match self.snap.policy.eval(crate::policy::VISIBLE_RULE, &input) {
            Ok(regorus::Value::Bool(b)) => b,
            Ok(_) | Err(crate::policy::EvalError::Undefined) => false,
            Err(e) => {
                tracing::warn!(tool = %tool.name, error = %e, "tool_visible failed; tool hidden");
                false
            }
        }
    }

    /// A decided call's answer: server-to-client input requests decided (2026-07-28),
    /// `structuredContent` checked against `outputSchema`, redaction applied, spend settled.
    async fn finish_call(&self, mut call: CallState, mut msg: Value) -> Value {
        let id = msg.get("id").cloned().unwrap_or(Value::Null);
        let mut refused: Option<Reject> = None;
        if let Some(result) = msg.get_mut("result") {
            if let Some(requests) = result.get("inputRequests").and_then(Value::as_object) {
                for (key, req) in requests {
                    let method = req.get("method").and_then(Value::as_str).unwrap_or("");
                    let params = req.get("params").cloned().unwrap_or(Value::Null);
                    if let Err(rej) = self.decide_server_request(method, params) {
                        let mut r = rej;
                        r.message = format!("the server asked for {method} ({key}): {}", r.message);
                        refused = Some(r);
                        break;
                    }
                }
            }
            let is_error = result.get("isError") == Some(&Value::Bool(true));
            let input_required =
                result.get("resultType").and_then(Value::as_str) == Some("input_required");
            if let (None, false, false, Some(output)) = (
                &refused,
                is_error,
                input_required,
                call.tool.as_ref().and_then(|t| t.output.as_ref()),
            ) {
                let problem = match result.get("structuredContent") {
                    None => Some("the result has no structuredContent".to_string()),
                    Some(sc) => output
                        .iter_errors(sc)
                        .next()
                        .map(|e| format!("structuredContent{}: {e}", e.instance_path())),
                };
                if let Some(p) = problem {
                    refused = Some(Reject::new(
                        Reason::ToolOutputInvalid,
                        format!("the tool's result does not match its outputSchema: {p}"),
                    ));
                }
            }
            if let (None, Some(plan)) = (&refused, &call.plan) {
                if let Err(rej) =
                    redact::redact_args(&self.snap.redactor, result, plan, &self.app.metrics)
                {
                    refused = Some(rej);
                }
            }
        }
        if let Some(spend) = call.spend.take() {
            let actual = call
                .tool
                .as_ref()
                .and_then(|t| t.tool.cost_pointer.as_deref())
                .and_then(|p| msg.get("result").and_then(|r| r.pointer(p)))
                .and_then(Value::as_f64)
                .map(micros)
                .unwrap_or(spend.estimate);
            if let Err(e) = spend.settle(actual).await {
                tracing::warn!(error = %e, "committing spend failed; the reservation stays counted");
            }
        }
        if let Some(rej) = refused {
            let text = refusal_text(&rej, &call.ctx.decision_id);
            call.ctx.outcome = Some(Outcome::Refused(rej));
            msg = if call.tool.is_some() {
                proto::refusal_result(&id, &text, self.modern)
            } else {
                proto::error_response(&id, proto::REFUSED, &text, None)
            };
        }
        msg
    }

    /// Policy on a server-to-client request (`<adapter>.sampling/createMessage`, …), audited.
    fn decide_server_request(&self, method: &str, mut params: Value) -> Result<(), Reject> {
        let mut ctx = self.new_ctx();
        let tool = self.pseudo_tool(method);
        ctx.set_tool(&tool);
        ctx.extra = Some(json!({"method": method, "direction": "server_to_client"}));
        if let Some(m) = params.as_object_mut() {
            m.remove("_meta");
        }
        if !params.is_object() {
            params = json!({});
        }
        let adapter = self.adapter();
        let facts = self.facts();
        let extra = ctx.extra.clone();
        let result = decide_call(
            &self.app, &self.snap, &mut ctx, adapter, &tool, &tool, params, &facts, extra,
        );
        match result {
            Ok(()) => {
                ctx.outcome = Some(Outcome::Forwarded { status: 200 });
                Ok(())
            }
            Err(rej) => {
                ctx.outcome = Some(Outcome::Refused(rej.clone()));
                Err(rej)
            }
        }
    }

    /// A server-to-client request on a stream (2025-xx sessions): passed to the agent when
    /// policy allows it; otherwise withheld, and the server gets the refusal as its answer.
    async fn gate_server_request(&self, msg: Value) -> Option<Value> {
        let method = proto::method(&msg).to_string();
        let params = msg.get("params").cloned().unwrap_or(Value::Null);
        let Err(rej) = self.decide_server_request(&method, params) else {
            return Some(msg);
        };
        let id = msg.get("id").cloned().unwrap_or(Value::Null);
        let answer = proto::error_response(
            &id,
            proto::REFUSED,
            &format!("refused by toolwall policy: {}", rej.reasons().join(", ")),
            None,
        );
        let mut headers = self.headers.clone();
        headers.remove(proto::METHOD_HEADER);
        headers.remove(proto::NAME_HEADER);
        drop_param_headers(&mut headers);
        let adapter_snap = self.snap.clone();
        let idx = self.adapter;
        let traceparent = self.traceparent.clone();
        tokio::spawn(async move {
            let out = Outgoing {
                method: Method::POST,
                path_and_query: String::new(),
                body: serialize(&answer),
                content_type: Some("application/json"),
                traceparent,
                identity_encoding: false,
            };
            if let Err(e) = forward(&adapter_snap.adapters[idx], &headers, out).await {
                tracing::warn!(error = %e.message, "could not answer the server's refused request");
            }
        });
        None
    }
}

/// Drop `Mcp-Param-*` headers (they belong to one tools/call).
fn drop_param_headers(headers: &mut HeaderMap) {
    let names: Vec<_> = headers
        .keys()
        .filter(|k| k.as_str().starts_with(proto::PARAM_HEADER_PREFIX))
        .cloned()
        .collect();
    for n in names {
        headers.remove(n);
    }
}

impl Step {
    /// Put the request's id on a protocol error made before the id was known.
    fn with_id(self, id: &Value) -> Step {
        match self {
            Step::Answer(mut a, s) => {
                a["id"] = id.clone();
                Step::Answer(a, s)
            }
            other => other,
        }
    }
}

/// A malformed message: a JSON-RPC error (HTTP 400), recorded as a refusal.
fn protocol_refusal(mut ctx: CallCtx, msg: &Value, e: ProtocolError) -> Step {
    let id = msg.get("id").cloned().unwrap_or(Value::Null);
    let answer = proto::error_response(&id, e.code, &e.message, None);
    ctx.outcome = Some(Outcome::Refused(Reject::new(
        Reason::InvalidMcpMessage,
        e.message,
    )));
    Step::Answer(answer, StatusCode::BAD_REQUEST)
}

/// What the model reads when toolwall refuses: reasons, why, and the decision id.
fn refusal_text(rej: &Reject, decision_id: &str) -> String {
    format!(
        "toolwall refused this call ({}): {} [decision_id {decision_id}]",
        rej.reasons().join(", "),
        rej.message
    )
}

fn id_key(id: &Value) -> String {
    match id {
        Value::String(s) => format!("s:{s}"),
        other => format!("n:{other}"),
    }
}

fn serialize<T: Serialize>(v: &T) -> Bytes {
    Bytes::from(serde_json::to_vec(v).unwrap_or_else(|_| b"null".to_vec()))
}

async fn read_all(body: Incoming) -> Result<Bytes, Reject> {
    Limited::new(body, MAX_RESPONSE_BYTES)
        .collect()
        .await
        .map(|c| c.to_bytes())
        .map_err(|e| {
            Reject::new(
                Reason::ResponseNotInspectable,
                format!("the MCP server's answer could not be read (over {MAX_RESPONSE_BYTES} bytes or broken): {e}"),
            )
        })
}

fn json_response(status: StatusCode, v: &Value, decision_id: &str) -> Response<ResBody> {
    let mut resp = Response::new(full(serialize(v)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    set_decision_header(resp.headers_mut(), decision_id);
    resp
}

fn refuse_http(ctx: &mut CallCtx, rej: Reject) -> Response<ResBody> {
    super::refuse(ctx, rej)
}

fn set_decision_header(headers: &mut HeaderMap, id: &str) {
    if let Ok(v) = HeaderValue::from_str(id) {
        headers.insert(DECISION_HEADER, v);
    }
}

/// A response body fed by a task through a channel.
struct ChannelBody {
    rx: tokio::sync::mpsc::Receiver<Result<http_body::Frame<Bytes>, hyper::Error>>,
}

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, hyper::Error>>> {
        self.rx.poll_recv(cx)
    }
}

/// `POST /admin/mcp/pin`: accept the definitions last listed by the server (every tool of the
/// adapter, or one), each change audited with both hashes.
pub async fn repin(
    app: &Arc<AppState>,
    adapter: &str,
    tool: Option<&str>,
) -> Result<Value, String> {
    let snap = app.snapshot.load_full();
    let Some(idx) = snap.adapter_by_name(adapter) else {
        return Err(format!("no adapter named `{adapter}`"));
    };
    if snap.adapters[idx].kind != crate::config::raw::AdapterKind::Mcp {
        return Err(format!("adapter `{adapter}` is not an MCP adapter"));
    }
    let changed = app
        .mcp
        .repin(app.state(), adapter, tool)
        .await
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for (name, old, new) in changed {
        let audit = app
            .audit
            .as_ref()
            .map(|(sink, args)| super::ctx::AuditHook {
                sink: sink.clone(),
                args: *args,
                redactor: snap.redactor.clone(),
            });
        let mut ctx = CallCtx::new(
            app.metrics.clone(),
            &snap,
            format!("{:032x}", rand::random::<u128>() | 1),
            audit,
        );
        ctx.adapter = Some(adapter.to_string());
        ctx.set_tool_name(format!("{adapter}.{name}"));
        let extra = json!({
            "method": "admin/pin", "name": name, "event": "repinned_by_operator",
            "definition": new, "pinned_definition": old,
        });
        ctx.extra = Some(extra.clone());
        ctx.outcome = Some(Outcome::Forwarded { status: 200 });
        out.push(extra);
    }
    Ok(json!({"adapter": adapter, "repinned": out}))
}
