//! Passwords by the value's shape (nineteenth round, task P): a human-chosen password has a
//! shape that order numbers, SKUs, versions, file names, hashes, identifiers and slugs do
//! not — a word, digits and one symbol (`Kanarie8102?`, `Fenouil#67`, `Nelomdniw_152!`), two
//! words and digits (`Hafenkran_Paella86`), a passphrase with digits
//! (`lavande-brezel-narwhal9`). Such a token is a password wherever it stands, with no
//! password word before it. The shapes and their population precision on the seventeen
//! training splits are measured by `benches/pii_shapes.py` (every token of every document,
//! gold or not); only shapes with no look-alike there are kept, and each carries the
//! counter-evidence a real look-alike would have (a sentence's full stop, a lower-case
//! `name_01` identifier, a generated name's short random suffix).

use super::super::entity::Entity;
use super::check::passphrase;
use super::Hit;

/// The symbols a human appends to or puts inside a password (`Kanarie8102?`, `Fenouil#67`).
const fn pw_symbol(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'#' | b'$' | b'%' | b'&' | b'*' | b'?' | b'@' | b'^' | b'~'
    )
}

/// A byte that may stand right before a shaped password: the start of a value (a blank, a
/// quote, a separator of `key=value`, `key: value`, `user/PASS@db`, a table cell's `|`).
fn opens_value(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b'"' | b'\'' | b'`' | b':' | b'=' | b'/' | b'|' | b'(' | b'[' | b'>' | b','
        )
        || b >= 0x80
}

/// A byte that may stand right after one (`@` for `user/PASS@db`).
const fn closes_value(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b'"' | b'\'' | b'`' | b'|' | b',' | b';' | b')' | b']' | b'}' | b'<' | b'@'
        )
        || b >= 0x80
}

fn letters(v: &[u8]) -> usize {
    v.iter().take_while(|b| b.is_ascii_alphabetic()).count()
}

fn digits(v: &[u8]) -> usize {
    v.iter().take_while(|b| b.is_ascii_digit()).count()
}

/// A word of 4+ letters: its first letter in either case, the rest in lower case.
fn plain_word(w: &[u8]) -> bool {
    w.len() >= 4 && w[1..].iter().all(u8::is_ascii_lowercase)
}

