//! The Kubernetes path end to end (tests/deploy/kube_test.py): the Helm chart rendered with
//! its default values, its injector.yaml given to `toolwall inject`, the injected agent pod
//! run with `podman kube play` on the chart's sidecar ConfigMaps, and calls agent -> sidecar
//! -> tool (an allowed one reaches the tool, a denied one does not, the audit verifies).
//! What podman 4.3 does differently from a kubelet, and how the test adapts, is in the
//! script's docstring and docs/injector.md.
//!
//! A `podman_` test: nextest runs these one at a time (.config/nextest.toml). It fails, not
//! skips, when podman is missing.

use std::path::Path;
use std::process::Command;

use crate::common::python;

const BIN: &str = env!("CARGO_BIN_EXE_toolwall");

#[test]
fn podman_kube_play_injected_pod_agent_reaches_tool_only_as_policy_allows() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("tests/deploy");
    let conf = root.join("deploy/containers.conf");
    let out = Command::new(python())
        .arg(dir.join("kube_test.py"))
        .args(["--binary", BIN])
        .current_dir(&dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("TOOLWALL_BIN", BIN)
        .env(
            "CONTAINERS_CONF",
            std::env::var_os("CONTAINERS_CONF").unwrap_or_else(|| conf.into()),
        )
        .output()
        .unwrap_or_else(|e| panic!("cannot run kube_test.py with {}: {e}", python().display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "kube_test.py failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    assert!(stdout.contains("kube_test: passed"), "{stdout}");
    assert!(
        stdout.contains(
            r#"[["payments.create_refund", "allow"], ["payments.create_refund", "deny"], ["payments.get_charge", "allow"]]"#
        ),
        "{stdout}"
    );
}
