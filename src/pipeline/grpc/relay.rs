//! The tool's gRPC answer as the agent gets it: its head, its messages (redacted one by one
//! when policy asked for redaction: decoded, string fields redacted, re-encoded) and its
//! trailers. What toolwall cannot relay as the tool sent it ends the call with a status of
//! toolwall's own, recorded: a message it must redact but cannot read (withheld, 13), the
//! upstream failing mid-stream (14), the deadline passing (4), a stream without a status (13),
//! and — for client streams — a later message refused (the refusal's status).
//!
//! The call's record lives as long as the answer: it is written when the stream ends, with
//! the tool's `grpc-status`.

use std::sync::{Arc, Mutex};

use bytes::{Buf, Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, Response};
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Incoming;
use prost_reflect::MessageDescriptor;
use serde_json::{json, Value};
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::stream::Refused;
use super::wire;
use crate::body::ResBody;
use crate::config::Snapshot;
use crate::pipeline::reject::{Reason, Reject};
use crate::protocol::grpc::{self as wire_fmt, Encoding, FrameError};
use crate::redact::ActionPlan;
use crate::stage::forward::answer_headers;
use crate::stage::record::{CallRecord, Outcome};

/// The upstream's answer to a forwarded call, and what relaying it needs.
pub(super) struct Upstream {
    pub resp: Response<Incoming>,
    /// What policy asked to redact: every response message is redacted by it.
    pub plan: Plan,
    pub deadline: Instant,
    /// The method's output message type.
    pub output: MessageDescriptor,
    /// A client stream's later refusal, which ends the call.
    pub refusal: Option<oneshot::Receiver<Refused>>,
}

/// The agent's response: the tool's head (hop-by-hop headers left out, the decision id
/// added), then its messages and trailers through [`Relay`].
pub(super) fn relay(snap: Arc<Snapshot>, mut rec: CallRecord, up: Upstream) -> Response<ResBody> {
    let Upstream {
        resp,
        plan,
        deadline,
        output,
        refusal,
    } = up;
    let (mut parts, body) = resp.into_parts();
    parts.headers = answer_headers(&parts.headers);
    parts.headers.remove(http::header::CONTENT_LENGTH);
    crate::pipeline::set_decision_header(&mut parts.headers, &rec.decision_id);
    let encoding = parts
        .headers
        .get("grpc-encoding")
        .and_then(|v| v.to_str().ok())
        .map(|v| Encoding::from_header(Some(v)));
    // the tool answered trailers-only: its status is in the head
    rec.outcome = Some(Outcome::Forwarded { status: 200 });
    if parts.headers.contains_key("grpc-status") {
        // the tool answered trailers-only: its status is in the head, and nothing follows
        note_status(&mut rec, &parts.headers);
        return Response::from_parts(parts, crate::body::full(Bytes::new()));
    }
    if matches!(plan, Plan::Fixed(Some(_))) {
        // messages are re-encoded uncompressed
        parts.headers.remove("grpc-encoding");
    }
    let state = Relay {
        body,
        buf: BytesMut::new(),
        plan,
        output,
        encoding,
        snap,
        rec,
        deadline,
        refusal,
        done: false,
    };
    let stream = futures_util::stream::unfold(state, |mut st| async move {
        let frame = st.next().await?;
        Some((Ok::<_, hyper::Error>(frame), st))
    });
    Response::from_parts(parts, StreamBody::new(stream).boxed())
}

/// What a call's answer is redacted by.
#[derive(Clone)]
pub(super) enum Plan {
    /// The call's one decision's plan (unary and server-streaming calls).
    Fixed(Option<ActionPlan>),
    /// A client stream's: every plan its messages' decisions asked for so far (an answer is
    /// redacted by what was decided before it was read).
    Stream(Arc<Mutex<Option<ActionPlan>>>),
}

impl Plan {
    /// The plan in force now.
    pub(super) fn current(&self) -> Option<ActionPlan> {
        match self {
            Plan::Fixed(p) => p.clone(),
            Plan::Stream(m) => m.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        }
    }

