//! Fortieth round, task pw (issue #20; docs/redaction-accuracy.md, "Fortieth round, task
//! pw"; counted on every training split by `benches/pw_r40_population.py`).
//!
//! **Perl DBI's `DBI->connect($data_source, $username, $password, \%attr)`** (the DBI
//! module's documentation, `connect`): the third argument, a string literal, is the
//! password. `pw_r40_population.py` (`dbi-connect`) over every training split: 27 places,
//! all gold PASSWORD, none not gold, on three writers' splits (blind32 11, blind35 6,
//! blind38 10); main (`m27`) missed 19. Taken under both clauses. Reached at the `>` of
//! `DBI->`, a byte the byte pass already stops at (`Detector::byte_pass`); no literal is
//! added. The data source and the user name are string literals (or, for the user, a
//! variable); the password a literal in single or double quotes (`\"` in a JSON document's
//! raw bytes), no variable interpolated (`"$pw"`), shaped as a password (`password_like`).
//!
//! **PowerShell's `ConvertTo-SecureString 'PLAIN' -AsPlainText`** without a password keyword
//! (`New-Object PSCredential('USER', (ConvertTo-SecureString 'X' -AsPlainText -Force))`,
//! `-NewPassword (ConvertTo-SecureString -AsPlainText 'X' -Force)`; Microsoft's documentation
//! of the cmdlet): `ps-any`, 140 places gold PASSWORD on eight writers' splits, 2 GENERIC_SECRET
//! (Az.KeyVault's `-SecretValue (…)`, left alone), main missed 13. Reached at a second-tier
//! literal, ` -AsPlainText`, pinned in a Teddy bucket where it adds no candidate (`buckets`).
//!
//! **A Confluence wiki-markup table's Secret column** (`||Service||User||Secret||`, rows
//! `|Postgres|app|X|`): `table::column_cells` counts a `||` header's columns by its `||`, and
//! `cret|` (the fingerprint of `cret `) reaches the header cell; 29 PASSWORD and 8
//! GENERIC_SECRET cells on two writers' splits (blind32, blind38), main missed 18 + 8.
//!
//! **No secret**: Azure's Key Vault reference `@Microsoft.KeyVault(…)` (20 places, none gold),
//! Symfony's `env(NAME)` under a password key (4, none gold), a stand-in closed by Markdown's
//! inline code (`` `WEBHOOK_SECRET=changeme`. ``). Django's generated key under a password key is
//! a GENERIC_SECRET (no vendor-prefixed token there is gold PASSWORD on any training split).

use super::{Entity, Hit};

/// The most bytes an argument (the data source, the user name) may take.
const ARG_MAX: usize = 200;

/// Blanks and line breaks from `i` on (a call may be wrapped), at most 64.
fn skip_space(hay: &[u8], mut i: usize) -> usize {
    let end = i.saturating_add(64);
    while i < end && matches!(hay.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
        i += 1;
    }
    i
}

/// A quoted string literal opening at `hay[i]` (`'…'`, `"…"`, or `\"…\"` in a JSON
/// document's raw bytes): its body's bounds and the index after its closing quote.
fn literal_at(hay: &[u8], i: usize) -> Option<(usize, usize, usize)> {
    let (q, esc, bs) = match hay.get(i)? {
        b'\'' => (b'\'', false, i + 1),
        b'"' => (b'"', false, i + 1),
        b'\\' if matches!(hay.get(i + 1), Some(b'"' | b'\'')) => (hay[i + 1], true, i + 2),
        _ => return None,
    };
    let rest = hay.get(bs..(bs + ARG_MAX).min(hay.len()))?;
    let len = rest.iter().position(|&b| b == q || b == b'\n')?;
    if rest[len] != q {
        return None;
    }
    let mut be = bs + len;
    if esc {
        // `\"…\"`: the closing quote is escaped too.
        if be == bs || hay[be - 1] != b'\\' {
            return None;
        }
        be -= 1;
    } else if be > bs && hay[be - 1] == b'\\' {
        // An escaped quote inside the literal: not read.
        return None;
    }
    Some((bs, be, bs + len + 1))
}

/// A Perl scalar (`$user`): its end.
fn scalar_at(hay: &[u8], i: usize) -> Option<usize> {
    if hay.get(i) != Some(&b'$') {
        return None;
    }
    let n = hay
        .get(i + 1..)?
        .iter()
        .take(64)
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_')
        .count();
    (n > 0).then_some(i + 1 + n)
}

