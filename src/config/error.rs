//! What can be wrong in a config or adapter file. Each error is reported at the YAML path of
//! the offending value (see `spans`), as `file:line:col: message`.

use crate::audit::AuditError;
use crate::redact::RedactError;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    // toolwall.yaml
    #[error("{field}: `{value}` is not a host:port address: {source}")]
    Address {
        field: &'static str,
        value: String,
        source: std::net::AddrParseError,
    },
    #[error("redact: {0}")]
    Redact(#[from] RedactError),

    // limits:
    #[error("limits.rate[{0}]: give exactly one of per_second, per_minute, per_hour")]
    RateOneOf(usize),
    #[error("limits.rate[{0}]: the rate must be a positive number")]
    RateNotPositive(usize),
    #[error("limits.rate[{0}]: burst must be at least 1 and the rate at most 10^9/s")]
    RateBurst(usize),
    #[error("limits.spend[{rule}]: max_usd must be a number ≥ 0, not {value}")]
    SpendMaxUsd { rule: usize, value: f64 },
    #[error("limits.time_zone: give either time_zone or day_utc_offset, not both")]
    ZoneAndOffset,
    #[error("limits.day_utc_offset: `{0}` is not an offset like +02:00 or -05:00")]
    DayOffset(String),
    #[error("limits.time_zone: `{0}` is not an IANA time zone like Europe/Berlin")]
    TimeZone(String),

    // identity:
    #[error("identity.jwt.jwks_file {path}: {source}")]
    JwksRead {
        path: String,
        source: std::io::Error,
    },
    #[error("identity.jwt.jwks_file {path}: not a JWKS: {source}")]
    JwksParse {
        path: String,
        source: serde_json::Error,
    },
    #[error(
        "{path}: key {key} (kid {kid:?}) is not a signature key (use/key_ops); it never \
         verifies a token"
    )]
    JwksNotForSignatures {
        path: String,
        key: usize,
        kid: Option<String>,
    },
    #[error("{path}: key {key}: unsupported elliptic curve")]
    JwksCurve { path: String, key: usize },
    #[error(
        "{path}: key {key}: symmetric (oct) keys are not accepted in a JWKS; use hs256_secret_env"
    )]
    JwksSymmetric { path: String, key: usize },
    #[error("{path}: key {key}: unsupported alg {alg}")]
    JwksAlg {
        path: String,
        key: usize,
        alg: String,
    },
    #[error("{path}: key {key}: HMAC algorithms are not accepted in a JWKS")]
    JwksHmac { path: String, key: usize },
    #[error("{path}: key {key}: {source}")]
    JwksKey {
        path: String,
        key: usize,
        source: jsonwebtoken::errors::Error,
    },
    #[error("identity.jwt.hs256_secret_env: {0} must hold at least 32 bytes")]
    Hs256Short(String),
    #[error("identity.jwt.hs256_secret_env: environment variable {0} is not set")]
    Hs256Unset(String),
    #[error("identity.static: give `agent`, or `agent_env` naming a set, non-empty environment variable ({0} is not set)")]
    StaticAgentUnset(String),
    #[error("reload.interval: `{0}` is not a duration of at least 200ms (e.g. 2s)")]
    ReloadInterval(String),
    #[error("identity.static: give `agent` or `agent_env`")]
    StaticAgentMissing,
    #[error("mode_env: environment variable {var} is `{got}`: expected `enforce` or `shadow`")]
    ModeEnv { var: String, got: String },
    #[error("identity.jwt: give jwks_file or hs256_secret_env")]
    JwtNoKeys,
    #[error("identity.mtls.client_ca: {0}")]
    MtlsClientCa(PemError),
    #[error("identity.mtls.client_ca: {0}")]
    MtlsCaRejected(rustls::Error),
    #[error("identity.mtls: {0}")]
    MtlsVerifier(rustls::server::VerifierBuilderError),
    #[error("identity.mtls.cert: {0}")]
    MtlsCert(PemError),
    #[error("identity.mtls.key {path}: {source}")]
    MtlsKey {
        path: String,
        source: rustls_pki_types::pem::Error,
    },
    #[error("identity.mtls: {0}")]
    MtlsTls(rustls::Error),
    #[error("state.url is for backend: redis")]
    StateUrlNotRedis,
    #[error("state.timeout must be a duration like 500ms")]
    StateTimeout,
    #[error(
        "state.backend redis needs `url: redis://host:port[/db]` (got {got:?}; TLS to redis is not built in)"
    )]
    RedisUrl { got: Option<String> },
    #[error("listener.header_read_timeout: `{0}` is not a positive duration (e.g. 10s)")]
    HeaderReadTimeout(String),
    #[error(
        "admin is not bound to loopback: set admin_token_env to the environment variable holding \
         the admin API bearer token"
    )]
    AdminNotLoopback,
    #[error("admin_token_env: environment variable {0} is not set")]
    AdminTokenEnvUnset(String),

    // approvals:
    #[error("approvals.ttl: {0}")]
    ApprovalsTtl(humantime::DurationError),
    #[error("approvals.ttl must be longer than 0s (an expired request counts as denied)")]
    ApprovalsTtlZero,
    #[error("approvals.hold: {0}")]
    ApprovalsHold(humantime::DurationError),
    #[error(
        "approvals.hold ({hold}) is longer than approvals.ttl ({ttl}); a held call ends when its \
         request expires"
    )]
    ApprovalsHoldOverTtl { hold: String, ttl: String },
    #[error(
        "approvals.approvers: list at least one approver ({{ name, token_env }}); without one \
         nothing can be approved"
    )]
    ApproversNone,
    #[error("approvals.approvers[{0}].name must be non-empty, without control characters")]
    ApproverName(usize),
    #[error("approvals.approvers[{index}]: the name `{name}` is used by another approver")]
    ApproverNameTaken { index: usize, name: String },
    #[error(
        "approvals.approvers[{index}].token_env: environment variable {env} (approver `{name}`) \
         is not set or empty"
    )]
    ApproverTokenUnset {
        index: usize,
        name: String,
        env: String,
    },
    #[error(
        "approvals.approvers[{index}].token_env: approver `{name}` has the same token as `{other}` \
         ({env}); each approver needs a token of their own"
    )]
    ApproverTokenTaken {
        index: usize,
        name: String,
        other: String,
        env: String,
    },
    #[error("approvals.tiers: a tier name must be non-empty")]
    TierName,
    #[error("approvals.tiers.{0}.quorum must be at least 1")]
    TierQuorumZero(String),
    #[error(
        "approvals.tiers.{tier}.quorum: {quorum} approvers needed but only {approvers} configured"
    )]
    TierQuorumTooLarge {
        tier: String,
        quorum: u32,
        approvers: usize,
    },
    #[error(
        "approvals.tiers: a `default` tier is required (the quorum of a request whose policy \
         names no tier)"
    )]
    TierDefaultMissing,
    #[error("approvals.notify.webhook: `{url}` is not a URL: {source}")]
    WebhookNotUrl {
        url: String,
        source: http::uri::InvalidUri,
    },
    #[error("approvals.notify.webhook: `{0}` must start with http:// or https://")]
    WebhookScheme(String),
    #[error("approvals.notify.webhook: `{0}` has no host")]
    WebhookNoHost(String),
    #[error(
        "approvals.notify.webhook: the URL must not carry user:password@ (receivers check the \
         toolwall-signature header instead)"
    )]
    WebhookUserinfo,
    #[error("approvals.notify.secret_env: environment variable {0} is not set or empty")]
    WebhookSecretUnset(String),
    #[error(
        "approvals.ui_url: `{0}` must be an http:// or https:// URL with a host, without \
         user:password@, query or fragment"
    )]
    ApprovalsUiUrl(String),
    #[error(
        "approvals.notify.admin_url: `{0}` must be an http:// or https:// URL with a host, \
         without user:password@, query or fragment"
    )]
    NotifyAdminUrl(String),

    // audit:
    #[error("audit.key: {0} (create one with `toolwall keygen`)")]
    AuditKey(AuditError),
    #[error("audit.hmac_key {path}: {source} (create one with `toolwall keygen`)")]
    HmacKeyRead {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: expected at least 16 hex-encoded bytes")]
    HmacKeyShort { path: String },
    #[error("audit.queue_wait: {0}")]
    QueueWait(humantime::DurationError),
    #[error("audit.checkpoint.every: {0}")]
    CheckpointEvery(humantime::DurationError),
    #[error("audit.auditor_key: {0}")]
    AuditorKey(AuditError),
    #[error("audit.args: encrypted needs audit.auditor_key (toolwall keygen --auditor)")]
    EncryptedNeedsAuditorKey,

    // adapters/*.yaml
    #[error("adapters: cannot read the adapter directory {path}: {source}")]
    AdapterDir {
        path: String,
        source: std::io::Error,
    },
    #[error("adapter name `{0}` is used by another adapter")]
    AdapterNameTaken(String),
    #[error("adapter name `{0}` must be non-empty and contain no '/', '.' or spaces")]
    AdapterName(String),
    #[error("upstream `{url}` is not a URL: {source}")]
    UpstreamNotUrl {
        url: String,
        source: http::uri::InvalidUri,
    },
    #[error("upstream `{0}` must start with http:// or https://")]
    UpstreamScheme(String),
    #[error("upstream `{0}` has no host")]
    UpstreamNoHost(String),
    #[error("upstream `{0}` must not have a query string")]
    UpstreamQuery(String),
    #[error("upstream `{0}` is already guarded by another adapter")]
    UpstreamTaken(String),
    #[error("timeout: {0}")]
    Timeout(humantime::DurationError),
    #[error("credentials.header `{0}` is not a valid header name")]
    CredentialHeader(String),
    #[error("credentials: env {0} holds characters not allowed in a header")]
    CredentialValue(String),
    #[error("credentials: environment variable {0} is not set")]
    CredentialEnvUnset(String),
    /// `tls.ca` (the message names the PEM file).
    #[error("{0}")]
    Ca(PemError),
    #[error("tls.ca: CA certificate rejected: {0}")]
    ClientCa(rustls::Error),
    #[error("TLS setup: {0}")]
    ClientTls(rustls::Error),

    // kind: grpc
    #[error("`{key}` is for adapters of kind grpc (this one is {kind})")]
    GrpcKeyOnOtherKind {
        key: &'static str,
        kind: &'static str,
    },
    #[error("a grpc adapter needs `descriptor_set: FILE` or `reflection: true`")]
    GrpcNoDescriptors,
    #[error("give either `descriptor_set` or `reflection: true`, not both")]
    GrpcBothDescriptors,
    #[error(
        "upstream `{0}` of a grpc adapter must be http://host:port (h2c) or https://host:port, \
         without a path"
    )]
    GrpcUpstreamPath(String),
    #[error("descriptor_set {rel} cannot be read: {source}")]
    DescriptorSetRead { rel: String, source: std::io::Error },
    #[error("descriptor_set {rel}: {message}")]
    DescriptorSetBad { rel: String, message: String },
    #[error("reflection: {0}")]
    Reflection(String),
    #[error("service `{service}` is not in the descriptor set (it has: {known})")]
    GrpcUnknownService { service: String, known: String },
    #[error("service {service} has no method `{method}` (it has: {known})")]
    GrpcUnknownMethod {
        service: String,
        method: String,
        known: String,
    },
    #[error("method /{service}/{method} is listed twice in this adapter")]
    GrpcMethodTwice { service: String, method: String },
    #[error("service {service} is already guarded by adapter `{adapter}` ({file})")]
    GrpcServiceTaken {
        service: String,
        adapter: String,
        file: String,
    },
    #[error("tool {0}: `match: {{service, method}}` is required on a grpc adapter")]
    GrpcMatchRequired(String),
    #[error("match.{key}: a grpc tool is matched by `{{service, method}}` only")]
    GrpcMatchKey { key: &'static str },
    #[error("missing field `{0}`")]
    MatchFieldMissing(&'static str),
    #[error("match.service is for grpc adapters; an http tool is matched by `{{method, path}}`")]
    MatchServiceOnHttp,
    #[error(
        "tool {tool}: `{key}` does not apply to a grpc tool (its arguments are its request \
         message)"
    )]
    GrpcToolKey { tool: String, key: &'static str },

    // tools:
    #[error("idempotency_window: {0}")]
    IdempotencyWindow(humantime::DurationError),
    #[error("idempotency_window must be between 1s and 7days (got {0})")]
    IdempotencyWindowRange(String),
    #[error("idempotency_window is set but idempotency is not (`required` or `auto`)")]
    IdempotencyWindowAlone,
    #[error("idempotency is for HTTP adapters (MCP `tools/call` has no idempotency key yet)")]
    IdempotencyOnMcp,
    #[error("tool `{0}` is declared twice")]
    ToolTwice(String),
    #[error("tool `{tool}` is also declared in {other}")]
    ToolElsewhere { tool: String, other: String },
    #[error("path `{path}` for {method} conflicts with another tool: {source}")]
    PathConflict {
        path: String,
        method: http::Method,
        source: matchit::InsertError,
    },
    #[error("`{0}` is not an HTTP method")]
    Method(String),
    #[error("path `{0}` must start with '/'")]
    PathSlash(String),
    #[error("tool {0}: `match: {{method, path}}` is required on an http adapter")]
    MatchRequired(String),
    #[error("tool {0}: MCP tools are named by the server; `match` does not apply")]
    MatchOnMcp(String),
    #[error("schema file {rel} cannot be read: {source}")]
    SchemaRead { rel: String, source: std::io::Error },
    #[error("schema is not valid JSON: {0}")]
    SchemaJson(String),
    #[error("inline schema: {0}")]
    InlineSchema(serde_json::Error),
    #[error("tool {tool}: invalid JSON Schema: {message}")]
    InvalidSchema { tool: String, message: String },
    #[error(
        "tool {0}: response_schema applies to http tools; an MCP tool's output is checked \
         against the outputSchema its server lists"
    )]
    ResponseSchemaOnMcp(String),
    #[error("response_schema file {rel} cannot be read: {source}")]
    ResponseSchemaRead { rel: String, source: std::io::Error },
    #[error("response_schema is not valid JSON: {0}")]
    ResponseSchemaJson(String),
    #[error("inline response_schema: {0}")]
    InlineResponseSchema(serde_json::Error),
    #[error("tool {tool}: invalid response_schema: {message}")]
    InvalidResponseSchema { tool: String, message: String },
    #[error("tool {0}: cost_usd must be a number ≥ 0")]
    CostUsd(String),
    #[error(
        "tool {tool}: cost_from_response `{pointer}` is not a JSON pointer (e.g. /usage/cost_usd)"
    )]
    CostPointer { tool: String, pointer: String },
    #[error(
        "tool {0}: cost_from_response needs cost_usd > 0, the most one call may cost \
         (reserved before forwarding, so concurrent calls cannot overspend the budget)"
    )]
    CostNeedsEstimate(String),
}

/// A PEM certificate file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PemError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: rustls_pki_types::pem::Error,
    },
    #[error("{path}: bad PEM: {source}")]
    Bad {
        path: String,
        source: rustls_pki_types::pem::Error,
    },
    #[error("{path}: no certificates found")]
    Empty { path: String },
}

/// A [`ConfigError`] and the YAML path of the value it is about (`limits.spend[0].max_usd`,
/// `identity.jwt.jwks_file`, `upstream`); the file's span tree turns the path into
/// `line:col` (`Located::diag`).
#[derive(Debug)]
pub struct AtPath {
    pub path: String,
    pub error: ConfigError,
}

impl std::fmt::Display for AtPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl ConfigError {
    /// This error, about the value at the YAML path `path`.
    pub fn at(self, path: impl Into<String>) -> AtPath {
        AtPath {
            path: path.into(),
            error: self,
        }
    }
}
