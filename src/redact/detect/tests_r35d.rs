//! The thirty-fifth round's construction (issue #20, task dob; `detect::evidence_r35d`): a
//! birth date in a typed wrapper under its key (DynamoDB's `{"S": …}`, Firestore's
//! `{"stringValue": …}`) — and its look-alikes.

use super::evidence_r35d::typed_string_key;
use super::tests_support::{found, json_findings, json_findings_checked};
use crate::redact::entity::Entity;

fn p(v: &str) -> String {
    v.to_string()
}

fn births(got: &[(&'static str, String)]) -> Vec<String> {
    got.iter()
        .filter(|(e, _)| *e == "DATE_OF_BIRTH")
        .map(|(_, ptr)| ptr.clone())
        .collect()
}

#[test]
fn the_wrappers_are_the_two_string_members() {
    assert!(typed_string_key("S"));
    assert!(typed_string_key("stringValue"));
    for k in [
        "s",
        "N",
        "BOOL",
        "M",
        "stringvalue",
        "StringValue",
        "integerValue",
        "value2",
    ] {
        assert!(!typed_string_key(k), "{k}");
    }
}

#[test]
fn a_birth_date_in_a_typed_wrapper_is_found() {
    for (body, ptr) in [
        // blind34's shapes: a DynamoDB `GetItem` result, a Firestore document.
        (
            r#"{"Item":{"pk":{"S":"USER#7660"},"email":{"S":"sara72@example.org"},"dob":{"S":"1994-09-27"},"lastIp":{"S":"10.0.0.1"}}}"#,
            "/Item/dob/S",
        ),
        (
            r#"{"name":"projects/p/databases/(default)/documents/users/u1","fields":{"fullName":{"stringValue":"Jane Roe"},"birthDate":{"stringValue":"01.08.1964"},"phone":{"stringValue":"+1 201-668-8837"}}}"#,
            "/fields/birthDate/stringValue",
        ),
        // Alone in its body (the clean check must not skip it), other date forms and keys.
        (r#"{"dob":{"S":"September 27, 1994"}}"#, "/dob/S"),
        (r#"{"dob": { "S" : "10/17/1955" } }"#, "/dob/S"),
        (
            r#"{"date_of_birth":{"stringValue":"27-09-1995"}}"#,
            "/date_of_birth/stringValue",
        ),
        (
            r#"{"Geburtsdatum":{"stringValue":"05.02.1946"}}"#,
            "/Geburtsdatum/stringValue",
        ),
        (
            r#"{"items":[{"dob":{"S":"1963-04-01"}},{"dob":{"S":"29 April 2005"}}]}"#,
            "/items/1/dob/S",
        ),
        // A birth parent's wrapper.
        (r#"{"birth":{"S":"1992-03-23"}}"#, "/birth/S"),
    ] {
        let got = json_findings_checked(body);
        assert!(got.contains(&("DATE_OF_BIRTH", p(ptr))), "{body}: {got:?}");
        // One birth date a body, but for the list of two.
        let n = if body.contains("\"items\"") { 2 } else { 1 };
        assert_eq!(births(&got).len(), n, "{body}: {got:?}");
    }
}

#[test]
fn other_wrappers_and_other_keys_are_not_birth_dates() {
    for body in [
        // A date under another key, in either wrapper.
        r#"{"Item":{"pk":{"S":"USER#138"},"createdAt":{"S":"1994-09-27"}}}"#,
        r#"{"fields":{"updated":{"stringValue":"01.08.1964"},"visits":{"integerValue":"15"}}}"#,
        // Other wrappers under a birth key: a number, a timestamp, another spelling.
        r#"{"dob":{"N":"19940927"}}"#,
        r#"{"dob":{"s":"1994-09-27"}}"#,
        r#"{"birthDate":{"StringValue":"1994-09-27"}}"#,
        // No digits: no date.
        r#"{"dob":{"S":"unknown"}}"#,
        r#"{"birthDate":{"stringValue":"n/a"}}"#,
        // The wrapper's member under a key that is no birth date's.
        r#"{"S":"1994-09-27","stringValue":"01.08.1964"}"#,
    ] {
        let got = json_findings_checked(body);
        assert!(births(&got).is_empty(), "{body}: {got:?}");
    }
}

#[test]
fn a_wrapped_birth_date_in_text_is_left_to_the_text_rules() {
    // The rule reads JSON members; the same bytes in a line of text are prose to the scanner,
    // which finds no birth date there without a birth word before the date.
    assert!(found("pk USER#7660, S 1994-09-27", Entity::DateOfBirth).is_empty());
}

#[test]
fn a_cut_wrapped_body_does_not_panic() {
    let body = r#"{"Item":{"dob":{"S":"1994-09-27"},"b":{"stringValue":"01.08.1964"}},"birthDate": { "stringValue" : "x"}}"#;
    for end in 0..=body.len() {
        if body.is_char_boundary(end) {
            let _ = json_findings(&body[..end]);
        }
    }
    for cut in [
        r#"{"dob":{"S":"#,
        r#"{"dob":{"S""#,
        r#"{"dob":{"#,
        r#"{"dob":{"stringValue":"1994"#,
    ] {
        let _ = json_findings(cut);
    }
}

#[test]
fn a_card_before_another_cards_code_does_not_hide_that_card() {
    // blind34's review note: two cards, the code after the second. Both cards and the code.
    for (text, cards, code) in [
        (
            "Cards tried: 3750 236739 51207, 4427140103012 (CVV 587 entered), then 3037-431838-2579 (invalid)\n",
            ["3750 236739 51207", "4427140103012"],
            "587",
        ),
        (
            "Cards tried: 6538760398693165, 4629 873 706 115 (CVV 164 entered)\n",
            ["6538760398693165", "4629 873 706 115"],
            "164",
        ),
        (
            "Cards tried: 5420 5375 7040 7454, 5356078290038970 (CVV 867 entered)",
            ["5420 5375 7040 7454", "5356078290038970"],
            "867",
        ),
        (
            "cards: 6234-3781-4601-4910, 4718-6355-6645-0514-571 cvv 019",
            ["6234-3781-4601-4910", "4718-6355-6645-0514-571"],
            "019",
        ),
    ] {
        let got = found(text, Entity::CreditCard);
        for c in cards {
            assert!(got.contains(&c.to_string()), "{text}: {got:?}");
        }
        assert_eq!(
            found(text, Entity::GenericSecret),
            vec![code.to_string()],
            "{text}"
        );
    }
    // An expiry between card and code is passed over as before.
    for (text, card, code) in [
        (
            "card 4111 1111 1111 1111 exp 09/27 CVV 123",
            "4111 1111 1111 1111",
            "123",
        ),
        (
            "card 4111111111111111, expires 2027-09-30, cvc 4321",
            "4111111111111111",
            "4321",
        ),
        (
            "Karte 4111111111111111 gültig bis 09/2027 CVC 534",
            "4111111111111111",
            "534",
        ),
    ] {
        assert_eq!(found(text, Entity::CreditCard), vec![card], "{text}");
        assert_eq!(found(text, Entity::GenericSecret), vec![code], "{text}");
    }
    // A number that is no card between card and code word: the code is still the card's
    // (its line's later look), and the number is no card.
    let text = "card 4111111111111111 ref 123456789012 cvv 123";
    assert_eq!(found(text, Entity::CreditCard), vec!["4111111111111111"]);
}

#[test]
fn a_cut_card_list_does_not_panic() {
    let text = "Cards tried: 6538760398693165, 4629 873 706 115 (CVV 164 entered)";
    for end in 0..=text.len() {
        let _ = found(&text[..end], Entity::CreditCard);
    }
}
