//! The command line: clap definitions and one file per subcommand.

pub mod adapters;
pub mod approvals;
pub mod audit;
pub mod audit_export;
pub mod audit_report;
pub mod check;
pub mod eval;
pub mod healthcheck;
pub mod inject;
pub mod kill;
pub mod openapi;
pub mod policy;
pub mod policy_test;
pub mod redact;
pub mod run;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "toolwall",
    version,
    about = "A sidecar firewall for AI agents' tool calls"
)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, value_enum, default_value = "text", global = true)]
    pub log_format: LogFormat,
    /// Log filter (tracing-subscriber EnvFilter syntax); RUST_LOG wins when set.
    #[arg(long, default_value = "info", global = true)]
    pub log_level: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the proxy (with no config file found: the embedded quickstart, loopback only).
    Run {
        /// Config file; default ./toolwall.yaml, else the embedded quickstart.
        #[arg(short, long)]
        config: Option<PathBuf>,
        /// Quickstart only: where its files go (default ~/.local/state/toolwall/quickstart).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Quickstart only: the agent listener (default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// Quickstart only: the admin listener (default 127.0.0.1:9901).
        #[arg(long)]
        admin: Option<std::net::SocketAddr>,
        /// Quickstart only: the demo payments API (default 127.0.0.1:8081).
        #[arg(long)]
        demo: Option<std::net::SocketAddr>,
        /// Worker threads of the async runtime (default: one per CPU core). One runs every
        /// call on a single thread (the current-thread scheduler).
        #[arg(long, env = "TOOLWALL_WORKERS", value_parser = clap::value_parser!(u16).range(1..))]
        workers: Option<u16>,
        /// Log lines queued for stderr before new ones are dropped (and counted in
        /// `toolwall_log_lines_dropped_total`).
        #[arg(long, env = "TOOLWALL_LOG_BUFFER_LINES", default_value_t = crate::DEFAULT_LOG_BUFFER_LINES, value_parser = clap::value_parser!(u32).range(1..))]
        log_buffer_lines: u32,
    },
    /// Compile config, adapters, schemas and policies; print `file:line:col: message` errors.
    Check {
        #[arg(short, long, default_value = "toolwall.yaml")]
        config: PathBuf,
        /// Also lint the policies against the adapters' schemas (rules that can never match,
        /// undefined references, decisions without reasons, unused rules, defaults that
        /// allow); exit 1 on any finding.
        #[arg(long)]
        strict: bool,
    },
    /// Run a scenario bank (calls and policy inputs with the outcome expected) through the
    /// configured adapters and policies, offline; exit 1 on any mismatch.
    Eval {
        /// A directory of scenario files (`*.yaml`, recursively), or one file.
        scenarios: PathBuf,
        /// The config for scenario files that name none (`config:` in the file wins).
        #[arg(short, long)]
        config: Option<PathBuf>,
        /// Print the results as one JSON document.
        #[arg(long)]
        json: bool,
        /// Also write a JUnit XML report to FILE (for CI systems).
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
    },
    /// Adapters of a config: what each one guards.
    #[command(subcommand)]
    Adapters(adapters::AdaptersCommand),
    /// Policy tools.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// The audit stream: verify it, or show what agents did.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Re-evaluate every recorded decision with candidate policies; exit 1 if any would change.
    Replay {
        /// Audit directory (or one file).
        audit_path: PathBuf,
        /// The candidate policy directory.
        #[arg(long)]
        policies: PathBuf,
        /// Trusted public keys for the verification that precedes replay.
        #[arg(long)]
        keys: Option<PathBuf>,
        /// The auditor's X25519 secret key: open `args_sealed` for exact replay.
        #[arg(long)]
        auditor_key: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Redact a JSON document or text (stdin by default): print the result and the findings.
    Redact {
        /// Input file; stdin when absent or `-`.
        file: Option<PathBuf>,
        /// One JSON object: {"redacted": …, "findings": […]}.
        #[arg(long)]
        json: bool,
        /// Use the `redact:` section of this config (sensitive keys, actions).
        #[arg(short, long)]
        config: Option<PathBuf>,
    },
    /// Write an Ed25519 audit signing key pair and an HMAC key.
    Keygen {
        #[arg(long)]
        out: PathBuf,
        /// Key name (shown in signed checkpoints).
        #[arg(long, default_value = "toolwall-audit")]
        name: String,
        /// Write an auditor's X25519 key pair instead (`audit.args: encrypted`).
        #[arg(long)]
        auditor: bool,
    },
    /// Turn a kill switch on or off through the admin API.
    Kill {
        #[arg(value_enum)]
        state: OnOff,
        #[command(flatten)]
        target: kill::KillTarget,
        #[command(flatten)]
        client: kill::AdminClient,
    },
    /// MCP adapters: accept the server's current tool definitions.
    #[command(subcommand)]
    Mcp(McpCommand),
    /// Calls waiting for human approval: list, show, approve, deny (through the admin API).
    #[command(subcommand)]
    Approvals(approvals::ApprovalsCommand),
    /// Probe the admin API's readiness (the image's HEALTHCHECK): exit 0 on 200, else 1.
    Healthcheck {
        /// The URL to GET.
        #[arg(long, default_value = healthcheck::DEFAULT_URL)]
        url: String,
    },
    /// Inject the toolwall sidecar into Kubernetes manifests, or serve the injection webhook.
    Inject(inject::InjectArgs),
    /// Run only the built-in demo payments API (for load tests and demos).
    #[command(hide = true)]
    DemoUpstream {
        #[arg(long, default_value = "127.0.0.1:8081")]
        listen: std::net::SocketAddr,
    },
}

