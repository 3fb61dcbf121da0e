//! The request pipeline: one fixed order of stages for every front end (PRODUCT.md §1). This
//! file is the only place that order is written.
//!
//! ```text
//!  accept ──► front end decodes ──► identify ──► classify ──► args
//!  handle()   http.rs: one call      principal    the tool      one parse
//!             mcp/: zero or more
//!             per JSON-RPC message
//!
//!  ──► schema ──► PII scan ──► policy ──► redaction ──► encode ──► admit ──────────────────────►
//!      JSON       pii.found    Rego       the args      the front   kill switches, rate, spend,
//!      Schema                             as decided    end's wire  approval, write-ahead audit
//!
//!  ──► forward ──► finish ───────────────────────────────────────► audit on drop
//!      upstream    response schema, response redaction,            the call's record guard
//!                  spend settle                                    (stage::record)
//! ```
//!
//! The front ends (`http`, `mcp`) own what reads their protocol: decoding a request into calls
//! (identify, classify, args), encoding the decided arguments for the tool, relaying the answer
//! and encoding a refusal (one exhaustive `match` per protocol in `reject`). Everything between
//! the decoded call and the forwarded one is [`decide_and_admit`]: nothing reaches policy that
//! is not a known tool with schema-valid arguments, nothing is forwarded that policy did not
//! decide on, and budgets are only held for calls policy allowed.

pub mod grpc;
pub mod headers;
pub mod http;
pub mod mcp;
pub mod reject;
mod runtime;

use std::sync::Arc;

use ::http::{HeaderValue, Request, Response};
use hyper::body::Incoming;
use serde_json::Value;

use crate::approvals::{Change, ChangeKind};
use crate::config::raw::{AdapterKind, Mode};
use crate::config::{Adapter, Snapshot, Tool};
use crate::redact::ActionPlan;
use crate::stage::limits::{self, SpendReservation};
use crate::stage::policy::RequestFacts;
use crate::stage::record::{CallRecord, Unkept, ViewKind};
use crate::stage::{approval, audit, policy, redact, schema};
use crate::telemetry::{self, attr};
use opentelemetry::KeyValue;
use reject::{Reason, Reject};

pub use crate::body::{full, read_body, ResBody};
pub use runtime::Runtime;

pub const DECISION_HEADER: &str = "toolwall-decision-id";
/// [`DECISION_HEADER`] as a header name, built at compile time (not parsed per answer).
const DECISION_HEADER_NAME: ::http::HeaderName = ::http::HeaderName::from_static(DECISION_HEADER);
/// The header a retry presents an approval with.
pub const APPROVAL_HEADER: &str = "toolwall-approval";
/// [`APPROVAL_HEADER`] as a `HeaderName` (a `&str` is parsed into one at every lookup).
pub const APPROVAL_NAME: ::http::HeaderName = ::http::HeaderName::from_static(APPROVAL_HEADER);
/// The `_meta` key an MCP retry presents an approval with.
pub const APPROVAL_META: &str = "toolwall/approval";

/// Accept: one agent request, handed to the front end of its adapter's protocol. The call's
/// record, and the guard that writes it on every exit, starts here.
pub async fn handle(rt: &Arc<Runtime>, req: Request<Incoming>) -> Response<ResBody> {
    let snap = rt.snapshot.load_full();
    let (parts, body) = req.into_parts();
    let (mut traceparent, trace_id) = http::traceparent(&parts.headers);
    let mut rec = CallRecord::new(rt.metrics.clone(), &snap, trace_id, rt.audit_hook(&snap));
    // Tracing on: the call's span, in the agent's trace, started once the front end knows
    // where the call belongs — or, refused before that, when the call is recorded: every
    // request toolwall records is a span (docs/telemetry.md). Off, nothing is built.
    rec.defer_span(&parts.headers);
    // gRPC clients fix the path (`/package.Service/Method`): routed by service, not by path
    // Each front end's future is boxed: the state machines are tens of KB, and unboxed they
    // are copied whole every time a layer (tower, hyper, catch_unwind) moves the handler's
    // future — ~100k instructions of memcpy per call, measured with callgrind.
    if grpc::is_grpc(&parts.headers) {
        return Box::pin(grpc::run(rt, snap, rec, parts, body, traceparent)).await;
    }
    let route = match crate::protocol::http::route(&snap, &parts.method, &parts.uri) {
        Ok(r) => r,
        Err(rej) => return http::refuse(&mut rec, rej),
    };
    let adapter = &snap.adapters[route.adapter];
    rec.set_adapter(adapter);
    // An HTTP call's span starts now: it is the upstream's parent. (An MCP message's starts
    // once it is read: its `_meta` may name another parent.)
    if adapter.kind == AdapterKind::Http {
        if let Some((tp, id)) = rec.span.as_mut().and_then(|s| s.start()) {
            traceparent = tp;
            rec.trace_id = id;
        }
    }
    match adapter.kind {
        AdapterKind::Http => {
            Box::pin(http::run(rt, &snap, rec, &parts, body, &route, traceparent)).await
        }
        AdapterKind::Mcp => {
            let (idx, path) = (route.adapter, route.path.to_string());
            let at = (idx, path.as_str());
            Box::pin(mcp::run(
                rt,
                snap.clone(),
                rec,
                parts,
                body,
                at,
                traceparent,
            ))
            .await
        }
        // a gRPC adapter is reached by gRPC calls only (`grpc::is_grpc` above)
        AdapterKind::Grpc => http::refuse(
            &mut rec,
            Reject::new(
                Reason::UnsupportedMediaType,
                format!(
                    "adapter `{}` serves gRPC: send `content-type: application/grpc` over \
                     HTTP/2 to /<package.Service>/<Method>",
                    adapter.name
                ),
            ),
        ),
    }
}

