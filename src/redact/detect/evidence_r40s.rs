//! SendGrid's API keys and Dropbox's short-lived access tokens wherever they stand (fortieth
//! round, issue #20, task sg; docs/redaction-accuracy.md, "Fortieth round, task sg"; every
//! place counted on every training split by `benches/sg_r40_population.py`).
//!
//! * **SendGrid** documents its API keys as `SG.` and two dot-separated parts of 22 and 43
//!   bytes of letters, digits, `_` and `-` (`sendgrid_key_end`): that shape is a key (read
//!   as random or a stand-in by `evidence_r38v::vendor_prefix`); another shape is one only
//!   when the existing placeholder test reads it as a stand-in
//!   (`SG.EXAMPLE_EXAMPLE_EXAM.EXAMPLE000…`, parts of 16 bytes or more), a placeholder.
//! * **Dropbox** documents its short-lived access tokens as `sl.` and a long base64url body
//!   (`dropbox_token_end`): 100 bytes or more of letters, digits, `_`, `-` and `.` (a final
//!   `.` the sentence's), no letter or digit after.
//! * Both prefixes after a boundary: no letter, digit, `_`, `-` or `.` before (`ssl.`,
//!   `tsl.`, `x.sl.` are none: 325 places of `sl.` inside a longer word or name on the
//!   training splits, none gold).
//! * **The trigger**: both literals are three bytes, so they are the first Teddy searcher's
//!   (`patterns::triggers`; a three-byte literal in the second tier shortens both of its
//!   searchers' fingerprints: clean text +74 %, thirty-eighth round). That searcher takes 127
//!   literals at most; AWS's two documented example secrets (`wJalrXUtnFEMI/`,
//!   `je7MtGbClwBF/`, fourteen and thirteen bytes) moved to the second tier to make room
//!   (`patterns::more_triggers`). A model of the candidates (each bucket's nibble masks
//!   against the bench payloads and 64 KB of dev's text, each candidate weighed by its
//!   bucket's literals) put `SG.` and `sl.` in the bucket of `hf_` (no candidate added on
//!   any of the three texts) and the AWS literals in the prose searcher's buckets 7 and 11
//!   (`buckets`); dev's text: first searcher 5,099 → 3,864 weighed candidates, prose
//!   searcher 8,540 → 8,903.
//! * **Azure CLI's printed secret** (`az_tsv_value`): the line after `az … --query …value …
//!   -o tsv` (Azure CLI's documented `--query` JMESPath and `tsv` output print the bare
//!   value: `az keyvault secret show … --query value -o tsv`, `az storage account keys list
//!   … --query [0].value -o tsv`) when it is one token of base64 or hex; reached from the
//!   second-tier literal ` tsv⏎` (the command line's end). 70 places on three writers' splits
//!   (blind12, blind24, blind38), every one gold; 46 missed by main.
//! * **Population** (`sg_r40_population.py m27`, training splits through blind38): `SG.` of
//!   SendGrid's shape 224 places on nine writers' splits, every one gold GENERIC_SECRET (12
//!   missed by main); its stand-ins 15 (blind24 2 of the shape, blind38 13 of another),
//!   every one gold PLACEHOLDER, all missed; `sl.` with a body of 100 bytes or more 8, gold
//!   GENERIC_SECRET (blind38; 1 missed).

/// SendGrid's key prefix.
pub(super) const SENDGRID: &str = "SG.";

/// Dropbox's short-lived access token prefix.
pub(super) const DROPBOX: &str = "sl.";

/// The least body of a Dropbox token (the population's are 130 to 140 bytes).
const DROPBOX_LEAST: usize = 100;

/// The longest body read.
const MAX_BODY: usize = 2048;

fn is_part_byte(b: &u8) -> bool {
    b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-'
}

/// Whether the byte before `p` leaves `SG.`/`sl.` at `p` a token's start: none of a letter,
/// digit, `_`, `-` or `.`.
pub(super) fn starts_token(hay: &[u8], p: usize) -> bool {
    p == 0
        || !hay
            .get(p - 1)
            .is_some_and(|&b| is_part_byte(&b) || b == b'.')
}

