//! Signing and verifying webhook bodies, Stripe style: the header
//! `toolwall-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 over "<t>.<body>">`. The timestamp
//! is signed with the body, so a receiver that checks it within a tolerance refuses replays of
//! an old delivery. Delivering the events (queue, retries, HTTP client) is in [`deliver`]. A
//! leaf: it imports nothing from the crate but `metrics`.

pub mod deliver;

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header the signature is sent in.
pub const HEADER: &str = "toolwall-signature";

/// How far a delivery's timestamp may be from the receiver's clock (either way) by default.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

type HmacSha256 = Hmac<Sha256>;

/// Why a signature header is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("malformed signature header: {0}")]
    Malformed(&'static str),
    #[error("no v1 signature matches the body")]
    Mismatch,
    #[error(
        "the signature's timestamp is {age_secs}s away from now (tolerance {tolerance_secs}s)"
    )]
    Stale { age_secs: u64, tolerance_secs: u64 },
}

fn mac(secret: &[u8], unix: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let mut m = <HmacSha256 as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    m.update(unix.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// The `toolwall-signature` header value for `body` sent at `unix` (seconds).
pub fn sign(secret: &[u8], unix: i64, body: &[u8]) -> String {
    let tag = mac(secret, unix, body).finalize().into_bytes();
    format!("t={unix},v1={}", hex::encode(tag))
}

/// Check a `toolwall-signature` header against `body`: exactly one `t=`, at least one `v1=`
/// (several are allowed, as during a secret rotation; one must match), other schemes ignored.
/// Each `v1` is compared in constant time; the timestamp must be within `tolerance` of `now`
/// (unix seconds), in either direction.
pub fn verify(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now: i64,
    tolerance: Duration,
) -> Result<(), WebhookError> {
    let mut t: Option<i64> = None;
    let mut sigs: Vec<Vec<u8>> = Vec::new();
    for part in header.split(',') {
        let (k, v) = part
            .trim()
            .split_once('=')
            .ok_or(WebhookError::Malformed("an item is not key=value"))?;
        match k {
            "t" => {
                if t.is_some() {
                    return Err(WebhookError::Malformed("more than one t="));
                }
                if v.is_empty()
                    || !v
                        .bytes()
                        .enumerate()
                        .all(|(i, b)| b.is_ascii_digit() || (i == 0 && b == b'-'))
                {
                    return Err(WebhookError::Malformed("t= is not an integer"));
                }
                t = Some(
                    v.parse()
                        .map_err(|_| WebhookError::Malformed("t= is not an integer"))?,
                );
            }
            "v1" => {
                let sig = hex::decode(v)
                    .ok()
                    .filter(|s| s.len() == 32)
                    .ok_or(WebhookError::Malformed("v1= is not 64 hex digits"))?;
                sigs.push(sig);
            }
            _ => {}
        }
    }
    let t = t.ok_or(WebhookError::Malformed("no t="))?;
    if sigs.is_empty() {
        return Err(WebhookError::Malformed("no v1="));
    }
    let mut matched = false;
    for sig in &sigs {
        matched |= mac(secret, t, body).verify_slice(sig).is_ok();
    }
    if !matched {
        return Err(WebhookError::Mismatch);
    }
    let age = now.abs_diff(t);
    if age > tolerance.as_secs() {
        return Err(WebhookError::Stale {
            age_secs: age,
            tolerance_secs: tolerance.as_secs(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_toolwall_test";
    const BODY: &[u8] = br#"{"event":"approval.requested","approval_id":"a1"}"#;
    const T: i64 = 1_767_225_600;

    /// Computed independently:
    /// python3 -c "import hmac,hashlib;print(hmac.new(b'whsec_toolwall_test',
    ///   b'1767225600.{\"event\":\"approval.requested\",\"approval_id\":\"a1\"}',
    ///   hashlib.sha256).hexdigest())"
    const KNOWN: &str = "da8c93fd1af68e625a21c899405be4f5da5305e9db7282d6472c7afda244109e";

    #[test]
    fn sign_matches_a_known_answer() {
        assert_eq!(sign(SECRET, T, BODY), format!("t={T},v1={KNOWN}"));
    }

    #[test]
    fn a_fresh_signature_verifies() {
        let h = sign(SECRET, T, BODY);
        assert_eq!(verify(SECRET, &h, BODY, T, DEFAULT_TOLERANCE), Ok(()));
        // at both edges of the tolerance
        assert_eq!(verify(SECRET, &h, BODY, T + 300, DEFAULT_TOLERANCE), Ok(()));
        assert_eq!(verify(SECRET, &h, BODY, T - 300, DEFAULT_TOLERANCE), Ok(()));
        // whitespace after commas, unknown schemes and a second (rotated-out) v1 are fine
        let rotated = format!("t={T}, v0=abc, v1={}, v1={KNOWN}", hex::encode([7u8; 32]));
        assert_eq!(verify(SECRET, &rotated, BODY, T, DEFAULT_TOLERANCE), Ok(()));
        // an empty body signs too
        let empty = sign(SECRET, T, b"");
        assert_eq!(verify(SECRET, &empty, b"", T, DEFAULT_TOLERANCE), Ok(()));
    }

    #[test]
    fn a_tampered_body_or_another_secret_is_refused() {
        let h = sign(SECRET, T, BODY);
        let mut tampered = BODY.to_vec();
        tampered[10] ^= 1;
        assert_eq!(
            verify(SECRET, &h, &tampered, T, DEFAULT_TOLERANCE),
            Err(WebhookError::Mismatch)
        );
        assert_eq!(
            verify(b"whsec_other", &h, BODY, T, DEFAULT_TOLERANCE),
            Err(WebhookError::Mismatch)
        );
        // the timestamp is signed: moving it breaks the signature
        let moved = h.replace(&format!("t={T}"), &format!("t={}", T + 1));
        assert_eq!(
            verify(SECRET, &moved, BODY, T, DEFAULT_TOLERANCE),
            Err(WebhookError::Mismatch)
        );
        // one flipped hex digit of the tag
        let last = KNOWN.chars().last().unwrap_or('0');
        let flipped = format!(
            "t={T},v1={}{}",
            &KNOWN[..63],
            if last == '0' { '1' } else { '0' }
        );
        assert_eq!(
            verify(SECRET, &flipped, BODY, T, DEFAULT_TOLERANCE),
            Err(WebhookError::Mismatch)
        );
    }

    #[test]
    fn a_stale_or_future_timestamp_is_refused() {
        let h = sign(SECRET, T, BODY);
        assert_eq!(
            verify(SECRET, &h, BODY, T + 301, DEFAULT_TOLERANCE),
            Err(WebhookError::Stale {
                age_secs: 301,
                tolerance_secs: 300
            })
        );
        assert!(matches!(
            verify(SECRET, &h, BODY, T - 301, DEFAULT_TOLERANCE),
            Err(WebhookError::Stale { age_secs: 301, .. })
        ));
        // extreme clocks do not overflow
        let h = sign(SECRET, i64::MIN, BODY);
        assert!(matches!(
            verify(SECRET, &h, BODY, i64::MAX, DEFAULT_TOLERANCE),
            Err(WebhookError::Stale {
                age_secs: u64::MAX,
                ..
            })
        ));
    }

    #[test]
    fn a_malformed_header_is_refused() {
        let v1 = format!("v1={KNOWN}");
        for header in [
            String::new(),
            v1.clone(),
            format!("t={T}"),
            format!("t={T},t={T},{v1}"),
            format!("t=,{v1}"),
            format!("t=+{T},{v1}"),
            format!("t=12a,{v1}"),
            format!("t=99999999999999999999,{v1}"),
            format!("t={T},v1=zz"),
            format!("t={T},v1={}", &KNOWN[..62]),
            format!("t={T},v1={KNOWN}00"),
            format!("t={T};{v1}"),
            format!("t={T},{v1},garbage"),
        ] {
            assert!(
                matches!(
                    verify(SECRET, &header, BODY, T, DEFAULT_TOLERANCE),
                    Err(WebhookError::Malformed(_))
                ),
                "{header:?} was not refused as malformed"
            );
        }
    }
}
