//! The twentieth round's cost work (task cost): each fast path pinned to the slow path it
//! stands for, on generated inputs. The byte pass's shape test (`pw_shape::shape_tail`'s
//! length bound, `shaped_password_at`'s stop at an earlier digit) against the nineteenth
//! round's test, kept here as the reference, with the twentieth round's leet call as task sec
//! wrote it (the bound lets a leet word through by `leet_may_start`).

use super::bytes::word_end;
use super::pw_shape::{shape_tail, shaped_password_at};
use super::Hit;
use crate::redact::entity::Entity;

/// Deterministic pseudo-random numbers (xorshift), so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, from: &[&'a [u8]]) -> &'a [u8] {
        from[(self.next() % from.len() as u64) as usize]
    }
}

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
        // the twentieth round's leet words (task sec), as that task wrote the call: its own
        // test is `leet_password_at`'s, unbounded by the fast paths pinned here
        if !prev.is_ascii_alphabetic() {
            return None;
        }
        return super::pw_shape::leet_password_at(hay, i);
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
