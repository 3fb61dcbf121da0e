//! The embedded quickstart: the example config, adapters and policies compiled into the binary
//! and written to a directory (`default_dir()`, or `toolwall run --dir`) when `toolwall run`
//! finds no config file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Addresses the quickstart listens on instead of its defaults (`toolwall run --listen/--admin/
/// --demo`): written into the materialized config (and the demo adapter's upstream), so the
/// directory stays self-consistent and the CLI clients find the admin address in it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ports {
    pub listen: Option<SocketAddr>,
    pub admin: Option<SocketAddr>,
    pub demo: Option<SocketAddr>,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_ADMIN: &str = "127.0.0.1:9901";
pub const DEFAULT_DEMO: &str = "127.0.0.1:8081";

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

/// Create `dir` and take its lock (`.lock`, held until the file is dropped): one quickstart
/// per directory, so a second start cannot rewrite the ports in the config of a running one.
pub fn lock(dir: &Path) -> Result<std::fs::File, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(".lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => Err(format!(
            "another toolwall quickstart is running in {}: stop it, or give this one --dir",
            dir.display()
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(format!("cannot lock {}: {e}", path.display())),
    }
}

/// Write the quickstart files under `dir` and return the config path. Config, policies and
/// adapters are rewritten on every start; keys, the audit stream, the state and the admin
/// token are kept.
pub fn materialize(dir: &Path, ports: Ports) -> std::io::Result<PathBuf> {
    let demo = ports
        .demo
        .map(|a| a.to_string())
        .unwrap_or_else(|| DEFAULT_DEMO.to_string());
    for (rel, text) in FILES {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let text = if *rel == "toolwall.yaml" {
            let mut t = text
                .replace("../policies", "policies")
                .replace("../adapters", "adapters");
            for (key, default, over) in [
                ("listen", DEFAULT_LISTEN, ports.listen),
                ("admin", DEFAULT_ADMIN, ports.admin),
            ] {
                if let Some(a) = over {
                    t = t.replace(&format!("\n{key}: {default}\n"), &format!("\n{key}: {a}\n"));
                }
            }
            t.replace(
                &format!("\ndemo_upstream: {DEFAULT_DEMO}\n"),
                &format!("\ndemo_upstream: {demo}\n"),
            )
        } else if rel.starts_with("adapters/") {
            text.replace(&format!("http://{DEFAULT_DEMO}"), &format!("http://{demo}"))
        } else {
            text.to_string()
        };
        std::fs::write(&path, text)?;
    }
    // The quickstart records every call: keys minted here, the stream in ./audit.
    let keys = dir.join("keys");
    if !keys.join("audit.key").exists() {
        crate::audit::generate_keys(&keys, "toolwall-quickstart").map_err(std::io::Error::other)?;
    }
    let cfg = dir.join("toolwall.yaml");
    let mut text = std::fs::read_to_string(&cfg)?;
    text.push_str("audit: { dir: audit, key: keys/audit.key }\n");
    std::fs::write(&cfg, text)?;
    Ok(cfg)
}

/// The default place for the quickstart files, the same on every start (so `toolwall kill`,
/// `audit verify` and the README find it): `$XDG_STATE_HOME/toolwall/quickstart`, else
/// `~/.local/state/toolwall/quickstart`, else `toolwall-quickstart-<uid>` under the temp dir.
pub fn default_dir() -> PathBuf {
    let nonempty = |v: &str| {
        std::env::var_os(v)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
    };
    if let Some(x) = nonempty("XDG_STATE_HOME").filter(|p| p.is_absolute()) {
        return x.join("toolwall/quickstart");
    }
    if let Some(h) = nonempty("HOME").filter(|p| p.is_absolute()) {
        return h.join(".local/state/toolwall/quickstart");
    }
    // the uid without libc: the owner of this process's /proc entry
    let uid = std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
        .unwrap_or(0);
    std::env::temp_dir().join(format!("toolwall-quickstart-{uid}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quickstart_compiles() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = materialize(dir.path(), Ports::default()).expect("write");
        let loaded = crate::config::load_snapshot(&cfg, true).expect("quickstart compiles");
        assert_eq!(loaded.snapshot.adapters.len(), 1);
        assert!(loaded.demo_upstream.is_some());
        assert!(loaded.audit.is_some());
    }

    #[test]
    fn quickstart_ports_can_be_moved() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = |s: &str| s.parse::<SocketAddr>().expect("addr");
        let ports = Ports {
            listen: Some(a("127.0.0.1:18080")),
            admin: Some(a("127.0.0.1:19901")),
            demo: Some(a("127.0.0.1:18081")),
        };
        let cfg = materialize(dir.path(), ports).expect("write");
        let loaded = crate::config::load_snapshot(&cfg, true).expect("quickstart compiles");
        assert_eq!(loaded.listen, a("127.0.0.1:18080"));
        assert_eq!(loaded.admin, a("127.0.0.1:19901"));
        assert_eq!(loaded.demo_upstream, Some(a("127.0.0.1:18081")));
        assert_eq!(
            loaded.snapshot.adapters[0].upstream.authority,
            "127.0.0.1:18081"
        );
    }
}