/// One call as its front end decoded it: identified (the principal is in the record),
/// classified, its arguments parsed.
pub struct Call<'a> {
    pub adapter: &'a Adapter,
    pub tool: &'a Tool,
    /// The tool whose JSON Schema checks the arguments (an MCP tool's listed `inputSchema`).
    pub schema_tool: &'a Tool,
    pub args: Value,
    pub facts: RequestFacts<'a>,
    /// What the protocol adds to the policy input.
    pub view: View<'a>,
    /// The approval id the agent presented with the call (`toolwall-approval`, MCP
    /// `_meta["toolwall/approval"]`), already checked to be a well-formed id.
    pub approval: Option<String>,
}

/// The protocol's part of the policy input.
pub enum View<'a> {
    /// `input.request.template` and `input.request.headers`; `pii_found` are the entities
    /// found in the forwarded header values (they join `input.pii.found`).
    Http {
        template: &'a str,
        headers: Value,
        pii_found: Vec<String>,
    },
    /// `input.mcp`: the JSON-RPC method, the tool's name and definition hash, `_meta`.
    Mcp(Value),
    /// `input.grpc`: service, method, message index, streaming kinds, metadata; `pii_found`
    /// are the entities found in the forwarded metadata (they join `input.pii.found`).
    Grpc { grpc: Value, pii_found: Vec<String> },
}

