//! Number-shaped identifiers: payment cards (Luhn and issuer ranges), US SSNs, IBANs (country
//! lengths table and mod 97).

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

pub(super) fn prefix_num(digits: &[u8], n: usize) -> u32 {
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

pub(super) fn all_same(d: &[u8]) -> bool {
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

/// `ssn_ok` on nine ASCII digits (`area`, `group`, `serial` read from them).
pub(crate) fn ssn_digits_ok(d: &[u8]) -> bool {
    let num = |r: std::ops::Range<usize>| {
        d[r].iter()
            .fold(0u32, |a, x| a * 10 + u32::from(x.wrapping_sub(b'0')))
    };
    d.len() == 9 && ssn_ok(num(0..3), num(3..5), num(5..9))
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
pub(super) const IBAN_LENGTHS: &[(&[u8; 2], usize)] = &[
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
