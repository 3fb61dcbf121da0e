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
    /// `limits:` and `kill:` (the message starts with the YAML path, e.g. `limits.rate[1]:`).
    #[error("{0}")]
    Limits(String),
    /// `identity:` (the message starts with the YAML path or the file it read).
    #[error("{0}")]
    Identity(String),
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
    #[error("audit.checkpoint.every: {0}")]
    CheckpointEvery(humantime::DurationError),
    #[error("audit.auditor_key: {0}")]
    AuditorKey(AuditError),
    #[error("audit.args: encrypted needs audit.auditor_key (toolwall keygen --auditor)")]
    EncryptedNeedsAuditorKey,

    // adapters/*.yaml
    #[error("adapter name `{0}` is used by another adapter")]
    AdapterNameTaken(String),
    #[error("adapter name `{0}` must be non-empty and contain no '/', '.' or spaces")]
    AdapterName(String),
    #[error("adapter kind `{0}` is not supported yet (only `http` and `mcp`)")]
    AdapterKind(&'static str),
    #[error("{0}")]
    Upstream(String),
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
    Ca(String),
    #[error("{0}")]
    Client(String),

    // tools:
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
