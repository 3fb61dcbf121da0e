//! The decision record of a realistic 1 KB tool call, as the request path hands it to the audit
//! sink (`src/stage/audit.rs`): the body without its argument fields, and the arguments for the
//! writer thread ([`ArgsWork`]: `input_hmac` over the arguments as sent, `args` the masked copy
//! that `audit.args: redacted` keeps). Shared by `examples/audit_stream` and `benches/audit.rs`.

use serde_json::{json, Map, Value};
use toolwall::audit::sink::{ArgsDone, ArgsWork, Body, DecisionBody, KeepArgs, Prebuilt};

/// The arguments of call `i` as the agent sent them and as the audit keeps them (masked).
pub fn call_args(i: u64) -> (Value, Value) {
    let note = |email: &str, card: &str| {
        format!("customer called about a duplicate charge on the card ending {card} and asked for a refund, reply to {email}")
    };
    let sent = json!({
        "charge": format!("ch_{i:08}"), "amount": 1200 + (i % 1000), "currency": "usd",
        "reason": "requested_by_customer",
        "metadata": {"ticket": format!("T-{i}"), "note": note("jane.doe@example.com", "4242"),
                     "email": "jane.doe@example.com"},
    });
    let masked = json!({
        "charge": format!("ch_{i:08}"), "amount": 1200 + (i % 1000), "currency": "usd",
        "reason": "requested_by_customer",
        "metadata": {"ticket": format!("T-{i}"), "note": note("[EMAIL]", "[CARD]"),
                     "email": "[EMAIL]"},
    });
    (sent, masked)
}

/// Decision record `i` as the request path builds it (no `input_hmac`, no `args`), with the
/// work the writer thread completes it with.
pub fn decision(i: u64) -> (Map<String, Value>, ArgsWork) {
    let (sent, masked) = call_args(i);
    decision_with(i, sent, masked)
}

/// [`decision`] with arguments built beforehand (the request path has them already: it parsed
/// and masked them for other stages; building the record is the audit's part).
pub fn decision_with(i: u64, sent: Value, masked: Value) -> (Map<String, Value>, ArgsWork) {
    let v = json!({
        "decision_id": format!("0193a1b2-c3d4-7e5f-8a9b-{i:012x}"),
        "trace_id": format!("{:032x}", u128::from(i).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)),
        "run_id": "run-1", "agent": "billing-dispute-v3", "tenant_id": "acme_co",
        "workflow": "refunds", "principal_source": "header", "adapter": "stripe",
        "tool": "stripe.create_refund", "schema": "schemas/stripe.create_refund.json",
        "request": {"method": "POST", "host": "api.stripe.example", "path": "/v1/refunds"},
        "config_version": "cfg-7f3a", "mode": "enforce", "approvals": [],
        "redactions": [{"path": "/metadata/note", "entity": "EMAIL"},
                       {"path": "/metadata/email", "entity": "EMAIL"}],
        "decision": "allow", "status": null, "reason": null, "reasons": [],
        "policy": {"version": "v1", "digest": "sha256:ab12cd34ef56", "result": {"allow": true, "reasons": []}},
        "input": {
            "tool": {"name": "stripe.create_refund", "adapter": "stripe", "risk": "write", "cost_usd": 0.002},
            "principal": {"agent": "billing-dispute-v3", "tenant": "acme_co", "run_id": "run-1"},
            "now": "2026-11-21T10:00:00.123Z", "usage": {},
            "pii": {"found": [{"entity": "EMAIL", "path": "/metadata/note"},
                              {"entity": "EMAIL", "path": "/metadata/email"}]},
        },
        "latency_us": 87 + (i % 50),
    });
    let body = match v {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let work = ArgsWork {
        args: sent,
        keep: KeepArgs::Masked(masked),
        canonical: None,
    };
    (body, work)
}

/// [`decision`] as the request path builds it since the typed record
/// (`toolwall::audit::call`): the same record, the same bytes, no map.
pub fn typed(i: u64) -> (Body, ArgsWork) {
    let (sent, masked) = call_args(i);
    typed_with(i, sent, masked)
}

/// [`typed`] with arguments built beforehand.
pub fn typed_with(i: u64, sent: Value, masked: Value) -> (Body, ArgsWork) {
    let body = DecisionBody {
        decision_id: format!("0193a1b2-c3d4-7e5f-8a9b-{i:012x}"),
        trace_id: format!(
            "{:032x}",
            u128::from(i).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)
        ),
        run_id: Some("run-1".into()),
        agent: Some("billing-dispute-v3".into()),
        tenant_id: Some("acme_co".into()),
        workflow: Some("refunds".into()),
        principal_source: Some("header"),
        adapter: Some("stripe".into()),
        tool: Some("stripe.create_refund".into()),
        schema: Some("schemas/stripe.create_refund.json".into()),
        request: Some(
            json!({"method": "POST", "host": "api.stripe.example", "path": "/v1/refunds"}),
        ),
        config_version: "cfg-7f3a".into(),
        mode: "enforce",
        redactions: vec![
            json!({"path": "/metadata/note", "entity": "EMAIL"}),
            json!({"path": "/metadata/email", "entity": "EMAIL"}),
        ],
        decision: "allow",
        policy_version: "v1".into(),
        policy_digest: "sha256:ab12cd34ef56".into(),
        policy_result: Some(json!({"allow": true, "reasons": []})),
        input: Some(json!({
            "tool": {"name": "stripe.create_refund", "adapter": "stripe", "risk": "write", "cost_usd": 0.002},
            "principal": {"agent": "billing-dispute-v3", "tenant": "acme_co", "run_id": "run-1"},
            "now": "2026-11-21T10:00:00.123Z", "usage": {},
            "pii": {"found": [{"entity": "EMAIL", "path": "/metadata/note"},
                              {"entity": "EMAIL", "path": "/metadata/email"}]},
        })),
        latency_us: 87 + (i % 50),
        ..DecisionBody::default()
    };
    let work = ArgsWork {
        args: sent,
        keep: KeepArgs::Masked(masked),
        canonical: None,
    };
    (Body::Decision(Box::new(body)), work)
}

/// A typed record as the proxy hands it over since the seventh round
/// (`stage::audit::decision_body`): its arguments completed by `finish` and the whole record
/// written as its canonical line on this thread ([`Prebuilt`]), the record's parts freed here.
pub fn prebuilt(body: Body, work: ArgsWork, finish: impl FnOnce(ArgsWork) -> ArgsDone) -> Body {
    match body {
        Body::Decision(mut d) => {
            d.args = Some(finish(work));
            match Prebuilt::decision(&d) {
                Some(line) => Body::Prebuilt(line),
                None => Body::Decision(d),
            }
        }
        other => other,
    }
}
