//! Passwords by one generic score (twenty-fifth round, task pw): where the password rules said
//! no at a password trigger (`pass`, `Pass`, `PASS`, `ennwort`, `wachtwoord`, `mdp`,
//! `contraseña`), the key around the trigger and the value after it are scored from two
//! generic parts and nothing else (docs/redaction-accuracy.md, "Twenty-fifth round, task pw";
//! calibrated on every such candidate of the training splits by
//! `benches/password_r25_population.py`, which holds the same tables and tests):
//!
//! 1. **The key's words** (`key_verdict`): the key (letters, digits, `_`, `.`, `-`) split at
//!    `_`, `-`, `.`, camelCase, digits; a word names a password (`PW_WORDS`, or a glued word
//!    ending in a long one: `smtppassword`, `beheerderswachtwoord`; `mot de passe`), and no
//!    word says the value is none (`NOT_WORDS`: `hash`, `policy`, `length`, `reset`, `file`,
//!    `url`, `id`, …, and `secret`, `key`, `token`-less names of task sec's vocabulary).
//! 2. **The value's shape** (`look_alike`, `shape_score`): after a separator (a closing quote,
//!    blanks, `:`, `=`, `=>`, `:=`, `,`, an opening quote) the quoted string or the token; no
//!    look-alike (a template, a redaction mark, a placeholder, a path or file name, a URL, an
//!    e-mail address, a version or date, a hash or UUID, an identifier, an ordinary word, a
//!    label, digits alone, a long token, code, an elision, a reference), and a score — the
//!    character classes (lower, upper, digit, symbol), one more for 10 bytes or more, one
//!    more for 3 bits of entropy per byte or more — of at least `THRESHOLD`.
//!
//! Leave-one-writer-out over the last eight blind splits chose the threshold 3 on every
//! held-out writer; the new findings were PASSWORD on each (docs).

use super::check::{starts_with_known_secret, Outcome};
use super::standin::stand_in;
use super::{Entity, Hit};
use crate::redact::validate::shannon_entropy;

/// The score a value needs (leave-one-writer-out: 3 on each of the eight held-out writers).
const THRESHOLD: u32 = 3;
const MIN_LEN: usize = 6;
const MAX_LEN: usize = 64;

/// Words naming a password in the seven locales (a key's word, lower case).
const PW_WORDS: [&[u8]; 13] = [
    b"password",
    b"passwd",
    b"pass",
    b"pwd",
    b"pw",
    b"passphrase",
    b"passwort",
    b"kennwort",
    b"wachtwoord",
    b"mdp",
    b"motdepasse",
    b"contrase\xc3\xb1a",
    b"contrasena",
];

/// A glued word ending in one of these names a password too (`smtppassword`).
const PW_SUFFIXES: [&[u8]; 6] = [
    b"password",
    b"passwd",
    b"passwort",
    b"kennwort",
    b"wachtwoord",
    b"passphrase",
];

