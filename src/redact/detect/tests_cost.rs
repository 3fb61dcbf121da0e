//! The twentieth round's cost work (task cost): each fast path pinned to the slow path it
//! stands for, on generated inputs. The byte pass's shape test (`pw_shape::shape_tail`'s
//! length bound, `shaped_password_at`'s stop at an earlier digit) against the nineteenth
//! round's test, kept here as the reference, with the twentieth round's leet call as task sec
//! wrote it (the bound lets a leet word through by `leet_may_start`).
//!
//! The twenty-first round's (task cost): `leet_password_at`'s early rejections (the value's
//! start first, the tail's shape before the token's end) against the twentieth round's
//! `leet_password_at`, kept here as the reference; the byte pass's tests at a digit by one
//! table load (`SHAPE_CLASS`) against the range tests they stand for.

use super::bytes::word_end;
use super::pw_shape::{
    class_before, digit_after_symbol, digit_in_word, leet_password, leet_password_at, shape_tail,
    shaped_password_at,
};
use super::tests_support::Rng;
use super::Hit;
use crate::redact::entity::Entity;

// The nineteenth round's shape test as it was (the reference).
const fn ref_pw_symbol(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'#' | b'$' | b'%' | b'&' | b'*' | b'?' | b'@' | b'^' | b'~'
    )
}

fn ref_opens_value(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b'"' | b'\'' | b'`' | b':' | b'=' | b'/' | b'|' | b'(' | b'[' | b'>' | b','
        )
        || b >= 0x80
}

const fn ref_closes_value(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b'"' | b'\'' | b'`' | b'|' | b',' | b';' | b')' | b']' | b'}' | b'<' | b'@'
        )
        || b >= 0x80
}

fn ref_shape_tail(hay: &[u8], we: usize) -> bool {
    hay.get(we)
        .is_none_or(|&b| ref_closes_value(b) || ref_pw_symbol(b) || b == b'.')
        && (hay[we - 1].is_ascii_digit() || hay[we - 1] == b'_')
}

fn ref_shaped_password_at(hay: &[u8], i: usize) -> Option<Hit> {
    let prev = *hay.get(i.checked_sub(1)?)?;
    if !(prev.is_ascii_alphabetic() || matches!(prev, b'_' | b'.') || ref_pw_symbol(prev)) {
        return None;
    }
    let d = hay[i..hay.len().min(i + 7)]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let mut e = i + d;
    if d > 6 {
        return None;
    }
    if let Some(&b) = hay.get(e) {
        if ref_pw_symbol(b) || matches!(b, b'_' | b'.') {
            e += 1;
        }
    }
    if e < hay.len() && !ref_closes_value(hay[e]) {
        // the twentieth round's leet words (task sec), as that task wrote the call and the
        // test (`ref_leet_password_at`)
        if !prev.is_ascii_alphabetic() {
            return None;
        }
        return ref_leet_password_at(hay, i);
    }
    if hay[e - 1] == b'.' && hay.get(e).is_none_or(u8::is_ascii_whitespace) {
        e -= 1;
    }
    let mut s = i - 1;
    let floor = i.saturating_sub(64);
    while s > floor
        && (hay[s - 1].is_ascii_alphanumeric() || matches!(hay[s - 1], b'_' | b'-' | b'.'))
    {
        s -= 1;
    }
    if s > 0 && !ref_opens_value(hay[s - 1]) {
        return None;
    }
    super::pw_shape::human_password(&hay[s..e]).then(|| Hit::new(Entity::Password, s, e))
}

/// The twentieth round's `leet_password_at` as task sec wrote it (the reference).
fn ref_leet_password_at(hay: &[u8], i: usize) -> Option<Hit> {
    if !matches!(hay[i], b'0' | b'1' | b'3' | b'4' | b'5' | b'7') {
        return None;
    }
    let ceiling = hay.len().min(i + 20);
    let mut e = i;
    while e < ceiling {
        let b = hay[e];
        if b.is_ascii_uppercase()
            || matches!(b, b'2' | b'6' | b'8' | b'9')
                && hay.get(e + 1).is_some_and(u8::is_ascii_alphabetic)
        {
            return None;
        }
        if !(b.is_ascii_alphanumeric() || ref_pw_symbol(b) || matches!(b, b'_' | b'.' | b'-')) {
            break;
        }
        e += 1;
    }
    if e < hay.len() && !ref_closes_value(hay[e]) {
        return None;
    }
    if hay[e - 1] == b'.' && hay.get(e).is_none_or(u8::is_ascii_whitespace) {
        e -= 1;
    }
    let mut s = i;
    let floor = i.saturating_sub(20);
    while s > floor && hay[s - 1].is_ascii_alphanumeric() {
        s -= 1;
    }
    if s > 0 && !ref_opens_value(hay[s - 1]) {
        return None;
    }
    leet_password(&hay[s..e]).then(|| Hit::new(Entity::Password, s, e))
}

/// The twentieth round's `shape_tail` (the reference of the reordered one).
fn ref_shape_tail_bounded(hay: &[u8], digit: usize, we: usize) -> bool {
    let leet = |b: u8| matches!(b, b'0' | b'1' | b'3' | b'4' | b'5' | b'7');
    let may_start = leet(hay[digit])
        && hay
            .get(digit + 1)
            .is_some_and(|&b| b.is_ascii_lowercase() || leet(b));
    (we - digit <= 7 || (we - digit <= 20 && may_start)) && ref_shape_tail(hay, we)
}

/// Pieces of values: the shapes' words, digits, symbols and separators, a UUID's and a
/// hash's hex, passphrase words, and the bytes around values.
const PIECES: &[&[u8]] = &[
    // leet words (`G3w1tt3r19`), their look-alikes (a hex id, a capital inside, `2 6 8 9`)
    b"G3w1tt3r",
    b"m0nk3y",
    b"b00k3ep3r",
    b"p4ssw0rd",
    b"a3f5c0d1e7",
    b"s3cR3t",
    b"w1nt3r9b",
    b"Kanarie",
    b"narwhal",
    b"ALCAchoFA",
    b"quokkA",
    b"Hafenkran",
    b"Paella",
    b"kookaburra",
    b"lavande",
    b"brezel",
    b"tulpenveld",
    b"System",
    b"Int",
    b"abc",
    b"de",
    b"f",
    b"X",
    b"0",
    b"1",
    b"7",
    b"12",
    b"152",
    b"1337",
    b"2026",
    b"8102",
    b"99999",
    b"1234567",
    b"3f9c",
    b"a1b2",
    b"8c3e1d2f",
    b"!",
    b"#",
    b"$",
    b"?",
    b"@",
    b"~",
    b"%",
    b"^",
    b"*",
    b"_",
    b"-",
    b".",
    b"/",
    b":",
    b"=",
    b" ",
    b"\"",
    b"'",
    b"|",
    b",",
    b";",
    b"\n",
    b"(",
    b")",
    b"\xc3\xa9",
];

/// Words of the shapes (plain, capitalised, mixed case, passphrase words).
const WORDS: &[&[u8]] = &[
    b"kanarie",
    b"Rotterdam",
    b"quokkA",
    b"Hafenkran",
    b"paella",
    b"lavande",
    b"brezel",
    b"narwhal",
    b"tuinhuis",
    b"app",
    b"Int",
    b"ITEM",
    b"build",
    b"syslog",
];

/// At every digit of generated texts, the byte pass's shape test with the fast paths finds
/// what the reference finds (the in-word path: `shape_tail` then the test; a digit after a
/// symbol: the test alone).
#[test]
fn the_shape_tests_fast_paths_find_what_the_reference_finds() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut hits = 0;
    for _ in 0..40_000 {
        let mut hay = Vec::new();
        for _ in 0..1 + rng.next() % 12 {
            if rng.next().is_multiple_of(3) {
                // A value built as the shapes are: words and separators, digits, a symbol.
                hay.extend_from_slice(rng.pick(&[b" ", b"\"", b"/", b"=", b"1-", b"x"]));
                for _ in 0..1 + rng.next() % 4 {
                    hay.extend_from_slice(rng.pick(WORDS));
                    hay.extend_from_slice(rng.pick(&[b"", b"", b"-", b"_", b".", b"#", b"!"]));
                }
                hay.extend_from_slice(
                    rng.pick(&[b"1", b"42", b"152", b"2026", b"86421", b"123456"]),
                );
                hay.extend_from_slice(rng.pick(&[b"", b"?", b"$", b"_", b".", b"a"]));
            } else {
                hay.extend_from_slice(rng.pick(PIECES));
            }
        }
        for i in 0..hay.len() {
            if !hay[i].is_ascii_digit() {
                continue;
            }
            let want = ref_shaped_password_at(&hay, i);
            let got = shaped_password_at(&hay, i);
            assert_eq!(
                got.map(|h| (h.start, h.end)),
                want.map(|h| (h.start, h.end)),
                "{i} in {:?}",
                String::from_utf8_lossy(&hay)
            );
            hits += usize::from(want.is_some());
            if i > 0 && crate::redact::validate::is_word(hay[i - 1]) {
                let we = word_end(&hay, i + 1);
                let want = ref_shape_tail(&hay, we) && want.is_some();
                let got = shape_tail(&hay, i, we) && got.is_some();
                assert_eq!(got, want, "{i} in {:?}", String::from_utf8_lossy(&hay));
            }
        }
    }
    // The generator reaches the shapes, not only their look-alikes.
    assert!(hits > 1_000, "{hits} shaped passwords generated");
}

