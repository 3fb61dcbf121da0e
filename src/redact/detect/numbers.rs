//! Number-shaped entities: number regions, phone numbers (shape and context), payment cards
//! (Luhn, issuer ranges) and IBANs (mod 97).

use super::super::entity::Entity;
use super::super::validate as v;

use super::*;

impl Detector {
    /// Handles the number region starting at digit `i`; returns where to continue.
    pub(super) fn number_region(
        &self,
        hay: &[u8],
        i: usize,
        ctx: ScanContext,
        out: &mut Vec<(Hit, usize)>,
    ) -> usize {
        let n = hay.len();
        let mut e = i;
        let mut digits = 0usize;
        let mut dots = 0usize;
        while e < n {
            match CLASS[usize::from(hay[e])] {
                C_DIGIT => digits += 1,
                C_NUMSEP => {
                    if hay[e] == b'.' {
                        dots += 1;
                    }
                    // Phones use at most two separators in a row (") ", " -"); three end
                    // the region.
                    if e + 2 < n
                        && CLASS[usize::from(hay[e + 1])] == C_NUMSEP
                        && CLASS[usize::from(hay[e + 2])] == C_NUMSEP
                    {
                        break;
                    }
                }
                _ => break,
            }
            e += 1;
        }
        // Extensions ("x1234", "ext. 12") are matched by the regex itself past `e`.
        let iban_start =
            i >= 2 && hay[i - 1].is_ascii_uppercase() && hay[i - 2].is_ascii_uppercase();
        if digits < 7 && !(digits >= 4 && dots >= 3) && !iban_start {
            return e.max(i + 1);
        }
        // Region start: include a '+' or '(' right before the first digit.
        let mut rs = i;
        while rs > 0 && matches!(hay[rs - 1], b'+' | b'(') && i - rs < 2 {
            rs -= 1;
        }
        let mut p = if iban_start { i - 2 } else { rs };
        let mut end_reached = e;
        // Digits in hay[p..e], kept as p moves (numeric_at needs it at every token).
        let mut digits_left = digits;
        while p < e {
            // Every number rule needs four digits or more from its start (IPv4; the others
            // more), but an IBAN, which starts at its two capitals.
            if digits_left < 4 && !hay[p].is_ascii_uppercase() {
                break;
            }
            let at_token = match hay[p] {
                b'+' | b'(' => p == 0 || !v::is_word(hay[p - 1]),
                c if c.is_ascii_digit() => p == 0 || !hay[p - 1].is_ascii_digit(),
                c if c.is_ascii_uppercase() => true,
                _ => false,
            };
            if at_token {
                if let Some(h) = self.numeric_at(hay, p, e, digits_left, ctx) {
                    end_reached = end_reached.max(h.0.end);
                    // Past the region: the loop ends; inside it, count what was passed.
                    digits_left -= hay[p..h.0.end.min(e)]
                        .iter()
                        .filter(|b| b.is_ascii_digit())
                        .count()
                        .min(digits_left);
                    p = h.0.end;
                    self.push(out, h.0, h.1);
                    continue;
                }
            }
            if hay[p].is_ascii_digit() {
                digits_left = digits_left.saturating_sub(1);
            }
            p += 1;
        }
        end_reached.max(i + 1)
    }

