//! The policy library (policies/library), its adapters (adapters/library) and its example
//! config (examples/library/toolwall.yaml), through the real binary: the library's own Rego
//! tests pass and a broken one fails; the config checks; the runtime's evaluator (the RVM, which
//! `policy test` does not use) decides inputs the tests do not cover; and `toolwall run` with
//! the library in front of real HTTP servers forwards an allowed Stripe refund as decided,
//! refuses a cross-tenant refund and a deploy outside its window without reaching the upstream,
//! and holds a GitHub merge for approval.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use chrono::Datelike;
use http_body_util::Full;
use serde_json::{json, Value};

use crate::common::*;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn library() -> PathBuf {
    repo().join("policies/library")
}

/// Copy the files of `from` (not recursive: policy and adapter directories are flat, except
/// `schemas/`, copied as `subdirs` says) into `to`.
fn copy_dir(from: &Path, to: &Path, subdirs: &[&str]) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let p = entry.path();
        if p.is_file() {
            std::fs::copy(&p, to.join(entry.file_name())).expect("copy");
        }
    }
    for sub in subdirs {
        copy_dir(&from.join(sub), &to.join(sub), &[]);
    }
}

/// Replace exactly one occurrence of `old` in the file at `path`.
fn edit(path: &Path, old: &str, new: &str) {
    let text = std::fs::read_to_string(path).expect("read");
    assert_eq!(
        text.matches(old).count(),
        1,
        "{} should contain `{old}` once",
        path.display()
    );
    std::fs::write(path, text.replacen(old, new, 1)).expect("write");
}

