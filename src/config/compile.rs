//! Compile raw config + adapters + schemas + policies into an immutable [`Snapshot`].
//!
//! Everything a request needs is prepared here, off the hot path: route tables, JSON Schema
//! validators, argument coercions, credential headers, upstream clients, the policy program.

//! Each section has a module of its own (`listener`, `audit`, `identity`, `limits`, `state`,
//! `admin`, `approvals`, `adapters`, `upstream`); this one reads the file and puts the
//! sections together.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::adapters::load_adapters;
use super::admin::compile_admin_token;
use super::audit::load_audit;
use super::error::ConfigError;
use super::identity::IdentitySpec;
use super::limits::LimitsSpec;
use super::listener::{compile_addresses, compile_listener, Addresses};
use super::raw::{Mode, RawConfig};
use super::spans::{Located, Spans};
use super::state::compile_state;
use crate::diag::{Diag, Diags};
use crate::policy::{PolicySet, DEFAULT_MAX_INSTRUCTIONS};

pub use super::adapters::{Adapter, Scalar, Tool};
pub use super::admin::{admin_client_settings, admin_token_file, AdminClientSettings};
pub use super::audit::AuditSettings;
pub use super::listener::ListenerLimits;
pub use super::state::StateSpec;
pub use super::upstream::{load_pem_certs, Upstream};

pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;
pub const DEFAULT_MAX_DEPTH: usize = 32;
pub const DEFAULT_MAX_IN_FLIGHT: usize = 4096;
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The process-level settings (not reloadable) plus the first snapshot.
pub struct LoadedConfig {
    pub path: PathBuf,
    pub listen: SocketAddr,
    pub admin: SocketAddr,
    pub demo_upstream: Option<SocketAddr>,
    /// Calls handled at once before new ones are shed (not reloadable).
    pub max_in_flight: usize,
    /// The audit stream (opened once at start; not reloadable).
    pub audit: Option<AuditSettings>,
    pub snapshot: Snapshot,
    /// Problems that do not stop `check` but would stop `run` (e.g. a credential env var unset).
    pub warnings: Vec<Diag>,
    /// Where counters and kill switches live (not reloadable).
    pub state: StateSpec,
    /// Bearer token the admin API requires (`admin_token_env`).
    pub admin_token: Option<String>,
    /// Without `admin_token_env`: where the admin token is read from or generated into.
    pub admin_token_file: PathBuf,
    /// `Host` names the admin API answers to besides IP literals and `localhost`.
    pub admin_hosts: Vec<String>,
    /// TLS (with client-certificate verification) on the agent listener, for `identity.mtls`.
    pub agent_tls: Option<Arc<rustls::ServerConfig>>,
    /// Connection limits of both listeners (not reloadable).
    pub listener: ListenerLimits,
    /// `egress:` (HTTPS interception, transparent listener, passthrough); not reloadable.
    pub egress: Option<super::egress::EgressSpec>,
    /// `telemetry:` as written; resolved with the `OTEL_*` variables at start.
    pub telemetry: crate::telemetry::RawTelemetry,
}

/// A name → an adapter's index in [`Snapshot::adapters`].
type NameMap = HashMap<String, usize, foldhash::fast::RandomState>;

/// Everything one request is decided with; swapped whole on reload.
pub struct Snapshot {
    pub version: String,
    pub mode: Mode,
    /// `reload.watch`: how often the files below are polled for changes.
    pub reload_every: Option<std::time::Duration>,
    /// The files and directories this snapshot was read from.
    pub watched: Arc<super::watch::Watched>,
    /// `watched`'s fingerprint right after it was read.
    pub watched_fingerprint: u64,
    pub adapters: Vec<Adapter>,
    /// (The three maps are looked up per call with names from the request: foldhash, seeded
    /// per process, in place of SipHash, ~0.2k instructions a look-up of the route's adapter:
    /// docs/performance.md, "Twenty-third round".)
    by_name: NameMap,
    by_authority: NameMap,
    /// A gRPC service's fully qualified name → the adapter that guards it.
    by_grpc_service: NameMap,
    pub policy: PolicySet,
    pub max_body_bytes: usize,
    pub max_json_depth: usize,
    /// The PII and secret detector (compiled once per snapshot).
    pub redactor: Arc<crate::redact::Redactor>,
    /// Rate limits, spend budgets, config kill switches.
    pub limits: LimitsSpec,
    /// mTLS / JWT identity and which `toolwall-*` headers the agent may set.
    pub identity: IdentitySpec,
    /// The agent listener's TLS config (`identity.mtls`): certificates and the client CA are
    /// re-read on reload and used for new connections.
    pub agent_tls: Option<Arc<rustls::ServerConfig>>,
    /// Who may approve a call that needs a human, quorum per tier, ttl, hold, webhook.
    pub approvals: super::approvals::ApprovalsSpec,
}