/// A value shaped like a human-chosen password (the shapes of `benches/pii_shapes.py`):
/// - word + 2–6 digits + one symbol: `Kanarie8102?`, `narwhal2551$`, `Pistacchio6161_`;
/// - word + symbol + 1–4 digits: `ALCAchoFA#27`, `quokkA#45`; a word in plain case only
///   with 2+ digits after `!`, `$`, `&`, `*`, `?`, `^` (`aurora!1821`), not `Ticket#4521`;
/// - word `.` 2–4 digits (+ symbol), with a capital, a symbol or four digits:
///   `Rotterdam.1337`, `berenjena.2026!`, not `syslog.10`;
/// - word `_` 2–4 digits, with a symbol after or a capital inside the word:
///   `Nelomdniw_152!`, not `build_123`, `ITEM_42` (identifiers);
/// - a capitalised word, `_` or `.`, a word, 1–4 digits: `Hafenkran_Paella86`,
///   `Alcachofa.kookaburra54`, not `System.Int32`;
/// - a passphrase (`passphrase`'s words) ending in 1–2 digits: `lavande-brezel-narwhal9`,
///   not `push-image-gcvh2`, `tuinhuis-app-zba98` (a generated name's random suffix).
pub(super) fn human_password(v: &[u8]) -> bool {
    if !(6..=64).contains(&v.len()) {
        return false;
    }
    let n = letters(v);
    let rest = &v[n..];
    // Word + digits + symbol.
    let d = digits(rest);
    if n >= 4 && plain_word(&v[..n]) && (2..=6).contains(&d) && rest.len() == d + 1 {
        let s = rest[d];
        return pw_symbol(s) || matches!(s, b'_' | b'.');
    }
    // Word + symbol + digits. A word in plain case before `#` is a number sign (`Ticket#4521`,
    // `Order#1234`), before `%` a URL escape, before `@` a time (`call@1530`), before `~` an
    // estimate, before one digit an exponent or a footnote (`radius^2`): only a word whose
    // case is mixed (`ALCAchoFA#27`, `quokkA#45`) takes those.
    if n >= 4 && rest.len() >= 2 && pw_symbol(rest[0]) {
        let d = digits(&rest[1..]);
        let mixed = v[1..n].iter().any(u8::is_ascii_uppercase);
        let plain_ok = !matches!(rest[0], b'#' | b'%' | b'@' | b'~') && d >= 2;
        // An all-capital word before `~` is a git revision (`HEAD~42`): twenty-eighth round.
        let mixed = mixed && !super::evidence_r28n::capital_revision(&v[..n], rest[0]);
        return (1..=4).contains(&d) && rest.len() == d + 1 && (mixed || plain_ok);
    }
    // Word `_` digits (+ symbol).
    if n >= 4 && rest.first() == Some(&b'_') && rest.get(1).is_some_and(u8::is_ascii_digit) {
        let d = digits(&rest[1..]);
        let tail = &rest[1 + d..];
        let inner_capital =
            v[1..n].iter().any(u8::is_ascii_uppercase) && v[..n].iter().any(u8::is_ascii_lowercase);
        return (2..=4).contains(&d)
            && (tail.is_empty() && inner_capital || tail.len() == 1 && pw_symbol(tail[0]));
    }
    // Word `.` 2–4 digits (+ symbol), not a rotated log's `syslog.10`: a capital, a symbol
    // or a year's four digits (`Rotterdam.1337`, `berenjena.2026!`, `tulpenveld.1878`).
    if n >= 4
        && plain_word(&v[..n])
        && rest.first() == Some(&b'.')
        && rest.get(1).is_some_and(u8::is_ascii_digit)
    {
        let d = digits(&rest[1..]);
        let tail = &rest[1 + d..];
        let symbol = tail.len() == 1 && pw_symbol(tail[0]);
        return (2..=4).contains(&d)
            && (tail.is_empty() || symbol)
            && (symbol || d == 4 || v[0].is_ascii_uppercase());
    }
    // Word `_`/`.` word + digits (+ symbol); after a `.` the second word is in lower case:
    // `System.Int32`, `Math.Log10` are .NET names.
    if n >= 3
        && v[0].is_ascii_uppercase()
        && v[1..n].iter().all(u8::is_ascii_lowercase)
        && matches!(rest.first(), Some(b'_' | b'.'))
    {
        let w2 = &rest[1..];
        let m = letters(w2);
        let d = digits(&w2[m..]);
        let tail = &w2[m + d..];
        return m >= 3
            && w2[1..m].iter().all(u8::is_ascii_lowercase)
            && (1..=4).contains(&d)
            && (tail.is_empty() || tail.len() == 1 && pw_symbol(tail[0]))
            && !(rest[0] == b'.' && w2[0].is_ascii_uppercase());
    }
    // Passphrase + digits.
    let d = v.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    if (1..=2).contains(&d) && v[..v.len() - d].contains(&b'-') && passphrase(&v[..v.len() - d]) {
        return true;
    }
    leet_password(v)
}

