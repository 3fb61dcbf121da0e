//! Three documented command syntaxes of PASSWORD misses, two reached where the scanner
//! already stops, one at a new literal of the prose searcher (twenty-ninth round, task pw;
//! docs/redaction-accuracy.md, "Twenty-ninth round, task pw"; counted on every training split
//! by `benches/pw_r29_population.py`).
//!
//! * A batch-mode password file tool's `-b FILE USER PASSWORD` whose name ends in `_passwd`
//!   (Eclipse Mosquitto's `mosquitto_passwd -b passwordfile username password`, documented
//!   in its manual page as the password given on the command line): the `htpasswd -b` rule
//!   (`check::htpasswd_password`, Apache's documented `htpasswd -b`) read after any tool name
//!   of letters ending in `_` before the keyword `passwd` the prose searcher already stops
//!   at. The construction (group `batch-b`) holds gold in four writers' splits (blind6,
//!   blind8, blind26 by `htpasswd`, blind28 by `mosquitto_passwd`): 67 taken candidates, all
//!   gold PASSWORDs; the new reach (`batch-b-new`) is blind28's 13, 10 of them missed.
//! * IMAP's `TAG LOGIN USER PASSWORD` (RFC 3501 section 6.2.3: the LOGIN command's arguments
//!   are the user name and the password, each an atom or a quoted string), the user an
//!   e-mail address: reached at the address the byte pass already finds (`Detector::at_sign`,
//!   where `password_after_email` reads `user@host / PASSWORD`), the line opening with a tag
//!   and `LOGIN ` (capitals, as clients send it) and the password ending the line. One
//!   writer's gold (blind28: 6, 3 of them missed), taken under the standard clause; the
//!   population's other candidates (blind8's 17 `Last login from <IPv6>` lines, `login` in
//!   lower case and no address after it) are not reached.
//! * An OpenLDAP client's `-w PASSWORD` (`ldapsearch -x -H ldaps://… -D "cn=admin,…" -w X
//!   -b …`; OpenLDAP's manual pages: `-w passwd  Use passwd as the password for simple
//!   authentication`), the client's name (`ldap` and small letters, a word of its own)
//!   earlier on the line. The long-text searcher had no literal for `-w`: ` -w ` is one now,
//!   anchored at its `w` where the short texts' SWAR pass already stops, planned into the
//!   bucket of ` -a ` and ` -P ` (its third byte only widens their masks) and pinned
//!   (`tests_r29p`). Two writers' gold (blind24: 17, 15 missed; blind26: 23, 14 missed),
//!   taken under the standard clause; every taken candidate gold, and `-w` after any other
//!   tool took none on the training splits (group `any-w` equals `ldap-w`).
//!
//! The value is a PASSWORD when the twenty-fifth round's test says so
//! (`evidence_r26p::flag_value_password`) for IMAP and `-w`, by `check::password_like` for the
//! batch tool (the `htpasswd` rule's own test). No vocabulary was extended.

use super::check::Outcome;
use super::evidence_r26p::flag_value_password;
use super::evidence_r28p::value_at;
use super::{Entity, Hit};

/// The longest IMAP tag taken (an atom: letters, digits, `.`).
const TAG_MAX: usize = 10;
/// The longest value taken (bytes).
const VALUE_MAX: usize = 64;
/// How far back along its line an OpenLDAP client's name is looked for before `-w`.
const LINE_MAX: usize = 300;

/// Whether an OpenLDAP client's name (`ldap` and small letters, a word of its own:
/// `ldapsearch`, `ldapmodify`, `ldapadd`, `ldapdelete`, `ldappasswd`, `ldapwhoami`, …,
/// after a blank, `/`, a quote, `;`, `&`, `|`, `(`, `$` or the line's start) stands before
/// the `-w` at `p` on its line (within `LINE_MAX` bytes).
pub(super) fn ldap_client_before(hay: &[u8], p: usize) -> bool {
    let from = p.saturating_sub(LINE_MAX);
    let ls = memchr::memrchr(b'\n', &hay[from..p]).map_or(from, |n| from + n + 1);
    let line = &hay[ls..p];
    memchr::memmem::find_iter(line, b"ldap").any(|k| {
        let opens = k == 0
            || line[k - 1].is_ascii_whitespace()
            || matches!(
                line[k - 1],
                b'/' | b'"' | b'\'' | b';' | b'&' | b'|' | b'(' | b'$'
            );
        let name = line[k + 4..]
            .iter()
            .take_while(|b| b.is_ascii_lowercase())
            .count();
        opens && (3..=12).contains(&name) && matches!(line.get(k + 4 + name), Some(b' ' | b'\t'))
    })
}

