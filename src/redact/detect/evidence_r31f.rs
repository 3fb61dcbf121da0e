//! The formats blind30's writer brought for DATE_OF_BIRTH, IPV6, EMAIL and IPV4 (thirty-first
//! round, task fmt; docs/redaction-accuracy.md, "Thirty-first round, task fmt"; every count
//! below by `benches/fmt_r31_population.py` over every training split, gold / not gold /
//! gold missed by main's engine `m13`).
//!
//! * **UN/EDIFACT's birth date** (`DTM+329:990920'`): the date/time/period segment `DTM`
//!   whose qualifier (data element 2005) is 329, "Birth date/time" in the UN/EDIFACT code
//!   list; its value (2380) is `YYMMDD` (format 101) or `CCYYMMDD` (102), ended by the
//!   segment's `'` or the format code's `:`. Standard clause. Population (`edifact-329`): 47
//!   gold, 0 not, 47 missed (blind30); every other qualifier (`edifact-dtm`: 47, none gold)
//!   is not read. The birth-date pattern's alternative `DTM\+329:` with a `YYMMDD` or
//!   `CCYYMMDD` value (month 01-12, day 01-31), reached by a new trigger literal `DTM+329:`
//!   in the second Teddy searcher (`patterns::more_triggers`); the check reports the value
//!   alone. (Reached first from the number pass, a region of six or eight digits after a
//!   `:`: one test a region cost `65536 clean bytes` +1.9 %.)
//! * **A pipe table row naming the birth date** (`| Date of birth | 07/06/1958 |`,
//!   `| Geburtsdatum | 24.08.1954 |`): the label → value construction the engine takes after
//!   a `:` (gold on every writer's splits), its label a Markdown/GFM table cell, its value
//!   the next cell (`pipe_cell_label`, asked by `prose_dob` at the `|` after the phrase).
//!   Population (`dob-md-row-any`): 44 gold, 0 not, 44 missed, one writer (blind30): taken as
//!   a defect of the label's separator (the GFM spec's cell delimiter), not as a phrasing.
//! * **GEDCOM's birth event** (`1 BIRT⏎2 DATE 10 JUL 1977`): GEDCOM 5.5.1's `BIRT` event
//!   and the `DATE` line under it (the pattern's `BIRT` alternative; the trigger `birt`
//!   replaces `birth`, which it prefixes: the same Teddy bucket and fingerprint). Standard
//!   clause. Population (`gedcom-birt`): 20 gold, 0 not, 20 missed (blind30); every other
//!   event's date (`gedcom-date`: 10, a `DEAT`'s, none gold) is not read.
//! * **An IPv6 address ended by a `:`** (`… from 2001:67c:ac6c::9d1d: password …`): the run
//!   of address bytes takes the colon, and the address failed. `check::ipv6_at` drops one
//!   `:` before a byte that is no word byte and no `:` (or the text's end), as the
//!   twenty-sixth round dropped it before a path's `/`. Population (`ipv6-colon-any`): 23
//!   gold (blind25 7, found since the twenty-sixth round; blind30 16), 0 not.
//! * **An iCalendar `UID` is no mailbox** (`UID:dln97qbf5emq141wkqsq33a2jr@google.com`):
//!   RFC 5545 §3.8.4.7's globally unique identifier of a calendar component, written
//!   `…@host` by convention, as a `Message-ID` is (`check::message_id`). Population
//!   (`ical-uid-email`): 0 gold, 26 not (blind22 15, blind30 11), two writers leaving it
//!   unlabelled; the other iCalendar lines' addresses (`ORGANIZER`, `ATTENDEE`: 422 gold,
//!   eight writers) are untouched (`ical_uid`).
//! * **A network's prefix is no host's address** (`host all all 10.0.0.0/8 scram-sha-256`):
//!   RFC 4632's CIDR notation, the address with every host bit zero; only prefixes of 24 bits
//!   or fewer (a last octet `0`), because an address whose few host bits happen to be zero
//!   under a `/30` is an interface's (`address 78.204.151.140/30`: gold, blind20 and blind27).
//!   Population (`cidr-net-ipv4` with `/0`-`/24`): 0 gold, 20 not (blind30's pg_hba.conf
//!   lines); `0.0.0.0/0` was rejected already (`network_prefix`).

use regex_automata::meta::Regex;

/// Whether the phrase at `hay[p]` opens a pipe table's cell: blanks (and a Markdown `**`)
/// back to a `|`. The `|` after the phrase then ends the label's cell and the next cell is
/// its value (`prose_dob::prose_birth_date`).
pub(super) fn pipe_cell_label(hay: &[u8], p: usize) -> bool {
    let mut j = p;
    while j > 0 && matches!(hay[j - 1], b' ' | b'\t' | b'*') {
        j -= 1;
    }
    j > 0 && hay[j - 1] == b'|'
}

/// The date in the cell after a birth label's cell (`| Date of birth | 07/06/1958 |`): the
/// `|` at `hay[bar]`, blanks, a whole date.
pub(super) fn pipe_cell_date(hay: &[u8], bar: usize, date_re: &Regex) -> Option<(usize, usize)> {
    let mut i = bar + 1;
    while matches!(hay.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    super::prose_dob::date_at(hay, i, date_re)
}

/// Whether the address-shaped token at `hay[s..]` is an iCalendar component's `UID` (RFC
/// 5545 §3.8.4.7): right after `UID:` at a line's start.
#[inline]
pub(super) fn ical_uid(hay: &[u8], s: usize) -> bool {
    s >= 4 && hay[s - 1] == b':' && &hay[s - 4..s - 1] == b"UID" && (s == 4 || hay[s - 5] == b'\n')
}

/// Whether the IPv4 address `text` (at `hay[..e]`) is a network's prefix in CIDR notation
/// (RFC 4632): `/` and a prefix length of 24 or fewer bits (no digit after), every host bit
/// of the address zero.
#[inline]
pub(super) fn network_prefix(hay: &[u8], text: &[u8], e: usize) -> bool {
    if hay.get(e) != Some(&b'/') {
        return false;
    }
    let len_digits = hay[e + 1..]
        .iter()
        .take(3)
        .take_while(|b| b.is_ascii_digit())
        .count();
    if !(1..=2).contains(&len_digits) {
        return false;
    }
    let bits = hay[e + 1..e + 1 + len_digits]
        .iter()
        .fold(0u32, |a, b| a * 10 + u32::from(b - b'0'));
    if bits > 24 {
        return false;
    }
    let mut addr = 0u32;
    for part in text.split(|&b| b == b'.') {
        let v = part.iter().fold(0u32, |a, b| {
            a.saturating_mul(10)
                .saturating_add(u32::from(b.wrapping_sub(b'0')))
        });
        if part.is_empty() || part.len() > 3 || v > 255 {
            return false;
        }
        addr = addr << 8 | v;
    }
    // `bits` is 24 or fewer: the shift is 8 or more and below 33.
    let host = if bits == 0 {
        addr
    } else {
        addr & (u32::MAX >> bits)
    };
    host == 0
}
