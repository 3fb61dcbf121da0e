//! Audit backpressure through the app: with the smallest queue (`audit.queue: 1`) a burst of
//! concurrent calls keeps the writer busy. Whatever the timing, every call has exactly one
//! decision record, nothing reaches the upstream without its decision record, a call refused
//! for a writer that is behind (`audit_unavailable`) has its own record and never reached the
//! upstream, the queue gauge drains to 0, and `toolwall audit verify` passes.

use std::collections::HashMap;

use serde_json::Value;

use crate::common::*;

const CALLS: usize = 48;

fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_on_a_queue_of_one_loses_no_record() {
    let up = http_upstream().await;
    let keys = tempfile::tempdir().expect("tmp");
    assert_eq!(
        toolwall::cli::audit::keygen(&keys.path().join("keys"), "t"),
        0
    );
    let extra = format!(
        "audit: {{ dir: audit, key: {0}/keys/audit.key, hmac_key: {0}/keys/hmac.key, queue: 1, sync: always, checkpoint: {{ every_records: 7 }} }}",
        keys.path().display()
    );
    let h = Harness::start(
        // a slow machine's burst is not an upstream timeout: this test is about the audit
        // queue, so the adapter waits 10 s, not the shared helper's 500 ms
        &[(
            "echo",
            echo_adapter(&format!("http://{}", up.addr), "")
                .replace("timeout: 500ms", "timeout: 10s"),
        )],
        POLICY,
        &extra,
    )
    .await;

    let (sink, _) = h.app.state.audit.as_ref().expect("audit on");
    assert_eq!(sink.capacity(), 1, "audit.queue is applied");

    // Every third call is denied by policy (amount > 100); the rest are forwarded.
    let tasks: Vec<_> = (0..CALLS)
        .map(|i| {
            let agent = h.agent();
            let amount = if i % 3 == 0 { 500 } else { 5 };
            let body = format!(r#"{{"charge":"ch_{i}","amount":{amount}}}"#);
            tokio::spawn(async move {
                let r = send(agent, json_post("/echo/v1/refunds", &body)).await;
                (i, amount, r)
            })
        })
        .collect();
    let mut replies = Vec::new();
    for t in tasks {
        replies.push(t.await.expect("join"));
    }

    // The gauge drains: nothing stays queued once the burst is over.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let m = admin_get(h.admin(), "/metrics").await;
        let text = String::from_utf8_lossy(&m.body).to_string();
        let depth = metric(&text, "toolwall_audit_queue_depth")
            .unwrap_or_else(|| panic!("no queue depth gauge in\n{text}"));
        assert!(
            depth <= 2.0,
            "the queue never holds more than 2 × queue: {depth}"
        );
        if depth == 0.0 {
            assert!(
                metric(&text, "toolwall_audit_queue_full_total").is_some(),
                "{text}"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "queue never drained: {text}"
        );
        tokio::task::yield_now().await;
    }
    let ready = admin_get(h.admin(), "/readyz").await;
    assert_eq!(
        ready.status, 200,
        "a busy writer is not an unhealthy stream"
    );

    let forwarded: Vec<String> = up
        .requests()
        .iter()
        .map(|s| {
            let v: Value = serde_json::from_slice(&s.body).expect("json body upstream");
            v["charge"].as_str().expect("charge").to_owned()
        })
        .collect();
    let audit_dir = h.dir.path().join("audit");
    let Harness { app, dir: _dir } = h;
    app.shutdown().await;

    let all = audit_records(&audit_dir);
    let mut decisions: HashMap<String, Vec<&Value>> = HashMap::new();
    for r in all.iter().filter(|r| r["kind"] == "decision") {
        decisions
            .entry(r["decision_id"].as_str().expect("id").to_owned())
            .or_default()
            .push(r);
    }
    assert_eq!(decisions.len(), CALLS, "one decision record per call");
    let mut busy = 0;
    for (i, amount, r) in &replies {
        let id = r
            .headers
            .get("toolwall-decision-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("call {i}: no decision id: {r:?}"));
        let recs = decisions
            .get(id)
            .unwrap_or_else(|| panic!("call {i}: no decision record"));
        assert_eq!(recs.len(), 1, "call {i}: exactly one decision record");
        let d = recs[0];
        let charge = format!("ch_{i}");
        let reached = forwarded.contains(&charge);
        match r.status.as_u16() {
            200 => {
                assert!(reached, "call {i} was answered by the upstream");
                assert_eq!(d["decision"], "allow", "call {i}: {d}");
                assert!(
                    all.iter()
                        .any(|r| r["kind"] == "outcome" && r["decision_id"] == id),
                    "call {i}: its outcome is recorded"
                );
            }
            403 => {
                assert_eq!(*amount, 500, "call {i}");
                assert!(!reached, "call {i}");
                assert_eq!(d["reasons"][0], "amount_exceeds_threshold", "call {i}: {d}");
            }
            503 => {
                busy += 1;
                assert_eq!(r.reasons(), ["audit_unavailable"], "call {i}");
                assert!(!reached, "call {i}: refused before forwarding");
                assert_eq!(d["reasons"][0], "audit_unavailable", "call {i}: {d}");
            }
            s => panic!("call {i}: unexpected {s}: {:?}", r.body),
        }
    }
    // Every request that reached the upstream is one of ours and has its record.
    assert_eq!(
        forwarded.len(),
        replies.iter().filter(|(_, _, r)| r.status == 200).count(),
        "forwarded: {forwarded:?} (refused for a busy writer: {busy})"
    );

    let pubkey = keys.path().join("keys/audit.pub");
    let (code, out, err) = toolwall(&[
        "audit",
        "verify",
        audit_dir.to_str().expect("utf8"),
        "--keys",
        pubkey.to_str().expect("utf8"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
}
