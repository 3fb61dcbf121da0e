//! Birth dates by structure (nineteenth round): a date no word names, in a record that holds
//! the same person's other PII. A line — a CSV or `;` row, a fixed-width (COBOL) record, a
//! chat answer (`Caller: e-mail jane@example.com, 19/4/1969`), an SQL tuple — in which the
//! scan found an e-mail address, a phone number, an SSN, a card or an IBAN is a person's
//! record; a date in it whose year makes a plausible age is that person's birth date, unless
//! a word before it in its cell names it as an event (`created`, `ordered`, `due`, `since`,
//! `hired`, …: a closed set, `EVENT_STEMS`) or an identifier's label (`Ticket 07/24/1981:`).
//!
//! The evidence is the findings already made for the line — what no writer can rename —
//! and the date's year. The engine has no clock: the years are fixed (`BIRTH_YEARS`, ages 14
//! to 110 at the end of 2026, the corpora's fixed day) and move with the releases. A date
//! with a time (`2024-03-02T10:00`, `1985-03-02 10:01`) is a time stamp, never a birth.
//! Measured on every date of the seventeen training splits before it was written
//! (`benches/pii_dates.py`, docs/redaction-accuracy.md).

use super::{Entity, Hit};
use regex_automata::meta::Regex;

/// Birth years: ages 14 to 110 at the end of 2026. No clock is read (the redactor is
/// deterministic); the range moves with the releases.
pub(super) const BIRTH_YEARS: std::ops::RangeInclusive<u16> = 1916..=2012;

/// Words naming a date as an event's, or a number as an identifier's, in the date's cell
/// before it: a word is one when it starts with a stem of four letters or more or is a
/// shorter one (`to`, `at`, `on`, `po`).
const EVENT_STEMS: &[&str] = &[
    "creat",
    "order",
    "ship",
    "deliver",
    "due",
    "issu",
    "expir",
    "valid",
    "visit",
    "admi",
    "discharg",
    "hire",
    "join",
    "start",
    "end",
    "book",
    "paid",
    "pay",
    "invoic",
    "renew",
    "updat",
    "modif",
    "since",
    "until",
    "effective",
    "sign",
    "regist",
    "clos",
    "open",
    "last",
    "next",
    "appoint",
    "schedul",
    "releas",
    "deadline",
    "period",
    "from",
    "to",
    "at",
    "on",
    "date",
    "time",
    "filed",
    "post",
    "sent",
    "receiv",
    "submit",
    "approv",
    "cancel",
    "refund",
    "return",
    "event",
    "meet",
    "travel",
    "arriv",
    "depart",
    "check",
    "termin",
    "contract",
    "employ",
    "entry",
    "eintritt",
    "embauche",
    "assunzion",
    "alta",
    "datum",
    "fecha",
    "data",
    "sinds",
    "desde",
    "seit",
    "depuis",
    "dal",
    "dall",
    "ticket",
    "case",
    "ref",
    "lot",
    "batch",
    "build",
    "version",
    "claim",
    "policy",
    "account",
    "member",
    "serial",
    "docket",
    "rma",
    "po",
    "sku",
    "part",
    "tracking",
    "log",
    // What names a value as a tag or a label, no person's datum (`"tags[]": "1968-10-08"`).
    "tag",
    "tags",
    "label",
];

/// The PII that makes a line a person's record.
pub(super) fn personal(e: Entity) -> bool {
    matches!(
        e,
        Entity::Email | Entity::Phone | Entity::UsSsn | Entity::CreditCard | Entity::Iban
    )
}

/// The flattened line breaks of logs: `⏎`, `↵`, `¶`.
pub(super) const FLAT_BREAKS: [&str; 3] = ["\u{23ce}", "\u{21b5}", "\u{b6}"];

/// The farthest a record reaches from its PII on either side: a longer line (a minified
/// document, a log flattened onto one line) is read this far around each finding.
pub(super) const REACH: usize = 4096;

