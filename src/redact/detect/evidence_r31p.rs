//! Documented syntaxes around PASSWORD misses, reached where the scanner already stops
//! (thirty-first round, task pw; docs/redaction-accuracy.md, "Thirty-first round, task pw";
//! counted on every training split by `benches/pw_r31_population.py`). No literal is added.
//!
//! * Windows' `net use [devicename] \\computername\sharename [password | *] [/user:…]`
//!   (Microsoft's `net use` reference): the password before `/user:`, right after the share.
//!   Reached at the `/user:` the colon pass already stops at (`evidence_r23p::net_use_password`
//!   took the password after the user's name only). One writer's gold (blind30: 20
//!   candidates, all gold PASSWORDs, 15 missed), taken under the standard clause.
//! * A password keyword glued after a backslash escape (`\nPasscode: …` in an iCalendar
//!   `DESCRIPTION`, RFC 5545 §3.3.11: "an intentional formatted text line break MUST only be
//!   included in a TEXT property value by representing the line break with the character
//!   sequence of BACKSLASH followed by a LATIN SMALL LETTER N"; JSON's `\n`, `\r`, `\t`, RFC
//!   8259): the escape opens a line, so the keyword is a word of its own. One writer's gold
//!   (blind30's Zoom invitations: 15 candidates, 11 gold, the other 4 blind12's "Passwort:
//!   zurückgesetzt, …" the value test rejects), taken under the standard clause. The value
//!   ends at the next escape.
//! * A Markdown (GitHub Flavored Markdown) table's row whose first cell is the keyword alone
//!   (`| Password | VALUE |`): the second cell, one token shaped as a password. One writer's
//!   gold (blind30: 16 candidates, all gold, 12 missed), taken under the standard clause
//!   (GFM's table: a row's cells split by `|`).
//! * GNU make's conditional assignment `NAME_PASSWORD ?= VALUE` (the GNU make manual, "Setting
//!   Variables": `?=` sets a variable only if it is not yet set): the value the rest of the
//!   line, one token. One writer's gold (blind25: 12 candidates, all gold, 11 missed), taken
//!   under the standard clause.
//! * Windows' `net user NAME PASSWORD` (Microsoft's `net user` reference) at a prompt's `>`
//!   the byte pass already stops at (`net_user_password`); two writers' gold (blind25,
//!   blind30).
//! * A Wi-Fi pair `Wi-Fi: SSID / PASSWORD` at the `:` the colon pass already stops at
//!   (`wifi_pair_value`); three writers' gold (blind18, blind28, blind30).
//!
//! Not taken: a PHP constant whose name ends in `_PASS` (`define( 'WP_MAIL_SMTP_PASS', '…'
//! );`; two writers, blind24 and blind27: 27 candidates, all gold, 17 missed): `PASS'` is no
//! literal of the prose searcher (`PROSE_LITERALS` holds `pass` before a blank only) and no
//! `:`/`=` stands near it, so it needs a literal of its own.
//!
//! Each value is judged by the keyword's own test (`check::password_like`).

use super::check::{password_like, Outcome};
use super::{Entity, Hit};

/// The longest value taken (bytes).
const VALUE_MAX: usize = 64;

/// Whether `b` ends a token (ASCII white space).
fn blank(b: u8) -> bool {
    b.is_ascii_whitespace()
}

/// At `net use`'s `/user:` (its `/` at `sl`, the line holding `net use` before it;
/// `evidence_r23p::net_use_password`): the argument right before the switch when the one
/// before that is the share (`\\server\share`): Microsoft's positional password. Not `*`
/// (it prompts), not a switch, shaped as a password.
pub(super) fn net_use_password_before(hay: &[u8], sl: usize) -> Option<Hit> {
    if sl < 6 || !matches!(hay[sl - 1], b' ' | b'\t') {
        return None;
    }
    let mut k = sl - 1;
    while k > 0 && matches!(hay[k - 1], b' ' | b'\t') {
        k -= 1;
    }
    let ve = k;
    let from = ve.saturating_sub(VALUE_MAX + 1);
    while k > from && !blank(hay[k - 1]) {
        k -= 1;
    }
    let vs = k;
    if vs == ve || vs == 0 || !matches!(hay[vs - 1], b' ' | b'\t') {
        return None;
    }
    let v = &hay[vs..ve];
    if matches!(v[0], b'/' | b'\\' | b'*') {
        return None;
    }
    // The share: a token opening with `\\` right before the value.
    let mut k = vs;
    while k > 0 && matches!(hay[k - 1], b' ' | b'\t') {
        k -= 1;
    }
    let share_end = k;
    let from = share_end.saturating_sub(160);
    while k > from && !blank(hay[k - 1]) {
        k -= 1;
    }
    if share_end - k < 4 || &hay[k..k + 2] != b"\\\\" {
        return None;
    }
    password_like(v).then(|| Hit::new(Entity::Password, vs, ve))
}

