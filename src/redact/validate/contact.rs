//! Contact and network identifiers: e-mail addresses (with the TLD list), phone numbers
//! (shape, grouping, context), IPv4 and IPv6 addresses.

use super::numbers::all_same;
use super::phone_plan::{CALLING_CODES, NATIONAL};

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
                b'.' => dot_seps += 1,
                b'-' | b'/' => slash_or_dash_seps += 1,
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
    // A file or case reference written number `/` year (`12345/2024`, `Az. 0815/2023`): a
    // phone only with a context word or a phone-like key.
    if !shape.context
        && ng == 2
        && groups[1] == 4
        && t.len() == nd + 1
        && t[groups[0]] == b'/'
        && matches!(&d[groups[0]..groups[0] + 2], b"19" | b"20")
    {
        return false;
    }
    let max_group = groups.iter().copied().max().unwrap_or(0);
    // Decimal numbers and dotted version strings (a number written `030.121930` or
    // `07400.054827`, with a leading zero, is no decimal).
    // A decimal never starts with `0` and another digit (`06.12345678` is a trunk number).
    let trunk_dotted = d[0] == b'0' && groups[0] >= 2;
    if !parens
        && !plus
        && dot_seps > 0
        && ((ng <= 2 && !trunk_dotted) || dot_seps >= 3 && groups.contains(&1))
    {
        return false;
    }
    // International (`+`, `00`): the calling code must exist and the national number fit
    // its plan (lengths, leading digits) — the `+` alone is not evidence enough.
    // With a context word or a phone key, that context is the evidence.
    // A NANP number (`+1`) has ten digits after the `1`, whatever the context
    // (`customer_phone: "+1 555 0100"` is a documentation stand-in).
    if plus {
        let nanp_short = d[0] == b'1' && nd != 11;
        return nd >= 8 && max_group >= 2 && !nanp_short && (shape.context || intl_plan_ok(d));
    }
    if d.starts_with(b"00") && d.get(2).is_some_and(|&b| b != b'0') {
        return shape.context || (nd >= 9 && intl_plan_ok(&d[2..]));
    }
    // Dates: 4-2-2, 2-2-4, 1/2-1/2-4 with date separators (and a time after them:
    // `12.05.2024 13:45` reaches here as `12.05.2024 13`).
    if !parens && ng >= 3 && (dot_seps + slash_or_dash_seps) >= 2 && date_head(t) {
        let (a, b, c) = (groups[0], groups[1], groups[2]);
        if (a == 4 && b <= 2 && c <= 2) || (a <= 2 && b <= 2 && (c == 4 || c == 2)) {
            return false;
        }
    }
    // ISBN-13 (978/979-…) with hyphens is a book, not a phone.
    if nd == 13 && (d.starts_with(b"978") || d.starts_with(b"979")) && slash_or_dash_seps > 0 {
        return false;
    }
    // The SSN shape 3-2-4 is not a phone format.
    if ng == 3 && groups == [3, 2, 4] && !parens {
        return false;
    }
    if shape.context {
        // A context word or a phone-like key is the evidence: a bare run of a plausible
        // length, or any grouping of two digits or more.
        return if ng == 1 && !parens {
            bare_phone_ok(d) || (8..=13).contains(&nd)
        } else {
            groups.iter().all(|&g| g >= 2) || national_layout_ok(d, groups, parens)
        };
    }
    // No context: a national number of a supported locale's plan, written the way phones
    // are (grouped; a bare run of digits is an order or ticket number as often as a phone).
    // NANP numbers are written `(AAA) EEE-SSSS`, `AAA-EEE-SSSS` or `AAA.EEE.SSSS`; three
    // groups of digits split by spaces alone are as often lot or part numbers.
    let spaced = dot_seps == 0 && slash_or_dash_seps == 0;
    // An airline ticket's number: the airline's three-digit code, a dash, a ten-digit serial
    // (`billet électronique 075-7244908873`); no national plan writes a phone so.
    if groups == [3, 10] && slash_or_dash_seps == 1 {
        return false;
    }
    (ng > 1 || parens)
        && !service_number(d)
        && national_layout_ok(d, groups, parens)
        && !(spaced
            && !parens
            && groups == [3, 3, 4]
            && nanp_ok(d)
            && !(d[0] == b'3' && plan_ok("IT", d)))
}

