//! Policy: build the input document (PRODUCT.md §5) and ask the Rego program for a decision.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde_json::{json, Value};

use crate::config::raw::Mode;
use crate::config::{Adapter, Tool};
use crate::pipeline::reject::{Reason, Reject};
use crate::policy::PolicySet;
use crate::policy::{EvalError, PolicyDecision};
use crate::stage::identify::Principal;

/// The request facts policy sees under `input.request`, and when the call arrived.
pub struct RequestFacts<'a> {
    pub method: &'a str,
    pub host: &'a str,
    pub path: &'a str,
    pub now: DateTime<Utc>,
}

/// The policy input document, version 1. `args` is moved in, not copied.
pub fn build_input(
    mode: Mode,
    principal: &Principal,
    adapter: &Adapter,
    tool: &Tool,
    args: Value,
    pii_found: Vec<String>,
    request: &RequestFacts<'_>,
) -> Value {
    let mut input = json!({
        "v": 1,
        "principal": principal,
        "tool": null,
        "args": null,
        "request": { "method": request.method, "host": request.host, "path": request.path },
        "usage": {},
        "approval": null,
        "pii": { "found": pii_found },
        "now": null,
        "mode": mode.as_str(),
    });
    // moved in, not through `json!` (which serialises every value it is given: a deep copy
    // of the arguments, ~40k instructions for a 1 KB call)
    input["args"] = args;
    input["tool"] = tool_doc(adapter, tool);
    input["now"] = now_doc(request.now);
    input
}

/// `input.tool`.
fn tool_doc(adapter: &Adapter, tool: &Tool) -> Value {
    json!({
        "name": tool.name,
        "adapter": adapter.name,
        "kind": adapter.kind.as_str(),
        "read_only": tool.read_only,
        "risk": tool.risk,
    })
}

/// The input of `data.toolwall.tool_visible` (MCP `tools/list`): principal and tool, no args.
pub fn visibility_input(
    mode: Mode,
    principal: Option<&Principal>,
    adapter: &Adapter,
    tool: &Tool,
    now: DateTime<Utc>,
) -> Value {
    let mut input = json!({
        "v": 1,
        "principal": principal,
        "tool": null,
        "now": null,
        "mode": mode.as_str(),
    });
    input["tool"] = tool_doc(adapter, tool);
    input["now"] = now_doc(now);
    input
}

/// `input.now`: the clock, precomputed so policies need no time builtins. Every field is a
/// function of the whole second, so each worker thread formats it once per second.
pub fn now_doc(now: DateTime<Utc>) -> Value {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(i64, Value)>> = const { std::cell::RefCell::new(None) };
    }
    let second = now.timestamp();
    LAST.with(|cell| {
        let mut last = cell.borrow_mut();
        match &*last {
            Some((s, doc)) if *s == second => doc.clone(),
            _ => {
                let doc = format_now(now);
                *last = Some((second, doc.clone()));
                doc
            }
        }
    })
}

fn format_now(now: DateTime<Utc>) -> Value {
    json!({
        "rfc3339": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "unix": now.timestamp(),
        "weekday": now.weekday().to_string(),
        "hour_utc": now.hour(),
    })
}

/// What policy said about one call, and the input it saw.
pub struct Decided {
    pub input: Value,
    /// What policy said as replay compares it (`replayable_result`).
    pub result: Value,
    /// An allow (which may still need a human's approval: `stage::approval`) or the refusal.
    pub verdict: Result<PolicyDecision, Reject>,
}

/// Evaluate the decision for `input`, timing it.
pub fn evaluate(policy: &PolicySet, input: Value, metrics: &crate::metrics::Metrics) -> Decided {
    let started = std::time::Instant::now();
    let verdict = decide(policy, &input);
    metrics
        .policy_eval_duration
        .observe(started.elapsed().as_secs_f64());
    Decided {
        result: replayable_result(&verdict),
        input,
        verdict,
    }
}

/// Evaluate the decision; anything but an explicit allow is a refusal.
pub fn decide(policy: &PolicySet, input: &Value) -> Result<PolicyDecision, Reject> {
    match policy.decide(input) {
        // `require_approval` wins over `allow`: the approval stage decides (a human can unblock
        // the call, and nothing is forwarded without one)
        Ok(d) if d.allow || d.require_approval => Ok(d),
        Ok(d) => {
            let mut r = Reject::new(
                Reason::PolicyDenied,
                if d.reasons.is_empty() {
                    "denied by policy".to_string()
                } else {
                    format!("denied by policy: {}", d.reasons.join(", "))
                },
            );
            r.policy_reasons = d.reasons;
            Err(r)
        }
        Err(EvalError::Undefined) => Err(Reject::new(
            Reason::PolicyUndefined,
            "policy defines no decision for this call (data.toolwall.decision is undefined)",
        )),
        Err(e @ (EvalError::Failed(_) | EvalError::Malformed(_))) => {
            Err(Reject::new(Reason::PolicyError, e.to_string()))
        }
    }
}

/// What policy said, in the form the audit record keeps and replay compares:
/// `{"allow": bool, "reasons": [...]}` (undefined and errors as their reason codes).
pub fn replayable_result(decided: &Result<PolicyDecision, Reject>) -> Value {
    match decided {
        // an allow needing approval is kept as such, so replay compares like with like
        Ok(d) if d.require_approval => {
            json!({"allow": d.allow, "reasons": d.reasons, "require_approval": true})
        }
        Ok(d) => json!({"allow": d.allow, "reasons": d.reasons}),
        Err(r) => match r.reason {
            Reason::PolicyDenied => json!({"allow": false, "reasons": r.policy_reasons}),
            other => json!({"allow": false, "reasons": [other.code()]}),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_doc_is_the_second_formatted() {
        let t = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .expect("time")
                .with_timezone(&Utc)
        };
        for s in [
            "2026-12-04T03:59:59.999Z",
            "2026-12-04T03:59:59.001Z",
            "2026-12-04T04:00:00Z",
            "2026-12-04T04:00:00.5Z",
            "2026-12-04T03:59:59Z",
        ] {
            assert_eq!(now_doc(t(s)), format_now(t(s)), "{s}");
        }
        assert_eq!(
            now_doc(t("2026-12-05T23:00:00.7Z")),
            json!({"rfc3339": "2026-12-05T23:00:00Z", "unix": 1_796_511_600, "weekday": "Sat", "hour_utc": 23})
        );
    }

    fn decision(require_approval: bool) -> PolicyDecision {
        PolicyDecision {
            allow: true,
            require_approval,
            reasons: vec!["big_amount".into()],
            redact: Vec::new(),
            tier: None,
        }
    }

    #[test]
    fn approval_required_replays_as_what_policy_said() {
        assert_eq!(
            replayable_result(&Ok(decision(true))),
            json!({"allow": true, "reasons": ["big_amount"], "require_approval": true})
        );
        assert_eq!(
            replayable_result(&Ok(decision(false))),
            json!({"allow": true, "reasons": ["big_amount"]})
        );
    }
}
