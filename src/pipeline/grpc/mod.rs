//! The gRPC front end: a call to `/package.Service/Method` is a call of the method's tool,
//! its request message (in the proto3 canonical JSON mapping) the arguments. It decodes the
//! request (identity, metadata, the length-prefixed messages), hands each message to
//! [`super::decide_and_admit`], forwards what was decided over the adapter's HTTP/2 client and
//! relays the answer (`relay`); a refusal is a gRPC status (`wire`, one `match` in
//! [`Reason::grpc_code`](super::reject::Reason::grpc_code)).
//!
//! Unary and server-streaming calls carry one message, read whole. Client-streaming and bidi
//! calls are decided message by message (`stream`): each has its own decision, record and
//! `input.grpc.message_index`; the upstream stream opens once message 0 is admitted, and a
//! refused message resets it and ends the agent's call with the refusal's status.

mod relay;
mod stream;
pub mod wire;

use std::sync::Arc;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method, Request, Response, Version};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use serde_json::{json, Value};
use tokio::time::Instant;

use super::reject::{Reason, Reject};
use super::{headers, Admitted, Args, Call, Runtime, View};
use crate::body::{full, read_body, ResBody};
use crate::config::grpc::{GrpcAdapter, GrpcBody, GrpcMethod};
use crate::config::{Adapter, Snapshot, Tool};
use crate::protocol::grpc::{self as wire_fmt, Encoding, FrameError};
use crate::redact::ActionPlan;
use crate::stage::identify::{self, Principal};
use crate::stage::limits::SpendReservation;
use crate::stage::policy::RequestFacts;
use crate::stage::record::{CallRecord, Outcome};

/// Whether a request is a gRPC call: its content type is `application/grpc` or a subtype
/// (`+proto`; any other subtype is refused by the front end, never read as HTTP).
pub fn is_grpc(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .map(|v| v.as_bytes())
        .is_some_and(|ct| ct.len() >= 16 && ct[..16].eq_ignore_ascii_case(b"application/grpc"))
}

/// One gRPC call: routed, decided message by message, forwarded, its refusal mapped once.
pub(super) async fn run(
    rt: &Arc<Runtime>,
    snap: Arc<Snapshot>,
    mut rec: CallRecord,
    parts: Parts,
    body: Incoming,
    traceparent: HeaderValue,
) -> Response<ResBody> {
    rec.request = Some(json!({
        "method": parts.method.as_str(),
        "path": super::http::masked_path(&snap.redactor, parts.uri.path()),
    }));
    let target = match route(&snap, &parts) {
        Ok(t) => t,
        Err(rej) => return refuse(&mut rec, rej),
    };
    start_record(&mut rec, &snap, target, 0);
    let (adapter, _, method) = target.resolve(&snap);
    // Tracing on: the call's span (deferred by `handle`) starts now, in the agent's trace
    // (docs/telemetry.md); a call refused before this point gets it when it is recorded.
    let mut traceparent = traceparent;
    if let Some(span) = rec.span.as_deref_mut() {
        use crate::telemetry::attr;
        use opentelemetry::KeyValue;
        if let Some((tp, id)) = span.start() {
            span.attrs.extend([
                KeyValue::new(attr::RPC_SYSTEM, "grpc"),
                KeyValue::new(attr::RPC_SERVICE, method.service.clone()),
                KeyValue::new(attr::RPC_METHOD, method.method.clone()),
            ]);
            traceparent = tp;
            rec.trace_id = id;
        }
    }
    let head = match Head::decode(&snap, adapter, &parts, traceparent) {
        Ok(head) => head,
        Err(rej) => return refuse(&mut rec, rej),
    };
    rec.principal = Some(head.principal.clone());
    let answered = if method.desc.is_client_streaming() {
        stream::call(rt, &snap, &mut rec, head, body, target).await
    } else {
        unary(rt, &snap, &mut rec, &parts, head, body, target).await
    };
    match answered {
        Ok(Answer::Upstream(up)) => relay::relay(snap, rec, up),
        Ok(Answer::Done(resp)) => resp,
        Ok(Answer::Refused(refused)) => refused.into_response(),
        Err(rej) => refuse(&mut rec, rej),
    }
}

/// What a call ends in, short of a refusal of its own.
enum Answer {
    /// The upstream's answer, relayed (and redacted) by `relay`.
    Upstream(relay::Upstream),
    /// Answered without the upstream (a `dry_run` tool).
    Done(Response<ResBody>),
    /// A later message of the client stream was refused before the upstream answered: the
    /// call ends with that message's refusal (message 0 was forwarded).
    Refused(stream::Refused),
}

