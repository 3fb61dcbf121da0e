//! `state:` compiled: where counters and kill switches live (opened once at start).

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::ConfigError;
use super::raw::{RawState, StateBackend};
use super::spans::Located;
use crate::diag::Diag;

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

/// `state:` compiled.
pub fn compile_state(
    src: &Located,
    raw: &RawState,
    base: &Path,
    diags: &mut Vec<Diag>,
) -> StateSpec {
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
