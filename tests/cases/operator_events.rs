//! Operator actions are audited as `event` records, not as calls: a kill switch set and
//! cleared over the admin API and a config reload (good and bad) each leave one event on the
//! signed stream, and none of them counts in `toolwall_tool_calls_total`.

use std::path::Path;

use serde_json::Value;

use crate::common::*;

fn audit_extra(keys: &Path) -> String {
    assert_eq!(toolwall::cli::audit::keygen(&keys.join("keys"), "t"), 0);
    format!(
        "audit: {{ dir: {0}/audit, key: {0}/keys/audit.key, hmac_key: {0}/keys/hmac.key }}\n",
        keys.display()
    )
}

fn events<'a>(recs: &'a [Value], name: &str) -> Vec<&'a Value> {
    recs.iter()
        .filter(|r| r["kind"] == "event" && r["event"] == name)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_switches_and_reloads_are_event_records_not_calls() {
    let up = fixed_upstream(r#"{"ok":true}"#).await;
    let keys = tempfile::tempdir().expect("tmp");
    let h = Harness::start(
        &[("shop", shop_adapter(up.addr))],
        ALLOW_ALL,
        &audit_extra(keys.path()),
    )
    .await;
    for on in [true, false] {
        let body = format!(r#"{{"on":{on},"tenant":"acme"}}"#);
        let k = admin_post(h.admin(), "/admin/kill", &body, None).await;
        assert_eq!(k.status, 200, "{:?}", k.body);
    }
    let ok = admin_post(h.admin(), "/admin/reload", "", None).await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    std::fs::write(
        h.dir.path().join("toolwall.yaml"),
        "listen: [not, an, address]\n",
    )
    .expect("write");
    let bad = admin_post(h.admin(), "/admin/reload", "", None).await;
    assert_ne!(bad.status, 200);

    let metrics = admin_get(h.admin(), "/metrics").await;
    let text = String::from_utf8_lossy(&metrics.body).to_string();
    assert!(
        !text.contains("toolwall_tool_calls_total{"),
        "operator actions counted as calls:\n{text}"
    );

    let Harness { app, dir: _dir } = h;
    app.shutdown().await;
    let recs = audit_records(&keys.path().join("audit"));
    assert!(
        !recs.iter().any(|r| r["kind"] == "decision"),
        "an operator action was recorded as a call: {recs:#?}"
    );
    let kills = events(&recs, "admin.kill_switch");
    assert_eq!(kills.len(), 2, "{recs:#?}");
    assert_eq!(kills[0]["detail"]["switch"], "tenant:acme");
    assert_eq!(kills[0]["detail"]["on"], true);
    assert_eq!(kills[1]["detail"]["on"], false);
    assert!(kills[0]["config_version"].is_string(), "{}", kills[0]);
    assert!(kills[0]["id"].is_string());
    let reloaded = events(&recs, "config.reloaded");
    assert_eq!(reloaded.len(), 1, "{recs:#?}");
    assert!(reloaded[0]["detail"]["version"].is_string());
    let failed = events(&recs, "config.reload_failed");
    assert_eq!(failed.len(), 1, "{recs:#?}");
    assert!(
        failed[0]["detail"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("toolwall.yaml")),
        "{}",
        failed[0]
    );

    // the stream with its events verifies
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_toolwall"))
        .args(["audit", "verify"])
        .arg(keys.path().join("audit"))
        .arg("--keys")
        .arg(keys.path().join("keys/audit.pub"))
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