/// The adapter and tool of a gRPC call.
#[derive(Debug, Clone, Copy)]
struct Target {
    adapter: usize,
    tool: usize,
}

impl Target {
    fn resolve<'a>(&self, snap: &'a Snapshot) -> (&'a Adapter, &'a Tool, &'a GrpcMethod) {
        let adapter = &snap.adapters[self.adapter];
        let tool = &adapter.tools[self.tool];
        // `route` only returns tools of gRPC adapters, which all have a method
        let method = tool
            .grpc
            .as_ref()
            .unwrap_or_else(|| unreachable_method(tool));
        (adapter, tool, method)
    }

    fn grpc<'a>(&self, snap: &'a Snapshot) -> &'a GrpcAdapter {
        let adapter = &snap.adapters[self.adapter];
        adapter
            .grpc
            .as_ref()
            .unwrap_or_else(|| panic!("adapter {} routed as gRPC has no descriptors", adapter.name))
    }
}

#[cold]
fn unreachable_method(tool: &Tool) -> &'static GrpcMethod {
    panic!("tool {} routed as gRPC has no method", tool.name)
}

/// Which adapter guards the call's service, and which of its tools the method is. The
/// request must be a gRPC call toolwall reads: HTTP/2, `POST`, `application/grpc[+proto]`, a
/// `/package.Service/Method` path without a query.
fn route(snap: &Snapshot, parts: &Parts) -> Result<Target, Reject> {
    let bad = |why: String| Err(Reject::new(Reason::InvalidGrpcMessage, why));
    let ct = parts
        .headers
        .get(CONTENT_TYPE)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !(ct.eq_ignore_ascii_case(b"application/grpc")
        || ct.eq_ignore_ascii_case(b"application/grpc+proto"))
    {
        let shown: String = String::from_utf8_lossy(ct).chars().take(64).collect();
        return bad(format!(
            "content-type `{shown}` is not served: application/grpc or application/grpc+proto"
        ));
    }
    if parts.version != Version::HTTP_2 {
        return bad("a gRPC call needs HTTP/2".into());
    }
    if parts.method != Method::POST {
        return bad(format!("a gRPC call is a POST, not {}", parts.method));
    }
    for name in [CONTENT_TYPE.as_str(), "grpc-encoding", "grpc-timeout", "te"] {
        if parts.headers.get_all(name).iter().nth(1).is_some() {
            return bad(format!(
                "more than one `{name}`: a tool could read the call otherwise than toolwall"
            ));
        }
    }
    if parts.uri.query().is_some() {
        return bad("a gRPC path has no query string".into());
    }
    let path = parts.uri.path();
    let Some((service, method)) = path
        .strip_prefix('/')
        .and_then(|p| p.split_once('/'))
        .filter(|(s, m)| !s.is_empty() && !m.is_empty() && !m.contains('/'))
    else {
        let shown: String = path.chars().take(128).collect();
        return bad(format!("`{shown}` is not a /package.Service/Method path"));
    };
    let Some(adapter) = snap.adapter_by_grpc_service(service) else {
        return Err(Reject::new(
            Reason::UnknownUpstream,
            format!("no adapter guards gRPC service `{service}`"),
        ));
    };
    let a = &snap.adapters[adapter];
    let tool = a
        .grpc
        .as_ref()
        .and_then(|g| g.method(path))
        .ok_or_else(|| {
            Reject::new(
                Reason::UnknownTool,
                format!(
                    "method `{method}` of `{service}` is not a tool of adapter `{}`",
                    a.name
                ),
            )
        })?;
    Ok(Target { adapter, tool })
}

/// The record of message `index` of a routed call: adapter, tool, request, `grpc`.
fn start_record(rec: &mut CallRecord, snap: &Snapshot, target: Target, index: usize) {
    let (adapter, tool, method) = target.resolve(snap);
    rec.set_adapter(adapter);
    rec.classified(tool, Some(target.tool));
    rec.request = Some(json!({
        "method": "POST",
        "host": adapter.upstream.host,
        "path": tool.path,
    }));
    rec.grpc = Some(grpc_doc(method, index));
}

/// `input.grpc` (and the record's `grpc`) without metadata.
fn grpc_doc(m: &GrpcMethod, index: usize) -> Value {
    json!({
        "service": m.service,
        "method": m.method,
        "message_index": index,
        "client_streaming": m.desc.is_client_streaming(),
        "server_streaming": m.desc.is_server_streaming(),
    })
}

