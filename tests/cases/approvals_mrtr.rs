//! Approvals the MCP 2026-07-28 way: a client on that protocol that declares URL-mode
//! elicitation gets, for a `tools/call` that needs approval, an `input_required` result whose
//! URL-mode elicitation points at the approval page, with a sealed `requestState`. Its retry
//! (`requestState` + `inputResponses`) presents the approval: forwarded once when approved,
//! without the state or the responses; a used, altered or foreign state, other arguments, a
//! declined page are refused and nothing is forwarded. Every other client keeps the `isError`
//! refusal. The server is the real MCP Python SDK (`tests/mcp/server.py`).

use serde_json::{json, Value};
use toolwall::state::approvals::{ApprovalState, Vote};

use super::approvals_flow::POLICY;
use super::mcp::{crm_adapter, McpServer};
use super::policy_hardening::{mcp_post, messages};
use crate::common::*;

const PAGE: &str = "https://tw-admin.test/base/ui";

fn approvals(ui_url: bool) -> String {
    for (k, v) in [
        ("TW_MRTR_ALICE", "mrtr-alice-51c"),
        ("TW_MRTR_BOB", "mrtr-bob-93a"),
    ] {
        std::env::set_var(k, v);
    }
    let page = if ui_url {
        format!("  ui_url: {PAGE}/\n")
    } else {
        String::new()
    };
    format!(
        "approvals:\n  ttl: 1h\n{page}  approvers:\n    - {{ name: alice, token_env: TW_MRTR_ALICE }}\n    - {{ name: bob, token_env: TW_MRTR_BOB }}\n  tiers: {{ high: {{ quorum: 2 }}, default: {{ quorum: 1 }} }}\n"
    )
}

async fn start(server: &McpServer, ui_url: bool) -> Harness {
    Harness::start(
        &[("crm", crm_adapter(server.addr, ""))],
        POLICY,
        &approvals(ui_url),
    )
    .await
}

/// What the SDK client declares when it has an elicitation callback.
fn url_capable() -> Value {
    json!({"elicitation": {"form": {}, "url": {}}})
}

/// One raw `tools/call` of `refund` at `version`, with `caps` as the request's client
/// capabilities and `extra` merged into `params`; the JSON-RPC answer.
async fn call(h: &Harness, version: &str, caps: Value, amount: i64, extra: Value) -> Value {
    let mut params = json!({"name": "refund", "arguments": {"charge": "ch_1", "amount": amount},
        "_meta": {"io.modelcontextprotocol/protocolVersion": version,
                  "io.modelcontextprotocol/clientCapabilities": caps}});
    if let Value::Object(m) = extra {
        for (k, v) in m {
            if k == "_meta" {
                if let Value::Object(meta) = v {
                    for (mk, mv) in meta {
                        params["_meta"][mk] = mv;
                    }
                }
            } else {
                params[k] = v;
            }
        }
    }
    let body = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": params});
    let headers = [
        ("mcp-protocol-version", version),
        ("mcp-method", "tools/call"),
        ("mcp-name", "refund"),
    ];
    let r = send(h.agent(), mcp_post("/crm/mcp", &headers, &body.to_string())).await;
    messages(&r)
        .into_iter()
        .find(|m| m.get("result").is_some() || m.get("error").is_some())
        .unwrap_or_else(|| panic!("no answer in {}", String::from_utf8_lossy(&r.body)))
}