/// The arguments a front end encodes for the tool.
pub enum Args<'a> {
    /// As decided: schema-valid, allowed, redacted as policy said.
    Decided(&'a Value),
    /// As the agent sent them: shadow mode forwards a call that enforce mode would refuse.
    AsSent(&'a Value),
}

/// A call the pipeline let through.
pub struct Admitted<T> {
    /// What the front end encoded from the decided arguments.
    pub forward: T,
    /// What policy asked to redact: it applies to the tool's answer too.
    pub plan: Option<ActionPlan>,
    /// The spend held for the call, settled by the finish stage (or when dropped).
    pub spend: Option<SpendReservation>,
}

/// schema → PII scan → policy → redaction → encode → admit, for one decoded call.
///
/// `encode` builds what is forwarded from the decided arguments — borrowed from the policy
/// input before the write-ahead record takes it, so they are never copied — and the plan;
/// what it redacts outside the arguments (headers, `_meta`) it lists in the record's
/// redactions; given a slot (audit on), it may leave there the arguments' bytes it encoded when
/// they are also their canonical form (`CallRecord::args_canonical`). In shadow mode a refusal
/// these stages would make is recorded and the call goes on as the agent sent it.
pub async fn decide_and_admit<T>(
    rt: &Runtime,
    snap: &Snapshot,
    rec: &mut CallRecord,
    mut call: Call<'_>,
    encode: impl FnOnce(
        Args<'_>,
        Option<&ActionPlan>,
        &mut Vec<Value>,
        Option<&mut Option<bytes::Bytes>>,
    ) -> Result<T, Reject>,
) -> Result<Admitted<T>, Reject> {
    let tool = call.tool;
    let as_sent = (rec.mode == Mode::Shadow).then(|| call.args.clone());
    let mut approval = match call.approval.take() {
        // boxed for the same reason as `approve_needed`: few calls present an approval
        Some(id) => Box::pin(presented(rt, rec, &call, &id)).await?,
        None => Approval::default(),
    };
    let (plan, as_sent) = match decide(rt, snap, rec, call, &mut approval) {
        Ok(plan) => (plan, None),
        Err(rej) => match as_sent {
            Some(original) if rej.reason.shadowable() => {
                rec.shadow = Some(rej);
                let plan = rec.decision.as_ref().and_then(|d| redact::plan_for(d).ok());
                (plan.flatten(), Some(original))
            }
            _ => return Err(rej),
        },
    };
    let fields = &mut **rec;
    let args = match (&as_sent, &fields.input) {
        (Some(original), _) => Args::AsSent(original),
        (None, Some(input)) => Args::Decided(&input["args"]),
        (None, None) => return Err(Reject::new(Reason::Internal, "decided call has no input")),
    };
    // with audit on, where the arguments' bytes for the tool are also their canonical form the
    // encode hands them over for the audit record (`stage::args::Wire::body`)
    let shared = fields.audit.is_some().then_some(&mut fields.args_canonical);
    let forward = encode(args, plan.as_ref(), &mut fields.redactions, shared)?;
    let spend = admit(rt, snap, rec, Some(tool), approval).await?;
    Ok(Admitted {
        forward,
        plan,
        spend,
    })
}

/// What the approval stage knows of a call before admission: the call's binding (computed
/// only when an approval is presented or may be needed) and an approved request presented
/// with it.
#[derive(Default)]
pub struct Approval {
    binding: Option<approval::Binding>,
    presented: Option<crate::state::approvals::ApprovalRequest>,
}

/// An approval id presented with a call, checked against the call before policy runs.
async fn presented(
    rt: &Runtime,
    rec: &mut CallRecord,
    call: &Call<'_>,
    id: &str,
) -> Result<Approval, Reject> {
    let Some(principal) = rec.principal.as_ref() else {
        return Err(Reject::new(Reason::Internal, "call has no principal"));
    };
    let binding = approval::bind(rt.hmac_key(), principal, &call.tool.name, &call.args);
    let now = call.facts.now.timestamp();
    let found = approval::presented(rt.state(), id, &binding, now).await;
    Ok(Approval {
        binding: Some(binding),
        presented: shadowed(rec, found)?.flatten(),
    })
}

/// schema → PII scan → policy → approval, for protocol traffic that is decided but goes to no
/// tool (an MCP server's request to the agent): nothing is forwarded, held or written ahead.
pub fn decide_message(
    rt: &Runtime,
    snap: &Snapshot,
    rec: &mut CallRecord,
    call: Call<'_>,
) -> Result<(), Reject> {
    decide(rt, snap, rec, call, &mut Approval::default())?;
    rec.decision
        .as_ref()
        .map(approval::refuse_unapprovable)
        .transpose()?;
    Ok(())
}

/// schema → PII scan → policy → redaction of the arguments. What each stage returns goes into
/// the call's record (the audit record is built from it); the redaction plan is returned.
fn decide(
    rt: &Runtime,
    snap: &Snapshot,
    rec: &mut CallRecord,
    call: Call<'_>,
    approval: &mut Approval,
) -> Result<Option<ActionPlan>, Reject> {
    // the fields themselves: disjoint fields are borrowed apart below
    let rec = &mut **rec;
    let Call {
        adapter,
        tool,
        schema_tool,
        args,
        facts,
        view,
        approval: _,
    } = call;
    let span = schema_tool
        .schema
        .is_some()
        .then(|| telemetry::stage(rec.span.as_deref(), attr::SCHEMA_SPAN))
        .flatten();
    let checked = schema::check_schema(schema_tool, &args);
    telemetry::end_stage(span, &checked);
    checked?;

    let (findings, mut pii_found) = redact::scan_args(&snap.redactor, &args);
    let pii_placeholders = redact::placeholders(&findings);
    rec.pii_findings = findings;
    if let View::Http { pii_found: h, .. } | View::Grpc { pii_found: h, .. } = &view {
        pii_found.extend(h.iter().cloned());
        pii_found.sort();
        pii_found.dedup();
    }

    let Some(principal) = rec.principal.as_ref() else {
        return Err(Reject::new(Reason::Internal, "call has no principal"));
    };
    let (kind, request_extra, protocol) = match view {
        View::Http {
            template, headers, ..
        } => (ViewKind::Http, Some((template, headers)), None),
        View::Mcp(mcp) => (ViewKind::Mcp, None, Some(("mcp", mcp))),
        View::Grpc { grpc, .. } => (ViewKind::Grpc, None, Some(("grpc", grpc))),
    };
    let input = policy::Input {
        mode: rec.mode,
        principal,
        adapter,
        tool,
        args,
        pii_found,
        pii_placeholders: Some(pii_placeholders),
        request: &facts,
        request_extra,
        usage: limits::usage_doc(rt.state().as_ref(), &snap.limits, principal, facts.now),
        approval: approval
            .presented
            .as_ref()
            .map_or(Value::Null, approval::input_doc),
        protocol,
    }
    .build_known();
    let policy_span = rec.span.as_ref().and_then(|s| {
        s.child(
            crate::telemetry::attr::POLICY_SPAN,
            opentelemetry::trace::SpanKind::Internal,
        )
    });
    let decided = policy::evaluate_known(&snap.policy, input.0, input.1, &rt.metrics);
    if let Some(mut s) = policy_span {
        s.set(opentelemetry::KeyValue::new(
            crate::telemetry::attr::TOOLWALL_POLICY_VERSION,
            snap.policy.version.clone(),
        ));
        // a denial is what policy said, not a failure of the evaluation
        let (said, error) = match &decided.verdict {
            Ok(d) if d.allow => ("allow", None),
            Ok(_) => ("deny", None),
            Err(r) if r.reason == Reason::PolicyDenied => ("deny", None),
            Err(r) => ("error", Some(r.reason.code())),
        };
        s.set(opentelemetry::KeyValue::new(
            crate::telemetry::attr::TOOLWALL_DECISION,
            said,
        ));
        s.end(error);
    }
    // what policy said as replay compares it: read by the audit record alone
    rec.policy_result = rec
        .audit
        .is_some()
        .then(|| policy::replayable_result(&decided.verdict));
    // masked for the audit when it is read (`CallRecordFields::keep_input`); it changes `request`, `grpc` and
    // `mcp`, never `principal`, `tool` or `args`: `input_known` stays the document's
    rec.input_unkept = Some(Unkept {
        mask: keep_for_audit,
        kind,
        redactor: snap.redactor.clone(),
    });
    rec.input_known = decided.known;
    let input = rec.input.insert(decided.input);
    let decision = &*rec.decision.insert(decided.verdict?);
    // The binding an approval request needs, from the arguments as sent (before redaction).
    if approval.binding.is_none() && (decision.require_approval || snap.limits.may_need_approval())
    {
        approval.binding = Some(approval::bind(
            rt.hmac_key(),
            principal,
            &tool.name,
            &input["args"],
        ));
    }

    // Redact what policy named before anything is forwarded; the upstream gets the result.
    let plan = redact::plan_for(decision)?;
    // Nothing found by the scan of these very arguments: the walk under the plan finds
    // nothing either (what the walk finds does not depend on the plan, only what it does
    // with it), so it is skipped.
    if let Some(plan) = plan.as_ref().filter(|_| !rec.pii_findings.is_empty()) {
        let mut span = telemetry::stage(rec.span.as_deref(), attr::REDACT_SPAN);
        let found = redact::redact_scanned_args(
            &snap.redactor,
            &mut input["args"],
            plan,
            &rec.pii_findings,
            &rt.metrics,
        );
        if let (Some(s), Ok(f)) = (span.as_mut(), &found) {
            s.set(KeyValue::new(attr::TOOLWALL_REDACTIONS, f.len() as i64));
        }
        telemetry::end_stage(span, &found);
        let found = found?;
        rec.args_masked_for_audit = snap.redactor.acted_as_mask_all(&found);
        // the audit record's list, read by it alone
        if rec.audit.is_some() {
            rec.redactions = audit::redaction_entries(&snap.redactor, &found, &rec.pii_findings);
        }
    }
    // opt-in: the arguments as forwarded, every entity masked, on the call's span
    if let Some(span) = rec.span.as_deref_mut() {
        if let Some(kv) = telemetry::arguments_attr(&snap.redactor, &input["args"]) {
            span.attrs.push(kv);
        }
    }
    Ok(plan)
}

/// One HTTP call decided as the proxy decides it, and sent nowhere (`toolwall eval`): route →
/// identify → classify → args → schema → PII scan → policy, the stages [`handle`] runs before
/// admission; nothing is held, approved, written ahead or forwarded. `principal` replaces the
/// identified one (a scenario's principal).
pub fn evaluate_http(
    rt: &Runtime,
    snap: &Snapshot,
    parts: &::http::request::Parts,
    body: &bytes::Bytes,
    principal: Option<crate::stage::identify::Principal>,
) -> Evaluated {
    let mut rec = CallRecord::new(rt.metrics.clone(), snap, String::new(), None);
    // an evaluation is not a call: no log line, no metric, no audit record
    rec.record = false;
    let verdict = (|| {
        let route = crate::protocol::http::route(snap, &parts.method, &parts.uri)?;
        let adapter = &snap.adapters[route.adapter];
        if adapter.kind != AdapterKind::Http {
            return Err(Reject::new(
                Reason::UnsupportedMediaType,
                format!(
                    "adapter `{}` is an {} adapter: only HTTP calls and policy inputs are \
                     evaluated offline",
                    adapter.name,
                    adapter.kind.as_str()
                ),
            ));
        }
        let decoded = http::decode(rt, snap, &mut rec, parts, &route, body)?;
        if let Some(p) = principal {
            rec.principal = Some(p);
        }
        decide(rt, snap, &mut rec, decoded.call, &mut Approval::default())?;
        rec.decision
            .clone()
            .ok_or_else(|| Reject::new(Reason::Internal, "decided call has no decision"))
    })();
    rec.keep_input();
    Evaluated {
        tool: rec.tool.clone(),
        verdict,
        input: rec.input.take(),
    }
}

/// One MCP `tools/call` decided as the MCP front end decides it, and sent nowhere (`toolwall
/// eval`): identify (from `parts`, the request that carries the message) → the tool from the
/// adapter's catalog (what the server last listed, pinned on sight) → schema (its
/// `inputSchema`, or the adapter's override) → PII scan → policy, with `input.mcp` as the front
/// end builds it. The protocol's own checks (session, version and routing headers, batches)
/// are not part of an evaluation.
pub fn evaluate_mcp(
    rt: &Runtime,
    snap: &Snapshot,
    parts: &::http::request::Parts,
    call: McpCall<'_>,
    principal: Option<crate::stage::identify::Principal>,
) -> Evaluated {
    let McpCall {
        adapter,
        name,
        args,
        meta,
    } = call;
    let mut rec = CallRecord::new(rt.metrics.clone(), snap, String::new(), None);
    // an evaluation is not a call: no log line, no metric, no audit record
    rec.record = false;
    let verdict = (|| {
        let adapter = &snap.adapters[adapter];
        rec.set_adapter(adapter);
        rec.principal = Some(match principal {
            Some(p) => p,
            None => crate::stage::identify::identify(&snap.identity, parts)?,
        });
        let Some((mcp_tool, status)) = rt.mcp.lookup(snap, adapter, name) else {
            return Err(Reject::new(
                Reason::UnknownTool,
                format!("the server lists no tool `{name}`"),
            ));
        };
        let tool = &mcp_tool.tool;
        rec.set_tool(tool);
        if let crate::mcp::PinStatus::Changed { pinned } = status {
            return Err(Reject::new(
                Reason::ToolDefinitionChanged,
                format!("tool `{name}` changed since it was pinned ({pinned})"),
            ));
        }
        let mut view =
            serde_json::json!({"method": "tools/call", "name": name, "definition": mcp_tool.hash});
        if let Some(m) = meta {
            view["meta"] = m;
        }
        let call = Call {
            adapter,
            tool,
            schema_tool: mcp_tool.input_schema_tool(adapter),
            args,
            facts: RequestFacts {
                method: "POST",
                host: &adapter.upstream.host,
                path: &adapter.upstream.base_path,
                now: rt.clock().now(),
            },
            view: View::Mcp(view),
            approval: None,
        };
        decide(rt, snap, &mut rec, call, &mut Approval::default())?;
        rec.decision
            .clone()
            .ok_or_else(|| Reject::new(Reason::Internal, "decided call has no decision"))
    })();
    rec.keep_input();
    Evaluated {
        tool: rec.tool.clone(),
        verdict,
        input: rec.input.take(),
    }
}

/// An MCP `tools/call` for [`evaluate_mcp`]: the adapter (index), the tool as the server names
/// it, `params.arguments` and `params._meta`.
pub struct McpCall<'a> {
    pub adapter: usize,
    pub name: &'a str,
    pub args: Value,
    pub meta: Option<Value>,
}