/// What every message of a call shares: who sent it, how, with which metadata, by when.
struct Head {
    principal: Principal,
    encoding: Encoding,
    /// The agent's metadata that may reach the tool (before redaction).
    metadata: HeaderMap,
    /// `input.grpc.metadata`.
    view: Value,
    /// Entities found in `metadata` (they join `input.pii.found`).
    pii_found: Vec<String>,
    /// The approval presented with the call (`toolwall-approval`): for message 0.
    approval: Option<String>,
    /// The client's `grpc-timeout`, bounded by the adapter's `timeout`, from the call's start.
    deadline: Instant,
    /// The W3C trace context sent upstream.
    traceparent: HeaderValue,
}

impl Head {
    /// Headers, identify, encoding, deadline, metadata: the call's head.
    fn decode(
        snap: &Snapshot,
        adapter: &Adapter,
        parts: &Parts,
        traceparent: HeaderValue,
    ) -> Result<Head, Reject> {
        crate::protocol::http::check_headers(&parts.headers)?;
        let principal = identify::identify(&snap.identity, parts)?;
        let header = |name: &str| parts.headers.get(name).map(|v| v.to_str());
        let encoding = match header("grpc-encoding") {
            None => Encoding::Identity,
            Some(Ok(v)) => Encoding::from_header(Some(v)).map_err(frame_refusal)?,
            Some(Err(_)) => return Err(frame_refusal(FrameError::UnknownEncoding("?".into()))),
        };
        let client = match header("grpc-timeout") {
            None => None,
            Some(v) => Some(v.ok().and_then(wire_fmt::parse_timeout).ok_or_else(|| {
                Reject::new(Reason::InvalidGrpcMessage, "grpc-timeout is malformed")
            })?),
        };
        let budget = client.map_or(adapter.timeout, |c| c.min(adapter.timeout));
        let mut metadata = headers::forwardable(adapter, &parts.headers);
        for name in [CONTENT_TYPE.as_str(), "te", "grpc-timeout"] {
            metadata.remove(name);
        }
        Ok(Head {
            view: headers::policy_view(&parts.headers, &metadata),
            pii_found: headers::scan(&snap.redactor, &metadata),
            approval: super::http::presented_approval(&parts.headers)?,
            principal,
            encoding,
            metadata,
            deadline: Instant::now() + budget,
            traceparent,
        })
    }

    /// Message `index` of the call, decoded to its arguments.
    fn call<'a>(
        &self,
        rt: &Runtime,
        snap: &'a Snapshot,
        target: Target,
        args: Value,
        index: usize,
    ) -> Call<'a> {
        let (adapter, tool, method) = target.resolve(snap);
        let mut grpc = grpc_doc(method, index);
        grpc["metadata"] = self.view.clone();
        Call {
            adapter,
            tool,
            schema_tool: tool,
            args,
            facts: RequestFacts {
                method: "POST",
                host: &adapter.upstream.host,
                path: &tool.path,
                now: rt.clock().now(),
            },
            view: View::Grpc {
                grpc,
                pii_found: self.pii_found.clone(),
            },
            approval: if index == 0 {
                self.approval.clone()
            } else {
                None
            },
        }
    }
}

/// A frame error as a refusal.
fn frame_refusal(e: FrameError) -> Reject {
    let reason = match e {
        FrameError::TooLarge { .. } => Reason::PayloadTooLarge,
        _ => Reason::InvalidGrpcMessage,
    };
    Reject::new(reason, e.to_string())
}

/// What is forwarded for one admitted message.
enum Msg {
    /// The message as the agent sent it (prefix and bytes, compressed or not).
    Original,
    /// Redaction changed the arguments: the message re-encoded from them, uncompressed.
    Reencoded(Bytes),
}