#[test]
fn the_library_tests_pass() {
    let dir = library();
    let (code, out, err) = toolwall(&["policy", "test", dir.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{out}\n{err}");
    let summary = out
        .lines()
        .find_map(|l| l.strip_prefix("PASS: "))
        .unwrap_or_else(|| panic!("no PASS line in:\n{out}"));
    let (passed, total) = summary.split_once('/').expect("n/m");
    assert_eq!(passed, total, "{out}");
    // every policy file has tests of its own, and they ran
    let total: usize = total.trim().parse().expect("count");
    assert!(total >= 100, "only {total} tests ran:\n{out}");
    assert!(!out.contains("FAIL"), "{out}");
    for policy in [
        "tenant_grants",
        "cross_tenant",
        "amount_approval",
        "change_window",
        "bulk_export",
        "pii_data_class",
        "irreversible",
        "budget_readonly",
    ] {
        assert!(dir.join(format!("{policy}.rego")).is_file(), "{policy}");
        assert!(
            dir.join(format!("{policy}_test.rego")).is_file(),
            "{policy}"
        );
    }
}

#[test]
fn a_broken_library_fails_its_tests_with_exit_1() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("library");
    copy_dir(&library(), &dir, &[]);
    // the classic off-by-one: a refund exactly at the threshold now needs a human
    edit(
        &dir.join("amount_approval.rego"),
        "amt_value > amt_limits.approval_above",
        "amt_value >= amt_limits.approval_above",
    );
    let (code, out, err) = toolwall(&["policy", "test", dir.to_str().expect("utf-8")]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        out.contains("test_amount_exactly_at_the_threshold_is_allowed: FAIL"),
        "{out}"
    );
    assert!(out.contains("FAIL: "), "{out}");
    // the untouched policies still pass: only the threshold tests fail
    assert!(!out.contains("test_xt_"), "{out}");
}

#[test]
fn the_library_config_checks() {
    let cfg = repo().join("examples/library/toolwall.yaml");
    let (code, out, err) = toolwall(&["check", "-c", cfg.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("3 adapter(s), 12 tool(s), 9 policy file(s)"),
        "{out}"
    );
}

/// A policy input for one of the library's tools as acme_co, without the optional parts
/// (`request.headers`, `usage`, `approval`) that the Rego tests always fill in.
fn bare_input(tool: &str, risk: Value, read_only: bool, args: Value) -> Value {
    json!({
        "v": 1,
        "principal": {"agent": "support-bot", "tenant": "acme_co", "source": "static"},
        "tool": {"name": tool, "adapter": tool.split('.').next(), "kind": "http",
                 "read_only": read_only, "risk": risk},
        "args": args,
        "request": {"method": "POST", "host": "api.example.com", "path": "/"},
        "pii": {"found": []},
        "now": {"rfc3339": "2026-12-01T10:00:00Z", "unix": 1796119200, "weekday": "Tue", "hour_utc": 10},
        "mode": "enforce"
    })
}

/// The decision `toolwall policy eval` (the runtime's RVM) gives for `input`.
fn rvm_decision(input: &Value) -> Value {
    let tmp = tempfile::NamedTempFile::new().expect("tmp");
    std::fs::write(tmp.path(), input.to_string()).expect("write");
    let (code, out, err) = toolwall(&[
        "policy",
        "eval",
        "-i",
        tmp.path().to_str().expect("utf-8"),
        "--policies",
        library().to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    v["decision"].clone()
}

/// `policy test` runs on the interpreter, calls on the RVM: the RVM decides inputs without
/// the optional parts as the library means (regorus 0.14.1's RVM does not stop a rule body at
/// `x := <undefined>`, which the library is written around).
#[test]
fn the_runtime_evaluator_decides_inputs_without_optional_parts() {
    let refund_risk = json!({"reversible": false, "financial": true, "data_class": "pci", "amount_arg": "amount"});
    let ticket_risk = json!({"reversible": true, "financial": false, "data_class": "pii"});
    let deploy_risk = json!({"reversible": true, "financial": false, "data_class": "internal"});
    let allowed = |tier: &str| json!({"allow": true, "require_approval": false, "reasons": [], "redact": [], "tier": tier});
    let denied = |reasons: Value, tier: &str| json!({"allow": false, "require_approval": false, "reasons": reasons, "redact": [], "tier": tier});

    // no headers: no owner header to check
    let refund = bare_input(
        "stripe.create_refund",
        refund_risk.clone(),
        false,
        json!({"charge": "ch_3MmlLrLkdIwHu7ix0snN0B15", "amount": 1500}),
    );
    assert_eq!(rvm_decision(&refund), allowed("high"));
    // …and with another tenant's account in it
    let mut wrong = refund.clone();
    wrong["request"]["headers"] = json!({"stripe-account": "acct_1PzR8kGlBx7RkT3m"});
    assert_eq!(
        rvm_decision(&wrong),
        denied(json!(["cross_tenant"]), "high")
    );
    // no usage: no run budget applies
    let ticket = bare_input(
        "zendesk.update_ticket",
        ticket_risk,
        false,
        json!({"ticket_id": 4711, "ticket": {"status": "pending"}}),
    );
    assert_eq!(rvm_decision(&ticket), allowed("low"));
    let mut over = ticket.clone();
    over["usage"] = json!({"run_spent_usd": 0.51});
    assert_eq!(
        rvm_decision(&over),
        denied(json!(["over_budget_read_only"]), "low")
    );
    // no tenant: nothing is granted, and the repository is someone's
    let mut anonymous = ticket.clone();
    anonymous["principal"] = json!({"agent": "support-bot", "source": "static"});
    anonymous["tool"]["name"] = json!("github.create_issue");
    anonymous["args"] = json!({"owner": "acme-co", "repo": "web", "title": "x"});
    assert_eq!(
        rvm_decision(&anonymous),
        denied(json!(["cross_tenant", "tool_not_granted"]), "low")
    );
    // no clock: a production deploy is outside every window; a zone is read as the zone
    let mut deploy = bare_input(
        "github.create_deployment",
        deploy_risk,
        false,
        json!({"owner": "acme-co", "repo": "web", "ref": "main"}),
    );
    assert_eq!(rvm_decision(&deploy), allowed("low"));
    deploy["now"] = json!({"rfc3339": "2026-04-02T14:30:00Z"}); // 16:30 CEST
    assert_eq!(
        rvm_decision(&deploy),
        denied(json!(["outside_change_window"]), "low")
    );
    deploy.as_object_mut().expect("object").remove("now");
    assert_eq!(
        rvm_decision(&deploy),
        denied(json!(["outside_change_window"]), "low")
    );
    // a refund without an amount refunds everything: a human decides
    let full = bare_input(
        "stripe.create_refund",
        refund_risk,
        false,
        json!({"charge": "ch_3MmlLrLkdIwHu7ix0snN0B15"}),
    );
    assert_eq!(
        rvm_decision(&full),
        json!({"allow": true, "require_approval": true, "reasons": ["amount_unknown"], "redact": [], "tier": "high"})
    );
}

/// `toolwall run` on a copy of the example: config, policies and adapters in the repository's
/// layout, the adapters' upstreams replaced by servers on 127.0.0.1.
struct Library {
    dir: tempfile::TempDir,
    agent: SocketAddr,
}

const STRIPE_KEY: &str = "sk_test_library_e2e_4eC39HqLyjWDarjtT1zdp7dc";

impl Library {
    fn new(stripe: SocketAddr, github: SocketAddr, zendesk: SocketAddr) -> Library {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        copy_dir(&library(), &root.join("policies/library"), &[]);
        copy_dir(
            &repo().join("adapters/library"),
            &root.join("adapters/library"),
            &["schemas"],
        );
        copy_dir(
            &repo().join("examples/library"),
            &root.join("examples/library"),
            &[],
        );
        for (name, host, addr) in [
            ("stripe", "https://api.stripe.com", stripe),
            ("github", "https://api.github.com", github),
            ("zendesk", "https://example.zendesk.com", zendesk),
        ] {
            edit(
                &root.join(format!("adapters/library/{name}.yaml")),
                &format!("upstream: {host}"),
                &format!("upstream: http://{addr}"),
            );
        }
        let agent: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
        let admin: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
        let cfg = root.join("examples/library/toolwall.yaml");
        edit(&cfg, "listen: 127.0.0.1:8080", &format!("listen: {agent}"));
        edit(&cfg, "admin: 127.0.0.1:9901", &format!("admin: {admin}"));
        Library { dir, agent }
    }

    fn data_json(&self) -> PathBuf {
        self.dir.path().join("policies/library/data.json")
    }

    fn spawn(&self) -> Reap {
        let child = Command::new(env!("CARGO_BIN_EXE_toolwall"))
            .current_dir(self.dir.path())
            .env_remove("RUST_LOG")
            .env("STRIPE_SECRET_KEY", STRIPE_KEY)
            .env("GITHUB_TOKEN", "github_pat_library_e2e")
            .env("ZENDESK_OAUTH_TOKEN", "zendesk_library_e2e")
            .env("TW_APPROVER_ALICE", "library-e2e-alice-7c1")
            .env("TW_APPROVER_BOB", "library-e2e-bob-2d9")
            .arg("run")
            .arg("-c")
            .arg(self.dir.path().join("examples/library/toolwall.yaml"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn toolwall run");
        Reap(child)
    }
}

/// Kills the child if the test ends early.
struct Reap(Child);

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_listening(addr: SocketAddr) {
    for _ in 0..400 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nothing listens on {addr}");
}

fn form_refund(body: &str, account: Option<&str>) -> http::Request<Full<Bytes>> {
    let mut b = req("POST", "/stripe/v1/refunds")
        .header("content-type", "application/x-www-form-urlencoded")
        // the agent's own credential is never forwarded: the adapter's is injected
        .header("authorization", "Bearer sk_live_agent_must_not_hold_this");
    if let Some(a) = account {
        b = b.header("stripe-account", a);
    }
    b.body(Full::new(Bytes::from(body.to_string())))
        .expect("request")
}

fn json_call(method: &str, target: &str, body: &Value) -> http::Request<Full<Bytes>> {
    req(method, target)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("request")
}

/// A production deploy of acme-co/web.
fn deploy() -> http::Request<Full<Bytes>> {
    json_call(
        "POST",
        "/github/repos/acme-co/web/deployments",
        &json!({"ref": "v2026.12.1", "environment": "production", "description": "Weekly release"}),
    )
}

/// The three-letter name of the weekday `days` after today in Berlin.
fn berlin_weekday_in(days: u64) -> String {
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .weekday();
    let mut d = today;
    for _ in 0..days {
        d = d.succ();
    }
    d.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_library_in_front_of_real_upstreams() {
    let stripe = http_upstream().await;
    let github = http_upstream().await;
    let zendesk = http_upstream().await;
    let lib = Library::new(stripe.addr, github.addr, zendesk.addr);
    // The deploy window is opened and closed relative to now: today's weekday in Berlin is
    // never the one three days ahead, so this window is closed whenever the test runs.
    let closed_day = berlin_weekday_in(3);
    edit(
        &lib.data_json(),
        r#"{ "days": ["Mon", "Tue", "Wed", "Thu"], "start": "09:00", "end": "16:00" }"#,
        &format!(r#"{{ "days": ["{closed_day}"], "start": "09:00", "end": "16:00" }}"#),
    );
    let child = lib.spawn();
    wait_listening(lib.agent).await;

    // 1. an allowed refund reaches Stripe with the injected key and the form body as decided
    let body = "charge=ch_3MmlLrLkdIwHu7ix0snN0B15&amount=1500&reason=requested_by_customer";
    let r = send(lib.agent, form_refund(body, Some("acct_1OyQ3cAcMe5x2Lq9"))).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let seen = stripe.requests();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let refund = &seen[0];
    assert_eq!(refund.method, "POST");
    assert_eq!(refund.path_and_query, "/v1/refunds");
    assert_eq!(refund.body, Bytes::from(body));
    assert_eq!(
        refund.headers.get("authorization").map(|v| v.as_bytes()),
        Some(format!("Bearer {STRIPE_KEY}").as_bytes())
    );
    assert_eq!(
        refund.headers.get("content-type").map(|v| v.as_bytes()),
        Some(&b"application/x-www-form-urlencoded"[..])
    );
    assert_eq!(
        refund.headers.get("stripe-account").map(|v| v.as_bytes()),
        Some(&b"acct_1OyQ3cAcMe5x2Lq9"[..])
    );

    // 2. the same refund on another tenant's connected account: refused, never forwarded
    let r = send(lib.agent, form_refund(body, Some("acct_1PzR8kGlBx7RkT3m"))).await;
    assert_eq!(r.status, 403, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["error"]["type"], "denied", "{:?}", r.json());
    assert_eq!(r.reasons(), vec!["cross_tenant"]);
    assert_eq!(stripe.requests().len(), 1, "the refusal reached Stripe");

    // 3. a production deploy outside the window: refused, GitHub never sees it…
    let r = send(lib.agent, deploy()).await;
    assert_eq!(r.status, 403, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.reasons(), vec!["outside_change_window"], "{:?}", r.json());
    // …while a staging deploy is not gated
    let staging = json!({"ref": "main", "environment": "staging"});
    let r = send(
        lib.agent,
        json_call("POST", "/github/repos/acme-co/web/deployments", &staging),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let seen = github.requests();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].path_and_query, "/repos/acme-co/web/deployments");
    let sent: Value = serde_json::from_slice(&seen[0].body).expect("json");
    assert_eq!(sent, staging, "GitHub got other arguments than decided");
    assert_eq!(
        seen[0].headers.get("authorization").map(|v| v.as_bytes()),
        Some(&b"Bearer github_pat_library_e2e"[..])
    );

    // 4. a merge is held for a human: approval_required with an id, nothing merged
    let r = send(
        lib.agent,
        json_call(
            "PUT",
            "/github/repos/acme-co/web/pulls/1347/merge",
            &json!({"merge_method": "squash", "sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e"}),
        ),
    )
    .await;
    assert_eq!(r.status, 403, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    assert_eq!(v["error"]["type"], "approval_required", "{v}");
    assert_eq!(
        r.reasons(),
        vec!["approval_required", "irreversible_requires_approval"]
    );
    let id = v["error"]["approval_id"].as_str().unwrap_or_default();
    assert!(!id.is_empty(), "no approval id: {v}");
    assert_eq!(github.requests().len(), 1, "the merge reached GitHub");

    // 5. open the window (every day, all day), reload: the same deploy now goes through
    let every_day = r#"{ "days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], "start": "00:00", "end": "24:00" }"#;
    edit(
        &lib.data_json(),
        &format!(r#"{{ "days": ["{closed_day}"], "start": "09:00", "end": "16:00" }}"#),
        every_day,
    );
    let hup = Command::new("kill")
        .args(["-HUP", &child.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(hup.success());
    let mut last = None;
    for _ in 0..100 {
        let r = send(lib.agent, deploy()).await;
        if r.status == 200 {
            last = None;
            break;
        }
        last = Some(r);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if let Some(r) = last {
        panic!(
            "the deploy is still refused after the reload: {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
    }
    let seen = github.requests();
    assert_eq!(seen.len(), 2, "{seen:?}");
    let sent: Value = serde_json::from_slice(&seen[1].body).expect("json");
    assert_eq!(sent["environment"], "production");
    assert_eq!(sent["ref"], "v2026.12.1");
    // Zendesk was never called
    assert!(zendesk.requests().is_empty());
    drop(child);
}
