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
//! a log event's id). Population on the training splits (after an id, 160 bytes): 2,091 gold
//! GENERIC_SECRET on 20 splits, 9 not gold (blind13's log event ids, which the `id` veto
//! removes).

use super::check::{secret_token_at, Outcome};
use super::Hit;

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

/// The secret access key within `WINDOW` bytes after an access key id ending at `end`.
pub(super) fn aws_secret_after(hay: &[u8], end: usize, threshold: f64) -> Option<Hit> {
    let limit = (end + WINDOW).min(hay.len());
    let mut i = end;
    while i < limit {
        if !b64(hay[i]) || (i > 0 && token_byte(hay[i - 1])) {
            i += 1;
            continue;
        }
        let (e, n) = run_at(hay, i);
        let whole = hay.get(e).is_none_or(|&b| !token_byte(b));
        if n == 40 && whole && !id_value(hay, i) {
            let v = &hay[i..e];
            let classes = v.iter().any(u8::is_ascii_lowercase)
                && v.iter().any(u8::is_ascii_uppercase)
                && v.iter().any(u8::is_ascii_digit);
            if classes {
                if let Outcome::Hit(h) = secret_token_at(hay, i, e, threshold) {
                    if h.end == e {
                        return Some(h);
                    }
                }
            }
        }
        i = e.max(i + 1);
    }
    None
}
