//! One generic score for a `key=value` candidate the text pass has already turned down,
//! twenty-fifth round (task sec): the key's words and the value's shape, nothing else.
//! `benches/secret_r25_population.py` computes the same score on every key/value candidate
//! of the training splits and estimates it on an unseen writer by leave-one-writer-out
//! (docs/redaction-accuracy.md, "Twenty-fifth round, task sec").
//!
//! - The key's words: the key split at `_`, `-`, `.`, a lower-case letter or digit before a
//!   capital, and a glued run covered end to end by the vocabulary (`apikey`,
//!   `clientsecret`). A word of `STRONG` scores 2, else one of `WEAK` 1; a word of
//!   `NOT_SECRET` (the secret's name, place or bookkeeping: `id`, `hash`, `path`, `public`,
//!   `next`, …) or a password's (task pw's) vetoes the candidate.
//! - The value's shape: a template or variable, a placeholder, a URL, a reference or a
//!   labelled digest (`env:NAME`, `hmac-sha256:…`), a public key's prefix, an e-mail address,
//!   a path, a UUID, a number, date or version, a word or a sentence veto it; a token (16
//!   bytes or more, two of lower case, upper case and digits, entropy ≥ 3.0 bits per byte)
//!   scores 2, or 3 when 32 bytes or more or ≥ 3.5 bits; hex of 32 digits or more 1.
//!
//! A GENERIC_SECRET when the sum reaches `THRESHOLD`.

use super::{Entity, Hit, Outcome};
use crate::redact::validate as v;

/// The one threshold: a strong secret word and a strong token (the only one that is ≥ 0.98
/// precise on any set of training writers; docs, "Twenty-fifth round, task sec").
const THRESHOLD: u8 = 5;

/// Words that name a secret, tiered by counting (`benches/secret_r25_population.py`, its
/// section 0): over every training candidate whose value has a token's shape, ≥ 0.95 of a
/// `STRONG` word's gold-or-unlabelled candidates are gold GENERIC_SECRET, with gold from three
/// splits or more (`secret` 5,154 gold / 17 unlabelled in 18 splits; `webhook` 842 / 0 in 13;
/// `signing` 450 / 0 in 13); a `WEAK` word's ≥ 0.5 (`token` 1,707 / 379, `key` 3,995 / 511,
/// `cookie` 335 / 269, `hmac` 172 / 74). A locale's word takes the tier of the word it
/// translates. `sid` (164 / 236) is in neither.
const STRONG: [&[u8]; 12] = [
    b"secret",
    b"secrets",
    b"geheimnis",
    b"geheim",
    b"segreto",
    b"segreta",
    b"secreto",
    b"secreta",
    b"bearer",
    b"sessionid",
    b"signing",
    b"webhook",
];

/// Words that may name a secret (see `STRONG`).
const WEAK: [&[u8]; 20] = [
    b"token",
    b"tokens",
    b"jeton",
    b"key",
    b"keys",
    b"sleutel",
    b"chiave",
    b"clave",
    b"cle",
    b"apikey",
    b"auth",
    b"cookie",
    b"credential",
    b"credentials",
    b"hmac",
    b"license",
    b"licence",
    b"private",
    b"salt",
    b"session",
];

