//! Deciding approval requests on the admin port (`/admin/approvals*`) and with
//! `toolwall approvals`: approvers' tokens name who votes, quorum counts distinct approvers,
//! the agent that asked never decides, a decided or expired request is 409, the admin token
//! only reads, every vote is on the signed audit stream with its approver and comment, and the
//! event stream delivers changes and ends with its client. Requests are stored by opening the
//! app's SQLite state file, as the proxy does.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::TimeZone;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use toolwall::state::sqlite::SqliteStore;
use toolwall::state::{ApprovalRequest, ApprovalState, Clock, FakeClock, StateStore};

use crate::common::*;

/// Approvers alice, bob and carol with tokens in variables of this test's own (`tag`);
/// tiers high (2) and default (1). Returns the config and the tokens by name.
fn approvers(tag: &str, ttl: &str) -> (String, Vec<(String, String)>) {
    let mut tokens = Vec::new();
    let mut list = String::new();
    for name in ["alice", "bob", "carol"] {
        let env = format!("TW_APADM_{tag}_{}", name.to_uppercase());
        let token = format!("tok-{tag}-{name}-5f2b8c1d9e");
        std::env::set_var(&env, &token);
        list.push_str(&format!("    - {{ name: {name}, token_env: {env} }}\n"));
        tokens.push((name.to_string(), token));
    }
    let cfg = format!(
        "approvals:\n  ttl: {ttl}\n  approvers:\n{list}  tiers: {{ high: {{ quorum: 2 }}, default: {{ quorum: 1 }} }}\n"
    );
    (cfg, tokens)
}

fn token<'a>(tokens: &'a [(String, String)], name: &str) -> &'a str {
    &tokens.iter().find(|(n, _)| n == name).expect("approver").1
}

fn audit_extra(keys: &std::path::Path) -> String {
    assert_eq!(toolwall::cli::audit::keygen(&keys.join("keys"), "t"), 0);
    format!(
        "audit: {{ dir: {0}/audit, key: {0}/keys/audit.key, hmac_key: {0}/keys/hmac.key }}\n",
        keys.display()
    )
}

fn fake_clock() -> Arc<FakeClock> {
    Arc::new(FakeClock::new(
        chrono::Utc
            .with_ymd_and_hms(2026, 12, 3, 10, 0, 0)
            .single()
            .expect("date"),
    ))
}

/// The app with `extra` config (approvers, audit), a static identity, a fake clock.
async fn start(extra: &str, clock: &Arc<FakeClock>) -> Harness {
    Harness::start_with(
        &[("echo", echo_adapter("http://127.0.0.1:9", ""))],
        ALLOW_ALL,
        &format!("{STATIC_IDENTITY}{extra}"),
        Some(clock.clone()),
    )
    .await
}

/// A pending request of `agent`'s, created at `now`, valid an hour.
fn pending(agent: &str, tier: &str, quorum: u32, now: i64) -> ApprovalRequest {
    ApprovalRequest {
        id: ApprovalRequest::new_id(),
        key: format!("key-{}", ApprovalRequest::new_id()),
        principal: json!({"agent": agent, "tenant": "acme", "run_id": "run-7"}),
        agent: agent.into(),
        tool: "echo.refund".into(),
        args_hmac: "9f86d081".into(),
        args_redacted: json!({"charge": "ch_1", "amount": 5000, "card": "[REDACTED]"}),
        reasons: vec!["refund_over_threshold".into()],
        tier: tier.into(),
        quorum,
        policy_version: "sha256:abc".into(),
        summary: "refund 5000 on ch_1".into(),
        decision_id: format!("d-{}", ApprovalRequest::new_id()),
        created_unix: now,
        expires_unix: now + 3600,
        state: ApprovalState::Pending,
        votes: Vec::new(),
        used_by: None,
    }
}

