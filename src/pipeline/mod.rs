//! The request pipeline: one fixed order of stages (PRODUCT.md §1).
//!
//! `run` calls identify → route/classify → args → schema → policy → limits → forward, each a
//! plain function returning `Result<_, Reject>`. The order is the contract: nothing reaches
//! policy that is not a known tool with well-formed, schema-valid arguments, nothing is
//! forwarded that policy did not decide on, and budgets are only reserved for calls policy
//! allowed (limits need async shared state, so they run after `evaluate`).

pub mod ctx;
pub mod headers;
pub mod mcp;
pub mod reject;

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;

use crate::app::AppState;
use crate::config::Snapshot;
use crate::protocol::http::{route, Route};
use crate::stage::forward::{forward, strip_hop_by_hop, Outgoing};
use crate::stage::limits::{self, SpendReservation};
use crate::stage::{args, classify, identify, policy, redact, response, schema};
use ctx::{CallCtx, Outcome};
use reject::{Reason, Reject};

/// Response body type of the agent listener.
pub use crate::body::{full, ResBody};

pub const DECISION_HEADER: &str = "toolwall-decision-id";

/// A client has this long to send its whole body.
const BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Handle one agent request end to end.
pub async fn run(app: &std::sync::Arc<AppState>, req: Request<Incoming>) -> Response<ResBody> {
    let snap = app.snapshot.load_full();
    let (parts, body) = req.into_parts();
    let (traceparent, trace_id) = traceparent(&parts.headers);
    let audit = app.audit.as_ref().map(|(sink, args)| ctx::AuditHook {
        sink: sink.clone(),
        args: *args,
        redactor: snap.redactor.clone(),
    });
    let mut ctx = CallCtx::new(app.metrics.clone(), &snap, trace_id, audit);

    let route = match route(&snap, &parts.method, &parts.uri) {
        Ok(r) => r,
        Err(rej) => return refuse(&mut ctx, rej),
    };
    let adapter = &snap.adapters[route.adapter];
    ctx.adapter = Some(adapter.name.clone());
    if adapter.kind == crate::config::raw::AdapterKind::Mcp {
        let (idx, path) = (route.adapter, route.path.to_string());
        return mcp::run(
            app,
            snap.clone(),
            ctx,
            parts,
            body,
            (idx, &path),
            traceparent,
        )
        .await;
    }
    // The audit stream never gets the raw path: the tool's template once classified, until
    // then the path with every entity masked.
    ctx.request = Some(serde_json::json!({
        "method": parts.method.as_str(),
        "host": adapter.upstream.host,
        "path": masked_path(&snap.redactor, route.path),
    }));
    let body = match read_body(body, &parts.headers, snap.max_body_bytes).await {
        Ok(b) => b,
        Err(rej) => return refuse(&mut ctx, rej),
    };

    let (outgoing, fwd_headers) = match evaluate(app, &snap, &mut ctx, &parts, &route, &body) {
        Ok((mut out, fwd_headers)) => {
            out.traceparent = traceparent;
            (out, fwd_headers)
        }
        Err(rej) if snap.mode == crate::config::raw::Mode::Shadow && rej.reason.shadowable() => {
            // Shadow: record what enforce would have done, forward the call as the agent sent it.
            ctx.shadow = Some(rej);
            let path_and_query = match route.query {
                Some(q) => format!("{}?{q}", route.path),
                None => route.path.to_string(),
            };
            (
                Outgoing {
                    method: parts.method.clone(),
                    path_and_query,
                    body,
                    content_type: None,
                    traceparent,
                    identity_encoding: false,
                },
                headers::forwardable(adapter, &parts.headers),
            )
        }
        Err(rej) => return refuse(&mut ctx, rej),
    };

    let tool = ctx.tool_index.and_then(|i| adapter.tools.get(i));
    let spend = match admit(app, &snap, &mut ctx, tool).await {
        Ok(s) => s,
        Err(rej) => return refuse(&mut ctx, rej),
    };

    // What policy asked to redact applies to the tool's answer too.
    let response_plan = ctx
        .decision
        .as_ref()
        .and_then(|d| redact::plan_for(d).ok().flatten());
    let response_schema = tool.and_then(|t| t.response_schema.as_ref());
    let mut outgoing = outgoing;
    outgoing.identity_encoding = response_plan.is_some() || response_schema.is_some();
    // The agent's own credentials never reach the tool (`headers::forwardable`).
    let upstream_started = std::time::Instant::now();
    let forwarded = forward(adapter, &fwd_headers, outgoing).await;
    ctx.upstream_latency_us = Some(upstream_started.elapsed().as_micros() as u64);
    let mut resp = match forwarded {
        Ok(resp) => resp,
        Err(rej) => {
            if let Some(reservation) = spend {
                limits::settle_after_forward_error(reservation, &rej).await;
            }
            return refuse(&mut ctx, rej);
        }
    };
    // The tool's response headers get the same plan as its body (`Location`, `Set-Cookie`, …).
    if let Some(plan) = &response_plan {
        if let Err(rej) = headers::redact(&snap.redactor, resp.headers_mut(), plan, &app.metrics) {
            return refuse_answer(&mut ctx, spend, rej).await;
        }
    }
    // A 2xx answer of a tool with a `response_schema` is read whole and checked before any
    // of it reaches the agent, then redacted like any other (error answers are not output).
    let schema = response_schema.filter(|_| resp.status().is_success());
    let (mut rparts, rbody) = match (schema, response_plan) {
        (Some(schema), plan) => {
            let checked =
                response::check_http(resp, schema, snap.max_json_depth, &snap.redactor).await;
            let answer = match (checked, plan) {
                (Ok(checked), None) => Ok(checked),
                (Ok((p, bytes)), Some(plan)) => {
                    let checked = Response::from_parts(p, Full::new(bytes));
                    redact::redact_response(checked, &snap.redactor, &plan, &app.metrics).await
                }
                (Err(rej), _) => Err(rej),
            };
            match answer {
                Ok((p, bytes)) => (p, full(bytes)),
                Err(rej) => return refuse_answer(&mut ctx, spend, rej).await,
            }
        }
        (None, None) => {
            let (p, b) = resp.into_parts();
            (p, b.boxed())
        }
        // a compressed stream falls through to `redact_response`, which refuses it
        (None, Some(plan))
            if redact::is_event_stream(resp.headers())
                && !redact::is_compressed(resp.headers()) =>
        {
            let (mut p, b) = resp.into_parts();
            p.headers.remove(http::header::CONTENT_LENGTH); // redaction changes the length
            let audit = redact::StreamAudit::for_call(
                app.audit.as_ref().map(|(sink, _)| sink),
                &ctx,
                p.status,
            );
            let body = redact::redact_event_stream(
                b,
                snap.redactor.clone(),
                plan,
                app.metrics.clone(),
                audit,
            );
            (p, body)
        }
        (None, Some(plan)) => {
            match redact::redact_response(resp, &snap.redactor, &plan, &app.metrics).await {
                Ok((p, bytes)) => (p, full(bytes)),
                Err(rej) => return refuse_answer(&mut ctx, spend, rej).await,
            }
        }
    };
    let rbody = match (spend, tool) {
        (Some(reservation), Some(tool)) => {
            match limits::settle_after_response(reservation, tool, rbody).await {
                Ok(b) => b,
                Err(rej) => return refuse(&mut ctx, rej),
            }
        }
        _ => rbody,
    };
    rparts.headers = strip_hop_by_hop(&rparts.headers, |_| true);
    set_decision_header(&mut rparts.headers, &ctx.decision_id);
    ctx.outcome = Some(Outcome::Forwarded {
        status: rparts.status.as_u16(),
    });
    Response::from_parts(rparts, rbody)
}