/// Words that say the value is no secret: its name, its place, its bookkeeping, a public
/// part, a signature or digest of something else.
const NOT_SECRET: [&[u8]; 79] = [
    b"id",
    b"ids",
    b"name",
    b"names",
    b"hash",
    b"hashed",
    b"digest",
    b"checksum",
    b"fingerprint",
    b"version",
    b"path",
    b"file",
    b"dir",
    b"url",
    b"uri",
    b"endpoint",
    b"host",
    b"type",
    b"kind",
    b"length",
    b"len",
    b"count",
    b"expires",
    b"expiry",
    b"expiration",
    b"expire",
    b"ttl",
    b"public",
    b"pub",
    b"publishable",
    b"format",
    b"algorithm",
    b"alg",
    b"mode",
    b"prefix",
    b"suffix",
    b"label",
    b"field",
    b"size",
    b"status",
    b"created",
    b"updated",
    b"at",
    b"time",
    b"date",
    b"page",
    b"next",
    b"cursor",
    b"pagination",
    b"continuation",
    b"sort",
    b"partition",
    b"row",
    b"cache",
    b"routing",
    b"idempotency",
    b"primary",
    b"foreign",
    b"ssh",
    b"gpg",
    b"pgp",
    b"kms",
    b"arn",
    b"ref",
    b"sha",
    b"md5",
    b"policy",
    b"hint",
    b"header",
    b"issuer",
    b"scope",
    b"region",
    b"user",
    b"username",
    b"email",
    b"account",
    b"encrypted",
    b"signature",
    b"skip",
];

/// A password's words: task pw's vocabulary, kept out of this one.
const PASSWORD_WORDS: [&[u8]; 10] = [
    b"pass",
    b"passwd",
    b"password",
    b"pwd",
    b"passphrase",
    b"passcode",
    b"passwort",
    b"kennwort",
    b"wachtwoord",
    b"psk",
];

fn in_vocabulary(w: &[u8]) -> bool {
    [&STRONG[..], &WEAK[..], &NOT_SECRET[..], &PASSWORD_WORDS[..]]
        .iter()
        .any(|list| list.contains(&w))
}

/// A glued lower-case run (`apikey`, `clientsecret`) as vocabulary words of three letters or
/// more end to end, longest first; `None` when they do not cover it.
fn segment(run: &[u8], depth: usize) -> Option<Vec<&[u8]>> {
    if run.is_empty() {
        return Some(Vec::new());
    }
    if depth > 6 {
        return None;
    }
    for n in (3..=run.len().min(16)).rev() {
        if in_vocabulary(&run[..n]) {
            if let Some(mut rest) = segment(&run[n..], depth + 1) {
                rest.insert(0, &run[..n]);
                return Some(rest);
            }
        }
    }
    None
}

/// The key's words, lower case: split at every byte that is no letter or digit and before a
/// capital after a lower-case letter or digit; each run also as its glued words.
fn key_words(key: &[u8]) -> Vec<Vec<u8>> {
    let mut runs: Vec<Vec<u8>> = Vec::new();
    let mut cur: Vec<u8> = Vec::new();
    for (i, &b) in key.iter().enumerate() {
        let camel = b.is_ascii_uppercase()
            && i > 0
            && (key[i - 1].is_ascii_lowercase() || key[i - 1].is_ascii_digit());
        if (!b.is_ascii_alphanumeric() || camel) && !cur.is_empty() {
            runs.push(std::mem::take(&mut cur));
        }
        if b.is_ascii_alphanumeric() {
            cur.push(b.to_ascii_lowercase());
        }
    }
    if !cur.is_empty() {
        runs.push(cur);
    }
    let mut out = runs.clone();
    for r in &runs {
        if let Some(parts) = segment(r, 0).filter(|p| p.len() > 1) {
            out.extend(parts.into_iter().map(<[u8]>::to_vec));
        }
    }
    out
}

/// The key's score: `None` for a veto, else 2 (a strong word), 1 (a weak one) or 0.
fn key_score(key: &[u8]) -> Option<u8> {
    let words = key_words(key);
    let has = |list: &[&[u8]]| words.iter().any(|w| list.contains(&w.as_slice()));
    if has(&NOT_SECRET) || has(&PASSWORD_WORDS) {
        None
    } else if has(&STRONG) {
        Some(2)
    } else if has(&WEAK) {
        Some(1)
    } else {
        Some(0)
    }
}

