//! Compile raw config + adapters + schemas + policies into an immutable [`Snapshot`].
//!
//! Everything a request needs is prepared here, off the hot path: route tables, JSON Schema
//! validators, argument coercions, credential headers, upstream clients, the policy program.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderName, HeaderValue, Method};
use sha2::{Digest, Sha256};

use super::error::ConfigError;
use super::raw::{
    AdapterKind, ArgsFrom, AuditArgs, Mode, RawAdapter, RawConfig, RawIdentity, RawListener,
    RawState, RawTool, StateBackend,
};
use super::spans::Spans;
use super::{Diag, Diags};
use crate::policy::{PolicySet, DEFAULT_MAX_INSTRUCTIONS};
use crate::stage::forward::{build_client, UpstreamClient};
use crate::stage::identify::{agent_tls_config, compile_identity, IdentitySpec};
use crate::stage::limits::LimitsSpec;

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
}

/// `listener:` compiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenerLimits {
    /// Accept (or end of the previous request) to a complete request head.
    pub header_read_timeout: Duration,
    pub max_connections: usize,
    pub admin_max_connections: usize,
}

impl Default for ListenerLimits {
    fn default() -> Self {
        ListenerLimits {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
            admin_max_connections: 64,
        }
    }
}

/// The state backend to open at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateSpec {
    Sqlite {
        path: PathBuf,
    },
    Redis {
        url: String,
        prefix: String,
        timeout: Duration,
    },
}

/// Everything one request is decided with; swapped whole on reload.
pub struct Snapshot {
    pub version: String,
    pub mode: Mode,
    pub static_principal: Option<StaticPrincipal>,
    pub adapters: Vec<Adapter>,
    by_name: HashMap<String, usize>,
    by_authority: HashMap<String, usize>,
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
}

#[derive(Debug, Clone)]
pub struct StaticPrincipal {
    pub agent: String,
    pub tenant: Option<String>,
    pub workflow: Option<String>,
}

pub struct Adapter {
    pub name: String,
    pub kind: AdapterKind,
    pub upstream: Upstream,
    pub credential: Option<(HeaderName, HeaderValue)>,
    pub timeout: Duration,
    pub client: UpstreamClient,
    routes: HashMap<Method, matchit::Router<usize>>,
    /// HTTP: the declared tools. MCP: per-tool overrides (schema, cost, risk) of what the
    /// server lists.
    pub tools: Vec<Tool>,
    /// MCP: re-pin changed tool definitions on sight (`pin: auto`).
    pub pin_auto: bool,
}

#[derive(Debug, Clone)]
pub struct Upstream {
    pub https: bool,
    /// `host[:port]` as written in the adapter (port omitted when default).
    pub authority: String,
    pub host: String,
    /// Path prefix of the upstream URL, without a trailing slash ("" for none).
    pub base_path: String,
}

/// How a string from a form, query or path parameter is typed before schema and policy see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    Integer,
    Number,
    Boolean,
}

pub struct Tool {
    pub name: String,
    /// `name`, interned for metric labels.
    pub label: &'static str,
    pub method: Method,
    pub path: String,
    pub args_from: ArgsFrom,
    pub schema: Option<jsonschema::Validator>,
    /// Schema id shown to policy and audit: the file path or `inline`.
    pub schema_ref: Option<String>,
    pub coerce: HashMap<String, Scalar>,
    /// What a 2xx answer must match (HTTP `response_schema`), checked by `stage::response`.
    pub response_schema: Option<jsonschema::Validator>,
    pub cost_usd: f64,
    /// JSON pointer to the real cost (USD) in the response.
    pub cost_pointer: Option<String>,
    pub read_only: bool,
    pub risk: serde_json::Value,
}

