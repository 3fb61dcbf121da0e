//! Validators run on regex candidates: Luhn + IIN ranges, SSN rules, IBAN mod-97 and
//! country lengths, email syntax + TLD list, phone shapes, IPv4/IPv6, JWT header, entropy.
//!
//! Layout: `numbers` (cards, SSNs, IBANs), `contact` (e-mail, phones, IP addresses); the
//! secret checks (JWT header, entropy, character classes) are here.

use base64::Engine as _;

mod contact;
mod numbers;
mod phone_plan;

pub(crate) use contact::{email_ok, ipv4_ok, ipv6_ok, party_number_ok, phone_ok, PhoneShape};
pub(crate) use numbers::{card_ok, iban_length, iban_ok, ssn_digits_ok, ssn_ok};

/// True if `b` is an ASCII letter, digit or underscore (a regex `\w` byte).
pub(crate) fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A JWT's header segment must decode (base64url) to a JSON object with an `alg`.
pub(crate) fn jwt_header_ok(token: &[u8]) -> bool {
    let header = token.split(|&b| b == b'.').next().unwrap_or_default();
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let trimmed: &[u8] = match header.iter().rposition(|&b| b != b'=') {
        Some(p) => &header[..=p],
        None => return false,
    };
    let Ok(bytes) = engine.decode(trimmed) else {
        return false;
    };
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(m)) => m.contains_key("alg") || m.contains_key("typ"),
        _ => false,
    }
}

/// HTTP Basic credentials (`Authorization: Basic …`): standard base64 of printable
/// `user:password` text, a non-empty password after the `:`.
pub(crate) fn basic_credentials(token: &[u8]) -> bool {
    let engine = base64::engine::general_purpose::STANDARD;
    let Ok(bytes) = engine.decode(token) else {
        return false;
    };
    let Some(colon) = bytes.iter().position(|&b| b == b':') else {
        return false;
    };
    colon > 0
        && colon + 1 < bytes.len()
        && bytes
            .iter()
            .all(|&b| b.is_ascii_graphic() || b == b' ' || b >= 0x80)
        && std::str::from_utf8(&bytes).is_ok()
}

/// Shannon entropy in bits per byte.
pub(crate) fn shannon_entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        counts[usize::from(b)] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// True if a secret-looking value mixes character classes (not a plain word or number).
pub(crate) fn mixed_classes(s: &[u8]) -> bool {
    let lower = s.iter().any(u8::is_ascii_lowercase);
    let upper = s.iter().any(u8::is_ascii_uppercase);
    let digit = s.iter().any(u8::is_ascii_digit);
    let other = s.iter().any(|b| !b.is_ascii_alphanumeric());
    [lower, upper, digit, other].iter().filter(|&&x| x).count() >= 2
}

/// Documentation examples published by the vendors (AWS's IAM guide, Stripe's API reference,
/// jwt.io's debugger, Google Cloud's API-key pages): keys everyone copies and no one can use.
const KNOWN_EXAMPLES: [&[u8]; 7] = [
    b"AKIAIOSFODNN7EXAMPLE",
    b"AKIAI44QH8DHBEXAMPLE",
    b"AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",
    b"sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    b"sk_test_BQokikJOvBiI2HlWgH4olfQ2",
    b"sk_test_26PHem9AhJZvU623DfE1x4sd",
    b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
];

/// True if a matched secret (prefix included) is a documentation example or an obvious
/// placeholder, not a credential: a published example key; a word no generated key holds
/// (`EXAMPLE`, `your`, `here`, `dummy`, …; four-letter words only in one case, which a random
/// key holds with odds below 1e-7 per position); six or more of the same character in a row
/// (`xxxxxx`, `000000`); an ascending run of ten (`1234567890`, `abcdefghij`).
pub(crate) fn secret_placeholder(token: &[u8]) -> bool {
    if KNOWN_EXAMPLES.contains(&token) {
        return true;
    }
    // A JWT is base64 of JSON, not random text: only the published examples.
    if token.starts_with(b"eyJ") {
        return false;
    }
    // Past the vendor prefix (`sk_test_` names Stripe's test mode, not a placeholder).
    const PREFIXES: [&[u8]; 10] = [
        b"sk_test_",
        b"rk_test_",
        b"sk_live_",
        b"rk_live_",
        b"sk-ant-",
        b"sk-proj-",
        b"sk-",
        b"github_pat_",
        b"xox",
        b"xapp-",
    ];
    let body = PREFIXES
        .iter()
        .find_map(|p| token.strip_prefix(*p))
        .unwrap_or(token);
    placeholder_body(body)
}