/// At the `>` at `hay[i]` (the byte pass): when it closes `DBI->connect(` (or
/// `connect_cached(`), the third argument's string literal as a PASSWORD.
#[inline(never)]
pub(super) fn dbi_connect_password(hay: &[u8], i: usize) -> Option<Hit> {
    if i < 4 || hay.get(i - 4..i)? != b"DBI-" {
        return None;
    }
    // Not inside a longer name (`MyDBI->`).
    if i > 4 && (hay[i - 5].is_ascii_alphanumeric() || hay[i - 5] == b'_' || hay[i - 5] == b':') {
        return None;
    }
    let rest = hay.get(i + 1..)?;
    let n = if rest.starts_with(b"connect(") {
        8
    } else if rest.starts_with(b"connect_cached(") {
        15
    } else {
        return None;
    };
    // The data source: a literal.
    let (_, _, mut j) = literal_at(hay, skip_space(hay, i + 1 + n))?;
    let comma = |j: usize| {
        let k = skip_space(hay, j);
        (hay.get(k) == Some(&b',')).then(|| skip_space(hay, k + 1))
    };
    // The user name: a literal or a scalar.
    j = comma(j)?;
    j = match literal_at(hay, j) {
        Some((_, _, k)) => k,
        None => scalar_at(hay, j)?,
    };
    j = comma(j)?;
    let (ps, pe, k) = literal_at(hay, j)?;
    // The argument ends there: `,` (the attributes) or `)`.
    let k = skip_space(hay, k);
    if !matches!(hay.get(k), Some(b',' | b')')) {
        return None;
    }
    let v = &hay[ps..pe];
    // Perl interpolates a double-quoted string's variables (`"$pw"`).
    if hay[ps - 1] == b'"' && v.contains(&b'$') {
        return None;
    }
    (super::check::password_like(v) && !super::check::variable_reference(v))
        .then(|| Hit::new(Entity::Password, ps, pe))
}

/// PowerShell's cmdlet whose `-String` argument, with `-AsPlainText`, is the plain text.
const CMDLET: &[u8] = b"ConvertTo-SecureString";
/// The switch; after a blank, this rule's trigger (`patterns::more_triggers`: ` -AsPlainText`).
pub(super) const AS_PLAIN_TEXT: &[u8] = b"-AsPlainText";

/// Whether `hay[..j]` ends with the cmdlet's name (any case), no name byte before it.
fn cmdlet_before(hay: &[u8], j: usize) -> Option<usize> {
    let s = j.checked_sub(CMDLET.len())?;
    if !hay.get(s..j)?.eq_ignore_ascii_case(CMDLET) {
        return None;
    }
    (s == 0 || !(hay[s - 1].is_ascii_alphanumeric() || hay[s - 1] == b'-')).then_some(s)
}

/// Blanks back from `j` (the index after them): the first blank's index, at most 8.
fn blanks_back(hay: &[u8], mut j: usize) -> usize {
    let stop = j.saturating_sub(8);
    while j > stop && matches!(hay[j - 1], b' ' | b'\t') {
        j -= 1;
    }
    j
}

