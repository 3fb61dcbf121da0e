//! Forwarding to the server and relaying its answer: a JSON body read whole and rewritten
//! (an SSE body goes to `stream`); what no pending request is waiting for is withheld.

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode};
use hyper::body::Incoming;
use opentelemetry::KeyValue;
use serde_json::Value;

use super::server_requests::{classify_server_message, ServerMessage};
use super::{lock, refusal, serialize, truncated, Exchange, Pending};
use crate::pipeline::reject::{Reason, Reject};
use crate::pipeline::{full, ResBody};
use crate::protocol::mcp as proto;
use crate::stage::forward::{answer_headers, forward, Outgoing};
use crate::stage::record::Outcome;
use crate::stage::redact;
use crate::telemetry::attr;

impl Exchange {
    /// Forward to the server and relay its answer: JSON read whole and rewritten, SSE
    /// rewritten event by event as it streams. Nothing else is relayed: another content type
    /// answering a request is refused, and any other body is withheld.
    pub(super) async fn relay(self, method: Method, body: Bytes) -> Response<ResBody> {
        let traceparent = self
            .start_client_spans()
            .unwrap_or_else(|| self.traceparent.clone());
        let out = Outgoing {
            method: method.clone(),
            path_and_query: String::new(),
            body,
            content_type: (method == Method::POST).then_some("application/json"),
            traceparent,
            identity_encoding: true,
        };
        let started = std::time::Instant::now();
        let resp = match forward(self.adapter(), &self.headers, out).await {
            Ok(r) => r,
            Err(rej) => return self.upstream_failed(rej).await,
        };
        let upstream_us = started.elapsed().as_micros() as u64;
        let (mut rparts, rbody) = resp.into_parts();
        rparts.headers = answer_headers(&rparts.headers);
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

    /// Tracing on: the CLIENT span of each call this POST forwards, with the id its
    /// `params._meta.traceparent` already names; the first one's is the `traceparent` header.
    fn start_client_spans(&self) -> Option<HeaderValue> {
        if !crate::telemetry::enabled() {
            return None;
        }
        let mut first = None;
        let mut map = lock(&self.pending);
        for k in &self.own {
            let Some((_, Pending::Call(c))) = map.get_mut(k) else {
                continue;
            };
            let tool = c.tool.as_ref().map(|t| t.tool.name.clone());
            let Some(span) = c.ctx.span.as_mut() else {
                continue;
            };
            let (name, mut attrs) = match tool {
                Some(t) => (
                    format!("tools/call {t}"),
                    vec![
                        KeyValue::new(attr::MCP_METHOD_NAME, "tools/call"),
                        KeyValue::new(attr::GEN_AI_TOOL_NAME, t),
                    ],
                ),
                // `resources/read`, `prompts/get {name}`: the call's own name and target
                None => (
                    span.name
                        .clone()
                        .unwrap_or_else(|| "tools/call".to_string()),
                    span.attrs
                        .iter()
                        .filter(|kv| {
                            matches!(
                                kv.key.as_str(),
                                attr::MCP_METHOD_NAME
                                    | attr::MCP_RESOURCE_URI
                                    | attr::GEN_AI_PROMPT_NAME
                            )
                        })
                        .cloned()
                        .collect(),
                ),
            };
            attrs.push(KeyValue::new(
                attr::SERVER_ADDRESS,
                self.adapter().upstream.host.clone(),
            ));
            if let Some(id) = &span.call_id {
                attrs.push(KeyValue::new(attr::JSONRPC_REQUEST_ID, id.clone()));
            }
            span.start_client(name, attrs);
            if first.is_none() {
                first = span.client_traceparent();
            }
        }
        first
    }

    /// A JSON answer: parsed strictly, every message read; a request it leaves unanswered
    /// (or answers with something unreadable) gets a refusal.
    pub(super) async fn relay_json(
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
    pub(super) async fn upstream_failed(self, rej: Reject) -> Response<ResBody> {
        let mut answers = Vec::new();
        for (_, p) in self.take_own() {
            if let Pending::Call(mut c) = p {
                if let Some(s) = c.spend.take() {
                    crate::stage::limits::settle_after_forward_error(s, &rej).await;
                }
                c.ctx.outcome = Some(Outcome::Refused(rej.clone()));
                if let Some(span) = c.ctx.span.as_mut() {
                    span.end_client(Vec::new(), Some(rej.reason.code()));
                }
                answers.push(c.ctx.decision_id.clone());
            }
        }
        let decision_id = answers.pop().unwrap_or_default();
        refusal::http(rej, &decision_id)
    }

    /// One message from the server: `None` withholds it from the agent. Answers go only to a
    /// request pending on this stream; requests and notifications only of the kinds MCP has.
    pub(super) async fn on_server_message(&mut self, msg: Value) -> Option<Value> {
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
    pub(super) fn redact_for_own_calls(&self, msg: &mut Value) -> Result<(), Reject> {
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
}

/// The MCP server's whole answer (JSON bodies, toolwall's own `tools/list` pages), at most
/// `MAX_RESPONSE_BYTES`.
pub(super) async fn read_all(body: Incoming) -> Result<Bytes, Reject> {
    crate::stage::redact::read_whole(body, "from the MCP server (too large or broken)").await
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

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

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
}