/// At the flag `-w` at `s` after an OpenLDAP client's name (`check::prose_keyword`): its
/// argument, a PASSWORD when shaped as one (OpenLDAP's manual pages: `-w passwd  Use passwd
/// as the password for simple authentication`).
pub(super) fn ldap_password(hay: &[u8], s: usize) -> Outcome {
    let mut vs = s + 2;
    while matches!(hay.get(vs), Some(b' ' | b'\t')) {
        vs += 1;
    }
    match value_at(hay, vs) {
        Some((vs, ve)) if hay[s + 2] == b' ' && flag_value_password(&hay[vs..ve]) => {
            Outcome::Hit(Hit::new(Entity::Password, vs, ve))
        }
        _ => Outcome::Reject,
    }
}

/// Whether the keyword `passwd` at `s` ends a batch-mode password file tool's name other
/// than `htpasswd`: letters then `_` (`mosquitto_passwd`), after a blank, `/` (a path), a
/// quote, `;`, `&`, `|`, `(`, `$` or the text's start.
pub(super) fn batch_tool_before(hay: &[u8], s: usize) -> bool {
    if s < 2 || hay[s - 1] != b'_' {
        return false;
    }
    let name = hay[..s - 1]
        .iter()
        .rev()
        .take(33)
        .take_while(|b| b.is_ascii_lowercase())
        .count();
    let us = s - 1 - name;
    (2..=32).contains(&name)
        && (us == 0
            || hay[us - 1].is_ascii_whitespace()
            || matches!(
                hay[us - 1],
                b'/' | b'"' | b'\'' | b';' | b'&' | b'|' | b'(' | b'$'
            ))
}

/// At an e-mail address `hay[s..e]` followed by a blank (`Detector::at_sign`): the password
/// of an IMAP `TAG LOGIN USER PASSWORD` line whose user is the address.
#[inline(never)]
pub(super) fn imap_login_password(hay: &[u8], s: usize, e: usize) -> Option<Hit> {
    // The cheapest test first: `LOGIN ` right before the address.
    if s < 8 || &hay[s - 6..s] != b"LOGIN " || hay[s - 7] != b' ' {
        return None;
    }
    // The tag: an atom opening its line.
    let t = s - 7;
    let tag = hay[..t]
        .iter()
        .rev()
        .take(TAG_MAX + 1)
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'.')
        .count();
    let ts = t - tag;
    if tag == 0 || tag > TAG_MAX || (ts > 0 && hay[ts - 1] != b'\n') {
        return None;
    }
    // The password: an atom or a quoted string, the line's last.
    let vs = e + 1;
    let (vs, ve, after) = match *hay.get(vs)? {
        b'"' => {
            let n = hay[vs + 1..]
                .iter()
                .take(VALUE_MAX + 1)
                .position(|&b| b == b'"' || b == b'\n')?;
            if hay[vs + 1 + n] != b'"' {
                return None;
            }
            (vs + 1, vs + 1 + n, vs + 2 + n)
        }
        _ => {
            let n = hay[vs..]
                .iter()
                .take(VALUE_MAX + 1)
                .take_while(|b| !b.is_ascii_whitespace())
                .count();
            (vs, vs + n, vs + n)
        }
    };
    if ve == vs || ve - vs > VALUE_MAX {
        return None;
    }
    let rest = hay[after..]
        .iter()
        .take_while(|&&b| matches!(b, b' ' | b'\t' | b'\r'))
        .count();
    if hay.get(after + rest).is_some_and(|&b| b != b'\n') {
        return None;
    }
    flag_value_password(&hay[vs..ve]).then(|| Hit::new(Entity::Password, vs, ve))
}
