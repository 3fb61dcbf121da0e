//! Secrets by evidence a writer cannot vary, twenty-fourth round (task sec): the value's own
//! shape and generic structure (a name naming a secret, in any vocabulary, then its value),
//! read where the text pass has already stopped. Each test was counted on every candidate of
//! the training splits before it was written (`benches/secret_r24_population.py`,
//! docs/redaction-accuracy.md, "Twenty-fourth round, task sec"), and each class holds
//! candidates of three writers or more:
//!
//! - a name ending in a secret's word joined to the words before it (`APP_SECRET`,
//!   `Splunk_Token`, `PAYMENT_API_KEY`, `X-Api-Key`, `authentication-key`,
//!   `app:sessionSecret`), then blanks and one token with a secret's shape ending its line:
//!   a whitespace-separated setting (an aligned `.env` listing, Apache's `SetEnv`, Caddy's
//!   `header_up`, fluent-bit, Junos); 457 candidates in ten splits of which 451 gold
//!   GENERIC_SECRET, the other six time stamps (no token's shape);
//! - the expiry between a card and its security code in the locales' words (`Caducidad
//!   06/30 CVV 622`, `Expire fin 11/29 Cryptogramme 222`, `Geldig t/m 04/28 CVC 692`): the
//!   code after a card is gold in all 1,039 such candidates of fifteen splits;
//! - a path of lower-case segments under a secret's name (`credentials=/root/.smbcred`,
//!   `token_file=/run/secrets/api_token`): where the secret is kept, not the secret (84
//!   candidates in three splits, none gold).

use super::{secret_token_at, Entity, Hit, Outcome};

// No trigger literal of its own: the upper-case `CRET `/`OKEN ` and `_key `/`-key ` literals
// this rule first had cost +8.2 % on clean input (`redact_profile 65536 clean bytes`, the
// triggers' Teddy search 2.8M -> 5.8M per 20 passes: the lead's merge of the twenty-fourth
// round); it reads what `cret `/`oken ` find.

/// Words of a name that say it names no secret (a public or bookkeeping key: `sort_key`,
/// `public_key`, `idempotency-key`, `ssh_host_key`, `next_token`, `secret_name`), as the JSON
/// keys' `NOT_SECRET_KEY_WORDS` and bookkeeping words.
const NOT_SECRET_NAME_WORDS: [&[u8]; 30] = [
    b"public",
    b"publishable",
    b"pub",
    b"host",
    b"idempotency",
    b"primary",
    b"foreign",
    b"sort",
    b"partition",
    b"row",
    b"cache",
    b"routing",
    b"object",
    b"ssh",
    b"gpg",
    b"pgp",
    b"kms",
    b"fingerprint",
    b"id",
    b"name",
    b"type",
    b"file",
    b"path",
    b"url",
    b"uri",
    b"header",
    b"hash",
    b"next",
    b"page",
    b"request",
];

/// The name joined to a secret's word before a blank, from the trigger at `p` (one of
/// `JOINED_NAME_TRIGGERS`, or `cret `/`oken ` joined to the word before): `(name start, word
/// end)`. The word (`secret`, `token`, `key`) is joined to the name's words before it by
/// `_`, `-`, `.`, `:` or a lower-case letter or digit before its capital (`sessionSecret`);
/// the name (letters, digits, `_`, `-`, `.`, `:`; 64 bytes at most) starts after a blank, a
/// line break, `|`, `{`, `(` or at the text's start. A word standing alone is `secret_word_at`'s
/// as before.
pub(super) fn joined_name_at(hay: &[u8], p: usize) -> Option<(usize, usize)> {
    let rest = &hay[p..];
    let (word_start, word_end) = if rest.starts_with(b"cret ") || rest.starts_with(b"CRET ") {
        let s = p.checked_sub(2)?;
        hay[s..p]
            .eq_ignore_ascii_case(b"se")
            .then_some((s, p + 4))?
    } else if rest.starts_with(b"oken ") || rest.starts_with(b"OKEN ") {
        let s = p.checked_sub(1)?;
        (hay[s] | 0x20 == b't').then_some((s, p + 4))?
    } else if [b"_KEY ", b"_key ", b"-key ", b"-Key "]
        .iter()
        .any(|l| rest.starts_with(*l))
    {
        (p + 1, p + 4)
    } else {
        return None;
    };
    // Joined: a separator before the word, or a capital after a lower-case letter or digit.
    let j = word_start.checked_sub(1)?;
    let camel = hay[word_start].is_ascii_uppercase()
        && (hay[j].is_ascii_lowercase() || hay[j].is_ascii_digit());
    if !(matches!(hay[j], b'_' | b'-' | b'.' | b':') || camel) {
        return None;
    }
    let from = j.saturating_sub(64);
    let name_start = hay[from..word_start]
        .iter()
        .rposition(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':')))
        .map_or(from, |k| from + k + 1);
    // The name has a word of its own before the secret's word, and starts where a name can.
    if name_start >= j
        || !hay[name_start].is_ascii_alphabetic()
        || (name_start > 0
            && !matches!(
                hay[name_start - 1],
                b' ' | b'\t' | b'\n' | b'\r' | b'|' | b'{' | b'('
            ))
    {
        return None;
    }
    if bookkeeping_name(&hay[name_start..word_start]) {
        return None;
    }
    Some((name_start, word_end))
}

