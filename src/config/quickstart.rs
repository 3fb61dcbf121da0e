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

/// Where the quickstart's policies and adapters are served from: a directory of the user's
/// (served in place, so an edit applies on save), or copies under the quickstart directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    pub policies: Option<PathBuf>,
    pub adapters: Option<PathBuf>,
}

impl Sources {
    /// `cwd`'s `policies/` (with a `*.rego`) and `adapters/` (with a `*.yaml`) when it has
    /// them — the repository, or a policy project of the user's. Adapters are served in place
    /// only while the demo API keeps its default address: the example adapter names it, and a
    /// moved demo API needs a copy that names the new one.
    pub fn in_dir(cwd: &Path, ports: &Ports) -> Sources {
        let holds = |dir: &Path, ext: &str| {
            std::fs::read_dir(dir).is_ok_and(|entries| {
                entries.flatten().any(|e| {
                    let name = e.file_name();
                    let name = name.to_string_lossy();
                    name.ends_with(ext) && !name.starts_with('.')
                })
            })
        };
        let policies = cwd.join("policies");
        let adapters = cwd.join("adapters");
        Sources {
            policies: holds(&policies, ".rego").then_some(policies),
            adapters: (ports.demo.is_none() && holds(&adapters, ".yaml")).then_some(adapters),
        }
    }
}

/// Write the quickstart files under `dir` and return the config path. The config and the
/// copied adapters are rewritten on every start (they carry the ports), the copied policies
/// only when absent (an edit to them survives a restart); keys, the audit stream, the state
/// and the admin token are kept. Policies and adapters that `sources` names are served in
/// place and not copied. The config reloads on its own when a file it was read from changes.
pub fn materialize(dir: &Path, ports: Ports, sources: &Sources) -> std::io::Result<PathBuf> {
    let demo = ports
        .demo
        .map(|a| a.to_string())
        .unwrap_or_else(|| DEFAULT_DEMO.to_string());
    // a path as YAML: a JSON string is a YAML scalar whatever characters the path holds
    let yaml_path = |p: &Path| serde_json::to_string(&p.display().to_string()).unwrap_or_default();
    for (rel, text) in FILES {
        let path = dir.join(rel);
        if (rel.starts_with("policies/") && sources.policies.is_some())
            || (rel.starts_with("adapters/") && sources.adapters.is_some())
        {
            continue;
        }
        if rel.starts_with("policies/") && path.exists() {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let text = if *rel == "toolwall.yaml" {
            let policies = sources
                .policies
                .as_deref()
                .map(yaml_path)
                .unwrap_or_else(|| "policies".into());
            let adapters = sources
                .adapters
                .as_deref()
                .map(yaml_path)
                .unwrap_or_else(|| "adapters".into());
            let mut t = text
                .replace(
                    "\npolicies: ../policies\n",
                    &format!("\npolicies: {policies}\n"),
                )
                .replace(
                    "\nadapters: ../adapters\n",
                    &format!("\nadapters: {adapters}\n"),
                );
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
    // edit a policy or an adapter, save, and it applies (a broken edit keeps the last good
    // config serving: docs/config.md, reload)
    text.push_str("reload: { watch: true, interval: 1s }\n");
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
        let cfg = materialize(dir.path(), Ports::default(), &Sources::default()).expect("write");
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
        let cfg = materialize(dir.path(), ports, &Sources::default()).expect("write");
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