/// The CPU-only stages: identify, classify, args, schema, policy. Returns what to forward and
/// the agent headers to forward with it (redacted as decided).
fn evaluate(
    app: &AppState,
    snap: &Snapshot,
    ctx: &mut CallCtx,
    parts: &Parts,
    route: &Route<'_>,
    body: &Bytes,
) -> Result<(Outgoing, HeaderMap), Reject> {
    let adapter = &snap.adapters[route.adapter];
    crate::protocol::http::check_headers(&parts.headers)?;
    let principal = identify::identify(snap, parts)?;
    ctx.principal = Some(principal);

    let (tool_idx, params) = classify::classify_request(adapter, &parts.method, route.path)?;
    let tool = &adapter.tools[tool_idx];
    ctx.set_tool(tool);
    ctx.schema = tool.schema_ref.clone();
    ctx.cost_usd = tool.cost_usd;
    ctx.tool_index = Some(tool_idx);
    if let Some(req) = ctx.request.as_mut() {
        req["path"] = serde_json::Value::String(tool.path.clone());
    }

    let parsed = args::parse_args(
        tool,
        &parts.headers,
        body,
        route.query,
        params,
        snap.max_json_depth,
    )?;
    let args::ParsedArgs { args, wire } = parsed;
    let facts = policy::RequestFacts {
        method: parts.method.as_str(),
        host: &adapter.upstream.host,
        path: route.path,
        now: app.clock().now(),
    };
    let mut fwd_headers = headers::forwardable(adapter, &parts.headers);
    let view = headers::policy_view(&parts.headers, &fwd_headers);
    let http = HttpView {
        template: &tool.path,
        headers: view,
        pii_found: headers::scan(&snap.redactor, &fwd_headers),
    };
    decide(
        app,
        snap,
        ctx,
        Call {
            adapter,
            tool,
            schema_tool: tool,
            args,
            facts: &facts,
            extra: None,
            http: Some(http),
        },
    )?;
    let Some(input) = ctx.input.as_ref() else {
        return Err(Reject::new(Reason::Internal, "decided call has no input"));
    };
    let args = &input["args"];
    let (fwd_body, content_type) = wire.body(tool.args_from, args);
    // The path is rebuilt from the decided parameters, like the query and the body.
    let path = wire.path(&tool.path, args)?;
    let path_and_query = match wire.query(args) {
        Some(q) => format!("{path}?{q}"),
        None => path,
    };
    let plan = ctx.decision.as_ref().map(redact::plan_for).transpose()?;
    if let Some(plan) = plan.flatten() {
        let changed = headers::redact(&snap.redactor, &mut fwd_headers, &plan, &app.metrics)?;
        ctx.redactions.extend(
            changed
                .into_iter()
                .map(|c| serde_json::json!({"header": c.header, "entity": c.entity})),
        );
    }

    Ok((
        Outgoing {
            method: parts.method.clone(),
            path_and_query,
            body: fwd_body,
            content_type,
            traceparent: HeaderValue::from_static(""),
            identity_encoding: false,
        },
        fwd_headers,
    ))
}