/// Pieces of leet words and of the tokens around them: leet words whole and cut, letters on
/// either side of `f`, capitals, digits of both kinds, the tail's symbols, an e-mail's
/// local part and domain, a sentence's full stop, the bytes around values.
const LEET_PIECES: &[&[u8]] = &[
    b"G3w1tt3r",
    b"m0nk3y",
    b"b00k3ep3r",
    b"p4ssw0rd",
    b"A1c4ch0f4",
    b"T0rn4d0",
    b"s3cr3t",
    b"w1nt3r",
    b"l0v3ly",
    b"sn0wb4ll",
    b"roe",
    b"jane",
    b"j",
    b"example",
    b"com",
    b"abc",
    b"deadbeef",
    b"kxza",
    b"strng",
    b"X",
    b"Q",
    b"0",
    b"1",
    b"3",
    b"4",
    b"5",
    b"7",
    b"2",
    b"8",
    b"19",
    b"30",
    b"2024",
    b"123",
    b"!",
    b"#",
    b"$",
    b"?",
    b"@",
    b"~",
    b"_",
    b"-",
    b".",
    b". ",
    b"/",
    b":",
    b"=",
    b" ",
    b"\"",
    b"'",
    b"|",
    b",",
    b";",
    b"\n",
    b"(",
    b")",
    b"\xc3\xa9",
];

/// At every digit of generated texts (leet words and the tokens they sit in: e-mail
/// addresses, ids, sentences), `leet_password_at` with its early rejections finds what the
/// twentieth round's finds.
#[test]
fn the_leet_tests_early_rejections_find_what_the_reference_finds() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut hits, mut tested) = (0, 0);
    for _ in 0..60_000 {
        let mut hay = Vec::new();
        for _ in 0..1 + rng.next() % 10 {
            if rng.next().is_multiple_of(3) {
                // A leet value: a word, digits, a tail of symbols and digits.
                hay.extend_from_slice(rng.pick(&[b" ", b"\"", b"=", b": ", b"x", b"."]));
                hay.extend_from_slice(rng.pick(LEET_PIECES[..10].as_ref()));
                hay.extend_from_slice(rng.pick(&[b"", b"1", b"19", b"2024", b"7"]));
                for _ in 0..rng.next() % 4 {
                    hay.extend_from_slice(rng.pick(&[b"#", b"!", b"_", b".", b"-", b"1", b"23"]));
                }
                hay.extend_from_slice(rng.pick(&[b"", b" ", b"\"", b"@", b"a", b". ", b"."]));
            } else {
                hay.extend_from_slice(rng.pick(LEET_PIECES));
            }
        }
        for i in 0..hay.len() {
            if !hay[i].is_ascii_digit() {
                continue;
            }
            let want = ref_leet_password_at(&hay, i);
            let got = leet_password_at(&hay, i);
            assert_eq!(
                got.map(|h| (h.start, h.end)),
                want.map(|h| (h.start, h.end)),
                "{i} in {:?}",
                String::from_utf8_lossy(&hay)
            );
            hits += usize::from(want.is_some());
            tested += 1;
        }
    }
    // The generator reaches leet words, not only their look-alikes.
    assert!(hits > 2_000, "{hits} leet words of {tested} digits");
}

/// The byte pass's tests at a digit by `SHAPE_CLASS` (`class_before`, `digit_in_word`,
/// `digit_after_symbol`) are the range tests they stand for, for every two bytes before a
/// digit (and at the text's first two bytes); `shape_tail`'s reordered tests are the
/// twentieth round's at every word run of the shape test's generated texts.
#[test]
fn the_byte_pass_tables_are_the_tests_they_stand_for() {
    let ref_in_word = |hay: &[u8], i: usize| {
        i > 0
            && crate::redact::validate::is_word(hay[i - 1])
            && !(i >= 2 && hay[i - 1].is_ascii_uppercase() && hay[i - 2].is_ascii_uppercase())
    };
    let ref_after_symbol = |hay: &[u8], i: usize| {
        i >= 2
            && (hay[i - 1] == b'.' || ref_pw_symbol(hay[i - 1]))
            && hay[i - 2].is_ascii_alphabetic()
    };
    for a in 0..=255u8 {
        for b in 0..=255u8 {
            for hay in [vec![a, b, b'5'], vec![b, b'5'], vec![b'5']] {
                let i = hay.len() - 1;
                let prev = class_before(&hay, i);
                assert_eq!(
                    digit_in_word(&hay, i, prev),
                    ref_in_word(&hay, i),
                    "{hay:?}"
                );
                assert_eq!(
                    digit_after_symbol(&hay, i, prev),
                    ref_after_symbol(&hay, i),
                    "{hay:?}"
                );
            }
        }
    }
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut runs = 0;
    for _ in 0..20_000 {
        let mut hay = Vec::new();
        for _ in 0..1 + rng.next() % 12 {
            let from = if rng.next().is_multiple_of(2) {
                PIECES
            } else {
                LEET_PIECES
            };
            hay.extend_from_slice(rng.pick(from));
        }
        for i in 1..hay.len() {
            if hay[i].is_ascii_digit() && crate::redact::validate::is_word(hay[i - 1]) {
                let we = word_end(&hay, i + 1);
                // (The twenty-fifth round's look at the value's start, `leet_may_open`, for
                // the runs past 7 bytes: the letters and digits before the digit, at most 20,
                // after a byte that opens no value.)
                let s = (i.saturating_sub(20)..i)
                    .rev()
                    .find(|&k| !hay[k].is_ascii_alphanumeric())
                    .map_or(i.saturating_sub(20), |k| k + 1);
                let closed = s > 0 && !ref_opens_value(hay[s - 1]);
                assert_eq!(
                    shape_tail(&hay, i, we),
                    ref_shape_tail_bounded(&hay, i, we) && (we - i <= 7 || !closed),
                    "{i} in {:?}",
                    String::from_utf8_lossy(&hay)
                );
                runs += 1;
            }
        }
    }
    assert!(runs > 10_000, "{runs} word runs");
}

/// The twentieth round's `records::may_hold_birth_year` (the reference).
fn ref_may_hold_birth_year(s: &[u8]) -> bool {
    let years = 1916..=2012u16;
    let compact = |t: &[u8]| {
        if t.len() != 8 || !t.iter().all(u8::is_ascii_digit) {
            return false;
        }
        let n = |r: std::ops::Range<usize>| {
            t[r].iter().fold(0u16, |a, &b| a * 10 + u16::from(b - b'0'))
        };
        let (y, m, d) = (n(0..4), n(4..6), n(6..8));
        let days = match m {
            2 => 29,
            4 | 6 | 9 | 11 => 30,
            1..=12 => 31,
            _ => 0,
        };
        years.contains(&y) && (1..=days).contains(&d)
    };
    let year = |date: &[u8]| -> Option<u16> {
        date.split(|b| !b.is_ascii_digit())
            .find(|run| run.len() == 4)
            .and_then(|run| std::str::from_utf8(run).ok()?.parse().ok())
    };
    memchr::memchr(b'\\', s).is_some()
        || s.split(|b| !b.is_ascii_digit()).any(|run| {
            (run.len() == 4 && year(run).is_some_and(|y| years.contains(&y))) || compact(run)
        })
}

/// `may_hold_birth_year`'s one pass says what the twentieth round's search, split and parse
/// said, on generated strings (years in and out of range, compact dates, longer and shorter
/// runs, escapes, names).
#[test]
fn the_birth_year_look_finds_what_the_reference_finds() {
    const PIECES: &[&[u8]] = &[
        b"1916",
        b"2012",
        b"1915",
        b"2013",
        b"1984",
        b"0198",
        b"19840302",
        b"20120229",
        b"19841302",
        b"19840431",
        b"198403021",
        b"123",
        b"7",
        b"12345",
        b"Jane Roe ",
        b"-",
        b"/",
        b".",
        b" ",
        b"\\",
        b"\\u00e9",
        b"T",
        b"x",
        b"\xc3\xa9",
        // (twenty-fifth round: runs without a `19` or `20`, and the two digits split or
        // joined across pieces)
        b"1234",
        b"3190",
        b"8201",
        b"(212) 555-0199",
        b"536-22-",
        b"19",
        b"20",
        b"1",
        b"9",
    ];
    let mut rng = Rng(0x5851_F42D_4C95_7F2D);
    let (mut yes, mut no) = (0, 0);
    let mut without = 0;
    for _ in 0..200_000 {
        let mut s = Vec::new();
        for _ in 0..rng.next() % 6 {
            s.extend_from_slice(rng.pick(PIECES));
        }
        let want = ref_may_hold_birth_year(&s);
        assert_eq!(
            super::may_hold_birth_year(&s),
            want,
            "{:?}",
            String::from_utf8_lossy(&s)
        );
        if want {
            yes += 1;
        } else {
            no += 1;
        }
        // Strings the look for `19`, `20` and `\\` turns away before the runs are read.
        let century = s.windows(2).any(|w| w == b"19" || w == b"20");
        without += usize::from(!century && !s.contains(&b'\\') && s.len() >= 4);
    }
    assert!(yes > 20_000 && no > 20_000, "{yes} kept, {no} not");
    assert!(without > 10_000, "{without} without 19, 20 or an escape");
}

