//! GENERIC_SECRET rules of the thirty-second round (issue #20, task gs; docs/redaction-accuracy.md,
//! "Thirty-second round, task gs"; every construction counted on every training split by
//! `benches/gs_r32_population.py`), each reached where the scanner already stops: no trigger
//! literal was added.
//!
//! * **A Twilio SID is no secret** (`twilio_sid`): Twilio's Account SID (`AC` + 32 hex) and
//!   API key SID (`SK` + 32 hex) are identifiers (Twilio's documentation: the SID "is a unique
//!   key used to identify" the resource; the secrets are the auth token and the API key's
//!   secret). 604 places on the training splits (`AC` 591, `SK` 13), none gold under any
//!   type; main found 26 of them (blind31's `twilio-cli` profile: `"accountSid": "AC…"`,
//!   `"apiKey": "SK…"`, each beside its real secret `"apiSecret"`, which stays found).
//! * **A Bugsnag notifier's `apiKey`** (`{"apiKey": "…", "events": [{"exceptions": …}]}`,
//!   Bugsnag's Error Reporting API payload; `notifier_api_key`): a project's ingestion key,
//!   read as under a plain key when an `events` list stands beside it. blind31 26, none gold.
//! * **A shell parameter's default** (`${NAME:-word}`, POSIX "Parameter Expansion"): the
//!   value of `NAME:` read as a `key:value` is the word after `:-`, ending at the `}`
//!   (task fmt's `evidence_r32f::shell_default`, which the merge kept: the two tasks wrote
//!   the same rule, with the same findings on every split); it was read with the `-` and the `}` (blind31's `${ANTHROPIC_API_KEY:-
//!   sk-ant-…}`, 9, gold ANTHROPIC_KEY: a vendor's key there is now its own rule's). Nine
//!   places on the training splits, all blind31's.
//! * **LibreChat's `user_provided`** (`ASSISTANTS_API_KEY=user_provided`: its `.env.example`
//!   documents the value as "the user provides the key"): no secret (`user_provided`).
//!   blind31 16, the only places on the training splits, none gold.
//! * **OpenVPN's static key** (`openvpn --genkey secret`: `-----BEGIN OpenVPN Static key V1-----`,
//!   16 lines of 32 hex, `-----END OpenVPN Static key V1-----`; the OpenVPN manual's
//!   `--secret` / `--tls-auth` / `--tls-crypt` key file): the hex lines between the two are a
//!   GENERIC_SECRET (`openvpn_static_key`), reached at `-----BEGIN `, the PEM rule's literal.
//!   blind31 13, all gold, all missed.
//! * **A TSIG key's secret on `nsupdate`'s command line** (`nsupdate -y [hmac:]keyname:secret`,
//!   BIND's nsupdate(1); RFC 2845/8945 TSIG): the base64 after the key's name
//!   (`tsig_secret`), reached at the `:` after the algorithm's digits, where the colon pass
//!   already stops (`bytes::prose_colon_keyword`'s digit arm). blind31 15, all gold, all
//!   missed.
//! * **Terraform's `ses_smtp_password_v4`** (the AWS provider's `aws_iam_access_key`
//!   attribute: the access key's secret converted into an SES SMTP password), as
//!   `terraform state show` prints it (`ses_smtp_password_v4 = "…"`): a GENERIC_SECRET
//!   (`ses_smtp_password`), reached at the `pass` literal of the prose-password rule, which
//!   refused the name's `_v4`. blind31 14, all gold, all missed.

use super::{Entity, Hit};

/// Whether `value` is LibreChat's `user_provided` (its `.env.example`: "set to
/// `user_provided` to allow the user to provide their API key from the UI"; the key's
/// setting then holds no key). blind31 16 (`# ASSISTANTS_API_KEY=user_provided`), no other
/// place on the training splits; none gold.
#[inline]
pub(super) fn user_provided(value: &[u8]) -> bool {
    value == b"user_provided"
}