impl Snapshot {
    pub fn adapter_by_name(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    pub fn adapter_by_authority(&self, authority: &str) -> Option<usize> {
        self.by_authority
            .get(&authority.to_ascii_lowercase())
            .copied()
    }
}

impl Adapter {
    /// Find the tool declared for `method` + `path`, with its path parameters.
    pub fn match_tool<'p>(
        &self,
        method: &Method,
        path: &'p str,
    ) -> Option<(usize, Vec<(String, &'p str)>)> {
        let router = self.routes.get(method)?;
        let m = router.at(path).ok()?;
        let params = m.params.iter().map(|(k, v)| (k.to_string(), v)).collect();
        Some((*m.value, params))
    }
}

/// Read `config_path` and everything it names. `strict_env`: a credential env var that is not
/// set is an error (for `run`) rather than a warning (for `check`).
pub fn load_snapshot(config_path: &Path, strict_env: bool) -> Result<LoadedConfig, Diags> {
    let text = std::fs::read_to_string(config_path)
        .map_err(|e| Diags(vec![Diag::file(config_path, format!("cannot read: {e}"))]))?;
    let raw: RawConfig = parse_yaml(config_path, &text).map_err(|d| Diags(vec![d]))?;
    let src = Located {
        file: config_path,
        spans: Spans::parse(&text),
    };
    let at = |path: &str, e: ConfigError| src.at(path, e);
    let base = config_path.parent().unwrap_or(Path::new("."));
    let mut diags = Vec::new();
    let mut warnings = Vec::new();

    let addr = |field: &'static str, value: &str, diags: &mut Vec<Diag>| -> Option<SocketAddr> {
        match value.parse::<SocketAddr>() {
            Ok(a) => Some(a),
            Err(source) => {
                diags.push(at(
                    field,
                    ConfigError::Address {
                        field,
                        value: value.to_string(),
                        source,
                    },
                ));
                None
            }
        }
    };
    let listen = addr("listen", &raw.listen, &mut diags);
    let admin = addr("admin", &raw.admin, &mut diags);
    let demo_upstream = match &raw.demo_upstream {
        Some(d) => addr("demo_upstream", d, &mut diags),
        None => None,
    };

    let audit = match &raw.audit {
        None => None,
        Some(a) => match load_audit(&src, base, a) {
            Ok(s) => Some(s),
            Err(d) => {
                diags.push(d);
                None
            }
        },
    };

    let mut redact_cfg = raw.redact.clone();
    if redact_cfg.hmac_key.is_none() {
        // `hash` tokens join with the audit stream's when the deployment has an HMAC key
        redact_cfg.hmac_key = audit.as_ref().map(|a| hex::encode(&a.hmac_key));
    }
    let redactor = match crate::redact::Redactor::new(&redact_cfg) {
        Ok(r) => Some(Arc::new(r)),
        Err(e) => {
            diags.push(at("redact", ConfigError::Redact(e)));
            None
        }
    };

    let adapters_dir = base.join(&raw.adapters);
    let mut hasher = Sha256::new();
    hasher.update(text.as_bytes());
    let adapters = load_adapters(
        &adapters_dir,
        strict_env,
        &mut hasher,
        &mut diags,
        &mut warnings,
    );

    let policies_dir = base.join(&raw.policies);
    let policy = match PolicySet::load(
        &policies_dir,
        raw.policy
            .max_instructions
            .unwrap_or(DEFAULT_MAX_INSTRUCTIONS),
    ) {
        Ok(p) => Some(p),
        Err(mut d) => {
            diags.append(&mut d);
            None
        }
    };

    let limits = compile_limits(&src, &raw, &mut diags);
    let state = compile_state(&src, &raw.state, base, &mut diags);
    let listener = compile_listener(&src, &raw.listener, &mut diags);
    let admin_token = compile_admin_token(&src, &raw, admin, strict_env, &mut diags, &mut warnings);

    let (identity, agent_tls) = compile_identity_section(
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
    if !diags.is_empty() {
        return Err(Diags(diags));
    }
    hasher.update(policy.digest.as_bytes());
    let version = hex::encode(hasher.finalize())[..12].to_string();

    let mut by_name = HashMap::new();
    let mut by_authority = HashMap::new();
    for (i, a) in adapters.iter().enumerate() {
        by_name.insert(a.name.clone(), i);
        by_authority.insert(a.upstream.authority.to_ascii_lowercase(), i);
    }
    let admin_token_file = admin_token_file(&raw, base);
    let admin_hosts = raw
        .admin_hosts
        .iter()
        .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
        .collect();
    let snapshot = Snapshot {
        version,
        mode: raw.mode,
        static_principal: raw.identity.static_.map(|s| StaticPrincipal {
            agent: s.agent,
            tenant: s.tenant,
            workflow: s.workflow,
        }),
        adapters,
        by_name,
        by_authority,
        policy,
        max_body_bytes: raw.request.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY),
        max_json_depth: raw.request.max_json_depth.unwrap_or(DEFAULT_MAX_DEPTH),
        redactor,
        limits,
        identity,
        agent_tls: agent_tls.clone(),
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
    })
}

