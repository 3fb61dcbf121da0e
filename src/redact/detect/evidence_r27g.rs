//! GENERIC_SECRET recall: the AWS secret access key written near, not next to, its access key
//! id (twenty-seventh round, task gs; docs/redaction-accuracy.md, "Twenty-seventh round, task
//! gs"; counted on every training split by `benches/gs_r27_population.py`).
//!
//! An AWS secret access key is 40 bytes of the base64 alphabet (AWS's documented shape); the
//! scanner already stops at its access key id (`AKIA…`/`ASIA…`, the `Kind::Aws` rule) and
//! `check::aws_pair_secret` takes the secret written right after it (`AKIA… / S`, `AKIA…:S`).
//! Writers also put it in the next setting or line (a Terraform `variable` block's `default`,
//! a CI variables table's next row, an `sts` output's next column) or in a URL's userinfo,
//! URL-encoded (`aws://AKIA…:S%2B…@/`). Here: the first token within `WINDOW` bytes after an
//! access key id that has exactly that shape — 40 bytes once `%2B`/`%2F` count one, lower
//! case, upper case and digits, no longer run of the alphabet around it, above the entropy
//! threshold, no placeholder — and is not the value of an identifier's member (`"id": "…"`,
//! a log event's id); failing that, the last such token within `WINDOW` bytes before the id
//! (a table's row above it). Population on the training splits (after an id, 160 bytes): 2,091 gold
//! GENERIC_SECRET on 20 splits, 9 not gold (blind13's log event ids, which the `id` veto
//! removes).

use super::check::{secret_token_at, Outcome};
use super::{Entity, Hit};

/// How far after the access key id the secret may be (bytes).
const WINDOW: usize = 160;

/// A byte of the base64 alphabet AWS secret keys use.
fn b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'/' || b == b'+'
}

/// A byte that may continue a token (its neighbours must be none of these).
fn token_byte(b: u8) -> bool {
    b64(b) || matches!(b, b'%' | b'.' | b'_' | b'-' | b'=')
}

/// The run of base64 bytes and `%2B`/`%2F` escapes at `i`: its end and its decoded length.
fn run_at(hay: &[u8], mut i: usize) -> (usize, usize) {
    let mut n = 0;
    loop {
        match hay.get(i) {
            Some(&b) if b64(b) => i += 1,
            Some(b'%')
                if hay.get(i + 1) == Some(&b'2')
                    && hay
                        .get(i + 2)
                        .is_some_and(|&c| matches!(c, b'B' | b'b' | b'F' | b'f')) =>
            {
                i += 3
            }
            _ => return (i, n),
        }
        n += 1;
    }
}

