//! Transparent HTTPS (`egress:`): real TLS clients (curl, Python httpx) through `HTTPS_PROXY`
//! with toolwall's CA as their only trust root, a real TLS upstream, the audit stream on disk.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::common::*;

/// A toolwall with adapter `echo` guarding `https://localhost:<upstream port>` (credentials
/// injected), the audit stream on, and `egress:` as given.
struct Egress {
    h: Harness,
    up: Upstream,
    /// The transparent listener's port (`{port}` in `start`'s `egress`), 0 without one.
    port: u16,
}

impl Egress {
    fn root(&self) -> &Path {
        self.h.dir.path()
    }
    fn ca(&self) -> PathBuf {
        self.root().join("ca/ca.crt")
    }
    fn proxy(&self) -> String {
        format!("http://{}", self.h.agent())
    }
    fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.up.addr.port())
    }
    fn records(&self) -> Vec<Value> {
        audit_records(&self.root().join("audit"))
    }
    /// The audit records once one matches `pred` (the stream is written off the hot path).
    async fn wait_for(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Vec<Value> {
        for _ in 0..100 {
            let recs = self.records();
            if recs.iter().any(&pred) {
                return recs;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no audit record {what}: {:#?}", self.records());
    }
}

async fn start(egress: &str, test_original_dst: bool) -> Egress {
    let up = https_upstream().await;
    std::env::set_var("TOOLWALL_TEST_EGRESS_KEY", "sk_tool_secret");
    let adapter = echo_adapter(
        &format!("https://localhost:{}", up.addr.port()),
        "tls: { ca: ca.pem }\ncredentials: { header: Authorization, prefix: \"Bearer \", env: TOOLWALL_TEST_EGRESS_KEY }",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("adapters")).expect("mkdir");
    std::fs::create_dir_all(root.join("policies")).expect("mkdir");
    std::fs::write(root.join("adapters/echo.yaml"), adapter).expect("write");
    std::fs::write(
        root.join("adapters/ca.pem"),
        up.ca_pem.as_deref().expect("ca"),
    )
    .expect("write");
    std::fs::write(root.join("policies/toolwall.rego"), POLICY).expect("write");
    assert_eq!(toolwall::cli::audit::keygen(&root.join("keys"), "t"), 0);
    // `{port}` in `egress`: a port that was free a moment ago, tried again with another when
    // a parallel test took it first (`free_port` cannot hold it for us)
    let attempts = if egress.contains("{port}") { 8 } else { 1 };
    let mut attempt = 0;
    let (app, port) = loop {
        attempt += 1;
        let port = if attempts > 1 { free_port() } else { 0 };
        let egress = egress.replace("{port}", &port.to_string());
        let cfg = format!(
            "listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\n{STATIC_IDENTITY}\
             audit: {{ dir: audit, key: keys/audit.key, hmac_key: keys/hmac.key }}\n\
             egress:\n  ca_out: ca\n{egress}\n"
        );
        std::fs::write(root.join("toolwall.yaml"), cfg).expect("write");
        let mut loaded = toolwall::config::load_snapshot(&root.join("toolwall.yaml"), true)
            .unwrap_or_else(|e| panic!("config does not load:\n{e}"));
        if test_original_dst {
            // not redirected by iptables here: the destination the test says it was
            loaded.egress.as_mut().expect("egress").test_original_dst = Some(up.addr);
        }
        match toolwall::app::start(loaded).await {
            Ok(app) => break (app, port),
            Err(e) if attempt < attempts && format!("{e:#}").contains("Address already in use") => {
            }
            Err(e) => panic!("start: {e:#}"),
        }
    };
    register_admin_token(app.admin_addr, &app.state.admin.token);
    Egress {
        h: Harness { app, dir },
        up,
        port,
    }
}

/// Run curl (no proxy variables from the environment): (exit code, body, stderr).
async fn curl(args: Vec<String>) -> (i32, String, String) {
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new("curl")
            .args(["-sS", "--max-time", "10"])
            .args(&args)
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("ALL_PROXY")
            .env_remove("all_proxy")
            .output()
            .expect("run curl");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    })
    .await
    .expect("curl task")
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn decisions(recs: &[Value]) -> Vec<&Value> {
    recs.iter().filter(|r| r["kind"] == "decision").collect()
}

fn events<'a>(recs: &'a [Value], name: &str) -> Vec<&'a Value> {
    recs.iter().filter(|r| r["event"] == name).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_through_connect_runs_the_pipeline_and_swaps_the_credentials() {
    let e = start("", false).await;
    // ca.crt and bundle.crt were written at start, readable by every user
    let bundle = std::fs::read_to_string(e.root().join("ca/bundle.crt")).expect("bundle");
    let ca = std::fs::read_to_string(e.ca()).expect("ca");
    assert!(
        bundle.starts_with(&ca),
        "the bundle starts with toolwall's CA"
    );
    assert!(
        bundle.matches("BEGIN CERTIFICATE").count() > 1,
        "and has the system roots"
    );
    use std::os::unix::fs::PermissionsExt;
    for f in ["ca.crt", "bundle.crt"] {
        let mode = std::fs::metadata(e.root().join("ca").join(f))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644, "{f}");
    }
    assert!(!ca.contains("PRIVATE KEY"));
    let ca_files: Vec<_> = std::fs::read_dir(e.root().join("ca"))
        .expect("dir")
        .flatten()
        .map(|f| f.file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(ca_files.len(), 2, "no key or temporary file: {ca_files:?}");

    let ca_path = e.ca().display().to_string();
    let (code, body, err) = curl(s(&[
        "--proxy",
        &e.proxy(),
        "--cacert",
        &ca_path,
        "-H",
        "authorization: Bearer agent-own-key",
        "-H",
        "content-type: application/json",
        "-d",
        r#"{"charge":"ch_1","amount":5}"#,
        &e.url("/v1/refunds"),
    ]))
    .await;
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{body}"));
    assert_eq!(v["path"], "/v1/refunds", "{v}");
    let seen = e.up.requests();
    assert_eq!(seen.len(), 1);
    let auth: Vec<_> = seen[0].headers.get_all("authorization").iter().collect();
    assert_eq!(
        auth,
        vec!["Bearer sk_tool_secret"],
        "the agent's key never reaches the tool"
    );
    let sent: Value = serde_json::from_slice(&seen[0].body).expect("json");
    assert_eq!(sent, serde_json::json!({"charge": "ch_1", "amount": 5}));

    // HTTP/2 inside the tunnel (ALPN h2 on the minted certificate)
    let (code, body, err) = curl(s(&[
        "--http2",
        "--proxy",
        &e.proxy(),
        "--cacert",
        &ca_path,
        "-w",
        "\n%{http_version}",
        &e.url("/v1/charges/ch_2?limit=3"),
    ]))
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(body.ends_with("\n2"), "{body}");
    assert!(body.contains("/v1/charges/ch_2?limit=3"), "{body}");
    assert_eq!(e.up.requests().len(), 2);

    // denied by policy: never reaches the tool
    let (code, body, err) = curl(s(&[
        "--proxy",
        &e.proxy(),
        "--cacert",
        &ca_path,
        "-H",
        "content-type: application/json",
        "-d",
        r#"{"charge":"ch_1","amount":500}"#,
        "-w",
        "\n%{http_code}",
        &e.url("/v1/refunds"),
    ]))
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(body.ends_with("\n403"), "{body}");
    assert!(body.contains("amount_exceeds_threshold"), "{body}");
    assert_eq!(e.up.requests().len(), 2, "a denied call reached the tool");

    let recs = e
        .wait_for("for the denied call", |r| {
            r["kind"] == "decision" && r["reasons"][0] == "amount_exceeds_threshold"
        })
        .await;
    let d = decisions(&recs);
    assert!(
        d.iter()
            .any(|r| r["decision"] == "allow" && r["tool"] == "echo.refund"),
        "{d:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn httpx_with_the_injected_ca_and_a_client_that_does_not_trust_it() {
    let e = start("", false).await;
    let script = r#"
import json, ssl, sys, httpx
proxy, ca, url = sys.argv[1:4]
ctx = ssl.create_default_context(cafile=ca)
out = {}
with httpx.Client(proxy=proxy, verify=ctx, trust_env=False) as c:
    r = c.post(url + "/v1/refunds", json={"charge": "ch_7", "amount": 7},
               headers={"authorization": "Bearer agent-own-key"})
    out["allowed"] = [r.status_code, r.json()]
    r = c.get(url + "/v1/charges/ch_7", params={"limit": 99})
    out["invalid"] = [r.status_code, r.json()]
try:
    # the default trust store (certifi): toolwall's CA is not in it
    with httpx.Client(proxy=proxy, trust_env=False) as c:
        c.get(url + "/v1/charges/ch_8")
    out["untrusted"] = "connected"
except httpx.ConnectError as err:
    out["untrusted"] = str(err)
print(json.dumps(out))
"#;
    let (proxy, ca, url) = (e.proxy(), e.ca(), e.url(""));
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python())
            .args(["-c", script, &proxy, &ca.display().to_string(), &url])
            .output()
            .expect("python")
    })
    .await
    .expect("task");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(stdout.trim()).expect("json");
    assert_eq!(v["allowed"][0], 200, "{v}");
    assert_eq!(
        v["allowed"][1]["body"], r#"{"amount":7,"charge":"ch_7"}"#,
        "{v}"
    );
    assert_eq!(v["invalid"][0], 400, "{v}");
    assert_eq!(
        v["invalid"][1]["error"]["reasons"][0], "schema_invalid",
        "{v}"
    );
    let untrusted = v["untrusted"].as_str().unwrap_or("");
    assert!(
        untrusted.contains("CERTIFICATE_VERIFY_FAILED"),
        "a client that does not trust toolwall's CA must fail: {v}"
    );
    let seen = e.up.requests();
    assert_eq!(seen.len(), 1, "only the allowed call reached the tool");
    assert_eq!(
        seen[0].headers.get("authorization").map(|h| h.as_bytes()),
        Some(&b"Bearer sk_tool_secret"[..])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unguarded_host_is_refused_and_audited_never_tunnelled() {
    // a real TLS server no adapter guards: nothing may reach it
    let other = https_upstream().await;
    let e = start("", false).await;
    let (code, _, err) = curl(s(&[
        "--proxy",
        &e.proxy(),
        "-k",
        &format!("https://127.0.0.1:{}/v1/refunds", other.addr.port()),
    ]))
    .await;
    assert_ne!(code, 0);
    assert!(err.contains("403"), "{err}");
    assert!(other.requests().is_empty());

    // the refusal the agent gets, raw
    let mut s = tokio::net::TcpStream::connect(e.h.agent())
        .await
        .expect("connect");
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    s.write_all(b"CONNECT unguarded.example:443 HTTP/1.1\r\nHost: unguarded.example:443\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 403"), "{text}");
    assert!(text.contains("unknown_upstream"), "{text}");

    let recs = e
        .wait_for("for the refused CONNECT", |r| {
            r["kind"] == "decision" && r["request"]["host"] == "unguarded.example"
        })
        .await;
    let d: Vec<_> = decisions(&recs)
        .into_iter()
        .filter(|r| r["request"]["method"] == "CONNECT")
        .collect();
    assert_eq!(d.len(), 2, "{d:#?}");
    for r in d {
        assert_eq!(r["decision"], "deny");
        assert_eq!(r["reasons"][0], "unknown_upstream");
        assert_eq!(r["request"]["via"], "connect");
        assert_eq!(r["agent"], "test-agent", "{r}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passthrough_host_is_tunnelled_untouched_and_audited() {
    let real = https_upstream().await;
    let e = start(
        &format!("  passthrough: [\"127.0.0.1:{}\"]", real.addr.port()),
        false,
    )
    .await;
    let real_ca = e.root().join("real-ca.pem");
    std::fs::write(&real_ca, real.ca_pem.as_deref().expect("ca")).expect("write");
    // the client trusts only the real upstream's CA: it sees the real certificate
    let (code, body, err) = curl(s(&[
        "--proxy",
        &e.proxy(),
        "--cacert",
        &real_ca.display().to_string(),
        "-H",
        "authorization: Bearer agent-own-key",
        &format!("https://127.0.0.1:{}/anything", real.addr.port()),
    ]))
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(body.contains("/anything"), "{body}");
    let seen = real.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].headers.get("authorization").map(|h| h.as_bytes()),
        Some(&b"Bearer agent-own-key"[..]),
        "tunnelled untouched"
    );
    // toolwall's CA does not verify the tunnelled connection: nothing is intercepted
    let (code, _, _) = curl(s(&[
        "--proxy",
        &e.proxy(),
        "--cacert",
        &e.ca().display().to_string(),
        &format!("https://127.0.0.1:{}/anything", real.addr.port()),
    ]))
    .await;
    assert_ne!(code, 0);

    let recs = e
        .wait_for("of the closed tunnel", |r| {
            r["event"] == "egress.tunnel_closed"
        })
        .await;
    let opened = events(&recs, "egress.tunnel_opened");
    let closed = events(&recs, "egress.tunnel_closed");
    assert!(!opened.is_empty() && !closed.is_empty(), "{recs:#?}");
    assert_eq!(opened[0]["detail"]["host"], "127.0.0.1");
    assert_eq!(opened[0]["detail"]["port"], real.addr.port());
    assert_eq!(opened[0]["detail"]["via"], "connect");
    assert_eq!(opened[0]["principal"]["agent"], "test-agent");
    let c = closed
        .iter()
        .find(|c| c["detail"]["tunnel_id"] == opened[0]["id"])
        .expect("the first tunnel's close");
    assert!(c["detail"]["bytes_up"].as_u64().unwrap_or(0) > 100, "{c}");
    assert!(c["detail"]["bytes_down"].as_u64().unwrap_or(0) > 100, "{c}");
    assert!(decisions(&recs).is_empty(), "a tunnel is not a call");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_naming_another_host_inside_the_tunnel_is_refused() {
    let e = start("", false).await;
    // HTTP/1.1: the Host header; HTTP/2: curl puts it in `:authority`
    let variants = [
        format!("127.0.0.1:{}", e.up.addr.port()),
        "localhost".to_string(),
        "localhost:1".to_string(),
    ]
    .into_iter()
    .flat_map(|h| [(h.clone(), "--http1.1"), (h, "--http2")]);
    for (host, version) in variants {
        let (code, body, err) = curl(s(&[
            version,
            "--proxy",
            &e.proxy(),
            "--cacert",
            &e.ca().display().to_string(),
            "-H",
            &format!("Host: {host}"),
            "-w",
            "\n%{http_code}",
            &e.url("/v1/charges/ch_1"),
        ]))
        .await;
        assert_eq!(code, 0, "{err}");
        assert!(body.ends_with("\n403"), "{host} {version}: {body}");
        assert!(
            body.contains("tunnel_host_mismatch"),
            "{host} {version}: {body}"
        );
    }
    assert!(
        e.up.requests().is_empty(),
        "a smuggled request reached the tool"
    );
    let recs = e
        .wait_for("of the mismatch", |r| {
            r["reasons"][0] == "tunnel_host_mismatch"
        })
        .await;
    let d = decisions(&recs);
    assert!(d.iter().all(|r| r["decision"] == "deny"), "{d:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_egress_connect_stays_refused() {
    let up = https_upstream().await;
    let h = Harness::start(
        &[(
            "echo",
            echo_adapter(&format!("https://localhost:{}", up.addr.port()), ""),
        )],
        POLICY,
        "",
    )
    .await;
    let (code, _, err) = curl(s(&[
        "--proxy",
        &format!("http://{}", h.agent()),
        "-k",
        &format!("https://localhost:{}/v1/charges/ch_1", up.addr.port()),
    ]))
    .await;
    assert_ne!(code, 0);
    assert!(err.contains("403"), "{err}");
    assert!(up.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transparent_listener_intercepts_by_sni_and_refuses_other_names() {
    let e = start("  transparent_listen: 127.0.0.1:{port}", true).await;
    let port = e.port;
    let up_port = e.up.addr.port();
    let ca = e.ca().display().to_string();
    // TLS: SNI `localhost`, original destination the upstream's port: intercepted
    let (code, body, err) = curl(s(&[
        "--connect-to",
        &format!("localhost:{up_port}:127.0.0.1:{port}"),
        "--cacert",
        &ca,
        "-H",
        "authorization: Bearer agent-own-key",
        &e.url("/v1/charges/ch_9?limit=2"),
    ]))
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(body.contains("/v1/charges/ch_9"), "{body}");
    let seen = e.up.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].headers.get("authorization").map(|h| h.as_bytes()),
        Some(&b"Bearer sk_tool_secret"[..])
    );
    // a name no adapter guards: a TLS alert, nothing reaches anyone
    let (code, _, err) = curl(s(&[
        "--connect-to",
        &format!("unguarded.example:{up_port}:127.0.0.1:{port}"),
        "--cacert",
        &ca,
        &format!("https://unguarded.example:{up_port}/v1/charges/ch_1"),
    ]))
    .await;
    assert_ne!(code, 0, "{err}");
    assert!(
        err.to_lowercase().contains("alert") || err.contains("handshake"),
        "{err}"
    );
    // plain HTTP redirected: routed by Host like a forward-proxy request
    let (code, body, err) = curl(s(&[
        "--connect-to",
        &format!("localhost:{up_port}:127.0.0.1:{port}"),
        "-w",
        "\n%{http_code}",
        &format!("http://localhost:{up_port}/v1/charges/ch_2"),
    ]))
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(body.ends_with("\n200"), "{body}");
    // not TLS, not HTTP: refused
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    s.write_all(b"\x00\x01SSH-2.0-x\r\n").await.expect("write");
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
    assert_eq!(e.up.requests().len(), 2);

    let recs = e
        .wait_for("of the refused name", |r| {
            r["kind"] == "decision" && r["request"]["host"] == "unguarded.example"
        })
        .await;
    let r = decisions(&recs)
        .into_iter()
        .find(|r| r["request"]["host"] == "unguarded.example")
        .expect("record");
    assert_eq!(r["reasons"][0], "unknown_upstream");
    assert_eq!(r["request"]["via"], "transparent");
    let recs = e
        .wait_for("of the non-TLS connection", |r| {
            r["reasons"][0] == "connect_refused"
        })
        .await;
    assert!(!decisions(&recs).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transparent_connection_that_was_not_redirected_is_refused() {
    // no test override: the connection has no SO_ORIGINAL_DST, so it is refused
    let e = start("  transparent_listen: 127.0.0.1:{port}", false).await;
    let port = e.port;
    let (code, _, _) = curl(s(&[
        "--connect-to",
        &format!("localhost:{}:127.0.0.1:{port}", e.up.addr.port()),
        "--cacert",
        &e.ca().display().to_string(),
        &e.url("/v1/charges/ch_1"),
    ]))
    .await;
    assert_ne!(code, 0);
    assert!(e.up.requests().is_empty());
    e.wait_for("of the unredirected connection", |r| {
        r["reasons"][0] == "connect_refused"
    })
    .await;
}

#[test]
fn egress_config_errors_are_at_their_value() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("adapters")).expect("mkdir");
    std::fs::create_dir_all(root.join("policies")).expect("mkdir");
    std::fs::write(root.join("policies/toolwall.rego"), POLICY).expect("write");
    let cfg = "listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\nidentity:\n  static: { agent: a }\negress:\n  transparent_listen: nope\n  passthrough:\n    - api.github.com:443\n    - \"*\"\n  ca: { cert: missing.crt, key: missing.key }\n";
    std::fs::write(root.join("toolwall.yaml"), cfg).expect("write");
    let Err(e) = toolwall::config::load_snapshot(&root.join("toolwall.yaml"), true) else {
        panic!("a bad egress section loaded");
    };
    let msg = e.to_string();
    assert!(msg.contains("toolwall.yaml:6:23"), "{msg}");
    assert!(msg.contains("egress.transparent_listen"), "{msg}");
    assert!(msg.contains("toolwall.yaml:9:7"), "{msg}");
    assert!(msg.contains("egress.passthrough[1]"), "{msg}");
    assert!(msg.contains("egress.ca.cert"), "{msg}");
    assert!(msg.contains("egress.ca.key"), "{msg}");
}

/// A network namespace, its processes and their files; everything is removed on drop.
struct Netns {
    name: String,
    children: Vec<std::process::Child>,
}

impl Netns {
    fn exec(&self, args: &[&str]) -> std::process::Command {
        let mut c = std::process::Command::new("ip");
        c.args(["netns", "exec", &self.name]).args(args);
        c
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        self.exec(args).output().expect("ip netns exec")
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        // the namespace's iptables rules go with it
        let _ = std::process::Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

/// The enforcing mode for real: in a network namespace made here, iptables REDIRECTs the
/// agent's (UID 65534) outbound connections to the transparent listener of the real
/// `toolwall` binary, which reads the original destination with `SO_ORIGINAL_DST`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netns_redirected_https_is_intercepted_by_the_transparent_listener() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().to_path_buf();
    // the agent (another UID) reads ca.crt under it
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let name = format!("twnetns{}", std::process::id());
    let ns = Netns {
        name: name.clone(),
        children: Vec::new(),
    };
    let added = std::process::Command::new("ip")
        .args(["netns", "add", &name])
        .output()
        .expect("ip");
    assert!(
        added.status.success(),
        "ip netns add (needs root): {}",
        String::from_utf8_lossy(&added.stderr)
    );
    let mut ns = ns;
    assert!(ns.run(&["ip", "link", "set", "lo", "up"]).status.success());

    // the tool: a TLS server inside the namespace (certificate for localhost)
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "netns tool CA");
    let ca_cert = ca_params.self_signed(&ca_key).expect("ca");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().expect("key");
    let leaf = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .expect("params")
        .signed_by(&leaf_key, &issuer)
        .expect("leaf");
    std::fs::write(root.join("tool.crt"), leaf.pem()).expect("write");
    std::fs::write(root.join("tool.key"), leaf_key.serialize_pem()).expect("write");
    let tool_port = 18443u16;
    let tool_log = root.join("tool.log");
    let tool = r#"
import http.server, json, ssl, sys
port, cert, key, log = sys.argv[1:5]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        with open(log, "a") as f:
            f.write(json.dumps({"path": self.path,
                                "authorization": self.headers.get("authorization")}) + "\n")
        body = json.dumps({"tool_saw": self.path}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
"#;
    let py = python();
    ns.children.push(
        ns.exec(&[
            &py.display().to_string(),
            "-c",
            tool,
            &tool_port.to_string(),
            &root.join("tool.crt").display().to_string(),
            &root.join("tool.key").display().to_string(),
            &tool_log.display().to_string(),
        ])
        .spawn()
        .expect("tool"),
    );

    // toolwall, the real binary, inside the namespace
    std::fs::create_dir_all(root.join("adapters")).expect("mkdir");
    std::fs::create_dir_all(root.join("policies")).expect("mkdir");
    std::fs::write(root.join("adapters/ca.pem"), ca_cert.pem()).expect("write");
    std::fs::write(
        root.join("adapters/echo.yaml"),
        echo_adapter(
            &format!("https://localhost:{tool_port}"),
            "tls: { ca: ca.pem }\ncredentials: { header: Authorization, prefix: \"Bearer \", env: TOOLWALL_TEST_NETNS_KEY }",
        ),
    )
    .expect("write");
    std::fs::write(root.join("policies/toolwall.rego"), POLICY).expect("write");
    assert_eq!(toolwall::cli::audit::keygen(&root.join("keys"), "t"), 0);
    std::fs::write(
        root.join("toolwall.yaml"),
        format!(
            "listen: 127.0.0.1:15080\nadmin: 127.0.0.1:15901\n{STATIC_IDENTITY}\
             audit: {{ dir: audit, key: keys/audit.key, hmac_key: keys/hmac.key }}\n\
             egress:\n  ca_out: ca\n  transparent_listen: 127.0.0.1:15081\n"
        ),
    )
    .expect("write");
    let mut run = ns.exec(&[
        env!("CARGO_BIN_EXE_toolwall"),
        "run",
        "--config",
        &root.join("toolwall.yaml").display().to_string(),
    ]);
    run.env("TOOLWALL_TEST_NETNS_KEY", "sk_netns_tool")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    ns.children.push(run.spawn().expect("toolwall"));

    // the agent's outbound TCP (UID 65534) goes to the transparent listener
    let rule = ns.run(&[
        "iptables",
        "-t",
        "nat",
        "-A",
        "OUTPUT",
        "-p",
        "tcp",
        "-m",
        "owner",
        "--uid-owner",
        "65534",
        "-j",
        "REDIRECT",
        "--to-ports",
        "15081",
    ]);
    assert!(
        rule.status.success(),
        "iptables: {}",
        String::from_utf8_lossy(&rule.stderr)
    );

    let ready = {
        let mut ok = false;
        for _ in 0..100 {
            let out = ns.run(&["curl", "-sf", "http://127.0.0.1:15901/readyz"]);
            if out.status.success() && root.join("ca/ca.crt").exists() {
                ok = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        ok
    };
    assert!(ready, "toolwall did not become ready in the namespace");
    let mut tool_up = false;
    for _ in 0..100 {
        let probe = format!("exec 3<>/dev/tcp/127.0.0.1/{tool_port}");
        if ns.run(&["bash", "-c", &probe]).status.success() {
            tool_up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(tool_up, "the tool did not start in the namespace");
    let ca = root.join("ca/ca.crt").display().to_string();
    let agent = |url: String, extra: &[&str]| {
        let mut args: Vec<String> = s(&[
            "setpriv",
            "--reuid",
            "65534",
            "--regid",
            "65534",
            "--clear-groups",
            "curl",
            "-sS",
            "--max-time",
            "10",
            "--noproxy",
            "*",
            "--cacert",
            &ca,
        ]);
        args.extend(extra.iter().map(|x| x.to_string()));
        args.push(url);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        ns.run(&refs)
    };
    // allowed: the agent speaks TLS to localhost:18443 as if no proxy existed
    let out = agent(
        format!("https://localhost:{tool_port}/v1/charges/ch_1?limit=2"),
        &["-H", "authorization: Bearer agent-own-key"],
    );
    let body = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{body} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(body.contains("/v1/charges/ch_1"), "{body}");
    let log = std::fs::read_to_string(&tool_log).unwrap_or_default();
    assert!(log.contains("Bearer sk_netns_tool"), "{log}");
    assert!(!log.contains("agent-own-key"), "{log}");
    // refused by schema: never reaches the tool
    let out = agent(
        format!("https://localhost:{tool_port}/v1/charges/ch_1?limit=99"),
        &["-w", "\n%{http_code}"],
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).ends_with("\n400"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // a host no adapter guards: refused at the TLS handshake
    let out = agent(
        format!("https://elsewhere.test:{tool_port}/"),
        &[
            "--resolve",
            &format!("elsewhere.test:{tool_port}:127.0.0.1"),
        ],
    );
    assert!(!out.status.success());
    let log = std::fs::read_to_string(&tool_log).unwrap_or_default();
    assert_eq!(log.lines().count(), 1, "{log}");

    let mut recs = Vec::new();
    for _ in 0..100 {
        recs = audit_records(&root.join("audit"));
        if recs
            .iter()
            .any(|r| r["request"]["host"] == "elsewhere.test")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let refused = recs
        .iter()
        .find(|r| r["request"]["host"] == "elsewhere.test")
        .unwrap_or_else(|| panic!("{recs:#?}"));
    assert_eq!(refused["reasons"][0], "unknown_upstream");
    assert_eq!(refused["request"]["via"], "transparent");
    assert_eq!(refused["request"]["port"], tool_port);
    assert!(recs
        .iter()
        .any(|r| r["decision"] == "allow" && r["tool"] == "echo.get_charge"));
    drop(ns);
}

/// A TLS front (certificate for `localhost` from a CA made here) forwarding each request to
/// `to`: a real HTTPS upstream for a plain-HTTP server. Returns its address and the CA (PEM).
async fn tls_front(to: std::net::SocketAddr) -> (std::net::SocketAddr, String) {
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "front CA");
    let ca_pem = ca_params.self_signed(&ca_key).expect("ca").pem();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().expect("key");
    let leaf = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .expect("params")
        .signed_by(&leaf_key, &issuer)
        .expect("leaf");
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls_pki_types::PrivatePkcs8KeyDer::from(leaf_key.serialize_der()).into(),
        )
        .expect("config");
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(cfg));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<hyper::body::Incoming>();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let client = client.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                // the server checks Host (DNS rebinding protection): it gets its own address
                let svc = hyper::service::service_fn(
                    move |mut req: http::Request<hyper::body::Incoming>| {
                        let client = client.clone();
                        async move {
                            let pq = req
                                .uri()
                                .path_and_query()
                                .map(|p| p.as_str().to_string())
                                .unwrap_or_else(|| "/".into());
                            *req.uri_mut() = format!("http://{to}{pq}").parse().expect("uri");
                            req.headers_mut()
                                .insert("host", to.to_string().parse().expect("host"));
                            client.request(req).await
                        }
                    },
                );
                let _ = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                )
                .serve_connection(hyper_util::rt::TokioIo::new(tls), svc)
                .await;
            });
        }
    });
    (addr, ca_pem)
}

