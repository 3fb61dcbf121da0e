//! The policy input's parts each worker converts once (`input.tool`, `input.principal`,
//! `input.now`) follow a reload that changes them: the next call is decided on the new values,
//! and the audit record (which copies `input.tool` and `input.principal` from bytes written once
//! per part) holds the new values too.

use crate::common::*;
use serde_json::Value;

/// Allows a call only when its tool is financial, denying with the tool's risk as the reason.
const RISK_POLICY: &str = r#"
package toolwall
import rego.v1

default decision := {"allow": false, "reasons": ["not_financial"]}

decision := {"allow": true, "reasons": []} if {
	input.tool.risk.financial == true
	input.principal.agent == "agent-a"
}

decision := {"allow": false, "reasons": [sprintf("agent_%s", [input.principal.agent])]} if {
	input.tool.risk.financial == true
	input.principal.agent != "agent-a"
}
"#;

fn adapter(upstream: &str, financial: bool) -> String {
    format!(
        r#"name: echo
upstream: {upstream}
timeout: 500ms
tools:
  - name: echo.refund
    match: {{ method: POST, path: /v1/refunds }}
    args: json
    risk: {{ financial: {financial} }}
"#
    )
}

fn identity(agent: &str) -> String {
    format!("identity:\n  static: {{ agent: {agent}, tenant: acme }}\n")
}

/// Several calls, so both worker threads have converted (and remembered) the tool and principal.
async fn calls(h: &Harness, n: usize) -> Vec<(u16, Vec<String>)> {
    let mut out = Vec::new();
    for _ in 0..n {
        let r = send(
            h.agent(),
            json_post("/echo/v1/refunds", r#"{"charge":"ch_1","amount":5}"#),
        )
        .await;
        out.push((r.status.as_u16(), r.reasons()));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_that_changes_the_tool_or_principal_changes_the_decision() {
    let up = http_upstream().await;
    let addr = format!("http://{}", up.addr);
    let keys = tempfile::tempdir().expect("tmp");
    assert_eq!(
        toolwall::cli::audit::keygen(&keys.path().join("keys"), "t"),
        0
    );
    let audit = format!(
        "audit: {{ dir: {0}/audit, key: {0}/keys/audit.key }}\n",
        keys.path().display()
    );
    let h = Harness::start_with(
        &[("echo", adapter(&addr, true))],
        RISK_POLICY,
        &format!("{}{audit}", identity("agent-a")),
        None,
    )
    .await;
    let allowed = calls(&h, 8).await;
    assert!(
        allowed.iter().all(|(s, r)| *s == 200 && r.is_empty()),
        "{allowed:?}"
    );
    assert_eq!(up.requests().len(), 8);

    // the tool's risk changes: `input.tool` is no longer financial
    std::fs::write(
        h.dir.path().join("adapters/echo.yaml"),
        adapter(&addr, false),
    )
    .expect("write");
    let r = admin_post(h.admin(), "/admin/reload", "", None).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let denied = calls(&h, 8).await;
    assert!(
        denied
            .iter()
            .all(|(s, r)| *s == 403 && r == &vec!["not_financial".to_string()]),
        "{denied:?}"
    );

    // back to financial, and another principal: `input.principal` changes
    std::fs::write(
        h.dir.path().join("adapters/echo.yaml"),
        adapter(&addr, true),
    )
    .expect("write");
    let cfg = std::fs::read_to_string(h.dir.path().join("toolwall.yaml")).expect("read");
    std::fs::write(
        h.dir.path().join("toolwall.yaml"),
        cfg.replace("agent: agent-a", "agent: agent-b"),
    )
    .expect("write");
    let r = admin_post(h.admin(), "/admin/reload", "", None).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let other = calls(&h, 8).await;
    assert!(
        other
            .iter()
            .all(|(s, r)| *s == 403 && r == &vec!["agent_agent-b".to_string()]),
        "{other:?}"
    );

    // the policy changes: the same tool and principal are decided by the new one
    std::fs::write(
        h.dir.path().join("policies/toolwall.rego"),
        RISK_POLICY.replace("\"agent-a\"", "\"agent-b\""),
    )
    .expect("write");
    let r = admin_post(h.admin(), "/admin/reload", "", None).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let allowed = calls(&h, 8).await;
    assert!(
        allowed.iter().all(|(s, r)| *s == 200 && r.is_empty()),
        "{allowed:?}"
    );
    assert_eq!(up.requests().len(), 16);

    // the audit records: the input each call was decided on, in order, byte-exact (verified)
    let Harness { app, dir } = h;
    app.shutdown().await;
    let recs = audit_records(&keys.path().join("audit"));
    let seen: Vec<(Value, Value, Value)> = recs
        .iter()
        .filter(|r| r["kind"] == "decision")
        .map(|r| {
            (
                r["input"]["tool"]["risk"]["financial"].clone(),
                r["input"]["principal"]["agent"].clone(),
                r["decision"].clone(),
            )
        })
        .collect();
    let phase = |financial: bool, agent: &str, decision: &str| {
        vec![
            (
                Value::Bool(financial),
                Value::from(agent),
                Value::from(decision)
            );
            8
        ]
    };
    let want = [
        phase(true, "agent-a", "allow"),
        phase(false, "agent-a", "deny"),
        phase(true, "agent-b", "deny"),
        phase(true, "agent-b", "allow"),
    ]
    .concat();
    assert_eq!(seen, want);
    let audit_dir = keys.path().join("audit");
    let pub_key = keys.path().join("keys/audit.pub");
    let (code, out, err) = toolwall(&[
        "audit",
        "verify",
        audit_dir.to_str().expect("utf8"),
        "--keys",
        pub_key.to_str().expect("utf8"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    drop(dir);
}
