//! The stage order as `pipeline/mod.rs` writes it, seen from outside: approval is decided at
//! admission — after kill switches, rate limits and the spend hold, before the write-ahead
//! record — and a call refused there holds no budget and reaches no tool.

use crate::common::*;

/// `shop.buy` needs a human; everything else is allowed.
const BUY_NEEDS_APPROVAL: &str = r#"
package toolwall
import rego.v1

default decision := {"allow": true, "reasons": []}

decision := {"allow": true, "require_approval": true, "reasons": ["purchases_need_a_human"]} if {
	input.tool.name == "shop.buy"
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approval_is_decided_at_admission_and_releases_the_spend_hold() {
    let up = fixed_upstream(r#"{"ok":true}"#).await;
    let h = Harness::start(
        &[("shop", shop_adapter(up.addr))],
        BUY_NEEDS_APPROVAL,
        "limits:\n  spend: [ { scope: tenant_day, max_usd: 0.02 } ]\n  rate: [ { key: [agent], tool: shop.buy, per_minute: 4, burst: 4 } ]\n",
    )
    .await;

    // three calls that need approval: refused at admission, each after taking a rate token
    for _ in 0..3 {
        let r = send(h.agent(), buy()).await;
        assert_eq!(r.status, 403, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(
            r.reasons(),
            vec!["approval_required", "purchases_need_a_human"]
        );
    }
    // the holds were released: the budget for two calls is whole
    let u = admin_get(h.admin(), "/admin/usage?tenant=acme")
        .await
        .json();
    assert_eq!(u["tenant_spent_usd"].as_f64(), Some(0.0), "{u}");
    for _ in 0..2 {
        let r = send(h.agent(), get("/shop/look")).await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    }
    // a kill switch is checked before approval
    let k = admin_post(
        h.admin(),
        "/admin/kill",
        r#"{"on":true,"tenant":"acme"}"#,
        None,
    )
    .await;
    assert_eq!(k.status, 200);
    let r = send(h.agent(), buy()).await;
    assert_eq!(r.reasons(), vec!["kill_switch"]);
    let k = admin_post(
        h.admin(),
        "/admin/kill",
        r#"{"on":false,"tenant":"acme"}"#,
        None,
    )
    .await;
    assert_eq!(k.status, 200);
    // and so is the rate limit: the three approval calls and the killed one took its four
    // tokens, so the next call is refused by it, not by approval
    let r = send(h.agent(), buy()).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.reasons(), vec!["rate_limited"]);

    // only the two allowed calls reached the tool
    assert_eq!(up.hits(), 2);
}
