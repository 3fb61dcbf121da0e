use std::collections::HashMap;

use super::*;
use crate::config::raw::RawApprovals;

const EXAMPLE: &str = "ttl: 24h
hold: 0s
approvers:
  - { name: alice, token_env: TW_APPROVER_ALICE }
  - { name: bob,   token_env: TW_APPROVER_BOB }
tiers: { high: { quorum: 2 }, default: { quorum: 1 } }
notify: { webhook: http://127.0.0.1:9000/hook, secret_env: TW_WEBHOOK_SECRET }
";

fn env_of(vars: &[(&str, &str)]) -> HashMap<String, String> {
    vars.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const ENV: &[(&str, &str)] = &[
    ("TW_APPROVER_ALICE", "alice-token-7f3a9c"),
    ("TW_APPROVER_BOB", "bob-token-2e81d4"),
    ("TW_WEBHOOK_SECRET", "whsec_0123456789"),
];

/// Compile `yaml` (the body of `approvals:`) with `vars` as the environment.
fn compile(
    yaml: &str,
    vars: &[(&str, &str)],
    strict: bool,
) -> (Result<ApprovalsSpec, Vec<AtPath>>, Vec<AtPath>) {
    let raw: RawApprovals = yaml_serde::from_str(yaml).expect("yaml");
    let env = env_of(vars);
    let lookup = |k: &str| env.get(k).cloned();
    let mut warnings = Vec::new();
    let r = ApprovalsSpec::compile(&raw, &lookup, strict, &mut warnings);
    (r, warnings)
}

fn ok(yaml: &str) -> ApprovalsSpec {
    match compile(yaml, ENV, true) {
        (Ok(s), w) if w.is_empty() => s,
        (r, w) => panic!("{yaml}: {:?} / warnings {w:?}", r.err()),
    }
}

/// The one error of `yaml` (strict), as `(path, message)`.
fn error(yaml: &str, vars: &[(&str, &str)]) -> (String, String) {
    match compile(yaml, vars, true).0 {
        Ok(_) => panic!("{yaml}: compiled"),
        Err(e) if e.len() == 1 => (e[0].path.clone(), e[0].to_string()),
        Err(e) => panic!("{yaml}: several errors: {e:?}"),
    }
}

#[test]
fn the_example_compiles() {
    let s = ok(EXAMPLE);
    assert_eq!(s.ttl, Duration::from_secs(86400));
    assert_eq!(s.hold, Duration::ZERO);
    let names: Vec<&str> = s.approvers.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["alice", "bob"]);
    assert_eq!(
        s.tiers,
        BTreeMap::from([
            ("default".to_string(), Tier { quorum: 1 }),
            ("high".to_string(), Tier { quorum: 2 }),
        ])
    );
    let n = s.notify.as_ref().expect("notify");
    assert_eq!(n.url.to_string(), "http://127.0.0.1:9000/hook");
    assert_eq!(n.secret, b"whsec_0123456789");
    assert_eq!(s.tier(None), Some(("default", Tier { quorum: 1 })));
    assert_eq!(s.tier(Some("high")), Some(("high", Tier { quorum: 2 })));
    assert_eq!(s.tier(Some("HIGH")), None);
    assert_eq!(s.tier(Some("critical")), None);
}

#[test]
fn defaults_without_the_section_and_for_omitted_keys() {
    let d = ApprovalsSpec::default();
    assert_eq!(d.ttl, Duration::from_secs(24 * 3600));
    assert_eq!(d.hold, Duration::ZERO);
    assert!(d.approvers.is_empty());
    assert_eq!(
        d.tiers,
        BTreeMap::from([("default".to_string(), Tier { quorum: 1 })])
    );
    assert!(d.notify.is_none());
    assert!(d.approver_for_token("anything").is_none());

    let s = ok("approvers: [{ name: alice, token_env: TW_APPROVER_ALICE }]\n");
    assert_eq!((s.ttl, s.hold), (DEFAULT_TTL, Duration::ZERO));
    assert_eq!(s.tiers, d.tiers);
    assert!(s.notify.is_none());

    let s = ok("ttl: 90m\nhold: 30s\napprovers: [{ name: alice, token_env: TW_APPROVER_ALICE }]\n");
    assert_eq!(s.ttl, Duration::from_secs(5400));
    assert_eq!(s.hold, Duration::from_secs(30));
}

#[test]
fn approver_for_token_names_exactly_one_approver() {
    let s = ok(EXAMPLE);
    let name = |t: &str| s.approver_for_token(t).map(|a| a.name.as_str());
    assert_eq!(name("alice-token-7f3a9c"), Some("alice"));
    assert_eq!(name("bob-token-2e81d4"), Some("bob"));
    for wrong in [
        "",
        "alice-token-7f3a9",
        "alice-token-7f3a9c0",
        "ALICE-TOKEN-7F3A9C",
        " alice-token-7f3a9c",
        "whsec_0123456789",
        "TW_APPROVER_ALICE",
    ] {
        assert_eq!(name(wrong), None, "{wrong:?}");
    }
    // a token read with surrounding whitespace (a file with a trailing newline) is trimmed
    let (r, _) = compile(
        "approvers: [{ name: carol, token_env: T }]\n",
        &[("T", "  carol-token\n")],
        true,
    );
    let s = r.expect("compiles");
    assert_eq!(
        s.approver_for_token("carol-token").map(|a| a.name.as_str()),
        Some("carol")
    );
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let s = ok(&EXAMPLE.replace("/hook", "/services/T0/B0/slack-path-secret?k=query-secret"));
    let dbg = format!("{s:?} {:#?}", s);
    for secret in [
        "alice-token-7f3a9c",
        "bob-token-2e81d4",
        "whsec_0123456789",
        "slack-path-secret",
        "query-secret",
    ] {
        assert!(!dbg.contains(secret), "{secret} in {dbg}");
    }
    // nor their digests' bytes in any recognisable form
    let digest = hex::encode(Sha256::digest(b"alice-token-7f3a9c"));
    assert!(!dbg.contains(&digest), "{dbg}");
    assert!(dbg.contains("alice") && dbg.contains("<redacted>"), "{dbg}");
    assert!(dbg.contains("http://127.0.0.1:9000/…"), "{dbg}");
}

#[test]
fn each_error_is_at_its_value() {
    const A: &str = "approvers: [{ name: alice, token_env: TW_APPROVER_ALICE }, { name: bob, token_env: TW_APPROVER_BOB }]\n";
    let cases: &[(String, &str, &str)] = &[
        (
            format!("ttl: soon\n{A}"),
            "approvals.ttl",
            "approvals.ttl: expected number at 0",
        ),
        (
            format!("ttl: 0s\n{A}"),
            "approvals.ttl",
            "approvals.ttl must be longer than 0s",
        ),
        (
            format!("hold: 5 fortnights\n{A}"),
            "approvals.hold",
            "approvals.hold: unknown time unit \"fortnights\"",
        ),
        (
            format!("ttl: 1h\nhold: 2h\n{A}"),
            "approvals.hold",
            "approvals.hold (2h) is longer than approvals.ttl (1h)",
        ),
        (
            "hold: 25h\napprovers: [{ name: a, token_env: TW_APPROVER_ALICE }]\n".into(),
            "approvals.hold",
            "approvals.hold (1day 1h) is longer than approvals.ttl (1day)",
        ),
        (
            "ttl: 1h\n".into(),
            "approvals",
            "approvals.approvers: list at least one approver",
        ),
        (
            "approvers: [{ name: \"\", token_env: TW_APPROVER_ALICE }]\n".into(),
            "approvals.approvers[0].name",
            "approvals.approvers[0].name must be non-empty",
        ),
        (
            "approvers: [{ name: \"a\\nb\", token_env: TW_APPROVER_ALICE }]\n".into(),
            "approvals.approvers[0].name",
            "without control characters",
        ),
        (
            "approvers: [{ name: alice, token_env: TW_APPROVER_ALICE }, { name: alice, token_env: TW_APPROVER_BOB }]\n".into(),
            "approvals.approvers[1].name",
            "approvals.approvers[1]: the name `alice` is used by another approver",
        ),
        (
            "approvers: [{ name: alice, token_env: TW_APPROVER_ALICE }, { name: bob, token_env: TW_APPROVER_ALICE }]\n".into(),
            "approvals.approvers[1].token_env",
            "approver `bob` has the same token as `alice` (TW_APPROVER_ALICE)",
        ),
        (
            "approvers: [{ name: alice, token_env: TW_APPROVER_ALICE }, { name: bob, token_env: TW_SAME_AS_ALICE }]\n".into(),
            "approvals.approvers[1].token_env",
            "approver `bob` has the same token as `alice` (TW_SAME_AS_ALICE)",
        ),
        (
            "approvers: [{ name: alice, token_env: TW_APPROVER_ALICE }, { name: bob, token_env: TW_UNSET }]\n".into(),
            "approvals.approvers[1].token_env",
            "approvals.approvers[1].token_env: environment variable TW_UNSET (approver `bob`) is not set or empty",
        ),
        (
            "approvers: [{ name: alice, token_env: TW_EMPTY }]\n".into(),
            "approvals.approvers[0].token_env",
            "environment variable TW_EMPTY (approver `alice`) is not set or empty",
        ),
        (
            format!("{A}tiers: {{ default: {{ quorum: 0 }} }}\n"),
            "approvals.tiers.default.quorum",
            "approvals.tiers.default.quorum must be at least 1",
        ),
        (
            format!("{A}tiers: {{ default: {{ quorum: 1 }}, high: {{ quorum: 3 }} }}\n"),
            "approvals.tiers.high.quorum",
            "approvals.tiers.high.quorum: 3 approvers needed but only 2 configured",
        ),
        (
            format!("{A}tiers: {{ high: {{ quorum: 2 }} }}\n"),
            "approvals.tiers",
            "approvals.tiers: a `default` tier is required",
        ),
        (
            format!("{A}tiers: {{ default: {{ quorum: 1 }}, \"\": {{ quorum: 1 }} }}\n"),
            "approvals.tiers",
            "approvals.tiers: a tier name must be non-empty",
        ),
        (
            format!("{A}notify: {{ webhook: ftp://127.0.0.1/hook, secret_env: TW_WEBHOOK_SECRET }}\n"),
            "approvals.notify.webhook",
            "approvals.notify.webhook: `ftp://127.0.0.1/hook` must start with http:// or https://",
        ),
        (
            format!("{A}notify: {{ webhook: /hook, secret_env: TW_WEBHOOK_SECRET }}\n"),
            "approvals.notify.webhook",
            "approvals.notify.webhook: `/hook` must start with http:// or https://",
        ),
        (
            format!("{A}notify: {{ webhook: \"https://user:pw@hooks.example/x\", secret_env: TW_WEBHOOK_SECRET }}\n"),
            "approvals.notify.webhook",
            "approvals.notify.webhook: the URL must not carry user:password@",
        ),
        (
            format!("{A}notify: {{ webhook: \"http:///x\", secret_env: TW_WEBHOOK_SECRET }}\n"),
            "approvals.notify.webhook",
            "approvals.notify.webhook: `http:///x`",
        ),
        (
            format!("{A}notify: {{ webhook: \"http://a b/\", secret_env: TW_WEBHOOK_SECRET }}\n"),
            "approvals.notify.webhook",
            "approvals.notify.webhook: `http://a b/` is not a URL",
        ),
        (
            format!("{A}notify: {{ webhook: http://127.0.0.1:9000/hook, secret_env: TW_UNSET }}\n"),
            "approvals.notify.secret_env",
            "approvals.notify.secret_env: environment variable TW_UNSET is not set or empty",
        ),
        (
            format!("{A}notify: {{ webhook: http://127.0.0.1:9000/hook, secret_env: TW_EMPTY }}\n"),
            "approvals.notify.secret_env",
            "environment variable TW_EMPTY is not set or empty",
        ),
    ];
    let mut cases = cases.to_vec();
    for bad in [
        "ftp://admin.example",
        "/admin",
        "admin.example",
        "http:///x",
        "https://u:p@admin.example",
        "https://admin.example/?x=1",
        "https://admin.example/#ui",
        "https://a b/",
    ] {
        cases.push((
            format!("{A}notify: {{ webhook: http://127.0.0.1:9000/hook, secret_env: TW_WEBHOOK_SECRET, admin_url: \"{bad}\" }}\n"),
            "approvals.notify.admin_url",
            "must be an http:// or https:// URL with a host",
        ));
    }
    let mut vars = ENV.to_vec();
    vars.push(("TW_SAME_AS_ALICE", "alice-token-7f3a9c"));
    vars.push(("TW_EMPTY", " \n"));
    for (yaml, path, message) in &cases {
        let (p, m) = error(yaml, &vars);
        assert_eq!(&p, path, "{yaml}: {m}");
        assert!(m.contains(message), "{yaml}: `{m}` lacks `{message}`");
        // the secret values never appear in a message
        assert!(!m.contains("alice-token-7f3a9c"), "{m}");
    }
}

#[test]
fn an_unset_variable_is_a_warning_for_check_and_an_error_for_run() {
    let yaml = "approvers:\n  - { name: alice, token_env: TW_APPROVER_ALICE }\n  - { name: bob, token_env: TW_UNSET_B }\ntiers: { default: { quorum: 2 } }\nnotify: { webhook: https://hooks.example/x, secret_env: TW_UNSET_S }\n";
    // check: both are warnings; bob and the webhook are left out, the quorum still counts the
    // configured approvers
    let (r, warnings) = compile(yaml, ENV, false);
    let s = r.expect("compiles without strict env");
    let paths: Vec<&str> = warnings.iter().map(|w| w.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "approvals.approvers[1].token_env",
            "approvals.notify.secret_env"
        ]
    );
    assert_eq!(s.approvers.len(), 1);
    assert!(s.approver_for_token("bob-token-2e81d4").is_none());
    assert!(s.notify.is_none());
    // run: both are errors
    let (r, warnings) = compile(yaml, ENV, true);
    let paths: Vec<String> = r.expect_err("strict").into_iter().map(|e| e.path).collect();
    assert_eq!(
        paths,
        [
            "approvals.approvers[1].token_env",
            "approvals.notify.secret_env"
        ]
    );
    assert!(warnings.is_empty());
}