/// `limits:` and `kill:` compiled.
fn compile_limits(src: &Located, raw: &RawConfig, diags: &mut Vec<Diag>) -> Option<LimitsSpec> {
    match LimitsSpec::compile(&raw.limits, &raw.kill) {
        Ok(l) => Some(l),
        Err(errs) => {
            for e in errs {
                diags.push(src.at(leading_path(&e, "limits"), ConfigError::Limits(e.clone())));
            }
            None
        }
    }
}

/// `state:` compiled.
fn compile_state(src: &Located, raw: &RawState, base: &Path, diags: &mut Vec<Diag>) -> StateSpec {
    match raw.backend {
        StateBackend::Sqlite => {
            if raw.url.is_some() {
                diags.push(src.at("state.url", ConfigError::StateUrlNotRedis));
            }
            StateSpec::Sqlite {
                path: base.join(raw.path.as_deref().unwrap_or("state/toolwall.db")),
            }
        }
        StateBackend::Redis => match &raw.url {
            Some(url) if url.starts_with("redis://") => StateSpec::Redis {
                url: url.clone(),
                prefix: raw.prefix.clone().unwrap_or_else(|| "toolwall:".into()),
                timeout: match raw.timeout.as_deref().map(humantime::parse_duration) {
                    None => crate::state::redis::DEFAULT_TIMEOUT,
                    Some(Ok(d)) if !d.is_zero() => d,
                    Some(_) => {
                        diags.push(src.at("state.timeout", ConfigError::StateTimeout));
                        crate::state::redis::DEFAULT_TIMEOUT
                    }
                },
            },
            other => {
                let path = if other.is_some() {
                    "state.url"
                } else {
                    "state.backend"
                };
                diags.push(src.at(path, ConfigError::RedisUrl { got: other.clone() }));
                StateSpec::Redis {
                    url: String::new(),
                    prefix: String::new(),
                    timeout: crate::state::redis::DEFAULT_TIMEOUT,
                }
            }
        },
    }
}

/// `listener:` compiled.
fn compile_listener(src: &Located, raw: &RawListener, diags: &mut Vec<Diag>) -> ListenerLimits {
    let mut listener = ListenerLimits::default();
    if let Some(t) = &raw.header_read_timeout {
        match humantime::parse_duration(t) {
            Ok(d) if !d.is_zero() => listener.header_read_timeout = d,
            _ => {
                diags.push(src.at(
                    "listener.header_read_timeout",
                    ConfigError::HeaderReadTimeout(t.clone()),
                ));
            }
        }
    }
    if let Some(n) = raw.max_connections {
        listener.max_connections = n.max(1);
    }
    if let Some(n) = raw.admin_max_connections {
        listener.admin_max_connections = n.max(1);
    }
    listener
}

/// The admin API token (`admin_token_env`); required when `admin` is not on loopback.
fn compile_admin_token(
    src: &Located,
    raw: &RawConfig,
    admin: Option<SocketAddr>,
    strict_env: bool,
    diags: &mut Vec<Diag>,
    warnings: &mut Vec<Diag>,
) -> Option<String> {
    match &raw.admin_token_env {
        None => {
            if admin.is_some_and(|a| !a.ip().is_loopback()) {
                diags.push(src.at("admin", ConfigError::AdminNotLoopback));
            }
            None
        }
        Some(env) => match std::env::var(env) {
            Ok(t) if !t.trim().is_empty() => Some(t.trim().to_string()),
            _ => {
                let d = src.at(
                    "admin_token_env",
                    ConfigError::AdminTokenEnvUnset(env.clone()),
                );
                if strict_env {
                    diags.push(d);
                } else {
                    warnings.push(d);
                }
                None
            }
        },
    }
}