    /// A later message's decision asked for redaction: it applies from now on, with what
    /// earlier ones asked for.
    pub(super) fn add(&self, plan: &ActionPlan) {
        if let Plan::Stream(m) = self {
            let mut held = m.lock().unwrap_or_else(|e| e.into_inner());
            match held.as_mut() {
                Some(p) => p.merge(plan),
                None => *held = Some(plan.clone()),
            }
        }
    }
}

/// The relay's state: one per forwarded call, owning the call's record.
struct Relay {
    body: Incoming,
    /// Response bytes not yet a whole message (redaction only).
    buf: BytesMut,
    plan: Plan,
    /// The method's output message type.
    output: MessageDescriptor,
    /// The answer's `grpc-encoding` (absent: identity).
    encoding: Option<Result<Encoding, FrameError>>,
    snap: Arc<Snapshot>,
    rec: CallRecord,
    deadline: Instant,
    refusal: Option<oneshot::Receiver<Refused>>,
    done: bool,
}

/// What the relay waits for next.
enum Event {
    Refused(Option<Refused>),
    Frame(Option<Result<Frame<Bytes>, hyper::Error>>),
    Deadline,
}

impl Relay {
    /// The next frame for the agent, `None` at the end.
    async fn next(&mut self) -> Option<Frame<Bytes>> {
        if self.done {
            return None;
        }
        loop {
            let event = tokio::select! {
                biased;
                r = recv(&mut self.refusal) => Event::Refused(r),
                f = tokio::time::timeout_at(self.deadline, self.body.frame()) => match f {
                    Ok(f) => Event::Frame(f),
                    Err(_) => Event::Deadline,
                },
            };
            match event {
                // the client stream ended without a refusal
                Event::Refused(None) => self.refusal = None,
                Event::Refused(Some(refused)) => {
                    // message 0 was forwarded: its record keeps `Forwarded`; the refused
                    // message's record has the refusal
                    self.done = true;
                    let h = wire::status_headers(&refused.rej, &refused.decision_id);
                    self.note(refused.rej.reason.grpc_code() as u16);
                    return Some(Frame::trailers(h));
                }
                Event::Deadline => {
                    return Some(self.end(Reject::new(
                        Reason::UpstreamTimeout,
                        "the call's deadline passed while the tool was answering",
                    )))
                }
                Event::Frame(None) => {
                    return Some(self.end(Reject::new(
                        Reason::UpstreamUnavailable,
                        "the tool's answer ended without a gRPC status",
                    )))
                }
                Event::Frame(Some(Err(e))) => {
                    return Some(self.end(Reject::new(
                        Reason::UpstreamUnavailable,
                        format!("the tool's answer failed: {e}"),
                    )))
                }
                Event::Frame(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => match self.data(data) {
                        Ok(Some(out)) => return Some(Frame::data(out)),
                        Ok(None) => continue,
                        Err(rej) => return Some(self.end(rej)),
                    },
                    Err(frame) => {
                        let Ok(trailers) = frame.into_trailers() else {
                            continue;
                        };
                        if !self.buf.is_empty() {
                            return Some(self.end(Reject::new(
                                Reason::ResponseNotInspectable,
                                "the tool's answer ended inside a message",
                            )));
                        }
                        self.done = true;
                        note_status(&mut self.rec, &trailers);
                        return Some(Frame::trailers(answer_headers(&trailers)));
                    }
                },
            }
        }
    }

    /// Response bytes: relayed as they come, or — when a plan may apply — message by message,
    /// each redacted by the plan in force when it is read.
    fn data(&mut self, data: Bytes) -> Result<Option<Bytes>, Reject> {
        if let Plan::Fixed(None) = self.plan {
            return Ok(Some(data));
        }
        self.buf.extend_from_slice(&data);
        let max = self.snap.max_body_bytes;
        let mut out = BytesMut::new();
        loop {
            let (frame, rest) = match wire_fmt::next_frame(&self.buf, max) {
                Ok(f) => f,
                Err(FrameError::Empty | FrameError::Truncated) => break,
                Err(e) => return Err(withheld(e.to_string())),
            };
            let used = self.buf.len() - rest.len();
            let Some(plan) = self.plan.current() else {
                out.extend_from_slice(&self.buf[..used]);
                self.buf.advance(used);
                continue;
            };
            let redacted = redact_message(
                &self.snap,
                &plan,
                &self.output,
                self.encoding.as_ref(),
                frame,
                max,
            )?;
            out.extend_from_slice(&redacted);
            self.buf.advance(used);
        }
        Ok((!out.is_empty()).then(|| out.freeze()))
    }

