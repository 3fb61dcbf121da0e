//! Audit: the `decision` and `outcome` records of one call (PRODUCT.md §8).
//!
//! `input_hmac` is an HMAC-SHA256 over the exact canonical arguments; `args` (with the rest of
//! the replayable policy `input`) keep the arguments as `audit.args` says — `redacted` (the
//! default: PII and secrets masked, every other value as sent), `hashed` (string leaves as HMAC
//! tokens), `encrypted` (sealed to the auditor's key) or `none`. Numbers beyond ±2^53 are
//! written as strings listed in `big_numbers`, so no argument can make a record unwritable.

use serde_json::{json, Value};

use crate::audit::sink::{ArgsDone, ArgsWork, Body, DecisionBody, KeepArgs, OutcomeBody, Prebuilt};
use crate::config::raw::AuditArgs;
use crate::pipeline::reject::{Reason, Reject};
use crate::redact::{ActionPlan, Redactor};
use crate::stage::record::{CallRecord, Outcome};
use crate::stage::redact::mask_findings;

/// When a decision record is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Ahead of forwarding: the call is allowed (or forwarded in shadow mode).
    Forwarding,
    /// When the call ended without being forwarded: refused or abandoned.
    Final,
}

/// What the record says was decided, for the phase it is written in: `decision`, `status`,
/// `reason` and `reasons`.
fn verdict(
    phase: Phase,
    outcome: Option<&Outcome>,
) -> (&'static str, Option<u16>, Option<&'static str>, Vec<String>) {
    match (phase, outcome) {
        (Phase::Forwarding, _)
        | (Phase::Final, Some(Outcome::Forwarded { .. } | Outcome::DryRun)) => {
            ("allow", None, None, Vec::new())
        }
        (Phase::Final, Some(Outcome::Refused(rej))) => (
            rej.reason.decision_label(),
            Some(rej.reason.response_class().0.as_u16()),
            Some(rej.reason.code()),
            rej.reasons(),
        ),
        (Phase::Final, None) => (
            "error",
            Some(499),
            Some("aborted"),
            vec!["aborted".to_string()],
        ),
    }
}

/// The `decision` record: who acted, which tool, what policy said, what the agent got.
/// Takes the policy input out of `ctx` (it is not needed after this record); in the
/// [`Phase::Final`] record (the call's last use of its record) the other parts are moved in
/// too, ahead of forwarding they are copied. The arguments' part (`input_hmac`, `args` or
/// `args_sealed`, and `big_numbers`) is left to the writer thread ([`ArgsWork`]): hand both to
/// the sink together.
pub fn decision_record(
    ctx: &mut CallRecord,
    args_mode: AuditArgs,
    redactor: &Redactor,
    phase: Phase,
) -> (DecisionBody, Option<ArgsWork>) {
    decision_parts(ctx, args_mode, redactor, phase, phase == Phase::Final)
}

/// The call's decision record as handed to the writer: its arguments completed by `finish`
/// (`input_hmac`, what `audit.args` keeps) and the whole record written as its canonical line
/// here, on the request thread ([`Prebuilt`]), where its parts are hot and are freed where
/// they were allocated. Ahead of forwarding the call's parts are lent to the record and put
/// back (no copy); a record the line cannot hold (a number beyond ±2^53) goes typed, copied
/// ahead of forwarding. Measured in docs/performance.md ("Seventh round").
pub fn decision_body(
    ctx: &mut CallRecord,
    args_mode: AuditArgs,
    redactor: &Redactor,
    phase: Phase,
    finish: impl FnOnce(ArgsWork) -> ArgsDone,
) -> Body {
    let (mut body, work) = decision_parts(ctx, args_mode, redactor, phase, true);
    if let Some(work) = work {
        body.args = Some(finish(work));
    }
    let line = Prebuilt::decision(&body);
    let lent = phase == Phase::Forwarding;
    match line {
        Some(line) => {
            // the policy input is read by nothing now: its copies of the shared parts go to the
            // next call's input, as at the end of a call audit does not record
            crate::stage::policy::give_back(body.input.take(), &body.input_known);
            // the arguments' tree, read by nothing now (the line holds their bytes): the next
            // parse's spare on this thread, as at the end of a call audit does not record
            if ctx.args_spare {
                if let Some(args) = body.args.as_mut().and_then(ArgsDone::take_tree) {
                    crate::stage::args::give_back_tree(args, &body.config_version);
                }
            }
            if lent {
                put_back(ctx, body);
            }
            Body::Prebuilt(line)
        }
        None if lent => {
            let copy = body.clone();
            put_back(ctx, body);
            Body::Decision(Box::new(copy))
        }
        None => Body::Decision(Box::new(body)),
    }
}

/// The outcome record as handed to the writer: its canonical line ([`decision_body`]).
pub fn outcome_body(ctx: &mut CallRecord) -> Body {
    let body = outcome_record(ctx);
    match Prebuilt::outcome(&body) {
        Some(line) => Body::Prebuilt(line),
        None => Body::Outcome(Box::new(body)),
    }
}

/// The parts [`decision_parts`] moved out of `ctx` put back (ahead of forwarding the call
/// goes on with them). `input` stays taken, as when copying: nothing reads it afterwards.
fn put_back(ctx: &mut CallRecord, body: DecisionBody) {
    let DecisionBody {
        decision_id,
        trace_id,
        run_id,
        agent,
        tenant_id,
        workflow,
        principal_source: _,
        adapter,
        tool,
        schema,
        request,
        config_version,
        mode: _,
        dry_run: _,
        approval,
        redactions,
        mcp,
        grpc,
        idempotency,
        decision: _,
        status: _,
        reason: _,
        reasons: _,
        shadow_would_refuse: _,
        policy_version,
        policy_digest,
        policy_result,
        input: _,
        input_known: _,
        latency_us: _,
        args: _,
    } = body;
    ctx.decision_id = decision_id;
    ctx.trace_id = trace_id;
    if let Some(p) = ctx.principal.as_mut() {
        p.run_id = run_id;
        p.agent = agent.unwrap_or_default();
        p.tenant = tenant_id;
        p.workflow = workflow;
    }
    ctx.adapter = adapter;
    ctx.tool = tool;
    ctx.schema = schema;
    ctx.request = request;
    ctx.config_version = config_version;
    ctx.approval = approval;
    ctx.redactions = redactions;
    ctx.extra = mcp;
    ctx.grpc = grpc;
    ctx.idempotency = idempotency;
    ctx.policy_version = policy_version;
    ctx.policy_digest = policy_digest;
    ctx.policy_result = policy_result;
}

