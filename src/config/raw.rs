//! The config and adapter files exactly as written on disk (serde, `deny_unknown_fields`).

use std::collections::BTreeMap;

use serde::Deserialize;

/// `toolwall.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Agent-facing listener.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Admin listener: /healthz /readyz /metrics /admin/*.
    #[serde(default = "default_admin")]
    pub admin: String,
    #[serde(default)]
    pub mode: Mode,
    #[serde(default)]
    pub identity: RawIdentity,
    /// Directory of `*.rego` (+ optional `data.json`), relative to the config file.
    #[serde(default = "default_policies")]
    pub policies: String,
    /// Directory of adapter YAML files, relative to the config file.
    #[serde(default = "default_adapters")]
    pub adapters: String,
    #[serde(default)]
    pub request: RawRequestLimits,
    #[serde(default)]
    pub policy: RawPolicyOptions,
    /// Start the built-in demo payments API on this address (quickstart and load tests).
    #[serde(default)]
    pub demo_upstream: Option<String>,
    /// The signed, hash-chained audit stream (PRODUCT.md §8); absent: no stream.
    #[serde(default)]
    pub audit: Option<RawAudit>,
    /// PII and secret detection: per-entity actions, sensitive key names, entropy threshold.
    #[serde(default)]
    pub redact: crate::redact::RedactConfig,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAudit {
    /// Directory of the JSONL stream files.
    pub dir: String,
    /// Ed25519 signing key (`toolwall keygen` writes it).
    pub key: String,
    /// Per-deployment HMAC key for `input_hmac` and hashed args; default `hmac.key` beside `key`.
    #[serde(default)]
    pub hmac_key: Option<String>,
    /// Stream name (file prefix, checkpoint origin); default `toolwall`.
    #[serde(default)]
    pub stream: Option<String>,
    #[serde(default)]
    pub sync: AuditSync,
    /// Start a new file past this size; default 64 MiB.
    #[serde(default)]
    pub rotate_bytes: Option<u64>,
    #[serde(default)]
    pub checkpoint: RawCheckpoint,
    #[serde(default)]
    pub args: AuditArgs,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCheckpoint {
    /// A signed checkpoint after this many records; default 1000.
    #[serde(default)]
    pub every_records: Option<u64>,
    /// …and at least this often, e.g. `10s` (the default).
    #[serde(default)]
    pub every: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditSync {
    /// Leave flushing to the OS (rotation and shutdown still fsync).
    None,
    /// fsync at least every 100 ms and at every checkpoint.
    #[default]
    Batch,
    /// fsync after every record.
    Always,
}

/// What the audit stream keeps of a call's arguments.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditArgs {
    /// PII and secrets masked by the redaction engine; everything else kept.
    #[default]
    Redacted,
    /// Every string leaf replaced by an HMAC token; numbers and booleans kept.
    Hashed,
    /// Only `input_hmac`.
    None,
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}
fn default_admin() -> String {
    "127.0.0.1:9901".into()
}
fn default_policies() -> String {
    "policies".into()
}
fn default_adapters() -> String {
    "adapters".into()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Enforce,
    Shadow,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Shadow => "shadow",
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIdentity {
    #[serde(rename = "static", default)]
    pub static_: Option<RawStaticIdentity>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStaticIdentity {
    pub agent: String,
    #[serde(default)]
    pub tenant: Option<String>,
    #[serde(default)]
    pub workflow: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRequestLimits {
    /// Largest request body accepted (bytes); default 1 MiB.
    #[serde(default)]
    pub max_body_bytes: Option<usize>,
    /// Deepest JSON nesting accepted; default 32.
    #[serde(default)]
    pub max_json_depth: Option<usize>,
    /// Calls handled at once before new ones are shed with 503; default 4096.
    #[serde(default)]
    pub max_in_flight: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicyOptions {
    /// RVM instruction budget per decision; default 25,000.
    #[serde(default)]
    pub max_instructions: Option<usize>,
}

/// `adapters/*.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAdapter {
    pub name: String,
    #[serde(default)]
    pub kind: AdapterKind,
    pub upstream: String,
    #[serde(default)]
    pub credentials: Option<RawCredentials>,
    /// Upstream timeout, e.g. `10s`; default 30s.
    #[serde(default)]
    pub timeout: Option<String>,
    #[serde(default)]
    pub tls: Option<RawUpstreamTls>,
    #[serde(default)]
    pub tools: Vec<RawTool>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AdapterKind {
    #[default]
    Http,
    Mcp,
    Grpc,
}

impl AdapterKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AdapterKind::Http => "http",
            AdapterKind::Mcp => "mcp",
            AdapterKind::Grpc => "grpc",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCredentials {
    pub header: String,
    #[serde(default)]
    pub prefix: String,
    pub env: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUpstreamTls {
    /// Extra CA bundle (PEM) trusted for this upstream, besides the web PKI roots.
    #[serde(default)]
    pub ca: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTool {
    pub name: String,
    #[serde(rename = "match")]
    pub match_: RawMatch,
    #[serde(default)]
    pub args: ArgsFrom,
    /// A path (relative to the adapter file) or an inline JSON Schema object.
    #[serde(default)]
    pub schema: Option<yaml_serde::Value>,
    #[serde(default)]
    pub cost_usd: Option<f64>,
    #[serde(default)]
    pub read_only: bool,
    #[serde(default)]
    pub risk: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMatch {
    pub method: String,
    pub path: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArgsFrom {
    #[default]
    Json,
    Form,
    Query,
}
