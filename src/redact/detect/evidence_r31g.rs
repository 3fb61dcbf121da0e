//! GENERIC_SECRET rules of the thirty-first round (issue #20, task gs; docs/redaction-accuracy.md,
//! "Thirty-first round, task gs"; every construction counted on every training split by
//! `benches/gs_r31_population.py`), each reached where the scanner already stops: no trigger
//! literal was added.
//!
//! * **A Telegram bot token** (`<bot id>:<35 bytes of [A-Za-z0-9_-]>`: the Bot API's
//!   documented form, "Each bot is given a unique authentication token … looks something
//!   like `123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11`", used in `https://api.telegram.org/
//!   bot<token>/METHOD`), the id 8 to 10 digits: reached in the number pass at the id's
//!   digits (`numbers::number_region`), the `:` right after them, and, glued after the URL's
//!   `/bot`, in the byte pass's IPv6 branch after a word (`telegram_token_at_colon`). Two
//!   writers' gold (blind20 29; blind30 46, 15 standing alone and 31 after `/bot`): every
//!   place gold.
//! * **strongSwan's `: PSK "…"`** (`ipsec.secrets(5)`: "PSK defines a pre-shared key"), a
//!   GENERIC_SECRET: reached at the `:` the colon pass stops at, beside `: EAP "…"`
//!   (`evidence_r30p`). Three writers' gold (blind23 36, blind25 12, blind30 30), all missed.
//! * **A vendor's token after a command-line flag naming a token** (`doctl auth init
//!   --access-token dop_v1_…`: DigitalOcean's `dop_v1_` + 64 hex, and the other prefixes of
//!   `check::vendor_token`), reached at `oken ` (the secret-word literal), where the `-`
//!   before `token` made it no word of its own. One writer (blind30 13), taken on the vendors'
//!   documented prefixes.
//! * **A password hash record's salt is no secret** (`salt_beside_hash`): a member named
//!   `salt` in an object that also holds a member whose name ends in `hash` (Firebase's
//!   `auth:export` users: `"passwordHash": "…", "salt": "…"`) is read as under a plain key.
//!   The salt is stored beside the hash by design and is no credential; 171 such members on
//!   two writers' splits (blind23 89, blind30 82), none gold; every `salt` member without a
//!   hash beside it (blind20's Nextcloud `passwordsalt`, 61) is gold and stays found.
//! * **An SNMP community string shorter than a token** (`snmp-server community STRING …`,
//!   Cisco IOS and NX-OS; `set snmp community …`, Junos): the community is SNMPv1/v2c's
//!   shared secret (RFC 1157, RFC 3584), 1 to 32 bytes in Cisco's configuration guides,
//!   found before only from 16 bytes on (`check::secret_token_at`). Reached at the literal
//!   `community ` already searched. Four writers' gold after `snmp-server community` /
//!   `snmp community` (blind15 38, blind20 29, blind27 20, blind30 18), every place gold;
//!   the 16 missed are blind30's NX-OS lines of 10 to 15 bytes (`… group network-operator`).
//!   Taken from 8 bytes, two of lower case, upper case and digits (`public`, `private` and
//!   other words stay unread).

use super::check::vendor_token;
use super::{Entity, Hit};

/// The length of a bot token's secret part (after the `:`).
const TELEGRAM_SECRET: usize = 35;

/// A byte of a bot token's secret part.
#[inline]
fn token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// The Telegram bot token whose id is the digits `hay[i..e]` (the number pass's region, the
/// `:` at `e`): 8 to 10 digits, no digit or `:` before them (a letter only as the `bot` of
/// the Bot API's URL path), then 35 bytes of `[A-Za-z0-9_-]` and no such byte after.
/// (Out of line and cold: the number pass only tests the `:`; inlined, the test moved the
/// byte pass's clean-text cost.)
#[cold]
#[inline(never)]
pub(super) fn telegram_token(hay: &[u8], i: usize, e: usize) -> Option<Hit> {
    if !(8..=10).contains(&(e - i)) {
        return None;
    }
    telegram_token_tail(hay, i, e)
}

fn telegram_token_tail(hay: &[u8], i: usize, e: usize) -> Option<Hit> {
    let end = e + 1 + TELEGRAM_SECRET;
    let secret = hay.get(e + 1..end)?;
    if !secret.iter().all(|&b| token_byte(b)) || hay.get(end).is_some_and(|&b| token_byte(b)) {
        return None;
    }
    if !hay[i..e].iter().all(u8::is_ascii_digit) {
        return None;
    }
    if i > 0 {
        let before = hay[i - 1];
        let url_bot = i >= 4 && &hay[i - 4..i] == b"/bot";
        if (before.is_ascii_alphanumeric() && !url_bot) || matches!(before, b'_' | b'-' | b':') {
            return None;
        }
    }
    Some(Hit::new(Entity::GenericSecret, i, end))
}

