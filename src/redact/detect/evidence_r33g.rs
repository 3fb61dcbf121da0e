//! GENERIC_SECRET rules of the thirty-third round (issue #20, task gs; docs/redaction-accuracy.md,
//! "Thirty-third round, task gs"; every construction counted on every training split by
//! `benches/gs_r33_population.py`), each a documented format, reached where the scanner
//! already stops.
//!
//! * **LiteLLM's `master_key`** (the proxy's admin key; LiteLLM's proxy configuration: "the
//!   master key … must start with `sk-`"): an `sk-` value under a name ending in
//!   `master_key` is the proxy's key, a GENERIC_SECRET, not an OpenAI key, however long
//!   (`litellm_master_key`, tested in the OpenAI rule's check at its `sk-` literal) when it
//!   has no OpenAI key's documented shape (48 bytes after `sk-`, or `proj-`/`svcacct-`/
//!   `admin-`: those stay OPENAI_KEY, as the sixteenth round's tests hold).
//!   A shorter one (blind15's 22 bytes after `sk-`) was already a GENERIC_SECRET by its
//!   key's name; one of 32 bytes or more (blind32's) was taken for an OpenAI key. 29 places
//!   on the training splits (blind15 25, blind32 4), all gold GENERIC_SECRET.
//! * **A Tailscale key** (`tskey-auth-<id>-<secret>`; Tailscale's "API keys", "auth keys",
//!   "OAuth clients": `tskey-api-`, `tskey-auth-`, `tskey-client-`, `tskey-webhook-`) as the
//!   value of a name ending in `key` before `=`/`:` (`tailscale up --authkey=tskey-…`,
//!   `TS_AUTHKEY=tskey-…`), reached at the `key` tail the `key=value` pass already tests
//!   (`tailscale_key_after`, `tailscale_key`). blind32 7, all gold, all missed.
//! * **Consul's gossip encryption key** (`encrypt = "…"`: the agent configuration's
//!   `encrypt`, "32 bytes, Base64-encoded", as `consul keygen` prints it; Nomad's `server`
//!   block takes the same): 44 bytes of base64 ending in `=`, in quotes
//!   (`consul_encrypt_end`, `consul_gossip_key`). The `key=value` pass reaches it at the `=`
//!   after the tail `ypt` (one more tail in its set). 17 places (blind23 12, blind32 5), all
//!   gold, all missed; the other 164 `encrypt=`/`Encrypt = ` places on the training splits
//!   (a SQL Server connection string's `Encrypt=True`, `Encrypt = yes`) are no such value
//!   and none is gold.

use super::{Entity, Hit};

/// Whether the `sk-` key at `s` (`body`: the bytes after `sk-`) is LiteLLM's master key: no
/// OpenAI key's documented shape (48 bytes after `sk-`, or a project's, service account's or
/// admin key's prefix: those stay OpenAI keys under any name, as the sixteenth round's tests
/// hold), under a name ending in `master_key` (`litellm_master_key_before`).
pub(super) fn litellm_master_key(hay: &[u8], s: usize, body: &[u8]) -> bool {
    body.len() < 48
        && ![b"proj-".as_slice(), b"svcacct-", b"admin-"]
            .iter()
            .any(|p| body.starts_with(p))
        && litellm_master_key_before(hay, s)
}

/// Whether a name ending in `master_key` (`master-key`, `masterkey`; any case:
/// `LITELLM_MASTER_KEY`) and its `:`/`=` stand right before the value at `s` (a quote and
/// blanks between).
pub(super) fn litellm_master_key_before(hay: &[u8], s: usize) -> bool {
    let Some(k) = assigned_name_end(hay, s) else {
        return false;
    };
    let name = &hay[..k];
    [b"master_key".as_slice(), b"master-key", b"masterkey"]
        .iter()
        .any(|w| {
            name.len() >= w.len()
                && name[name.len() - w.len()..].eq_ignore_ascii_case(w)
                && (name.len() == w.len() || {
                    let b = name[name.len() - w.len() - 1];
                    !b.is_ascii_alphanumeric() || b == b'_'
                })
        })
}

/// The end of the name a value at `s` is assigned to: back over an optional quote, blanks, one
/// `:` or `=`, blanks and an optional quote (`NAME = "v`, `"NAME": 'v`, `NAME=v`). `None` when
/// no `:`/`=` stands there.
pub(super) fn assigned_name_end(hay: &[u8], s: usize) -> Option<usize> {
    let mut k = s;
    if k > 0 && matches!(hay[k - 1], b'"' | b'\'') {
        k -= 1;
    }
    while k > 0 && matches!(hay[k - 1], b' ' | b'\t') {
        k -= 1;
    }
    if k == 0 || !matches!(hay[k - 1], b':' | b'=') {
        return None;
    }
    k -= 1;
    while k > 0 && matches!(hay[k - 1], b' ' | b'\t') {
        k -= 1;
    }
    if k > 0 && matches!(hay[k - 1], b'"' | b'\'') {
        k -= 1;
    }
    Some(k)
}

