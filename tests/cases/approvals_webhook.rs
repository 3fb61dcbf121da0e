//! Approval notifications on real sockets: the signed webhook reaches an HTTP server started
//! here and verifies with the test's own HMAC-SHA256 verifier (not toolwall's), a tampered
//! body does not; a receiver that fails twice gets the event on the third attempt with the
//! same event id; a receiver that hangs delays neither publishing nor proxied calls; and an
//! expired request is announced exactly once — by one SQLite sidecar, and by two sidecars
//! (and two stores) on one `redis-server` — on the webhook and in the audit stream.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::TimeZone;
use hmac::{Hmac, Mac};
use http::Response;
use http_body_util::Full;
use serde_json::{json, Value};
use sha2::Sha256;
use toolwall::approvals::{Change, ChangeKind};
use toolwall::state::redis::RedisStore;
use toolwall::state::{ApprovalRequest, ApprovalState, Clock, FakeClock, StateStore};

use crate::common::*;

const SECRET: &str = "whsec-approvals-webhook-test-3f9a";
const ADMIN_URL: &str = "https://tw-admin.test:9443/";

fn set_env() {
    // the same values in every test of this file, so parallel tests agree
    std::env::set_var("TW_WH_ALICE", "tok-wh-alice-71c2");
    std::env::set_var("TW_WH_BOB", "tok-wh-bob-0b9e");
    std::env::set_var("TW_WH_SECRET", SECRET);
}

/// `approvals:` with a webhook to `hook` (its path and query are kept) and `ttl`.
fn approvals_config(hook: &str, ttl: &str) -> String {
    set_env();
    format!(
        "approvals:\n  ttl: {ttl}\n  approvers:\n    - {{ name: alice, token_env: TW_WH_ALICE }}\n    - {{ name: bob, token_env: TW_WH_BOB }}\n  notify: {{ webhook: \"{hook}\", secret_env: TW_WH_SECRET, admin_url: \"{ADMIN_URL}\" }}\n"
    )
}

fn audit_config(keys: &std::path::Path) -> String {
    assert_eq!(toolwall::cli::audit::keygen(&keys.join("keys"), "t"), 0);
    format!(
        "audit: {{ dir: {0}/audit, key: {0}/keys/audit.key, hmac_key: {0}/keys/hmac.key }}\n",
        keys.display()
    )
}

/// The test's own verifier of `toolwall-signature: t=<unix>,v1=<hex>` (HMAC-SHA256 over
/// `<t>.<body>`), written from the docs: no toolwall code.
fn verify_signature(secret: &[u8], header: &str, body: &[u8], tolerance: i64) -> bool {
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", x)) => t = Some(x.to_string()),
            Some(("v1", x)) => v1.push(x.to_string()),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    let Ok(ts) = t.parse::<i64>() else {
        return false;
    };
    let now = chrono::Utc::now().timestamp();
    if (now - ts).abs() > tolerance {
        return false;
    }
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("hmac key");
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    let want = hex::encode(mac.finalize().into_bytes());
    v1.contains(&want)
}

fn header<'a>(seen: &'a Seen, name: &str) -> &'a str {
    seen.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

fn body_json(seen: &Seen) -> Value {
    serde_json::from_slice(&seen.body).expect("webhook body is JSON")
}

/// A webhook receiver answering `status(n)` to its n-th request (0-based).
async fn receiver(status: impl Fn(usize) -> u16 + Send + Sync + 'static) -> Upstream {
    let n = AtomicUsize::new(0);
    scripted_upstream(move |_| {
        let i = n.fetch_add(1, Ordering::SeqCst);
        Response::builder()
            .status(status(i))
            .body(Full::new(Bytes::from_static(b"ok")))
            .expect("response")
    })
    .await
}

