//! Validators run on regex candidates: Luhn + IIN ranges, SSN rules, IBAN mod-97 and
//! country lengths, email syntax + TLD list, phone shapes, IPv4/IPv6, JWT header, entropy.
//!
//! Layout: `numbers` (cards, SSNs, IBANs), `contact` (e-mail, phones, IP addresses); the
//! secret checks (JWT header, entropy, character classes) are here.

use base64::Engine as _;

mod contact;
mod numbers;

pub(crate) use contact::{email_ok, ipv4_ok, ipv6_ok, phone_ok, PhoneShape};
pub(crate) use numbers::{card_ok, iban_length, iban_ok, ssn_ok};

/// True if `b` is an ASCII letter, digit or underscore (a regex `\w` byte).
pub(crate) fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A JWT's header segment must decode (base64url) to a JSON object with an `alg`.
pub(crate) fn jwt_header_ok(token: &[u8]) -> bool {
    let header = token.split(|&b| b == b'.').next().unwrap_or_default();
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let trimmed: &[u8] = match header.iter().rposition(|&b| b != b'=') {
        Some(p) => &header[..=p],
        None => return false,
    };
    let Ok(bytes) = engine.decode(trimmed) else {
        return false;
    };
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(m)) => m.contains_key("alg") || m.contains_key("typ"),
        _ => false,
    }
}

/// Shannon entropy in bits per byte.
pub(crate) fn shannon_entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        counts[usize::from(b)] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// True if a secret-looking value mixes character classes (not a plain word or number).
pub(crate) fn mixed_classes(s: &[u8]) -> bool {
    let lower = s.iter().any(u8::is_ascii_lowercase);
    let upper = s.iter().any(u8::is_ascii_uppercase);
    let digit = s.iter().any(u8::is_ascii_digit);
    let other = s.iter().any(|b| !b.is_ascii_alphanumeric());
    [lower, upper, digit, other].iter().filter(|&&x| x).count() >= 2
}

#[cfg(test)]
mod tests;
