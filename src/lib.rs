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
/// The text log's fields, as tracing-subscriber writes them, for less.
pub mod logfmt;
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
/// Traces over OTLP: the span of each tool call.
pub mod telemetry;
/// Webhook bodies signed and verified (HMAC-SHA256, `toolwall-signature`).
pub mod webhook;

/// Log lines the non-blocking writer queues before it drops (and counts) new ones: enough for
/// bursts of tens of thousands of calls per second while stderr catches up, small enough that
/// the queue's slots (allocated up front) cost little resident memory.
pub const DEFAULT_LOG_BUFFER_LINES: u32 = 16 * 1024;

/// How log lines reach stderr.
#[derive(Debug, Clone, Copy)]
pub enum LogWriter {
    /// Written by the thread that logs (one `write(2)` per line): commands that exit soon.
    Direct,
    /// Queued for a writer thread that batches them (`toolwall run`): a slow or stuck stderr
    /// never blocks a call. When `lines` lines wait, new ones are dropped and counted in
    /// `toolwall_log_lines_dropped_total`.
    NonBlocking { lines: u32 },
}

/// Initialise logging on stderr. With [`LogWriter::NonBlocking`] the returned guard must live
/// as long as logging does: dropping it writes the lines still queued (a clean exit loses none).
pub fn init_tracing(
    format: cli::LogFormat,
    level: &str,
    writer: LogWriter,
) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    // Colour codes only for a person at a terminal: a file, a pipe or a log collector gets
    // plain text (and skips the cost of writing the escapes); `NO_COLOR` turns them off too.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_timer(logfmt::CachedTime);
    match writer {
        LogWriter::Direct => {
            let builder = builder.with_writer(std::io::stderr);
            let _ = match format {
                cli::LogFormat::Json => builder.json().try_init(),
                cli::LogFormat::Text => builder
                    .event_format(logfmt::Line::default())
                    .fmt_fields(logfmt::PlainFields)
                    .try_init(),
            };
            None
        }
        LogWriter::NonBlocking { lines } => {
            // The writer thread writes what it has queued, then flushes: one `write(2)` per
            // batch of lines rather than per line.
            let (non_blocking, guard) =
                tracing_appender::non_blocking::NonBlockingBuilder::default()
                    .lossy(true)
                    .buffered_lines_limit(usize::try_from(lines).unwrap_or(usize::MAX).max(1))
                    .thread_name("toolwall-log")
                    .finish(std::io::BufWriter::with_capacity(
                        64 * 1024,
                        std::io::stderr(),
                    ));
            metrics::set_log_drop_counter(non_blocking.error_counter());
            let builder = builder.with_writer(non_blocking);
            let _ = match format {
                cli::LogFormat::Json => builder.json().try_init(),
                cli::LogFormat::Text => builder
                    .event_format(logfmt::Line::default())
                    .fmt_fields(logfmt::PlainFields)
                    .try_init(),
            };
            Some(guard)
        }
    }
}
