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
