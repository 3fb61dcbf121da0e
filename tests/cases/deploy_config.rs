//! What a deployment needs from the config: a per-pod identity and mode from the environment
//! (`identity.static.*_env`, `mode_env`), reload when mounted files change (a ConfigMap's
//! symlink swap included), and a clear start-up error when state or audit cannot be written.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::common::*;

const BIN: &str = env!("CARGO_BIN_EXE_toolwall");

fn audit_extra(root: &Path) -> String {
    assert_eq!(toolwall::cli::audit::keygen(&root.join("keys"), "t"), 0);
    format!(
        "audit: {{ dir: {0}/audit, key: {0}/keys/audit.key, hmac_key: {0}/keys/hmac.key }}\n",
        root.display()
    )
}

fn refund(amount: u32) -> http::Request<http_body_util::Full<bytes::Bytes>> {
    json_post(
        "/echo/v1/refunds",
        &format!(r#"{{"charge":"ch_1","amount":{amount}}}"#),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pods_identity_and_mode_come_from_the_environment() {
    // nextest runs each test in its own process: these variables are this test's alone
    std::env::set_var(
        "TW_DEPLOY_AGENT",
        "spiffe://cluster.local/ns/agents/sa/billing",
    );
    std::env::set_var("TW_DEPLOY_TENANT", "globex");
    std::env::set_var("TW_DEPLOY_MODE", "shadow");
    let up = http_upstream().await;
    let keys = tempfile::tempdir().expect("tmp");
    let h = Harness::start_with(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        POLICY,
        &format!(
            "identity:\n  static: {{ agent: fallback, tenant: acme, agent_env: TW_DEPLOY_AGENT, tenant_env: TW_DEPLOY_TENANT }}\nmode_env: TW_DEPLOY_MODE\n{}",
            audit_extra(keys.path())
        ),
        None,
    )
    .await;
    // the written mode is enforce (the default); the environment's shadow wins
    let r = send(h.agent(), refund(500)).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(up.requests().len(), 1, "shadow mode forwards the refusal");
    let Harness { app, dir: _dir } = h;
    app.shutdown().await;
    let recs = audit_records(&keys.path().join("audit"));
    let call = recs
        .iter()
        .find(|r| r["tool"] == "echo.refund")
        .unwrap_or_else(|| panic!("no call record in {recs:?}"));
    assert_eq!(
        call["agent"], "spiffe://cluster.local/ns/agents/sa/billing",
        "{call}"
    );
    assert_eq!(call["tenant_id"], "globex", "{call}");
    assert_eq!(call["mode"], "shadow", "{call}");
}

fn write_config(root: &Path, body: &str) -> std::path::PathBuf {
    std::fs::create_dir_all(root.join("adapters")).expect("mkdir");
    std::fs::create_dir_all(root.join("policies")).expect("mkdir");
    std::fs::write(
        root.join("adapters/echo.yaml"),
        echo_adapter("http://127.0.0.1:9", ""),
    )
    .expect("w");
    std::fs::write(root.join("policies/toolwall.rego"), POLICY).expect("w");
    let cfg = root.join("toolwall.yaml");
    std::fs::write(
        &cfg,
        format!("listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\n{body}"),
    )
    .expect("w");
    cfg
}

#[test]
fn a_bad_mode_in_the_environment_and_a_missing_agent_are_config_errors() {
    let d = tempfile::tempdir().expect("tmp");
    let cfg = write_config(
        d.path(),
        "identity:\n  static: { agent_env: TW_DEPLOY_NO_SUCH_AGENT }\nmode_env: TW_DEPLOY_BAD_MODE\n",
    );
    let out = Command::new(BIN)
        .args(["check", "-c", cfg.to_str().expect("utf8")])
        .env("TW_DEPLOY_BAD_MODE", "permissive")
        .env_remove("TW_DEPLOY_NO_SUCH_AGENT")
        .output()
        .expect("run");
    let err =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("toolwall.yaml:5:1") && err.contains("TW_DEPLOY_BAD_MODE is `permissive`"),
        "{err}"
    );
    // with a good mode, `check` only warns about the unset agent variable; `run` refuses it
    let ok = Command::new(BIN)
        .args(["check", "-c", cfg.to_str().expect("utf8")])
        .env("TW_DEPLOY_BAD_MODE", "enforce")
        .output()
        .expect("run");
    let text =
        String::from_utf8_lossy(&ok.stderr).to_string() + &String::from_utf8_lossy(&ok.stdout);
    assert_eq!(ok.status.code(), Some(0), "{text}");
    assert!(
        text.contains("TW_DEPLOY_NO_SUCH_AGENT is not set"),
        "{text}"
    );
    let run = Command::new(BIN)
        .args(["run", "-c", cfg.to_str().expect("utf8")])
        .env("TW_DEPLOY_BAD_MODE", "enforce")
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&run.stderr).to_string();
    assert_eq!(run.status.code(), Some(1), "{text}");
    assert!(
        text.contains("toolwall.yaml:4:") && text.contains("TW_DEPLOY_NO_SUCH_AGENT is not set"),
        "{text}"
    );
}