/// What [`evaluate_http`] and [`evaluate_mcp`] found.
pub struct Evaluated {
    /// The tool the call was classified as.
    pub tool: Option<String>,
    /// Allowed (perhaps with `require_approval`), or the refusal of the stage that refused.
    pub verdict: Result<crate::policy::PolicyDecision, Reject>,
    /// The policy input as the audit record keeps it.
    pub input: Option<Value>,
}

/// What the audit record keeps of the policy input: the template, never the path as sent (its
/// parameters are in `args`, redacted as `audit.args` says); headers and `_meta` with every
/// entity masked. The view's parts are read back from the document they were moved into
/// (policy does not change it).
fn keep_for_audit(redactor: &crate::redact::Redactor, input: &mut Value, kind: ViewKind) {
    match kind {
        ViewKind::Http => {
            if let Some(Value::Object(request)) = input.get_mut("request") {
                // in place: no new key, and the path's buffer takes the template's text (was a
                // map of masked headers built anew, two keys and the template copied: 1.6k
                // instructions and 7 allocations a call more, docs/performance.md "Fourteenth
                // round")
                let path = request.get_mut("path").map(Value::take);
                let path = match (path, request.get("template")) {
                    (Some(Value::String(mut path)), Some(Value::String(template))) => {
                        path.clear();
                        path.push_str(template);
                        Value::String(path)
                    }
                    (_, template) => template.cloned().unwrap_or(Value::Null),
                };
                set_member(request, "path", path);
                match request.get_mut("headers") {
                    Some(h) => headers::mask_view(redactor, h),
                    None => set_member(request, "headers", Value::Null),
                }
            }
        }
        ViewKind::Grpc => {
            if let Some(meta) = input.get_mut("grpc").and_then(|g| g.get_mut("metadata")) {
                headers::mask_view(redactor, meta);
            }
        }
        ViewKind::Mcp => {
            if let Some(meta) = input.get_mut("mcp").and_then(|m| m.get_mut("meta")) {
                if let Some(masked) = redactor.redact_json(meta, &ActionPlan::mask_all()).value {
                    *meta = masked;
                }
            }
        }
    }
}

