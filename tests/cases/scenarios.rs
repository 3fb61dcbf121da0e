//! `toolwall eval`: the repository's scenario bank passes through the real binary, a mismatch
//! fails the gate (exit 1) and names itself, a malformed bank is a usage error (exit 2), and
//! what decides is the real path (an edited policy changes the outcome).

use std::path::Path;

use serde_json::Value;

use crate::common::*;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

#[test]
fn the_repository_bank_passes_and_reports_as_json_and_junit() {
    let tmp = tempfile::tempdir().expect("tmp");
    let junit = tmp.path().join("eval.xml");
    let bank = format!("{ROOT}/scenarios");
    let (code, out, err) = toolwall(&[
        "eval",
        &bank,
        "--json",
        "--junit",
        junit.to_str().expect("utf8"),
    ]);
    let doc: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    let rows = doc["scenarios"].as_array().expect("scenarios");
    let failed: Vec<&Value> = rows.iter().filter(|r| r["pass"] != true).collect();
    assert!(failed.is_empty(), "failing scenarios: {failed:#?}");
    assert_eq!(code, 0, "{err}");
    assert_eq!(doc["failed"], 0);
    assert!(rows.len() >= 30, "{} scenarios", rows.len());
    // both packs are there, and the adversarial one refuses every call
    let adversarial: Vec<&Value> = rows
        .iter()
        .filter(|r| {
            r["file"]
                .as_str()
                .is_some_and(|f| f.starts_with("adversarial/"))
        })
        .collect();
    assert!(adversarial.len() >= 20, "{}", adversarial.len());
    // every attempt is refused; the pack's only allowed calls are its controls (expected so)
    for r in &adversarial {
        if r["outcome"] == "allow" {
            assert_eq!(r["expected"], "allow", "{r}");
            assert!(
                r["name"].as_str().is_some_and(|n| n.contains("within")),
                "{r}"
            );
        }
    }
    let allowed = adversarial
        .iter()
        .filter(|r| r["outcome"] == "allow")
        .count();
    assert!(allowed * 20 < adversarial.len(), "{allowed} allowed");
    // the outcomes come from the stages that made them
    let find = |name: &str| {
        rows.iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no scenario `{name}`"))
    };
    let dup = find("a duplicate amount key, small then large");
    assert_eq!(dup["outcome"], "duplicate_key");
    assert_eq!(dup["tool"], "payments.create_refund", "{dup}");
    let both = find("another tenant and too much, both reasons");
    assert_eq!(
        both["reasons"],
        serde_json::json!(["amount_exceeds_threshold", "cross_tenant"])
    );
    // MCP calls are decided against the listed definitions, as `<adapter>.<tool>`
    let mcp = find("a refund above 1000 is denied");
    assert_eq!(mcp["file"], "mcp/crm.yaml", "{mcp}");
    assert_eq!(mcp["tool"], "crm.refund", "{mcp}");
    assert_eq!(
        find("a smuggled argument the listed schema forbids")["outcome"],
        "schema_invalid"
    );
    // the JUnit report holds every scenario, none failed
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), rows.len(), "{xml}");
    assert!(!xml.contains("<failure"), "{xml}");
    assert!(
        xml.contains(&format!("tests=\"{}\" failures=\"0\"", rows.len())),
        "{xml}"
    );
}

