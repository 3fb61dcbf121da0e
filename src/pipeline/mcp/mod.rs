//! The MCP front end: one Streamable HTTP endpoint per `kind: mcp` adapter.
//!
//! A request is identified first (`run`); a POST carries one JSON-RPC message or a batch.
//! Each message is checked (shape, routing headers against the body) and decided: the
//! requests that act — `tools/call`, `resources/read`, `prompts/get` — are classified (the
//! tool by the name the server lists, its pin checked; toolwall reads the list itself when
//! it has not seen it), then go through the one pipeline (`pipeline::decide_and_admit`:
//! schema, PII scan, policy, redaction, admission with the write-ahead audit) before they are
//! forwarded; a refusal is answered the MCP way ([`Reject::to_mcp`]: an `isError` result for
//! a tool call, a JSON-RPC error otherwise). What the server sends back (a JSON body, or an SSE stream
//! relayed event by event) is read message by message: `tools/list` results are pinned and
//! filtered, `tools/call` results are checked against the tool's `outputSchema` and redacted,
//! and server-to-client requests (sampling, elicitation, roots) are decided by policy before
//! they reach the agent.
//!
//! The files, along the seams of one exchange:
//! - `front`: deciding one message the agent sent; `batch`: JSON-RPC batches;
//! - `pending`: the requests forwarded and not answered yet, and their refusals;
//! - `session`: `Mcp-Session-Id` ownership (the session store itself is `crate::mcp::sessions`);
//! - `relay`: forwarding and reading the server's answer (JSON body); `stream`: the exchange
//!   as the handler of the one SSE relay (`crate::protocol::sse::relay`);
//! - `finish`: a decided call's answer; `server_requests`: what the server sends unasked;
//! - `client`: toolwall's own `tools/list` (every page); `tools_list`: pins and visibility of a
//!   listing, and the operator's re-pin;
//! - `records`: audit events for what is not a call (withheld messages, changed or re-pinned
//!   definitions, the operator's re-pin);
//! - `refusal`: the encoding of [`Reject::to_mcp`]'s shapes; `mrtr`: the 2026-07-28
//!   `input_required` answer to a call that needs approval, and its `requestState`.

mod batch;
mod client;
mod finish;
mod front;
mod mrtr;
mod pending;
mod records;
mod refusal;
mod relay;
mod server_requests;
mod session;
mod stream;
mod tools_list;

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use http::request::Parts;
use http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode};
use hyper::body::Incoming;
use serde::Serialize;
use serde_json::{json, Value};

use super::reject::{McpSubject, Reason, Reject};
use super::Runtime;
use super::{full, read_body, ResBody, DECISION_HEADER};
use crate::config::{Adapter, Snapshot, Tool};
use crate::mcp::{Lookup, McpTool};
use crate::protocol::mcp as proto;
use crate::redact::ActionPlan;
use crate::stage::limits::SpendReservation;
use crate::stage::record::CallRecord;
use crate::stage::{identify, policy, redact};

pub use pending::{answered_key, id_key};
pub use relay::{response_kind, Kind};
pub use server_requests::{classify_server_message, ServerMessage};
pub use stream::{emit_event, read_event, relayed_event, EventRead};
pub use tools_list::{pending, repin};

use front::post;
use pending::PendingMap;
use refusal::refuse_http;
use session::{owner_key, session_header, unknown_session};

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
        Ok(Some(sid)) => match session::lookup(app, &adapter.name, &sid, &owner) {
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

impl CallState {
    /// What a refusal of this call answers: a `tools/call` (an `isError` result), or
    /// `resources/read` / `prompts/get` (a JSON-RPC error: their results have no `isError`).
    fn subject(&self) -> McpSubject {
        match self.tool {
            Some(_) => McpSubject::ToolCall,
            None => McpSubject::Request,
        }
    }
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
        let mut ctx = CallRecord::new(
            self.app.metrics.clone(),
            &self.snap,
            self.trace_id.clone(),
            self.app.audit_hook(&self.snap),
        );
        ctx.principal = self.principal.clone();
        ctx.set_adapter(self.adapter());
        ctx.request = Some(json!({
            "method": "POST",
            "host": self.adapter().upstream.host,
            "path": self.adapter().upstream.base_path,
        }));
        ctx
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
            mode: self.adapter().mode,
            dry_run: false,
            idempotency: None,
            grpc: None,
            input_part: None,
        }
    }
}

fn serialize<T: Serialize>(v: &T) -> Bytes {
    Bytes::from(serde_json::to_vec(v).unwrap_or_else(|_| b"null".to_vec()))
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

fn set_decision_header(headers: &mut HeaderMap, id: &str) {
    if let Ok(v) = HeaderValue::from_str(id) {
        headers.insert(DECISION_HEADER, v);
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
