//! The audit stream end to end: every exit path recorded, verify, show, replay, kill -9.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::*;

const BIN: &str = env!("CARGO_BIN_EXE_toolwall");

fn audit_config(root: &Path) -> String {
    assert_eq!(
        toolwall::cli::audit::keygen(&root.join("keys"), "test-audit"),
        0
    );
    "audit: { dir: audit, key: keys/audit.key, hmac_key: keys/hmac.key, args: hashed, checkpoint: { every_records: 5, every: 1s } }".to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_exit_is_audited_args_never_in_clear_and_the_stream_verifies() {
    let up = http_upstream().await;
    let keys_dir = tempfile::tempdir().expect("tmp");
    let extra = audit_config(keys_dir.path())
        .replace("keys/", &format!("{}/keys/", keys_dir.path().display()));
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        POLICY,
        &extra,
    )
    .await;
    let ok = send(
        h.agent(),
        json_post(
            "/echo/v1/refunds",
            r#"{"charge":"ch_topsecret","amount":5}"#,
        ),
    )
    .await;
    assert_eq!(ok.status, 200);
    let denied = send(
        h.agent(),
        json_post(
            "/echo/v1/refunds",
            r#"{"charge":"ch_topsecret","amount":500}"#,
        ),
    )
    .await;
    assert_eq!(denied.status, 403);
    let bad = send(
        h.agent(),
        json_post("/echo/v1/refunds", r#"{"charge":"ch_1","amount":"x"}"#),
    )
    .await;
    assert_eq!(bad.status, 400);
    let unknown = send(h.agent(), get("/nosuch/x")).await;
    assert_eq!(unknown.status, 403);
    let audit_dir = h.dir.path().join("audit");
    let Harness { app, dir } = h;
    app.shutdown().await;

    let recs = audit_records(&audit_dir);
    let text = recs
        .iter()
        .map(|r| r.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        !text.contains("ch_topsecret"),
        "raw argument in the audit stream"
    );
    let decisions: Vec<_> = recs.iter().filter(|r| r["kind"] == "decision").collect();
    let outcomes: Vec<_> = recs.iter().filter(|r| r["kind"] == "outcome").collect();
    assert_eq!(decisions.len(), 4, "{text}");
    assert_eq!(outcomes.len(), 1, "{text}");
    let ok_id = ok
        .headers
        .get("toolwall-decision-id")
        .and_then(|v| v.to_str().ok())
        .expect("id");
    let d = decisions
        .iter()
        .find(|d| d["decision_id"] == ok_id)
        .expect("allowed call recorded");
    assert_eq!(d["decision"], "allow");
    assert_eq!(d["agent"], "test-agent");
    assert_eq!(d["tenant_id"], "acme");
    assert_eq!(d["tool"], "echo.refund");
    assert_eq!(d["args"]["amount"], 5);
    assert!(d["args"]["charge"]
        .as_str()
        .is_some_and(|s| s.starts_with("hmac:")));
    assert_eq!(d["input_hmac"].as_str().map(str::len), Some(64));
    assert_eq!(outcomes[0]["decision_id"], ok_id);
    assert_eq!(outcomes[0]["status"], 200);
    assert!(
        d["seq"].as_u64() < outcomes[0]["seq"].as_u64(),
        "decision is written ahead"
    );
    let denied_id = denied
        .headers
        .get("toolwall-decision-id")
        .and_then(|v| v.to_str().ok())
        .expect("id");
    let dd = decisions
        .iter()
        .find(|d| d["decision_id"] == denied_id)
        .expect("denied recorded");
    assert_eq!(dd["reasons"][0], "amount_exceeds_threshold");
    assert_eq!(dd["policy"]["result"]["allow"], false);
    assert!(recs.iter().any(|r| r["kind"] == "checkpoint"));

    let pubkey = keys_dir.path().join("keys/audit.pub");
    let (code, out, err) = toolwall(&[
        "audit",
        "verify",
        audit_dir.to_str().expect("utf8"),
        "--keys",
        pubkey.to_str().expect("utf8"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = toolwall(&[
        "audit",
        "show",
        audit_dir.to_str().expect("utf8"),
        "--tool",
        "echo.refund",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.contains("amount_exceeds_threshold") && out.contains("schema_invalid"),
        "{out}"
    );
    drop(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_shows_the_decisions_a_new_policy_would_change() {
    let up = http_upstream().await;
    let keys_dir = tempfile::tempdir().expect("tmp");
    let extra = audit_config(keys_dir.path())
        .replace("keys/", &format!("{}/keys/", keys_dir.path().display()));
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        POLICY,
        &extra,
    )
    .await;
    for amount in [5, 50, 500] {
        let body = format!(r#"{{"charge":"ch_1","amount":{amount}}}"#);
        let _ = send(h.agent(), json_post("/echo/v1/refunds", &body)).await;
    }
    let audit_dir = h.dir.path().join("audit");
    let Harness { app, dir } = h;
    app.shutdown().await;
    let a = dir.path().join("policy_a");
    let b = dir.path().join("policy_b");
    std::fs::create_dir_all(&a).expect("mkdir");
    std::fs::create_dir_all(&b).expect("mkdir");
    std::fs::write(a.join("p.rego"), POLICY).expect("write");
    std::fs::write(
        b.join("p.rego"),
        POLICY.replace("amount > 100", "amount > 10"),
    )
    .expect("write");
    let (code, out, err) = toolwall(&[
        "replay",
        audit_dir.to_str().expect("utf8"),
        "--policies",
        a.to_str().expect("utf8"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("replayed 3 decision(s)") && out.contains("0 would change"),
        "{out}"
    );
    let (code, out, err) = toolwall(&[
        "replay",
        audit_dir.to_str().expect("utf8"),
        "--policies",
        b.to_str().expect("utf8"),
        "--json",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["changed"], 1);
    assert_eq!(v["groups"][0]["tool"], "echo.refund");
    assert_eq!(v["groups"][0]["tenant"], "acme");
    assert_eq!(
        v["groups"][0]["changed"][0]["after"]["reasons"][0],
        "amount_exceeds_threshold"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_loses_no_decision_for_a_call_that_reached_the_tool() {
    let up = http_upstream().await;
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    let (listen, admin) = (free_port(), free_port());
    std::fs::create_dir_all(root.join("adapters")).expect("mkdir");
    std::fs::create_dir_all(root.join("policies")).expect("mkdir");
    std::fs::write(
        root.join("adapters/echo.yaml"),
        echo_adapter(&format!("http://{}", up.addr), ""),
    )
    .expect("write");
    std::fs::write(root.join("policies/p.rego"), POLICY).expect("write");
    let audit = audit_config(root);
    let cfg = format!(
        "listen: 127.0.0.1:{listen}\nadmin: 127.0.0.1:{admin}\nidentity:\n  static: {{ agent: a, tenant: t }}\n{audit}\n"
    );
    std::fs::write(root.join("toolwall.yaml"), cfg).expect("write");
    let cfg_path = root.join("toolwall.yaml");
    let spawn = || {
        Command::new(BIN)
            .args(["run", "-c", cfg_path.to_str().expect("utf8")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn")
    };
    let agent: std::net::SocketAddr = format!("127.0.0.1:{listen}").parse().expect("addr");
    let wait_up = || async move {
        for _ in 0..1200 {
            if tokio::net::TcpStream::connect(agent).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("toolwall did not start");
    };
    let mut child = spawn();
    wait_up().await;
    // load: 4 concurrent senders, each with its own trace ids
    let mut tasks = Vec::new();
    for w in 0..4u32 {
        tasks.push(tokio::spawn(async move {
            for i in 0..10_000u32 {
                let tp = format!("00-{:08x}{:024x}-00f067aa0ba902b7-01", w + 1, i + 1);
                let r = req("POST", "/echo/v1/refunds")
                    .header("content-type", "application/json")
                    .header("traceparent", tp)
                    .body(http_body_util::Full::new(bytes::Bytes::from(
                        r#"{"charge":"ch_1","amount":5}"#,
                    )))
                    .expect("req");
                let Ok(stream) = tokio::net::TcpStream::connect(agent).await else {
                    return;
                };
                let Ok((mut sender, conn)) =
                    hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                        .await
                else {
                    return;
                };
                tokio::spawn(conn);
                if sender.send_request(r).await.is_err() {
                    return;
                }
            }
        }));
    }
    // kill once the load has reached the tool (polled, not a fixed sleep: a loaded 2-core CI
    // machine may take seconds to get there)
    for _ in 0..600 {
        if up.requests().len() > 50 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // SIGKILL: no drain, no final checkpoint, maybe a torn line
    child.kill().expect("kill -9");
    let _ = child.wait();
    for t in tasks {
        let _ = t.await;
    }
    let reached: Vec<String> = up
        .requests()
        .iter()
        .filter_map(|s| {
            s.headers
                .get("traceparent")
                .and_then(|v| v.to_str().ok())
                .map(|t| t[3..35].to_string())
        })
        .collect();
    assert!(
        reached.len() > 20,
        "load did not reach the upstream ({})",
        reached.len()
    );
    let recorded: std::collections::HashSet<String> = audit_records(&root.join("audit"))
        .iter()
        .filter(|r| r["kind"] == "decision")
        .filter_map(|r| r["trace_id"].as_str().map(String::from))
        .collect();
    let missing: Vec<_> = reached.iter().filter(|t| !recorded.contains(*t)).collect();
    assert!(
        missing.is_empty(),
        "{} calls reached the tool without a decision record",
        missing.len()
    );

    // restart (recovery of a torn tail), stop cleanly, and the whole stream verifies
    let mut child = spawn();
    wait_up().await;
    let _ = send(
        agent,
        json_post("/echo/v1/refunds", r#"{"charge":"ch_1","amount":5}"#),
    )
    .await;
    unsafe_free_term(&mut child);
    let pubkey = root.join("keys/audit.pub");
    let (code, out, err) = toolwall(&[
        "audit",
        "verify",
        root.join("audit").to_str().expect("utf8"),
        "--keys",
        pubkey.to_str().expect("utf8"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
}

/// Stop the child with SIGTERM (graceful: final checkpoint) and wait for it.
fn unsafe_free_term(child: &mut std::process::Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    for _ in 0..100 {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audit_stream_that_cannot_be_written_refuses_calls_and_turns_unready() {
    let up = http_upstream().await;
    let keys_dir = tempfile::tempdir().expect("tmp");
    let keys = keys_dir.path();
    assert_eq!(toolwall::cli::audit::keygen(&keys.join("keys"), "t"), 0);
    let audit_dir = keys.join("audit");
    let extra = format!(
        "audit: {{ dir: {}, key: {}/keys/audit.key, rotate_bytes: 4096 }}",
        audit_dir.display(),
        keys.display()
    );
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        POLICY,
        &extra,
    )
    .await;
    // once the stream is open, something occupies the name of its next file: rotation fails
    // with an I/O error, as it would on a full or failing disk
    std::fs::create_dir(audit_dir.join("toolwall-000002.jsonl")).expect("mkdir");
    let mut refused = None;
    for i in 0..200 {
        let r = send(
            h.agent(),
            json_post("/echo/v1/refunds", r#"{"charge":"ch_1","amount":5}"#),
        )
        .await;
        if r.status != 200 {
            refused = Some((i, r));
            break;
        }
    }
    let (i, r) = refused.expect("the full disk was never hit");
    assert!(i > 0, "the first calls fit in the first file");
    assert_eq!(r.status, 503, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.reasons(), vec!["audit_unavailable"]);
    let forwarded = up.requests().len();
    assert_eq!(forwarded, i, "every forwarded call was recorded first");
    let r = send(
        h.agent(),
        json_post("/echo/v1/refunds", r#"{"charge":"ch_1","amount":5}"#),
    )
    .await;
    assert_eq!(r.status, 503);
    assert_eq!(
        up.requests().len(),
        forwarded,
        "nothing forwarded unrecorded"
    );
    assert_eq!(admin_get(h.admin(), "/readyz").await.status, 503);
    let m = admin_get(h.admin(), "/metrics").await;
    let text = String::from_utf8_lossy(&m.body);
    assert!(
        !text.contains("toolwall_audit_write_errors_total 0"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_file_that_is_not_a_plain_file_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    assert_eq!(toolwall::cli::audit::keygen(&root.join("keys"), "t"), 0);
    std::fs::create_dir_all(root.join("audit")).expect("mkdir");
    // reading /dev/full never ends: the writer must not try
    std::os::unix::fs::symlink("/dev/full", root.join("audit/toolwall-000001.jsonl"))
        .expect("symlink");
    let mut settings = toolwall::config::compile::AuditSettings {
        writer: toolwall::audit::WriterOptions::new(
            root.join("audit"),
            "toolwall",
            toolwall::audit::AuditSigner::load(&root.join("keys/audit.key")).expect("key"),
        ),
        hmac_key: vec![7; 32],
        args: toolwall::config::raw::AuditArgs::Hashed,
        auditor: None,
    };
    settings.writer.sync = toolwall::audit::SyncMode::None;
    let metrics = std::sync::Arc::new(toolwall::metrics::Metrics::new());
    let err =
        toolwall::audit::sink::AuditSink::start(settings.writer, settings.hmac_key, None, metrics)
            .err()
            .expect("refused");
    assert!(err.to_string().contains("not a regular file"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_rotation_is_sealed_by_the_old_key_and_verifies_with_it() {
    let up = http_upstream().await;
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    std::fs::create_dir_all(root.join("adapters")).expect("mkdir");
    std::fs::create_dir_all(root.join("policies")).expect("mkdir");
    std::fs::write(
        root.join("adapters/echo.yaml"),
        echo_adapter(&format!("http://{}", up.addr), ""),
    )
    .expect("write");
    std::fs::write(root.join("policies/p.rego"), POLICY).expect("write");
    assert_eq!(
        toolwall::cli::audit::keygen(&root.join("keys"), "old-key"),
        0
    );
    assert_eq!(
        toolwall::cli::audit::keygen(&root.join("keys2"), "new-key"),
        0
    );
    let config = |key: &str| {
        format!(
            "listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\nidentity:\n  static: {{ agent: a, tenant: t }}\naudit: {{ dir: audit, key: {key}, hmac_key: keys/hmac.key }}\n"
        )
    };
    let cfg = root.join("toolwall.yaml");
    let run_calls = |cfg: std::path::PathBuf| async move {
        let loaded = toolwall::config::load_snapshot(&cfg, true).expect("config");
        let app = toolwall::app::start(loaded).await.expect("start");
        for _ in 0..3 {
            let r = send(
                app.listen_addr,
                json_post("/echo/v1/refunds", r#"{"charge":"ch_1","amount":5}"#),
            )
            .await;
            assert_eq!(r.status, 200);
        }
        app.shutdown().await;
    };
    std::fs::write(&cfg, config("keys/audit.key")).expect("write");
    run_calls(cfg.clone()).await;
    let (code, out, err) = toolwall(&[
        "audit",
        "rotate-key",
        "-c",
        cfg.to_str().expect("utf8"),
        "--new-key",
        root.join("keys2/audit.key").to_str().expect("utf8"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    std::fs::write(&cfg, config("keys2/audit.key")).expect("write");
    run_calls(cfg.clone()).await;
    let recs = audit_records(&root.join("audit"));
    assert!(recs.iter().any(|r| r["kind"] == "key_rotation"));
    // the auditor holds only the old public key: the rotation it sealed introduces the new one
    let (code, out, err) = toolwall(&[
        "audit",
        "verify",
        root.join("audit").to_str().expect("utf8"),
        "--keys",
        root.join("keys/audit.pub").to_str().expect("utf8"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    // a key that was never introduced is refused
    assert_eq!(
        toolwall::cli::audit::keygen(&root.join("keys3"), "rogue"),
        0
    );
    std::fs::write(&cfg, config("keys3/audit.key")).expect("write");
    run_calls(cfg.clone()).await;
    let (code, out, _) = toolwall(&[
        "audit",
        "verify",
        root.join("audit").to_str().expect("utf8"),
        "--keys",
        root.join("keys/audit.pub").to_str().expect("utf8"),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("unknown") || out.contains("key"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encrypted_args_are_sealed_and_replay_exactly_with_the_auditor_key() {
    let up = http_upstream().await;
    let keys = tempfile::tempdir().expect("tmp");
    let k = keys.path();
    assert_eq!(toolwall::cli::audit::keygen(&k.join("keys"), "t"), 0);
    assert_eq!(toolwall::cli::audit::auditor_keygen(&k.join("auditor")), 0);
    let extra = format!(
        "audit: {{ dir: audit, key: {0}/keys/audit.key, args: encrypted, auditor_key: {0}/auditor/auditor.pub }}",
        k.display()
    );
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        POLICY,
        &extra,
    )
    .await;
    for charge in ["ch_alpha", "ch_special"] {
        let body = format!(r#"{{"charge":"{charge}","amount":5}}"#);
        assert_eq!(
            send(h.agent(), json_post("/echo/v1/refunds", &body))
                .await
                .status,
            200
        );
    }
    let audit_dir = h.dir.path().join("audit");
    let Harness { app, dir } = h;
    app.shutdown().await;
    let recs = audit_records(&audit_dir);
    let text = recs
        .iter()
        .map(|r| r.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        !text.contains("ch_special") && !text.contains("ch_alpha"),
        "raw args in the stream"
    );
    assert!(recs
        .iter()
        .filter(|r| r["kind"] == "decision")
        .all(|r| r["args_sealed"].is_string()));
    // a candidate policy that looks at a string argument: only exact args can replay it
    let b = dir.path().join("policy_b");
    std::fs::create_dir_all(&b).expect("mkdir");
    std::fs::write(
        b.join("p.rego"),
        POLICY.replace(
            "too_much if input.args.amount > 100",
            "too_much if input.args.charge == \"ch_special\"",
        ),
    )
    .expect("write");
    let auditor_key = k.join("auditor/auditor.key");
    let (code, out, err) = toolwall(&[
        "replay",
        audit_dir.to_str().expect("utf8"),
        "--policies",
        b.to_str().expect("utf8"),
        "--auditor-key",
        auditor_key.to_str().expect("utf8"),
        "--json",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["replayed"], 2);
    assert_eq!(v["changed"], 1, "{out}");
}