/// The approval id and `requestState` of an `input_required` answer, after checking its shape
/// against the 2026-07-28 schema.
fn input_required(answer: &Value) -> (String, String) {
    let r = &answer["result"];
    assert_eq!(r["resultType"], "input_required", "{answer}");
    assert!(
        r.get("isError").is_none() && r.get("content").is_none(),
        "{r}"
    );
    let ask = &r["inputRequests"]["toolwall_approval"];
    assert_eq!(ask["method"], "elicitation/create", "{r}");
    assert_eq!(ask["params"]["mode"], "url", "{r}");
    // 2026-07-28 removed `elicitationId` from URL-mode params
    assert!(ask["params"].get("elicitationId").is_none(), "{r}");
    let id = r["_meta"]["toolwall/refusal"]["approval_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no approval id in {r}"))
        .to_string();
    assert_eq!(ask["params"]["url"], format!("{PAGE}#{id}"), "{r}");
    let message = ask["params"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("large_refund") && message.contains(&id) && message.contains("crm.refund"),
        "{message}"
    );
    let state = r["requestState"]
        .as_str()
        .unwrap_or_else(|| panic!("no requestState in {r}"))
        .to_string();
    assert!(state.starts_with("toolwall.v1."), "{state}");
    (id, state)
}

fn refusal_text(answer: &Value) -> String {
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    answer["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn accept() -> Value {
    json!({"toolwall_approval": {"action": "accept"}})
}

async fn approve(h: &Harness, id: &str) {
    for who in ["alice", "bob"] {
        let vote = Vote {
            approver: who.into(),
            approve: true,
            comment: None,
            at_unix: 0,
        };
        h.app
            .state
            .state()
            .approval_vote(id, vote)
            .await
            .expect("vote");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_capable_client_is_sent_to_the_approval_page_and_its_retry_goes_through_once() {
    let server = McpServer::start().await;
    let h = start(&server, true).await;
    let modern = "2026-07-28";

    let first = call(&h, modern, url_capable(), 500, json!({})).await;
    let (id, state) = input_required(&first);
    assert!(server.tool_calls().is_empty());

    // still pending: asked again, same request, nothing forwarded
    let extra = json!({"requestState": state, "inputResponses": accept()});
    let again = call(&h, modern, url_capable(), 500, extra).await;
    let (id2, state2) = input_required(&again);
    assert_eq!(id2, id);
    assert!(server.tool_calls().is_empty());

    approve(&h, &id).await;
    let extra =
        json!({"requestState": state2, "inputResponses": accept(), "_meta": {"trace": "t9"}});
    let done = call(&h, modern, url_capable(), 500, extra.clone()).await;
    assert_eq!(done["result"]["isError"], false, "{done}");
    assert_eq!(done["result"]["resultType"], "complete", "{done}");
    let text = done["result"]["content"][0]["text"].as_str().unwrap_or("");
    assert!(text.contains("refunded 500"), "{done}");
    let calls = server.tool_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    // the SDK server saw neither toolwall's state nor the answers to toolwall's question
    let params = &calls[0]["params"];
    assert!(
        params.get("requestState").is_none() && params.get("inputResponses").is_none(),
        "{params}"
    );
    assert_eq!(params["_meta"]["trace"], "t9", "{params}");
    assert!(
        params["_meta"].get("toolwall/approval").is_none(),
        "{params}"
    );
    let req = h
        .app
        .state
        .state()
        .approval_get(&id)
        .await
        .expect("get")
        .expect("request");
    assert_eq!(req.state, ApprovalState::Used);

    // the same state again: the approval was used
    let replay = call(&h, modern, url_capable(), 500, extra).await;
    assert!(refusal_text(&replay).contains("approval_used"), "{replay}");
    assert_eq!(server.tool_calls().len(), 1);

    // an altered state (any byte of the payload, or of the MAC) is toolwall's no more
    for at in [15, state2.len() - 2] {
        let mut bytes = state2.clone().into_bytes();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(bytes).expect("ascii");
        let extra = json!({"requestState": forged, "inputResponses": accept()});
        let answer = call(&h, modern, url_capable(), 500, extra).await;
        assert!(
            refusal_text(&answer).contains("approval_unknown"),
            "{answer}"
        );
    }
    assert_eq!(server.tool_calls().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_for_other_arguments_or_a_declined_page_is_refused_and_nothing_is_forwarded() {
    let server = McpServer::start().await;
    let h = start(&server, true).await;
    let modern = "2026-07-28";
    let (id, state) = input_required(&call(&h, modern, url_capable(), 500, json!({})).await);
    approve(&h, &id).await;

    // the state of a refund of 500 presented with a refund of 900
    let extra = json!({"requestState": state, "inputResponses": accept()});
    let other = call(&h, modern, url_capable(), 900, extra).await;
    assert!(
        refusal_text(&other).contains("approval_mismatch"),
        "{other}"
    );

    // the user declined (or dismissed) the page: refused at once, the approval left unused
    for action in ["decline", "cancel"] {
        let extra = json!({"requestState": state,
            "inputResponses": {"toolwall_approval": {"action": action}}});
        let declined = call(&h, modern, url_capable(), 500, extra).await;
        let text = refusal_text(&declined);
        assert!(
            text.contains("approval_denied") && text.contains(&id),
            "{text}"
        );
        assert_eq!(
            declined["result"]["_meta"]["toolwall/refusal"]["approval_id"],
            id.as_str()
        );
    }
    // a state and a different `_meta` approval id
    let extra = json!({"requestState": state, "_meta": {"toolwall/approval": "0190aaaa-0000-7000-8000-000000000000"}});
    let both = call(&h, modern, url_capable(), 500, extra).await;
    assert!(refusal_text(&both).contains("ambiguous_request"), "{both}");
    // a malformed answer
    let extra =
        json!({"requestState": state, "inputResponses": {"toolwall_approval": {"action": "yes"}}});
    let bad = call(&h, modern, url_capable(), 500, extra).await;
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
    assert!(server.tool_calls().is_empty());
    let req = h
        .app
        .state
        .state()
        .approval_get(&id)
        .await
        .expect("get")
        .expect("request");
    assert_eq!(req.state, ApprovalState::Approved);

    // the approved request still admits its call, once, with the state
    let extra = json!({"requestState": state, "inputResponses": accept()});
    let done = call(&h, modern, url_capable(), 500, extra).await;
    assert_eq!(done["result"]["isError"], false, "{done}");
    assert_eq!(server.tool_calls().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_other_client_keeps_the_is_error_refusal() {
    let server = McpServer::start().await;
    let h = start(&server, true).await;
    let legacy = "2025-11-25";
    let form_only = json!({"elicitation": {"form": {}}});
    for (version, caps) in [
        ("2026-07-28", json!({})),
        ("2026-07-28", form_only),
        ("2026-07-28", json!({"elicitation": {}})),
        (legacy, url_capable()),
    ] {
        let answer = if version == legacy {
            // a 2025-11-25 client has a session and declares capabilities at initialize
            legacy_call(&h).await
        } else {
            call(&h, version, caps.clone(), 500, json!({})).await
        };
        let text = refusal_text(&answer);
        assert!(
            text.contains("approval_required"),
            "{version} {caps}: {text}"
        );
        assert!(answer["result"].get("requestState").is_none(), "{answer}");
        assert!(answer["result"]["_meta"]["toolwall/refusal"]["approval_id"].is_string());
    }
    assert!(server.tool_calls().is_empty());

    // without `approvals.ui_url` there is no page to point at
    let server2 = McpServer::start().await;
    let h2 = start(&server2, false).await;
    let answer = call(&h2, "2026-07-28", url_capable(), 500, json!({})).await;
    assert!(
        refusal_text(&answer).contains("approval_required"),
        "{answer}"
    );
    assert!(server2.tool_calls().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_ui_url_the_page_is_under_the_webhook_admin_url() {
    let server = McpServer::start().await;
    std::env::set_var("TW_MRTR_HOOK", "mrtr-hook-secret");
    let notify = "  notify: { webhook: http://127.0.0.1:9/hook, secret_env: TW_MRTR_HOOK, admin_url: https://tw-admin.test/base/ }\n";
    let h = Harness::start(
        &[("crm", crm_adapter(server.addr, ""))],
        POLICY,
        &format!("{}{notify}", approvals(false)),
    )
    .await;
    let answer = call(&h, "2026-07-28", url_capable(), 500, json!({})).await;
    // `input_required` checks the URL is `<PAGE>#<id>`, PAGE being `<admin_url>/ui`
    let (id, _) = input_required(&answer);
    assert!(!id.is_empty());
    assert!(server.tool_calls().is_empty());
}

/// A `tools/call` of `refund` (500) on a 2025-11-25 session whose `initialize` declared
/// URL-mode elicitation.
async fn legacy_call(h: &Harness) -> Value {
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": url_capable(),
        "clientInfo": {"name": "t", "version": "1"}}});
    let r = send(h.agent(), mcp_post("/crm/mcp", &[], &init.to_string())).await;
    let sid = r
        .headers
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let headers = [
        ("mcp-protocol-version", "2025-11-25"),
        ("mcp-session-id", sid.as_str()),
    ];
    let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    send(h.agent(), mcp_post("/crm/mcp", &headers, &note.to_string())).await;
    let body = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
        "name": "refund", "arguments": {"charge": "ch_1", "amount": 500},
        "_meta": {"io.modelcontextprotocol/clientCapabilities": url_capable()}}});
    let r = send(h.agent(), mcp_post("/crm/mcp", &headers, &body.to_string())).await;
    messages(&r)
        .into_iter()
        .find(|m| m.get("result").is_some() || m.get("error").is_some())
        .unwrap_or_else(|| panic!("no answer in {}", String::from_utf8_lossy(&r.body)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_client_opens_the_page_and_retries_by_itself_once_approved() {
    let server = McpServer::start().await;
    let h = start(&server, true).await;
    let work = tempfile::tempdir().expect("tmp");
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/approval_client.py");
    let mut child = std::process::Command::new(crate::common::python())
        .arg(script)
        .arg(format!("http://{}/crm/mcp", h.agent()))
        .arg(work.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the test Python runs");
    // the client's elicitation callback was sent to the page: approve, then let it go on
    let asked = work.path().join("asked");
    let mut url = String::new();
    for _ in 0..300 {
        if let Ok(u) = std::fs::read_to_string(&asked) {
            url = u;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let id = url
        .strip_prefix(&format!("{PAGE}#"))
        .unwrap_or_else(|| panic!("the client was not sent to the page: {url:?}"))
        .to_string();
    assert!(server.tool_calls().is_empty());
    approve(&h, &id).await;
    std::fs::write(work.path().join("approved"), b"yes").expect("write");
    let mut status = None;
    for _ in 0..600 {
        status = child.try_wait().expect("wait");
        if status.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let (mut stdout, mut stderr) = (String::new(), String::new());
    use std::io::Read;
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_string(&mut stdout);
    }
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    assert!(
        status.is_some_and(|s| s.success()),
        "approval_client.py failed ({status:?}):\n{stdout}\n{stderr}"
    );
    let v: Value = serde_json::from_str(stdout.trim().lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("no JSON ({e}):\n{stdout}"));
    assert_eq!(v["protocol_version"], "2026-07-28", "{v}");
    assert_eq!(v["asked"].as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v["asked"][0]["mode"], "url", "{v}");
    assert_eq!(v["result"]["is_error"], false, "{v}");
    assert!(
        v["result"]["text"]
            .as_str()
            .unwrap_or("")
            .contains("refunded 500"),
        "{v}"
    );
    let calls = server.tool_calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(
        calls[0]["params"].get("requestState").is_none(),
        "{calls:?}"
    );
    let req = h
        .app
        .state
        .state()
        .approval_get(&id)
        .await
        .expect("get")
        .expect("request");
    assert_eq!(req.state, ApprovalState::Used);
}