/// `identity:` compiled, with the agent listener's TLS config for `identity.mtls`.
fn compile_identity_section(
    src: &Located,
    raw: &RawIdentity,
    base: &Path,
    strict_env: bool,
    diags: &mut Vec<Diag>,
    warnings: &mut Vec<Diag>,
) -> (Option<IdentitySpec>, Option<Arc<rustls::ServerConfig>>) {
    let identity_err = |e: String, diags: &mut Vec<Diag>| {
        diags.push(src.at(
            leading_path(&e, "identity"),
            ConfigError::Identity(e.clone()),
        ));
    };
    let mut identity_warnings = Vec::new();
    let identity = match compile_identity(raw, base, strict_env, &mut identity_warnings) {
        Ok(i) => Some(i),
        Err(e) => {
            identity_err(e, diags);
            None
        }
    };
    for w in identity_warnings {
        warnings.push(src.at(
            leading_path(&w, "identity.jwt.hs256_secret_env"),
            ConfigError::Identity(w.clone()),
        ));
    }
    let agent_tls = match &raw.mtls {
        None => None,
        Some(m) => {
            let others = raw.jwt.is_some() || raw.static_.is_some();
            match agent_tls_config(m, base, others) {
                Ok(c) => Some(c),
                Err(e) => {
                    identity_err(e, diags);
                    None
                }
            }
        }
    };

    (identity, agent_tls)
}

/// A config file and where each of its values is written.
struct Located<'a> {
    file: &'a Path,
    spans: Spans,
}

impl Located<'_> {
    /// A diagnostic at the value a YAML path names (or its nearest written ancestor).
    fn at(&self, path: &str, e: ConfigError) -> Diag {
        let (l, c) = self.spans.get(path);
        Diag::at(self.file, l, c, e.to_string())
    }
}

/// The audit stream settings, with the signing and HMAC keys loaded.
pub struct AuditSettings {
    pub writer: crate::audit::WriterOptions,
    pub hmac_key: Vec<u8>,
    pub args: AuditArgs,
    /// For `args: encrypted`.
    pub auditor: Option<crate::audit::AuditorPublicKey>,
}

fn load_audit(src: &Located, base: &Path, a: &super::raw::RawAudit) -> Result<AuditSettings, Diag> {
    let at = |path: &str, e: ConfigError| src.at(path, e);
    let key_path = base.join(&a.key);
    let signer = crate::audit::AuditSigner::load(&key_path)
        .map_err(|e| at("audit.key", ConfigError::AuditKey(e)))?;
    let hmac_rel = a.hmac_key.clone().unwrap_or_else(|| {
        Path::new(&a.key)
            .with_file_name("hmac.key")
            .display()
            .to_string()
    });
    let hmac_path = base.join(&hmac_rel);
    let hmac_text = std::fs::read_to_string(&hmac_path).map_err(|source| {
        at(
            "audit.hmac_key",
            ConfigError::HmacKeyRead {
                path: hmac_path.display().to_string(),
                source,
            },
        )
    })?;
    let hmac_key = hex::decode(hmac_text.trim())
        .ok()
        .filter(|k| k.len() >= 16)
        .ok_or_else(|| {
            at(
                "audit.hmac_key",
                ConfigError::HmacKeyShort {
                    path: hmac_path.display().to_string(),
                },
            )
        })?;
    let mut writer = crate::audit::WriterOptions::new(
        base.join(&a.dir),
        a.stream.as_deref().unwrap_or("toolwall"),
        signer,
    );
    if let Some(b) = a.rotate_bytes {
        writer.rotate_bytes = b.max(4096);
    }
    if let Some(n) = a.checkpoint.every_records {
        writer.checkpoint_every = n.max(1);
    }
    if let Some(n) = a.queue {
        writer.queue = n.max(1);
    }
    if let Some(every) = &a.checkpoint.every {
        writer.checkpoint_interval = humantime::parse_duration(every)
            .map_err(|e| at("audit.checkpoint.every", ConfigError::CheckpointEvery(e)))?;
    }
    writer.sync = match a.sync {
        super::raw::AuditSync::None => crate::audit::SyncMode::None,
        super::raw::AuditSync::Batch => crate::audit::SyncMode::Batch,
        super::raw::AuditSync::Always => crate::audit::SyncMode::Always,
    };
    let auditor = match (&a.auditor_key, a.args) {
        (Some(p), _) => Some(
            crate::audit::AuditorPublicKey::load(&base.join(p))
                .map_err(|e| at("audit.auditor_key", ConfigError::AuditorKey(e)))?,
        ),
        (None, AuditArgs::Encrypted) => {
            return Err(at("audit.args", ConfigError::EncryptedNeedsAuditorKey))
        }
        (None, _) => None,
    };
    Ok(AuditSettings {
        writer,
        hmac_key,
        args: a.args,
        auditor,
    })
}

