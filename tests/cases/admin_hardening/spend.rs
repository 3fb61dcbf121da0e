//! Spend bounds for response-priced tools and upstreams that drop the connection; run budgets per tenant.

use super::*;

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
