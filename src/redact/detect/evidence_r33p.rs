//! cloud-init's `chpasswd` list, a construction of blind32's PASSWORD misses (the
//! thirty-second round's honest split, the thirty-third round's new training writer),
//! defined by the tool's documentation and reached where the scanner already stops
//! (thirty-third round, task pw; docs/redaction-accuracy.md, "Thirty-third round, task pw";
//! counted on every training split by `benches/pw_r33_population.py`). No literal was added.
//!
//! cloud-init's "Set Passwords" module (`cc_set_passwords`, the cloud-config reference)
//! reads `chpasswd:` and under it `list:`, a block of `USERNAME:PASSWORD` lines (the form
//! `chpasswd` itself reads on its standard input, `chpasswd(8)`: the password is all after
//! the first `:`), a password `RANDOM` or `R` asking for a random one:
//!
//! ```yaml
//! chpasswd:
//!   list: |
//!     root:PASSWORD
//!     alice:PASSWORD
//!   expire: false
//! ```
//!
//! Reached at the prose searcher's `sswd` (the keyword `passwd`, `check::check_prose_password`)
//! when `ch` opens the word and a `:` closes it: the first entry that reads as a password
//! (`check::password_like`) is the keyword's hit, and the entries after it are pushed next to
//! it (`engine`'s `tool_secrets`, as `wp-config.php`'s keys after its `DB_PASSWORD`).
//! blind32: 38 entries in 19 documents, all gold PASSWORD, 26 missed by main (the 12 found
//! were found by the value's shape); no other training split holds `chpasswd:`.

use super::check::{password_like, Outcome};
use super::{Entity, Hit};

/// The most entries read from one list.
const ENTRIES_MAX: usize = 64;
/// The longest entry line read (bytes).
const LINE_MAX: usize = 160;

/// Whether the password `v` of an entry is one (`RANDOM` and `R` ask cloud-init for a random
/// one) that reads as a password.
fn entry_password(v: &[u8]) -> bool {
    !v.eq_ignore_ascii_case(b"random") && !v.eq_ignore_ascii_case(b"r") && password_like(v)
}

/// The end of the line starting at `i` (its `\n`, or the text's end), and where the next
/// starts.
fn line_end(hay: &[u8], i: usize) -> (usize, usize) {
    match memchr::memchr(b'\n', &hay[i..]) {
        Some(n) => (i + n, i + n + 1),
        None => (hay.len(), hay.len()),
    }
}

/// How many blanks open the text at `i`.
fn indent(hay: &[u8], i: usize) -> usize {
    hay[i..]
        .iter()
        .take_while(|&&b| matches!(b, b' ' | b'\t'))
        .count()
}

/// cloud-init's `chpasswd` key starting at `k` (its `c`) and ending with the `:` at `c`:
/// each entry of the `list: |` block under it, as (start, end) of its password, in order,
/// handed to `f` until it returns `false`. Nothing when the key opens no such block: `ch`
/// opens a word (at the text's or a line's start, after blanks), the next line is `list:`
/// and a literal block's `|` (a chomping indicator allowed), and each entry line is
/// indented deeper than `list:` and reads `NAME:VALUE` (no blank in the name).
pub(super) fn chpasswd_entries(
    hay: &[u8],
    k: usize,
    c: usize,
    f: &mut dyn FnMut(usize, usize) -> bool,
) {
    if hay.get(c) != Some(&b':') {
        return;
    }
    let mut b = k;
    while b > 0 && matches!(hay[b - 1], b' ' | b'\t') {
        b -= 1;
    }
    if b > 0 && hay[b - 1] != b'\n' {
        return;
    }
    // The rest of the key's line: blanks only.
    let (le, mut i) = line_end(hay, c + 1);
    if hay[c + 1..le]
        .iter()
        .any(|&b| !matches!(b, b' ' | b'\t' | b'\r'))
        || i >= hay.len()
    {
        return;
    }
    let base = indent(hay, i);
    let l = i + base;
    if base == 0 || hay.get(l..l + 5) != Some(b"list:".as_slice()) {
        return;
    }
    let (le, next) = line_end(hay, l + 5);
    let head = hay[l + 5..le].trim_ascii();
    if !matches!(head, b"|" | b"|-" | b"|+") {
        return;
    }
    i = next;
    for _ in 0..ENTRIES_MAX {
        if i >= hay.len() {
            return;
        }
        let d = indent(hay, i);
        let (mut le, next) = line_end(hay, i);
        if d <= base || le - i > LINE_MAX {
            return;
        }
        if hay[le - 1] == b'\r' {
            le -= 1;
        }
        let s = i + d;
        let Some(n) = memchr::memchr(b':', &hay[s..le]) else {
            return;
        };
        if n == 0 || hay[s..s + n].iter().any(|b| b.is_ascii_whitespace()) {
            return;
        }
        let vs = s + n + 1;
        let ve = vs + hay[vs..le].trim_ascii_end().len();
        if ve > vs && !f(vs, ve) {
            return;
        }
        i = next;
    }
}

/// After the keyword `passwd` at `hay[s..e]`: when `ch` opens it (lower case, as cloud-init's keys) and it is cloud-init's
/// `chpasswd:` key (`chpasswd_entries`), the first entry that reads as a password a PASSWORD
/// (`Reject` when none does). `None` when it is no such key.
pub(super) fn chpasswd_password(hay: &[u8], s: usize, e: usize) -> Option<Outcome> {
    if s < 2 || hay.get(s - 2..e) != Some(b"chpasswd".as_slice()) || hay.get(e) != Some(&b':') {
        return None;
    }
    let (mut block, mut first) = (false, None);
    chpasswd_entries(hay, s - 2, e, &mut |vs, ve| {
        block = true;
        if entry_password(&hay[vs..ve]) {
            first = Some(Hit::new(Entity::Password, vs, ve));
            return false;
        }
        true
    });
    match first {
        Some(h) => Some(Outcome::Hit(h)),
        None if block => Some(Outcome::Reject),
        None => None,
    }
}

/// How far before an entry its list's `chpasswd:` key is looked for (bytes).
const BLOCK_BACK: usize = 2048;

/// After a PASSWORD hit starting at `vs` after a `:`: when it is an entry of a `chpasswd`
/// list (`chpasswd_entries`), the list's later entries that read as passwords, handed to
/// `sink`; where the last ends (`None` when none).
pub(super) fn chpasswd_later_entries(
    hay: &[u8],
    vs: usize,
    sink: &mut dyn FnMut(Hit),
) -> Option<usize> {
    // The hit's line: blanks, then a name without blanks, then the `:`.
    let from = vs.saturating_sub(LINE_MAX);
    let ls = memchr::memrchr(b'\n', &hay[from..vs])? + from + 1;
    let d = indent(hay, ls);
    if d == 0 || ls + d + 1 >= vs || hay[ls + d..vs - 1].iter().any(|b| b.is_ascii_whitespace()) {
        return None;
    }
    let from = ls.saturating_sub(BLOCK_BACK);
    let k = memchr::memmem::rfind(&hay[from..ls], b"chpasswd:")? + from;
    let mut end = None;
    let mut past = false;
    chpasswd_entries(hay, k, k + 8, &mut |a, b| {
        if past && entry_password(&hay[a..b]) {
            sink(Hit::new(Entity::Password, a, b));
            end = Some(b);
        }
        past |= a == vs;
        true
    });
    end
}
