//! Validators run on regex candidates: Luhn + IIN ranges, SSN rules, IBAN mod-97 and
//! country lengths, email syntax + TLD list, phone shapes, IPv4/IPv6, JWT header, entropy.

use base64::Engine as _;

/// True if `b` is an ASCII letter, digit or underscore (a regex `\w` byte).
pub(crate) fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Luhn checksum over ASCII digits (other bytes must already be removed).
pub(crate) fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(d.wrapping_sub(b'0'));
        if v > 9 {
            return false;
        }
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum.is_multiple_of(10)
}

fn prefix_num(digits: &[u8], n: usize) -> u32 {
    digits.iter().take(n).fold(0u32, |acc, d| {
        acc * 10 + u32::from(d.wrapping_sub(b'0') % 10)
    })
}

/// Issuer (IIN) prefix and length rules for the card networks in use, including the
/// Mastercard 2-series (2221–2720), Mir, UnionPay, JCB, Diners, Discover, Maestro, RuPay.
pub(crate) fn card_iin_ok(d: &[u8]) -> bool {
    let len = d.len();
    if !(12..=19).contains(&len) {
        return false;
    }
    // One pass over the first six digits; the shorter prefixes are divisions by constants.
    let p6 = prefix_num(d, 6);
    let (p1, p2, p3, p4) = (p6 / 100_000, p6 / 10_000, p6 / 1000, p6 / 100);
    if len == 12 {
        // Only Maestro issues 12-digit numbers.
        return matches!(
            p4,
            5018 | 5020 | 5038 | 5893 | 6304 | 6390 | 6759 | 6761 | 6762 | 6763
        ) || (56..=58).contains(&p2);
    }
    // Maestro: 12 or 16-19 digits. 13-15 digit "Maestro" numbers collide with EAN-13
    // barcodes and are not accepted.
    let maestro_len = len == 12 || len >= 16;
    match p1 {
        4 => matches!(len, 13 | 16 | 19), // Visa
        5 => (51..=55).contains(&p2) && len == 16 || (p2 == 50 || p2 >= 56) && maestro_len, // MC, Maestro
        2 => {
            ((2221..=2720).contains(&p4) && len == 16)                            // MC 2-series
            || ((2200..=2204).contains(&p4) && (16..=19).contains(&len))           // Mir
            || (p4 == 2131 && len == 15)
        } // JCB (old)
        3 => {
            ((p2 == 34 || p2 == 37) && len == 15)                                 // Amex
            || ((300..=305).contains(&p3) || p2 == 36 || p2 == 38 || p2 == 39) && (14..=19).contains(&len) // Diners
            || p2 == 35 && (16..=19).contains(&len)
        } // JCB (issued 3528-3589; 35 is JCB's)
        6 => {
            (16..=19).contains(&len)
                && (p4 == 6011
                    || (644..=649).contains(&p3)
                    || p2 == 65
                    || (622126..=622925).contains(&p6)
                    || p2 == 62
                    || p2 == 60
                    || p2 == 63
                    || p2 == 67
                    || p2 == 64
                    || p2 == 66
                    || p2 == 69
                    || p2 == 68
                    || p2 == 61)
                || (p2 >= 56 && maestro_len)
        } // Discover, UnionPay, RuPay, Maestro
        1 => p4 == 1800 && len == 15, // JCB (old)
        8 => (p2 == 81 || p2 == 82) && (16..=19).contains(&len), // UnionPay/RuPay
        9 => p4 == 9792 && len == 16, // Troy
        _ => false,
    }
}

/// A full card number check on its digits (separators removed).
pub(crate) fn card_ok(digits: &[u8]) -> bool {
    (12..=19).contains(&digits.len()) && card_iin_ok(digits) && luhn(digits) && !all_same(digits)
}

fn all_same(d: &[u8]) -> bool {
    d.windows(2).all(|w| w[0] == w[1])
}

