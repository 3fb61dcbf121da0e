//! A span defect of the `key=value` rule (thirty-seventh round, issue #20, task span;
//! docs/redaction-accuracy.md, "Thirty-seventh round, task span"; every place counted on every
//! training split by `benches/span_r37_population.py`). No trigger literal was added.
//!
//! * **A value that is itself a `NAME=` pair** (`[warn] settings.json contains plain-text
//!   token: slackToken=xoxb-…`, `a NEXT_PUBLIC_ variable exposes a secret:
//!   NEXT_PUBLIC_OPENAI_KEY=sk-proj-…`): the label's value was read from the name on, `NAME=`
//!   included, as one GENERIC_SECRET, and that finding hid the vendor's key behind it (blind36:
//!   25 GENERIC_SECRET false positives over 11 OPENAI_KEY and 14 SLACK_TOKEN golds). Where the
//!   rule is about to report a value by its shape (its last branch: a name of no password, no
//!   `key`), a value with such a head (`pair_head`) is judged from after the `=`: a vendor's
//!   key (`starts_with_known_secret`) is left to its own rule, which finds it as it does with
//!   no label before; any other rest is held to the same shape tests (8 bytes or more, no
//!   placeholder or stand-in, two classes, the entropy threshold) and reported alone. Asked
//!   only there, so that no other value pays for it (asked for every value, the 64 KB PII text
//!   case cost +0.4 % to +1.7 %). The prose rule (`secret_in_prose`) already refused such a
//!   value as a setting.
//! * **The head**: a name of an identifier's bytes (letters, digits, `_`, `.`, `-`, opening
//!   with a letter or `_`, 4 to 64 bytes), written as a program's name (a `_` in it, or a
//!   lower-case letter followed by an upper-case one) and ending in a secret's word (`token`,
//!   `key`, `secret`, `password`, …): a random password holding `=` (`roMFoL5=fkLK…`,
//!   `eddCXmO=…`: 235 gold PASSWORD places on the training splits have a camel-case head) has
//!   none. The rest is one token that is no further pair (no `=` but base64's final padding,
//!   no `;`/`&`/blank: a connection string or a query stays as it was).
//! * **Taken by the standard clause**: in a POSIX shell assignment and a dotenv line
//!   (`NAME=value`, POSIX.1 XCU 2.9.1) the name is no part of the value. Population: 25 places
//!   on the training splits (blind36 only), the head never gold, every rest gold OPENAI_KEY
//!   (11) or SLACK_TOKEN (14).

/// The words a secret's name ends in.
const SECRET_WORDS: [&[u8]; 10] = [
    b"token",
    b"key",
    b"secret",
    b"password",
    b"passwd",
    b"pwd",
    b"pass",
    b"credential",
    b"credentials",
    b"auth",
];

/// The start of the rest of `hay[vs..e]` when it is `NAME=REST` (see the module's docs);
/// `None` otherwise. A head with nothing after it gives an empty rest (`e`). Bounds are
/// checked with `get`: the value may be cut anywhere.
pub(super) fn pair_head(hay: &[u8], vs: usize, e: usize) -> Option<usize> {
    let v = hay.get(vs..e)?;
    let first = *v.first()?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    // Most values hold no `=`: one `memchr` over the name's room decides (this runs at every
    // `key=value` candidate).
    let n = memchr::memchr(b'=', v.get(..v.len().min(65))?)?;
    if !(4..=64).contains(&n)
        || !v[..n]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        || !identifier_name(&v[..n])
    {
        return None;
    }
    let rest = v.get(n + 1..)?;
    // `slackToken=` and nothing after it (a body cut after the `=`): an empty value.
    let Some(&head) = rest.first() else {
        return Some(vs + n + 1);
    };
    if !(head.is_ascii_alphanumeric() || matches!(head, b'_' | b'-' | b'+' | b'/')) {
        return None;
    }
    // No further pair: `=` only as base64's final padding; no `;`, `&`, blank.
    let body = rest.len() - rest.iter().rev().take_while(|&&b| b == b'=').count();
    if rest[..body]
        .iter()
        .any(|b| matches!(b, b'=' | b';' | b'&' | b' ' | b'\t' | b'\r' | b'\n'))
    {
        return None;
    }
    Some(vs + n + 1)
}

/// A program's name for a secret: a `_` in it (`NEXT_PUBLIC_OPENAI_KEY`) or camel case
/// (`slackToken`: a lower-case letter then an upper-case one), ending in a secret's word
/// (`SECRET_WORDS`, any case). Random passwords holding `=` have camel-case heads too
/// (`roMFoL5=…`, `eddCXmO=…`: 235 gold PASSWORD places on the training splits); none ends in
/// such a word.
fn identifier_name(name: &[u8]) -> bool {
    SECRET_WORDS
        .iter()
        .any(|w| name.len() >= w.len() && name[name.len() - w.len()..].eq_ignore_ascii_case(w))
        && (name.contains(&b'_')
            || name
                .windows(2)
                .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase()))
}
