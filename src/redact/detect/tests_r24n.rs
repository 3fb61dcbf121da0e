//! The twenty-fourth round's task num (issue #20): a vendor key glued to its variable's name
//! (`export GH_TOKENghu_…`), nine digits in a name/value pair named for the SSN, an IPv6
//! address ending in `::` written with a port and no brackets. Each with the look-alikes it
//! must leave alone.

use super::tests_support::{det, found, json_findings, redactor};
use super::{Detector, ScanContext};
use crate::redact::entity::Entity;
use crate::redact::ActionPlan;

/// `found` with one detector for many texts (building one per text made these tests slow).
fn found_by(d: &Detector, text: &str, entity: Entity) -> Vec<String> {
    let mut out = Vec::new();
    d.scan(text.as_bytes(), ScanContext::default(), &mut |h| {
        if h.entity == entity && !h.placeholder {
            out.push(text[h.start..h.end].to_string());
        }
        true
    });
    out
}

const KEYS: &[(Entity, &str)] = &[
    (Entity::AnthropicKey, "sk-ant-api03-Kd-8HKTaI9SUWXaIp7VpAGcx8ctsLxfN9W8Fsvt6kmphzFmgO9vTOVAGDdZZfCygsTgdVdi5R7GYXyX5etoJM0MRzcxrJAA"),
    (Entity::OpenaiKey, "sk-svcacct-yxeob7IwKJY3QOEjhGQgBbP6Ycn6st5VppO6BBcEJOqGA3tlJbqQJTDf3mM5wNad_GwklNlfK6"),
    (Entity::OpenaiKey, "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"),
    (Entity::StripeKey, "rk_live_3mIcgeYpACoAiJfmJVzKrotC"),
    (Entity::GithubToken, "ghu_WOUWLgY8PGVgn9IttsJAbvODQZV43ktPqo66"),
    (Entity::SlackToken, "xoxa-2-80274787680-7071545731925-AXtobo2uri895eUwR19FqYUG"),
    (Entity::AwsAccessKey, "ASIAO5LHPIX35X6RWRZE"),
    (Entity::AwsAccessKey, "AKIAELXYUF3M6XFVE7QE"),
    (Entity::GoogleApiKey, "AIzaSyrJTepJYQ6NI4aJTyMvLstTutgym-z8dAJ"),
    (Entity::Jwt, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIyMjYxNTI2NzciLCJpYXQiOjE3OTY1OTg0OTl9.Thfexr_qG5FcKHxYUsOb_PZH6etzUaiSrzja5phScpF"),
];

#[test]
fn a_vendor_key_glued_to_its_variable_name_is_found() {
    let d = det();
    for &(entity, key) in KEYS {
        for name in [
            "GH_TOKEN",
            "AWS_ACCESS_KEY_ID",
            "S3_ACCESS_KEY",
            "SERVICE_JWT",
            "A_B",
        ] {
            for text in [
                format!("    echo \"export {name}{key}\" >> /home/vagrant/.profile\n"),
                format!("    environment:\n      - {name}{key}\n      - EXAMPLE=1\n"),
                format!("{name}{key}"),
            ] {
                assert_eq!(found_by(&d, &text, entity), vec![key.to_string()], "{text}");
            }
        }
        // With `=` as before.
        let text = format!("export API_KEY={key}\n");
        assert_eq!(found_by(&d, &text, entity), vec![key.to_string()], "{text}");
    }
}

#[test]
fn a_vendor_prefix_inside_other_text_stays_unfound() {
    let d = det();
    for &(entity, key) in KEYS {
        for before in [
            // Not a variable's name in capitals: mixed case (base64, a signature), lower
            // case, no `_`, a digit or `_` last, a name of more than 64 bytes.
            "MdiashyRMuHMT1RyXlJ-sywVz6ZQb94SRvtgWPDVKF6JHC6iyJ",
            "gh_token",
            "GHTOKEN",
            "GH_TOKEN9",
            "GH_TOKEN_",
            "_GH_TOKEN",
            "x",
            "A_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            let text = format!("value: {before}{key} end");
            assert_eq!(found_by(&d, &text, entity), Vec::<String>::new(), "{text}");
        }
    }
    // A name before a key of fixed length, but a word byte after it.
    for key in [
        "ASIAO5LHPIX35X6RWRZE",
        "AIzaSyrJTepJYQ6NI4aJTyMvLstTutgym-z8dAJ",
    ] {
        let text = format!("export GH_TOKEN{key}x");
        assert!(found(&text, Entity::AwsAccessKey).is_empty(), "{text}");
        assert!(found(&text, Entity::GoogleApiKey).is_empty(), "{text}");
    }
    // Prefixes random base64 holds by chance: no key.
    for text in [
        "blob: YWJjZGVmZ2hpams+AKIAZZZZZZZZZZZZZZZZa2xtbm9wcXJzdHV2d3h5eg==",
        "sig: L35QHCY5fU8TAMnbIOPH45zZzF29mvusk-OsohLfBCz-8t2cSjDTLkdOauGQ7pYJYdE7SmnsFMYi9Q end",
        "sha: 9a1f0c2e8b7d6a5c4b3a2918AKIA0000111122223333ffff end",
    ] {
        assert!(found(text, Entity::AwsAccessKey).is_empty(), "{text}");
        assert!(found(text, Entity::OpenaiKey).is_empty(), "{text}");
    }
}

#[test]
fn a_glued_documentation_example_is_a_placeholder() {
    let text = "export AWS_ACCESS_KEY_IDAKIAIOSFODNN7EXAMPLE\n";
    assert!(found(text, Entity::AwsAccessKey).is_empty(), "{text}");
    assert_eq!(
        super::tests_support::found_all(text, Entity::AwsAccessKey),
        vec!["AKIAIOSFODNN7EXAMPLE"]
    );
}

#[test]
fn nine_digits_in_a_pair_named_ssn_are_an_ssn() {
    let body = r#"{"requestBody":{"content":{"application/json":{"properties":[{"name":"iban","type":"string","value":"CH97 0926 0012 0130 1480 8"},{"name":"ssn","type":"string","value":"062625366"}]}}}}"#;
    let ssn = (
        "US_SSN",
        "/requestBody/content/application~1json/properties/1/value".to_string(),
        false,
    );
    assert!(
        json_findings(body).contains(&ssn),
        "{:?}",
        json_findings(body)
    );
    // The parsed walk says the same, in either member order, `key`/`Value` too.
    for body in [
        body.to_string(),
        r#"{"p":[{"value":"062625366","name":"SSN"}]}"#.to_string(),
        r#"{"p":[{"Key":"ssn","Value":"062-62-5366"}]}"#.to_string(),
    ] {
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let r = redactor().redact_json(&v, &ActionPlan::mask_all());
        assert_eq!(
            r.findings
                .iter()
                .filter(|f| f.entity == Entity::UsSsn)
                .count(),
            1,
            "{body}"
        );
        assert!(
            json_findings(&body).iter().any(|f| f.0 == "US_SSN"),
            "{body}"
        );
    }
    // Not a valid SSN (area 000, 666, 9xx), not nine digits, another name: no SSN.
    for body in [
        r#"{"p":[{"name":"ssn","value":"000625366"}]}"#,
        r#"{"p":[{"name":"ssn","value":"912625366"}]}"#,
        r#"{"p":[{"name":"ssn","value":"06262536"}]}"#,
        r#"{"p":[{"name":"customer_id","value":"062625366"}]}"#,
        r#"{"p":[{"name":"ssn_last4","value":"5366"}]}"#,
    ] {
        assert!(
            !json_findings(body).iter().any(|f| f.0 == "US_SSN"),
            "{body}: {:?}",
            json_findings(body)
        );
    }
    // A secret's name in the same pair wins.
    let body = r#"{"p":[{"name":"ssn","key":"api_token","value":"062625366"}]}"#;
    assert!(
        json_findings(body).iter().any(|f| f.0 == "GENERIC_SECRET"),
        "{:?}",
        json_findings(body)
    );
}

#[test]
fn an_ipv6_address_ending_in_colons_with_a_port_is_the_address() {
    for (text, addr) in [
        (
            "DATABASE_URL=postgres://postgres:Papillon1969~@2a03:2880:fd0e:8bd9:0:8738:::5432/ledger STRIPE",
            "2a03:2880:fd0e:8bd9:0:8738::",
        ),
        (
            "postgres://u:p@2a00:1450:d426:::5432/quiet",
            "2a00:1450:d426::",
        ),
    ] {
        assert_eq!(found(text, Entity::Ipv6), vec![addr.to_string()], "{text}");
    }
    // No port after `:::`, six digits, a second `:::`, or no valid address before it.
    for text in [
        "at 2a03:2880:fd0e::: end",
        "at 2a03:2880:fd0e:::543210 end",
        "at 2a03:::2880:::5432 end",
        "at 12345:2880:::5432 end",
    ] {
        assert!(found(text, Entity::Ipv6).is_empty(), "{text}");
    }
}
