//! The admin API's token (`admin_token_env`, `admin_token_file`) and what the admin CLI
//! clients read from a config file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use super::compile::parse_yaml;
use super::error::ConfigError;
use super::raw::{RawConfig, StateBackend};
use super::spans::Located;
use crate::diag::Diag;

/// The admin API token (`admin_token_env`); required when `admin` is not on loopback.
pub fn compile_admin_token(
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
