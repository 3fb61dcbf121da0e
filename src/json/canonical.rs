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
    let mut order = KeyOrder::new();
    map.keys().all(|k| order.next_in_order(k, k.is_ascii()))
}

/// [`keys_sorted`]'s check one key at a time, for a writer that checks the keys of an object
/// as it writes them, instead of a walk over the map of its own before, with the ASCII bit the
/// writer's string scan gives (3.7k → 1.9k instructions per audited call of the bench,
/// docs/performance.md "Fourteenth round").
pub struct KeyOrder<'a> {
    /// Every pair is compared: the map is not in byte order (see [`byte_ordered`]).
    every_pair: bool,
    /// The key before (its bytes, and whether it is ASCII).
    prev: Option<(&'a [u8], bool)>,
}

impl<'a> KeyOrder<'a> {
    /// The check of one object's keys, from its first.
    #[inline]
    pub fn new() -> Self {
        KeyOrder {
            every_pair: !byte_ordered(),
            prev: None,
        }
    }

    /// Whether `k` comes after the key before it in UTF-16 order (`ascii`: whether `k` is
    /// ASCII, which the writers learn as they copy it: `json::scan_string`).
    #[inline(always)]
    pub fn next_in_order(&mut self, k: &'a str, ascii: bool) -> bool {
        let this = (k.as_bytes(), ascii);
        let in_order = match self.prev {
            None => true,
            // Where one of two neighbours is ASCII, byte order is UTF-16 order (see
            // `utf16_cmp`): a map in byte order needs no comparison then, only two non-ASCII
            // neighbours are compared. (Was a byte comparison per key: −1.35k instructions per
            // audited call of the bench, docs/performance.md "Thirteenth round".)
            Some(prev) if prev.1 || this.1 => !self.every_pair || prev.0 <= this.0,
            Some(prev) => utf16_cmp_non_ascii(prev.0, this.0) != Ordering::Greater,
        };
        self.prev = Some(this);
        in_order
    }
}

impl Default for KeyOrder<'_> {
    fn default() -> Self {
        Self::new()
    }
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

    /// The full check: every neighbouring pair by [`utf16_cmp`].
    fn in_utf16_order<'a>(keys: impl Iterator<Item = &'a String> + Clone) -> bool {
        keys.clone()
            .zip(keys.skip(1))
            .all(|(a, b)| utf16_cmp(a, b) != Ordering::Greater)
    }

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
            // as a map not in byte order would hold them (`every_pair`): any order, the full
            // check's answer
            let by = next() as usize % keys.len().max(1);
            keys.rotate_left(by);
            let mut order = KeyOrder {
                every_pair: true,
                prev: None,
            };
            let every = keys.iter().all(|k| order.next_in_order(k, k.is_ascii()));
            assert_eq!(every, in_utf16_order(keys.iter().copied()), "{keys:?}");
            if full {
                sorted += 1;
            } else {
                unsorted += 1;
            }
        }
        assert!(sorted > 1_000 && unsorted > 1_000, "{sorted} {unsorted}");
    }
}