/// The twenty-second round's (task cost): a JSON value's string leaves searched for their
/// trigger candidates in one search of the leaves joined by `\0` (`joined_triggers`,
/// `joined_leaf_candidates`), against each leaf searched alone (`trigger_candidates`, the
/// reference: what the walk did before). Leaves of every length around the prose searcher's
/// minimum (its Teddy against its SWAR pass), built of both tiers' literals, the prose
/// keywords in their cases (and the ones only one of the prose paths reads: `Pw `, `pwD `),
/// `key=value` anchors, quotes, backslashes and the separator byte itself; some leaves not
/// asked for (a leaf the walk does not scan).
#[test]
fn the_joined_leaves_candidates_are_each_leaf_searched_alone() {
    let d = super::tests_support::det();
    let [(first, _), (second, _)] = d.trigger_tiers();
    let mut pieces: Vec<Vec<u8>> = first
        .iter()
        .chain(&second)
        .map(|l| l.as_bytes().to_vec())
        .collect();
    for (l, _) in super::PROSE_LITERALS {
        pieces.push(l.to_vec());
        pieces.push(l.to_ascii_lowercase());
    }
    for p in [
        &b"pw "[..],
        b"Pw ",
        b"PW ",
        b"pwD ",
        b"PwD ",
        b"pwd ",
        b"Pwd",
        b"pass ",
        b"Pass",
        b"contrase\xc3\xb1a ",
        b"redis-cli",
        b"sshpass -p ",
        b"mysql -p'",
        b"login is ",
        b"wifi ",
        b"password: ",
        b"token=",
        b"api_key=",
        b"<apiToken>",
        b"Secret ",
        b"dob ",
        b"born on ",
        b"Bearer ",
        b"AKIA",
        b"ghp_",
        b"sk-",
        b"jane@example.org",
        b"4242 4242 4242 4242",
        b"Hunter2!",
        b"w",
        b"s",
        b"-",
        b":",
        b"=",
        b">",
        b" ",
        b"\n",
        b"\"",
        b"\\",
        b"\0",
        b"\xc3\xa9",
        b"x",
        b"Jane",
        b"the quick brown fox",
        b"0123456789",
    ] {
        pieces.push(p.to_vec());
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut long, mut short, mut with_cands, mut with_key_value) = (0, 0, 0, 0);
    let key_value = d.fast.as_ref().and_then(|f| f.key_value);
    for _ in 0..20_000 {
        let mut leaves: Vec<Vec<u8>> = Vec::new();
        for _ in 0..1 + rng.next() % 6 {
            let mut leaf = Vec::new();
            for _ in 0..1 + rng.next() % 7 {
                let p = &pieces[(rng.next() % pieces.len() as u64) as usize];
                leaf.extend_from_slice(p);
            }
            leaves.push(leaf);
        }
        let mut joined = Vec::new();
        let mut at = Vec::new();
        for leaf in &leaves {
            joined.push(0);
            at.push(joined.len());
            joined.extend_from_slice(leaf);
        }
        let Some(mut body) = d.joined_triggers(&joined, Default::default()) else {
            panic!("the SIMD path");
        };
        for (leaf, &start) in leaves.iter().zip(&at) {
            if rng.next().is_multiple_of(5) {
                continue;
            }
            let mut sc = super::Scratch::default();
            d.joined_leaf_candidates(&mut body, &joined, leaf, start, &mut sc);
            let mut got = sc.cands.clone();
            let mut want = Vec::new();
            d.trigger_candidates(leaf, &mut want);
            got.sort_unstable();
            want.sort_unstable();
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(leaf));
            // and the scan of the leaf with them finds what its own search's finds
            d.hits_into(leaf, super::ScanContext::default(), &mut sc);
            assert_eq!(
                sc.raw,
                d.hits(leaf, super::ScanContext::default()),
                "{:?}",
                String::from_utf8_lossy(leaf)
            );
            let prose = d.fast.as_ref().and_then(|f| f.prose.as_ref());
            if prose.is_some_and(|p| p.takes_second_tier(leaf)) {
                long += 1;
            } else {
                short += 1;
            }
            with_cands += usize::from(!want.is_empty());
            with_key_value += usize::from(want.iter().any(|&(_, r)| Some(r) == key_value));
        }
    }
    // leaves on both sides of the prose searcher's minimum, most with candidates
    assert!(
        long > 10_000 && short > 10_000,
        "{long} long, {short} short"
    );
    assert!(with_cands > 20_000, "{with_cands}");
    // the `key=value` anchors (from the joined leaves' `memchr3` since the twenty-third
    // round) are exercised too (3,484 leaves with a `key=value` candidate)
    assert!(with_key_value > 2_000, "{with_key_value}");
}

#[test]
fn no_trigger_literal_holds_the_joined_leaves_separator() {
    // `joined_triggers`: no match may cross from one leaf into the next.
    let d = super::tests_support::det();
    let [(first, _), (second, _)] = d.trigger_tiers();
    assert!(first.iter().chain(&second).all(|l| !l.contains('\0')));
    assert!(super::PROSE_LITERALS.iter().all(|(l, _)| !l.contains(&0)));
}

/// The twenty-third round's `records::birth_dates_in` (the reference): the same, without the
/// look for `19`/`20` before its searches.
fn ref_birth_dates_in(
    hay: &[u8],
    (ls, le): (usize, usize),
    years_from: usize,
    date_re: &regex_automata::meta::Regex,
    f: &mut dyn FnMut(usize, usize) -> bool,
) {
    use super::records::{compact_birth_date, plausible_birth_date, year, BIRTH_YEARS};
    let mut done = ls;
    let nineteen = memchr::memmem::Finder::new(b"19");
    let twenty = memchr::memmem::Finder::new(b"20");
    let years_from = years_from.clamp(ls, le);
    let window = &hay[years_from..le];
    let (mut a, mut b) = (
        nineteen.find_iter(window).peekable(),
        twenty.find_iter(window).peekable(),
    );
    let starts = std::iter::from_fn(|| match (a.peek(), b.peek()) {
        (Some(x), Some(y)) if x > y => b.next(),
        (Some(_), _) => a.next(),
        (None, _) => b.next(),
    });
    for y in starts.map(|y| years_from + y) {
        if y < done || (y > 0 && hay[y - 1].is_ascii_digit()) {
            continue;
        }
        let i = y + hay[y..le]
            .iter()
            .take(9)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if i - y == 8 {
            if let Some(e) = compact_birth_date(hay, y, ls, le) {
                if !f(y, e) {
                    return;
                }
                done = e;
            }
            continue;
        }
        if i - y != 4 || !year(&hay[y..i]).is_some_and(|y| BIRTH_YEARS.contains(&y)) {
            continue;
        }
        let starts_with_year = matches!(hay.get(i), Some(b'-' | b'.' | b'/'))
            && hay.get(i + 1).is_some_and(u8::is_ascii_digit);
        let found = if starts_with_year {
            plausible_birth_date(hay, y, ls, le, date_re).map(|e| (y, e))
        } else {
            (y.saturating_sub(32).max(done)..y)
                .filter(|&j| {
                    hay[j].is_ascii_alphanumeric()
                        && (j == 0 || !hay[j - 1].is_ascii_alphanumeric())
                })
                .find_map(|j| {
                    plausible_birth_date(hay, j, ls, le, date_re)
                        .filter(|&e| e == i)
                        .map(|e| (j, e))
                })
        };
        if let Some((s, e)) = found {
            if !f(s, e) {
                return;
            }
            done = e;
        }
    }
}

/// The twenty-third round's `records::record_birth_dates` (the reference): every line read
/// by `line_around`, every window searched.
fn ref_record_birth_dates(
    hay: &[u8],
    hits: &mut Vec<(Hit, usize)>,
    date_re: &regex_automata::meta::Regex,
    prio: usize,
) {
    let covered: usize = hits.iter().map(|(h, _)| h.end - h.start).sum();
    if hay.len() < covered + 6 {
        return;
    }
    let before = hits.len();
    let mut line_end: Option<usize> = None;
    for k in 0..before {
        let h = hits[k].0;
        if !super::records::personal(h.entity) || line_end.is_some_and(|e| h.start < e) {
            continue;
        }
        let (ls, le) = super::records::line_around(hay, h.start);
        let years_from = line_end.unwrap_or(ls);
        line_end = Some(le);
        ref_birth_dates_in(hay, (ls, le), years_from, date_re, &mut |s, e| {
            if !hits[..before].iter().any(|(h, _)| h.start < e && s < h.end) {
                hits.push((Hit::new(Entity::DateOfBirth, s, e), prio));
            }
            true
        });
    }
    if hits.len() > before {
        hits.sort_by_key(|(h, prio)| (h.start, *prio));
    }
}

