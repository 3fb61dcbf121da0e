//! `event` records (not calls): written through the real sink next to decision and outcome
//! records, then read back by the real binary: `audit verify` accepts them in the chain (and
//! catches an edit to one), `replay` skips them and says how many, `audit show` lists them
//! apart from the calls.

use std::path::Path;
use std::sync::Arc;

use serde_json::{json, Map, Value};
use toolwall::audit::event::{EventPrincipal, EventRecord};
use toolwall::audit::sink::AuditSink;
use toolwall::audit::{AuditSigner, Kind, SyncMode, WriterOptions};

use crate::common::*;

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8 path")
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

/// A decision record as the pipeline writes one, with the policy input replay needs.
fn decision(id: &str, amount: u64) -> Map<String, Value> {
    let allow = amount <= 100;
    object(json!({
        "decision_id": id, "run_id": "run-1", "agent": "ci-bot", "tenant_id": "acme",
        "adapter": "echo", "tool": "echo.refund", "decision": if allow { "allow" } else { "deny" },
        "status": if allow { Value::Null } else { json!(403) }, "reasons": [],
        "approvals": [], "latency_us": 12,
        "policy": {"version": "p1", "result": {"allow": allow,
                   "reasons": if allow { json!([]) } else { json!(["amount_exceeds_threshold"]) }}},
        "input": {"tool": {"name": "echo.refund"}}, "args": {"amount": amount},
    }))
}