/// Words saying the value is no password: a digest, a rule about passwords, a pointer to one,
/// a setting of the password field, task sec's secret words.
const NOT_WORDS: [&[u8]; 116] = [
    b"hash",
    b"hashed",
    b"hasher",
    b"digest",
    b"salt",
    b"policy",
    b"policies",
    b"length",
    b"len",
    b"min",
    b"max",
    b"minlength",
    b"maxlength",
    b"expiry",
    b"expires",
    b"expire",
    b"expiration",
    b"expired",
    b"age",
    b"reset",
    b"hint",
    b"hints",
    b"file",
    b"path",
    b"dir",
    b"manager",
    b"url",
    b"uri",
    b"id",
    b"ttl",
    b"timeout",
    b"rule",
    b"rules",
    b"regex",
    b"pattern",
    b"strength",
    b"complexity",
    b"history",
    b"field",
    b"label",
    b"placeholder",
    b"prompt",
    b"forgot",
    b"forgotten",
    b"required",
    b"enc",
    b"encrypted",
    b"crypt",
    b"cipher",
    b"ref",
    b"secret",
    b"key",
    b"name",
    b"env",
    b"var",
    b"cmd",
    b"command",
    b"mode",
    b"type",
    b"method",
    b"auth",
    b"less",
    b"enabled",
    b"enable",
    b"disabled",
    b"disable",
    b"attempts",
    b"retries",
    b"lockout",
    b"change",
    b"changed",
    b"update",
    b"updated",
    b"last",
    b"set",
    b"validation",
    b"valid",
    b"error",
    b"message",
    b"msg",
    b"text",
    b"input",
    b"form",
    b"link",
    b"page",
    b"store",
    b"vault",
    b"source",
    b"provider",
    b"generator",
    b"script",
    b"sync",
    b"show",
    b"mask",
    b"masked",
    b"hidden",
    b"help",
    b"doc",
    b"docs",
    b"format",
    b"encoding",
    b"algorithm",
    b"algo",
    b"rotation",
    b"days",
    b"count",
    b"status",
    b"flag",
    b"option",
    b"options",
    b"spec",
    b"token",
    b"host",
    b"hostname",
    b"port",
    b"server",
];

/// Values no password is: booleans and nulls.
const BOOLS: [&[u8]; 10] = [
    b"true",
    b"false",
    b"null",
    b"none",
    b"nil",
    b"yes",
    b"no",
    b"on",
    b"off",
    b"undefined",
];

/// A placeholder's words, anywhere in the value (lower case).
const PLACEHOLDER_WORDS: [&[u8]; 29] = [
    b"changeme",
    b"change_me",
    b"change-me",
    b"your",
    b"example",
    b"placeholder",
    b"dummy",
    b"sample",
    b"redacted",
    b"masked",
    b"hidden",
    b"removed",
    b"replace",
    b"todo",
    b"xxx",
    b"secret",
    b"password",
    b"passwort",
    b"wachtwoord",
    b"motdepasse",
    b"contrase",
    b"required",
    b"optional",
    b"notset",
    b"not_set",
    b"tbd",
    b"fixme",
    b"<",
    b">",
];

/// A file name's extensions (the value ends with one: a path, no password).
const FILE_EXTS: [&[u8]; 31] = [
    b"txt",
    b"pem",
    b"key",
    b"json",
    b"yml",
    b"yaml",
    b"env",
    b"conf",
    b"cfg",
    b"ini",
    b"properties",
    b"xml",
    b"p12",
    b"jks",
    b"pfx",
    b"crt",
    b"sh",
    b"py",
    b"gpg",
    b"asc",
    b"kdbx",
    b"enc",
    b"bin",
    b"log",
    b"csv",
    b"toml",
    b"php",
    b"js",
    b"rb",
    b"go",
    b"rs",
];

/// Typographic quotes (`„` `“` `”` `‚` `‘` `’` `«` `»`).
const TYPO_QUOTES: [&[u8]; 8] = [
    "\u{201e}".as_bytes(),
    "\u{201c}".as_bytes(),
    "\u{201d}".as_bytes(),
    "\u{201a}".as_bytes(),
    "\u{2018}".as_bytes(),
    "\u{2019}".as_bytes(),
    "\u{ab}".as_bytes(),
    "\u{bb}".as_bytes(),
];

fn key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-') || b >= 0x80
}

fn lower_letter(b: u8) -> bool {
    b.is_ascii_lowercase() || b >= 0x80
}

