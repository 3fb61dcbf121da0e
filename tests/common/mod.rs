//! Test harness: real upstream servers (HTTP and HTTPS with rcgen certificates), toolwall's
//! `app` started on 127.0.0.1:0 from config files written to a temp dir, and a raw client.

#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};

mod servers;
pub use servers::*;

/// A toolwall instance built from files in a temp dir.
pub struct Harness {
    pub app: toolwall::app::RunningApp,
    pub dir: tempfile::TempDir,
}

/// The default test policy: allow, unless `amount > 100` (reason `amount_exceeds_threshold`);
/// tool `echo.conflict` gets a malformed decision (`allow` is not a boolean): a policy error.
pub const POLICY: &str = r#"
package toolwall
import rego.v1

default decision := {"allow": false, "reasons": ["default_deny"]}

decision := {"allow": true, "reasons": []} if {
	not too_much
	input.tool.name != "echo.conflict"
}

decision := {"allow": false, "reasons": ["amount_exceeds_threshold"]} if too_much

decision := {"allow": "yes"} if input.tool.name == "echo.conflict"

too_much if input.args.amount > 100
"#;

/// Adapter `echo` in front of `upstream`, with a tool set that covers every argument source.
pub fn echo_adapter(upstream: &str, extra: &str) -> String {
    format!(
        r#"name: echo
upstream: {upstream}
timeout: 500ms
{extra}
tools:
  - name: echo.refund
    match: {{ method: POST, path: /v1/refunds }}
    args: json
    schema:
      type: object
      properties:
        charge: {{ type: string }}
        amount: {{ type: integer, minimum: 1 }}
        meta: {{ type: object }}
      required: [charge, amount]
  - name: echo.form_refund
    match: {{ method: POST, path: /v1/form_refunds }}
    args: form
    schema:
      type: object
      properties:
        charge: {{ type: string }}
        amount: {{ type: integer }}
      required: [charge, amount]
  - name: echo.get_charge
    match: {{ method: GET, path: "/v1/charges/{{id}}" }}
    args: query
    read_only: true
    schema:
      type: object
      properties:
        id: {{ type: string, pattern: "^ch_" }}
        limit: {{ type: integer, maximum: 10 }}
      required: [id]
  - name: echo.slow
    match: {{ method: GET, path: /slow }}
    args: query
  - name: echo.conflict
    match: {{ method: POST, path: /v1/conflict }}
  - name: echo.pii
    match: {{ method: GET, path: /pii }}
    args: query
  - name: echo.sse
    match: {{ method: GET, path: /sse }}
    args: query
"#
    )
}

/// The static identity every default harness runs as.
pub const STATIC_IDENTITY: &str = "identity:\n  static: { agent: test-agent, tenant: acme }\n";

impl Harness {
    /// Write `toolwall.yaml` (+ `extra_config`), the adapters and the policy; start the app.
    pub async fn start(adapters: &[(&str, String)], policy: &str, extra_config: &str) -> Harness {
        Self::start_with(
            adapters,
            policy,
            &format!("{STATIC_IDENTITY}{extra_config}"),
            None,
        )
        .await
    }

    /// Like `start`, with the whole config body after `listen`/`admin` given (identity
    /// included) and optionally a clock the test moves.
    pub async fn start_with(
        adapters: &[(&str, String)],
        policy: &str,
        config_body: &str,
        clock: Option<Arc<toolwall::state::FakeClock>>,
    ) -> Harness {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("adapters")).expect("mkdir");
        std::fs::create_dir_all(root.join("policies")).expect("mkdir");
        for (name, yaml) in adapters {
            std::fs::write(root.join("adapters").join(format!("{name}.yaml")), yaml)
                .expect("write");
        }
        std::fs::write(root.join("policies/toolwall.rego"), policy).expect("write");
        let cfg = format!("listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\n{config_body}\n");
        std::fs::write(root.join("toolwall.yaml"), cfg).expect("write");
        let loaded = toolwall::config::load_snapshot(&root.join("toolwall.yaml"), true)
            .unwrap_or_else(|e| panic!("config does not load:\n{e}"));
        let app = match clock {
            Some(c) => toolwall::app::start_with_clock(loaded, c).await,
            None => toolwall::app::start(loaded).await,
        }
        .expect("start");
        register_admin_token(app.admin_addr, &app.state.admin.token);
        Harness { app, dir }
    }

    pub fn agent(&self) -> SocketAddr {
        self.app.listen_addr
    }

    pub fn admin(&self) -> SocketAddr {
        self.app.admin_addr
    }
}

