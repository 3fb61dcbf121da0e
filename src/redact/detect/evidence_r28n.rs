//! Precision negatives and type corrections of the twenty-eighth round (issue #20, task prec):
//! a finding whose value's own shape, or the member it stands in, says it is not what it was
//! found as.
//!
//! Each was measured on the **population** of every finding it changes on the training splits
//! (`benches/prec_r28_population.py`: gold vs not, per split; docs/redaction-accuracy.md,
//! "Twenty-eighth round, task prec"), and rests on a vendor's documented format or a standard,
//! not on one tool's layout:
//!
//! - a Slack token whose body holds no digit (`xoxb-not-a-real-token-this-will-not-work`,
//!   `xoxb-your-bot-token`) is a documentation placeholder. Every token format Slack documents
//!   carries a number: bot and user tokens their workspace's and user's numeric ids
//!   (`xoxb-<digits>-<digits>-<24 alphanumerics>`, `xoxp-<digits>-…`), app-level and rotated
//!   tokens a version (`xapp-1-…`, `xoxe-1-…`, `xoxe.xoxp-1-…`); a body of letters and `-`
//!   only is no token Slack issues, so no real one is unmasked;
//! - a run of six to nine equal bytes inside a stretch of 32 hexadecimal digits or more is
//!   what random hex holds (a 64-digit body holds a run of six once in ~17,800 keys), not a
//!   placeholder's mark (`xxxxxx`, `000000` in a key otherwise random): such a key is masked
//!   as the secret it is (the placeholder test of `validate::secret_placeholder` asks this);
//! - an all-capital word, `~` and digits (`HEAD~42`) is a git revision (gitrevisions(7):
//!   `<rev>~<n>`, the n-th ancestor), as a plain word before `~` is an estimate: not the
//!   mixed-case word of a human password (`ALCAchoFA~27`). Under a password's name it is
//!   still found by the key's rule;
//! - a number of ten or thirteen digits opening with `1` (a Unix time in seconds or
//!   milliseconds, 2001–2286) that is the whole value of an attribute or member named for a
//!   time (`date="1798167447000"`, `"timestamp": 1699130395`) is that time, not a phone.

/// Whether a Slack token (prefix included: `xoxb-…`, `xapp-…`, `xoxe.xoxp-…`) holds no digit
/// past its prefix: no token Slack issues has that shape (module docs).
pub(crate) fn slack_without_number(token: &[u8]) -> bool {
    let body = token.get(5..).unwrap_or_default();
    !body.is_empty() && !body.iter().any(u8::is_ascii_digit)
}

/// Whether the run of equal bytes `body[s..e]` (six to nine long) lies inside a stretch of 32
/// hexadecimal digits or more: random hex, not a placeholder's mark (module docs).
pub(crate) fn run_in_random_hex(body: &[u8], s: usize, e: usize) -> bool {
    if !(6..=9).contains(&(e - s)) || !body[s].is_ascii_hexdigit() {
        return false;
    }
    let left = body[..s]
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_hexdigit())
        .count();
    let right = body[e..]
        .iter()
        .take_while(|b| b.is_ascii_hexdigit())
        .count();
    left + (e - s) + right >= 32
}

/// Whether a password candidate `word` + `~` + digits has an all-capital word (`HEAD~42`): a
/// git revision, not a human password's mixed-case word (module docs).
pub(crate) fn capital_revision(word: &[u8], symbol: u8) -> bool {
    symbol == b'~' && word.iter().all(u8::is_ascii_uppercase)
}

/// Whether the phone candidate `hay[s..e]` is a Unix time: ten or thirteen digits opening with
/// `1`, the whole value of an attribute or member whose name ends in `date`, `time`,
/// `timestamp` or `_ts` (`date="1798167447000"`, `"created_time": "1699130395"`).
pub(crate) fn time_member_number(hay: &[u8], s: usize, e: usize) -> bool {
    let v = &hay[s..e];
    if !matches!(v.len(), 10 | 13) || v[0] != b'1' || !v.iter().all(u8::is_ascii_digit) {
        return false;
    }
    // Back over an opening quote, blanks, `=` or `:`, blanks and a closing quote to the name.
    let mut i = s;
    let quote = i > 0 && matches!(hay[i - 1], b'"' | b'\'');
    if quote {
        i -= 1;
    }
    // The value ends where its quote (or, bare, its token) does.
    let after = hay.get(e).copied();
    let closed = if quote {
        after == Some(hay[i])
    } else {
        after.is_none_or(|b| !b.is_ascii_alphanumeric() && b != b'.')
    };
    if !closed {
        return false;
    }
    while i > 0 && hay[i - 1] == b' ' {
        i -= 1;
    }
    if i == 0 || !matches!(hay[i - 1], b'=' | b':') {
        return false;
    }
    i -= 1;
    while i > 0 && hay[i - 1] == b' ' {
        i -= 1;
    }
    if i > 0 && matches!(hay[i - 1], b'"' | b'\'') {
        i -= 1;
    }
    let name_end = i;
    while i > 0 && (hay[i - 1].is_ascii_alphanumeric() || hay[i - 1] == b'_') {
        i -= 1;
    }
    let name = &hay[i..name_end];
    let ends =
        |w: &[u8]| name.len() >= w.len() && name[name.len() - w.len()..].eq_ignore_ascii_case(w);
    ends(b"date") || ends(b"time") || ends(b"timestamp") || ends(b"_ts")
}
