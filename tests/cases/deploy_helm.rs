//! The Helm chart (helm/toolwall): linted and rendered by Helm's own engine (the pinned
//! helm-python-sdk embeds Helm's Go library), every manifest validated against the Kubernetes
//! 1.33 schemas (custom resources structurally), the webhook, RBAC, security contexts and the
//! injector's flags checked against the deployment contract, out-of-range values refused, and
//! the sidecar config it renders accepted by `toolwall check`, and the injector.yaml it renders
//! run through the real offline injector against a sample workload (tests/deploy/helm_chart.py).

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::python;

const CASES: &[&str] = &[
    "default",
    "failurePolicy Ignore",
    "cert-manager",
    "cert-manager with a ClusterIssuer",
    "redis",
    "external redis",
    "monitoring",
    "enforce",
    "keys from values",
];

const REFUSED: &[&str] = &[
    "replicas -1",
    "failurePolicy Maybe",
    "tls mode",
    "timeoutSeconds 31",
    "admin port 70000",
    "a typo",
    "refusalRatio 2",
    "mode audit",
    "namespace name",
    "port clash",
    "pdb vs replicas",
    "both redis",
    "no keys",
];

#[test]
fn helm_chart_lints_renders_validates_and_its_sidecar_config_checks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = tempfile::tempdir().expect("tmp");
    let out = Command::new(python())
        .arg(root.join("tests/deploy/helm_chart.py"))
        .arg(root)
        .arg(work.path())
        .env("TOOLWALL_BIN", env!("CARGO_BIN_EXE_toolwall"))
        .output()
        .expect("the test Python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "helm_chart.py failed:\n{stdout}\n{stderr}"
    );
    let report: Value = serde_json::from_str(stdout.trim().lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("helm_chart.py printed no JSON ({e}):\n{stdout}\n{stderr}"));
    let names = |key: &str, field: Option<&str>| -> Vec<String> {
        report[key]
            .as_array()
            .unwrap_or_else(|| panic!("{key} missing: {report}"))
            .iter()
            .map(|v| match field {
                Some(f) => v[f].as_str().unwrap_or("").to_string(),
                None => v.as_str().unwrap_or("").to_string(),
            })
            .collect()
    };
    assert_eq!(names("cases", Some("case")), CASES, "{report}");
    assert_eq!(names("refused", None), REFUSED, "{report}");
    // every toolwall.yaml key the chart renders is one this build's `check` accepts
    let pending = names("pending_contract_keys", None);
    assert!(
        pending.is_empty(),
        "unknown to toolwall check: {pending:?}\n{report}"
    );
    // the injected pod gives the sidecar everything the chart's config needs to start
    let gaps = names("injector_gaps", None);
    assert!(gaps.is_empty(), "injector gaps: {gaps:?}\n{report}");
}
