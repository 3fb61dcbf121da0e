//! Constructions of blind33's PASSWORD errors (the thirty-third round's honest split, the
//! thirty-fourth round's new training writer), each defined by a tool's or a language's
//! documentation and reached where the scanner already stops: the prose searcher's password
//! keyword (`check::check_prose_password`). Thirty-fourth round, task pw
//! (docs/redaction-accuracy.md, "Thirty-fourth round, task pw"; counted on every training
//! split by `benches/pw_r34_population.py`). No literal was added.
//!
//! * A command-line flag after a parameter's name is never its value: `aws ssm get-parameter
//!   --name /prod/db/password --with-decryption` names the parameter, and `--with-decryption`
//!   is the next option (GNU's long options, `--NAME`). blind33: 11 places, none gold, all
//!   found by main as PASSWORD (by the generic key/value score, `evidence_r25p`, the prose
//!   rule having said no); blind18 and blind19 hold 72 more places, none gold, none found. No
//!   gold PASSWORD value on a training split opens with `--`. Both the prose rule's value
//!   right after the keyword and the generic score now refuse such a value (`cli_flag`).
//! * MySQL's `SET PASSWORD FOR 'USER'@'HOST' = 'PASSWORD'` (the MySQL reference manual, "SET
//!   PASSWORD Statement"; the older `= PASSWORD('…')` form too): the quoted string after `=`.
//!   blind33: 7 places, all gold (5 missed by main); no other training split holds it.
//! * Expect's dialogue `expect "…password…"` then `send "VALUE\r"` (expect(1): `expect`
//!   waits for the spawned program's prompt, `send` writes the answer to it, a `\r`
//!   ending the typed line): the string `send` sends, its final
//!   `\r` (or `\n`) left out, when the `expect` line's pattern holds the password keyword
//!   and `send` is the next line. blind33: 8 places, all gold, all missed by main.
//! * `chpasswd(8)`'s input on a pipe: `echo 'USER:PASSWORD' | [sudo] chpasswd` (the manual:
//!   "a list of user name and password pairs … user_name:password"), in a shell line or a
//!   Packer/Terraform `inline` command; the password is all after the first `:`. Reached at
//!   the keyword `passwd` ending `chpasswd` (as `evidence_r33p`'s cloud-init list), looking
//!   back along its line. blind33: 7 places, all gold, all missed by main.

use super::check::{password_like, Outcome};
use super::{Entity, Hit};

/// The longest line looked along (bytes).
const LINE_MAX: usize = 200;