#[derive(Debug, Clone)]
pub struct StaticPrincipal {
    pub agent: String,
    pub tenant: Option<String>,
    pub workflow: Option<String>,
}

impl Snapshot {
    pub fn adapter_by_name(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// The gRPC adapter guarding `service` (fully qualified, `payments.v1.Payments`).
    pub fn adapter_by_grpc_service(&self, service: &str) -> Option<usize> {
        self.by_grpc_service.get(service).copied()
    }

    pub fn adapter_by_authority(&self, authority: &str) -> Option<usize> {
        self.by_authority
            .get(&authority.to_ascii_lowercase())
            .copied()
    }
}

/// Read `config_path` and everything it names. `strict_env`: a credential env var that is not
/// set is an error (for `run`) rather than a warning (for `check`).
pub fn load_snapshot(config_path: &Path, strict_env: bool) -> Result<LoadedConfig, Diags> {
    super::watch::begin();
    let loaded = load(config_path, strict_env);
    let watched = super::watch::finish();
    loaded.map(|mut l| {
        l.snapshot.watched_fingerprint = watched.fingerprint();
        l.snapshot.watched = Arc::new(watched);
        l
    })
}

fn load(config_path: &Path, strict_env: bool) -> Result<LoadedConfig, Diags> {
    super::watch::note_file(config_path);
    let text = std::fs::read_to_string(config_path)
        .map_err(|e| Diags(vec![Diag::file(config_path, format!("cannot read: {e}"))]))?;
    let raw: RawConfig = parse_yaml(config_path, &text).map_err(|d| Diags(vec![d]))?;
    let src = Located {
        file: config_path,
        spans: Spans::parse(&text),
    };
    let base = config_path.parent().unwrap_or(Path::new("."));
    let mut diags = Vec::new();
    let mut warnings = Vec::new();

    let Addresses {
        listen,
        admin,
        demo_upstream,
    } = compile_addresses(&src, &raw, &mut diags);
    let audit = raw
        .audit
        .as_ref()
        .and_then(|a| load_audit(&src, base, a).map_err(|d| diags.push(d)).ok());
    let redactor = compile_redact(&src, &raw, audit.as_ref(), &mut diags);

    let adapters_dir = base.join(&raw.adapters);
    super::watch::note_dir(&adapters_dir);
    super::watch::note_dir(&base.join(&raw.policies));
    let reload_every = compile_reload(&src, &raw, &mut diags);
    let mut hasher = Sha256::new();
    hasher.update(text.as_bytes());
    let adapters = load_adapters(
        &src,
        &adapters_dir,
        strict_env,
        &mut hasher,
        &mut diags,
        &mut warnings,
    );

    let policy = compile_policy(&raw, base, &mut diags);
    if let Some(set) = &policy {
        rvm_traps(set, &mut warnings);
    }
    let limits = super::limits::compile_section(&src, &raw, &mut diags);
    let state = compile_state(&src, &raw.state, base, &mut diags);
    let listener = compile_listener(&src, &raw.listener, &mut diags);
    let egress = super::egress::compile_section(&src, &raw.egress, base, &mut diags);
    let (telemetry, errors) = crate::telemetry::compile_section(&raw.telemetry, base);
    for (path, message) in errors {
        let (line, col) = src.spans.get(path);
        diags.push(Diag::at(src.file, line, col, message));
    }
    let admin_token = compile_admin_token(&src, &raw, admin, strict_env, &mut diags, &mut warnings);
    let approvals =
        super::approvals::compile_section(&src, &raw, strict_env, &mut diags, &mut warnings);

    let (identity, agent_tls) = super::identity::compile_section(
        &src,
        &raw.identity,
        base,
        strict_env,
        &mut diags,
        &mut warnings,
    );

    let (Some(listen), Some(admin), Some(policy), Some(limits), Some(identity), Some(redactor)) =
        (listen, admin, policy, limits, identity, redactor)
    else {
        return Err(Diags(diags));
    };
    let mode = match raw.mode_env.as_deref() {
        None => raw.mode,
        Some(var) => match std::env::var(var).ok().filter(|v| !v.is_empty()) {
            None => raw.mode,
            Some(v) if v == "enforce" => Mode::Enforce,
            Some(v) if v == "shadow" => Mode::Shadow,
            Some(got) => {
                diags.push(src.at(
                    "mode_env",
                    ConfigError::ModeEnv {
                        var: var.to_string(),
                        got,
                    },
                ));
                raw.mode
            }
        },
    };
    if !diags.is_empty() {
        return Err(Diags(diags));
    }
    hasher.update(policy.digest.as_bytes());
    let version = hex::encode(hasher.finalize())[..12].to_string();

    let mut by_name = NameMap::default();
    let mut by_authority = NameMap::default();
    let mut by_grpc_service = NameMap::default();
    for (i, a) in adapters.iter().enumerate() {
        by_name.insert(a.name.clone(), i);
        by_authority.insert(a.upstream.authority.to_ascii_lowercase(), i);
        for service in a.grpc.iter().flat_map(|g| &g.services) {
            by_grpc_service.insert(service.clone(), i);
        }
    }
    let admin_token_file = admin_token_file(&raw, base);
    let admin_hosts = raw
        .admin_hosts
        .iter()
        .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
        .collect();
    let snapshot = Snapshot {
        version,
        mode,
        reload_every,
        watched: Arc::default(),
        watched_fingerprint: 0,
        adapters,
        by_name,
        by_authority,
        by_grpc_service,
        policy,
        max_body_bytes: raw.request.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY),
        max_json_depth: raw.request.max_json_depth.unwrap_or(DEFAULT_MAX_DEPTH),
        redactor,
        limits,
        identity,
        agent_tls: agent_tls.clone(),
        approvals,
    };
    Ok(LoadedConfig {
        path: config_path.to_path_buf(),
        listen,
        admin,
        demo_upstream,
        max_in_flight: raw
            .request
            .max_in_flight
            .unwrap_or(DEFAULT_MAX_IN_FLIGHT)
            .max(1),
        audit,
        snapshot,
        warnings,
        state,
        admin_token,
        admin_token_file,
        admin_hosts,
        agent_tls,
        listener,
        egress,
        telemetry,
    })
}

