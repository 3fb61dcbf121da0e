//! Policy and audit hardening: `require_approval` is refused (HTTP and MCP, audited, shadow
//! mode records it), the audit record names the real tool whatever the metric label says,
//! metric labels stay bounded, shed calls are recorded, the policy version does not depend on
//! the directory the policy lives in.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use serde_json::{json, Value};

use crate::common::*;

/// Refunds above 10 need approval; refunds above 1000 are not allowed but a human may still
/// approve them (`require_approval` wins over `allow`); everything else is allowed.
const APPROVAL_POLICY: &str = r#"
package toolwall
import rego.v1

default decision := {"allow": true, "reasons": []}

decision := {"allow": true, "require_approval": true, "reasons": ["large_refund"]} if {
	input.args.amount > 10
	input.args.amount <= 1000
}

decision := {"allow": false, "require_approval": true, "reasons": ["amount_exceeds_threshold"]} if {
	input.args.amount > 1000
}
"#;

/// Audit config writing to `<keys>/audit` with keys made in `<keys>/keys`.
fn audit_extra(keys: &Path) -> String {
    assert_eq!(toolwall::cli::audit::keygen(&keys.join("keys"), "t"), 0);
    format!(
        "audit: {{ dir: {0}/audit, key: {0}/keys/audit.key, hmac_key: {0}/keys/hmac.key, args: hashed }}\n",
        keys.display()
    )
}

/// The decision record of `decision_id`.
fn decision_of<'a>(recs: &'a [Value], decision_id: &str) -> &'a Value {
    recs.iter()
        .find(|r| r["kind"] == "decision" && r["decision_id"] == decision_id)
        .unwrap_or_else(|| panic!("no decision record for {decision_id} in {recs:#?}"))
}

