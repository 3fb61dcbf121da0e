//! The admin port's `/metrics`, scraped after real calls and parsed by the Prometheus client
//! library's OpenMetrics parser (what a scraper accepts): the series an SRE alerts on are there,
//! with the values the calls made.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::common::*;

/// `/metrics` parsed by `prometheus_client.openmetrics.parser`: sample name + sorted labels →
/// value. The parser refuses anything that is not valid OpenMetrics.
fn parse(text: &str) -> BTreeMap<String, f64> {
    let script = r#"
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
out = {}
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
        out[f"{s.name}{{{labels}}}"] = s.value
print(json.dumps(out))
"#;
    let out = python_filter(script, text)
        .unwrap_or_else(|e| panic!("not valid OpenMetrics: {e}\n{text}"));
    let v: BTreeMap<String, Value> = serde_json::from_slice(&out).expect("the parser's JSON");
    v.into_iter()
        .map(|(k, v)| (k, v.as_f64().unwrap_or(f64::NAN)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_an_sre_alerts_on_follow_the_calls() {
    let up = http_upstream().await;
    let keys = tempfile::tempdir().expect("tmp");
    assert_eq!(
        toolwall::cli::audit::keygen(&keys.path().join("keys"), "t"),
        0
    );
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        POLICY,
        &format!(
            "audit: {{ dir: {0}/audit, key: {0}/keys/audit.key, hmac_key: {0}/keys/hmac.key, checkpoint: {{ every_records: 1000, every: 1h }} }}\n",
            keys.path().display()
        ),
    )
    .await;
    let refund = |body: &str| json_post("/echo/v1/refunds", body);
    assert_eq!(
        send(h.agent(), refund(r#"{"charge":"ch_1","amount":5}"#))
            .await
            .status,
        200
    );
    assert_eq!(
        send(h.agent(), refund(r#"{"charge":"ch_1","amount":7}"#))
            .await
            .status,
        200
    );
    assert_eq!(
        send(h.agent(), refund(r#"{"charge":"ch_1","amount":"5"}"#))
            .await
            .status,
        400
    );
    assert_eq!(
        send(h.agent(), refund(r#"{"charge":"ch_1","amount":500}"#))
            .await
            .status,
        403
    );
    let bad_id = send(h.agent(), get("/echo/v1/charges/py_1")).await;
    assert_eq!(bad_id.status, 400);
    // the audit writer reports its unsealed records on its next turn
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;

    let scraped = admin_get(h.admin(), "/metrics").await;
    assert_eq!(scraped.status, 200);
    let m = parse(&String::from_utf8_lossy(&scraped.body));
    let get = |k: &str| {
        *m.get(k)
            .unwrap_or_else(|| panic!("no sample {k} in {:#?}", m.keys().collect::<Vec<_>>()))
    };
    // two forwarded calls: two upstream durations
    assert_eq!(get("toolwall_upstream_duration_seconds_count{}"), 2.0);
    assert!(get("toolwall_upstream_duration_seconds_sum{}") > 0.0);
    // schema violations by tool
    assert_eq!(
        get("toolwall_schema_violations_total{tool=echo.refund}"),
        1.0
    );
    assert_eq!(
        get("toolwall_schema_violations_total{tool=echo.get_charge}"),
        1.0
    );
    assert_eq!(get("toolwall_refusals_total{reason=schema_invalid}"), 2.0);
    assert_eq!(get("toolwall_refusals_total{reason=policy_denied}"), 1.0);
    assert_eq!(
        get("toolwall_tool_calls_total{decision=allow,mode=enforce,tool=echo.refund}"),
        2.0
    );
    // the build, the policy in force, the config reload state
    let build = format!(
        "toolwall_build_info{{version={}}}",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(get(&build), 1.0);
    assert_eq!(get("toolwall_config_reload_success{}"), 1.0);
    // the audit stream: every call written (write-ahead and outcome records), none sealed
    // yet (checkpoints every 1000 records or an hour), the stream opened moments ago
    assert!(get("toolwall_audit_records_total{}") >= 5.0);
    assert_eq!(get("toolwall_audit_write_errors_total{}"), 0.0);
    let unsealed = get("toolwall_audit_unsealed_records{}");
    assert!(unsealed >= 5.0, "{unsealed}");
    let since = get("toolwall_audit_seconds_since_checkpoint{}");
    assert!((0.0..60.0).contains(&since), "{since}");

    let Harness { app, dir: _dir } = h;
    app.shutdown().await;
}
