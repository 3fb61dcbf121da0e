//! The thirtieth round's 13-digit Visa numbers: grouped `4ddd dddd dddd d`, and a card
//! object's `number` / `pan` member (issue #20, task cid; `detect::evidence_r30c`), and their
//! look-alikes.

use super::tests_support::{both, found, json_findings_checked};
use crate::redact::entity::Entity;

fn cards(text: &str) -> Vec<String> {
    found(text, Entity::CreditCard)
}

#[test]
fn a_grouped_thirteen_digit_visa_with_card_evidence_is_found() {
    for (text, card) in [
        (
            "Card number: 4998 6466 4711 6\nExpiry: 09/29\n",
            "4998 6466 4711 6",
        ),
        ("Número de tarjeta 4651 7084 4326 8\n", "4651 7084 4326 8"),
        (
            "Numéro de carte: 4631 5111 7450 8\nExpiration 04/30",
            "4631 5111 7450 8",
        ),
        (
            "Reporter: Michelle Foster | Card: 4036 2106 4412 6  CVV 143 |",
            "4036 2106 4412 6",
        ),
        (
            "Telefoon: 010.123.4604 | CC: 4415 9736 9937 0 exp 11/31",
            "4415 9736 9937 0",
        ),
        (
            "card_on_file: 4916-7498-0114-1\nlast_login: 2026-12-01",
            "4916-7498-0114-1",
        ),
        ("Karte 4607 8471 4094 2 belastet", "4607 8471 4094 2"),
        ("Carta: 4148 0618 4907 4.", "4148 0618 4907 4"),
    ] {
        for t in both(text) {
            assert_eq!(cards(&t), vec![card.to_string()], "{t:?}");
        }
    }
}

#[test]
fn a_grouped_thirteen_digit_look_alike_is_no_card() {
    for text in [
        // No card evidence: a payment reference (ISO 11649), a bare number.
        "Reference: RF88 4334 1166 2962 6\n",
        "ticket 4998 6466 4711 6 closed",
        "EAN 4998 6466 4711 6",
        // Not Luhn-valid.
        "Card number: 4998 6466 4711 7\n",
        // Not Visa's prefix.
        "Card number: 5998 6466 4711 3\n",
        // Mixed separators; a longer last group; a longer number after.
        "Card number: 4998 6466 4711-6\n",
        "Card number: 4998-6466-4711 6\n",
        "Card number: 4998 6466 4711 6a\n",
        "Card number: 4998-6466-4711-6-12\n",
        "Card number: 4998 6466 4711 6.5\n",
    ] {
        for t in both(text) {
            assert!(cards(&t).is_empty(), "{t:?}: {:?}", cards(&t));
        }
    }
}

#[test]
fn a_card_objects_number_member_is_a_card() {
    for (body, pointer) in [
        (
            r#"{"payment_method_data":{"card":{"number":"4400503624270","exp_month":9,"exp_year":2029}}}"#,
            "/payment_method_data/card/number",
        ),
        (
            r#"{"payment_method_data":{"card":{"number":"4681 2885 3720 5","cvc":"912"}}}"#,
            "/payment_method_data/card/number",
        ),
        (
            r#"{"invoice":"INV-2026-72273","card":{"pan":"4309726131692","cvc":"512"}}"#,
            "/card/pan",
        ),
        (r#"{"card":{"Number":4400503624270}}"#, "/card/Number"),
        (
            r#"{"payment":{"cardNumber":"4758-8725-7820-7","cvv":"512"}}"#,
            "/payment/cardNumber",
        ),
    ] {
        let got = json_findings_checked(body);
        assert!(
            got.contains(&("CREDIT_CARD", pointer.to_string())),
            "{body}: {got:?}"
        );
    }
}

#[test]
fn a_thirteen_digit_number_elsewhere_is_no_card() {
    for body in [
        // Not under a card: an order's number, a barcode.
        r#"{"order":{"number":"4400503624270"}}"#,
        r#"{"item":{"number":4400503624270,"barcode":"4748298015769"}}"#,
        // Under a card, not its number.
        r#"{"card":{"id":"4400503624270"}}"#,
        r#"{"card":{"token":"4400503624270"}}"#,
        // Not Luhn-valid.
        r#"{"card":{"number":"4400503624271"}}"#,
    ] {
        let got = json_findings_checked(body);
        assert!(
            !got.iter().any(|(e, _)| *e == "CREDIT_CARD"),
            "{body}: {got:?}"
        );
    }
}

fn ipv6(text: &str) -> Vec<String> {
    found(text, Entity::Ipv6)
}

#[test]
fn an_rsync_daemon_targets_address_is_found() {
    for (text, addr) in [
        (
            "$ rsync -avz --delete ./dist/ backup@2001:db8:1729:812c::3c33::www/\nsent 1,204 bytes",
            "2001:db8:1729:812c::3c33",
        ),
        (
            "rsync -avz --delete ./dist/ backup@fe80::f610:12cd:6dc9:1b3a::www/",
            "fe80::f610:12cd:6dc9:1b3a",
        ),
        (
            "rsync -av ./site/ deploy@2a01:92d9:f798:91b8:23e9:90f3:86ee:f8e0::backup/daily\n",
            "2a01:92d9:f798:91b8:23e9:90f3:86ee:f8e0",
        ),
        ("rsync -a data/ sync@2001:db8::7::mirror\n", "2001:db8::7"),
    ] {
        for t in both(text) {
            assert_eq!(ipv6(&t), vec![addr.to_string()], "{t:?}");
        }
    }
}

#[test]
fn an_rsync_look_alike_is_no_address() {
    for text in [
        // No `@` before: a path of names (`dead::beef::foo`).
        "call dead::beef::foo() from the crate\n",
        "rsync -av 2001:db8::7::mirror/ .\n",
        // No address before the `::`.
        "backup@fileserver::www/ is the target\n",
        "backup@12::30::www/\n",
        // The module glued to more than a name.
        "backup@2001:db8::7::www:8080\n",
    ] {
        for t in both(text) {
            assert!(ipv6(&t).is_empty(), "{t:?}: {:?}", ipv6(&t));
        }
    }
}

#[test]
fn an_expiry_after_thirteen_digits_is_card_evidence() {
    for (text, card) in [
        (
            "MERCHANT COPY — manual entry: 4281942251218 04/31 ↵",
            "4281942251218",
        ),
        (
            "21:19 Customer: Es la 4492 7743 2594 3, caduca 07/28.\n",
            "4492 7743 2594 3",
        ),
        ("paid 4281942251218 exp: 04/2031, thanks", "4281942251218"),
        ("paid 4281942251218, Gültig 11/29", "4281942251218"),
    ] {
        for t in both(text) {
            assert_eq!(cards(&t), vec![card.to_string()], "{t:?}");
        }
    }
}

#[test]
fn a_date_after_thirteen_digits_is_not_always_an_expiry() {
    for text in [
        // No expiry: a day, a month 13, a longer date, a fraction, too far.
        "order 4281942251218 04/31/2026 shipped",
        "order 4281942251218 13/31 shipped",
        "order 4281942251218 04/3 shipped",
        "order 4281942251218 due on 04/31",
        "order 4281942251218      04/31",
        // A barcode's label before wins.
        "EAN 4281942251218 04/31",
        // Not Luhn-valid.
        "manual entry: 4281942251219 04/31",
    ] {
        for t in both(text) {
            assert!(cards(&t).is_empty(), "{t:?}: {:?}", cards(&t));
        }
    }
}