    /// Tries the number rules anchored at `p`, in priority order. `region_end` bounds the
    /// run of digits and separators that `p` starts in; cheap shape checks skip rules that
    /// cannot match there before any regex runs.
    pub(super) fn numeric_at(
        &self,
        hay: &[u8],
        p: usize,
        region_end: usize,
        digits: usize,
        ctx: ScanContext,
    ) -> Option<(Hit, usize)> {
        let first = hay[p];
        let region = &hay[p..region_end.max(p)];
        debug_assert_eq!(digits, region.iter().filter(|b| b.is_ascii_digit()).count());
        let at = |i: usize| hay.get(p + i).copied().unwrap_or(0);
        // What `check` would reject on the byte before the (anchored) match, tested before
        // the regex runs: a digit after a word byte has no `\b`, and cards, SSNs and IPv4s
        // do not follow `-`, `.` or `/` (phones: nor `+` or `@`).
        let before = if p == 0 { b' ' } else { hay[p - 1] };
        let digit_start = first.is_ascii_digit() && !v::is_word(before);
        let no_sep = !matches!(before, b'-' | b'.' | b'/');
        for &rule in &self.numeric {
            let fits = match self.rules[rule].0 {
                Kind::Iban => first.is_ascii_uppercase(),
                Kind::Card => digit_start && no_sep && digits >= 12,
                Kind::Ssn => {
                    digit_start && no_sep && matches!(at(3), b'-' | b' ') && at(6) == at(3)
                }
                Kind::Ipv4 => {
                    digit_start && before != b'.' && region.iter().take(4).any(|&b| b == b'.')
                }
                Kind::Phone => {
                    !first.is_ascii_uppercase()
                        && digits >= 7
                        && !v::is_word(before)
                        && no_sep
                        && !matches!(before, b'+' | b'@')
                }
                _ => false,
            };
            if fits {
                if let Some(h) = self.try_rule(rule, hay, p, ctx) {
                    return Some((h, rule));
                }
            }
        }
        None
    }
}

/// The phone rule's match at `p`, by hand:
/// `(?:\+ ?[0-9]|\([0-9]{1,5}\)|{b}[0-9])(?:[ .\-/]{0,2}(?:\([0-9]{1,5}\)|[0-9])){4,22}`
/// `(?: ?(?:x|ext\.?|#) ?[0-9]{1,6})?`. Separators, digits and `(` are disjoint, so each
/// greedy step has one way to go and no backtracking changes the leftmost-first match.
pub(super) fn phone_end(hay: &[u8], p: usize) -> Option<usize> {
    let digit = |i: usize| hay.get(i).is_some_and(u8::is_ascii_digit);
    // `\([0-9]{1,5}\)` at `i`.
    let paren = |i: usize| {
        if hay.get(i) != Some(&b'(') {
            return None;
        }
        let r = digit_run(hay, i + 1);
        ((1..=5).contains(&r) && hay.get(i + 1 + r) == Some(&b')')).then_some(i + 2 + r)
    };
    let mut pos = match hay.get(p)? {
        b'+' => {
            let q = if hay.get(p + 1) == Some(&b' ') {
                p + 2
            } else {
                p + 1
            };
            digit(q).then_some(q + 1)?
        }
        b'(' => paren(p)?,
        b if b.is_ascii_digit() && !(p > 0 && v::is_word(hay[p - 1])) => p + 1,
        _ => return None,
    };
    let mut units = 0;
    while units < 22 {
        let mut q = pos;
        while q < pos + 2 && matches!(hay.get(q), Some(b' ' | b'.' | b'-' | b'/')) {
            q += 1;
        }
        let next = if digit(q) { Some(q + 1) } else { paren(q) };
        match next {
            Some(e) => pos = e,
            None => break,
        }
        units += 1;
    }
    if units < 4 {
        return None;
    }
    // The optional extension.
    let ext = || {
        let mut q = pos;
        if hay.get(q) == Some(&b' ') {
            q += 1;
        }
        match hay.get(q)? {
            b'x' | b'#' => q += 1,
            b'e' if hay[q..].starts_with(b"ext") => {
                q += 3;
                if hay.get(q) == Some(&b'.') {
                    q += 1;
                }
            }
            _ => return None,
        }
        if hay.get(q) == Some(&b' ') {
            q += 1;
        }
        let r = digit_run(hay, q).min(6);
        (r > 0).then_some(q + r)
    };
    Some(ext().unwrap_or(pos))
}

/// Length of a phone candidate without its extension (`x123`, `ext. 123`, `#123`).
pub(super) fn phone_core_end(text: &[u8]) -> usize {
    text.iter()
        .position(|&b| b == b'x' || b == b'e' || b == b'#')
        .map(|p| {
            let mut q = p;
            while q > 0 && text[q - 1] == b' ' {
                q -= 1;
            }
            q
        })
        .unwrap_or(text.len())
}