/// Whether a name's words before the secret's word (`sort_`, `idempotency-`, `ssh_host_`)
/// hold one that names no secret (`NOT_SECRET_NAME_WORDS`), in any case.
pub(super) fn bookkeeping_name(head: &[u8]) -> bool {
    let mut i = 0;
    while i < head.len() {
        // A word: letters (a capital opens a new one after a lower-case letter) and digits.
        let start = i;
        i += 1;
        while i < head.len()
            && head[i].is_ascii_alphanumeric()
            && !(head[i].is_ascii_uppercase() && head[i - 1].is_ascii_lowercase())
        {
            i += 1;
        }
        let w = &head[start..i];
        if w.iter().all(u8::is_ascii_alphanumeric)
            && NOT_SECRET_NAME_WORDS
                .iter()
                .any(|n| n.eq_ignore_ascii_case(w))
        {
            return true;
        }
        while i < head.len() && !head[i].is_ascii_alphanumeric() {
            i += 1;
        }
    }
    false
}

/// The value after a joined secret name ending at `e` (`joined_name_at`): blanks (one or
/// more spaces or tabs, no `:`/`=`), one token, optionally quoted, and then the end of its
/// line (a line break, a flattened log's ` | ` or ` ⏎ `, or the text's end). A
/// GENERIC_SECRET when the token has a secret's shape (`secret_token_at`: 16 bytes or more,
/// two of lower case, upper case and digits, above the entropy threshold, no vendor prefix,
/// placeholder or variable), and is neither hex shorter than 32 digits (a digest's prefix: a
/// secrets listing's `GITHUB_TOKEN  5bf973cd69f016dd`), a time stamp nor a locator.
pub(super) fn blank_pair_value(hay: &[u8], e: usize, threshold: f64) -> Outcome {
    let limit = (e + 512).min(hay.len());
    let mut i = e;
    while i < limit && matches!(hay[i], b' ' | b'\t') {
        i += 1;
    }
    if i == e || i >= limit {
        return Outcome::Reject;
    }
    let quote = matches!(hay[i], b'"' | b'\'').then_some(hay[i]);
    let vs = i + usize::from(quote.is_some());
    let ve = vs
        + hay[vs..limit]
            .iter()
            .take_while(|&&b| !(b.is_ascii_whitespace() || b == b'"' || b == b'\'' || b == b'|'))
            .count();
    let mut j = ve;
    if let Some(q) = quote {
        if hay.get(j) != Some(&q) {
            return Outcome::Reject;
        }
        j += 1;
    }
    while j < hay.len() && matches!(hay[j], b' ' | b'\t') {
        j += 1;
    }
    let line_end = j == hay.len()
        || matches!(hay[j], b'\n' | b'\r')
        || (j > ve && (hay[j..].starts_with(b"| ") || hay[j..].starts_with("\u{23ce}".as_bytes())));
    if !line_end || ve <= vs {
        return Outcome::Reject;
    }
    let value = &hay[vs..ve];
    let short_hex = value.len() < 32 && value.iter().all(u8::is_ascii_hexdigit);
    let time = value.len() > 4 && value[..4].iter().all(u8::is_ascii_digit) && value[4] == b'-';
    let locator = memchr::memmem::find(value, b"://").is_some()
        || value
            .iter()
            .position(|&b| b == b'=')
            .is_some_and(|k| value[k..].iter().any(|&b| b != b'='));
    if short_hex || time || locator || value[0] == b'-' {
        return Outcome::Reject;
    }
    match secret_token_at(hay, vs, ve, threshold) {
        // The whole token (`secret_token_at` drops a final `.`, `,`, `;`, `)`).
        Outcome::Hit(h) if h.end == ve => Outcome::Hit(Hit::new(Entity::GenericSecret, vs, ve)),
        _ => Outcome::Reject,
    }
}

/// Words for a card's expiry in the seven locales that may stand between a card number and
/// its security code, beyond `numbers::CARD_GAP_WORDS` (`Caducidad 06/30 CVV 622`, `Expire fin
/// 11/29 Cryptogramme 222`, `Geldig t/m 04/28 CVC 692`, `Vervaldatum`, `Scade`, `Ablaufdatum`),
/// lower case, matched in any case.
const EXPIRY_WORDS: [&[u8]; 12] = [
    b"caducidad",
    b"caduca",
    b"vencimiento",
    b"expire",
    b"expira",
    b"fin",
    b"t",
    b"m",
    b"vervaldatum",
    b"scade",
    b"ablaufdatum",
    b"exp\xc3\xa9ration",
];

/// Whether `word` (letters, a word of its own) is one of `EXPIRY_WORDS`.
pub(super) fn expiry_word(word: &[u8]) -> bool {
    EXPIRY_WORDS.iter().any(|w| w.eq_ignore_ascii_case(word))
}

/// Whether a `key=value` value is a path of lower-case segments (`/root/.smbcred`,
/// `~/.config/app/token`, `./secrets/api.key`): where a secret is kept, not the secret. A
/// leading `/`, `~/` or `./`, then segments of lower-case letters, digits, `_`, `-` and `.`
/// (40 bytes at most each) joined by `/`, the whole value. A base64 secret opening with `/`
/// holds capitals or a longer run (`/0N/pokiA1gF…`).
pub(super) fn lowercase_path(value: &[u8]) -> bool {
    let body = if let Some(b) = value.strip_prefix(b"~/") {
        b
    } else if let Some(b) = value.strip_prefix(b"./") {
        b
    } else if let Some(b) = value.strip_prefix(b"/") {
        b
    } else {
        return false;
    };
    !body.is_empty()
        && body.split(|&b| b == b'/').all(|seg| {
            !seg.is_empty()
                && seg.len() <= 40
                && seg.iter().all(|&b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.')
                })
        })
}
