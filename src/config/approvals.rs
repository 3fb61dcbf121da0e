//! `approvals:` compiled: how long an approval request stays open (`ttl`), how long the agent's
//! call is held open waiting for it (`hold`), who may decide (approvers, each with a bearer
//! token of their own read from the environment), how many distinct approvers each tier needs
//! (`tiers`), and where approval events are announced (`notify`, a signed webhook).
//!
//! Approver tokens are kept only as SHA-256 digests and compared in constant time
//! ([`ApprovalsSpec::approver_for_token`]); neither they nor the webhook secret appear in
//! `Debug` output.

use std::collections::BTreeMap;
use std::time::Duration;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::{AtPath, ConfigError};
use super::raw::{RawApprovals, RawConfig};
use super::spans::Located;
use crate::diag::Diag;

/// A request not decided within this is expired (and counts as denied).
pub const DEFAULT_TTL: Duration = Duration::from_secs(24 * 3600);
/// The tier of a request whose policy names none.
pub const DEFAULT_TIER: &str = "default";

/// Everything the approval flow needs from config.
#[derive(Debug, Clone)]
pub struct ApprovalsSpec {
    /// How long a request stays open; an expired request is denied.
    pub ttl: Duration,
    /// `> 0`: the agent's call is held open this long and released on approval.
    pub hold: Duration,
    pub approvers: Vec<Approver>,
    /// Quorum per tier name; always has [`DEFAULT_TIER`].
    pub tiers: BTreeMap<String, Tier>,
    pub notify: Option<Notify>,
    /// The approval page as approvers reach it (`approvals.ui_url`), without a trailing
    /// slash: MCP clients that take URL-mode elicitation are pointed at `<ui_url>#<id>`.
    pub ui_url: Option<String>,
}

/// Someone who may approve or deny, and a digest of their bearer token.
#[derive(Clone)]
pub struct Approver {
    pub name: String,
    token_hash: [u8; 32],
}

impl Approver {
    pub fn new(name: impl Into<String>, token: &str) -> Approver {
        Approver {
            name: name.into(),
            token_hash: Sha256::digest(token.as_bytes()).into(),
        }
    }
}

impl std::fmt::Debug for Approver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Approver")
            .field("name", &self.name)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// How many distinct approvers a request of one tier needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tier {
    pub quorum: u32,
}

/// Where approval events are POSTed, and the key their bodies are signed with
/// (`crate::webhook::sign`).
#[derive(Clone)]
pub struct Notify {
    pub url: http::Uri,
    pub secret: Vec<u8>,
    /// The admin API's base URL as approvers reach it, without a trailing slash: the events'
    /// `approve_url`, `deny_url` and `ui_url` are built on it.
    pub admin_url: Option<String>,
}

impl std::fmt::Debug for Notify {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // the path and query of a webhook URL often carry a secret too (Slack, Teams)
        let origin = format!(
            "{}://{}/…",
            self.url.scheme_str().unwrap_or_default(),
            self.url.authority().map(|a| a.as_str()).unwrap_or_default()
        );
        f.debug_struct("Notify")
            .field("url", &origin)
            .field("secret", &"<redacted>")
            .field("admin_url", &self.admin_url)
            .finish()
    }
}

impl Default for ApprovalsSpec {
    /// No `approvals:` section: 24h, no hold, nobody may approve (a call that needs approval
    /// is never forwarded), a default tier of one approver, no webhook.
    fn default() -> Self {
        ApprovalsSpec {
            ttl: DEFAULT_TTL,
            hold: Duration::ZERO,
            approvers: Vec::new(),
            tiers: BTreeMap::from([(DEFAULT_TIER.to_string(), Tier { quorum: 1 })]),
            notify: None,
            ui_url: None,
        }
    }
}

impl ApprovalsSpec {
    /// The approver a bearer token names, if any. Every approver's digest is compared, each in
    /// constant time; an empty token names nobody.
    pub fn approver_for_token(&self, token: &str) -> Option<&Approver> {
        if token.is_empty() {
            return None;
        }
        let presented: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let mut found = None;
        for a in &self.approvers {
            let eq = bool::from(a.token_hash.ct_eq(&presented));
            if eq && found.is_none() {
                found = Some(a);
            }
        }
        found
    }

    /// The approval page as approvers reach it: `ui_url`, else `<notify.admin_url>/ui`.
    pub fn approval_page(&self) -> Option<String> {
        if let Some(page) = &self.ui_url {
            return Some(page.clone());
        }
        self.notify
            .as_ref()
            .and_then(|n| n.admin_url.as_deref())
            .map(|base| format!("{base}/ui"))
    }

    /// A tier by the name a policy gave (`None`: [`DEFAULT_TIER`]), with its canonical name.
    /// A name that is not configured is `None`: the caller refuses the call rather than guess
    /// a quorum.
    pub fn tier(&self, name: Option<&str>) -> Option<(&str, Tier)> {
        let name = name.unwrap_or(DEFAULT_TIER);
        self.tiers
            .get_key_value(name)
            .map(|(k, t)| (k.as_str(), *t))
    }

