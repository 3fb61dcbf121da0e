//! Routing and decisions: allow, schema, policy, unknown tool/upstream, shadow, reload, metrics.

use bytes::Bytes;
use http_body_util::Full;

use crate::common::*;

async fn echo_harness(extra_config: &str) -> (Upstream, Harness) {
    let up = http_upstream().await;
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        POLICY,
        extra_config,
    )
    .await;
    (up, h)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_call_is_forwarded_with_decision_id() {
    let (up, h) = echo_harness("").await;
    let r = send(
        h.agent(),
        json_post("/echo/v1/refunds", r#"{"charge":"ch_1","amount":5}"#),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let decision_id = r
        .headers
        .get("toolwall-decision-id")
        .expect("decision id header");
    assert_eq!(decision_id.len(), 36);
    let seen = up.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].path_and_query, "/v1/refunds");
    let body: serde_json::Value = serde_json::from_slice(&seen[0].body).expect("json");
    assert_eq!(body, serde_json::json!({"charge": "ch_1", "amount": 5}));
    // hop-by-hop header from the upstream is not relayed
    assert!(r.headers.get("keep-alive").is_none());
    // a traceparent is always sent upstream
    let tp = seen[0].headers.get("traceparent").expect("traceparent");
    assert_eq!(tp.len(), 55);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_violation_is_400_with_instance_path_and_never_forwarded() {
    let (up, h) = echo_harness("").await;
    let r = send(
        h.agent(),
        json_post("/echo/v1/refunds", r#"{"charge":"ch_1","amount":"five"}"#),
    )
    .await;
    assert_eq!(r.status, 400);
    let v = r.json();
    assert_eq!(v["error"]["type"], "invalid_request");
    assert_eq!(r.reasons(), vec!["schema_invalid"]);
    assert_eq!(v["error"]["violations"][0]["instance_path"], "/amount");
    assert!(up.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_denial_is_403_with_the_policy_reason() {
    let (up, h) = echo_harness("").await;
    let r = send(
        h.agent(),
        json_post("/echo/v1/refunds", r#"{"charge":"ch_1","amount":500}"#),
    )
    .await;
    assert_eq!(r.status, 403);
    let v = r.json();
    assert_eq!(v["error"]["type"], "denied");
    assert_eq!(r.reasons(), vec!["amount_exceeds_threshold"]);
    assert!(v["error"]["approval_id"].is_null());
    assert_eq!(
        v["error"]["decision_id"].as_str(),
        r.headers
            .get("toolwall-decision-id")
            .and_then(|h| h.to_str().ok())
    );
    assert!(up.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_evaluation_error_denies() {
    let (up, h) = echo_harness("").await;
    let r = send(h.agent(), json_post("/echo/v1/conflict", "{}")).await;
    assert_eq!(r.status, 403, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.reasons(), vec!["policy_error"]);
    assert!(up.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undefined_decision_denies() {
    let up = http_upstream().await;
    let policy = "package toolwall\nimport rego.v1\ndecision := {\"allow\": true} if input.args.amount == 1\n";
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        policy,
        "",
    )
    .await;
    let r = send(
        h.agent(),
        json_post("/echo/v1/refunds", r#"{"charge":"ch_1","amount":2}"#),
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.reasons(), vec!["policy_undefined"]);
    let r = send(
        h.agent(),
        json_post("/echo/v1/refunds", r#"{"charge":"ch_1","amount":1}"#),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(up.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_tool_and_unknown_upstream_are_refused() {
    let (up, h) = echo_harness("").await;
    let r = send(h.agent(), json_post("/echo/v1/payouts", "{}")).await;
    assert_eq!(
        (r.status.as_u16(), r.reasons()),
        (403, vec!["unknown_tool".to_string()])
    );
    // right path, wrong method
    let r = send(h.agent(), get("/echo/v1/refunds")).await;
    assert_eq!(r.reasons(), vec!["unknown_tool"]);
    let r = send(h.agent(), get("/nosuch/v1/refunds")).await;
    assert_eq!(
        (r.status.as_u16(), r.reasons()),
        (403, vec!["unknown_upstream".to_string()])
    );
    // forward-proxy form to a host no adapter guards
    let r = send(h.agent(), get("http://evil.example.com/v1/charges/ch_1")).await;
    assert_eq!(r.reasons(), vec!["unknown_upstream"]);
    // CONNECT tunnels would hide the call
    let r = send(
        h.agent(),
        req("CONNECT", "evil.example.com:443")
            .body(Full::new(Bytes::new()))
            .expect("req"),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.reasons()),
        (403, vec!["connect_refused".to_string()])
    );
    assert!(up.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forward_proxy_absolute_form_reaches_the_adapter() {
    let (up, h) = echo_harness("").await;
    let target = format!("http://{}/v1/charges/ch_42?limit=3", up.addr);
    let r = send(h.agent(), get(&target)).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let seen = up.requests();
    assert_eq!(seen[0].path_and_query, "/v1/charges/ch_42?limit=3");
    // the same tool refuses a schema-invalid path parameter and an over-limit query value
    let r = send(
        h.agent(),
        get(&format!("http://{}/v1/charges/xx_42", up.addr)),
    )
    .await;
    assert_eq!(r.reasons(), vec!["schema_invalid"]);
    let r = send(
        h.agent(),
        get(&format!("http://{}/v1/charges/ch_1?limit=50", up.addr)),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["error"]["violations"][0]["instance_path"],
        "/limit"
    );
    assert_eq!(up.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_template_params_and_query_are_typed_args() {
    let up = http_upstream().await;
    // policy sees the path parameter and the integer-typed query value
    let policy = r#"package toolwall
import rego.v1
decision := {"allow": true, "reasons": []} if {
	input.args.id == "ch_7"
	input.args.limit == 3
	input.request.path == "/v1/charges/ch_7"
}
default decision := {"allow": false, "reasons": ["args_not_as_expected"]}
"#;
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        policy,
        "",
    )
    .await;
    let r = send(h.agent(), get("/echo/v1/charges/ch_7?limit=3")).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let r = send(h.agent(), get("/echo/v1/charges/ch_8?limit=3")).await;
    assert_eq!(r.reasons(), vec!["args_not_as_expected"]);
    assert_eq!(up.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shadow_mode_forwards_and_reports_what_enforce_would_do() {
    let (up, h) = echo_harness("mode: shadow").await;
    let r = send(
        h.agent(),
        json_post("/echo/v1/refunds", r#"{"charge":"ch_1","amount":500}"#),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(up.requests().len(), 1);
    let m = admin_get(h.admin(), "/metrics").await;
    let text = String::from_utf8_lossy(&m.body);
    assert!(
        text.contains(
            r#"toolwall_tool_calls_total{tool="echo.refund",decision="shadow_refused",mode="shadow"} 1"#
        ),
        "{text}"
    );
    // unknown upstreams are never forwarded, even in shadow mode
    let r = send(h.agent(), get("/nosuch/x")).await;
    assert_eq!(r.status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_endpoints_and_metrics() {
    let (_up, h) = echo_harness("").await;
    let _ = send(
        h.agent(),
        json_post("/echo/v1/refunds", r#"{"charge":"ch_1","amount":5}"#),
    )
    .await;
    let _ = send(
        h.agent(),
        json_post("/echo/v1/refunds", r#"{"charge":"ch_1","amount":500}"#),
    )
    .await;
    assert_eq!(admin_get(h.admin(), "/healthz").await.status, 200);
    assert_eq!(admin_get(h.admin(), "/readyz").await.status, 200);
    let m = admin_get(h.admin(), "/metrics").await;
    let text = String::from_utf8_lossy(&m.body).to_string();
    for needle in [
        r#"toolwall_tool_calls_total{tool="echo.refund",decision="allow",mode="enforce"} 1"#,
        r#"toolwall_tool_calls_total{tool="echo.refund",decision="deny",mode="enforce"} 1"#,
        r#"toolwall_refusals_total{reason="policy_denied"} 1"#,
        "toolwall_request_duration_seconds_count 2",
        "toolwall_policy_eval_duration_seconds_count 2",
        "toolwall_policy_info{version=",
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
    // the admin API is not reachable on the agent port
    let r = send(h.agent(), get("/metrics")).await;
    assert_eq!(r.reasons(), vec!["unknown_upstream"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_swaps_policy_and_keeps_the_good_config_on_error() {
    let (_up, h) = echo_harness("").await;
    let body = r#"{"charge":"ch_1","amount":50}"#;
    assert_eq!(
        send(h.agent(), json_post("/echo/v1/refunds", body))
            .await
            .status,
        200
    );
    let policy_path = h.dir.path().join("policies/toolwall.rego");
    std::fs::write(&policy_path, POLICY.replace("amount > 100", "amount > 10")).expect("write");
    let r = admin_post(h.admin(), "/admin/reload", "", None).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        send(h.agent(), json_post("/echo/v1/refunds", body))
            .await
            .status,
        403
    );
    // a broken policy is refused and the previous one stays in force
    std::fs::write(&policy_path, "package toolwall\ndecision := {").expect("write");
    let r = admin_post(h.admin(), "/admin/reload", "", None).await;
    assert_eq!(r.status, 422);
    assert!(String::from_utf8_lossy(&r.body).contains("toolwall.rego:"));
    assert_eq!(
        send(h.agent(), json_post("/echo/v1/refunds", body))
            .await
            .status,
        403
    );
    let m = admin_get(h.admin(), "/metrics").await;
    assert!(String::from_utf8_lossy(&m.body).contains("toolwall_config_reload_success 0"));
    let ready = admin_get(h.admin(), "/readyz").await;
    assert!(String::from_utf8_lossy(&ready.body).contains("last reload failed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_beyond_max_in_flight_are_shed_with_503() {
    let (_up, h) = echo_harness("request: { max_in_flight: 1 }").await;
    let agent = h.agent();
    // occupies the only slot for the adapter timeout (500 ms)
    let slow = tokio::spawn(async move { send(agent, get("/echo/slow")).await });
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    let r = send(
        agent,
        json_post("/echo/v1/refunds", r#"{"charge":"ch_1","amount":5}"#),
    )
    .await;
    assert_eq!(r.status, 503);
    assert_eq!(r.reasons(), vec!["overloaded"]);
    assert_eq!(
        r.headers.get("retry-after").and_then(|v| v.to_str().ok()),
        Some("1")
    );
    assert_eq!(slow.await.expect("join").status, 504);
    // the slot is free again
    let r = send(
        agent,
        json_post("/echo/v1/refunds", r#"{"charge":"ch_1","amount":5}"#),
    )
    .await;
    assert_eq!(r.status, 200);
}