/// A word spelt in leet (twentieth round, task sec): digits standing for vowels between
/// letters (`G3w1tt3r19`, `m0nk3y#30`, `A1c4ch0f4#1`, `T0rn4d02024`). The word: a letter,
/// then letters and digits, 4+ letters, no capital after the first, a letter past `f` (no
/// hex); two or more of `0 1 3 4 5 7` each between two letters; no other digit before its
/// final digit run; read back as letters (`0`→o, `1`→i, `3`→e, `4`→a, `5`→s, `7`→t), no
/// four consonants in a row (random lower-case ids, `kxza0kyj7j3a`, have them). Then up to
/// two symbols, three digits and a symbol, and one of: a capital first, a symbol, two final
/// digits, or a tail of two. Measured on every token of the training splits
/// (`benches/secret_leet_population.py`): 457 gold passwords, no other token.
pub(super) fn leet_password(v: &[u8]) -> bool {
    if !(6..=20).contains(&v.len()) || !v[0].is_ascii_alphabetic() {
        return false;
    }
    let core = v.iter().take_while(|b| b.is_ascii_alphanumeric()).count();
    let (word, tail) = v.split_at(core);
    let tail_symbol = |b: &u8| pw_symbol(*b) || matches!(b, b'_' | b'.' | b'-');
    // The tail: `[sym]{0,2}[0-9]{0,3}[sym]?`.
    let s1 = tail.iter().take(2).take_while(|b| tail_symbol(b)).count();
    let d = tail[s1..]
        .iter()
        .take(3)
        .take_while(|b| b.is_ascii_digit())
        .count();
    let s2 = tail[s1 + d..]
        .iter()
        .take(1)
        .take_while(|b| tail_symbol(b))
        .count();
    if s1 + d + s2 != tail.len() {
        return false;
    }
    if word.iter().filter(|b| b.is_ascii_alphabetic()).count() < 4
        || word[1..].iter().any(u8::is_ascii_uppercase)
        || !word
            .iter()
            .any(|b| b.to_ascii_lowercase() > b'f' && b.is_ascii_alphabetic())
    {
        return false;
    }
    let final_digits = word.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    let body = &word[..core - final_digits];
    let leet = |b: u8| matches!(b, b'0' | b'1' | b'3' | b'4' | b'5' | b'7');
    if body.iter().any(|&b| b.is_ascii_digit() && !leet(b)) {
        return false;
    }
    let between = word
        .windows(3)
        .filter(|w| leet(w[1]) && w[0].is_ascii_alphabetic() && w[2].is_ascii_alphabetic())
        .count();
    if between < 2 {
        return false;
    }
    let mut consonants = 0;
    for &b in body {
        let vowel = matches!(
            b.to_ascii_lowercase(),
            b'a' | b'e' | b'i' | b'o' | b'u' | b'y' | b'0' | b'1' | b'3' | b'4'
        );
        consonants = if vowel { 0 } else { consonants + 1 };
        if consonants >= 4 {
            return false;
        }
    }
    word[0].is_ascii_uppercase() || s1 + s2 > 0 || final_digits >= 2 || tail.len() >= 2
}

/// The byte pass's first test in a word whose first digit it met at `digit`: the word run
/// (ending at `we`) ends in a digit or `_` at most 7 bytes after it (a shape's last run
/// holds 1–6 digits and perhaps a `_`: `shaped_password_at` ends its value there; a hex id
/// or a hash goes on), and a value's end or one symbol follows it.
///
/// A leet word (`leet_password`: `G3w1tt3r19`) goes on past those 7 bytes: it is let through
/// when its first digit stands for a vowel and a lower-case letter or another such digit
/// follows it, which every leet word's first digit has (a digit of `2 6 8 9`, a capital or a
/// `_` there fails `leet_password`), and the word is at most 20 bytes from it.
///
/// The bytes around the run first, one table load each (`SHAPE_CLASS`): most words end at a
/// byte no value ends at (a UUID's inner `-`) or in a letter.
#[inline]
pub(super) fn shape_tail(hay: &[u8], digit: usize, we: usize) -> bool {
    hay.get(we)
        .is_none_or(|&b| SHAPE_CLASS[usize::from(b)] & VALUE_TAIL != 0)
        && SHAPE_CLASS[usize::from(hay[we - 1])] & RUN_END != 0
        && (we - digit <= 7
            || (we - digit <= 20 && leet_may_start(hay, digit) && leet_may_open(hay, digit)))
}

/// Whether the leet word holding the digit at `digit` may open a value: `leet_password_at`'s
/// walk back to the value's start (its letters and digits, 20 bytes at most), made before
/// the call. A word after a byte that opens no value (a UUID's `-e3b9a0c1f245`, a hex id's
/// segment) is no leet word. Twenty-fifth round, task cost: such segments were most of the
/// shape test's calls on clean input (57 of 62 a pass on `redact_profile 65536 clean
/// bytes`, ~170 instructions each with `shaped_password_at`'s).
#[inline]
fn leet_may_open(hay: &[u8], digit: usize) -> bool {
    let floor = digit.saturating_sub(20);
    let mut s = digit;
    while s > floor && hay[s - 1].is_ascii_alphanumeric() {
        s -= 1;
    }
    s == 0 || opens_value(hay[s - 1])
}

/// The first digit of a leet word (`leet_password`): `0 1 3 4 5 7`, then a lower-case
/// letter or another of them.
#[inline]
fn leet_may_start(hay: &[u8], digit: usize) -> bool {
    let leet = |b: u8| matches!(b, b'0' | b'1' | b'3' | b'4' | b'5' | b'7');
    leet(hay[digit])
        && hay
            .get(digit + 1)
            .is_some_and(|&b| b.is_ascii_lowercase() || leet(b))
}