/// One message (`msg`: its 5-byte prefix and bytes) decided: decoded to its arguments, through
/// `decide_and_admit`, and what is forwarded for it.
async fn decide_message(
    rt: &Runtime,
    snap: &Snapshot,
    rec: &mut CallRecord,
    target: Target,
    head: &Head,
    msg: &Bytes,
    index: usize,
) -> Result<(Bytes, Option<ActionPlan>, Option<SpendReservation>), Reject> {
    let (_, _, method) = target.resolve(snap);
    let g = target.grpc(snap);
    let max = snap.max_body_bytes;
    let (frame, _) = wire_fmt::next_frame(msg, max).map_err(frame_refusal)?;
    let payload = wire_fmt::payload(frame, head.encoding, max).map_err(frame_refusal)?;
    let input = method.desc.input();
    let args = wire_fmt::to_json(&input, &payload, g.deny_unknown_fields)
        .map_err(|e| Reject::new(Reason::InvalidGrpcMessage, e))?;
    drop(payload);
    let call = head.call(rt, snap, target, args, index);
    let encode = |args: Args<'_>,
                  _plan: Option<&ActionPlan>,
                  redactions: &mut Vec<Value>,
                  _: Option<&mut Option<Bytes>>| {
        match args {
            // redaction changed the arguments: the tool gets them, never the original bytes
            Args::Decided(a) if !redactions.is_empty() => wire_fmt::from_json(&input, a)
                .map(|b| Msg::Reencoded(Bytes::from(wire_fmt::frame(&b))))
                .map_err(|e| Reject::new(Reason::Internal, e)),
            Args::Decided(_) | Args::AsSent(_) => Ok(Msg::Original),
        }
    };
    let Admitted {
        forward,
        plan,
        spend,
    } = super::decide_and_admit(rt, snap, rec, call, encode).await?;
    let out = match forward {
        Msg::Original => msg.clone(),
        Msg::Reencoded(b) => b,
    };
    Ok((out, plan, spend))
}

/// A unary or server-streaming call: its one message read whole, decided, forwarded.
async fn unary(
    rt: &Arc<Runtime>,
    snap: &Arc<Snapshot>,
    rec: &mut CallRecord,
    parts: &Parts,
    head: Head,
    body: Incoming,
    target: Target,
) -> Result<Answer, Reject> {
    let body = read_body(body, &parts.headers, snap.max_body_bytes).await?;
    let (_, after) = wire_fmt::next_frame(&body, snap.max_body_bytes).map_err(frame_refusal)?;
    if !after.is_empty() {
        return Err(frame_refusal(FrameError::Trailing(after.len())));
    }
    let (out, plan, spend) = decide_message(rt, snap, rec, target, &head, &body, 0).await?;
    if rec.dry_run {
        return Ok(Answer::Done(dry_run(rec, spend).await));
    }
    let body = http_body_util::Full::new(out)
        .map_err(crate::config::grpc::GrpcBodyError::from)
        .boxed();
    let req = outgoing(rt, snap, rec, target, &head, plan.as_ref(), body)?;
    let started = std::time::Instant::now();
    let resp = send(target.grpc(snap), req, head.deadline, spend).await;
    rec.upstream_latency_us = Some(started.elapsed().as_micros() as u64);
    if let (Err(rej), Some(span)) = (&resp, rec.span.as_mut()) {
        span.end_client(Vec::new(), Some(rej.reason.code()));
    }
    Ok(Answer::Upstream(relay::Upstream {
        resp: resp?,
        plan: relay::Plan::Fixed(plan),
        deadline: head.deadline,
        output: target.resolve(snap).2.desc.output(),
        refusal: None,
    }))
}

/// The request the tool gets: the method's path on the adapter's upstream, the agent's
/// metadata (redacted by the plan; the record lists what changed), the adapter's credential,
/// `te: trailers`, the deadline left.
fn outgoing(
    rt: &Runtime,
    snap: &Snapshot,
    rec: &mut CallRecord,
    target: Target,
    head: &Head,
    plan: Option<&ActionPlan>,
    body: GrpcBody,
) -> Result<Request<GrpcBody>, Reject> {
    let (adapter, _, method) = target.resolve(snap);
    let mut metadata = head.metadata.clone();
    if let Some(plan) = plan {
        let changed = headers::redact(&snap.redactor, &mut metadata, plan, &rt.metrics)?;
        rec.redactions.extend(
            changed
                .into_iter()
                .map(|c| json!({"header": c.header, "entity": c.entity})),
        );
        // the answer is redacted message by message: ask for it uncompressed
        metadata.insert("grpc-accept-encoding", HeaderValue::from_static("identity"));
    }
    metadata.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    metadata.insert(http::header::TE, HeaderValue::from_static("trailers"));
    let left = head.deadline.saturating_duration_since(Instant::now());
    metadata.insert("grpc-timeout", wire::timeout_value(left));
    // tracing on: the request is a CLIENT span, the tool's parent
    let traceparent = rec.span.as_mut().and_then(|s| {
        use crate::telemetry::attr;
        use opentelemetry::KeyValue;
        s.start_client_now(
            format!("{}/{}", method.service, method.method),
            vec![
                KeyValue::new(attr::RPC_SYSTEM, "grpc"),
                KeyValue::new(attr::RPC_SERVICE, method.service.clone()),
                KeyValue::new(attr::RPC_METHOD, method.method.clone()),
                KeyValue::new(attr::SERVER_ADDRESS, adapter.upstream.host.clone()),
            ],
        );
        s.client_traceparent()
    });
    metadata.insert(
        "traceparent",
        traceparent.unwrap_or_else(|| head.traceparent.clone()),
    );
    if let Some((name, value)) = &adapter.credential {
        metadata.insert(name.clone(), value.clone());
    }
    let scheme = if adapter.upstream.https {
        "https"
    } else {
        "http"
    };
    let uri = format!("{scheme}://{}{}", adapter.upstream.authority, method.path);
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .version(Version::HTTP_2)
        .body(body)
        .map_err(|e| Reject::new(Reason::Internal, format!("upstream request: {e}")))?;
    *req.headers_mut() = metadata;
    Ok(req)
}