/// The value's score: `None` for a look-alike, else 0 to 3.
fn shape_score(value: &[u8]) -> Option<u8> {
    let n = value.len();
    if n < 8 || value.iter().any(|b| b.is_ascii_whitespace()) {
        return None;
    }
    let has = |pat: &[u8]| memchr::memmem::find(value, pat).is_some();
    // A template or variable (`${…}`, `{{…}}`, `<…>`, `%(name)s`, `$NAME`, `%NAME%`).
    let template = has(b"${")
        || has(b"{{")
        || has(b"}}")
        || (value[0] == b'<' && value[n - 1] == b'>')
        || value.starts_with(b"%(")
        || (value[0] == b'$'
            && (value[1].is_ascii_alphabetic() || matches!(value[1], b'_' | b'(')))
        || (value[0] == b'%'
            && value[n - 1] == b'%'
            && value[1..n - 1]
                .iter()
                .all(|b| b.is_ascii_uppercase() || *b == b'_'));
    // A variable's or a call's name (`secrets.DB_PASSWORD`, `var.db_token`, `OPENAI_API_KEY`,
    // `os.environ[`): the engine's tests.
    let template =
        template || super::check::variable_reference(value) || super::check::code_reference(value);
    // A placeholder (`xxxx…`, `your-…`, `changeme`, a run of six): the engine's test. A vendor's
    // prefix (`ghp_`, `sk_live_`, `xox`, `AKIA`, `eyJ`, …): the vendor's rule.
    let placeholder = v::secret_placeholder(value)
        || super::standin::stand_in(value)
        || super::check::starts_with_known_secret(value)
        || super::check::vendor_token(value);
    // A reference or a labelled digest (`env:NAME`, `arn:…`, `hmac-sha256:…`, `ENC[…]`), a
    // URL (`scheme://`), a public key's prefix (`pk.`, `pk_`, `pub_`).
    let label = value
        .iter()
        .take(21)
        .position(|&b| !(b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
        .is_some_and(|i| i >= 2 && matches!(value[i], b':' | b'['))
        && value[0].is_ascii_lowercase()
        || (value[0].is_ascii_alphabetic() && {
            let w = value.iter().take_while(|b| b.is_ascii_alphabetic()).count();
            value.get(w) == Some(&b'[')
        });
    let public = value.starts_with(b"pk.")
        || value.starts_with(b"pk_")
        || value.starts_with(b"pub_")
        || value.starts_with(b"pub.");
    let email = value.contains(&b'@')
        && !value.iter().any(|b| matches!(b, b'+' | b'/' | b'='))
        && value
            .rsplit(|&b| b == b'@')
            .next()
            .is_some_and(|d| d.contains(&b'.'));
    let path = (value[0] == b'/' || value.starts_with(b"~/") || value.starts_with(b"./"))
        && value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'.' | b'-' | b'~'));
    let numberish = value
        .iter()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b',' | b'+' | b'-' | b'/' | b':' | b'T'));
    let uuid = n == 36
        && value.iter().enumerate().all(|(i, &b)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                b == b'-'
            } else {
                b.is_ascii_hexdigit()
            }
        });
    let version = value.len() > 2
        && (value[0] == b'v' || value[0].is_ascii_digit())
        && value[1..]
            .iter()
            .take_while(|b| b.is_ascii_digit() || **b == b'.')
            .filter(|b| **b == b'.')
            .count()
            >= 1
        && value[usize::from(value[0] == b'v')..]
            .iter()
            .take_while(|b| b.is_ascii_digit() || **b == b'.')
            .count()
            >= 3
        && !value.iter().any(u8::is_ascii_uppercase);
    let entropy = v::shannon_entropy(value);
    let lower = value.iter().any(u8::is_ascii_lowercase);
    let upper = value.iter().any(u8::is_ascii_uppercase);
    let digit = value.iter().any(u8::is_ascii_digit);
    // Letters only, with `-`/`_` between words: a word, unless mixed case of high entropy.
    let words = value
        .iter()
        .all(|b| b.is_ascii_alphabetic() || matches!(b, b'-' | b'_'))
        && !(upper
            && value[1..].iter().any(u8::is_ascii_uppercase)
            && lower
            && n >= 16
            && entropy >= 3.5);
    if template
        || placeholder
        || label
        || public
        || email
        || path
        || numberish
        || uuid
        || version
        || words
    {
        return None;
    }
    let classes = [lower, upper, digit].iter().filter(|&&x| x).count();
    if n >= 32 && value.iter().all(u8::is_ascii_hexdigit) {
        Some(1)
    } else if n >= 16 && classes >= 2 && entropy >= 3.0 {
        Some(if n >= 32 || entropy >= 3.5 { 3 } else { 2 })
    } else {
        Some(0)
    }
}