/// `map[key] = value`, a new key allocated only when the member is not there yet.
fn set_member(map: &mut serde_json::Map<String, Value>, key: &str, value: Value) {
    match map.get_mut(key) {
        Some(member) => *member = value,
        None => {
            map.insert(key.to_owned(), value);
        }
    }
}

/// Admit: kill switches, rate limits and the spend hold (shared state, so async), approval,
/// then the write-ahead decision record — it reaches the OS before any byte goes upstream.
/// A call refused here holds no spend.
pub async fn admit(
    rt: &Runtime,
    snap: &Snapshot,
    rec: &mut CallRecord,
    tool: Option<&Tool>,
    approval: Approval,
) -> Result<Option<SpendReservation>, Reject> {
    let approved = approval.presented.is_some();
    let (spend, over_budget) = match (tool, rec.principal.as_ref()) {
        (Some(tool), Some(principal)) => {
            let ruled = !snap.limits.rate.is_empty() || !snap.limits.spend.is_empty();
            let span = ruled
                .then(|| telemetry::stage(rec.span.as_deref(), attr::LIMITS_SPAN))
                .flatten();
            let held = limits::enforce(&rt.limiters, &snap.limits, principal, tool, approved).await;
            telemetry::end_stage(span, &held);
            rt.metrics
                .state_backend_up
                .set(i64::from(rt.state().healthy()));
            match held {
                // `on_exceed: require_approval`: the approval path below decides
                Err(rej) if rej.reason == Reason::ApprovalRequired => (None, Some(rej)),
                held => (shadowed(rec, held)?.flatten(), None),
            }
        }
        _ => (None, None),
    };
    // The seam where a human's decision plugs in (`require_approval: true`).
    let approved = match approve(rt, snap, rec, approval, over_budget).await {
        Ok(()) => Ok(()),
        Err(rej) => shadowed::<()>(rec, Err(rej)).map(|_| ()),
    };
    let admitted = match approved {
        Ok(()) => audit::write_ahead(rec).await,
        Err(rej) => Err(rej),
    };
    match admitted {
        Ok(()) => Ok(spend),
        Err(rej) => {
            if let Some(spend) = spend {
                spend.release().await;
            }
            Err(rej)
        }
    }
}

