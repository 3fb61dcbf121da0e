//! The twenty-fourth performance round: `FastTriggers::literals_into`'s answer without
//! searching for a short text in which no literal starts (`LeadBytes`), pinned to the
//! searchers' answer (`literals_searched`) on generated texts around every length that
//! decides a path (the searchers' minimum lengths, `LEAD_TEST_MAX`) and on the committed
//! held-out sample's texts; and `LeadBytes::none_in` pinned to a plain search for every
//! literal.

use super::tests_support::{det, Rng};
use super::*;

/// Every literal the three searchers look for (both tiers', the prose searcher's).
fn all_literals(d: &Detector) -> Vec<Vec<u8>> {
    let [(first, _), (second, _)] = d.trigger_tiers();
    let mut lits: Vec<Vec<u8>> = first
        .iter()
        .chain(&second)
        .map(|l| l.as_bytes().to_vec())
        .collect();
    lits.extend(PROSE_LITERALS.iter().map(|&(l, _)| l.to_vec()));
    lits
}

fn sorted(mut v: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    v.sort_unstable();
    v
}

/// `literals_into` against the searchers on `hay`; whether the lead test answered.
fn check(fast: &FastTriggers, lits: &[Vec<u8>], hay: &[u8]) -> bool {
    let mut got = Vec::new();
    fast.literals_into(hay, &mut got);
    let mut want = Vec::new();
    fast.literals_searched(hay, &mut want);
    assert_eq!(
        sorted(got),
        sorted(want),
        "{:?}",
        String::from_utf8_lossy(hay)
    );
    let leads = fast.leads.as_ref().expect("every literal has three bytes");
    let none = leads.none_in(hay);
    if none {
        for l in lits {
            assert!(
                !hay.windows(l.len()).any(|w| w == l.as_slice()),
                "{:?} holds {:?}",
                String::from_utf8_lossy(hay),
                String::from_utf8_lossy(l)
            );
        }
    }
    none
}

/// The bench call's answer (`benches/instructions.sh`, the demo upstream's refund) takes the
/// lead test's path: no literal starts in it.
#[test]
fn the_bench_answer_holds_no_literal_lead() {
    let d = det();
    let fast = d.fast.as_ref().expect("SIMD path");
    let lits = all_literals(&d);
    for n in [1, 123, 999_999] {
        let body = format!(
            r#"{{"amount":4200,"charge":"ch_3PqR7sLkd92Hx","id":"re_{n:06}","object":"refund","status":"succeeded"}}"#
        );
        assert!(check(fast, &lits, body.as_bytes()), "{body}");
    }
}

/// Generated texts: pieces of literals (whole, their first two or three bytes, cut or with
/// a byte changed), JSON punctuation, words and blanks, random bytes, in lengths around the
/// searchers' minimums and `LEAD_TEST_MAX`; and windows of the held-out sample's texts.
#[test]
fn leads_answer_what_the_searchers_find() {
    let d = det();
    let fast = d.fast.as_ref().expect("SIMD path");
    let lits = all_literals(&d);
    let words: &[&[u8]] = &[
        b"{\"",
        b"\":",
        b"\",\"",
        b"\"}",
        b":",
        b",",
        b"=",
        b" ",
        b"\n",
        b"\t",
        b"amount",
        b"charge",
        b"ch_3PqR7sLkd92Hx",
        b"re_000123",
        b"object",
        b"refund",
        b"status",
        b"succeeded",
        b"id",
        b"4200",
        b"pw",
        b"Pw",
        b"pwd",
        b"p",
        b"w",
        b"-",
        b"\"pw ",
        b"pass",
        b"key",
        b"login",
        b"the",
        b"is",
        b"\xc3\xb1",
        b"\xc3",
        b"0",
        b"9",
        b"@",
        b"example.com",
        b"data",
        b"name",
        b"user",
        b"email",
        b"token",
        b"secret",
    ];
    let mut rng = Rng(0x2424_0000_1234_5678);
    let (mut fast_path, mut searched) = (0usize, 0usize);
    let mut lens: Vec<usize> = (0..=300).collect();
    lens.extend([LEAD_TEST_MAX, LEAD_TEST_MAX + 1, fast.minimum_len]);
    if let Some(t) = fast.prose.as_ref().and_then(|p| p.teddy.as_ref()) {
        let m = t.minimum_len();
        lens.extend([m.saturating_sub(1), m, m + 1]);
    }
    for round in 0..60 {
        for &len in &lens {
            let mut hay = Vec::with_capacity(len + 32);
            // Mostly clean text; every few rounds one literal's piece or more.
            let lit_odds = [0, 0, 2, 8, 30][round % 5];
            while hay.len() < len {
                match rng.below(100) {
                    x if x < lit_odds => {
                        let l = &lits[rng.below(lits.len())];
                        let cut = match rng.below(4) {
                            0 => l.len(),
                            1 => 2.min(l.len()),
                            2 => 3.min(l.len()),
                            _ => 1 + rng.below(l.len()),
                        };
                        let at = hay.len();
                        hay.extend_from_slice(&l[..cut]);
                        if rng.below(4) == 0 {
                            let i = at + rng.below(cut);
                            hay[i] ^= 1 << rng.below(8);
                        }
                    }
                    x if x < 95 => hay.extend_from_slice(words[rng.below(words.len())]),
                    _ => hay.push(rng.next() as u8),
                }
            }
            hay.truncate(len);
            if check(fast, &lits, &hay) {
                fast_path += 1;
            } else {
                searched += 1;
            }
        }
    }
    for line in include_str!("../tests/heldout_sample.jsonl").lines() {
        let doc: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let text = doc["text"].as_str().expect("a text").as_bytes();
        let mut at = 0;
        while at < text.len() {
            for len in [20, 64, 99, 200, LEAD_TEST_MAX, LEAD_TEST_MAX + 7] {
                let end = (at + len).min(text.len());
                let mut hay = b"{\"text\":\"".to_vec();
                hay.extend_from_slice(&text[at..end]);
                hay.extend_from_slice(b"\"}");
                if check(fast, &lits, &text[at..end]) | check(fast, &lits, &hay) {
                    fast_path += 1;
                } else {
                    searched += 1;
                }
            }
            at += 97;
        }
    }
    // Both paths taken often.
    assert!(
        fast_path > 2_000 && searched > 2_000,
        "{fast_path} {searched}"
    );
}
