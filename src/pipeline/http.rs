//! The HTTP front end: one request is one call. It decodes the request (headers, identity,
//! tool, arguments), encodes the decided arguments back into the request the tool gets, relays
//! the answer through the finish stage and encodes a refusal as an HTTP JSON error (the one
//! mapping in `reject`).

use std::sync::Arc;

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use serde_json::Value;

use super::reject::{Reason, Reject};
use super::{headers, Admitted, Args, Call, Runtime, View};
use crate::body::{full, read_body, ResBody};
use crate::config::raw::{ArgsFrom, Mode};
use crate::config::{Adapter, Snapshot, Tool};
use crate::protocol::http::Route;
use crate::redact::ActionPlan;
use crate::stage::forward::{forward, into_answer_headers, Outgoing};
use crate::stage::idempotency::{self, Claim, Pending, Started};
use crate::stage::limits::{self, SpendReservation};
use crate::stage::record::{CallRecord, Outcome};
use crate::stage::{args, classify, identify, policy, redact, response};
use crate::state::StoredResponse;

/// Handle one request to an HTTP adapter: the call, and its refusal mapped once.
pub(super) async fn run(
    rt: &Arc<Runtime>,
    snap: &Snapshot,
    mut rec: CallRecord,
    parts: &Parts,
    body: Incoming,
    route: &Route<'_>,
    traceparent: HeaderValue,
) -> Response<ResBody> {
    let adapter = &snap.adapters[route.adapter];
    // The audit stream never gets the raw path: the tool's template once classified, until
    // then the path with every entity masked. Audit off, nothing reads the record's `request`
    // before the call is classified (the approval's summary comes after): it is built then,
    // with the template (`decode`), and the masked path is not made.
    if rec.audit.is_some() {
        rec.request = Some(serde_json::json!({
            "method": parts.method.as_str(),
            "host": adapter.upstream.host,
            "path": masked_path(&snap.redactor, route.path),
        }));
    }
    match call(rt, snap, &mut rec, parts, body, route, traceparent).await {
        Ok(resp) => resp,
        Err(rej) => refuse(&mut rec, rej),
    }
}