/// Whether the token at `s` is the value of a member or setting named `id` (`"id":"…"`,
/// `id=…`, `event_id: …`): an identifier, not a secret.
fn id_value(hay: &[u8], s: usize) -> bool {
    let mut i = s;
    while i > 0 && matches!(hay[i - 1], b'"' | b'\'' | b' ' | b'\t') {
        i -= 1;
    }
    if i == 0 || !matches!(hay[i - 1], b':' | b'=') {
        return false;
    }
    i -= 1;
    while i > 0 && matches!(hay[i - 1], b'"' | b'\'' | b' ' | b'\t') {
        i -= 1;
    }
    let key_start = hay[..i]
        .iter()
        .rposition(|&b| !(b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
        .map_or(0, |k| k + 1);
    let key = &hay[key_start..i];
    key.len() >= 2 && {
        let tail = &key[key.len() - 2..];
        tail.eq_ignore_ascii_case(b"id")
            && (key.len() == 2 || matches!(key[key.len() - 3], b'_' | b'-') || tail == b"Id")
    }
}

/// The secret access key near an access key id at `start..end`: the first secret-shaped
/// token within `WINDOW` bytes after it, else the last one within `WINDOW` bytes before it
/// (a table's previous row, `AWS_SECRET_ACCESS_KEY … S` above `AWS_ACCESS_KEY_ID … AKIA…`).
pub(super) fn aws_secret_near(hay: &[u8], start: usize, end: usize, threshold: f64) -> Option<Hit> {
    let after = end..(end + WINDOW).min(hay.len());
    let before = start.saturating_sub(WINDOW)..start;
    secret_in(hay, after, threshold, false).or_else(|| secret_in(hay, before, threshold, true))
}

/// The first (or with `last`, the last) token starting in `range` and ending by its end
/// (after it, for the first) shaped as an AWS secret access key.
fn secret_in(hay: &[u8], range: std::ops::Range<usize>, threshold: f64, last: bool) -> Option<Hit> {
    let mut found = None;
    let mut i = range.start;
    while i < range.end {
        if !b64(hay[i]) || (i > 0 && token_byte(hay[i - 1])) {
            i += 1;
            continue;
        }
        let (e, n) = run_at(hay, i);
        let whole = hay.get(e).is_none_or(|&b| !token_byte(b));
        if n == 40 && whole && (!last || e <= range.end) && !id_value(hay, i) {
            let v = &hay[i..e];
            let classes = v.iter().any(u8::is_ascii_lowercase)
                && v.iter().any(u8::is_ascii_uppercase)
                && v.iter().any(u8::is_ascii_digit);
            if classes {
                if let Outcome::Hit(h) = secret_token_at(hay, i, e, threshold) {
                    if h.end == e {
                        if !last {
                            return Some(h);
                        }
                        found = Some(h);
                    }
                }
            }
        }
        i = e.max(i + 1);
    }
    found
}

/// A row of a table aligned with blanks (`webhook_signing_key   6c20…`, `SESSION_SECRET
/// 74fe…`: `vault kv get`, `railway variables`, `heroku config` and the like): after
/// optional indentation a name (a letter, then letters, digits, `_`, `-`, `.`, `:`), two
/// blanks or more, one token to the line's end. (name start, name end, value start) of the
/// line `ls..le`.
pub(super) fn blank_row(hay: &[u8], ls: usize, le: usize) -> Option<(usize, usize, usize)> {
    let mut le = le;
    while le > ls && matches!(hay[le - 1], b'\r' | b' ' | b'\t') {
        le -= 1;
    }
    let line = &hay[ls..le];
    let ns = line
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    if !line.get(ns).is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    let ne = ns
        + line[ns..]
            .iter()
            .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
            .count();
    let gap = line[ne..]
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    let vs = ne + gap;
    (gap >= 2 && vs < line.len() && !line[vs..].iter().any(|&b| b == b' ' || b == b'\t'))
        .then_some((ls + ns, ls + ne, ls + vs))
}

/// Whether a row's name ends in `secret`, `token` or `key` as a word of its own (the whole
/// name, or after `_`, `-`, `.`, `:` or a camel-case capital) and names no bookkeeping key
/// (`evidence_r24s::bookkeeping_name`: `sort_key`, `public_key`, `next_token`, …).
pub(super) fn secret_name(name: &[u8]) -> bool {
    [b"secret".as_slice(), b"token", b"key"].iter().any(|w| {
        let Some(k) = name.len().checked_sub(w.len()) else {
            return false;
        };
        name[k..].eq_ignore_ascii_case(w)
            && (k == 0
                || matches!(name[k - 1], b'_' | b'-' | b'.' | b':')
                || (name[k].is_ascii_uppercase() && name[k - 1].is_ascii_lowercase()))
            && !super::evidence_r24s::bookkeeping_name(&name[..k])
    })
}

/// The longest line a `blank_row` is looked for in (bytes each side of a position): the
/// scan stays bounded on a long one-line document.
const ROW_MAX: usize = 640;

/// The line `(start, end)` around `i` (without its `\n`), when it is no longer than
/// `ROW_MAX` bytes each side of `i`.
pub(super) fn line_at(hay: &[u8], i: usize) -> Option<(usize, usize)> {
    let from = i.saturating_sub(ROW_MAX);
    let ls = match memchr::memrchr(b'\n', &hay[from..i]) {
        Some(k) => from + k + 1,
        None if from == 0 => 0,
        None => return None,
    };
    let to = (i + ROW_MAX).min(hay.len());
    let le = match memchr::memchr(b'\n', &hay[i..to]) {
        Some(k) => i + k,
        None if to == hay.len() => to,
        None => return None,
    };
    Some((ls, le))
}

/// Whether the value token holding `i` follows two blanks (a `blank_row`'s gap): the first
/// test at every hit, before any line is looked for. A hit at the token's start needs the
/// two bytes before it blank; one inside it only a URL's credential after its user (`:`
/// before the hit), where the token's start is looked for (callgrind: looking for it at
/// every hit was +4 % on PII text).
#[inline(always)]
pub(super) fn after_gap(hay: &[u8], i: usize) -> bool {
    if i >= 2 && matches!(hay[i - 1], b' ' | b'\t') {
        return matches!(hay[i - 2], b' ' | b'\t');
    }
    if i == 0 || hay[i - 1] != b':' {
        return false;
    }
    credential_after_gap(hay, i)
}

/// `after_gap` at a hit after a `:`: whether the token holding it follows two blanks.
#[inline(never)]
fn credential_after_gap(hay: &[u8], i: usize) -> bool {
    let from = i.saturating_sub(160);
    let b = memchr::memrchr3(b' ', b'\t', b'\n', &hay[from..i]).map(|k| from + k);
    b.is_some_and(|b| b > 0 && hay[b] != b'\n' && matches!(hay[b - 1], b' ' | b'\t'))
}

/// Rows at most looked at above and below a found value (a table's length).
pub(super) const TABLE_ROWS: usize = 64;

/// The secrets of a table aligned with blanks that holds a finding: where a hit (a password,
/// a vendor's key, a URL's credential) lies in the value column of a `blank_row`, the rows
/// around it (up to a line that is no such row) whose name is a `secret_name` and whose value
/// has a secret's shape (`evidence_r24s::blank_pair_value`: one token, `secret_token_at`, no
/// short hex, time stamp or locator) are pushed as GENERIC_SECRET. No trigger literal of its
/// own: it reads the rows of tables the scanner already stopped in (an upper-case `CRET `
/// trigger cost +8.2 % on clean input in the twenty-fourth round).
///
/// Inlined up to one look at the hits' starts (`after_gap`'s, no hit past the text): the
/// first hit that may stand in a row's value column, or none, where the tables are read from
/// (`table_secrets_from`, out of line). Before it no hit does, and no row is read, so the
/// loop from there does what the loop over every hit does (twenty-eighth round, task cost:
/// the whole loop inlined in `hits_into` was ~27 instructions a hit and ~10 a call on
/// `redact_profile 65536 pii bytes`, none of whose ~1,850 hits a pass stands after a gap).
/// (Tried: this look and `evidence_r26n::review`'s in one loop, each hit's type and start
/// read once: `hits_into` +8k instructions on PII bytes, its set-up and spilled registers.)
#[inline]
pub(super) fn blank_table_secrets(
    hay: &[u8],
    raw: &mut Vec<(Hit, usize)>,
    enabled: &[bool; Entity::COUNT],
    threshold: f64,
) {
    if !enabled[Entity::GenericSecret.index()] {
        return;
    }
    if let Some(k) = raw
        .iter()
        .position(|(h, _)| h.start < hay.len() && after_gap(hay, h.start))
    {
        table_secrets_from(hay, raw, k, threshold);
    }
}

/// `blank_table_secrets` from the first hit `first` that `after_gap` holds for.
#[inline(never)]
fn table_secrets_from(hay: &[u8], raw: &mut Vec<(Hit, usize)>, first: usize, threshold: f64) {
    let mut done_to = 0;
    for k in first..raw.len() {
        let h = raw[k].0;
        if h.start < done_to || h.start >= hay.len() {
            continue;
        }
        if !after_gap(hay, h.start) {
            continue;
        }
        let Some((ls, le)) = line_at(hay, h.start) else {
            continue;
        };
        if blank_row(hay, ls, le).is_none_or(|(_, _, vs)| h.start < vs) {
            continue;
        }
        // The block of rows around it.
        let mut top = ls;
        for _ in 0..TABLE_ROWS {
            if top == 0 {
                break;
            }
            let Some((ps, pe)) = line_at(hay, top - 1) else {
                break;
            };
            if blank_row(hay, ps, pe).is_none() {
                break;
            }
            top = ps;
        }
        let mut row_start = top;
        for _ in 0..2 * TABLE_ROWS + 1 {
            if row_start >= hay.len() {
                break;
            }
            let Some((rs, re)) = line_at(hay, row_start) else {
                break;
            };
            let Some((ns, ne, _)) = blank_row(hay, rs, re) else {
                break;
            };
            if rs != ls && secret_name(&hay[ns..ne]) {
                if let Outcome::Hit(s) = super::evidence_r24s::blank_pair_value(hay, ne, threshold)
                {
                    raw.push((s, usize::MAX - 2));
                }
            }
            done_to = re;
            row_start = re + 1;
        }
    }
}