fn refund(amount: i64) -> http::Request<Full<Bytes>> {
    json_post(
        "/echo/v1/refunds",
        &format!(r#"{{"charge":"ch_1","amount":{amount}}}"#),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn require_approval_is_refused_over_http_never_forwarded_and_audited() {
    let up = http_upstream().await;
    let keys = tempfile::tempdir().expect("tmp");
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        APPROVAL_POLICY,
        &audit_extra(keys.path()),
    )
    .await;

    let needs = send(h.agent(), refund(50)).await;
    assert_eq!(
        needs.status,
        403,
        "{}",
        String::from_utf8_lossy(&needs.body)
    );
    let body = needs.json();
    assert_eq!(body["error"]["type"], "approval_required");
    assert_eq!(
        body["error"]["reasons"],
        json!(["approval_required", "large_refund"])
    );
    assert!(body["error"]["approval_id"].is_string(), "{body}");
    let needs_id = body["error"]["decision_id"]
        .as_str()
        .expect("decision_id")
        .to_string();
    assert_eq!(
        needs
            .headers
            .get("toolwall-decision-id")
            .and_then(|v| v.to_str().ok()),
        Some(needs_id.as_str())
    );

    // `allow: false` with `require_approval: true` is a call a human may unblock
    let denied = send(h.agent(), refund(5000)).await;
    assert_eq!(denied.status, 403);
    assert_eq!(
        denied.reasons(),
        vec!["approval_required", "amount_exceeds_threshold"]
    );
    assert!(denied.json()["error"]["approval_id"].is_string());
    assert_ne!(
        denied.json()["error"]["approval_id"],
        body["error"]["approval_id"]
    );
    let denied_id = denied.json()["error"]["decision_id"]
        .as_str()
        .expect("decision_id")
        .to_string();

    let ok = send(h.agent(), refund(5)).await;
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));

    // only the plain allow reached the upstream
    let seen = up.requests();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let forwarded: Value = serde_json::from_slice(&seen[0].body).expect("json");
    assert_eq!(forwarded["amount"], 5);

    let Harness { app, dir: _dir } = h;
    app.shutdown().await;
    let recs = audit_records(&keys.path().join("audit"));
    let rec = decision_of(&recs, &needs_id);
    assert_eq!(rec["decision"], "deny", "{rec}");
    assert_eq!(rec["reason"], "approval_required", "{rec}");
    assert_eq!(rec["status"], 403);
    assert_eq!(rec["reasons"], json!(["approval_required", "large_refund"]));
    assert_eq!(rec["tool"], "echo.refund");
    // what policy said, for replay: an allow that needs approval
    assert_eq!(
        rec["policy"]["result"],
        json!({"allow": true, "reasons": ["large_refund"], "require_approval": true})
    );
    // no outcome record: nothing was forwarded for it
    assert!(
        !recs
            .iter()
            .any(|r| r["kind"] == "outcome" && r["decision_id"] == needs_id.as_str()),
        "an outcome was recorded for a refused call"
    );

    // replay: the same policy changes nothing; dropping require_approval changes that call
    let audit_dir = keys.path().join("audit");
    let same = keys.path().join("same");
    let lax = keys.path().join("lax");
    for (d, policy) in [
        (&same, APPROVAL_POLICY.to_string()),
        (
            &lax,
            APPROVAL_POLICY.replace(r#""require_approval": true, "#, ""),
        ),
    ] {
        std::fs::create_dir_all(d).expect("mkdir");
        std::fs::write(d.join("toolwall.rego"), policy).expect("write");
    }
    let replay = |policies: &Path| {
        toolwall(&[
            "replay",
            audit_dir.to_str().expect("utf8"),
            "--policies",
            policies.to_str().expect("utf8"),
            "--json",
        ])
    };
    let (code, out, err) = replay(&same);
    assert_eq!(code, 0, "{out}{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["changed"], 0, "{out}");
    assert_eq!(v["policy"]["version"], rec["policy"]["version"], "{out}");
    let (code, out, err) = replay(&lax);
    assert_eq!(code, 1, "{out}{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["changed"], 2, "{out}");
    let all: Vec<&Value> = v["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .flat_map(|g| g["changed"].as_array().expect("changed").iter())
        .collect();
    let ids: Vec<&str> = all
        .iter()
        .filter_map(|c| c["decision_id"].as_str())
        .collect();
    assert!(ids.contains(&denied_id.as_str()), "{out}");
    let changed = all
        .iter()
        .find(|c| c["decision_id"] == needs_id.as_str())
        .expect("the approval call changed");
    assert_eq!(
        changed["before"]["reasons"],
        json!(["approval_required", "large_refund"])
    );
    assert_eq!(changed["after"]["reasons"], json!(["large_refund"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn require_approval_in_shadow_mode_is_recorded_as_what_enforce_would_do() {
    let up = http_upstream().await;
    let keys = tempfile::tempdir().expect("tmp");
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        APPROVAL_POLICY,
        &format!("mode: shadow\n{}", audit_extra(keys.path())),
    )
    .await;
    let r = send(h.agent(), refund(50)).await;
    // shadow mode forwards, as it does for every other policy refusal
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let id = r
        .headers
        .get("toolwall-decision-id")
        .and_then(|v| v.to_str().ok())
        .expect("decision id")
        .to_string();
    assert_eq!(up.requests().len(), 1);
    let Harness { app, dir: _dir } = h;
    app.shutdown().await;
    let recs = audit_records(&keys.path().join("audit"));
    let rec = decision_of(&recs, &id);
    assert_eq!(rec["mode"], "shadow");
    assert_eq!(
        rec["shadow_would_refuse"],
        json!(["approval_required", "large_refund"]),
        "{rec}"
    );
}

// ---------------------------------------------------------------------------------------------
// MCP

pub(crate) fn mcp_post(
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> http::Request<Full<Bytes>> {
    let mut b = req("POST", target)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Full::new(Bytes::from(body.to_string())))
        .expect("request")
}

/// JSON-RPC messages of a reply, whether JSON or SSE.
pub(crate) fn messages(r: &Reply) -> Vec<Value> {
    let is_sse = r
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/event-stream"));
    if !is_sse {
        return match serde_json::from_slice::<Value>(&r.body) {
            Ok(Value::Array(a)) => a,
            Ok(v) => vec![v],
            Err(_) => Vec::new(),
        };
    }
    String::from_utf8_lossy(&r.body)
        .split("\n\n")
        .filter_map(|ev| {
            let data: Vec<&str> = ev
                .lines()
                .filter_map(|l| l.trim_end_matches('\r').strip_prefix("data:"))
                .map(str::trim_start)
                .collect();
            serde_json::from_str(&data.join("\n")).ok()
        })
        .collect()
}

const META: &str = r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#;

/// A 2026-07-28 `tools/call` of `name` with `args` (JSON), headers consistent with the body.
async fn mcp_call(agent: SocketAddr, name: &str, args: &str) -> Reply {
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{{"name":{},"arguments":{args},{META}}}}}"#,
        json!(name)
    );
    let headers = [
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", "tools/call"),
        ("mcp-name", name),
    ];
    send(agent, mcp_post("/crm/mcp", &headers, &body)).await
}

/// A 2025-11-25 (sessionless, header-free) `tools/call`: how a name too long for a header goes.
async fn mcp_call_legacy(agent: SocketAddr, name: &str) -> Reply {
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{{"name":{},"arguments":{{}}}}}}"#,
        json!(name)
    );
    send(agent, mcp_post("/crm/mcp", &[], &body)).await
}

