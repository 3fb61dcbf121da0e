//! Precision negatives of the twenty-seventh round (issue #20, task prec): a finding whose
//! value's own shape, or the identifier it stands in, says it is not what it was found as.
//!
//! Each was measured on the **population** of every finding it removes on the training splits
//! (`benches/prec_r27_population.py`: gold vs not, per split; docs/redaction-accuracy.md,
//! "Twenty-seventh round, task prec"), and rests on a standard or on a structure that recurs
//! across writers, not on one tool's layout:
//!
//! - a PHONE or CREDIT_CARD whose digits are one field of a colon-separated identifier (`:`
//!   right before and right after: an AWS ARN's account, `arn:aws:iam::731286687149:role/…`;
//!   a Firebase app id, `1:580728246480:web:…`). An ARN's account field is a 12-digit
//!   account id, no one's phone or card; no writer of the training splits labels one (640
//!   ARNs over thirteen splits);
//! - a PHONE written in a digit grouping no numbering plan uses: two groups, the first of
//!   seven digits or more and the last of one or two (`Rx #: 1046843-90`, a prescription's
//!   number), or four, six and five digits (`3733 658072 10016`: the grouping of a 15-digit
//!   card or receipt number). No national format in libphonenumber's metadata (every region's
//!   `numberFormat` pattern, with or without a trunk prefix) has either shape, and no gold
//!   phone of the training splits does;
//! - a documentation placeholder that is only a template in angle brackets (`<your-token>`,
//!   `<paste key here>`, `<<paste here>>`): a template for a value, read as text as
//!   `${TOKEN}` is (`detect::stand_in`), not reported as a placeholder. No writer of twenty
//!   splits labels `<your-token>` or `<redacted>` as anything. It was never masked (a
//!   placeholder is kept), so no value is unmasked by this rule.

/// Whether the digits at `hay[s..e]` are one field of a colon-separated identifier: a `:`
/// right before and right after (`arn:aws:iam::123456789012:role/ci`, `1:5807…:web:…`).
/// (Inlined: out of line its call was ~6 instructions at each of a PII document's phone and
/// card candidates, for two byte tests; twenty-eighth round, task cost.)
#[inline(always)]
pub(crate) fn colon_field(hay: &[u8], s: usize, e: usize) -> bool {
    s > 0 && hay[s - 1] == b':' && hay.get(e) == Some(&b':')
}

/// Whether a phone candidate `text` (no `+`: an international number is written as its plan
/// says) is grouped as no numbering plan groups a number (module docs): two groups, the first
/// of seven digits or more and the last of one or two; or four, six and five digits.
///
/// The first group decides first: a phone's is almost always of one to three digits (`(555)
/// 123-4567`, `020 7946 0958`), or of five or six (`07700 900123`), and only a first group of
/// four or of seven or more leads to the other groups' count (twenty-eighth round, task cost:
/// counting every group of every phone was ~119 instructions a phone on `redact_profile 65536
/// pii bytes`; the count of all groups is `tests_cost`'s reference). Inlined up to its
/// first test: where the first digit opens the text or follows its first byte (`(555)`), a
/// first group of four digits or more has a digit three bytes on, which a phone's first
/// group of three (`(555) 123-4567`, `555-123-4567`) has not.
#[inline(always)]
pub(crate) fn no_plan_grouping(text: &[u8]) -> bool {
    let first_digit = match text {
        [] | [b'+', ..] => return false,
        [a, ..] if a.is_ascii_digit() => 0,
        [_, b, ..] if b.is_ascii_digit() => 1,
        _ => return groups_fit_no_plan(text),
    };
    text.get(first_digit + 3).is_some_and(u8::is_ascii_digit) && groups_fit_no_plan(text)
}

/// `no_plan_grouping` past its first test: the groups counted (the first, then the others
/// only where the first is of four digits or of seven or more).
#[inline(never)]
fn groups_fit_no_plan(text: &[u8]) -> bool {
    if text.first() == Some(&b'+') {
        return false;
    }
    let Some(start) = text.iter().position(u8::is_ascii_digit) else {
        return false;
    };
    let first = text[start..]
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(text.len() - start);
    if first != 4 && first < 7 {
        return false;
    }
    // The groups after the first (the rest opens with a non-digit, or is empty).
    let mut groups = [0usize; 2];
    let mut n = 0;
    let mut in_group = false;
    for &b in &text[start + first..] {
        if b.is_ascii_digit() {
            if !in_group {
                if n == groups.len() {
                    return false;
                }
                n += 1;
                in_group = true;
            }
            groups[n - 1] += 1;
        } else {
            in_group = false;
        }
    }
    match (first, &groups[..n]) {
        (4, [6, 5]) => true,
        (4, _) => false,
        (_, [b]) => *b <= 2,
        _ => false,
    }
}

/// Whether `v` is only a template in angle brackets: `<` (or `<<`), words of letters joined
/// by blanks, `-` or `_`, then `>` (or `>>`): `<your-token>`, `<paste key here>`,
/// `<<paste here>>`, `<YOUR_API_KEY>`. No digit and no other sign: a value such as
/// `<Xy7$kq>` is no template.
pub(crate) fn angle_template(v: &[u8]) -> bool {
    let Some(inner) = v.strip_prefix(b"<").and_then(|r| r.strip_suffix(b">")) else {
        return false;
    };
    let inner = inner
        .strip_prefix(b"<")
        .and_then(|r| r.strip_suffix(b">"))
        .unwrap_or(inner);
    inner.len() >= 3
        && inner.first().is_some_and(u8::is_ascii_alphabetic)
        && inner.last().is_some_and(u8::is_ascii_alphabetic)
        && inner
            .iter()
            .all(|&b| b.is_ascii_alphabetic() || matches!(b, b' ' | b'-' | b'_'))
}
