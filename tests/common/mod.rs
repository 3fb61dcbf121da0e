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

/// One request as the upstream saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path_and_query: String,
    pub headers: http::HeaderMap,
    pub body: Bytes,
    pub version: http::Version,
}

/// A real upstream server recording what reaches it.
pub struct Upstream {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub ca_pem: Option<String>,
}

impl Upstream {
    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

type UpBody = http_body_util::combinators::BoxBody<Bytes, Infallible>;

/// Three server-sent events 300 ms apart, each carrying an email address.
fn sse_body() -> UpBody {
    let events = futures_util::stream::unfold(0u32, |i| async move {
        if i == 3 {
            return None;
        }
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let ev = format!("id: {i}\nevent: progress\ndata: {{\"step\":{i},\"contact\":\"agent{i}@example.com\"}}\n\n");
        Some((
            Ok::<_, Infallible>(http_body::Frame::data(Bytes::from(ev))),
            i + 1,
        ))
    });
    http_body_util::BodyExt::boxed(http_body_util::StreamBody::new(events))
}

async fn upstream_handle(
    req: Request<Incoming>,
    seen: Arc<Mutex<Vec<Seen>>>,
) -> Result<Response<UpBody>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let pq = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    seen.lock().expect("lock").push(Seen {
        method: parts.method.to_string(),
        path_and_query: pq.clone(),
        headers: parts.headers.clone(),
        body: body.clone(),
        version: parts.version,
    });
    if pq.starts_with("/slow") {
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    if pq.starts_with("/sse") {
        let mut resp = Response::new(sse_body());
        resp.headers_mut()
            .insert("content-type", "text/event-stream".parse().expect("hv"));
        return Ok(resp);
    }
    if pq.starts_with("/pii") {
        let out = json!({"customer": {"email": "jane.doe@example.com", "card": "4242 4242 4242 4242"},
                         "note": "no secrets here"});
        let mut resp = Response::new(Full::new(Bytes::from(out.to_string())).boxed());
        resp.headers_mut()
            .insert("content-type", "application/json".parse().expect("hv"));
        return Ok(resp);
    }
    let out = json!({
        "method": parts.method.as_str(),
        "path": pq,
        "body": String::from_utf8_lossy(&body),
        "version": format!("{:?}", parts.version),
    });
    let mut resp = Response::new(Full::new(Bytes::from(out.to_string())).boxed());
    resp.headers_mut()
        .insert("content-type", "application/json".parse().expect("hv"));
    // A hop-by-hop header the proxy must not relay.
    resp.headers_mut()
        .insert("keep-alive", "timeout=5".parse().expect("hv"));
    Ok(resp)
}

/// Plain HTTP upstream on 127.0.0.1:0.
pub async fn http_upstream() -> Upstream {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let s = s.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req| upstream_handle(req, s.clone()));
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Upstream {
        addr,
        seen,
        ca_pem: None,
    }
}

/// HTTPS upstream (HTTP/2 and HTTP/1.1 by ALPN) with a certificate from a CA minted here.
pub async fn https_upstream() -> Upstream {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "toolwall test CA");
    let ca =
        CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("key")).expect("ca");
    let leaf_key = KeyPair::generate().expect("key");
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .expect("params")
        .signed_by(&leaf_key, &ca)
        .expect("leaf");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls_pki_types::PrivatePkcs8KeyDer::from(leaf_key.serialize_der()).into(),
        )
        .expect("server config");
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let s = s.clone();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let svc = service_fn(move |req| upstream_handle(req, s.clone()));
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    Upstream {
        addr,
        seen,
        ca_pem: Some(ca.pem()),
    }
}

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

/// An upstream that answers every request with `body` (JSON) and counts what reaches it.
pub struct FixedUpstream {
    pub addr: SocketAddr,
    pub hits: Arc<std::sync::atomic::AtomicUsize>,
}

impl FixedUpstream {
    pub fn hits(&self) -> usize {
        self.hits.load(std::sync::atomic::Ordering::SeqCst)
    }
}

pub async fn fixed_upstream(body: &'static str) -> FixedUpstream {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let h = hits.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let h = h.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |_req: Request<Incoming>| {
                    let h = h.clone();
                    async move {
                        h.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let mut resp =
                            Response::new(Full::new(Bytes::from_static(body.as_bytes())));
                        resp.headers_mut()
                            .insert("content-type", "application/json".parse().expect("hv"));
                        Ok::<_, Infallible>(resp)
                    }
                });
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    FixedUpstream { addr, hits }
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

/// A real `redis-server` on a free loopback port, killed on drop.
pub struct RedisServer {
    pub port: u16,
    child: Option<std::process::Child>,
    dir: tempfile::TempDir,
}

impl RedisServer {
    pub async fn start() -> RedisServer {
        // The probed port can be taken before redis binds it: then try another one.
        for _ in 0..5 {
            let port = {
                let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
                l.local_addr().expect("addr").port()
            };
            let dir = tempfile::tempdir().expect("tempdir");
            let mut s = RedisServer {
                port,
                child: None,
                dir,
            };
            if s.try_start().await {
                return s;
            }
        }
        panic!("redis-server did not start");
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Start (again) on the same port.
    pub async fn restart(&mut self) {
        assert!(
            self.try_start().await,
            "redis-server did not start on port {}",
            self.port
        );
    }

    async fn try_start(&mut self) -> bool {
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
            ])
            .arg(self.dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("redis-server must be installed (apt-get install redis-server)");
        self.child = Some(child);
        for _ in 0..100 {
            if let Some(c) = self.child.as_mut() {
                if matches!(c.try_wait(), Ok(Some(_))) {
                    self.child = None;
                    return false;
                }
            }
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)).await {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                if s.write_all(b"PING\r\n").await.is_ok() {
                    let mut buf = [0u8; 16];
                    if let Ok(n) = s.read(&mut buf).await {
                        if buf[..n].starts_with(b"+PONG") {
                            return true;
                        }
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.kill();
        false
    }

    /// Kill the server (SIGKILL) and wait for it to be gone.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
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

/// A plain HTTP upstream on 127.0.0.1:0 that records every request (as `Seen`, body read
/// whole) and answers each with `answer(&seen)`: the shape of the deliberately lax servers
/// the hardening tests need.
pub async fn scripted_upstream<F>(answer: F) -> Upstream
where
    F: Fn(&Seen) -> Response<Full<Bytes>> + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (s, answer) = (seen.clone(), Arc::new(answer));
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (s, answer) = (s.clone(), answer.clone());
            tokio::spawn(async move {
                let svc = service_fn(move |req: Request<Incoming>| {
                    let (s, answer) = (s.clone(), answer.clone());
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let seen = Seen {
                            method: parts.method.to_string(),
                            path_and_query: parts
                                .uri
                                .path_and_query()
                                .map(|p| p.as_str().to_string())
                                .unwrap_or_default(),
                            headers: parts.headers,
                            body,
                            version: parts.version,
                        };
                        let resp = answer(&seen);
                        s.lock().expect("lock").push(seen);
                        Ok::<_, Infallible>(resp)
                    }
                });
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Upstream {
        addr,
        seen,
        ca_pem: None,
    }
}
