//! PASSWORD and GENERIC_SECRET precision (twenty-sixth round, task fp): a finding whose value's
//! own shape says it is no secret, and the type a value's surroundings decide.
//!
//! Each rule was measured on the **population** of every PASSWORD and GENERIC_SECRET finding
//! of the training splits (`benches/precision_r26_population.py`: what it removes or retypes,
//! gold vs not, per split; docs/redaction-accuracy.md, "Twenty-sixth round, task fp"). The
//! negatives are the value's shape against a look-alike, never one writer's layout:
//!
//! - a date-time (`2026-11-26T03:56:07Z`: a column's timestamp after a secret's name);
//! - a path of lower-case segments (`PWD=/home/ops`: the working directory, `/root/.smbcred`;
//!   `evidence_r24s::lowercase_path`);
//! - a redaction mark (`xxxx-xxxx`, `****`);
//! - an HTTP header's name (`X-Api-Key`: the name of the header a key is sent in);
//! - for a GENERIC_SECRET, eight hex digits alone (`"api_key": "0dfd8d14"`: 32 bits, an
//!   account's key id beside its secret; no gold secret of the training splits has this
//!   shape). Not for a PASSWORD: a person's or a generator's password may be eight hex
//!   digits, and a password under its own name stays masked (the lead, at the merge: all 37
//!   the rule removed on training were GENERIC_SECRET);
//! - a pointer to where the secret is kept (`see 1Password`, `secretRef: db-creds`);
//! - for a PASSWORD, a valid IBAN (`password=${DB_PASSWORD} IBAN for refunds: GB90…`: the
//!   IBAN's own rule reports it).
//!
//! The type: a password in a URL's userinfo under a token user (`https://__token__:…@`, the
//! users of `evidence_r23s::TOKEN_USERS`) is a token, GENERIC_SECRET, as the member form
//! already is; a Slack rotation token (`xoxe-1-…`, `xoxe.xoxp-1-…`: Slack's documented
//! prefixes) under a secret's name is a SLACK_TOKEN.

use super::{Entity, Hit};

/// Whether `v`, found as a PASSWORD or GENERIC_SECRET (`entity`), has a look-alike's shape
/// (module docs). Other entities: false.
pub(crate) fn look_alike(entity: Entity, v: &[u8]) -> bool {
    if !matches!(entity, Entity::Password | Entity::GenericSecret) {
        return false;
    }
    // By the first byte, each shape's only openings (the JSON walk asks this of every value
    // under a secret's name: one branch, not seven tests).
    let iban_pw = |v: &[u8]| entity == Entity::Password && iban(v);
    let key_id = |v: &[u8]| entity == Entity::GenericSecret && hex8(v);
    // (The thirtieth round's references, `evidence_r30n::reference`: an environment
    // variable in a language's syntax, a Postfix lookup table; by their first bytes, `$ % o
    // p E` and a lookup table type's `h b l c d s t r`.)
    let reference = super::evidence_r30n::reference;
    match v.first() {
        None => false,
        Some(b'0'..=b'9') => date_time(v) || key_id(v),
        Some(b'a'..=b'f') => key_id(v) || reference(v),
        Some(b'/' | b'~') => super::evidence_r24s::lowercase_path(v),
        Some(b'.') => super::evidence_r24s::lowercase_path(v) || redaction_mark(v),
        Some(b'x' | b'*' | b'-' | b'_' | 0xE2) => redaction_mark(v),
        Some(b's') => reference_phrase(v) || reference(v),
        Some(b'v' | b'z') => reference_phrase(v),
        Some(b'X') => redaction_mark(v) || header_name(v) || iban_pw(v),
        Some(b'S' | b'V' | b'Z') => reference_phrase(v) || iban_pw(v),
        Some(b'E') => iban_pw(v) || reference(v),
        Some(b'A'..=b'Z') => iban_pw(v),
        Some(b'$' | b'%' | b'o' | b'p' | b'h' | b'l' | b't' | b'r') => reference(v),
        Some(_) => false,
    }
}