/// Approval: a call that needs a human goes on only with an approved request for this very
/// call, used once; otherwise its request is stored (or the pending one found), announced,
/// optionally held for, and the call refused `approval_required` with the request's id.
async fn approve(
    rt: &Runtime,
    snap: &Snapshot,
    rec: &mut CallRecord,
    approval: Approval,
    over_budget: Option<Reject>,
) -> Result<(), Reject> {
    let decision = rec.decision.as_ref();
    let needed = approval::needed(decision, over_budget.is_some());
    if !needed && approval.presented.is_none() {
        return Ok(());
    }
    let mut span = telemetry::stage(rec.span.as_deref(), attr::APPROVAL_SPAN);
    let started = std::time::Instant::now();
    // Boxed: the approval path's state (store, announce, hold) is ~5 KB, and inline it would
    // make every call's future that much larger — copied whole each time a layer moves it —
    // for a path few calls take.
    let approved = Box::pin(approve_needed(rt, snap, rec, approval, over_budget, needed)).await;
    if let Some(s) = span.as_mut() {
        let waited = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        s.set(KeyValue::new(
            attr::TOOLWALL_APPROVAL_WAIT_MS,
            i64::try_from(waited).unwrap_or(i64::MAX),
        ));
    }
    telemetry::end_stage(span, &approved);
    approved
}

