//! Thirty-sixth round, task pw (docs/redaction-accuracy.md, "Thirty-sixth round, task pw"):
//! constructions of blind35's PASSWORD false positives and misses (the thirty-fifth round's
//! honest split, the thirty-sixth round's new training writer), each defined by a tool's
//! documentation; counted on every training split by `benches/pw_r36_population.py`.
//!
//! * AWS CodeBuild's environment variables (`environmentVariables`,
//!   `environmentVariablesOverride`: `{"name": …, "value": …, "type": …}`). The API
//!   reference's `EnvironmentVariable` gives `type` three values: `PLAINTEXT` (the value is
//!   the variable's), `PARAMETER_STORE` (the value is the name of a Systems Manager
//!   parameter) and `SECRETS_MANAGER` (the value is a Secrets Manager reference,
//!   `secret-id:json-key:version-stage:version-id`). Under the two last the value names
//!   where the secret is kept and holds none of it: `{"name": "DB_PASSWORD", "value":
//!   "prod/db:password", "type": "SECRETS_MANAGER"}` is no password. Counted on every
//!   training split: 29 such values, all on blind35, none gold (main found all 29 as
//!   PASSWORD, under the name `DB_PASSWORD`). The pair's `type` name decides it
//!   (`json::keys::pair_reference`), whatever order the members come in.
//! * Elastic Beats' `cloud.auth` (the Beats reference, "Configure the output for Elastic
//!   Cloud": `cloud.auth: "elastic:YOUR_PASSWORD"`; "the format is `<user>:<pass>`"; also
//!   given on the command line, `-E cloud.auth=elastic:…`): the part after the first `:` of
//!   the setting's value. Reached at that `:`, which the colon pass already stops at (a
//!   letter before it: `bytes::prose_colon_start`, then `evidence_r30p::colon_secret_at`,
//!   beside HAProxy's `stats auth USER:PASSWORD`); no literal. Counted on every training
//!   split: 6 places, all gold PASSWORD, all on blind35 and all missed by main: one writer,
//!   taken under the standard clause. The value is judged as `stats auth`'s is
//!   (`evidence_r26p::flag_value_password`).
//! * A bcrypt hash (OpenBSD's `bcrypt(3)`, the Modular Crypt Format: `$2a$`, `$2b$`, `$2x$`
//!   or `$2y$`, two digits of cost, `$`, 53 bytes of bcrypt's base64) in a text table's
//!   password column (a sqlmap dump's `password` column holds plaintexts and hashes) is no
//!   password: `table::text_table_passwords` skips it. Counted on every training split: 266
//!   such hashes on 11 writers' splits, none gold; main found 7 as PASSWORD, all on blind35.

/// Whether a name/value pair's `type` name is one of AWS CodeBuild's types whose value is a
/// reference to a secret kept elsewhere (`PARAMETER_STORE`, `SECRETS_MANAGER`; the API's
/// enumeration, spelled as it spells them).
pub(crate) fn codebuild_reference_type(name: &str) -> bool {
    name == "SECRETS_MANAGER" || name == "PARAMETER_STORE"
}

/// The longest user name `cloud_auth_at` walks back over (bytes).
const USER_MAX: usize = 32;

/// A byte of a user name.
fn user_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')
}

/// Whether the `:` at `q` (the colon pass) ends the user of Elastic Beats' `cloud.auth`
/// value: `cloud.auth: "USER:…"`, `cloud.auth: USER:…`, `"cloud.auth": "USER:…"`, `-E
/// cloud.auth=USER:…` (a quote, blanks, `:` or `=` between the setting and the user).
#[inline]
pub(super) fn cloud_auth_at(hay: &[u8], q: usize) -> bool {
    // The cheapest test first: a URL's `scheme://` is the commonest such `:`.
    if matches!(hay.get(q + 1), None | Some(b'/')) {
        return false;
    }
    let user = hay[..q]
        .iter()
        .rev()
        .take(USER_MAX + 1)
        .take_while(|&&b| user_byte(b))
        .count();
    if user == 0 || user > USER_MAX {
        return false;
    }
    let Some(k) = super::evidence_r33g::assigned_name_end(hay, q - user) else {
        return false;
    };
    const NAME: &[u8] = b"cloud.auth";
    k >= NAME.len()
        && &hay[k - NAME.len()..k] == NAME
        && (k == NAME.len() || !user_byte(hay[k - NAME.len() - 1]))
}

/// Whether `v` is a bcrypt hash: `$2a$`/`$2b$`/`$2x$`/`$2y$`, two digits, `$`, then 53 bytes
/// of bcrypt's base64 (`./A-Za-z0-9`).
pub(super) fn bcrypt_hash(v: &[u8]) -> bool {
    v.len() == 60
        && v.starts_with(b"$2")
        && matches!(v[2], b'a' | b'b' | b'x' | b'y')
        && v[3] == b'$'
        && v[4].is_ascii_digit()
        && v[5].is_ascii_digit()
        && v[6] == b'$'
        && v[7..]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/')
}