/// Send the call upstream and wait for its answer's head, within the deadline. An answer that
/// is not gRPC (another status, another content type) is refused. Once the tool was reached
/// the call's spend estimate is committed; a call that never reached it holds none.
async fn send(
    g: &GrpcAdapter,
    req: Request<GrpcBody>,
    deadline: Instant,
    spend: Option<SpendReservation>,
) -> Result<Response<Incoming>, Reject> {
    let answered = match tokio::time::timeout_at(deadline, g.client.request(req)).await {
        Err(_) => Err(Reject::new(
            Reason::UpstreamTimeout,
            "the tool did not answer within the call's deadline",
        )),
        Ok(Err(e)) => {
            let mut rej = Reject::new(
                Reason::UpstreamUnavailable,
                format!("upstream: {}", crate::diag::error_chain(&e)),
            );
            rej.nothing_sent = e.is_connect();
            Err(rej)
        }
        Ok(Ok(resp)) if resp.status() == http::StatusCode::OK && is_grpc(resp.headers()) => {
            Ok(resp)
        }
        Ok(Ok(resp)) => Err(Reject::new(
            Reason::UpstreamUnavailable,
            format!(
                "the tool answered HTTP {}, not a gRPC response",
                resp.status()
            ),
        )),
    };
    if let Some(spend) = spend {
        match &answered {
            Ok(_) => spend.commit_estimate().await,
            Err(rej) => crate::stage::limits::settle_after_forward_error(spend, rej).await,
        }
    }
    answered
}

/// A `dry_run` tool's admitted call: never forwarded. The agent gets status 10 (ABORTED,
/// nothing was done) with the decision and the proposed arguments as JSON in
/// `toolwall-proposal-bin` trailing metadata.
async fn dry_run(rec: &mut CallRecord, spend: Option<SpendReservation>) -> Response<ResBody> {
    if let Some(spend) = spend {
        spend.release().await;
    }
    let args = rec
        .input
        .as_ref()
        .map(|i| i["args"].clone())
        .unwrap_or(Value::Null);
    let answer = rec.dry_run_answer(args);
    let mut h = HeaderMap::new();
    wire::insert_status(
        &mut h,
        super::reject::GrpcCode::Aborted,
        "dry run: the call was decided and not forwarded (toolwall-proposal-bin)",
    );
    use base64::Engine;
    let proposal = base64::engine::general_purpose::STANDARD_NO_PAD.encode(answer.to_string());
    if let Ok(v) = HeaderValue::from_str(&proposal) {
        h.insert("toolwall-proposal-bin", v);
    }
    super::set_decision_header(&mut h, &rec.decision_id);
    trailers_only(h)
}

/// A trailers-only response: HTTP 200, the status in the only header block.
fn trailers_only(status: HeaderMap) -> Response<ResBody> {
    let mut resp = Response::new(full(Bytes::new()));
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    h.extend(status);
    resp
}

/// The refusal as gRPC: a trailers-only response with its status (`wire::status_headers`).
pub(super) fn refuse(rec: &mut CallRecord, rej: Reject) -> Response<ResBody> {
    let status = wire::status_headers(&rej, &rec.decision_id);
    if let Some(Value::Object(g)) = rec.grpc.as_mut() {
        g.insert("grpc_status".into(), json!(rej.reason.grpc_code() as u16));
    }
    rec.outcome = Some(Outcome::Refused(rej));
    trailers_only(status)
}