/// The real MCP SDK client, through `CONNECT` with toolwall's CA as its only trust root, to an
/// MCP server behind TLS: the MCP front end decides every call inside the tunnel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_sdk_client_through_the_tunnel() {
    use super::mcp::{McpServer, MCP_POLICY};
    let server = McpServer::start().await;
    let (front, front_ca) = tls_front(server.addr).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("adapters")).expect("mkdir");
    std::fs::create_dir_all(root.join("policies")).expect("mkdir");
    std::fs::write(root.join("adapters/ca.pem"), front_ca).expect("write");
    std::fs::write(
        root.join("adapters/crm.yaml"),
        format!(
            "name: crm\nkind: mcp\nupstream: https://localhost:{}/mcp\ntimeout: 10s\n\
             tls: {{ ca: ca.pem }}\ntools:\n  - name: refund\n",
            front.port()
        ),
    )
    .expect("write");
    std::fs::write(root.join("policies/toolwall.rego"), MCP_POLICY).expect("write");
    std::fs::write(
        root.join("toolwall.yaml"),
        format!(
            "listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\n{STATIC_IDENTITY}egress:\n  ca_out: ca\n"
        ),
    )
    .expect("write");
    let loaded = toolwall::config::load_snapshot(&root.join("toolwall.yaml"), true)
        .unwrap_or_else(|e| panic!("{e}"));
    let app = toolwall::app::start(loaded).await.expect("start");
    let script = r#"
