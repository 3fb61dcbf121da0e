//! The thirty-third round's JSON constructions (issue #20, task dob; `detect::evidence_r33d`):
//! ADP's government id naming `SSN`, a payment card object's 13-digit `number` by its
//! siblings, a German pension insurance number under an `ssn` key — and their look-alikes.

use super::evidence_r33d::{de_pension_number, thirteen_digits_at};
use super::tests_support::json_findings_checked;

fn p(v: &str) -> String {
    v.to_string()
}

#[test]
fn an_adp_government_id_naming_ssn_is_found() {
    let body = r#"{"workers":[{"associateOID":"G3XR4B2NQ","person":{"legalName":{"formattedName":"Taylor Quinn"},"governmentIDs":[{"idValue":"302299285","nameCode":{"codeValue":"SSN","shortName":"Social Security Number"}}],"birthDate":"1973-11-14"}}]}"#;
    let got = json_findings_checked(body);
    assert!(
        got.contains(&("US_SSN", p("/workers/0/person/governmentIDs/0/idValue"))),
        "{got:?}"
    );
    // The dashed form, and the entry alone in its body (no other finding to make it dirty).
    for body in [
        r#"{"governmentIDs":[{"idValue":"802-42-6050","nameCode":{"codeValue":"SSN"}}]}"#,
        r#"{"governmentIDs":[{"idValue":"556223562","nameCode":{"codeValue":"SSN"}}]}"#,
        r#"{"governmentIDs":[{"nameCode":{"codeValue":"ssn"},"idValue":"432830440"}]}"#,
    ] {
        assert_eq!(
            json_findings_checked(body),
            vec![("US_SSN", p("/governmentIDs/0/idValue"))],
            "{body}"
        );
    }
}

#[test]
fn an_id_value_naming_no_ssn_or_no_ssn_is_not_found() {
    for body in [
        // Another id's name, no name, an invalid SSN (area 000), ten digits.
        r#"{"governmentIDs":[{"idValue":"302299285","nameCode":{"codeValue":"SIN"}}]}"#,
        r#"{"governmentIDs":[{"idValue":"302299285"}]}"#,
        r#"{"governmentIDs":[{"idValue":"000299285","nameCode":{"codeValue":"SSN"}}]}"#,
        r#"{"governmentIDs":[{"idValue":"3022992851","nameCode":{"codeValue":"SSN"}}]}"#,
        r#"{"idValue":"302299285","name":"SSN"}"#,
    ] {
        assert!(
            !json_findings_checked(body)
                .iter()
                .any(|(e, _)| *e == "US_SSN"),
            "{body}"
        );
    }
}

#[test]
fn a_card_objects_thirteen_digit_number_is_found() {
    for (body, ptr) in [
        (
            r#"{"amount":13237,"currency":"eur","source":{"object":"card","number":"4999240560978","cvc":"6832","exp":"03/29"}}"#,
            "/source/number",
        ),
        (
            r#"{"source":{"type":"card","number":"4114733102177","expiry_month":2,"expiry_year":2028}}"#,
            "/source/number",
        ),
        (
            r#"{"customer":{"email":"a.bosio@proton.me"},"number":"4767242203131","cvc":"802","exp_month":5}"#,
            "/number",
        ),
        (
            r#"{"source":{"type":"card","number":4369610291275,"expiryMonth":4}}"#,
            "/source/number",
        ),
    ] {
        let got = json_findings_checked(body);
        assert!(got.contains(&("CREDIT_CARD", p(ptr))), "{body}: {got:?}");
    }
}

#[test]
fn a_thirteen_digit_number_elsewhere_is_no_card() {
    for body in [
        // No card sibling: an order's, a parcel's number; a `type` naming no card; Luhn fails.
        r#"{"order":{"number":"4114733102177","status":"shipped"}}"#,
        r#"{"source":{"type":"bank_account","number":"4114733102177","routing":"110000000"}}"#,
        r#"{"source":{"type":"card","number":"4114733102178","expiry_month":2}}"#,
        r#"{"number":"4767242203131","quantity":3}"#,
    ] {
        let got = json_findings_checked(body);
        assert!(
            !got.iter().any(|(e, _)| *e == "CREDIT_CARD"),
            "{body}: {got:?}"
        );
    }
}

#[test]
fn a_german_pension_number_under_ssn_is_no_us_ssn() {
    for body in [
        r#"{"patient":{"name":"Vanessa Grant","ssn":"12 140568 G 711","dob":"1968-05-14"}}"#,
        r#"{"ssn":"12140568G711"}"#,
        r#"{"employee":{"ssn":" 89 050551 A 018 "}}"#,
    ] {
        assert!(
            !json_findings_checked(body)
                .iter()
                .any(|(e, _)| *e == "US_SSN"),
            "{body}"
        );
    }
    // A US SSN under the same key stays one; a value that is not the shape too.
    for body in [
        r#"{"ssn":"123-45-6789"}"#,
        r#"{"ssn":"123456789"}"#,
        r#"{"ssn":"12 140568 711"}"#,
        r#"{"ssn":"12 143268 G 711"}"#,
    ] {
        assert_eq!(
            json_findings_checked(body),
            vec![("US_SSN", p("/ssn"))],
            "{body}"
        );
    }
}

#[test]
fn the_shapes_read_no_byte_outside() {
    assert!(de_pension_number(b"12 140568 G 711"));
    assert!(de_pension_number(b"12140568G711"));
    assert!(!de_pension_number(b"12 140568 g 711"));
    assert!(!de_pension_number(b"12 140568 G 71"));
    assert!(!de_pension_number(b"12 140568 G 7111"));
    assert!(!de_pension_number(b"12 140568 G"));
    assert!(!de_pension_number(b""));
    assert!(!de_pension_number(b" "));
    assert!(!de_pension_number("12 1405é8 G 711".as_bytes()));
    let raw = br#"{"number":"4114733102177"}"#;
    assert!(thirteen_digits_at(raw, 10));
    assert!(!thirteen_digits_at(raw, 12));
    assert!(!thirteen_digits_at(raw, raw.len()));
    assert!(!thirteen_digits_at(raw, raw.len() + 5));
    assert!(!thirteen_digits_at(br#""411473310217"#, 0));
    assert!(thirteen_digits_at(b"4114733102177}", 0));
    assert!(thirteen_digits_at(b"4114733102177", 0));
    assert!(!thirteen_digits_at(b"4114733102177.5", 0));
    assert!(!thirteen_digits_at(b"41147331021770", 0));
}
