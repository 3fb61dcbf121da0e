//! The `approvals:` section through the binary: `toolwall check` names the exact file:line:col
//! of every bad value, an unset token or secret variable is a warning for `check` and stops
//! `run`; and the webhook signature interoperates with an independent verifier (Python's hmac).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const POLICY: &str = "package toolwall\nimport rego.v1\ndefault decision := {\"allow\": false}\n";
const ADAPTER: &str = "name: pay\nupstream: http://127.0.0.1:9\n";

/// A config dir with `config` as toolwall.yaml, one adapter and a policy.
fn config_dir(config: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tmp");
    for (rel, text) in [
        ("toolwall.yaml", config),
        ("adapters/pay.yaml", ADAPTER),
        ("policies/p.rego", POLICY),
    ] {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    let cfg = dir.path().join("toolwall.yaml");
    (dir, cfg)
}

/// `toolwall <args…>` with exactly `env` set among the approval variables; (exit code, stdout,
/// stderr). Killed (and the test failed) if it has not exited within 20 s — `run` must refuse
/// to start, not serve.
fn toolwall_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_toolwall"));
    cmd.args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::null());
    for (k, _) in std::env::vars() {
        if k.starts_with("TW_T_") {
            cmd.env_remove(k);
        }
    }
    cmd.envs(env.iter().copied());
    let mut child = cmd.spawn().expect("run toolwall");
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("toolwall {args:?} did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf8")
}

/// The line of `out` that starts with `prefix`; it must contain `message`.
fn assert_line(out: &str, prefix: &str, message: &str) {
    let found = out
        .lines()
        .any(|l| l.starts_with(prefix) && l.contains(message));
    assert!(found, "no line `{prefix}…{message}…` in:\n{out}");
}

const TOKENS: &[(&str, &str)] = &[
    ("TW_T_ALICE", "tok-alice-5b1e"),
    ("TW_T_BOB", "tok-bob-93ac"),
    ("TW_T_CAROL", "tok-carol-0d2f"),
    ("TW_T_SECRET", "whsec-t-1c44"),
];

#[test]
fn check_names_the_position_of_every_bad_approvals_value() {
    let (_dir, cfg) = config_dir(
        "identity:
  static: { agent: a }
approvals:
  ttl: 0s
  hold: 10s
  approvers:
    - { name: alice, token_env: TW_T_ALICE }
    - { name: bob,   token_env: TW_T_BOB }
    - { name: alice, token_env: TW_T_CAROL }
    - { name: dave,  token_env: TW_T_DAVE }
  tiers: { high: { quorum: 5 }, low: { quorum: 0 } }
  notify: { webhook: \"file:///tmp/hook\", secret_env: TW_T_SECRET }
",
    );
    let mut env = TOKENS.to_vec();
    env.push(("TW_T_DAVE", "tok-alice-5b1e")); // alice's token, under another variable
    let (code, out, err) = toolwall_env(&["check", "-c", path_str(&cfg)], &env);
    assert_eq!(code, 1, "{out}{err}");
    let c = cfg.display().to_string();
    assert_line(
        &err,
        &format!("{c}:4:8: "),
        "approvals.ttl must be longer than 0s",
    );
    assert_line(
        &err,
        &format!("{c}:9:15: "),
        "approvals.approvers[2]: the name `alice` is used by another approver",
    );
    assert_line(
        &err,
        &format!("{c}:10:33: "),
        "approvals.approvers[3].token_env: approver `dave` has the same token as `alice` (TW_T_DAVE)",
    );
    assert_line(
        &err,
        &format!("{c}:11:28: "),
        "approvals.tiers.high.quorum: 5 approvers needed but only 4 configured",
    );
    assert_line(
        &err,
        &format!("{c}:11:48: "),
        "approvals.tiers.low.quorum must be at least 1",
    );
    assert_line(
        &err,
        &format!("{c}:11:10: "),
        "approvals.tiers: a `default` tier is required",
    );
    assert_line(
        &err,
        &format!("{c}:12:22: "),
        "approvals.notify.webhook: `file:///tmp/hook` must start with http:// or https://",
    );
    assert!(err.contains(": 7 error(s)"), "{err}");
    for (_, secret) in &env {
        assert!(!err.contains(secret), "{secret} printed:\n{err}");
    }
}

#[test]
fn check_rejects_bad_durations_and_a_hold_past_the_ttl() {
    let approvers = "  approvers:\n    - { name: alice, token_env: TW_T_ALICE }\n";
    for (lines, pos, message) in [
        ("  ttl: a day\n", "4:8", "approvals.ttl: "),
        ("  hold: -1s\n", "4:9", "approvals.hold: "),
        (
            "  ttl: 10m\n  hold: 1h\n",
            "5:9",
            "approvals.hold (1h) is longer than approvals.ttl (10m)",
        ),
    ] {
        let (_dir, cfg) = config_dir(&format!(
            "identity:\n  static: {{ agent: a }}\napprovals:\n{lines}{approvers}"
        ));
        let (code, out, err) = toolwall_env(&["check", "-c", path_str(&cfg)], TOKENS);
        assert_eq!(code, 1, "{lines}: {out}{err}");
        assert_line(&err, &format!("{}:{pos}: ", cfg.display()), message);
        assert!(err.contains(": 1 error(s)"), "{err}");
    }
    // no approver at all: at the section
    let (_dir, cfg) = config_dir("identity:\n  static: { agent: a }\napprovals:\n  ttl: 1h\n");
    let (code, _, err) = toolwall_env(&["check", "-c", path_str(&cfg)], TOKENS);
    assert_eq!(code, 1, "{err}");
    assert_line(
        &err,
        &format!("{}:4:3: ", cfg.display()),
        "approvals.approvers: list at least one approver",
    );
}

#[test]
fn an_unset_token_or_secret_warns_in_check_and_stops_run() {
    let (_dir, cfg) = config_dir(
        "identity:
  static: { agent: a }
listen: 127.0.0.1:0
admin: 127.0.0.1:0
approvals:
  approvers:
    - { name: alice, token_env: TW_T_ALICE }
    - { name: bob, token_env: TW_T_BOB }
  tiers: { default: { quorum: 2 } }
  notify: { webhook: https://hooks.example/toolwall, secret_env: TW_T_SECRET }
",
    );
    let c = cfg.display().to_string();
    // bob's variable is empty, the webhook secret is not set
    let env = [("TW_T_ALICE", "tok-alice-5b1e"), ("TW_T_BOB", "")];
    let (code, out, err) = toolwall_env(&["check", "-c", &c], &env);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(": ok"), "{out}");
    assert_line(
        &err,
        &format!("warning: {c}:8:31: "),
        "approvals.approvers[1].token_env: environment variable TW_T_BOB (approver `bob`) is not set or empty",
    );
    assert_line(
        &err,
        &format!("warning: {c}:10:66: "),
        "approvals.notify.secret_env: environment variable TW_T_SECRET is not set or empty",
    );
    let (code, out, err) = toolwall_env(&["run", "-c", &c], &env);
    assert_eq!(code, 1, "{out}{err}");
    assert_line(&err, &format!("{c}:8:31: "), "TW_T_BOB (approver `bob`)");
    assert_line(&err, &format!("{c}:10:66: "), "TW_T_SECRET is not set");
    assert!(err.contains("2 error(s); not starting"), "{err}");

    // with every variable set, both pass
    let (code, out, err) = toolwall_env(&["check", "-c", &c], TOKENS);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!err.contains("warning"), "{err}");
}