/// Calls `f` with each word of the key: split at `_`, `-`, `.`, blanks and `:`, then into
/// runs of capitals (`DB` of `DBPassword`), a capital and small letters, or small letters
/// (non-ASCII bytes count as small letters); digits end a word and are none.
fn for_each_word(key: &[u8], mut f: impl FnMut(&[u8])) {
    let mut i = 0;
    while i < key.len() {
        let b = key[i];
        if b.is_ascii_uppercase() {
            let run = key[i..]
                .iter()
                .take_while(|b| b.is_ascii_uppercase())
                .count();
            let next_lower = key.get(i + run).is_some_and(u8::is_ascii_lowercase);
            if run > 1 && next_lower {
                // `DBPassword`: `DB`, then `Password`.
                f(&key[i..i + run - 1]);
                i += run - 1;
            } else if run == 1 && next_lower {
                let n = 1 + key[i + 1..]
                    .iter()
                    .take_while(|&&b| lower_letter(b))
                    .count();
                f(&key[i..i + n]);
                i += n;
            } else {
                f(&key[i..i + run]);
                i += run;
            }
        } else if lower_letter(b) {
            let n = key[i..].iter().take_while(|&&b| lower_letter(b)).count();
            f(&key[i..i + n]);
            i += n;
        } else {
            i += 1;
        }
    }
}

fn eq_word(w: &[u8], v: &[u8]) -> bool {
    // `CONTRASEÑA`: the capital `Ñ` (c3 91) is the small `ñ` (c3 b1).
    w.len() == v.len()
        && w.iter().zip(v).all(|(&a, &b)| {
            a.eq_ignore_ascii_case(&b) || (a >= 0x80 && b >= 0x80 && (a | 0x20) == (b | 0x20))
        })
}

/// The key's verdict: `Some(true)` when a word names a password and none says the value is
/// none, `Some(false)` when one says so, `None` when no word names a password.
pub(crate) fn key_verdict(key: &[u8]) -> Option<bool> {
    let mut pw = false;
    let mut not = false;
    // `mot de passe` as three words (`mot_de_passe`, `MotDePasse`).
    let mut phrase = 0;
    for_each_word(key, |w| {
        pw |= PW_WORDS.iter().any(|p| eq_word(w, p))
            || (w.len() > 8
                && PW_SUFFIXES
                    .iter()
                    .any(|s| w.len() >= s.len() && eq_word(&w[w.len() - s.len()..], s)));
        phrase = match phrase {
            _ if eq_word(w, b"mot") => 1,
            1 if eq_word(w, b"de") => 2,
            2 if eq_word(w, b"passe") => 3,
            3 => 3,
            _ => 0,
        };
        not |= NOT_WORDS.iter().any(|n| eq_word(w, n));
    });
    pw |= phrase == 3;
    // A part between separators as a whole (`CONTRASEÑA`: its capitals split at the `Ñ`).
    for part in key.split(|&b| matches!(b, b'_' | b'-' | b'.' | b' ' | b':')) {
        pw |= PW_WORDS.iter().any(|p| eq_word(part, p));
    }
    pw.then_some(!not)
}

fn contains(v: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(v, needle).is_some()
}