/// [`decision_record`], the parts moved out of `ctx` (`last`) or copied.
fn decision_parts(
    ctx: &mut CallRecord,
    args_mode: AuditArgs,
    redactor: &Redactor,
    phase: Phase,
    last: bool,
) -> (DecisionBody, Option<ArgsWork>) {
    // (before the parts it reads are moved into the record)
    let mut work = None;
    let mut input = None;
    let input_known = std::mem::take(&mut ctx.input_known);
    ctx.keep_input();
    if let Some(mut doc) = ctx.input.take() {
        let args = doc
            .as_object_mut()
            .and_then(|m| m.remove("args"))
            .unwrap_or(Value::Null);
        let keep = keep_args(ctx, args_mode, redactor, &args);
        if args_mode != AuditArgs::None {
            input = Some(doc);
        }
        work = Some(ArgsWork {
            args,
            keep,
            canonical: ctx.args_canonical.take(),
        });
    }
    let (decision, status, reason, reasons) = verdict(phase, ctx.outcome.as_ref());
    let p = ctx.principal.as_mut();
    let (run_id, agent, tenant_id, workflow, principal_source) = match p {
        Some(p) if last => (
            p.run_id.take(),
            Some(std::mem::take(&mut p.agent)),
            p.tenant.take(),
            p.workflow.take(),
            Some(p.source),
        ),
        Some(p) => (
            p.run_id.clone(),
            Some(p.agent.clone()),
            p.tenant.clone(),
            p.workflow.clone(),
            Some(p.source),
        ),
        None => (None, None, None, None, None),
    };
    let mut r = DecisionBody {
        decision_id: moved(&mut ctx.decision_id, last),
        trace_id: moved(&mut ctx.trace_id, last),
        run_id,
        agent,
        tenant_id,
        workflow,
        principal_source,
        adapter: moved(&mut ctx.adapter, last),
        tool: moved(&mut ctx.tool, last),
        schema: moved(&mut ctx.schema, last),
        request: moved(&mut ctx.request, last),
        config_version: moved(&mut ctx.config_version, last),
        mode: ctx.mode.as_str(),
        dry_run: ctx.dry_run,
        approval: moved(&mut ctx.approval, last),
        redactions: moved(&mut ctx.redactions, last),
        mcp: moved(&mut ctx.extra, last),
        grpc: moved(&mut ctx.grpc, last),
        idempotency: moved(&mut ctx.idempotency, last),
        decision,
        status,
        reason,
        reasons,
        shadow_would_refuse: ctx.shadow.as_ref().map(Reject::reasons),
        policy_version: moved(&mut ctx.policy_version, last),
        policy_digest: moved(&mut ctx.policy_digest, last),
        policy_result: moved(&mut ctx.policy_result, last),
        input,
        input_known,
        latency_us: 0,
        args: None,
    };
    r.latency_us = ctx.started.elapsed().as_micros() as u64;
    (r, work)
}

/// `field` moved out (the record's last use) or copied.
fn moved<T: Clone + Default>(field: &mut T, take: bool) -> T {
    if take {
        std::mem::take(field)
    } else {
        field.clone()
    }
}

/// What `audit.args` keeps of the arguments (`input_hmac` and the rest are computed by the
/// writer thread).
fn keep_args(
    ctx: &CallRecord,
    args_mode: AuditArgs,
    redactor: &Redactor,
    args: &Value,
) -> KeepArgs {
    match args_mode {
        // What replay needs: the policy input (args in the top-level `args` field, as
        // hashed), with `now` and `usage` as they were.
        AuditArgs::Hashed => KeepArgs::Hashed,
        AuditArgs::Encrypted => KeepArgs::Sealed,
        AuditArgs::Redacted => {
            // Mask every entity, whatever the call's plan: the audit never holds PII.
            // The scan made for `input.pii.found` is reused unless the arguments were
            // rewritten since (then they are scanned again).
            if ctx.pii_findings.is_empty() && ctx.redactions.is_empty() {
                KeepArgs::AsSent
            } else if ctx.redactions.is_empty() {
                KeepArgs::Masked(mask_findings(redactor, args, &ctx.pii_findings))
            } else if ctx.args_masked_for_audit {
                // the plan masked every finding as mask-all would: already what the audit
                // keeps (a second walk over masked text finds nothing; tested)
                KeepArgs::AsSent
            } else {
                match redactor.redact_json(args, &ActionPlan::mask_all()).value {
                    Some(masked) => KeepArgs::Masked(masked),
                    None => KeepArgs::AsSent,
                }
            }
        }
        AuditArgs::None => KeepArgs::Omit,
    }
}

/// The `outcome` record of a forwarded (or dry-run) call, linked by `decision_id`: the call's
/// last use of its record, so its parts are moved in.
pub fn outcome_record(ctx: &mut CallRecord) -> OutcomeBody {
    let mut r = OutcomeBody {
        decision_id: std::mem::take(&mut ctx.decision_id),
        tool: ctx.tool.take(),
        mcp: ctx.extra.take(),
        grpc: ctx.grpc.take(),
        idempotency: ctx.idempotency.take(),
        upstream_latency_us: ctx.upstream_latency_us,
        cost_usd: ctx.cost_usd,
        ..OutcomeBody::default()
    };
    match &ctx.outcome {
        Some(Outcome::Forwarded { status }) => r.status = *status,
        Some(Outcome::DryRun) => {
            r.status = 200;
            r.dry_run = true;
        }
        Some(Outcome::Refused(rej)) => {
            r.status = rej.reason.response_class().0.as_u16();
            r.error = Some(rej.reason.code());
            // what was wrong with the tool's answer (pointer and rule, never its values)
            if !rej.violations.is_empty() {
                r.violations = Some(json!(rej.violations));
            }
        }
        None => {
            r.status = 499;
            r.error = Some("aborted");
        }
    }
    r.latency_us = ctx.started.elapsed().as_micros() as u64;
    r
}