/// The twenty-fourth round's (task cost): `record_birth_dates`' first tests inlined (a
/// person's PII among the hits), a short text without a line break read as one line
/// (`one_short_line`) and a short text without `19`/`20` passed (`century_and_breaks`),
/// against the twenty-third round's form, on generated texts and their findings: records
/// of every length around `REACH` and `CENTURY_LOOK_MAX` (and of none or one byte), with line breaks (`\n`, `\r`, the
/// flattened `⏎ ↵ ¶`), other non-ASCII bytes, dates of every shape in and out of the birth
/// years, event words, and personal and other findings.
#[test]
fn the_record_dates_short_paths_find_what_the_reference_finds() {
    const PIECES: &[&[u8]] = &[
        b"1984-03-02",
        b"02.03.1984",
        b"2 March 1984",
        b"March 2nd, 1984",
        b"19840302",
        b"20120229",
        b"3/4/85",
        b"19/4/1969",
        b"2024-03-02T10:00",
        b"1985-03-02 10:01",
        b"1916",
        b"2012",
        b"2020",
        b"1919",
        b"192",
        b"20",
        b"19",
        b"1",
        b"9",
        b"0",
        b"created ",
        b"order ",
        b"Ticket ",
        b"dob ",
        b"Jane Roe ",
        b",",
        b";",
        b"|",
        b"\t",
        b"\"",
        b" ",
        b" ",
        b" / ",
        b"\n",
        b"\r",
        "\u{23ce}".as_bytes(),
        "\u{21b5}".as_bytes(),
        "\u{b6}".as_bytes(),
        "\u{e9}".as_bytes(),
    ];
    // Findings: the ones that make a record a person's, and others.
    const FOUND: &[(&[u8], Entity)] = &[
        (b"jane@example.com", Entity::Email),
        (b"+44 20 7946 0192", Entity::Phone),
        (b"536-22-1984", Entity::UsSsn),
        (b"4242424242424242", Entity::CreditCard),
        (b"GB82WEST12345698765432", Entity::Iban),
        (b"10.20.19.84", Entity::Ipv4),
        (b"hunter2019", Entity::Password),
    ];
    let detector = super::tests_support::det();
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let (mut dated, mut short, mut long, mut windows_without) = (0, 0, 0, 0);
    for case in 0..20_000 {
        let mut hay = Vec::new();
        let mut hits = Vec::new();
        let pieces = match case % 20 {
            0 => 300 + rng.next() % 700,
            1..=4 => 20 + rng.next() % 40,
            _ => rng.next() % 16,
        };
        for _ in 0..pieces {
            if rng.next().is_multiple_of(5) {
                let (text, entity) = FOUND[(rng.next() % FOUND.len() as u64) as usize];
                let prio = (rng.next() % 4) as usize;
                hits.push((Hit::new(entity, hay.len(), hay.len() + text.len()), prio));
                hay.extend_from_slice(text);
            } else {
                hay.extend_from_slice(rng.pick(PIECES));
            }
            if rng.next().is_multiple_of(200) {
                hay.extend(std::iter::repeat_n(b'x', 1000));
            }
        }
        if super::records::one_short_line(&hay) {
            short += 1;
        } else {
            long += 1;
        }
        let century = memchr::memmem::find(&hay, b"19").is_some()
            || memchr::memmem::find(&hay, b"20").is_some();
        let breaks = hay
            .iter()
            .any(|&b| b == b'\n' || b == b'\r' || !b.is_ascii());
        assert_eq!(
            super::records::century_and_breaks(&hay),
            (century, breaks),
            "{:?}",
            String::from_utf8_lossy(&hay)
        );
        if hay.len() <= 256 && !century {
            windows_without += 1;
        }
        let prio = usize::MAX - (case % 2);
        let mut want = hits.clone();
        ref_record_birth_dates(&hay, &mut want, &detector.date_re, prio);
        super::records::record_birth_dates(&hay, &mut hits, &detector.date_re, prio);
        assert_eq!(hits, want, "{:?}", String::from_utf8_lossy(&hay));
        if want.iter().any(|(h, _)| h.entity == Entity::DateOfBirth) {
            dated += 1;
        }
    }
    assert!(
        dated > 2_000 && short > 2_000 && long > 2_000 && windows_without > 2_000,
        "{dated} with a birth date, {short} one short line, {long} not, {windows_without} short without 19/20"
    );
}