import json, ssl, sys
import anyio, httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
proxy, ca, url = sys.argv[1:4]

def summary(r):
    return {"is_error": bool(r.is_error),
            "text": " ".join(c.text for c in r.content if getattr(c, "text", None))}

async def main():
    ctx = ssl.create_default_context(cafile=ca)
    out = {}
    async with httpx2.AsyncClient(proxy=proxy, verify=ctx, trust_env=False, timeout=10) as http:
        async with Client(streamable_http_client(url, http_client=http)) as c:
            out["tools"] = sorted(t.name for t in (await c.list_tools()).tools)
            out["allowed"] = summary(await c.call_tool("refund", {"charge": "ch_1", "amount": 5}))
            out["denied"] = summary(await c.call_tool("refund", {"charge": "ch_1", "amount": 5000}))
    print(json.dumps(out))

anyio.run(main)
"#;
    let args = [
        format!("http://{}", app.listen_addr),
        root.join("ca/ca.crt").display().to_string(),
        format!("https://localhost:{}/mcp", front.port()),
    ];
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python())
            .arg("-c")
            .arg(script)
            .args(&args)
            .output()
            .expect("python")
    })
    .await
    .expect("task");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(stdout.trim()).expect("json");
    let tools: Vec<&str> = v["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(tools.contains(&"refund"), "{v}");
    assert!(
        !tools.contains(&"admin_reset"),
        "the policy's tools/list filter applies: {v}"
    );
    assert_eq!(v["allowed"]["is_error"], false, "{v}");
    assert!(
        v["allowed"]["text"]
            .as_str()
            .unwrap_or("")
            .contains("refunded 5 on ch_1"),
        "{v}"
    );
    assert_eq!(v["denied"]["is_error"], true, "{v}");
    let calls = server.tool_calls();
    assert_eq!(
        calls.len(),
        1,
        "only the allowed call reached the server: {calls:#?}"
    );
    assert_eq!(calls[0]["params"]["arguments"]["amount"], 5);
    app.shutdown().await;
}