/// The record's `redactions` for what redaction changed in the arguments: `{path, entity}`
/// (plus `key: true` for a member name). Paths go to the audit stream: when a member name
/// holds PII (`findings`, the scan of the arguments as sent), the paths are masked too (names
/// the plan redacted already appear redacted).
pub fn redaction_entries(
    redactor: &Redactor,
    redacted: &[crate::redact::Finding],
    findings: &[crate::redact::Finding],
) -> Vec<Value> {
    let keyed = findings.iter().any(|f| f.key);
    redacted
        .iter()
        .map(|f| {
            let path = match &f.pointer {
                Some(p) if keyed => Some(redactor.mask_pointer(p)),
                p => p.clone(),
            };
            let mut r = json!({"path": path, "entity": f.entity.name()});
            if f.key {
                r["key"] = Value::Bool(true);
            }
            r
        })
        .collect()
}

/// The write-ahead decision record of an admitted call: it reaches the OS before any byte goes
/// upstream. A record that cannot be encoded is replaced by a minimal refusal record (the
/// call is refused `internal_error`); a stream that cannot be written refuses the call
/// `audit_unavailable`. Either way the outcome record follows when the call ends.
pub async fn write_ahead(rec: &mut CallRecord) -> Result<(), Reject> {
    let Some(hook) = &rec.audit else {
        return Ok(());
    };
    let (sink, args_mode, redactor) = (hook.sink.clone(), hook.args, hook.redactor.clone());
    let body = decision_body(rec, args_mode, &redactor, Phase::Forwarding, |w| {
        sink.finish_args(w)
    });
    match sink
        .write_ahead_body(crate::audit::Kind::Decision, body, None)
        .await
    {
        Ok(_) => {
            rec.written_ahead = true;
            Ok(())
        }
        Err(e @ crate::audit::sink::SinkError::Invalid { .. }) => {
            rec.written_ahead = true;
            Err(Reject::new(
                Reason::Internal,
                format!("the call's audit record could not be written ({e}); the call was not forwarded"),
            ))
        }
        Err(e) => Err(Reject::new(
            Reason::AuditUnavailable,
            format!("the audit stream cannot be written ({e}); the call was not forwarded"),
        )),
    }
}

#[cfg(test)]
mod tests {
    /// The map records as the request path built them before the typed records (moved here
    /// from `decision_record` / `outcome_record`, only the measured latency made a parameter):
    /// the reference the typed records' bytes are held to.
    mod reference {
        use serde_json::{json, Map, Value};

        use super::super::*;
        use crate::audit::record::normalize_numbers;

        /// The `decision` record: who acted, which tool, what policy said, what the agent got.
        /// Takes the policy input out of `ctx` (it is not needed after this record). The arguments'
        /// part (`input_hmac`, `args` or `args_sealed`, and `big_numbers`) is left to the writer
        /// thread ([`ArgsWork`]): hand both to the sink together.
        pub fn decision_record(
            ctx: &mut CallRecord,
            args_mode: AuditArgs,
            redactor: &Redactor,
            phase: Phase,
            latency_us: u64,
        ) -> (Map<String, Value>, Option<ArgsWork>) {
            let mut r = Map::new();
            r.insert("decision_id".into(), json!(ctx.decision_id));
            r.insert("trace_id".into(), json!(ctx.trace_id));
            let p = ctx.principal.as_ref();
            r.insert("run_id".into(), json!(p.and_then(|p| p.run_id.clone())));
            r.insert("agent".into(), json!(p.map(|p| p.agent.clone())));
            r.insert("tenant_id".into(), json!(p.and_then(|p| p.tenant.clone())));
            r.insert("workflow".into(), json!(p.and_then(|p| p.workflow.clone())));
            r.insert("principal_source".into(), json!(p.map(|p| p.source)));
            r.insert("adapter".into(), json!(ctx.adapter));
            r.insert("tool".into(), json!(ctx.tool));
            r.insert("schema".into(), json!(ctx.schema));
            r.insert("request".into(), ctx.request.clone().unwrap_or(Value::Null));
            r.insert("config_version".into(), json!(ctx.config_version));
            r.insert("mode".into(), json!(ctx.mode.as_str()));
            if ctx.dry_run {
                // the tool is `dry_run`: this call was not forwarded, whatever was decided
                r.insert("dry_run".into(), json!(true));
            }
            r.insert(
                "approvals".into(),
                json!(ctx.approval.as_ref().map(|a| vec![a]).unwrap_or_default()),
            );
            r.insert("redactions".into(), json!(ctx.redactions));
            if let Some(extra) = &ctx.extra {
                r.insert("mcp".into(), extra.clone());
            }
            if let Some(grpc) = &ctx.grpc {
                r.insert("grpc".into(), grpc.clone());
            }
            idempotency_fields(ctx, &mut r);
            let (decision, status, reason, reasons) = verdict(phase, ctx.outcome.as_ref());
            r.insert("decision".into(), json!(decision));
            r.insert("status".into(), json!(status));
            r.insert("reason".into(), json!(reason));
            r.insert("reasons".into(), json!(reasons));
            if let Some(shadow) = &ctx.shadow {
                r.insert("shadow_would_refuse".into(), json!(shadow.reasons()));
            }
            let mut policy = Map::new();
            policy.insert("version".into(), json!(ctx.policy_version));
            policy.insert("digest".into(), json!(ctx.policy_digest));
            if let Some(result) = &ctx.policy_result {
                policy.insert("result".into(), result.clone());
            }
            r.insert("policy".into(), Value::Object(policy));
            let mut work = None;
            ctx.keep_input();
            if let Some(mut input) = ctx.input.take() {
                let args = input
                    .as_object_mut()
                    .and_then(|m| m.remove("args"))
                    .unwrap_or(Value::Null);
                // `input_hmac` and what `audit.args` keeps are computed by the writer thread.
                let keep = match args_mode {
                    // What replay needs: the policy input (args in the top-level `args` field, as
                    // hashed), with `now` and `usage` as they were.
                    AuditArgs::Hashed => KeepArgs::Hashed,
                    AuditArgs::Encrypted => KeepArgs::Sealed,
                    AuditArgs::Redacted => {
                        // Mask every entity, whatever the call's plan: the audit never holds PII.
                        // The scan made for `input.pii.found` is reused unless the arguments were
                        // rewritten since (then they are scanned again).
                        if ctx.pii_findings.is_empty() && ctx.redactions.is_empty() {
                            KeepArgs::AsSent
                        } else if ctx.redactions.is_empty() {
                            KeepArgs::Masked(mask_findings(redactor, &args, &ctx.pii_findings))
                        } else if ctx.args_masked_for_audit {
                            // the plan masked every finding as mask-all would: already what the audit
                            // keeps (a second walk over masked text finds nothing; tested)
                            KeepArgs::AsSent
                        } else {
                            match redactor.redact_json(&args, &ActionPlan::mask_all()).value {
                                Some(masked) => KeepArgs::Masked(masked),
                                None => KeepArgs::AsSent,
                            }
                        }
                    }
                    AuditArgs::None => KeepArgs::Omit,
                };
                if args_mode != AuditArgs::None {
                    r.insert("input".into(), input);
                }
                work = Some(ArgsWork {
                    args,
                    keep,
                    canonical: None,
                });
            }
            r.insert("latency_us".into(), json!(latency_us));
            if work.is_none() {
                // otherwise the writer does it once the arguments are in
                normalize_numbers(&mut r);
            }
            (r, work)
        }