/// Python's own hmac module verifies what `toolwall::webhook::sign` produced, and produces a
/// header that `verify` accepts; a body changed after signing fails on both sides.
#[test]
fn webhook_signatures_interoperate_with_python_hmac() {
    use toolwall::webhook::{sign, verify, WebhookError, DEFAULT_TOLERANCE};
    let secret = b"whsec_interop_\xf0\x9f\x94\x91";
    let body =
        "{\"event\":\"approval.approved\",\"approval_id\":\"0193\",\"comment\":\"ok \u{00e9}\"}";
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let ours = sign(secret, now, body.as_bytes());
    // The script: argv = secret hex, our header, body hex, a second body hex; it prints whether
    // our header verifies for each body, then its own header for the first body at `t`.
    let script = r#"
import hashlib, hmac, sys
secret = bytes.fromhex(sys.argv[1]); header = sys.argv[2]
items = dict(p.split("=", 1) for p in header.split(","))
def sig(t, body):
    return hmac.new(secret, t.encode() + b"." + body, hashlib.sha256).hexdigest()
for body_hex in sys.argv[3:5]:
    body = bytes.fromhex(body_hex)
    print(hmac.compare_digest(sig(items["t"], body), items["v1"]))
t = str(int(items["t"]) - 7)
print("t=%s,v1=%s" % (t, sig(t, bytes.fromhex(sys.argv[3]))))
"#;
    let tampered = body.replace("approved", "approveD");
    let out = Command::new(crate::common::python())
        .args([
            "-c",
            script,
            &hex::encode(secret),
            &ours,
            &hex::encode(body),
            &hex::encode(&tampered),
        ])
        .output()
        .expect("python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[..2], ["True", "False"], "{stdout}");
    let theirs = lines[2];
    assert_eq!(
        verify(secret, theirs, body.as_bytes(), now, DEFAULT_TOLERANCE),
        Ok(())
    );
    assert_eq!(
        verify(secret, theirs, tampered.as_bytes(), now, DEFAULT_TOLERANCE),
        Err(WebhookError::Mismatch)
    );
    assert_eq!(
        verify(
            b"another secret",
            theirs,
            body.as_bytes(),
            now,
            DEFAULT_TOLERANCE
        ),
        Err(WebhookError::Mismatch)
    );
    // Python's header is 7 s old: refused under a 5 s tolerance
    assert!(matches!(
        verify(secret, theirs, body.as_bytes(), now, Duration::from_secs(5)),
        Err(WebhookError::Stale { age_secs: 7, .. })
    ));
}