/// The entity of a whole value `v` found as `entity` under a secret's name: a Slack rotation
/// token is a SLACK_TOKEN when that entity is on (fail closed: else it stays what it was).
pub(crate) fn whole_entity(entity: Entity, v: &[u8], enabled: impl Fn(Entity) -> bool) -> Entity {
    if matches!(entity, Entity::Password | Entity::GenericSecret)
        && slack_rotation_token(v)
        && enabled(Entity::SlackToken)
    {
        Entity::SlackToken
    } else {
        entity
    }
}

/// The text pass's hits (`hay` the scanned bytes), before overlaps are resolved: a PASSWORD or
/// GENERIC_SECRET look-alike is dropped (an IBAN's own hit then stands), and the types of
/// `whole_entity` and `token_userinfo` are applied.
///
/// Inlined into the detector's pass up to one look at the hits' types: most texts hold no
/// PASSWORD or GENERIC_SECRET hit and return there (twenty-seventh round, task cost: the
/// whole loop inlined, with its set-up for the types' tests, was ~20 instructions for each
/// of a PII document's ~1,440 leaves with a hit on `redact_profile 65536 pii bytes`).
#[inline]
pub(super) fn review(hay: &[u8], raw: &mut Vec<(Hit, usize)>, enabled: &[bool; Entity::COUNT]) {
    if raw.iter().any(|(h, _)| reviewed(h.entity)) {
        review_all(hay, raw, enabled);
    }
}

/// The entities `review` reviews.
#[inline(always)]
fn reviewed(e: Entity) -> bool {
    matches!(e, Entity::Password | Entity::GenericSecret)
}

/// `review` past its first look: a hit it reviews is among `raw`.
#[inline(never)]
pub(super) fn review_all(hay: &[u8], raw: &mut Vec<(Hit, usize)>, enabled: &[bool; Entity::COUNT]) {
    // Retyped in place; the vector is filtered only when a look-alike is met (rare: a pass
    // of `retain` over every hit was +1 % on PII input, callgrind).
    let mut look_alikes = false;
    for (h, _) in raw.iter_mut() {
        if !reviewed(h.entity) {
            continue;
        }
        let Some(v) = hay.get(h.start..h.end) else {
            continue;
        };
        if look_alike(h.entity, v)
            || super::evidence_r29n::not_secret(hay, h.start, h.end)
            || super::evidence_r30n::unattend_pass(hay, h.start, h.end)
        {
            look_alikes = true;
            continue;
        }
        h.entity = whole_entity(h.entity, v, |e| enabled[e.index()]);
        if h.entity == Entity::Password
            && enabled[Entity::GenericSecret.index()]
            && token_userinfo(hay, h.start)
        {
            h.entity = Entity::GenericSecret;
        }
    }
    if look_alikes {
        // (A retyped hit is no look-alike: a SLACK_TOKEN is not reviewed, and a password
        // retyped GENERIC_SECRET passed the password's tests, a superset.)
        // (The twenty-ninth round's constructions, `evidence_r29n::not_secret`, and the
        // thirtieth's `evidence_r30n::unattend_pass` are dropped with them: a retyped hit
        // passed them.)
        raw.retain(|(h, _)| {
            !hay.get(h.start..h.end).is_some_and(|v| {
                reviewed(h.entity)
                    && (look_alike(h.entity, v)
                        || super::evidence_r29n::not_secret(hay, h.start, h.end)
                        || super::evidence_r30n::unattend_pass(hay, h.start, h.end))
            })
        });
    }
}