fn contains_ci(v: &[u8], needle: &[u8]) -> bool {
    v.len() >= needle.len()
        && v.windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

fn all(v: &[u8], f: impl Fn(u8) -> bool) -> bool {
    v.iter().all(|&b| f(b))
}

/// `^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$`.
fn email(v: &[u8]) -> bool {
    let Some(at) = v.iter().position(|&b| b == b'@') else {
        return false;
    };
    let (user, host) = (&v[..at], &v[at + 1..]);
    let Some(dot) = host.iter().rposition(|&b| b == b'.') else {
        return false;
    };
    !user.is_empty()
        && !user.iter().any(|b| b.is_ascii_whitespace())
        && dot > 0
        && all(&host[..dot], |b| {
            b.is_ascii_alphanumeric() || b == b'-' || b == b'.'
        })
        && host[dot + 1..].len() >= 2
        && all(&host[dot + 1..], |b| b.is_ascii_alphabetic())
}

/// `^v?[0-9]+(\.[0-9]+)+([-+][0-9A-Za-z.]+)?$`.
fn version(v: &[u8]) -> bool {
    let v = v.strip_prefix(b"v").unwrap_or(v);
    let core = v
        .iter()
        .position(|&b| b == b'-' || b == b'+')
        .map_or(v, |k| {
            if k + 1 < v.len() && all(&v[k + 1..], |b| b.is_ascii_alphanumeric() || b == b'.') {
                &v[..k]
            } else {
                b"x"
            }
        });
    let mut parts = 0;
    for part in core.split(|&b| b == b'.') {
        if part.is_empty() || !all(part, |b| b.is_ascii_digit()) {
            return false;
        }
        parts += 1;
    }
    parts >= 2
}

/// `^[0-9]{2,4}[-/.][0-9]{1,2}[-/.][0-9]{1,4}([T ][0-9:.Z+-]*)?$`.
fn date(v: &[u8]) -> bool {
    let digits = |i: usize| {
        v[i.min(v.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let sep = |i: usize| matches!(v.get(i), Some(b'-' | b'/' | b'.'));
    let a = digits(0);
    if !(2..=4).contains(&a) || !sep(a) {
        return false;
    }
    let b = digits(a + 1);
    if !(1..=2).contains(&b) || !sep(a + 1 + b) {
        return false;
    }
    let c0 = a + 2 + b;
    let c = digits(c0);
    if !(1..=4).contains(&c) {
        return false;
    }
    let rest = &v[c0 + c..];
    rest.is_empty()
        || (matches!(rest[0], b'T' | b' ')
            && all(&rest[1..], |b| {
                b.is_ascii_digit() || matches!(b, b':' | b'.' | b'Z' | b'+' | b'-')
            }))
}

fn uuid(v: &[u8]) -> bool {
    v.len() == 36
        && v.iter().enumerate().all(|(i, &b)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                b == b'-'
            } else {
                b.is_ascii_hexdigit()
            }
        })
}

/// An identifier: `snake_case`/`dotted.name` in small letters, `UPPER_SNAKE`, or `CamelCase`
/// words (a setting's or a type's name).
fn identifier(v: &[u8]) -> bool {
    let groups = |sep: &[u8], ok: fn(u8) -> bool| {
        let mut n = 0;
        for g in v.split(|b| sep.contains(b)) {
            if g.is_empty() || !all(g, ok) {
                return false;
            }
            n += 1;
        }
        n >= 2
    };
    if groups(b"_.", |b| b.is_ascii_lowercase()) || groups(b"_", |b| b.is_ascii_uppercase()) {
        return true;
    }
    // `^[A-Za-z][a-z]+([A-Z][a-z]+)+$`.
    if v.len() < 2 || !v[0].is_ascii_alphabetic() || !v[1].is_ascii_lowercase() {
        return false;
    }
    let mut humps = 0;
    let mut i = 1;
    while i < v.len() {
        if v[i].is_ascii_uppercase() {
            if !v.get(i + 1).is_some_and(u8::is_ascii_lowercase) {
                return false;
            }
            humps += 1;
        } else if !v[i].is_ascii_lowercase() {
            return false;
        }
        i += 1;
    }
    humps >= 1
}

/// An ordinary word of a sentence: letters, a capital first, one hyphen or apostrophe inside
/// (`vergeten-link`), or capitals alone; a final `.`, `?` or `,`.
fn word(v: &[u8]) -> bool {
    let v = match v.last() {
        Some(b'.' | b'?' | b',') => &v[..v.len() - 1],
        _ => v,
    };
    if !v.is_empty() && all(v, |b| b.is_ascii_uppercase()) {
        return true;
    }
    let body = match v.first() {
        Some(b) if b.is_ascii_uppercase() => &v[1..],
        _ => v,
    };
    let mut parts = body.split(|&b| b == b'-' || b == b'\'');
    let ok = |p: &[u8]| !p.is_empty() && all(p, lower_letter);
    match (parts.next(), parts.next(), parts.next()) {
        (Some(a), None, None) => ok(a),
        (Some(a), Some(b), None) => ok(a) && ok(b),
        _ => false,
    }
}

/// `^([A-Z][a-z]{2,}){2,}[A-Z]*$` or `^[A-Z][a-z]{2,}[A-Z]{3,}$`.
fn camel_word(v: &[u8]) -> bool {
    let mut i = 0;
    let mut humps = 0;
    while i < v.len() && v[i].is_ascii_uppercase() {
        let lower = v[i + 1..]
            .iter()
            .take_while(|b| b.is_ascii_lowercase())
            .count();
        if lower < 2 {
            break;
        }
        humps += 1;
        i += 1 + lower;
    }
    let caps = v.len() - i;
    humps >= 1 && all(&v[i..], |b| b.is_ascii_uppercase()) && (humps >= 2 || caps >= 3)
}

/// Whether the value is a look-alike of a password (the population script's `shape_no`).
pub(crate) fn look_alike(v: &[u8]) -> bool {
    // Blanks inside: words of a sentence (`" es obligatoria."`), no one token.
    if !(MIN_LEN..=MAX_LEN).contains(&v.len())
        || BOOLS.iter().any(|b| eq_word(v, b))
        || v.iter().any(|&b| b == b' ' || b == b'\t')
    {
        return true;
    }
    // A word saying the value is about a password, not one (`reset-link-sent-today`).
    if v.split(|&b| matches!(b, b'-' | b'_' | b'.'))
        .any(|w| NOT_WORDS.iter().any(|n| eq_word(w, n)))
    {
        return true;
    }
    // A template or a variable (`${DB_PASS}`, `{{ .Values.pw }}`, `%s`, `<your-password>`).
    if matches!(v[0], b'$' | b'%' | b'@' | b'{' | b'[' | b'<' | b'&')
        || [b"${".as_slice(), b"{{", b"%s", b"%("]
            .iter()
            .any(|n| contains(v, n))
    {
        return true;
    }
    // A redaction mark (`***`, `••`, one byte repeated).
    if contains(v, b"***") || contains(v, "\u{2022}\u{2022}".as_bytes()) || all(v, |b| b == v[0]) {
        return true;
    }
    if PLACEHOLDER_WORDS.iter().any(|w| contains_ci(v, w)) {
        return true;
    }
    // A URL, a path, a file name.
    let ext = v
        .iter()
        .rposition(|&b| b == b'.')
        .is_some_and(|d| FILE_EXTS.iter().any(|x| eq_word(&v[d + 1..], x)));
    if contains(v, b"://")
        || v.starts_with(b"/")
        || v.starts_with(b"./")
        || v.starts_with(b"~/")
        || v.contains(&b'\\')
        || ext
    {
        return true;
    }
    if email(v) || version(v) || date(v) {
        return true;
    }
    // A hash or an id (MySQL's `*` before its 40 hex digits).
    let hex = v.strip_prefix(b"*").unwrap_or(v);
    if (hex.len() >= 24 && all(hex, |b| b.is_ascii_hexdigit()))
        || uuid(v)
        || v.starts_with(b"{SSHA}")
        || v.starts_with(b"sha256:")
    {
        return true;
    }
    if identifier(v) || word(v) || v.ends_with(b":") || contains(v, "\u{b0}".as_bytes()) {
        return true;
    }
    if all(v, |b| b.is_ascii_digit()) {
        return true;
    }
    // A CamelCase word or a product's name (`KeePass`, `ResetRequired`, `PostgreSQL`: two
    // capitalised words, or one and three capitals), a stand-in or a reference
    // (`standin::stand_in`: `prod/smtp-wiL36a`, `db-password`, `PrivateKey::sign`).
    if camel_word(v) || stand_in(v) {
        return true;
    }
    // A call or an index after a word (`ENC[AES256_GCM`, `getenv(`).
    if v.windows(4).any(|w| {
        matches!(w[3], b'[' | b'(')
            && (all(&w[..3], |b| b.is_ascii_lowercase())
                || all(&w[..3], |b| b.is_ascii_uppercase()))
    }) {
        return true;
    }
    // A long token (task sec's GENERIC_SECRET by its own rules).
    if v.len() >= 40
        && all(v, |b| {
            b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-')
        })
    {
        return true;
    }
    // Code (`os.environ[`, `(sensitive value)`), an elision (`sk_live_...`).
    if matches!(v[0], b'(' | b'[' | b']' | b')' | b'}')
        || matches!(v[v.len() - 1], b'(' | b'[')
        || contains(v, b"..")
    {
        return true;
    }
    // A reference (`env:API_KEY`, `vault:secret/data/app#token`) or a setting (`name=…`).
    let name = v
        .iter()
        .take_while(|b| b.is_ascii_alphabetic() || **b == b'_')
        .count();
    if name > 0 && v.get(name) == Some(&b'=') {
        return true;
    }
    let scheme = v.iter().take_while(|b| b.is_ascii_lowercase()).count();
    scheme > 0
        && v.get(scheme) == Some(&b':')
        && v.get(scheme + 1)
            .is_some_and(|&b| b.is_ascii_alphabetic() || b == b'_')
        && all(&v[scheme + 1..], |b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'#' | b'-')
        })
}

