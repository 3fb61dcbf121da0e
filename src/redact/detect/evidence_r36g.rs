//! GENERIC_SECRET rules of the thirty-sixth round (issue #20, task gs; docs/redaction-accuracy.md,
//! "Thirty-sixth round, task gs"; every construction counted on every training split by
//! `benches/gs_r36_population.py`), each reached where the scanner already stops: no trigger
//! literal was added.
//!
//! * **Stripe's publishable keys are no secret** (`pk_live_…`, `pk_test_…`: Stripe's API
//!   keys documentation: a publishable key only identifies the account, is no secret and may
//!   be shipped in client code). 611 places on sixteen training splits, none gold of any
//!   type (every writer leaves them unlabelled); main reported 20 of blind35's 63 as
//!   GENERIC_SECRET (`STRIPE_KEY = "pk_live_…"`, a
//!   `{"name": "public_api_key", "value": "pk_…"}` pair) and 12 `pk_test_` ones as
//!   placeholders. A value that is one (`publishable_key`) is read as holding no secret: the
//!   stand-in test (`standin::stand_in`, the text path's `key=value` rules) and the JSON
//!   path's whole-value test (`json::Walk::string`).
//! * **Tailscale's `--authkey=`/`--auth-key=` on a `tailscale up`/`tailscale login` line**
//!   (Tailscale's CLI reference: `--auth-key` (alias `--authkey`) "node authorization key"):
//!   any token there is the key, not only a `tskey-auth-…` one (`evidence_r33g`; a value
//!   opening with `tskey-` stays that rule's, which holds it to the documented kinds). 13 places
//!   on two writers' splits (blind32 7, blind35 6), all gold GENERIC_SECRET; main found the 8
//!   `tskey-` ones. Reached at the `=` the `key=value` search already stops at
//!   (`check_key_value`, beside `evidence_r33g::tailscale_key`).
//! * **ESPHome's native API encryption key** (`api:` → `encryption:` → `key: "…"`, ESPHome's
//!   Native API component documentation): the value of `key:` on the line after
//!   `encryption:`, whose own line follows `api:`. 2 places (blind35), both gold; one writer,
//!   taken on the documented configuration. Reached at `key:`'s `:` (`check_key_value`).
//!
//! * **What holds no secret** under a secret's name: Ansible's `!vault |` tag (Ansible
//!   Vault's documentation: an encrypted variable is written `!vault |` and its ciphertext on
//!   the lines after), Symfony's `env(NAME)` (its environment variable processors, the
//!   `%env(NAME)%` parameter), Python's `%(name)s` (printf-style formatting with a mapping
//!   key, configparser's interpolation): stand-ins (`named_stand_in`, read by
//!   `standin::stand_in`). 7, 4 and 88 places on the training splits (two, one and nine
//!   splits), none gold; main reported 3, 3 and 2 of blind35's as GENERIC_SECRET. And a Wi-Fi
//!   network's name (`ssid = "…"`, Arduino's `const char* ssid = "…"`; IEEE 802.11's SSID, a
//!   network name the access point broadcasts): 264 places on eight splits, none gold; main
//!   reported blind35's 6 as GENERIC_SECRET (the `key=value` rule reads `ssid` as `sid`, a
//!   session cookie, and with a blank before `=` judged the value by its shape). Refused in
//!   `check_key_value` (`ssid_name`).
//!
//! Beside these, two edits of older rules (each commented where it stands): the Azure
//! service principal's client secret (`evidence_r23p::service_principal_secret`) is taken
//! quoted too (`-p '…'`), and `check::vendor_token` knows Linear's `lin_api_` and Notion's
//! `ntn_` prefixes.

use super::{Entity, Hit, Outcome};

/// Whether `v` (a value, blanks around it allowed) is a Stripe publishable key: `pk_live_`
/// or `pk_test_` and 8 or more letters and digits, nothing else.
pub(crate) fn publishable_key(v: &[u8]) -> bool {
    let t = v.trim_ascii();
    let Some(body) = t
        .strip_prefix(b"pk_live_")
        .or_else(|| t.strip_prefix(b"pk_test_"))
    else {
        return false;
    };
    body.len() >= 8 && body.iter().all(u8::is_ascii_alphanumeric)
}

