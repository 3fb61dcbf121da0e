//! The approval flow through the proxy: a call policy sends to a human is stored as an
//! approval request and refused `approval_required` with its id; a repeat finds the same
//! request; an approved request admits the very call it was asked for, once, with
//! `input.approval` for policy; other args, another principal, a second use, a denial, an
//! expiry, an unknown id are refused with their reason and nothing is forwarded; hold mode
//! releases a waiting call; requests survive a restart (SQLite) and are shared by two
//! sidecars on one Redis. Votes here go straight to the app's own state backend (the admin
//! API that approvers use is tested in `approvals_admin`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use serde_json::{json, Value};
use toolwall::state::approvals::{ApprovalState, Vote, VoteOutcome};

use super::policy_hardening::{mcp_post, messages};
use crate::common::*;

/// Refunds over 100 need two approvers (tier `high`); with an approval policy allows them
/// only when two distinct humans approved.
pub(crate) const POLICY: &str = r#"
package toolwall
import rego.v1

default decision := {"allow": true, "reasons": []}

decision := {"allow": false, "require_approval": true, "tier": "high", "reasons": ["large_refund"]} if {
	input.args.amount > 100
	not approved
}

decision := {"allow": true, "reasons": ["approved_large_refund"]} if {
	input.args.amount > 100
	approved
}

approved if {
	input.approval.approved
	count(input.approval.approvers) >= 2
}
"#;

const APPROVALS: &str = "approvals:\n  ttl: 1h\n  approvers:\n    - { name: alice, token_env: TW_FLOW_ALICE }\n    - { name: bob, token_env: TW_FLOW_BOB }\n    - { name: carol, token_env: TW_FLOW_CAROL }\n  tiers: { high: { quorum: 2 }, default: { quorum: 1 } }\n";

/// The approvers' tokens, in the environment `APPROVALS` reads them from.
fn approver_tokens() {
    for (k, v) in [
        ("TW_FLOW_ALICE", "flow-alice-7c1"),
        ("TW_FLOW_BOB", "flow-bob-2d9"),
        ("TW_FLOW_CAROL", "flow-carol-4e0"),
    ] {
        std::env::set_var(k, v);
    }
}

fn audit_extra(keys: &std::path::Path) -> String {
    assert_eq!(toolwall::cli::audit::keygen(&keys.join("keys"), "t"), 0);
    format!(
        "audit: {{ dir: {0}/audit, key: {0}/keys/audit.key, hmac_key: {0}/keys/hmac.key }}\n",
        keys.display()
    )
}

fn refund(amount: i64, approval: Option<&str>) -> http::Request<Full<Bytes>> {
    let mut b = req("POST", "/echo/v1/refunds").header("content-type", "application/json");
    if let Some(id) = approval {
        b = b.header("toolwall-approval", id);
    }
    b.body(Full::new(Bytes::from(format!(
        r#"{{"charge":"ch_1","amount":{amount}}}"#
    ))))
    .expect("request")
}

fn approval_id(r: &Reply) -> String {
    assert_eq!(r.status, 403, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    assert_eq!(v["error"]["type"], "approval_required", "{v}");
    v["error"]["approval_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no approval id in {v}"))
        .to_string()
}

fn vote(who: &str, approve: bool) -> Vote {
    Vote {
        approver: who.into(),
        approve,
        comment: Some(format!("{who} looked")),
        at_unix: 0,
    }
}

async fn cast(h: &Harness, id: &str, who: &str, approve: bool) -> VoteOutcome {
    h.app
        .state
        .state()
        .approval_vote(id, vote(who, approve))
        .await
        .expect("vote")
}

