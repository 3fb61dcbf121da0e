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

mod quickstart;
mod spend;