/// The value's score: its character classes (lower, upper, digit, symbol: any other byte),
/// one more for 10 bytes or more, one more for 3 bits of entropy per byte or more.
pub(crate) fn shape_score(v: &[u8]) -> u32 {
    let lower = v.iter().any(u8::is_ascii_lowercase);
    let upper = v.iter().any(u8::is_ascii_uppercase);
    let digit = v.iter().any(u8::is_ascii_digit);
    let symbol = v.iter().any(|b| !b.is_ascii_alphanumeric());
    [
        lower,
        upper,
        digit,
        symbol,
        v.len() >= 10,
        shannon_entropy(v) >= 3.0,
    ]
    .iter()
    .map(|&x| u32::from(x))
    .sum()
}

/// The value after the key ending at `ke`: a separator (a closing quote, blanks, `:=`, `=>`,
/// `:`, `=` or `,`, blanks, an opening quote with Python's or T-SQL's prefix), then the quoted
/// string (one line, up to 64 bytes) or the token (up to a blank or `,;)]}"'<>|`); a final
/// `.` before a blank is the sentence's; a form's next field (`&remember=1`) ends it.
fn value_after(hay: &[u8], ke: usize) -> Option<(usize, usize)> {
    let n = hay.len();
    let blanks = |mut i: usize| {
        while i < n && matches!(hay[i], b' ' | b'\t') {
            i += 1;
        }
        i
    };
    let quote = |b: u8| matches!(b, b'"' | b'\'' | b'`');
    let mut i = ke;
    if i < n && quote(hay[i]) {
        i += 1;
    }
    i = blanks(i);
    if hay[i.min(n)..].starts_with(b":=") || hay[i.min(n)..].starts_with(b"=>") {
        i += 2;
    } else if i < n && matches!(hay[i], b':' | b'=' | b',') {
        i += 1;
    }
    i = blanks(i);
    if i + 1 < n && matches!(hay[i], b'b' | b'r' | b'u' | b'N') && quote(hay[i + 1]) {
        i += 2;
    } else if i < n && quote(hay[i]) {
        i += 1;
    }
    let vs = i;
    if vs == ke || vs >= n {
        return None;
    }
    let quoted = quote(hay[vs - 1]);
    let ve = if quoted {
        let q = hay[vs - 1];
        let end = (vs + MAX_LEN + 1).min(n);
        let close = vs + hay[vs..end].iter().position(|&b| b == q)?;
        if hay[vs..close].contains(&b'\n') {
            return None;
        }
        close
    } else {
        let len = hay[vs..(vs + MAX_LEN + 1).min(n)]
            .iter()
            .take_while(|&&b| {
                !b.is_ascii_whitespace()
                    && b != 0x0b
                    && !matches!(
                        b,
                        b',' | b';' | b')' | b']' | b'}' | b'"' | b'\'' | b'<' | b'>' | b'|'
                    )
            })
            .count();
        let ve = vs + len;
        if ve > vs && hay[ve - 1] == b'.' && (ve == n || matches!(hay[ve], b' ' | b'\n')) {
            ve - 1
        } else {
            ve
        }
    };
    // A typographic quote around the value (`Kennwort: „…“`, `« … »`): no part of it.
    let (mut vs, mut ve) = (vs, ve);
    while let Some(q) = TYPO_QUOTES.iter().find(|q| hay[vs..ve].starts_with(q)) {
        vs += q.len();
    }
    while let Some(q) = TYPO_QUOTES.iter().find(|q| hay[vs..ve].ends_with(q)) {
        ve -= q.len();
    }
    // `password=…&remember=1`: the form's next field (unquoted).
    let mut k = if quoted { ve } else { vs };
    while k < ve {
        if hay[k] == b'&' {
            let name = hay[k + 1..ve]
                .iter()
                .take_while(|b| b.is_ascii_alphabetic() || **b == b'_')
                .count();
            if name > 0 && hay.get(k + 1 + name) == Some(&b'=') && k + 1 + name < ve {
                ve = k;
                break;
            }
        }
        k += 1;
    }
    (ve > vs).then_some((vs, ve))
}