/// decode → `decide_and_admit` → forward → finish; every refusal is a `?`.
async fn call(
    rt: &Runtime,
    snap: &Snapshot,
    rec: &mut CallRecord,
    parts: &Parts,
    body: Incoming,
    route: &Route<'_>,
    traceparent: HeaderValue,
) -> Result<Response<ResBody>, Reject> {
    let adapter = &snap.adapters[route.adapter];
    let body = read_body(body, &parts.headers, snap.max_body_bytes).await?;
    let sent = Sent {
        snap,
        metrics: &rt.metrics,
        adapter,
        parts,
        route,
        body: &body,
    };
    // a `dry_run` tool's call: the arguments it would forward, for the proposal
    let mut proposal = None;
    let (admitted, claim) = match decode(rt, snap, rec, parts, route, &body) {
        Ok(Decoded { call, wire, claim }) => {
            let tool = call.tool;
            let encode = |args: Args<'_>,
                          plan: Option<&ActionPlan>,
                          redactions: &mut Vec<Value>,
                          shared: Option<&mut Option<Bytes>>| {
                if tool.dry_run {
                    let (Args::Decided(a) | Args::AsSent(a)) = &args;
                    proposal = Some((*a).clone());
                }
                sent.encode(tool, wire, args, plan, redactions, shared)
            };
            let admitted = super::decide_and_admit(rt, snap, rec, call, encode).await?;
            (admitted, claim)
        }
        // Shadow: record what enforce would have done, forward the call as the agent sent it.
        Err(rej) if shadow_as_sent(snap, adapter, rec, &rej) => {
            rec.shadow = Some(rej);
            let tool = rec.tool_index.and_then(|i| adapter.tools.get(i));
            let spend = super::admit(rt, snap, rec, tool, Default::default()).await?;
            let admitted = Admitted {
                forward: sent.as_sent(),
                plan: None,
                spend,
            };
            (admitted, None)
        }
        Err(rej) => return Err(rej),
    };
    if rec.dry_run {
        return Ok(dry_run(rec, admitted.spend, proposal).await);
    }
    let tool = rec.tool_index.and_then(|i| adapter.tools.get(i));
    let Admitted {
        forward: (mut outgoing, fwd_headers),
        plan,
        spend,
    } = admitted;
    // Idempotent writes: the key's first answer, or this call holds the key while forwarding.
    let pending = match claim {
        None => None,
        Some(claim) => match idempotency::begin(rt.state(), &claim, &rec.decision_id).await {
            Ok(Started::Fresh(p)) => Some(p),
            Ok(Started::Replay(stored)) => {
                if let Some(spend) = spend {
                    spend.release().await;
                }
                return Ok(replay(rec, stored));
            }
            Err(rej) => {
                if let Some(spend) = spend {
                    spend.release().await;
                }
                return Err(rej);
            }
        },
    };
    let response_schema = tool.and_then(|t| t.response_schema.as_ref());
    // Tracing on: the upstream call is a CLIENT span, the tool's parent.
    let mut client_span = rec.span.as_ref().and_then(|s| {
        s.child(
            parts.method.as_str().to_string(),
            opentelemetry::trace::SpanKind::Client,
        )
    });
    outgoing.traceparent = client_span
        .as_ref()
        .and_then(|s| s.traceparent())
        .unwrap_or(traceparent);
    outgoing.identity_encoding = plan.is_some() || response_schema.is_some();
    // The agent's own credentials never reach the tool (`headers::forwardable`).
    let started = std::time::Instant::now();
    let forwarded = forward(adapter, &fwd_headers, outgoing).await;
    rec.upstream_latency_us = Some(started.elapsed().as_micros() as u64);
    if let Some(mut s) = client_span.take() {
        use crate::telemetry::attr;
        use opentelemetry::KeyValue;
        s.set(KeyValue::new(
            attr::SERVER_ADDRESS,
            adapter.upstream.host.clone(),
        ));
        s.set(KeyValue::new(
            attr::HTTP_REQUEST_METHOD,
            parts.method.as_str().to_string(),
        ));
        match &forwarded {
            Ok(resp) => {
                let status = resp.status().as_u16();
                s.set(KeyValue::new(
                    attr::HTTP_RESPONSE_STATUS_CODE,
                    i64::from(status),
                ));
                s.end((status >= 500).then(|| status.to_string()).as_deref());
            }
            Err(rej) => s.end(Some(rej.reason.code())),
        }
    }
    let resp = match forwarded {
        Ok(resp) => resp,
        Err(rej) => {
            if let Some(spend) = spend {
                limits::settle_after_forward_error(spend, &rej).await;
            }
            keep_refusal(pending, rec, &rej).await;
            return Err(rej);
        }
    };
    let (mut parts, body) = match finish(rt, snap, rec, resp, tool, plan, spend).await {
        Ok(answer) => answer,
        Err(rej) => {
            keep_refusal(pending, rec, &rej).await;
            return Err(rej);
        }
    };
    let body = match pending {
        Some(p) => {
            let content_type = parts
                .headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            p.capture(parts.status.as_u16(), content_type, body)
        }
        None => body,
    };
    parts.headers = into_answer_headers(std::mem::take(&mut parts.headers));
    super::set_decision_header(&mut parts.headers, &rec.decision_id);
    rec.outcome = Some(Outcome::Forwarded {
        status: parts.status.as_u16(),
    });
    Ok(Response::from_parts(parts, body))
}

/// Whether a request the decoder refused is forwarded as sent: the call is in shadow mode and
/// the refusal can be shadowed. A request that may act as a tool other than its own — it
/// matches no tool, or names another method or path (`ambiguous_request`) — is only when
/// every tool of the adapter is in shadow mode: a shadowed tool is never a way around an
/// enforced one on the same upstream.
fn shadow_as_sent(snap: &Snapshot, adapter: &Adapter, rec: &CallRecord, rej: &Reject) -> bool {
    let shadow = |mode: Option<Mode>| mode.unwrap_or(snap.mode) == Mode::Shadow;
    let any_tool = matches!(rej.reason, Reason::UnknownTool | Reason::AmbiguousRequest);
    rec.mode == Mode::Shadow
        && rej.reason.shadowable()
        && (!any_tool || (shadow(adapter.mode) && adapter.tools.iter().all(|t| shadow(t.mode))))
}

