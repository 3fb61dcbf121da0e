//! Passwords by evidence a writer cannot vary (twenty-third round, task pw): the value's
//! shape against its look-alikes and the record around it, each counted on every candidate
//! of the training splits before it was written (`benches/password_r23_population.py`,
//! docs/redaction-accuracy.md, "Twenty-third round, task pw"):
//!
//! - 32 or more hex digits of one case under a password's name (`"password": "85775f…"`,
//!   `.netrc`'s `password 6369e7…`, Composer's `http-basic` token): a digest or a machine
//!   token, no chosen password. Of 1,916 gold spans of that shape in 22 training splits,
//!   writers gave none to PASSWORD and all to GENERIC_SECRET; the 43 under a password's name
//!   (three splits) are gold GENERIC_SECRET. Reported as a GENERIC_SECRET
//!   (`password_entity`).
//! - A ticket or case reference after an e-mail and ` / ` (`contact: a@b.example /
//!   INC2020145`, `OPS-1087`, `CS-2025-69697`): 2–5 capitals, then digit groups joined by
//!   `-`. No gold PASSWORD in the training splits has that shape; the 16 after an e-mail are
//!   unlabelled (`reference_id`).
//! - A JSON field record naming its content by a `label` or `purpose` member (1Password's
//!   item fields: `{"id": "password", "type": "CONCEALED", "purpose": "PASSWORD", "label":
//!   "password", "value": "…"}`): the `value` member is what the label names, read as a
//!   name/value pair is (`json::keys::pair_role`; 39 of 39 gold PASSWORD, the secret labels'
//!   24 values all gold secrets; `label_names_pair`).
//! - Command lines by their tools' syntax: Windows' `net use … /user:NAME PASSWORD` (24 of
//!   24 gold PASSWORD; `net_use_user_word`, `net_use_password`), and `az login
//!   --service-principal -u APP_ID -p SECRET`, a client secret (21 of 21 gold
//!   GENERIC_SECRET; `service_principal_secret`).

use super::Entity;

/// Whether `v` is 32 or more hex digits of one case, holding a letter and a digit: a
/// digest's or a machine token's shape (an MD5, a SHA-1, a SHA-256, Heroku's and Private
/// Packagist's tokens), never a chosen password's in the training splits.
pub(crate) fn hex_token(v: &[u8]) -> bool {
    v.len() >= 32
        && (v.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            || v.iter().all(|b| matches!(b, b'0'..=b'9' | b'A'..=b'F')))
        && v.iter().any(u8::is_ascii_digit)
        && v.iter().any(u8::is_ascii_alphabetic)
}

/// The entity of the value `v` found as `entity`: a password with a hex token's shape
/// (`hex_token`) or an Azure AD client secret's (`evidence_r30g::azure_client_secret`) is
/// reported as a GENERIC_SECRET when that entity is on (`enabled`), else it stays a
/// password (fail closed: it is still masked).
#[inline]
pub(crate) fn password_entity(
    entity: Entity,
    v: &[u8],
    enabled: impl Fn(Entity) -> bool,
) -> Entity {
    if entity == Entity::Password
        && (hex_token(v) || super::evidence_r30g::azure_client_secret(v))
        && enabled(Entity::GenericSecret)
    {
        Entity::GenericSecret
    } else {
        entity
    }
}

/// A text pass hit through `password_entity` (`hay` the scanned bytes).
#[inline]
pub(super) fn password_hit(
    hay: &[u8],
    h: super::Hit,
    enabled: &[bool; Entity::COUNT],
) -> super::Hit {
    if h.entity != Entity::Password {
        return h;
    }
    let mut entity = password_entity(h.entity, &hay[h.start..h.end], |e| enabled[e.index()]);
    if entity == Entity::Password
        && enabled[Entity::GenericSecret.index()]
        && service_principal_secret(hay, h.start)
    {
        entity = Entity::GenericSecret;
    }
    super::Hit { entity, ..h }
}

/// Whether `v` is a ticket or case reference: 2–5 capitals, then groups of two or more
/// digits, a `-` allowed before each group (`INC2020145`, `OPS-1087`, `CS-2025-69697`,
/// `JIRA-42`). A password of capitals and digits alone with a letter after a digit
/// (`AB12CD34`) or a symbol is not one.
pub(super) fn reference_id(v: &[u8]) -> bool {
    let caps = v.iter().take_while(|b| b.is_ascii_uppercase()).count();
    if !(2..=5).contains(&caps) || caps == v.len() {
        return false;
    }
    let mut rest = &v[caps..];
    while !rest.is_empty() {
        if rest[0] == b'-' {
            rest = &rest[1..];
        }
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits < 2 {
            return false;
        }
        rest = &rest[digits..];
    }
    true
}

