//! `toolwall policy eval --explain`: the rules behind a decision, with file:line and the
//! values they read — on the example policy, on a denial made by a helper rule two levels
//! down, and on a call recorded in a real audit stream (`--input-from-audit`).

use std::path::Path;

use serde_json::Value;

use crate::common::*;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The 1-based line of the first line of `file` that starts with `prefix`.
fn line_of(file: &Path, prefix: &str) -> usize {
    std::fs::read_to_string(file)
        .expect("read")
        .lines()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting {prefix:?} in {}", file.display()))
        + 1
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

#[test]
fn the_example_denial_names_the_rule_the_line_and_the_amount() {
    let tmp = tempfile::tempdir().expect("tmp");
    let input = tmp.path().join("call.json");
    write(
        &input,
        r#"{"v":1,"principal":{"agent":"a","tenant":"acme_co","source":"static"},
            "tool":{"name":"payments.create_refund","read_only":false,"risk":{"financial":true}},
            "args":{"charge":"ch_1","amount":50000},"pii":{"found":[]}}"#,
    );
    let policies = format!("{ROOT}/policies");
    let policy = Path::new(&policies).join("toolwall.rego");
    let rule = line_of(
        &policy,
        "deny_reasons contains \"amount_exceeds_threshold\"",
    );
    let i = input.to_str().expect("utf8");
    let (code, out, err) = toolwall(&[
        "policy",
        "eval",
        "-i",
        i,
        "--policies",
        &policies,
        "--explain",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("decision: deny [amount_exceeds_threshold]"),
        "{out}"
    );
    let at = format!("toolwall.rego:{rule}:1  deny_reasons  held");
    assert!(out.contains(&at), "{at}\n{out}");
    assert!(
        out.contains("input.args.amount > refund_threshold_cents    [input.args.amount = 50000, refund_threshold_cents = 10000]"),
        "{out}"
    );
    // bodies that did not hold only with --explain=fails
    assert!(!out.contains("did not hold"), "{out}");
    let (code, out, err) = toolwall(&[
        "policy",
        "eval",
        "-i",
        i,
        "--policies",
        &policies,
        "--explain=fails",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(
        doc["decision"]["reasons"],
        serde_json::json!(["amount_exceeds_threshold"])
    );
    let nodes = doc["explain"].as_array().expect("explain");
    let cross = line_of(&policy, "deny_reasons contains \"cross_tenant\"");
    let failed = nodes
        .iter()
        .find(|n| n["rule"] == "deny_reasons" && n["line"] == cross)
        .unwrap_or_else(|| panic!("{nodes:#?}"));
    assert_eq!(failed["outcome"], "failed");
    assert_eq!(failed["conditions"][0]["text"], "input.args.tenant");
    assert_eq!(failed["conditions"][0]["held"], false);
}

#[test]
fn a_denial_two_helper_rules_down_is_traced_to_its_line() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("policies");
    // the decision reads `deny`, which reads `over_limit`, which reads `tenant_limit` (data.json)
    write(
        &dir.join("main.rego"),
        "package toolwall\nimport rego.v1\n\n\
         default decision := {\"allow\": false, \"reasons\": [\"no_rule\"]}\n\n\
         decision := {\"allow\": count(deny) == 0, \"reasons\": sort([r | some r in deny])}\n",
    );
    write(
        &dir.join("limits.rego"),
        "package toolwall\nimport rego.v1\n\n\
         deny contains \"over_limit\" if {\n\
         \tinput.tool.name == \"refund\"\n\
         \tover_limit\n\
         }\n\n\
         over_limit if {\n\
         \tlimit := tenant_limit\n\
         \tinput.args.amount > limit\n\
         }\n\n\
         tenant_limit := data.limits[input.principal.tenant]\n",
    );
    write(&dir.join("data.json"), r#"{"limits": {"acme": 250}}"#);
    let input = tmp.path().join("call.json");
    write(
        &input,
        r#"{"principal":{"tenant":"acme"},"tool":{"name":"refund"},"args":{"amount":300}}"#,
    );
    let (code, out, err) = toolwall(&[
        "policy",
        "eval",
        "-i",
        input.to_str().expect("utf8"),
        "--policies",
        dir.to_str().expect("utf8"),
        "--explain",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("decision: deny [over_limit]"), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    let pos = |needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle:?} not in\n{out}"))
    };
    // each rule at its file:line, one level deeper than the rule that reads it
    let decision = pos("main.rego:6:1  decision  held");
    let deny = pos("limits.rego:4:1  deny  held");
    let over = pos("limits.rego:9:1  over_limit  held");
    let tenant = pos("limits.rego:14:1  tenant_limit  held = 250");
    assert!(decision < deny && deny < over && over < tenant, "{out}");
    let indent = |i: usize| lines[i].len() - lines[i].trim_start().len();
    assert_eq!(indent(deny), indent(decision) + 2, "{out}");
    assert_eq!(indent(over), indent(deny) + 2, "{out}");
    assert_eq!(indent(tenant), indent(over) + 2, "{out}");
    assert!(
        out.contains("input.args.amount > limit    [input.args.amount = 300]"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_call_is_explained_from_the_audit_stream() {
    let up = http_upstream().await;
    let keys = tempfile::tempdir().expect("tmp");
    assert_eq!(
        toolwall::cli::audit::keygen(&keys.path().join("keys"), "t"),
        0
    );
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        POLICY,
        &format!(
            "audit: {{ dir: {0}/audit, key: {0}/keys/audit.key, hmac_key: {0}/keys/hmac.key }}\n",
            keys.path().display()
        ),
    )
    .await;
    let denied = send(
        h.agent(),
        json_post("/echo/v1/refunds", r#"{"charge":"ch_1","amount":700}"#),
    )
    .await;
    assert_eq!(denied.status, 403);
    let id = denied.json()["error"]["decision_id"]
        .as_str()
        .expect("decision id")
        .to_string();
    let policies = h.dir.path().join("policies");
    let Harness { app, dir } = h;
    app.shutdown().await;
    let audit = keys.path().join("audit");
    let (code, out, err) = toolwall(&[
        "policy",
        "eval",
        "--input-from-audit",
        &id,
        audit.to_str().expect("utf8"),
        "--policies",
        policies.to_str().expect("utf8"),
        "--explain",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("decision: deny [amount_exceeds_threshold]"),
        "{out}"
    );
    assert!(out.contains("too_much  held"), "{out}");
    assert!(out.contains("[input.args.amount = 700]"), "{out}");
    // an id the stream does not hold
    let (code, _out, err) = toolwall(&[
        "policy",
        "eval",
        "--input-from-audit",
        "0190c3a0-0000-7000-8000-000000000000",
        audit.to_str().expect("utf8"),
        "--policies",
        policies.to_str().expect("utf8"),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no decision record with decision_id"), "{err}");
    drop(dir);
}