/// A request decoded into one call, and what its wire form needs to be rebuilt.
pub(super) struct Decoded<'a> {
    pub(super) call: Call<'a>,
    wire: Wire,
    /// The idempotency key of a tool with `idempotency:`.
    claim: Option<Claim>,
}

/// The key's stored answer, sent back without forwarding: status, `Content-Type` and body as
/// the first caller got them, marked `toolwall-idempotent-replay: true`.
fn replay(rec: &mut CallRecord, stored: StoredResponse) -> Response<ResBody> {
    if let Some(Value::Object(idem)) = rec.idempotency.as_mut() {
        idem.insert("replay".into(), Value::Bool(true));
        idem.insert(
            "replay_of".into(),
            Value::String(stored.decision_id.clone()),
        );
    }
    let status = http::StatusCode::from_u16(stored.status)
        .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = Response::new(full(stored.body));
    *resp.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(&stored.content_type) {
        if !stored.content_type.is_empty() {
            resp.headers_mut().insert(http::header::CONTENT_TYPE, v);
        }
    }
    resp.headers_mut()
        .insert(idempotency::REPLAY_HEADER, HeaderValue::from_static("true"));
    super::set_decision_header(resp.headers_mut(), &rec.decision_id);
    rec.outcome = Some(Outcome::Forwarded {
        status: status.as_u16(),
    });
    resp
}

/// A call holding an idempotency key failed: when nothing reached the tool the key is free
/// again; otherwise the tool may have acted, and the refusal the agent gets is the key's
/// answer (a retry gets it too, never a second forwarded call).
async fn keep_refusal(pending: Option<Pending>, rec: &CallRecord, rej: &Reject) {
    let Some(p) = pending else {
        return;
    };
    if rej.nothing_sent {
        return p.abort().await;
    }
    let resp = rej.to_response(&rec.decision_id);
    p.complete(StoredResponse {
        status: resp.status().as_u16(),
        content_type: "application/json".into(),
        body: resp.into_body(),
        complete: true,
        decision_id: rec.decision_id.clone(),
    })
    .await;
}

/// The agent's forwardable headers and the argument sources as parsed.
struct Wire {
    headers: HeaderMap,
    args: args::Wire,
}

/// Headers, identify, classify, args: the request as one call.
pub(super) fn decode<'a>(
    rt: &Runtime,
    snap: &'a Snapshot,
    rec: &mut CallRecord,
    parts: &'a Parts,
    route: &Route<'a>,
    body: &Bytes,
) -> Result<Decoded<'a>, Reject> {
    let adapter = &snap.adapters[route.adapter];
    crate::protocol::http::check_headers(&parts.headers)?;
    rec.principal = Some(identify::identify(&snap.identity, parts)?);

    let (tool_idx, params) = classify::classify_request(adapter, &parts.method, route.path)?;
    let tool = &adapter.tools[tool_idx];
    rec.classified(tool, Some(tool_idx));
    match rec.request.as_mut() {
        Some(req) => req["path"] = Value::String(tool.path.clone()),
        // audit off (`run`)
        None => {
            rec.request = Some(crate::stage::record::request_doc(
                parts.method.as_str(),
                &adapter.upstream.host,
                &tool.path,
            ));
        }
    }

    // a JSON body small enough is parsed into the tree of an earlier call's arguments on this
    // worker, and this call's tree kept at its end (`args::take_spare`)
    let spare = match tool.args_from {
        ArgsFrom::Json if !body.is_empty() => args::take_spare(&snap.version, body.len()),
        _ => None,
    };
    rec.args_spare =
        tool.args_from == ArgsFrom::Json && !body.is_empty() && body.len() <= args::SPARE_BODY_MAX;
    let args::ParsedArgs { args, wire } = args::parse_args_into(
        tool,
        &parts.headers,
        body,
        route.query,
        params,
        snap.max_json_depth,
        spare,
    )?;
    let claim = match rec.principal.as_ref() {
        Some(p) => idempotency::select(tool, adapter.timeout, &parts.headers, p, &args)?,
        None => None,
    };
    rec.idempotency = claim.as_ref().map(Claim::audit);
    let fwd_headers = headers::forwardable(adapter, &parts.headers);
    // `toolwall-*` headers never reach the tool (`headers::forwardable`)
    let approval = presented_approval(&parts.headers)?;
    let view = View::Http {
        template: &tool.path,
        headers: headers::policy_view(&parts.headers, &fwd_headers),
        pii_found: headers::scan(&snap.redactor, &fwd_headers),
    };
    Ok(Decoded {
        call: Call {
            adapter,
            tool,
            schema_tool: tool,
            args,
            facts: policy::RequestFacts {
                method: parts.method.as_str(),
                host: &adapter.upstream.host,
                path: route.path,
                now: rt.clock().now(),
            },
            view,
            approval,
        },
        wire: Wire {
            headers: fwd_headers,
            args: wire,
        },
        claim,
    })
}

