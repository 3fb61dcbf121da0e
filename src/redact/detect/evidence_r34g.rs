//! GENERIC_SECRET rules of the thirty-fourth round (issue #20, task gs; docs/redaction-accuracy.md,
//! "Thirty-fourth round, task gs"; every construction counted on every training split by
//! `benches/gs_r34_population.py`), each a documented format, reached where the scanner
//! already stops (no trigger literal added).
//!
//! * **Laravel's application key** (`APP_KEY=base64:…`: `php artisan key:generate` writes the
//!   cipher's random key, base64-encoded, after the prefix `base64:`; 32 bytes for the
//!   default AES-256 ciphers, 16 for AES-128): under a name ending in `key` before `=`, which
//!   the `key=value` pass already reaches (`DEPLOY_KEY=…`), the value after `base64:` is a
//!   GENERIC_SECRET (`laravel_key`). It was refused for its `:` (no setting named `…key`
//!   holds one). 30 places on the training splits (blind25 20, blind33 10), all gold, all
//!   missed; no other `base64:` value stands after a name ending in `key`.
//! * **age's key file** (`age-keygen -o key.txt`: `# created: …`, `# public key: age1…`,
//!   then the identity `AGE-SECRET-KEY-1` + 58 bech32 characters on a line of its own): the
//!   identity on the line after the `# public key:` comment (`age_identity_after`), reached
//!   at that comment's `key:` the `key=value` pass already tests (`age_public_key_line`).
//!   blind33 12, all gold, all missed; no other `AGE-SECRET-KEY` on the training splits.
//! * **npm's token table** (`npm token create` prints the new token in a table, a row
//!   `│ token │ npm_… │`): a vendor's token (`check::vendor_token`) in the cell after a
//!   `token` cell that opens its row (`token_table_row`), reached at the secret-word literal
//!   `oken ` (the blanks padding the cell). blind33 10, all gold, all missed; no other table
//!   row of the training splits with a `token`/`secret`/`key`/`pass` label in `│` cells.
//! * **Terraform's plan diff** (`terraform plan`: an attribute changed in place is printed
//!   `~ "NAME" = "OLD" -> "NEW"`): under a secret's name the new value, not the old one, is
//!   the value (`plan_diff_new_value`); judged as any token (`check::secret_token_at`). The
//!   old one, a stand-in in every place (`"[hidden]"`, `"changeme"`, `"ghp_…"`), was refused
//!   and the new one never read. blind33 14 places (12 reached: the pattern stops at a `{`
//!   or `<` opening the old value), all gold, all missed.

use super::{Entity, Hit};

/// Base64's alphabet (`+`, `/`).
fn b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// Laravel's key after `base64:` in the value `hay[vs..e]`, the value's whole rest, in
/// base64's form: 16 characters or more, a multiple of four with its padding, at most two
/// `=`. `key:generate` writes the base64 of 32 bytes (43 characters and `=`) or of 16 (22
/// and `==`); a key of another length (blind37's 48 bytes, 64 characters) is still the
/// application's key, and every `APP_KEY=base64:` value of the training splits is gold
/// (thirty-eighth round, `evidence_r38g`).
pub(super) fn laravel_key(hay: &[u8], vs: usize, e: usize) -> Option<Hit> {
    let ks = vs + 7;
    let key = hay.get(vs..e)?.strip_prefix(b"base64:")?;
    let pad = key.iter().rev().take_while(|&&b| b == b'=').count();
    let ok = key.len() >= 16
        && key.len() % 4 == 0
        && pad <= 2
        && key[..key.len() - pad].iter().all(|&b| b64(b));
    ok.then(|| Hit::new(Entity::GenericSecret, ks, e))
}

/// The bech32 characters (BIP 173), upper case as age's identities write them.
fn bech32_upper(b: u8) -> bool {
    matches!(b, b'0' | b'2'..=b'9' | b'A' | b'C'..=b'H' | b'J'..=b'N' | b'P'..=b'Z')
}

/// The line break at `i` (`\n`, `\r\n`, or JSON's escaped `\n`): the next line's start.
fn after_break(hay: &[u8], i: usize) -> Option<usize> {
    match hay.get(i..)? {
        [b'\n', ..] => Some(i + 1),
        [b'\r', b'\n', ..] => Some(i + 2),
        [b'\\', b'n', ..] => Some(i + 2),
        [b'\\', b'r', b'\\', b'n', ..] => Some(i + 4),
        _ => None,
    }
}

