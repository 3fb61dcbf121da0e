//! Redaction end to end: `input.pii.found` for policy, the decision's `redact` list applied to
//! the forwarded arguments and to the tool's response, the audit stream, `toolwall redact`.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::common::*;

const PII_POLICY: &str = r#"
package toolwall
import rego.v1

default decision := {"allow": false, "reasons": ["default_deny"]}

decision := {"allow": true, "reasons": [], "redact": ["email", "credit_card"]} if count(deny_reasons) == 0

decision := {"allow": false, "reasons": sort([r | some r in deny_reasons])} if count(deny_reasons) > 0

deny_reasons contains "ssn_not_allowed" if "us_ssn" in input.pii.found
"#;

async fn harness(extra: &str) -> (Upstream, Harness) {
    let up = http_upstream().await;
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        PII_POLICY,
        extra,
    )
    .await;
    (up, h)
}

/// A harness with a signed audit stream (its key in the returned directory).
async fn audited_harness() -> (Upstream, Harness, tempfile::TempDir) {
    let keys = tempfile::tempdir().expect("tmp");
    assert_eq!(toolwall::cli::audit::keygen(&keys.path().join("k"), "t"), 0);
    let extra = format!(
        "audit: {{ dir: audit, key: {}/k/audit.key }}",
        keys.path().display()
    );
    let (up, h) = harness(&extra).await;
    (up, h, keys)
}

/// Shuts the sidecar down and returns its whole audit stream.
async fn audit_text(h: Harness) -> String {
    let audit = h.dir.path().join("audit");
    let Harness { app, dir } = h;
    app.shutdown().await;
    let mut text = String::new();
    for e in std::fs::read_dir(&audit).expect("dir").flatten() {
        text.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
    }
    drop(dir);
    text
}

