//! Airtable's personal access tokens wherever they stand (forty-first round, issue #20, task
//! vp; docs/redaction-accuracy.md, "Forty-first round, task vp"; every place counted on every
//! training split by `benches/vp_r41_population.py`).
//!
//! * **The shape**: Airtable documents its personal access tokens as `pat`, a token id of 14
//!   letters and digits, `.`, and a secret of 64 lower-case hex digits
//!   (`patFBYt1cQI871x8A.36727ee9…`). A place: that shape with no letter, digit, `_`, `-`
//!   or `.` before `pat` and no letter, digit, `_` or `-` after the secret. A token whose text
//!   the placeholder test reads as a stand-in (`validate::secret_placeholder`) is a
//!   placeholder; any other one a GENERIC_SECRET when its body holds two of lower case, upper
//!   case and digits with more than 3 bits a byte (as `evidence_r38v::vendor_prefix`).
//! * **No trigger literal**: `pat` is three bytes found in many words (`path`, `pattern`,
//!   `compat`). The token is reached where the byte pass already stops, at its first digit
//!   (`engine::byte_pass`): a digit inside the token id (its word then ends at the `.`:
//!   `airtable_may_end_id`), a digit opening the secret right after an id of letters only
//!   (`airtable_may_open_secret`), or a digit inside a secret opening with a letter (its word
//!   then ends the secret: `airtable_may_end_secret`). Each is a byte or two compared where
//!   the pass is already; the shape is read out of line (`airtable_token`).
//! * **Population** (`vp_r41_population.py m29`, training splits through blind39): 12 places
//!   of the shape, every one gold GENERIC_SECRET (blind39; taken by the standard clause);
//!   `m29` missed 3 (a Nagios `$USER7$=`, Moodle's `passwordsaltmain`, a table row); no
//!   stand-in, no other shape after `pat<14>.`, none inside a longer word.

use super::super::entity::Entity;
use super::super::validate as v;
use super::Hit;

/// The token id's length (after `pat`).
const ID: usize = 14;
/// The secret's length (hex digits, after the `.`).
const SECRET: usize = 64;

/// A word ending at the `.` at `dot` may be the token id (`pat` + 14): a digit of the id
/// seen by the byte pass, its word ended at `dot`.
#[inline(always)]
pub(super) fn airtable_may_end_id(hay: &[u8], dot: usize) -> bool {
    hay.get(dot) == Some(&b'.') && dot >= 3 + ID && hay[dot - 3 - ID] == b'p'
}

/// The digit at `i` after a `.` may open the secret (an id of letters only before it).
#[inline(always)]
pub(super) fn airtable_may_open_secret(hay: &[u8], i: usize) -> bool {
    i > 3 + ID && hay[i - 1] == b'.' && hay[i - 4 - ID] == b'p'
}

/// A word ending at `end` may be the secret (a `.` 65 bytes before its end).
#[inline(always)]
pub(super) fn airtable_may_end_secret(hay: &[u8], end: usize) -> bool {
    end > SECRET + 3 + ID && hay[end - SECRET - 1] == b'.' && hay[end - SECRET - 4 - ID] == b'p'
}

/// The hit of the Airtable token whose `.` is at `dot`, when the shape stands there: `pat`
/// after a boundary, 14 letters and digits, the `.`, 64 lower-case hex digits, no letter,
/// digit, `_` or `-` after. A stand-in is a placeholder, a random body a GENERIC_SECRET, any
/// other nothing.
#[cold]
#[inline(never)]
pub(super) fn airtable_token(hay: &[u8], dot: usize) -> Option<Hit> {
    let s = dot.checked_sub(3 + ID)?;
    let e = dot + 1 + SECRET;
    let text = hay.get(s..e)?;
    if !text.starts_with(b"pat")
        || !text[3..3 + ID].iter().all(u8::is_ascii_alphanumeric)
        || text[3 + ID] != b'.'
        || !text[4 + ID..]
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
    {
        return None;
    }
    let boundary = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-';
    if s > 0 && hay.get(s - 1).is_some_and(|b| boundary(b) || *b == b'.') {
        return None;
    }
    if hay.get(e).is_some_and(boundary) {
        return None;
    }
    let mut h = Hit::new(Entity::GenericSecret, s, e);
    if v::secret_placeholder(text) {
        h.placeholder = true;
        return Some(h);
    }
    let body = &text[3..];
    let classes = [
        body.iter().any(u8::is_ascii_lowercase),
        body.iter().any(u8::is_ascii_uppercase),
        body.iter().any(u8::is_ascii_digit),
    ]
    .iter()
    .filter(|&&c| c)
    .count();
    (classes >= 2 && v::shannon_entropy(body) > 3.0).then_some(h)
}
