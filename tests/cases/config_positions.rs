//! `toolwall check` names the exact file:line:col of each offending value, not the first
//! text match of its key or name.

use crate::common::toolwall;

#[test]
fn check_prints_the_exact_position_of_every_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let files = [
        (
            "toolwall.yaml",
            // `timeout:` appears first under listener; the second rate limit is the bad one
            "identity:\n  static: { agent: a }\nlistener:\n  header_read_timeout: 10s\nlimits:\n  rate:\n    - per_second: 5\n    - per_second: -1\nstate:\n  backend: redis\n  url: redis://127.0.0.1:6379\n  timeout: soon\n",
        ),
        (
            "adapters/pay.yaml",
            // `refund` is also a substring of `create_refund`, declared first
            "name: pay\nupstream: http://127.0.0.1:9\ntools:\n  - name: create_refund\n    match: { method: POST, path: /v1/refunds }\n  - name: refund\n    match: { method: POST, path: /v1/refunds/x }\n    schema: schemas/nope.json\n",
        ),
        (
            "adapters/typo.yaml",
            "name: typo\nupstream: http://127.0.0.1:10\ntools:\n  - name: x\n    match: { method: GET, path: / }\n  - name: y\n    matchh: { method: GET, path: /y }\n",
        ),
        (
            "policies/p.rego",
            "package toolwall\nimport rego.v1\ndefault decision := {\"allow\": false}\n",
        ),
    ];
    for (rel, text) in files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    let cfg = dir.path().join("toolwall.yaml");
    let (code, _out, err) = toolwall(&["check", "-c", cfg.to_str().expect("utf8")]);
    assert_eq!(code, 1, "{err}");
    let line_of = |needle: &str| {
        err.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no `{needle}` in:\n{err}"))
            .to_string()
    };
    let cfg_name = cfg.display().to_string();
    assert!(
        line_of("state.timeout must be").starts_with(&format!("{cfg_name}:12:12: ")),
        "{err}"
    );
    assert!(
        line_of("limits.rate[1]").starts_with(&format!("{cfg_name}:8:7: ")),
        "{err}"
    );
    let pay = dir.path().join("adapters/pay.yaml").display().to_string();
    assert!(
        line_of("schemas/nope.json cannot be read").starts_with(&format!("{pay}:8:13: ")),
        "{err}"
    );
    let typo = dir.path().join("adapters/typo.yaml").display().to_string();
    assert!(
        line_of("matchh").starts_with(&format!("{typo}:7:5: ")),
        "{err}"
    );
    assert!(err.contains("4 error(s)"), "{err}");
}

const POLICY: &str = "package toolwall\nimport rego.v1\ndefault decision := {\"allow\": false}\n";
const ADAPTER: &str = "name: pay\nupstream: http://127.0.0.1:9\n";

/// `toolwall check` on a config, one adapter and extra files (relative path, text): the
/// config's path, the adapter's path and what `check` printed on stderr (it must fail).
fn check(config: &str, adapter: &str, extra: &[(&str, &str)]) -> (String, String, String) {
    check_env(config, adapter, extra, &[])
}

/// `check` with extra environment variables for `toolwall`.
fn check_env(
    config: &str,
    adapter: &str,
    extra: &[(&str, &str)],
    env: &[(&str, &str)],
) -> (String, String, String) {
    let dir = tempfile::tempdir().expect("tmp");
    let mut files = vec![
        ("toolwall.yaml", config),
        ("adapters/pay.yaml", adapter),
        ("policies/p.rego", POLICY),
    ];
    files.extend_from_slice(extra);
    for (rel, text) in files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    let cfg = dir.path().join("toolwall.yaml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_toolwall"))
        .args(["check", "-c", cfg.to_str().expect("utf8")])
        .envs(env.iter().copied())
        .output()
        .expect("run toolwall");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "check passed:\n{err}");
    (
        cfg.display().to_string(),
        dir.path().join("adapters/pay.yaml").display().to_string(),
        err,
    )
}

/// The line of `err` that starts with `prefix` (a `file:line:col: `); it must contain `message`.
fn assert_line(err: &str, prefix: &str, message: &str) {
    let found = err
        .lines()
        .any(|l| l.starts_with(prefix) && l.contains(message));
    assert!(found, "no line `{prefix}…{message}…` in:\n{err}");
}

