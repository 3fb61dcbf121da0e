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
    /// Environment variable read at start that overrides `mode` when set and non-empty
    /// (`enforce` or `shadow`).
    #[serde(default)]
    pub mode_env: Option<String>,
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
    /// Rate and spend limits (PRODUCT.md §6).
    #[serde(default)]
    pub limits: RawLimits,
    /// Kill switches kept in git; always on while listed.
    #[serde(default)]
    pub kill: RawKill,
    /// Where counters and kill switches live.
    #[serde(default)]
    pub state: RawState,
    /// Environment variable holding the admin API bearer token; required when `admin` is not
    /// a loopback address.
    #[serde(default)]
    pub admin_token_env: Option<String>,
    /// Without `admin_token_env`: the file toolwall reads the admin token from, or writes a
    /// random one to (mode 0600) on first start; relative to the config file. Default
    /// `admin.token` beside the SQLite state file, or beside the config file with Redis.
    #[serde(default)]
    pub admin_token_file: Option<String>,
    /// `Host` names the admin API answers to besides IP addresses and `localhost`.
    #[serde(default)]
    pub admin_hosts: Vec<String>,
    /// The signed, hash-chained audit stream (PRODUCT.md §8); absent: no stream.
    #[serde(default)]
    pub audit: Option<RawAudit>,
    /// PII and secret detection: per-entity actions, sensitive key names, entropy threshold.
    #[serde(default)]
    pub redact: crate::redact::RedactConfig,
    /// Connection limits of the agent and admin listeners.
    #[serde(default)]
    pub listener: RawListener,
    /// Reload on file changes (`reload: { watch: true, interval: 2s }`).
    #[serde(default)]
    pub reload: RawReload,
    /// Human approval of calls a policy marks `require_approval` (docs/config.md).
    #[serde(default)]
    pub approvals: Option<RawApprovals>,
    /// Transparent HTTPS for guarded hosts, the egress allowlist and its passthrough list.
    #[serde(default)]
    pub egress: Option<RawEgress>,
    /// Traces over OTLP (docs/telemetry.md); not reloadable.
    #[serde(default)]
    pub telemetry: crate::telemetry::RawTelemetry,
}

/// `reload:` — poll the files the config was read from and reload when they change.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReload {
    #[serde(default)]
    pub watch: bool,
    /// Poll interval (humantime, ≥ 200ms); default 2s.
    #[serde(default)]
    pub interval: Option<String>,
}