/// What an HTTP call adds to the policy input: the tool's path template, the agent's headers
/// as policy sees them, and the entities found in the forwarded header values.
pub(crate) struct HttpView<'a> {
    pub template: &'a str,
    pub headers: serde_json::Value,
    pub pii_found: Vec<String>,
}

/// One call to decide (see `decide_call`).
pub(crate) struct Call<'a> {
    pub adapter: &'a crate::config::Adapter,
    pub tool: &'a crate::config::Tool,
    pub schema_tool: &'a crate::config::Tool,
    pub args: serde_json::Value,
    pub facts: &'a policy::RequestFacts<'a>,
    pub extra: Option<serde_json::Value>,
    pub http: Option<HttpView<'a>>,
}

/// The path for the audit stream before a tool is known: percent-decoded, every entity masked.
fn masked_path(redactor: &crate::redact::Redactor, path: &str) -> String {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    redactor
        .redact_text(&decoded, &crate::redact::ActionPlan::mask_all())
        .0
        .into_owned()
}

/// schema → PII scan → policy → redaction, for a classified call whose principal is in `ctx`.
/// The decided (possibly redacted) arguments are left in `ctx.input["args"]`; `extra` goes
/// into the policy input as `input.mcp`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn decide_call(
    app: &AppState,
    snap: &Snapshot,
    ctx: &mut CallCtx,
    adapter: &crate::config::Adapter,
    tool: &crate::config::Tool,
    schema_tool: &crate::config::Tool,
    args: serde_json::Value,
    facts: &policy::RequestFacts<'_>,
    extra: Option<serde_json::Value>,
) -> Result<(), Reject> {
    decide(
        app,
        snap,
        ctx,
        Call {
            adapter,
            tool,
            schema_tool,
            args,
            facts,
            extra,
            http: None,
        },
    )
}

