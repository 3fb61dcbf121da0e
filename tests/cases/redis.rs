//! Limits on a real `redis-server` started here: two toolwall apps share one budget and one
//! set of kill switches; Redis killed mid-test fails limited tools closed, then recovers.

use std::time::Duration;

use crate::common::*;

async fn app_on(redis: &RedisServer, up: &FixedUpstream, limits: &str) -> Harness {
    Harness::start_with(
        &[("shop", shop_adapter(up.addr))],
        ALLOW_ALL,
        &format!(
            "{STATIC_IDENTITY}state: {{ backend: redis, url: \"{}\", prefix: \"tw-test:\" }}\n{limits}",
            redis.url()
        ),
        None,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sidecars_enforce_one_tenant_budget_and_see_one_kill_switch() {
    let redis = RedisServer::start().await;
    let up = fixed_upstream(r#"{"ok":true}"#).await;
    let limits = "limits:\n  spend: [ { scope: tenant_day, max_usd: 0.10 } ]\n";
    let a = app_on(&redis, &up, limits).await;
    let b = app_on(&redis, &up, limits).await;
    let calls: Vec<_> = (0..50)
        .map(|i| {
            let addr = if i % 2 == 0 { a.agent() } else { b.agent() };
            tokio::spawn(async move { send(addr, buy()).await })
        })
        .collect();
    let mut ok = 0;
    for c in calls {
        let r = c.await.expect("task");
        match r.status.as_u16() {
            200 => ok += 1,
            429 => assert_eq!(r.reasons(), vec!["budget_exceeded"]),
            s => panic!("unexpected {s}: {:?}", r.body),
        }
    }
    assert_eq!(up.hits(), ok);
    assert!(ok <= 10, "{ok} calls reached the upstream");
    assert_eq!(ok, 10);
    let u = admin_get(b.admin(), "/admin/usage?tenant=acme")
        .await
        .json();
    assert!(
        (u["tenant_spent_usd"].as_f64().expect("num") - 0.10).abs() < 1e-9,
        "{u}"
    );

    // a kill switch set through A stops B's next call, priced or not
    let k = admin_post(
        a.admin(),
        "/admin/kill",
        r#"{"on":true,"agent":"test-agent"}"#,
        None,
    )
    .await;
    assert_eq!(k.status, 200, "{:?}", k.body);
    let r = send(b.agent(), get("/shop/free")).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.reasons(), vec!["kill_switch"]);
    let r = send(b.agent(), buy()).await;
    assert_eq!(r.reasons(), vec!["kill_switch"]);
    let list = admin_get(b.admin(), "/admin/kill").await.json();
    assert_eq!(list["kills"][0]["switch"], "agent:test-agent");
    let k = admin_post(
        b.admin(),
        "/admin/kill",
        r#"{"on":false,"agent":"test-agent"}"#,
        None,
    )
    .await;
    assert_eq!(k.status, 200);
    assert_eq!(send(a.agent(), get("/shop/free")).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_fails_limited_tools_closed_and_recovers() {
    let mut redis = RedisServer::start().await;
    let up = fixed_upstream(r#"{"ok":true}"#).await;
    let h = app_on(
        &redis,
        &up,
        "limits:\n  spend: [ { scope: tenant_day, max_usd: 5 } ]\n",
    )
    .await;
    assert_eq!(send(h.agent(), buy()).await.status, 200);
    assert_eq!(send(h.agent(), get("/shop/free")).await.status, 200);
    let ready = admin_get(h.admin(), "/readyz").await;
    assert_eq!(String::from_utf8_lossy(&ready.body), "ready\n");

    redis.kill();
    let r = send(h.agent(), buy()).await;
    assert_eq!(r.status, 503, "{:?}", r.body);
    assert_eq!(r.reasons(), vec!["state_unavailable"]);
    assert_eq!(r.json()["error"]["type"], "unavailable");
    // unlimited tools go on
    assert_eq!(send(h.agent(), get("/shop/free")).await.status, 200);
    let ready = admin_get(h.admin(), "/readyz").await;
    assert_eq!(ready.status, 200);
    let text = String::from_utf8_lossy(&ready.body).to_string();
    assert!(
        text.contains("degraded") && text.contains("redis"),
        "{text}"
    );
    let metrics = String::from_utf8_lossy(&admin_get(h.admin(), "/metrics").await.body).to_string();
    assert!(metrics.contains("toolwall_state_backend_up 0"), "{metrics}");
    assert_eq!(up.hits(), 3);

    redis.restart().await;
    let mut recovered = false;
    for _ in 0..50 {
        if send(h.agent(), buy()).await.status == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "limited calls work again once redis answers");
    let ready = admin_get(h.admin(), "/readyz").await;
    assert_eq!(String::from_utf8_lossy(&ready.body), "ready\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_commits_the_real_cost_and_degrades_to_read_only() {
    let redis = RedisServer::start().await;
    let up = fixed_upstream(r#"{"ok":true,"usage":{"cost_usd":0.03}}"#).await;
    let h = app_on(
        &redis,
        &up,
        "limits:\n  spend: [ { scope: tenant_day, max_usd: 0.05, on_exceed: degrade } ]\n",
    )
    .await;
    // reserves 0.01, commits the 0.03 the upstream reports
    assert_eq!(
        send(h.agent(), json_post("/shop/metered", "{}"))
            .await
            .status,
        200
    );
    let u = admin_get(h.admin(), "/admin/usage?tenant=acme")
        .await
        .json();
    assert!(
        (u["tenant_spent_usd"].as_f64().expect("num") - 0.03).abs() < 1e-9,
        "{u}"
    );
    assert_eq!(
        send(h.agent(), json_post("/shop/metered", "{}"))
            .await
            .status,
        200
    );
    // 0.06 of 0.05: only read-only tools go through, and their cost still counts
    let r = send(h.agent(), buy()).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.reasons(), vec!["budget_exceeded"]);
    assert_eq!(send(h.agent(), get("/shop/look")).await.status, 200);
    let u = admin_get(h.admin(), "/admin/usage?tenant=acme")
        .await
        .json();
    assert!(
        (u["tenant_spent_usd"].as_f64().expect("num") - 0.07).abs() < 1e-9,
        "{u}"
    );
}

/// A `toolwall run` child process, killed on drop.
struct Proc {
    child: std::process::Child,
    agent: std::net::SocketAddr,
    admin: std::net::SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn spawn_toolwall(redis: &RedisServer, up: &FixedUpstream, limits: &str) -> Proc {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("adapters")).expect("mkdir");
    std::fs::create_dir_all(dir.path().join("policies")).expect("mkdir");
    std::fs::write(dir.path().join("adapters/shop.yaml"), shop_adapter(up.addr)).expect("write");
    std::fs::write(dir.path().join("policies/toolwall.rego"), ALLOW_ALL).expect("write");
    std::fs::write(
        dir.path().join("toolwall.yaml"),
        format!(
            "listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\n{STATIC_IDENTITY}state: {{ backend: redis, url: \"{}\", prefix: \"tw-proc:\" }}\n{limits}",
            redis.url()
        ),
    )
    .expect("write");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_toolwall"))
        .args(["--log-format", "json", "run", "-c"])
        .arg(dir.path().join("toolwall.yaml"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn toolwall");
    // The ports it bound are in its "toolwall is running" log line (no probe-then-bind race
    // with other tests); the rest of the log is drained so the child never blocks on a pipe.
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        let mut tx = Some(tx);
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { return };
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            let f = &v["fields"];
            if let (Some(agents), Some(admin)) = (f["agents"].as_str(), f["admin"].as_str()) {
                let addr = |u: &str| {
                    u.trim_start_matches("http://")
                        .split('/')
                        .next()
                        .unwrap_or("")
                        .to_string()
                };
                if let Some(tx) = tx.take() {
                    let _ = tx.send((addr(agents), addr(admin)));
                }
            }
        }
    });
    let (agent, admin) = tokio::time::timeout(Duration::from_secs(20), rx)
        .await
        .expect("toolwall did not start in 20s")
        .expect("toolwall exited before it was running");
    Proc {
        child,
        agent: agent.parse().expect("agent addr"),
        admin: admin.parse().expect("admin addr"),
        _dir: dir,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_toolwall_processes_share_one_budget_and_one_kill_switch() {
    let redis = RedisServer::start().await;
    let up = fixed_upstream(r#"{"ok":true}"#).await;
    let limits = "limits:\n  spend: [ { scope: tenant_day, max_usd: 0.05 } ]\n";
    let a = spawn_toolwall(&redis, &up, limits).await;
    let b = spawn_toolwall(&redis, &up, limits).await;
    let calls: Vec<_> = (0..20)
        .map(|i| {
            let addr = if i % 2 == 0 { a.agent } else { b.agent };
            tokio::spawn(async move { send(addr, buy()).await.status.as_u16() })
        })
        .collect();
    let mut ok = 0;
    for c in calls {
        match c.await.expect("task") {
            200 => ok += 1,
            429 => {}
            s => panic!("unexpected {s}"),
        }
    }
    assert_eq!(ok, 5);
    assert_eq!(up.hits(), 5);

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_toolwall"))
        .args(["kill", "on", "--tool", "shop.free", "--admin"])
        .arg(format!("http://{}", a.admin))
        // its token: the admin.token the process wrote beside its config (redis state)
        .arg("-c")
        .arg(a._dir.path().join("toolwall.yaml"))
        .output()
        .expect("toolwall kill");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = send(b.agent, get("/shop/free")).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.reasons(), vec!["kill_switch"]);
}
