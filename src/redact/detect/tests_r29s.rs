//! The twenty-ninth round's SSN pairs (FHIR's `us-ssn` system, DocuSign's `tabLabel`) and
//! IPv6 addresses glued to a key's `:` (issue #20, task ssn; `detect::evidence_r29s`), and
//! their look-alikes.

use super::tests_support::{both, found, json_findings_checked};
use crate::redact::entity::Entity;

fn s(entity: &'static str, pointer: &str) -> (&'static str, String) {
    (entity, pointer.to_string())
}

#[test]
fn a_fhir_identifier_under_the_ssn_system_is_an_ssn() {
    for body in [
        r#"{"resourceType":"Patient","identifier":[{"system":"urn:oid:2.16.840.1.113883.19.5","value":"9589630"},{"system":"http://hl7.org/fhir/sid/us-ssn","value":"403318999"}]}"#,
        r#"{"resourceType":"Patient","identifier":[{"value":"403318999","system":"http://hl7.org/fhir/sid/us-ssn"}]}"#,
        r#"{"resourceType":"Patient","identifier":[{"use":"official","system":"https://hl7.org/fhir/sid/us-ssn","value":"403-31-8999"}]}"#,
    ] {
        assert_eq!(
            json_findings_checked(body),
            vec![s(
                "US_SSN",
                if body.contains("urn:oid") {
                    "/identifier/1/value"
                } else {
                    "/identifier/0/value"
                }
            )],
            "{body}"
        );
    }
}

#[test]
fn other_fhir_systems_name_no_ssn() {
    for body in [
        // The MRN's system, a driver's licence's, the NPI's: no SSN.
        r#"{"identifier":[{"system":"urn:oid:2.16.840.1.113883.19.5","value":"403318999"}]}"#,
        r#"{"identifier":[{"system":"urn:oid:2.16.840.1.113883.4.3.25","value":"403318999"}]}"#,
        r#"{"identifier":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"1234567893"}]}"#,
        r#"{"identifier":[{"system":"http://example.org/fhir/sid/us-ssn-audit","value":"403318999"}]}"#,
        // An invalid SSN under the system (area 666, group 00): no finding.
        r#"{"identifier":[{"system":"http://hl7.org/fhir/sid/us-ssn","value":"666123456"}]}"#,
        r#"{"identifier":[{"system":"http://hl7.org/fhir/sid/us-ssn","value":"403009999"}]}"#,
        // A telecom's system.
        r#"{"telecom":[{"system":"email","value":"nobody"},{"system":"url","value":"403318999"}]}"#,
    ] {
        assert!(
            !json_findings_checked(body)
                .iter()
                .any(|(e, _)| *e == "US_SSN"),
            "{body}: {:?}",
            json_findings_checked(body)
        );
    }
}

#[test]
fn a_docusign_tab_labelled_ssn_holds_one() {
    assert_eq!(
        json_findings_checked(
            r#"{"tabs":{"textTabs":[{"tabLabel":"ssn","value":"750066815"},{"tabLabel":"company","value":"Acme"}]}}"#
        ),
        vec![s("US_SSN", "/tabs/textTabs/0/value")]
    );
    // Another tab's nine digits: no SSN.
    assert!(json_findings_checked(
        r#"{"tabs":{"textTabs":[{"tabLabel":"policy_number","value":"750066815"}]}}"#
    )
    .is_empty());
}

#[test]
fn an_ipv6_address_glued_to_a_keys_colon_is_found() {
    for (text, addr) in [
        (
            "| 249505 | crowdsecurity | Ip:2a00:23c5:494f:6741:6a01:1ed5:cad7:c4c9 | crowdsecurity/ssh-bf |",
            "2a00:23c5:494f:6741:6a01:1ed5:cad7:c4c9",
        ),
        ("| 748540 | crowdsecurity | Ip:fe80::b722:6292:b938:8449 | ban |", "fe80::b722:6292:b938:8449"),
        ("peer addr:2600:1700:7da7::4d06 closed", "2600:1700:7da7::4d06"),
        ("client_ip:2001:db8:0:0:0:0:2:1, port 443", "2001:db8:0:0:0:0:2:1"),
        ("host:2a02:8108:fe8a::6b0.", "2a02:8108:fe8a::6b0"),
    ] {
        for t in both(text) {
            assert_eq!(found(&t, Entity::Ipv6), vec![addr.to_string()], "{t:?}");
        }
    }
}

#[test]
fn a_keys_colon_before_no_address_finds_none() {
    for text in [
        "started at:12:30:45 and ended at:13:01:02",
        "mac:00:1a:2b:3c:4d:5e on eth0",
        "use std::fmt; impl Foo:bar::baz for x",
        "Port:8080 and port:443 open",
        "sha:abcdef0123456789abcdef0123456789 verified",
        "build:2024:11:05 tag:v1.2.3",
        // An address glued on both sides is none.
        "Ip:2001:db8::1x",
        "Ip:2001:db8::1:x",
    ] {
        for t in both(text) {
            assert!(
                found(&t, Entity::Ipv6).is_empty(),
                "{t:?}: {:?}",
                found(&t, Entity::Ipv6)
            );
        }
    }
}