/// `decide_call` for any protocol; an HTTP call's headers and template are in `call.http`.
pub(crate) fn decide(
    app: &AppState,
    snap: &Snapshot,
    ctx: &mut CallCtx,
    call: Call<'_>,
) -> Result<(), Reject> {
    let Call {
        adapter,
        tool,
        schema_tool,
        args,
        facts,
        extra,
        http,
    } = call;
    schema::check_schema(schema_tool, &args)?;
    let (pii_findings, mut pii_found) = redact::scan_args(&snap.redactor, &args);
    ctx.pii_findings = pii_findings;
    if let Some(h) = &http {
        pii_found.extend(h.pii_found.iter().cloned());
        pii_found.sort();
        pii_found.dedup();
    }
    let Some(principal) = ctx.principal.as_ref() else {
        return Err(Reject::new(Reason::Internal, "call has no principal"));
    };
    let mut input = policy::build_input(snap, principal, adapter, tool, args, pii_found, facts);
    input["usage"] = limits::usage_doc(app.state().as_ref(), &snap.limits, principal, facts.now);
    if let Some(extra) = extra {
        input["mcp"] = extra;
    }
    if let Some(h) = &http {
        input["request"]["template"] = serde_json::Value::String(h.template.to_string());
        input["request"]["headers"] = h.headers.clone();
    }
    let started = std::time::Instant::now();
    let decided = policy::decide(snap, &input);
    app.metrics
        .policy_eval_duration
        .observe(started.elapsed().as_secs_f64());
    ctx.policy_result = Some(policy::replayable_result(&decided));
    if let Some(h) = &http {
        // What the audit stream keeps of the request: the template, never the path as sent
        // (its parameters are in `args`, redacted as `audit.args` says), and the headers with
        // every entity masked.
        input["request"]["path"] = serde_json::Value::String(h.template.to_string());
        input["request"]["headers"] = headers::masked_view(&snap.redactor, &h.headers);
    }
    let input = ctx.input.insert(input);
    let decision = &*ctx.decision.insert(decided?);

    // Redact what policy named before anything is forwarded; the upstream gets the result.
    if let Some(plan) = redact::plan_for(decision)? {
        let findings =
            redact::redact_args(&snap.redactor, &mut input["args"], &plan, &app.metrics)?;
        // Paths go to the audit stream: a member name holding PII that this plan kept is
        // masked there too (names the plan redacted already appear redacted).
        let keyed = ctx.pii_findings.iter().any(|f| f.key);
        ctx.redactions = findings
            .iter()
            .map(|f| {
                let path = match &f.pointer {
                    Some(p) if keyed => Some(snap.redactor.mask_pointer(p)),
                    p => p.clone(),
                };
                let mut r = serde_json::json!({"path": path, "entity": f.entity.name()});
                if f.key {
                    r["key"] = serde_json::Value::Bool(true);
                }
                r
            })
            .collect();
    }
    Ok(())
}

/// Kill switches, rate limits and the spend reservation (shared state, so async), then the
/// write-ahead decision record: it reaches the OS before any byte goes upstream.
pub(crate) async fn admit(
    app: &AppState,
    snap: &Snapshot,
    ctx: &mut CallCtx,
    tool: Option<&crate::config::Tool>,
) -> Result<Option<SpendReservation>, Reject> {
    let mut spend: Option<SpendReservation> = None;
    if let (Some(tool), Some(principal)) = (tool, ctx.principal.as_ref()) {
        let result = limits::enforce(&app.limiters, &snap.limits, principal, tool).await;
        app.metrics
            .state_backend_up
            .set(i64::from(app.state().healthy()));
        match result {
            Ok(s) => spend = s,
            Err(rej)
                if snap.mode == crate::config::raw::Mode::Shadow && rej.reason.shadowable() =>
            {
                if ctx.shadow.is_none() {
                    ctx.shadow = Some(rej);
                }
            }
            Err(rej) => return Err(rej),
        }
    }
    if let Some(hook) = &ctx.audit {
        let sink = hook.sink.clone();
        let args_mode = hook.args;
        let redactor = hook.redactor.clone();
        let body = crate::stage::audit::decision_record(
            ctx,
            &sink,
            args_mode,
            &redactor,
            crate::stage::audit::Phase::Forwarding,
        );
        match sink.write_ahead(crate::audit::Kind::Decision, body).await {
            Ok(_) => ctx.written_ahead = true,
            Err(e @ crate::audit::sink::SinkError::Invalid { .. }) => {
                // A minimal refusal record stands for this call's decision; the outcome
                // record follows when the call ends.
                ctx.written_ahead = true;
                if let Some(reservation) = spend {
                    limits::settle_after_failure(reservation, Reason::Internal).await;
                }
                return Err(Reject::new(
                    Reason::Internal,
                    format!("the call's audit record could not be written ({e}); the call was not forwarded"),
                ));
            }
            Err(e) => {
                if let Some(reservation) = spend {
                    limits::settle_after_failure(reservation, Reason::AuditUnavailable).await;
                }
                return Err(Reject::new(
                    Reason::AuditUnavailable,
                    format!("the audit stream cannot be written ({e}); the call was not forwarded"),
                ));
            }
        }
    }
    Ok(spend)
}