#[derive(Debug, Subcommand)]
pub enum McpCommand {
    /// Show how the MCP server's listed tool definitions differ from their pins (a diff), then
    /// re-pin exactly those (after `y`, or with --yes), through the admin API.
    Pin {
        /// The MCP adapter.
        #[arg(long)]
        adapter: String,
        /// Only this tool (as the server names it); default every tool of the adapter.
        #[arg(long)]
        tool: Option<String>,
        /// Show what changed and accept nothing.
        #[arg(long, conflicts_with = "yes")]
        dry_run: bool,
        /// Accept the changes shown without asking (needed when stdin is not a terminal).
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        client: kill::AdminClient,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Run the `test_*` rules of a policy directory (OPA style, on the regorus interpreter).
    Test {
        /// Policy directory.
        #[arg(default_value = "policies")]
        dir: PathBuf,
        /// Print every test, not only failures.
        #[arg(short, long)]
        verbose: bool,
        /// Only tests whose `data.<package>.<rule>` path matches this regex.
        #[arg(long)]
        run: Option<String>,
        /// Print line coverage per file.
        #[arg(long)]
        coverage: bool,
    },
    /// Print the decision for one policy input document (and, with --explain, why).
    Eval {
        /// The input document (JSON, as PRODUCT.md §5); `-` for stdin.
        #[arg(short, long, required_unless_present = "input_from_audit")]
        input: Option<PathBuf>,
        /// A recorded call's policy input instead: its decision id and the audit stream
        /// (directory or file) that holds it.
        #[arg(long, num_args = 2, value_names = ["DECISION_ID", "PATH"], conflicts_with = "input")]
        input_from_audit: Option<Vec<String>>,
        /// Why: the rules that held, from the decision down, with file:line and the input
        /// values each read; `--explain=fails` also shows the bodies that did not hold and
        /// the condition each stopped at.
        #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "held", require_equals = true)]
        explain: Option<policy::ExplainArg>,
        /// With --explain: the decision and the explanation as one JSON document.
        #[arg(long)]
        json: bool,
        /// Policy directory; default: the one named by the config.
        #[arg(long)]
        policies: Option<PathBuf>,
        #[arg(short, long, default_value = "toolwall.yaml")]
        config: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify hash chain, canonical form, Merkle roots and signed checkpoints.
    Verify {
        /// Audit directory (or one file).
        path: PathBuf,
        /// Trusted public keys (`audit.pub` lines); without, signatures are not checked.
        #[arg(long)]
        keys: Option<PathBuf>,
        /// The stream must hold at least N records (a size an earlier verify printed and you
        /// stored elsewhere); fewer means it was truncated.
        #[arg(long, value_name = "N")]
        expect_size: Option<u64>,
        /// Merkle root (64 hex digits) over the first --expect-size records, or over all of
        /// them without --expect-size, as an earlier verify printed it.
        #[arg(long, value_name = "HEX")]
        expect_root: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Introduce a new signing key (run while toolwall is stopped).
    RotateKey {
        #[arg(short, long, default_value = "toolwall.yaml")]
        config: PathBuf,
        /// The new private key (`toolwall keygen --out DIR --name NAME`).
        #[arg(long)]
        new_key: PathBuf,
    },
    /// What did the agent do, under what identity, policy and approvals: a timeline per run.
    Show {
        /// Audit directory (or one file).
        path: PathBuf,
        #[command(flatten)]
        filters: audit::ShowFilters,
        #[arg(long)]
        json: bool,
    },
    /// Export the calls of a verified stream for a SIEM (OCSF API Activity, JSON Lines).
    Export {
        #[command(flatten)]
        args: audit_export::ExportArgs,
    },
    /// Calls, refusals, approvals and cost per tenant, agent or tool, with a totals row (from
    /// a stream that verifies).
    Report {
        /// Audit directory (or one file).
        path: PathBuf,
        /// One row per tenant, agent or tool.
        #[arg(long, value_enum)]
        by: audit_report::GroupBy,
        /// RFC 3339 time: only records at or after it.
        #[arg(long)]
        since: Option<String>,
        /// Trusted public keys for the verification that precedes the report.
        #[arg(long)]
        keys: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

/// Exit codes (PRODUCT.md §2).
pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILED: i32 = 1;
pub const EXIT_USAGE: i32 = 2;

/// Run one parsed command; returns the process exit code.
pub fn dispatch(cli: Cli) -> i32 {
    match cli.command {
        Command::Run {
            config,
            dir,
            listen,
            admin,
            demo,
            workers,
            log_buffer_lines: _,
        } => run::run(run::RunOptions {
            config,
            dir,
            workers: workers.map(usize::from),
            ports: crate::config::quickstart::Ports {
                listen,
                admin,
                demo,
            },
        }),
        Command::Check { config, strict } => check::check(&config, strict),
        Command::Eval {
            scenarios,
            config,
            json,
            junit,
        } => eval::eval(
            &scenarios,
            &eval::EvalOptions {
                json,
                junit: junit.as_deref(),
                config: config.as_deref(),
            },
        ),
        Command::Adapters(cmd) => adapters::run(cmd),
        Command::Policy {
            command:
                PolicyCommand::Test {
                    dir,
                    verbose,
                    run,
                    coverage,
                },
        } => policy_test::test(&dir, verbose, run.as_deref(), coverage),
        Command::Policy {
            command:
                PolicyCommand::Eval {
                    input,
                    input_from_audit,
                    explain,
                    json,
                    policies,
                    config,
                },
        } => policy::eval(
            &policy::EvalArgs {
                input: match (input, input_from_audit) {
                    (Some(p), _) => policy::InputFrom::File(p),
                    (None, Some(v)) => policy::InputFrom::Audit {
                        decision_id: v.first().cloned().unwrap_or_default(),
                        path: PathBuf::from(v.get(1).cloned().unwrap_or_default()),
                    },
                    (None, None) => policy::InputFrom::File(PathBuf::from("-")),
                },
                explain,
                json,
            },
            policies.as_deref(),
            &config,
        ),
        Command::Audit {
            command:
                AuditCommand::Verify {
                    path,
                    keys,
                    expect_size,
                    expect_root,
                    json,
                },
        } => audit::verify(
            &path,
            keys.as_deref(),
            expect_size,
            expect_root.as_deref(),
            json,
        ),
        Command::Audit {
            command: AuditCommand::RotateKey { config, new_key },
        } => audit::rotate_key(&config, &new_key),
        Command::Audit {
            command:
                AuditCommand::Show {
                    path,
                    filters,
                    json,
                },
        } => audit::show(&path, &filters, json),
        Command::Audit {
            command: AuditCommand::Export { args },
        } => audit_export::export(&args),
        Command::Audit {
            command:
                AuditCommand::Report {
                    path,
                    by,
                    since,
                    keys,
                    json,
                },
        } => audit_report::report(&path, by, since.as_deref(), keys.as_deref(), json),
        Command::Replay {
            audit_path,
            policies,
            keys,
            auditor_key,
            json,
        } => audit::replay(
            &audit_path,
            &policies,
            keys.as_deref(),
            auditor_key.as_deref(),
            json,
        ),
        Command::Keygen {
            out,
            name,
            auditor: false,
        } => audit::keygen(&out, &name),
        Command::Keygen {
            out, auditor: true, ..
        } => audit::auditor_keygen(&out),
        Command::Redact { file, json, config } => {
            redact::redact(file.as_deref(), json, config.as_deref())
        }
        Command::Kill {
            state,
            target,
            client,
        } => kill::kill(state == OnOff::On, &target, &client),
        Command::Mcp(McpCommand::Pin {
            adapter,
            tool,
            client,
            dry_run,
            yes,
        }) => kill::mcp_pin(&adapter, tool.as_deref(), &client, dry_run, yes),
        Command::Approvals(cmd) => approvals::run(cmd),
        Command::Healthcheck { url } => healthcheck::healthcheck(&url),
        Command::Inject(args) => inject::run(args),
        Command::DemoUpstream { listen } => run::demo_upstream(listen),
    }
}
