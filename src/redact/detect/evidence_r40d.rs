//! Fortieth round, task dob (issue #20): a birth-date label with a parenthesised qualifier
//! before its colon or its table cell's end — a numbered form's second person or item
//! (`Date of birth (2): 08/21/2012`, `Date of birth (item 3): March 2, 1971`, `Fecha de
//! nacimiento (2): 12 de noviembre de 2020`, `| Geburtsdatum (2) | 20.03.2016 |`, `Data di
//! nascita (2): 05/05/2020`, `Geboortedatum (2): 16 januari 2019`, `Date de naissance (2): …`).
//!
//! The birth-date pattern's run-up (`patterns.rs`) takes a format hint in parentheses of
//! letters only (`(MM/DD/YYYY)`), and the prose run-up after a birth phrase
//! (`prose_dob::prose_birth_date`) stops at any digit, so a qualifier holding a digit ended
//! the label there and its date was not read. The construction — a qualifier in parentheses
//! between a birth-date label and its colon or its cell's `|` — stands on eleven writers'
//! splits (`benches/dob_r40_population.py`, group `qual-birth-word`: 196 places, all gold, on
//! blind10, 15, 22, 24, 25, 26, 27, 29, 31, 33, found by main; `qual-birth-num`: 22 places,
//! all gold, all missed, all on blind38 — the qualifier holding a digit is that one writer's
//! numbered form). No place of either group is not gold.
//!
//! The qualifier is skipped right after the phrase (blanks between), when short and no date:
//! at most [`MAX`] bytes inside the parentheses, of letters (any, non-ASCII too), blanks,
//! `#` and `.`, with at most one run of digits of at most three — `(2)`, `(item 3)`, `(Nr.
//! 2)`, `(#2)`, `(for the insurer)`; never `(11/10/1991)` (a date), `(1)(2)`, nor a line
//! break. The prose run-up then goes on after `)` as before: a colon, an arrow, a copula or
//! a pipe table's `|`, and a date (and no other date's word in the run-up, the qualifier
//! included).

/// The most bytes inside the qualifier's parentheses.
pub(super) const MAX: usize = 24;

/// At `hay[i] == b'('` after a birth phrase: the index just after the qualifier's `)`, when
/// the parentheses hold a short qualifier and no date (see the module's docs).
#[inline]
pub(super) fn qualifier_end(hay: &[u8], i: usize) -> Option<usize> {
    if hay.get(i) != Some(&b'(') {
        return None;
    }
    let body = hay.get(i + 1..)?;
    let close = body.iter().take(MAX + 1).position(|&b| b == b')')?;
    if close == 0 {
        return None;
    }
    let mut runs = 0;
    let mut digits = 0;
    let mut in_run = false;
    for &b in &body[..close] {
        if b.is_ascii_digit() {
            digits += 1;
            if !in_run {
                runs += 1;
                in_run = true;
            }
            continue;
        }
        in_run = false;
        if !(b.is_ascii_alphabetic() || b >= 0x80 || matches!(b, b' ' | b'#' | b'.')) {
            return None;
        }
    }
    (runs <= 1 && digits <= 3).then_some(i + 1 + close + 1)
}
