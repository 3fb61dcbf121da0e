//! What RFC 8785 (JCS, the audit stream's canonical JSON: `audit::canonical`) asks of an
//! object's key order, and of an integer, shared by the canonical writer and by the compact
//! writer's check that its bytes are already canonical ([`super::write::write_value_canonical`]).

use std::cmp::Ordering;
use std::sync::OnceLock;

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

/// Whether the map's keys are in UTF-16 order already. serde_json's map is in byte (code
/// point) order, which only differs from UTF-16 order between U+E000..U+FFFF and
/// supplementary characters: then no sort (and no allocation) is needed.
pub fn keys_sorted(map: &Map<String, Value>) -> bool {
    if !byte_ordered() {
        return in_utf16_order(map.keys());
    }
    // In byte order already: where one of two neighbours is ASCII, byte order is UTF-16 order
    // (see `utf16_cmp`), so only two non-ASCII neighbours are compared. (Was the full check
    // below on every map, a byte comparison per key: −1.35k instructions per audited call of
    // the bench, docs/performance.md "Thirteenth round".)
    let mut prev: Option<&[u8]> = None;
    for k in map.keys() {
        if k.is_ascii() {
            prev = None;
            continue;
        }
        if prev.is_some_and(|p| utf16_cmp_non_ascii(p, k.as_bytes()) == Ordering::Greater) {
            return false;
        }
        prev = Some(k.as_bytes());
    }
    true
}

/// Whether `keys` come in UTF-16 order, each looked at once for non-ASCII bytes.
fn in_utf16_order<'a>(mut keys: impl Iterator<Item = &'a String>) -> bool {
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

/// Whether serde_json's map iterates in byte order of its keys: a `BTreeMap`, as it is
/// without serde_json's `preserve_order` feature (nothing in the build turns it on). Asked
/// once, of a map itself: were the feature turned on, [`keys_sorted`] checks every pair.
fn byte_ordered() -> bool {
    static ORDERED: OnceLock<bool> = OnceLock::new();
    *ORDERED.get_or_init(|| {
        let mut m = Map::new();
        for k in ["b", "\u{e000}", "a", "\u{1f600}"] {
            m.insert(k.to_owned(), Value::Null);
        }
        m.keys()
            .map(String::as_str)
            .eq(["a", "b", "\u{e000}", "\u{1f600}"])
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The short check agrees with the full one on maps of keys from every range that orders
    /// differently (ASCII, Latin, U+E000..U+FFFF, supplementary), as a map holds them and in
    /// orders it does not (the full check's answer for those lists).
    #[test]
    fn key_order_check_agrees_with_the_full_check() {
        assert!(byte_ordered());
        const CHARS: &[char] = &[
            'a',
            'z',
            '\u{80}',
            'é',
            '€',
            '\u{e000}',
            '\u{ffff}',
            '😀',
            '\u{10ffff}',
        ];
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let (mut sorted, mut unsorted) = (0, 0);
        for _ in 0..20_000 {
            let mut m = Map::new();
            for _ in 0..next() % 6 {
                let k: String = (0..1 + next() % 3)
                    .map(|_| CHARS[(next() % CHARS.len() as u64) as usize])
                    .collect();
                m.insert(k, Value::Null);
            }
            let full = in_utf16_order(m.keys());
            assert_eq!(keys_sorted(&m), full, "{m:?}");
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_by(|a, b| utf16_cmp(a, b));
            assert!(in_utf16_order(keys.iter().copied()));
            if full {
                sorted += 1;
            } else {
                unsorted += 1;
            }
        }
        assert!(sorted > 1_000 && unsorted > 1_000, "{sorted} {unsorted}");
    }
}