/// `approvals:` — who may approve a call that needs a human, how many must, for how long a
/// request stays open, and where events are announced.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApprovals {
    /// How long a request stays open before it counts as denied, e.g. `24h` (the default).
    #[serde(default)]
    pub ttl: Option<String>,
    /// `> 0`: hold the agent's call open this long, releasing it on approval; default `0s`.
    #[serde(default)]
    pub hold: Option<String>,
    #[serde(default)]
    pub approvers: Vec<RawApprover>,
    /// Quorum per tier (the policy's `tier`); default `{default: {quorum: 1}}`.
    #[serde(default)]
    pub tiers: Option<BTreeMap<String, RawTier>>,
    #[serde(default)]
    pub notify: Option<RawNotify>,
    /// The approval page (`/ui` on the admin port) as approvers reach it, e.g.
    /// `https://toolwall-admin.internal/ui`: MCP clients on 2026-07-28 that take URL-mode
    /// elicitation are sent `<ui_url>#<approval id>`. None: they get the `isError` refusal.
    #[serde(default)]
    pub ui_url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApprover {
    pub name: String,
    /// Environment variable holding this approver's bearer token.
    pub token_env: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTier {
    /// Distinct approvers needed.
    pub quorum: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNotify {
    /// http(s) URL every approval event is POSTed to.
    pub webhook: String,
    /// Environment variable holding the HMAC-SHA256 key the body is signed with.
    pub secret_env: String,
    /// Where approvers reach the admin API and `/ui` (e.g. `https://toolwall-admin.internal`):
    /// the base of the approve, deny and page links in each event. None: no links.
    #[serde(default)]
    pub admin_url: Option<String>,
}

/// `listener:` — how long a connection may take to send a request head, and how many
/// connections each listener holds at once.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawListener {
    /// From accept (or the end of the previous request) to a complete request head, first
    /// byte included, e.g. `10s`; default 10s.
    #[serde(default)]
    pub header_read_timeout: Option<String>,
    /// Connections the agent listener holds at once; more are closed on accept. Default 1024.
    #[serde(default)]
    pub max_connections: Option<usize>,
    /// Connections the admin listener holds at once; default 64.
    #[serde(default)]
    pub admin_max_connections: Option<usize>,
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
    /// The auditor's X25519 public key (`toolwall keygen --auditor`), for `args: encrypted`.
    #[serde(default)]
    pub auditor_key: Option<String>,
    /// Capacity of the audit writer's queue; default 4096. Write-ahead records wait for room
    /// (a bounded time, then the call is refused `audit_unavailable`); docs/audit.md.
    #[serde(default)]
    pub queue: Option<usize>,
    /// How long a write-ahead record waits for room in a full queue before the call is
    /// refused `audit_unavailable`, e.g. `2s` (the default).
    #[serde(default)]
    pub queue_wait: Option<String>,
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

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    #[serde(default)]
    pub rate: Vec<RawRateLimit>,
    #[serde(default)]
    pub spend: Vec<RawSpendLimit>,
    /// Where budget days start, as a UTC offset (`+02:00`, `-05:00`); default `+00:00`.
    #[serde(default)]
    pub day_utc_offset: Option<String>,
    /// …or as an IANA time zone (`Europe/Berlin`), daylight saving time included.
    #[serde(default)]
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RateKey {
    Tenant,
    Agent,
    Tool,
    Workflow,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRateLimit {
    /// What one bucket is for; default `[tenant, agent, tool]`.
    #[serde(default)]
    pub key: Option<Vec<RateKey>>,
    /// Tool name or glob (`stripe.*`); default every tool.
    #[serde(default)]
    pub tool: Option<String>,
    #[serde(default)]
    pub per_second: Option<f64>,
    #[serde(default)]
    pub per_minute: Option<f64>,
    #[serde(default)]
    pub per_hour: Option<f64>,
    /// Calls allowed at once; default the rate rounded up (at least 1).
    #[serde(default)]
    pub burst: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpendScope {
    Run,
    TenantDay,
    AgentDay,
}

impl SpendScope {
    pub fn as_str(self) -> &'static str {
        match self {
            SpendScope::Run => "run",
            SpendScope::TenantDay => "tenant_day",
            SpendScope::AgentDay => "agent_day",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnExceed {
    #[default]
    Deny,
    RequireApproval,
    Degrade,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpendLimit {
    pub scope: SpendScope,
    pub max_usd: f64,
    #[serde(default)]
    pub on_exceed: OnExceed,
    /// Only for this tenant / agent (default: every one).
    #[serde(default)]
    pub tenant: Option<String>,
    #[serde(default)]
    pub agent: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKill {
    #[serde(default)]
    pub all: bool,
    #[serde(default)]
    pub tenants: Vec<String>,
    #[serde(default)]
    pub agents: Vec<String>,
    #[serde(default)]
    pub tools: Vec<String>,
    #[serde(default)]
    pub workflows: Vec<String>,
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
    /// The raw canonical arguments sealed to the auditor's X25519 key (`audit.auditor_key`),
    /// for break-glass review and exact replay; toolwall holds only the public key.
    Encrypted,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StateBackend {
    #[default]
    Sqlite,
    Redis,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawState {
    #[serde(default)]
    pub backend: StateBackend,
    /// SQLite file, relative to the config file; default `state/toolwall.db`.
    #[serde(default)]
    pub path: Option<String>,
    /// Redis URL, e.g. `redis://127.0.0.1:6379/0`.
    #[serde(default)]
    pub url: Option<String>,
    /// Redis key prefix; default `toolwall:`.
    #[serde(default)]
    pub prefix: Option<String>,
    /// How long one Redis operation may take before the call fails closed; default 500ms.
    #[serde(default)]
    pub timeout: Option<String>,
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
    #[serde(default)]
    pub mtls: Option<RawMtls>,
    #[serde(default)]
    pub jwt: Option<RawJwt>,
    #[serde(rename = "static", default)]
    pub static_: Option<RawStaticIdentity>,
    /// `toolwall-*` headers the agent may set: `run_id`, `workflow`; default both. A value
    /// taken from a verified JWT claim always wins over the header.
    #[serde(default)]
    pub trust_headers: Option<Vec<TrustedHeader>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrustedHeader {
    RunId,
    Workflow,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMtls {
    /// CA bundle (PEM) client certificates must chain to.
    pub client_ca: String,
    /// The agent listener's own certificate chain and key (PEM).
    pub cert: String,
    pub key: String,
    /// Refuse the TLS handshake without a client certificate; default true unless `jwt` or
    /// `static` is configured too.
    #[serde(default)]
    pub required: Option<bool>,
    /// Optional: only SPIFFE ids in this trust domain are accepted.
    #[serde(default)]
    pub trust_domain: Option<String>,
    /// Tenant for mTLS principals (certificates carry no tenant).
    #[serde(default)]
    pub tenant: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawJwt {
    pub issuer: String,
    pub audience: String,
    /// JWKS file (RS256/ES256/EdDSA keys), relative to the config file; re-read on reload.
    #[serde(default)]
    pub jwks_file: Option<String>,
    /// Environment variable holding the HS256 secret.
    #[serde(default)]
    pub hs256_secret_env: Option<String>,
    #[serde(default)]
    pub tenant_claim: Option<String>,
    /// Default `sub`.
    #[serde(default)]
    pub agent_claim: Option<String>,
    #[serde(default)]
    pub workflow_claim: Option<String>,
    #[serde(default)]
    pub run_id_claim: Option<String>,
    /// Clock skew allowed on exp/nbf, seconds; default 30.
    #[serde(default)]
    pub leeway_secs: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStaticIdentity {
    /// The agent id; optional when `agent_env` names a set, non-empty variable.
    #[serde(default)]
    pub agent: Option<String>,
    #[serde(default)]
    pub tenant: Option<String>,
    #[serde(default)]
    pub workflow: Option<String>,
    /// Environment variables read at start that override `agent` / `tenant` / `workflow` when
    /// set and non-empty (a sidecar injector gives each pod its own identity this way).
    #[serde(default)]
    pub agent_env: Option<String>,
    #[serde(default)]
    pub tenant_env: Option<String>,
    #[serde(default)]
    pub workflow_env: Option<String>,
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
    /// MCP adapters: `manual` (default) refuses a tool whose definition changed until an
    /// operator re-pins it; `auto` re-pins on sight (trusted servers), still audited.
    #[serde(default)]
    pub pin: PinMode,
    /// `shadow` or `enforce` for this adapter's calls; default the config's `mode`.
    #[serde(default)]
    pub mode: Option<Mode>,
    /// `kind: grpc`: the `FileDescriptorSet` the methods are typed by (relative to the adapter
    /// file; `protoc --include_imports --descriptor_set_out`, `buf build -o`).
    #[serde(default)]
    pub descriptor_set: Option<String>,
    /// `kind: grpc`: load the descriptors from the server's reflection service instead.
    #[serde(default)]
    pub reflection: Option<bool>,
    /// `kind: grpc`: a request message with fields the descriptor does not know is refused
    /// (`refuse`, the default) or passed with them (`allow`; they are not in the arguments).
    #[serde(default)]
    pub unknown_fields: Option<UnknownFields>,
}

/// `unknown_fields:` of a gRPC adapter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnknownFields {
    #[default]
    Refuse,
    Allow,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PinMode {
    #[default]
    Manual,
    Auto,
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
    /// Required for `http` (`{method, path}`) and `grpc` (`{service, method}`) adapters; MCP
    /// tools are named by the server, so an MCP adapter's `tools` entries only override
    /// schema, cost, risk, `mode` and `dry_run`.
    #[serde(rename = "match", default)]
    pub match_: Option<RawMatch>,
    /// Where an HTTP tool's arguments come from; default `json` (not on gRPC tools).
    #[serde(default)]
    pub args: Option<ArgsFrom>,
    /// A path (relative to the adapter file) or an inline JSON Schema object.
    #[serde(default)]
    pub schema: Option<yaml_serde::Value>,
    /// The tool's answer, as `schema`: a path or an inline JSON Schema (HTTP adapters only;
    /// MCP tools declare `outputSchema`).
    #[serde(default)]
    pub response_schema: Option<yaml_serde::Value>,
    #[serde(default)]
    pub cost_usd: Option<f64>,
    /// JSON pointer to the call's real cost (USD) in the tool's response; `cost_usd` is then
    /// what is reserved before forwarding.
    #[serde(default)]
    pub cost_from_response: Option<String>,
    #[serde(default)]
    pub read_only: bool,
    #[serde(default)]
    pub risk: BTreeMap<String, serde_json::Value>,
    /// `shadow` or `enforce` for this tool's calls; default the adapter's `mode`.
    #[serde(default)]
    pub mode: Option<Mode>,
    /// Decide and audit the call, never forward it: the agent gets the action proposal.
    #[serde(default)]
    pub dry_run: bool,
    /// Idempotent writes: `required` or `auto` (absent: off). See docs/idempotency.md.
    #[serde(default)]
    pub idempotency: Option<IdempotencyMode>,
    /// How long a key's first answer is replayed, e.g. `24h` (the default; at most 7 days).
    #[serde(default)]
    pub idempotency_window: Option<String>,
}

/// `idempotency:` of a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdempotencyMode {
    /// Every call needs a key: the agent's `Idempotency-Key`, or one derived from its run id.
    Required,
    /// The agent's key when it sends one, else one derived from its run id, else none.
    Auto,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMatch {
    /// HTTP: the request method. gRPC: the method's name in its service (`CreateRefund`).
    #[serde(default)]
    pub method: Option<String>,
    /// HTTP: the path template.
    #[serde(default)]
    pub path: Option<String>,
    /// gRPC: the fully qualified service (`payments.v1.Payments`).
    #[serde(default)]
    pub service: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArgsFrom {
    #[default]
    Json,
    Form,
    Query,
}

/// `egress:` — HTTPS interception for guarded hosts (`CONNECT` and the transparent listener).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEgress {
    /// Where connections redirected by iptables arrive (`host:port`); absent: no listener.
    #[serde(default)]
    pub transparent_listen: Option<String>,
    /// Directory `ca.crt` and `bundle.crt` are written to at start.
    #[serde(default)]
    pub ca_out: Option<String>,
    /// A CA to mint from; absent: one generated in memory at start.
    #[serde(default)]
    pub ca: Option<RawEgressCa>,
    /// `host:port`, `host` (port 443), `*.suffix[:port]`: tunnelled untouched, audited.
    #[serde(default)]
    pub passthrough: Vec<String>,
}

/// `egress.ca:` PEM files, relative to the config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEgressCa {
    pub cert: String,
    pub key: String,
}
