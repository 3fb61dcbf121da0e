//! The admin API against a browser page and a co-located agent: cross-site "simple" POSTs,
//! foreign `Host` (DNS rebinding), `Origin`, no token; the generated token file and the CLI
//! that reads it. Spend bounds for response-priced tools and upstreams that drop the
//! connection, run budgets per tenant, and the quickstart's ports and directory.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;

use crate::common::*;

async fn shop(extra: &str) -> (FixedUpstream, Harness) {
    let up = fixed_upstream(r#"{"ok":true}"#).await;
    let h = Harness::start(&[("shop", shop_adapter(up.addr))], ALLOW_ALL, extra).await;
    (up, h)
}

fn token_file(h: &Harness) -> std::path::PathBuf {
    h.dir.path().join("state/admin.token")
}

fn file_token(h: &Harness) -> String {
    std::fs::read_to_string(token_file(h))
        .expect("admin.token written at start")
        .trim()
        .to_string()
}

/// The kill switches the state holds, read with the right token.
async fn switches(h: &Harness) -> Vec<String> {
    let r = admin_get(h.admin(), "/admin/kill").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.json()["kills"]
        .as_array()
        .expect("kills")
        .iter()
        .filter_map(|k| k["switch"].as_str().map(String::from))
        .collect()
}

fn post(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> http::Request<Full<Bytes>> {
    let mut b = admin_req("POST", addr, path);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Full::new(Bytes::from(body.to_string())))
        .expect("request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_simple_posts_cannot_flip_a_kill_switch_or_repin() {
    let (up, h) = shop("kill: { tools: [shop.look] }\n").await;
    let token = file_token(&h);
    let bearer = format!("Bearer {token}");
    let kill_all = r#"{"on":true,"all":true}"#;
    let unkill = r#"{"on":false,"tool":"shop.look"}"#;
    // what a page can send with <form> or fetch(no-cors): text/plain, urlencoded, multipart,
    // none at all; with and without Origin, with and without the token
    for ct in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/json-patch+json"),
        Some("text/plain; a=application/json"),
        None,
    ] {
        for path in ["/admin/kill", "/admin/mcp/pin", "/admin/reload"] {
            for (auth, origin) in [
                (None, Some("https://evil.example")),
                (None, None),
                (Some(bearer.as_str()), None),
                (Some(bearer.as_str()), Some("null")),
            ] {
                let mut hs: Vec<(&str, &str)> = Vec::new();
                if let Some(ct) = ct {
                    hs.push(("content-type", ct));
                }
                if let Some(a) = auth {
                    hs.push(("authorization", a));
                }
                if let Some(o) = origin {
                    hs.push(("origin", o));
                }
                let body = if path == "/admin/kill" {
                    kill_all
                } else {
                    r#"{"adapter":"shop"}"#
                };
                let r = send(h.admin(), post(h.admin(), path, &hs, body)).await;
                let want = match (origin, auth) {
                    (Some(_), _) => 403,
                    (None, None) => 401,
                    (None, Some(_)) => 415,
                };
                assert_eq!(
                    r.status.as_u16(),
                    want,
                    "{path} {ct:?} {auth:?} {origin:?}: {}",
                    String::from_utf8_lossy(&r.body)
                );
            }
        }
    }
    // a config switch cannot be lifted that way either (nor an admin one set)
    let r = send(
        h.admin(),
        post(
            h.admin(),
            "/admin/kill",
            &[("content-type", "text/plain")],
            unkill,
        ),
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(switches(&h).await, vec!["tool:shop.look"]);
    // calls still flow: no switch was turned on
    assert_eq!(send(h.agent(), buy()).await.status, 200);
    assert_eq!(up.hits(), 1);
    // the same POST as JSON with the token works
    let r = send(
        h.admin(),
        post(
            h.admin(),
            "/admin/kill",
            &[
                ("content-type", "application/json; charset=utf-8"),
                ("authorization", &bearer),
            ],
            kill_all,
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(send(h.agent(), buy()).await.status, 403);
    assert_eq!(up.hits(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_host_origin_and_missing_token_are_refused_and_probes_stay_open() {
    let (_up, h) = shop("").await;
    let bearer = format!("Bearer {}", file_token(&h));
    let json = ("content-type", "application/json");
    let body = r#"{"on":true,"all":true}"#;
    let port = h.admin().port();
    // DNS rebinding: a name that resolves to 127.0.0.1, with the right token even
    for host in [
        format!("evil.example:{port}"),
        format!("127.0.0.1.nip.io:{port}"),
        format!("localhost.evil.example:{port}"),
        "evil.example".to_string(),
        String::new(),
    ] {
        let req = http::Request::builder()
            .method("POST")
            .uri("/admin/kill")
            .header("host", &host)
            .header(json.0, json.1)
            .header("authorization", &bearer)
            .body(Full::new(Bytes::from(body)))
            .expect("request");
        let r = send(h.admin(), req).await;
        assert_eq!(r.status, 403, "Host {host:?}");
        let get = http::Request::builder()
            .uri("/admin/usage?tenant=acme")
            .header("host", &host)
            .header("authorization", &bearer)
            .body(Full::new(Bytes::new()))
            .expect("request");
        assert_eq!(send(h.admin(), get).await.status, 403, "GET Host {host:?}");
    }
    // an absolute-form request line naming another host, a second Host header
    for (uri, hosts) in [
        (
            format!("http://evil.example:{port}/admin/kill"),
            vec![format!("127.0.0.1:{port}")],
        ),
        (
            "/admin/kill".to_string(),
            vec![format!("127.0.0.1:{port}"), "evil.example".to_string()],
        ),
    ] {
        let mut b = http::Request::builder()
            .method("POST")
            .uri(&uri)
            .header(json.0, json.1)
            .header("authorization", &bearer);
        for hv in &hosts {
            b = b.header("host", hv);
        }
        let r = send(
            h.admin(),
            b.body(Full::new(Bytes::from(body))).expect("req"),
        )
        .await;
        assert_eq!(r.status, 403, "{uri} {hosts:?}");
    }
    // Origin (any value) and browser fetch metadata
    for (k, v) in [
        ("origin", format!("http://127.0.0.1:{port}")),
        ("origin", "null".to_string()),
        ("sec-fetch-site", "cross-site".to_string()),
        ("sec-fetch-site", "same-origin".to_string()),
    ] {
        let r = send(
            h.admin(),
            post(
                h.admin(),
                "/admin/kill",
                &[json, ("authorization", &bearer), (k, &v)],
                body,
            ),
        )
        .await;
        assert_eq!(r.status, 403, "{k}: {v}");
    }
    // no token, a wrong one, two of them
    for auth in [
        vec![],
        vec!["Bearer wrong"],
        vec!["Bearer "],
        vec![bearer.as_str(), "Bearer wrong"],
    ] {
        let mut hs = vec![json];
        for a in &auth {
            hs.push(("authorization", a));
        }
        let r = send(h.admin(), post(h.admin(), "/admin/kill", &hs, body)).await;
        assert_eq!(r.status, 401, "{auth:?}");
        let mut g = admin_req("GET", h.admin(), "/admin/kill");
        for a in &auth {
            g = g.header("authorization", *a);
        }
        let r = send(h.admin(), g.body(Full::new(Bytes::new())).expect("req")).await;
        assert_eq!(r.status, 401, "GET {auth:?}");
    }
    assert!(switches(&h).await.is_empty());
    // localhost and [::1]-style names are the admin API's own
    let r = send(
        h.admin(),
        http::Request::builder()
            .method("POST")
            .uri("/admin/kill")
            .header("host", format!("localhost:{port}"))
            .header(json.0, json.1)
            .header("authorization", &bearer)
            .body(Full::new(Bytes::from(r#"{"on":true,"agent":"x"}"#)))
            .expect("request"),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(switches(&h).await, vec!["agent:x"]);
    // every other path and method needs the checks too (no routing trick skips them)
    for (m, path) in [
        ("POST", "/admin"),
        ("POST", "//admin/kill"),
        ("POST", "/Admin/kill"),
        ("POST", "/metrics/../admin/kill"),
        ("POST", "/metrics"),
        ("PUT", "/admin/kill"),
        ("GET", "/nope"),
    ] {
        let r = send(
            h.admin(),
            admin_req(m, h.admin(), path)
                .header(json.0, json.1)
                .body(Full::new(Bytes::from(body)))
                .expect("request"),
        )
        .await;
        assert_eq!(r.status, 401, "{m} {path}");
    }
    assert_eq!(switches(&h).await, vec!["agent:x"]);
    // read-only probes: no token, any Host
    for path in ["/healthz", "/readyz", "/metrics"] {
        let r = send(h.admin(), get(path)).await;
        assert_eq!(r.status, 200, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generated_token_file_is_private_stable_and_used_by_the_cli() {
    use std::os::unix::fs::PermissionsExt;
    let (up, h) = shop("").await;
    let token = file_token(&h);
    assert_eq!(token.len(), 64);
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
    let mode = std::fs::metadata(token_file(&h))
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(h.app.state.admin.token, token);

    // `toolwall kill` from the config's directory: the token comes from state/admin.token
    let admin_url = format!("http://{}", h.admin());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_toolwall"))
        .current_dir(h.dir.path())
        .env_remove("TOOLWALL_ADMIN_TOKEN")
        .env_remove("TOOLWALL_ADMIN_TOKEN_FILE")
        .args(["kill", "on", "--tenant", "acme", "--admin", &admin_url])
        .output()
        .expect("toolwall kill");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(switches(&h).await, vec!["tenant:acme"]);
    assert_eq!(send(h.agent(), buy()).await.status, 403);
    // --token-file from anywhere
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_toolwall"))
        .env_remove("TOOLWALL_ADMIN_TOKEN")
        .args(["kill", "off", "--tenant", "acme", "--admin", &admin_url])
        .arg("--token-file")
        .arg(token_file(&h))
        .output()
        .expect("toolwall kill");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(send(h.agent(), buy()).await.status, 200);
    assert_eq!(up.hits(), 1);
    // without any token (and no config to find one in) the CLI is refused
    let empty = tempfile::tempdir().expect("tmp");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_toolwall"))
        .current_dir(empty.path())
        .env_remove("TOOLWALL_ADMIN_TOKEN")
        .env_remove("TOOLWALL_ADMIN_TOKEN_FILE")
        .env("HOME", empty.path())
        .env_remove("XDG_STATE_HOME")
        .args(["kill", "on", "--all", "--admin", &admin_url])
        .output()
        .expect("toolwall kill");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("401"));
    assert!(switches(&h).await.is_empty());

    // a restart reuses the file: the CLI's token stays valid
    let dir_cfg = h.dir.path().join("toolwall.yaml");
    let loaded = toolwall::config::load_snapshot(&dir_cfg, true).expect("config");
    let h2 = toolwall::app::start(loaded).await;
    // the first app still holds the ports of its own listeners only (127.0.0.1:0)
    let h2 = h2.expect("second start");
    assert_eq!(h2.state.admin.token, token);
    h2.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_file_readable_by_others_stops_the_start() {
    use std::os::unix::fs::PermissionsExt;
    let (_up, h) = shop("").await;
    let f = token_file(&h);
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let loaded =
        toolwall::config::load_snapshot(&h.dir.path().join("toolwall.yaml"), true).expect("cfg");
    let err = toolwall::app::start(loaded)
        .await
        .err()
        .expect("refused to start");
    assert!(
        format!("{err:#}").contains("readable by other users"),
        "{err:#}"
    );
}

/// Where a test keeps its counters: the embedded SQLite or a real redis-server.
enum Backend {
    Sqlite,
    Redis(RedisServer),
}

impl Backend {
    async fn both() -> Vec<Backend> {
        vec![Backend::Sqlite, Backend::Redis(RedisServer::start().await)]
    }
    fn config(&self) -> String {
        match self {
            Backend::Sqlite => String::new(),
            Backend::Redis(r) => format!(
                "state: {{ backend: redis, url: \"{}\", prefix: \"tw-{}:\" }}\n",
                r.url(),
                std::process::id()
            ),
        }
    }
    fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Redis(_) => "redis",
        }
    }
}

async fn tenant_spent(h: &Harness) -> f64 {
    let u = admin_get(h.admin(), "/admin/usage?tenant=acme").await;
    assert_eq!(u.status, 200, "{:?}", u.body);
    u.json()["tenant_spent_usd"].as_f64().expect("spent")
}

#[test]
fn a_response_priced_tool_needs_an_estimate_to_reserve() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::create_dir_all(dir.path().join("adapters")).expect("mkdir");
    std::fs::create_dir_all(dir.path().join("policies")).expect("mkdir");
    std::fs::write(dir.path().join("policies/p.rego"), ALLOW_ALL).expect("write");
    std::fs::write(
        dir.path().join("adapters/m.yaml"),
        "name: m\nupstream: http://127.0.0.1:9\ntools:\n  - name: m.llm\n    match: { method: POST, path: /llm }\n    cost_from_response: /usage/cost_usd\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("toolwall.yaml"),
        format!("{STATIC_IDENTITY}limits:\n  spend: [ {{ scope: tenant_day, max_usd: 0.10 }} ]\n"),
    )
    .expect("write");
    let (code, out, err) = toolwall(&[
        "check",
        "-c",
        dir.path().join("toolwall.yaml").to_str().expect("utf8"),
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("m.yaml:") && err.contains("cost_from_response needs cost_usd"),
        "{out}{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_response_priced_calls_stay_within_the_budget_on_both_backends() {
    for backend in Backend::both().await {
        // the real cost (0.008) is within the estimate (cost_usd 0.01)
        let up = fixed_upstream(r#"{"ok":true,"usage":{"cost_usd":0.008}}"#).await;
        let h = Harness::start(
            &[("shop", shop_adapter(up.addr))],
            ALLOW_ALL,
            &format!(
                "{}limits:\n  spend: [ {{ scope: tenant_day, max_usd: 0.10 }} ]\n",
                backend.config()
            ),
        )
        .await;
        let agent = h.agent();
        let calls: Vec<_> = (0..40)
            .map(|_| {
                tokio::spawn(async move { send(agent, json_post("/shop/metered", "{}")).await })
            })
            .collect();
        let mut ok = 0;
        for c in calls {
            let r = c.await.expect("task");
            match r.status.as_u16() {
                200 => ok += 1,
                429 => assert_eq!(r.reasons(), vec!["budget_exceeded"]),
                s => panic!("{}: unexpected {s}: {:?}", backend.name(), r.body),
            }
        }
        assert!(ok >= 10, "{}: only {ok} calls went through", backend.name());
        // the real costs left room: calls go on until the next estimate no longer fits
        let mut refused = false;
        for _ in 0..10 {
            let r = send(agent, json_post("/shop/metered", "{}")).await;
            match r.status.as_u16() {
                200 => ok += 1,
                429 => {
                    refused = true;
                    break;
                }
                s => panic!("{}: unexpected {s}", backend.name()),
            }
        }
        assert!(refused, "{}", backend.name());
        let spent = tenant_spent(&h).await;
        assert!(
            spent <= 0.10 + 1e-9,
            "{}: {ok} calls spent {spent} against 0.10",
            backend.name()
        );
        assert!(
            (spent - ok as f64 * 0.008).abs() < 1e-9,
            "{}: {spent}",
            backend.name()
        );
        assert_eq!(up.hits(), ok, "{}", backend.name());
        h.app.shutdown().await;
    }
}

/// An upstream that reads each request whole (the tool "executes") and then closes the
/// connection without answering. Counts the requests it read.
async fn executes_then_drops() -> (SocketAddr, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::AsyncReadExt;
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = l.local_addr().expect("addr");
    let n = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = n.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else {
                return;
            };
            let count = count.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(k) = s.read(&mut chunk).await else {
                        return;
                    };
                    if k == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..k]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len = text[..end]
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + len {
                            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            return; // drop the connection: no answer
                        }
                    }
                }
            });
        }
    });
    (addr, n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_the_upstream_read_and_dropped_keeps_its_cost_and_a_refused_connect_does_not() {
    for backend in Backend::both().await {
        let (addr, executed) = executes_then_drops().await;
        // budget for three calls at 0.01
        let h = Harness::start(
            &[("shop", shop_adapter(addr))],
            ALLOW_ALL,
            &format!(
                "{}limits:\n  spend: [ {{ scope: tenant_day, max_usd: 0.03 }} ]\n",
                backend.config()
            ),
        )
        .await;
        let mut statuses = Vec::new();
        for i in 0..10 {
            let path = if i % 2 == 0 {
                "/shop/buy"
            } else {
                "/shop/metered"
            };
            statuses.push(send(h.agent(), json_post(path, "{}")).await.status.as_u16());
        }
        let ran = executed.load(std::sync::atomic::Ordering::SeqCst);
        assert_eq!(
            statuses,
            vec![502, 502, 502, 429, 429, 429, 429, 429, 429, 429],
            "{}",
            backend.name()
        );
        assert_eq!(ran, 3, "{}", backend.name());
        let spent = tenant_spent(&h).await;
        assert!((spent - 0.03).abs() < 1e-9, "{}: {spent}", backend.name());
        h.app.shutdown().await;

        // nothing listening: the connect fails, nothing was sent, the reservation is released
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            l.local_addr().expect("addr")
        };
        let h = Harness::start(
            &[("shop", shop_adapter(closed))],
            ALLOW_ALL,
            &format!(
                "{}limits:\n  spend: [ {{ scope: tenant_day, max_usd: 0.03 }} ]\n",
                backend.config().replace("tw-", "tw-closed-")
            ),
        )
        .await;
        for _ in 0..5 {
            assert_eq!(
                send(h.agent(), buy()).await.status,
                502,
                "{}",
                backend.name()
            );
        }
        assert_eq!(tenant_spent(&h).await, 0.0, "{}", backend.name());
        h.app.shutdown().await;
    }
}

const RUN_SECRET_ENV: &str = "TOOLWALL_TEST_RUN_KEY_HS256";
const RUN_SECRET: &str = "run-key-test-secret-0123456789abcdef";

fn hs256(tenant: &str, agent: &str) -> String {
    use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
    let now = chrono::Utc::now().timestamp();
    let claims = serde_json::json!({"iss": "https://issuer.test", "aud": "toolwall",
        "sub": agent, "org": tenant, "exp": now + 600, "iat": now});
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(RUN_SECRET.as_bytes()),
    )
    .expect("sign")
}

async fn buy_as(h: &Harness, token: &str, run: &str) -> u16 {
    let r = http::Request::builder()
        .method("POST")
        .uri("/shop/buy")
        .header("host", "toolwall.test")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .header("toolwall-run-id", run)
        .body(Full::new(Bytes::from_static(b"{}")))
        .expect("request");
    send(h.agent(), r).await.status.as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_budget_belongs_to_its_tenant_and_agent_not_to_the_run_id() {
    std::env::set_var(RUN_SECRET_ENV, RUN_SECRET);
    for backend in Backend::both().await {
        let up = fixed_upstream(r#"{"ok":true}"#).await;
        let keys = tempfile::tempdir().expect("tmp");
        let jwks = keys.path().join("jwks.json");
        std::fs::write(&jwks, r#"{"keys":[]}"#).expect("write");
        let cfg = format!(
            "identity:\n  jwt:\n    issuer: https://issuer.test\n    audience: toolwall\n    jwks_file: {}\n    hs256_secret_env: {RUN_SECRET_ENV}\n    tenant_claim: org\n{}limits:\n  spend: [ {{ scope: run, max_usd: 0.02 }}, {{ scope: agent_day, max_usd: 0.03 }} ]\n",
            jwks.display(),
            backend.config()
        );
        let h =
            Harness::start_with(&[("shop", shop_adapter(up.addr))], ALLOW_ALL, &cfg, None).await;
        let victim = hs256("tenant-b", "agent-7");
        let attacker = hs256("tenant-a", "agent-7");
        let other_agent = hs256("tenant-b", "agent-8");
        // the attacker (another tenant, same agent name) spends on run "r1" of its own…
        assert_eq!(buy_as(&h, &attacker, "r1").await, 200, "{}", backend.name());
        assert_eq!(buy_as(&h, &attacker, "r1").await, 200, "{}", backend.name());
        assert_eq!(buy_as(&h, &attacker, "r1").await, 429, "{}", backend.name());
        // …which is not the victim's run "r1", nor its agent-day budget
        assert_eq!(buy_as(&h, &victim, "r1").await, 200, "{}", backend.name());
        assert_eq!(
            buy_as(&h, &other_agent, "r1").await,
            200,
            "{}",
            backend.name()
        );
        assert_eq!(buy_as(&h, &victim, "r1").await, 200, "{}", backend.name());
        assert_eq!(buy_as(&h, &victim, "r1").await, 429, "{}", backend.name());
        assert_eq!(buy_as(&h, &victim, "r2").await, 200, "{}", backend.name());
        // agent_day 0.03 for agent-7 of tenant-b is now used up, on any run
        assert_eq!(buy_as(&h, &victim, "r3").await, 429, "{}", backend.name());
        assert_eq!(up.hits(), 6, "{}", backend.name());
        let u = admin_get(
            h.admin(),
            "/admin/usage?tenant=tenant-b&agent=agent-7&run=r1",
        )
        .await
        .json();
        assert_eq!(u["run_spent_usd"], 0.02, "{u}");
        assert_eq!(u["agent_spent_usd"], 0.03, "{u}");
        let u = admin_get(
            h.admin(),
            "/admin/usage?tenant=tenant-a&agent=agent-7&run=r1",
        )
        .await
        .json();
        assert_eq!(u["run_spent_usd"], 0.02, "{u}");
        assert_eq!(u["agent_spent_usd"], 0.02, "{u}");
        let bad = admin_get(h.admin(), "/admin/usage?tenant=tenant-b&run=r1").await;
        assert_eq!(bad.status, 400);
        h.app.shutdown().await;
    }
}

/// `toolwall run` (the quickstart) in an empty directory with `HOME` = `home`; stderr lines are
/// collected.
struct Quickstart {
    child: std::process::Child,
    stderr: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Quickstart {
    fn spawn(home: &std::path::Path, cwd: &std::path::Path, args: &[String]) -> Quickstart {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_toolwall"))
            .current_dir(cwd)
            .env("HOME", home)
            .env_remove("XDG_STATE_HOME")
            .env_remove("TOOLWALL_ADMIN_TOKEN")
            .env_remove("TOOLWALL_ADMIN_TOKEN_FILE")
            .arg("run")
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn toolwall run");
        let err = child.stderr.take().expect("stderr");
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let lines = stderr.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for l in std::io::BufReader::new(err).lines().map_while(Result::ok) {
                lines.lock().expect("lock").push(l);
            }
        });
        Quickstart { child, stderr }
    }

    fn stderr(&self) -> Vec<String> {
        self.stderr.lock().expect("lock").clone()
    }
}

impl Drop for Quickstart {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn wait_listening(addr: SocketAddr) -> bool {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quickstart_moves_its_ports_names_its_directory_and_the_cli_finds_it() {
    let home = tempfile::tempdir().expect("home");
    let cwd = tempfile::tempdir().expect("cwd");
    let (listen, admin, demo) = (free_port(), free_port(), free_port());
    let addr = |p: u16| -> SocketAddr { format!("127.0.0.1:{p}").parse().expect("addr") };
    let qs = Quickstart::spawn(
        home.path(),
        cwd.path(),
        &[
            "--listen".into(),
            addr(listen).to_string(),
            "--admin".into(),
            addr(admin).to_string(),
            "--demo".into(),
            addr(demo).to_string(),
        ],
    );
    assert!(wait_listening(addr(admin)).await, "{:?}", qs.stderr());
    let dir = home.path().join(".local/state/toolwall/quickstart");
    assert!(
        qs.stderr()
            .first()
            .is_some_and(|l| l.contains(&format!("quickstart directory: {}", dir.display()))),
        "{:?}",
        qs.stderr()
    );
    assert!(dir.join("toolwall.yaml").exists());
    assert!(dir.join("state/admin.token").exists());
    // through the moved agent port to the moved demo API
    let ok = send(
        addr(listen),
        json_post("/payments/v1/refunds", r#"{"charge":"ch_1","amount":500}"#),
    )
    .await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    assert_eq!(ok.json()["status"], "succeeded");
    // `toolwall kill` with no flags, from anywhere: the quickstart directory's admin address
    // and token file
    let kill = |state: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_toolwall"))
            .current_dir(cwd.path())
            .env("HOME", home.path())
            .env_remove("XDG_STATE_HOME")
            .env_remove("TOOLWALL_ADMIN_TOKEN")
            .env_remove("TOOLWALL_ADMIN_TOKEN_FILE")
            .args(["kill", state, "--tenant", "acme_co"])
            .output()
            .expect("toolwall kill")
    };
    let out = kill("on");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = send(
        addr(listen),
        json_post("/payments/v1/refunds", r#"{"charge":"ch_1","amount":500}"#),
    )
    .await;
    assert_eq!(r.reasons(), vec!["kill_switch"]);
    assert!(kill("off").status.success());
    // an admin request without the token is refused
    let no_token = admin_req("GET", addr(admin), "/admin/kill")
        .body(Full::new(Bytes::new()))
        .expect("req");
    assert_eq!(send(addr(admin), no_token).await.status, 401);
    // a second quickstart on the same directory is refused and rewrites nothing
    let before = std::fs::read_to_string(dir.join("toolwall.yaml")).expect("config");
    let mut second = Quickstart::spawn(
        home.path(),
        cwd.path(),
        &["--admin".into(), addr(free_port()).to_string()],
    );
    assert_eq!(second.child.wait().expect("exits").code(), Some(2));
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert!(
        second
            .stderr()
            .iter()
            .any(|l| l.contains("another toolwall quickstart is running")),
        "{:?}",
        second.stderr()
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("toolwall.yaml")).expect("config"),
        before
    );
    assert!(before.contains(&format!("admin: 127.0.0.1:{admin}")));
    drop(qs);

    // a second quickstart while the first's ports are taken by someone else fails and leaves
    // no directory behind
    let squatter = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let taken = squatter.local_addr().expect("addr");
    let fresh = home.path().join("fresh-quickstart");
    let mut failed = Quickstart::spawn(
        home.path(),
        cwd.path(),
        &[
            "--dir".into(),
            fresh.display().to_string(),
            "--listen".into(),
            taken.to_string(),
            "--admin".into(),
            addr(free_port()).to_string(),
            "--demo".into(),
            addr(free_port()).to_string(),
        ],
    );
    let status = failed.child.wait().expect("exits");
    assert!(!status.success());
    assert!(!fresh.exists(), "a failed start left {}", fresh.display());
    // the default directory of the first run is kept (it existed before this start)
    assert!(dir.join("state/admin.token").exists());
    // the flags are for the quickstart only
    std::fs::write(cwd.path().join("toolwall.yaml"), "listen: 127.0.0.1:0\n").expect("write");
    let mut with_config = Quickstart::spawn(
        home.path(),
        cwd.path(),
        &["--listen".into(), addr(free_port()).to_string()],
    );
    assert_eq!(with_config.child.wait().expect("exits").code(), Some(2));
}
