//! toolwall: a sidecar firewall for AI agents' tool calls.
#![forbid(unsafe_code)]

/// The admin listener's routes.
pub mod admin;
/// Listeners, admin server, reload, graceful drain.
pub mod app;
/// Announcing changes to approval requests: live feed, webhook.
pub mod approvals;
/// The signed, hash-chained audit stream.
pub mod audit;
/// The response body type and a helper to build one.
pub mod body;
/// Command-line subcommands.
pub mod cli;
/// Config files → immutable snapshot.
pub mod config;
/// The built-in demo payments API.
pub mod demo;
/// Diagnostics at a file position (`file:line:col: message`).
pub mod diag;
/// Transparent HTTPS for guarded hosts: CONNECT interception, passthrough, the transparent
/// listener.
pub mod egress;
/// The sidecar injector: admission webhook, offline injection, enforcing-mode iptables rules.
pub mod inject;
/// Strict JSON parsing (duplicate keys, depth).
pub mod json;
/// MCP tool catalog and definition pinning.
pub mod mcp;
/// Prometheus metrics.
pub mod metrics;
/// The request pipeline and the refusal reasons.
pub mod pipeline;
/// Rego policies on the regorus RVM.
pub mod policy;
/// Protocol Buffers through descriptor sets: canonical JSON both ways, derived schemas.
pub mod proto;
/// Protocol front ends: request → (adapter, tool, args).
pub mod protocol;
/// PII and secret detection and redaction.
pub mod redact;
/// The listeners: accept loops, TLS, connection limits, graceful drain.
pub mod server;
/// The pipeline stages, one file each.
pub mod stage;
/// Shared limiter state: spend counters and kill switches (SQLite, Redis).
pub mod state;
/// Webhook bodies signed and verified (HMAC-SHA256, `toolwall-signature`).
pub mod webhook;

/// Initialise logging on stderr.
pub fn init_tracing(format: cli::LogFormat, level: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        cli::LogFormat::Json => builder.json().try_init(),
        cli::LogFormat::Text => builder.try_init(),
    };
}