/// [`approve`] for a call that needs an approval or presented one.
async fn approve_needed(
    rt: &Runtime,
    snap: &Snapshot,
    rec: &mut CallRecord,
    approval: Approval,
    over_budget: Option<Reject>,
    needed: bool,
) -> Result<(), Reject> {
    let decision = rec.decision.as_ref();
    let Approval {
        binding: Some(binding),
        presented,
    } = approval
    else {
        return Err(Reject::new(
            Reason::Internal,
            "no approval binding for the call",
        ));
    };
    let spec = &snap.approvals;
    let tier = if needed {
        approval::tier(spec, decision)?
    } else {
        ("", 0)
    };
    let decision_id = rec.decision_id.clone();
    // An approval presented with the call is used by it, once — also when policy, seeing it,
    // no longer asks for one.
    if let Some(req) = presented.filter(|r| approval::satisfies(r, tier.1)) {
        let used = approval::consume(rt.state(), &req.id, &binding, &decision_id).await?;
        rec.approval = Some(approval::record_doc(&used));
        let mut change = Change::new(ChangeKind::Used, used);
        change.used_by = Some(decision_id);
        rt.approval_changed(change).await;
        return Ok(());
    }
    // Shadow mode asks no human: the refusal is recorded as what enforce would have done.
    let mut reasons: Vec<String> = decision.map(|d| d.reasons.clone()).unwrap_or_default();
    if let Some(rej) = &over_budget {
        reasons.extend(rej.reasons());
    }
    if rec.mode == Mode::Shadow {
        let mut r = Reject::new(
            Reason::ApprovalRequired,
            "this call needs a human's approval",
        );
        r.policy_reasons = std::iter::once(Reason::ApprovalRequired.code().to_string())
            .chain(reasons)
            .collect();
        return Err(r);
    }
    let (Some(principal), Some(tool)) = (rec.principal.as_ref(), rec.tool.as_deref()) else {
        return Err(Reject::new(
            Reason::Internal,
            "call has no principal or tool",
        ));
    };
    let args = rec
        .input
        .as_ref()
        .map(|i| &i["args"])
        .unwrap_or(&Value::Null);
    let args_redacted = snap
        .redactor
        .redact_json(args, &ActionPlan::mask_all())
        .value
        .unwrap_or_else(|| args.clone());
    let now = rt.clock().now().timestamp();
    let ask = approval::Ask {
        binding: &binding,
        principal,
        tool,
        args_redacted,
        summary: summary(rec, tool),
        reasons: reasons.clone(),
        tier,
        policy_version: &rec.policy_version,
        decision_id: &decision_id,
        now,
        ttl: spec.ttl,
    };
    // subscribed before the request is announced, so a held call misses no vote
    let feed = (!spec.hold.is_zero()).then(|| rt.approvals.subscribe());
    let (req, created) = approval::store(rt.state(), ask.request()).await?;
    if created {
        rt.approval_changed(Change::new(ChangeKind::Requested, req.clone()))
            .await;
    }
    let Some(feed) = feed else {
        return Err(approval::required(&req, &reasons));
    };
    let clock = rt.clock().clone();
    let held = approval::hold(rt.state(), feed, &req.id, spec.hold, move || {
        clock.now().timestamp()
    })
    .await;
    match held {
        approval::Held::Approved(req) => {
            // Policy decides again, with the approval, as it would have on a retry: an
            // approval never bypasses the other rules.
            rec.keep_input();
            if let Some(mut input) = rec.input.take() {
                input["approval"] = approval::input_doc(&req);
                let known = std::mem::take(&mut rec.input_known);
                let decided = policy::evaluate_known(&snap.policy, input, known, &rt.metrics);
                rec.policy_result = rec
                    .audit
                    .is_some()
                    .then(|| policy::replayable_result(&decided.verdict));
                rec.input = Some(decided.input);
                rec.input_known = decided.known;
                rec.decision = Some(decided.verdict?);
            }
            let used = approval::consume(rt.state(), &req.id, &binding, &decision_id).await?;
            rec.approval = Some(approval::record_doc(&used));
            let mut change = Change::new(ChangeKind::Used, used);
            change.used_by = Some(decision_id);
            rt.approval_changed(change).await;
            Ok(())
        }
        approval::Held::Refused(rej) => Err(rej),
        approval::Held::StillPending => Err(approval::required(&req, &reasons)),
    }
}

/// One line approvers read first: what the call would do.
fn summary(rec: &CallRecord, tool: &str) -> String {
    match &rec.request {
        Some(r) => format!(
            "{tool}: {} {}",
            r["method"].as_str().unwrap_or_default(),
            r["path"].as_str().unwrap_or_default()
        ),
        None => tool.to_string(),
    }
}

/// In shadow mode (the call's: `rec.mode`) a refusal that can be shadowed is recorded (the
/// first one) and the call goes on: `Ok(None)`.
fn shadowed<T>(rec: &mut CallRecord, result: Result<T, Reject>) -> Result<Option<T>, Reject> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(rej) if rec.mode == Mode::Shadow && rej.reason.shadowable() => {
            rec.shadow.get_or_insert(rej);
            Ok(None)
        }
        Err(rej) => Err(rej),
    }
}