/// Whether `value` is a Twilio Account SID or API key SID: `AC` or `SK`, then exactly 32
/// lower-case hex digits.
#[inline]
pub(super) fn twilio_sid(value: &[u8]) -> bool {
    value.len() == 34
        && matches!(&value[..2], b"AC" | b"SK")
        && value[2..]
            .iter()
            .all(|&b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The header of OpenVPN's static key file.
const OPENVPN_BEGIN: &[u8] = b"-----BEGIN OpenVPN Static key V1-----";
/// Its footer.
const OPENVPN_END: &[u8] = b"-----END OpenVPN Static key V1-----";

/// At `-----BEGIN ` at `s`: OpenVPN's static key, the hex lines between its header and its
/// footer (hex digits and line breaks only, 32 hex digits or more).
pub(super) fn openvpn_static_key(hay: &[u8], s: usize) -> Option<Hit> {
    if !hay.get(s..)?.starts_with(OPENVPN_BEGIN) {
        return None;
    }
    let mut vs = s + OPENVPN_BEGIN.len();
    while matches!(hay.get(vs), Some(b'\r' | b'\n')) {
        vs += 1;
    }
    let end = vs + memchr::memmem::find(hay.get(vs..)?, OPENVPN_END)?;
    let mut ve = end;
    while ve > vs && matches!(hay[ve - 1], b'\r' | b'\n') {
        ve -= 1;
    }
    let body = &hay[vs..ve];
    let hex = body.iter().filter(|b| b.is_ascii_hexdigit()).count();
    (hex >= 32
        && body
            .iter()
            .all(|&b| b.is_ascii_hexdigit() || matches!(b, b'\r' | b'\n')))
    .then(|| Hit::new(Entity::GenericSecret, vs, ve))
}

/// A byte of a TSIG key's name (a domain name's).
#[inline]
fn name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')
}

/// At the `:` at `q` after a digit: whether it ends the algorithm of `-y hmac-…:` (the
/// `hmac-md5`, `hmac-sha1`, `hmac-sha224` … `hmac-sha512` of nsupdate(1) and dig(1)), a
/// key's name and its secret after it (`tsig_secret`).
#[inline(never)]
pub(super) fn tsig_colon_at(hay: &[u8], q: usize) -> bool {
    tsig_secret(hay, q).is_some()
}

/// The secret of `-y hmac-ALG:NAME:SECRET` whose first `:` is at `q`: the base64 after the
/// name's `:` (16 to 256 bytes of `[A-Za-z0-9+/]`, `=` padding after), ended by a blank, a
/// quote or the line's end.
pub(super) fn tsig_secret(hay: &[u8], q: usize) -> Option<Hit> {
    let alg = hay[..q]
        .iter()
        .rev()
        .take(12)
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-')
        .count();
    let a = q - alg;
    if alg < 7 || !hay[a..q].starts_with(b"hmac-") || a < 3 {
        return None;
    }
    if !(matches!(hay[a - 1], b' ' | b'\t') && &hay[a - 3..a - 1] == b"-y") {
        return None;
    }
    if a > 3 && !matches!(hay[a - 4], b' ' | b'\t') {
        return None;
    }
    let name = hay
        .get(q + 1..)?
        .iter()
        .take(256)
        .take_while(|&&b| name_byte(b))
        .count();
    let c = q + 1 + name;
    if name == 0 || hay.get(c) != Some(&b':') {
        return None;
    }
    let vs = c + 1;
    let body = hay[vs..]
        .iter()
        .take(257)
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
        .count();
    let pad = hay[vs + body..]
        .iter()
        .take(3)
        .take_while(|&&b| b == b'=')
        .count();
    let ve = vs + body + pad;
    let ends = hay
        .get(ve)
        .is_none_or(|&b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\''));
    ((16..=256).contains(&body) && ends).then(|| Hit::new(Entity::GenericSecret, vs, ve))
}