/// US SSN rules: area not 000, 666 or 9xx; group not 00; serial not 0000; not a
/// well-known advertising number.
pub(crate) fn ssn_ok(area: u32, group: u32, serial: u32) -> bool {
    area != 0
        && area != 666
        && area < 900
        && group != 0
        && serial != 0
        && !(area == 78 && group == 5 && serial == 1120)
        && !(area == 219 && group == 9 && serial == 9999)
        && !(area == 123 && group == 45 && serial == 6789)
}

/// IBAN length for a country code, per the SWIFT IBAN registry.
pub(crate) fn iban_length(cc: &[u8]) -> Option<usize> {
    /// `IBAN_LENGTHS` indexed by the two letters (26 × 26), 0 where there is no IBAN.
    const BY_CODE: [u8; 676] = {
        let mut t = [0u8; 676];
        let mut i = 0;
        while i < IBAN_LENGTHS.len() {
            let (c, n) = IBAN_LENGTHS[i];
            t[(c[0] - b'A') as usize * 26 + (c[1] - b'A') as usize] = n as u8;
            i += 1;
        }
        t
    };
    let [a, b] = cc else {
        return None;
    };
    if !a.is_ascii_uppercase() || !b.is_ascii_uppercase() {
        return None;
    }
    match BY_CODE[usize::from(a - b'A') * 26 + usize::from(b - b'A')] {
        0 => None,
        n => Some(usize::from(n)),
    }
}

/// IBAN lengths per country, from the SWIFT IBAN registry.
const IBAN_LENGTHS: &[(&[u8; 2], usize)] = &[
    (b"AD", 24),
    (b"AE", 23),
    (b"AL", 28),
    (b"AT", 20),
    (b"AZ", 28),
    (b"BA", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"BH", 22),
    (b"BI", 27),
    (b"BR", 29),
    (b"BY", 28),
    (b"CH", 21),
    (b"CR", 22),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DJ", 27),
    (b"DK", 18),
    (b"DO", 28),
    (b"EE", 20),
    (b"EG", 29),
    (b"ES", 24),
    (b"FI", 18),
    (b"FK", 18),
    (b"FO", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GE", 22),
    (b"GI", 23),
    (b"GL", 18),
    (b"GR", 27),
    (b"GT", 28),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IL", 23),
    (b"IQ", 23),
    (b"IS", 26),
    (b"IT", 27),
    (b"JO", 30),
    (b"KW", 30),
    (b"KZ", 20),
    (b"LB", 28),
    (b"LC", 32),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"LY", 25),
    (b"MC", 27),
    (b"MD", 24),
    (b"ME", 22),
    (b"MK", 19),
    (b"MN", 20),
    (b"MR", 27),
    (b"MT", 31),
    (b"MU", 30),
    (b"NI", 28),
    (b"NL", 18),
    (b"NO", 15),
    (b"OM", 23),
    (b"PK", 24),
    (b"PL", 28),
    (b"PS", 29),
    (b"PT", 25),
    (b"QA", 29),
    (b"RO", 24),
    (b"RS", 22),
    (b"RU", 33),
    (b"SA", 24),
    (b"SC", 31),
    (b"SD", 18),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
    (b"SO", 23),
    (b"ST", 25),
    (b"SV", 28),
    (b"TL", 23),
    (b"TN", 24),
    (b"TR", 26),
    (b"UA", 29),
    (b"VA", 22),
    (b"VG", 24),
    (b"XK", 20),
    (b"YE", 30),
];

/// IBAN check on the compact form (no spaces, upper case): country length and mod-97 = 1.
pub(crate) fn iban_ok(compact: &[u8]) -> bool {
    if compact.len() < 15 || !compact[2].is_ascii_digit() || !compact[3].is_ascii_digit() {
        return false;
    }
    if iban_length(&compact[..2]) != Some(compact.len()) {
        return false;
    }
    // Reduced only when large: one division per ~12 characters, not per character.
    let mut rem: u64 = 0;
    for &c in compact[4..].iter().chain(compact[..4].iter()) {
        match c {
            b'0'..=b'9' => rem = rem * 10 + u64::from(c - b'0'),
            b'A'..=b'Z' => rem = rem * 100 + u64::from(c - b'A' + 10),
            _ => return false,
        }
        if rem >= 1 << 50 {
            rem %= 97;
        }
    }
    rem % 97 == 1
}

