//! Birth dates in prose that the birth-date pattern's short run-up does not reach: a phrase
//! naming the birth date, a few words, then the date after a colon, an arrow or a copula
//! (`My date of birth for verification is 28 December 2001`, `Mein Geburtsdatum zur
//! Prüfung: 8 August 2004`, `Your date of birth (for the insurer): 2/15/1988`, `Fecha de
//! nacimiento → 07/12/1988`, `la mia data di nascita è sbagliata, quella giusta è
//! 08/08/1975`), and the answer to a question asking for it on the next turn of a dialogue
//! (`Can I take your date of birth?⏎Caller: 10/30/2001`, `wat is uw geboortedatum? /
//! [18:40:13] Rik: 04/07/2000`, `bot> And your date of birth to verify?⏎user> 1963-11-02`,
//! `Dr. Miller: can you confirm your date of birth?⏎[patient] 04/13/1946`).
//!
//! Only from a phrase that names the birth date itself (not `born`, not `birth` alone), on
//! one line, with no digit and no other date's word (`hire`, `start`, `date`, `expires`, …)
//! between phrase and date: `Date of birth unknown, start date is 2024-01-02` stays
//! unfound. Runs only at a birth word the trigger search found where the pattern failed.

use regex_automata::{meta::Regex, Anchored, Input};

/// The phrases naming a birth date (ASCII, matched in any case at the trigger).
const PHRASES: &[&str] = &[
    "date of birth",
    "birth date",
    "birthdate",
    "birthday",
    "dob",
    "d.o.b.",
    "geburtsdatum",
    "geboortedatum",
    "date de naissance",
    "data di nascita",
    "data nascita",
    "fecha de nacimiento",
];

/// Words of other dates: between the phrase and a date they make it that date's.
const OTHER_DATES: &[&str] = &[
    "dat", "fecha", "hire", "start", "issue", "expir", "valid", "since", "until", "renew", "creat",
    "updat", "join", "order", "due",
];

/// Copulas before the date (`… is 28 December 2001`, `la correcta es …`, `richtig ist …`,
/// `quella giusta è …`).
const COPULAS: &[&str] = &[
    "is", "es", "est", "ist", "\u{e8}", "was", "war", "era", "fue",
];

/// The longest run-up from the phrase's end to the date's marker.
const GAP: usize = 48;

/// The birth date after the phrase at `hay[p]`, as (start, end).
#[inline(never)]
pub(super) fn prose_birth_date(hay: &[u8], p: usize, date_re: &Regex) -> Option<(usize, usize)> {
    if p > 0 && hay[p - 1].is_ascii_alphanumeric() {
        return None;
    }
    let rest = &hay[p..];
    let phrase = PHRASES
        .iter()
        .find(|w| rest.len() > w.len() && rest[..w.len()].eq_ignore_ascii_case(w.as_bytes()))?;
    let from = p + phrase.len();
    if hay[from].is_ascii_alphanumeric() {
        return None;
    }
    let limit = hay.len().min(from + GAP);
    // A qualifier in parentheses right after the phrase, a digit in it (`Date of birth (2):
    // …`, `| Geburtsdatum (item 3) | …`): skipped (`evidence_r40d`; fortieth round, task dob).
    let mut i = super::evidence_r40d::qualifier_end(hay, blanks(hay, from)).unwrap_or(from);
    while i < limit {
        let b = hay[i];
        // A pipe table's row, the phrase its label's cell (`| Date of birth | 07/06/1958 |`):
        // the next cell holds the value (`evidence_r31f`; thirty-first round, task fmt).
        if b == b'|' && super::evidence_r31f::pipe_cell_label(hay, p) {
            if !no_other_date(&hay[from..i]) {
                return None;
            }
            return super::evidence_r31f::pipe_cell_date(hay, i, date_re)
                .filter(|d| !super::check::birthday_event(&hay[p..d.0]));
        }
        if b.is_ascii_digit()
            || matches!(
                b,
                b'\n'
                    | b'\r'
                    | b'.'
                    | b'!'
                    | b';'
                    | b'"'
                    | b'<'
                    | b'>'
                    | b'|'
                    | b'='
                    | b'['
                    | b']'
                    | b'{'
                    | b'}'
            )
        {
            return None;
        }
        let tail = &hay[i..];
        let marker = if b == b':' {
            Some(i + 1)
        } else if tail.starts_with("\u{2192}".as_bytes()) {
            Some(i + 3)
        } else if tail.starts_with(b"->") {
            Some(i + 2)
        } else if b == b'?' {
            if !no_other_date(&hay[from..i]) {
                return None;
            }
            return next_turn_date(hay, i + 1, date_re)
                .filter(|d| !super::check::birthday_event(&hay[p..d.0]));
        } else if b == b' ' {
            COPULAS
                .iter()
                .find(|c| {
                    tail.len() > c.len() + 2
                        && tail[1..=c.len()] == *c.as_bytes()
                        && tail[c.len() + 1] == b' '
                })
                .map(|c| i + 1 + c.len())
        } else {
            None
        };
        if let Some(m) = marker {
            if !no_other_date(&hay[from..i]) {
                return None;
            }
            if let Some(d) = date_at(hay, blanks(hay, m), date_re) {
                // Not a birthday party's day (`birthday lunch: …`).
                return (!super::check::birthday_event(&hay[p..d.0])).then_some(d);
            }
            // A colon or an arrow ends the run-up: what follows it is the value.
            if b != b' ' {
                return None;
            }
        }
        i += 1;
    }
    None
}