/// The generic score at the password trigger at `p`: the key around it (its words), the value
/// after it (its shape). A PASSWORD hit when both say so.
pub(super) fn key_value_password(hay: &[u8], p: usize) -> Option<Hit> {
    let mut ks = p;
    while ks > 0 && key_byte(hay[ks - 1]) && p - ks < 64 {
        ks -= 1;
    }
    let mut ke = p;
    while ke < hay.len() && key_byte(hay[ke]) && ke - p < 64 {
        ke += 1;
    }
    // A variable's reference (`${SMTP_PASS:?missing}`, `$DB_PASSWORD`, `%DB_PASS%`): no key.
    if ks > 0 && matches!(hay[ks - 1], b'$' | b'%') || hay[..ks].ends_with(b"${") {
        return None;
    }
    while ke > ks && matches!(hay[ke - 1], b'.' | b'-') {
        ke -= 1;
    }
    if ke <= p || key_verdict(&hay[ks..ke]) != Some(true) {
        return None;
    }
    let (vs, ve) = value_after(hay, ke)?;
    let v = &hay[vs..ve];
    // Not a command-line flag after a parameter's name (`--name /prod/db/password
    // --with-decryption`; `evidence_r34p`).
    (!look_alike(v)
        && !starts_with_known_secret(v)
        && shape_score(v) >= THRESHOLD
        && !super::evidence_r34p::cli_flag(v))
    .then(|| Hit::new(Entity::Password, vs, ve))
}

/// The end to report for the password trigger at `p` when `check::prose_keyword` found no
/// keyword there: the trigger's byte when the generic score finds a password after its key
/// (`check::shape_end`), so the rule's check runs.
pub(super) fn trigger_end(hay: &[u8], p: usize) -> Option<usize> {
    key_value_password(hay, p).map(|_| p + 1)
}

/// The password rule's outcome at the trigger `p`, with the generic score asked where the
/// rules said no (`check`'s `Kind::ProsePassword` arm): it only adds findings.
pub(super) fn or_key_value(hay: &[u8], p: usize, outcome: Outcome) -> Outcome {
    match outcome {
        Outcome::Hit(h) => Outcome::Hit(h),
        Outcome::Reject => key_value_password(hay, p).map_or(Outcome::Reject, Outcome::Hit),
    }
}
