//! The twenty-seventh round's precision negatives (issue #20, task prec;
//! `detect::evidence_r27n`): each removed look-alike, and the real values beside it that must
//! still be found.

use super::evidence_r27n::{angle_template, colon_field, no_plan_grouping};
use super::tests_support::{both, found, found_all, json_findings_checked};
use crate::redact::entity::Entity;

#[test]
fn groupings_no_numbering_plan_uses() {
    for v in [
        "1046843-90",
        "5189222-81",
        "09391768  20",
        "3733 658072 10016",
    ] {
        assert!(no_plan_grouping(v.as_bytes()), "{v}");
    }
    // The plans' groupings (and any number written international) stay phones.
    for v in [
        "030 120844",
        "+31 6 19888121",
        "612 32 66 75",
        "0044 1296 902538",
        "(201) 541-9598",
        "0612345678",
        "+1234567 89",
        "06 12 32 58 02",
        "4112 5837 2622",
    ] {
        assert!(!no_plan_grouping(v.as_bytes()), "{v}");
    }
}

#[test]
fn a_prescription_number_after_a_phone_is_no_phone() {
    for text in both("Telefono: +390218333625\nRx #: 1046843-90\nMedication: Ramipril 5 mg\n") {
        assert_eq!(found(&text, Entity::Phone), ["+390218333625"], "{text}");
    }
    for text in both("Phone: 0044 7400 840408\nRx #: 1778681-44\n") {
        assert_eq!(found(&text, Entity::Phone), ["0044 7400 840408"], "{text}");
    }
}

#[test]
fn a_receipt_number_in_card_grouping_is_no_phone() {
    let text = "Het nummer op de bon, 3768 787963 45527, is niet van mij. Telefoon: 06 19888121\n";
    for text in both(text) {
        assert_eq!(found(&text, Entity::Phone), ["06 19888121"], "{text}");
    }
}

#[test]
fn colon_separated_id_fields() {
    let hay = b"arn:aws:iam::731286687149:role/ci";
    assert!(colon_field(hay, 13, 25));
    assert!(!colon_field(hay, 14, 25));
    assert!(!colon_field(b"731286687149", 0, 12));
}

#[test]
fn an_arn_account_is_no_phone_and_no_card() {
    for text in both("(ref. arn:aws:iam::731286687149:role/ci-runner) phone: 07400 570039\n") {
        assert!(found_all(&text, Entity::Phone)
            .iter()
            .all(|p| p != "731286687149"));
        assert_eq!(found(&text, Entity::Phone), ["07400 570039"], "{text}");
    }
    let text = r#"{"ARN":"arn:aws:secretsmanager:eu-west-1:581150780822:secret:shared/x"}"#;
    assert!(
        !json_findings_checked(text)
            .iter()
            .any(|(e, _)| *e == "CREDIT_CARD" || *e == "PHONE"),
        "{text}"
    );
    // A Firebase app id's project number.
    for text in both("appId: \"1:580728246480:web:86f3e90b07e218174c5d\"\n") {
        assert!(found_all(&text, Entity::CreditCard).is_empty(), "{text}");
        assert!(found_all(&text, Entity::Phone).is_empty(), "{text}");
    }
    // A card number beside it is still a card.
    for text in both("arn:aws:iam::731286687149:role/x paid with 4916 3385 0608 2832\n") {
        assert_eq!(
            found(&text, Entity::CreditCard),
            ["4916 3385 0608 2832"],
            "{text}"
        );
    }
}

#[test]
fn angle_templates() {
    for v in [
        "<your-token>",
        "<paste key here>",
        "<<paste here>>",
        "<YOUR_API_KEY>",
        "<redacted>",
    ] {
        assert!(angle_template(v.as_bytes()), "{v}");
    }
    for v in [
        "<Xy7$kq>",
        "<abc123>",
        "<>",
        "<a>",
        "hunter2",
        "<your-token",
        "< x >",
    ] {
        assert!(!angle_template(v.as_bytes()), "{v}");
    }
}

#[test]
fn an_angle_template_under_a_key_name_is_no_placeholder_finding() {
    for body in [
        r#"{"provider":"mistral","apiKey":"<your-token>"}"#,
        r#"{"api_key":"<paste key here>","x":1}"#,
        r#"{"EXAMPLE_TOKEN":"<<paste here>>"}"#,
    ] {
        let got = json_findings_checked(body);
        assert!(got.is_empty(), "{body}: {got:?}");
    }
    // A real key beside it is still masked; another placeholder is still reported.
    let body = r#"{"apiKey":"<your-token>","password":"Harbor1332-x"}"#;
    assert_eq!(
        json_findings_checked(body),
        [("PASSWORD", "/password".to_string())]
    );
    let body = r#"{"apiKey":"sk-proj-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}"#;
    assert_eq!(json_findings_checked(body).len(), 1, "{body}");
}