/// `tld::TLDS` as a hash set (one FNV hash instead of a binary search of ~11 compares).
static TLD_SET: std::sync::LazyLock<
    std::collections::HashSet<&'static [u8], super::json::FnvBuild>,
> = std::sync::LazyLock::new(|| super::tld::TLDS.iter().map(|t| t.as_bytes()).collect());

/// The two- and three-letter TLDs (most of them, and most of what mail uses) as a bit set
/// over their letters: `tld_ok` answers those without hashing.
static SHORT_TLDS: std::sync::LazyLock<Box<[u64]>> = std::sync::LazyLock::new(|| {
    let mut bits = vec![0u64; (26 * 26 + 26 * 26 * 26) / 64 + 1].into_boxed_slice();
    for t in super::tld::TLDS {
        if let Some(i) = short_tld_index(t.as_bytes()) {
            bits[i / 64] |= 1 << (i % 64);
        }
    }
    bits
});

/// The bit of a two- or three-letter name (any case) in `SHORT_TLDS`.
fn short_tld_index(t: &[u8]) -> Option<usize> {
    let letter = |b: u8| {
        b.is_ascii_alphabetic()
            .then(|| usize::from((b | 0x20) - b'a'))
    };
    match *t {
        [a, b] => Some(letter(a)? * 26 + letter(b)?),
        [a, b, c] => Some(26 * 26 + (letter(a)? * 26 + letter(b)?) * 26 + letter(c)?),
        _ => None,
    }
}

/// True if `tld` (any case) is a delegated top-level domain.
pub(crate) fn tld_ok(tld: &[u8]) -> bool {
    if tld.len() < 2 || tld.len() > 63 {
        return false;
    }
    if tld.len() <= 3 {
        if let Some(i) = short_tld_index(tld) {
            return SHORT_TLDS[i / 64] & (1 << (i % 64)) != 0;
        }
    }
    let mut buf = [0u8; 63];
    let lower = &mut buf[..tld.len()];
    lower.copy_from_slice(tld);
    lower.make_ascii_lowercase();
    TLD_SET.contains(&*lower)
}

/// Email syntax on a candidate `local@domain`: dot rules, label rules, lengths, real TLD.
pub(crate) fn email_ok(local: &[u8], domain: &[u8]) -> bool {
    if local.is_empty() || local.len() > 64 || domain.len() > 253 {
        return false;
    }
    if local[0] == b'.' || local[local.len() - 1] == b'.' || local.windows(2).any(|w| w == b"..") {
        return false;
    }
    let mut labels = 0;
    let mut last: &[u8] = &[];
    for label in domain.split(|&b| b == b'.') {
        if label.is_empty()
            || label.len() > 63
            || label[0] == b'-'
            || label[label.len() - 1] == b'-'
        {
            return false;
        }
        labels += 1;
        last = label;
    }
    labels >= 2 && tld_ok(last)
}

/// How a phone candidate was written, for the shape rules.
pub(crate) struct PhoneShape<'a> {
    /// The candidate text without any extension.
    pub text: &'a [u8],
    /// True if a context word (phone, tel, mobile, …) or a phone-like JSON key precedes it.
    pub context: bool,
}

