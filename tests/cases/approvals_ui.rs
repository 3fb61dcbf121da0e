//! The approval page (`/ui` on the admin port): an agent's refund needs approval (403
//! `approval_required` with its id); in real headless Chromium (Debian `chromium`, driven by
//! Playwright from `tests/ui`) an approver signs in, sees the pending request, approves it with
//! a comment, and watches the state change and the live feed; then the API says the request is
//! approved with that comment, and the agent's retry with `toolwall-approval` reaches the
//! upstream exactly once (a second retry is refused). Without a browser: the page's API refuses a
//! foreign `Origin`, cross-site fetch metadata, a missing or unknown token, a foreign `Host`,
//! a non-JSON POST and the admin token deciding — and none of those changed the request.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use serde_json::{json, Value};

use crate::common::*;

const ALICE_ENV: &str = "TW_UI_T_ALICE";
const ALICE: &str = "tok-ui-alice-4f0c9e";
const BOB_ENV: &str = "TW_UI_T_BOB";
const BOB: &str = "tok-ui-bob-77d1a2";

/// Refunds over 100 need approval; everything else is allowed.
const POLICY: &str = r#"
package toolwall
import rego.v1

default decision := {"allow": true, "reasons": []}

decision := {"allow": false, "require_approval": true, "reasons": ["refund_over_threshold"]} if {
	input.tool.name == "echo.refund"
	input.args.amount > 100
}
"#;

fn approvals_config() -> String {
    format!(
        "approvals:\n  ttl: 1h\n  approvers:\n    - {{ name: alice, token_env: {ALICE_ENV} }}\n    - {{ name: bob, token_env: {BOB_ENV} }}\n  tiers: {{ default: {{ quorum: 1 }} }}\n"
    )
}

async fn start() -> (Harness, Upstream) {
    std::env::set_var(ALICE_ENV, ALICE);
    std::env::set_var(BOB_ENV, BOB);
    let up = http_upstream().await;
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        POLICY,
        &approvals_config(),
    )
    .await;
    (h, up)
}

/// The refund the agent asks for: over the threshold, so it needs approval. Its arguments carry
/// markup that the page must show as text.
fn refund(charge: &str) -> String {
    json!({"charge": charge, "amount": 500,
           "meta": {"note": "<img src=x onerror=\"window.__pwned=1\">"}})
    .to_string()
}

/// The agent asks (with `approval`: retries with it); the reply.
async fn agent_call(h: &Harness, charge: &str, approval: Option<&str>) -> Reply {
    let mut b = req("POST", "/echo/v1/refunds").header("content-type", "application/json");
    if let Some(id) = approval {
        b = b.header("toolwall-approval", id);
    }
    send(h.agent(), b.body(body(&refund(charge))).expect("req")).await
}

/// A pending request, made the way an agent makes one: a call the policy says needs approval
/// is refused `approval_required` with the request's id (and forwarded nowhere).
async fn ask(h: &Harness, up: &Upstream, charge: &str) -> String {
    let r = agent_call(h, charge, None).await;
    assert_eq!(r.status, 403, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    assert_eq!(v["error"]["type"], "approval_required", "{v}");
    assert!(
        r.reasons().contains(&"refund_over_threshold".to_string()),
        "{v}"
    );
    assert!(up.requests().is_empty());
    v["error"]["approval_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no approval_id: {v}"))
        .to_string()
}

/// A request to the page's API as a browser on the page would send it, minus what each test
/// leaves out or changes.
fn ui_req(h: &Harness, method: &str, path: &str) -> http::request::Builder {
    admin_req(method, h.admin(), path)
}

fn body(s: &str) -> Full<Bytes> {
    Full::new(Bytes::from(s.to_string()))
}

