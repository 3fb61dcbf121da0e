//! HTTP hardening on real sockets: path parameters and headers redacted as decided (both ways)
//! and kept out of the audit stream, URL/method rewrites refused, malformed bearer tokens
//! refused, 413 readable by clients that write their whole body first, idle connections
//! closed and a connection cap that leaves established clients working.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use bytes::Bytes;
use http::Response;
use http_body_util::Full;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::*;

/// A lax upstream: records every request, and answers with PII in its headers (`Location`,
/// `Set-Cookie`, `X-Contact`) as a careless API would.
async fn lax_upstream() -> Upstream {
    scripted_upstream(|_| {
        Response::builder()
            .status(201)
            .header("content-type", "application/json")
            .header("location", "/customers/jane.doe@example.com")
            .header("set-cookie", "contact=bob@example.org; Path=/")
            .header("x-contact", "call bob@example.org")
            .body(Full::new(Bytes::from_static(b"{\"ok\":true}")))
            .expect("response")
    })
    .await
}

fn lax_adapter(upstream: SocketAddr) -> String {
    format!(
        r#"name: lax
upstream: http://{upstream}
timeout: 2s
tools:
  - name: lax.get_user
    match: {{ method: GET, path: "/v1/users/{{id}}" }}
    args: query
  - name: lax.get_file
    match: {{ method: GET, path: "/v1/files/{{*rest}}" }}
    args: query
  - name: lax.note
    match: {{ method: POST, path: /v1/notes }}
    args: form
  - name: lax.json_note
    match: {{ method: POST, path: /v1/json_notes }}
    args: json
"#
    )
}

/// Allows with `redact: [email, card]`; with `x-probe: show` denies and reports, as reasons,
/// what policy saw of the request headers.
const POLICY: &str = r#"
package toolwall
import rego.v1

default decision := {"allow": true, "reasons": [], "redact": ["email", "card"]}

decision := {"allow": false, "reasons": [
	sprintf("auth=%s", [object.get(input.request.headers, "authorization", "-")]),
	sprintf("cookie=%s", [object.get(input.request.headers, "cookie", "-")]),
	sprintf("email_header=%v", [object.get(input.request.headers, "x-customer-email", "") == "jane.doe@example.com"]),
	sprintf("template=%s", [input.request.template]),
	sprintf("pii=%s", [concat(",", input.pii.found)]),
	sprintf("fwd=%s", [object.get(input.request.headers, "x-forwarded-host", "-")]),
]} if object.get(input.request.headers, "x-probe", "") == "show"
"#;

fn audit_config(keys: &Path) -> String {
    assert_eq!(toolwall::cli::audit::keygen(&keys.join("keys"), "t"), 0);
    format!(
        "audit: {{ dir: audit, key: {}/keys/audit.key }}\n",
        keys.display()
    )
}