/// Read the whole body, refusing more than `limit` bytes. A body refused as too large is
/// drained in the background (a bounded amount, `LINGER_BYTES` within `LINGER_TIME`, as
/// nginx's lingering close) so that a client that writes its whole body before reading (most
/// HTTP clients) reads the 413 instead of a reset connection.
pub(crate) async fn read_body(
    body: Incoming,
    headers: &HeaderMap,
    limit: usize,
) -> Result<Bytes, Reject> {
    let too_large = || {
        Reject::new(
            Reason::PayloadTooLarge,
            format!("request body exceeds {limit} bytes"),
        )
    };
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        // A client that waits for `100 Continue` sends nothing more: no need to drain.
        let expects = headers
            .get(http::header::EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        if !expects {
            linger(body);
        }
        return Err(too_large());
    }
    let read = async move {
        let mut body = body;
        let mut buf = bytes::BytesMut::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| {
                Reject::new(
                    Reason::IncompleteBody,
                    format!("request body could not be read: {e}"),
                )
            })?;
            if let Ok(data) = frame.into_data() {
                if buf.len() + data.len() > limit {
                    linger(body);
                    return Err(too_large());
                }
                buf.extend_from_slice(&data);
            }
        }
        Ok(buf.freeze())
    };
    match tokio::time::timeout(BODY_READ_TIMEOUT, read).await {
        Ok(r) => r,
        Err(_) => Err(Reject::new(
            Reason::IncompleteBody,
            format!("request body not received within {BODY_READ_TIMEOUT:?}"),
        )),
    }
}

/// Most bytes of a refused body read and thrown away before the connection is closed.
const LINGER_BYTES: u64 = 64 << 20;
/// Longest a refused body is drained, in all and between two reads.
const LINGER_TIME: std::time::Duration = std::time::Duration::from_secs(10);
const LINGER_IDLE: std::time::Duration = std::time::Duration::from_secs(2);

/// Drain a refused request body in the background, bounded in bytes and time; holding the
/// body keeps the connection reading while the refusal is written.
fn linger(body: Incoming) {
    tokio::spawn(async move {
        let mut body = body;
        let mut seen: u64 = 0;
        let drain = async {
            while seen < LINGER_BYTES {
                match tokio::time::timeout(LINGER_IDLE, body.frame()).await {
                    Ok(Some(Ok(frame))) => {
                        if let Some(d) = frame.data_ref() {
                            seen += d.len() as u64;
                        }
                    }
                    _ => break,
                }
            }
        };
        let _ = tokio::time::timeout(LINGER_TIME, drain).await;
    });
}

fn refuse(ctx: &mut CallCtx, rej: Reject) -> Response<ResBody> {
    let resp = rej.to_response(&ctx.decision_id);
    ctx.outcome = Some(Outcome::Refused(rej));
    let (mut parts, body) = resp.into_parts();
    set_decision_header(&mut parts.headers, &ctx.decision_id);
    Response::from_parts(parts, full(body))
}

/// Refuse the tool's answer: the call reached the tool, so its estimated cost stands.
async fn refuse_answer(
    ctx: &mut CallCtx,
    spend: Option<SpendReservation>,
    rej: Reject,
) -> Response<ResBody> {
    if let Some(reservation) = spend {
        let actual = reservation.estimate;
        if let Err(e) = reservation.settle(actual).await {
            tracing::warn!(error = %e, "committing spend failed; the reservation stays counted");
        }
    }
    refuse(ctx, rej)
}

fn set_decision_header(headers: &mut HeaderMap, id: &str) {
    if let Ok(v) = HeaderValue::from_str(id) {
        headers.insert(DECISION_HEADER, v);
    }
}

/// The agent's W3C `traceparent` when well-formed, otherwise a new one; and its trace id.
fn traceparent(headers: &HeaderMap) -> (HeaderValue, String) {
    if let Some(v) = headers.get("traceparent") {
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
    let trace_id = format!("{trace:032x}");
    let value = format!("00-{trace_id}-{span:016x}-01");
    (
        HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("")),
        trace_id,
    )
}