/// `SHAPE_CLASS` bits, the byte pass's tests at a digit: a word byte (`[0-9A-Za-z_]`,
/// `validate::is_word`); a capital; a password symbol or `.` (`symbol_after_word`); a digit
/// or `_` (a shape's word run ends in one); a byte `shape_tail` accepts after a word run (a
/// value's end, a password symbol, `.`).
pub(super) const SHAPE_WORD: u8 = 1;
pub(super) const SHAPE_UPPER: u8 = 2;
pub(super) const SHAPE_SYMBOL_DOT: u8 = 4;
const RUN_END: u8 = 8;
const VALUE_TAIL: u8 = 16;
/// A byte that may stand right before a card security code's digits: a blank, `:`, `=`,
/// `#`, `)` (`evidence_r29c::code_may_start`; twenty-ninth round, task cvc), a backtick
/// (`` CVC `093` ``: `evidence_r40c`, fortieth round).
pub(super) const SHAPE_BEFORE_CODE: u8 = 32;

/// The byte pass's classes of the bytes around a digit (`SHAPE_WORD`, `SHAPE_UPPER`, `SHAPE_SYMBOL_DOT`,
/// `RUN_END`, `VALUE_TAIL`, `SHAPE_BEFORE_CODE`): one load stands for up to four range tests (twenty-first round,
/// task cost: the symbol test was a jump table at every digit outside a word).
pub(super) static SHAPE_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let mut k = 0;
        if c.is_ascii_alphanumeric() || c == b'_' {
            k |= SHAPE_WORD;
        }
        if c.is_ascii_uppercase() {
            k |= SHAPE_UPPER;
        }
        if c == b'.' || pw_symbol(c) {
            k |= SHAPE_SYMBOL_DOT;
        }
        if c.is_ascii_digit() || c == b'_' {
            k |= RUN_END;
        }
        if closes_value(c) || pw_symbol(c) || c == b'.' {
            k |= VALUE_TAIL;
        }
        if matches!(c, b' ' | b'\t' | b':' | b'=' | b'#' | b')' | b'`') {
            k |= SHAPE_BEFORE_CODE;
        }
        t[b] = k;
        b += 1;
    }
    t
};

/// `SHAPE_CLASS` of the byte before `i` (0 at the text's start).
#[inline(always)]
pub(super) fn class_before(hay: &[u8], i: usize) -> u8 {
    match i.checked_sub(1) {
        Some(p) => SHAPE_CLASS[usize::from(hay[p])],
        None => 0,
    }
}

/// The byte pass at the digit `i`, `prev` the class of the byte before it
/// (`class_before`): a digit inside a word (`validate::is_word` before it), but for one after
/// two capitals (an IBAN's start).
#[inline(always)]
pub(super) fn digit_in_word(hay: &[u8], i: usize, prev: u8) -> bool {
    prev & SHAPE_WORD != 0
        && !(prev & SHAPE_UPPER != 0 && i >= 2 && hay[i - 2].is_ascii_uppercase())
}

/// The byte pass's first test at a digit outside a word: a letter and a symbol before it
/// (`ALCAchoFA#27`, `Rotterdam.1337`; not `12.50`), `prev` the symbol's class.
#[inline(always)]
pub(super) fn digit_after_symbol(hay: &[u8], i: usize, prev: u8) -> bool {
    prev & SHAPE_SYMBOL_DOT != 0 && i >= 2 && hay[i - 2].is_ascii_alphabetic()
}

/// Whether the digits at `i` are an e-mail address's local part's (`jane.roe12@example.com`,
/// `j12@mail.co.uk`): after a letter, 6 digits or fewer, then `@` and a letter. Then
/// `shaped_password_at` finds nothing (its digits end at the symbol `@` and the letter goes
/// on the token: no shape ends there), so its caller asks this first (twenty-sixth round,
/// task cost: 413 calls a pass on `redact_profile 65536 pii bytes` and `pii text`, ~100
/// instructions each with the caller's; `tests_cost` pins the implication).
#[inline(always)]
pub(super) fn email_local_digits(hay: &[u8], i: usize) -> bool {
    i > 0 && hay[i - 1].is_ascii_alphabetic() && {
        let d = digits(&hay[i..hay.len().min(i + 7)]);
        d <= 6
            && hay.get(i + d) == Some(&b'@')
            && hay.get(i + d + 1).is_some_and(u8::is_ascii_alphabetic)
    }
}