        /// The `outcome` record of a forwarded (or dry-run) call, linked by `decision_id`.
        pub fn outcome_record(ctx: &CallRecord, latency_us: u64) -> Map<String, Value> {
            let mut r = Map::new();
            r.insert("decision_id".into(), json!(ctx.decision_id));
            r.insert("tool".into(), json!(ctx.tool));
            match &ctx.outcome {
                Some(Outcome::Forwarded { status }) => {
                    r.insert("status".into(), json!(status));
                }
                Some(Outcome::DryRun) => {
                    r.insert("status".into(), json!(200));
                    r.insert("dry_run".into(), json!(true));
                }
                Some(Outcome::Refused(rej)) => {
                    r.insert(
                        "status".into(),
                        json!(rej.reason.response_class().0.as_u16()),
                    );
                    r.insert("error".into(), json!(rej.reason.code()));
                    // what was wrong with the tool's answer (pointer and rule, never its values)
                    if !rej.violations.is_empty() {
                        r.insert("violations".into(), json!(rej.violations));
                    }
                }
                None => {
                    r.insert("status".into(), json!(499));
                    r.insert("error".into(), json!("aborted"));
                }
            }
            if let Some(extra) = &ctx.extra {
                r.insert("mcp".into(), extra.clone());
            }
            if let Some(grpc) = &ctx.grpc {
                r.insert("grpc".into(), grpc.clone());
            }
            idempotency_fields(ctx, &mut r);
            r.insert("upstream_latency_us".into(), json!(ctx.upstream_latency_us));
            r.insert("cost_usd".into(), json!(ctx.cost_usd));
            r.insert("latency_us".into(), json!(latency_us));
            normalize_numbers(&mut r);
            r
        }

        /// `idempotency` (key hash and source) of a tool with idempotent writes, and
        /// `idempotent_replay: true` when the agent got a stored answer instead of a forwarded call.
        fn idempotency_fields(ctx: &CallRecord, r: &mut Map<String, Value>) {
            if let Some(idem) = &ctx.idempotency {
                if idem.get("replay").and_then(Value::as_bool) == Some(true) {
                    r.insert("idempotent_replay".into(), Value::Bool(true));
                }
                r.insert("idempotency".into(), idem.clone());
            }
        }
    }

    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::redact::{ActionPlan, RedactConfig, Redactor};