#[test]
fn state_and_audit_paths_that_cannot_be_written_are_named_at_start() {
    let d = tempfile::tempdir().expect("tmp");
    // a file where a directory must be: not writable as a directory, even for root
    std::fs::write(d.path().join("ro"), "").expect("w");
    let keys = audit_extra(d.path()).replace(
        &format!("dir: {}/audit", d.path().display()),
        &format!("dir: {}/ro/audit", d.path().display()),
    );
    let cfg = write_config(
        d.path(),
        &format!(
            "{STATIC_IDENTITY}state: {{ backend: sqlite, path: ro/state/toolwall.db }}\n{keys}"
        ),
    );
    let run = Command::new(BIN)
        .args(["run", "-c", cfg.to_str().expect("utf8")])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&run.stderr).to_string();
    assert_ne!(run.status.code(), Some(0), "{text}");
    let ro = d.path().join("ro");
    for want in [
        format!("state.path: {}/state is not writable", ro.display()),
        format!("audit.dir: {}/audit is not writable", ro.display()),
        "mount writable volumes".to_string(),
    ] {
        assert!(text.contains(&want), "no `{want}` in:\n{text}");
    }
    assert!(
        !d.path().join("ro.db").exists() && std::fs::metadata(&ro).expect("ro").is_file(),
        "nothing was created in place of the file"
    );
}

/// Install `policy` as the ConfigMap volume layout kubelet writes: `toolwall.rego` ->
/// `..data/toolwall.rego`, `..data` -> `..<version>/`, swapped atomically by a rename.
fn configmap_publish(dir: &Path, version: &str, policy: &str) {
    let v = dir.join(format!("..{version}"));
    std::fs::create_dir_all(&v).expect("mkdir");
    std::fs::write(v.join("toolwall.rego"), policy).expect("w");
    let tmp = dir.join("..data_tmp");
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(format!("..{version}"), &tmp).expect("link");
    std::fs::rename(&tmp, dir.join("..data")).expect("swap");
    let link = dir.join("toolwall.rego");
    if !link.is_symlink() {
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink("..data/toolwall.rego", &link).expect("link");
    }
}

async fn until(
    what: &str,
    mut f: impl FnMut() -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>>,
) {
    for _ in 0..100 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watched_config_reloads_on_a_configmap_swap_and_keeps_the_last_good_one() {
    let up = http_upstream().await;
    let keys = tempfile::tempdir().expect("tmp");
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        POLICY,
        &format!(
            "reload: {{ watch: true, interval: 200ms }}\n{}",
            audit_extra(keys.path())
        ),
    )
    .await;
    let agent = h.agent();
    assert_eq!(send(agent, refund(50)).await.status, 200);

    // v1: the same policy, now published the way a ConfigMap volume is
    let policies = h.dir.path().join("policies");
    configmap_publish(&policies, "2026_12_03_v1", POLICY);
    // v2: the threshold drops to 10
    configmap_publish(&policies, "2026_12_03_v2", &POLICY.replace("> 100", "> 10"));
    until("the new policy to apply", || {
        Box::pin(async move { send(agent, refund(50)).await.status == 403 })
    })
    .await;
    let refused = send(agent, refund(50)).await;
    assert_eq!(refused.reasons(), vec!["amount_exceeds_threshold"]);

    // v3 does not compile: the last good policy stays, and the failure is visible
    configmap_publish(
        &policies,
        "2026_12_03_v3",
        "package toolwall\nthis is not rego\n",
    );
    let admin = h.admin();
    until("the failed reload to show", || {
        Box::pin(async move {
            let m = admin_get(admin, "/metrics").await;
            String::from_utf8_lossy(&m.body).contains("toolwall_config_reload_success 0")
        })
    })
    .await;
    assert_eq!(send(agent, refund(50)).await.status, 403, "still v2");
    assert_eq!(send(agent, refund(5)).await.status, 200, "still v2");
    // and it is tried once, not on every poll
    tokio::time::sleep(Duration::from_millis(800)).await;

    // v4 fixes it
    configmap_publish(&policies, "2026_12_03_v4", POLICY);
    until("the fixed policy to apply", || {
        Box::pin(async move { send(agent, refund(50)).await.status == 200 })
    })
    .await;

    let Harness { app, dir: _dir } = h;
    app.shutdown().await;
    let recs = audit_records(&keys.path().join("audit"));
    let kinds: Vec<&str> = recs
        .iter()
        .filter_map(|r| r["event"].as_str())
        .filter(|e| e.starts_with("config."))
        .collect();
    let failed = kinds
        .iter()
        .filter(|k| **k == "config.reload_failed")
        .count();
    assert_eq!(failed, 1, "one failed reload for one bad change: {kinds:?}");
    // v1 and v2 may land in one poll or two; then the failure, then the fix
    let fail_at = kinds
        .iter()
        .position(|k| *k == "config.reload_failed")
        .expect("failed");
    assert!(fail_at >= 1, "{kinds:?}");
    assert!(
        kinds[..fail_at].iter().all(|k| *k == "config.reloaded"),
        "{kinds:?}"
    );
    assert_eq!(kinds[fail_at + 1..], ["config.reloaded"], "{kinds:?}");
}