/// The Telegram bot token whose id's digits end at the `:` at `q` (the byte pass, a digit
/// before the `:`): the id glued after the Bot API URL's `bot` (`telegram_token`'s tests).
#[cold]
#[inline(never)]
pub(super) fn telegram_token_at_colon(hay: &[u8], q: usize) -> Option<Hit> {
    if q < 12
        || !(hay[q - 1].is_ascii_digit()
            && hay[q - 3].is_ascii_digit()
            && hay[q - 8].is_ascii_digit())
    {
        return None;
    }
    let digits = hay[q.saturating_sub(11)..q]
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if !(8..=10).contains(&digits) {
        return None;
    }
    telegram_token_tail(hay, q - digits, q)
}

/// The opening quote of strongSwan's `: PSK "…"` at the `:` at `q` (a blank before the `:`).
#[inline]
pub(super) fn ipsec_psk_open(hay: &[u8], q: usize) -> Option<usize> {
    (q > 0 && hay[q - 1] == b' ' && hay.get(q + 1..).is_some_and(|r| r.starts_with(b" PSK \"")))
        .then_some(q + 6)
}

/// The pre-shared key in the quotes opening at `open` (`ipsec_psk_open`): 8 to 128 bytes, no
/// blank, no quote, no line break.
pub(super) fn ipsec_psk(hay: &[u8], open: usize) -> Option<Hit> {
    let vs = open + 1;
    let len = hay
        .get(vs..)?
        .iter()
        .take(129)
        .position(|&b| b == b'"' || b <= b' ')?;
    ((8..=128).contains(&len) && hay[vs + len] == b'"')
        .then(|| Hit::new(Entity::GenericSecret, vs, vs + len))
}

/// At the secret-word literal `oken ` at `p`: a vendor's token (`check::vendor_token`) after
/// a command-line flag ending in `-token` (`--access-token dop_v1_…`, `--token glpat-…`).
pub(super) fn flag_vendor_token(hay: &[u8], p: usize) -> Option<Hit> {
    if p < 3 || hay[p - 1] | 0x20 != b't' || hay[p - 2] != b'-' {
        return None;
    }
    let vs = p + 5;
    let len = hay
        .get(vs..)?
        .iter()
        .take(256)
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        .count();
    let ve = vs + len;
    if hay
        .get(ve)
        .is_some_and(|&b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\''))
    {
        return None;
    }
    vendor_token(&hay[vs..ve]).then(|| Hit::new(Entity::GenericSecret, vs, ve))
}

/// A member name ending in `salt` (any case; not `basalt`): the names `json::keys` reads as
/// a salt kept as an application's secret.
#[inline]
pub(crate) fn salt_key(key: &str) -> bool {
    let k = key.as_bytes();
    k.len() >= 4
        && k[k.len() - 4..].eq_ignore_ascii_case(b"salt")
        && !(k.len() >= 6 && k[k.len() - 6..].eq_ignore_ascii_case(b"basalt"))
}

/// A member name ending in `hash` (any case: `passwordHash`, `password_hash`, `hash`): a
/// password hash's record, whose `salt` is no secret (`salt_beside_hash`).
#[inline]
pub(crate) fn hash_key(key: &str) -> bool {
    let k = key.as_bytes();
    k.len() >= 4 && k[k.len() - 4..].eq_ignore_ascii_case(b"hash")
}

/// An SNMP community after the literal `community ` ending at `e` (`check::secret_word_at`:
/// after `snmp-server ` or `snmp `): the next token, 8 to 15 bytes of letters, digits and
/// `_-.!@#$%^&*+=`, two of lower case, upper case and digits, a blank, a quote or the
/// line's end after it. Longer ones are `check::secret_in_prose`'s, as before.
pub(super) fn snmp_community(hay: &[u8], e: usize) -> Option<Hit> {
    let mut vs = e;
    while matches!(hay.get(vs), Some(b' ' | b'\t')) {
        vs += 1;
    }
    let len = hay
        .get(vs..)?
        .iter()
        .take(16)
        .take_while(|&&b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'_' | b'-'
                        | b'.'
                        | b'!'
                        | b'@'
                        | b'#'
                        | b'$'
                        | b'%'
                        | b'^'
                        | b'&'
                        | b'*'
                        | b'+'
                        | b'='
                )
        })
        .count();
    let ve = vs + len;
    if !(8..=15).contains(&len)
        || hay
            .get(ve)
            .is_some_and(|&b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\''))
    {
        return None;
    }
    let v = &hay[vs..ve];
    let classes = usize::from(v.iter().any(u8::is_ascii_lowercase))
        + usize::from(v.iter().any(u8::is_ascii_uppercase))
        + usize::from(v.iter().any(u8::is_ascii_digit));
    (classes >= 2 && v[0] != b'$').then(|| Hit::new(Entity::GenericSecret, vs, ve))
}
