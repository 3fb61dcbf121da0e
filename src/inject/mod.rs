//! The sidecar injector: `toolwall inject serve` (a mutating admission webhook) and
//! `toolwall inject FILE` (offline, like `istioctl kube-inject`).
//!
//! One decision function ([`pod::decide`]) looks at a Pod (or a pod template) as plain JSON and
//! answers with RFC 6902 `add` operations ([`patch::Op`]) or a reason not to inject; the
//! webhook ([`review`], [`serve`]) wraps them in an AdmissionReview, the offline command applies
//! them itself. The enforcing mode's init container runs `toolwall inject iptables`
//! ([`iptables`]).

pub mod config;
pub mod iptables;
pub mod offline;
pub mod patch;
pub mod pod;
pub mod review;
pub mod selfsigned;
pub mod serve;

pub use config::InjectorConfig;

/// Pod annotation: `"true"` opts in, `"false"` opts out.
pub const ANN_INJECT: &str = "toolwall.io/inject";
/// Pod annotation set on an injected pod; a pod carrying it is never injected again.
pub const ANN_STATUS: &str = "toolwall.io/status";
/// The status annotation's value.
pub const STATUS_INJECTED: &str = "injected";
/// Pod annotation: the ConfigMap holding toolwall.yaml (default `config.config_map`).
pub const ANN_CONFIG: &str = "toolwall.io/config";
/// Pod annotation: the tenant (`TOOLWALL_TENANT`).
pub const ANN_TENANT: &str = "toolwall.io/tenant";
/// Pod annotation: the agent identity (`TOOLWALL_AGENT_ID`), instead of the SPIFFE-style id.
pub const ANN_AGENT: &str = "toolwall.io/agent";
/// Pod annotation: `enforce` or `shadow` (`TOOLWALL_MODE`).
pub const ANN_MODE: &str = "toolwall.io/mode";
/// Pod annotation: `"true"` adds the iptables init container.
pub const ANN_ENFORCE: &str = "toolwall.io/enforce";

/// The sidecar container's name.
pub const SIDECAR_NAME: &str = "toolwall";
/// The enforcing mode's init container's name.
pub const INIT_NAME: &str = "toolwall-init";
/// The binary inside the image.
pub const BINARY: &str = "/usr/local/bin/toolwall";
/// Where the agent containers find toolwall's egress CA (read-only for them).
pub const CA_DIR: &str = "/var/run/toolwall/ca";