async fn wait_until(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn request(key: &str, now: i64, ttl: i64) -> ApprovalRequest {
    ApprovalRequest {
        id: ApprovalRequest::new_id(),
        key: key.into(),
        principal: json!({"agent": "bot", "tenant_id": "acme", "run_id": "run-7"}),
        agent: "bot".into(),
        tool: "echo.refund".into(),
        args_hmac: "args-hmac-must-not-leave".into(),
        args_redacted: json!({"charge": "ch_1", "amount": 500, "card": "[REDACTED]"}),
        reasons: vec!["amount_exceeds_threshold".into()],
        tier: "default".into(),
        quorum: 1,
        policy_version: "sha256:p".into(),
        summary: "refund 500 on ch_1".into(),
        decision_id: format!("dec-{key}"),
        created_unix: now,
        expires_unix: now + ttl,
        state: ApprovalState::Pending,
        votes: Vec::new(),
        used_by: None,
    }
}

/// Store a request through the app's backend and announce it, as the proxy does.
async fn announce_request(h: &Harness, key: &str, ttl: i64) -> ApprovalRequest {
    let rt = &h.app.state.rt;
    let now = rt.clock().now().timestamp();
    let (req, created) = rt
        .state()
        .approval_request(request(key, now, ttl))
        .await
        .expect("store");
    assert!(created);
    rt.approval_changed(Change::new(ChangeKind::Requested, req.clone()))
        .await;
    req
}

async fn echo_harness(extra: &str, clock: Option<Arc<FakeClock>>) -> (Harness, Upstream) {
    let up = http_upstream().await;
    let h = Harness::start_with(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        POLICY,
        &format!("{STATIC_IDENTITY}{extra}"),
        clock,
    )
    .await;
    (h, up)
}

fn metric(h: &Harness, line_start: &str) -> Option<f64> {
    let text = h.app.state.metrics.encode();
    text.lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_requested_event_is_signed_and_verifies_with_an_independent_verifier() {
    let hook = receiver(|_| 204).await;
    let (h, _up) = echo_harness(
        &approvals_config(&format!("http://{}/hooks/tw?channel=ops", hook.addr), "1h"),
        None,
    )
    .await;
    let req = announce_request(&h, "k-signed", 3600).await;
    wait_until("the webhook", 10, || !hook.requests().is_empty()).await;
    let seen = hook.requests().remove(0);

    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path_and_query, "/hooks/tw?channel=ops");
    assert_eq!(header(&seen, "content-type"), "application/json");
    let sig = header(&seen, "toolwall-signature");
    assert!(
        verify_signature(SECRET.as_bytes(), sig, &seen.body, 300),
        "{sig}"
    );
    // the test's verifier refuses a tampered body, another secret, and a moved timestamp
    let mut tampered = seen.body.to_vec();
    let i = tampered
        .windows(3)
        .position(|w| w == b"500")
        .expect("the amount is in the body");
    tampered[i] = b'9';
    assert!(!verify_signature(SECRET.as_bytes(), sig, &tampered, 300));
    assert!(!verify_signature(b"another-secret", sig, &seen.body, 300));
    let t: i64 = sig
        .split(',')
        .find_map(|p| p.strip_prefix("t="))
        .and_then(|t| t.parse().ok())
        .expect("t=");
    let moved = sig.replacen(&format!("t={t}"), &format!("t={}", t - 1), 1);
    assert!(!verify_signature(
        SECRET.as_bytes(),
        &moved,
        &seen.body,
        300
    ));
    // toolwall's own verifier agrees
    assert!(toolwall::webhook::verify(
        SECRET.as_bytes(),
        sig,
        &seen.body,
        chrono::Utc::now().timestamp(),
        toolwall::webhook::DEFAULT_TOLERANCE
    )
    .is_ok());

    let id = header(&seen, "toolwall-webhook-id");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    assert_eq!(header(&seen, "toolwall-webhook-attempt"), "1");
    let p = body_json(&seen);
    assert_eq!(p["event"], "approval.requested");
    assert_eq!(p["id"], id);
    assert_eq!(p["approval_id"], req.id);
    assert_eq!(p["decision_id"], "dec-k-signed");
    assert_eq!(p["tool"], "echo.refund");
    assert_eq!(p["principal"]["tenant_id"], "acme");
    assert_eq!(p["reasons"], json!(["amount_exceeds_threshold"]));
    assert_eq!(p["tier"], "default");
    assert_eq!(
        (p["quorum"].as_u64(), p["approvals"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(p["state"], "pending");
    assert_eq!(p["summary"], "refund 500 on ch_1");
    assert_eq!(p["args_redacted"]["card"], "[REDACTED]");
    assert_eq!(p["expires_unix"].as_i64(), Some(req.expires_unix));
    assert_eq!(
        p["approve_url"],
        format!(
            "https://tw-admin.test:9443/admin/approvals/{}/approve",
            req.id
        )
    );
    assert_eq!(
        p["deny_url"],
        format!("https://tw-admin.test:9443/admin/approvals/{}/deny", req.id)
    );
    assert_eq!(p["ui_url"], "https://tw-admin.test:9443/ui");
    let text = String::from_utf8_lossy(&seen.body);
    assert!(!text.contains("args-hmac-must-not-leave"), "{text}");
    assert!(!text.contains(SECRET), "{text}");

    wait_until("the delivered metric", 5, || {
        metric(
            &h,
            "toolwall_webhook_deliveries_total{result=\"delivered\"}",
        ) == Some(1.0)
    })
    .await;
    assert_eq!(hook.requests().len(), 1, "delivered once");
    h.app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_fails_twice_gets_the_event_on_the_third_attempt() {
    let hook = receiver(|i| if i < 2 { 500 } else { 200 }).await;
    let (h, _up) = echo_harness(
        &approvals_config(&format!("http://{}/hook", hook.addr), "1h"),
        None,
    )
    .await;
    let req = announce_request(&h, "k-retry", 3600).await;
    wait_until("three attempts", 15, || hook.requests().len() >= 3).await;
    // nothing after the success
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let seen = hook.requests();
    assert_eq!(seen.len(), 3, "attempts: {}", seen.len());
    let ids: Vec<&str> = seen
        .iter()
        .map(|s| header(s, "toolwall-webhook-id"))
        .collect();
    assert!(ids.iter().all(|i| *i == ids[0] && !i.is_empty()), "{ids:?}");
    let attempts: Vec<&str> = seen
        .iter()
        .map(|s| header(s, "toolwall-webhook-attempt"))
        .collect();
    assert_eq!(attempts, ["1", "2", "3"]);
    for s in &seen {
        assert_eq!(s.body, seen[0].body, "the same body on every attempt");
        assert!(verify_signature(
            SECRET.as_bytes(),
            header(s, "toolwall-signature"),
            &s.body,
            300
        ));
        assert_eq!(body_json(s)["approval_id"], req.id);
    }
    assert_eq!(
        metric(&h, "toolwall_webhook_deliveries_total{result=\"retried\"}"),
        Some(2.0)
    );
    assert_eq!(
        metric(
            &h,
            "toolwall_webhook_deliveries_total{result=\"delivered\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        metric(&h, "toolwall_webhook_deliveries_total{result=\"failed\"}"),
        None
    );
    h.app.shutdown().await;
}

/// A receiver that accepts connections and never answers; counts them.
async fn hanging_receiver() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = l.local_addr().expect("addr");
    let accepted = Arc::new(AtomicUsize::new(0));
    let a = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            a.fetch_add(1, Ordering::SeqCst);
            held.push(s);
        }
    });
    (addr, accepted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_receiver_delays_neither_publishing_nor_calls() {
    let (addr, accepted) = hanging_receiver().await;
    let (h, up) = echo_harness(
        &approvals_config(&format!("http://{addr}/hook"), "1h"),
        None,
    )
    .await;
    let t = Instant::now();
    for i in 0..40 {
        announce_request(&h, &format!("k-hang-{i}"), 3600).await;
    }
    let took = t.elapsed();
    assert!(
        took < Duration::from_secs(3),
        "40 approval changes took {took:?} with a hanging receiver"
    );
    wait_until("the receiver's connections", 10, || {
        accepted.load(Ordering::SeqCst) > 0
    })
    .await;
    // publishing on the request path returns at once, however many deliveries hang
    let rt = &h.app.state.rt;
    let req = request("k-direct", rt.clock().now().timestamp(), 60);
    // (a publish that waited for the receiver would take the 5 s attempt timeout)
    let notify = rt.snapshot.load().approvals.notify.clone();
    let mut slowest = Duration::ZERO;
    for _ in 0..2000 {
        let t = Instant::now();
        rt.approvals
            .publish(Change::new(ChangeKind::Voted, req.clone()), notify.as_ref());
        slowest = slowest.max(t.elapsed());
    }
    // (2 s: far below the 5 s a waiting publish takes, far above a loaded machine's stalls)
    assert!(
        slowest < Duration::from_secs(2),
        "a publish took {slowest:?}"
    );
    // bounded concurrency: at most 16 deliveries (connections) hang at once
    assert!(accepted.load(Ordering::SeqCst) <= 16, "{accepted:?}");
    // the queue (1024) overflowed: the rest were dropped and counted, not waited for
    let dropped = metric(&h, "toolwall_webhook_deliveries_total{result=\"dropped\"}")
        .expect("dropped counted");
    assert!(dropped >= 900.0, "{dropped}");
    // a proxied call is not slowed by the stuck deliveries
    let t = Instant::now();
    let r = send(
        h.agent(),
        json_post("/echo/v1/refunds", r#"{"charge":"ch_1","amount":5}"#),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "the call took {:?}",
        t.elapsed()
    );
    assert_eq!(up.requests().len(), 1);
    h.app.shutdown().await;
}

fn fake_clock() -> Arc<FakeClock> {
    Arc::new(FakeClock::new(
        chrono::Utc
            .with_ymd_and_hms(2026, 12, 3, 10, 0, 0)
            .single()
            .expect("date"),
    ))
}

fn events_named<'a>(recs: &'a [Value], name: &str) -> Vec<&'a Value> {
    recs.iter()
        .filter(|r| r["kind"] == "event" && r["event"] == name)
        .collect()
}

fn expired_hooks(hook: &Upstream) -> Vec<Value> {
    hook.requests()
        .iter()
        .map(body_json)
        .filter(|p| p["event"] == "approval.expired")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_request_is_announced_once_on_sqlite() {
    let hook = receiver(|_| 200).await;
    let keys = tempfile::tempdir().expect("tmp");
    let clock = fake_clock();
    let (h, _up) = echo_harness(
        &format!(
            "{}{}",
            approvals_config(&format!("http://{}/hook", hook.addr), "1m"),
            audit_config(keys.path())
        ),
        Some(clock.clone()),
    )
    .await;
    let req = announce_request(&h, "k-expire", 60).await;
    let keep = announce_request(&h, "k-keep", 3600).await;
    wait_until("two requested events", 10, || hook.requests().len() >= 2).await;
    clock.advance(Duration::from_secs(61));
    wait_until("the expired event", 10, || !expired_hooks(&hook).is_empty()).await;
    // two more sweeps: nothing new
    tokio::time::sleep(toolwall::app::APPROVAL_SWEEP_EVERY * 2 + Duration::from_millis(500)).await;
    let expired = expired_hooks(&hook);
    assert_eq!(expired.len(), 1, "{expired:#?}");
    assert_eq!(expired[0]["approval_id"], req.id);
    assert_eq!(expired[0]["state"], "expired");
    assert_eq!(expired[0]["decision_id"], "dec-k-expire");
    let rt = &h.app.state.rt;
    let stored = rt
        .state()
        .approval_get(&req.id)
        .await
        .expect("get")
        .expect("some");
    assert_eq!(stored.state, ApprovalState::Expired);
    let other = rt
        .state()
        .approval_get(&keep.id)
        .await
        .expect("get")
        .expect("some");
    assert_eq!(other.state, ApprovalState::Pending);
    assert_eq!(
        metric(&h, "toolwall_approvals_total{outcome=\"expired\"}"),
        Some(1.0)
    );
    assert_eq!(metric(&h, "toolwall_approvals_pending "), Some(1.0));

    let Harness { app, dir: _dir } = h;
    app.shutdown().await;
    let recs = audit_records(&keys.path().join("audit"));
    let ev = events_named(&recs, "approval.expired");
    assert_eq!(ev.len(), 1, "{recs:#?}");
    assert_eq!(ev[0]["detail"]["approval_id"], req.id);
    assert_eq!(ev[0]["detail"]["decision_id"], "dec-k-expire");
    assert_eq!(ev[0]["detail"]["state"], "expired");
    assert_eq!(events_named(&recs, "approval.requested").len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sidecars_on_one_redis_announce_an_expiry_once() {
    let redis = RedisServer::start().await;
    let hook = receiver(|_| 200).await;
    let up = http_upstream().await;
    let config = format!(
        "{STATIC_IDENTITY}state: {{ backend: redis, url: \"{}\", prefix: \"tw-wh:\" }}\n{}",
        redis.url(),
        approvals_config(&format!("http://{}/hook", hook.addr), "1h")
    );
    let adapters = [("echo", echo_adapter(&format!("http://{}", up.addr), ""))];
    let a = Harness::start_with(&adapters, POLICY, &config, None).await;
    let b = Harness::start_with(&adapters, POLICY, &config, None).await;
    // already past their expiry when stored (the redis store runs on the system clock)
    let rt = &a.app.state.rt;
    let now = rt.clock().now().timestamp();
    let mut ids = Vec::new();
    for i in 0..5 {
        let (r, _) = rt
            .state()
            .approval_request(request(&format!("k-redis-{i}"), now - 10, 5))
            .await
            .expect("store");
        ids.push(r.id);
    }
    wait_until("five expired events", 10, || {
        expired_hooks(&hook).len() >= 5
    })
    .await;
    tokio::time::sleep(toolwall::app::APPROVAL_SWEEP_EVERY * 2 + Duration::from_millis(500)).await;
    let mut got: Vec<String> = expired_hooks(&hook)
        .iter()
        .map(|p| p["approval_id"].as_str().unwrap_or_default().to_string())
        .collect();
    got.sort();
    ids.sort();
    assert_eq!(
        got, ids,
        "each expiry announced exactly once by the two sidecars"
    );
    let count =
        |h: &Harness| metric(h, "toolwall_approvals_total{outcome=\"expired\"}").unwrap_or(0.0);
    assert_eq!(count(&a) + count(&b), 5.0);
    a.app.shutdown().await;
    b.app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_redis_stores_sweeping_at_once_flip_each_expiry_once() {
    let redis = RedisServer::start().await;
    let clock = fake_clock();
    let store = || {
        Arc::new(
            RedisStore::connect(&redis.url(), "tw-exp:", Duration::from_millis(500))
                .expect("connect")
                .with_clock(clock.clone()),
        )
    };
    let (a, b) = (store(), store());
    let now = clock.now().timestamp();
    let mut due = Vec::new();
    for i in 0..60 {
        let (r, _) = a
            .approval_request(request(&format!("k{i}"), now, 10))
            .await
            .expect("req");
        due.push(r.id);
    }
    let (long, _) = a
        .approval_request(request("long", now, 3600))
        .await
        .expect("req");
    let (approved, _) = a
        .approval_request(request("approved", now, 10))
        .await
        .expect("req");
    let vote = toolwall::state::Vote {
        approver: "alice".into(),
        approve: true,
        comment: None,
        at_unix: now,
    };
    a.approval_vote(&approved.id, vote).await.expect("vote");
    clock.advance(Duration::from_secs(10));
    assert!(a.approval_expire_due(100).await.expect("due").is_empty());
    clock.advance(Duration::from_secs(1));
    let sweep = |s: Arc<RedisStore>| async move {
        let mut got = Vec::new();
        loop {
            let batch = s.approval_expire_due(3).await.expect("due");
            if batch.is_empty() {
                return got;
            }
            got.extend(batch);
        }
    };
    let (x, y) = tokio::join!(
        tokio::spawn(sweep(a.clone())),
        tokio::spawn(sweep(b.clone()))
    );
    let (x, y) = (x.expect("x"), y.expect("y"));
    assert!(x
        .iter()
        .chain(&y)
        .all(|r| r.state == ApprovalState::Expired));
    // the request documents come back whole (big numbers, nested objects)
    assert!(x
        .iter()
        .chain(&y)
        .all(|r| r.args_redacted["card"] == "[REDACTED]"));
    let mut got: Vec<String> = x.iter().chain(&y).map(|r| r.id.clone()).collect();
    got.sort();
    due.sort();
    assert_eq!(got, due);
    assert_eq!(
        b.approval_get(&due[0])
            .await
            .expect("get")
            .expect("some")
            .state,
        ApprovalState::Expired
    );
    assert_eq!(
        b.approval_get(&approved.id)
            .await
            .expect("get")
            .expect("some")
            .state,
        ApprovalState::Approved
    );
    assert_eq!(a.approvals_pending_count().await.expect("n"), 1);
    assert_eq!(
        a.approval_list(Some(ApprovalState::Expired), 100)
            .await
            .expect("list")
            .len(),
        60
    );
    // later, the long one, once
    clock.advance(Duration::from_secs(3600));
    let (x, y) = tokio::join!(a.approval_expire_due(10), b.approval_expire_due(10));
    let both: Vec<ApprovalRequest> = x.expect("x").into_iter().chain(y.expect("y")).collect();
    assert_eq!(both.len(), 1);
    assert_eq!(both[0].id, long.id);
}

/// The Slack relay of docs/approvals.md, as printed there.
fn slack_relay_from_docs() -> String {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/approvals.md"),
    )
    .expect("docs/approvals.md");
    let after = doc
        .split_once("<!-- slack-relay")
        .expect("the relay's marker")
        .1;
    let block = after
        .split_once("```python\n")
        .expect("the relay's code block")
        .1;
    block
        .split_once("\n```")
        .expect("the end of the block")
        .0
        .to_string()
}

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_slack_relay_verifies_and_posts_with_the_links() {
    let slack = receiver(|_| 200).await;
    let dir = tempfile::tempdir().expect("tmp");
    let script = dir.path().join("relay.py");
    std::fs::write(&script, slack_relay_from_docs()).expect("write");
    let port = free_port();
    let _relay = Child(
        std::process::Command::new(python())
            .arg(&script)
            .env("TW_WEBHOOK_SECRET", SECRET)
            .env(
                "SLACK_WEBHOOK_URL",
                format!("http://{}/services/T000/B000/XXXX", slack.addr),
            )
            .env("PORT", port.to_string())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python"),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "the relay did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (h, _up) = echo_harness(
        &approvals_config(&format!("http://127.0.0.1:{port}/"), "1h"),
        None,
    )
    .await;
    let req = announce_request(&h, "k-slack", 3600).await;
    wait_until("the Slack message", 15, || !slack.requests().is_empty()).await;
    let seen = slack.requests().remove(0);
    assert_eq!(seen.path_and_query, "/services/T000/B000/XXXX");
    let text = body_json(&seen)["text"].as_str().expect("text").to_string();
    for want in [
        "*approval.requested* `echo.refund` by bot: refund 500 on ch_1",
        "amount_exceeds_threshold; 0/1 approvals",
        "<https://tw-admin.test:9443/ui|Open the approval page>",
        &format!(
            "https://tw-admin.test:9443/admin/approvals/{}/approve",
            req.id
        ),
        &format!("https://tw-admin.test:9443/admin/approvals/{}/deny", req.id),
    ] {
        assert!(text.contains(want), "`{want}` not in the message: {text}");
    }
    // the relay refuses a body that does not match its signature: nothing reaches Slack
    let body = br#"{"event":"approval.requested","id":"forged"}"#;
    let now = chrono::Utc::now().timestamp();
    let sig = toolwall::webhook::sign(b"not-the-secret", now, body);
    let forged = req_to_relay(port, &sig, body).await;
    assert_eq!(forged.status, 401);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(slack.requests().len(), 1, "a forged event reached Slack");
    h.app.shutdown().await;
}

async fn req_to_relay(port: u16, sig: &str, body: &'static [u8]) -> Reply {
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let r = http::Request::builder()
        .method("POST")
        .uri("/")
        .header("host", format!("127.0.0.1:{port}"))
        .header("content-type", "application/json")
        .header("toolwall-signature", sig)
        .body(Full::new(Bytes::from_static(body)))
        .expect("request");
    send(addr, r).await
}

/// Refunds over 100 need a human; with an approval they go through.
const APPROVAL_POLICY: &str = r#"
package toolwall
import rego.v1

default decision := {"allow": true, "reasons": []}

decision := {"allow": false, "require_approval": true, "reasons": ["large_refund"]} if {
	input.args.amount > 100
	not input.approval.approved
}
"#;

fn refund(amount: i64, approval: Option<&str>) -> http::Request<Full<Bytes>> {
    let mut b = req("POST", "/echo/v1/refunds").header("content-type", "application/json");
    if let Some(id) = approval {
        b = b.header("toolwall-approval", id);
    }
    b.body(Full::new(Bytes::from(format!(
        r#"{{"charge":"ch_1","amount":{amount},"meta":{{"email":"jane@example.com"}}}}"#
    ))))
    .expect("request")
}

fn hooks_named(hook: &Upstream, event: &str) -> Vec<(Seen, Value)> {
    hook.requests()
        .into_iter()
        .map(|s| {
            let p = body_json(&s);
            (s, p)
        })
        .filter(|(_, p)| p["event"] == event)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_that_needs_approval_is_announced_by_a_signed_webhook() {
    let hook = receiver(|_| 200).await;
    let up = http_upstream().await;
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        APPROVAL_POLICY,
        &approvals_config(&format!("http://{}/tw", hook.addr), "1h"),
    )
    .await;
    let first = send(h.agent(), refund(500, None)).await;
    assert_eq!(first.status, 403, "{:?}", first.json());
    let err = &first.json()["error"];
    assert_eq!(err["type"], "approval_required");
    let id = err["approval_id"]
        .as_str()
        .expect("approval id")
        .to_string();
    let asked_by = err["decision_id"]
        .as_str()
        .expect("decision id")
        .to_string();
    wait_until("approval.requested", 10, || {
        !hooks_named(&hook, "approval.requested").is_empty()
    })
    .await;
    // the same call again while pending: no second request, no second event
    let again = send(h.agent(), refund(500, None)).await;
    assert_eq!(again.json()["error"]["approval_id"], id.as_str());

    let (seen, p) = hooks_named(&hook, "approval.requested").remove(0);
    assert!(verify_signature(
        SECRET.as_bytes(),
        header(&seen, "toolwall-signature"),
        &seen.body,
        300
    ));
    let mut tampered = seen.body.to_vec();
    let i = tampered
        .windows(3)
        .position(|w| w == b"500")
        .expect("amount");
    tampered[i + 2] = b'1';
    assert!(!verify_signature(
        SECRET.as_bytes(),
        header(&seen, "toolwall-signature"),
        &tampered,
        300
    ));
    assert_eq!(p["approval_id"], id.as_str());
    assert_eq!(p["decision_id"], asked_by.as_str());
    assert_eq!(p["tool"], "echo.refund");
    assert_eq!(p["principal"]["agent"], "test-agent");
    assert_eq!(p["reasons"], json!(["large_refund"]));
    assert_eq!(
        (p["tier"].as_str(), p["quorum"].as_u64()),
        (Some("default"), Some(1))
    );
    assert_eq!(p["state"], "pending");
    assert_eq!(p["args_redacted"]["amount"], 500);
    assert_eq!(p["args_redacted"]["charge"], "ch_1");
    // the arguments are redacted: the email never leaves toolwall
    let text = String::from_utf8_lossy(&seen.body);
    assert!(!text.contains("jane@example.com"), "{text}");
    assert_eq!(
        p["approve_url"],
        format!("https://tw-admin.test:9443/admin/approvals/{id}/approve")
    );

    // approved (straight in the store, as an approver's vote), then the retry uses it
    let outcome = h
        .app
        .state
        .state()
        .approval_vote(
            &id,
            toolwall::state::Vote {
                approver: "alice".into(),
                approve: true,
                comment: Some("ok".into()),
                at_unix: 0,
            },
        )
        .await
        .expect("vote");
    assert!(matches!(
        outcome,
        toolwall::state::VoteOutcome::Recorded { .. }
    ));
    let retry = send(h.agent(), refund(500, Some(&id))).await;
    assert_eq!(retry.status, 200, "{:?}", retry.json());
    let used_by = retry
        .headers
        .get("toolwall-decision-id")
        .and_then(|v| v.to_str().ok())
        .expect("decision id")
        .to_string();
    wait_until("approval.used", 10, || {
        !hooks_named(&hook, "approval.used").is_empty()
    })
    .await;
    let (seen, p) = hooks_named(&hook, "approval.used").remove(0);
    assert!(verify_signature(
        SECRET.as_bytes(),
        header(&seen, "toolwall-signature"),
        &seen.body,
        300
    ));
    assert_eq!(p["approval_id"], id.as_str());
    assert_eq!(p["used_by"], used_by.as_str());
    assert_eq!(p["state"], "used");
    assert_eq!(hooks_named(&hook, "approval.requested").len(), 1);
    assert_eq!(up.requests().len(), 1, "forwarded once, after approval");
    h.app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_webhook_does_not_slow_a_call_that_needs_approval() {
    let (addr, accepted) = hanging_receiver().await;
    let up = http_upstream().await;
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        APPROVAL_POLICY,
        &approvals_config(&format!("http://{addr}/tw"), "1h"),
    )
    .await;
    let mut slowest = Duration::ZERO;
    for amount in 101..121 {
        let t = Instant::now();
        let r = send(h.agent(), refund(amount, None)).await;
        slowest = slowest.max(t.elapsed());
        assert_eq!(r.json()["error"]["type"], "approval_required");
    }
    // each answer came without waiting for the webhook (an attempt waits up to 5 s)
    assert!(slowest < Duration::from_secs(2), "a call took {slowest:?}");
    wait_until("the webhook's connections", 10, || {
        accepted.load(Ordering::SeqCst) > 0
    })
    .await;
    let r = send(
        h.agent(),
        json_post("/echo/v1/refunds", r#"{"charge":"ch_1","amount":5}"#),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(up.requests().len(), 1);
    h.app.shutdown().await;
}