async fn start(up: SocketAddr, extra: &str) -> Harness {
    approver_tokens();
    Harness::start(
        &[("echo", echo_adapter(&format!("http://{up}"), ""))],
        POLICY,
        &format!("{APPROVALS}{extra}"),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_call_goes_through_once_and_nothing_else_does() {
    let up = http_upstream().await;
    let keys = tempfile::tempdir().expect("tmp");
    let h = start(up.addr, &audit_extra(keys.path())).await;

    let first = send(h.agent(), refund(500, None)).await;
    let id = approval_id(&first);
    assert_eq!(
        first.reasons(),
        vec!["approval_required", "large_refund"],
        "{:?}",
        first.json()
    );
    let asked_by = first.json()["error"]["decision_id"]
        .as_str()
        .expect("decision id")
        .to_string();
    let msg = first.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(msg.contains(&format!("toolwall-approval: {id}")), "{msg}");
    // the same call again while pending: the same request, not a new one
    assert_eq!(approval_id(&send(h.agent(), refund(500, None)).await), id);
    // retrying with the id before anyone approved: still pending, the same id
    assert_eq!(
        approval_id(&send(h.agent(), refund(500, Some(&id))).await),
        id
    );

    let stored = h
        .app
        .state
        .state()
        .approval_get(&id)
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(stored.tool, "echo.refund");
    assert_eq!(stored.tier, "high");
    assert_eq!(stored.quorum, 2);
    assert_eq!(stored.agent, "test-agent");
    assert_eq!(stored.principal["tenant_id"], "acme");
    assert_eq!(stored.reasons, vec!["large_refund"]);
    assert_eq!(stored.args_redacted["amount"], 500);
    assert_eq!(stored.decision_id, asked_by);
    assert!(
        stored.summary.contains("POST /v1/refunds"),
        "{}",
        stored.summary
    );

    // one approver is not a quorum
    assert_eq!(
        cast(&h, &id, "alice", true).await,
        VoteOutcome::Recorded {
            approvals_so_far: 1,
            state: ApprovalState::Pending
        }
    );
    assert_eq!(
        approval_id(&send(h.agent(), refund(500, Some(&id))).await),
        id
    );
    // the agent that asked can never approve its own call
    assert_eq!(
        cast(&h, &id, "test-agent", true).await,
        VoteOutcome::SelfApproval
    );
    assert_eq!(
        cast(&h, &id, "bob", true).await,
        VoteOutcome::Recorded {
            approvals_so_far: 2,
            state: ApprovalState::Approved
        }
    );
    assert!(up.requests().is_empty(), "forwarded before approval");

    // other arguments with this approval: refused, nothing forwarded
    let other = send(h.agent(), refund(501, Some(&id))).await;
    assert_eq!(other.status, 403);
    assert_eq!(other.reasons(), vec!["approval_mismatch"]);
    assert_eq!(other.json()["error"]["type"], "approval_invalid");
    // another principal (another workflow of the agent): refused
    let mut r = refund(500, Some(&id));
    r.headers_mut().insert(
        "toolwall-workflow",
        http::HeaderValue::from_static("other-flow"),
    );
    let other = send(h.agent(), r).await;
    assert_eq!(
        other.reasons(),
        vec!["approval_mismatch"],
        "{:?}",
        other.json()
    );
    assert!(up.requests().is_empty());

    // the approved call: forwarded once, as sent
    let ok = send(h.agent(), refund(500, Some(&id))).await;
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    let used_by = ok
        .headers
        .get("toolwall-decision-id")
        .and_then(|v| v.to_str().ok())
        .expect("decision id")
        .to_string();
    let seen = up.requests();
    assert_eq!(seen.len(), 1);
    let body: Value = serde_json::from_slice(&seen[0].body).expect("json");
    assert_eq!(body, json!({"charge": "ch_1", "amount": 500}));
    assert!(
        !seen[0].headers.contains_key("toolwall-approval"),
        "the approval id reached the tool"
    );

    // single use
    let again = send(h.agent(), refund(500, Some(&id))).await;
    assert_eq!(again.status, 403);
    assert_eq!(again.reasons(), vec!["approval_used"]);
    assert_eq!(up.requests().len(), 1);
    let stored = h
        .app
        .state
        .state()
        .approval_get(&id)
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(stored.state, ApprovalState::Used);
    assert_eq!(stored.used_by.as_deref(), Some(used_by.as_str()));
    // a fresh call without the id asks again: a new request
    let fresh = approval_id(&send(h.agent(), refund(500, None)).await);
    assert_ne!(fresh, id);

    let metrics = admin_get(h.admin(), "/metrics").await;
    let text = String::from_utf8_lossy(&metrics.body).to_string();
    assert!(
        text.contains(r#"toolwall_approvals_total{outcome="requested"} 2"#),
        "{text}"
    );
    assert!(
        text.contains(r#"toolwall_approvals_total{outcome="used"} 1"#),
        "{text}"
    );
    assert!(text.contains("toolwall_approvals_pending 1"), "{text}");

    let Harness { app, dir: _dir } = h;
    app.shutdown().await;
    let recs = audit_records(&keys.path().join("audit"));
    let decision = |id: &str| {
        recs.iter()
            .find(|r| r["kind"] == "decision" && r["decision_id"] == id)
            .unwrap_or_else(|| panic!("no record {id}"))
            .clone()
    };
    let asked = decision(&asked_by);
    assert_eq!(asked["reason"], "approval_required");
    assert_eq!(asked["approvals"], json!([]));
    let allowed = decision(&used_by);
    assert_eq!(allowed["decision"], "allow", "{allowed}");
    assert_eq!(allowed["approvals"][0]["id"], id.as_str(), "{allowed}");
    assert_eq!(
        allowed["approvals"][0]["approvers"],
        json!(["alice", "bob"])
    );
    // what policy saw, for replay
    assert_eq!(allowed["input"]["approval"]["id"], id.as_str(), "{allowed}");
    assert_eq!(allowed["input"]["approval"]["approved"], true);
    assert_eq!(
        allowed["policy"]["result"]["reasons"],
        json!(["approved_large_refund"])
    );
    // the events, linked by approval and decision id
    let events: Vec<&Value> = recs
        .iter()
        .filter(|r| r["kind"] == "event" && r["detail"]["approval_id"] == id.as_str())
        .collect();
    let names: Vec<&str> = events.iter().filter_map(|e| e["event"].as_str()).collect();
    assert_eq!(
        names,
        vec!["approval.requested", "approval.used"],
        "{events:#?}"
    );
    assert_eq!(events[0]["detail"]["decision_id"], asked_by.as_str());
    assert_eq!(events[1]["detail"]["used_by"], used_by.as_str());
    assert_eq!(events[1]["principal"]["agent"], "test-agent");

    // replay with the recorded approval: the same policy changes nothing
    let (code, out, err) = toolwall(&[
        "replay",
        keys.path().join("audit").to_str().expect("utf8"),
        "--policies",
        _dir.path().join("policies").to_str().expect("utf8"),
        "--json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["changed"], 0, "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denied_expired_unknown_and_malformed_approvals_are_refused() {
    let up = http_upstream().await;
    approver_tokens();
    let clock = Arc::new(toolwall::state::FakeClock::new(chrono::Utc::now()));
    let h = Harness::start_with(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        POLICY,
        &format!("{STATIC_IDENTITY}{APPROVALS}"),
        Some(clock.clone()),
    )
    .await;

    let denied = approval_id(&send(h.agent(), refund(300, None)).await);
    cast(&h, &denied, "alice", true).await;
    cast(&h, &denied, "bob", false).await;
    let r = send(h.agent(), refund(300, Some(&denied))).await;
    assert_eq!(r.reasons(), vec!["approval_denied"]);
    assert_eq!(r.json()["error"]["type"], "approval_denied");
    assert_eq!(r.json()["error"]["approval_id"], denied.as_str());

    let late = approval_id(&send(h.agent(), refund(400, None)).await);
    cast(&h, &late, "alice", true).await;
    cast(&h, &late, "bob", true).await;
    clock.advance(Duration::from_secs(3601));
    let r = send(h.agent(), refund(400, Some(&late))).await;
    assert_eq!(r.reasons(), vec!["approval_expired"], "{:?}", r.json());

    let r = send(
        h.agent(),
        refund(300, Some("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")),
    )
    .await;
    assert_eq!(r.reasons(), vec!["approval_unknown"]);
    for bad in ["../../etc", "x y", ""] {
        let mut req = refund(300, None);
        if let Ok(v) = http::HeaderValue::from_str(bad) {
            req.headers_mut().insert("toolwall-approval", v);
        }
        let r = send(h.agent(), req).await;
        assert_eq!(r.status, 403, "{bad:?}");
        assert!(
            r.reasons() == vec!["approval_unknown"],
            "{bad:?}: {:?}",
            r.json()
        );
    }
    // two approval headers: ambiguous
    let mut req = refund(300, Some(&denied));
    req.headers_mut()
        .append("toolwall-approval", http::HeaderValue::from_static("abc"));
    let r = send(h.agent(), req).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.reasons(), vec!["ambiguous_request"]);
    assert!(up.requests().is_empty(), "{:?}", up.requests());
}

/// The id of the first pending request, once there is one (a held call made it).
async fn first_pending(state: &toolwall::state::SharedState) -> String {
    loop {
        let pending = state
            .approval_list(Some(ApprovalState::Pending), 10)
            .await
            .expect("list");
        if let Some(r) = pending.first() {
            return r.id.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_mode_releases_the_waiting_call_on_approval_and_refuses_it_on_denial() {
    let up = http_upstream().await;
    approver_tokens();
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        POLICY,
        &APPROVALS.replace("ttl: 1h", "ttl: 1h\n  hold: 20s"),
    )
    .await;
    let agent = h.agent();
    let waiting = tokio::spawn(async move { send(agent, refund(700, None)).await });
    // the request shows up while the call waits
    let state = h.app.state.state().clone();
    let id = first_pending(&state).await;
    assert!(!waiting.is_finished());
    cast(&h, &id, "alice", true).await;
    cast(&h, &id, "bob", true).await;
    let r = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("released in time")
        .expect("task");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(up.requests().len(), 1);
    let stored = state.approval_get(&id).await.expect("get").expect("stored");
    assert_eq!(stored.state, ApprovalState::Used);

    let waiting = tokio::spawn(async move { send(agent, refund(800, None)).await });
    let id = first_pending(&state).await;
    cast(&h, &id, "carol", false).await;
    let r = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("refused in time")
        .expect("task");
    assert_eq!(r.reasons(), vec!["approval_denied"]);
    assert_eq!(up.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_request_survives_a_restart_with_sqlite() {
    let up = http_upstream().await;
    let db = tempfile::tempdir().expect("tmp");
    let state = format!(
        "state: {{ backend: sqlite, path: {} }}\n",
        db.path().join("state.db").display()
    );
    let h = start(up.addr, &state).await;
    let id = approval_id(&send(h.agent(), refund(900, None)).await);
    cast(&h, &id, "alice", true).await;
    let Harness { app, dir: _d } = h;
    app.shutdown().await;

    let h = start(up.addr, &state).await;
    // the same call after the restart finds the same pending request
    assert_eq!(approval_id(&send(h.agent(), refund(900, None)).await), id);
    cast(&h, &id, "bob", true).await;
    let ok = send(h.agent(), refund(900, Some(&id))).await;
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    assert_eq!(up.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sidecars_on_one_redis_share_the_queue() {
    let redis = RedisServer::start().await;
    let up = http_upstream().await;
    approver_tokens();
    let on = |agent: &'static str| {
        let body = format!(
            "identity:\n  static: {{ agent: {agent}, tenant: acme }}\nstate: {{ backend: redis, url: \"{}\", prefix: \"tw-ap:\" }}\n{APPROVALS}",
            redis.url()
        );
        let up = up.addr;
        async move {
            Harness::start_with(
                &[("echo", echo_adapter(&format!("http://{up}"), ""))],
                POLICY,
                &body,
                None,
            )
            .await
        }
    };
    let a = on("refund-bot").await;
    let b = on("refund-bot").await;
    let other = on("other-bot").await;
    let id = approval_id(&send(a.agent(), refund(250, None)).await);
    // the same call through the other sidecar: the same request
    assert_eq!(approval_id(&send(b.agent(), refund(250, None)).await), id);
    cast(&a, &id, "alice", true).await;
    cast(&b, &id, "bob", true).await;
    // another agent cannot use it
    let r = send(other.agent(), refund(250, Some(&id))).await;
    assert_eq!(r.reasons(), vec!["approval_mismatch"]);
    // used through B, then spent for A too
    let ok = send(b.agent(), refund(250, Some(&id))).await;
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    let r = send(a.agent(), refund(250, Some(&id))).await;
    assert_eq!(r.reasons(), vec!["approval_used"]);
    assert_eq!(up.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shadow_mode_asks_no_human_and_forwards() {
    let up = http_upstream().await;
    let h = start(up.addr, "mode: shadow\n").await;
    let r = send(h.agent(), refund(500, None)).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(up.requests().len(), 1);
    let pending = h
        .app
        .state
        .state()
        .approval_list(None, 10)
        .await
        .expect("list");
    assert!(pending.is_empty(), "{pending:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_mcp_the_refusal_says_how_and_the_retry_presents_the_approval_in_meta() {
    let server = super::mcp::McpServer::start().await;
    approver_tokens();
    let h = Harness::start(
        &[("crm", super::mcp::crm_adapter(server.addr, ""))],
        POLICY,
        APPROVALS,
    )
    .await;
    let call = |meta: Value| {
        let mut meta = meta;
        meta["io.modelcontextprotocol/protocolVersion"] = json!("2026-07-28");
        meta["io.modelcontextprotocol/clientCapabilities"] = json!({});
        let body = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {
            "name": "refund", "arguments": {"charge": "ch_1", "amount": 500}, "_meta": meta}});
        let agent = h.agent();
        async move {
            let headers = [
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "tools/call"),
                ("mcp-name", "refund"),
            ];
            let r = send(agent, mcp_post("/crm/mcp", &headers, &body.to_string())).await;
            let m = messages(&r);
            m.into_iter()
                .find(|m| m.get("result").is_some() || m.get("error").is_some())
                .unwrap_or_else(|| panic!("no answer in {}", String::from_utf8_lossy(&r.body)))
        }
    };
    let answer = call(json!({})).await;
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    let text = answer["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or("");
    let id = answer["result"]["_meta"]["toolwall/refusal"]["approval_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no approval id in {answer}"))
        .to_string();
    assert!(
        text.contains(&id) && text.contains("toolwall/approval"),
        "{text}"
    );
    cast(&h, &id, "alice", true).await;
    cast(&h, &id, "bob", true).await;
    let answer = call(json!({"toolwall/approval": id, "trace": "t1"})).await;
    assert_eq!(answer["result"]["isError"], false, "{answer}");
    let calls = server.tool_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    // the SDK server got the call without the approval id, the rest of `_meta` intact
    let meta = &calls[0]["params"]["_meta"];
    assert!(meta.get("toolwall/approval").is_none(), "{meta}");
    assert_eq!(meta["trace"], "t1", "{calls:?}");
    let again = call(json!({"toolwall/approval": id})).await;
    assert_eq!(again["result"]["isError"], true);
    assert!(again["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or("")
        .contains("approval_used"));
    assert_eq!(server.tool_calls().len(), 1);
}