    /// Compile `approvals:`. `env` reads an environment variable. `strict_env`: an unset or
    /// empty `token_env` / `secret_env` is an error (`run`); otherwise (`check`) it goes to
    /// `warnings` and that approver (or the webhook) is left out. Every error is at the value
    /// it is about.
    pub fn compile(
        raw: &RawApprovals,
        env: &dyn Fn(&str) -> Option<String>,
        strict_env: bool,
        warnings: &mut Vec<AtPath>,
    ) -> Result<ApprovalsSpec, Vec<AtPath>> {
        let mut errors = Vec::new();
        let mut unset = |e: AtPath, errors: &mut Vec<AtPath>| {
            if strict_env {
                errors.push(e);
            } else {
                warnings.push(e);
            }
        };
        let ttl = match raw.ttl.as_deref().map(humantime::parse_duration) {
            None => DEFAULT_TTL,
            Some(Ok(d)) if d.is_zero() => {
                errors.push(ConfigError::ApprovalsTtlZero.at("approvals.ttl"));
                DEFAULT_TTL
            }
            Some(Ok(d)) => d,
            Some(Err(e)) => {
                errors.push(ConfigError::ApprovalsTtl(e).at("approvals.ttl"));
                DEFAULT_TTL
            }
        };
        let hold = match raw.hold.as_deref().map(humantime::parse_duration) {
            None => Duration::ZERO,
            Some(Ok(d)) => d,
            Some(Err(e)) => {
                errors.push(ConfigError::ApprovalsHold(e).at("approvals.hold"));
                Duration::ZERO
            }
        };
        if errors.is_empty() && hold > ttl {
            errors.push(
                ConfigError::ApprovalsHoldOverTtl {
                    hold: humantime::format_duration(hold).to_string(),
                    ttl: humantime::format_duration(ttl).to_string(),
                }
                .at("approvals.hold"),
            );
        }

        if raw.approvers.is_empty() {
            errors.push(ConfigError::ApproversNone.at("approvals"));
        }
        let mut approvers: Vec<Approver> = Vec::new();
        // name → index, token env → index, token digest → index (of `raw.approvers`)
        let mut names: BTreeMap<&str, usize> = BTreeMap::new();
        let mut envs: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, a) in raw.approvers.iter().enumerate() {
            let at = |key: &str| format!("approvals.approvers[{i}].{key}");
            if a.name.trim().is_empty() || a.name.chars().any(char::is_control) {
                errors.push(ConfigError::ApproverName(i).at(at("name")));
                continue;
            }
            if names.insert(&a.name, i).is_some() {
                errors.push(
                    ConfigError::ApproverNameTaken {
                        index: i,
                        name: a.name.clone(),
                    }
                    .at(at("name")),
                );
                continue;
            }
            let taken = |other: usize| ConfigError::ApproverTokenTaken {
                index: i,
                name: a.name.clone(),
                other: raw.approvers[other].name.clone(),
                env: a.token_env.clone(),
            };
            if let Some(&other) = envs.get(a.token_env.as_str()) {
                errors.push(taken(other).at(at("token_env")));
                continue;
            }
            envs.insert(&a.token_env, i);
            let token = env(&a.token_env)
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty());
            let Some(token) = token else {
                let e = ConfigError::ApproverTokenUnset {
                    index: i,
                    name: a.name.clone(),
                    env: a.token_env.clone(),
                };
                unset(e.at(at("token_env")), &mut errors);
                continue;
            };
            let approver = Approver::new(a.name.clone(), &token);
            let same = approvers
                .iter()
                .find(|b| bool::from(b.token_hash.ct_eq(&approver.token_hash)));
            if let Some(other) = same {
                let other = names.get(other.name.as_str()).copied().unwrap_or(i);
                errors.push(taken(other).at(at("token_env")));
                continue;
            }
            approvers.push(approver);
        }

        let tiers = match &raw.tiers {
            None => ApprovalsSpec::default().tiers,
            Some(tiers) => {
                let mut out = BTreeMap::new();
                for (name, t) in tiers {
                    let at = format!("approvals.tiers.{name}.quorum");
                    if name.trim().is_empty() {
                        errors.push(ConfigError::TierName.at("approvals.tiers"));
                    } else if t.quorum == 0 {
                        errors.push(ConfigError::TierQuorumZero(name.clone()).at(at));
                    } else if t.quorum as usize > raw.approvers.len() && !raw.approvers.is_empty() {
                        errors.push(
                            ConfigError::TierQuorumTooLarge {
                                tier: name.clone(),
                                quorum: t.quorum,
                                approvers: raw.approvers.len(),
                            }
                            .at(at),
                        );
                    } else {
                        out.insert(name.clone(), Tier { quorum: t.quorum });
                    }
                }
                if !tiers.contains_key(DEFAULT_TIER) {
                    errors.push(ConfigError::TierDefaultMissing.at("approvals.tiers"));
                }
                out
            }
        };

        let notify = match &raw.notify {
            None => None,
            Some(n) => {
                let url = parse_webhook(&n.webhook).map_err(|e| errors.push(e)).ok();
                let admin_url = match n.admin_url.as_deref().map(parse_admin_url) {
                    None => None,
                    Some(Ok(u)) => Some(u),
                    Some(Err(e)) => {
                        errors.push(e);
                        None
                    }
                };
                let secret = env(&n.secret_env).filter(|s| !s.trim().is_empty());
                if secret.is_none() {
                    let e = ConfigError::WebhookSecretUnset(n.secret_env.clone());
                    unset(e.at("approvals.notify.secret_env"), &mut errors);
                }
                match (url, secret) {
                    (Some(url), Some(secret)) => Some(Notify {
                        url,
                        secret: secret.into_bytes(),
                        admin_url,
                    }),
                    _ => None,
                }
            }
        };

        let ui_url = match raw.ui_url.as_deref().map(parse_ui_url) {
            None => None,
            Some(Ok(u)) => Some(u),
            Some(Err(e)) => {
                errors.push(e);
                None
            }
        };

        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ApprovalsSpec {
            ttl,
            hold,
            approvers,
            tiers,
            notify,
            ui_url,
        })
    }
}

