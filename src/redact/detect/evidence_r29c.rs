//! GENERIC_SECRET: a card's security code later on the card number's line (`card 4111… got
//! declined, cvc 459`, `Karte 4111… wurde abgelehnt, CVC 534`), reached from the code's own
//! digits rather than from every card (twenty-ninth round, task cvc; docs/redaction-accuracy.md,
//! "Twenty-ninth round, task cvc"; the population is `benches/gs_r28_population.py`'s
//! `cvcprose`, re-counted on every training split).
//!
//! The construction (task gs's fourth rule, twenty-eighth round, not merged for its cost): a
//! word of `numbers::CVC_WORDS` standing alone, its three or four digits
//! (`numbers::code_digits_after`), the word opening within 48 bytes after a Luhn-valid card on
//! the card's line, other words between (`numbers::cvc_after_card` stops at the first word
//! outside its gap words). Population (a Luhn-valid card, a code word and its digits within
//! 48 bytes on its line, other words between: `cvcprose/words`): 592 gold, 0 not, on 18
//! writers' splits (blind6 … blind28; main missed 18: blind25 4, blind27 14).
//!
//! The twenty-eighth round looked forward from every card (`cvc_later_on_line`, kept here as
//! the reference): 48 bytes read at each card, +5.7 % on `redact_profile 65536 pii text`,
//! whose records hold a card each. This form starts where the byte pass already stops: a
//! digit outside a word, right before `Detector::number_region`. One bit of the class the pass
//! has loaded for the byte before (`pw_shape::SHAPE_BEFORE_CODE`: a blank, `:`, `=`, `#`,
//! `)`), then `code_may_start` (inlined: not after a `"`, three or four digits, then no
//! letter, digit, `/` or `-`), then out of line `Detector::card_code_later`: a code word ending
//! before the digits (`code_word_before`, its last two bytes tested before the list), a card
//! found earlier in the pass (a `CreditCard` hit in `out`) ending at most 47 bytes before the
//! word on its line, then the reference itself from that card, so the code found is exactly
//! the one the forward look finds (`tests_r29c` pins the two on generated lines). Cost
//! (`count.sh` against main): +0.08 % to +0.33 % on the seven cases (PII text +0.33 %).
//!
//! One difference from the forward look: it pushed the code from the card's region and the
//! byte pass went on after the code, so nothing between card and code was scanned; here the
//! scan between them is main's (the code is found when the scan reaches it).

use super::check::cvc_table_cell;
use super::numbers::{code_digits_after, cvc_after_card, CVC_WORDS};
use super::{Entity, Hit};

/// The reference (twenty-eighth round, task gs): a card's security code later on the card
/// number's line, looked for forward from the card ending at `end`: within 48 bytes after
/// `end` and before the line's end, a word of `numbers::CVC_WORDS` standing alone, then its
/// three or four digits (`numbers::code_digits_after`); the first such. Asked by
/// `code_after_card` for a card it found, so the code is the one this finds.
#[inline(never)]
pub(super) fn cvc_later_on_line(hay: &[u8], end: usize) -> Option<(usize, usize)> {
    let limit = (end + 48).min(hay.len());
    let line_end = memchr::memchr(b'\n', &hay[end..limit]).map_or(limit, |k| end + k);
    let mut i = end;
    while i < line_end {
        if cvc_word_head(hay, i) && (i == 0 || !hay[i - 1].is_ascii_alphanumeric()) {
            if let Some(code) = word_at(hay, i).and_then(|w| code_digits_after(hay, i + w.len())) {
                return Some(code);
            }
        }
        i += 1;
    }
    None
}

/// The word of `CVC_WORDS` at `i` (any case), no letter or digit after it.
fn word_at(hay: &[u8], i: usize) -> Option<&'static [u8]> {
    CVC_WORDS.iter().copied().find(|w| {
        hay.get(i..i + w.len())
            .is_some_and(|x| x.eq_ignore_ascii_case(w))
            && !hay.get(i + w.len()).is_some_and(u8::is_ascii_alphanumeric)
    })
}

/// Whether the bytes at `i` open a word of `numbers::CVC_WORDS` (its first two bytes, the
/// first in any case): the reference's cheap test before the list is read.
pub(super) fn cvc_word_head(hay: &[u8], i: usize) -> bool {
    let second = hay.get(i + 1).map_or(0, |&b| b | 0x20);
    matches!(
        [hay[i] | 0x20, second],
        [b'c', b'v' | b'i' | b's' | b'r' | b'o' | 0xe3]
            | [b's', b'e']
            | [b'k', b'a']
            | [b'p', b'r']
            | [b'b', b'e']
    )
}

/// The bytes that may stand right before a security code's digits (`numbers::code_digits_after`):
/// a blank, `:`, `=`, `#`, `)` (all below 64: one shift of this mask).
#[cfg(test)]
const BEFORE_CODE: u64 = 1 << b' ' | 1 << b'\t' | 1 << b':' | 1 << b'=' | 1 << b'#' | 1 << b')';