/// On an mTLS agent listener, the client certificate of the connection that sent `CONNECT`
/// is the identity of every request inside the tunnel (curl: HTTPS proxy with a client
/// certificate, then TLS to the minted certificate inside).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mtls_identity_of_the_connect_connection_applies_inside_the_tunnel() {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let up = https_upstream().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, "client CA");
    let pki = CertifiedIssuer::self_signed(p, KeyPair::generate().expect("key")).expect("ca");
    let server_key = KeyPair::generate().expect("key");
    let server = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .expect("params")
        .signed_by(&server_key, &pki)
        .expect("server");
    let client_key = KeyPair::generate().expect("key");
    let mut cp = CertificateParams::new(Vec::<String>::new()).expect("params");
    cp.distinguished_name.push(DnType::CommonName, "refunds");
    cp.subject_alt_names.push(rcgen::SanType::URI(
        "spiffe://test.local/ns/billing/sa/refunds"
            .try_into()
            .expect("ia5"),
    ));
    let client = cp.signed_by(&client_key, &pki).expect("client");
    for (f, pem) in [
        ("pki.pem", pki.pem()),
        ("server.pem", server.pem()),
        ("server.key", server_key.serialize_pem()),
        ("client.pem", client.pem()),
        ("client.key", client_key.serialize_pem()),
    ] {
        std::fs::write(root.join(f), pem).expect("write");
    }
    std::fs::create_dir_all(root.join("adapters")).expect("mkdir");
    std::fs::create_dir_all(root.join("policies")).expect("mkdir");
    std::fs::write(
        root.join("adapters/ca.pem"),
        up.ca_pem.as_deref().expect("ca"),
    )
    .expect("write");
    std::fs::write(
        root.join("adapters/echo.yaml"),
        echo_adapter(
            &format!("https://localhost:{}", up.addr.port()),
            "tls: { ca: ca.pem }",
        ),
    )
    .expect("write");
    // who the call is from, as policy saw it, in the refusal's reasons
    std::fs::write(
        root.join("policies/toolwall.rego"),
        "package toolwall\nimport rego.v1\n\ndecision := {\"allow\": false, \"reasons\": [input.principal.source, input.principal.agent]}\n",
    )
    .expect("write");
    let d = root.display();
    std::fs::write(
        root.join("toolwall.yaml"),
        format!(
            "listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\nidentity:\n  mtls: {{ client_ca: {d}/pki.pem, cert: {d}/server.pem, key: {d}/server.key, trust_domain: test.local }}\negress:\n  ca_out: ca\n"
        ),
    )
    .expect("write");
    let loaded = toolwall::config::load_snapshot(&root.join("toolwall.yaml"), true)
        .unwrap_or_else(|e| panic!("{e}"));
    let app = toolwall::app::start(loaded).await.expect("start");
    let proxy = format!("https://{}", app.listen_addr);
    let pki_pem = root.join("pki.pem").display().to_string();
    let ca = root.join("ca/ca.crt").display().to_string();
    let url = format!("https://localhost:{}/v1/charges/ch_1", up.addr.port());
    let (code, body, err) = curl(s(&[
        "--proxy",
        &proxy,
        "--proxy-cacert",
        &pki_pem,
        "--proxy-cert",
        &root.join("client.pem").display().to_string(),
        "--proxy-key",
        &root.join("client.key").display().to_string(),
        "--cacert",
        &ca,
        "-w",
        "\n%{http_code}",
        &url,
    ]))
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(body.ends_with("\n403"), "{body}");
    let v: Value = serde_json::from_str(body.trim_end_matches("\n403")).expect("json");
    assert_eq!(
        v["error"]["reasons"],
        serde_json::json!(["mtls", "spiffe://test.local/ns/billing/sa/refunds"]),
        "{v}"
    );
    // without a client certificate the proxy handshake fails: no tunnel at all
    let (code, _, _) = curl(s(&[
        "--proxy",
        &proxy,
        "--proxy-cacert",
        &pki_pem,
        "--cacert",
        &ca,
        &url,
    ]))
    .await;
    assert_ne!(code, 0);
    assert!(up.requests().is_empty());
    app.shutdown().await;
}