/// At a `key=value` name starting at `s` and ending in `key` (`--authkey=`, `--auth-key=`):
/// whether it is Tailscale's auth-key flag on a `tailscale up` / `tailscale login` line (the
/// line read back at most 240 bytes).
pub(super) fn tailscale_auth_flag(hay: &[u8], s: usize) -> bool {
    let head = &hay[s.saturating_sub(240)..s];
    let flag = if head.ends_with(b"--auth") {
        6
    } else if head.ends_with(b"--auth-") {
        7
    } else {
        return false;
    };
    let line = &head[..head.len() - flag];
    let line = line
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(line, |k| &line[k + 1..]);
    memchr::memmem::find(line, b"tailscale up ").is_some()
        || memchr::memmem::find(line, b"tailscale login ").is_some()
}

/// The token after Tailscale's auth-key flag (`vs..e`, the `key=value` rule's value): a
/// GENERIC_SECRET when it reads as a token (`secret_token_at`, or a vendor's token).
pub(super) fn tailscale_auth_value(hay: &[u8], vs: usize, e: usize, threshold: f64) -> Outcome {
    let value = &hay[vs..e];
    if super::check::vendor_token(value) {
        return Outcome::Hit(Hit::new(Entity::GenericSecret, vs, e));
    }
    super::check::secret_token_at(hay, vs, e, threshold)
}

/// At `key` starting at `s` (a `key:` setting): whether it is ESPHome's native API
/// encryption key, the line before holding only `encryption:` (indented deeper than `api:`),
/// the line before that only `api:`.
pub(super) fn esphome_api_key(hay: &[u8], s: usize) -> bool {
    // This line, up to `key`: blanks only.
    let head = &hay[s.saturating_sub(200)..s];
    let Some(nl) = head.iter().rposition(|&b| b == b'\n') else {
        return false;
    };
    if !head[nl + 1..].iter().all(|&b| b == b' ' || b == b'\t') || nl + 1 == head.len() {
        return false;
    }
    let prev = &head[..nl];
    let prev = prev.strip_suffix(b"\r").unwrap_or(prev);
    let Some(nl2) = prev.iter().rposition(|&b| b == b'\n') else {
        return false;
    };
    if prev[nl2 + 1..].trim_ascii() != b"encryption:" {
        return false;
    }
    let before = &prev[..nl2];
    let before = before.strip_suffix(b"\r").unwrap_or(before);
    let line = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(before, |k| &before[k + 1..]);
    line.trim_ascii() == b"api:"
}

/// Whether `t` (a trimmed value) is a named stand-in: Ansible's `!vault` tag (`!vault |`,
/// `!vault`), Symfony's `env(NAME)`, Python's `%(name)s` (a conversion letter after the
/// `)`: `s`, `d`, `r`, `i`, `f`); the name letters, digits and `_`.
pub(crate) fn named_stand_in(t: &[u8]) -> bool {
    let name = |n: &[u8]| {
        !n.is_empty()
            && !n[0].is_ascii_digit()
            && n.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
    };
    if let Some(rest) = t.strip_prefix(b"!vault") {
        return rest.is_empty() || rest.trim_ascii() == b"|" || rest.trim_ascii() == b"|-";
    }
    if let Some(rest) = t.strip_prefix(b"env(") {
        return rest.strip_suffix(b")").is_some_and(name);
    }
    if let Some(rest) = t.strip_prefix(b"%(") {
        return match rest.split_last() {
            Some((b's' | b'd' | b'r' | b'i' | b'f', head)) => {
                head.strip_suffix(b")").is_some_and(name)
            }
            _ => false,
        };
    }
    false
}

/// At a `key=value` name `key` (lower case) starting at `s`: whether it is `sid` closing the
/// word `ssid` (a Wi-Fi network's name), blanks or a quote after it allowed.
pub(super) fn ssid_name(hay: &[u8], s: usize, key: &[u8]) -> bool {
    key.starts_with(b"sid")
        && key[3..]
            .iter()
            .all(|&b| matches!(b, b' ' | b'\t' | b'"' | b'\''))
        && s > 0
        && hay[s - 1] | 0x20 == b's'
}