/// Whether a security code's digits may start at `i`, a number region's first digit: one of
/// `BEFORE_CODE` before it, not after a `"` (a JSON member's number, `"price":123.45`: a code
/// word cannot end at a quote), three or four digits, then no letter, digit, `/` or `-`
/// (`numbers::code_digits_after`'s end). The byte pass asks `code_digits_may_start` after
/// the class bit that stands for the first test (thirtieth round, task cost); this is the
/// test the two stand for, kept for the tests.
#[cfg(test)]
pub(super) fn code_may_start(hay: &[u8], i: usize) -> bool {
    i >= 4
        && ((hay[i - 1] < 64 && (BEFORE_CODE >> hay[i - 1]) & 1 != 0) || hay[i - 1] == b'`')
        && code_digits_may_start(hay, i)
}

/// `code_may_start` but for its test of the byte before `i`, which the byte pass has made
/// by the class it loaded (`pw_shape::SHAPE_BEFORE_CODE` holds the bytes of `BEFORE_CODE`):
/// asked after that bit, it is `code_may_start` (thirtieth round, task cost: five
/// instructions at each region after a blank, `:`, `=`, `#` or `)`; `tests_cost` pins the
/// equality).
#[inline(always)]
pub(super) fn code_digits_may_start(hay: &[u8], i: usize) -> bool {
    let digit = |k: usize| hay.get(k).is_some_and(u8::is_ascii_digit);
    i >= 4
        && hay[i - 2] != b'"'
        && digit(i + 1)
        && digit(i + 2)
        && hay
            .get(i + 3 + usize::from(digit(i + 3)))
            .is_none_or(|&b| !b.is_ascii_alphanumeric() && b != b'/' && b != b'-')
}

/// The start of the code word whose digits start at `i` (`code_digits_after` from the
/// word's end gives `i`): back over blanks, one `:`/`=`/`#`, blanks, one `(…)` of at most
/// 10 bytes, blanks, to a word of `CVC_WORDS` standing alone.
pub(super) fn code_word_before(hay: &[u8], i: usize) -> Option<usize> {
    let blanks = |mut k: usize| {
        while k > 0 && matches!(hay[k - 1], b' ' | b'\t') {
            k -= 1;
        }
        k
    };
    // A code in backticks (`` CVC `093` ``; `evidence_r40c`).
    let mut k = blanks(i - usize::from(i > 0 && hay[i - 1] == b'`'));
    if k > 0 && matches!(hay[k - 1], b':' | b'=' | b'#') {
        k = blanks(k - 1);
    }
    if k > 0 && hay[k - 1] == b')' {
        let from = k.saturating_sub(11);
        k = blanks(from + memchr::memrchr(b'(', &hay[from..k - 1])?);
    }
    // The word ends at `k`: its last two bytes are one of the words' (any case), before the
    // list is read (`Jane Roe 123` in the PII profiles: one test, not fifteen).
    if k < 3
        || !matches!(
            [hay[k - 2] | 0x20, hay[k - 1] | 0x20],
            [b'v' | b'c', b'2']
                | [b'v', b'v' | b'c' | b'n']
                | [b'i', b'd']
                | [b's', b'c']
                | [b'd' | b'm', b'e']
                | [b'e', b'r']
                | [b'a', b'd']
                | [b'z', b'a']
        )
    {
        return None;
    }
    let w = CVC_WORDS.iter().find(|w| {
        k >= w.len()
            && hay[k - w.len()..k].eq_ignore_ascii_case(w)
            && (k == w.len() || !hay[k - w.len() - 1].is_ascii_alphanumeric())
    })?;
    let ws = k - w.len();
    (word_at(hay, ws) == Some(*w) && code_digits_after(hay, k).is_some_and(|(s, _)| s == i))
        .then_some(ws)
}

/// The security code whose digits start at `i`, when a card found earlier in the pass (in
/// `out`) has it later on its line: pushed as GENERIC_SECRET with the card's priority. Asked
/// when `code_may_start`; the card must be one whose code neither `cvc_after_card` nor
/// `cvc_table_cell` found, and the reference from it must give these digits.
impl super::Detector {
    #[cold]
    #[inline(never)]
    pub(super) fn card_code_later(&self, hay: &[u8], i: usize, out: &mut Vec<(Hit, usize)>) {
        if let Some((h, prio)) = code_after_card(hay, i, out) {
            self.push(out, h, prio);
        } else if let Some((s, e)) = (hay[i - 2] == b'|')
            .then(|| super::evidence_r34d::pipe_cvc_cell(hay, i))
            .flatten()
        {
            // A pipe table's `| CVV | 925 |` (`evidence_r34d`: one blank after the `|`).
            self.push(out, Hit::new(Entity::GenericSecret, s, e), usize::MAX - 1);
        }
    }
}

/// The hit `Detector::card_code_later` pushes, and the card's priority.
pub(super) fn code_after_card(hay: &[u8], i: usize, out: &[(Hit, usize)]) -> Option<(Hit, usize)> {
    let ws = code_word_before(hay, i)?;
    let from = ws.saturating_sub(47);
    out.iter().rev().find_map(|&(h, prio)| {
        (h.entity == Entity::CreditCard
            && (from..=ws).contains(&h.end)
            && memchr::memchr(b'\n', &hay[h.end..ws]).is_none()
            && cvc_after_card(hay, h.end).is_none()
            && cvc_table_cell(hay, h.start, h.end).is_none())
        .then(|| cvc_later_on_line(hay, h.end))
        .flatten()
        .filter(|&(s, _)| s == i)
        .map(|(s, e)| (Hit::new(Entity::GenericSecret, s, e), prio))
    })
}