/// The approval a retry presents (`toolwall-approval: <id>`): one header, a well-formed id.
pub(super) fn presented_approval(headers: &HeaderMap) -> Result<Option<String>, Reject> {
    let mut values = headers.get_all(&super::APPROVAL_NAME).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(Reject::new(
            Reason::AmbiguousRequest,
            "more than one toolwall-approval header",
        ));
    }
    crate::stage::approval::parse_presented(first.as_bytes()).map(Some)
}

/// The request as the agent sent it: what the tool's request is rebuilt from.
struct Sent<'a> {
    snap: &'a Snapshot,
    metrics: &'a crate::metrics::Metrics,
    adapter: &'a Adapter,
    parts: &'a Parts,
    route: &'a Route<'a>,
    body: &'a Bytes,
}

impl Sent<'_> {
    /// The request the tool gets: path, query and body rebuilt from the decided arguments, the
    /// agent's headers redacted by the plan (the record lists what changed).
    fn encode(
        &self,
        tool: &Tool,
        wire: Wire,
        args: Args<'_>,
        plan: Option<&ActionPlan>,
        redactions: &mut Vec<Value>,
        shared: Option<&mut Option<Bytes>>,
    ) -> Result<(Outgoing, HeaderMap), Reject> {
        let args = match args {
            Args::Decided(args) => args,
            Args::AsSent(_) => return Ok(self.as_sent()),
        };
        let (body, content_type) = wire.args.body(tool.args_from, args, shared);
        let path = wire.args.path(&tool.path, args)?;
        let path_and_query = match wire.args.query(args) {
            Some(q) => format!("{path}?{q}"),
            None => path,
        };
        let mut headers = wire.headers;
        if let Some(plan) = plan {
            let changed = headers::redact(&self.snap.redactor, &mut headers, plan, self.metrics)?;
            redactions.extend(
                changed
                    .into_iter()
                    .map(|c| serde_json::json!({"header": c.header, "entity": c.entity})),
            );
        }
        let outgoing = Outgoing {
            method: self.parts.method.clone(),
            path_and_query,
            body,
            content_type,
            traceparent: HeaderValue::from_static(""),
            identity_encoding: false,
        };
        Ok((outgoing, headers))
    }

    /// Shadow mode: the request as the agent sent it (its forwardable headers, unredacted).
    fn as_sent(&self) -> (Outgoing, HeaderMap) {
        let path_and_query = match self.route.query {
            Some(q) => format!("{}?{q}", self.route.path),
            None => self.route.path.to_string(),
        };
        let outgoing = Outgoing {
            method: self.parts.method.clone(),
            path_and_query,
            body: self.body.clone(),
            content_type: None,
            traceparent: HeaderValue::from_static(""),
            identity_encoding: false,
        };
        (
            outgoing,
            headers::forwardable(self.adapter, &self.parts.headers),
        )
    }
}