async fn show(h: &Harness, id: &str) -> Value {
    let r = send(
        h.admin(),
        ui_req(h, "GET", &format!("/ui/api/approvals/{id}"))
            .header(
                "authorization",
                format!("Bearer {}", h.app.state.admin.token),
            )
            .body(body(""))
            .expect("req"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    v.get("request")
        .or_else(|| v.get("approval"))
        .cloned()
        .unwrap_or(v)
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The browser test's tools, or a failure that says how to get them (never a skip).
fn browser_tools() -> (PathBuf, PathBuf) {
    let node = std::env::var_os("TOOLWALL_TEST_NODE")
        .map(PathBuf::from)
        .unwrap_or_else(|| "node".into());
    let ok = Command::new(&node)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "the web page test needs Node.js ({} not runnable): apt-get install nodejs npm, or run .ci/run",
        node.display()
    );
    let chromium = std::env::var_os("TOOLWALL_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/usr/bin/chromium".into());
    assert!(
        chromium.exists(),
        "the web page test needs Chromium at {}: apt-get install chromium (or run .ci/run)",
        chromium.display()
    );
    let pw = repo().join("tests/ui/node_modules/playwright-core/package.json");
    assert!(
        pw.exists(),
        "the web page test needs playwright-core: run `npm ci` in tests/ui (.ci/run does)"
    );
    (node, chromium)
}

/// Run `tests/ui/approve.mjs` against the page; its JSON line on success.
fn run_browser(admin: std::net::SocketAddr, id: &str, comment: &str, screenshot: &Path) -> Value {
    let (node, chromium) = browser_tools();
    let mut child = Command::new(node)
        .arg(repo().join("tests/ui/approve.mjs"))
        .current_dir(repo().join("tests/ui"))
        .env("TOOLWALL_UI_URL", format!("http://{admin}/ui#{id}"))
        .env("TOOLWALL_UI_TOKEN", ALICE)
        .env("TOOLWALL_UI_APPROVAL_ID", id)
        .env("TOOLWALL_UI_COMMENT", comment)
        .env("TOOLWALL_UI_TOOL", "echo.refund")
        .env("TOOLWALL_UI_SCREENSHOT", screenshot)
        .env("TOOLWALL_CHROMIUM", chromium)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start node");
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the browser test failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approver_approves_in_chromium_and_the_agents_retry_goes_through_once() {
    let (h, up) = start().await;
    let id = ask(&h, &up, "ch_ui_1").await;
    // the same call again, still pending: the same request
    assert_eq!(ask(&h, &up, "ch_ui_1").await, id);
    // before the approval the retry is refused, and reaches nothing
    let r = agent_call(&h, "ch_ui_1", Some(&id)).await;
    assert_eq!(r.status, 403, "{}", String::from_utf8_lossy(&r.body));
    assert!(up.requests().is_empty());

    let comment = "ok <per> ticket #4711 & \"refund\"";
    let screenshot = std::env::var_os("TOOLWALL_UI_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/ui-artifacts"))
        .join("approvals.png");
    let _ = std::fs::remove_file(&screenshot);
    let (admin, browser_id, shot) = (h.admin(), id.clone(), screenshot.clone());
    let seen = tokio::task::spawn_blocking(move || run_browser(admin, &browser_id, comment, &shot))
        .await
        .expect("browser task");
    assert_eq!(seen["ok"], true);
    assert_eq!(seen["who"], "alice");
    // the redacted arguments were shown as text, markup and all
    let args = seen["args"].as_str().unwrap_or_default();
    assert!(
        args.contains("ch_ui_1") && args.contains("<img src=x"),
        "{args}"
    );
    assert!(seen["feed"].as_str().unwrap_or_default().contains(comment));
    let png = std::fs::read(&screenshot).expect("the screenshot was saved");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000);

    // the API agrees: approved by alice with exactly that comment
    let r = show(&h, &id).await;
    assert_eq!(r["state"], "approved", "{r}");
    let votes = r["votes"].as_array().expect("votes");
    assert_eq!(votes.len(), 1, "{r}");
    assert_eq!(votes[0]["approver"], "alice");
    assert_eq!(votes[0]["approve"], true);
    assert_eq!(votes[0]["comment"], comment);
    // deciding on the page forwarded nothing
    assert!(up.requests().is_empty());

    // the agent's retry now goes through, exactly once
    let r = agent_call(&h, "ch_ui_1", Some(&id)).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let seen = up.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path_and_query, "/v1/refunds");
    let sent: Value = serde_json::from_slice(&seen[0].body).expect("upstream body");
    assert_eq!(sent["charge"], "ch_ui_1");
    assert_eq!(sent["amount"], 500);
    assert!(seen[0].headers.get("toolwall-approval").is_none());
    // single use: a second retry is refused and reaches nothing
    let r = agent_call(&h, "ch_ui_1", Some(&id)).await;
    assert_eq!(r.status, 403, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(up.requests().len(), 1);
    assert_eq!(show(&h, &id).await["state"], "used");
}

#[tokio::test]
async fn the_page_is_self_contained_and_strict() {
    let (h, _up) = start().await;
    let page = send(
        h.admin(),
        ui_req(&h, "GET", "/ui").body(body("")).expect("req"),
    )
    .await;
    assert_eq!(page.status, 200);
    let html = String::from_utf8_lossy(&page.body).to_string();
    for (k, v) in [
        (
            "content-security-policy",
            "default-src 'self'; frame-ancestors 'none'",
        ),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
    ] {
        let got = page
            .headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(got.starts_with(v), "{k}: {got}");
    }
    assert!(page.headers["content-type"]
        .to_str()
        .unwrap_or_default()
        .starts_with("text/html"));
    // no inline script, nothing from elsewhere
    assert!(html.contains(r#"<script src="/ui/app.js" defer></script>"#));
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("//cdn"));
    for asset in ["/ui/app.js", "/ui/app.css"] {
        let r = send(
            h.admin(),
            ui_req(&h, "GET", asset).body(body("")).expect("req"),
        )
        .await;
        assert_eq!(r.status, 200, "{asset}");
        assert_eq!(r.headers["x-content-type-options"], "nosniff");
        let text = String::from_utf8_lossy(&r.body);
        assert!(!text.contains("innerHTML"), "{asset} uses innerHTML");
        assert!(
            !text.contains("http://") && !text.contains("https://"),
            "{asset}"
        );
    }
    let r = send(
        h.admin(),
        ui_req(&h, "GET", "/ui/nothing")
            .body(body(""))
            .expect("req"),
    )
    .await;
    assert_eq!(r.status, 404);
    // the page, like the API, answers only a local Host (DNS rebinding)
    let r = send(
        h.admin(),
        req("GET", "/ui")
            .header("host", "evil.example")
            .body(body(""))
            .expect("req"),
    )
    .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn the_pages_api_refuses_everything_but_the_page_itself() {
    let (h, up) = start().await;
    let id = ask(&h, &up, "ch_ui_2").await;
    let own = format!("http://{}", h.admin());
    let approve = format!("/ui/api/approvals/{id}/approve");
    let list = "/ui/api/approvals?state=pending";
    let bearer = |t: &str| format!("Bearer {t}");

    // (what is sent, expected status, why)
    type Case = (
        &'static str,
        String,
        Vec<(&'static str, String)>,
        u16,
        &'static str,
    );
    let post_ok = |extra: Vec<(&'static str, String)>| {
        let mut v = vec![
            ("authorization", bearer(ALICE)),
            ("content-type", "application/json".to_string()),
        ];
        v.extend(extra);
        v
    };
    let cases: Vec<Case> = vec![
        (
            "POST",
            approve.clone(),
            post_ok(vec![("origin", "http://evil.example".into())]),
            403,
            "foreign Origin",
        ),
        (
            "POST",
            approve.clone(),
            post_ok(vec![("origin", "null".into())]),
            403,
            "opaque Origin",
        ),
        (
            "POST",
            approve.clone(),
            post_ok(vec![("origin", format!("ws://{}", h.admin()))]),
            403,
            "other scheme",
        ),
        (
            "POST",
            approve.clone(),
            post_ok(vec![("origin", format!("{own}.evil.example"))]),
            403,
            "Origin prefix",
        ),
        (
            "POST",
            approve.clone(),
            post_ok(vec![("origin", own.clone()), ("origin", own.clone())]),
            403,
            "two Origins",
        ),
        (
            "POST",
            approve.clone(),
            post_ok(vec![("sec-fetch-site", "cross-site".into())]),
            403,
            "cross-site fetch",
        ),
        (
            "POST",
            approve.clone(),
            post_ok(vec![("sec-fetch-site", "same-site".into())]),
            403,
            "same-site fetch",
        ),
        (
            "POST",
            approve.clone(),
            post_ok(vec![("sec-fetch-site", "none".into())]),
            403,
            "user-initiated fetch",
        ),
        (
            "GET",
            list.to_string(),
            vec![
                ("origin", "http://evil.example".into()),
                ("authorization", bearer(ALICE)),
            ],
            403,
            "foreign Origin read",
        ),
        (
            "GET",
            list.to_string(),
            vec![
                ("sec-fetch-site", "cross-site".into()),
                ("authorization", bearer(ALICE)),
            ],
            403,
            "cross-site read",
        ),
        (
            "POST",
            approve.clone(),
            vec![("content-type", "application/json".into())],
            401,
            "no token",
        ),
        (
            "POST",
            approve.clone(),
            vec![
                ("authorization", bearer("tok-not-an-approver")),
                ("content-type", "application/json".into()),
            ],
            401,
            "unknown token",
        ),
        (
            "POST",
            approve.clone(),
            vec![
                ("authorization", format!("Basic {ALICE}")),
                ("content-type", "application/json".into()),
            ],
            401,
            "another scheme",
        ),
        (
            "POST",
            approve.clone(),
            post_ok(vec![("authorization", bearer(BOB))]),
            401,
            "two Authorization headers",
        ),
        ("GET", list.to_string(), vec![], 401, "no token read"),
        (
            "GET",
            "/ui/api/events".to_string(),
            vec![("authorization", bearer("nope"))],
            401,
            "unknown token feed",
        ),
        (
            "POST",
            approve.clone(),
            vec![
                ("authorization", bearer(ALICE)),
                ("content-type", "text/plain".into()),
            ],
            415,
            "text/plain POST",
        ),
        (
            "POST",
            approve.clone(),
            vec![
                ("authorization", bearer(ALICE)),
                ("content-type", "application/x-www-form-urlencoded".into()),
            ],
            415,
            "form POST",
        ),
        (
            "POST",
            approve.clone(),
            vec![("authorization", bearer(ALICE))],
            415,
            "POST without Content-Type",
        ),
        (
            "POST",
            approve.clone(),
            vec![
                ("authorization", bearer(&h.app.state.admin.token)),
                ("content-type", "application/json".into()),
            ],
            403,
            "admin token decides",
        ),
        (
            "GET",
            approve.clone(),
            vec![("authorization", bearer(ALICE))],
            405,
            "GET approve",
        ),
    ];
    for (method, path, headers, want, why) in cases {
        let mut b = ui_req(&h, method, &path);
        for (k, v) in headers {
            b = b.header(k, v);
        }
        let r = send(h.admin(), b.body(body(r#"{"comment":"x"}"#)).expect("req")).await;
        assert_eq!(
            r.status.as_u16(),
            want,
            "{why}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(r.headers["cache-control"], "no-store", "{why}");
    }
    // a foreign Host, even with everything else right
    let r = send(
        h.admin(),
        req("POST", &approve)
            .header("host", "evil.example")
            .header("authorization", bearer(ALICE))
            .header("content-type", "application/json")
            .body(body("{}"))
            .expect("req"),
    )
    .await;
    assert_eq!(r.status, 403);

    // none of that changed the request
    let r = show(&h, &id).await;
    assert_eq!(r["state"], "pending", "{r}");
    assert_eq!(r["votes"], json!([]), "{r}");

    // the admin token reads
    let r = send(
        h.admin(),
        ui_req(&h, "GET", list)
            .header("authorization", bearer(&h.app.state.admin.token))
            .body(body(""))
            .expect("req"),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(String::from_utf8_lossy(&r.body).contains(&id));

    // and the page itself (same origin, as Chromium sends it) decides
    let r = send(
        h.admin(),
        ui_req(&h, "POST", &approve)
            .header("origin", own.clone())
            .header("sec-fetch-site", "same-origin")
            .header("authorization", bearer(BOB))
            .header("content-type", "application/json")
            .body(body(r#"{"comment":"fine"}"#))
            .expect("req"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let r = show(&h, &id).await;
    assert_eq!(r["state"], "approved", "{r}");
    assert_eq!(r["votes"][0]["approver"], "bob");
    assert_eq!(r["votes"][0]["comment"], "fine");
    assert!(up.requests().is_empty());
}