/// The admin token file of a config: `admin_token_file`, else `admin.token` beside the SQLite
/// state file, else beside the config file.
pub fn admin_token_file(raw: &RawConfig, base: &Path) -> PathBuf {
    if let Some(f) = &raw.admin_token_file {
        return base.join(f);
    }
    match raw.state.backend {
        StateBackend::Sqlite => {
            let db = base.join(raw.state.path.as_deref().unwrap_or("state/toolwall.db"));
            db.parent().unwrap_or(base).join("admin.token")
        }
        StateBackend::Redis => base.join("admin.token"),
    }
}

/// What the admin CLI clients (`toolwall kill`, `toolwall mcp pin`) need from a config file:
/// the admin address, the token's environment variable if named, and the token file.
pub struct AdminClientSettings {
    pub admin: String,
    pub token_env: Option<String>,
    pub token_file: PathBuf,
}

pub fn admin_client_settings(config_path: &Path) -> Result<AdminClientSettings, String> {
    let text = std::fs::read_to_string(config_path)
        .map_err(|e| format!("{}: cannot read: {e}", config_path.display()))?;
    let raw: RawConfig = parse_yaml(config_path, &text).map_err(|d| d.to_string())?;
    let base = config_path.parent().unwrap_or(Path::new("."));
    Ok(AdminClientSettings {
        admin: raw.admin.clone(),
        token_env: raw.admin_token_env.clone(),
        token_file: admin_token_file(&raw, base),
    })
}

/// The YAML path an error message starts with (`limits.rate[1]: …`, `identity.jwt.jwks_file x: …`)
/// when it lies under `fallback`'s top-level key; else `fallback`.
fn leading_path<'m>(msg: &'m str, fallback: &'m str) -> &'m str {
    let root = fallback.split(['.', '[']).next().unwrap_or(fallback);
    let token = msg.split([':', ' ']).next().unwrap_or("");
    let under_root = token
        .strip_prefix(root)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']));
    if under_root {
        token
    } else {
        fallback
    }
}

