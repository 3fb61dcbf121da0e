//! The twenty-ninth round's card security code later on the card number's line (issue #20,
//! task cvc; `detect::evidence_r29c`): the code in each locale's words, its look-alikes, and
//! the cheap form (from the code's digits back to a card) pinned to the twenty-eighth round's
//! forward look from every card (`evidence_r29c::cvc_later_on_line`, the reference) on
//! generated lines.

use super::check::cvc_table_cell;
use super::evidence_r29c::{
    code_after_card, code_may_start, code_word_before, cvc_later_on_line, cvc_word_head,
};
use super::numbers::{cvc_after_card, CVC_WORDS};
use super::tests_support::{found, Rng};
use super::Hit;
use crate::redact::entity::Entity;

fn gs(text: &str) -> Vec<String> {
    found(text, Entity::GenericSecret)
}

#[test]
fn a_security_code_later_on_the_card_numbers_line_is_found_in_each_locale() {
    for (text, value) in [
        (
            "{\"type\":\"conversation_part\",\"body\":\"<p>card 6222977445940768 got declined, cvc 459</p>\"}",
            "459",
        ),
        (
            "Kunde schreibt: Karte 4111 1111 1111 1111 wurde abgelehnt, CVC 534, bitte prüfen\n",
            "534",
        ),
        (
            "carte 5555 5555 5555 4444 refusée hier soir, cvv 394\n",
            "394",
        ),
        (
            "la tarjeta 4012888888881881 fue rechazada otra vez con cvv 815\n",
            "815",
        ),
        (
            "carta 5105105105105100 rifiutata di nuovo, cvc: 573\n",
            "573",
        ),
        (
            "kaart 4242424242424242 werd geweigerd, cvc 301 klopt wel\n",
            "301",
        ),
        ("cartão 4000056655665556 recusado, csc 553\n", "553"),
        (
            "Número de tarjeta: 2221 8873 1178 2741  Pedido 06/30  CVV 622\n",
            "622",
        ),
        (
            "Karte 4111 1111 1111 1111 (Firma) Kartenprüfnummer (CVC): 0712\n",
            "0712",
        ),
        (
            "card 4111111111111111 from the call, security code #8841\n",
            "8841",
        ),
    ] {
        assert_eq!(gs(text), vec![value], "{text}");
    }
}

#[test]
fn a_code_word_and_digits_away_from_a_card_are_no_secret() {
    for text in [
        // No card before it, or a card failing Luhn.
        "ticket 12345 got declined, cvc 459\n",
        "card 4111111111111112 got declined, cvc 459\n",
        // The card on the line before.
        "card 4111111111111111 got declined\nthen cvc 459 was read out\n",
        // The word opening 48 bytes or more after the card.
        "card 4111111111111111 got declined at the checkout page yesterday evening, cvc 459\n",
        // Not a code word standing alone, or not three or four digits.
        "card 4111111111111111 got declined, xcvc 459\n",
        "card 4111111111111111 got declined, cvc 45\n",
        "card 4111111111111111 got declined, cvc 12345\n",
        "card 4111111111111111 got declined, cvc 2026-12-01\n",
        "card 4111111111111111 got declined, cvc 12/28\n",
    ] {
        assert!(gs(text).is_empty(), "{text}: {:?}", gs(text));
    }
}

#[test]
fn every_security_code_word_passes_the_cheap_head_test() {
    for w in CVC_WORDS {
        for word in [w.to_vec(), w.to_ascii_uppercase()] {
            assert!(
                cvc_word_head(&word, 0),
                "{}",
                String::from_utf8_lossy(&word)
            );
        }
    }
    // The look back's two-byte test before the list: every word, in either case, passes.
    for w in CVC_WORDS {
        for word in [w.to_vec(), w.to_ascii_uppercase()] {
            let mut hay = b"card 4111111111111111 then ".to_vec();
            hay.extend_from_slice(&word);
            hay.extend_from_slice(b" 459");
            let i = hay.len() - 3;
            assert_eq!(
                code_word_before(&hay, i),
                Some(i - 1 - word.len()),
                "{}",
                String::from_utf8_lossy(&word)
            );
        }
    }
    assert!(!cvc_word_head(b"card", 0));
    assert!(!cvc_word_head(b"ssn", 0));
}

/// On generated lines of cards, code words, digits, separators and other words: the codes
/// the cheap form finds from every digit run's start (given the cards) are the codes the
/// reference finds forward from every card whose code neither `cvc_after_card` nor
/// `cvc_table_cell` finds.
#[test]
fn the_look_back_from_the_digits_finds_what_the_look_from_every_card_finds() {
    const CARDS: [&str; 4] = [
        "4111 1111 1111 1111",
        "4012888888881881",
        "5555-5555-5555-4444",
        "6222977445940768",
    ];
    const PARTS: [&str; 40] = [
        "cvc",
        "CVV",
        "cvv2",
        "CVC2",
        "csc",
        "cid",
        "cvn",
        "security code",
        "Prüfnummer",
        "Kartenprüfnummer",
        "cryptogramme",
        "código de seguridad",
        "codice di sicurezza",
        "beveiligingscode",
        "xcvc",
        "cvcx",
        "459",
        "0712",
        "12",
        "12345",
        "06/30",
        "2026-12-01",
        "(CVC)",
        "(x)",
        ":",
        "=",
        "#",
        " ",
        "  ",
        "\t",
        ", ",
        "\n",
        "got declined",
        "exp",
        "und",
        "order 4471",
        "\"}},\"",
        "\",\"cvc\":\"",
        "abc123",
        "-",
    ];
    let mut rng = Rng(0x2029_c0de_5eed_0001);
    let mut checked = 0;
    for _ in 0..40_000 {
        let mut s = String::new();
        let mut cards = Vec::new();
        for _ in 0..(4 + rng.next() % 12) {
            if rng.next().is_multiple_of(5) {
                let c = rng.pick(&CARDS);
                cards.push((s.len(), s.len() + c.len()));
                s.push_str(c);
            } else {
                s.push_str(rng.pick(&PARTS));
            }
            if rng.next().is_multiple_of(3) {
                s.push(' ');
            }
        }
        let hay = s.as_bytes();
        let out: Vec<(Hit, usize)> = cards
            .iter()
            .map(|&(a, b)| (Hit::new(Entity::CreditCard, a, b), 7))
            .collect();
        let mut forward: Vec<(usize, usize)> = cards
            .iter()
            .filter(|&&(a, b)| {
                cvc_after_card(hay, b).is_none() && cvc_table_cell(hay, a, b).is_none()
            })
            .filter_map(|&(_, b)| cvc_later_on_line(hay, b))
            .collect();
        forward.sort_unstable();
        forward.dedup();
        let back: Vec<(usize, usize)> = (0..hay.len())
            .filter(|&i| hay[i].is_ascii_digit() && (i == 0 || !hay[i - 1].is_ascii_digit()))
            .filter(|&i| code_may_start(hay, i))
            .filter_map(|i| code_after_card(hay, i, &out))
            .map(|(h, _)| (h.start, h.end))
            .collect();
        assert_eq!(back, forward, "{s:?}");
        checked += forward.len();
    }
    // The generator reaches the rule (502 codes).
    assert!(checked > 400, "{checked}");
}