fn mcp_tool_result(r: &Reply) -> Value {
    let m = messages(r);
    m.iter()
        .find(|m| m.get("result").is_some() || m.get("error").is_some())
        .cloned()
        .unwrap_or_else(|| panic!("no answer in {}", String::from_utf8_lossy(&r.body)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn require_approval_is_an_is_error_result_over_mcp_and_never_reaches_the_sdk_server() {
    let server = super::mcp::McpServer::start().await;
    let keys = tempfile::tempdir().expect("tmp");
    let h = Harness::start(
        &[("crm", super::mcp::crm_adapter(server.addr, ""))],
        APPROVAL_POLICY,
        &audit_extra(keys.path()),
    )
    .await;

    let r = mcp_call(h.agent(), "refund", r#"{"charge":"ch_1","amount":50}"#).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let answer = mcp_tool_result(&r);
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    let text = answer["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(text.contains("approval_required"), "{text}");

    let ok = mcp_call(h.agent(), "refund", r#"{"charge":"ch_1","amount":5}"#).await;
    let answer = mcp_tool_result(&ok);
    assert_eq!(answer["result"]["isError"], false, "{answer}");

    // the SDK server executed only the plain allow
    let calls = server.tool_calls();
    let amounts: Vec<Value> = calls
        .iter()
        .map(|c| c["params"]["arguments"]["amount"].clone())
        .collect();
    assert_eq!(amounts, vec![json!(5)], "{calls:?}");

    let Harness { app, dir: _dir } = h;
    app.shutdown().await;
    let recs = audit_records(&keys.path().join("audit"));
    let refused: Vec<&Value> = recs
        .iter()
        .filter(|r| r["kind"] == "decision" && r["reason"] == "approval_required")
        .collect();
    assert_eq!(refused.len(), 1, "{recs:#?}");
    assert_eq!(refused[0]["tool"], "crm.refund");
    assert_eq!(refused[0]["decision"], "deny");
    assert!(text.contains(refused[0]["decision_id"].as_str().expect("id")));
}

/// A deliberately lax MCP server: answers `tools/list` with one tool (`known`) and any other
/// request with an empty result, counting what it receives.
async fn lax_mcp_server() -> Upstream {
    scripted_upstream(|seen| {
        let msg: Value = serde_json::from_slice(&seen.body).unwrap_or(Value::Null);
        let result = if msg["method"] == "tools/list" {
            json!({"tools": [{"name": "known", "description": "d",
                               "inputSchema": {"type": "object"}}]})
        } else {
            json!({"content": [{"type": "text", "text": "done"}], "isError": false})
        };
        let out = json!({"jsonrpc": "2.0", "id": msg["id"], "result": result});
        http::Response::builder()
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(out.to_string())))
            .expect("response")
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_record_names_its_own_tool_past_1024_names_and_labels_stay_bounded() {
    let server = lax_mcp_server().await;
    let keys = tempfile::tempdir().expect("tmp");
    let h = Harness::start(
        &[(
            "crm",
            format!(
                "name: crm\nkind: mcp\nupstream: http://{}/mcp\ntimeout: 5s\n",
                server.addr
            ),
        )],
        "package toolwall\nimport rego.v1\ndefault decision := {\"allow\": true}\n",
        &format!(
            "request: {{ max_body_bytes: 2097152 }}\n{}",
            audit_extra(keys.path())
        ),
    )
    .await;

    // 1,100 distinct unknown names, then a few huge ones, then the one listed tool
    const N: usize = 1100;
    for i in 0..N {
        let r = mcp_call(h.agent(), &format!("nosuch_{i}"), "{}").await;
        let answer = mcp_tool_result(&r);
        assert_eq!(answer["result"]["isError"], true, "{answer}");
    }
    let huge: Vec<String> = (0..4)
        .map(|i| format!("{i}{}", "x".repeat(1 << 20)))
        .collect();
    for name in &huge {
        let r = mcp_call_legacy(h.agent(), name).await;
        let answer = mcp_tool_result(&r);
        assert_eq!(
            answer["result"]["isError"],
            true,
            "{} {}",
            r.status,
            &answer.to_string()[..300.min(answer.to_string().len())]
        );
    }
    let ok = mcp_call(h.agent(), "known", "{}").await;
    assert_eq!(mcp_tool_result(&ok)["result"]["isError"], false);
    let calls = server
        .requests()
        .iter()
        .filter(|s| {
            serde_json::from_slice::<Value>(&s.body).is_ok_and(|m| m["method"] == "tools/call")
        })
        .count();
    assert_eq!(calls, 1, "only the listed tool reached the server");

    // metrics: unknown names share one label; no label holds a huge name
    let metrics = admin_get(h.admin(), "/metrics").await;
    let text = String::from_utf8_lossy(&metrics.body).to_string();
    assert!(
        metrics.body.len() < 64 * 1024,
        "{} bytes",
        metrics.body.len()
    );
    assert!(!text.contains("nosuch_"), "an unlisted name became a label");
    assert!(text.contains(r#"tool="other""#), "{text}");
    assert!(text.contains(r#"tool="crm.known""#), "{text}");
    // nothing an agent named was kept for a label (the memory the finding leaked)
    for i in 0..N {
        assert!(!toolwall::metrics::is_tool_label(&format!(
            "crm.nosuch_{i}"
        )));
    }
    for name in &huge {
        assert!(!toolwall::metrics::is_tool_label(&format!("crm.{name}")));
    }
    assert!(toolwall::metrics::tool_label_count() <= toolwall::metrics::MAX_TOOL_LABELS);

    let Harness { app, dir: _dir } = h;
    app.shutdown().await;
    let recs = audit_records(&keys.path().join("audit"));
    let decisions: Vec<&Value> = recs.iter().filter(|r| r["kind"] == "decision").collect();
    for i in 0..N {
        let want = format!("crm.nosuch_{i}");
        let found = decisions
            .iter()
            .filter(|r| r["tool"] == want.as_str())
            .count();
        assert_eq!(found, 1, "records naming {want}");
    }
    for name in &huge {
        let want = format!("crm.{name}");
        assert_eq!(
            decisions
                .iter()
                .filter(|r| r["tool"] == want.as_str() && r["reason"] == "unknown_tool")
                .count(),
            1,
            "the record of a huge name names it whole"
        );
    }
    assert!(!decisions.iter().any(|r| r["tool"] == "other"));
    assert!(decisions.iter().any(|r| r["tool"] == "crm.known"));
}

// ---------------------------------------------------------------------------------------------
// Shed calls

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_shed_under_overload_gets_its_own_record() {
    let up = http_upstream().await;
    let keys = tempfile::tempdir().expect("tmp");
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        POLICY,
        &format!(
            "request: {{ max_in_flight: 1 }}\n{}",
            audit_extra(keys.path())
        ),
    )
    .await;
    let agent = h.agent();
    // holds the only slot until the adapter's 500 ms timeout
    let slow = tokio::spawn(async move { send(agent, get("/echo/slow")).await });
    for _ in 0..100 {
        if !up.requests().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(up.requests().len(), 1, "the slow call reached the upstream");
    let shed = send(agent, get("/echo/v1/charges/jane.doe%40example.com")).await;
    assert_eq!(shed.status, 503);
    assert_eq!(shed.reasons(), vec!["overloaded"]);
    let id = shed.json()["error"]["decision_id"]
        .as_str()
        .expect("decision id")
        .to_string();
    assert!(!id.is_empty());
    assert_eq!(
        shed.headers
            .get("toolwall-decision-id")
            .and_then(|v| v.to_str().ok()),
        Some(id.as_str())
    );
    assert_eq!(slow.await.expect("join").status, 504);
    assert_eq!(
        up.requests().len(),
        1,
        "the shed call never reached the upstream"
    );

    let Harness { app, dir: _dir } = h;
    app.shutdown().await;
    let recs = audit_records(&keys.path().join("audit"));
    let rec = decision_of(&recs, &id);
    assert_eq!(rec["reason"], "overloaded", "{rec}");
    assert_eq!(rec["status"], 503);
    assert_eq!(rec["decision"], "error");
    assert_eq!(rec["request"]["method"], "GET");
    assert_eq!(rec["adapter"], "echo");
    assert!(rec["tool"].is_null());
    let path = rec["request"]["path"].as_str().expect("path");
    assert!(path.starts_with("/echo/v1/charges/"), "{path}");
    assert!(!path.contains("jane.doe"), "the record holds PII: {path}");
    // one record per exit: the slow call has its own, the shed call exactly one
    assert_eq!(
        recs.iter()
            .filter(|r| r["kind"] == "decision" && r["decision_id"] == id.as_str())
            .count(),
        1
    );
    // and the stream still verifies
    let (code, out, err) = toolwall(&[
        "audit",
        "verify",
        keys.path().join("audit").to_str().expect("utf8"),
        "--keys",
        keys.path().join("keys/audit.pub").to_str().expect("utf8"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
}

// ---------------------------------------------------------------------------------------------
// Policy version

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_policy_in_two_directories_has_one_version() {
    let up = http_upstream().await;
    let adapters = [("echo", echo_adapter(&format!("http://{}", up.addr), ""))];
    let a = Harness::start(&adapters, POLICY, "").await;
    let b = Harness::start(&adapters, POLICY, "").await;
    assert_ne!(a.dir.path(), b.dir.path());
    let va = a.app.state.snapshot.load().policy.version.clone();
    let vb = b.app.state.snapshot.load().policy.version.clone();
    assert_eq!(va, vb);
    assert_eq!(
        a.app.state.snapshot.load().policy.digest,
        b.app.state.snapshot.load().policy.digest
    );
    // and the config version (which covers the adapter files) does not depend on it either
    assert_eq!(
        a.app.state.snapshot.load().version,
        b.app.state.snapshot.load().version
    );
    // what `replay` and `policy eval` load from a third place reports the same version
    let third = tempfile::tempdir().expect("tmp");
    std::fs::write(third.path().join("toolwall.rego"), POLICY).expect("write");
    let input = third.path().join("in.json");
    std::fs::write(
        &input,
        r#"{"args":{"amount":5},"tool":{"name":"echo.refund"}}"#,
    )
    .expect("write");
    let (code, out, err) = toolwall(&[
        "policy",
        "eval",
        "-i",
        input.to_str().expect("utf8"),
        "--policies",
        third.path().to_str().expect("utf8"),
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["policy"]["version"], json!(va), "{out}");
    // and loading the harness's own files again agrees
    let set = toolwall::policy::PolicySet::load(
        &a.dir.path().join("policies"),
        toolwall::policy::DEFAULT_MAX_INSTRUCTIONS,
    )
    .expect("loads");
    assert_eq!(set.version, va);
    let m = admin_get(a.admin(), "/metrics").await;
    assert!(String::from_utf8_lossy(&m.body).contains(&format!("version=\"{va}\"")));
}