/// The age identity (`AGE-SECRET-KEY-1` and 58 bech32 characters, nothing word-like after)
/// at the start of the line after the one holding `e`.
pub(super) fn age_identity_after(hay: &[u8], e: usize) -> Option<Hit> {
    let rest = hay.get(e..)?;
    let nl = rest
        .iter()
        .take(256)
        .position(|&b| b == b'\n' || b == b'\r' || b == b'\\')?;
    let ls = after_break(hay, e + nl)?;
    let body = hay.get(ls..)?.strip_prefix(b"AGE-SECRET-KEY-1")?;
    let n = body
        .iter()
        .take(59)
        .take_while(|&&b| bech32_upper(b))
        .count();
    let ke = ls + 16 + n;
    (n == 58
        && !hay
            .get(ke)
            .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
    .then(|| Hit::new(Entity::GenericSecret, ls, ke))
}

/// At the `key` ending at `j` before the `:` at `q`: age's key file's comment `# public key:
/// age1…` (the word `public` and one blank before `key`, any case: `age-keygen` prints
/// `Public key: …` too), whose next line holds the identity (`age_identity_after`).
#[cold]
#[inline(never)]
pub(super) fn age_public_key_line(hay: &[u8], j: usize, q: usize) -> bool {
    j >= 10
        && q == j
        && hay[j - 10..j - 3].eq_ignore_ascii_case(b"public ")
        && hay.get(q + 1..).is_some_and(|r| r.starts_with(b" age1"))
        && age_identity_after(hay, q).is_some()
}

/// The table's column separators: `│` (U+2502, a box-drawn table as npm's `cli-table`
/// prints it) or `|`; its length at `i`.
fn cell_bar(hay: &[u8], i: usize) -> Option<usize> {
    match hay.get(i..)? {
        [0xE2, 0x94, 0x82, ..] => Some(3),
        [b'|', ..] => Some(1),
        _ => None,
    }
}

/// At the word `token` at `hay[ks..ke]`: a table row `│ token │ VALUE │` (`npm token
/// create`'s), `token` the first cell at the line's start, the value a vendor's token
/// (`check::vendor_token`) ending at its cell's bar.
pub(super) fn token_table_row(hay: &[u8], ks: usize, ke: usize) -> Option<Hit> {
    let blanks = |mut i: usize| {
        while hay.get(i) == Some(&b' ') {
            i += 1;
        }
        i
    };
    // Before `token`: blanks, the bar, the line's start.
    let mut b = ks;
    while b > 0 && hay[b - 1] == b' ' {
        b -= 1;
    }
    let bar = if b >= 3 && hay[b - 3..b] == [0xE2, 0x94, 0x82] {
        3
    } else if b >= 1 && hay[b - 1] == b'|' {
        1
    } else {
        return None;
    };
    if b - bar > 0 && !matches!(hay[b - bar - 1], b'\n' | b'\r') {
        return None;
    }
    let i = blanks(ke);
    let vs = blanks(i + cell_bar(hay, i)?);
    let n = hay
        .get(vs..)?
        .iter()
        .take(256)
        .take_while(|&&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        .count();
    let ve = vs + n;
    cell_bar(hay, blanks(ve))?;
    super::check::vendor_token(&hay[vs..ve]).then(|| Hit::new(Entity::GenericSecret, vs, ve))
}

/// A Terraform plan's in-place change after the quoted value `hay[vs..e]` (a quote before
/// `vs`; the value may run past `e` to its closing quote, blanks and all: `"(set in
/// vault)"`): ` -> "NEW"`; the new value's span.
pub(super) fn plan_diff_new_value(hay: &[u8], vs: usize, e: usize) -> Option<(usize, usize)> {
    if vs == 0 || hay[vs - 1] != b'"' {
        return None;
    }
    let close = e + hay
        .get(e..)?
        .iter()
        .take(128)
        .position(|&b| matches!(b, b'"' | b'\n' | b'\r'))?;
    if hay[close] != b'"' || !hay.get(close + 1..)?.starts_with(b" -> \"") {
        return None;
    }
    let ns = close + 6;
    let n = hay
        .get(ns..)?
        .iter()
        .take(257)
        .position(|&b| matches!(b, b'"' | b'\n' | b'\r' | b'\\'))?;
    (hay[ns + n] == b'"' && n > 0).then_some((ns, ns + n))
}