/// The end of a SendGrid key whose body starts at `bs` (after `SG.`): two dot-separated
/// parts of 22 and 43 bytes, or (a stand-in only) of 16 bytes or more each; no letter, digit,
/// `_`, `-` after, nor a `.` opening a third part.
pub(super) fn sendgrid_key_end(hay: &[u8], bs: usize) -> Option<usize> {
    let body = hay.get(bs..)?;
    let a = body
        .iter()
        .take(MAX_BODY)
        .take_while(|b| is_part_byte(b))
        .count();
    if body.get(a) != Some(&b'.') {
        return None;
    }
    let rest = body.get(a + 1..)?;
    let b = rest
        .iter()
        .take(MAX_BODY)
        .take_while(|b| is_part_byte(b))
        .count();
    let end = a + 1 + b;
    if body.get(end).is_some_and(is_part_byte)
        || (body.get(end) == Some(&b'.') && body.get(end + 1).is_some_and(is_part_byte))
    {
        return None;
    }
    let token = hay.get(bs.checked_sub(SENDGRID.len())?..bs + end)?;
    let shaped = a == 22 && b == 43;
    let stand_in = a >= 16 && b >= 16 && super::super::validate::secret_placeholder(token);
    (shaped || stand_in).then_some(bs + end)
}

/// The end of a Dropbox short-lived token whose body starts at `bs` (after `sl.`): 100 bytes
/// or more of letters, digits, `_`, `-`, `.` (a final `.` left to the sentence), no letter
/// or digit after.
pub(super) fn dropbox_token_end(hay: &[u8], bs: usize) -> Option<usize> {
    let body = hay.get(bs..)?;
    let mut n = body
        .iter()
        .take(MAX_BODY + 1)
        .take_while(|b| is_part_byte(b) || **b == b'.')
        .count();
    if n > MAX_BODY {
        return None;
    }
    while n > 0 && body.get(n - 1) == Some(&b'.') {
        n -= 1;
    }
    (n >= DROPBOX_LEAST && !body.get(n).is_some_and(u8::is_ascii_alphanumeric)).then_some(bs + n)
}

/// Azure CLI's trigger: the end of `-o tsv` on its line (`patterns::more_triggers`).
pub(super) const AZ_TSV: &str = " tsv\n";

/// The longest command line read back from `-o tsv`.
const AZ_LINE: usize = 512;

/// The longest value read.
const AZ_VALUE: usize = 512;

/// The value Azure CLI printed on the line after `az … --query …value … -o tsv` (the
/// trigger ` tsv⏎` at `p`): `(start, end)` of a line that is one token of 16 bytes or more of
/// base64 or hex (`A`–`Z`, `a`–`z`, `0`–`9`, `+`, `/`, `=`; a vendor's token with `_` or `-`
/// is its own rule's), when the command line holds `-o` (or `--output`) right before, an `az`
/// command word and a `--query` whose expression ends in `value` (`value`, `[0].value`).
pub(super) fn az_tsv_value(hay: &[u8], p: usize) -> Option<(usize, usize)> {
    if !hay.get(p..)?.starts_with(AZ_TSV.as_bytes()) {
        return None;
    }
    let before = hay.get(..p)?;
    if !(before.ends_with(b" -o") || before.ends_with(b" --output")) {
        return None;
    }
    let from = p.saturating_sub(AZ_LINE);
    let ls = before
        .get(from..)?
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(from, |i| from + i + 1);
    let line = hay.get(ls..p)?;
    let az = line.windows(3).enumerate().any(|(i, w)| {
        w == b"az " && (i == 0 || line.get(i - 1).is_some_and(|&b| b == b' ' || b == b'$'))
    });
    let query = line
        .windows(8)
        .position(|w| w == b"--query ")
        .and_then(|i| line.get(i + 8..))
        .map(|rest| {
            let arg = rest.split(|&b| b == b' ').next().unwrap_or_default();
            let arg = arg
                .strip_suffix(b"'")
                .or_else(|| arg.strip_suffix(b"\""))
                .unwrap_or(arg);
            arg.ends_with(b"value")
        });
    if !az || query != Some(true) {
        return None;
    }
    let vs = p + AZ_TSV.len();
    let rest = hay.get(vs..)?;
    let n = rest
        .iter()
        .take(AZ_VALUE + 1)
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=')
        .count();
    if !(16..=AZ_VALUE).contains(&n) {
        return None;
    }
    let after = rest.get(n);
    if !(after.is_none() || after == Some(&b'\n') || after == Some(&b'\r')) {
        return None;
    }
    let body = rest.get(..n)?;
    let classes = [
        body.iter().any(u8::is_ascii_lowercase),
        body.iter().any(u8::is_ascii_uppercase),
        body.iter().any(u8::is_ascii_digit),
    ]
    .iter()
    .filter(|&&c| c)
    .count();
    (classes >= 2 && super::super::validate::shannon_entropy(body) > 3.0).then_some((vs, vs + n))
}
