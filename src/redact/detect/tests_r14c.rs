//! The fourteenth round's JSON rules for secrets (issue #20, part C): a string that is one
//! `key: …` setting and nothing else; each with the look-alikes it must leave alone.

use super::tests_support::{found, json_findings_checked as json_findings};
use crate::redact::entity::Entity;

fn s(e: &'static str, p: &str) -> (&'static str, String) {
    (e, p.to_string())
}

#[test]
fn a_string_that_is_one_key_setting_holds_a_secret() {
    // A password manager's export: a secure note holding an API key, written `key: …`.
    let body = r#"{"encrypted":false,"items":[{"id":"1","type":2,"name":"API","notes":"key: q4vtmz8e-30hbrkxa-9dnwy2c6-p1fjs7lu","secureNote":{"type":0}},{"id":"2","type":2,"name":"Stripe","notes":"key: 5e0c2b9d41a8f7e63c1d09b8a2f4e6d7","secureNote":{"type":0}},{"id":"3","type":2,"name":"Mapbox","notes":"Key: pQ2+XtR9WmLz/A7kVbN3yHcE","secureNote":{"type":0}},{"id":"4","type":2,"name":"Vault","notes":"key: v1.7c3e9a51d2b84f06e1a9c7d3b5f20e48a6c1d9b3","secureNote":{"type":0}}]}"#;
    assert_eq!(
        json_findings(body),
        vec![
            s("GENERIC_SECRET", "/items/0/notes"),
            s("GENERIC_SECRET", "/items/1/notes"),
            s("GENERIC_SECRET", "/items/2/notes"),
            s("GENERIC_SECRET", "/items/3/notes"),
        ]
    );
    // The value alone is the finding, in a leaf as in a text that is that string.
    assert_eq!(
        found(
            "key: q4vtmz8e-30hbrkxa-9dnwy2c6-p1fjs7lu",
            Entity::GenericSecret
        ),
        vec!["q4vtmz8e-30hbrkxa-9dnwy2c6-p1fjs7lu"]
    );
    assert_eq!(
        found(
            r#"{"note":"key: 5e0c2b9d41a8f7e63c1d09b8a2f4e6d7"}"#,
            Entity::GenericSecret
        ),
        vec!["5e0c2b9d41a8f7e63c1d09b8a2f4e6d7"]
    );
}

#[test]
fn a_key_setting_that_is_not_the_whole_string_or_no_key_stays_unfound() {
    // Not a key's shape: a word, a label, a time, a cache key, a path, a reference, a
    // keyboard key, a Kubernetes label's name.
    let body = r#"{"items":[{"notes":"key: customer_reference_code"},{"notes":"key: Enter"},{"notes":"key: 2026-05-01T10:00:00Z"},{"notes":"key: user:42:profile:settings"},{"notes":"key: reports/2026/05/quarterly.csv"},{"notes":"key: ${{ runner.os }}-node-modules"},{"notes":"key: node-role.kubernetes.io/control-plane"},{"notes":"key: F5"}]}"#;
    assert_eq!(json_findings(body), vec![]);
    // More than the setting in the string (a list, a second line, words after), the
    // setting not at its start, or `key=…` (any parameter).
    let body = r#"{"a":"key: q4vtmz8e30hbrkxa9dnwy2c6,p1fjs7lu","b":"key: q4vtmz8e30hbrkxa9dnwy2c6p1fjs7lu\nnext","c":"key: q4vtmz8e30hbrkxa9dnwy2c6p1fjs7lu rotated","d":"sort key: q4vtmz8e30hbrkxa9dnwy2c6p1fjs7lu","e":"key=q4vtmz8e30hbrkxa9dnwy2c6p1fjs7lu"}"#;
    assert_eq!(json_findings(body), vec![]);
    // A member named `key` is a pair's name (`{"key": …, "value": …}`), an idempotency
    // key, an object store's key: its value is no secret by the name.
    let body =
        r#"{"key":"q4vtmz8e30hbrkxa9dnwy2c6p1fjs7lu","Key":"uploads/2026/a9c7d3b5f20e48a6.png"}"#;
    assert_eq!(json_findings(body), vec![]);
    // In text, `key:` in a YAML document (a toleration's, a cache's) is any map's key.
    let text = "tolerations:\n  - key: q4vtmz8e30hbrkxa9dnwy2c6p1fjs7lu\n    operator: Exists\n";
    assert_eq!(found(text, Entity::GenericSecret), Vec::<String>::new());
}