/// `approvals.notify.webhook`: an absolute http(s) URL with a host.
fn parse_webhook(s: &str) -> Result<http::Uri, AtPath> {
    let at = "approvals.notify.webhook";
    let scheme = s
        .split_once("://")
        .map(|(scheme, _)| scheme.to_ascii_lowercase());
    if !matches!(scheme.as_deref(), Some("http" | "https")) {
        return Err(ConfigError::WebhookScheme(s.to_string()).at(at));
    }
    let uri: http::Uri = s.parse().map_err(|source| {
        ConfigError::WebhookNotUrl {
            url: s.to_string(),
            source,
        }
        .at(at)
    })?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(ConfigError::WebhookScheme(s.to_string()).at(at));
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(ConfigError::WebhookNoHost(s.to_string()).at(at));
    }
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        return Err(ConfigError::WebhookUserinfo.at(at));
    }
    Ok(uri)
}

/// `approvals.ui_url`: an absolute http(s) URL with a host, no user:password@, no query or
/// fragment; returned without a trailing slash.
fn parse_ui_url(s: &str) -> Result<String, AtPath> {
    let bad = || ConfigError::ApprovalsUiUrl(s.to_string()).at("approvals.ui_url");
    let lower = s.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(bad());
    }
    let uri: http::Uri = s.parse().map_err(|_| bad())?;
    if uri.host().is_none_or(str::is_empty)
        || uri.authority().is_some_and(|a| a.as_str().contains('@'))
        || uri.query().is_some()
        || s.contains('#')
    {
        return Err(bad());
    }
    Ok(s.trim_end_matches('/').to_string())
}

/// `approvals.notify.admin_url`: an absolute http(s) URL with a host, no user:password@, no
/// query or fragment; returned without a trailing slash (a path prefix is kept, for an admin
/// API behind a reverse proxy).
fn parse_admin_url(s: &str) -> Result<String, AtPath> {
    let at = "approvals.notify.admin_url";
    let bad = || ConfigError::NotifyAdminUrl(s.to_string()).at(at);
    let lower = s.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(bad());
    }
    let uri: http::Uri = s.parse().map_err(|_| bad())?;
    if uri.host().is_none_or(str::is_empty)
        || uri.authority().is_some_and(|a| a.as_str().contains('@'))
        || uri.query().is_some()
        || s.contains('#')
    {
        return Err(bad());
    }
    Ok(s.trim_end_matches('/').to_string())
}

/// `approvals:` compiled for `load_snapshot` (the defaults when the section is absent); errors
/// go to `diags` (the spec returned is then the default and the load fails).
pub fn compile_section(
    src: &Located,
    raw: &RawConfig,
    strict_env: bool,
    diags: &mut Vec<Diag>,
    warnings: &mut Vec<Diag>,
) -> ApprovalsSpec {
    let Some(raw) = &raw.approvals else {
        return ApprovalsSpec::default();
    };
    let mut section_warnings = Vec::new();
    let env = |name: &str| std::env::var(name).ok();
    let spec = ApprovalsSpec::compile(raw, &env, strict_env, &mut section_warnings);
    warnings.extend(section_warnings.into_iter().map(|w| src.diag(w)));
    spec.unwrap_or_else(|errors| {
        diags.extend(errors.into_iter().map(|e| src.diag(e)));
        ApprovalsSpec::default()
    })
}

#[cfg(test)]
mod tests;