/// At a digit `i` of the byte pass: the shaped password holding it, if the token around it
/// (a value's bounds: `opens_value` before, `closes_value` after) is `human_password`.
/// The byte pass calls it only where `shape_tail` or `symbol_after_word` holds, so the
/// numbers, hashes and ids it already visits cost two byte tests.
#[cold]
#[inline(never)]
pub(super) fn shaped_password_at(hay: &[u8], i: usize) -> Option<Hit> {
    let prev = *hay.get(i.checked_sub(1)?)?;
    if !(prev.is_ascii_alphabetic() || matches!(prev, b'_' | b'.') || pw_symbol(prev)) {
        return None;
    }
    // Every shape ends in its first digit run and at most one symbol: test that end first
    // (a hash, a SKU or a hex id fails here after a few bytes).
    let d = digits(&hay[i..hay.len().min(i + 7)]);
    let mut e = i + d;
    if d > 6 {
        return None;
    }
    let mut symbol = false;
    if let Some(&b) = hay.get(e) {
        if pw_symbol(b) || matches!(b, b'_' | b'.') {
            e += 1;
            symbol = true;
        }
    }
    if e < hay.len() && !closes_value(hay[e]) {
        // A digit inside a word that goes on (`G3w1tt3r19`, `A1c4ch0f4#1`): the token to its
        // end, for the leet shape (`leet_password`) only.
        if !prev.is_ascii_alphabetic() {
            return None;
        }
        // Digits, one symbol and a letter (an e-mail address's `roe12@example.com`): the
        // leet word ends at the symbol, and its tail (`[sym]{0,2}[0-9]{0,3}[sym]?`) at the
        // letter, which goes on the token: `leet_password_at` turns it away there
        // (twenty-fifth round, task cost: 413 calls a pass on `65536 pii bytes`, ~100
        // instructions each; `tests_cost` pins it).
        if symbol && hay[e].is_ascii_alphabetic() {
            return None;
        }
        return leet_password_at(hay, i);
    }
    human_shape_at(hay, i, e)
}

/// `shaped_password_at` past its end test: the value ending at `e`, back to its start, as
/// `human_password` judges it. Out of line (twenty-first round, task cost): the end test,
/// which turns most calls away or hands them to `leet_password_at`, then needs no registers
/// saved.
#[inline(never)]
pub(super) fn human_shape_at(hay: &[u8], i: usize, mut e: usize) -> Option<Hit> {
    // A sentence's full stop (`upgraded to Windows11.`) is no symbol of the value.
    if hay[e - 1] == b'.' && hay.get(e).is_none_or(u8::is_ascii_whitespace) {
        e -= 1;
    }
    // Back to the value's start. Every shape holds one run of digits, the one at `i`, and
    // starts with a letter (`human_password`; `passphrase`'s words are letters), but for a
    // leet word, whose digits before its last run are `0 1 3 4 5 7` (`leet_password`): any
    // other digit before `i` (a UUID's, a dotted version's) ends the look there, before the
    // 36 bytes of a UUID are walked and judged.
    let mut s = i - 1;
    let floor = i.saturating_sub(64);
    while s > floor
        && (hay[s - 1].is_ascii_alphanumeric() || matches!(hay[s - 1], b'_' | b'-' | b'.'))
    {
        if matches!(hay[s - 1], b'2' | b'6' | b'8' | b'9') {
            return None;
        }
        s -= 1;
    }
    if (s > 0 && !opens_value(hay[s - 1])) || !hay[s].is_ascii_alphabetic() {
        return None;
    }
    human_password(&hay[s..e]).then(|| Hit::new(Entity::Password, s, e))
}

