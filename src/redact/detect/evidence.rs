//! Secrets and passwords by evidence a writer cannot vary (twenty-second round, task sec):
//! the structure a file format puts around a `key=value` pair, read where the text pass
//! (`check::check_key_value`) has already found a secret's keyword and its value. Each test
//! is a closed form of one format, counted on every candidate of the training splits before
//! it was written (`benches/secret_r22_population.py`, docs/redaction-accuracy.md,
//! "Twenty-second round, task sec"):
//!
//! - a name saying its value is a hash of a secret (detect-secrets' baseline
//!   `"hashed_secret": "<sha1>"`, `hashed_password`): a digest, no secret (226 candidates, 0
//!   gold);
//! - a member of a Bitnami SealedSecret's `encryptedData` (`encryptedData:` then `password:
//!   AgBy3i…`): ciphertext the controller alone can open, written to be committed (109, 0);
//! - sudoers' `NOPASSWD:` tag: the commands after it, no password (43, 0);
//! - a value spelling its own key's name (a Pulumi URN's `…/privateKey:PrivateKey::…`, a
//!   type's name): no secret (82, 0);
//! - JNDI's `java.naming.security.credentials=`: the principal's password, a PASSWORD (30 of
//!   30 gold PASSWORD);
//! - Asterisk's `secret=` in a `sip.conf` peer's section (`type=friend|peer|user` above it):
//!   the peer's SIP password, a PASSWORD (64 of 64);
//! - FortiOS's `set psksecret …`: an IPsec tunnel's pre-shared key, a GENERIC_SECRET when it
//!   has a token's shape (35 of 35 gold GENERIC_SECRET);
//! - the line after `gcloud secrets versions access … --secret=<name>`: the secret's
//!   plain text, a PASSWORD under a password's name (`db-password`, `smtp-pass`: 31 of 31),
//!   else a GENERIC_SECRET when it has a token's shape (33 gold, the other 84 vendor keys and
//!   private keys their own rules find).

/// Whether the key whose keyword starts at `s` is named as a hash of it: `hashed` right
/// before the keyword, joined by `_`, `-` or nothing (`hashed_secret`, `hashedPassword`,
/// `HASHED-TOKEN`), not inside a longer word (`unhashed_password`).
pub(super) fn hashed_name_before(hay: &[u8], s: usize) -> bool {
    let mut j = s;
    if j > 0 && matches!(hay[j - 1], b'_' | b'-') {
        j -= 1;
    }
    j >= 6
        && hay[j - 6..j].eq_ignore_ascii_case(b"hashed")
        && (j == 6 || !hay[j - 7].is_ascii_alphanumeric())
}

/// Whether the value at `vs..e` of the key at `s` is a member of a SealedSecret's
/// `encryptedData` (Bitnami's `kubeseal` output, YAML or JSON): 64 bytes or more of base64
/// (a password is typed; the ciphertext holds a 256- or 512-byte RSA block) opening with the
/// block's length, two bytes big-endian (`0x0200` or `0x0100`: `Ag…`, `AQ…` in base64), and
/// `encryptedData` (Kubernetes' spelling) in the 1 KiB before the key.
pub(super) fn sealed_secret_member(hay: &[u8], s: usize, value: &[u8]) -> bool {
    value.len() >= 64
        && (value.starts_with(b"Ag") || value.starts_with(b"AQ"))
        && value
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        && memchr::memmem::rfind(&hay[s.saturating_sub(1024)..s], b"encryptedData").is_some()
}

/// Whether the keyword `passwd` at `s` is sudoers' `NOPASSWD` tag (`%ops ALL=(ALL)
/// NOPASSWD: /usr/bin/systemctl …`): what follows is a command.
pub(super) fn sudoers_nopasswd(hay: &[u8], s: usize, key: &[u8]) -> bool {
    key.starts_with(b"passwd") && s >= 2 && hay[s - 2..s].eq_ignore_ascii_case(b"no")
}

/// Whether the value spells its key's own name, letters and digits compared without case
/// (`privateKey:PrivateKey` in a Pulumi URN, `token: Token` as a type's name): a name, no
/// secret.
pub(super) fn value_names_key(key: &[u8], value: &[u8]) -> bool {
    let mut k = key
        .iter()
        .take_while(|&&b| !matches!(b, b':' | b'=' | b'>' | b'"' | b'\'' | b' ' | b'\t'))
        .filter(|b| b.is_ascii_alphanumeric());
    let mut v = value
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
        .filter(|b| b.is_ascii_alphanumeric());
    let mut n = 0;
    loop {
        match (k.next(), v.next()) {
            (None, None) => return n > 0,
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => n += 1,
            _ => return false,
        }
    }
}