/// A national number (no `+`/`00`) of one of the supported locales' plans, grouped as such
/// numbers are written: with the trunk `0` (GB, DE, FR, NL; Italian landlines keep it),
/// NANP `(AAA) EEE-SSSS` / `AAA-EEE-SSSS` / `1-AAA-EEE-SSSS`, Spanish 9-digit numbers
/// starting 6–9, Italian mobiles starting 3. Every group has two digits or more.
fn national_layout_ok(d: &[u8], groups: &[usize], parens: bool) -> bool {
    if groups.iter().any(|&g| g < 2) && !(groups.len() == 4 && groups[0] == 1 && d[0] == b'1') {
        return false;
    }
    // Pairs come in runs: a last group of two follows only groups of two after the first
    // (`01 23 45 67 89`, `612 34 56 78`; `4432-1189-22` and `770-3312-08` are not phones).
    if groups.len() >= 3 && groups[groups.len() - 1] == 2 && groups[1..].iter().any(|&g| g != 2) {
        return false;
    }
    match d[0] {
        b'0' => {
            plan_ok("GB", &d[1..])
                || plan_ok("DE", &d[1..])
                || plan_ok("FR", &d[1..])
                || plan_ok("NL", &d[1..])
                || plan_ok("IT", d)
        }
        b'1' => d.len() == 11 && groups == [1, 3, 3, 4] && nanp_ok(&d[1..]),
        b'3' if !parens && (9..=10).contains(&d.len()) && groups[0] == 3 && plan_ok("IT", d) => {
            true
        }
        // Not two then seven digits: that is a US employer id's shape (`EIN 82-6939743`),
        // and no Spanish number is written so (`91 123 45 67`, `612 34 56 78`).
        b'6'..=b'9'
            if !parens
                && d.len() == 9
                && (2..=3).contains(&groups[0])
                && groups != [2, 7]
                && plan_ok("ES", d) =>
        {
            true
        }
        _ => d.len() == 10 && (groups == [3, 3, 4] || (parens && groups[0] == 3)) && nanp_ok(d),
    }
}

/// A national number in a freephone, shared-cost or premium-rate range (`0800 218 338`,
/// `0900-793 252`, `0808 …` in GB, FR, NL, DE and IT with the trunk `0`; Spain's and Italy's
/// nine-digit `800 642 526`, `900 …`, `901 …`, `902 650 207`): a business's hotline, which no
/// person holds, so without a phone word it is no personal phone.
fn service_number(d: &[u8]) -> bool {
    matches!(
        d.get(..4),
        Some(b"0800" | b"0808" | b"0900" | b"0906" | b"0909")
    ) || (d.len() == 9 && matches!(d.get(..3), Some(b"800" | b"900" | b"901" | b"902")))
}

/// A ten-digit NANP number: an area code in use in the US or Canada, an exchange 2–9.
fn nanp_ok(d: &[u8]) -> bool {
    d.len() == 10 && d[3] >= b'2' && (plan_ok("US", d) || plan_ok("CA", d))
}

/// The text starts with a date: `dd.mm.yyyy`, `yyyy-mm-dd`, `m/d/yy` (three groups of
/// digits joined by one date separator, the year first or last).
fn date_head(t: &[u8]) -> bool {
    let mut groups = [0usize; 3];
    let mut seps = [0u8; 2];
    let mut g = 0;
    let mut end = t.len();
    for (i, &b) in t.iter().enumerate() {
        if b.is_ascii_digit() {
            groups[g] += 1;
        } else if g < 2 && groups[g] > 0 && matches!(b, b'.' | b'-' | b'/') {
            seps[g] = b;
            g += 1;
        } else {
            end = i;
            break;
        }
    }
    // The date ends the text, or a time follows after a space (`06-13-52-69-62` goes on).
    let [a, b, c] = groups;
    g == 2
        && (end == t.len() || t[end] == b' ')
        && seps[0] == seps[1]
        && ((a == 4 && (1..=2).contains(&b) && (1..=2).contains(&c))
            || ((1..=2).contains(&a) && (1..=2).contains(&b) && (c == 4 || c == 2)))
}