/// The leet word holding the digit `i` (inside a word: `shaped_password_at`), to the end of
/// its token (letters, digits and password symbols, at most 20 bytes) between a value's
/// bounds.
///
/// The cheap necessary conditions come first (twenty-first round, task cost; `tests_cost`
/// pins this to the twentieth round's order): the value's start (a few letters back, where
/// an e-mail's local part or a UUID's segment fails at its `.` or `-`), then the word's
/// letters and digits forward, then its tail's shape (`leet_password`'s
/// `[sym]{0,2}[0-9]{0,3}[sym]?`): a token that goes on past that tail (`roe123@example.com`)
/// is no leet word, and it is turned away there rather than walked to its end.
#[cold]
#[inline(never)]
pub(super) fn leet_password_at(hay: &[u8], i: usize) -> Option<Hit> {
    // Its first digit stands for a vowel; a capital after the first letter, or a digit of
    // `2 6 8 9` before a letter, is no leet word (`leet_password`): a hash or a random id
    // fails here after a few bytes.
    if !matches!(hay[i], b'0' | b'1' | b'3' | b'4' | b'5' | b'7') {
        return None;
    }
    let mut s = i;
    let floor = i.saturating_sub(20);
    while s > floor && hay[s - 1].is_ascii_alphanumeric() {
        s -= 1;
    }
    if s > 0 && !opens_value(hay[s - 1]) {
        return None;
    }
    let ceiling = hay.len().min(i + 20);
    let mut e = i;
    // The word: letters and digits (`LEET_ALNUM`).
    while e < ceiling {
        let k = LEET_CLASS[usize::from(hay[e])];
        if k & LEET_ALNUM == 0 {
            break;
        }
        if k & LEET_UPPER != 0
            || k & LEET_NOT_VOWEL != 0 && hay.get(e + 1).is_some_and(u8::is_ascii_alphabetic)
        {
            return None;
        }
        e += 1;
    }
    if e < ceiling {
        // The tail `leet_password` accepts, read as it reads it; a token byte after it that
        // the loop below would take into the value (all but a sentence's full stop) leaves a
        // tail `leet_password` refuses.
        let t = leet_tail_end(hay, e);
        if t < ceiling
            && LEET_CLASS[usize::from(hay[t])] & LEET_TOKEN != 0
            && !(hay[t] == b'.' && hay.get(t + 1).is_none_or(u8::is_ascii_whitespace))
        {
            return None;
        }
    }
    while e < ceiling {
        let b = hay[e];
        if b.is_ascii_uppercase()
            || matches!(b, b'2' | b'6' | b'8' | b'9')
                && hay.get(e + 1).is_some_and(u8::is_ascii_alphabetic)
        {
            return None;
        }
        if !(b.is_ascii_alphanumeric() || pw_symbol(b) || matches!(b, b'_' | b'.' | b'-')) {
            break;
        }
        e += 1;
    }
    if e < hay.len() && !closes_value(hay[e]) {
        return None;
    }
    if hay[e - 1] == b'.' && hay.get(e).is_none_or(u8::is_ascii_whitespace) {
        e -= 1;
    }
    leet_password(&hay[s..e]).then(|| Hit::new(Entity::Password, s, e))
}

/// Where `leet_password`'s tail (`[sym]{0,2}[0-9]{0,3}[sym]?`, read greedily as it reads
/// it) starting at `c` ends.
fn leet_tail_end(hay: &[u8], c: usize) -> usize {
    let class = |k: usize| hay.get(k).map_or(0, |&b| LEET_CLASS[usize::from(b)]);
    let mut t = c;
    while t < c + 2 && class(t) & LEET_SYMBOL != 0 {
        t += 1;
    }
    let d = t;
    while t < d + 3 && hay.get(t).is_some_and(u8::is_ascii_digit) {
        t += 1;
    }
    if class(t) & LEET_SYMBOL != 0 {
        t += 1;
    }
    t
}

/// `LEET_CLASS` bits: a letter or a digit; a capital; a digit of `2 6 8 9` (no vowel in
/// leet); a symbol of `leet_password`'s tail; a byte of `leet_password_at`'s token.
const LEET_ALNUM: u8 = 1;
const LEET_UPPER: u8 = 2;
const LEET_NOT_VOWEL: u8 = 4;
const LEET_SYMBOL: u8 = 8;
const LEET_TOKEN: u8 = 16;

/// The classes of `leet_password_at`'s bytes, one load a byte (`LEET_*`).
static LEET_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let symbol = pw_symbol(c) || matches!(c, b'_' | b'.' | b'-');
        let mut k = 0;
        if c.is_ascii_alphanumeric() {
            k |= LEET_ALNUM | LEET_TOKEN;
        }
        if c.is_ascii_uppercase() {
            k |= LEET_UPPER;
        }
        if matches!(c, b'2' | b'6' | b'8' | b'9') {
            k |= LEET_NOT_VOWEL;
        }
        if symbol {
            k |= LEET_SYMBOL | LEET_TOKEN;
        }
        t[b] = k;
        b += 1;
    }
    t
};
