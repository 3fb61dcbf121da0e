//! Limits on the embedded SQLite state: spend under concurrency, rate limits over a real
//! burst, the UTC day boundary with a fake clock, degrade, kill switches (admin API, CLI,
//! config), the admin token, `input.usage` and cost from the response.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeZone;
use toolwall::state::FakeClock;

use bytes::Bytes;
use http_body_util::Full;

use crate::common::*;

fn clock_at(h: u32, m: u32, s: u32) -> Arc<FakeClock> {
    Arc::new(FakeClock::new(
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 21, h, m, s)
            .single()
            .expect("date"),
    ))
}

async fn shop(
    limits: &str,
    clock: Option<Arc<FakeClock>>,
    policy: &str,
) -> (FixedUpstream, Harness) {
    let up = fixed_upstream(r#"{"ok":true,"usage":{"cost_usd":0.03}}"#).await;
    let h = Harness::start_with(
        &[("shop", shop_adapter(up.addr))],
        policy,
        &format!("{STATIC_IDENTITY}{limits}"),
        clock,
    )
    .await;
    (up, h)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_calls_against_a_budget_for_ten_reach_the_upstream_at_most_ten_times() {
    let (up, h) = shop(
        "limits:\n  spend: [ { scope: tenant_day, max_usd: 0.10 } ]\n",
        None,
        ALLOW_ALL,
    )
    .await;
    let agent = h.agent();
    let calls: Vec<_> = (0..50)
        .map(|_| tokio::spawn(async move { send(agent, buy()).await }))
        .collect();
    let mut ok = 0;
    let mut over = 0;
    for c in calls {
        let r = c.await.expect("task");
        match r.status.as_u16() {
            200 => ok += 1,
            429 => {
                assert_eq!(r.reasons(), vec!["budget_exceeded"]);
                assert_eq!(r.json()["error"]["type"], "budget_exceeded");
                over += 1;
            }
            s => panic!("unexpected {s}: {:?}", r.body),
        }
    }
    assert_eq!(up.hits(), ok);
    assert!(ok <= 10, "{ok} calls reached the upstream");
    assert_eq!(ok, 10, "every call that fits goes through");
    assert_eq!(over, 40);
    let u = admin_get(h.admin(), "/admin/usage?tenant=acme").await;
    assert_eq!(u.status, 200);
    assert!((u.json()["tenant_spent_usd"].as_f64().expect("num") - 0.10).abs() < 1e-9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_over_a_real_burst_is_429_with_retry_after_and_refills_with_time() {
    let clock = clock_at(10, 0, 0);
    let (up, h) = shop(
        "limits:\n  rate: [ { key: [tenant, tool], tool: \"shop.b*\", per_minute: 6, burst: 3 } ]\n",
        Some(clock.clone()),
        ALLOW_ALL,
    )
    .await;
    let agent = h.agent();
    let replies: Vec<_> = (0..10)
        .map(|_| tokio::spawn(async move { send(agent, buy()).await }))
        .collect();
    let mut statuses = Vec::new();
    for r in replies {
        let r = r.await.expect("task");
        if r.status == 429 {
            assert_eq!(r.reasons(), vec!["rate_limited"]);
            let retry: u64 = r
                .headers
                .get("retry-after")
                .expect("Retry-After")
                .to_str()
                .expect("ascii")
                .parse()
                .expect("seconds");
            assert!((1..=10).contains(&retry), "Retry-After {retry}");
        }
        statuses.push(r.status.as_u16());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 3);
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 7);
    assert_eq!(up.hits(), 3);
    // a tool the glob does not match is not limited
    assert_eq!(send(h.agent(), get("/shop/free")).await.status, 200);
    // 10 s later one token (6/min) is back, not two
    clock.advance(Duration::from_secs(10));
    assert_eq!(send(h.agent(), buy()).await.status, 200);
    assert_eq!(send(h.agent(), buy()).await.status, 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn day_budgets_reset_at_the_utc_day_boundary() {
    let clock = clock_at(23, 59, 30);
    let (_up, h) = shop(
        "limits:\n  spend:\n    - { scope: tenant_day, max_usd: 0.02 }\n    - { scope: agent_day, max_usd: 1 }\n",
        Some(clock.clone()),
        ALLOW_ALL,
    )
    .await;
    assert_eq!(send(h.agent(), buy()).await.status, 200);
    assert_eq!(send(h.agent(), buy()).await.status, 200);
    let r = send(h.agent(), buy()).await;
    assert_eq!(r.status, 429);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .expect("message")
            .contains("tenant_day"),
        "{:?}",
        r.body
    );
    // a day budget has room again at midnight UTC: 30 s away
    assert_eq!(r.headers.get("retry-after").expect("Retry-After"), "30");
    clock.advance(Duration::from_secs(31)); // 00:00:01 the next day
    assert_eq!(send(h.agent(), buy()).await.status, 200);
    let u = admin_get(h.admin(), "/admin/usage?tenant=acme&agent=test-agent")
        .await
        .json();
    assert_eq!(u["day"], "2026-11-22");
    assert!((u["tenant_spent_usd"].as_f64().expect("num") - 0.01).abs() < 1e-9);
    let y = admin_get(h.admin(), "/admin/usage?tenant=acme&day=2026-11-21")
        .await
        .json();
    assert!((y["tenant_spent_usd"].as_f64().expect("num") - 0.02).abs() < 1e-9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_budget_with_degrade_lets_only_read_only_tools_through() {
    let (up, h) = shop(
        "limits:\n  spend: [ { scope: run, max_usd: 0.01, on_exceed: degrade } ]\n",
        None,
        ALLOW_ALL,
    )
    .await;
    let with_run = |r: &str| {
        req("POST", "/shop/buy")
            .header("content-type", "application/json")
            .header("toolwall-run-id", r)
            .body(http_body_util::Full::new(bytes::Bytes::from_static(b"{}")))
            .expect("request")
    };
    let look = |r: &str| {
        req("GET", "/shop/look")
            .header("toolwall-run-id", r)
            .body(http_body_util::Full::new(bytes::Bytes::new()))
            .expect("request")
    };
    assert_eq!(send(h.agent(), with_run("r1")).await.status, 200);
    let r = send(h.agent(), with_run("r1")).await;
    assert_eq!(r.status, 429);
    assert!(r.json()["error"]["message"]
        .as_str()
        .expect("msg")
        .contains("read-only"));
    assert_eq!(send(h.agent(), look("r1")).await.status, 200);
    // another run has its own budget
    assert_eq!(send(h.agent(), with_run("r2")).await.status, 200);
    assert_eq!(up.hits(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_budget_with_on_exceed_require_approval_asks_for_approval() {
    let (_up, h) = shop(
        "limits:\n  spend: [ { scope: agent_day, max_usd: 0.01, on_exceed: require_approval } ]\n",
        None,
        ALLOW_ALL,
    )
    .await;
    assert_eq!(send(h.agent(), buy()).await.status, 200);
    let r = send(h.agent(), buy()).await;
    assert_eq!(r.status, 403, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.reasons(), vec!["approval_required", "budget_exceeded"]);
    assert_eq!(r.json()["error"]["type"], "approval_required");
    let id = r.json()["error"]["approval_id"]
        .as_str()
        .expect("approval id")
        .to_string();
    // the same call again while it is pending: the same request
    let again = send(h.agent(), buy()).await;
    assert_eq!(again.json()["error"]["approval_id"], id.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cost_from_the_response_is_what_is_committed() {
    let keys = tempfile::tempdir().expect("tmp");
    assert_eq!(
        toolwall::cli::audit::keygen(&keys.path().join("keys"), "t"),
        0
    );
    let (_up, h) = shop(
        &format!(
            "limits:\n  spend: [ {{ scope: tenant_day, max_usd: 0.05 }} ]\n\
             audit: {{ dir: {0}/audit, key: {0}/keys/audit.key, hmac_key: {0}/keys/hmac.key }}\n",
            keys.path().display()
        ),
        None,
        ALLOW_ALL,
    )
    .await;
    // reserves 0.01, the upstream says it cost 0.03
    let r = send(h.agent(), json_post("/shop/metered", "{}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["usage"]["cost_usd"], 0.03);
    let u = admin_get(h.admin(), "/admin/usage?tenant=acme")
        .await
        .json();
    assert!((u["tenant_spent_usd"].as_f64().expect("num") - 0.03).abs() < 1e-9);
    assert_eq!(
        send(h.agent(), json_post("/shop/metered", "{}"))
            .await
            .status,
        200
    );
    // 0.06 used of 0.05: nothing more
    assert_eq!(send(h.agent(), buy()).await.status, 429);
    // the spend metric and the outcome records carry the committed cost, not the estimate
    let metrics = admin_get(h.admin(), "/metrics").await;
    let text = String::from_utf8_lossy(&metrics.body).to_string();
    let spent: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("toolwall_spend_usd_total{tenant=\"acme\"} "))
        .unwrap_or_else(|| panic!("no spend for acme in {text}"))
        .parse()
        .expect("a number");
    assert!((spent - 0.06).abs() < 1e-9, "{spent}");
    let Harness { app, dir: _dir } = h;
    app.shutdown().await;
    let costs: Vec<f64> = audit_records(&keys.path().join("audit"))
        .iter()
        .filter(|r| r["kind"] == "outcome" && r["tool"] == "shop.metered")
        .map(|r| r["cost_usd"].as_f64().expect("cost_usd"))
        .collect();
    assert_eq!(costs, vec![0.03, 0.03]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_sees_usage() {
    let policy = r#"
package toolwall
import rego.v1

default decision := {"allow": true, "reasons": []}

decision := {"allow": false, "reasons": ["tenant_spend_high"]} if input.usage.tenant_spent_today_usd >= 0.02
"#;
    let (_up, h) = shop(
        "limits:\n  spend: [ { scope: tenant_day, max_usd: 10 } ]\n",
        None,
        policy,
    )
    .await;
    assert_eq!(send(h.agent(), buy()).await.status, 200);
    assert_eq!(send(h.agent(), buy()).await.status, 200);
    let r = send(h.agent(), buy()).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.reasons(), vec!["tenant_spend_high"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_switches_take_effect_on_the_next_call() {
    let (up, h) = shop("kill: { tools: [shop.look] }\n", None, ALLOW_ALL).await;
    // from config
    let r = send(h.agent(), get("/shop/look")).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.reasons(), vec!["kill_switch"]);
    assert_eq!(send(h.agent(), buy()).await.status, 200);

    // from the admin API
    let k = admin_post(
        h.admin(),
        "/admin/kill",
        r#"{"on":true,"tenant":"acme"}"#,
        None,
    )
    .await;
    assert_eq!(k.status, 200, "{:?}", k.body);
    let r = send(h.agent(), buy()).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.reasons(), vec!["kill_switch"]);
    assert_eq!(send(h.agent(), get("/shop/free")).await.status, 403);
    let list = admin_get(h.admin(), "/admin/kill").await.json();
    let switches: Vec<&str> = list["kills"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|k| k["switch"].as_str())
        .collect();
    assert_eq!(switches, vec!["tool:shop.look", "tenant:acme"]);
    // a config switch cannot be turned off from the API
    let c = admin_post(
        h.admin(),
        "/admin/kill",
        r#"{"on":false,"tool":"shop.look"}"#,
        None,
    )
    .await;
    assert_eq!(c.status, 409);
    let bad = admin_post(
        h.admin(),
        "/admin/kill",
        r#"{"on":true,"tenant":"a","agent":"b"}"#,
        None,
    )
    .await;
    assert_eq!(bad.status, 400);

    // off again with the CLI
    let admin_url = format!("http://{}", h.admin());
    // the token comes from the config's admin token file (state/admin.token)
    let config = h.dir.path().join("toolwall.yaml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_toolwall"))
        .args([
            "kill", "off", "--tenant", "acme", "--admin", &admin_url, "-c",
        ])
        .arg(&config)
        .output()
        .expect("run toolwall kill");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(send(h.agent(), buy()).await.status, 200);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_toolwall"))
        .args(["kill", "on", "--all", "--admin", &admin_url, "-c"])
        .arg(&config)
        .output()
        .expect("run toolwall kill");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(send(h.agent(), get("/shop/free")).await.status, 403);
    assert_eq!(up.hits(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_api_requires_the_bearer_token_when_configured() {
    std::env::set_var("TOOLWALL_TEST_ADMIN_TOKEN", "s3cret-token");
    let (_up, h) = shop(
        "admin_token_env: TOOLWALL_TEST_ADMIN_TOKEN\n",
        None,
        ALLOW_ALL,
    )
    .await;
    let body = r#"{"on":true,"all":true}"#;
    let no_token = admin_req("POST", h.admin(), "/admin/kill")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .expect("request");
    assert_eq!(send(h.admin(), no_token).await.status, 401);
    assert_eq!(
        admin_post(h.admin(), "/admin/kill", body, Some("wrong"))
            .await
            .status,
        401
    );
    assert_eq!(
        admin_post(h.admin(), "/admin/kill", body, Some("s3cret-token"))
            .await
            .status,
        200
    );
    // probes stay open
    assert_eq!(admin_get(h.admin(), "/healthz").await.status, 200);
    let no_token = admin_req("GET", h.admin(), "/admin/kill")
        .body(Full::new(Bytes::new()))
        .expect("request");
    assert_eq!(send(h.admin(), no_token).await.status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spend_and_kill_switches_survive_a_restart() {
    let up = fixed_upstream(r#"{"ok":true}"#).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("state.db");
    let cfg = format!(
        "{STATIC_IDENTITY}state: {{ backend: sqlite, path: {} }}\nlimits:\n  spend: [ {{ scope: tenant_day, max_usd: 0.02 }} ]\n",
        db.display()
    );
    {
        let h =
            Harness::start_with(&[("shop", shop_adapter(up.addr))], ALLOW_ALL, &cfg, None).await;
        assert_eq!(send(h.agent(), buy()).await.status, 200);
        let k = admin_post(
            h.admin(),
            "/admin/kill",
            r#"{"on":true,"agent":"other"}"#,
            None,
        )
        .await;
        assert_eq!(k.status, 200);
        h.app.shutdown().await;
    }
    // the writer thread flushes on drop; give it its moment
    tokio::time::sleep(Duration::from_millis(200)).await;
    let h = Harness::start_with(&[("shop", shop_adapter(up.addr))], ALLOW_ALL, &cfg, None).await;
    assert_eq!(send(h.agent(), buy()).await.status, 200);
    assert_eq!(send(h.agent(), buy()).await.status, 429);
    let list = admin_get(h.admin(), "/admin/kill").await.json();
    assert_eq!(list["kills"][0]["switch"], "agent:other");
}

#[test]
fn limits_and_admin_config_errors_are_located() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("adapters")).expect("mkdir");
    std::fs::create_dir_all(root.join("policies")).expect("mkdir");
    std::fs::write(root.join("policies/toolwall.rego"), ALLOW_ALL).expect("write");
    let cfg = root.join("toolwall.yaml");
    let load = |text: &str| {
        std::fs::write(&cfg, text).expect("write");
        match toolwall::config::load_snapshot(&cfg, true) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    };
    let e = load("admin: 0.0.0.0:0\nlisten: 127.0.0.1:0\n");
    assert!(
        e.contains("toolwall.yaml:1:8:") && e.contains("admin_token_env"),
        "{e}"
    );
    let e = load(
        "listen: 127.0.0.1:0\nlimits:\n  rate: [ { per_second: 1, per_minute: 5 } ]\n  spend: [ { scope: run, max_usd: -1 } ]\n",
    );
    assert!(e.contains("toolwall.yaml:3:11: limits.rate[0]"), "{e}");
    assert!(
        e.contains("toolwall.yaml:4:12: limits.spend[0]: max_usd"),
        "{e}"
    );
    let e = load("limits:\n  spend: [ { scope: week, max_usd: 1 } ]\n");
    assert!(e.contains("toolwall.yaml:2:"), "{e}");
    let e = load("state: { backend: redis }\n");
    assert!(e.contains("redis://"), "{e}");
    let e = load("limits:\n  day_utc_offset: CET\n");
    assert!(e.contains("day_utc_offset"), "{e}");
    // an unset JWT secret stops `run` and is a warning for `check`
    let jwt = "identity:\n  jwt: { issuer: i, audience: a, hs256_secret_env: TOOLWALL_TEST_UNSET_SECRET }\n";
    let e = load(jwt);
    assert!(
        e.contains("toolwall.yaml:2:52:") && e.contains("TOOLWALL_TEST_UNSET_SECRET is not set"),
        "{e}"
    );
    let loaded = toolwall::config::load_snapshot(&cfg, false).expect("check mode loads");
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    assert_eq!(load("listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\n"), "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shadow_mode_forwards_over_limits_but_a_kill_switch_still_stops() {
    let (up, h) = shop(
        "mode: shadow\nkill: { tools: [shop.look] }\nlimits:\n  rate: [ { per_minute: 1, burst: 1 } ]\n  spend: [ { scope: tenant_day, max_usd: 0.01 } ]\n",
        None,
        ALLOW_ALL,
    )
    .await;
    for _ in 0..3 {
        assert_eq!(send(h.agent(), buy()).await.status, 200);
    }
    assert_eq!(up.hits(), 3);
    let r = send(h.agent(), get("/shop/look")).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.reasons(), vec!["kill_switch"]);
}