fn decision_record(text: &str) -> serde_json::Value {
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|r| r["kind"] == "decision")
        .expect("decision")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_sees_pii_found_and_denies_on_it() {
    let (up, h) = harness("").await;
    let body = r#"{"charge":"ch_1","amount":5,"meta":{"ssn":"123-45-6789"}}"#;
    let r = send(h.agent(), json_post("/echo/v1/refunds", body)).await;
    assert_eq!(r.status, 403, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.reasons(), vec!["ssn_not_allowed"]);
    assert!(up.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redact_list_masks_forwarded_arguments_and_the_response() {
    let (up, h) = harness("").await;
    let body = r#"{"charge":"ch_1","amount":5,"meta":{"contact":"reach me at jane.doe@example.com please"}}"#;
    let r = send(h.agent(), json_post("/echo/v1/refunds", body)).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let seen = up.requests();
    let forwarded: serde_json::Value = serde_json::from_slice(&seen[0].body).expect("json");
    assert_eq!(forwarded["meta"]["contact"], "reach me at [EMAIL] please");
    assert_eq!(forwarded["charge"], "ch_1");
    // the response is redacted too, and asked for uncompressed
    let r = send(h.agent(), get("/echo/pii")).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["customer"]["email"], "[EMAIL]");
    assert_eq!(v["customer"]["card"], "[CREDIT_CARD]");
    assert_eq!(v["note"], "no secrets here");
    assert_eq!(
        up.requests()[1]
            .headers
            .get("accept-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("identity")
    );
    let m = admin_get(h.admin(), "/metrics").await;
    let text = String::from_utf8_lossy(&m.body);
    assert!(
        text.contains(r#"toolwall_redactions_total{entity="EMAIL"} 2"#),
        "{text}"
    );
    assert!(
        text.contains(r#"toolwall_redactions_total{entity="CREDIT_CARD"} 1"#),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_stream_holds_args_with_pii_masked() {
    let (_up, h, _keys) = audited_harness().await;
    let body = r#"{"charge":"ch_1","amount":5,"meta":{"contact":"jane.doe@example.com","token":"sk_live_4eC39HqLyjWDarjtT1zdp7dc"}}"#;
    assert_eq!(
        send(h.agent(), json_post("/echo/v1/refunds", body))
            .await
            .status,
        200
    );
    let text = audit_text(h).await;
    assert!(
        !text.contains("jane.doe@example.com"),
        "email in the audit stream"
    );
    assert!(
        !text.contains("sk_live_4eC39"),
        "secret in the audit stream"
    );
    let decision = decision_record(&text);
    assert_eq!(decision["args"]["charge"], "ch_1");
    assert_eq!(decision["redactions"][0]["entity"], "EMAIL");
    assert_eq!(decision["redactions"][0]["path"], "/meta/contact");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pii_in_object_keys_is_renamed_and_kept_out_of_the_audit() {
    let (up, h, _keys) = audited_harness().await;
    // The plan redacts email and card; the phone in a key is not in it.
    let body = r#"{"charge":"ch_1","amount":5,"meta":{"jane.doe@example.com":{"phone +44 20 7946 0018":"card 4242 4242 4242 4242"}}}"#;
    let r = send(h.agent(), json_post("/echo/v1/refunds", body)).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let forwarded: serde_json::Value =
        serde_json::from_slice(&up.requests()[0].body).expect("json");
    assert_eq!(
        forwarded["meta"],
        serde_json::json!({"[EMAIL]": {"phone +44 20 7946 0018": "card [CREDIT_CARD]"}})
    );
    let text = audit_text(h).await;
    for leak in ["jane.doe@example.com", "7946 0018", "4242 4242"] {
        assert!(!text.contains(leak), "{leak} in the audit stream");
    }
    let decision = decision_record(&text);
    assert_eq!(
        decision["args"]["meta"],
        serde_json::json!({"[EMAIL]": {"phone [PHONE]": "card [CREDIT_CARD]"}})
    );
    assert_eq!(
        decision["redactions"],
        serde_json::json!([
            {"path": "/meta/[EMAIL]", "entity": "EMAIL", "key": true},
            {"path": "/meta/[EMAIL]/phone [PHONE]", "entity": "PHONE", "key": true},
            {"path": "/meta/[EMAIL]/phone [PHONE]", "entity": "CREDIT_CARD"}
        ])
    );
}

#[test]
fn redact_cli_prints_redacted_json_and_findings() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_toolwall"))
        .args(["redact", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(br#"{"customer":{"email":"jane.doe@example.com","card":"5555 5555 5555 4444"}}"#)
        .expect("write");
    let out = child.wait_with_output().expect("run");
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["redacted"]["customer"]["email"], "[EMAIL]");
    let findings = v["findings"].as_array().expect("findings");
    assert!(findings.iter().any(|f| f["type"] == "EMAIL"
        && f["pointer"] == "/customer/email"
        && f["start"] == 0
        && f["end"] == 20));
    assert!(findings.iter().any(|f| f["type"] == "CREDIT_CARD"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_streams_are_redacted_event_by_event_without_buffering() {
    use http_body_util::BodyExt;
    let (_up, h) = harness("").await;
    let stream = tokio::net::TcpStream::connect(h.agent())
        .await
        .expect("connect");
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .expect("handshake");
    tokio::spawn(conn);
    let started = std::time::Instant::now();
    let resp = sender
        .send_request(get("/echo/sse"))
        .await
        .expect("response");
    assert_eq!(resp.status(), 200);
    let mut body = resp.into_body();
    let mut events = Vec::new();
    let mut first_at = None;
    while let Some(frame) = body.frame().await {
        let frame = frame.expect("frame");
        if let Some(d) = frame.data_ref() {
            first_at.get_or_insert(started.elapsed());
            events.push(String::from_utf8_lossy(d).to_string());
        }
    }
    let all = events.concat();
    assert!(!all.contains("@example.com"), "{all}");
    for i in 0..3 {
        assert!(
            all.contains(&format!(
                "id: {i}\nevent: progress\ndata: {{\"step\":{i},\"contact\":\"[EMAIL]\"}}"
            )),
            "{all}"
        );
    }
    let steps: Vec<usize> = (0..3)
        .map(|i| all.find(&format!("\"step\":{i}")).expect("step"))
        .collect();
    assert!(
        steps.windows(2).all(|w| w[0] < w[1]),
        "events out of order: {all}"
    );
    // the first event arrived long before the stream ended (600 ms later)
    assert!(
        first_at.expect("data") < std::time::Duration::from_millis(450),
        "{first_at:?}"
    );
    assert!(events.len() >= 3, "{events:?}");
}