/// The line around `hay[at]`: from after the last line break before it (`\n`, `\r`, a
/// flattened `⏎`, `↵`, `¶`) to the next, `REACH` bytes each way at most. (memchr's
/// searches: a byte loop here made PII text 15 % dearer on a one-line document.)
pub(super) fn line_around(hay: &[u8], at: usize) -> (usize, usize) {
    let lo = at.saturating_sub(REACH);
    let hi = hay.len().min(at + REACH);
    let before = &hay[lo..at];
    let mut s = memchr::memrchr2(b'\n', b'\r', before).map_or(lo, |i| lo + i + 1);
    let after = &hay[at..hi];
    let mut e = memchr::memchr2(b'\n', b'\r', after).map_or(hi, |i| at + i);
    if !before.is_ascii() || !after.is_ascii() {
        for flat in FLAT_BREAKS {
            let f = flat.as_bytes();
            if let Some(i) = memchr::memmem::rfind(&hay[s..at], f) {
                s = s + i + f.len();
            }
            if let Some(i) = memchr::memmem::find(&hay[at..e], f) {
                e = at + i;
            }
        }
    }
    (s, e)
}

/// The year of a date match: its run of four digits (none in `3/4/85`).
pub(super) fn year(date: &[u8]) -> Option<u16> {
    date.split(|b| !b.is_ascii_digit())
        .find(|run| run.len() == 4)
        .and_then(|run| std::str::from_utf8(run).ok()?.parse().ok())
}