/// Whether the keyword `credentials` at `s` is JNDI's `java.naming.security.credentials`
/// (`Context.SECURITY_CREDENTIALS`; what a JMS or LDAP client's `jndi.properties` holds):
/// the principal's password.
pub(super) fn jndi_credentials(hay: &[u8], s: usize, key: &[u8]) -> bool {
    key == b"credentials" && s >= 9 && hay[s - 9..s].eq_ignore_ascii_case(b"security.")
}

/// Whether the keyword `secret` at `s` is Asterisk's `secret=` in a `sip.conf` (or
/// `iax.conf`) peer's section: the key at a line's start (or after a log's flattened ` | `),
/// and `type=friend`, `type=peer` or `type=user` earlier in the same section (no `[` between:
/// the next section's header) within 512 bytes. The peer's SIP password.
pub(super) fn sip_peer_secret(hay: &[u8], s: usize, key: &[u8]) -> bool {
    if !(key == b"secret" && hay.get(s + 6) == Some(&b'=') && s > 0) {
        return false;
    }
    let line_start = hay[s - 1] == b'\n' || (s >= 3 && &hay[s - 3..s] == b" | ");
    if !line_start {
        return false;
    }
    let from = s.saturating_sub(512);
    let before = &hay[from..s];
    let Some(t) = memchr::memmem::rfind(before, b"type=") else {
        return false;
    };
    let kind = &before[t + 5..];
    (kind.starts_with(b"friend") || kind.starts_with(b"peer") || kind.starts_with(b"user"))
        && !kind.contains(&b'[')
}

/// Whether `secret` at `s` ends FortiOS's `set psksecret` (`config vpn ipsec
/// phase1-interface` … `set psksecret <key>`): the command `set`, then `psk` joined to the
/// word.
pub(super) fn fortios_psksecret(hay: &[u8], s: usize) -> bool {
    s >= 7
        && hay[s - 7..s].eq_ignore_ascii_case(b"set psk")
        && (s == 7 || !hay[s - 8].is_ascii_alphanumeric())
}

/// The plain text `gcloud secrets versions access … --secret=<name>` prints on the line
/// after the command, for the flag's keyword `secret` at `s` (`--secret=` before it) and its
/// value (the secret's name) at `vs..e`: the next line's one token, whole (a line break is
/// `\n` or a log's flattened ` | `). A PASSWORD when the name holds `pass` or `pwd` and
/// the token reads as one (`password_like`); else a GENERIC_SECRET when it has a token's
/// shape (`secret_token_at`: a vendor's key, a key file's `-----BEGIN` are their own rules').
pub(super) fn gcloud_secret_access(
    hay: &[u8],
    s: usize,
    vs: usize,
    e: usize,
    threshold: f64,
) -> Option<super::check::Outcome> {
    if !(s >= 2 && &hay[s - 2..s] == b"--") {
        return None;
    }
    // The command on the same line, before the flag.
    let from = s.saturating_sub(200);
    let line = &hay[from..s];
    let cut = line
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |k| k + 1)
        .max(memchr::memmem::rfind(line, b" | ").map_or(0, |k| k + 3));
    let cmd = &line[cut..];
    memchr::memmem::find(cmd, b"gcloud secrets versions access ")?;
    // The rest of the command's line, then the break.
    let name = &hay[vs..e];
    let mut i = e;
    while i < hay.len() && !matches!(hay[i], b'\n' | b'|') {
        i += 1;
    }
    let ts = if hay.get(i) == Some(&b'\n') {
        i + 1
    } else if i >= 1 && hay[i - 1] == b' ' && hay.get(i + 1) == Some(&b' ') {
        i + 2
    } else {
        return None;
    };
    let len = hay[ts..]
        .iter()
        .take(512)
        .take_while(|&&b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .count();
    let te = ts + len;
    let line_end =
        te == hay.len() || matches!(hay[te], b'\n' | b'\r') || hay[te..].starts_with(b" | ");
    if len == 0 || !line_end || hay[ts] == b'$' {
        return None;
    }
    let lower: Vec<u8> = name.iter().map(u8::to_ascii_lowercase).collect();
    let password_name = memchr::memmem::find(&lower, b"pass").is_some()
        || memchr::memmem::find(&lower, b"pwd").is_some();
    Some(if password_name {
        if super::check::password_like(&hay[ts..te]) {
            super::check::Outcome::Hit(super::Hit::new(super::Entity::Password, ts, te))
        } else {
            super::check::Outcome::Reject
        }
    } else {
        super::check::secret_token_at(hay, ts, te, threshold)
    })
}