#[test]
fn identity_errors_name_the_position_of_their_value() {
    // a JWKS file that does not exist: at the `jwks_file` value
    let (cfg, _, err) = check(
        "identity:\n  jwt:\n    issuer: https://idp\n    audience: toolwall\n    jwks_file: keys/missing.json\n",
        ADAPTER,
        &[],
    );
    assert_line(&err, &format!("{cfg}:5:16: "), "identity.jwt.jwks_file ");
    assert!(err.contains("keys/missing.json"), "{err}");
    assert!(err.contains("1 error(s)"), "{err}");

    // a JWKS key with an algorithm that does not sign: at `jwks_file`, naming the key
    let (cfg, _, err) = check(
        "identity:\n  jwt: { issuer: i, audience: a, jwks_file: jwks.json }\n",
        ADAPTER,
        &[(
            "jwks.json",
            r#"{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","alg":"RSA-OAEP"}]}"#,
        )],
    );
    assert_line(
        &err,
        &format!("{cfg}:2:45: "),
        "key 0: unsupported alg RSA_OAEP",
    );

    // a too-short HS256 secret: at `hs256_secret_env`
    let (cfg, _, err) = check_env(
        "identity:\n  jwt:\n    issuer: i\n    audience: a\n    hs256_secret_env: TW_SHORT_SECRET\n",
        ADAPTER,
        &[],
        &[("TW_SHORT_SECRET", "only-16-bytes!!!")],
    );
    assert_line(
        &err,
        &format!("{cfg}:5:23: "),
        "identity.jwt.hs256_secret_env: TW_SHORT_SECRET must hold at least 32 bytes",
    );

    // an mTLS client CA that does not exist: at `client_ca`
    let (cfg, _, err) = check(
        "identity:\n  static: { agent: a }\n  mtls:\n    cert: tls/cert.pem\n    key: tls/key.pem\n    client_ca: tls/nope.pem\n",
        ADAPTER,
        &[],
    );
    assert_line(
        &err,
        &format!("{cfg}:6:16: "),
        "identity.mtls.client_ca: cannot read",
    );
}

#[test]
fn limits_errors_name_the_position_of_their_value() {
    // a rate the deserialiser cannot read: at the value
    let (cfg, _, err) = check(
        "identity:\n  static: { agent: a }\nlimits:\n  rate:\n    - per_second: 1\n    - per_hour: 10/fortnight\n",
        ADAPTER,
        &[],
    );
    assert_line(&err, &format!("{cfg}:6:17: "), "invalid type");

    // a negative spend limit after a good one: at that rule, with the value it refused
    let (cfg, _, err) = check(
        "identity:\n  static: { agent: a }\nlimits:\n  spend:\n    - { scope: run, max_usd: 5 }\n    - scope: agent_day\n      max_usd: -2.5\n",
        ADAPTER,
        &[],
    );
    assert_line(
        &err,
        &format!("{cfg}:6:7: "),
        "limits.spend[1]: max_usd must be a number ≥ 0, not -2.5",
    );

    // a burst of 0: at `burst`
    let (cfg, _, err) = check(
        "identity:\n  static: { agent: a }\nlimits:\n  rate:\n    - per_second: 5\n      burst: 0\n",
        ADAPTER,
        &[],
    );
    assert_line(
        &err,
        &format!("{cfg}:6:14: "),
        "limits.rate[0]: burst must be at least 1",
    );

    // an unknown time zone: at `time_zone`
    let (cfg, _, err) = check(
        "identity:\n  static: { agent: a }\nlimits:\n  time_zone: Mars/Olympus\n",
        ADAPTER,
        &[],
    );
    assert_line(
        &err,
        &format!("{cfg}:4:14: "),
        "limits.time_zone: `Mars/Olympus` is not an IANA time zone",
    );
}

#[test]
fn upstream_errors_name_the_position_of_their_value() {
    let config = "identity:\n  static: { agent: a }\n";
    for (upstream, col, message) in [
        (
            "ftp://pay.example",
            11,
            "upstream `ftp://pay.example` must start with http:// or https://",
        ),
        (
            "http://pay.example/v1?key=1",
            11,
            "upstream `http://pay.example/v1?key=1` must not have a query string",
        ),
        ("\"http://pay example\"", 11, "is not a URL"),
    ] {
        let adapter = format!("name: pay\nupstream: {upstream}\ntimeout: 5s\n");
        let (_, pay, err) = check(config, &adapter, &[]);
        assert_line(&err, &format!("{pay}:2:{col}: "), message);
    }
    // a CA file for the upstream that does not exist: at `tls.ca`
    let (_, pay, err) = check(
        config,
        "name: pay\nupstream: https://pay.example\ntls:\n  ca: ca/none.pem\n",
        &[],
    );
    assert_line(&err, &format!("{pay}:4:7: "), "cannot read");
}

#[test]
fn audit_queue_wait_is_a_duration_at_its_position() {
    let keys = tempfile::tempdir().expect("tmp");
    assert_eq!(toolwall::cli::audit::keygen(keys.path(), "t"), 0);
    let config = format!(
        "identity:\n  static: {{ agent: a }}\naudit:\n  dir: audit\n  key: {0}/audit.key\n  hmac_key: {0}/hmac.key\n  queue: 8\n  queue_wait: soon\n",
        keys.path().display()
    );
    let (cfg, _, err) = check(&config, ADAPTER, &[]);
    assert_line(&err, &format!("{cfg}:8:15: "), "audit.queue_wait: ");
}