fn digits_value(d: &[u8]) -> usize {
    d.iter().fold(0usize, |a, &b| {
        a * 10 + usize::from(b.wrapping_sub(b'0') % 10)
    })
}

/// `nsn` is a valid national significant number of `region` (one of the supported locales):
/// its three-digit prefix begins numbers of its length (libphonenumber's metadata).
pub(crate) fn plan_ok(region: &str, nsn: &[u8]) -> bool {
    if nsn.len() < 4 || nsn.len() >= 32 {
        return false;
    }
    let Some((_, _, entries)) = NATIONAL.iter().find(|(r, _, _)| *r == region) else {
        return false;
    };
    let prefix = digits_value(&nsn[..3]) as u16;
    entries
        .binary_search_by_key(&prefix, |&(p, _)| p)
        .is_ok_and(|i| entries[i].1 >> nsn.len() & 1 == 1)
}

/// `d` (the digits after `+` or `00`) is a calling code followed by a national number that
/// fits that code's plan (length and first two digits; a trunk `0` written as `(0)` or
/// kept by mistake is skipped).
pub(crate) fn intl_plan_ok(d: &[u8]) -> bool {
    // Calling codes are prefix-free: the first one found is the one.
    for cc_len in 1..=3 {
        if d.len() < cc_len + 4 {
            return false;
        }
        let cc = digits_value(&d[..cc_len]) as u16;
        if let Ok(i) = CALLING_CODES.binary_search_by_key(&cc, |r| r.0) {
            let (_, lengths, prefixes) = CALLING_CODES[i];
            let fits = |n: &[u8]| {
                n.len() >= 2
                    && n.len() < 32
                    && lengths >> n.len() & 1 == 1
                    && prefixes >> digits_value(&n[..2]) & 1 == 1
            };
            let nsn = &d[cc_len..];
            return fits(nsn) || (nsn[0] == b'0' && fits(&nsn[1..]));
        }
    }
    false
}

/// A whole value under a key naming a message's endpoint (`KeyClass::Party`) that is a
/// phone written as one bare run of 9–15 digits: E.164 without its `+` (`4915116530080`: a
/// calling code, and a national number that fits its plan with no trunk `0`, which Italy's
/// plan keeps: `390261603900`), as SMS gateways' JSON APIs write numbers (Vonage's
/// `from`/`to`), or a national number of a supported locale's plan (`0123458709`,
/// `07439132921`, NANP `2015605688`, an Italian mobile `3122840479`, a Spanish `612591648`).
/// Alone, bare runs of these lengths are ids as often as phones
/// (`benches/fmt_r26_population.py`). Twenty-sixth round, task fmt.
pub(crate) fn party_number_ok(d: &[u8]) -> bool {
    if !(9..=15).contains(&d.len()) || !d.iter().all(u8::is_ascii_digit) || all_same(d) {
        return false;
    }
    if d[0] == b'0' {
        return d[1] != b'0'
            && (plan_ok("GB", &d[1..])
                || plan_ok("DE", &d[1..])
                || plan_ok("FR", &d[1..])
                || plan_ok("NL", &d[1..])
                || plan_ok("IT", d));
    }
    if nanp_ok(d)
        || (d[0] == b'3' && plan_ok("IT", d))
        || (d.len() == 9 && d[0] >= b'6' && plan_ok("ES", d))
    {
        return true;
    }
    // E.164 drops the trunk `0` that `intl_plan_ok` forgives (but Italy's).
    intl_plan_ok(d)
        && (1..=3)
            .map(|cc_len| (cc_len, digits_value(&d[..cc_len]) as u16))
            .find(|&(_, cc)| CALLING_CODES.binary_search_by_key(&cc, |r| r.0).is_ok())
            .is_some_and(|(cc_len, cc)| d[cc_len] != b'0' || cc == 39)
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