/// Finish: the tool's answer through the response stage — its headers and body redacted by
/// the plan, a 2xx answer of a tool with a `response_schema` read whole and checked first —
/// then the spend settled. A refused answer commits the estimate: the call reached the tool.
async fn finish(
    rt: &Runtime,
    snap: &Snapshot,
    rec: &mut CallRecord,
    mut resp: Response<Incoming>,
    tool: Option<&Tool>,
    plan: Option<ActionPlan>,
    spend: Option<SpendReservation>,
) -> Result<(http::response::Parts, ResBody), Reject> {
    let answer = async {
        if let Some(plan) = &plan {
            headers::redact(&snap.redactor, resp.headers_mut(), plan, &rt.metrics)?;
        }
        let schema = tool
            .and_then(|t| t.response_schema.as_ref())
            .filter(|_| resp.status().is_success());
        relay(rt, snap, &*rec, resp, schema, plan).await
    };
    let (parts, body) = match answer.await {
        Ok(answer) => answer,
        Err(rej) => {
            if let Some(spend) = spend {
                spend.commit_estimate().await;
            }
            return Err(rej);
        }
    };
    let body = match (spend, tool) {
        (Some(spend), Some(tool)) => {
            let (body, actual) = limits::settle_after_response(spend, tool, body).await?;
            // the record and the spend metric carry what was committed (the real cost read
            // from the answer for a `cost_from_response` tool)
            rec.cost_usd = crate::state::usd(actual);
            body
        }
        _ => body,
    };
    Ok((parts, body))
}

/// The answer as the agent gets it: checked against the output schema, redacted (a JSON body
/// whole, an event stream event by event), or passed as is when neither applies.
async fn relay(
    rt: &Runtime,
    snap: &Snapshot,
    rec: &CallRecord,
    resp: Response<Incoming>,
    schema: Option<&jsonschema::Validator>,
    plan: Option<ActionPlan>,
) -> Result<(http::response::Parts, ResBody), Reject> {
    match (schema, plan) {
        (Some(schema), plan) => {
            let (p, bytes) =
                response::check_http(resp, schema, snap.max_json_depth, &snap.redactor).await?;
            let Some(plan) = plan else {
                return Ok((p, full(bytes)));
            };
            let checked = Response::from_parts(p, Full::new(bytes));
            let (p, bytes) =
                redact::redact_response(checked, &snap.redactor, &plan, &rt.metrics).await?;
            Ok((p, full(bytes)))
        }
        (None, None) => {
            let (p, b) = resp.into_parts();
            Ok((p, b.boxed()))
        }
        // a compressed stream falls through to `redact_response`, which refuses it
        (None, Some(plan))
            if redact::is_event_stream(resp.headers())
                && !redact::is_compressed(resp.headers()) =>
        {
            let (mut p, b) = resp.into_parts();
            p.headers.remove(http::header::CONTENT_LENGTH); // redaction changes the length
            let audit = redact::StreamAudit::for_call(
                rt.audit.as_ref().map(|(sink, _)| sink),
                rec,
                p.status,
            );
            let body = redact::redact_event_stream(
                b,
                snap.redactor.clone(),
                plan,
                rt.metrics.clone(),
                audit,
            );
            Ok((p, body))
        }
        (None, Some(plan)) => {
            let (p, bytes) =
                redact::redact_response(resp, &snap.redactor, &plan, &rt.metrics).await?;
            Ok((p, full(bytes)))
        }
    }
}

/// A `dry_run` tool's admitted call: never forwarded. Its spend hold is released (nothing was
/// spent) and the agent gets `200` with the action proposal (`CallRecord::dry_run_answer`).
async fn dry_run(
    rec: &mut CallRecord,
    spend: Option<SpendReservation>,
    args: Option<Value>,
) -> Response<ResBody> {
    if let Some(spend) = spend {
        spend.release().await;
    }
    let answer = rec.dry_run_answer(args.unwrap_or(Value::Null));
    let mut resp = Response::new(full(Bytes::from(answer.to_string())));
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    super::set_decision_header(resp.headers_mut(), &rec.decision_id);
    resp
}

/// The refusal as HTTP: the one `Reason` → status/type mapping (`Reject::to_response`).
pub(super) fn refuse(rec: &mut CallRecord, rej: Reject) -> Response<ResBody> {
    let resp = rej.to_response(&rec.decision_id);
    rec.outcome = Some(Outcome::Refused(rej));
    let (mut parts, body) = resp.into_parts();
    super::set_decision_header(&mut parts.headers, &rec.decision_id);
    Response::from_parts(parts, full(body))
}

/// The path for the audit stream before a tool is known: percent-decoded, every entity masked.
pub(super) fn masked_path(redactor: &crate::redact::Redactor, path: &str) -> String {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    // a path that holds no finding is remembered as such (`headers::redact_text`)
    headers::redact_text(redactor, &decoded, &crate::redact::ActionPlan::mask_all())
        .0
        .into_owned()
}