/// Whether the keyword at `s` follows a backslash escape that opens a line or a cell (`\n`,
/// `\r`, `\t`; not an escaped backslash's `\\n`).
#[inline]
pub(super) fn escape_before(hay: &[u8], s: usize) -> bool {
    s >= 2
        && hay[s - 2] == b'\\'
        && matches!(hay[s - 1], b'n' | b'r' | b't')
        && (s == 2 || hay[s - 3] != b'\\')
}

/// At the keyword `hay[s..e]` after a backslash escape (`escape_before`): `:` or `=` (blanks
/// around), then the value up to a blank or the next backslash, a PASSWORD when shaped as
/// one. Nothing else is read after an escape (the escaped text's line ends at the next one).
pub(super) fn escaped_line_password(hay: &[u8], e: usize) -> Outcome {
    let blanks = |mut i: usize| {
        while matches!(hay.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        i
    };
    let i = blanks(e);
    if !matches!(hay.get(i), Some(b':' | b'=')) {
        return Outcome::Reject;
    }
    let vs = blanks(i + 1);
    let n = hay[vs.min(hay.len())..]
        .iter()
        .take(VALUE_MAX + 1)
        .take_while(|&&b| !blank(b) && !matches!(b, b'\\' | b'"'))
        .count();
    let mut ve = vs + n;
    while ve > vs && matches!(hay[ve - 1], b'.' | b',' | b';') {
        ve -= 1;
    }
    if n == 0 || n > VALUE_MAX || !password_like(&hay[vs..ve]) {
        return Outcome::Reject;
    }
    Outcome::Hit(Hit::new(Entity::Password, vs, ve))
}

/// At the keyword `hay[s..e]`: when it is the first cell of a Markdown table's row (`|`
/// opening the line or a JSON string, blanks and `**` around the keyword, `|` after it), the second cell's
/// value, a PASSWORD when it is one token shaped as one (else a rejection: the row names no
/// other value). `None` when the keyword is in no such cell.
pub(super) fn table_row_password(hay: &[u8], s: usize, e: usize) -> Option<Outcome> {
    // The cheapest test first: the cell's closing `|` after the keyword.
    let mut i = e;
    if hay.get(i..i + 2) == Some(b"**") {
        i += 2;
    }
    while matches!(hay.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    if hay.get(i) != Some(&b'|') {
        return None;
    }
    // The row's opening `|`, first on its line.
    let mut k = s;
    if k >= 2 && &hay[k - 2..k] == b"**" {
        k -= 2;
    }
    while k > 0 && matches!(hay[k - 1], b' ' | b'\t') {
        k -= 1;
    }
    if k == 0 || hay[k - 1] != b'|' {
        return None;
    }
    if !row_opens(hay, k - 1) {
        return None;
    }
    Some(second_cell_password(hay, i))
}

/// Whether the `|` at `p` opens a line (blanks before it): the text's start, a line break,
/// or (in a JSON document's raw bytes) a string's opening quote or its escaped line break
/// `\n`, as the parsed string reads it.
pub(super) fn row_opens(hay: &[u8], p: usize) -> bool {
    let mut j = p;
    while j > 0 && matches!(hay[j - 1], b' ' | b'\t') {
        j -= 1;
    }
    j == 0 || matches!(hay[j - 1], b'\n' | b'"') || (j >= 2 && &hay[j - 2..j] == b"\\n")
}

/// The second cell of a row whose first cell closes with the `|` at `i`: a PASSWORD when it
/// is one token shaped as one, else a rejection.
pub(super) fn second_cell_password(hay: &[u8], i: usize) -> Outcome {
    let mut vs = i + 1;
    while matches!(hay.get(vs), Some(b' ' | b'\t')) {
        vs += 1;
    }
    let n = hay[vs.min(hay.len())..]
        .iter()
        .take(VALUE_MAX + 1)
        .take_while(|&&b| !matches!(b, b'|' | b'\n' | b'\r'))
        .count();
    let cell_end = vs + n;
    if hay.get(cell_end) != Some(&b'|') {
        return Outcome::Reject;
    }
    let mut ve = cell_end;
    while ve > vs && matches!(hay[ve - 1], b' ' | b'\t') {
        ve -= 1;
    }
    let v = &hay[vs..ve];
    if !v.is_empty() && !v.iter().any(|&b| b == b' ' || b == b'\t') && password_like(v) {
        Outcome::Hit(Hit::new(Entity::Password, vs, ve))
    } else {
        Outcome::Reject
    }
}

/// After the keyword ending a variable's name at `e`: GNU make's `?=` (blanks around), then
/// the value, the rest of the line, a PASSWORD when one token shaped as one. `None` when no
/// `?=` follows.
pub(super) fn make_conditional_password(hay: &[u8], e: usize) -> Option<Outcome> {
    let mut i = e;
    while matches!(hay.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    if hay.get(i..i + 2) != Some(b"?=") {
        return None;
    }
    i += 2;
    while matches!(hay.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    let vs = i;
    let n = hay[vs.min(hay.len())..]
        .iter()
        .take(VALUE_MAX + 1)
        .take_while(|&&b| !blank(b))
        .count();
    let ve = vs + n;
    let mut k = ve;
    while matches!(hay.get(k), Some(b' ' | b'\t' | b'\r')) {
        k += 1;
    }
    let line_end = k >= hay.len() || hay[k] == b'\n';
    Some(
        if n > 0 && n <= VALUE_MAX && line_end && password_like(&hay[vs..ve]) {
            Outcome::Hit(Hit::new(Entity::Password, vs, ve))
        } else {
            Outcome::Reject
        },
    )
}

/// Whether `net user ` (any case) follows the `>` at `gt` (a Windows prompt's, `C:\>`, `PS
/// C:\>`), one blank or none between: the byte pass's cheap test before `net_user_password`.
#[inline]
pub(super) fn net_user_may_follow(hay: &[u8], gt: usize) -> bool {
    let k = gt + 1 + usize::from(hay.get(gt + 1) == Some(&b' '));
    hay.get(k).is_some_and(|&b| b | 0x20 == b'n')
        && hay
            .get(k..k + 9)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"net user "))
}

/// At a Windows prompt's `>` before `net user ` (`net_user_may_follow`): the password of
/// `net user NAME PASSWORD` (`net_user_args`).
#[cold]
#[inline(never)]
pub(super) fn net_user_password(hay: &[u8], gt: usize) -> Option<Hit> {
    net_user_args(
        hay,
        gt + 1 + usize::from(hay.get(gt + 1) == Some(&b' ')) + 9,
    )
}

/// Whether `: net user ` follows at the `:` at `q` (a log's field, `CommandLine: net user
/// …`; the colon pass's test, after its pair's, `bytes::prose_colon_words`).
#[inline]
pub(super) fn net_user_after_colon(hay: &[u8], q: usize) -> bool {
    hay.get(q + 1..q + 11)
        .is_some_and(|w| w.eq_ignore_ascii_case(b" net user "))
}

/// At the `:` before ` net user ` (`net_user_after_colon`): the password of `net user NAME
/// PASSWORD` (`net_user_args`).
pub(super) fn net_user_colon_password(hay: &[u8], q: usize) -> Option<Hit> {
    net_user_args(hay, q + 11)
}

/// The arguments of `net user` from `i` (after `net user `): the password of `net user NAME
/// PASSWORD [options]` (Microsoft's `net user` reference: `net user [<UserName> {<Password> |
/// *} [<Options>]] [/domain]`), the argument after the user's name, not `*` (it prompts) nor
/// a switch, shaped as a password. Two writers' gold (blind25 at a prompt's `>`, blind30 in a
/// process-creation log's `CommandLine:`; 29 candidates of `net user` with a word before it,
/// all gold), reached at the `>` the byte pass and the `:` the colon pass already stop at.
fn net_user_args(hay: &[u8], mut i: usize) -> Option<Hit> {
    let token = |i: usize| {
        i + hay[i.min(hay.len())..]
            .iter()
            .take(VALUE_MAX + 1)
            .take_while(|&&b| !blank(b) && b != b'"')
            .count()
    };
    let skip = |mut i: usize| {
        while matches!(hay.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        i
    };
    i = skip(i);
    let ne = token(i);
    if ne == i || ne - i > VALUE_MAX || hay[i] == b'/' || !matches!(hay.get(ne), Some(b' ' | b'\t'))
    {
        return None;
    }
    let vs = skip(ne);
    let ve = token(vs);
    if ve == vs || ve - vs > VALUE_MAX || matches!(hay[vs], b'/' | b'*') {
        return None;
    }
    password_like(&hay[vs..ve]).then(|| Hit::new(Entity::Password, vs, ve))
}

/// Whether the `:` at `q` ends a network word (`wifi`, `wi-fi`, `wlan`, any case; `j` the
/// end of the word before it, blanks skipped) and a Wi-Fi pair `SSID / PASSWORD` follows:
/// the colon pass's test (`bytes::prose_colon_keyword`). The last byte first.
#[inline]
pub(super) fn wifi_pair_before(hay: &[u8], j: usize, q: usize) -> bool {
    j > 0 && matches!(hay[j - 1] | 0x20, b'i' | b'n') && wifi_pair_value(hay, q).is_some()
}

/// Whether the `:` at `q` opens a Wi-Fi pair (`wifi_pair_before`), for `check::prose_keyword`.
pub(super) fn wifi_pair_at(hay: &[u8], q: usize) -> bool {
    hay[q] == b':' && wifi_pair_value(hay, q).is_some()
}

/// At the `:` at `q`: the password of a Wi-Fi pair (`Wi-Fi: Haus42 / X`, `Wifi: Office /
/// X`), when shaped as one.
pub(super) fn wifi_pair_password(hay: &[u8], q: usize) -> Option<Hit> {
    let (vs, ve) = wifi_pair_value(hay, q)?;
    password_like(&hay[vs..ve]).then(|| Hit::new(Entity::Password, vs, ve))
}

/// The longest network name (an SSID is at most 32 bytes, IEEE 802.11).
const SSID_MAX: usize = 32;

/// A network word (`wifi`, `wi-fi`, `wlan`; a word of its own) right before the `:` at `q`
/// (blanks between), then blanks, a network's name (no blank, no `/`, up to 32 bytes), ` / `
/// and a token: the token's span. Three writers write the pair (blind18 with words between
/// the network word and the `:`, not reached here; blind28, blind30: 64 candidates right
/// after the network word, all gold PASSWORDs).
#[cold]
#[inline(never)]
fn wifi_pair_value(hay: &[u8], q: usize) -> Option<(usize, usize)> {
    if hay.get(q) != Some(&b':') {
        return None;
    }
    let mut j = q;
    while j > 0 && matches!(hay[j - 1], b' ' | b'\t') {
        j -= 1;
    }
    let word = [b"wi-fi".as_slice(), b"wifi", b"wlan"]
        .into_iter()
        .find(|w| j >= w.len() && hay[j - w.len()..j].eq_ignore_ascii_case(w))?;
    let ws = j - word.len();
    if ws > 0 && hay[ws - 1].is_ascii_alphanumeric() {
        return None;
    }
    let mut i = q + 1;
    while matches!(hay.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    let n = hay[i.min(hay.len())..]
        .iter()
        .take(SSID_MAX + 1)
        .take_while(|&&b| !blank(b) && b != b'/' && b != b'"')
        .count();
    if n == 0 || n > SSID_MAX || hay.get(i + n..i + n + 3) != Some(b" / ") {
        return None;
    }
    let vs = i + n + 3;
    let len = hay[vs.min(hay.len())..]
        .iter()
        .take(VALUE_MAX + 1)
        .take_while(|&&b| {
            !blank(b)
                && !matches!(
                    b,
                    b'"' | b'\'' | b'`' | b'<' | b'>' | b'|' | b';' | b',' | b')' | b']' | b'}'
                )
        })
        .count();
    let mut ve = vs + len;
    if ve > vs && hay[ve - 1] == b'.' {
        ve -= 1;
    }
    (ve > vs && len <= VALUE_MAX).then_some((vs, ve))
}