/// Set the decision header on an answer.
pub fn set_decision_header(headers: &mut ::http::HeaderMap, id: &str) {
    if let Ok(v) = HeaderValue::from_str(id) {
        headers.insert(DECISION_HEADER_NAME, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::Redactor;
    use crate::stage::record::CallRecord;
    use serde_json::json;

    /// The masking owed since `decide` is the one `decide` used to apply: the same document,
    /// applied once, and nothing without an input.
    #[test]
    fn keep_input_is_keep_for_audit_applied_once() {
        let redactor =
            Arc::new(Redactor::new(&crate::redact::RedactConfig::default()).expect("redactor"));
        let doc = json!({
            "args": {"email": "jane.doe@example.com"},
            "request": {
                "method": "POST",
                "path": "/v1/customers/jane.doe@example.com",
                "template": "/v1/customers/{id}",
                "headers": {"x-contact": "jane.doe@example.com", "accept": "*/*"},
            },
        });
        let mut expected = doc.clone();
        keep_for_audit(&redactor, &mut expected, ViewKind::Http);
        assert_ne!(expected, doc, "the view is masked");
        assert_eq!(expected["request"]["path"], "/v1/customers/{id}");
        assert_eq!(expected["args"], doc["args"], "args are not the view's");

        let mut rec = CallRecord::for_tests();
        rec.input = Some(doc.clone());
        rec.input_unkept = Some(Unkept {
            mask: keep_for_audit,
            kind: ViewKind::Http,
            redactor: redactor.clone(),
        });
        rec.keep_input();
        assert_eq!(rec.input.as_ref(), Some(&expected));
        assert!(rec.input_unkept.is_none());
        // owed once: a second read changes nothing
        rec.keep_input();
        assert_eq!(rec.input.as_ref(), Some(&expected));

        // nothing owed, nothing done
        let mut rec = CallRecord::for_tests();
        rec.input = Some(doc.clone());
        rec.keep_input();
        assert_eq!(rec.input, Some(doc));
    }

    /// The masking in place (`keep_for_audit`, `headers::mask_view`) gives the document the
    /// masking by copy gave (the previous code, kept here), on awkward views: members missing,
    /// not strings or not objects, a name holding an entity, two names masked to one, an
    /// escaped entity, an empty path, a template longer and shorter than the path.
    #[test]
    fn masking_in_place_is_the_masking_by_copy() {
        fn by_copy(redactor: &crate::redact::Redactor, input: &mut Value, kind: ViewKind) {
            match kind {
                ViewKind::Http => {
                    if let Some(Value::Object(request)) = input.get_mut("request") {
                        let template = request.get("template").cloned().unwrap_or(Value::Null);
                        request.insert("path".into(), template);
                        let masked = request
                            .get("headers")
                            .map_or(Value::Null, |h| masked_view_by_copy(redactor, h));
                        request.insert("headers".into(), masked);
                    }
                }
                ViewKind::Grpc => {
                    if let Some(meta) = input.get_mut("grpc").and_then(|g| g.get_mut("metadata")) {
                        *meta = masked_view_by_copy(redactor, meta);
                    }
                }
                ViewKind::Mcp => keep_for_audit(redactor, input, kind),
            }
        }
        fn masked_view_by_copy(redactor: &crate::redact::Redactor, view: &Value) -> Value {
            let plan = ActionPlan::mask_all();
            let Value::Object(map) = view else {
                return Value::Null;
            };
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                let text = v.as_str().unwrap_or("");
                let mut kept = redactor.redact_text(text, &plan).0.into_owned();
                if kept.contains('%') {
                    let decoded: Vec<u8> =
                        percent_encoding::percent_decode(kept.as_bytes()).collect();
                    if decoded != kept.as_bytes() {
                        let decoded = String::from_utf8_lossy(&decoded).into_owned();
                        let (again, findings) = redactor.redact_text(&decoded, &plan);
                        if !findings.is_empty() {
                            kept = again.into_owned();
                        }
                    }
                }
                out.insert(
                    redactor.redact_text(k, &plan).0.into_owned(),
                    Value::String(kept),
                );
            }
            Value::Object(out)
        }
        let redactor = Redactor::new(&crate::redact::RedactConfig::default()).expect("redactor");
        let views = [
            json!({"accept": "*/*", "content-type": "application/json"}),
            json!({"x-contact": "jane.doe@example.com", "accept": "*/*"}),
            json!({"x-who": "jane.doe%40example.com", "x-n": "%C3%A9", "x-bad": "%ff%"}),
            json!({"jane.doe@example.com": "1", "john.roe@example.org": "2", "a": "b"}),
            json!({"n": 1, "t": true, "z": null, "o": {"x": "jane.doe@example.com"}, "e": ""}),
            json!({}),
            json!("not an object"),
            json!(null),
        ];
        let requests = [
            json!({"path": "/v1/customers/jane.doe@example.com", "template": "/v1/customers/{id}"}),
            json!({"path": "/a", "template": "/a/very/long/template/{x}"}),
            json!({"path": "", "template": ""}),
            json!({"template": "/t"}),
            json!({"path": "/p"}),
            json!({"path": 7, "template": "/t"}),
            json!({"path": "/p", "template": ["/t"]}),
            json!({}),
        ];
        let mut cases = 0;
        for request in &requests {
            for view in &views {
                let mut with_headers = request.clone();
                with_headers["headers"] = view.clone();
                for request in [request.clone(), with_headers] {
                    let doc = json!({"request": request, "grpc": {"metadata": view}, "v": 1});
                    for kind in [ViewKind::Http, ViewKind::Grpc] {
                        let (mut in_place, mut by) = (doc.clone(), doc.clone());
                        keep_for_audit(&redactor, &mut in_place, kind);
                        by_copy(&redactor, &mut by, kind);
                        assert_eq!(in_place, by, "{doc}");
                        cases += 1;
                    }
                }
            }
        }
        assert_eq!(cases, requests.len() * views.len() * 4);
        for doc in [json!({"request": "not an object"}), json!({"v": 1})] {
            let (mut in_place, mut by) = (doc.clone(), doc.clone());
            keep_for_audit(&redactor, &mut in_place, ViewKind::Http);
            by_copy(&redactor, &mut by, ViewKind::Http);
            assert_eq!(in_place, by);
        }
        // the masking did something: a name and a value masked, the path the template
        let mut doc = json!({"request": {"path": "/x", "template": "/{t}", "headers": views[3]}});
        keep_for_audit(&redactor, &mut doc, ViewKind::Http);
        assert_eq!(doc["request"]["path"], "/{t}");
        assert_eq!(doc["request"]["headers"], json!({"[EMAIL]": "2", "a": "b"}));
    }
}