fn parse_yaml<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T, Diag> {
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

fn load_adapters(
    dir: &Path,
    strict_env: bool,
    hasher: &mut Sha256,
    diags: &mut Vec<Diag>,
    warnings: &mut Vec<Diag>,
) -> Vec<Adapter> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
            .collect(),
        Err(e) => {
            diags.push(Diag::file(
                dir,
                format!("cannot read adapter directory: {e}"),
            ));
            return Vec::new();
        }
    };
    files.sort();
    let mut adapters: Vec<Adapter> = Vec::new();
    let mut tool_names: HashMap<String, PathBuf> = HashMap::new();
    for file in files {
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) => {
                diags.push(Diag::file(&file, format!("cannot read: {e}")));
                continue;
            }
        };
        // the name inside the adapter directory: the version does not depend on where it is
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        hasher.update(name.unwrap_or_default().as_bytes());
        hasher.update([0]);
        hasher.update(text.as_bytes());
        let raw: RawAdapter = match parse_yaml(&file, &text) {
            Ok(r) => r,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        let file_ref: &Path = &file;
        let spans = Spans::parse(&text);
        // a diagnostic at the value a YAML path names (or its nearest written ancestor)
        let at = |path: &str| {
            let (l, c) = spans.get(path);
            move |e: ConfigError| Diag::at(file_ref, l, c, e.to_string())
        };
        if adapters.iter().any(|a| a.name == raw.name) {
            diags.push(at("name")(ConfigError::AdapterNameTaken(raw.name.clone())));
            continue;
        }
        if raw.name.is_empty() || raw.name.contains(['/', '.', ' ']) {
            diags.push(at("name")(ConfigError::AdapterName(raw.name.clone())));
            continue;
        }
        if raw.kind == AdapterKind::Grpc {
            diags.push(at("kind")(ConfigError::AdapterKind(raw.kind.as_str())));
            continue;
        }
        let upstream = match parse_upstream(&raw.upstream) {
            Ok(u) => u,
            Err(m) => {
                diags.push(at("upstream")(ConfigError::Upstream(m)));
                continue;
            }
        };
        if adapters.iter().any(|a| {
            a.upstream
                .authority
                .eq_ignore_ascii_case(&upstream.authority)
        }) {
            diags.push(at("upstream")(ConfigError::UpstreamTaken(
                upstream.authority.clone(),
            )));
            continue;
        }
        let timeout = match raw.timeout.as_deref().map(humantime::parse_duration) {
            None => DEFAULT_TIMEOUT,
            Some(Ok(d)) => d,
            Some(Err(e)) => {
                diags.push(at("timeout")(ConfigError::Timeout(e)));
                continue;
            }
        };
        let credential = match &raw.credentials {
            None => None,
            Some(c) => {
                let name = match HeaderName::from_bytes(c.header.as_bytes()) {
                    Ok(n) => n,
                    Err(_) => {
                        diags.push(at("credentials.header")(ConfigError::CredentialHeader(
                            c.header.clone(),
                        )));
                        continue;
                    }
                };
                match std::env::var(&c.env) {
                    Ok(secret) => match HeaderValue::from_str(&format!("{}{}", c.prefix, secret)) {
                        Ok(mut v) => {
                            v.set_sensitive(true);
                            Some((name, v))
                        }
                        Err(_) => {
                            diags.push(at("credentials.env")(ConfigError::CredentialValue(
                                c.env.clone(),
                            )));
                            continue;
                        }
                    },
                    Err(_) => {
                        let d =
                            at("credentials.env")(ConfigError::CredentialEnvUnset(c.env.clone()));
                        if strict_env {
                            diags.push(d);
                            continue;
                        }
                        warnings.push(d);
                        None
                    }
                }
            }
        };
        let extra_ca = match raw.tls.as_ref().and_then(|t| t.ca.as_ref()) {
            None => None,
            Some(ca) => {
                let p = file.parent().unwrap_or(Path::new(".")).join(ca);
                match load_pem_certs(&p) {
                    Ok(certs) => Some(certs),
                    Err(m) => {
                        diags.push(at("tls.ca")(ConfigError::Ca(m)));
                        continue;
                    }
                }
            }
        };
        let client = match build_client(extra_ca.as_deref()) {
            Ok(c) => c,
            Err(m) => {
                diags.push(Diag::file(&file, ConfigError::Client(m).to_string()));
                continue;
            }
        };

        let mut routes: HashMap<Method, matchit::Router<usize>> = HashMap::new();
        let mut tools = Vec::new();
        for (i, rt) in raw.tools.into_iter().enumerate() {
            // `sub`: the path below this tool, e.g. `.match.path` (`tools[3].match.path`)
            let at_tool = |sub: &str| at(&format!("tools[{i}]{sub}"));
            match compile_tool(&file, &raw.name, raw.kind, rt, &at_tool) {
                Ok(tool) if raw.kind == AdapterKind::Mcp => {
                    if tools.iter().any(|t: &Tool| t.name == tool.name) {
                        diags.push(at_tool(".name")(ConfigError::ToolTwice(tool.name)));
                        continue;
                    }
                    tools.push(tool);
                }
                Ok(tool) => {
                    if let Some(other) = tool_names.get(&tool.name) {
                        diags.push(at_tool(".name")(ConfigError::ToolElsewhere {
                            tool: tool.name,
                            other: other.display().to_string(),
                        }));
                        continue;
                    }
                    let router = routes.entry(tool.method.clone()).or_default();
                    if let Err(source) = router.insert(tool.path.clone(), tools.len()) {
                        diags.push(at_tool(".match.path")(ConfigError::PathConflict {
                            path: tool.path,
                            method: tool.method,
                            source,
                        }));
                        continue;
                    }
                    tool_names.insert(tool.name.clone(), file.clone());
                    tools.push(tool);
                }
                Err(d) => diags.push(d),
            }
        }
        adapters.push(Adapter {
            name: raw.name,
            kind: raw.kind,
            upstream,
            credential,
            timeout,
            client,
            routes,
            tools,
            pin_auto: raw.pin == crate::config::raw::PinMode::Auto,
        });
    }
    adapters
}

