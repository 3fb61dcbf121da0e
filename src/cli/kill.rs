//! `toolwall kill on|off (--tenant T | --agent A | --tool N | --workflow W | --all)`: flip a kill
//! switch through the admin API (`POST /admin/kill`); `toolwall mcp pin` re-pins MCP tool
//! definitions the same way (`POST /admin/mcp/pin`).

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

/// Send the request; print the switches now on. Exit 0 on success, 1 if refused, 2 on I/O.
pub fn kill(on: bool, target: &KillTarget, admin: &str, token: Option<&str>) -> i32 {
    let body = json!({
        "on": on,
        "all": target.all,
        "tenant": target.tenant,
        "agent": target.agent,
        "tool": target.tool,
        "workflow": target.workflow,
    });
    post_admin("kill", admin, "/admin/kill", token, &body)
}

/// `toolwall mcp pin --adapter N [--tool T]`: accept the server's current definitions.
pub fn mcp_pin(adapter: &str, tool: Option<&str>, admin: &str, token: Option<&str>) -> i32 {
    let body = json!({"adapter": adapter, "tool": tool});
    post_admin("mcp pin", admin, "/admin/mcp/pin", token, &body)
}

/// POST a JSON body to the admin API and print the answer. Exit 0 on 200, 1 if refused, 2 on
/// I/O or usage errors.
fn post_admin(
    what: &str,
    admin: &str,
    path: &str,
    token: Option<&str>,
    body: &serde_json::Value,
) -> i32 {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("toolwall {what}: {e}");
            return EXIT_USAGE;
        }
    };
    let url = format!("{}{path}", admin.trim_end_matches('/'));
    rt.block_on(async move {
        let mut req = Request::post(&url).header("content-type", "application/json");
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = match req.body(Full::new(Bytes::from(body.to_string()))) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("toolwall {what}: bad admin URL {url}: {e}");
                return EXIT_USAGE;
            }
        };
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let resp = match tokio::time::timeout(Duration::from_secs(10), client.request(req)).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                eprintln!("toolwall {what}: cannot reach the admin API at {url}: {e}");
                return EXIT_USAGE;
            }
            Err(_) => {
                eprintln!("toolwall {what}: the admin API at {url} did not answer in 10s");
                return EXIT_USAGE;
            }
        };
        let status = resp.status();
        let text = resp
            .into_body()
            .collect()
            .await
            .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
            .unwrap_or_default();
        if status == StatusCode::OK {
            println!("{text}");
            EXIT_OK
        } else {
            eprintln!("toolwall {what}: {status}: {text}");
            EXIT_FAILED
        }
    })
}