/// Stream with two calls and three events, written through a running sink; the keys dir.
async fn write_stream(root: &Path) -> (std::path::PathBuf, std::path::PathBuf, String) {
    assert_eq!(toolwall::cli::audit::keygen(&root.join("keys"), "t"), 0);
    let audit_dir = root.join("audit");
    let mut opts = WriterOptions::new(
        &audit_dir,
        "toolwall",
        AuditSigner::load(&root.join("keys/audit.key")).expect("key"),
    );
    opts.sync = SyncMode::None;
    let metrics = Arc::new(toolwall::metrics::Metrics::new());
    let sink = AuditSink::start(opts, vec![7; 32], None, metrics.clone()).expect("sink");
    let calls_before = without_writer_gauges(&metrics.encode());

    sink.write_ahead(Kind::Decision, decision("d-1", 5))
        .await
        .expect("decision");
    sink.event(
        EventRecord::new("mcp.tool_repinned")
            .config_version("cfg-3")
            .policy_version("p1")
            .adapter("echo")
            .tool("echo.refund")
            .principal(EventPrincipal::agent("ci-bot").tenant("acme").run("run-1"))
            .detail("old_digest", "aaaa")
            .detail("new_digest", "bbbb")
            // an upstream-supplied number the format cannot hold: still written
            .detail("size", 9_007_199_254_740_993u64),
    );
    sink.record(
        Kind::Outcome,
        object(json!({"decision_id": "d-1", "tool": "echo.refund", "status": 200})),
    );
    sink.record(Kind::Decision, decision("d-2", 500));
    sink.event(
        EventRecord::new("mcp.server_message_withheld")
            .adapter("echo")
            .detail("method", "notifications/tools/list_changed"),
    );
    let pin = EventRecord::new("admin.pin")
        .config_version("cfg-3")
        .tool("echo.refund")
        .detail("operator", "ops@example.com");
    let pin_id = pin.id().to_owned();
    let seq = sink.write_event(pin).await.expect("written before the ack");
    assert!(seq > 0);
    sink.close().await;
    assert_eq!(
        without_writer_gauges(&metrics.encode()),
        calls_before.replace(
            "toolwall_audit_records_total 0",
            "toolwall_audit_records_total 6"
        ),
        "events touch no call metric (only the audit record count)"
    );
    (audit_dir, root.join("keys/audit.pub"), pin_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_chained_verified_skipped_by_replay_and_shown_apart() {
    let dir = tempfile::tempdir().expect("tmp");
    let (audit_dir, pubkey, pin_id) = write_stream(dir.path()).await;

    // on disk: the event records sit in the chain between the calls' records
    let recs = audit_records(&audit_dir);
    let kinds: Vec<&str> = recs
        .iter()
        .filter_map(|r| r["kind"].as_str())
        .filter(|k| *k != "header" && *k != "checkpoint")
        .collect();
    assert_eq!(
        kinds,
        ["decision", "event", "outcome", "decision", "event", "event"]
    );
    let repin = recs
        .iter()
        .find(|r| r["event"] == "mcp.tool_repinned")
        .expect("re-pin event");
    assert_eq!(repin["tool"], "echo.refund");
    assert_eq!(repin["principal"]["agent"], "ci-bot");
    assert_eq!(repin["detail"]["size"], "9007199254740993");
    assert_eq!(repin["big_numbers"], json!(["/detail/size"]));
    assert!(repin.get("decision_id").is_none(), "an event is not a call");
    let pin = recs
        .iter()
        .find(|r| r["event"] == "admin.pin")
        .expect("pin event");
    assert_eq!(pin["id"], json!(pin_id));
    assert_eq!(pin["policy_version"], Value::Null);

    // verify: the chain with its events is valid, signatures checked
    let (code, out, err) = toolwall(&["audit", "verify", s(&audit_dir), "--keys", s(&pubkey)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("; 0 invalid"), "{out}");
    assert!(!out.contains("WARNING"), "{out}");

    // replay: two decisions replayed, the three events skipped and counted, nothing changes
    let policies = dir.path().join("policies");
    std::fs::create_dir_all(&policies).expect("mkdir");
    std::fs::write(policies.join("p.rego"), POLICY).expect("write");
    let (code, out, err) = toolwall(&["replay", s(&audit_dir), "--policies", s(&policies)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("replayed 2 decision(s)"), "{out}");
    assert!(out.contains("0 would change"), "{out}");
    assert!(out.contains("skipped 3 event record(s)"), "{out}");
    let (code, out, err) = toolwall(&[
        "replay",
        s(&audit_dir),
        "--policies",
        s(&policies),
        "--json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        (&v["replayed"], &v["changed"], &v["skipped_events"]),
        (&json!(2), &json!(0), &json!(3)),
        "{v}"
    );
    assert_eq!(
        v["malformed"],
        json!([]),
        "events are not malformed decisions"
    );

    // show: the calls under their run, the events apart
    let (code, out, err) = toolwall(&["audit", "show", s(&audit_dir)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("run run-1  agent ci-bot  tenant acme  (2 call(s))"),
        "{out}"
    );
    assert!(out.contains("events (not calls): 3"), "{out}");
    let line = out
        .lines()
        .find(|l| l.contains("mcp.tool_repinned"))
        .expect("re-pin line");
    for part in [
        "echo.refund",
        "agent ci-bot",
        "tenant acme",
        "run run-1",
        r#""new_digest":"bbbb""#,
    ] {
        assert!(line.contains(part), "{part} in {line}");
    }
    assert!(out
        .lines()
        .any(|l| l.contains("admin.pin") && l.ends_with(&pin_id)));
    // filters apply to events through their principal and tool
    let (_, out, _) = toolwall(&["audit", "show", s(&audit_dir), "--agent", "ci-bot"]);
    assert!(out.contains("events (not calls): 1"), "{out}");
    let (_, out, _) = toolwall(&["audit", "show", s(&audit_dir), "--decision", &pin_id]);
    assert!(
        out.contains("events (not calls): 1") && out.contains("admin.pin"),
        "{out}"
    );
    assert!(!out.contains("call(s)"), "{out}");
    let (_, out, _) = toolwall(&["audit", "show", s(&audit_dir), "--json"]);
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 5, "two calls and three events: {out}");
    assert_eq!(
        lines.iter().filter(|l| l["kind"] == "event").count(),
        3,
        "{out}"
    );
    assert_eq!(
        lines[0]["outcome"]["status"], 200,
        "calls keep their outcome"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_event_breaks_the_chain() {
    let dir = tempfile::tempdir().expect("tmp");
    let (audit_dir, pubkey, _) = write_stream(dir.path()).await;
    let file = audit_dir.join("toolwall-000001.jsonl");
    let text = std::fs::read_to_string(&file).expect("read");
    let line = text
        .lines()
        .position(|l| l.contains("notifications/tools/list_changed"))
        .expect("the withheld event")
        + 1;
    std::fs::write(
        &file,
        text.replace(
            "notifications/tools/list_changed",
            "notifications/tools/list_chang3d",
        ),
    )
    .expect("tamper");
    let (code, out, err) = toolwall(&["audit", "verify", s(&audit_dir), "--keys", s(&pubkey)]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains(&format!("INVALID: toolwall-000001.jsonl:{}:", line + 1)),
        "the next record's prev no longer matches: {out}"
    );
    let policies = dir.path().join("policies");
    std::fs::create_dir_all(&policies).expect("mkdir");
    std::fs::write(policies.join("p.rego"), POLICY).expect("write");
    let (code, _, err) = toolwall(&["replay", s(&audit_dir), "--policies", s(&policies)]);
    assert_eq!(
        code, 1,
        "a stream that does not verify is not replayed: {err}"
    );
}

/// The exposition without the audit writer's own state (unsealed records, seconds since the
/// last checkpoint), which any record changes.
fn without_writer_gauges(text: &str) -> String {
    text.lines()
        .filter(|l| {
            !l.contains("toolwall_audit_unsealed_records")
                && !l.contains("toolwall_audit_seconds_since_checkpoint")
        })
        .map(|l| format!("{l}\n"))
        .collect()
}
