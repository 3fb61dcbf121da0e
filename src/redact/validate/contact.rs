//! Contact and network identifiers: e-mail addresses (with the TLD list), phone numbers
//! (shape, grouping, context), IPv4 and IPv6 addresses.

use super::numbers::all_same;

/// `tld::TLDS` as a hash set (one FNV hash instead of a binary search of ~11 compares).
pub(super) static TLD_SET: std::sync::LazyLock<
    std::collections::HashSet<&'static [u8], super::super::json::FnvBuild>,
> = std::sync::LazyLock::new(|| {
    super::super::tld::TLDS
        .iter()
        .map(|t| t.as_bytes())
        .collect()
});

/// The two- and three-letter TLDs (most of them, and most of what mail uses) as a bit set
/// over their letters: `tld_ok` answers those without hashing.
pub(super) static SHORT_TLDS: std::sync::LazyLock<Box<[u64]>> = std::sync::LazyLock::new(|| {
    let mut bits = vec![0u64; (26 * 26 + 26 * 26 * 26) / 64 + 1].into_boxed_slice();
    for t in super::super::tld::TLDS {
        if let Some(i) = short_tld_index(t.as_bytes()) {
            bits[i / 64] |= 1 << (i % 64);
        }
    }
    bits
});

/// The bit of a two- or three-letter name (any case) in `SHORT_TLDS`.
pub(super) fn short_tld_index(t: &[u8]) -> Option<usize> {
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
pub(super) fn bare_phone_ok(d: &[u8]) -> bool {
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