/// A policy author saving over and over while agents call: every call is answered by one whole
/// policy version (never a failure from the swap), a broken save keeps the last good version
/// serving and says where it is broken, and the next good save applies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saves_under_load_fail_no_call_and_a_broken_save_keeps_the_last_good_policy() {
    let up = http_upstream().await;
    let keys = tempfile::tempdir().expect("tmp");
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        POLICY,
        &format!(
            "reload: {{ watch: true, interval: 200ms }}\n{}",
            audit_extra(keys.path())
        ),
    )
    .await;
    let (agent, admin) = (h.agent(), h.admin());
    let policy = h.dir.path().join("policies/toolwall.rego");
    assert!(policy.exists(), "the harness's policy file moved");

    // agents call without pause: a refund of 50 is allowed by every good version below
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut load = Vec::new();
    for _ in 0..3 {
        let stop = stop.clone();
        load.push(tokio::spawn(async move {
            let (mut ok, mut other) = (0u32, Vec::new());
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let r = send(agent, refund(50)).await;
                if r.status == 200 {
                    ok += 1;
                } else {
                    other.push((r.status, String::from_utf8_lossy(&r.body).to_string()));
                }
            }
            (ok, other)
        }));
    }
    // ten saves: thresholds 100, 60, 1000, … (all allow 50), two of them broken
    for i in 0..10u32 {
        let text = if i == 3 || i == 7 {
            "package toolwall\nimport rego.v1\n\ndecision := {\"allow\": true} if {\n\tinput.args.amount >\n}\n"
                .to_string()
        } else {
            POLICY.replace("> 100", &format!("> {}", 60 + i * 10))
        };
        std::fs::write(&policy, text).expect("save");
        if i == 3 {
            // the broken save is reported with its place, and the old version keeps serving
            until("the failed reload to show", || {
                Box::pin(async move {
                    let m = admin_get(admin, "/metrics").await;
                    String::from_utf8_lossy(&m.body).contains("toolwall_config_reload_success 0")
                })
            })
            .await;
            let ready = admin_get(admin, "/readyz").await;
            let detail = String::from_utf8_lossy(&ready.body).to_string();
            assert_eq!(
                ready.status, 200,
                "a bad save does not take the proxy out: {detail}"
            );
            assert!(detail.contains("toolwall.rego:"), "{detail}");
        }
        tokio::time::sleep(Duration::from_millis(350)).await;
    }
    // the last save (i = 9: threshold 150) applies: 120 passes where 100 did not
    until("the last good save to apply", || {
        Box::pin(async move { send(agent, refund(120)).await.status == 200 })
    })
    .await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut total = 0;
    for t in load {
        let (ok, other) = t.await.expect("load task");
        assert!(other.is_empty(), "calls failed during reloads: {other:?}");
        total += ok;
    }
    assert!(total >= 50, "the load loop made only {total} calls");
    assert!(send(agent, refund(200)).await.status == 403);

    let Harness { app, dir: _dir } = h;
    app.shutdown().await;
    let recs = audit_records(&keys.path().join("audit"));
    let reloaded = recs
        .iter()
        .filter(|r| r["event"] == "config.reloaded")
        .count();
    let failed = recs
        .iter()
        .filter(|r| r["event"] == "config.reload_failed")
        .count();
    // eight good saves 350 ms apart: on a loaded machine a reload can take longer than the
    // gap, and the watcher then applies several saves as one (the last one applying is held
    // above), so two at least
    assert!(reloaded >= 2, "{reloaded} reloads recorded");
    // the two broken saves, and perhaps a save read while the editor was half-way through it
    // (an in-place write): each refused, none served
    assert!(
        (1..=10).contains(&failed),
        "{failed} failed reloads recorded"
    );
    let calls = recs.iter().filter(|r| r["tool"] == "echo.refund").count();
    assert!(
        calls >= total as usize,
        "{calls} call records for {total} calls"
    );
}