/// The twenty-fourth round's (task cost): `token_user_key` by the key's length against the
/// twenty-third round's search of its three words (the reference), on generated keys of the
/// words in every case, cut, lengthened and mixed with other keys of their lengths.
#[test]
fn the_token_user_key_by_length_is_the_word_search() {
    fn reference(key: &str) -> bool {
        matches!(key.len(), 4 | 5 | 8)
            && ["username", "user", "login"]
                .iter()
                .any(|w| key.eq_ignore_ascii_case(w))
    }
    const PIECES: &[&[u8]] = &[
        b"user",
        b"USER",
        b"User",
        b"uSeR",
        b"name",
        b"NAME",
        b"login",
        b"LOGIN",
        b"Login",
        b"u",
        b"s",
        b"e",
        b"r",
        b"n",
        b"l",
        b"o",
        b"g",
        b"i",
        b"_",
        b"-",
        b"token",
        b"email",
        b"phone",
        b"card",
        b"note",
        b"logins",
        b"users",
        b"\xc3\xa9",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut yes = 0;
    for _ in 0..100_000 {
        let mut key = Vec::new();
        for _ in 0..1 + rng.next() % 3 {
            key.extend_from_slice(rng.pick(PIECES));
        }
        let key = String::from_utf8_lossy(&key);
        let want = reference(&key);
        assert_eq!(super::evidence_r23s::token_user_key(&key), want, "{key:?}");
        yes += usize::from(want);
    }
    assert!(yes > 5_000, "{yes} user keys");
}

/// The twenty-fifth round's (task cost): the streaming pass's per-member key tests answered
/// once per distinct key (`json::keys::KeyFacts`) against the functions they stand for (the
/// reference: `pair_role`, `labels::answer_key`, `labels::label_key`, `token_user_key`,
/// `pair_type_key`, and `member_class` under every parent class and for every key class), on
/// generated keys of the words those functions compare (in every case, cut, joined and
/// lengthened), host names and other keys. The test fails unless every fact is held by over
/// 200 keys and missed by over 200.
#[test]
fn the_key_facts_are_the_tests_they_stand_for() {
    use crate::redact::json::{
        labels, member_class, member_class_of, pair_role, pair_type_key, KeyClass, KeyFacts,
    };
    const PIECES: &[&[u8]] = &[
        b"key",
        b"KEY",
        b"name",
        b"Name",
        b"type",
        b"TYPE",
        b"value",
        b"Value",
        b"VALUE",
        b"VaLuE",
        b"label",
        b"Label",
        b"purpose",
        b"PURPOSE",
        b"parameterkey",
        b"ParameterKey",
        b"ParameterValue",
        b"PARAMETERVALUE",
        b"date",
        b"Date",
        b"text",
        b"answer",
        b"ANSWER",
        b"ref",
        b"question",
        b"tabLabel",
        b"shortname",
        b"user",
        b"login",
        b"username",
        b"token",
        b"Token",
        b"plaintext",
        b"PlainText",
        b"on",
        b"datum",
        b"fecha",
        b"data",
        b"dt",
        b"iso",
        b"date_iso",
        b"number",
        b"Number",
        b"id",
        b"no",
        b"nr",
        b"gitlab.com",
        b"repo.example.io",
        b"a-b.c9.org",
        b".",
        b"..",
        b"com",
        b"-",
        b"_",
        b"1",
        b"x",
        b"e",
        b"\xc3\xa9",
        b" ",
    ];
    let mut parents = vec![
        KeyClass::Plain,
        KeyClass::Phone,
        KeyClass::Card,
        KeyClass::BirthParent,
        KeyClass::ShapedSecret,
        KeyClass::FormResponse,
        KeyClass::Ident,
        KeyClass::TaxId,
        KeyClass::MessageId,
        KeyClass::Ciphertext,
        KeyClass::JwtSection,
        KeyClass::HostSection,
    ];
    parents.extend(Entity::ALL.iter().map(|&e| KeyClass::Whole(e)));
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut held = [0usize; 16];
    let n = 60_000;
    for _ in 0..n {
        let mut key = Vec::new();
        for _ in 0..1 + rng.next() % 3 {
            key.extend_from_slice(rng.pick(PIECES));
        }
        let key = String::from_utf8_lossy(&key);
        let facts = KeyFacts::of(&key);
        assert_eq!(facts.pair_role(), pair_role(&key), "{key:?}");
        assert_eq!(facts.answer_key(), labels::answer_key(&key), "{key:?}");
        assert_eq!(facts.label_key(), labels::label_key(&key), "{key:?}");
        assert_eq!(
            facts.token_user_key(),
            super::evidence_r23s::token_user_key(&key),
            "{key:?}"
        );
        assert_eq!(facts.pair_type_key(), pair_type_key(&key), "{key:?}");
        for &parent in &parents {
            for &class in &parents {
                assert_eq!(
                    member_class_of(parent, class, facts),
                    member_class(parent, class, &key),
                    "{key:?} under {parent:?} as {class:?}"
                );
            }
        }
        for (bit, count) in held.iter_mut().enumerate() {
            *count += usize::from(facts.bits() & (1 << bit) != 0);
        }
    }
    for (bit, &count) in held.iter().enumerate().take(15) {
        assert!(
            count > 200 && n - count > 200,
            "fact {bit}: held by {count} of {n} keys"
        );
    }
}

/// `shaped_password_at` as the twenty-fourth round left it (the reference for the
/// twenty-fifth round's early exit).
fn r24_shaped_password_at(hay: &[u8], i: usize) -> Option<Hit> {
    let prev = *hay.get(i.checked_sub(1)?)?;
    if !(prev.is_ascii_alphabetic() || matches!(prev, b'_' | b'.') || ref_pw_symbol(prev)) {
        return None;
    }
    let d = hay[i..hay.len().min(i + 7)]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let mut e = i + d;
    if d > 6 {
        return None;
    }
    if let Some(&b) = hay.get(e) {
        if ref_pw_symbol(b) || matches!(b, b'_' | b'.') {
            e += 1;
        }
    }
    if e < hay.len() && !ref_closes_value(hay[e]) {
        if !prev.is_ascii_alphabetic() {
            return None;
        }
        return leet_password_at(hay, i);
    }
    super::pw_shape::human_shape_at(hay, i, e)
}

/// The twenty-fifth round's (task cost): `shaped_password_at` turns away digits, one symbol
/// and a letter (`roe12@example.com`) before `leet_password_at`. At every digit of generated
/// texts of leet words and the tokens they sit in (e-mail addresses' local parts and
/// domains, ids, sentences), it finds what the twenty-fourth round's (`r24_shaped_password_at`,
/// the reference) finds. The test fails unless over 2,000 digits take the new early exit and
/// over 1,000 leet words are found.
#[test]
fn the_shape_tests_exit_at_a_letter_after_the_symbol_finds_what_the_reference_finds() {
    let mut rng = Rng(0x5851_F42D_4C95_7F2D);
    let (mut hits, mut exits) = (0, 0);
    for _ in 0..60_000 {
        let mut hay = Vec::new();
        for _ in 0..1 + rng.next() % 10 {
            match rng.next() % 4 {
                0 => {
                    // A leet value: a word, digits, a tail of symbols and digits.
                    hay.extend_from_slice(rng.pick(&[b" ", b"\"", b"=", b": ", b"x", b"."]));
                    hay.extend_from_slice(rng.pick(LEET_PIECES[..10].as_ref()));
                    hay.extend_from_slice(rng.pick(&[b"", b"1", b"19", b"2024", b"7"]));
                    for _ in 0..rng.next() % 4 {
                        hay.extend_from_slice(rng.pick(&[b"#", b"!", b"_", b".", b"1", b"23"]));
                    }
                    hay.extend_from_slice(rng.pick(&[b"", b" ", b"\"", b"@", b"a", b". "]));
                }
                1 => {
                    // An e-mail address whose local part ends in digits (or a leet word).
                    hay.extend_from_slice(rng.pick(&[b" ", b"\"", b"(", b"x", b".", b"_"]));
                    hay.extend_from_slice(rng.pick(&[b"jane.roe", b"j", b"m0nk3y", b"Q", b"ab"]));
                    hay.extend_from_slice(rng.pick(&[b"1", b"12", b"305", b"4412", b"7"]));
                    hay.extend_from_slice(rng.pick(&[b"@", b"#", b"_", b".", b"!", b"$"]));
                    hay.extend_from_slice(rng.pick(&[
                        b"example.com",
                        b"mail.co.uk",
                        b"X",
                        b"1",
                        b"\"",
                        b" ",
                        b"e",
                        b". ",
                    ]));
                }
                _ => hay.extend_from_slice(rng.pick(LEET_PIECES)),
            }
        }
        for i in 0..hay.len() {
            if !hay[i].is_ascii_digit() {
                continue;
            }
            let want = r24_shaped_password_at(&hay, i);
            let got = shaped_password_at(&hay, i);
            assert_eq!(
                got.map(|h| (h.start, h.end)),
                want.map(|h| (h.start, h.end)),
                "{i} in {:?}",
                String::from_utf8_lossy(&hay)
            );
            hits += usize::from(want.is_some());
            // The new exit: a letter before the digits, digits, a symbol and a letter.
            let d = hay[i..].iter().take_while(|b| b.is_ascii_digit()).count();
            let symbol = |b: u8| ref_pw_symbol(b) || matches!(b, b'_' | b'.');
            exits += usize::from(
                i > 0
                    && hay[i - 1].is_ascii_alphabetic()
                    && d <= 6
                    && hay.get(i + d).is_some_and(|&b| symbol(b))
                    && hay.get(i + d + 1).is_some_and(u8::is_ascii_alphabetic),
            );
        }
    }
    assert!(
        exits > 2_000 && hits > 1_000,
        "{exits} early exits, {hits} shaped passwords"
    );
}

/// The twenty-fifth round's (task cost): `shape_tail` lets a long word run through to the
/// leet test only when it may open a value (`pw_shape::leet_may_open`). At every first digit
/// of a word run (where the byte pass calls the shape test) in generated texts of UUIDs, hex
/// ids' segments, leet words and the bytes around them, the byte pass's shape test (the tail,
/// then `shaped_password_at`) finds what the twentieth round's tail and the twenty-fourth
/// round's test (`ref_shape_tail`, `r24_shaped_password_at`, the references) find. The test
/// fails unless over 2,000 runs are turned away by the new look and over 1,000 leet words
/// are found.
#[test]
fn the_shape_tails_look_at_the_values_start_finds_what_the_reference_finds() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let (mut hits, mut turned) = (0, 0);
    for _ in 0..60_000 {
        let mut hay = Vec::new();
        for _ in 0..1 + rng.next() % 10 {
            match rng.next() % 4 {
                0 => {
                    // A UUID or a hex id's segments, lower-case hex with digits inside.
                    hay.extend_from_slice(rng.pick(&[b"\"", b" ", b"-", b"/", b"x", b":"]));
                    for k in 0..1 + rng.next() % 5 {
                        if k > 0 {
                            hay.extend_from_slice(rng.pick(&[b"-", b"_", b".", b"-"]));
                        }
                        for _ in 0..2 + rng.next() % 12 {
                            hay.push(b"0123456789abcdef"[(rng.next() % 16) as usize]);
                        }
                    }
                    hay.extend_from_slice(rng.pick(&[b"\"", b" ", b"!", b"", b"."]));
                }
                1 => {
                    // A leet value after any byte.
                    hay.extend_from_slice(rng.pick(&[b" ", b"\"", b"=", b"-", b"x", b".", b"#"]));
                    hay.extend_from_slice(rng.pick(LEET_PIECES[..10].as_ref()));
                    hay.extend_from_slice(rng.pick(&[b"", b"1", b"19", b"2024", b"7"]));
                    hay.extend_from_slice(rng.pick(&[b"", b" ", b"\"", b"!", b"#1", b". "]));
                }
                _ => hay.extend_from_slice(rng.pick(LEET_PIECES)),
            }
        }
        let mut run_digit = false;
        for i in 0..hay.len() {
            let word = crate::redact::validate::is_word(hay[i]);
            let first = word && hay[i].is_ascii_digit() && !run_digit;
            run_digit = word && (run_digit || hay[i].is_ascii_digit());
            if !first || i == 0 || !crate::redact::validate::is_word(hay[i - 1]) {
                continue;
            }
            let we = word_end(&hay, i + 1);
            let want = ref_shape_tail(&hay, we) && r24_shaped_password_at(&hay, i).is_some();
            let tail = shape_tail(&hay, i, we);
            let got = tail && shaped_password_at(&hay, i).is_some();
            assert_eq!(got, want, "{i} in {:?}", String::from_utf8_lossy(&hay));
            hits += usize::from(want);
            // Runs the tail let through before (a leet word's first digit) and not now.
            let leet = |b: u8| matches!(b, b'0' | b'1' | b'3' | b'4' | b'5' | b'7');
            let leet_start = leet(hay[i])
                && hay
                    .get(i + 1)
                    .is_some_and(|&b| b.is_ascii_lowercase() || leet(b));
            turned += usize::from(
                !tail && ref_shape_tail(&hay, we) && (8..=20).contains(&(we - i)) && leet_start,
            );
        }
    }
    assert!(
        turned > 2_000 && hits > 1_000,
        "{turned} runs turned away, {hits} shaped passwords"
    );
}