/// True when `gap` holds no word of another date.
fn no_other_date(gap: &[u8]) -> bool {
    !OTHER_DATES.iter().any(|w| {
        gap.windows(w.len())
            .any(|x| x.eq_ignore_ascii_case(w.as_bytes()))
    })
}

fn blanks(hay: &[u8], mut i: usize) -> usize {
    while matches!(hay.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    i
}

/// A date starting at `hay[i]`, whole (no letter or digit right after it, but an ISO time's
/// `T`).
pub(super) fn date_at(hay: &[u8], i: usize, date_re: &Regex) -> Option<(usize, usize)> {
    let m = date_re.search(&Input::new(hay).range(i..).anchored(Anchored::Yes))?;
    let e = m.end();
    let whole = match hay.get(e) {
        Some(b'T') => hay.get(e + 1).is_some_and(u8::is_ascii_digit),
        Some(&b) => {
            // A longer number goes on after a separator (`1.2.2024.5`).
            let goes_on =
                matches!(b, b'-' | b'.' | b'/') && hay.get(e + 1).is_some_and(u8::is_ascii_digit);
            !(b.is_ascii_alphanumeric() || goes_on)
        }
        None => true,
    };
    whole.then_some((i, e))
}

/// After a question's `?` at `hay[q - 1]`: the next turn of the dialogue, on the next line
/// (or after a log's flattened line break, ` / `, ` | `, ` ⏎ `, ` ↵ `, ` ¶ `), its time stamp
/// in brackets if any, the speaker and a colon (or a transcript's prompt `>`), and a date as
/// the whole answer's start — or, since the nineteenth round, the answer's first date with a
/// plausible age and no event's word before it (`records::answer_birth_date`: `Lou:
/// lou@example.org, 19/4/1969`).
fn next_turn_date(hay: &[u8], q: usize, date_re: &Regex) -> Option<(usize, usize)> {
    let mut i = blanks(hay, q);
    match hay.get(i)? {
        b'\r' if hay.get(i + 1) == Some(&b'\n') => i += 2,
        b'\n' | b'/' | b'|' => i += 1,
        // A log's `⏎`, `↵` or `¶` for the line break.
        _ if ["\u{23ce}", "\u{21b5}", "\u{b6}"]
            .iter()
            .any(|s| hay[i..].starts_with(s.as_bytes())) =>
        {
            i += if hay[i] == 0xC2 { 2 } else { 3 };
        }
        _ => return None,
    }
    i = blanks(hay, i);
    if hay.get(i) == Some(&b'[') {
        let close = memchr::memchr(b']', &hay[i..(i + 32).min(hay.len())])?;
        // A speaker's tag in brackets, with no digit (`[patient] 04/13/1946`, `[caller]`: a
        // telehealth or call transcript's turn; twenty-second round, task num), is the
        // speaker itself: the answer follows it. A time stamp's brackets hold digits.
        let tag = &hay[i + 1..i + close];
        if !tag.is_empty()
            && tag
                .iter()
                .all(|&b| b.is_ascii_alphabetic() || matches!(b, b' ' | b'-' | b'_' | b'.'))
        {
            let a = blanks(hay, i + close + 1);
            return date_at(hay, a, date_re)
                .or_else(|| super::records::answer_birth_date(hay, a, date_re));
        }
        i = blanks(hay, i + close + 1);
    }
    // The speaker: a name or a role, a few words with no digit, then `:` — or a chat
    // transcript's prompt `>` (`bot> … date of birth?⏎user> 1963-11-02`: Botpress, IRC
    // logs, a REPL's turns; twenty-first round, task num).
    let speaker = hay[i..(i + 40).min(hay.len())]
        .iter()
        .position(|&b| b == b':' || b == b'>' || b == b'\n' || b.is_ascii_digit())?;
    if speaker == 0 || !matches!(hay[i + speaker], b':' | b'>') {
        return None;
    }
    // The date first, or later in the answer by its shape (`records`).
    let a = blanks(hay, i + speaker + 1);
    date_at(hay, a, date_re).or_else(|| super::records::answer_birth_date(hay, a, date_re))
}
