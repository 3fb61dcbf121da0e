//! Fortieth round, task cc (`evidence_r40c`): a 13-digit Visa number followed by its card
//! verification code, or after ISO/IEC 7812's `PAN`; a verification code in backticks after a
//! card; look-alikes (barcodes, ids, `pan` inside a word, unclosed or short backticked codes);
//! text and JSON; cut inputs.

use super::tests_support::{both, found, json_findings_checked, scan_every_cut};
use super::Entity;

const CARD: Entity = Entity::CreditCard;
const CODE: Entity = Entity::GenericSecret;

#[test]
fn thirteen_digits_followed_by_their_code_are_a_card() {
    for (text, pan, code) in [
        (
            "Application fee paid with 4502547459884 (exp 07/29, CVV 114)\n",
            "4502547459884",
            "114",
        ),
        (
            "Application fee paid with 4843123356569 (exp 047/29, CVV 635)\nCurrent landlord\n",
            "4843123356569",
            "635",
        ),
        (
            "  pay: 4124028622649 cvv=722 exp=0927\n",
            "4124028622649",
            "722",
        ),
        (
            "paid with 4907046640258, CVC: 531, thanks",
            "4907046640258",
            "531",
        ),
    ] {
        for t in both(text) {
            assert_eq!(found(&t, CARD), vec![pan.to_string()], "{t:?}");
            assert!(found(&t, CODE).contains(&code.to_string()), "{t:?}");
        }
    }
}

#[test]
fn thirteen_digits_after_pan_are_a_card() {
    for (text, pan) in [
        (
            "DEBUG track2 equivalent parsed: PAN=4936686703100 EXP=2709 SVC=201\n",
            "4936686703100",
        ),
        ("pay: pan=4124028622649 exp=0927\n", "4124028622649"),
        ("PAN: 4502547459884\n", "4502547459884"),
    ] {
        for t in both(text) {
            assert_eq!(found(&t, CARD), vec![pan.to_string()], "{t:?}");
        }
    }
}

#[test]
fn thirteen_digit_look_alikes_stay_unfound() {
    for text in [
        // No evidence: an id, an order, a barcode (its label rejects even with a code after).
        "order 4502547459884 shipped on Monday\n",
        "EAN 4502547459884 CVV 114\n",
        "barcode 4502547459884, security code 114\n",
        // `pan` inside a word is no card word.
        "company 4502547459884 joined\n",
        "Japan 4502547459884\n",
        "expand 4502547459884 rows\n",
        // A code word too far, or another word between.
        "ticket 4502547459884 was filed by the team; later someone mentioned CVV 114\n",
        "ref 4502547459884 status cvv 114\n",
        // Luhn fails.
        "paid with 4502547459885 (exp 07/29, CVV 114)\n",
    ] {
        for t in both(text) {
            assert!(found(&t, CARD).is_empty(), "{t:?}: {:?}", found(&t, CARD));
        }
    }
}

#[test]
fn a_code_in_backticks_after_a_card_is_a_secret() {
    for (card, code) in [
        ("4448830468614", "523"),
        ("3566 6261 0023 8338", "093"),
        ("3470-328842-13146", "030"),
        ("6011116255568808", "0276"),
    ] {
        let text = format!(
            "GitHub Copilot: `test_checkout` uses the hard-coded card `{card}` with CVC `{code}`; the fixture expects a test card.\n"
        );
        for t in both(&text) {
            assert_eq!(found(&t, CARD), vec![card.to_string()], "{t:?}");
            assert_eq!(found(&t, CODE), vec![code.to_string()], "{t:?}");
        }
        // Right after the card too (`numbers::cvc_after_card`).
        let text = format!("card {card} CVV: `{code}`\n");
        for t in both(&text) {
            assert_eq!(found(&t, CODE), vec![code.to_string()], "{t:?}");
        }
    }
}

#[test]
fn backticked_look_alikes_are_no_code() {
    for text in [
        // Unclosed, too short, too long, a letter inside, no card before.
        "the hard-coded card `4448830468614` with CVC `093 in it\n",
        "the hard-coded card `4448830468614` with CVC `09`\n",
        "the hard-coded card `4448830468614` with CVC `09312`\n",
        "the hard-coded card `4448830468614` with CVC `09a`\n",
        "the fixture `test_checkout` uses CVC `093` from the docs\n",
        "see `cvc` in `checkout.js` line `123`\n",
        // Not a card (Luhn fails).
        "the hard-coded card `4448830468615` with CVC `523`\n",
    ] {
        for t in both(text) {
            assert!(found(&t, CODE).is_empty(), "{t:?}: {:?}", found(&t, CODE));
        }
    }
}

#[test]
fn the_constructions_are_found_in_json_strings() {
    for (body, want) in [
        (
            serde_json::json!({"note": "Application fee paid with 4502547459884 (exp 07/29, CVV 114)"}),
            vec![("CREDIT_CARD", "/note"), ("GENERIC_SECRET", "/note")],
        ),
        (
            serde_json::json!({"log": "parsed: PAN=4936686703100 EXP=2709"}),
            vec![("CREDIT_CARD", "/log")],
        ),
        (
            serde_json::json!({"text": "uses the hard-coded card `4448830468614` with CVC `523`; fix"}),
            vec![("CREDIT_CARD", "/text"), ("GENERIC_SECRET", "/text")],
        ),
        (
            serde_json::json!({"text": "order 4502547459884 shipped, company 4936686703100"}),
            vec![],
        ),
    ] {
        let body = body.to_string();
        let got = json_findings_checked(&body);
        let want: Vec<(&str, String)> = want.into_iter().map(|(e, p)| (e, p.to_string())).collect();
        assert_eq!(got, want, "{body}");
    }
}

#[test]
fn cut_inputs_of_the_constructions_return() {
    for text in [
        "Application fee paid with 4502547459884 (exp 07/29, CVV 114)\n",
        "parsed: PAN=4936686703100 EXP=2709",
        "card `4448830468614` with CVC `523`;",
        "card 4448830468614 CVV: `523`",
        "CVC `",
        "`",
        "pan",
    ] {
        scan_every_cut(text);
    }
    // The readers on texts ending anywhere.
    let text = b"PAN=4936686703100 with CVC `523`";
    for cut in 0..=text.len() {
        let t = &text[..cut];
        for s in 0..=cut {
            let _ = super::evidence_r40c::pan_word_before(t, s);
            let _ = super::numbers::code_digits_after(t, s);
        }
    }
}
