//! Shadow mode is visible: a call enforce mode would refuse is forwarded, counted as
//! `decision="shadow_refused"` (not as an allow), and marked by `toolwall audit show`.

use std::path::Path;

use crate::common::*;

fn audit_extra(keys: &Path) -> String {
    assert_eq!(toolwall::cli::audit::keygen(&keys.join("keys"), "t"), 0);
    format!(
        "mode: shadow\naudit: {{ dir: {0}/audit, key: {0}/keys/audit.key, hmac_key: {0}/keys/hmac.key }}\n",
        keys.display()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shadowed_refusals_are_counted_apart_and_marked_in_audit_show() {
    let up = http_upstream().await;
    let keys = tempfile::tempdir().expect("tmp");
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        POLICY,
        &audit_extra(keys.path()),
    )
    .await;
    let refund = |amount: u32| {
        json_post(
            "/echo/v1/refunds",
            &format!(r#"{{"charge":"ch_1","amount":{amount}}}"#),
        )
    };
    let allowed = send(h.agent(), refund(5)).await;
    assert_eq!(allowed.status, 200);
    let shadowed = send(h.agent(), refund(500)).await;
    assert_eq!(shadowed.status, 200, "shadow mode forwards");
    assert_eq!(up.requests().len(), 2);

    let m = admin_get(h.admin(), "/metrics").await;
    let text = String::from_utf8_lossy(&m.body).to_string();
    for line in [
        r#"toolwall_tool_calls_total{tool="echo.refund",decision="allow",mode="shadow"} 1"#,
        r#"toolwall_tool_calls_total{tool="echo.refund",decision="shadow_refused",mode="shadow"} 1"#,
    ] {
        assert!(text.contains(line), "no `{line}` in:\n{text}");
    }

    let Harness { app, dir: _dir } = h;
    app.shutdown().await;
    let dir = keys.path().join("audit");
    let (code, out, err) = toolwall(&["audit", "show", dir.to_str().expect("utf8")]);
    assert_eq!(code, 0, "{err}");
    let id = |r: &Reply| {
        r.headers
            .get("toolwall-decision-id")
            .and_then(|v| v.to_str().ok())
            .expect("decision id")
            .to_string()
    };
    let line_of = |id: &str| {
        out.lines()
            .find(|l| l.contains(id))
            .unwrap_or_else(|| panic!("no line for {id} in:\n{out}"))
            .to_string()
    };
    assert!(
        line_of(&id(&shadowed)).contains("SHADOW would refuse [amount_exceeds_threshold]"),
        "{out}"
    );
    assert!(!line_of(&id(&allowed)).contains("SHADOW"), "{out}");
}
