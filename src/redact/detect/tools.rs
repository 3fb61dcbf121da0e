//! Secrets in the output and configuration of common tools, found from the anchors the scan
//! already has (an AWS key id, an e-mail address, a password keyword, a `key=value`
//! keyword): `aws sts … --output text`, Postfix's `sasl_passwd`, `wp-config.php`'s
//! `define()`s, PowerShell's `ConvertTo-SecureString`, `elasticsearch-reset-password`.
//! (Thirteenth round, part B.)

use super::*;

/// The AWS CLI's text output of temporary credentials (`aws sts get-session-token --output
/// text`, `assume-role`): `CREDENTIALS<TAB>AKIA…<TAB>EXPIRATION<TAB>SECRET<TAB>TOKEN`, its
/// columns in the API's alphabetical order. After the key id ending at `end`: the secret
/// access key and the session token, each with a secret's shape (`secret_token_at`).
pub(super) fn aws_text_credentials(hay: &[u8], end: usize, threshold: f64) -> Vec<Hit> {
    let mut out = Vec::new();
    if hay.get(end) != Some(&b'\t') {
        return out;
    }
    let field = |from: usize| {
        from + hay[from..]
            .iter()
            .take_while(|&&b| !matches!(b, b'\t' | b'\r' | b'\n' | b' '))
            .count()
    };
    // The expiration: an ISO 8601 timestamp (`2026-12-10T04:42:00+00:00`, `…Z`).
    let ts = end + 1;
    let ts_end = field(ts);
    let stamp = &hay[ts..ts_end];
    if !(10..=32).contains(&stamp.len())
        || !stamp[..4].iter().all(u8::is_ascii_digit)
        || stamp[4] != b'-'
        || !stamp
            .iter()
            .all(|&b| b.is_ascii_digit() || matches!(b, b'-' | b':' | b'T' | b'Z' | b'+' | b'.'))
        || hay.get(ts_end) != Some(&b'\t')
    {
        return out;
    }
    let ks = ts_end + 1;
    let ke = field(ks);
    let Outcome::Hit(secret) = secret_token_at(hay, ks, ke, threshold) else {
        return out;
    };
    out.push(secret);
    if hay.get(ke) == Some(&b'\t') {
        let ts = ke + 1;
        if let Outcome::Hit(token) = secret_token_at(hay, ts, field(ts), threshold) {
            out.push(token);
        }
    }
    out
}
