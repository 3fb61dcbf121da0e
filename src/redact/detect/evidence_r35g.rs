//! GENERIC_SECRET rules of the thirty-fifth round (issue #20, task gs; docs/redaction-accuracy.md,
//! "Thirty-fifth round, task gs"; every construction counted on every training split by
//! `benches/gs_r35_population.py`), each reached where the scanner already stops: no trigger
//! literal was added.
//!
//! * **Langfuse's secret key** (`sk-lf-` + a UUID, 8-4-4-4-12 lower-case hex; Langfuse's
//!   documented key pair `LANGFUSE_SECRET_KEY=sk-lf-…` / `LANGFUSE_PUBLIC_KEY=pk-lf-…`): a
//!   GENERIC_SECRET, not an OpenAI key. The OpenAI rule's `sk-` literal reaches it and took it
//!   for an OpenAI key (39 bytes after `sk-`, entropy above the bar): blind34's 12 places, all
//!   gold GENERIC_SECRET, were 12 OPENAI_KEY false positives and 12 GENERIC_SECRET misses. The
//!   test runs in the OpenAI rule's check (`langfuse_secret_key`), only after `sk-lf-`. One
//!   writer (blind34), taken on Langfuse's documented format; no `sk-lf-` elsewhere on the
//!   training splits; the 12 `pk-lf-` public keys beside them stay unreported (no `sk-`).
//! * **A vendor's token as `-p`'s argument after `-u USER`** (`twine upload -u __token__ -p
//!   pypi-AgEIcHlwaS5vcmc…`: PyPI's API token, whose user is `__token__` and whose value
//!   carries the `pypi-` prefix, as PyPI's help documents it): a GENERIC_SECRET, as the same
//!   token in a URL's user info already is (`check::token_user`, `check::vendor_token`).
//!   Reached where the flag rule already stands (`-u` then `-p`, `check::check_cli_flag`);
//!   before, the value was read for a password and 80 bytes of it refused. PyPI tokens are
//!   gold on four writers' splits (blind29 17, blind30 2, blind32 8, blind34 4; 27 already
//!   found under `password =` and in URLs); this form holds blind34's 4, all gold, all
//!   missed. None of the 236 PASSWORD-gold `-u USER -p X` arguments is a vendor's token.

use super::check::vendor_token;
use super::{Entity, Hit};

/// Whether `body` (the bytes after an `sk-` key's `sk-`) is Langfuse's secret key: `lf-` and
/// a UUID, 36 bytes of lower-case hex with `-` at 8, 13, 18 and 23, and nothing more.
pub(super) fn langfuse_secret_key(body: &[u8]) -> bool {
    let Some(id) = body.strip_prefix(b"lf-") else {
        return false;
    };
    id.len() == 36
        && id.iter().enumerate().all(|(i, &b)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                b == b'-'
            } else {
                b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
            }
        })
}

/// The argument of `-p` at `vs` right after `-u USER` (`check::check_cli_flag`'s registry
/// login form: `twine upload -u __token__ -p pypi-…`, PyPI's documented `__token__` user and
/// `pypi-` token) when it is a vendor's token (`check::vendor_token`): a GENERIC_SECRET, as
/// in a URL's user info (`https://__token__:pypi-…@`). The token is read to its end (a
/// PyPI token runs past 170 bytes, longer than the flag's password value is read), up to
/// 512 bytes; a blank, a quote, a line's end or the text's end must follow it.
pub(super) fn vendor_token_after_user(hay: &[u8], vs: usize) -> Option<Hit> {
    let len = hay
        .get(vs..)?
        .iter()
        .take(513)
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        .count();
    let ve = vs + len;
    if len > 512
        || hay
            .get(ve)
            .is_some_and(|&b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\''))
    {
        return None;
    }
    vendor_token(hay.get(vs..ve)?).then(|| Hit::new(Entity::GenericSecret, vs, ve))
}