/// The kinds of Tailscale's keys (`tskey-<kind>-`).
const TAILSCALE_KINDS: [&[u8]; 4] = [b"auth", b"api", b"client", b"webhook"];

/// The end of a Tailscale key at `vs` (`tskey-<kind>-<id>-<secret>`: a documented kind, an
/// id of 4 to 32 letters and digits, a secret of 16 to 128), a byte other than a letter,
/// a digit, `_` or `-` after it.
fn tailscale_key_end(hay: &[u8], vs: usize) -> Option<usize> {
    let rest = hay.get(vs..)?.strip_prefix(b"tskey-")?;
    let kind = TAILSCALE_KINDS
        .iter()
        .find(|k| rest.len() > k.len() && rest.starts_with(k) && rest[k.len()] == b'-')?;
    let rest = &rest[kind.len() + 1..];
    let run = |r: &[u8]| {
        r.iter()
            .take(129)
            .take_while(|b| b.is_ascii_alphanumeric())
            .count()
    };
    let id = run(rest);
    if !(4..=32).contains(&id) || rest.get(id) != Some(&b'-') {
        return None;
    }
    let secret = run(&rest[id + 1..]);
    let end = id + 1 + secret;
    if !(16..=128).contains(&secret)
        || rest
            .get(end)
            .is_some_and(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
    {
        return None;
    }
    Some(vs + 6 + kind.len() + 1 + end)
}

/// The value's start after the `:`/`=` at `q` (blanks, then a quote, skipped).
fn value_start(hay: &[u8], q: usize) -> usize {
    let mut vs = q + 1;
    while matches!(hay.get(vs), Some(b' ' | b'\t')) {
        vs += 1;
    }
    if matches!(hay.get(vs), Some(b'"' | b'\'')) {
        vs += 1;
    }
    vs
}

/// Whether a Tailscale key is the value after the `:`/`=` at `q`.
#[cold]
#[inline(never)]
pub(super) fn tailscale_key_after(hay: &[u8], q: usize) -> bool {
    tailscale_key_end(hay, value_start(hay, q)).is_some()
}

/// The Tailscale key at `vs`, a GENERIC_SECRET.
pub(super) fn tailscale_key(hay: &[u8], vs: usize) -> Option<Hit> {
    tailscale_key_end(hay, vs).map(|ve| Hit::new(Entity::GenericSecret, vs, ve))
}

/// Whether `v` is a gossip key's shape: 43 bytes of base64 and one `=` (32 bytes).
fn gossip_key(v: &[u8]) -> bool {
    v.len() == 44
        && v[43] == b'='
        && v[..43]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// At `encrypt` at `p` (a word of its own, lower case as Consul writes it; a quote after it
/// in JSON): the value's span when a gossip key in quotes follows its `=`/`:`.
fn consul_encrypt_span(hay: &[u8], p: usize) -> Option<(usize, usize)> {
    let rest = hay.get(p..)?.strip_prefix(b"encrypt")?;
    if p > 0 && (hay[p - 1].is_ascii_alphanumeric() || hay[p - 1] == b'_') {
        return None;
    }
    let mut k = p + 7;
    if rest.first() == Some(&b'"') {
        k += 1;
    }
    while matches!(hay.get(k), Some(b' ' | b'\t')) {
        k += 1;
    }
    if !matches!(hay.get(k), Some(b'=' | b':')) {
        return None;
    }
    k += 1;
    while matches!(hay.get(k), Some(b' ' | b'\t')) {
        k += 1;
    }
    if hay.get(k) != Some(&b'"') {
        return None;
    }
    let vs = k + 1;
    let ve = vs + 44;
    (hay.get(ve) == Some(&b'"') && gossip_key(&hay[vs..ve])).then_some((vs, ve))
}

/// Whether `encrypt` ends at `j` before the `:`/`=` at `q` with a gossip key after it (the
/// `key=value` pass, at its tail `ypt`).
#[cold]
#[inline(never)]
pub(super) fn consul_encrypt_at(hay: &[u8], j: usize) -> bool {
    j >= 7 && consul_encrypt_span(hay, j - 7).is_some()
}

/// The end of the `key=value` match at `encrypt` at `p` (the closing quote's position).
pub(super) fn consul_encrypt_end(hay: &[u8], p: usize) -> Option<usize> {
    consul_encrypt_span(hay, p).map(|(_, ve)| ve)
}

/// The gossip key after `encrypt` at `s`, a GENERIC_SECRET.
pub(super) fn consul_gossip_key(hay: &[u8], s: usize) -> Option<Hit> {
    consul_encrypt_span(hay, s).map(|(vs, ve)| Hit::new(Entity::GenericSecret, vs, ve))
}
