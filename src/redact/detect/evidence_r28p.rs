//! Two constructions of blind27's PASSWORD misses, each reached where the scanner already
//! stops or at one pinned literal, and judged by the value's shape (twenty-eighth round, task
//! pw; docs/redaction-accuracy.md, "Twenty-eighth round, task pw"; counted on every training
//! split by `benches/pw_r28_population.py`).
//!
//! * A connect string's `user/password@host` (`sqlplus hr_admin/X@//10.0.0.5:1521/ORCL`,
//!   `expdp system/X@CAREPRD`): one token after a blank, a quote, `=` or `(`, a user name's
//!   shape (in one case), one `/`, the value, an `@` and a host's first byte. Reached at the `@` the byte
//!   pass already stops at (`Detector::at_sign`), after the URL's userinfo and the e-mail
//!   address have had it: no literal. Three writers' gold (blind18, blind25, blind27), every
//!   taken candidate gold.
//! * A glued `-pVALUE` after a glued `-uUSER` (`mysql -uroot -pX`, `mysqldump --all-databases
//!   -uroot -pX`): the long-text searcher has no literal for either flag (the short texts'
//!   SWAR pass stops at `-p` and finds them already). Reached at the client's name, the prose
//!   searcher's literal `mysql` (pinned in `buckets::PROSE_AND_SECOND_TIER`), then on along
//!   its line. Three writers' gold (blind23, blind24, blind27), every taken candidate gold.
//!
//! The value is a PASSWORD when the twenty-fifth round's test says so
//! (`evidence_r26p::flag_value_password`: no `-` first, no look-alike, no vendor's key, no
//! regular expression's class, a shape score of at least 3). No vocabulary was extended.

use super::check::Outcome;
use super::evidence_r26p::flag_value_password;
use super::{Entity, Hit};

/// The longest user name and value either construction takes (bytes).
const USER_MAX: usize = 30;
const VALUE_MAX: usize = 64;
/// How far along its line the glued flags are looked for after the client's name.
const LINE_MAX: usize = 200;

/// A byte that ends a connect string's value (and a flag's unquoted value): a blank, a
/// quote, or one of ``<>|;,`` (and for the connect string `/` and `@`).
fn ends_value(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b'"' | b'\'' | b'`' | b'<' | b'>' | b'|' | b';' | b',' | b')' | b']' | b'}'
        )
}

/// A byte of a connect string's user name after its first letter.
fn user_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'$' | b'#' | b'-')
}

/// At the `@` at `at` (the byte pass; no URL's userinfo and no e-mail address there): the
/// password of a connect string `user/password@host`, if the token before the `@` is one.
#[inline(never)]
pub(super) fn connect_password(hay: &[u8], at: usize) -> Option<Hit> {
    let host = *hay.get(at + 1)?;
    if !(host.is_ascii_alphanumeric() || host == b'/' || host == b'[') {
        return None;
    }
    // The value: back from the `@` to the `/`.
    let from = at.saturating_sub(VALUE_MAX + 1);
    let mut vs = at;
    while vs > from && !ends_value(hay[vs - 1]) && !matches!(hay[vs - 1], b'/' | b'@') {
        vs -= 1;
    }
    if vs == at || vs == 0 || hay[vs - 1] != b'/' {
        return None;
    }
    // The user: back from the `/` over a user name's bytes, a letter first, after a blank, a
    // quote, `=`, `(` or the text's start.
    let slash = vs - 1;
    let mut us = slash;
    while us > 0 && slash - us <= USER_MAX && user_byte(hay[us - 1]) {
        us -= 1;
    }
    let opens = us == 0
        || matches!(hay[us - 1], b'"' | b'\'' | b'=' | b'(')
        || hay[us - 1].is_ascii_whitespace();
    if us == slash || slash - us > USER_MAX || !opens || !hay[us].is_ascii_alphabetic() {
        return None;
    }
    // A user name is written in one case (`hr_admin`, `SYSTEM`); a run of both is a base64
    // blob's (`mDkHpXfNxHm/2g+m8n…`, the mutation corpus's `@` inserted into one).
    let user = &hay[us..slash];
    if user.iter().any(u8::is_ascii_lowercase) && user.iter().any(u8::is_ascii_uppercase) {
        return None;
    }
    flag_value_password(&hay[vs..at]).then(|| Hit::new(Entity::Password, vs, at))
}

