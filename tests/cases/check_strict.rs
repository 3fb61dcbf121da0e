//! `toolwall check --strict` as a user runs it: the repository's example config passes, and
//! each mistake planted in a copy of it compiles (plain `check` exits 0) but is reported by
//! `--strict` at its file:line:col with exit 1.

use std::path::{Path, PathBuf};

use crate::common::toolwall;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(rel)).expect("read example file")
}

/// The example config (examples/toolwall.yaml with its adapters and policy) copied into a temp
/// dir, with `policy` as policies/toolwall.rego. Returns the dir and the config path.
fn example_copy(policy: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tmp");
    let config = read("examples/toolwall.yaml")
        .replace("policies: ../policies", "policies: policies")
        .replace("adapters: ../adapters", "adapters: adapters");
    assert!(config.contains("policies: policies\n") && config.contains("adapters: adapters\n"));
    let files = [
        ("toolwall.yaml", config),
        ("adapters/payments.yaml", read("adapters/payments.yaml")),
        (
            "adapters/schemas/payments.create_refund.json",
            read("adapters/schemas/payments.create_refund.json"),
        ),
        ("policies/toolwall.rego", policy.to_string()),
    ];
    for (rel, text) in files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    let cfg = dir.path().join("toolwall.yaml");
    (dir, cfg)
}

/// 1-based line and character column of the first `needle` in `text` at or after `after`.
fn position_of(text: &str, after: &str, needle: &str) -> (usize, usize) {
    let base = text.find(after).expect("anchor in the policy");
    let at = base + text[base..].find(needle).expect("needle after its anchor");
    let line = text[..at].matches('\n').count() + 1;
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    (line, text[line_start..at].chars().count() + 1)
}

/// The lines of `--strict` output that are findings (`… [lint-name]`).
fn findings(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.ends_with(']') && (l.contains(": error: ") || l.contains(": warning: ")))
        .collect()
}

#[test]
fn the_example_config_passes_strict() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/toolwall.yaml");
    let (code, out, err) = toolwall(&["check", "--strict", "-c", example]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("ok — 1 adapter(s), 2 tool(s), 1 policy file(s)")
            && out.contains("strict checks passed"),
        "{out}"
    );
    assert!(findings(&err).is_empty(), "{err}");
    // and so does its copy (the harness below starts from it)
    let (_dir, cfg) = example_copy(&read("policies/toolwall.rego"));
    let (code, out, err) = toolwall(&["check", "--strict", "-c", cfg.to_str().expect("utf8")]);
    assert_eq!(code, 0, "{out}{err}");
    // the MCP example too: its server's tools are known at run time, so `input.args` there
    // is not judged, but the rest of the lints run
    let mcp = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/mcp/toolwall.yaml");
    let (code, out, err) = toolwall(&["check", "--strict", "-c", mcp]);
    assert_eq!(code, 0, "{out}{err}");
}

/// One mistake: how to plant it in the example policy, and what `--strict` must say where.
struct Mistake {
    /// Replace `from` with `to` (`from` must occur once).
    from: &'static str,
    to: &'static str,
    lint: &'static str,
    severity: &'static str,
    /// Where the finding points: the first `needle` at or after `anchor` in the new policy.
    anchor: &'static str,
    needle: &'static str,
    /// Words the message must carry.
    says: &'static [&'static str],
}

const MISTAKES: &[Mistake] = &[
    // agentgateway #3092's class: a rule on an argument no tool has never matches
    Mistake {
        from: "input.args.amount > refund_threshold_cents",
        to: "input.args.amout > refund_threshold_cents",
        lint: "args-field-unknown",
        severity: "error",
        anchor: "input.args.amout",
        needle: "amout",
        says: &[
            "`input.args.amout` can never be defined",
            "payments.create_refund (the tool this rule is for)",
        ],
    },
    // the field exists, but not on the tool the rule is about
    Mistake {
        from: "input.tool.name == \"payments.create_refund\"",
        to: "input.tool.name == \"payments.get_charge\"",
        lint: "args-field-unknown",
        severity: "error",
        anchor: "input.args.amount",
        needle: "amount",
        says: &["the schema of payments.get_charge (the tool this rule is for) does not allow `amount`"],
    },
    // a top-level input key that does not exist
    Mistake {
        from: "input.args.tenant != input.principal.tenant",
        to: "input.args.tenant != input.principle.tenant",
        lint: "rule-never-defined",
        severity: "error",
        anchor: "input.principle",
        needle: "principle",
        says: &["`input.principle` is never defined", "principal, request, tool"],
    },
    // a reference to a rule nobody defines
    Mistake {
        from: "count(deny_reasons) == 0",
        to: "count(data.toolwall.deny_reason) == 0",
        lint: "rule-never-defined",
        severity: "error",
        anchor: "data.toolwall.deny_reason",
        needle: "deny_reason",
        says: &["`data.toolwall.deny_reason` is never defined"],
    },
    // a condition on constants
    Mistake {
        from: "deny_reasons contains \"ssn_not_allowed\" if \"us_ssn\" in input.pii.found",
        to: "deny_reasons contains \"ssn_not_allowed\" if {\n\t\"us_ssn\" in input.pii.found\n\t\"prod\" == \"staging\"\n}",
        lint: "rule-never-defined",
        severity: "error",
        anchor: "\"prod\" == ",
        needle: "\"prod\"",
        says: &["`\"prod\" == \"staging\"` is always false"],
    },
    Mistake {
        from: "{\"allow\": true, \"reasons\": [], \"tier\": tier",
        to: "{\"allow\": true, \"tier\": tier",
        lint: "decision-without-reasons",
        severity: "warning",
        anchor: "decision := {\"allow\": true",
        needle: "{",
        says: &["this `decision` has no `reasons`"],
    },
    Mistake {
        from: "tier := \"high\"",
        to: "big_refund if input.args.amount > 1000000\n\ntier := \"high\"",
        lint: "unused-rule",
        severity: "warning",
        anchor: "big_refund",
        needle: "big_refund",
        says: &["rule `big_refund` is never used"],
    },
    Mistake {
        from: "default decision := {\"allow\": false",
        to: "default decision := {\"allow\": true",
        lint: "default-allows",
        severity: "error",
        anchor: "default decision",
        needle: "true",
        says: &["`default decision` allows", "fail open"],
    },
];

