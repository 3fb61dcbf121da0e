//! Forwarding: HTTPS + HTTP/2 upstreams, credentials, traceparent, 502 and 504.

use bytes::Bytes;
use http_body_util::Full;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_upstream_over_http2_with_injected_credentials() {
    let up = https_upstream().await;
    std::env::set_var("TOOLWALL_TEST_ECHO_KEY", "sk_test_secret");
    let adapter = echo_adapter(
        &format!("https://127.0.0.1:{}", up.addr.port()),
        "tls: { ca: ca.pem }\ncredentials: { header: Authorization, prefix: \"Bearer \", env: TOOLWALL_TEST_ECHO_KEY }",
    );
    let h = HarnessWithFile::start(adapter, up.ca_pem.as_deref().expect("ca")).await;
    let request = req("POST", "/echo/v1/refunds")
        .header("content-type", "application/json")
        .header("authorization", "Bearer agent-forged")
        .header("toolwall-run-id", "run-1")
        .header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .body(Full::new(Bytes::from(r#"{"charge":"ch_1","amount":5}"#)))
        .expect("req");
    let r = send(h.agent(), request).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let seen = up.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].version, http::Version::HTTP_2);
    let auth: Vec<_> = seen[0].headers.get_all("authorization").iter().collect();
    assert_eq!(auth, vec!["Bearer sk_test_secret"]);
    assert!(seen[0].headers.get("toolwall-run-id").is_none());
    assert_eq!(
        seen[0]
            .headers
            .get("traceparent")
            .and_then(|v| v.to_str().ok()),
        Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    );
}

/// A harness whose adapter directory also holds `ca.pem`.
struct HarnessWithFile;

impl HarnessWithFile {
    async fn start(adapter: String, ca_pem: &str) -> Harness {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("adapters")).expect("mkdir");
        std::fs::create_dir_all(root.join("policies")).expect("mkdir");
        std::fs::write(root.join("adapters/echo.yaml"), adapter).expect("write");
        std::fs::write(root.join("adapters/ca.pem"), ca_pem).expect("write");
        std::fs::write(root.join("policies/toolwall.rego"), POLICY).expect("write");
        std::fs::write(
            root.join("toolwall.yaml"),
            "listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\nidentity:\n  static: { agent: a, tenant: t }\n",
        )
        .expect("write");
        let loaded = toolwall::config::load_snapshot(&root.join("toolwall.yaml"), true)
            .unwrap_or_else(|e| panic!("{e}"));
        let app = toolwall::app::start(loaded).await.expect("start");
        Harness { app, dir }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_upstream_with_an_untrusted_certificate_is_502() {
    let up = https_upstream().await;
    // no `tls.ca`: the test CA is not trusted
    let h = Harness::start(
        &[(
            "echo",
            echo_adapter(&format!("https://127.0.0.1:{}", up.addr.port()), ""),
        )],
        POLICY,
        "",
    )
    .await;
    let r = send(
        h.agent(),
        json_post("/echo/v1/refunds", r#"{"charge":"ch_1","amount":5}"#),
    )
    .await;
    assert_eq!(r.status, 502);
    assert_eq!(r.reasons(), vec!["upstream_unavailable"]);
    assert!(up.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_down_is_502_and_slow_is_504() {
    // a port that was just free: nothing listens there
    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead = free.local_addr().expect("addr");
    drop(free);
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{dead}"), ""))],
        POLICY,
        "",
    )
    .await;
    let r = send(
        h.agent(),
        json_post("/echo/v1/refunds", r#"{"charge":"ch_1","amount":5}"#),
    )
    .await;
    assert_eq!(r.status, 502);
    assert_eq!(r.json()["error"]["type"], "upstream_error");

    let up = http_upstream().await;
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        POLICY,
        "",
    )
    .await;
    let started = std::time::Instant::now();
    let r = send(h.agent(), get("/echo/slow")).await;
    assert_eq!(r.status, 504);
    assert_eq!(r.reasons(), vec!["upstream_timeout"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
}