    /// The audit keeps arguments the plan rewrote as they are when [`Redactor::acted_as_mask_all`]
    /// says the plan did what mask-all would: they must then be mask-all of the arguments as
    /// sent — what the audit keeps when no plan rewrote them. Over the held-out sample, several
    /// plans and redactors (config overrides, placeholders masked or not).
    #[test]
    fn arguments_a_plan_masked_as_mask_all_would_are_mask_all_of_what_was_sent() {
        let sample = include_str!("../redact/tests/heldout_sample.jsonl");
        let mut docs = vec![json!({
            "customer": {"email": "jane@example.com", "phone": "+44 20 7946 0958"},
            "card": 4111111111111111u64, "note": "my password is Tr0ub4dor&3 ok",
            "key": "AKIAIOSFODNN7EXAMPLE", "ip": "10.1.2.3", "items": [{"ssn": "123-45-6789"}],
            "a/b~c": "bob@example.org and alice@example.org", "n": -5})];
        for line in sample.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("sample line");
            docs.push(json!({"text": v["text"].clone(), "nested": [{"body": v["text"].clone()}]}));
        }
        let redactors = [
            RedactConfig {
                hmac_key: Some("k".into()),
                ..RedactConfig::default()
            },
            RedactConfig {
                hmac_key: Some("k".into()),
                mask_placeholders: true,
                actions: BTreeMap::from([("EMAIL".to_string(), crate::redact::Action::Hash)]),
                ..RedactConfig::default()
            },
        ]
        .map(|c| Redactor::new(&c).unwrap_or_else(|e| panic!("{e}")));
        let plans: Vec<ActionPlan> = [
            vec!["email"],
            vec!["pii"],
            vec!["all"],
            vec!["secrets", "phone:hash"],
            vec!["email", "card:partial"],
        ]
        .iter()
        .map(|p| ActionPlan::from_names(p).unwrap_or_else(|e| panic!("{p:?}: {e}")))
        .chain([ActionPlan::mask_all()])
        .collect();
        let (mut kept, mut walked, mut rescan_differs) = (0, 0, 0);
        for r in &redactors {
            for doc in &docs {
                let scanned = r.scan_json(doc);
                if scanned.is_empty() {
                    continue;
                }
                for plan in &plans {
                    let mut rewritten = doc.clone();
                    let found = match r.redact_scanned_in_place(&mut rewritten, plan, &scanned) {
                        Some((found, _)) => found,
                        None => r.redact_json_in_place(&mut rewritten, plan).0,
                    };
                    if r.acted_as_mask_all(&found) {
                        kept += 1;
                        // what the audit keeps is mask-all of the arguments as sent — as when
                        // no plan rewrote them (`mask_findings`)
                        let masked = r.redact_json(doc, &ActionPlan::mask_all()).value;
                        assert_eq!(rewritten, masked.unwrap_or_else(|| doc.clone()), "{doc}");
                        if r.redact_json(&rewritten, &ActionPlan::mask_all())
                            .value
                            .is_some()
                        {
                            rescan_differs += 1;
                        }
                    } else {
                        walked += 1;
                    }
                }
            }
        }
        // The walk this replaces rescanned masked text, where a mask such as `[PHONE]` reads
        // as phone context: it masked look-alikes the scan of what was sent did not find
        // (`lot [PHONE]; part no. 791 209 6196`), ~7 % of these cases.
        assert!(
            kept > 500 && walked > 500 && rescan_differs < kept / 5,
            "{kept} kept, {walked} walked, {rescan_differs} differ from a rescan"
        );
    }

    fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    /// Strings with the awkward cases: escapes, non-ASCII, non-BMP.
    fn text(next: &mut dyn FnMut() -> u64) -> String {
        const PARTS: &[&str] = &[
            "a",
            "payments",
            ".",
            "create_refund",
            "\"",
            "\\",
            "\n",
            "\u{1}",
            "é",
            "€",
            "😀",
            "\u{e000}",
            " ",
            "/",
            "jane@example.com",
        ];
        (0..next() % 6)
            .map(|_| PARTS[(next() % PARTS.len() as u64) as usize])
            .collect()
    }

    fn opt_text(next: &mut dyn FnMut() -> u64) -> Option<String> {
        (!next().is_multiple_of(3)).then(|| text(next))
    }

    /// A nested document, sometimes holding a number beyond ±2^53 (written as a string in
    /// `big_numbers` on the rare path).
    fn doc(next: &mut dyn FnMut() -> u64, depth: u32) -> Value {
        match next() % if depth > 2 { 6 } else { 8 } {
            0 => Value::Null,
            1 => Value::Bool(next().is_multiple_of(2)),
            2 => json!(next() % 100_000),
            3 => match next() % 8 {
                0 => json!(9_007_199_254_740_993u64),
                1 => json!(-1e300),
                2 => json!(0.1),
                _ => json!(-((next() % 1000) as i64)),
            },
            4 | 5 => Value::String(text(next)),
            6 => Value::Array((0..next() % 3).map(|_| doc(next, depth + 1)).collect()),
            _ => Value::Object(
                (0..next() % 4)
                    .map(|_| (text(next), doc(next, depth + 1)))
                    .collect(),
            ),
        }
    }

    fn opt_doc(next: &mut dyn FnMut() -> u64) -> Option<Value> {
        (next().is_multiple_of(2)).then(|| doc(next, 1))
    }

    const REASONS: &[Reason] = &[
        Reason::PolicyDenied,
        Reason::PolicyUndefined,
        Reason::SchemaInvalid,
        Reason::UnknownTool,
        Reason::RateLimited,
        Reason::BudgetExceeded,
        Reason::KillSwitch,
        Reason::Internal,
        Reason::AuditUnavailable,
        Reason::Unauthenticated,
    ];

    fn reject(next: &mut dyn FnMut() -> u64) -> Reject {
        let mut r = Reject::new(
            REASONS[(next() % REASONS.len() as u64) as usize],
            text(next),
        );
        if next().is_multiple_of(2) {
            r.policy_reasons = (0..next() % 3).map(|_| text(next)).collect();
        }
        if next().is_multiple_of(3) {
            r.violations = (0..1 + next() % 2)
                .map(|_| crate::pipeline::reject::Violation {
                    instance_path: text(next),
                    message: text(next),
                })
                .collect();
        }
        r
    }

    /// Call `seed` as the stages leave it: every part set or not, every outcome, arguments
    /// with and without PII and big numbers.
    fn call(seed: u64, redactor: &Redactor) -> CallRecord {
        let mut next = xorshift(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let next = &mut next;
        let mut c = CallRecord::for_tests();
        c.decision_id = format!("0193a1b2-c3d4-7e5f-8a9b-{seed:012x}");
        c.trace_id = format!("{:032x}", next());
        c.mode = if next().is_multiple_of(2) {
            crate::config::raw::Mode::Enforce
        } else {
            crate::config::raw::Mode::Shadow
        };
        c.dry_run = next().is_multiple_of(5);
        c.config_version = text(next);
        c.policy_version = text(next);
        c.policy_digest = format!("{:016x}", next());
        c.adapter = opt_text(next);
        c.tool = opt_text(next);
        c.schema = opt_text(next);
        if !next().is_multiple_of(4) {
            c.principal = Some(crate::stage::identify::Principal {
                agent: text(next),
                tenant: opt_text(next),
                workflow: opt_text(next),
                run_id: opt_text(next),
                source: ["static", "header", "jwt", "mtls"][(next() % 4) as usize],
                claims: Default::default(),
            });
        }
        c.request = (!next().is_multiple_of(4))
            .then(|| json!({"method": "POST", "host": text(next), "path": text(next)}));
        c.policy_result = (!next().is_multiple_of(3))
            .then(|| json!({"allow": next().is_multiple_of(2), "reasons": [text(next)], "x": doc(next, 2)}));
        c.shadow = (next().is_multiple_of(4)).then(|| reject(next));
        c.outcome = match next() % 5 {
            0 => None,
            1 => Some(Outcome::DryRun),
            2 => Some(Outcome::Refused(reject(next))),
            _ => Some(Outcome::Forwarded {
                status: [200, 201, 404, 502][(next() % 4) as usize],
            }),
        };
        c.upstream_latency_us = (next().is_multiple_of(2)).then(|| next() % 10_000);
        c.cost_usd = [0.0, 0.002, 1.5, 1e17][(next() % 4) as usize];
        c.extra = opt_doc(next).map(|d| json!({"method": "tools/call", "meta": d}));
        c.grpc = (next().is_multiple_of(5))
            .then(|| json!({"service": text(next), "message_index": next() % 4}));
        c.idempotency = (next().is_multiple_of(4)).then(|| match next() % 3 {
            0 => json!({"key_hash": text(next), "source": "header", "replay": true, "replay_of": text(next)}),
            1 => json!({"key_hash": text(next), "source": "args", "replay": false}),
            _ => json!({"key_hash": text(next), "source": "header"}),
        });
        c.approval =
            (next().is_multiple_of(4)).then(|| json!({"id": text(next), "approver": text(next)}));
        if !next().is_multiple_of(3) {
            let mut args = json!({"charge": text(next), "amount": next() % 100_000,
                                  "note": doc(next, 1)});
            if next().is_multiple_of(3) {
                args["email"] = json!("jane.doe@example.com");
            }
            if next().is_multiple_of(6) {
                args["big"] = json!(9_007_199_254_740_993u64);
            }
            c.pii_findings = redactor.scan_json(&args);
            if !c.pii_findings.is_empty() && next().is_multiple_of(2) {
                let found = redactor
                    .redact_json_in_place(&mut args, &ActionPlan::mask_all())
                    .0;
                c.args_masked_for_audit = next().is_multiple_of(2);
                c.redactions = super::redaction_entries(redactor, &found, &c.pii_findings);
            }
            let mut input = json!({"v": 1, "tool": {"name": text(next), "risk": doc(next, 2)},
                                   "usage": {"calls": next() % 50}, "now": {"unix": 1_796_423_377},
                                   "pii": {"found": ["email"]}, "mode": "enforce"});
            if next().is_multiple_of(5) {
                input["usage"]["huge"] = json!(1e21);
            }
            if next().is_multiple_of(2) {
                input["principal"] = json!({"agent": text(next), "claims": doc(next, 1)});
            }
            // as the pipeline hands them over: the shared parts with their canonical bytes
            // (none when a part holds a number beyond ±2^53)
            if !next().is_multiple_of(3) {
                c.input_known = crate::policy::Known {
                    principal: input
                        .get("principal")
                        .map(|p| crate::policy::Shared::new(p.clone())),
                    tool: Some(crate::policy::Shared::new(input["tool"].clone())),
                    now: Some(crate::policy::Shared::new(input["now"].clone())),
                };
            }
            input["args"] = args;
            c.input = Some(input);
        } else if next().is_multiple_of(2) {
            c.input = Some(Value::Null);
        }
        c
    }

    /// The default redactor with an HMAC key (`hmac_key: "k"`), as the record tests build it.
    fn hmac_redactor() -> Redactor {
        Redactor::new(&RedactConfig {
            hmac_key: Some("k".into()),
            ..RedactConfig::default()
        })
        .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The typed records are the map records byte for byte: over generated calls (allowed,
    /// refused for each reason, shadow, dry run, approvals, idempotency, MCP, gRPC, every
    /// `audit.args` mode, big numbers anywhere), the decision record ahead of forwarding and
    /// at the end, and the outcome, each written with its head as the chain writer writes it.
    #[test]
    fn typed_records_are_the_map_records_byte_for_byte() {
        use crate::audit::call::{Body, LineBody};
        use crate::audit::canonical::{canonicalize_record, entry_hash, RecordHead};
        use crate::audit::record::{keyed_mac, normalize_numbers};
        use crate::audit::sink::ArgsKept;
        use crate::config::raw::AuditArgs;

        let redactor = hmac_redactor();
        let key = b"deployment-key";
        let mac = keyed_mac(key);
        let dir = tempfile::tempdir().expect("tempdir");
        let (_, public) = crate::audit::auditor_keygen(dir.path()).expect("auditor key");
        let auditor = crate::audit::AuditorPublicKey::load(&public).expect("auditor key");
        let mut seen = std::collections::BTreeMap::<&str, usize>::new();
        for seed in 0..6000u64 {
            let args_mode = [
                AuditArgs::Redacted,
                AuditArgs::Hashed,
                AuditArgs::Encrypted,
                AuditArgs::None,
            ][(seed % 4) as usize];
            let phase = if seed % 3 == 0 {
                Phase::Forwarding
            } else {
                Phase::Final
            };
            let prev = entry_hash(&seed.to_le_bytes());
            let ts = format!("2026-12-04T23:00:{:02}.{:03}Z", seed % 60, seed % 1000);
            let head = |kind| RecordHead {
                kind,
                prev: &prev,
                seq: seed * 7 % (1 << 53),
                ts: &ts,
            };
            // a body as the writer writes it, its head spliced in
            let written = |body: Body, kind: &'static str| {
                let mut out = Vec::new();
                body.write_line(&head(kind), true, &mut out).expect(kind);
                String::from_utf8(out).expect("utf-8")
            };
            // the latency as measured (beyond ±2^53 too: the typed writer must fall back)
            let latency = if seed % 97 == 0 {
                u64::MAX
            } else {
                seed % 5000
            };
            let with_auditor = seed % 8 < 4;
            let auditor = with_auditor.then_some(&auditor);

            let mut old = call(seed, &redactor);
            let (mut want, work) =
                reference::decision_record(&mut old, args_mode, &redactor, phase, latency);
            let mut new = call(seed, &redactor);
            let (mut body, typed_work) = decision_record(&mut new, args_mode, &redactor, phase);
            body.latency_us = latency;
            if let Some(work) = typed_work {
                body.args = Some(work.finish(&mac, key, auditor));
            }
            match work {
                Some(work) => {
                    work.apply(&mut want, key, auditor);
                    // sealing is randomised: the typed record's sealed arguments stand in
                    if let Some(ArgsKept::Sealed(s)) = body.args.as_ref().map(|d| &d.kept) {
                        want.insert("args_sealed".into(), json!(s));
                    }
                }
                None => normalize_numbers(&mut want),
            }
            *seen
                .entry(if want.contains_key("big_numbers") {
                    "big"
                } else {
                    "plain"
                })
                .or_default() += 1;
            for k in [
                "args",
                "args_sealed",
                "input",
                "shadow_would_refuse",
                "idempotent_replay",
                "mcp",
                "grpc",
                "dry_run",
            ] {
                if want.contains_key(k) {
                    *seen.entry(k).or_default() += 1;
                }
            }
            let mut expected = Vec::new();
            canonicalize_record(&want, &head("decision"), true, &mut expected).expect("map");
            let expected = String::from_utf8(expected).expect("utf-8");
            // the line written on the request thread, the writer splicing its head in
            match Prebuilt::decision(&body) {
                Some(line) => {
                    assert_eq!(
                        written(Body::Prebuilt(line), "decision"),
                        expected,
                        "prebuilt decision, seed {seed}"
                    );
                    *seen.entry("prebuilt").or_default() += 1;
                }
                None => *seen.entry("typed").or_default() += 1,
            }
            assert_eq!(
                written(Body::Decision(Box::new(body)), "decision"),
                expected,
                "decision, seed {seed}"
            );

            // what the request path hands over: the same record (its latency as measured
            // here, sealed arguments randomised), and ahead of forwarding the call's parts
            // put back as they were
            let mut lent = call(seed, &redactor);
            let handed = decision_body(&mut lent, args_mode, &redactor, phase, |w| {
                w.finish(&mac, key, auditor)
            });
            let prebuilt = matches!(handed, Body::Prebuilt(_));
            let line = written(handed, "decision");
            let comparable = |text: &str| {
                let mut v: Value = serde_json::from_str(text).expect("line");
                for k in ["latency_us", "args_sealed"] {
                    v.as_object_mut().expect("object").remove(k);
                }
                v
            };
            // (a latency beyond ±2^53 is this test's, not measured)
            if latency != u64::MAX {
                assert_eq!(comparable(&line), comparable(&expected), "seed {seed}");
                assert_eq!(prebuilt, !want.contains_key("big_numbers"), "seed {seed}");
            }
            if phase == Phase::Forwarding {
                let was = call(seed, &redactor);
                assert_eq!(lent.decision_id, was.decision_id);
                assert_eq!(lent.trace_id, was.trace_id);
                let who = |c: &CallRecord| {
                    c.principal.as_ref().map(|p| {
                        (
                            p.agent.clone(),
                            p.tenant.clone(),
                            p.workflow.clone(),
                            p.run_id.clone(),
                        )
                    })
                };
                assert_eq!(who(&lent), who(&was), "seed {seed}");
                assert_eq!(
                    (&lent.adapter, &lent.tool, &lent.schema, &lent.request),
                    (&was.adapter, &was.tool, &was.schema, &was.request)
                );
                assert_eq!(
                    (
                        &lent.config_version,
                        &lent.policy_version,
                        &lent.policy_digest,
                        &lent.policy_result
                    ),
                    (
                        &was.config_version,
                        &was.policy_version,
                        &was.policy_digest,
                        &was.policy_result
                    )
                );
                assert_eq!(
                    (
                        &lent.approval,
                        &lent.redactions,
                        &lent.extra,
                        &lent.grpc,
                        &lent.idempotency
                    ),
                    (
                        &was.approval,
                        &was.redactions,
                        &was.extra,
                        &was.grpc,
                        &was.idempotency
                    )
                );
                *seen.entry("put back").or_default() += 1;
            }

            // the outcome, after a forwarded call's write-ahead record
            let (old, mut new) = (call(seed, &redactor), call(seed, &redactor));
            let want = reference::outcome_record(&old, latency);
            let mut body = outcome_record(&mut new);
            body.latency_us = latency;
            let mut expected = Vec::new();
            canonicalize_record(&want, &head("outcome"), true, &mut expected).expect("map");
            let expected = String::from_utf8(expected).expect("utf-8");
            match Prebuilt::outcome(&body) {
                Some(line) => {
                    assert_eq!(
                        written(Body::Prebuilt(line), "outcome"),
                        expected,
                        "prebuilt outcome, seed {seed}"
                    );
                    *seen.entry("prebuilt outcome").or_default() += 1;
                }
                None => assert!(want.contains_key("big_numbers"), "seed {seed}"),
            }
            assert_eq!(
                written(Body::Outcome(Box::new(body)), "outcome"),
                expected,
                "outcome, seed {seed}"
            );
            if want.contains_key("big_numbers") {
                *seen.entry("outcome big").or_default() += 1;
            }
        }
        for (k, min) in [
            ("big", 300),
            ("plain", 3000),
            ("args", 1000),
            ("args_sealed", 300),
            ("input", 1000),
            ("shadow_would_refuse", 500),
            ("idempotent_replay", 100),
            ("mcp", 1000),
            ("grpc", 500),
            ("dry_run", 500),
            ("outcome big", 100),
            ("prebuilt", 3000),
            ("typed", 300),
            ("put back", 1500),
            ("prebuilt outcome", 3000),
        ] {
            assert!(seen.get(k).copied().unwrap_or(0) >= min, "{k}: {seen:?}");
        }
    }

    /// The decision line's values remembered per thread (`audit::call::Written`: the input's
    /// `request`, `pii`, `usage`, the record's `request`, `policy.result`, `redactions`) are
    /// written as they are: generated calls, few enough that their values repeat, interleaved
    /// and under one configuration (the memory is not emptied between them), each line the
    /// map record's canonical form byte for byte, with the memory holding the call's values
    /// (a hit) and another call's (a miss); and the shared `input.now` copied from its bytes.
    #[test]
    fn remembered_values_write_the_same_lines() {
        use crate::audit::call::{written_held, Body, LineBody};
        use crate::audit::canonical::{canonicalize_record, RecordHead, GENESIS_HASH};

        let redactor = hmac_redactor();
        let head = RecordHead {
            kind: "decision",
            prev: &GENESIS_HASH,
            seq: 7,
            ts: "2026-12-05T21:00:00.000Z",
        };
        let mut lines = 0;
        for round in 0..3000u64 {
            // seeds 0..40 in an order that repeats a call now and then, and mostly changes it
            let seed = (round * 7 + round / 40) % 40;
            let mut c = call(seed, &redactor);
            c.config_version = "cfg".into();
            c.policy_digest = "digest".into();
            let (mut body, _) =
                decision_record(&mut c, AuditArgs::Redacted, &redactor, Phase::Final);
            body.latency_us = 5;
            let mut want = Vec::new();
            if canonicalize_record(&body.to_map(), &head, true, &mut want).is_err() {
                continue;
            }
            let Some(line) = crate::audit::call::Prebuilt::decision(&body) else {
                continue;
            };
            let mut got = Vec::new();
            Body::Prebuilt(line)
                .write_line(&head, true, &mut got)
                .expect("line");
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&want),
                "round {round}, seed {seed}"
            );
            lines += 1;
        }
        assert!(lines > 1000, "{lines} lines compared");
        assert!(written_held() > 0, "the values were remembered");
    }

    /// The arguments' bytes forwarded to the tool, shared with the audit record when they are
    /// also their canonical form: the record's line (`args`, `input_hmac`, every member) is the
    /// same byte for byte with and without them, in every `audit.args` mode, on awkward
    /// arguments (non-ASCII keys in both orders, escapes, floats, integers beyond ±2^53,
    /// values masked by the plan before the encode); the body is serde_json's bytes either way.
    #[test]
    fn shared_argument_bytes_leave_the_record_unchanged() {
        use std::collections::HashSet;

        use crate::audit::call::LineBody;
        use crate::audit::canonical::{canonicalize_strict, RecordHead, GENESIS_HASH};
        use crate::audit::record::keyed_mac;
        use crate::config::raw::ArgsFrom;
        use crate::stage::args::Wire;

        let redactor = hmac_redactor();
        let key = b"deployment-key";
        let mac = keyed_mac(key);
        let head = RecordHead {
            kind: "decision",
            prev: &GENESIS_HASH,
            seq: 7,
            ts: "2026-12-05T21:00:00.000Z",
        };
        let (mut shared_lines, mut unshared) = (0, 0);
        for (text, masked, shares) in [
            (
                r#"{"amount":4200,"charge":"ch_1","note":"refund"}"#,
                false,
                true,
            ),
            (
                "{\"a\":\"tab\\tq\\\"uote\\\\ \\u0001 \\u2028 / \u{7f} \u{e9}\u{1f600}\"}",
                false,
                true,
            ),
            (
                r#"{"\u00e9":1,"\u00fc":{"\u20ac":[1,-2,null,true]}}"#,
                false,
                true,
            ),
            ("{\"\u{e000}\":1,\"\u{1f600}\":2}", false, false),
            (r#"{"n":1.0,"m":0.5}"#, false, false),
            (r#"{"n":-0.0}"#, false, false),
            (r#"{"n":1e21}"#, false, false),
            (r#"{"n":9007199254740993}"#, false, false),
            (r#"{"n":-9007199254740992}"#, false, true),
            (
                r#"{"email":"jane.doe@example.com","note":"call +44 20 7946 0958","n":3}"#,
                false,
                true,
            ),
            (
                r#"{"email":"jane.doe@example.com","note":"call +44 20 7946 0958","n":3}"#,
                true,
                true,
            ),
            (r#"[1,"a",{"b":null}]"#, false, true),
        ] {
            let mut args = crate::json::parse_strict(text.as_bytes(), 32).expect(text);
            let findings = redactor.scan_json(&args);
            let mut redactions = Vec::new();
            if masked {
                // the plan rewrote the arguments before the encode (what the tool gets)
                let found = redactor
                    .redact_json_in_place(&mut args, &ActionPlan::mask_all())
                    .0;
                assert!(!found.is_empty(), "{text}");
                redactions = redaction_entries(&redactor, &found, &findings);
            }
            let wire = Wire {
                outside_body: HashSet::new(),
                query: Vec::new(),
                form: Vec::new(),
                path: Vec::new(),
                had_body: true,
                body_len: text.len(),
            };
            let mut shared = None;
            let (sent, _) = wire.body(ArgsFrom::Json, &args, Some(&mut shared));
            assert_eq!(sent, serde_json::to_vec(&args).expect("encode"), "{text}");
            assert_eq!(shared.is_some(), shares, "{text}");
            if let Some(bytes) = &shared {
                assert_eq!(
                    Some(&bytes[..]),
                    canonicalize_strict(&args).ok().as_deref(),
                    "{text}"
                );
            }
            // no audit: the same body, nothing checked
            assert_eq!(wire.body(ArgsFrom::Json, &args, None).0, sent, "{text}");
            for mode in [AuditArgs::Redacted, AuditArgs::Hashed, AuditArgs::None] {
                let line = |canonical: Option<bytes::Bytes>| {
                    let mut c = CallRecord::for_tests();
                    c.decision_id = "0193a1b2-c3d4-7e5f-8a9b-000000000001".into();
                    c.input = Some(json!({"v": 1, "args": args.clone(), "mode": "enforce"}));
                    c.pii_findings = findings.clone();
                    c.redactions = redactions.clone();
                    c.args_canonical = canonical;
                    let (mut body, work) = decision_record(&mut c, mode, &redactor, Phase::Final);
                    body.latency_us = 5;
                    body.args = work.map(|w| w.finish(&mac, key, None));
                    let mut out = Vec::new();
                    crate::audit::sink::Body::Decision(Box::new(body))
                        .write_line(&head, true, &mut out)
                        .expect(text);
                    String::from_utf8(out).expect("utf-8")
                };
                assert_eq!(line(shared.clone()), line(None), "{text}, {mode:?}");
                if shared.is_some() {
                    shared_lines += 1;
                } else {
                    unshared += 1;
                }
            }
        }
        assert!(
            shared_lines >= 21 && unshared >= 15,
            "{shared_lines} {unshared}"
        );
    }

    /// Once the decision line is written, the policy input's copies of the shared parts are
    /// given back for the next call's input (as at the end of a call audit does not record),
    /// ahead of forwarding and at the end alike; a record that goes typed (a number beyond
    /// ±2^53) keeps them.
    #[test]
    fn the_decision_line_gives_the_shared_copies_back() {
        use crate::audit::record::keyed_mac;
        use crate::policy::{Known, Shared};
        use crate::stage::policy::spares_of;

        let redactor = hmac_redactor();
        let (key, mac) = (b"k", keyed_mac(b"k"));
        for (phase, usage, given) in [
            (Phase::Forwarding, json!(3), 1),
            (Phase::Final, json!(3), 1),
            (Phase::Final, json!(9_007_199_254_740_993u64), 0),
        ] {
            let tool = Shared::new(json!({"name": "payments.refund", "risk": "low"}));
            let principal = Shared::new(json!({"agent": "bench-agent", "claims": {}}));
            let mut c = CallRecord::for_tests();
            c.input = Some(json!({"v": 1, "args": {"amount": 1}, "usage": usage,
                                  "tool": tool.value().clone(),
                                  "principal": principal.value().clone()}));
            c.input_known = Known {
                principal: Some(principal.clone()),
                tool: Some(tool.clone()),
                now: None,
            };
            let body = decision_body(&mut c, AuditArgs::Redacted, &redactor, phase, |w| {
                w.finish(&mac, key, None)
            });
            assert_eq!(
                matches!(body, crate::audit::sink::Body::Prebuilt(_)),
                given == 1
            );
            assert_eq!(spares_of(&tool), given, "{phase:?}");
            assert_eq!(spares_of(&principal), given, "{phase:?}");
            assert!(c.input.is_none(), "the record's input stays taken");
        }
    }
}