/// A JWT whose signature is a placeholder: masked (`XXXX…`, six or more of one character),
/// a placeholder word (`signature`, `example`, …), or left out for a template
/// (`eyJ….eyJ….<signature>`: the match ends at the last `.`, `after` is the next byte).
pub(crate) fn jwt_signature_placeholder(token: &[u8], after: Option<u8>) -> bool {
    let Some(dot) = token.iter().rposition(|&b| b == b'.') else {
        return false;
    };
    let sig = &token[dot + 1..];
    if sig.is_empty() {
        return matches!(after, Some(b'<' | b'{' | b'[' | b'*' | b'.' | b'$'));
    }
    placeholder_body(sig)
        || sig.windows(9).any(|w| w.eq_ignore_ascii_case(b"signature"))
        || jwt_documentation_example(token, sig)
}

/// A documentation example JWT: its signature decodes to text (`this-is-an-example-signature`;
/// a real one is random bytes: 16 or more all printable happen once in 2^24 or fewer), or its
/// payload is a documentation subject: `{"sub":"example"}`, jwt.io's `"sub":"1234567890"`
/// with `"name":"John Doe"`.
fn jwt_documentation_example(token: &[u8], sig: &[u8]) -> bool {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let decode = |seg: &[u8]| {
        let seg = &seg[..seg.iter().rposition(|&b| b != b'=').map_or(0, |p| p + 1)];
        engine.decode(seg).ok()
    };
    if sig.len() >= 22 && decode(sig).is_some_and(|d| d.iter().all(|&b| (0x20..0x7F).contains(&b)))
    {
        return true;
    }
    let Some(payload) = token.split(|&b| b == b'.').nth(1).and_then(decode) else {
        return false;
    };
    let has = |w: &[u8]| memchr::memmem::find(&payload, w).is_some();
    has(b"\"sub\":\"example\"") || (has(b"\"sub\":\"1234567890\"") && has(b"\"John Doe\""))
}

/// `secret_placeholder` past the vendor prefix.
fn placeholder_body(body: &[u8]) -> bool {
    // This runs on every secret found. A run of six equal bytes has `b[i] == b[i+1]`, `b[i+2] == b[i+3]` and
    // `b[i+4] == b[i+5]`; an ascending run of ten steps up by one at `i`, `i+4` and `i+8`.
    // Both are tested at every `i` without branches over shifted slices (the compiler
    // vectorises the folds; a random key passes one position in 4,096 or fewer), and the
    // exact runs are counted only where one holds. The byte loop alone cost ~1,250
    // instructions per 40-byte token (callgrind, 64 KB PII-dense JSON as a value: 257 k
    // per body).
    let runs_possible = {
        let n = body.len();
        let same = n >= 6
            && body[..n - 5]
                .iter()
                .zip(&body[1..n - 4])
                .zip(&body[2..n - 3])
                .zip(&body[3..n - 2])
                .zip(&body[4..n - 1])
                .zip(&body[5..])
                .fold(0u8, |acc, (((((a, b), c), d), e), f)| {
                    acc | (u8::from(a == b) & u8::from(c == d) & u8::from(e == f))
                })
                != 0;
        // Digits ascend through `9` to `0` (`123456789012`).
        let up = |a: &u8, b: &u8| u8::from(b.wrapping_sub(*a) == 1 || b.wrapping_sub(*a) == 0xF7);
        let ascending = n >= 10
            && body[..n - 9]
                .iter()
                .zip(&body[1..n - 8])
                .zip(&body[4..n - 5])
                .zip(&body[5..n - 4])
                .zip(&body[8..n - 1])
                .zip(&body[9..])
                .fold(0u8, |acc, (((((a, b), c), d), e), f)| {
                    acc | (up(a, b) & up(c, d) & up(e, f))
                })
                != 0;
        // Two interleaved ascending runs (`A1B2C3D4E5`: letters and digits each step up by
        // one every second byte), tested at `i`, `i+1`, `i+4` and `i+5`.
        let interleaved = n >= 12
            && body[..n - 11]
                .iter()
                .zip(&body[2..n - 9])
                .zip(&body[1..n - 10])
                .zip(&body[3..n - 8])
                .zip(&body[4..n - 7])
                .zip(&body[6..n - 5])
                .fold(0u8, |acc, (((((a, c), b), d), e), g)| {
                    acc | (up(a, c) & up(b, d) & up(e, g))
                })
                != 0;
        same || ascending || interleaved
    };
    if runs_possible && (has_runs(body) || interleaved_runs(body)) {
        return true;
    }
    // A key ending in a short group repeated (`…abcdefabcdefabcdef`, `…-xxxx-xxxx-xxxx`).
    if repeated_group(body) {
        return true;
    }
    // The set of letters present: only the words whose letters are all there are looked
    // for (a generated hex or base32 key holds none of them).
    let letters = body.iter().fold(0u32, |acc, &b| acc | letter_bit(b));
    PLACEHOLDER_WORDS.iter().any(|&(w, one_case, set)| {
        set & !letters == 0
            && body.windows(w.len()).any(|x| {
                if one_case {
                    x == w || x.iter().zip(w).all(|(a, b)| *a == b.to_ascii_uppercase())
                } else {
                    x.eq_ignore_ascii_case(w)
                }
            })
    })
}