/// Every audit record on disk, and the raw bytes of the stream.
fn audit_on_disk(dir: &Path) -> (Vec<serde_json::Value>, String) {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("audit dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    let mut raw = String::new();
    for f in files {
        raw.push_str(&std::fs::read_to_string(f).expect("read"));
    }
    let records = raw
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    (records, raw)
}

fn get_with(target: &str, headers: &[(&str, &str)]) -> http::Request<Full<Bytes>> {
    let mut b = req("GET", target);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Full::new(Bytes::new())).expect("request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_params_and_headers_are_forwarded_as_decided_and_audited_without_pii() {
    let up = lax_upstream().await;
    let keys = tempfile::tempdir().expect("tmp");
    let h = Harness::start(
        &[("lax", lax_adapter(up.addr))],
        POLICY,
        &audit_config(keys.path()),
    )
    .await;

    // path parameter, query value and headers carry PII; policy says redact email and card
    let r = send(
        h.agent(),
        get_with(
            "/lax/v1/users/jane.doe@example.com?note=card+4242424242424242",
            &[
                ("x-customer-email", "jane.doe@example.com"),
                ("cookie", "sid=abc; card=4242424242424242"),
                ("x-customer-ref", "who%3Djane.doe%40example.com"),
                ("authorization", "Bearer agent-secret-token"),
                ("x-forwarded-host", "evil.example"),
                ("accept", "application/json"),
            ],
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    // the client gets the tool's response headers redacted
    assert_eq!(r.headers["location"], "/customers/[EMAIL]");
    assert_eq!(r.headers["set-cookie"], "contact=[EMAIL]; Path=/");
    assert_eq!(r.headers["x-contact"], "call [EMAIL]");

    let seen = up.requests();
    assert_eq!(seen.len(), 1);
    let s = &seen[0];
    assert_eq!(
        s.path_and_query,
        "/v1/users/%5BEMAIL%5D?note=card+%5BCREDIT_CARD%5D"
    );
    assert_eq!(s.headers["x-customer-email"], "[EMAIL]");
    assert_eq!(s.headers["cookie"], "sid=abc; card=[CREDIT_CARD]");
    assert_eq!(s.headers["x-customer-ref"], "who=[EMAIL]");
    assert_eq!(s.headers["accept"], "application/json");
    // the agent's own credential and forwarding headers never reach the tool
    assert!(s.headers.get("authorization").is_none());
    assert!(s.headers.get("x-forwarded-host").is_none());

    // a catch-all parameter: every segment rebuilt and encoded
    let r = send(
        h.agent(),
        get("/lax/v1/files/a/jane.doe@example.com/b%20c.txt"),
    )
    .await;
    assert_eq!(r.status, 201);
    assert_eq!(
        up.requests()[1].path_and_query,
        "/v1/files/a/%5BEMAIL%5D/b%20c.txt"
    );
    // a clean parameter is forwarded as it was
    let r = send(h.agent(), get("/lax/v1/users/u_42")).await;
    assert_eq!(r.status, 201);
    assert_eq!(up.requests()[2].path_and_query, "/v1/users/u_42");

    // what policy sees of the headers: credentials as their scheme, cookie names, PII found
    let r = send(
        h.agent(),
        get_with(
            "/lax/v1/users/u_1",
            &[
                ("x-probe", "show"),
                ("x-customer-email", "jane.doe@example.com"),
                ("cookie", "sid=abc; card=4242424242424242"),
                ("authorization", "Bearer agent-secret-token"),
                ("x-forwarded-host", "evil.example"),
            ],
        ),
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.reasons(),
        vec![
            "auth=Bearer",
            "cookie=sid; card",
            "email_header=true",
            "template=/v1/users/{id}",
            "pii=credit_card,email",
            "fwd=-",
        ]
    );
    assert_eq!(up.requests().len(), 3);

    // a path that matches no tool: refused, and recorded with its PII masked
    let r = send(h.agent(), get("/lax/nope/jane.doe@example.com")).await;
    assert_eq!(r.reasons(), vec!["unknown_tool"]);

    let Harness { app, dir } = h;
    app.shutdown().await;
    let (records, raw) = audit_on_disk(&dir.path().join("audit"));
    for secret in [
        "jane.doe",
        "4242424242424242",
        "bob@example.org",
        "agent-secret-token",
        "evil.example",
    ] {
        assert!(!raw.contains(secret), "`{secret}` is in the audit stream");
    }
    let decisions: Vec<_> = records
        .iter()
        .filter(|r| r.get("request").is_some())
        .collect();
    let user = decisions
        .iter()
        .find(|r| r["tool"] == "lax.get_user")
        .expect("get_user decision");
    assert_eq!(user["request"]["path"], "/v1/users/{id}");
    assert_eq!(user["input"]["request"]["path"], "/v1/users/{id}");
    assert_eq!(
        user["input"]["request"]["headers"]["x-customer-email"],
        "[EMAIL]"
    );
    let redactions = user["redactions"].as_array().expect("redactions");
    assert!(
        redactions.contains(&json!({"header": "x-customer-email", "entity": "EMAIL"})),
        "{redactions:?}"
    );
    let unknown = decisions
        .iter()
        .find(|r| r["reason"] == "unknown_tool")
        .expect("unknown tool decision");
    assert_eq!(unknown["request"]["path"], "/nope/[EMAIL]");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn url_rewrite_and_method_override_are_refused_in_headers_query_form_and_json() {
    let up = lax_upstream().await;
    let h = Harness::start(&[("lax", lax_adapter(up.addr))], POLICY, "").await;
    for (name, value) in [
        ("x-original-url", "/admin/delete_all"),
        ("x-rewrite-url", "/admin/delete_all"),
        ("x-original-uri", "/admin"),
        ("x-forwarded-prefix", "/admin"),
        ("x-forwarded-path", "/admin"),
        ("x-envoy-original-path", "/admin"),
        ("x-http-method", "DELETE"),
        ("x-http-method-override", "DELETE"),
        ("x-custom-method-override", "DELETE"),
        ("x-middleware-subrequest", "middleware"),
    ] {
        let r = send(h.agent(), get_with("/lax/v1/users/u_1", &[(name, value)])).await;
        assert_eq!(r.status, 400, "{name}");
        assert_eq!(r.reasons(), vec!["ambiguous_request"], "{name}");
    }
    let r = send(h.agent(), get("/lax/v1/users/u_1?_method=DELETE")).await;
    assert_eq!(r.reasons(), vec!["ambiguous_request"]);
    let r = send(h.agent(), get("/lax/v1/users/u_1?_METHOD=put")).await;
    assert_eq!(r.reasons(), vec!["ambiguous_request"]);
    let form = req("POST", "/lax/v1/notes")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from_static(b"text=hi&_method=DELETE")))
        .expect("request");
    let r = send(h.agent(), form).await;
    assert_eq!(r.reasons(), vec!["ambiguous_request"]);
    let r = send(
        h.agent(),
        json_post("/lax/v1/json_notes", r#"{"text":"hi","_method":"DELETE"}"#),
    )
    .await;
    assert_eq!(r.reasons(), vec!["ambiguous_request"]);
    assert!(up.requests().is_empty(), "{:?}", up.requests());
    // the same calls without the override go through
    let r = send(
        h.agent(),
        json_post("/lax/v1/json_notes", r#"{"text":"hi"}"#),
    )
    .await;
    assert_eq!(r.status, 201);
    assert_eq!(up.requests().len(), 1);
    assert_eq!(up.requests()[0].method, "POST");
}

fn es_key() -> rcgen::KeyPair {
    rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("es key")
}

fn es_jwk(k: &rcgen::KeyPair, kid: &str, use_: &str) -> serde_json::Value {
    let p = k.public_key_raw();
    json!({"kty": "EC", "crv": "P-256", "kid": kid, "use": use_,
           "x": B64.encode(&p[1..33]), "y": B64.encode(&p[33..65])})
}

fn es_token(k: &rcgen::KeyPair, kid: &str) -> String {
    let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    h.kid = Some(kid.into());
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"iss": "https://issuer.test", "aud": "toolwall", "sub": "agent-7",
                        "exp": now + 600, "iat": now});
    jsonwebtoken::encode(
        &h,
        &claims,
        &jsonwebtoken::EncodingKey::from_ec_der(&k.serialize_der()),
    )
    .expect("sign")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn present_but_invalid_bearer_is_401_and_encryption_keys_never_verify() {
    let up = lax_upstream().await;
    let sig = es_key();
    let enc = es_key();
    let wrap = es_key();
    let dir = tempfile::tempdir().expect("tmp");
    let jwks = dir.path().join("jwks.json");
    let mut wrap_jwk = es_jwk(&wrap, "wrap1", "sig");
    let wrap_obj = wrap_jwk.as_object_mut().expect("object");
    wrap_obj.remove("use");
    wrap_obj.insert("key_ops".into(), json!(["encrypt", "wrapKey"]));
    let set = json!({"keys": [es_jwk(&sig, "sig1", "sig"), es_jwk(&enc, "enc1", "enc"), wrap_jwk]});
    std::fs::write(&jwks, set.to_string()).expect("write");
    // JWT and a static fallback: a bad token must not fall through to static
    let cfg = format!(
        "identity:\n  static: {{ agent: pod, tenant: acme }}\n  jwt:\n    issuer: https://issuer.test\n    audience: toolwall\n    jwks_file: {}\n",
        jwks.display()
    );
    let h = Harness::start_with(&[("lax", lax_adapter(up.addr))], POLICY, &cfg, None).await;
    let good = es_token(&sig, "sig1");
    let r = send(
        h.agent(),
        get_with(
            "/lax/v1/users/u_1",
            &[("authorization", &format!("Bearer {good}"))],
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert!(up.requests()[0].headers.get("authorization").is_none());

    let enc_token = format!("Bearer {}", es_token(&enc, "enc1"));
    let wrap_token = format!("Bearer {}", es_token(&wrap, "wrap1"));
    let two = req("GET", "/lax/v1/users/u_1")
        .header("authorization", format!("Bearer {good}"))
        .header("authorization", "Bearer other")
        .body(Full::new(Bytes::new()))
        .expect("request");
    let r = send(h.agent(), two).await;
    assert_eq!(r.status, 401, "two Authorization headers");
    assert_eq!(r.reasons(), vec!["invalid_token"]);
    for bad in [
        "Bearer",
        "Bearer ",
        "Bearer not.a.jwt",
        "Bearer a b",
        "Basic YWdlbnQ6c2VjcmV0",
        "Bearerxyz",
        "token",
        enc_token.as_str(),
        wrap_token.as_str(),
    ] {
        let r = send(
            h.agent(),
            get_with("/lax/v1/users/u_1", &[("authorization", bad)]),
        )
        .await;
        assert_eq!(r.status, 401, "{bad}");
        assert_eq!(r.reasons(), vec!["invalid_token"], "{bad}");
    }
    // no header at all: the static identity applies
    let r = send(h.agent(), get("/lax/v1/users/u_2")).await;
    assert_eq!(r.status, 201);
    assert_eq!(up.requests().len(), 2);

    // without JWT identity a bearer token is not identity and never reaches the tool
    let up2 = lax_upstream().await;
    let h2 = Harness::start(&[("lax", lax_adapter(up2.addr))], POLICY, "").await;
    let r = send(
        h2.agent(),
        get_with(
            "/lax/v1/users/u_1",
            &[("authorization", "Bearer agent-own-token")],
        ),
    )
    .await;
    assert_eq!(r.status, 201);
    assert!(up2.requests()[0].headers.get("authorization").is_none());
}

/// Read one HTTP/1.1 response (head and Content-Length body) from `s`.
async fn read_response(s: &mut TcpStream) -> std::io::Result<(String, String)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let len = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = s.read(&mut chunk).await?;
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let body = String::from_utf8_lossy(&buf[end + 4..]).to_string();
            return Ok((head, body));
        }
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_413_reaches_clients_that_write_their_whole_body_first() {
    let up = lax_upstream().await;
    let h = Harness::start(
        &[("lax", lax_adapter(up.addr))],
        POLICY,
        "request: { max_body_bytes: 1024 }\n",
    )
    .await;
    let body = vec![b'x'; 4 << 20];

    // raw socket: declared length, whole body written before reading
    let mut s = TcpStream::connect(h.agent()).await.expect("connect");
    let head = format!(
        "POST /lax/v1/json_notes HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.expect("head");
    tokio::time::timeout(Duration::from_secs(20), s.write_all(&body))
        .await
        .expect("the whole body is accepted in time")
        .expect("body written without a reset");
    let (head, text) = tokio::time::timeout(Duration::from_secs(10), read_response(&mut s))
        .await
        .expect("response in time")
        .expect("a response, not a reset");
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert!(text.contains("payload_too_large"), "{text}");

    // chunked, no declared length
    let mut s = TcpStream::connect(h.agent()).await.expect("connect");
    s.write_all(
        b"POST /lax/v1/json_notes HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
    )
    .await
    .expect("head");
    let mut chunked = Vec::new();
    for part in body.chunks(64 << 10) {
        chunked.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        chunked.extend_from_slice(part);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    tokio::time::timeout(Duration::from_secs(20), s.write_all(&chunked))
        .await
        .expect("the whole body is accepted in time")
        .expect("body written without a reset");
    let (head, _) = tokio::time::timeout(Duration::from_secs(10), read_response(&mut s))
        .await
        .expect("response in time")
        .expect("a response, not a reset");
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");

    // Python's http.client (what requests and most agent SDKs use) writes the body first
    let script = format!(
        r#"
import http.client, json
c = http.client.HTTPConnection("127.0.0.1", {port}, timeout=20)
c.request("POST", "/lax/v1/json_notes", body=b"x" * (4 << 20), headers={{"Content-Type": "application/json"}})
r = c.getresponse()
print(r.status, json.loads(r.read())["error"]["reasons"][0])
"#,
        port = h.agent().port()
    );
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python())
            .args(["-c", &script])
            .output()
            .expect("run python")
    })
    .await
    .expect("join");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "413 payload_too_large"
    );
    assert!(up.requests().is_empty());
}

/// Whether the peer closed `s` within `within` (EOF or reset), without sending anything.
async fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    let mut b = [0u8; 64];
    matches!(
        tokio::time::timeout(within, s.read(&mut b)).await,
        Ok(Ok(0)) | Ok(Err(_))
    )
}

async fn request_on(s: &mut TcpStream, path: &str) -> String {
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes())
        .await
        .expect("write");
    let (head, _) = tokio::time::timeout(Duration::from_secs(5), read_response(s))
        .await
        .expect("response in time")
        .expect("response");
    head
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed_and_the_connection_cap_keeps_established_clients_working() {
    let up = lax_upstream().await;
    let h = Harness::start(
        &[("lax", lax_adapter(up.addr))],
        POLICY,
        "listener: { header_read_timeout: 1s, max_connections: 3, admin_max_connections: 2 }\n",
    )
    .await;

    // a socket that never sends a byte is closed after the timeout (agent and admin)
    let started = Instant::now();
    let mut idle = TcpStream::connect(h.agent()).await.expect("connect");
    let mut idle_admin = TcpStream::connect(h.admin()).await.expect("connect");
    assert!(closed_within(&mut idle, Duration::from_secs(5)).await);
    assert!(closed_within(&mut idle_admin, Duration::from_secs(5)).await);
    assert!(started.elapsed() >= Duration::from_millis(900));

    // fill the cap: one working client, two idle sockets
    let mut client = TcpStream::connect(h.agent()).await.expect("connect");
    assert!(request_on(&mut client, "/lax/v1/users/u_1")
        .await
        .starts_with("HTTP/1.1 201"));
    let mut idle1 = TcpStream::connect(h.agent()).await.expect("connect");
    let mut idle2 = TcpStream::connect(h.agent()).await.expect("connect");
    tokio::time::sleep(Duration::from_millis(100)).await;
    // one more is closed at once, well before any timeout
    let mut over = TcpStream::connect(h.agent()).await.expect("connect");
    let t = Instant::now();
    assert!(closed_within(&mut over, Duration::from_millis(800)).await);
    assert!(t.elapsed() < Duration::from_millis(800));
    // the established client keeps working
    assert!(request_on(&mut client, "/lax/v1/users/u_2")
        .await
        .starts_with("HTTP/1.1 201"));
    // the idle sockets are closed after the timeout; then a new client is served
    assert!(closed_within(&mut idle1, Duration::from_secs(5)).await);
    assert!(closed_within(&mut idle2, Duration::from_secs(5)).await);
    // an idle keep-alive connection is closed after the timeout as well
    assert!(closed_within(&mut client, Duration::from_secs(5)).await);
    drop(client);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut fresh = TcpStream::connect(h.agent()).await.expect("connect");
    assert!(request_on(&mut fresh, "/lax/v1/users/u_3")
        .await
        .starts_with("HTTP/1.1 201"));
    assert_eq!(up.requests().len(), 3);
}