#[test]
fn each_planted_mistake_compiles_but_strict_reports_it_where_it_is() {
    let example = read("policies/toolwall.rego");
    for m in MISTAKES {
        assert_eq!(example.matches(m.from).count(), 1, "{}", m.from);
        let policy = example.replace(m.from, m.to);
        let (dir, cfg) = example_copy(&policy);
        let cfg = cfg.to_str().expect("utf8");

        let (code, out, err) = toolwall(&["check", "-c", cfg]);
        assert_eq!(
            code, 0,
            "plain check accepts the {} mistake: {out}{err}",
            m.lint
        );
        assert!(out.contains(": ok — "), "{out}");

        let (code, out, err) = toolwall(&["check", "--strict", "-c", cfg]);
        assert_eq!(code, 1, "{}: {out}{err}", m.lint);
        assert!(!out.contains(": ok — "), "{out}");
        let lines = findings(&err);
        assert_eq!(
            lines.len(),
            1,
            "{}: exactly the planted finding:\n{err}",
            m.lint
        );
        let (line, col) = position_of(&policy, m.anchor, m.needle);
        let file = dir.path().join("policies/toolwall.rego");
        let want = format!("{}:{line}:{col}: {}: ", file.display(), m.severity);
        assert!(
            lines[0].starts_with(&want),
            "want {want}…\ngot  {}",
            lines[0]
        );
        assert!(lines[0].ends_with(&format!("[{}]", m.lint)), "{}", lines[0]);
        for s in m.says {
            assert!(
                lines[0].contains(s),
                "{}: missing {s:?} in {}",
                m.lint,
                lines[0]
            );
        }
        let (errors, warnings) = if m.severity == "error" {
            (1, 0)
        } else {
            (0, 1)
        };
        assert!(
            err.contains(&format!(
                "{cfg}: compiles, but --strict found 1 problem(s): {errors} error(s), {warnings} warning(s)"
            )),
            "{err}"
        );
    }
}

#[test]
fn strict_lists_every_finding_in_file_order() {
    let mut policy = read("policies/toolwall.rego");
    for m in MISTAKES
        .iter()
        .filter(|m| ["default-allows", "unused-rule", "args-field-unknown"].contains(&m.lint))
        .filter(|m| m.from != "input.tool.name == \"payments.create_refund\"")
    {
        policy = policy.replace(m.from, m.to);
    }
    let (dir, cfg) = example_copy(&policy);
    let (code, _out, err) = toolwall(&["check", "--strict", "-c", cfg.to_str().expect("utf8")]);
    assert_eq!(code, 1, "{err}");
    let lines = findings(&err);
    let lints: Vec<&str> = lines.iter().filter_map(|l| l.rsplit('[').next()).collect();
    assert_eq!(
        lints,
        ["default-allows]", "args-field-unknown]", "unused-rule]"],
        "{err}"
    );
    let file = dir
        .path()
        .join("policies/toolwall.rego")
        .display()
        .to_string();
    assert!(lines.iter().all(|l| l.starts_with(&file)), "{err}");
    assert!(
        err.contains("found 3 problem(s): 2 error(s), 1 warning(s)"),
        "{err}"
    );
}

/// The RVM's undefined-assignment trap, shown on a real decision: the proxy's engine allows
/// what the policy's tests deny. Plain `check` warns, `--strict` fails, `policy eval --explain`
/// says the two engines disagree.
#[test]
fn the_rvm_undefined_assignment_trap_is_warned_failed_and_explained() {
    let trap = "package toolwall\nimport rego.v1\n\n\
                default decision := {\"allow\": false, \"reasons\": [\"default\"]}\n\n\
                decision := {\"allow\": true, \"reasons\": []} if {\n\
                \tv := input.request.headers[\"stripe-account\"]\n\
                \tnot v == \"acct_other\"\n\
                }\n";
    let (dir, cfg) = example_copy(trap);
    let cfg_s = cfg.to_str().expect("utf8");
    let (code, out, err) = toolwall(&["check", "-c", cfg_s]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains(
            "policies/toolwall.rego:7:2: `v := input.request.headers[\"stripe-account\"]`"
        ) && err.contains("[rvm-undefined-assignment]"),
        "{err}"
    );
    let (code, out, err) = toolwall(&["check", "--strict", "-c", cfg_s]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("toolwall.rego:7:2: error:") && err.contains("[rvm-undefined-assignment]"),
        "{err}"
    );
    assert!(
        !err.contains("warning: "),
        "reported once, as the error: {err}"
    );
    // the difference is real: without the header the proxy's RVM allows, the interpreter not
    let input = dir.path().join("call.json");
    std::fs::write(&input, r#"{"v":1,"request":{"headers":{}}}"#).expect("write");
    let policies = dir.path().join("policies");
    let (code, out, err) = toolwall(&[
        "policy",
        "eval",
        "-i",
        input.to_str().expect("utf8"),
        "--policies",
        policies.to_str().expect("utf8"),
        "--explain",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("decision: allow"),
        "the RVM still allows: {out}"
    );
    assert!(
        err.contains("warning: the policy interpreter decides"),
        "{err}"
    );
}
