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

pub mod headers;
pub mod http;
pub mod mcp;
pub mod reject;
mod runtime;

use std::sync::Arc;

use ::http::{HeaderValue, Request, Response};
use hyper::body::Incoming;
use serde_json::Value;

use crate::config::raw::{AdapterKind, Mode};
use crate::config::{Adapter, Snapshot, Tool};
use crate::redact::ActionPlan;
use crate::stage::limits::{self, SpendReservation};
use crate::stage::policy::RequestFacts;
use crate::stage::record::CallRecord;
use crate::stage::{approval, audit, policy, redact, schema};
use reject::{Reason, Reject};

pub use crate::body::{full, read_body, ResBody};
pub use runtime::Runtime;

pub const DECISION_HEADER: &str = "toolwall-decision-id";

/// Accept: one agent request, handed to the front end of its adapter's protocol. The call's
/// record, and the guard that writes it on every exit, starts here.
pub async fn handle(rt: &Arc<Runtime>, req: Request<Incoming>) -> Response<ResBody> {
    let snap = rt.snapshot.load_full();
    let (parts, body) = req.into_parts();
    let (traceparent, trace_id) = http::traceparent(&parts.headers);
    let mut rec = CallRecord::new(rt.metrics.clone(), &snap, trace_id, rt.audit_hook(&snap));
    let route = match crate::protocol::http::route(&snap, &parts.method, &parts.uri) {
        Ok(r) => r,
        Err(rej) => return http::refuse(&mut rec, rej),
    };
    let adapter = &snap.adapters[route.adapter];
    rec.set_adapter(adapter);
    match adapter.kind {
        AdapterKind::Http => http::run(rt, &snap, rec, &parts, body, &route, traceparent).await,
        AdapterKind::Mcp => {
            let (idx, path) = (route.adapter, route.path.to_string());
            let at = (idx, path.as_str());
            mcp::run(rt, snap.clone(), rec, parts, body, at, traceparent).await
        }
        // config refuses `kind: grpc` until its front end exists
        AdapterKind::Grpc => http::refuse(
            &mut rec,
            Reject::new(Reason::Internal, "no front end serves gRPC adapters"),
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
/// redactions. In shadow mode a refusal these stages would make is recorded and the call goes
/// on as the agent sent it.
pub async fn decide_and_admit<T>(
    rt: &Runtime,
    snap: &Snapshot,
    rec: &mut CallRecord,
    call: Call<'_>,
    encode: impl FnOnce(Args<'_>, Option<&ActionPlan>, &mut Vec<Value>) -> Result<T, Reject>,
) -> Result<Admitted<T>, Reject> {
    let tool = call.tool;
    let as_sent = (rec.mode == Mode::Shadow).then(|| call.args.clone());
    let (plan, as_sent) = match decide(rt, snap, rec, call) {
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
    let args = match (&as_sent, &rec.input) {
        (Some(original), _) => Args::AsSent(original),
        (None, Some(input)) => Args::Decided(&input["args"]),
        (None, None) => return Err(Reject::new(Reason::Internal, "decided call has no input")),
    };
    let forward = encode(args, plan.as_ref(), &mut rec.redactions)?;
    let spend = admit(rt, snap, rec, Some(tool)).await?;
    Ok(Admitted {
        forward,
        plan,
        spend,
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
    decide(rt, snap, rec, call)?;
    rec.decision.as_ref().map(approval::check).transpose()?;
    Ok(())
}

/// schema → PII scan → policy → redaction of the arguments. What each stage returns goes into
/// the call's record (the audit record is built from it); the redaction plan is returned.
fn decide(
    rt: &Runtime,
    snap: &Snapshot,
    rec: &mut CallRecord,
    call: Call<'_>,
) -> Result<Option<ActionPlan>, Reject> {
    let Call {
        adapter,
        tool,
        schema_tool,
        args,
        facts,
        view,
    } = call;
    schema::check_schema(schema_tool, &args)?;

    let (findings, mut pii_found) = redact::scan_args(&snap.redactor, &args);
    rec.pii_findings = findings;
    if let View::Http { pii_found: h, .. } = &view {
        pii_found.extend(h.iter().cloned());
        pii_found.sort();
        pii_found.dedup();
    }

    let Some(principal) = rec.principal.as_ref() else {
        return Err(Reject::new(Reason::Internal, "call has no principal"));
    };
    let mut input =
        policy::build_input(rec.mode, principal, adapter, tool, args, pii_found, &facts);
    input["usage"] = limits::usage_doc(rt.state().as_ref(), &snap.limits, principal, facts.now);
    match &view {
        View::Http {
            template, headers, ..
        } => {
            input["request"]["template"] = Value::String(template.to_string());
            input["request"]["headers"] = headers.clone();
        }
        View::Mcp(mcp) => input["mcp"] = mcp.clone(),
    }
    let decided = policy::evaluate(&snap.policy, input, &rt.metrics);
    rec.policy_result = Some(decided.result);
    let mut input = decided.input;
    keep_for_audit(&snap.redactor, &mut input, &view);
    let input = rec.input.insert(input);
    let decision = &*rec.decision.insert(decided.verdict?);

    // Redact what policy named before anything is forwarded; the upstream gets the result.
    let plan = redact::plan_for(decision)?;
    if let Some(plan) = &plan {
        let found = redact::redact_args(&snap.redactor, &mut input["args"], plan, &rt.metrics)?;
        rec.redactions = audit::redaction_entries(&snap.redactor, &found, &rec.pii_findings);
    }
    Ok(plan)
}

/// What the audit record keeps of the policy input: the template, never the path as sent (its
/// parameters are in `args`, redacted as `audit.args` says); headers and `_meta` with every
/// entity masked.
fn keep_for_audit(redactor: &crate::redact::Redactor, input: &mut Value, view: &View<'_>) {
    match view {
        View::Http {
            template, headers, ..
        } => {
            input["request"]["path"] = Value::String(template.to_string());
            input["request"]["headers"] = headers::masked_view(redactor, headers);
        }
        View::Mcp(_) => {
            if let Some(meta) = input.pointer_mut("/mcp/meta") {
                if let Some(masked) = redactor.redact_json(meta, &ActionPlan::mask_all()).value {
                    *meta = masked;
                }
            }
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
) -> Result<Option<SpendReservation>, Reject> {
    let spend = match (tool, rec.principal.as_ref()) {
        (Some(tool), Some(principal)) => {
            let held = limits::enforce(&rt.limiters, &snap.limits, principal, tool).await;
            rt.metrics
                .state_backend_up
                .set(i64::from(rt.state().healthy()));
            shadowed(rec, held)?.flatten()
        }
        _ => None,
    };
    // The seam where a human's decision plugs in (`require_approval: true`).
    let approved = rec.decision.as_ref().map(approval::check).transpose();
    let admitted = match shadowed(rec, approved) {
        Ok(_) => audit::write_ahead(rec).await,
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
        headers.insert(DECISION_HEADER, v);
    }
}