fn compile_tool<F, G>(
    file: &Path,
    adapter: &str,
    kind: AdapterKind,
    rt: RawTool,
    at: &F,
) -> Result<Tool, Diag>
where
    F: Fn(&str) -> G,
    G: FnOnce(ConfigError) -> Diag,
{
    let name = if rt.name.starts_with(&format!("{adapter}.")) {
        rt.name.clone()
    } else {
        format!("{adapter}.{}", rt.name)
    };
    let (method, path) = match (&rt.match_, kind) {
        (Some(m), AdapterKind::Http) => {
            let method = Method::from_bytes(m.method.to_ascii_uppercase().as_bytes())
                .map_err(|_| at(".match.method")(ConfigError::Method(m.method.clone())))?;
            if !m.path.starts_with('/') {
                return Err(at(".match.path")(ConfigError::PathSlash(m.path.clone())));
            }
            (method, m.path.clone())
        }
        (None, AdapterKind::Http) => return Err(at("")(ConfigError::MatchRequired(name))),
        (Some(_), _) => return Err(at(".match")(ConfigError::MatchOnMcp(name))),
        (None, _) => (Method::POST, String::new()),
    };
    let (schema_value, schema_ref) = match &rt.schema {
        None => (None, None),
        Some(yaml_serde::Value::String(rel)) => {
            let p = file.parent().unwrap_or(Path::new(".")).join(rel);
            let text = std::fs::read_to_string(&p).map_err(|source| {
                at(".schema")(ConfigError::SchemaRead {
                    rel: rel.clone(),
                    source,
                })
            })?;
            let v = crate::json::parse_strict(text.as_bytes(), 128)
                .map_err(|e| Diag::file(&p, ConfigError::SchemaJson(e.to_string()).to_string()))?;
            (Some(v), Some(rel.clone()))
        }
        Some(inline) => {
            let v = serde_json::to_value(inline)
                .map_err(|e| at(".schema")(ConfigError::InlineSchema(e)))?;
            (Some(v), Some("inline".to_string()))
        }
    };
    let schema = match &schema_value {
        None => None,
        Some(v) => Some(jsonschema::draft202012::new(v).map_err(|e| {
            at(".schema")(ConfigError::InvalidSchema {
                tool: name.clone(),
                message: e.to_string(),
            })
        })?),
    };
    let coerce = schema_value.as_ref().map(coercions).unwrap_or_default();
    let response_schema =
        compile_response_schema(file, &name, kind, rt.response_schema.as_ref(), at)?;
    if let Some(cost) = rt.cost_usd {
        if !(cost.is_finite() && cost >= 0.0) {
            return Err(at(".cost_usd")(ConfigError::CostUsd(name)));
        }
    }
    if let Some(p) = &rt.cost_from_response {
        if !(p.is_empty() || p.starts_with('/')) {
            return Err(at(".cost_from_response")(ConfigError::CostPointer {
                tool: name,
                pointer: p.clone(),
            }));
        }
        // The estimate is what concurrent calls reserve: without one they would all be
        // admitted while the budget still has any room (spend bounded only by concurrency).
        if !rt.cost_usd.is_some_and(|c| c > 0.0) {
            return Err(at(".cost_from_response")(ConfigError::CostNeedsEstimate(
                name,
            )));
        }
    }
    let mut risk = serde_json::Map::new();
    for (k, v) in rt.risk {
        risk.insert(k, v);
    }
    Ok(Tool {
        label: crate::metrics::intern(&name),
        name,
        method,
        path,
        args_from: rt.args,
        schema,
        schema_ref,
        coerce,
        response_schema,
        cost_usd: rt.cost_usd.unwrap_or(0.0),
        cost_pointer: rt.cost_from_response.clone(),
        read_only: rt.read_only,
        risk: serde_json::Value::Object(risk),
    })
}

/// A tool's `response_schema:`, resolved as `schema:` (a path relative to the adapter file,
/// or inline) and compiled once here: a request never compiles a schema.
fn compile_response_schema<F, G>(
    file: &Path,
    name: &str,
    kind: AdapterKind,
    raw: Option<&yaml_serde::Value>,
    at: &F,
) -> Result<Option<jsonschema::Validator>, Diag>
where
    F: Fn(&str) -> G,
    G: FnOnce(ConfigError) -> Diag,
{
    let Some(raw) = raw else {
        return Ok(None);
    };
    if kind != AdapterKind::Http {
        return Err(at(".response_schema")(ConfigError::ResponseSchemaOnMcp(
            name.to_string(),
        )));
    }
    let value = match raw {
        yaml_serde::Value::String(rel) => {
            let p = file.parent().unwrap_or(Path::new(".")).join(rel);
            let text = std::fs::read_to_string(&p).map_err(|source| {
                at(".response_schema")(ConfigError::ResponseSchemaRead {
                    rel: rel.clone(),
                    source,
                })
            })?;
            crate::json::parse_strict(text.as_bytes(), 128).map_err(|e| {
                Diag::file(
                    &p,
                    ConfigError::ResponseSchemaJson(e.to_string()).to_string(),
                )
            })?
        }
        inline => serde_json::to_value(inline)
            .map_err(|e| at(".response_schema")(ConfigError::InlineResponseSchema(e)))?,
    };
    jsonschema::draft202012::new(&value).map(Some).map_err(|e| {
        at(".response_schema")(ConfigError::InvalidResponseSchema {
            tool: name.to_string(),
            message: e.to_string(),
        })
    })
}