/// `redact:` compiled; `hash` tokens join with the audit stream's when the deployment has an
/// HMAC key.
fn compile_redact(
    src: &Located,
    raw: &RawConfig,
    audit: Option<&AuditSettings>,
    diags: &mut Vec<Diag>,
) -> Option<Arc<crate::redact::Redactor>> {
    let mut redact_cfg = raw.redact.clone();
    if redact_cfg.hmac_key.is_none() {
        redact_cfg.hmac_key = audit.map(|a| hex::encode(&a.hmac_key));
    }
    match crate::redact::Redactor::new(&redact_cfg) {
        Ok(r) => Some(Arc::new(r)),
        Err(e) => {
            diags.push(src.at("redact", ConfigError::Redact(e)));
            None
        }
    }
}

/// The policies directory compiled (its own files carry the positions of their errors).
fn compile_reload(
    src: &Located,
    raw: &RawConfig,
    diags: &mut Vec<Diag>,
) -> Option<std::time::Duration> {
    if !raw.reload.watch {
        return None;
    }
    let Some(text) = raw.reload.interval.as_deref() else {
        return Some(super::watch::DEFAULT_INTERVAL);
    };
    match humantime::parse_duration(text) {
        Ok(d) if d >= super::watch::MIN_INTERVAL => Some(d),
        _ => {
            diags.push(src.at(
                "reload.interval",
                ConfigError::ReloadInterval(text.to_string()),
            ));
            None
        }
    }
}

fn compile_policy(raw: &RawConfig, base: &Path, diags: &mut Vec<Diag>) -> Option<PolicySet> {
    let max = raw
        .policy
        .max_instructions
        .unwrap_or(DEFAULT_MAX_INSTRUCTIONS);
    PolicySet::load(&base.join(&raw.policies), max)
        .map_err(|mut d| diags.append(&mut d))
        .ok()
}

/// Statements the regorus 0.14.1 RVM evaluates otherwise than OPA and `policy test` do (an
/// assignment from an undefined value that does not stop the body: `check --strict`'s
/// `rvm-undefined-assignment`), as warnings of every load: `check` prints them, `run` and
/// every reload log them.
fn rvm_traps(set: &PolicySet, warnings: &mut Vec<Diag>) {
    let surface = crate::policy::lint::ArgsSurface {
        tools: Vec::new(),
        open_adapters: Vec::new(),
    };
    let Ok(findings) = crate::policy::lint::lint_policy_set(set, &surface) else {
        return;
    };
    for f in findings
        .into_iter()
        .filter(|f| f.lint == crate::policy::lint::RVM_UNDEFINED_ASSIGNMENT)
    {
        warnings.push(Diag::at(
            Path::new(&f.file),
            f.line,
            f.col,
            format!("{} [{}]", f.message, f.lint),
        ));
    }
}

/// Parse a YAML document into `T`; a syntax or type error is at the position the parser names.
pub(crate) fn parse_yaml<T: serde::de::DeserializeOwned>(
    path: &Path,
    text: &str,
) -> Result<T, Diag> {
    yaml_serde::from_str(text).map_err(|e| {
        let (line, col) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((0, 0));
        // yaml errors repeat the position at the end of the message; keep the first part.
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        Diag::at(path, line, col, msg)
    })
}

/// Shared handle to the current snapshot.
pub type SharedSnapshot = Arc<arc_swap::ArcSwap<Snapshot>>;
