//! `listen`, `admin`, `demo_upstream` and `listener:` compiled: the addresses and connection
//! limits of both listeners (not reloadable).

use std::net::SocketAddr;
use std::time::Duration;

use super::error::ConfigError;
use super::raw::{RawConfig, RawListener};
use super::spans::Located;
use crate::diag::Diag;

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

/// `listener:` compiled.
pub fn compile_listener(src: &Located, raw: &RawListener, diags: &mut Vec<Diag>) -> ListenerLimits {
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

/// The listen, admin and demo upstream addresses (`None` where one does not parse).
pub struct Addresses {
    pub listen: Option<SocketAddr>,
    pub admin: Option<SocketAddr>,
    pub demo_upstream: Option<SocketAddr>,
}

/// `listen`, `admin` and `demo_upstream`, each error at its value.
pub fn compile_addresses(src: &Located, raw: &RawConfig, diags: &mut Vec<Diag>) -> Addresses {
    let mut addr = |field: &'static str, value: &str| -> Option<SocketAddr> {
        match value.parse::<SocketAddr>() {
            Ok(a) => Some(a),
            Err(source) => {
                diags.push(src.at(
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
    Addresses {
        listen: addr("listen", &raw.listen),
        admin: addr("admin", &raw.admin),
        demo_upstream: raw
            .demo_upstream
            .as_ref()
            .and_then(|d| addr("demo_upstream", d)),
    }
}
