//! The seventeenth round's rules for phones (issue #20, the lead's part, tuned on every
//! split's misses but blind17's): a text table's identifier column (`customer_no`,
//! `last_order`, `Barcode #`, `LISTING_ID`) holds no phones, and booking and reservation
//! numbers in the locales are identifiers; each with the look-alikes it must leave alone.

use super::tests_support::found;
use crate::redact::entity::Entity;

#[test]
fn a_number_in_an_identifier_column_is_no_phone() {
    for text in [
        // semicolon-separated, the order number in its own column beside the phone's
        "customer_no;name;phone;last_order;total\n30189786;José Plaza;+34-812-77-86-28;82312644/2023;\"641,80 €\"\n70893959;Emilio Cepeda;+34810038188;705 039 091;\"291,09 €\"\n",
        // pipe-separated (a first column is left to `starts_non_phone_row`)
        "| name | LISTING_ID | AGENT_PHONE |\n|---|---|---|\n| Mirela | 670147502 | +49 30 1234567 |\n| Ama | 920 319 447 | +39 02 1830 1836 |\n",
        // tab-separated with a `Barcode #` column
        "Name\tBarcode #\tCell Phone\nTabea Butte\t8256388227\t+49 1512 3456789\n",
        // blank-aligned, a `member no` column
        "name          member no       mobile\nJane Doe      612 345 678     +44 7700 900123\n",
    ] {
        let phones = found(text, Entity::Phone);
        assert!(
            phones.iter().all(|p| p.starts_with('+')),
            "{text:?}: {phones:?}"
        );
        assert!(!phones.is_empty(), "{text:?}: the phone column's phone is still found");
    }
    // Look-alikes that stay phones: a phone column, a column named after a phone and an
    // identifier word, a number written international in an identifier column, a column
    // with no identifier word.
    assert_eq!(
        found(
            "customer_no;customer_phone\n30189786;0612 345 678\n",
            Entity::Phone
        ),
        vec!["0612 345 678".to_string()]
    );
    assert_eq!(
        found(
            "name;order_id;contact\nJan;0510 488;+44 7700 900123\n",
            Entity::Phone
        ),
        vec!["+44 7700 900123".to_string()]
    );
    assert_eq!(
        found("ref;phone\nA-1;06 12 34 56 78\n", Entity::Phone),
        vec!["06 12 34 56 78".to_string()]
    );
    assert_eq!(
        found("name;Telefon\nJan;030 1234567\n", Entity::Phone),
        vec!["030 1234567".to_string()]
    );
}

#[test]
fn booking_numbers_in_the_locales_are_no_phones() {
    for text in [
        "Bevestiging veerboot — Boekingsnr. 2 348 719 667 | Calais – Dover",
        "Buchungsnr. 4 917 209 555, Anreise 12.01.",
        "Codice prenotazione 4 841 380 123 | check-in 15:00",
        "Viaje: Localizador 4 666 834 633, cancelado el 19/11/2026",
        "Su número de reserva 612 345 678 está confirmado",
        "Ihre Buchung 0442 015 9943 ist bestätigt",
    ] {
        assert_eq!(found(text, Entity::Phone), Vec::<String>::new(), "{text}");
    }
    // A phone after a booking sentence keeps its context.
    assert_eq!(
        found(
            "Boekingsnr. 2 348 719 667 — bel ons op 020 123 4567",
            Entity::Phone
        ),
        vec!["020 123 4567".to_string()]
    );
    assert_eq!(
        found("mon numéro 0033 6 14 59 14 81", Entity::Phone),
        vec!["0033 6 14 59 14 81".to_string()]
    );
}

#[test]
fn a_message_id_is_no_email_address() {
    for text in [
        "Message-ID: <173d5716-75df-43b0-af13-805845433a2a@mail.acme.io>\nFrom: Clare Davis <davis.c@example.org>",
        "550 5.1.1 mailbox unavailable msg-id <2436725b05bb.771811@mx.example.net>",
        "In-Reply-To: <CAF3x+abc123@mail.gmail.com>",
        "postfix/qmgr: 4F2A1: msgid=<20261205.1234@relay.example.com>, size=2210",
        "Content-ID: <image001.png@01DA1234.5678ABCD>",
    ] {
        let emails = found(text, Entity::Email);
        assert!(
            emails.iter().all(|e| e == "davis.c@example.org"),
            "{text}: {emails:?}"
        );
    }
    // Look-alikes that stay addresses: a mailbox in angle brackets after a name or a
    // `From:`/`To:`, an address after the words without brackets.
    assert_eq!(
        found("From: Clare Davis <davis.c@example.org>", Entity::Email),
        vec!["davis.c@example.org".to_string()]
    );
    assert_eq!(
        found("To: <jane.roe@example.com>", Entity::Email),
        vec!["jane.roe@example.com".to_string()]
    );
    assert_eq!(
        found(
            "reply to the message-id owner jane.roe@example.com",
            Entity::Email
        ),
        vec!["jane.roe@example.com".to_string()]
    );
}

#[test]
fn a_settings_list_under_a_secret_name_is_scanned_as_text() {
    use super::tests_support::json_findings_checked;
    // AWS Secrets Manager's `SecretString` holding a connection's settings: the password and
    // the host inside are found by their own rules, not the whole value as one secret.
    let found = json_findings_checked(
        r#"{"Name":"prod/db","SecretString":"user=app;host=172.20.68.223;password=Str989FAG!"}"#,
    );
    assert!(
        found.iter().any(|(e, _)| *e == "PASSWORD") && found.iter().any(|(e, _)| *e == "IPV4"),
        "{found:?}"
    );
    assert!(
        found.iter().all(|(e, _)| *e != "GENERIC_SECRET"),
        "{found:?}"
    );
    // A token under the same kind of name is still one secret, padding and all.
    let found = json_findings_checked(
        r#"{"SecretString":"Zx8Qw3LmN7pR2tVb9YcK4dHf6Gj1SaE0uIo5=","webhook_key":"q7VhR2mXc9LpT4nB8kZs3WdF"}"#,
    );
    assert_eq!(
        found.iter().filter(|(e, _)| *e == "GENERIC_SECRET").count(),
        2,
        "{found:?}"
    );
}