/// The twenty-sixth round's (task cost): a text longer than `REACH` on one line (no `\n`,
/// `\r`, `0xE2` or `0xC2`: no flattened break) read without `line_around` (each finding's
/// window `REACH` bytes each way), and
/// `birth_dates_in`'s years found by two finders called on the rest of the window (no
/// `find_iter`s merged), against the twenty-third round's forms (`ref_record_birth_dates`,
/// `ref_birth_dates_in`): generated one-line records of 4–11 KB of dates of every shape in
/// and out of the birth years, digits, event words, delimiters and personal and other
/// findings, some with one line break, flattened break or other non-ASCII character (`é`
/// takes the fast path, a no-break space and `—` the slow one); and windows
/// of them searched with a callback that stops after a few dates.
#[test]
fn the_long_one_line_records_find_what_the_reference_finds() {
    const PIECES: &[&[u8]] = &[
        b"1984-03-02",
        b"02.03.1984",
        b"2 March 1984",
        b"March 2nd, 1984",
        b"19840302",
        b"20120229",
        b"3/4/85",
        b"19/4/1969",
        b"2024-03-02T10:00",
        b"1985-03-02 10:01",
        b"1916",
        b"2012",
        b"2020",
        b"1919",
        b"191920",
        b"201919",
        b"192",
        b"20",
        b"19",
        b"1",
        b"9",
        b"0",
        b"555-0199",
        b"created ",
        b"order ",
        b"Ticket ",
        b"dob ",
        b"Jane Roe ",
        b"the order was shipped to the customer ",
        b",",
        b";",
        b"|",
        b"\t",
        b"\"",
        b":",
        b" ",
        b" / ",
    ];
    const FOUND: &[(&[u8], Entity)] = &[
        (b"jane@example.com", Entity::Email),
        (b"+44 20 7946 0192", Entity::Phone),
        (b"536-22-1984", Entity::UsSsn),
        (b"4242424242424242", Entity::CreditCard),
        (b"GB82WEST12345698765432", Entity::Iban),
        (b"10.20.19.84", Entity::Ipv4),
        (b"hunter2019", Entity::Password),
    ];
    let detector = super::tests_support::det();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut one_line, mut broken, mut dated, mut stopped) = (0, 0, 0, 0);
    for case in 0..1_200 {
        let mut hay = Vec::new();
        let mut hits = Vec::new();
        let target = 4_000 + (rng.next() % 7_000) as usize;
        // Findings far apart in some texts (windows that do not meet), close in others.
        let every = [3, 5, 40, 400][case % 4];
        let mut bounds = Vec::new();
        while hay.len() < target {
            bounds.push(hay.len());
            if rng.next().is_multiple_of(every) {
                let (text, entity) = FOUND[(rng.next() % FOUND.len() as u64) as usize];
                let prio = (rng.next() % 4) as usize;
                hits.push((Hit::new(entity, hay.len(), hay.len() + text.len()), prio));
                hay.extend_from_slice(text);
            } else {
                hay.extend_from_slice(rng.pick(PIECES));
            }
        }
        // One line break or one non-ASCII character somewhere in every third text.
        if case % 3 == 2 {
            // Between two pieces, so never inside a finding.
            let at = bounds[(rng.next() % bounds.len() as u64) as usize];
            let odd: &[u8] = match rng.next() % 8 {
                0 => b"\n",
                1 => b"\r",
                2 => "\u{23ce}".as_bytes(),
                3 => "\u{21b5}".as_bytes(),
                4 => "\u{b6}".as_bytes(),
                5 => "\u{a0}".as_bytes(),
                6 => "\u{2014}".as_bytes(),
                _ => "\u{e9}".as_bytes(),
            };
            hay.splice(at..at, odd.iter().copied());
            for (h, _) in hits.iter_mut().filter(|(h, _)| h.start >= at) {
                *h = Hit::new(h.entity, h.start + odd.len(), h.end + odd.len());
            }
        }
        let flat = super::records::FLAT_BREAKS
            .iter()
            .any(|f| memchr::memmem::find(&hay, f.as_bytes()).is_some());
        if !flat && !hay.contains(&b'\n') && !hay.contains(&b'\r') {
            one_line += 1;
        } else {
            broken += 1;
        }
        let prio = usize::MAX - (case % 2);
        let mut want = hits.clone();
        ref_record_birth_dates(&hay, &mut want, &detector.date_re, prio);
        super::records::record_birth_dates(&hay, &mut hits, &detector.date_re, prio);
        assert_eq!(hits, want, "case {case}");
        if want.iter().any(|(h, _)| h.entity == Entity::DateOfBirth) {
            dated += 1;
        }
        // A window and a cursor anywhere, and a callback that stops after a few dates.
        for _ in 0..4 {
            let ls = (rng.next() % hay.len() as u64) as usize;
            let le = ls + (rng.next() % (hay.len() - ls + 1) as u64) as usize;
            let from = ls.saturating_sub(8) + (rng.next() % (le - ls + 16) as u64) as usize;
            let stop_after = (rng.next() % 4) as usize;
            let run = |reference: bool| {
                let mut got = Vec::new();
                let mut f = |s: usize, e: usize| {
                    got.push((s, e));
                    got.len() <= stop_after
                };
                if reference {
                    ref_birth_dates_in(&hay, (ls, le), from, &detector.date_re, &mut f);
                } else {
                    super::records::birth_dates_in(&hay, (ls, le), from, &detector.date_re, &mut f);
                }
                got
            };
            let want = run(true);
            assert_eq!(
                run(false),
                want,
                "case {case} window {ls}..{le} from {from}"
            );
            if want.len() > stop_after {
                stopped += 1;
            }
        }
    }
    assert!(
        one_line > 600 && broken > 200 && dated > 800 && stopped > 500,
        "{one_line} one line, {broken} with a break, {dated} with a birth date, {stopped} windows stopped"
    );
}

/// The twenty-sixth round's (task cost): `email_local_digits`, asked before
/// `shaped_password_at`, holds only where that finds nothing: at every digit of generated
/// texts of e-mail addresses whose local parts end in digits, shaped passwords and leet
/// words before `@` and other symbols, and digits after letters before `@` and a digit, a
/// dot, a blank or the end.
#[test]
fn the_email_local_digits_test_holds_only_where_the_shape_test_finds_nothing() {
    const PIECES: &[&[u8]] = &[
        b"jane.roe",
        b"j",
        b"Kanarie",
        b"narwhal",
        b"ALCAchoFA",
        b"G3w1tt3r",
        b"p4ssw0rd",
        b"12",
        b"8102",
        b"1",
        b"1234567",
        b"@",
        b"@example.com",
        b"@mail.co.uk",
        b"@1host",
        b"@.",
        b"?",
        b"#",
        b"$",
        b"_",
        b".",
        b"!",
        b" ",
        b"\"",
        b"=",
        b"x",
        b"E",
    ];
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let (mut asked, mut email, mut found) = (0, 0, 0);
    for _ in 0..60_000 {
        let mut hay = Vec::new();
        for _ in 0..1 + rng.next() % 8 {
            hay.extend_from_slice(rng.pick(PIECES));
            // Every other piece followed by an address's end: digits, `@`, a domain.
            if rng.next().is_multiple_of(2) {
                let digits = 1 + rng.next() % 8;
                hay.extend((0..digits).map(|_| b'0' + (rng.next() % 10) as u8));
                hay.extend_from_slice(rng.pick(&[b"@example.com", b"@m", b"@", b"@9", b"@E"]));
            }
        }
        for i in 0..hay.len() {
            if !hay[i].is_ascii_digit() {
                continue;
            }
            asked += 1;
            let shape = shaped_password_at(&hay, i);
            found += usize::from(shape.is_some());
            if super::pw_shape::email_local_digits(&hay, i) {
                email += 1;
                assert_eq!(shape, None, "{:?} at {i}", String::from_utf8_lossy(&hay));
            }
        }
    }
    assert!(
        email > 5_000 && found > 2_000 && asked > email + 20_000,
        "{email} e-mail digits, {found} shapes found, {asked} digits"
    );
}

