//! The real `toolwall` binary: check, policy eval, and run with the demo upstream.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::*;

const BIN: &str = env!("CARGO_BIN_EXE_toolwall");

fn write_tree(root: &Path, files: &[(&str, &str)]) {
    for (rel, text) in files {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
}

const CONFIG: &str = "identity:\n  static: { agent: a }\n";
const ADAPTER: &str = "name: pay\nupstream: http://127.0.0.1:9\ntools:\n  - name: refund\n    match: { method: POST, path: /v1/refunds }\n    schema: schemas/refund.json\n";

#[test]
fn check_accepts_the_example_config() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/toolwall.yaml");
    let (code, out, err) = toolwall(&["check", "-c", example]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ok — 1 adapter(s), 2 tool(s)"), "{out}");
}

#[test]
fn check_accepts_the_mcp_example_and_refuses_match_on_mcp_tools() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/mcp/toolwall.yaml");
    let (code, out, err) = toolwall(&["check", "-c", example]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ok — 1 adapter(s), 1 tool(s)"), "{out}");

    let dir = tempfile::tempdir().expect("tmp");
    write_tree(
        dir.path(),
        &[
            ("toolwall.yaml", CONFIG),
            (
                "adapters/crm.yaml",
                "name: crm\nkind: mcp\nupstream: http://127.0.0.1:9/mcp\ntools:\n  - name: refund\n    match: { method: POST, path: /x }\n",
            ),
            (
                "policies/p.rego",
                "package toolwall\nimport rego.v1\ndefault decision := {\"allow\": false}\n",
            ),
        ],
    );
    let cfg = dir.path().join("toolwall.yaml");
    let (code, _out, err) = toolwall(&["check", "-c", cfg.to_str().expect("utf8")]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("crm.yaml:6:") && err.contains("`match` does not apply"),
        "{err}"
    );
}

#[test]
fn check_names_the_file_and_line_of_a_broken_policy() {
    let dir = tempfile::tempdir().expect("tmp");
    write_tree(
        dir.path(),
        &[
            ("toolwall.yaml", CONFIG),
            ("adapters/pay.yaml", ADAPTER),
            ("adapters/schemas/refund.json", r#"{"type":"object"}"#),
            (
                "policies/ok.rego",
                "package toolwall\nimport rego.v1\ndefault decision := {\"allow\": false}\n",
            ),
            (
                "policies/broken.rego",
                "package toolwall\nimport rego.v1\n\nbad := {\"a\": \n",
            ),
        ],
    );
    let cfg = dir.path().join("toolwall.yaml");
    let (code, _out, err) = toolwall(&["check", "-c", cfg.to_str().expect("utf8")]);
    assert_eq!(code, 1, "{err}");
    let first = err.lines().next().unwrap_or("");
    assert!(first.contains("policies/broken.rego:"), "{err}");
    let after = first.split("broken.rego:").nth(1).unwrap_or("");
    let line: usize = after.split(':').next().unwrap_or("").parse().unwrap_or(0);
    assert!(
        (4..=5).contains(&line),
        "line should point at the broken rule: {first}"
    );
}

#[test]
fn check_names_the_adapter_file_and_line_of_config_errors() {
    let dir = tempfile::tempdir().expect("tmp");
    let policy = "package toolwall\nimport rego.v1\ndefault decision := {\"allow\": false}\n";
    // unknown field (deny_unknown_fields) and a missing schema file
    write_tree(
        dir.path(),
        &[
            ("toolwall.yaml", CONFIG),
            ("adapters/pay.yaml", ADAPTER),
            ("adapters/typo.yaml", "name: typo\nupstream: http://127.0.0.1:10\ntools:\n  - name: x\n    matchh: { method: GET, path: / }\n"),
            ("policies/p.rego", policy),
        ],
    );
    let cfg = dir.path().join("toolwall.yaml");
    let (code, _out, err) = toolwall(&["check", "-c", cfg.to_str().expect("utf8")]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("adapters/pay.yaml:6:"),
        "missing schema file should point at line 6:\n{err}"
    );
    assert!(err.contains("schemas/refund.json cannot be read"), "{err}");
    assert!(
        err.contains("adapters/typo.yaml:5:"),
        "unknown field should point at line 5:\n{err}"
    );
    assert!(err.contains("matchh"), "{err}");
}

#[test]
fn check_refuses_a_policy_the_rvm_cannot_run_and_a_missing_decision() {
    let dir = tempfile::tempdir().expect("tmp");
    write_tree(
        dir.path(),
        &[
            ("toolwall.yaml", CONFIG),
            (
                "adapters/pay.yaml",
                "name: pay\nupstream: http://127.0.0.1:9\n",
            ),
            (
                "policies/p.rego",
                "package toolwall\nimport rego.v1\nallow if input.x\n",
            ),
        ],
    );
    let cfg = dir.path().join("toolwall.yaml");
    let (code, _out, err) = toolwall(&["check", "-c", cfg.to_str().expect("utf8")]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("data.toolwall.decision"), "{err}");
}

#[test]
fn policy_eval_prints_the_decision() {
    let dir = tempfile::tempdir().expect("tmp");
    let input = r#"{"v":1,"principal":{"agent":"a","tenant":"acme_co"},
        "tool":{"name":"payments.create_refund","read_only":false,"risk":{"financial":true}},
        "args":{"charge":"ch_1","amount":50000}}"#;
    let p = dir.path().join("in.json");
    std::fs::write(&p, input).expect("write");
    let policies = concat!(env!("CARGO_MANIFEST_DIR"), "/policies");
    let (code, out, err) = toolwall(&[
        "policy",
        "eval",
        "-i",
        p.to_str().expect("utf8"),
        "--policies",
        policies,
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["decision"]["allow"], false);
    assert_eq!(v["decision"]["reasons"][0], "amount_exceeds_threshold");
    assert_eq!(v["policy"]["version"].as_str().map(str::len), Some(12));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_runs_the_example_with_its_demo_upstream() {
    let dir = tempfile::tempdir().expect("tmp");
    let (listen, admin, demo) = (free_port(), free_port(), free_port());
    let repo = env!("CARGO_MANIFEST_DIR");
    let adapter = std::fs::read_to_string(format!("{repo}/adapters/payments.yaml"))
        .expect("adapter")
        .replace("127.0.0.1:8081", &format!("127.0.0.1:{demo}"));
    write_tree(
        dir.path(),
        &[
            ("adapters/payments.yaml", adapter.as_str()),
            (
                "adapters/schemas/payments.create_refund.json",
                &std::fs::read_to_string(format!("{repo}/adapters/schemas/payments.create_refund.json")).expect("schema"),
            ),
            ("policies/toolwall.rego", &std::fs::read_to_string(format!("{repo}/policies/toolwall.rego")).expect("policy")),
            (
                "toolwall.yaml",
                &format!(
                    "listen: 127.0.0.1:{listen}\nadmin: 127.0.0.1:{admin}\ndemo_upstream: 127.0.0.1:{demo}\nidentity:\n  static: {{ agent: billing-dispute-v3, tenant: acme_co }}\n"
                ),
            ),
        ],
    );
    let mut child = Command::new(BIN)
        .args([
            "run",
            "-c",
            dir.path().join("toolwall.yaml").to_str().expect("utf8"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let agent: std::net::SocketAddr = format!("127.0.0.1:{listen}").parse().expect("addr");
    let admin_addr: std::net::SocketAddr = format!("127.0.0.1:{admin}").parse().expect("addr");
    let mut up = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(admin_addr).await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "toolwall did not start");
    let ok = send(
        agent,
        json_post("/payments/v1/refunds", r#"{"charge":"ch_1","amount":500}"#),
    )
    .await;
    let bad = send(
        agent,
        json_post(
            "/payments/v1/refunds",
            r#"{"charge":"ch_1","amount":"five"}"#,
        ),
    )
    .await;
    let denied = send(
        agent,
        json_post(
            "/payments/v1/refunds",
            r#"{"charge":"ch_1","amount":50000}"#,
        ),
    )
    .await;
    let charge = send(agent, get("/payments/v1/charges/ch_1")).await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    assert_eq!(ok.json()["status"], "succeeded");
    assert_eq!(bad.status, 400);
    assert_eq!(denied.reasons(), vec!["amount_exceeds_threshold"]);
    assert_eq!(charge.json()["id"], "ch_1");
}

#[test]
fn policy_test_runs_the_example_policy_tests_and_reports_failures() {
    let policies = concat!(env!("CARGO_MANIFEST_DIR"), "/policies");
    let (code, out, err) = toolwall(&["policy", "test", policies, "-v"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("data.toolwall_test.test_large_refund_denied: PASS"),
        "{out}"
    );
    let dir = tempfile::tempdir().expect("tmp");
    write_tree(
        dir.path(),
        &[
            ("p.rego", "package toolwall\nimport rego.v1\ndefault decision := {\"allow\": false}\n"),
            (
                "p_test.rego",
                "package toolwall_test\nimport rego.v1\nimport data.toolwall\ntest_allows if toolwall.decision.allow with input as {}\ntest_denies if not toolwall.decision.allow\n",
            ),
        ],
    );
    let (code, out, _) = toolwall(&["policy", "test", dir.path().to_str().expect("utf8")]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("data.toolwall_test.test_allows: FAIL"),
        "{out}"
    );
    assert!(out.contains("FAIL: 1/2"), "{out}");
    let (code, out, _) = toolwall(&[
        "policy",
        "test",
        dir.path().to_str().expect("utf8"),
        "--run",
        "denies",
    ]);
    assert_eq!(code, 0, "{out}");
}