/// Blanks from `i` on, at most 8.
fn blanks(hay: &[u8], mut i: usize) -> usize {
    let stop = i.saturating_add(8);
    while i < stop && matches!(hay.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    i
}

/// The quoted literal ending right before `j` (its closing quote at `j - 1`; `\"` in a JSON
/// document's raw bytes): its body's bounds and the index of its opening quote.
fn literal_before(hay: &[u8], j: usize) -> Option<(usize, usize, usize)> {
    let q = *hay.get(j.checked_sub(1)?)?;
    if q != b'\'' && q != b'"' {
        return None;
    }
    let esc = j >= 2 && hay[j - 2] == b'\\';
    let be = if esc { j - 2 } else { j - 1 };
    let from = be.saturating_sub(130);
    let k = from + hay[from..be].iter().rposition(|&b| b == q || b == b'\n')?;
    if hay[k] != q {
        return None;
    }
    if esc {
        (k > 0 && hay[k - 1] == b'\\').then_some((k + 1, be, k - 1))
    } else {
        (k == 0 || hay[k - 1] != b'\\').then_some((k + 1, be, k))
    }
}

/// `-String` (any case) ending right before `j`, after a blank: its start.
fn string_flag_before(hay: &[u8], j: usize) -> Option<usize> {
    let s = j.checked_sub(7)?;
    hay.get(s..j)?.eq_ignore_ascii_case(b"-String").then_some(s)
}

/// The plain text's judgement, as `tools::secure_string_password`'s: 4 to 128 bytes, no
/// variable interpolated in a double-quoted string, no `<…>` stand-in, no variable's name.
fn plain_text(hay: &[u8], ps: usize, pe: usize) -> Option<Hit> {
    let v = hay.get(ps..pe)?;
    let interpolated = hay[ps - 1] == b'"' && v.contains(&b'$');
    let ok = (4..=128).contains(&v.len())
        && !interpolated
        && !v.starts_with(b"<")
        && !v.contains(&b'\n')
        && !super::check::variable_reference(v);
    ok.then(|| Hit::new(Entity::Password, ps, pe))
}

/// Whether the cmdlet at `c` is the argument of Az.KeyVault's `-SecretValue (…)`
/// (`Set-AzKeyVaultSecret … -SecretValue (ConvertTo-SecureString '…' -AsPlainText)`): a
/// vault secret, no password (two places on blind32, gold GENERIC_SECRET).
fn secret_value_arg(hay: &[u8], c: usize) -> bool {
    let mut j = c;
    if j > 0 && hay[j - 1] == b'(' {
        j -= 1;
    }
    let j = blanks_back(hay, j);
    j >= 12 && hay[j - 12..j].eq_ignore_ascii_case(b"-SecretValue")
}

/// At `-AsPlainText` at `hay[p]` (a trigger): PowerShell's `ConvertTo-SecureString
/// [-String] 'PLAIN' -AsPlainText` or `ConvertTo-SecureString -AsPlainText [-Force]
/// [-String] 'PLAIN'`: the quoted plain text as a PASSWORD (Microsoft's documentation of the
/// cmdlet: with `-AsPlainText`, `-String` is the plain text to convert).
#[inline(never)]
pub(super) fn secure_string_password(hay: &[u8], p: usize) -> Option<Hit> {
    if !hay.get(p..)?.starts_with(AS_PLAIN_TEXT) {
        return None;
    }
    let after = p + AS_PLAIN_TEXT.len();
    if hay.get(after).is_some_and(|&b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let j = blanks_back(hay, p);
    if j == p {
        return None;
    }
    // The text before the switch: `ConvertTo-SecureString [-String] 'PLAIN' `.
    if let Some((ps, pe, open)) = literal_before(hay, j) {
        let k = blanks_back(hay, open);
        if k == open {
            return None;
        }
        let k = match string_flag_before(hay, k) {
            Some(f) => {
                let k2 = blanks_back(hay, f);
                if k2 == f {
                    return None;
                }
                k2
            }
            None => k,
        };
        let c = cmdlet_before(hay, k)?;
        if secret_value_arg(hay, c) {
            return None;
        }
        return plain_text(hay, ps, pe);
    }
    // The switch right after the cmdlet: `-AsPlainText [-Force] [-String] 'PLAIN'`.
    let c = cmdlet_before(hay, j)?;
    if secret_value_arg(hay, c) {
        return None;
    }
    let mut i = blanks(hay, after);
    for flag in [b"-Force".as_slice(), b"-String"] {
        if hay
            .get(i..i + flag.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(flag))
            && matches!(hay.get(i + flag.len()), Some(b' ' | b'\t'))
        {
            i = blanks(hay, i + flag.len());
        }
    }
    let (ps, pe, _) = literal_at(hay, i)?;
    plain_text(hay, ps, pe)
}

/// Whether `value`, a key's value, is Azure App Service's Key Vault reference
/// (`@Microsoft.KeyVault(SecretUri=…)`, `@Microsoft.KeyVault(VaultName=…;SecretName=…)`;
/// Microsoft's "Use Key Vault references as app settings"): the setting's value is read from
/// the vault, the reference holds none. 20 places on three writers' splits (blind14 5,
/// blind36 3, blind38 12), none gold; main found 2 as GENERIC_SECRET.
pub(super) fn key_vault_reference(value: &[u8]) -> bool {
    value.starts_with(b"@Microsoft.KeyVault(")
}

/// Whether `value`, a key's value read up to a blank, is a stand-in closed by Markdown's
/// inline code (`` `WEBHOOK_SECRET=changeme`. ``): the backtick and the sentence's
/// punctuation after it are no part of the value.
pub(super) fn inline_code_stand_in(value: &[u8]) -> bool {
    let mut v = value;
    while let [head @ .., b'.' | b',' | b';' | b':' | b')'] = v {
        v = head;
    }
    match v {
        [head @ .., b'`'] if !head.is_empty() && !head.contains(&b'`') => {
            super::standin::stand_in(head)
        }
        _ => false,
    }
}

/// At a password value `hay[vs..ve]` read by the prose rule: Symfony's `env(NAME)` (its
/// environment variable processors; `%env(NAME)%` in its configuration), whose `)` the value
/// reading dropped (`password: env(STRIPE_KEY)`): a reference, no password. 4 places under a
/// password key on two writers' splits (blind27 2, blind38 2), none gold; main found blind38's
/// 2 as PASSWORD.
pub(super) fn env_reference(hay: &[u8], vs: usize, ve: usize) -> bool {
    hay.get(vs..ve).is_some_and(|v| v.starts_with(b"env("))
        && hay.get(ve) == Some(&b')')
        && super::evidence_r36g::named_stand_in(&hay[vs..ve + 1])
}

/// Whether the value `hay[vs..e]` under a password key is Django's generated key
/// (`django-insecure-` and its 50 bytes, `evidence_r39v`): a GENERIC_SECRET, as the keys of
/// the other vendors' prefixes there (`check::vendor_token`). Under password keys the
/// training splits hold 135 vendor-prefixed tokens (`vendor-pwkey`): none gold PASSWORD, 30
/// GENERIC_SECRET on four writers' splits (blind29 17, blind32 8, blind35 2, blind38 3), the
/// rest their vendor's type or none; main typed one PASSWORD (blind38's `.pypirc` `password
/// = django-insecure-…`).
pub(super) fn django_key_value(hay: &[u8], vs: usize, e: usize) -> bool {
    let p = super::evidence_r39v::DJANGO.as_bytes();
    hay.get(vs..e).is_some_and(|v| v.starts_with(p))
        && super::evidence_r39v::django_key_end(hay, vs + p.len()) == Some(e)
}
