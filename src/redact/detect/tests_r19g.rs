//! The nineteenth round's stand-in test (issue #20, task G): a stand-in for a value or a
//! secret's name under a secret-named key is no secret, in text and in JSON alike
//! (`detect::stand_in`); a real secret under the same keys, or a stand-in holding
//! secret-shaped material, still is.

use super::tests_support::{found, json_findings, json_findings_checked};
use crate::redact::entity::Entity;

const STAND_INS: [&str; 16] = [
    "changeme",
    "${GITHUB_TOKEN}",
    "%PASSWORD%",
    "$API_TOKEN",
    "[removed]",
    "<secret>",
    "sk_live_...",
    "sk-...",
    "{{ .Values.password }}",
    "{{ vault 'kv/app' }}",
    "(uses public key auth)",
    "db-password",
    "partner-tls-key",
    "prod/smtp-wiL36a",
    "arn:aws:secretsmanager:eu-west-1:470123985561:secret:prod/db-AbC123",
    "PrivateKey::sign",
];

#[test]
fn stand_ins_under_secret_keys_are_no_secret_in_json() {
    for v in STAND_INS {
        for key in ["password", "api_key", "client_secret", "token"] {
            let body = serde_json::json!({ key: v }).to_string();
            assert_eq!(json_findings_checked(&body), vec![], "{body}");
        }
    }
    // A vendor's placeholder under a secret key is still reported as one.
    let f = json_findings(r#"{"token": "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}"#);
    assert!(f.iter().all(|(_, _, p)| *p) && !f.is_empty(), "{f:?}");
}

#[test]
fn stand_ins_after_secret_names_are_no_secret_in_text() {
    for v in STAND_INS {
        if v.contains(' ') {
            continue; // a text value ends at a blank
        }
        for key in ["password", "api_key", "client_secret"] {
            let text = format!("{key}={v}\n");
            for e in [Entity::Password, Entity::GenericSecret] {
                assert_eq!(found(&text, e), Vec::<String>::new(), "{text:?}");
            }
        }
    }
}

#[test]
fn real_secrets_under_the_same_keys_are_still_found() {
    for (key, v, entity) in [
        ("password", "Xy7kP9qR2mWz", "PASSWORD"),
        ("password", "$DpM2T2NYS5YjnNTGR0", "PASSWORD"),
        ("password", "otter-violin-meadow-granite", "PASSWORD"),
        (
            "api_key",
            "q81uc4f2X7G_nCJFnGqkve9dCQIlKxSs",
            "GENERIC_SECRET",
        ),
        // Fail closed: a template or an elision beside secret-shaped material.
        ("client_secret", "Xy7kP9qR2mWzT4${SUFFIX}", "GENERIC_SECRET"),
        ("token", "sk-proj-AbC1234dEf...", "GENERIC_SECRET"),
        ("secret", "<xy7kP9qR2mWzT4>", "GENERIC_SECRET"),
        // Mixed case or digits in a dashed name: no secret's name.
        ("password", "Winter-Key", "PASSWORD"),
    ] {
        let body = serde_json::json!({ key: v }).to_string();
        let f = json_findings_checked(&body);
        assert!(f.iter().any(|(e, _)| *e == entity), "{body}: {f:?}");
    }
    for (text, entity, want) in [
        (
            "api_key=Xy7kP9qR2mWzT4${SUFFIX}",
            Entity::GenericSecret,
            "Xy7kP9qR2mWzT4${SUFFIX}",
        ),
        ("password=Xy7kP9qR2mWz", Entity::Password, "Xy7kP9qR2mWz"),
        ("password=db-Passw0rd", Entity::Password, "db-Passw0rd"),
    ] {
        assert_eq!(found(text, entity), vec![want], "{text:?}");
    }
}

#[test]
fn stand_ins_as_a_urls_password_are_no_password() {
    for text in [
        "postgres://readonly:ghp_****@localhost/analytics",
        "postgres://readonly:sk_test_…@localhost/analytics",
        "postgres://readonly:sk_live_...@localhost/analytics",
        "postgres://readonly:changeme@localhost/analytics",
    ] {
        assert_eq!(
            found(text, Entity::Password),
            Vec::<String>::new(),
            "{text:?}"
        );
    }
    assert_eq!(
        found(
            "postgres://readonly:Xy7kP9qR2mWz@localhost/analytics",
            Entity::Password
        ),
        vec!["Xy7kP9qR2mWz"]
    );
}