/// Whether `v` is a GNU long option's name, `--NAME` (letters, digits and dashes, a letter
/// first): a flag, never the value of the name before it.
pub(super) fn cli_flag(v: &[u8]) -> bool {
    v.len() > 3
        && v.starts_with(b"--")
        && v[2].is_ascii_alphabetic()
        && v[3..]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The start of the line holding `i` (after its `\n`, or the text's start), when it lies at
/// most `LINE_MAX` bytes back.
fn line_start(hay: &[u8], i: usize) -> Option<usize> {
    let from = i.saturating_sub(LINE_MAX);
    match memchr::memrchr(b'\n', &hay[from..i]) {
        Some(n) => Some(from + n + 1),
        None if from == 0 => Some(0),
        None => None,
    }
}

/// The index of the first byte at or after `i` that is no blank (space or tab).
fn skip_blanks(hay: &[u8], mut i: usize) -> usize {
    while i < hay.len() && matches!(hay[i], b' ' | b'\t') {
        i += 1;
    }
    i
}

/// Whether `hay[i..]` opens with the word `w` (ASCII case ignored) followed by a blank.
fn word_then_blank(hay: &[u8], i: usize, w: &[u8]) -> bool {
    hay.get(i..i + w.len())
        .is_some_and(|t| t.eq_ignore_ascii_case(w))
        && matches!(hay.get(i + w.len()), Some(b' ' | b'\t'))
}

/// MySQL's `SET PASSWORD FOR ACCOUNT = 'VALUE'` (or `= PASSWORD('VALUE')`) at the keyword
/// `hay[s..e]`: the quoted value, a PASSWORD when it reads as one. `None` when the keyword
/// opens no such statement.
pub(super) fn set_password_for(hay: &[u8], s: usize, e: usize) -> Option<Outcome> {
    // The cheapest tests first: a blank after the keyword, `FOR` after it, `SET ` before.
    if e - s != 8
        || !matches!(hay.get(e), Some(b' ' | b'\t'))
        || s < 4
        || !matches!(hay[s - 1], b' ' | b'\t')
        || !hay[s..e].eq_ignore_ascii_case(b"password")
    {
        return None;
    }
    let f = skip_blanks(hay, e);
    if !word_then_blank(hay, f, b"for") {
        return None;
    }
    let mut b = s - 1;
    while b > 0 && matches!(hay[b - 1], b' ' | b'\t') {
        b -= 1;
    }
    if b < 3
        || !hay[b - 3..b].eq_ignore_ascii_case(b"set")
        || (b > 3 && hay[b - 4].is_ascii_alphanumeric())
    {
        return None;
    }
    // The account (`'u'@'h'`, `"u"@"h"`, `` `u`@`h` ``, `u@h`) up to `=` on the line.
    let a = f + 4;
    let end = (a + LINE_MAX).min(hay.len());
    let n = hay[a..end]
        .iter()
        .position(|&c| matches!(c, b'=' | b'\n' | b';'))?;
    if hay[a + n] != b'=' || hay[a..a + n].trim_ascii().is_empty() {
        return None;
    }
    let mut i = skip_blanks(hay, a + n + 1);
    if hay
        .get(i..i + 9)
        .is_some_and(|t| t.eq_ignore_ascii_case(b"password("))
    {
        i = skip_blanks(hay, i + 9);
    }
    let q = *hay.get(i).filter(|&&c| matches!(c, b'\'' | b'"'))?;
    let vs = i + 1;
    let end = (vs + 80).min(hay.len());
    let n = hay[vs..end].iter().position(|&c| c == q || c == b'\n')?;
    let ve = vs + n;
    (hay[ve] == q && password_like(&hay[vs..ve]))
        .then(|| Outcome::Hit(Hit::new(Entity::Password, vs, ve)))
}

/// Expect's `expect "…KEYWORD…"` line then `send "VALUE\r"`, at the keyword `hay[s..e]`
/// inside the `expect` line's quoted pattern: the string sent, its final `\r` or `\n`
/// escape left out, a PASSWORD when it reads as one (a Tcl variable `$password` or a
/// command `[…]` does not). `None` when the keyword sits in no such dialogue.
pub(super) fn expect_send_password(hay: &[u8], s: usize, e: usize) -> Option<Outcome> {
    // The pattern's closing quote soon after the keyword, the line ending after it.
    let end = (e + 32).min(hay.len());
    let n = hay[e..end]
        .iter()
        .position(|&c| matches!(c, b'"' | b'\n'))?;
    let close = e + n;
    if hay[close] != b'"' {
        return None;
    }
    let mut nl = skip_blanks(hay, close + 1);
    if hay.get(nl) == Some(&b'\r') {
        nl += 1;
    }
    if hay.get(nl) != Some(&b'\n') {
        return None;
    }
    // The line: `expect`, blanks, the pattern's opening quote, no other quote before `s`.
    let ls = line_start(hay, s)?;
    let w = skip_blanks(hay, ls);
    if !word_then_blank(hay, w, b"expect") || !hay[w..w + 6].eq(b"expect") {
        return None;
    }
    let o = skip_blanks(hay, w + 6);
    if o >= s || hay[o] != b'"' || hay[o + 1..s].contains(&b'"') {
        return None;
    }
    // The next line: `send`, blanks, an optional `--`, the quoted string.
    let w = skip_blanks(hay, nl + 1);
    if !word_then_blank(hay, w, b"send") || !hay[w..w + 4].eq(b"send") {
        return None;
    }
    let mut i = skip_blanks(hay, w + 4);
    if hay.get(i..i + 3) == Some(b"-- ".as_slice()) {
        i = skip_blanks(hay, i + 3);
    }
    if hay.get(i) != Some(&b'"') {
        return None;
    }
    let vs = i + 1;
    let end = (vs + 80).min(hay.len());
    let n = hay[vs..end]
        .iter()
        .position(|&c| matches!(c, b'"' | b'\n'))?;
    let mut ve = vs + n;
    if hay[ve] != b'"' {
        return None;
    }
    if ve >= vs + 2 && matches!(&hay[ve - 2..ve], b"\\r" | b"\\n") {
        ve -= 2;
    }
    let v = &hay[vs..ve];
    (!v.is_empty() && !matches!(v[0], b'$' | b'[') && password_like(v))
        .then(|| Outcome::Hit(Hit::new(Entity::Password, vs, ve)))
}

/// `echo 'USER:VALUE' | [sudo] chpasswd` at the keyword `passwd` (`hay[s..e]`, `ch` before
/// it): the password after the first `:` of the echoed pair, a PASSWORD when it reads as one.
/// `None` when no such pipe ends at the keyword.
pub(super) fn chpasswd_echo_password(hay: &[u8], s: usize, e: usize) -> Option<Outcome> {
    if s < 10
        || e - s != 6
        || &hay[s - 2..s] != b"ch"
        || hay.get(e).is_some_and(u8::is_ascii_alphanumeric)
    {
        return None;
    }
    let ls = line_start(hay, s - 2)?;
    let line = &hay[ls..s - 2];
    let mut t = line.trim_ascii_end();
    if t.len() == line.len() {
        return None;
    }
    if let Some(r) = t.strip_suffix(b"sudo") {
        if r.last().is_some_and(|&c| matches!(c, b' ' | b'\t')) {
            t = r.trim_ascii_end();
        }
    }
    let t = t.strip_suffix(b"|")?.trim_ascii_end();
    // The echoed argument: quoted, or a word.
    let (as_, ae) = last_argument(t)?;
    let arg = &t[as_..ae];
    let before = t[..as_]
        .strip_suffix(b"'")
        .or_else(|| t[..as_].strip_suffix(b"\""))
        .unwrap_or(&t[..as_]);
    let before = before.trim_ascii_end();
    if before.len() == t[..as_].len() && as_ > 0 && !t[as_ - 1].is_ascii_whitespace() {
        return None;
    }
    let cmd = before.strip_suffix(b"echo")?;
    if cmd
        .last()
        .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_')
    {
        return None;
    }
    let c = memchr::memchr(b':', arg)?;
    if c == 0 || arg[..c].iter().any(|b| b.is_ascii_whitespace()) {
        return None;
    }
    let vs = ls + as_ + c + 1;
    let ve = ls + ae;
    password_like(&hay[vs..ve]).then(|| Outcome::Hit(Hit::new(Entity::Password, vs, ve)))
}

/// The last argument of a command's words `t` (no trailing blank): a quoted one's body (the
/// quotes left out) or the last word; `None` for an empty `t` or an unclosed quote. Read by
/// `echo … | chpasswd` here and `echo … | docker login` (`evidence_r35p`).
pub(super) fn last_argument(t: &[u8]) -> Option<(usize, usize)> {
    match t.last()? {
        &q @ (b'\'' | b'"') => {
            let body = &t[..t.len() - 1];
            let o = memchr::memrchr(q, body)?;
            Some((o + 1, body.len()))
        }
        _ => {
            let o = t
                .iter()
                .rposition(|c| c.is_ascii_whitespace())
                .map_or(0, |o| o + 1);
            Some((o, t.len()))
        }
    }
}
