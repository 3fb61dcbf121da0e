//! Passwords by evidence a writer cannot vary (twenty-fourth round, task pw): generic
//! structure around a value, each class counted on every candidate of the training splits,
//! per split, before it was written (`benches/password_r24_population.py`,
//! docs/redaction-accuracy.md, "Twenty-fourth round, task pw"):
//!
//! - A key naming a password's hash or digest (`passwordHash`, `password_hash`, `pwd_digest`,
//!   `PasswordHashed`): the value is what a store keeps instead of the password, no password
//!   (167 candidates in three splits, none gold PASSWORD; `password_hash_name`). A salt
//!   (`passwordsalt`) is no part of it: it is a GENERIC_SECRET by its own rule.
//! - A configuration line whose key ends in `pass` after a word (`smtppass = …`, `auth_pass
//!   …`, `SMTP_PASS=…`, `default_pass = …`), at the line's start, its value the rest of the
//!   line and shaped as a password (219 candidates in twelve splits, all gold PASSWORD;
//!   `line_key_pass`). The engine found the forms with `_` and `=` already; a key joined to
//!   its word (`smtppass`) or set with a blank (`auth_pass 2jjun9uz`) was missed.

use super::check::{password_like, Outcome};
use super::{Entity, Hit};

/// Whether a normalized JSON key (`json::keys::normalize_key`: lower case, words joined by
/// `_`) names a password's hash or digest: a password word and `hash`, `hashed` or `digest`
/// as words of it (`password_hash`, `hash_password`, `pwd_digest`, `password_hashed`). The
/// value is no password.
pub(crate) fn password_hash_name(norm: &str) -> bool {
    let mut password = false;
    let mut hash = false;
    for w in norm.split('_') {
        password |= matches!(
            w,
            "password" | "passwd" | "pwd" | "pass" | "passwort" | "kennwort" | "wachtwoord"
        );
        hash |= matches!(w, "hash" | "hashed" | "digest");
    }
    password && hash
}

/// The name of the key whose last part is the `pass` at `s`, when it stands at a line's
/// start (after blanks or tabs only): its start. The name is letters, digits, `_`, `.` and
/// `-` with a letter before `pass` (`smtppass`, `auth_pass`, `mail.pass`), not `bypass` or
/// `compass` (a setting and a word, no password).
fn line_key_start(hay: &[u8], s: usize) -> Option<usize> {
    let ns = s - hay[..s]
        .iter()
        .rev()
        .take(48)
        .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        .count();
    if ns == s || !hay[ns..s].iter().any(u8::is_ascii_alphabetic) {
        return None;
    }
    let word = &hay[ns..s];
    if word.eq_ignore_ascii_case(b"by") || word.eq_ignore_ascii_case(b"com") {
        return None;
    }
    let indent = hay[..ns]
        .iter()
        .rev()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    (ns == indent || hay[ns - indent - 1] == b'\n').then_some(ns)
}

/// For the keyword `pass` at `hay[s..s + 4]`: whether it ends a configuration line's key
/// followed by a blank and a password (`auth_pass 2jjun9uz`: `line_key_pass` finds one),
/// for `check::prose_keyword` (`pass` before a blank is prose otherwise).
pub(super) fn line_key_pass_at(hay: &[u8], s: usize) -> bool {
    hay.get(s + 4) == Some(&b' ') && matches!(line_key_pass(hay, s, s + 4), Some(Outcome::Hit(_)))
}

/// At the keyword `pass` at `hay[s..e]` ending a configuration line's key
/// (`line_key_start`): `=` or `:` (blanks around) or blanks alone, then the value, quoted or
/// not, ending the line (a `\r` allowed). A hit when the value reads as a password
/// (`password_like`); else `None`, for the keyword's other rules.
pub(super) fn line_key_pass(hay: &[u8], s: usize, e: usize) -> Option<Outcome> {
    if e - s != 4 || !hay[s..e].eq_ignore_ascii_case(b"pass") {
        return None;
    }
    line_key_start(hay, s)?;
    let blanks = |i: usize| {
        i + hay[i..]
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count()
    };
    let mut i = blanks(e);
    if matches!(hay.get(i), Some(b'=' | b':')) {
        i = blanks(i + 1);
    } else if i == e {
        return None;
    }
    let quote = hay.get(i).copied().filter(|&q| q == b'"' || q == b'\'');
    let vs = i + usize::from(quote.is_some());
    let len = hay[vs..]
        .iter()
        .take(65)
        .take_while(|&&b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n') && Some(b) != quote)
        .count();
    let ve = vs + len;
    let mut k = ve;
    if let Some(q) = quote {
        if hay.get(k) != Some(&q) {
            return None;
        }
        k += 1;
    }
    k = blanks(k);
    if k < hay.len() && hay[k] == b'\r' {
        k += 1;
    }
    let line_end = k == hay.len() || hay[k] == b'\n';
    (line_end && password_like(&hay[vs..ve]))
        .then(|| Outcome::Hit(Hit::new(Entity::Password, vs, ve)))
}
