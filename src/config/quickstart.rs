//! The embedded quickstart: the example config, adapters and policies compiled into the binary
//! and written to a temporary directory when `toolwall run` finds no config file.

use std::path::{Path, PathBuf};

const FILES: &[(&str, &str)] = &[
    (
        "toolwall.yaml",
        include_str!("../../examples/toolwall.yaml"),
    ),
    (
        "policies/toolwall.rego",
        include_str!("../../policies/toolwall.rego"),
    ),
    (
        "policies/toolwall_test.rego",
        include_str!("../../policies/toolwall_test.rego"),
    ),
    (
        "adapters/payments.yaml",
        include_str!("../../adapters/payments.yaml"),
    ),
    (
        "adapters/schemas/payments.create_refund.json",
        include_str!("../../adapters/schemas/payments.create_refund.json"),
    ),
];

/// Write the quickstart files under `dir` and return the config path.
pub fn materialize(dir: &Path) -> std::io::Result<PathBuf> {
    for (rel, text) in FILES {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let text = if *rel == "toolwall.yaml" {
            text.replace("../policies", "policies")
                .replace("../adapters", "adapters")
        } else {
            text.to_string()
        };
        std::fs::write(&path, text)?;
    }
    // The quickstart records every call: keys minted here, the stream in ./audit.
    let keys = dir.join("keys");
    if !keys.join("audit.key").exists() {
        crate::cli::audit::generate_keys(&keys, "toolwall-quickstart")
            .map_err(std::io::Error::other)?;
    }
    let cfg = dir.join("toolwall.yaml");
    let mut text = std::fs::read_to_string(&cfg)?;
    text.push_str("audit: { dir: audit, key: keys/audit.key }\n");
    std::fs::write(&cfg, text)?;
    Ok(cfg)
}

/// The default place for the quickstart files: a per-process directory under the temp dir.
pub fn default_dir() -> PathBuf {
    std::env::temp_dir().join(format!("toolwall-quickstart-{}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quickstart_compiles() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = materialize(dir.path()).expect("write");
        let loaded = crate::config::load_snapshot(&cfg, true).expect("quickstart compiles");
        assert_eq!(loaded.snapshot.adapters.len(), 1);
        assert!(loaded.demo_upstream.is_some());
        assert!(loaded.audit.is_some());
    }
}