    /// End the call with toolwall's own status, recorded as the call's outcome.
    fn end(&mut self, rej: Reject) -> Frame<Bytes> {
        self.done = true;
        let h = wire::status_headers(&rej, &self.rec.decision_id);
        self.note(rej.reason.grpc_code() as u16);
        tracing::warn!(
            target: "toolwall::grpc",
            decision_id = %self.rec.decision_id,
            reason = rej.reason.code(),
            "{}",
            rej.message
        );
        self.rec.outcome = Some(Outcome::Refused(rej));
        Frame::trailers(h)
    }

    fn note(&mut self, status: u16) {
        if let Some(Value::Object(g)) = self.rec.grpc.as_mut() {
            g.insert("grpc_status".into(), json!(status));
        }
    }
}

/// The refusal of a later client-stream message, once; `None` when the stream ended without.
pub(super) async fn recv(rx: &mut Option<oneshot::Receiver<Refused>>) -> Option<Refused> {
    match rx {
        Some(rx) => rx.await.ok(),
        None => std::future::pending().await,
    }
}

/// The tool's `grpc-status` into the record.
fn note_status(rec: &mut CallRecord, h: &HeaderMap) {
    let status = h
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u16>().ok());
    if let (Some(Value::Object(g)), Some(s)) = (rec.grpc.as_mut(), status) {
        g.insert("grpc_status".into(), json!(s));
    }
    // the tool's status ends the request's CLIENT span; not OK is its error
    if let (Some(span), Some(s)) = (rec.span.as_mut(), status) {
        let code = opentelemetry::KeyValue::new(
            crate::telemetry::attr::RPC_GRPC_STATUS_CODE,
            i64::from(s),
        );
        span.end_client(vec![code], (s != 0).then(|| s.to_string()).as_deref());
    }
}

fn withheld(why: String) -> Reject {
    Reject::new(
        Reason::ResponseNotInspectable,
        format!("a message of the tool's answer had to be redacted and could not be read: {why}"),
    )
}

/// One response message redacted by the plan: inflated when compressed, decoded, its strings
/// redacted, re-encoded uncompressed (as it was when nothing changed).
fn redact_message(
    snap: &Snapshot,
    plan: &ActionPlan,
    output: &MessageDescriptor,
    encoding: Option<&Result<Encoding, FrameError>>,
    frame: wire_fmt::Frame<'_>,
    max: usize,
) -> Result<Bytes, Reject> {
    let enc = match encoding {
        None => Encoding::Identity,
        Some(Ok(e)) => *e,
        Some(Err(e)) => return Err(withheld(e.to_string())),
    };
    let raw = wire_fmt::payload(frame, enc, max).map_err(|e| withheld(e.to_string()))?;
    // unknown fields would pass unredacted: refused whatever `unknown_fields` says
    let json = wire_fmt::to_json(output, &raw, true).map_err(withheld)?;
    let redacted = snap.redactor.redact_json(&json, plan);
    if redacted.deny {
        return Err(Reject::new(
            Reason::PiiDenied,
            "the tool's answer holds data whose redaction action is deny",
        ));
    }
    match redacted.value {
        None => Ok(Bytes::from(wire_fmt::frame(&raw))),
        Some(v) => wire_fmt::from_json(output, &v)
            .map(|b| Bytes::from(wire_fmt::frame(&b)))
            .map_err(withheld),
    }
}

impl Refused {
    /// A trailers-only response with the refusal's status.
    pub(super) fn into_response(self) -> Response<ResBody> {
        let mut resp = Response::new(crate::body::full(Bytes::new()));
        resp.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/grpc"),
        );
        resp.headers_mut()
            .extend(wire::status_headers(&self.rej, &self.decision_id));
        resp
    }
}
