//! Phones under documented keys, tcpdump's IPv6 `ADDR.PORT:` of a full address, and the
//! instance-metadata address (fortieth round, issue #20, task ph; docs/redaction-accuracy.md,
//! "Fortieth round, task ph"; every place counted on every training split by
//! `benches/ph_r40_population.py`).
//!
//! - **libphonenumber's `national_number`** (`PhoneNumber.national_number` in its
//!   `phonenumber.proto`; JSON `nationalNumber`; PayPal's Orders API writes a payer's phone as
//!   `"phone": {"phone_number": {"national_number": …}}`): under a phone key the member is the
//!   phone (`national_number_member`). Alone, its words (`national`, `number`) make it a
//!   national id's key (`KeyClass::TaxId`), whose value is never a phone. Population: 30
//!   places under a `phone_number` object (blind34 13, blind38 17), every one gold PHONE;
//!   main (`m27`) missed 18.
//! - **A formatted number under a message's endpoint key** (`"to": "078 122 89 78"`: SMS
//!   gateways' `to` / `from` / `recipient` / `sender` / `originator`, `KeyClass::Party`):
//!   until now only a bare run of digits was read there (`validate::party_number_ok`); a
//!   value of digits and a phone's separators is now scanned as under a phone key, and kept
//!   only when the scan finds one phone that is the whole value (`party_formatted`).
//!   Population: 669 places on eleven writers' splits, every one gold PHONE; `m27` missed 12.
//! - **tcpdump's `IP6 SRC.PORT > DST.PORT:` with a full destination**: eight groups of four,
//!   `.`, a five-digit port and tcpdump's `:` run 46 bytes, one more than the IPv6 run's
//!   bound (45, an IPv4-embedded address's most) in `check::ipv6_at`; the run was cut before
//!   the `:`, which then stood after it as a word byte. `run_colon_end` lets the run take
//!   that `:` (then read as the `:` that ends an address, `check::ipv6_at`'s `path_colon`),
//!   and `evidence_r34c::tcpdump_ipv6` reads the address as for shorter ones. Population: 50
//!   places after `> ` and before `.PORT:` or before `.PORT > ` (blind33 32, blind38 18),
//!   every one gold IPV6; `m27` missed 6 (each a full eight-group destination).
//! - **`169.254.169.254`**: the link-local (RFC 3927) address every major cloud serves its
//!   instance metadata on (AWS, Azure, GCP, OpenStack document the one address); it names no
//!   host of a person's. Population: 15 places on three writers' splits (blind36 5, blind37
//!   3, blind38 7), none gold; `m27` reported each as IPV4 (`metadata_address`). No other
//!   `169.254.X.Y` stands on the training splits.

/// Whether a member key (any case) is libphonenumber's national significant number
/// (`national_number`, its JSON name `nationalNumber`).
pub(crate) fn national_number_member(key: &str) -> bool {
    key.eq_ignore_ascii_case("national_number") || key.eq_ignore_ascii_case("nationalnumber")
}

/// Whether a value under a message's endpoint key (`KeyClass::Party`) is written as a
/// formatted phone: 7 to 15 digits, and only a phone's separators (blank, `-`, `.`, `(`,
/// `)`, a leading `+`) with at least one of them; not an IPv4 address's shape (four dotted
/// numbers) and not a date's (`2024-01-05`, `05.01.2024`: three groups 4-2-2 or 2-2-4).
pub(crate) fn party_formatted(v: &[u8]) -> bool {
    let body = v.strip_prefix(b"+").unwrap_or(v);
    let digits = body.iter().filter(|b| b.is_ascii_digit()).count();
    if !(7..=15).contains(&digits)
        || digits == body.len()
        || !body
            .iter()
            .all(|&b| b.is_ascii_digit() || matches!(b, b' ' | b'-' | b'.' | b'(' | b')'))
        || !body
            .first()
            .is_some_and(|&b| b.is_ascii_digit() || b == b'(')
        || !body.last().is_some_and(u8::is_ascii_digit)
    {
        return false;
    }
    let groups: Vec<usize> = body
        .split(|b| !b.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .map(<[u8]>::len)
        .collect();
    let dotted_four = groups.len() == 4 && body.iter().filter(|&&b| b == b'.').count() == 3;
    let date = groups == [4, 2, 2] || groups == [2, 2, 4];
    !(dotted_four || date)
}

/// The end of an IPv6 run cut at `e` by its bound (`check::ipv6_at`): one byte further when
/// that byte is a `:` ending the run (no word byte, no `:` after it), as tcpdump's
/// `DST.PORT:` ends a full destination.
#[inline]
pub(super) fn run_colon_end(hay: &[u8], e: usize) -> usize {
    let ends = hay.get(e) == Some(&b':')
        && hay
            .get(e + 1)
            .is_none_or(|&b| !(b.is_ascii_alphanumeric() || b == b'_' || b == b':'));
    if ends {
        e + 1
    } else {
        e
    }
}

/// Whether a dotted quad is the instance-metadata address `169.254.169.254`.
#[inline]
pub(super) fn metadata_address(text: &[u8]) -> bool {
    text == b"169.254.169.254"
}