/// Phone number rules on a candidate: 7–15 digits; `+` / `00` international forms;
/// national forms with separators or a trunk `(0…)`; bare digit runs only when NANP-valid,
/// trunk-prefixed, or in a phone context; dates, decimals and digit lists rejected.
pub(crate) fn phone_ok(shape: &PhoneShape<'_>) -> bool {
    let t = shape.text;
    let mut digits = [0u8; 24];
    let mut nd = 0usize;
    let mut groups = [0usize; 24];
    let mut ng = 0usize;
    let mut cur = 0usize;
    let mut seps = 0usize;
    let mut dot_seps = 0usize;
    let mut slash_or_dash_seps = 0usize;
    let mut parens = false;
    for &b in t {
        if b.is_ascii_digit() {
            if nd == digits.len() {
                return false;
            }
            digits[nd] = b;
            nd += 1;
            cur += 1;
        } else {
            if cur > 0 {
                if ng == groups.len() {
                    return false;
                }
                groups[ng] = cur;
                ng += 1;
                cur = 0;
            }
            match b {
                b'(' | b')' => parens = true,
                b'.' => {
                    seps += 1;
                    dot_seps += 1
                }
                b'-' | b'/' => {
                    seps += 1;
                    slash_or_dash_seps += 1
                }
                b' ' => seps += 1,
                _ => {}
            }
        }
    }
    if cur > 0 && ng < groups.len() {
        groups[ng] = cur;
        ng += 1;
    }
    let d = &digits[..nd];
    let groups = &groups[..ng];
    let plus = t.first() == Some(&b'+');
    if !(7..=15).contains(&nd) || groups.is_empty() {
        return false;
    }
    if all_same(d) {
        return false;
    }
    let max_group = groups.iter().copied().max().unwrap_or(0);
    if plus {
        return nd >= 8 && max_group >= 2;
    }
    // Two-digit groups only in the French/Benelux style "01 23 45 67 89".
    let paired_trunk = nd == 10 && d[0] == b'0' && ng == 5;
    if max_group < 3 && !paired_trunk {
        return false;
    }
    // Dates: 4-2-2, 2-2-4, 1/2-1/2-4 with date separators and nothing else.
    if !parens && ng == 3 && (dot_seps + slash_or_dash_seps) >= 2 {
        let (a, b, c) = (groups[0], groups[1], groups[2]);
        if (a == 4 && b <= 2 && c <= 2) || (a <= 2 && b <= 2 && (c == 4 || c == 2)) {
            return false;
        }
    }
    // Decimal numbers and dotted version strings.
    if !parens && dot_seps > 0 && ng <= 2 {
        return false;
    }
    if ng == 1 && !parens {
        // A bare digit run.
        return bare_phone_ok(d) || (shape.context && (8..=13).contains(&nd));
    }
    // ISBN-13 (978/979-…) with hyphens is a book, not a phone.
    if nd == 13 && (d.starts_with(b"978") || d.starts_with(b"979")) && slash_or_dash_seps > 0 {
        return false;
    }
    // The SSN shape 3-2-4 is not a phone format.
    if ng == 3 && groups == [3, 2, 4] && !parens {
        return false;
    }
    if d.len() >= 3 && d[0] == b'0' && d[1] == b'0' && d[2] != b'0' {
        // 00 international prefix.
        return nd >= 9 || shape.context;
    }
    if nd < 9 && !shape.context {
        return false;
    }
    // Space-separated lists of small numbers ("12 345 678 9") look nothing like phones.
    if seps > 0 && groups.iter().filter(|&&g| g >= 3).count() < 2 && !parens && !paired_trunk {
        return false;
    }
    nd <= 13 || shape.context
}

/// A bare run of digits that is a phone number by itself: NANP (area and exchange 2–9),
/// optionally with a leading 1, or a 10–11 digit national number with a trunk 0.
fn bare_phone_ok(d: &[u8]) -> bool {
    let nanp =
        |x: &[u8]| x.len() == 10 && x[0] >= b'2' && x[3] >= b'2' && !(x[1] == b'1' && x[2] == b'1');
    match d.len() {
        10 => nanp(d) || (d[0] == b'0' && d[1] != b'0'),
        11 => (d[0] == b'1' && nanp(&d[1..])) || (d[0] == b'0' && d[1] != b'0'),
        _ => false,
    }
}

