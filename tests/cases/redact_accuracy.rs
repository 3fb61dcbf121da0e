//! Redaction accuracy end to end (issue #20): through the proxy, identifiers that look like
//! phones stay intact, a password stated in prose is masked, and a documentation placeholder
//! of a secret is shown to policy (`input.pii.placeholders`) without being masked.

use crate::common::*;

const POLICY: &str = r#"
package toolwall
import rego.v1

default decision := {"allow": false, "reasons": ["default_deny"]}

decision := {"allow": true, "reasons": [], "redact": ["phone", "password", "secrets", "email"]} if count(deny_reasons) == 0

decision := {"allow": false, "reasons": sort([r | some r in deny_reasons])} if count(deny_reasons) > 0

deny_reasons contains "live_aws_key" if "aws_access_key" in input.pii.found
deny_reasons contains "placeholder_in_strict_call" if {
    input.args.strict == true
    "aws_access_key" in input.pii.placeholders
}
"#;

async fn harness() -> (Upstream, Harness) {
    let up = http_upstream().await;
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        POLICY,
        "",
    )
    .await;
    (up, h)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_numbers_stay_and_a_prose_password_is_masked() {
    let (up, h) = harness().await;
    let note = "Order 4500012345, ticket 4432-1189-22, SKU 448-2231-9907, build 2024.05.12.1433: \
                customer says my password is Summer2024! and asks for a call on +44 20 7946 0958. \
                Docs example key AKIAIOSFODNN7EXAMPLE.";
    let body = serde_json::json!({"charge": "ch_1", "amount": 5, "note": note}).to_string();
    let r = send(h.agent(), json_post("/echo/v1/refunds", &body)).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let seen = up.requests();
    let forwarded: serde_json::Value = serde_json::from_slice(&seen[0].body).expect("json");
    assert_eq!(
        forwarded["note"],
        "Order 4500012345, ticket 4432-1189-22, SKU 448-2231-9907, build 2024.05.12.1433: \
         customer says my password is [PASSWORD] and asks for a call on [PHONE]. \
         Docs example key AKIAIOSFODNN7EXAMPLE."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_sees_placeholders_apart_from_found() {
    let (up, h) = harness().await;
    // A placeholder is not a live key: `found` does not list it, `placeholders` does.
    let body = r#"{"charge":"ch_1","amount":5,"strict":true,"note":"export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE"}"#;
    let r = send(h.agent(), json_post("/echo/v1/refunds", body)).await;
    assert_eq!(r.status, 403, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.reasons(), vec!["placeholder_in_strict_call"]);
    // A real-looking key is `found`.
    let body = r#"{"charge":"ch_1","amount":5,"note":"key AKIA2E0A8F3B244C9986"}"#;
    let r = send(h.agent(), json_post("/echo/v1/refunds", body)).await;
    assert_eq!(r.status, 403, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.reasons(), vec!["live_aws_key"]);
    assert!(up.requests().is_empty());
}
