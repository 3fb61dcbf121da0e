//! GENERIC_SECRET: an Azure AD application's client secret by its vendor shape, whatever key
//! names it; the `Key` of an ASP.NET `Jwt` settings section; a Django secret key by its
//! generator's shape, whatever byte opens it; a `TOTP:` label's seed (thirtieth round, task
//! gs; docs/redaction-accuracy.md, "Thirtieth round, task gs"; each construction counted on
//! every training split, blind29 included, by `benches/gs_r30_population.py`).
//!
//! - An Azure AD (Entra ID) client secret as the portal, `az ad sp create-for-rbac` and `az
//!   ad app credential reset` issue it: three bytes of `[A-Za-z0-9_~.]`, a digit, `Q~`, then
//!   31 to 34 of `[A-Za-z0-9_~.-]` (gitleaks' `azure-ad-client-secret` rule is the public
//!   reference). Writers label it GENERIC_SECRET wherever it stands (the lead's taxonomy:
//!   client secrets are GENERIC_SECRET): 182 such values on the training splits, in five
//!   writers' (blind11 44, blind24 62, blind26 4, blind28 11, blind29 61), every one
//!   GENERIC_SECRET, none PASSWORD. A password found with that shape (`"password":
//!   "Iqc0Q~…"`, the compact JSON of `az ad sp create-for-rbac`, 48 on blind29, all found
//!   as PASSWORD) is reported as a GENERIC_SECRET (`evidence_r23p::password_entity`, as a
//!   hex token is).
//! - The `Key` member of a JWT settings section (`"Jwt": {"Issuer": "…", "Key": "…"}`,
//!   ASP.NET Core's `appsettings.json`, the section its JWT bearer setup reads the signing key
//!   from; `JwtSettings`, `JwtOptions`, `JwtConfig`, `JwtBearer` too: `jwt_section`): a value
//!   with a secret's shape there (`Detector::secret_shaped`) is the signing key
//!   (`json::keys::KeyClass::JwtSection`). The section's other key members already read so
//!   (`SigningKey`: `KeyClass::ShapedSecret`); `Key` alone names any map's key and stays
//!   plain elsewhere (850 `Key` members of other flat objects on the training splits, none
//!   gold GENERIC_SECRET). Population: 154 key or secret members of a JSON `Jwt` section on
//!   three writers' splits (blind6 44, blind14 49, blind29 61; blind28 writes the same
//!   section as `Jwt:SigningKey = …` in text, 10 more), every one gold; the 61 named `Key`
//!   are blind29's and were all missed.
//! - Django's generated `SECRET_KEY` (`get_random_secret_key()`: 50 bytes of
//!   `a-z0-9!@#$%^&*(-_=+)`), with three of `!@#$%^*()+`, two digits and ten letters
//!   (`django_secret_key`), as a `key=value` value or a PHP `define()`'s
//!   value: the rule's pattern stops at `&`, and the secret-token test refuses a value
//!   opening with `%`, `(`, `-`, `!`, `&`. Population: 155 such runs standing alone on six
//!   writers' splits (blind5 40, blind22 5, blind24 65, blind25 15, blind26 18, blind29 12),
//!   every one gold, 19 missed; the 26 runs of 50 alphabet bytes failing the counts (a
//!   query string, `====…`) are none of them.
//! - A `TOTP` label's seed (`TOTP: 3RVRX7UYYIUHXLGT`, a password manager's share): a base32
//!   run (RFC 4648's alphabet, one case, the Key URI format's `secret`) of 16 to 64 bytes
//!   ending the line, reached from the colon pass (`bytes::prose_colon_keyword`). Writers
//!   label a TOTP seed GENERIC_SECRET where a field names it (blind9's `totp_secret`,
//!   blind13's `otpauth://…?secret=`, blind29's `TOTP:`); the label itself is one writer's
//!   (20 on blind29, all gold, all missed; no other `TOTP:` on the training splits). Not
//!   taken: a password manager's CSV `login_totp` column (blind25 24 gold, blind21 18
//!   unlabelled).

/// Whether `v` is, whole, an Azure AD client secret's shape: `[A-Za-z0-9_~.]{3}`, a digit,
/// `Q~`, `[A-Za-z0-9_~.-]{31,34}`.
#[inline]
pub(crate) fn azure_client_secret(v: &[u8]) -> bool {
    // The cheapest byte first: `Q~` at 4..6 (most passwords end before or hold no `~`).
    if !(37..=40).contains(&v.len()) || v[4] != b'Q' || v[5] != b'~' || !v[3].is_ascii_digit() {
        return false;
    }
    let body = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'~' | b'.');
    v[..3].iter().all(body) && v[6..].iter().all(|b| body(b) || *b == b'-')
}

/// Whether a JSON key (`normalize_key` form) names a JWT settings section: `jwt`,
/// `jwt_settings`, `jwt_options`, `jwt_config`, `jwt_bearer`.
#[inline]
pub(crate) fn jwt_section(norm: &str) -> bool {
    norm.strip_prefix("jwt")
        .is_some_and(|rest| matches!(rest, "" | "_settings" | "_options" | "_config" | "_bearer"))
}

