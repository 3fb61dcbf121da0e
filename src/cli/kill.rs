//! `toolwall kill on|off (--tenant T | --agent A | --tool N | --workflow W | --all)`: flip a kill
//! switch through the admin API (`POST /admin/kill`); `toolwall mcp pin` re-pins MCP tool
//! definitions the same way (`POST /admin/mcp/pin`).
//!
//! The admin address and token come from the flags, else from the config (`-c`, else
//! ./toolwall.yaml, else the quickstart directory): its `admin:` address and its token — the
//! `admin_token_env` variable, or the admin token file toolwall generated at start.

use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::json;

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};

/// Which switch to flip.
#[derive(Debug, Clone, Default, clap::Args)]
#[group(required = true, multiple = false)]
pub struct KillTarget {
    #[arg(long)]
    pub tenant: Option<String>,
    #[arg(long)]
    pub agent: Option<String>,
    #[arg(long)]
    pub tool: Option<String>,
    #[arg(long)]
    pub workflow: Option<String>,
    /// Every call, whoever makes it.
    #[arg(long)]
    pub all: bool,
}

/// Where the admin API is and how to authenticate to it.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AdminClient {
    /// Admin API base URL; default: the config's `admin:` address, else http://127.0.0.1:9901.
    #[arg(long)]
    pub admin: Option<String>,
    /// Admin bearer token.
    #[arg(long, env = "TOOLWALL_ADMIN_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// File holding the admin bearer token (toolwall writes `admin.token` at start).
    #[arg(long, env = "TOOLWALL_ADMIN_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// The running toolwall's config: its admin address and token file; default
    /// ./toolwall.yaml, else the quickstart directory's.
    #[arg(short, long)]
    pub config: Option<PathBuf>,
}

impl AdminClient {
    /// (base URL, token) or a usage error.
    pub(crate) fn resolve(&self) -> Result<(String, Option<String>), String> {
        let config = match &self.config {
            Some(c) => Some(c.clone()),
            None => [
                PathBuf::from("toolwall.yaml"),
                crate::config::quickstart::default_dir().join("toolwall.yaml"),
            ]
            .into_iter()
            .find(|p| p.exists()),
        };
        let settings = match &config {
            Some(c) => match crate::config::compile::admin_client_settings(c) {
                Ok(s) => Some(s),
                // a config named on the command line must be readable; a found one may not be
                Err(e) if self.config.is_some() => return Err(e),
                Err(_) => None,
            },
            None => None,
        };
        let url = match (&self.admin, &settings) {
            (Some(a), _) => a.clone(),
            (None, Some(s)) => match s.admin.parse::<std::net::SocketAddr>() {
                Ok(a) => format!("http://{}", local_address(a)),
                Err(_) => return Err(format!("the config's admin `{}` is not host:port", s.admin)),
            },
            (None, None) => "http://127.0.0.1:9901".to_string(),
        };
        let read = |p: &std::path::Path| {
            std::fs::read_to_string(p)
                .map(|t| t.trim().to_string())
                .map_err(|e| format!("cannot read the admin token file {}: {e}", p.display()))
        };
        // A token found by looking (not named with -c) only goes to a local admin API.
        let settings = settings.filter(|_| self.config.is_some() || is_local(&url));
        let token = if let Some(t) = &self.token {
            Some(t.clone())
        } else if let Some(f) = &self.token_file {
            Some(read(f)?)
        } else if let Some(s) = &settings {
            match &s.token_env {
                Some(env) => std::env::var(env).ok().filter(|t| !t.trim().is_empty()),
                None if s.token_file.exists() => Some(read(&s.token_file)?),
                None => None,
            }
        } else {
            None
        };
        Ok((url, token.map(|t| t.trim().to_string())))
    }
}

/// Whether an admin URL points at this host (loopback address or `localhost`).
fn is_local(url: &str) -> bool {
    let Ok(uri) = url.parse::<http::Uri>() else {
        return false;
    };
    match uri.host() {
        Some(h) => {
            let h = h.trim_start_matches('[').trim_end_matches(']');
            h.eq_ignore_ascii_case("localhost")
                || h.parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        None => false,
    }
}

/// The address to connect to for a listener bound to `a` (an unspecified address means this
/// host's loopback).
fn local_address(a: std::net::SocketAddr) -> std::net::SocketAddr {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    match a.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, a.port()).into(),
        IpAddr::V6(ip) if ip.is_unspecified() => (Ipv6Addr::LOCALHOST, a.port()).into(),
        _ => a,
    }
}

/// Send the request; print the switches now on. Exit 0 on success, 1 if refused, 2 on I/O.
pub fn kill(on: bool, target: &KillTarget, client: &AdminClient) -> i32 {
    let body = json!({
        "on": on,
        "all": target.all,
        "tenant": target.tenant,
        "agent": target.agent,
        "tool": target.tool,
        "workflow": target.workflow,
    });
    post_admin("kill", client, "/admin/kill", &body)
}