/// The twenty-seventh round's (task cost): `birth_dates_in`'s year searches by memchr's AVX2
/// pair finders, called directly where the CPU has AVX2, find what `memmem`'s finders find
/// (the path of a CPU without it, and the reference) and what a naive search finds: both
/// needles at every position of texts of every length from 0 to 100 (around the pair
/// finders' shortest haystack and their vector widths), among look-alikes (`1`, `9`, `2`,
/// `0` apart, `119`, `220`), then 50,000 random texts of up to 300 bytes.
#[test]
fn the_direct_year_searches_find_what_memmem_finds() {
    let finders = super::records::year_finders();
    let needles: [&[u8]; 2] = [b"19", b"20"];
    let mut found = 0;
    let mut check = |s: &[u8]| {
        for (k, needle) in needles.iter().enumerate() {
            let naive = s.windows(2).position(|w| w == *needle);
            assert_eq!(
                finders.find_memmem(k, s),
                naive,
                "{:?}",
                String::from_utf8_lossy(s)
            );
            assert_eq!(
                finders.find(k, s),
                naive,
                "{:?}",
                String::from_utf8_lossy(s)
            );
            found += usize::from(naive.is_some());
        }
    };
    let fills: [&[u8]; 3] = [b"x", b"1 9 2 0 ", b"91 02 1"];
    for len in 0..=100 {
        for fill in fills {
            let base: Vec<u8> = fill.iter().copied().cycle().take(len).collect();
            check(&base);
            for piece in [&b"19"[..], b"20", b"119", b"220", b"1920"] {
                for at in 0..len {
                    let mut s = base.clone();
                    for (j, &b) in piece.iter().enumerate() {
                        if let Some(c) = s.get_mut(at + j) {
                            *c = b;
                        }
                    }
                    check(&s);
                }
            }
        }
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let alphabet = b"01293x -";
    for _ in 0..50_000 {
        let len = (rng.next() % 301) as usize;
        let s: Vec<u8> = (0..len)
            .map(|_| alphabet[(rng.next() % alphabet.len() as u64) as usize])
            .collect();
        check(&s);
    }
    assert!(found > 50_000, "{found} found");
}

/// The twenty-seventh round's (task cost): `evidence_r26n::review`, inlined up to one look at
/// the hits' types, does what its loop (`review_all`, the reference: the twenty-sixth
/// round's `review`) does to every list of hits: 40,000 generated texts of look-alikes
/// (date-times, paths, marks, header names, hex key ids, IBANs), Slack rotation tokens, a
/// token user's URL userinfo and plain secrets, with hits of every entity over their pieces
/// and some entities off. Fails unless over 10,000 lists hold no reviewed hit, over 10,000
/// hold one, and the reference changed over 2,000 of them (a hit dropped or retyped).
#[test]
fn the_review_behind_one_look_does_what_its_loop_does() {
    use super::evidence_r26n::{review, review_all};
    const PIECES: &[&[u8]] = &[
        b"2026-11-26T03:56:07Z",
        b"/home/ops",
        b"xxxx-xxxx",
        b"X-Api-Key",
        b"0dfd8d14",
        b"GB90BQQA33851941565917",
        b"xoxe-1-My0xLTEyMzQ1Njc4OTAxMi0xMjM0NTY3ODkwMTIzLWFiY2RlZg",
        b"https://__token__:Trini_Idad9@pypi.example.org",
        b"Trini_Idad9",
        b"see 1Password",
        b"jane@example.com",
        b" ",
    ];
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let (mut without, mut with, mut changed) = (0, 0, 0);
    for _ in 0..40_000 {
        let mut hay = Vec::new();
        let mut hits = Vec::new();
        for _ in 0..1 + rng.next() % 5 {
            let piece = rng.pick(PIECES);
            let start = hay.len();
            hay.extend_from_slice(piece);
            hay.push(b' ');
            if !rng.next().is_multiple_of(4) {
                let entity = match rng.next() % 6 {
                    0 => Entity::Password,
                    1 => Entity::GenericSecret,
                    _ => Entity::ALL[(rng.next() % Entity::ALL.len() as u64) as usize],
                };
                // Most hits over the whole piece, some over a part (a userinfo's password).
                let (s, e) = if rng.next().is_multiple_of(3) && piece.len() > 2 {
                    let s = start + (rng.next() % (piece.len() as u64 / 2)) as usize;
                    (s, start + piece.len())
                } else {
                    (start, start + piece.len())
                };
                hits.push((Hit::new(entity, s, e), (rng.next() % 3) as usize));
            }
        }
        let mut enabled = [true; Entity::COUNT];
        if rng.next().is_multiple_of(4) {
            enabled[(rng.next() % Entity::COUNT as u64) as usize] = false;
        }
        let mut want = hits.clone();
        review_all(&hay, &mut want, &enabled);
        let mut got = hits.clone();
        review(&hay, &mut got, &enabled);
        assert_eq!(got, want, "{:?}", String::from_utf8_lossy(&hay));
        if hits
            .iter()
            .any(|(h, _)| matches!(h.entity, Entity::Password | Entity::GenericSecret))
        {
            with += 1;
        } else {
            without += 1;
        }
        changed += usize::from(want != hits);
    }
    assert!(
        without > 10_000 && with > 10_000 && changed > 2_000,
        "{without} without a reviewed hit, {with} with one, {changed} changed"
    );
}

// The twenty-eighth round's (task cost): the twenty-seventh round's phone grouping test and
// its blank-aligned tables' loop as they were (the references).

/// `evidence_r27n::no_plan_grouping` as the twenty-seventh round wrote it: every group
/// counted.
fn ref_no_plan_grouping(text: &[u8]) -> bool {
    if text.first() == Some(&b'+') {
        return false;
    }
    let mut groups = [0usize; 4];
    let mut n = 0;
    let mut in_group = false;
    for &b in text {
        if b.is_ascii_digit() {
            if !in_group {
                if n == groups.len() {
                    return false;
                }
                n += 1;
                in_group = true;
            }
            groups[n - 1] += 1;
        } else {
            in_group = false;
        }
    }
    match &groups[..n] {
        [a, b] => *a >= 7 && *b <= 2,
        [4, 6, 5] => true,
        _ => false,
    }
}

#[test]
fn the_phone_grouping_test_by_its_first_group_is_the_count_of_every_group() {
    use super::evidence_r27n::no_plan_grouping;
    const SEPS: &[&[u8]] = &[b" ", b"-", b".", b"(", b") ", b"/", b"+", b"", b"#"];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut held, mut four_first, mut long_first) = (0, 0, 0);
    for _ in 0..200_000 {
        let mut text = Vec::new();
        if rng.next().is_multiple_of(5) {
            text.extend_from_slice(rng.pick(SEPS));
        }
        for _ in 0..rng.next() % 6 {
            // Group lengths near the rule's: 1-2, 4, 5-7, and longer.
            let len = match rng.next() % 4 {
                0 => 1 + rng.next() % 2,
                1 => 4 + rng.next() % 3,
                2 => [4, 6, 5, 7, 8][(rng.next() % 5) as usize],
                _ => rng.next() % 12,
            };
            for _ in 0..len {
                text.push(b'0' + (rng.next() % 10) as u8);
            }
            text.extend_from_slice(rng.pick(SEPS));
        }
        if rng.next().is_multiple_of(2) {
            text.pop();
        }
        let want = ref_no_plan_grouping(&text);
        assert_eq!(
            no_plan_grouping(&text),
            want,
            "{:?}",
            String::from_utf8_lossy(&text)
        );
        held += usize::from(want);
        let first = text
            .iter()
            .skip_while(|b| !b.is_ascii_digit())
            .take_while(|b| b.is_ascii_digit())
            .count();
        four_first += usize::from(first == 4);
        long_first += usize::from(first >= 7);
    }
    assert!(
        held > 2_000 && four_first > 10_000 && long_first > 10_000,
        "{held} held, {four_first} with a first group of four, {long_first} of seven or more"
    );
}

/// `evidence_r27g::blank_table_secrets` as the twenty-seventh round wrote it: every hit
/// looked at in one loop.
fn ref_blank_table_secrets(
    hay: &[u8],
    raw: &mut Vec<(Hit, usize)>,
    enabled: &[bool; Entity::COUNT],
    threshold: f64,
) {
    use super::check::Outcome;
    use super::evidence_r27g::{after_gap, blank_row, line_at, secret_name, TABLE_ROWS};
    if raw.is_empty() || !enabled[Entity::GenericSecret.index()] {
        return;
    }
    let mut done_to = 0;
    for k in 0..raw.len() {
        let h = raw[k].0;
        if h.start < done_to || h.start >= hay.len() {
            continue;
        }
        if !after_gap(hay, h.start) {
            continue;
        }
        let Some((ls, le)) = line_at(hay, h.start) else {
            continue;
        };
        if blank_row(hay, ls, le).is_none_or(|(_, _, vs)| h.start < vs) {
            continue;
        }
        let mut top = ls;
        for _ in 0..TABLE_ROWS {
            if top == 0 {
                break;
            }
            let Some((ps, pe)) = line_at(hay, top - 1) else {
                break;
            };
            if blank_row(hay, ps, pe).is_none() {
                break;
            }
            top = ps;
        }
        let mut row_start = top;
        for _ in 0..2 * TABLE_ROWS + 1 {
            if row_start >= hay.len() {
                break;
            }
            let Some((rs, re)) = line_at(hay, row_start) else {
                break;
            };
            let Some((ns, ne, _)) = blank_row(hay, rs, re) else {
                break;
            };
            if rs != ls && secret_name(&hay[ns..ne]) {
                if let Outcome::Hit(s) = super::evidence_r24s::blank_pair_value(hay, ne, threshold)
                {
                    raw.push((s, usize::MAX - 2));
                }
            }
            done_to = re;
            row_start = re + 1;
        }
    }
}