/// Store a pending request in the app's state file, as the proxy does; its id.
async fn seed(h: &Harness, clock: &Arc<FakeClock>, agent: &str, tier: &str, quorum: u32) -> String {
    let store = SqliteStore::open(&h.dir.path().join("state/toolwall.db"), clock.clone())
        .expect("open the app's state");
    let req = pending(agent, tier, quorum, clock.now().timestamp());
    let (stored, created) = store.approval_request(req).await.expect("store");
    assert!(created);
    stored.id
}

/// A request to the admin port with `token` (none: no Authorization header).
async fn call(
    h: &Harness,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Reply {
    let mut b = admin_req(method, h.admin(), path);
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    if body.is_some() {
        b = b.header("content-type", "application/json");
    }
    let body = Full::new(Bytes::from(body.unwrap_or_default().to_string()));
    send(h.admin(), b.body(body).expect("request")).await
}

async fn vote(h: &Harness, id: &str, verb: &str, token: &str, comment: Option<&str>) -> Reply {
    let body = comment.map_or(String::new(), |c| json!({ "comment": c }).to_string());
    call(
        h,
        "POST",
        &format!("/admin/approvals/{id}/{verb}"),
        Some(token),
        Some(&body),
    )
    .await
}

fn error_type(r: &Reply) -> String {
    r.json()["error"]["type"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn get_request(h: &Harness, id: &str, token: &str) -> Value {
    let r = call(
        h,
        "GET",
        &format!("/admin/approvals/{id}"),
        Some(token),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.json()
}

fn events<'a>(recs: &'a [Value], name: &str) -> Vec<&'a Value> {
    recs.iter()
        .filter(|r| r["kind"] == "event" && r["event"] == name)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quorum_of_two_distinct_approvers_is_audited_with_names_and_comments() {
    let clock = fake_clock();
    let keys = tempfile::tempdir().expect("tmp");
    let (cfg, tokens) = approvers("QUORUM", "1h");
    let h = start(&format!("{cfg}{}", audit_extra(keys.path())), &clock).await;
    let (alice, bob, carol) = (
        token(&tokens, "alice"),
        token(&tokens, "bob"),
        token(&tokens, "carol"),
    );
    let id = seed(&h, &clock, "test-agent", "high", 2).await;
    clock.advance(Duration::from_secs(30));

    // the queue, read by an approver and by the admin token
    let admin = admin_token_for(h.admin()).expect("admin token");
    for t in [alice, admin.as_str()] {
        let l = call(&h, "GET", "/admin/approvals?state=pending", Some(t), None).await;
        assert_eq!(l.status, 200, "{:?}", l.body);
        let list = l.json()["approvals"].as_array().cloned().expect("list");
        assert_eq!(list.len(), 1, "{list:?}");
        assert_eq!(list[0]["id"], id.as_str());
        assert_eq!(list[0]["state"], "pending");
        assert_eq!(list[0]["approvals"], 0);
        assert_eq!(list[0]["age_seconds"], 30);
        assert_eq!(list[0]["args_redacted"]["card"], "[REDACTED]");
    }
    let metrics = String::from_utf8_lossy(&admin_get(h.admin(), "/metrics").await.body).to_string();
    assert!(
        metrics.contains("toolwall_approvals_pending 1"),
        "{metrics}"
    );

    // alice approves: recorded, one of two
    let a = vote(
        &h,
        &id,
        "approve",
        alice,
        Some("refund checked against ticket 4411"),
    )
    .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(a.json()["outcome"], "recorded");
    assert_eq!(a.json()["approval"]["state"], "pending");
    assert_eq!(a.json()["approval"]["approvals"], 1);
    // alice again: one approver counts once
    let again = vote(&h, &id, "approve", alice, None).await;
    assert_eq!(again.status, 409, "{:?}", again.body);
    assert_eq!(error_type(&again), "already_voted");
    assert_eq!(get_request(&h, &id, bob).await["approvals"], 1);
    // bob approves: quorum
    let b = vote(&h, &id, "approve", bob, Some("ok")).await;
    assert_eq!(b.status, 200, "{:?}", b.body);
    assert_eq!(b.json()["approval"]["state"], "approved");
    assert_eq!(b.json()["approval"]["approvals"], 2);
    // carol is too late, either way
    for verb in ["approve", "deny"] {
        let c = vote(&h, &id, verb, carol, None).await;
        assert_eq!(c.status, 409, "{:?}", c.body);
        assert_eq!(error_type(&c), "already_decided");
        assert_eq!(c.json()["error"]["state"], "approved");
    }
    let shown = get_request(&h, &id, carol).await;
    assert_eq!(shown["state"], "approved");
    let votes: Vec<(&str, &str)> = shown["votes"]
        .as_array()
        .expect("votes")
        .iter()
        .map(|v| {
            (
                v["approver"].as_str().unwrap_or(""),
                v["comment"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        votes,
        [
            ("alice", "refund checked against ticket 4411"),
            ("bob", "ok")
        ]
    );
    let pending = call(&h, "GET", "/admin/approvals", Some(alice), None).await;
    assert_eq!(pending.json()["approvals"], json!([]));
    let approved = call(
        &h,
        "GET",
        "/admin/approvals?state=approved&limit=5",
        Some(alice),
        None,
    )
    .await;
    assert_eq!(approved.json()["approvals"][0]["id"], id.as_str());
    let metrics = String::from_utf8_lossy(&admin_get(h.admin(), "/metrics").await.body).to_string();
    assert!(
        metrics.contains("toolwall_approvals_pending 0"),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"toolwall_approvals_total{outcome="approved"} 1"#),
        "{metrics}"
    );

    let Harness { app, dir: _dir } = h;
    app.shutdown().await;
    let recs = audit_records(&keys.path().join("audit"));
    let voted = events(&recs, "approval.voted");
    assert_eq!(voted.len(), 1, "{recs:#?}");
    assert_eq!(voted[0]["detail"]["by"], "alice");
    assert_eq!(
        voted[0]["detail"]["comment"],
        "refund checked against ticket 4411"
    );
    assert_eq!(voted[0]["detail"]["approval_id"], id.as_str());
    assert_eq!(voted[0]["detail"]["approvals"], 1);
    let done = events(&recs, "approval.approved");
    assert_eq!(done.len(), 1, "{recs:#?}");
    assert_eq!(done[0]["detail"]["by"], "bob");
    assert_eq!(done[0]["detail"]["comment"], "ok");
    assert_eq!(done[0]["detail"]["state"], "approved");
    assert_eq!(done[0]["tool"], "echo.refund");
    // the refused votes are on the stream too
    let refused: Vec<(&str, &str)> = events(&recs, "approval.vote_refused")
        .iter()
        .map(|r| {
            (
                r["detail"]["by"].as_str().unwrap_or(""),
                r["detail"]["refused"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        refused,
        [
            ("alice", "already_voted"),
            ("carol", "already_decided"),
            ("carol", "already_decided")
        ]
    );
    // and the stream verifies
    let (code, out, err) = toolwall(&[
        "audit",
        "verify",
        keys.path().join("audit").to_str().expect("utf8"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_approval_deny_tokens_and_bad_requests_are_refused() {
    let clock = fake_clock();
    let (cfg, tokens) = approvers("REFUSE", "1h");
    let h = start(&cfg, &clock).await;
    let (alice, bob, carol) = (
        token(&tokens, "alice"),
        token(&tokens, "bob"),
        token(&tokens, "carol"),
    );
    let admin = admin_token_for(h.admin()).expect("admin token");
    // carol's own agent asked
    let id = seed(&h, &clock, "carol", "default", 1).await;

    let own = vote(&h, &id, "approve", carol, None).await;
    assert_eq!(own.status, 403, "{:?}", own.body);
    assert_eq!(error_type(&own), "self_approval");
    // the admin token reads but never decides; an unknown token or none is 401
    for t in [
        Some(admin.as_str()),
        Some("tok-REFUSE-mallory-5f2b8c1d9e"),
        None,
    ] {
        let r = call(
            &h,
            "POST",
            &format!("/admin/approvals/{id}/approve"),
            t,
            Some(""),
        )
        .await;
        assert_eq!(r.status, 401, "{t:?}: {:?}", r.body);
        assert_eq!(error_type(&r), "unauthorized");
        assert_eq!(r.headers["www-authenticate"], "Bearer");
    }
    for t in [Some("tok-REFUSE-mallory-5f2b8c1d9e"), None] {
        let r = call(&h, "GET", "/admin/approvals", t, None).await;
        assert_eq!(r.status, 401, "{:?}", r.body);
        assert_eq!(error_type(&r), "unauthorized");
    }
    // an approver's token is not the admin token elsewhere
    let kill = call(&h, "GET", "/admin/kill", Some(alice), None).await;
    assert_eq!(kill.status, 401);
    // the admin rules still hold: Origin, cross-site fetch, JSON on POST, foreign Host
    let path = format!("/admin/approvals/{id}/approve");
    for (k, v) in [
        ("origin", "http://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let r = send(
            h.admin(),
            admin_req("POST", h.admin(), &path)
                .header("authorization", format!("Bearer {alice}"))
                .header("content-type", "application/json")
                .header(k, v)
                .body(Full::new(Bytes::new()))
                .expect("request"),
        )
        .await;
        assert_eq!(r.status, 403, "{k}");
    }
    let r = send(
        h.admin(),
        admin_req("POST", h.admin(), &path)
            .header("authorization", format!("Bearer {alice}"))
            .header("content-type", "text/plain")
            .body(Full::new(Bytes::from(r#"{"comment":"x"}"#)))
            .expect("request"),
    )
    .await;
    assert_eq!(r.status, 415);
    let r = send(
        h.admin(),
        req("GET", "/admin/approvals")
            .header("authorization", format!("Bearer {alice}"))
            .body(Full::new(Bytes::new()))
            .expect("request"),
    )
    .await;
    assert_eq!(r.status, 403, "Host toolwall.test is foreign");
    // bad bodies: nothing recorded
    let long = "x".repeat(1001);
    for body in [
        json!({ "comment": long }).to_string(),
        r#"{"comment": 5}"#.to_string(),
        r#"{"comment": "a", "approve": true}"#.to_string(),
        r#"{"comment": "\u001b]0;pwned\u0007"}"#.to_string(),
        "not json".to_string(),
    ] {
        let r = call(&h, "POST", &path, Some(alice), Some(&body)).await;
        assert_eq!(r.status, 400, "{body}: {:?}", r.body);
    }
    assert_eq!(get_request(&h, &id, alice).await["votes"], json!([]));
    // unknown ids, bad queries, bad methods
    for p in [
        "/admin/approvals/0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        "/admin/approvals/..%2Fkill",
        "/admin/approvals/x/y/z",
    ] {
        let r = call(&h, "GET", p, Some(alice), None).await;
        assert_eq!(r.status, 404, "{p}");
        assert_eq!(error_type(&r), "not_found");
    }
    let r = vote(
        &h,
        "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        "approve",
        alice,
        None,
    )
    .await;
    assert_eq!(r.status, 404);
    for q in [
        "state=maybe",
        "limit=0",
        "limit=1001",
        "limit=x",
        "colour=red",
    ] {
        let r = call(
            &h,
            "GET",
            &format!("/admin/approvals?{q}"),
            Some(alice),
            None,
        )
        .await;
        assert_eq!(r.status, 400, "{q}");
    }
    let r = call(
        &h,
        "DELETE",
        &format!("/admin/approvals/{id}"),
        Some(alice),
        None,
    )
    .await;
    assert_eq!(r.status, 405);

    // alice denies: one deny decides; bob can no longer approve
    let d = vote(&h, &id, "deny", alice, Some("not this customer")).await;
    assert_eq!(d.status, 200, "{:?}", d.body);
    assert_eq!(d.json()["approval"]["state"], "denied");
    let late = vote(&h, &id, "approve", bob, None).await;
    assert_eq!(late.status, 409);
    assert_eq!(error_type(&late), "already_decided");
    assert_eq!(late.json()["error"]["state"], "denied");
    let shown = get_request(&h, &id, &admin).await;
    assert_eq!(shown["state"], "denied");
    assert_eq!(shown["votes"].as_array().map(Vec::len), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_request_cannot_be_decided() {
    let clock = fake_clock();
    let (cfg, tokens) = approvers("EXPIRY", "1h");
    let h = start(&cfg, &clock).await;
    let alice = token(&tokens, "alice");
    let id = seed(&h, &clock, "test-agent", "default", 1).await;
    clock.advance(Duration::from_secs(3600));
    // still valid at its expiry second; one more second and it is gone
    let listed = call(&h, "GET", "/admin/approvals", Some(alice), None).await;
    assert_eq!(listed.json()["approvals"][0]["id"], id.as_str());
    clock.advance(Duration::from_secs(1));
    for verb in ["approve", "deny"] {
        let r = vote(&h, &id, verb, alice, None).await;
        assert_eq!(r.status, 409, "{:?}", r.body);
        assert_eq!(error_type(&r), "expired");
    }
    let shown = get_request(&h, &id, alice).await;
    assert_eq!(shown["state"], "expired");
    assert_eq!(shown["votes"], json!([]));
    let pending = call(
        &h,
        "GET",
        "/admin/approvals?state=pending",
        Some(alice),
        None,
    )
    .await;
    assert_eq!(pending.json()["approvals"], json!([]));
    let expired = call(
        &h,
        "GET",
        "/admin/approvals?state=expired",
        Some(alice),
        None,
    )
    .await;
    assert_eq!(expired.json()["approvals"][0]["id"], id.as_str());
    let all = call(&h, "GET", "/admin/approvals?state=all", Some(alice), None).await;
    assert_eq!(all.json()["approvals"][0]["state"], "expired");
}

/// Read the event stream until `want` is in it (or fail after 10 s).
async fn read_until(body: &mut hyper::body::Incoming, seen: &mut String, want: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.contains(want) {
        let frame = tokio::time::timeout_at(deadline, body.frame())
            .await
            .unwrap_or_else(|_| panic!("no {want:?} in the stream: {seen}"))
            .expect("stream ended")
            .expect("frame");
        if let Ok(d) = frame.into_data() {
            seen.push_str(&String::from_utf8_lossy(&d));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_stream_delivers_votes_and_ends_with_its_client() {
    let clock = fake_clock();
    let (cfg, tokens) = approvers("EVENTS", "1h");
    let h = start(&cfg, &clock).await;
    let (alice, bob) = (token(&tokens, "alice"), token(&tokens, "bob"));
    let id = seed(&h, &clock, "test-agent", "high", 2).await;
    let rt = h.app.state.rt.clone();
    assert_eq!(toolwall::admin::approvals::open_streams(&rt), 0);

    let stream = tokio::net::TcpStream::connect(h.admin())
        .await
        .expect("connect");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    let conn = tokio::spawn(conn);
    let resp = sender
        .send_request(
            admin_req("GET", h.admin(), "/admin/approvals/events")
                .header("authorization", format!("Bearer {bob}"))
                .body(Full::new(Bytes::new()))
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut body = resp.into_body();
    let mut seen = String::new();
    read_until(&mut body, &mut seen, "retry: ").await;
    assert_eq!(toolwall::admin::approvals::open_streams(&rt), 1);

    let a = vote(&h, &id, "approve", alice, Some("looks right")).await;
    assert_eq!(a.status, 200);
    read_until(&mut body, &mut seen, "\n\n").await;
    read_until(&mut body, &mut seen, "event: voted\ndata: ").await;
    read_until(&mut body, &mut seen, "}\n\n").await;
    let data = seen
        .split("event: voted\ndata: ")
        .nth(1)
        .and_then(|s| s.split("\n\n").next())
        .expect("data line");
    let change: Value = serde_json::from_str(data).expect("change JSON");
    assert_eq!(change["event"], "approval.voted");
    assert_eq!(change["approval_id"], id.as_str());
    assert_eq!(change["by"], "alice");
    assert_eq!(change["comment"], "looks right");
    assert_eq!(change["request"]["state"], "pending");

    // the client goes away: the subscription ends with it
    drop(body);
    drop(sender);
    conn.abort();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while toolwall::admin::approvals::open_streams(&rt) != 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the event stream outlived its client"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approver_token_equal_to_the_admin_token_stops_start() {
    let (cfg, tokens) = approvers("SHARED", "1h");
    std::env::set_var("TW_APADM_SHARED_ADMIN", token(&tokens, "bob"));
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    std::fs::create_dir_all(root.join("adapters")).expect("mkdir");
    std::fs::create_dir_all(root.join("policies")).expect("mkdir");
    std::fs::write(
        root.join("adapters/echo.yaml"),
        echo_adapter("http://127.0.0.1:9", ""),
    )
    .expect("write");
    std::fs::write(root.join("policies/p.rego"), ALLOW_ALL).expect("write");
    std::fs::write(
        root.join("toolwall.yaml"),
        format!(
            "listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\nadmin_token_env: TW_APADM_SHARED_ADMIN\n{STATIC_IDENTITY}{cfg}"
        ),
    )
    .expect("write");
    let loaded = toolwall::config::load_snapshot(&root.join("toolwall.yaml"), true)
        .unwrap_or_else(|e| panic!("config does not load:\n{e}"));
    let err = match toolwall::app::start(loaded).await {
        Ok(_) => panic!("started with an approver holding the admin token"),
        Err(e) => format!("{e:#}"),
    };
    assert!(
        err.contains("`bob`") && err.contains("admin token"),
        "{err}"
    );
}

/// `toolwall approvals …` against `h` with `env`; run off the async workers.
async fn cli(h: &Harness, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_toolwall"));
    cmd.arg("approvals")
        .args(args)
        .arg("--admin")
        .arg(format!("http://{}", h.admin()))
        .env_remove("TOOLWALL_APPROVER_TOKEN")
        .env_remove("TOOLWALL_ADMIN_TOKEN")
        .env_remove("TOOLWALL_ADMIN_TOKEN_FILE")
        .current_dir(h.dir.path())
        .envs(env.iter().copied());
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("run toolwall"))
        .await
        .expect("join");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_lists_shows_approves_and_denies() {
    let clock = fake_clock();
    let (cfg, tokens) = approvers("CLI", "1h");
    let h = start(&cfg, &clock).await;
    let (alice, bob) = (token(&tokens, "alice"), token(&tokens, "bob"));
    let first = seed(&h, &clock, "test-agent", "high", 2).await;
    clock.advance(Duration::from_secs(125));
    let second = seed(&h, &clock, "test-agent", "default", 1).await;
    let as_alice = [("TOOLWALL_APPROVER_TOKEN", alice)];

    let (code, out, err) = cli(&h, &["list"], &as_alice).await;
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            format!("{second}  pending  echo.refund  test-agent  default  0/1  0s  refund_over_threshold"),
            format!("{first}  pending  echo.refund  test-agent  high  0/2  2m  refund_over_threshold"),
        ]
    );
    // list falls back to the admin token file of the config in the working directory
    let (code, out, err) = cli(&h, &["list", "--json", "-c", "toolwall.yaml"], &[]).await;
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["approvals"].as_array().map(Vec::len), Some(2));

    let (code, out, err) = cli(
        &h,
        &["approve", &first, "--comment", "ticket 4411"],
        &as_alice,
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(&format!("{first}  pending  ")) && out.contains("1/2"),
        "{out}"
    );
    // bob's token from a variable of his choosing
    let as_bob = [("BOB_TOKEN", bob)];
    let (code, out, err) = cli(
        &h,
        &["approve", &first, "--token-env", "BOB_TOKEN"],
        &as_bob,
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("  approved  ") && out.contains("2/2"), "{out}");
    let (code, _, err) = cli(&h, &["deny", &first], &as_alice).await;
    assert_eq!(code, 1);
    assert!(
        err.contains("409") && err.contains("already_decided"),
        "{err}"
    );

    let (code, out, err) = cli(&h, &["show", &first], &as_alice).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("state       approved"), "{out}");
    assert!(
        out.contains("alice approved at ") && out.contains(": ticket 4411"),
        "{out}"
    );
    assert!(out.contains("\"card\":\"[REDACTED]\""), "{out}");

    // deciding needs an approver's token: the admin token file is not enough
    let (code, _, err) = cli(&h, &["deny", &second, "-c", "toolwall.yaml"], &[]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("TOOLWALL_APPROVER_TOKEN"), "{err}");
    let (code, out, err) = cli(&h, &["deny", &second, "--json"], &as_alice).await;
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["approval"]["state"], "denied");
    assert_eq!(v["outcome"], "recorded");

    let (code, out, err) = cli(&h, &["list", "--state", "all"], &as_alice).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 2, "{out}");
    let (code, _, err) = cli(&h, &["list", "--state", "later"], &as_alice).await;
    assert_eq!(code, 1);
    assert!(err.contains("400"), "{err}");
    let (code, _, err) = cli(
        &h,
        &["list"],
        &[("TOOLWALL_APPROVER_TOKEN", "tok-nobody-000000")],
    )
    .await;
    assert_eq!(code, 1);
    assert!(err.contains("401"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sidecars_on_one_redis_decide_one_queue() {
    let redis = RedisServer::start().await;
    let (cfg, tokens) = approvers("REDIS", "1h");
    let (alice, bob) = (token(&tokens, "alice"), token(&tokens, "bob"));
    let state = format!(
        "state: {{ backend: redis, url: \"{}\", prefix: \"tw-apadm:\" }}\n",
        redis.url()
    );
    let mut apps = Vec::new();
    for _ in 0..2 {
        apps.push(
            Harness::start_with(
                &[("echo", echo_adapter("http://127.0.0.1:9", ""))],
                ALLOW_ALL,
                &format!("{STATIC_IDENTITY}{state}{cfg}"),
                None,
            )
            .await,
        );
    }
    let (a, b) = (&apps[0], &apps[1]);
    let store = toolwall::state::redis::RedisStore::connect(
        &redis.url(),
        "tw-apadm:",
        Duration::from_millis(500),
    )
    .expect("connect");
    let now = chrono::Utc::now().timestamp();
    let (req, _) = store
        .approval_request(pending("test-agent", "high", 2, now))
        .await
        .expect("store");
    let id = req.id;

    // both sidecars list it; alice votes through one, bob through the other: approved once
    for h in [a, b] {
        let l = call(h, "GET", "/admin/approvals", Some(alice), None).await;
        assert_eq!(l.json()["approvals"][0]["id"], id.as_str(), "{:?}", l.body);
    }
    assert_eq!(vote(a, &id, "approve", alice, None).await.status, 200);
    let again = vote(b, &id, "approve", alice, None).await;
    assert_eq!(again.status, 409);
    assert_eq!(error_type(&again), "already_voted");
    let done = vote(b, &id, "approve", bob, None).await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    assert_eq!(done.json()["approval"]["state"], "approved");
    let shown = get_request(a, &id, alice).await;
    assert_eq!(shown["state"], "approved");
    assert_eq!(shown["approvals"], 2);
}

/// Refunds over 100 need two approvers (tier `high`); everything else is allowed.
const REFUND_POLICY: &str = r#"
package toolwall
import rego.v1

default decision := {"allow": true, "reasons": []}

decision := {"allow": true, "require_approval": true, "tier": "high", "reasons": ["refund_over_threshold"]} if {
	input.tool.name == "echo.refund"
	input.args.amount > 100
}
"#;

fn refund(amount: i64, approval: Option<&str>) -> http::Request<Full<Bytes>> {
    let mut b = req("POST", "/echo/v1/refunds").header("content-type", "application/json");
    if let Some(id) = approval {
        b = b.header("toolwall-approval", id);
    }
    b.body(Full::new(Bytes::from(format!(
        r#"{{"charge":"ch_1","amount":{amount}}}"#
    ))))
    .expect("request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_over_the_threshold_goes_through_once_after_two_approvals() {
    let up = http_upstream().await;
    let keys = tempfile::tempdir().expect("tmp");
    let (cfg, tokens) = approvers("E2E", "1h");
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        REFUND_POLICY,
        &format!("{cfg}{}", audit_extra(keys.path())),
    )
    .await;
    let (alice, bob) = (token(&tokens, "alice"), token(&tokens, "bob"));

    let asked = send(h.agent(), refund(5000, None)).await;
    assert_eq!(asked.status, 403, "{:?}", asked.body);
    assert_eq!(asked.json()["error"]["type"], "approval_required");
    let id = asked.json()["error"]["approval_id"]
        .as_str()
        .expect("approval_id")
        .to_string();
    // the queue shows what was asked, arguments and all, before anyone decides
    let listed = call(&h, "GET", "/admin/approvals", Some(alice), None).await;
    let first = &listed.json()["approvals"][0];
    assert_eq!(first["id"], id.as_str());
    assert_eq!(first["tool"], "echo.refund");
    assert_eq!(first["agent"], "test-agent");
    assert_eq!(first["tier"], "high");
    assert_eq!(first["quorum"], 2);
    assert_eq!(first["args_redacted"]["amount"], 5000);
    // retrying early changes nothing: still pending, same id, nothing forwarded
    let early = send(h.agent(), refund(5000, Some(&id))).await;
    assert_eq!(early.status, 403);
    assert_eq!(early.json()["error"]["approval_id"], id.as_str());

    let a = vote(&h, &id, "approve", alice, Some("matches ticket 4411")).await;
    assert_eq!(a.json()["approval"]["state"], "pending", "{:?}", a.body);
    let one = send(h.agent(), refund(5000, Some(&id))).await;
    assert_eq!(one.status, 403, "one approval of two is not enough");
    let b = vote(&h, &id, "approve", bob, None).await;
    assert_eq!(b.json()["approval"]["state"], "approved", "{:?}", b.body);
    assert!(up.requests().is_empty(), "forwarded before approval");

    // other arguments do not ride on the approval
    let other = send(h.agent(), refund(9000, Some(&id))).await;
    assert_eq!(other.status, 403);
    assert_eq!(other.json()["error"]["type"], "approval_invalid");
    assert_eq!(other.reasons(), ["approval_mismatch"]);
    let ok = send(h.agent(), refund(5000, Some(&id))).await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    let again = send(h.agent(), refund(5000, Some(&id))).await;
    assert_eq!(again.status, 403, "{:?}", again.body);
    assert_eq!(again.json()["error"]["type"], "approval_invalid");
    assert_eq!(again.reasons(), ["approval_used"]);
    let seen = up.requests();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].path_and_query, "/v1/refunds");
    let sent: Value = serde_json::from_slice(&seen[0].body).expect("json");
    assert_eq!(sent["amount"], 5000);

    let shown = get_request(&h, &id, alice).await;
    assert_eq!(shown["state"], "used");
    assert!(shown["used_by"].is_string(), "{shown}");
    let Harness { app, dir: _dir } = h;
    app.shutdown().await;
    let recs = audit_records(&keys.path().join("audit"));
    let names: Vec<&str> = recs
        .iter()
        .filter(|r| r["kind"] == "event")
        .filter_map(|r| r["event"].as_str())
        .filter(|e| e.starts_with("approval."))
        .collect();
    assert_eq!(
        names,
        [
            "approval.requested",
            "approval.voted",
            "approval.approved",
            "approval.used"
        ]
    );
}