/// `toolwall mcp pin --adapter N [--tool T] [--dry-run | --yes]`: show what changed in each
/// tool whose listed definition differs from its pin (a diff of the definitions, description
/// and input schema included), then accept exactly those definitions — after a `y` on a
/// terminal, or with `--yes`. The accepted hashes go with the request: if the server changed
/// its definitions again since they were shown, nothing is accepted.
pub fn mcp_pin(
    adapter: &str,
    tool: Option<&str>,
    client: &AdminClient,
    dry_run: bool,
    yes: bool,
) -> i32 {
    let mut query = format!("/admin/mcp/pin?adapter={}", urlencode(adapter));
    if let Some(t) = tool {
        query.push_str(&format!("&tool={}", urlencode(t)));
    }
    let (status, text) = match admin_request("mcp pin", client, http::Method::GET, &query, None) {
        Ok(x) => x,
        Err(code) => return code,
    };
    if status != StatusCode::OK {
        eprintln!("toolwall mcp pin: {status}: {}", text.trim_end());
        return EXIT_FAILED;
    }
    let doc: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("toolwall mcp pin: the admin API's answer is not JSON: {e}");
            return EXIT_FAILED;
        }
    };
    let changes = doc["changes"].as_array().cloned().unwrap_or_default();
    if changes.is_empty() {
        println!("{adapter}: every listed tool matches its pin; nothing to accept");
        return EXIT_OK;
    }
    print!("{}", render_changes(adapter, &changes));
    if dry_run {
        return EXIT_OK;
    }
    if !yes && !confirm(changes.len()) {
        eprintln!("toolwall mcp pin: not accepted (review the changes above; --yes accepts them)");
        return EXIT_FAILED;
    }
    let expect: serde_json::Map<String, serde_json::Value> = changes
        .iter()
        .filter_map(|c| Some((c["name"].as_str()?.to_string(), c["current"].clone())))
        .collect();
    let body = json!({"adapter": adapter, "tool": tool, "expect": expect});
    post_admin("mcp pin", client, "/admin/mcp/pin", &body)
}

/// Ask on the terminal; anything but `y`/`yes` (or no terminal) is no.
fn confirm(n: usize) -> bool {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return false;
    }
    print!("accept {n} changed definition(s)? [y/N] ");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        return false;
    }
    matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Each changed tool: its hashes and a unified diff of the pinned and the listed definition.
fn render_changes(adapter: &str, changes: &[serde_json::Value]) -> String {
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default() + "\n";
    let mut out = String::new();
    for c in changes {
        let name = c["name"].as_str().unwrap_or("?");
        let pinned = c["pinned"].as_str().unwrap_or("(never pinned)");
        let current = c["current"].as_str().unwrap_or("?");
        out.push_str(&format!(
            "{adapter}.{name}: pinned {pinned}\n{:w$}  listed {current}\n",
            "",
            w = adapter.len() + name.len() + 1
        ));
        let listed = pretty(&c["definition"]);
        let before = match &c["pinned_definition"] {
            serde_json::Value::Null => {
                out.push_str(
                    "  (the pinned definition was not seen by this toolwall process, pinned \
                     before a restart or by another sidecar: the listed definition in full)\n",
                );
                String::new()
            }
            v => pretty(v),
        };
        let diff = similar::TextDiff::from_lines(&before, &listed);
        out.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header("pinned", "listed")
                .to_string(),
        );
        out.push('\n');
    }
    out
}

/// POST a JSON body to the admin API and print the answer. Exit 0 on 200, 1 if refused, 2 on
/// I/O or usage errors.
fn post_admin(what: &str, client: &AdminClient, path: &str, body: &serde_json::Value) -> i32 {
    match admin_request(what, client, http::Method::POST, path, Some(body)) {
        Ok((StatusCode::OK, text)) => {
            println!("{text}");
            EXIT_OK
        }
        Ok((status, text)) => {
            eprintln!("toolwall {what}: {status}: {text}");
            EXIT_FAILED
        }
        Err(code) => code,
    }
}

/// One admin API request: (status, body text), or the exit code of a usage or I/O error
/// (already reported).
fn admin_request(
    what: &str,
    client: &AdminClient,
    method: http::Method,
    path: &str,
    body: Option<&serde_json::Value>,
) -> Result<(StatusCode, String), i32> {
    let (admin, token) = match client.resolve() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("toolwall {what}: {e}");
            return Err(EXIT_USAGE);
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("toolwall {what}: {e}");
            return Err(EXIT_USAGE);
        }
    };
    let url = format!("{}{path}", admin.trim_end_matches('/'));
    rt.block_on(async move {
        let mut req = Request::builder().method(method).uri(&url);
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        if let Some(t) = &token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let bytes = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
        let req = match req.body(Full::new(bytes)) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("toolwall {what}: bad admin URL {url}: {e}");
                return Err(EXIT_USAGE);
            }
        };
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let resp = match tokio::time::timeout(Duration::from_secs(10), client.request(req)).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                eprintln!("toolwall {what}: cannot reach the admin API at {url}: {e}");
                return Err(EXIT_USAGE);
            }
            Err(_) => {
                eprintln!("toolwall {what}: the admin API at {url} did not answer in 10s");
                return Err(EXIT_USAGE);
            }
        };
        let status = resp.status();
        let text = resp
            .into_body()
            .collect()
            .await
            .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
            .unwrap_or_default();
        Ok((status, text))
    })
}