#[test]
fn the_blank_tables_from_the_first_hit_after_a_gap_find_what_the_loop_finds() {
    use super::evidence_r27g::blank_table_secrets;
    const NAMES: &[&[u8]] = &[
        b"API_KEY",
        b"SESSION_SECRET",
        b"webhook_signing_key",
        b"auth.token",
        b"sort_key",
        b"DB_HOST",
        b"user",
        b"next_token",
        b"clientSecret",
    ];
    const VALUES: &[&[u8]] = &[
        b"74fe9c1d0b8e4a7f93c2d51e6a0b8f47c3d2e1f0",
        b"q8Zt2LmN4vXr7Kp1Wc9Ys3Hd6Bf0Jg5Q",
        b"sk_live_51HxYz2eZvKYlo2C8aT3bQ9rW",
        b"postgres://app:Tr1n1dad_99x@db.internal:5432/app",
        b"https://__token__:pypi-AgEIcHlwaS5vcmcCJGY0@upload.example.org",
        b"localhost",
        b"0dfd8d14",
        b"2026-11-26T03:56:07Z",
        b"hunter2",
        b"<your-key>",
    ];
    // Mostly a table's gap (two blanks or more), sometimes a single blank or a setting's sign.
    const JOINS: &[&[u8]] = &[
        b"  ", b"    ", b"  ", b"\t\t", b" \t", b"   ", b"\t", b" ", b": ", b"=",
    ];
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let (mut found, mut gap_hits, mut none) = (0, 0, 0);
    for _ in 0..30_000 {
        let mut hay = Vec::new();
        let mut hits = Vec::new();
        for _ in 0..1 + rng.next() % 8 {
            match rng.next() % 16 {
                0 => hay.extend_from_slice(b"Some prose: the key is below.\n"),
                1 => hay.extend_from_slice(b"\n"),
                _ => {}
            }
            if rng.next().is_multiple_of(3) {
                hay.extend_from_slice(if rng.next().is_multiple_of(2) {
                    b"  "
                } else {
                    b"\t"
                });
            }
            hay.extend_from_slice(rng.pick(NAMES));
            hay.extend_from_slice(rng.pick(JOINS));
            let value = rng.pick(VALUES);
            let vs = hay.len();
            hay.extend_from_slice(value);
            if !rng.next().is_multiple_of(3) {
                // A hit over the value, or over its part after a `:` (a URL's password).
                let s = match value.iter().rposition(|&b| b == b':') {
                    Some(c) if rng.next().is_multiple_of(2) => vs + c + 1,
                    _ => vs + (rng.next() % 3) as usize,
                };
                let e = (s + 1 + (rng.next() % 30) as usize).min(hay.len());
                let entity = [
                    Entity::Password,
                    Entity::GenericSecret,
                    Entity::StripeKey,
                    Entity::Email,
                ][(rng.next() % 4) as usize];
                hits.push((Hit::new(entity, s.min(e - 1), e), (rng.next() % 3) as usize));
            }
            if rng.next().is_multiple_of(5) {
                hay.extend_from_slice(b"  # note");
            }
            hay.push(if rng.next().is_multiple_of(8) {
                b' '
            } else {
                b'\n'
            });
        }
        if rng.next().is_multiple_of(6) {
            // A hit past the text's end, as a caller's stale hit would be.
            hits.push((Hit::new(Entity::Password, hay.len() + 2, hay.len() + 4), 0));
        }
        let mut enabled = [true; Entity::COUNT];
        if rng.next().is_multiple_of(10) {
            enabled[Entity::GenericSecret.index()] = false;
        }
        let mut want = hits.clone();
        ref_blank_table_secrets(&hay, &mut want, &enabled, 3.0);
        let mut got = hits.clone();
        blank_table_secrets(&hay, &mut got, &enabled, 3.0);
        assert_eq!(got, want, "{:?}", String::from_utf8_lossy(&hay));
        if hits
            .iter()
            .any(|(h, _)| h.start < hay.len() && super::evidence_r27g::after_gap(&hay, h.start))
        {
            gap_hits += 1;
        } else {
            none += 1;
        }
        found += usize::from(want.len() > hits.len());
    }
    assert!(
        found > 600 && gap_hits > 5_000 && none > 5_000,
        "{found} tables found, {gap_hits} texts with a hit after a gap, {none} without"
    );
}

/// The thirtieth round's (task cost): the byte pass's skip in a loop of its own
/// (`bytes::next_scan_byte`) stops where the outer loop's word-by-word skip it replaces
/// stopped (kept here as the reference: a word holding a byte of 0x30..=0x40 jumps to the
/// first such, else 8 bytes on; fewer than 8 left, no skip), from every start of texts of
/// 0..40 bytes drawn mostly from bytes around the range's two ends and the high half.
#[test]
fn the_byte_pass_skip_is_the_word_by_word_skip() {
    use super::bytes::{byte_between_mask, next_scan_byte, word8};
    // The outer loop's steps until the byte it looks at (or the text's end).
    let reference = |hay: &[u8], mut i: usize| {
        while i < hay.len() {
            let Some(w) = word8(hay, i) else {
                return i;
            };
            let mask = byte_between_mask(w, 0x2F, 0x41);
            if mask != 0 {
                return i + (mask.trailing_zeros() / 8) as usize;
            }
            i += 8;
        }
        i
    };
    const EDGE: &[u8] = b"\0 ./09:;?@AZaz\x7f\x80\xaf\xb0\xc0\xff";
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..40_000 {
        let len = (rng.next() % 40) as usize;
        let hay: Vec<u8> = (0..len)
            .map(|_| match rng.next() % 8 {
                0 => rng.next() as u8,
                1..=5 => rng.pick(&b"abcdefgh XYZ\"{},_-\n\t\xc3"[..]),
                _ => rng.pick(EDGE),
            })
            .collect();
        for i in 0..len {
            assert_eq!(
                next_scan_byte(&hay, i),
                reference(&hay, i),
                "{hay:?} from {i}"
            );
        }
    }
    // Every byte value at every place of a word, and none (the skip runs to the tail).
    for b in 0..=255u8 {
        for pos in 0..20 {
            let mut hay = *b"abcdefgh ijklmnop qrs";
            if pos < hay.len() {
                hay[pos] = b;
            }
            for i in 0..hay.len() {
                assert_eq!(
                    next_scan_byte(&hay, i),
                    reference(&hay, i),
                    "{b:#x} at {pos}"
                );
            }
        }
    }
}

/// The byte pass's security-code test after the class bit (`evidence_r29c::
/// code_digits_may_start` once `SHAPE_BEFORE_CODE` is set in `class_before`) is
/// `code_may_start`, the test it stands for, for every byte before the digit and texts of
/// digits, blanks, quotes and letters around it.
#[test]
fn the_code_test_after_the_class_bit_is_code_may_start() {
    use super::evidence_r29c::{code_digits_may_start, code_may_start};
    use super::pw_shape::SHAPE_BEFORE_CODE;
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut met = 0;
    for _ in 0..30_000 {
        let len = 4 + (rng.next() % 12) as usize;
        let mut hay: Vec<u8> = (0..len)
            .map(|_| rng.pick(&b"0123456789 \t:=#)\"'a/-x.(\n"[..]))
            .collect();
        let i = (rng.next() as usize) % len;
        if i > 0 && rng.next().is_multiple_of(4) {
            hay[i - 1] = rng.next() as u8;
        }
        for k in 0..len {
            let fast =
                class_before(&hay, k) & SHAPE_BEFORE_CODE != 0 && code_digits_may_start(&hay, k);
            assert_eq!(fast, code_may_start(&hay, k), "{hay:?} at {k}");
            met += usize::from(fast);
        }
    }
    for b in 0..=255u8 {
        for tail in [&b"123 "[..], b"1234", b"12", b"123a", b"12345"] {
            let mut hay = b"ab\t".to_vec();
            hay.push(b);
            let k = hay.len();
            hay.extend_from_slice(tail);
            let fast =
                class_before(&hay, k) & SHAPE_BEFORE_CODE != 0 && code_digits_may_start(&hay, k);
            assert_eq!(fast, code_may_start(&hay, k), "{hay:?}");
        }
    }
    assert!(met > 1_000, "{met} codes may start");
}

/// The number region's walk with its digit runs in a loop of their own
/// (`numbers::region_extent`) is the one-loop walk over `CLASS` it replaces (kept here as the
/// reference): the same end, digits and dots from every digit of generated texts of digits,
/// every separator (the no-break space's two bytes alone and together) and other bytes.
#[test]
fn the_region_walk_is_the_class_walk() {
    use super::numbers::region_extent;
    use super::patterns::{CLASS, C_DIGIT, C_NUMSEP};
    let reference = |hay: &[u8], i: usize| {
        let n = hay.len();
        let mut e = i;
        let mut digits = 0usize;
        let mut dots = 0usize;
        while e < n {
            match CLASS[usize::from(hay[e])] {
                C_DIGIT => digits += 1,
                C_NUMSEP => {
                    if hay[e] == b'.' {
                        dots += 1;
                    }
                    if e + 2 < n
                        && CLASS[usize::from(hay[e + 1])] == C_NUMSEP
                        && CLASS[usize::from(hay[e + 2])] == C_NUMSEP
                        && hay[e] != 0xC2
                        && hay[e + 1] != 0xC2
                    {
                        break;
                    }
                }
                _ => break,
            }
            e += 1;
        }
        (e, digits, dots)
    };
    // `CLASS` holds `C_DIGIT` for the ASCII digits alone (the digit runs' test).
    for b in 0..=255u8 {
        assert_eq!(
            CLASS[usize::from(b)] == C_DIGIT,
            b.is_ascii_digit(),
            "{b:#x}"
        );
    }
    let mut rng = Rng(0x6A09_E667_F3BC_C908);
    let mut long = 0;
    for _ in 0..40_000 {
        let len = 1 + (rng.next() % 30) as usize;
        let hay: Vec<u8> = (0..len)
            .map(|_| match rng.next() % 10 {
                0..=4 => b'0' + (rng.next() % 10) as u8,
                5..=7 => rng.pick(&b" .-/()+\xc2\xa0"[..]),
                8 => rng.pick(&b"aZ:x,\"\n\t_"[..]),
                _ => rng.next() as u8,
            })
            .collect();
        for i in 0..len {
            if hay[i].is_ascii_digit() {
                let got = region_extent(&hay, i);
                assert_eq!(got, reference(&hay, i), "{hay:?} from {i}");
                long += usize::from(got.1 >= 7);
            }
        }
    }
    assert!(long > 10_000, "{long} regions of 7 digits or more");
}