/// `YYYY-MM-DD` then `T` or a blank and `HH:MM`, optional `:SS`, fraction, and `Z` or an
/// offset: the whole value.
fn date_time(v: &[u8]) -> bool {
    let d = |i: usize| v.get(i).is_some_and(u8::is_ascii_digit);
    let at = |i: usize, b: u8| v.get(i) == Some(&b);
    if !((0..4).all(d) && at(4, b'-') && d(5) && d(6) && at(7, b'-') && d(8) && d(9)) {
        return false;
    }
    if !(matches!(v.get(10), Some(b'T' | b' ')) && d(11) && d(12) && at(13, b':') && d(14) && d(15))
    {
        return false;
    }
    let mut i = 16;
    if at(i, b':') && d(i + 1) && d(i + 2) {
        i += 3;
        if at(i, b'.') && d(i + 1) {
            i += 1;
            while d(i) {
                i += 1;
            }
        }
    }
    match v.get(i) {
        None => true,
        Some(b'Z') => i + 1 == v.len(),
        Some(b'+' | b'-') => {
            let rest = &v[i + 1..];
            matches!(rest.len(), 4 | 5)
                && rest
                    .iter()
                    .enumerate()
                    .all(|(j, &b)| b.is_ascii_digit() || (j == 2 && rest.len() == 5 && b == b':'))
        }
        Some(_) => false,
    }
}

/// Only `x`, `X`, `*` or `•` (at least four) and the separators `-`, `_`, `.`: a mark standing
/// for a value (`xxxx-xxxx`, `********`).
fn redaction_mark(v: &[u8]) -> bool {
    const BULLET: &[u8] = "\u{2022}".as_bytes();
    let mut marks = 0;
    let mut i = 0;
    while i < v.len() {
        if v[i..].starts_with(BULLET) {
            marks += 1;
            i += BULLET.len();
            continue;
        }
        match v[i] {
            b'x' | b'X' | b'*' => marks += 1,
            b'-' | b'_' | b'.' => {}
            _ => return false,
        }
        i += 1;
    }
    marks >= 4
}

/// An `X-` header's name of capitalised words (`X-Api-Key`, `X-Auth-Token`).
fn header_name(v: &[u8]) -> bool {
    let Some(rest) = v.strip_prefix(b"X-") else {
        return false;
    };
    !rest.is_empty()
        && rest.split(|&b| b == b'-').all(|w| {
            w.first().is_some_and(u8::is_ascii_uppercase)
                && w[1..].iter().all(u8::is_ascii_lowercase)
        })
}

/// Exactly eight lower-case hex digits: 32 bits, an identifier's size.
fn hex8(v: &[u8]) -> bool {
    v.len() == 8
        && v.iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
}

/// "See" in the seven locales and a blank, or `secretRef:` (`see 1Password`, `siehe Vault`):
/// where the secret is, not the secret.
fn reference_phrase(v: &[u8]) -> bool {
    const SEE: [&[u8]; 7] = [
        b"see ",
        b"siehe ",
        b"voir ",
        b"ver ",
        b"vedi ",
        b"zie ",
        b"secretref:",
    ];
    SEE.iter()
        .any(|w| v.len() > w.len() && v[..w.len()].eq_ignore_ascii_case(w))
}

/// A valid IBAN in compact form (country, check digits, mod-97).
fn iban(v: &[u8]) -> bool {
    v.len() >= 15
        && v[..2].iter().all(u8::is_ascii_uppercase)
        && crate::redact::validate::iban_ok(v)
}

/// Slack's rotation tokens: `xoxe-` then a digit (a refresh token) or `xoxe.xox` (an access
/// token), then at least ten token bytes.
fn slack_rotation_token(v: &[u8]) -> bool {
    let body = if let Some(b) = v.strip_prefix(b"xoxe.xox") {
        b.get(2..)
    } else if let Some(b) = v.strip_prefix(b"xoxe-") {
        b.first().is_some_and(u8::is_ascii_digit).then_some(b)
    } else {
        None
    };
    body.is_some_and(|b| b.len() >= 10 && b.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-'))
}

/// Whether the value at `s` is a URL's userinfo password under a token user: `//`, one of
/// `evidence_r23s::TOKEN_USERS`, `:` right before it.
fn token_userinfo(hay: &[u8], s: usize) -> bool {
    if s == 0 || hay[s - 1] != b':' {
        return false;
    }
    let head = &hay[s.saturating_sub(20)..s - 1];
    head.iter()
        .rposition(|&b| b == b'/')
        .filter(|&i| i > 0 && head[i - 1] == b'/')
        .and_then(|i| std::str::from_utf8(&head[i + 1..]).ok())
        .is_some_and(super::evidence_r23s::token_user_value)
}