/// Context words in the 32 bytes before a phone candidate.
pub(super) fn phone_context_before(hay: &[u8], s: usize) -> bool {
    const WORDS: [&[u8]; 14] = [
        b"phone",
        b"tel",
        b"call",
        b"mobile",
        b"cell",
        b"fax",
        b"whatsapp",
        b"sms",
        b"text me",
        b"reach",
        b"my number",
        b"nummer",
        b"num\xc3\xa9ro",
        b"handy",
    ];
    let from = s.saturating_sub(32);
    let mut win = [0u8; 32];
    let w = &mut win[..s - from];
    w.copy_from_slice(&hay[from..s]);
    w.make_ascii_lowercase();
    // A context word starts a word ("hotel", "tellement" are not "tel"); short ones must
    // also end one ("Telmo").
    (0..w.len()).any(|at| {
        (at == 0 || !w[at - 1].is_ascii_alphabetic())
            && WORDS.iter().any(|word| {
                w[at..].starts_with(word) && {
                    let next = w.get(at + word.len()).copied();
                    word.len() > 4 || !next.is_some_and(|b| b.is_ascii_alphabetic())
                }
            })
    })
}

pub(super) fn followed_by_digit_after(hay: &[u8], e: usize, seps: &[u8]) -> bool {
    match (hay.get(e), hay.get(e + 1)) {
        (Some(c), Some(d)) => seps.contains(c) && d.is_ascii_digit(),
        _ => false,
    }
}

pub(super) fn check_iban(hay: &[u8], s: usize, e: usize) -> Outcome {
    let text = &hay[s..e];
    let Some(len) = v::iban_length(&text[..2]) else {
        return Outcome::Reject;
    };
    let mut compact = [0u8; 40];
    let mut n = 0;
    let mut end = s;
    for (i, &b) in text.iter().enumerate() {
        if b == b' ' {
            continue;
        }
        if n == len {
            break;
        }
        compact[n] = b;
        n += 1;
        end = s + i + 1;
    }
    if n < len {
        return Outcome::Reject;
    }
    // The IBAN must end at a word boundary (end of text, or a separator before more text).
    if hay.get(end).is_some_and(|&b| b.is_ascii_alphanumeric()) {
        return Outcome::Reject;
    }
    if v::iban_ok(&compact[..n]) {
        Outcome::Hit(Hit {
            entity: Entity::Iban,
            start: s,
            end,
        })
    } else {
        Outcome::Reject
    }
}

/// Cards: the whole candidate, or (for grouped numbers followed by e.g. a CVV) the longest
/// prefix of whole groups that is a valid card.
pub(super) fn check_card(hay: &[u8], s: usize, e: usize) -> Outcome {
    let text = &hay[s..e];
    let card = |end: usize| {
        Outcome::Hit(Hit {
            entity: Entity::CreditCard,
            start: s,
            end,
        })
    };
    // Most cards are written as one run of digits.
    if text.iter().all(u8::is_ascii_digit) {
        return if v::card_ok(text) {
            card(e)
        } else {
            Outcome::Reject
        };
    }
    let mut digits = [0u8; 40];
    let mut n = 0;
    let mut group_ends: [(usize, usize); 8] = [(0, 0); 8];
    let mut ng = 0;
    for (i, &b) in text.iter().enumerate() {
        if b.is_ascii_digit() {
            if n < digits.len() {
                digits[n] = b;
                n += 1;
            }
            let last = i + 1 == text.len() || !text[i + 1].is_ascii_digit();
            if last && ng < group_ends.len() {
                group_ends[ng] = (i + 1, n);
                ng += 1;
            }
        }
    }
    // Mixed separators ("4111 1111-1111 1111") are not how cards are written.
    let mut seps = text.iter().filter(|b| !b.is_ascii_digit());
    if let Some(first) = seps.next() {
        if seps.any(|b| b != first) {
            return Outcome::Reject;
        }
    }
    for &(end_off, nd) in group_ends[..ng].iter().rev() {
        if nd < 12 {
            break;
        }
        if v::card_ok(&digits[..nd]) {
            return card(s + end_off);
        }
    }
    Outcome::Reject
}