/// Whether a JSON member key names its object's content as a name/value pair's name does
/// (`json::keys::pair_role`): `label` and `purpose` (any case), as in 1Password's item
/// fields (`"purpose": "PASSWORD"`, `"label": "password"`).
#[inline]
pub(crate) fn label_names_pair(key: &str) -> bool {
    key.eq_ignore_ascii_case("label") || key.eq_ignore_ascii_case("purpose")
}

/// For the colon pass (`bytes::prose_colon_start`), at the `:` at `hay[q]`: the start of
/// `user` in `/user:` on a line holding `net use` before it (Windows' `net use
/// \\server\share /user:DOMAIN\name PASSWORD`), a pair's user word for `net_use_password`.
/// The colon pass passes over `/user:` otherwise (`/user:CORP\bob` alone states no
/// password).
#[inline]
pub(super) fn net_use_user_word(hay: &[u8], q: usize) -> Option<usize> {
    (q >= 5
        && hay[q - 5] == b'/'
        && hay[q - 4..q].eq_ignore_ascii_case(b"user")
        && net_use_before(hay, q - 5))
    .then(|| q - 4)
}

/// Whether the line before `s` (240 bytes at most) holds `net use ` (any case).
fn net_use_before(hay: &[u8], s: usize) -> bool {
    let from = s.saturating_sub(240);
    let line = hay[from..s]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(from, |k| from + k + 1);
    hay[line..s]
        .windows(8)
        .any(|w| w.eq_ignore_ascii_case(b"net use "))
}

/// At a credential pair's user word `hay[s..e]` (`check::check_prose_password`): Windows'
/// `net use \\server\share /user:DOMAIN\name PASSWORD` — the word is `user` after `/`, then
/// `:`, the line holds `net use` before it, and the password is the next argument after
/// the user's (no `/` switch, not `*`, which prompts for it). The hit, or `None` for the
/// pair's other rules.
pub(super) fn net_use_password(hay: &[u8], s: usize, e: usize) -> Option<super::check::Outcome> {
    if s == 0
        || hay[s - 1] != b'/'
        || !hay[s..e].eq_ignore_ascii_case(b"user")
        || hay.get(e) != Some(&b':')
    {
        return None;
    }
    if !net_use_before(hay, s - 1) {
        return None;
    }
    let arg_end = |i: usize| {
        i + hay[i..]
            .iter()
            .take(129)
            .take_while(|b| !b.is_ascii_whitespace())
            .count()
    };
    // The password before the switch, after the share (`evidence_r31p`).
    let before = || {
        super::evidence_r31p::net_use_password_before(hay, s - 1).map(super::check::Outcome::Hit)
    };
    let ue = arg_end(e + 1);
    if ue == e + 1 || !hay.get(ue).is_some_and(|&b| b == b' ' || b == b'\t') {
        return before();
    }
    let vs = ue
        + hay[ue..]
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
    let ve = arg_end(vs);
    let v = &hay[vs..ve];
    if !v.is_empty() && v[0] != b'/' && v != b"*" && ve - vs <= 128 {
        return Some(super::check::Outcome::Hit(super::Hit::new(
            Entity::Password,
            vs,
            ve,
        )));
    }
    before()
}

/// Whether the `-p` argument at `vs` is an Azure service principal's client secret: the
/// same line holds `--service-principal` before it (`az login --service-principal -u
/// APP_ID -p SECRET --tenant …`), a GENERIC_SECRET as writers label it (21 of 21).
fn service_principal_secret(hay: &[u8], vs: usize) -> bool {
    let from = vs.saturating_sub(240);
    let head = &hay[from..vs];
    let line = head
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(head, |k| &head[k + 1..]);
    // Quoted too (`-p '…'`, thirty-sixth round, `evidence_r36g`).
    memchr::memmem::find(line, b"--service-principal").is_some()
        && (line.ends_with(b"-p ") || line.ends_with(b"-p '") || line.ends_with(b"-p \""))
}
