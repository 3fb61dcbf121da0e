//! Number evidence of the twenty-third round, task num (issue #20): the structure around an
//! IBAN or a dotted quad that the number rules' word boundaries read wrong.

/// An MT940 statement's `:86:` field written in the ZKA/DATEV structure right before `p`:
/// `?` and a two-digit subfield code (`?31NL71SNSB7119675108?32DAPHNE …`: `?31` holds the
/// counterparty's account or IBAN, `?32`/`?33` the name). The code's digits join the IBAN's
/// country code with no `\b` between, so the IBAN rule's boundary is this separator instead.
/// The value must still pass the country's length and mod 97 (`check_iban`).
pub(super) fn mt940_subfield_before(hay: &[u8], p: usize) -> bool {
    p >= 3 && hay[p - 3] == b'?' && hay[p - 2].is_ascii_digit() && hay[p - 1].is_ascii_digit()
}

/// Whether `word` (the token before a `/` and a dotted quad) is a Squid access log's
/// hierarchy code (`HIER_DIRECT/10.1.2.3`, `FIRSTUP_PARENT/…`, `CLOSEST_PARENT/…`): capitals
/// joined by `_`, how Squid names them, and no product's name in a user agent or a server
/// banner (`curl/7.68.0.1`, `agent/6.5.5.60`), which the product-version rule keeps. The
/// address after it is the server Squid fetched from.
pub(super) fn squid_hierarchy_code(word: &[u8]) -> bool {
    word.contains(&b'_')
        && word.first().is_some_and(u8::is_ascii_uppercase)
        && word.iter().all(|&b| b.is_ascii_uppercase() || b == b'_')
}

/// A GDS itinerary segment's departure and arrival times (`KL535 Y 22JAN 4 AMSFCO HK2  0715
/// 0955`: Amadeus's segment line — flight, class, date, weekday, the city pair's two IATA
/// codes, the status with its count, then the times) at `hay[s..e]`: two four-digit times
/// `HHMM HHMM` after one or two blanks, the status and count (two capitals and one or two
/// digits) and a blank, the city pair (six capitals) before it. Two four-digit groups have
/// a phone's shape; the segment's fields say they are times. Asked of a phone the check has
/// found, out of line: in the check's first rejections it cost clean input +0.7 % (callgrind).
#[inline(never)]
pub(super) fn gds_segment_times(hay: &[u8], s: usize, e: usize) -> bool {
    let Some(t) = hay.get(s..e) else {
        return false;
    };
    let time = |g: &[u8]| {
        g.iter().all(u8::is_ascii_digit)
            && (g[0] - b'0') * 10 + (g[1] - b'0') < 24
            && (g[2] - b'0') * 10 + (g[3] - b'0') < 60
    };
    if t.len() != 9 || t[4] != b' ' || !time(&t[..4]) || !time(&t[5..]) {
        return false;
    }
    // Back over the blanks, the status's count, its two capitals, a blank, the city pair.
    let mut j = s;
    let blanks = hay[..j].iter().rev().take_while(|&&b| b == b' ').count();
    if !(1..=2).contains(&blanks) {
        return false;
    }
    j -= blanks;
    let count = hay[..j]
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if !(1..=2).contains(&count) {
        return false;
    }
    j -= count;
    let caps =
        |from: usize, n: usize| from >= n && hay[from - n..from].iter().all(u8::is_ascii_uppercase);
    if !caps(j, 2) || j < 3 || hay[j - 3] != b' ' {
        return false;
    }
    j -= 3;
    caps(j, 6) && (j == 6 || !hay[j - 7].is_ascii_alphabetic())
}
