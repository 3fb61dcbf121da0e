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

use super::reject::{Reason, Reject};
use super::Runtime;
use super::{full, read_body, ResBody, DECISION_HEADER};
use crate::config::{Adapter, Snapshot, Tool};
use crate::mcp::{McpTool, PinStatus};
use crate::protocol::mcp::{self as proto, ProtocolError, Shape};
use crate::protocol::sse;
use crate::redact::ActionPlan;
use crate::stage::forward::{forward, strip_hop_by_hop, Outgoing};
use crate::stage::limits::SpendReservation;
use crate::stage::record::{CallRecord, Outcome};
use crate::stage::{identify, policy, redact, response};
use crate::state::micros;

/// Largest response toolwall reads whole (JSON bodies; its own `tools/list` fetches).
const MAX_RESPONSE_BYTES: usize = redact::MAX_RESPONSE_BYTES;
/// `tools/list` pages toolwall follows when it reads the list itself.
const MAX_LIST_PAGES: usize = 32;

/// Handle one request to an MCP adapter's endpoint.
pub async fn run(
    app: &Arc<Runtime>,
    snap: Arc<Snapshot>,
    mut ctx: CallRecord,
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
    match identify::identify(&snap.identity, &parts) {
        Ok(p) => ctx.principal = Some(p),
        Err(rej) => return refuse_http(&mut ctx, rej),
    }
    // the agent's own credentials (a bearer toolwall consumed as identity or not) and the
    // forwarding headers of its hop never reach the server, as for HTTP tools
    let headers = crate::pipeline::headers::forwardable(adapter, &parts.headers);
    let owner = owner_key(ctx.principal.as_ref());
    // a session belongs to the principal that opened it: anyone else is told it does not exist
    let session = match session_header(&parts.headers) {
        Ok(None) => None,
        Ok(Some(sid)) => match app.mcp.sessions.lookup(&adapter.name, &sid, &owner) {
            Lookup::Found(pending) => Some((sid, pending)),
            found => return unknown_session(&mut ctx, &parts.method, found),
        },
        Err(e) => return refuse_http(&mut ctx, Reject::new(Reason::InvalidMcpMessage, e)),
    };
    let (session, pending) = match session {
        Some((sid, pending)) => (Some(sid), pending),
        None => (None, Arc::new(PendingMap::default())),
    };
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
        pending,
        own: Vec::new(),
        session,
        owner,
        post: parts.method == Method::POST,
        batch: false,
        withheld: false,
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
    /// Any other request (`initialize`, `ping`, `*/list`, …): its answer is passed as is, but
    /// only as the answer to a request the agent sent.
    Other,
}

struct CallState {
    ctx: CallRecord,
    /// The tool, for `tools/call` (not for `resources/read` / `prompts/get`).
    tool: Option<Arc<McpTool>>,
    plan: Option<ActionPlan>,
    spend: Option<SpendReservation>,
}