/// Top-level properties whose declared type is integer, number or boolean.
fn coercions(schema: &serde_json::Value) -> HashMap<String, Scalar> {
    let mut out = HashMap::new();
    let Some(props) = schema.get("properties").and_then(|p| p.as_object()) else {
        return out;
    };
    for (name, prop) in props {
        let types: Vec<&str> = match prop.get("type") {
            Some(serde_json::Value::String(s)) => vec![s.as_str()],
            Some(serde_json::Value::Array(a)) => a.iter().filter_map(|t| t.as_str()).collect(),
            _ => continue,
        };
        if types.contains(&"string") {
            continue;
        }
        let scalar = if types.contains(&"integer") {
            Scalar::Integer
        } else if types.contains(&"number") {
            Scalar::Number
        } else if types.contains(&"boolean") {
            Scalar::Boolean
        } else {
            continue;
        };
        out.insert(name.clone(), scalar);
    }
    out
}

fn parse_upstream(s: &str) -> Result<Upstream, String> {
    let uri: http::Uri = s
        .parse()
        .map_err(|e| format!("upstream `{s}` is not a URL: {e}"))?;
    let https = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => {
            return Err(format!(
                "upstream `{s}` must start with http:// or https://"
            ))
        }
    };
    let auth = uri
        .authority()
        .ok_or_else(|| format!("upstream `{s}` has no host"))?;
    let default_port = if https { 443 } else { 80 };
    let authority = match auth.port_u16() {
        Some(p) if p != default_port => format!("{}:{p}", auth.host()),
        _ => auth.host().to_string(),
    };
    if uri.query().is_some() {
        return Err(format!("upstream `{s}` must not have a query string"));
    }
    Ok(Upstream {
        https,
        authority,
        host: auth.host().to_string(),
        base_path: uri.path().trim_end_matches('/').to_string(),
    })
}

pub fn load_pem_certs(
    path: &Path,
) -> Result<Vec<rustls_pki_types::CertificateDer<'static>>, String> {
    use rustls_pki_types::pem::PemObject;
    let certs: Result<Vec<_>, _> = rustls_pki_types::CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .collect();
    let certs = certs.map_err(|e| format!("{}: bad PEM: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificates found", path.display()));
    }
    Ok(certs)
}

/// Shared handle to the current snapshot.
pub type SharedSnapshot = Arc<arc_swap::ArcSwap<Snapshot>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_forms() {
        let u = parse_upstream("https://api.stripe.com").expect("ok");
        assert_eq!(
            (u.https, u.authority.as_str(), u.base_path.as_str()),
            (true, "api.stripe.com", "")
        );
        let u = parse_upstream("http://127.0.0.1:8081/base/").expect("ok");
        assert_eq!(
            (u.https, u.authority.as_str(), u.base_path.as_str()),
            (false, "127.0.0.1:8081", "/base")
        );
        let u = parse_upstream("http://example.com:80").expect("ok");
        assert_eq!(u.authority, "example.com");
        assert!(parse_upstream("ftp://x").is_err());
        assert!(parse_upstream("http://x/?a=1").is_err());
    }

    #[test]
    fn coercions_from_schema() {
        let s = serde_json::json!({"properties": {
            "amount": {"type": "integer"}, "rate": {"type": ["number", "null"]},
            "live": {"type": "boolean"}, "id": {"type": "string"}, "either": {"type": ["string", "integer"]}}});
        let c = coercions(&s);
        assert_eq!(c.get("amount"), Some(&Scalar::Integer));
        assert_eq!(c.get("rate"), Some(&Scalar::Number));
        assert_eq!(c.get("live"), Some(&Scalar::Boolean));
        assert_eq!(c.get("id"), None);
        assert_eq!(c.get("either"), None);
    }
}