/// The generic score of a key and its value: `None` when either vetoes it.
pub(super) fn score(key: &[u8], value: &[u8]) -> Option<u8> {
    Some(key_score(key)? + shape_score(value)?)
}

/// Whether a key and its value reach `THRESHOLD`: the value's shape first (a key scores 2 at
/// most, so a shape below `THRESHOLD - 2` ends it before the key's words are split).
fn reaches_threshold(key: &[u8], value: &[u8]) -> bool {
    shape_score(value).is_some_and(|sh| sh + 2 >= THRESHOLD)
        && score(key, value).is_some_and(|sc| sc >= THRESHOLD)
}

/// A `key=value` candidate of the text pass (`Kind::KeyValue`, the keyword at `s`, the match
/// ending at `e`) that `check_key_value` turned down: a GENERIC_SECRET when the whole key and
/// the whole value score `THRESHOLD` or more. The key runs back from the keyword over
/// letters, digits, `_`, `-`, `.` (64 bytes at most; not a colon path's segment,
/// `arn:…:secret:name`); the value after the separator and blanks, quoted to its closing quote
/// (300 bytes at most) or unquoted to a blank, quote, `,`, `;`, `&`, `<`, `>`.
pub(super) fn generic_pair(hay: &[u8], s: usize, e: usize) -> Outcome {
    let name = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    let from = s.saturating_sub(64);
    let ks = hay[from..s]
        .iter()
        .rposition(|&b| !name(b))
        .map_or(from, |i| from + i + 1);
    if ks > 0 && matches!(hay[ks - 1], b':') || (ks == from && from > 0) {
        return Outcome::Reject;
    }
    let Some(sep) = hay[s..e].iter().position(|&b| matches!(b, b':' | b'=')) else {
        return Outcome::Reject;
    };
    let sep = s + sep;
    let key_end = hay[ks..sep]
        .iter()
        .position(|&b| !name(b))
        .map_or(sep, |i| ks + i);
    // `:=`, `=>`, then blanks, a string prefix (`b'…'`), a quote.
    let mut vs = sep + 1;
    if matches!(hay.get(vs), Some(b'=' | b'>')) {
        vs += 1;
    }
    while matches!(hay.get(vs), Some(b' ' | b'\t')) {
        vs += 1;
    }
    if matches!(hay.get(vs), Some(b'b' | b'B' | b'r' | b'R' | b'u' | b'U'))
        && matches!(hay.get(vs + 1), Some(b'"' | b'\''))
    {
        vs += 1;
    }
    let (vs, ve) = match hay.get(vs) {
        Some(&q @ (b'"' | b'\'')) => {
            let limit = hay.len().min(vs + 1 + 300);
            match hay[vs + 1..limit].iter().position(|&b| b == q) {
                Some(i) => (vs + 1, vs + 1 + i),
                None => return Outcome::Reject,
            }
        }
        Some(_) => {
            let limit = hay.len().min(vs + 300);
            let n = hay[vs..limit]
                .iter()
                .take_while(|&&b| {
                    !(b.is_ascii_whitespace()
                        || matches!(b, b'"' | b'\'' | b',' | b';' | b'&' | b'<' | b'>'))
                })
                .count();
            (vs, vs + n)
        }
        None => return Outcome::Reject,
    };
    if reaches_threshold(&hay[ks..key_end], &hay[vs..ve]) {
        Outcome::Hit(Hit::new(Entity::GenericSecret, vs, ve))
    } else {
        Outcome::Reject
    }
}