async fn post(
    mut ex: Exchange,
    mut ctx: CallRecord,
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
                    if let Err(answers) = ex.register(pending.into_iter().collect()).await {
                        let answer = answers.into_iter().next().unwrap_or(Value::Null);
                        return json_response(StatusCode::BAD_REQUEST, &answer, &decision_id);
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
    mut ctx: CallRecord,
    headers: &HeaderMap,
    batch: Vec<Value>,
) -> Response<ResBody> {
    ctx.record = false;
    ex.batch = true;
    if batch.is_empty() {
        let answer =
            proto::error_response(&Value::Null, proto::INVALID_REQUEST, "empty batch", None);
        return json_response(StatusCode::BAD_REQUEST, &answer, &ctx.decision_id);
    }
    if let Some(dup) = duplicate_request_id(&batch) {
        // two requests with one id: their answers could not be told apart
        let message = format!("the batch has two requests with id {dup}");
        let answer = proto::error_response(&Value::Null, proto::INVALID_REQUEST, &message, None);
        ctx.record = true;
        ctx.extra = Some(json!({"method": "batch", "duplicate_id": dup}));
        ctx.outcome = Some(Outcome::Refused(Reject::new(
            Reason::InvalidMcpMessage,
            message,
        )));
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
    let mut pending = Vec::new();
    for step in steps {
        if let Step::Forward(bytes, p) = step {
            pending.extend(p);
            if out.len() > 1 {
                out.extend_from_slice(b",");
            }
            out.extend_from_slice(&bytes);
        }
    }
    out.extend_from_slice(b"]");
    if let Err(answers) = ex.register(pending).await {
        return json_response(
            StatusCode::BAD_REQUEST,
            &Value::Array(answers),
            &ctx.decision_id,
        );
    }
    ex.relay(Method::POST, out.freeze()).await
}

/// One MCP exchange: the request's context, and what is pending on the response.
struct Exchange {
    app: Arc<Runtime>,
    snap: Arc<Snapshot>,
    adapter: usize,
    principal: Option<identify::Principal>,
    /// The agent's headers as forwarded (JWT stripped).
    headers: HeaderMap,
    traceparent: HeaderValue,
    trace_id: String,
    modern: bool,
    /// Requests forwarded and not answered yet: the session's (every stream of the session
    /// answers from it), or this exchange's own when there is no session.
    pending: Arc<PendingMap>,
    /// Keys of the requests this POST carries: its stream answers these and nothing else.
    own: Vec<String>,
    /// The agent's `Mcp-Session-Id`, checked to belong to `owner`.
    session: Option<String>,
    /// The principal (tenant + agent) the exchange runs as.
    owner: String,
    /// A POST (its stream answers its own requests) rather than a GET stream.
    post: bool,
    /// The POST is a JSON-RPC batch (answered with an array).
    batch: bool,
    /// Something the server sent on this exchange was withheld.
    withheld: bool,
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

    fn new_ctx(&self) -> CallRecord {
        let audit = self
            .app
            .audit
            .as_ref()
            .map(|(sink, args)| crate::stage::record::AuditHook {
                sink: sink.clone(),
                args: *args,
                redactor: self.snap.redactor.clone(),
            });
        let mut ctx = CallRecord::new(
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
    async fn decide(&mut self, mut ctx: CallRecord, headers: &HeaderMap, msg: Value) -> Step {
        let shape = match proto::shape(&msg) {
            Ok(s) => s,
            Err(e) => return protocol_refusal(ctx, &msg, e),
        };
        if let Err(e) = proto::check_routing_headers(headers, &msg, shape) {
            return protocol_refusal(ctx, &msg, e);
        }
        if shape == Shape::Notification && !proto::is_notification_method(proto::method(&msg)) {
            // JSON-RPC servers execute notifications: a `tools/call` without an id would act
            // with no decision, record or limit
            let method = proto::method(&msg);
            ctx.extra = Some(json!({"method": truncated(method, 256)}));
            let e = ProtocolError::new(
                proto::INVALID_REQUEST,
                format!(
                    "`{}` without an id: only notifications/* methods may be sent as notifications",
                    truncated(method, 256)
                ),
            );
            return protocol_refusal(ctx, &msg, e);
        }
        if shape != Shape::Request {
            ctx.record = false;
            return Step::Forward(serialize(&msg), None);
        }
        let id = msg.get("id").cloned().unwrap_or(Value::Null);
        if lock(&self.pending).contains_key(&id_key(&id)) {
            ctx.extra = Some(json!({"method": truncated(proto::method(&msg), 256)}));
            let e = ProtocolError::new(
                proto::INVALID_REQUEST,
                "a request with this id is still pending in this session",
            );
            return protocol_refusal(ctx, &msg, e);
        }
        match proto::method(&msg) {
            "tools/call" => self.decide_tool_call(ctx, headers, msg, id).await,
            "resources/read" | "prompts/get" => self.decide_gated(ctx, msg, id).await,
            "tools/list" => {
                ctx.record = false;
                Step::Forward(serialize(&msg), Some((id, Pending::ToolsList)))
            }
            _ => {
                ctx.record = false;
                Step::Forward(serialize(&msg), Some((id, Pending::Other)))
            }
        }
    }

    async fn decide_tool_call(
        &mut self,
        mut ctx: CallRecord,
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
        // policy sees `params._meta` as `input.mcp.meta`
        let mut policy_extra = extra;
        if let Some(meta) = rest.get("_meta") {
            policy_extra["meta"] = meta.clone();
        }
        let mut headers = std::mem::take(&mut self.headers);
        let modern = self.modern;
        let metrics = self.app.metrics.clone();
        let encode = |args: &Value, plan: Option<&ActionPlan>| {
            // every param but the tool's name goes through the plan, not only `arguments`
            let mut rest = rest.clone();
            if let Some(plan) = plan {
                let name = rest.remove("name");
                let mut others = Value::Object(rest);
                redact::redact_args(&snap.redactor, &mut others, plan, &metrics)?;
                rest = match others {
                    Value::Object(m) => m,
                    _ => Map::new(),
                };
                if let Some(n) = name {
                    rest.insert("name".into(), n);
                }
            }
            proto::set_param_headers(&mcp_tool.params, args, &mut headers, modern);
            Ok(proto::encode_request(&msg, &rest, Some(args), None))
        };
        let decided = self
            .decide_and_admit(&mut ctx, tool, schema_tool, args, policy_extra, encode)
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
    async fn decide_gated(&mut self, mut ctx: CallRecord, mut msg: Value, id: Value) -> Step {
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
        let mut policy_extra = extra;
        if let Some(m) = &meta {
            policy_extra["meta"] = m.clone();
        }
        let snap = self.snap.clone();
        let metrics = self.app.metrics.clone();
        let encode = |args: &Value, plan: Option<&ActionPlan>| {
            let rest = args.as_object().unwrap_or(&Map::new()).clone();
            let mut meta = meta;
            if let (Some(plan), Some(m)) = (plan, meta.as_mut()) {
                redact::redact_args(&snap.redactor, m, plan, &metrics)?;
            }
            Ok(proto::encode_request(&msg, &rest, None, meta.as_ref()))
        };
        match self
            .decide_and_admit(&mut ctx, &tool, &tool, args, policy_extra, encode)
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
            response_schema: None,
            read_only: false,
            risk: json!({}),
        }
    }

    /// The shared pipeline (`pipeline::decide_and_admit`) for one decided message. `encode`
    /// serializes the message to forward from the decided (possibly redacted) arguments.
    /// Returns those bytes, the response redaction plan and the spend reservation.
    async fn decide_and_admit(
        &self,
        ctx: &mut CallRecord,
        tool: &Tool,
        schema_tool: &Tool,
        args: Value,
        extra: Value,
        encode: impl FnOnce(&Value, Option<&ActionPlan>) -> Result<Bytes, Reject>,
    ) -> Result<(Bytes, Option<ActionPlan>, Option<SpendReservation>), Reject> {
        let call = super::Call {
            adapter: self.adapter(),
            tool,
            schema_tool,
            args,
            facts: self.facts(),
            view: super::View::Mcp(extra),
        };
        let encode = |args: super::Args<'_>, plan: Option<&ActionPlan>, _: &mut Vec<Value>| {
            let (super::Args::Decided(args) | super::Args::AsSent(args)) = args;
            encode(args, plan)
        };
        let admitted = super::decide_and_admit(&self.app, &self.snap, ctx, call, encode).await?;
        Ok((admitted.forward, admitted.plan, admitted.spend))
    }

    fn refuse_call(&self, mut ctx: CallRecord, id: &Value, rej: Reject) -> Step {
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
            // read as the relay reads: the same content types, events and strict JSON
            let kind = response_kind(resp.headers());
            let status = resp.status();
            let body = read_all(resp.into_body()).await?;
            let depth = self.snap.max_json_depth;
            let messages = match kind {
                Kind::EventStream => {
                    let (events, _tail) = sse::parse_all(&body);
                    events
                        .iter()
                        .filter_map(|e| match read_event(e, depth) {
                            EventRead::Message(m) => Some(m),
                            _ => None,
                        })
                        .collect::<Vec<_>>()
                }
                Kind::Json => crate::json::parse_strict(&body, depth)
                    .ok()
                    .into_iter()
                    .collect(),
                Kind::Other => Vec::new(),
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

    /// Put the requests of this POST in the pending map, all or none: an id already pending
    /// in the session (a race the check in `decide` cannot close) refuses them all, and their
    /// refusals are returned.
    async fn register(&mut self, entries: Vec<(Value, Pending)>) -> Result<(), Vec<Value>> {
        let entries = match insert_all(&self.pending, entries) {
            Ok(mut keys) => {
                self.own.append(&mut keys);
                return Ok(());
            }
            Err(entries) => entries,
        };
        let rej = Reject::new(
            Reason::InvalidMcpMessage,
            format!("a request id is already pending in this session (or over {MAX_PENDING} requests are)"),
        );
        let mut answers = Vec::with_capacity(entries.len());
        for (id, p) in entries {
            answers.push(self.refuse_pending(id, p, rej.clone(), false).await);
        }
        Err(answers)
    }

    /// The answer the agent gets instead of the server's for a pending request: an `isError`
    /// result for a tool call, a JSON-RPC error otherwise; recorded. `sent`: the request
    /// reached the server (its spend estimate stays committed: the server may have acted).
    async fn refuse_pending(&self, id: Value, p: Pending, rej: Reject, sent: bool) -> Value {
        match p {
            Pending::Call(mut call) => {
                if let Some(spend) = call.spend.take() {
                    if sent {
                        let estimate = spend.estimate;
                        if let Err(e) = spend.settle(estimate).await {
                            tracing::warn!(error = %e, "committing spend failed; the reservation stays counted");
                        }
                    } else {
                        crate::stage::limits::settle_after_failure(spend, rej.reason).await;
                    }
                }
                let text = refusal_text(&rej, &call.ctx.decision_id);
                call.ctx.outcome = Some(Outcome::Refused(rej));
                if call.tool.is_some() {
                    proto::refusal_result(&id, &text, self.modern)
                } else {
                    proto::error_response(&id, proto::REFUSED, &text, None)
                }
            }
            Pending::ToolsList | Pending::Other => {
                let decision_id = self.audit_withheld(&rej.message);
                let text = refusal_text(&rej, &decision_id);
                proto::error_response(&id, proto::REFUSED, &text, None)
            }
        }
    }

    /// Record a server message toolwall withheld (or a request it answered itself): a record
    /// of `<adapter>.server_message` refused as `response_not_inspectable`. Returns its
    /// decision id.
    fn audit_withheld(&self, why: &str) -> String {
        tracing::warn!(adapter = %self.adapter().name, why, "MCP server message withheld");
        let mut ctx = self.new_ctx();
        ctx.set_tool(&self.pseudo_tool("server_message"));
        ctx.extra = Some(json!({
            "direction": "server_to_client",
            "event": "withheld",
            "stream": if self.post { "post" } else { "get" },
        }));
        ctx.outcome = Some(Outcome::Refused(Reject::new(
            Reason::ResponseNotInspectable,
            why,
        )));
        ctx.decision_id.clone()
    }

    /// The requests of this POST still pending, taken out of the map.
    fn take_own(&self) -> Vec<(Value, Pending)> {
        let mut map = lock(&self.pending);
        self.own.iter().filter_map(|k| map.remove(k)).collect()
    }

    fn has_own_pending(&self) -> bool {
        let map = lock(&self.pending);
        self.own.iter().any(|k| map.contains_key(k))
    }

    /// The pending request a server answer belongs to. On a POST's stream every answer is
    /// for that POST's requests: with one request, any answer is its answer (whatever id it
    /// carries); with a batch, only the batch's ids. On a GET stream (resumption, the
    /// session's own stream) any request pending in the session.
    fn take_answered(&self, msg: &Value) -> Option<(Value, Pending)> {
        let key = id_key(msg.get("id").unwrap_or(&Value::Null));
        let taken = answered_key(self.post, &self.own, &key)?;
        lock(&self.pending).remove(taken)
    }

    /// A server message toolwall cannot read: the answer to a single pending request becomes
    /// its refusal; otherwise it is withheld (and recorded).
    async fn uninspectable(&mut self, why: String) -> Option<Value> {
        self.withheld = true;
        if self.post && self.own.len() == 1 {
            let taken = lock(&self.pending).remove(&self.own[0]);
            if let Some((id, p)) = taken {
                let rej = Reject::new(Reason::ResponseNotInspectable, why);
                return Some(self.refuse_pending(id, p, rej, true).await);
            }
        }
        self.audit_withheld(&why);
        None
    }

    /// Refuse what this POST still waits for (HTTP `status` kept unless it says success).
    async fn refuse_own(self, rej: Reject, status: StatusCode) -> Response<ResBody> {
        let mut answers = Vec::new();
        for (id, p) in self.take_own() {
            answers.push(self.refuse_pending(id, p, rej.clone(), true).await);
        }
        let body = match (answers.len(), self.batch) {
            (0, _) => {
                let decision_id = self.audit_withheld(&rej.message);
                proto::error_response(
                    &Value::Null,
                    proto::REFUSED,
                    &refusal_text(&rej, &decision_id),
                    None,
                )
            }
            (1, false) => answers.pop().unwrap_or(Value::Null),
            _ => Value::Array(answers),
        };
        let status = if status.is_success() {
            StatusCode::OK
        } else {
            status
        };
        json_body(status, &body)
    }

    /// Sessions: the one the server opens (`Mcp-Session-Id` on the answer to a session-less
    /// POST) is bound to this principal; a successful DELETE ends it.
    fn track_session(
        &mut self,
        method: &Method,
        status: StatusCode,
        headers: &HeaderMap,
    ) -> Result<(), Reject> {
        let adapter = self.adapter().name.clone();
        if *method == Method::DELETE {
            if let (true, Some(sid)) = (status.is_success(), &self.session) {
                self.app.mcp.sessions.close(&adapter, sid);
            }
            return Ok(());
        }
        if *method != Method::POST || self.session.is_some() {
            return Ok(());
        }
        let Some(v) = headers.get(proto::SESSION_HEADER) else {
            return Ok(());
        };
        let sid = v.to_str().map_err(|_| {
            Reject::new(
                Reason::ResponseNotInspectable,
                "the MCP server's Mcp-Session-Id is not visible ASCII",
            )
        })?;
        if self.app.mcp.sessions.open(&adapter, sid, &self.owner) {
            Ok(())
        } else {
            Err(Reject::new(
                Reason::ResponseNotInspectable,
                "the MCP server opened a session whose id another principal holds",
            ))
        }
    }

    /// Forward to the server and relay its answer: JSON read whole and rewritten, SSE
    /// rewritten event by event as it streams. Nothing else is relayed: another content type
    /// answering a request is refused, and any other body is withheld.
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
        {
            let mut map = lock(&ex.pending);
            for k in &ex.own {
                if let Some((_, Pending::Call(c))) = map.get_mut(k) {
                    c.ctx.upstream_latency_us = Some(upstream_us);
                    c.ctx.outcome = Some(Outcome::Forwarded {
                        status: status.as_u16(),
                    });
                }
            }
        }
        if let Err(rej) = ex.track_session(&method, status, &rparts.headers) {
            return ex.refuse_own(rej, StatusCode::BAD_GATEWAY).await;
        }
        // toolwall asks for identity encoding: a compressed body is not one it can read
        let encoded = rparts
            .headers
            .get_all(header::CONTENT_ENCODING)
            .iter()
            .any(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity"));
        let kind = if encoded {
            Kind::Other
        } else {
            response_kind(&rparts.headers)
        };
        match kind {
            Kind::EventStream => {
                rparts.headers.remove(header::CONTENT_LENGTH);
                Response::from_parts(rparts, ex.relay_events(rbody))
            }
            Kind::Json => ex.relay_json(rparts, rbody).await,
            Kind::Other => {
                let why = format!(
                    "the MCP server answered with content type {:?}: only application/json and text/event-stream are relayed",
                    truncated(
                        rparts
                            .headers
                            .get(header::CONTENT_TYPE)
                            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                            .as_deref()
                            .unwrap_or("(none)"),
                        128
                    )
                );
                if ex.has_own_pending() {
                    let rej = Reject::new(Reason::ResponseNotInspectable, why);
                    return ex.refuse_own(rej, status).await;
                }
                let has_body = rparts.headers.contains_key(header::CONTENT_TYPE)
                    || !http_body::Body::is_end_stream(&rbody);
                if status.is_success() && has_body {
                    ex.audit_withheld(&why);
                }
                for h in [
                    header::CONTENT_TYPE,
                    header::CONTENT_LENGTH,
                    header::CONTENT_ENCODING,
                ] {
                    rparts.headers.remove(h);
                }
                Response::from_parts(rparts, full(Bytes::new()))
            }
        }
    }

    /// A JSON answer: parsed strictly, every message read; a request it leaves unanswered
    /// (or answers with something unreadable) gets a refusal.
    async fn relay_json(
        mut self,
        mut rparts: http::response::Parts,
        rbody: Incoming,
    ) -> Response<ResBody> {
        let status = rparts.status;
        let bytes = match read_all(rbody).await {
            Ok(b) => b,
            Err(rej) => return self.refuse_own(rej, status).await,
        };
        rparts.headers.remove(header::CONTENT_LENGTH);
        rparts.headers.remove(header::CONTENT_ENCODING);
        let v = match crate::json::parse_strict(&bytes, self.snap.max_json_depth) {
            Ok(v) => v,
            Err(e) => {
                let why = format!("the MCP server's JSON answer cannot be read: {e}");
                if self.has_own_pending() {
                    let rej = Reject::new(Reason::ResponseNotInspectable, why);
                    return self.refuse_own(rej, status).await;
                }
                if !bytes.is_empty() {
                    self.audit_withheld(&why);
                }
                rparts.headers.remove(header::CONTENT_TYPE);
                return Response::from_parts(rparts, full(Bytes::new()));
            }
        };
        let mut out = Vec::new();
        match v {
            Value::Array(items) => {
                for m in items {
                    out.extend(self.on_server_message(m).await);
                }
            }
            m => out.extend(self.on_server_message(m).await),
        }
        // a JSON answer is the whole answer: what it did not answer will not be answered
        let unanswered = Reject::new(
            Reason::ResponseNotInspectable,
            "the MCP server's answer has no readable answer to this request",
        );
        for (id, p) in self.take_own() {
            out.push(self.refuse_pending(id, p, unanswered.clone(), true).await);
        }
        let body = match out.len() {
            0 => {
                rparts.headers.remove(header::CONTENT_TYPE);
                return Response::from_parts(rparts, full(Bytes::new()));
            }
            // a single request is answered with one message, a batch with an array
            1 if !self.batch => out.pop().unwrap_or(Value::Null),
            _ => Value::Array(out),
        };
        Response::from_parts(rparts, full(serialize(&body)))
    }

    /// The server could not be reached: pending calls are refused (and their spend released).
    async fn upstream_failed(self, rej: Reject) -> Response<ResBody> {
        let mut answers = Vec::new();
        for (_, p) in self.take_own() {
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
    /// that owns the exchange: when the agent goes away the task ends (requests still pending
    /// stay with the session, for an answer fetched by resumption; without a session their
    /// records are written).
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
                let (events, tail) = match chunk {
                    Some(Ok(c)) => (parser.push(&c), None),
                    Some(Err(e)) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                    None => (Vec::new(), parser.finish()),
                };
                let mut out = BytesMut::new();
                for ev in events {
                    out.extend_from_slice(&ex.on_event(ev).await);
                }
                let overflow = parser.buffered() > MAX_RESPONSE_BYTES;
                if overflow || tail.as_ref().is_some_and(|t| t.data.is_some()) {
                    // an event that never ends (or outgrows the limit): a client would not
                    // dispatch it whole, and nothing of it is relayed
                    let why =
                        "an SSE event from the MCP server is unterminated or over the size limit";
                    if let Some(m) = ex.uninspectable(why.to_string()).await {
                        out.extend_from_slice(&emit_event(None, Some(&m)));
                    }
                }
                if (end || overflow) && ex.post && (ex.withheld || ex.session.is_none()) {
                    // the stream is over and toolwall withheld something, or no session can
                    // resume it: what it did not answer is refused rather than left waiting
                    let unanswered = Reject::new(
                        Reason::ResponseNotInspectable,
                        "the MCP server's stream ended with no readable answer to this request",
                    );
                    for (id, p) in ex.take_own() {
                        let m = ex.refuse_pending(id, p, unanswered.clone(), true).await;
                        out.extend_from_slice(&emit_event(None, Some(&m)));
                    }
                }
                if !out.is_empty()
                    && tx
                        .send(Ok(http_body::Frame::data(out.freeze())))
                        .await
                        .is_err()
                {
                    return; // the agent went away
                }
                if end || overflow {
                    return;
                }
            }
        });
        BodyExt::boxed(ChannelBody { rx })
    }

    /// One SSE event: its JSON-RPC message read like any other and the event rebuilt from
    /// what toolwall read (never relayed raw). An event a client does not dispatch as a
    /// message (no data, another event type) keeps only its `id` / `retry`.
    async fn on_event(&mut self, ev: sse::Event) -> Bytes {
        let out = match read_event(&ev, self.snap.max_json_depth) {
            EventRead::Nothing => return sse::withheld_event(&ev),
            EventRead::Unreadable(why) => self.uninspectable(why).await,
            EventRead::Message(msg) => self.on_server_message(msg).await,
        };
        match out {
            Some(m) => relayed_event(&ev, &m),
            None => sse::withheld_event(&ev),
        }
    }

    /// One message from the server: `None` withholds it from the agent. Answers go only to a
    /// request pending on this stream; requests and notifications only of the kinds MCP has.
    async fn on_server_message(&mut self, msg: Value) -> Option<Value> {
        match classify_server_message(&msg) {
            ServerMessage::Invalid(why) => self.uninspectable(why).await,
            ServerMessage::Withheld(why) => {
                self.withheld = true;
                self.audit_withheld(&why);
                None
            }
            ServerMessage::Answer => {
                let Some((id, p)) = self.take_answered(&msg) else {
                    self.withheld = true;
                    let sent =
                        truncated(&msg.get("id").map(Value::to_string).unwrap_or_default(), 64)
                            .to_string();
                    self.audit_withheld(&format!(
                        "the MCP server sent an answer (id {sent}) to no request pending on this stream"
                    ));
                    return None;
                };
                let mut msg = msg;
                msg["id"] = id;
                match p {
                    Pending::ToolsList => Some(self.filter_tools_list(msg).await),
                    Pending::Call(call) => Some(self.finish_call(*call, msg).await),
                    Pending::Other => Some(msg),
                }
            }
            ServerMessage::GatedRequest => self.gate_server_request(msg).await,
            ServerMessage::Relay => {
                if proto::method(&msg) == "notifications/tools/list_changed" {
                    self.app.mcp.mark_stale(&self.adapter().name);
                }
                let mut msg = msg;
                if let Err(rej) = self.redact_for_own_calls(&mut msg) {
                    self.withheld = true;
                    self.audit_withheld(&format!(
                        "a server notification during a call carried denied data: {}",
                        rej.message
                    ));
                    return None;
                }
                Some(msg)
            }
        }
    }

    /// A notification or ping on a POST's stream (progress, log messages) speaks for the
    /// calls of that POST: their redaction plans apply to its params.
    fn redact_for_own_calls(&self, msg: &mut Value) -> Result<(), Reject> {
        if !self.post {
            return Ok(());
        }
        let Some(params) = msg.get_mut("params") else {
            return Ok(());
        };
        let map = lock(&self.pending);
        for k in &self.own {
            if let Some((_, Pending::Call(call))) = map.get(k) {
                if let Some(plan) = &call.plan {
                    redact::redact_args(&self.snap.redactor, params, plan, &self.app.metrics)?;
                }
            }
        }
        Ok(())
    }

    /// Pin, then filter a `tools/list` result by pin and by `data.toolwall.tool_visible`.
    async fn filter_tools_list(&self, mut msg: Value) -> Value {
        let Some(tools) = msg.pointer("/result/tools").and_then(Value::as_array) else {
            if msg.get("result").is_none() {
                return msg; // an error answer
            }
            let id = msg.get("id").cloned().unwrap_or(Value::Null);
            let decision_id = self.audit_withheld("a tools/list result without a tools array");
            return proto::error_response(
                &id,
                proto::REFUSED,
                &format!("toolwall withheld a tools/list result without a tools array [decision_id {decision_id}]"),
                None,
            );
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
            self.snap.mode,
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
                refused = match result.get("structuredContent") {
                    None => Some(Reject::new(
                        Reason::ToolOutputInvalid,
                        "the tool's result does not match its outputSchema: \
                         the result has no structuredContent",
                    )),
                    Some(sc) => {
                        response::check_output(output, "outputSchema", sc, &self.snap.redactor)
                            .err()
                    }
                };
            }
            if let (None, Some(plan)) = (&refused, &call.plan) {
                if let Err(rej) =
                    redact::redact_args(&self.snap.redactor, result, plan, &self.app.metrics)
                {
                    refused = Some(rej);
                }
            }
        }
        if let (None, Some(plan), Some(error)) = (&refused, &call.plan, msg.get_mut("error")) {
            // the server's error message and data are the tool's words too
            if let Err(rej) =
                redact::redact_args(&self.snap.redactor, error, plan, &self.app.metrics)
            {
                refused = Some(rej);
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
        let call = super::Call {
            adapter: self.adapter(),
            tool: &tool,
            schema_tool: &tool,
            args: params,
            facts: self.facts(),
            view: super::View::Mcp(ctx.extra.clone().unwrap_or(Value::Null)),
        };
        let result = super::decide_message(&self.app, &self.snap, &mut ctx, call);
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
fn protocol_refusal(mut ctx: CallRecord, msg: &Value, e: ProtocolError) -> Step {
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

pub fn id_key(id: &Value) -> String {
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

fn refuse_http(ctx: &mut CallRecord, rej: Reject) -> Response<ResBody> {
    super::http::refuse(ctx, rej)
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
pub async fn repin(app: &Arc<Runtime>, adapter: &str, tool: Option<&str>) -> Result<Value, String> {
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
            .map(|(sink, args)| crate::stage::record::AuditHook {
                sink: sink.clone(),
                args: *args,
                redactor: snap.redactor.clone(),
            });
        let mut ctx = CallRecord::new(
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

/// Requests pending in a session (or in one session-less exchange), by [`id_key`]: the
/// request's id and what to do with its answer.
type PendingMap = std::sync::Mutex<HashMap<String, (Value, Pending)>>;

/// Requests one session may have pending at once.
const MAX_PENDING: usize = 256;
/// Sessions toolwall tracks; past this the least recently used is forgotten (its agent gets
/// 404 and starts a new one, as MCP clients do).
const MAX_SESSIONS: usize = 4_096;

/// Put requests in a pending map, all or none: an id already pending, two entries with one
/// id, or more than [`MAX_PENDING`] in all refuse them all (given back). Returns their keys.
fn insert_all(
    pending: &PendingMap,
    entries: Vec<(Value, Pending)>,
) -> Result<Vec<String>, Vec<(Value, Pending)>> {
    let mut map = lock(pending);
    let keys: Vec<String> = entries.iter().map(|(id, _)| id_key(id)).collect();
    let mut seen = std::collections::HashSet::new();
    let clash = keys
        .iter()
        .any(|k| map.contains_key(k) || !seen.insert(k.as_str()));
    if clash || map.len() + keys.len() > MAX_PENDING {
        return Err(entries);
    }
    for ((id, p), k) in entries.into_iter().zip(keys.iter()) {
        map.insert(k.clone(), (id, p));
    }
    Ok(keys)
}

/// Which pending request an answer with id key `key` belongs to. On a POST's stream: with
/// one request, that request whatever the answer's id says; with a batch, the batch's own ids
/// only. On a GET stream: any request pending in the session, by id.
pub fn answered_key<'a>(post: bool, own: &'a [String], key: &'a str) -> Option<&'a str> {
    if !post {
        return Some(key);
    }
    match own {
        [only] => Some(only.as_str()),
        own if own.iter().any(|k| k == key) => Some(key),
        _ => None,
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// MCP sessions (`Mcp-Session-Id`) seen through toolwall, per adapter: the principal that
/// opened each, and the requests pending in it (answered on whichever stream the server
/// uses: the request's POST, or a GET resuming it).
#[derive(Default)]
pub struct Sessions {
    map: std::sync::Mutex<HashMap<(String, String), Session>>,
}

struct Session {
    owner: String,
    pending: Arc<PendingMap>,
    used: std::time::Instant,
}

/// A session id as seen by one principal.
enum Lookup {
    Found(Arc<PendingMap>),
    /// Opened by another principal.
    Foreign,
    /// Never opened through toolwall (or ended, or forgotten).
    Unknown,
}

impl Sessions {
    fn lookup(&self, adapter: &str, sid: &str, owner: &str) -> Lookup {
        let mut map = lock(&self.map);
        match map.get_mut(&(adapter.to_string(), sid.to_string())) {
            Some(s) if s.owner == owner => {
                s.used = std::time::Instant::now();
                Lookup::Found(s.pending.clone())
            }
            Some(_) => Lookup::Foreign,
            None => Lookup::Unknown,
        }
    }

    /// Bind a session the server opened to `owner`; false when another principal holds it.
    fn open(&self, adapter: &str, sid: &str, owner: &str) -> bool {
        let key = (adapter.to_string(), sid.to_string());
        let evicted = {
            let mut map = lock(&self.map);
            if let Some(s) = map.get(&key) {
                return s.owner == owner;
            }
            let evicted = if map.len() >= MAX_SESSIONS {
                let oldest = map
                    .iter()
                    .min_by_key(|(_, s)| s.used)
                    .map(|(k, _)| k.clone());
                oldest.and_then(|k| map.remove(&k))
            } else {
                None
            };
            map.insert(
                key,
                Session {
                    owner: owner.to_string(),
                    pending: Arc::new(PendingMap::default()),
                    used: std::time::Instant::now(),
                },
            );
            evicted
        };
        drop(evicted); // pending calls' records are written here, outside the lock
        true
    }

    fn close(&self, adapter: &str, sid: &str) {
        let removed = lock(&self.map).remove(&(adapter.to_string(), sid.to_string()));
        drop(removed);
    }
}

/// Who a session belongs to: tenant and agent.
fn owner_key(p: Option<&identify::Principal>) -> String {
    let (tenant, agent) = p.map_or((None, ""), |p| (p.tenant.as_deref(), p.agent.as_str()));
    serde_json::to_string(&(tenant, agent)).unwrap_or_default()
}

/// The agent's `Mcp-Session-Id`, if it sent one (once).
fn session_header(headers: &HeaderMap) -> Result<Option<String>, String> {
    let mut values = headers.get_all(proto::SESSION_HEADER).iter();
    let Some(v) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err("Mcp-Session-Id appears more than once".into());
    }
    match v.to_str() {
        Ok(s) if !s.is_empty() => Ok(Some(s.to_string())),
        _ => Err("Mcp-Session-Id must be visible ASCII".into()),
    }
}

/// A session this principal did not open: 404, as MCP answers an ended session (the client
/// starts a new one), the same whether another principal holds it or nobody does; recorded.
fn unknown_session(ctx: &mut CallRecord, method: &Method, found: Lookup) -> Response<ResBody> {
    let why = match found {
        Lookup::Foreign => "the Mcp-Session-Id belongs to another principal",
        _ => "the Mcp-Session-Id is not a session this principal opened through toolwall",
    };
    ctx.extra = Some(json!({"method": method.as_str(), "event": "unknown_session"}));
    ctx.outcome = Some(Outcome::Refused(Reject::new(
        Reason::InvalidMcpMessage,
        why,
    )));
    let answer = proto::error_response(
        &Value::Null,
        proto::INVALID_REQUEST,
        "session not found",
        None,
    );
    json_response(StatusCode::NOT_FOUND, &answer, &ctx.decision_id)
}

/// The first id two requests of a batch share, if any.
fn duplicate_request_id(batch: &[Value]) -> Option<String> {
    let mut seen = std::collections::HashSet::new();
    batch
        .iter()
        .filter(|m| m.get("method").is_some())
        .filter_map(|m| m.get("id"))
        .map(id_key)
        .find(|k| !seen.insert(k.clone()))
        .map(|k| truncated(&k[2..], 64).to_string())
}

/// At most `max` bytes of `s`, cut on a character boundary.
fn truncated(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// What an MCP server's answer is, by its `Content-Type`.
#[derive(Debug, PartialEq, Eq)]
pub enum Kind {
    Json,
    EventStream,
    /// Anything else (including none, or more than one): not relayed.
    Other,
}

/// Only `application/json` and `text/event-stream` (parameters allowed) are what MCP
/// Streamable HTTP answers with; `+json` types, `application/json-rpc` and the like are not.
pub fn response_kind(headers: &HeaderMap) -> Kind {
    let mut all = headers.get_all(header::CONTENT_TYPE).iter();
    let (Some(ct), None) = (all.next(), all.next()) else {
        return Kind::Other;
    };
    let Ok(ct) = ct.to_str() else {
        return Kind::Other;
    };
    let essence = ct.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/json") {
        Kind::Json
    } else if essence.eq_ignore_ascii_case("text/event-stream") {
        Kind::EventStream
    } else {
        Kind::Other
    }
}

/// A JSON response toolwall made.
fn json_body(status: StatusCode, v: &Value) -> Response<ResBody> {
    let mut resp = Response::new(full(serialize(v)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// A server event as relayed: its `event` / `id` / `retry` fields as parsed and one `data:`
/// line of the message toolwall read, serialized (compact JSON holds no line break).
pub fn relayed_event(ev: &sse::Event, msg: &Value) -> Bytes {
    let text = serde_json::to_string(msg).unwrap_or_else(|_| "null".into());
    sse::rebuild_event(ev, &text)
}

/// An SSE `message` event toolwall writes: its id (if any) and one `data` line of compact
/// JSON (which holds no line break).
pub fn emit_event(id: Option<&str>, msg: Option<&Value>) -> Bytes {
    let mut out = BytesMut::new();
    if let Some(id) = id {
        out.extend_from_slice(b"id: ");
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(b"\n");
    }
    if let Some(m) = msg {
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(&serialize(m));
        out.extend_from_slice(b"\n");
    }
    out.extend_from_slice(b"\n");
    out.freeze()
}

/// What an SSE event from the server holds for the relay.
#[derive(Debug)]
pub enum EventRead {
    /// Nothing a client dispatches as a message: no data, an empty priming `data:`, another
    /// event type, or an unterminated tail a client discards (its `id` / `retry` may be kept).
    Nothing,
    /// Data a client would dispatch that toolwall cannot read (invalid UTF-8, not strict JSON).
    Unreadable(String),
    Message(Value),
}

/// Read one event as an MCP client would dispatch it (`message` events with data), strictly.
pub fn read_event(ev: &sse::Event, max_depth: usize) -> EventRead {
    let message_type = matches!(ev.event.as_deref(), None | Some("") | Some("message"));
    let text = match ev.data.as_deref() {
        // an empty `data:` is the priming event of a resumable stream (clients skip it)
        Some(t) if ev.dispatches() && message_type && !t.is_empty() => t,
        _ => return EventRead::Nothing,
    };
    if !ev.utf8 {
        return EventRead::Unreadable("an SSE event from the MCP server is not valid UTF-8".into());
    }
    match crate::json::parse_strict(text.as_bytes(), max_depth) {
        Ok(msg) => EventRead::Message(msg),
        Err(e) => EventRead::Unreadable(format!("an SSE event's data is not readable JSON: {e}")),
    }
}

/// What the relay does with one message from the server.
#[derive(Debug, PartialEq, Eq)]
pub enum ServerMessage {
    /// A response: relayed only as the answer to a pending request ([`answered_key`]).
    Answer,
    /// `sampling/createMessage`, `elicitation/create`, `roots/list`: decided by policy.
    GatedRequest,
    /// `ping`, or a `notifications/*` notification: relayed.
    Relay,
    /// A well-formed message of a kind MCP servers do not send: withheld and audited.
    Withheld(String),
    /// Not a JSON-RPC message: unreadable.
    Invalid(String),
}

pub fn classify_server_message(msg: &Value) -> ServerMessage {
    let shape = match proto::shape(msg) {
        Ok(s) => s,
        Err(e) => {
            return ServerMessage::Invalid(format!(
                "the MCP server sent a message that is not JSON-RPC: {}",
                e.message
            ))
        }
    };
    let method = truncated(proto::method(msg), 256);
    match shape {
        Shape::Response => ServerMessage::Answer,
        Shape::Request if proto::is_gated_server_request(method) => ServerMessage::GatedRequest,
        Shape::Request if proto::is_known_server_request(method) => ServerMessage::Relay,
        Shape::Request => ServerMessage::Withheld(format!(
            "the MCP server sent a request toolwall does not relay: `{method}`"
        )),
        Shape::Notification if proto::is_notification_method(method) => ServerMessage::Relay,
        Shape::Notification => ServerMessage::Withheld(format!(
            "the MCP server sent `{method}` without an id: only notifications/* may be"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cts: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for ct in cts {
            h.append(
                header::CONTENT_TYPE,
                HeaderValue::from_str(ct).expect("header"),
            );
        }
        h
    }

    #[test]
    fn content_type_gate_takes_json_and_event_streams_only() {
        for (ct, kind) in [
            ("application/json", Kind::Json),
            ("Application/JSON; charset=utf-8", Kind::Json),
            ("text/event-stream", Kind::EventStream),
            ("text/event-stream;charset=utf-8", Kind::EventStream),
            ("application/json-rpc", Kind::Other),
            ("application/vnd.api+json", Kind::Other),
            ("application/jsonx", Kind::Other),
            ("text/event-streamx", Kind::Other),
            ("text/plain", Kind::Other),
            ("", Kind::Other),
        ] {
            assert_eq!(response_kind(&headers(&[ct])), kind, "{ct}");
        }
        assert_eq!(response_kind(&headers(&[])), Kind::Other);
        // two Content-Type headers: which one a client reads is anyone's guess
        assert_eq!(
            response_kind(&headers(&["application/json", "text/html"])),
            Kind::Other
        );
    }

    #[test]
    fn answers_are_attributed_to_the_streams_own_requests() {
        let one = vec![id_key(&json!(7))];
        let batch = vec![id_key(&json!(1)), id_key(&json!("a"))];
        // one request on the POST: any answer is its answer
        for id in [json!(7), json!(99), json!("7"), Value::Null] {
            assert_eq!(answered_key(true, &one, &id_key(&id)), Some("n:7"), "{id}");
        }
        // a batch: its ids only, and a string id is not a number id
        assert_eq!(answered_key(true, &batch, "n:1"), Some("n:1"));
        assert_eq!(answered_key(true, &batch, "s:a"), Some("s:a"));
        assert_eq!(answered_key(true, &batch, "s:1"), None);
        assert_eq!(answered_key(true, &batch, "n:2"), None);
        // nothing of its own (a POST of notifications): nothing is answered
        assert_eq!(answered_key(true, &[], "n:1"), None);
        // a GET stream: by id, against the session's pending requests
        assert_eq!(answered_key(false, &[], "n:5"), Some("n:5"));
        assert_ne!(id_key(&json!(1)), id_key(&json!("1")));
    }

    #[test]
    fn pending_requests_are_registered_all_or_none() {
        let map = PendingMap::default();
        let keys = insert_all(
            &map,
            vec![(json!(1), Pending::Other), (json!("1"), Pending::ToolsList)],
        )
        .map_err(|_| "refused")
        .expect("registered");
        assert_eq!(keys, ["n:1", "s:1"]);
        // an id already pending refuses the whole lot, and nothing of it is kept
        let refused = insert_all(
            &map,
            vec![(json!(2), Pending::Other), (json!(1), Pending::Other)],
        );
        assert_eq!(refused.map(|_| ()).map_err(|e| e.len()), Err(2));
        assert_eq!(lock(&map).len(), 2);
        // two entries with one id
        let refused = insert_all(
            &map,
            vec![(json!(3), Pending::Other), (json!(3), Pending::Other)],
        );
        assert!(refused.is_err());
        assert_eq!(lock(&map).len(), 2);
        // bounded
        let many: Vec<_> = (10..10 + MAX_PENDING as i64)
            .map(|i| (json!(i), Pending::Other))
            .collect();
        assert!(insert_all(&map, many).is_err());
        assert_eq!(lock(&map).len(), 2);
    }

    #[test]
    fn duplicate_ids_in_a_batch_are_found() {
        let req = |id: Value| json!({"jsonrpc": "2.0", "id": id, "method": "ping"});
        assert_eq!(duplicate_request_id(&[req(json!(1)), req(json!(2))]), None);
        assert_eq!(
            duplicate_request_id(&[req(json!(1)), req(json!("1"))]),
            None
        );
        assert_eq!(
            duplicate_request_id(&[req(json!(1)), req(json!(2)), req(json!(1))]),
            Some("1".into())
        );
        assert_eq!(
            duplicate_request_id(&[req(json!("x")), req(json!("x"))]),
            Some("x".into())
        );
        // responses (answers to the server) share no id space with requests
        let resp = json!({"jsonrpc": "2.0", "id": 1, "result": {}});
        assert_eq!(duplicate_request_id(&[req(json!(1)), resp]), None);
    }

    #[test]
    fn sessions_belong_to_their_opener() {
        let s = Sessions::default();
        let a = owner_key(None);
        let b = "[\"t\",\"b\"]".to_string();
        assert!(matches!(s.lookup("crm", "s1", &a), Lookup::Unknown));
        assert!(s.open("crm", "s1", &a));
        assert!(matches!(s.lookup("crm", "s1", &a), Lookup::Found(_)));
        assert!(matches!(s.lookup("crm", "s1", &b), Lookup::Foreign));
        // the same id on another adapter is another session
        assert!(matches!(s.lookup("other", "s1", &a), Lookup::Unknown));
        // a server handing another principal a held id does not move it
        assert!(!s.open("crm", "s1", &b));
        assert!(matches!(s.lookup("crm", "s1", &a), Lookup::Found(_)));
        s.close("crm", "s1");
        assert!(matches!(s.lookup("crm", "s1", &a), Lookup::Unknown));
        // bounded: the least recently used is forgotten
        for i in 0..MAX_SESSIONS + 5 {
            assert!(s.open("crm", &format!("x{i}"), &a));
        }
        assert_eq!(lock(&s.map).len(), MAX_SESSIONS);
    }

    /// The fuzz target's property on a fixed corpus and random chunkings of it: what the
    /// agent parses of the relayed events is exactly the messages toolwall read, and nothing
    /// unreadable (bare-CR framing read as one event, NaN, 1e400, duplicate keys, invalid
    /// UTF-8, an unterminated tail) is relayed.
    #[test]
    fn relayed_events_are_exactly_what_was_read() {
        let ok = r#"{"jsonrpc":"2.0","id":1,"result":{}}"#;
        let corpus: Vec<Vec<u8>> = vec![
            format!("data: {ok}\r\rdata: {ok}\r\r").into_bytes(),
            format!("event: message\rid: e1\rdata: {ok}\r\n\r\n").into_bytes(),
            b"data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"n\":NaN}}\n\n".to_vec(),
            b"data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"n\":1e400}}\n\n".to_vec(),
            b"data: {\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"result\":{}}\n\n".to_vec(),
            b"data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"\xff\"}\n\n".to_vec(),
            format!("event: other\ndata: {ok}\n\nid: 7\ndata:\n\ndata: {ok}").into_bytes(),
            format!("data\ndata: {ok}\n\n: comment\n\n").into_bytes(),
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for stream in &corpus {
            for round in 0..16 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let cut = if round == 0 {
                    stream.len()
                } else {
                    (seed as usize) % (stream.len() + 1)
                };
                let mut parser = sse::Parser::new();
                let mut events = parser.push(&stream[..cut]);
                events.extend(parser.push(&stream[cut..]));
                let _tail = parser.finish();
                let mut out = Vec::new();
                let mut relayed = Vec::new();
                for ev in &events {
                    match read_event(ev, 32) {
                        EventRead::Message(m) => {
                            assert_eq!(classify_server_message(&m), ServerMessage::Answer);
                            out.extend_from_slice(&relayed_event(ev, &m));
                            relayed.push(serde_json::to_string(&m).unwrap_or_default());
                        }
                        EventRead::Nothing | EventRead::Unreadable(_) => {
                            out.extend_from_slice(&sse::withheld_event(ev))
                        }
                    }
                }
                let (back, tail) = sse::parse_all(&out);
                assert!(tail.is_none());
                let dispatched: Vec<String> = back
                    .into_iter()
                    .filter(|e| e.dispatches())
                    .filter_map(|e| e.data)
                    .collect();
                assert_eq!(dispatched, relayed, "{:?}", String::from_utf8_lossy(stream));
                for d in &dispatched {
                    assert!(!d.contains("NaN") && !d.contains("e400"), "{d}");
                }
            }
        }
        // bare CR frames two events, as a client reads them
        let (events, _) = sse::parse_all(&corpus[0]);
        let read = events
            .iter()
            .filter(|e| matches!(read_event(e, 32), EventRead::Message(_)))
            .count();
        assert_eq!(read, 2);
    }

    #[test]
    fn server_messages_are_classified_fail_closed() {
        let cases = [
            (json!({"jsonrpc": "2.0", "id": 1, "result": {}}), "answer"),
            (
                json!({"jsonrpc": "2.0", "id": null, "error": {"code": 1, "message": "x"}}),
                "answer",
            ),
            (
                json!({"jsonrpc": "2.0", "id": 1, "method": "sampling/createMessage"}),
                "gated",
            ),
            (
                json!({"jsonrpc": "2.0", "id": 1, "method": "elicitation/create"}),
                "gated",
            ),
            (
                json!({"jsonrpc": "2.0", "id": 1, "method": "roots/list"}),
                "gated",
            ),
            (
                json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
                "relay",
            ),
            (
                json!({"jsonrpc": "2.0", "method": "notifications/progress"}),
                "relay",
            ),
            (
                json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call"}),
                "withheld",
            ),
            (
                json!({"jsonrpc": "2.0", "method": "sampling/createMessage"}),
                "withheld",
            ),
            (json!({"jsonrpc": "2.0", "method": "ping"}), "withheld"),
            (json!({"jsonrpc": "1.0", "id": 1, "result": {}}), "invalid"),
            (
                json!({"jsonrpc": "2.0", "id": 1, "result": {}, "error": {}}),
                "invalid",
            ),
            (
                json!({"jsonrpc": "2.0", "id": 1.5, "result": {}}),
                "invalid",
            ),
            (json!([1]), "invalid"),
        ];
        for (m, want) in cases {
            let got = match classify_server_message(&m) {
                ServerMessage::Answer => "answer",
                ServerMessage::GatedRequest => "gated",
                ServerMessage::Relay => "relay",
                ServerMessage::Withheld(_) => "withheld",
                ServerMessage::Invalid(_) => "invalid",
            };
            assert_eq!(got, want, "{m}");
        }
    }

    #[test]
    fn truncation_keeps_characters_whole() {
        assert_eq!(truncated("abc", 5), "abc");
        assert_eq!(truncated("abcdef", 3), "abc");
        assert_eq!(truncated("aé", 2), "a");
        assert!(proto::is_notification_method("notifications/initialized"));
        assert!(!proto::is_notification_method("tools/call"));
        assert!(!proto::is_notification_method("notifications"));
    }
}