/// `traceparent` as a `HeaderName` (a `&str` is parsed into one at every lookup).
const TRACEPARENT: http::HeaderName = http::HeaderName::from_static("traceparent");

/// The agent's W3C `traceparent` when well-formed, otherwise a new one; and its trace id.
pub(super) fn traceparent(headers: &HeaderMap) -> (HeaderValue, String) {
    if let Some(v) = headers.get(&TRACEPARENT) {
        if let Ok(s) = v.to_str() {
            let parts: Vec<&str> = s.split('-').collect();
            let hex = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit());
            if parts.len() == 4
                && hex(parts[0], 2)
                && parts[0] != "ff"
                && hex(parts[1], 32)
                && parts[1] != "00000000000000000000000000000000"
                && hex(parts[2], 16)
                && hex(parts[3], 2)
            {
                return (v.clone(), parts[1].to_ascii_lowercase());
            }
        }
    }
    let trace: u128 = rand::random::<u128>() | 1;
    let span: u64 = rand::random::<u64>() | 1;
    // `00-<trace:032x>-<span:016x>-01`, hex-encoded into a stack buffer: `format!` of the two
    // numbers was ~2,900 instructions per call (callgrind, benches/instructions.sh).
    let mut value = *b"00-00000000000000000000000000000000-0000000000000000-01";
    hex_into(&mut value[3..35], trace);
    hex_into(&mut value[36..52], u128::from(span));
    // (hex digits: always UTF-8; `from_utf8_lossy` walked them as chunks)
    let trace_id = std::str::from_utf8(&value[3..35]).map_or_else(|_| String::new(), str::to_owned);
    (
        HeaderValue::from_bytes(&value).unwrap_or_else(|_| HeaderValue::from_static("")),
        trace_id,
    )
}

/// `n`'s low `out.len() * 4` bits as lower-case hex, most significant digit first.
fn hex_into(out: &mut [u8], mut n: u128) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in out.iter_mut().rev() {
        *b = DIGITS[(n & 0xf) as usize];
        n >>= 4;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_traceparent(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("traceparent", HeaderValue::from_str(v).expect("header"));
        h
    }

    #[test]
    fn a_well_formed_traceparent_is_kept_and_its_trace_id_recorded() {
        let tp = "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01";
        let (v, id) = traceparent(&with_traceparent(tp));
        assert_eq!(v.to_str().expect("ascii"), tp);
        assert_eq!(id, "4bf92f3577b34da6a3ce929d0e0e4736");
    }

    #[test]
    fn a_malformed_traceparent_starts_a_new_trace() {
        for bad in [
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // version ff
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01", // zero trace id
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",  // short trace id
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",    // three fields
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", // not hex
        ] {
            let (v, id) = traceparent(&with_traceparent(bad));
            let v = v.to_str().expect("ascii").to_string();
            assert_ne!(v, bad);
            assert_eq!(v.len(), 55, "{v}");
            assert_eq!(&v[3..35], id);
            assert_ne!(id, "00000000000000000000000000000000");
        }
        let (_, a) = traceparent(&HeaderMap::new());
        let (_, b) = traceparent(&HeaderMap::new());
        assert_ne!(a, b, "every new trace has its own id");
        // a new one is well-formed: what the agent's would have to be to be kept
        let (v, id) = traceparent(&HeaderMap::new());
        let v = v.to_str().expect("ascii").to_string();
        let (kept, kept_id) = traceparent(&with_traceparent(&v));
        assert_eq!(kept.to_str().expect("ascii"), v);
        assert_eq!(kept_id, id);
        assert!(v.starts_with("00-") && v.ends_with("-01"), "{v}");
        let mut buf = [0u8; 8];
        hex_into(&mut buf, 0x1234_abcd);
        assert_eq!(&buf, b"1234abcd");
    }

    #[test]
    fn the_audit_path_before_classify_has_every_entity_masked() {
        let redactor = crate::redact::Redactor::new(&crate::redact::RedactConfig::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let masked = masked_path(&redactor, "/v1/customers/jane%40example.com/notes");
        assert!(!masked.contains("jane"), "{masked}");
        assert!(!masked.contains("%40"), "{masked}");
        assert!(masked.starts_with("/v1/customers/"), "{masked}");
    }
}