#[test]
fn a_mismatch_fails_the_gate_and_an_edited_policy_changes_the_outcome() {
    let tmp = tempfile::tempdir().expect("tmp");
    let root = tmp.path();
    // a copy of the example config, adapters and policies, so the policy can be edited
    let copy = |from: &str, to: &str| {
        let text = std::fs::read_to_string(format!("{ROOT}/{from}")).expect("read");
        write(&root.join(to), &text);
    };
    copy("examples/toolwall.yaml", "examples/toolwall.yaml");
    copy("adapters/payments.yaml", "adapters/payments.yaml");
    copy(
        "adapters/schemas/payments.create_refund.json",
        "adapters/schemas/payments.create_refund.json",
    );
    copy("policies/toolwall.rego", "policies/toolwall.rego");
    let bank = root.join("bank/refunds.yaml");
    write(
        &bank,
        "config: ../examples/toolwall.yaml\n\
         principal: { agent: billing-dispute-v3, tenant: acme_co }\n\
         scenarios:\n\
         \x20 - name: a mid-size refund\n\
         \x20   call: { method: POST, path: /payments/v1/refunds, json: { charge: ch_1, amount: 5000 } }\n\
         \x20   expect: allow\n\
         \x20 - name: a policy input\n\
         \x20   input: { v: 1, principal: { agent: a, tenant: acme_co }, tool: { name: payments.create_refund, risk: { financial: true } }, args: { charge: ch_1, amount: 5000 }, pii: { found: [] } }\n\
         \x20   expect: allow\n",
    );
    let bank_dir = root.join("bank");
    let run = |extra: &[&str]| {
        let mut args = vec!["eval", bank_dir.to_str().expect("utf8")];
        args.extend_from_slice(extra);
        toolwall(&args)
    };
    let (code, out, err) = run(&[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2 scenario(s): 2 passed, 0 failed"), "{out}");

    // the threshold drops to 1000 cents: both scenarios now fail, and say so
    let policy = root.join("policies/toolwall.rego");
    let text = std::fs::read_to_string(&policy).expect("read");
    let lowered = text.replace(
        "default refund_threshold_cents := 10000",
        "default refund_threshold_cents := 1000",
    );
    assert_ne!(text, lowered, "the example policy's threshold line moved");
    write(&policy, &lowered);
    let junit = root.join("eval.xml");
    let (code, out, err) = run(&["--junit", junit.to_str().expect("utf8")]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("FAIL  refunds.yaml  a mid-size refund")
            && out.contains("deny [amount_exceeds_threshold]  (expected allow)"),
        "{out}"
    );
    assert!(out.contains("2 scenario(s): 0 passed, 2 failed"), "{out}");
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert_eq!(xml.matches("<failure ").count(), 2, "{xml}");
    assert!(
        xml.contains("message=\"expected allow, got deny [amount_exceeds_threshold]\""),
        "{xml}"
    );
}

#[test]
fn a_malformed_bank_is_a_usage_error_that_names_the_place() {
    let tmp = tempfile::tempdir().expect("tmp");
    let example = format!("{ROOT}/examples/toolwall.yaml");
    // a typo in a key: never a silent pass
    let f = tmp.path().join("typo.yaml");
    write(
        &f,
        &format!(
            "config: {example}\nscenarios:\n  - name: x\n    call: {{ path: /payments/v1/charges/ch_1 }}\n    expcet: allow\n"
        ),
    );
    let (code, out, err) = toolwall(&["eval", tmp.path().to_str().expect("utf8")]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("typo.yaml:5:5:") && err.contains("expcet"),
        "{err}"
    );

    // both a call and an input
    write(
        &f,
        &format!(
            "config: {example}\nscenarios:\n  - name: both\n    call: {{ path: /x }}\n    input: {{}}\n    expect: allow\n"
        ),
    );
    let (code, _out, err) = toolwall(&["eval", tmp.path().to_str().expect("utf8")]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("scenario `both`: has more than one of `call`, `mcp` and `input`"),
        "{err}"
    );

    // an MCP call to an adapter the file lists no tools for
    write(
        &f,
        &format!(
            "config: {ROOT}/examples/mcp/toolwall.yaml\nscenarios:\n  - name: m\n    mcp: {{ adapter: crm, tool: refund }}\n    expect: allow\n"
        ),
    );
    let (code, _out, err) = toolwall(&["eval", tmp.path().to_str().expect("utf8")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("lists no `mcp_tools` for it"), "{err}");

    // an empty directory passes nothing
    let empty = tempfile::tempdir().expect("tmp");
    let (code, _out, err) = toolwall(&["eval", empty.path().to_str().expect("utf8")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no scenario files"), "{err}");

    // a config that does not compile is named as the config's own errors
    write(
        &f,
        "config: nowhere.yaml\nscenarios:\n  - name: x\n    call: { path: /x }\n    expect: allow\n",
    );
    let (code, _out, err) = toolwall(&["eval", tmp.path().to_str().expect("utf8")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nowhere.yaml"), "{err}");
}
