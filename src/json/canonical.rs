//! What RFC 8785 (JCS, the audit stream's canonical JSON: `audit::canonical`) asks of an
//! object's key order, and of an integer, shared by the canonical writer and by the compact
//! writer's check that its bytes are already canonical ([`super::write::write_value_canonical`]).

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

/// Largest integer magnitude the audit format allows as a number (2^53, JavaScript's safe
/// range).
pub const MAX_SAFE_INTEGER: u64 = 1 << 53;

/// Order by UTF-16 code units (RFC 8785 §3.2.3).
pub fn utf16_cmp(a: &str, b: &str) -> Ordering {
    if a.is_ascii() || b.is_ascii() {
        // Where they first differ, the ASCII one has an ASCII byte, which starts a character
        // in both (the bytes before are the same whole characters); an ASCII character is
        // below every other in UTF-16 as in UTF-8, and a prefix sorts first in both: the
        // bytes decide.
        return a.as_bytes().cmp(b.as_bytes());
    }
    utf16_cmp_non_ascii(a.as_bytes(), b.as_bytes())
}

/// [`utf16_cmp`] of two UTF-8 strings given as bytes.
fn utf16_cmp_non_ascii(x: &[u8], y: &[u8]) -> Ordering {
    match (std::str::from_utf8(x), std::str::from_utf8(y)) {
        (Ok(a), Ok(b)) => a.encode_utf16().cmp(b.encode_utf16()),
        // not reached: both come from `&str`
        _ => x.cmp(y),
    }
}

/// Whether the map's keys are in UTF-16 order already. serde_json's map is usually in code
/// point order, which only differs from UTF-16 order between U+E000..U+FFFF and supplementary
/// characters: then no sort (and no allocation) is needed.
pub fn keys_sorted(map: &Map<String, Value>) -> bool {
    // Each key is looked at once for non-ASCII bytes; where one of two neighbours is ASCII,
    // byte order is UTF-16 order (see `utf16_cmp`).
    let mut keys = map.keys();
    let Some(first) = keys.next() else {
        return true;
    };
    let mut prev = (first.as_bytes(), first.is_ascii());
    for k in keys {
        let this = (k.as_bytes(), k.is_ascii());
        let in_order = if prev.1 || this.1 {
            prev.0 <= this.0
        } else {
            utf16_cmp_non_ascii(prev.0, this.0) != Ordering::Greater
        };
        if !in_order {
            return false;
        }
        prev = this;
    }
    true
}

/// Whether `n` is an integer within ±2^53 held as one (`as_u64` / `as_i64`): written the same
/// by serde_json (`itoa`) and by JCS (its double's shortest form), and allowed by the audit's
/// strict number rule. A float (`1.0`, `-0.0`, `0.5`, `1e21`) is not: JCS and serde_json spell
/// many of them differently.
pub fn is_plain_integer(n: &Number) -> bool {
    if let Some(u) = n.as_u64() {
        u <= MAX_SAFE_INTEGER
    } else {
        n.as_i64()
            .is_some_and(|i| i.unsigned_abs() <= MAX_SAFE_INTEGER)
    }
}