/// The value at `vs`: a quoted string on one line, or a token to a blank or one of
/// ``"'`<>|;,)]}`` (a final `.` trimmed).
pub(super) fn value_at(hay: &[u8], vs: usize) -> Option<(usize, usize)> {
    match *hay.get(vs)? {
        q @ (b'"' | b'\'') => {
            let end = hay[vs + 1..]
                .iter()
                .take(VALUE_MAX + 1)
                .position(|&b| b == q || b == b'\n')?;
            (end > 0 && hay[vs + 1 + end] == q).then_some((vs + 1, vs + 1 + end))
        }
        _ => {
            let mut ve = vs
                + hay[vs..]
                    .iter()
                    .take(VALUE_MAX + 1)
                    .take_while(|&&b| !ends_value(b))
                    .count();
            if ve > vs && hay[ve - 1] == b'.' {
                ve -= 1;
            }
            (ve > vs).then_some((vs, ve))
        }
    }
}

/// After a client's name ending at `e` (the literal `mysql`, `check::check_prose_password`):
/// the first glued `-uUSER` on its line followed by blanks and a glued `-pVALUE`, the value a
/// PASSWORD when shaped as one.
pub(super) fn client_password(hay: &[u8], e: usize) -> Outcome {
    let end = hay[e..]
        .iter()
        .take(LINE_MAX)
        .position(|&b| b == b'\n')
        .map_or((e + LINE_MAX).min(hay.len()), |n| e + n);
    let mut i = e;
    while let Some(d) = memchr::memchr(b'-', &hay[i..end]) {
        let u = i + d;
        i = u + 1;
        if !(u > 0 && matches!(hay[u - 1], b' ' | b'\t') && hay.get(u + 1) == Some(&b'u')) {
            continue;
        }
        if !hay.get(u + 2).is_some_and(u8::is_ascii_alphabetic) {
            continue;
        }
        let user = hay[u + 2..end]
            .iter()
            .take(USER_MAX + 3)
            .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            .count();
        if user > USER_MAX + 2 {
            continue;
        }
        let mut k = u + 2 + user;
        let blanks = k;
        while k < end && matches!(hay[k], b' ' | b'\t') {
            k += 1;
        }
        if k == blanks || hay.get(k..k + 2) != Some(b"-p") {
            continue;
        }
        return match hay.get(k + 2) {
            Some(&b) if !b.is_ascii_whitespace() && b != b'-' => match value_at(hay, k + 2) {
                Some((vs, ve)) if flag_value_password(&hay[vs..ve]) => {
                    Outcome::Hit(Hit::new(Entity::Password, vs, ve))
                }
                _ => Outcome::Reject,
            },
            _ => Outcome::Reject,
        };
    }
    Outcome::Reject
}

/// Whether the key at `s` whose keyword is `key` (`check::check_key_value`: `key` there)
/// names a Wi-Fi network's pre-shared key, `wpa-`, `wpa2-` or `wpa3-` and `pre-shared-key`
/// (`_` for `-` too): a PASSWORD, as the training splits' writers label a Wi-Fi key
/// (`wifi_psk=`, wpa_supplicant's `psk="…"`, `wifi_password:`, `wpa2-pre-shared-key=`; an
/// IPsec pre-shared key they label a GENERIC_SECRET, and the name here holds no Wi-Fi word
/// there).
pub(super) fn wifi_pre_shared_key(hay: &[u8], s: usize, key: &[u8]) -> bool {
    if !key.starts_with(b"key") || s < 11 {
        return false;
    }
    let shared = &hay[s - 11..s];
    if !(shared[..10].eq_ignore_ascii_case(b"pre-shared")
        || shared[..10].eq_ignore_ascii_case(b"pre_shared"))
        || !matches!(shared[10], b'-' | b'_')
    {
        return false;
    }
    let head = &hay[s.saturating_sub(16)..s - 11];
    let Some((&sep, head)) = head.split_last() else {
        return false;
    };
    let head = head
        .strip_suffix(b"2")
        .or_else(|| head.strip_suffix(b"3"))
        .unwrap_or(head);
    matches!(sep, b'-' | b'_')
        && head.len() >= 3
        && head[head.len() - 3..].eq_ignore_ascii_case(b"wpa")
        && head
            .len()
            .checked_sub(4)
            .is_none_or(|i| !head[i].is_ascii_alphanumeric())
}