/// Whether a time follows the date at `hay[e]` (`T10:00`, ` 10:01`, `, 9:30`).
fn timed(hay: &[u8], e: usize) -> bool {
    let rest = &hay[e..hay.len().min(e + 8)];
    if rest.first() == Some(&b'T') {
        return true;
    }
    let gap = rest.iter().take_while(|b| matches!(b, b' ' | b',')).count();
    if gap == 0 {
        return false;
    }
    let digits = rest[gap..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    (1..=2).contains(&digits)
        && rest.get(gap + digits) == Some(&b':')
        && rest.get(gap + digits + 1).is_some_and(u8::is_ascii_digit)
}

/// Whether the words before the date in its cell (back to a delimiter or the line's start)
/// name an event or an identifier.
fn event_before(cell: &[u8]) -> bool {
    event_words(cell, &[])
}

/// The words of a date alone, no event's: in a column's header (`Date`, `Fecha`, `Datum`)
/// they name no kind of date, so they are no evidence against a birth.
const DATE_WORDS: &[&str] = &[
    "date", "datum", "fecha", "data", "time", "at", "on", "to", "from",
];

/// Whether `text` holds a word of `EVENT_STEMS` other than those of `skip`.
fn event_words(text: &[u8], skip: &[&str]) -> bool {
    text.split(|b| !b.is_ascii_alphabetic())
        .filter(|w| !w.is_empty())
        .any(|w| {
            EVENT_STEMS.iter().filter(|t| !skip.contains(t)).any(|t| {
                let t = t.as_bytes();
                if t.len() >= 4 {
                    w.len() >= t.len() && w[..t.len()].eq_ignore_ascii_case(t)
                } else {
                    w.eq_ignore_ascii_case(t)
                }
            })
        })
}

/// The end of a birth date by its shape starting at `hay[s]`, in the line or answer
/// `ls..le`: a date as a whole (`prose_dob::date_at`) with a plausible age, no time after it
/// and no event's or identifier's word before it in its cell.
pub(super) fn plausible_birth_date(
    hay: &[u8],
    s: usize,
    ls: usize,
    le: usize,
    date_re: &Regex,
) -> Option<usize> {
    if s > 0 && hay[s - 1].is_ascii_alphanumeric() {
        return None;
    }
    let (_, e) = super::prose_dob::date_at(hay, s, date_re)?;
    if e > le || timed(hay, e) || !year(&hay[s..e]).is_some_and(|y| BIRTH_YEARS.contains(&y)) {
        return None;
    }
    no_event_before(hay, s, ls).then_some(e)
}

/// The end of a birth date written `YYYYMMDD` (ISO 8601's basic form: HL7's `DT`, X12's
/// `D8`, DICOM's `DA`, vCard's `BDAY`, a fixed-width record's `PIC 9(8)`) at `hay[s]`, in
/// the line `ls..le`: eight digits alone (no letter or digit either side, no time after),
/// a year in `BIRTH_YEARS`, a real month and day, and no event's or identifier's word
/// before it in its cell (twentieth round).
pub(super) fn compact_birth_date(hay: &[u8], s: usize, ls: usize, le: usize) -> Option<usize> {
    let e = s + 8;
    if e > le
        || (s > 0 && hay[s - 1].is_ascii_alphanumeric())
        || hay.get(e).is_some_and(u8::is_ascii_alphanumeric)
        || !compact_date(&hay[s..e])
        || timed(hay, e)
    {
        return None;
    }
    no_event_before(hay, s, ls).then_some(e)
}

/// Whether eight bytes are a date `YYYYMMDD` with a year in `BIRTH_YEARS` and a day its
/// month has (29 February in any year: no age hangs on a leap year).
pub(super) fn compact_date(t: &[u8]) -> bool {
    if t.len() != 8 || !t.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let n =
        |r: std::ops::Range<usize>| t[r].iter().fold(0u16, |a, &b| a * 10 + u16::from(b - b'0'));
    let (y, m, d) = (n(0..4), n(4..6), n(6..8));
    let days = match m {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => 0,
    };
    BIRTH_YEARS.contains(&y) && (1..=days).contains(&d)
}

/// Whether no event's or identifier's word stands before the date at `hay[s]` in its cell
/// (back to a delimiter or the line's start at `ls`), nor in its text-table column's header.
fn no_event_before(hay: &[u8], s: usize, ls: usize) -> bool {
    let cell = hay[ls..s]
        .iter()
        .rposition(|b| matches!(b, b',' | b';' | b'|' | b'\t' | b'"' | b'{' | b'[' | b'('))
        .map_or(ls, |i| ls + i + 1);
    // In a text table, the column's header's event words count as words before the date
    // (`name,email,joined ↵ Crystal,c@example.com,3/26/1995`); a date's word alone
    // (`Date`, `Fecha`) names no event, and a header naming a birth date is none
    // (`birth_date`, `date_of_birth`).
    let header = super::table::column_header(hay, s).unwrap_or_default();
    let event_header = event_words(header, DATE_WORDS)
        && !std::str::from_utf8(header).is_ok_and(super::table::birth_date_header);
    // A cell that is the birth date's key alone (`'date_of_birth': '`) names no event
    // (`evidence_r32f`; thirty-second round, task fmt).
    (!event_before(&hay[cell..s]) || super::evidence_r32f::birth_key_cell(&hay[cell..s]))
        && !event_header
}

/// The first birth date by its shape in the answer starting at `hay[from]` — a dialogue's
/// turn after a question asking for the birth date (`prose_dob`), the date not its first
/// word (`lou@example.org, 19/4/1969`, `sure, it's 19/4/1969`) — up to the line's end or a
/// flattened turn's ` / ` or ` | `.
pub(super) fn answer_birth_date(
    hay: &[u8],
    from: usize,
    date_re: &Regex,
) -> Option<(usize, usize)> {
    let (_, mut le) = line_around(hay, from);
    for sep in [&b" / "[..], b" | "] {
        if let Some(i) = memchr::memmem::find(&hay[from..le], sep) {
            le = le.min(from + i);
        }
    }
    let mut found = None;
    birth_dates_in(hay, (from, le), from, date_re, &mut |s, e| {
        found = Some((s, e));
        false
    });
    found
}

/// Calls `f` with each birth date by its shape (`plausible_birth_date`) in `hay[ls..le]` whose
/// year is at or after `years_from`, in order, until it returns false. Each is found from its year — four digits in
/// `BIRTH_YEARS` — where every date with a plausible age starts (`1984-03-02`) or ends
/// (`02.03.1984`, `2 March 1984`, `March 2nd, 1984`): the date pattern runs anchored at the
/// year, or at the tokens of the 32 bytes before it, the leftmost that ends at the year.
/// (An unanchored search of every line with PII made PII text a third dearer.)
pub(super) fn birth_dates_in(
    hay: &[u8],
    (ls, le): (usize, usize),
    years_from: usize,
    date_re: &Regex,
    f: &mut dyn FnMut(usize, usize) -> bool,
) {
    let mut done = ls;
    // A year in the range opens with `19` or `20` after a byte that is no digit: the two
    // searched apart and merged in order (a search for `1` or `2` stopped at most digits of
    // a PII text: the rule's largest cost, docs/redaction-accuracy.md "Nineteenth round").
    let finders = year_finders();
    let years_from = years_from.clamp(ls, le);
    let window = &hay[years_from..le];
    // The next `19` and `20` at or after a cursor each, the nearer taken first: each finder
    // called on the rest of the window (twenty-sixth round, task cost: two `find_iter`s
    // merged through `peekable` cost ~100 instructions a match over the searches' own, on a
    // one-line PII text ~470 a pass). Neither needle overlaps itself, so stepping past a
    // match by its length finds what `find_iter` finds. `usize::MAX` is "none left" (the
    // nearer of the two is their minimum: twenty-seventh round, task cost).
    let next = |k: usize, from: usize| {
        window
            .get(from..)
            .and_then(|rest| finders.find(k, rest))
            .map_or(usize::MAX, |at| from + at)
    };
    let (mut a, mut b) = (next(0, 0), next(1, 0));
    loop {
        let y = a.min(b);
        if y == usize::MAX {
            break;
        }
        if y == a {
            a = next(0, y + 2);
        } else {
            b = next(1, y + 2);
        }
        let y = years_from + y;
        if y < done || (y > 0 && hay[y - 1].is_ascii_digit()) {
            continue;
        }
        let i = y + hay[y..le]
            .iter()
            .take(9)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if i - y == 8 {
            // Eight digits: a date `YYYYMMDD` (nothing else of eight digits is read here).
            if let Some(e) = compact_birth_date(hay, y, ls, le) {
                if !f(y, e) {
                    return;
                }
                done = e;
            }
            continue;
        }
        // Four digits: their value is `year`'s (the run is the whole of `hay[y..i]`).
        if i - y != 4 || !BIRTH_YEARS.contains(&digits_value(&hay[y..i])) {
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

/// The two needles every birth year opens with (`BIRTH_YEARS`).
const CENTURY_NEEDLES: [&[u8]; 2] = [b"19", b"20"];

/// The year searches of `birth_dates_in`: `memmem`'s finders, and memchr's AVX2 pair finders
/// where the CPU has AVX2, called directly (`memmem` picks the same search there, behind its
/// searcher's dispatch: twenty-seventh round, task cost, ~30 instructions a call, ~490 calls
/// a pass on a 64 KB one-line PII text).
pub(super) struct YearFinders {
    memmem: [memchr::memmem::Finder<'static>; 2],
    #[cfg(target_arch = "x86_64")]
    avx2: Option<[memchr::arch::x86_64::avx2::packedpair::Finder; 2]>,
}

impl YearFinders {
    fn new() -> Self {
        YearFinders {
            memmem: CENTURY_NEEDLES.map(|n| memchr::memmem::Finder::new(n).into_owned()),
            #[cfg(target_arch = "x86_64")]
            avx2: match CENTURY_NEEDLES.map(memchr::arch::x86_64::avx2::packedpair::Finder::new) {
                [Some(a), Some(b)] => Some([a, b]),
                _ => None,
            },
        }
    }

    /// The first `CENTURY_NEEDLES[k]` in `hay`.
    #[inline]
    pub(super) fn find(&self, k: usize, hay: &[u8]) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        if let Some(f) = &self.avx2 {
            if hay.len() >= f[k].min_haystack_len() {
                return f[k].find(hay, CENTURY_NEEDLES[k]);
            }
        }
        self.memmem[k].find(hay)
    }

    /// `find` by `memmem`'s finder alone (the path of a CPU without AVX2, for the tests).
    #[cfg(test)]
    pub(super) fn find_memmem(&self, k: usize, hay: &[u8]) -> Option<usize> {
        self.memmem[k].find(hay)
    }
}

/// The year finders, made once.
pub(super) fn year_finders() -> &'static YearFinders {
    static FINDERS: std::sync::OnceLock<YearFinders> = std::sync::OnceLock::new();
    FINDERS.get_or_init(YearFinders::new)
}

/// The value of a run of four ASCII digits (`year` of it).
#[inline(always)]
fn digits_value(run: &[u8]) -> u16 {
    run.iter().fold(0u16, |a, &b| a * 10 + u16::from(b - b'0'))
}

/// Adds the birth dates of the records among `hits` (sorted by start, without overlaps):
/// each with priority `prio`, then sorts `hits` again.
///
/// Inlined into the detector's pass, it asks first what needs no look at the bytes — a
/// person's PII among the hits, room left for a date — and returns there for most texts (a
/// JSON string that is a whole e-mail address, a leaf with no finding); twenty-fourth round,
/// task cost: its out-of-line call and prologue were ~56 instructions for each of a PII
/// document's leaves.
#[inline]
pub(super) fn record_birth_dates(
    hay: &[u8],
    hits: &mut Vec<(Hit, usize)>,
    date_re: &Regex,
    prio: usize,
) {
    // Findings that fill the text (a JSON string that is an e-mail address) leave no room
    // for a date: the common case in JSON, decided without a look at the bytes.
    // (One hit, the common case, without the sum's loop: twenty-sixth round, task cost,
    // ~17 instructions a leaf of `65536 pii bytes`.)
    let covered: usize = match hits.as_slice() {
        [] => return,
        [(h, _)] => h.end - h.start,
        more => more.iter().map(|(h, _)| h.end - h.start).sum(),
    };
    if hay.len() < covered + 6 || !hits.iter().any(|(h, _)| personal(h.entity)) {
        return;
    }
    record_birth_dates_of(hay, hits, date_re, prio);
}

/// `record_birth_dates` past its first tests: a hit with a person's PII, room for a date.
#[inline(never)]
fn record_birth_dates_of(hay: &[u8], hits: &mut Vec<(Hit, usize)>, date_re: &Regex, prio: usize) {
    // A short text (a JSON string, a chat line) is looked at once, before any line is read:
    // without `19` or `20` it holds no birth year (every date this rule reads has one), and
    // without a line break (`\n`, `\r`; the flattened `⏎ ↵ ¶` are not ASCII) it is one line
    // for every finding, the line `line_around` reads (twenty-fourth round, task cost: two
    // searches and two ASCII tests per line, and the year searches' set-up, were ~400
    // instructions on a ~70-byte JSON string).
    let one_line = if hay.len() <= CENTURY_LOOK_MAX {
        let (century, breaks) = century_and_breaks(hay);
        if !century {
            return;
        }
        !breaks
    } else {
        one_short_line(hay)
    };
    // A longer text on one line (a minified document, a log flattened onto one line) with
    // no flattened break either is asked so once: then the line around a finding is `REACH`
    // bytes each way, which `line_around` found by two searches and two ASCII tests of
    // `REACH` bytes for each window (twenty-sixth round, task cost: ~45k instructions a pass
    // on a 64 KB one-line PII text). No `\n`, no `\r`, and no `0xE2` or `0xC2`, the first
    // bytes of every flattened break (`⏎ ↵` are `E2 ..`, `¶` is `C2 B6`): `line_around`
    // finds no break, so it returns the window whatever else the text holds (a text with a
    // line break stops the first search there).
    const _: () =
        assert!(FLAT_BREAKS[0].as_bytes()[0] == 0xE2 && FLAT_BREAKS[1].as_bytes()[0] == 0xE2);
    const _: () = assert!(FLAT_BREAKS[2].as_bytes()[0] == 0xC2);
    let long_line = !one_line
        && hay.len() > REACH
        && memchr::memchr3(b'\n', b'\r', 0xE2, hay).is_none()
        && memchr::memchr(0xC2, hay).is_none();
    let before = hits.len();
    let mut line_end: Option<usize> = None;
    let mut k = 0;
    while k < before {
        let h = hits[k].0;
        k += 1;
        if !personal(h.entity) {
            continue;
        }
        let (ls, le) = if one_line {
            (0, hay.len())
        } else if long_line {
            (
                h.start.saturating_sub(REACH),
                hay.len().min(h.start + REACH),
            )
        } else {
            line_around(hay, h.start)
        };
        // On a line longer than `REACH` the windows of two findings overlap: the years the
        // last window read are not read again (a date whose year is in both was found
        // twice before, and read twice: a third of what this rule cost on a one-line PII
        // text).
        let years_from = line_end.unwrap_or(ls);
        line_end = Some(le);
        birth_dates_in(hay, (ls, le), years_from, date_re, &mut |s, e| {
            if !hits[..before].iter().any(|(h, _)| h.start < e && s < h.end) {
                hits.push((Hit::new(Entity::DateOfBirth, s, e), prio));
            }
            true
        });
        // The findings that start before the line's end are on the line just read: past
        // them at once (the hits are sorted by start). Twenty-seventh round, task cost: one
        // test of each was ~13 instructions a hit, ~24k a pass on a 64 KB one-line PII text
        // whose windows of `REACH` each hold ~120 findings.
        k += hits[k..before].partition_point(|(h, _)| h.start < le);
    }
    if hits.len() > before {
        hits.sort_by_key(|(h, prio)| (h.start, *prio));
    }
}

/// Whether `hay` is `REACH` bytes or fewer of ASCII with no `\n` or `\r`: then the line
/// around any position in it (`line_around`) is all of it (no flattened break, `⏎ ↵ ¶`, is
/// ASCII). Folded without an early exit, so the compiler vectorises it.
pub(super) fn one_short_line(hay: &[u8]) -> bool {
    hay.len() <= REACH
        && !hay.iter().fold(false, |any, &b| {
            any | (b == b'\n') | (b == b'\r') | (b >= 0x80)
        })
}

/// Whether `hay` holds `19` or `20`, where every year `birth_dates_in` reads opens, and
/// whether it holds a byte `one_short_line` refuses (`\n`, `\r`, a byte of a non-ASCII
/// character): one look at each byte. Folded without an early exit, so the compiler
/// vectorises it.
pub(super) fn century_and_breaks(hay: &[u8]) -> (bool, bool) {
    let Some(rest) = hay.get(1..) else {
        return (false, hay.first().is_some_and(|&b| line_break_or_wide(b)));
    };
    hay.iter().zip(rest).fold(
        (false, line_break_or_wide(hay[0])),
        |(century, breaks), (&a, &b)| {
            (
                century | ((a == b'1') & (b == b'9')) | ((a == b'2') & (b == b'0')),
                breaks | line_break_or_wide(b),
            )
        },
    )
}

/// A byte `one_short_line` refuses.
#[inline(always)]
fn line_break_or_wide(b: u8) -> bool {
    (b == b'\n') | (b == b'\r') | (b >= 0x80)
}

/// The longest text `record_birth_dates` looks at for `19` or `20` before it reads a line
/// (a longer one, a document on one line, nearly always holds one).
const CENTURY_LOOK_MAX: usize = 256;

/// Whether a JSON member's string, as its bytes stand (escapes not decoded), may be a birth
/// date by its shape (`Detector::record_date_member`): a run of four digits in
/// `BIRTH_YEARS` — the judge reads the first such run — or an escape, which may hide one.
/// The cheap look that keeps an object's ids, amounts and time stamps off the candidates'
/// list (they were re-read and matched at the object's end: PII JSON 2 % dearer).
///
/// One pass over the bytes, each run of digits judged where it ends (twenty-first round,
/// task cost: an escape search, then a split into runs and a parse of each, cost ~300
/// instructions on a 12-byte name; `tests_cost` pins this to that form).
pub(crate) fn may_hold_birth_year(s: &[u8]) -> bool {
    // Every run `birth_run` keeps opens with `19` or `20` (its year is in `BIRTH_YEARS`):
    // without either and without an escape, no run is read (twenty-fifth round, task cost:
    // a record's `note`, ~70 bytes of phone numbers and ids, was ~270 instructions a member
    // on `redact_profile 65536 pii bytes`; one vectorised look now).
    if !century_or_escape(s) {
        return false;
    }
    let mut run = 0;
    for (k, &b) in s.iter().enumerate() {
        if b.is_ascii_digit() {
            run += 1;
            continue;
        }
        if b == b'\\' || birth_run(&s[k - run..k]) {
            return true;
        }
        run = 0;
    }
    birth_run(&s[s.len() - run..])
}

// `century_or_escape` stands for `birth_run` only while every birth year opens with 19 or 20.
const _: () = assert!(*BIRTH_YEARS.start() >= 1900 && *BIRTH_YEARS.end() <= 2099);

/// Whether `s` holds `19`, `20` or a `\\`: one look at each byte, folded without an early
/// exit so the compiler vectorises it.
fn century_or_escape(s: &[u8]) -> bool {
    let Some(rest) = s.get(1..) else {
        return s.first() == Some(&b'\\');
    };
    s.iter().zip(rest).fold(s[0] == b'\\', |any, (&a, &b)| {
        any | ((a == b'1') & (b == b'9')) | ((a == b'2') & (b == b'0')) | (b == b'\\')
    })
}

/// A whole run of digits that `may_hold_birth_year` keeps: four, a year in `BIRTH_YEARS`,
/// or eight, a date `YYYYMMDD` (`compact_date`).
fn birth_run(run: &[u8]) -> bool {
    match run.len() {
        4 => BIRTH_YEARS.contains(&run.iter().fold(0u16, |a, &b| a * 10 + u16::from(b - b'0'))),
        8 => compact_date(run),
        _ => false,
    }
}

/// Whether an entity is PII that makes a record a person's (`personal`): for the JSON walk,
/// which counts the findings of an object's members.
pub(crate) fn personal_entity(e: Entity) -> bool {
    personal(e)
}

impl super::Detector {
    /// Whether the JSON member `key`: `s` is a birth date by the record around it, given
    /// that a sibling member holds the person's other PII: `s` is a date as a whole (blanks
    /// around it aside) whose year makes a plausible age, with no time, and no word of `key`
    /// names an event or an identifier (`created_at`, `shippedOn`, `order_date`).
    pub(crate) fn record_date_member(&self, key: &str, s: &str) -> bool {
        let t = s.trim().as_bytes();
        if !(6..=32).contains(&t.len())
            || !t.iter().any(u8::is_ascii_digit)
            || !self.enabled[Entity::DateOfBirth.index()]
        {
            return false;
        }
        (compact_date(t)
            || super::prose_dob::date_at(t, 0, &self.date_re).is_some_and(|(_, e)| {
                e == t.len() && year(t).is_some_and(|y| BIRTH_YEARS.contains(&y))
            }))
            && !event_before(key.as_bytes())
    }
}