/// Whether a member key of a JWT settings section names its signing key: `Key` alone (any
/// case).
#[inline]
pub(crate) fn jwt_key_member(key: &str) -> bool {
    key.eq_ignore_ascii_case("key")
}

/// Whether `TOTP` (any case) ends at `j`, no name byte before it (a line's label `TOTP: …`,
/// reached by the colon pass, `bytes::prose_colon_keyword`).
#[inline]
pub(super) fn totp_label_before(hay: &[u8], j: usize) -> bool {
    j >= 4
        && j <= hay.len()
        && hay[j - 4..j].eq_ignore_ascii_case(b"totp")
        && (j == 4 || !(hay[j - 5].is_ascii_alphanumeric() || matches!(hay[j - 5], b'_' | b'-')))
}

/// At a `TOTP` label starting at `s` (`totp_label_before(hay, s + 4)`): its seed after
/// blanks, `:` or `=` and blanks, a base32 run (RFC 4648's alphabet, one case) of 16 to 64
/// bytes with its `=` padding, ending the line or before a blank.
#[inline(never)]
pub(super) fn totp_seed(hay: &[u8], s: usize) -> super::check::Outcome {
    use super::check::Outcome;
    let blanks = |mut i: usize| {
        while matches!(hay.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        i
    };
    let q = blanks(s + 4);
    if !matches!(hay.get(q), Some(b':' | b'=')) {
        return Outcome::Reject;
    }
    let vs = blanks(q + 1);
    let upper = |b: &u8| b.is_ascii_uppercase() || (b'2'..=b'7').contains(b);
    let lower = |b: &u8| b.is_ascii_lowercase() || (b'2'..=b'7').contains(b);
    let run =
        |class: &dyn Fn(&u8) -> bool| hay[vs..].iter().take(65).take_while(|b| class(b)).count();
    let n = run(&upper).max(run(&lower));
    let mut ve = vs + n;
    while hay.get(ve) == Some(&b'=') {
        ve += 1;
    }
    let ends = hay
        .get(ve)
        .is_none_or(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
    if (16..=64).contains(&n) && ends {
        Outcome::Hit(super::Hit::new(super::Entity::GenericSecret, vs, ve))
    } else {
        Outcome::Reject
    }
}

/// Whether `v` has the shape of Django's generated `SECRET_KEY`
/// (`django.core.management.utils.get_random_secret_key`: 50 bytes drawn from
/// `abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)`), holding three of its symbols that
/// no query string or word list holds (`!@#$%^*()+`), two digits and ten letters.
pub(crate) fn django_secret_key(v: &[u8]) -> bool {
    if v.len() != 50 {
        return false;
    }
    let (mut symbols, mut digits, mut letters) = (0, 0, 0);
    for &b in v {
        match b {
            b'a'..=b'z' => letters += 1,
            b'0'..=b'9' => digits += 1,
            b'!' | b'@' | b'#' | b'$' | b'%' | b'^' | b'*' | b'(' | b')' | b'+' => symbols += 1,
            b'&' | b'-' | b'_' | b'=' => {}
            _ => return false,
        }
    }
    symbols >= 3 && digits >= 2 && letters >= 10
}

/// A Django secret key's shape (`django_secret_key`) as the whole value starting at `vs`:
/// its 50 bytes, then a quote, a blank, `,`, `;`, `}` or the end.
#[inline]
pub(super) fn django_key_at(hay: &[u8], vs: usize) -> Option<super::Hit> {
    // The cheapest byte first: what stands 50 bytes on.
    let end_ok = hay.get(vs + 50).is_none_or(|b| {
        matches!(
            b,
            b'"' | b'\'' | b' ' | b'\t' | b'\r' | b'\n' | b',' | b';' | b'}'
        )
    });
    (end_ok && hay.len() >= vs + 50 && django_secret_key(&hay[vs..vs + 50]))
        .then(|| super::Hit::new(super::Entity::GenericSecret, vs, vs + 50))
}

/// At a `key=value` candidate at `p` (the keyword's start): the end of a Django secret
/// key's shape standing as its value (`django_key_at`), after the first `:` or `=` and
/// blanks or a quote. The rule's pattern stops a value at `&`, which such a key may hold
/// at its second byte (`'v(&&1wr…'`), so the value is looked at before the pattern.
#[inline(never)]
pub(super) fn django_value_end(hay: &[u8], p: usize) -> Option<usize> {
    let q = p + hay
        .get(p..)?
        .iter()
        .take(48)
        .position(|&b| b == b':' || b == b'=')?;
    let mut vs = q + 1;
    while matches!(hay.get(vs), Some(b' ' | b'\t' | b'"' | b'\'')) {
        vs += 1;
    }
    django_key_at(hay, vs).map(|h| h.end)
}
