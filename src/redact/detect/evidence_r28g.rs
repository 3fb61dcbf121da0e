//! GENERIC_SECRET: a `routing_key` setting's token, WordPress's keys and salts whatever byte
//! opens them, and an environment variable's reference standing where a secret's value would
//! (twenty-eighth round, task gs; the task's fourth rule, a card's security code later on the
//! card number's line, was measured and not merged: its look at every card cost +5.7 % on
//! PII text;
//! docs/redaction-accuracy.md, "Twenty-eighth round, task gs"; each construction counted on
//! every training split by `benches/gs_r28_population.py`).
//!
//! - `routing_key` (`routingKey`, `routing-key`) before `:`/`=`: an events API's integration
//!   key (PagerDuty's Events API v2 calls its 32-character key so; Alertmanager's
//!   `pagerduty_configs` writes it). A message broker's routing key is words joined by `.`
//!   (`orders.created`, `*.error`, `#`): the value must be one run of letters and digits, 20
//!   to 64 bytes, of a secret's shape (`secret_token_at`). Population: 50 gold, 0 not, on
//!   blind21, blind25, blind27.
//! - A `define('…_KEY'|'…_SALT', '…')` value of 64 printable bytes (WordPress's generator's
//!   length and alphabet, which holds `$ { * [ < % (` and the blank that `secret_token_at`
//!   refuses at a value's start): population 88 gold, 0 not, on blind12, blind21, blind27.
//! - No secret: `process.env.OPENAI_API_KEY`, `import.meta.env.VITE_KEY`,
//!   `config.SECRET_KEY` — identifiers opening with a lower-case letter joined by `.`, then
//!   an environment variable's name. Population: 534 such references on 24 splits, 0 gold;
//!   a random token cannot take the shape (letters only before each `.`, then capitals,
//!   digits and `_` only, and nothing else in the value).

use super::check::{secret_token_at, Outcome};
use super::{Entity, Hit};

/// Whether `routing_key`, `routing-key` or `routingKey` (any case) ends at `j`, no name byte
/// before it.
pub(super) fn routing_key_at(hay: &[u8], j: usize) -> bool {
    [b"routing_key".as_slice(), b"routing-key", b"routingkey"]
        .iter()
        .any(|w| {
            j >= w.len()
                && hay[j - w.len()..j].eq_ignore_ascii_case(w)
                && (j == w.len() || !is_name_byte(hay[j - w.len() - 1]))
        })
}

/// Whether the `key` starting at `s` ends a `routing_key` name (`routing_key_at`).
pub(super) fn routing_key_before(hay: &[u8], s: usize) -> bool {
    s + 3 <= hay.len() && routing_key_at(hay, s + 3)
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// A `routing_key`'s value at `vs`: one run of letters and digits, 20 to 64 bytes, ending at
/// a quote, a blank, `,`, `}` or the end, of a secret's shape.
pub(super) fn routing_key_value(hay: &[u8], vs: usize, threshold: f64) -> Outcome {
    let n = hay[vs..]
        .iter()
        .take(65)
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    let end_ok = hay.get(vs + n).is_none_or(|&b| {
        matches!(
            b,
            b'"' | b'\'' | b' ' | b'\t' | b'\r' | b'\n' | b',' | b'}' | b';'
        )
    });
    if !(20..=64).contains(&n) || !end_ok {
        return Outcome::Reject;
    }
    secret_token_at(hay, vs, vs + n, threshold)
}

/// WordPress's key or salt in a `define()` at `hay[vs..ve]`: 64 printable ASCII bytes (the
/// blank included), three of lower case, upper case, digits and punctuation, at least 4.5
/// bits per byte (WordPress's generator draws from 92 bytes: about 5.5).
pub(super) fn wordpress_key(hay: &[u8], vs: usize, ve: usize) -> Option<Hit> {
    let value = &hay[vs..ve];
    if value.len() != 64 || !value.iter().all(|&b| (0x20..0x7f).contains(&b)) {
        return None;
    }
    let classes = [
        value.iter().any(u8::is_ascii_lowercase),
        value.iter().any(u8::is_ascii_uppercase),
        value.iter().any(u8::is_ascii_digit),
        value.iter().any(u8::is_ascii_punctuation),
    ]
    .iter()
    .filter(|&&x| x)
    .count();
    (classes >= 3 && super::super::validate::shannon_entropy(value) >= 4.5)
        .then(|| Hit::new(Entity::GenericSecret, vs, ve))
}

/// An environment variable's reference standing where a secret's value would, the whole
/// value: identifiers of letters opening with a lower-case one, each followed by `.`
/// (`process.`, `env.`, `import.meta.env.`, `config.`), then a name of capitals, digits and
/// `_` opening with a capital and holding a `_` (`OPENAI_API_KEY`).
pub(super) fn env_path_reference(value: &[u8]) -> bool {
    let Some(dot) = value.iter().rposition(|&b| b == b'.') else {
        return false;
    };
    let (path, name) = (&value[..dot], &value[dot + 1..]);
    name.first().is_some_and(u8::is_ascii_uppercase)
        && name.contains(&b'_')
        && name
            .iter()
            .all(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && path.split(|&b| b == b'.').all(|seg| {
            seg.first().is_some_and(u8::is_ascii_lowercase)
                && seg.iter().all(u8::is_ascii_alphabetic)
        })
}
