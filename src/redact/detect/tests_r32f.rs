//! The thirty-second round's formats (issue #20, task fmt; `detect::evidence_r32f`): an X12
//! `NM1` segment's SSN and a `PER` segment's home and work phones, an HL7 `IN1` segment's
//! insured's birth date, a record's cell that is the birth date's key, a shell parameter's
//! default holding a vendor's key, a user agent's version after `ua=` — and their
//! look-alikes, in text and JSON.

use super::tests_support::{
    assert_each_found, assert_none_found, both, found, json_findings_checked,
};
use crate::redact::entity::Entity;

const ANT: &str = "sk-ant-api03-Y6PC2VJ_plo0sUZF5kDZVscdeN2HhsmDFoohiG58dVyXynB1eBg8tos9ayys-RIw40LvCNNY53pXMBYaX6hLwbnu1BR4aAA";

#[test]
fn an_x12_member_ssn_is_found() {
    assert_each_found(
        Entity::UsSsn,
        &[
            (
                "INS*Y*18*021*28*A***FT~\nNM1*IL*1*HENDRICKS*GARY****34*675461374~\nN3*1 MAIN ST~",
                "675461374",
            ),
            (
                "REF*0F*410040015~NM1*IL*1*DOE*JANE*Q***34*201329906~DMG*D8*19860410*F~",
                "201329906",
            ),
            ("NM1*IL*1*DIAZ*MICHAEL****34*023978748~", "023978748"),
        ],
    );
}

#[test]
fn another_x12_identifier_is_no_ssn() {
    assert_none_found(
        Entity::UsSsn,
        &[
            // Other qualifiers: member id, mutually defined, NPI, employer id.
            "NM1*IL*1*DOE*JANE****MI*675461374~",
            "NM1*IL*1*DOE*JANE****ZZ*675461374~",
            "NM1*85*2*CLINIC*****XX*1234567893~",
            "NM1*IL*1*DOE*JANE****24*675461374~",
            // `34` elsewhere than NM108, or in no NM1 segment.
            "NM1*IL*34*675461374~",
            "REF*34*675461374~",
            "XNM1*IL*1*DOE*JANE****34*675461374~",
            // Not a valid SSN (area 000, 666, 9xx).
            "NM1*IL*1*DOE*JANE****34*000461374~",
            "NM1*IL*1*DOE*JANE****34*966461374~",
            // Ten digits.
            "NM1*IL*1*DOE*JANE****34*6754613741~",
        ],
    );
}

#[test]
fn an_x12_home_or_work_phone_is_found() {
    assert_each_found(
        Entity::Phone,
        &[
            ("PER*IP**HP*6177956828*EM*hardyd@example.com~", "6177956828"),
            ("PER*IP**WP*5103393136~", "5103393136"),
            (
                "NM1*IL*1*DOE*JANE~\nPER*IP**HP*2055952429*EM*j@example.org~\nN3*2 ELM~",
                "2055952429",
            ),
        ],
    );
}

#[test]
fn another_x12_number_is_no_phone() {
    assert_none_found(
        Entity::Phone,
        &["HD*021**HLT*6177956828*EMP~", "PER*IP**ZZ*6177956828~"],
    );
}

fn dobs(text: &str) -> Vec<String> {
    found(text, Entity::DateOfBirth)
}

#[test]
fn an_hl7_insured_birth_date_is_found() {
    let msg = "MSH|^~\\&|EPIC|STMARY|HL7ROUTER|STMARY|20261201001335||ADT^A04^ADT_A01|638392397|P|2.5.1\nEVN|A04|20261201001335\nPV1|1|O|CLIN^^^STMARY\nIN1|1|AETNA|9397|UNITED||||||||||||DAVILA^LUKE|01|19770220\n";
    for t in both(msg) {
        assert_eq!(dobs(&t), vec!["19770220".to_string()], "{t:?}");
    }
    for t in both("IN1|1|BCBS01|7342|AETNA||||||||||||HORN^ASHLEY|01|20010506|123 MAIN ST\r\n") {
        assert_eq!(dobs(&t), vec!["20010506".to_string()], "{t:?}");
    }
}

#[test]
fn another_hl7_date_is_no_birth_date() {
    for text in [
        // IN1-12 (plan effective date), IN1-13 (plan expiration date).
        "IN1|1|AETNA|9397|UNITED||||||||20240101|20251231\n",
        // Field 17 or 19, not 18.
        "IN1|1|AETNA|9397|UNITED|||||||||||DAVILA^LUKE|19770220\n",
        "IN1|1|AETNA|9397|UNITED||||||||||||DAVILA^LUKE|01||19770220\n",
        // Another segment.
        "IN2|1|AETNA|9397|UNITED||||||||||||DAVILA^LUKE|01|19770220\n",
        "OBX|1|AETNA|9397|UNITED||||||||||||DAVILA^LUKE|01|19770220\n",
        // No date: month 13, a year of no plausible age, nine digits, a letter after.
        "IN1|1|AETNA|9397|UNITED||||||||||||DAVILA^LUKE|01|19771320\n",
        "IN1|1|AETNA|9397|UNITED||||||||||||DAVILA^LUKE|01|20250220\n",
        "IN1|1|AETNA|9397|UNITED||||||||||||DAVILA^LUKE|01|197702201\n",
        "IN1|1|AETNA|9397|UNITED||||||||||||DAVILA^LUKE|01|19770220X\n",
    ] {
        for t in both(text) {
            assert!(dobs(&t).is_empty(), "{t:?}: {:?}", dobs(&t));
        }
    }
}