/// At the keyword `password` at `hay[s..e]` (the prose-password rule): Terraform's
/// `ses_smtp_password_v4 = "…"` (the name whole before the keyword, `=` and a quoted value
/// of 20 to 128 bytes of base64 after): the value, a GENERIC_SECRET.
#[inline(never)]
pub(super) fn ses_smtp_password(hay: &[u8], s: usize, e: usize) -> Option<Hit> {
    if s < 9 || &hay[s - 9..s] != b"ses_smtp_" || !hay[e..].starts_with(b"_v4") {
        return None;
    }
    if s > 9 && name_byte(hay[s - 10]) {
        return None;
    }
    let mut i = e + 3;
    while matches!(hay.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    if !matches!(hay.get(i), Some(b'=' | b':')) {
        return None;
    }
    i += 1;
    while matches!(hay.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    if hay.get(i) != Some(&b'"') {
        return None;
    }
    let vs = i + 1;
    let len = hay
        .get(vs..)?
        .iter()
        .take(129)
        .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        .count();
    ((20..=128).contains(&len) && hay.get(vs + len) == Some(&b'"'))
        .then(|| Hit::new(Entity::GenericSecret, vs, vs + len))
}

/// Whether a JSON member's name is Infisical's `secretKey` (its case only: ASP.NET's
/// `"Stripe": {"SecretKey": …}` stays a secret's name, and the streaming pass, which leaves
/// such a record to the `Value` walk, keeps its order there): in an object that
/// also holds a `secretValue` (Infisical's secret record, its API's and CLI's
/// `{"secretKey": "DB_PASSWORD", "secretValue": "…"}`), it names the secret, as a name/value
/// pair's `key` does (`json::keys::pair_role`): the value takes its class from that name
/// (`DB_PASSWORD`: a password) and the name itself is no secret. blind31 55 records (273
/// names, none gold; main found 33 as GENERIC_SECRET, the names of `INTERNAL_SERVICE_JWT`,
/// and 31 of the 55 `DB_PASSWORD` values as GENERIC_SECRET, gold PASSWORD).
#[inline]
pub(crate) fn secret_record_name(key: &str) -> bool {
    key == "secretKey"
}

/// Whether the name `key` starting at `s` follows `secret.access.` (Kafka Connect's S3 and
/// Kinesis connectors' `aws.secret.access.key`, Confluent's documentation): a secret
/// access key, as `aws_secret_access_key` is.
pub(super) fn dotted_secret_access_key(hay: &[u8], s: usize) -> bool {
    s >= 14 && hay[s - 14..s].eq_ignore_ascii_case(b"secret.access.")
}

/// Whether a JSON member's name is `apiKey` as Bugsnag's Error Reporting API sends it: the
/// notifier's project key, which says which project an error report belongs to (the report
/// `{"apiKey": "<32 hex>", "events": [{"exceptions": …}]}`; Bugsnag embeds it in every
/// client it ships, browser code included). In an object with an `events` list beside it, it
/// is read as under a plain key. blind31 26, none gold; the one gold 32-hex `apiKey`
/// on the training splits (blind20) has no `events` beside it.
#[inline]
pub(crate) fn notifier_api_key(key: &str) -> bool {
    key == "apiKey"
}

/// For the streaming pass, at a member `key` of a body `raw`: whether it is a notifier's
/// `apiKey` (`notifier_api_key`) in a body naming `"events"` (then the `Value` walk, which
/// sees the whole object, reads it). Out of line and cold: the streaming pass asks it only of
/// a secret's six-byte name, and its layout stays as it was (inlined, the body search moved
/// the 4 KB PII bytes case +0.5 %).
#[cold]
#[inline(never)]
pub(crate) fn notifier_report(key: &str, raw: &[u8]) -> bool {
    notifier_api_key(key) && memchr::memmem::find(raw, b"\"events\"").is_some()
}