#[test]
fn several_errors_are_all_reported() {
    let yaml = "ttl: 0s\napprovers: [{ name: alice, token_env: TW_APPROVER_ALICE }, { name: alice, token_env: TW_APPROVER_BOB }]\ntiers: { high: { quorum: 0 } }\nnotify: { webhook: mailto:x@example.com, secret_env: TW_WEBHOOK_SECRET }\n";
    let errors = compile(yaml, ENV, true).0.expect_err("bad");
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "approvals.ttl",
            "approvals.approvers[1].name",
            "approvals.tiers.high.quorum",
            "approvals.tiers",
            "approvals.notify.webhook"
        ]
    );
}

#[test]
fn the_approval_page_url_is_an_http_url_kept_without_its_trailing_slash() {
    const A: &str = "approvers: [{ name: alice, token_env: TW_APPROVER_ALICE }]\n";
    assert_eq!(ok(A).ui_url, None);
    let s = ok(&format!("{A}ui_url: https://tw-admin.internal/base/ui/\n"));
    assert_eq!(
        s.ui_url.as_deref(),
        Some("https://tw-admin.internal/base/ui")
    );
    for bad in [
        "ftp://tw/ui",
        "/ui",
        "https://user:pw@tw/ui",
        "https://tw/ui?x=1",
        "https://tw/ui#frag",
        "https:///ui",
    ] {
        let (path, msg) = error(&format!("{A}ui_url: \"{bad}\"\n"), ENV);
        assert_eq!(path, "approvals.ui_url", "{bad}");
        assert!(msg.contains(bad), "{msg}");
    }
    // without `ui_url`, the page under `notify.admin_url`; `ui_url` first
    assert_eq!(ok(A).approval_page(), None);
    let notify = "notify: { webhook: https://hooks.example/x, secret_env: TW_WEBHOOK_SECRET, admin_url: https://tw:9443/ }\n";
    let s = ok(&format!("{A}{notify}"));
    assert_eq!(s.approval_page().as_deref(), Some("https://tw:9443/ui"));
    let s = ok(&format!("{A}{notify}ui_url: https://page.example/ui\n"));
    assert_eq!(
        s.approval_page().as_deref(),
        Some("https://page.example/ui")
    );
}

#[test]
fn admin_url_is_optional_and_loses_its_trailing_slash() {
    let base = "approvers: [{ name: alice, token_env: TW_APPROVER_ALICE }]\n";
    let n = |extra: &str| {
        ok(&format!(
            "{base}notify: {{ webhook: https://hooks.example/x, secret_env: TW_WEBHOOK_SECRET{extra} }}\n"
        ))
        .notify
        .expect("notify")
        .admin_url
    };
    assert_eq!(n(""), None);
    assert_eq!(
        n(", admin_url: https://tw-admin.example:9443/").as_deref(),
        Some("https://tw-admin.example:9443")
    );
    assert_eq!(
        n(", admin_url: http://proxy.internal/toolwall").as_deref(),
        Some("http://proxy.internal/toolwall")
    );
}