#[test]
fn a_birth_key_in_a_record_is_found() {
    assert_each_found(
        Entity::DateOfBirth,
        &[
            (
                "    payload = {'email': 'william73@example.com', 'phone': '+1 201-916-9457', 'date_of_birth': '1949-02-10'}",
                "1949-02-10",
            ),
            ("'email': 'a@example.com', 'birth_date': '1980-12-12'", "1980-12-12"),
        ],
    );
}

#[test]
fn an_event_key_in_a_record_is_no_birth_date() {
    assert_none_found(
        Entity::DateOfBirth,
        &[
            "{'email': 'a@example.com', 'created_date': '1980-12-12'}",
            "{'email': 'a@example.com', 'date_of_hire': '1980-12-12'}",
            "{'email': 'a@example.com', 'start_date': '1980-12-12'}",
            "{'email': 'a@example.com', 'birth_date_checked_on': '1980-12-12'}",
        ],
    );
}

#[test]
fn a_vendor_key_as_a_shell_default_is_the_vendors() {
    let cases = [
        format!("export ANTHROPIC_API_KEY=\"${{ANTHROPIC_API_KEY:-{ANT}}}\"\nmkdir -p ~/.ssh"),
        format!("API_KEY=\"${{ANTHROPIC_API_KEY:-{ANT}}}\""),
        format!("  ANTHROPIC_API_KEY: ${{ANTHROPIC_API_KEY:-{ANT}}}\n"),
    ];
    for text in &cases {
        for t in both(text) {
            assert_eq!(
                found(&t, Entity::AnthropicKey),
                vec![ANT.to_string()],
                "{t:?}"
            );
            assert!(found(&t, Entity::GenericSecret).is_empty(), "{t:?}");
        }
    }
    let body = format!(
        "{{\"script\":\"export ANTHROPIC_API_KEY=\\\"${{ANTHROPIC_API_KEY:-{ANT}}}\\\"\"}}"
    );
    assert_eq!(
        json_findings_checked(&body),
        vec![("ANTHROPIC_KEY", "/script".to_string())]
    );
}

#[test]
fn a_user_agent_version_after_ua_is_no_address() {
    for (text, src) in [
        ("Dec 30 03:02:28 sbc1 kamailio[25710]: INFO: REGISTER from sip:+48512194526@voip.example.io src=85.31.8.104:5060 ua=Yealink SIP-T46U 108.86.0.118\n", "85.31.8.104"),
        ("src=5.156.75.164:5060 ua=Grandstream GXP2170 1.0.11.23", "5.156.75.164"),
    ] {
        for t in both(text) {
            assert_eq!(found(&t, Entity::Ipv4), vec![src.to_string()], "{t:?}");
        }
    }
    assert_none_found(Entity::Ipv4, &["ua=Yealink SIP-T46U 108.86.0.118"]);
    // The source address beside it is still one; so is an address after another key.
    for t in both("src=85.31.8.104:5060 ua=Yealink SIP-T46U 108.86.0.118 peer=10.1.2.3\n") {
        assert_eq!(
            found(&t, Entity::Ipv4),
            vec!["85.31.8.104".to_string(), "10.1.2.3".to_string()],
            "{t:?}"
        );
    }
    for t in both("qua=Yealink 108.86.0.118\n") {
        assert_eq!(
            found(&t, Entity::Ipv4),
            vec!["108.86.0.118".to_string()],
            "{t:?}"
        );
    }
}

#[test]
fn a_markdown_row_phone_is_found() {
    assert_each_found(
        Entity::Phone,
        &[
            ("| Naam | Sanne de Vries |\n| Telefoon | 078.158.30.67 |\n| E-mail | s@example.nl |\n", "078.158.30.67"),
            ("| Champ | Valeur |\n|---|---|\n| Téléphone | 021-239-85-94 |\n", "021-239-85-94"),
        ],
    );
}

#[test]
fn a_flattened_row_after_a_phone_word_is_still_no_phone() {
    // A log flattened onto one line: the ` | ` is its line break, the number another row's.
    assert_none_found(
        Entity::Phone,
        &["LISTING_ID|STATUS|AGENT_PHONE|LOCKBOX | 670147502|S|2026-11-25"],
    );
}