/// Dotted-quad IPv4 with octets 0–255 and no leading zeros.
pub(crate) fn ipv4_ok(s: &[u8]) -> bool {
    // Four parts of 1–3 digits, each ≤ 255 and without a leading zero, in one pass.
    let (mut parts, mut len, mut value, mut lead_zero) = (1, 0, 0u32, false);
    for &b in s {
        if b == b'.' {
            if len == 0 || parts == 4 {
                return false;
            }
            parts += 1;
            (len, value) = (0, 0);
            continue;
        }
        if !b.is_ascii_digit() || len == 3 || (len == 1 && lead_zero) {
            return false;
        }
        lead_zero = len == 0 && b == b'0';
        value = value * 10 + u32::from(b - b'0');
        len += 1;
        if value > 255 {
            return false;
        }
    }
    parts == 4 && len > 0
}

/// IPv6 in any textual form std accepts, with three non-empty groups or two where one has
/// 3+ digits (so `a::b` in code is not an address, `fe80::1` is).
pub(crate) fn ipv6_ok(s: &[u8]) -> bool {
    // Cheap shape first (times like `10:30:00` and JSON `:123` come here often): seven
    // colons, six with an IPv4 tail, or fewer around one `::`.
    let colons = s.iter().filter(|&&b| b == b':').count();
    let compressed = s.windows(2).any(|w| w == b"::");
    let dotted = s.contains(&b'.');
    if colons < 2 || !(compressed || colons == 7 || (colons == 6 && dotted)) {
        return false;
    }
    let Ok(text) = std::str::from_utf8(s) else {
        return false;
    };
    let groups = text.split(':').filter(|g| !g.is_empty());
    let (n, longest) = groups.fold((0, 0), |(n, l), g| (n + 1, l.max(g.len())));
    (n >= 3 || (n == 2 && longest >= 3)) && text.parse::<std::net::Ipv6Addr>().is_ok()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The next state of a xorshift64 generator (random inputs for the agreement tests).
    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn ipv4_one_pass_agrees_with_splitting() {
        let reference = |s: &[u8]| {
            let mut n = 0;
            for part in s.split(|&b| b == b'.') {
                n += 1;
                if part.is_empty() || part.len() > 3 || (part.len() > 1 && part[0] == b'0') {
                    return false;
                }
                let v = part
                    .iter()
                    .fold(0u32, |a, d| a * 10 + u32::from(d.wrapping_sub(b'0')));
                if v > 255 || !part.iter().all(u8::is_ascii_digit) {
                    return false;
                }
            }
            n == 4
        };
        // Three to five dot-separated parts, mostly number-like.
        let parts: &[&[u8]] = &[
            b"0", b"1", b"25", b"255", b"256", b"99", b"7", b"a", b"", b"00",
        ];
        let mut rng = 0x2545_F491_4F6C_DD1Du64;
        let mut valid = 0;
        for _ in 0..100_000 {
            xorshift(&mut rng);
            let mut t = Vec::new();
            for i in 0..(3 + rng % 3) {
                if i > 0 {
                    t.push(b'.');
                }
                let pick = (rng >> (4 + 4 * i)) % parts.len() as u64;
                t.extend_from_slice(parts[pick as usize]);
            }
            let want = reference(&t);
            assert_eq!(ipv4_ok(&t), want, "{}", String::from_utf8_lossy(&t));
            valid += usize::from(want);
        }
        assert!(valid > 100, "{valid}");
    }

    #[test]
    fn ipv6_shape_check_only_skips_what_the_parser_refuses() {
        let reference = |s: &[u8]| {
            let Ok(text) = std::str::from_utf8(s) else {
                return false;
            };
            let groups = text.split(':').filter(|g| !g.is_empty());
            let (n, longest) = groups.fold((0, 0), |(n, l), g| (n + 1, l.max(g.len())));
            (n >= 3 || (n == 2 && longest >= 3)) && text.parse::<std::net::Ipv6Addr>().is_ok()
        };
        let pieces: &[&[u8]] = &[
            b":",
            b"::",
            b"0",
            b"fe80",
            b"1ff",
            b"db8",
            b".",
            b"10.0.0.1",
            b"a",
        ];
        let mut rng = 0x9E37_79B9_7F4A_7C15u64;
        let mut valid = 0;
        for _ in 0..100_000 {
            let mut t = Vec::new();
            for _ in 0..(1 + rng % 16) {
                xorshift(&mut rng);
                t.extend_from_slice(pieces[(rng % pieces.len() as u64) as usize]);
            }
            let want = reference(&t);
            assert_eq!(ipv6_ok(&t), want, "{}", String::from_utf8_lossy(&t));
            valid += usize::from(want);
        }
        assert!(valid > 100, "{valid}");
    }

    #[test]
    fn short_tlds_agree_with_the_list() {
        let mut rng = 0x2545_F491_4F6C_DD1Du64;
        let mut known = 0;
        for _ in 0..50_000 {
            xorshift(&mut rng);
            let alphabet = b"abcdefghijklmnopqrstuvwxyzAZ0-";
            let len = 2 + (rng % 2) as usize;
            let t: Vec<u8> = (0..len)
                .map(|i| alphabet[((rng >> (8 * i)) % alphabet.len() as u64) as usize])
                .collect();
            let want = TLD_SET.contains(&t.to_ascii_lowercase()[..]);
            assert_eq!(tld_ok(&t), want, "{}", String::from_utf8_lossy(&t));
            known += usize::from(want);
        }
        assert!(known > 1000, "{known}");
        for t in ["com", "COM", "uk", "de", "io", "xyz", "museum", "xn--p1ai"] {
            assert!(tld_ok(t.as_bytes()), "{t}");
        }
        for t in ["zz", "qqq", "c", "co1"] {
            assert!(!tld_ok(t.as_bytes()), "{t}");
        }
    }

    #[test]
    fn iban_lengths_by_code() {
        for (code, n) in IBAN_LENGTHS {
            assert_eq!(iban_length(&code[..]), Some(*n), "{code:?}");
        }
        let mut known = 0;
        for a in 0u8..=255 {
            for b in [b'A', b'B', b'E', b'K', b'Z', b'a', b'0', b'@', b'[', 0xC3] {
                let want = IBAN_LENGTHS
                    .iter()
                    .find(|(c, _)| c[..] == [a, b])
                    .map(|(_, n)| *n);
                assert_eq!(iban_length(&[a, b]), want, "{a} {b}");
                known += usize::from(want.is_some());
            }
        }
        assert!(known > 10, "{known}");
        assert_eq!(iban_length(b"G"), None);
        assert_eq!(iban_length(b"GBX"), None);
    }

    fn digits(s: &str) -> Vec<u8> {
        s.bytes().filter(u8::is_ascii_digit).collect()
    }

    #[test]
    fn cards() {
        let table: &[(&str, bool)] = &[
            ("4111111111111111", true),
            ("4242424242424242", true),
            ("5555555555554444", true),
            ("2221000000000009", true), // MC 2-series low end
            ("2720992720992729", true), // MC 2-series high end (Luhn-valid)
            ("2223003122003222", true),
            ("378282246310005", true),   // Amex
            ("6011111111111117", true),  // Discover
            ("3530111333300000", true),  // JCB
            ("30569309025904", true),    // Diners 14
            ("6200000000000005", true),  // UnionPay
            ("4111111111111112", false), // Luhn fails
            ("2721000000000007", false), // just past the 2-series
            ("1234567812345670", false), // Luhn ok, no issuer
            ("0000000000000000", false),
            ("9111111111111111", false),
        ];
        for (n, want) in table {
            assert_eq!(card_ok(&digits(n)), *want, "{n}");
        }
    }

    #[test]
    fn ssn_rules() {
        assert!(ssn_ok(536, 22, 1234));
        assert!(!ssn_ok(0, 22, 1234));
        assert!(!ssn_ok(666, 22, 1234));
        assert!(!ssn_ok(900, 22, 1234));
        assert!(!ssn_ok(999, 22, 1234));
        assert!(!ssn_ok(536, 0, 1234));
        assert!(!ssn_ok(536, 22, 0));
        assert!(!ssn_ok(78, 5, 1120));
    }

    #[test]
    fn ibans() {
        assert!(iban_ok(b"GB82WEST12345698765432"));
        assert!(iban_ok(b"DE89370400440532013000"));
        assert!(iban_ok(b"FR1420041010050500013M02606"));
        assert!(!iban_ok(b"GB82WEST12345698765433")); // checksum
        assert!(!iban_ok(b"DE8937040044053201300")); // length
        assert!(!iban_ok(b"ZZ89370400440532013000")); // country
    }

    #[test]
    fn emails() {
        assert!(email_ok(b"john.doe", b"example.com"));
        assert!(email_ok(b"a+b", b"mail.co.uk"));
        assert!(email_ok(b"x", b"xn--80ak6aa92e.xn--p1ai"));
        assert!(!email_ok(b"john", b"example.invalid"));
        assert!(!email_ok(b"john", b"host.local"));
        assert!(!email_ok(b"john", b"localhost"));
        assert!(!email_ok(b".john", b"example.com"));
        assert!(!email_ok(b"jo..hn", b"example.com"));
        assert!(!email_ok(b"john", b"-bad.com"));
        assert!(!email_ok(b"logo", b"2x.png"));
    }

    #[test]
    fn phones() {
        let table: &[(&str, bool, bool)] = &[
            ("+1-780-563-6083", false, true),
            ("(591)341-7776", false, true),
            ("206.269.0743", false, true),
            ("+44(0)115 4960914", false, true),
            ("(0161) 4960066", false, true),
            ("+49 (0) 9141 777631", false, true),
            ("04 15 39 15 00", false, true),
            ("+33 (0)1 41 63 60 83", false, true),
            ("(0406)-812415", false, true),
            ("2125551234", false, true),
            ("0961073668", false, true),
            ("3420837783", false, false), // bare, no context
            ("3420837783", true, true),
            ("1732190400", false, false), // unix timestamp
            ("2024-01-15", false, false),
            ("15.01.2024", false, false),
            ("12/31/1999", false, false),
            ("1234567.89", false, false),
            ("1 2 3 4 5 6 7", false, false),
            ("0000000000", false, false),
            ("100023", false, false),
        ];
        for (t, ctx, want) in table {
            let shape = PhoneShape {
                text: t.as_bytes(),
                context: *ctx,
            };
            assert_eq!(phone_ok(&shape), *want, "{t} ctx={ctx}");
        }
    }

    #[test]
    fn ips() {
        assert!(ipv4_ok(b"192.168.0.1"));
        assert!(ipv4_ok(b"8.8.8.8"));
        assert!(!ipv4_ok(b"256.1.1.1"));
        assert!(!ipv4_ok(b"01.2.3.4"));
        assert!(!ipv4_ok(b"1.2.3"));
        assert!(ipv6_ok(b"2001:db8::1"));
        assert!(ipv6_ok(b"fe80::1ff:fe23:4567:890a"));
        assert!(!ipv6_ok(b"10:30:00"));
        assert!(!ipv6_ok(b"00:1a:2b:3c:4d:5e"));
        assert!(!ipv6_ok(b"::"));
    }

    #[test]
    fn jwt_and_entropy() {
        let good = b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc";
        assert!(jwt_header_ok(good));
        assert!(!jwt_header_ok(b"eyJub3Rqc29u.eyJ.x"));
        assert!(shannon_entropy(b"aaaaaaaa") < 0.1);
        assert!(shannon_entropy(b"q8Zr2LmX9pWv4Tn7") > 3.5);
        assert!(mixed_classes(b"abc123"));
        assert!(!mixed_classes(b"password"));
    }
}