/// A response read to its end.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// `error.reasons` of a refusal.
    pub fn reasons(&self) -> Vec<String> {
        self.json()["error"]["reasons"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| r.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Send one HTTP/1.1 request on a fresh connection; the request target is written as given
/// (origin-form `/a/b` or absolute-form `http://host/a`).
pub async fn send(addr: SocketAddr, req: Request<Full<Bytes>>) -> Reply {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let resp = sender.send_request(req).await.expect("response");
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.expect("body").to_bytes();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

pub fn req(method: &str, target: &str) -> http::request::Builder {
    Request::builder()
        .method(method)
        .uri(target)
        .header("host", "toolwall.test")
}

pub fn json_post(target: &str, body: &str) -> Request<Full<Bytes>> {
    req("POST", target)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("request")
}

pub fn get(target: &str) -> Request<Full<Bytes>> {
    req("GET", target)
        .body(Full::new(Bytes::new()))
        .expect("request")
}

/// JSON POST against the admin port (Host: its address), with `token`, or when `None` the
/// token of the harness listening there (the admin API always needs one).
pub async fn admin_post(addr: SocketAddr, path: &str, body: &str, token: Option<&str>) -> Reply {
    let mut b = admin_req("POST", addr, path).header("content-type", "application/json");
    if let Some(t) = token.map(String::from).or_else(|| admin_token_for(addr)) {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    send(
        addr,
        b.body(Full::new(Bytes::from(body.to_string())))
            .expect("request"),
    )
    .await
}

/// GET against the admin port, with the harness's admin token.
pub async fn admin_get(addr: SocketAddr, path: &str) -> Reply {
    let mut b = admin_req("GET", addr, path);
    if let Some(t) = admin_token_for(addr) {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    send(addr, b.body(Full::new(Bytes::new())).expect("request")).await
}

/// A policy that allows every call.
pub const ALLOW_ALL: &str = r#"
package toolwall
import rego.v1

decision := {"allow": true, "reasons": []}
"#;

/// Adapter `shop`: priced, read-only, unpriced and response-priced tools (0.01 USD each).
pub fn shop_adapter(upstream: SocketAddr) -> String {
    format!(
        r#"name: shop
upstream: http://{upstream}
timeout: 2s
tools:
  - name: shop.buy
    match: {{ method: POST, path: /buy }}
    cost_usd: 0.01
  - name: shop.look
    match: {{ method: GET, path: /look }}
    args: query
    read_only: true
    cost_usd: 0.01
  - name: shop.free
    match: {{ method: GET, path: /free }}
    args: query
  - name: shop.metered
    match: {{ method: POST, path: /metered }}
    cost_usd: 0.01
    cost_from_response: /usage/cost_usd
"#
    )
}

pub fn buy() -> Request<Full<Bytes>> {
    json_post("/shop/buy", "{}")
}

/// Run the real `toolwall` binary: (exit code, stdout, stderr).
pub fn toolwall(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_toolwall"))
        .args(args)
        .output()
        .expect("run toolwall");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// The Python interpreter for the test scripts (the MCP SDK server and client): the one named
/// by `TOOLWALL_TEST_PYTHON` (`.ci/run` sets it to its virtualenv), else that virtualenv when it
/// exists (`target/ci-venv`, made by `bash .ci/run`), else `python3` from `PATH`.
pub fn python() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("TOOLWALL_TEST_PYTHON") {
        return p.into();
    }
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ci-venv/bin/python");
    if venv.exists() {
        return venv;
    }
    "python3".into()
}

/// Run `script` with the test interpreter, `input` on its stdin: its stdout, or its stderr as
/// the error when it exits non-zero.
pub fn python_filter(script: &str, input: &str) -> Result<Vec<u8>, String> {
    use std::io::Write;
    let mut child = std::process::Command::new(python())
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input.as_bytes()).expect("write");
    }
    let out = child.wait_with_output().expect("python output");
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).to_string())
    }
}

/// Admin tokens of the running harnesses, by admin address (the admin API always needs one:
/// generated into `admin.token` beside the state when the config names none).
static ADMIN_TOKENS: std::sync::LazyLock<Mutex<std::collections::HashMap<SocketAddr, String>>> =
    std::sync::LazyLock::new(|| Mutex::new(std::collections::HashMap::new()));

pub fn register_admin_token(addr: SocketAddr, token: &str) {
    ADMIN_TOKENS
        .lock()
        .expect("lock")
        .insert(addr, token.to_string());
}

/// The admin token of the harness whose admin listener is `addr`.
pub fn admin_token_for(addr: SocketAddr) -> Option<String> {
    ADMIN_TOKENS.lock().expect("lock").get(&addr).cloned()
}

/// A request to the admin port as the CLI sends it: `Host` is the listener's address.
pub fn admin_req(method: &str, addr: SocketAddr, target: &str) -> http::request::Builder {
    Request::builder()
        .method(method)
        .uri(target)
        .header("host", addr.to_string())
}

/// Every record of the audit stream in `dir` (its `*.jsonl` segments in name order), in order;
/// lines that are not JSON (a torn tail) are left out.
pub fn audit_records(dir: &std::path::Path) -> Vec<Value> {
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "jsonl"));
    files.sort();
    files
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .unwrap_or_default()
                .lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A loopback port that was free a moment ago (for a child process that binds it itself).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}