/// The body ends in a group of 2 to 8 bytes repeated: its last `10 + p` bytes have period
/// `p` (`abcdef` three times, `xxxx-` three times), where the random part of a generated key
/// is. A random alphanumeric key ends so with odds near 1e-18 per period, one of digits
/// 1e-10. Compared from the end, a key fails at the first byte 35 times in 36: ~8 compares
/// in all (a search of the whole body for such a run cost 2,400 instructions per key).
fn repeated_group(body: &[u8]) -> bool {
    let n = body.len();
    (2..=8).any(|p| n >= p + 10 && (n - 10 - p..n - p).rev().all(|i| body[i] == body[i + p]))
}

/// Six or more of the same byte in a row, or ten ascending letters or digits (digits may
/// go on from `9` to `0`). A run of six to nine inside 32 hexadecimal digits or more is what
/// random hex holds, not a placeholder's mark (`detect::evidence_r28n::run_in_random_hex`:
/// twenty-eighth round, task prec).
fn has_runs(body: &[u8]) -> bool {
    let (mut same, mut up) = (0u32, 0u32);
    let mut i = 1;
    while i < body.len() {
        let (prev, b) = (body[i - 1], body[i]);
        same = if b == prev { same + 1 } else { 0 };
        up = if (b == prev.wrapping_add(1) && prev.is_ascii_alphanumeric())
            || (prev == b'9' && b == b'0')
        {
            up + 1
        } else {
            0
        };
        if up >= 9 {
            return true;
        }
        if same >= 5 {
            // The run's first byte is `i - 5` (`same` reaches 5 there first); its end:
            let end = i + body[i..].iter().take_while(|&&x| x == b).count();
            if !crate::redact::detect::evidence_r28n::run_in_random_hex(body, i - 5, end) {
                return true;
            }
            (same, up) = (0, 0);
            i = end;
            continue;
        }
        i += 1;
    }
    false
}

/// Two ascending runs interleaved over twelve bytes or more, a letter and a digit in turn
/// (`A1B2C3D4E5F6`, the
/// documentation keys' `AIzaSyA1B2C3D4…`): each byte one above the byte two before it (digits
/// may go on from `9` to `0`), ten times in a row. A random key does so with odds near
/// 62^-10 per position.
fn interleaved_runs(body: &[u8]) -> bool {
    let mut up = 0u32;
    for w in body.windows(3) {
        let (a, b) = (w[0], w[2]);
        // Letters and digits alternate (`112233…`, digits of a generated Slack id, do not).
        let alternate = a.is_ascii_digit() != w[1].is_ascii_digit();
        up = if alternate
            && ((b == a.wrapping_add(1) && a.is_ascii_alphanumeric()) || (a == b'9' && b == b'0'))
        {
            up + 1
        } else {
            0
        };
        if up >= 10 {
            return true;
        }
    }
    false
}

/// The bit of an ASCII letter (either case) in a letter set; 0 for any other byte.
fn letter_bit(b: u8) -> u32 {
    let l = (b | 0x20).wrapping_sub(b'a');
    if l < 26 {
        1 << l
    } else {
        0
    }
}

/// The letters of a lower-case word as a bit set (bit 0: `a`).
const fn letter_set(w: &[u8]) -> u32 {
    let mut set = 0u32;
    let mut i = 0;
    while i < w.len() {
        set |= 1 << (w[i] - b'a');
        i += 1;
    }
    set
}

/// Words no generated key holds: (word, only in one case — all lower or all upper —, its
/// letters). Four-letter words count only in one case (a random key holds `TeSt` now and
/// then; `test` or `TEST` with odds below 1e-7 per position).
const PLACEHOLDER_WORDS: [(&[u8], bool, u32); 10] = [
    (b"example", false, letter_set(b"example")),
    (b"placeholder", false, letter_set(b"placeholder")),
    (b"dummy", false, letter_set(b"dummy")),
    (b"sample", false, letter_set(b"sample")),
    (b"redacted", false, letter_set(b"redacted")),
    (b"replace", false, letter_set(b"replace")),
    (b"your", true, letter_set(b"your")),
    (b"here", true, letter_set(b"here")),
    (b"fake", true, letter_set(b"fake")),
    (b"test", true, letter_set(b"test")),
];

#[cfg(test)]
mod tests;
