//! Compact JSON out of a `Value`, byte for byte what `serde_json::to_vec` writes, faster.
//!
//! What is forwarded is re-encoded from the parsed (and possibly redacted) arguments, so every
//! call pays an encode of its body. serde_json's writer checks each string byte against its
//! escape table and grows its buffer from nothing; here a string with nothing to escape (no
//! `"`, `\` or byte below 0x20 — almost all of them) is copied whole after an eight-bytes-at-
//! a-time check, and the buffer is sized from the body once. Strings that need escapes and
//! every number are written by serde_json itself, so its spelling (escapes, ryu floats) stays
//! the only one. Measured on the 1 KB bench call in the whole proxy (`benches/instructions.sh`,
//! callgrind, `Wire::body` inclusive, 2026-12-04): 13.6k → 11.2k instructions per call; the
//! bench `args/encode_1kb` against `args/encode_serde_1kb` (`benches/args.rs`) shows the same.
//! A differential test holds it to `serde_json::to_vec`.

use serde_json::{Number, Value};

use super::canonical::{is_plain_integer, KeyOrder};

/// `value` appended to `out` as `serde_json::to_writer` would write it.
pub fn write_value(out: &mut Vec<u8>, value: &Value) {
    let start = out.len();
    let mut unscanned = Unscanned(0);
    write_checked(out, value, &mut (), &mut unscanned);
    if !needed_no_escape(&out[start..], unscanned.0) {
        out.truncate(start);
        write_checked(out, value, &mut (), &mut Scanned);
    }
}

/// An object of these members (in this order), as serde_json writes a map.
pub fn write_members<'a>(
    out: &mut Vec<u8>,
    members: impl Iterator<Item = (&'a String, &'a Value)> + Clone,
) {
    let start = out.len();
    let mut unscanned = Unscanned(0);
    write_members_checked(out, members.clone(), &mut (), &mut unscanned);
    if !needed_no_escape(&out[start..], unscanned.0) {
        out.truncate(start);
        write_members_checked(out, members, &mut (), &mut Scanned);
    }
}

/// [`write_value`], and whether the bytes written are also `value`'s RFC 8785 canonical form
/// under the audit's strict number rule (what `audit::canonical::canonicalize_strict` writes):
/// so when every object's keys are in UTF-16 order as the map holds them and every number is
/// an integer within ±2^53 ([`is_plain_integer`]). Strings need nothing: JCS escapes as
/// serde_json does (`audit::canonical`'s module docs), and both copy other bytes as they are.
/// The audit record shares the bytes forwarded to the tool instead of writing the arguments
/// again (docs/performance.md, "Thirteenth round"); a test holds this answer to the canonical
/// writer on awkward documents.
pub fn write_value_canonical(out: &mut Vec<u8>, value: &Value) -> bool {
    let start = out.len();
    let mut canonical = Canonical(true);
    let mut unscanned = Unscanned(0);
    write_checked(out, value, &mut canonical, &mut unscanned);
    if !needed_no_escape(&out[start..], unscanned.0) {
        out.truncate(start);
        canonical = Canonical(true);
        write_checked(out, value, &mut canonical, &mut Scanned);
    }
    canonical.0
}

/// How [`write_checked`] writes a string: scanned first for bytes to escape ([`Scanned`]), or
/// copied between quotes unscanned and counted ([`Unscanned`]), the whole output checked once
/// afterwards ([`needed_no_escape`]) and written again scanned when that check fails.
///
/// Unscanned, then checked: each string's own scan (`json::scan_string`, ~56 instructions and
/// a call per string, 57 strings in the 1 KB bench call) costs more than one pass over the
/// bytes written (a vectorized count of `"` and a fold for `\` and bytes below 0x20, ~2–3
/// instructions per 8 bytes); almost no argument needs an escape. Measured in the whole proxy:
/// docs/performance.md, "Nineteenth round".
trait Strings {
    /// Writes `s` as a JSON string; whether it is ASCII when `key_ascii` is asked (the
    /// key-order check's), else anything.
    fn write(&mut self, out: &mut Vec<u8>, s: &str, key_ascii: bool) -> bool;
}

/// Each string scanned and escaped as serde_json does.
struct Scanned;

impl Strings for Scanned {
    #[inline(always)]
    fn write(&mut self, out: &mut Vec<u8>, s: &str, _: bool) -> bool {
        write_str_ascii(out, s)
    }
}

/// Each string copied between quotes as it is, and counted.
struct Unscanned(usize);

impl Strings for Unscanned {
    #[inline(always)]
    fn write(&mut self, out: &mut Vec<u8>, s: &str, key_ascii: bool) -> bool {
        self.0 += 1;
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        key_ascii && s.is_ascii()
    }
}

/// Whether `written`, holding `strings` strings copied unscanned, is what the scanning writer
/// writes: when it holds no `\`, no byte below 0x20 and exactly two `"` per string. Nothing
/// but a string writes a quote (numbers, `null`, `true`, `false`, the brackets, `,` and `:`
/// do not), so each string's own quotes are then its two delimiters: no string held a `"`,
/// a `\` or a control character, the only bytes serde_json escapes, and every other byte
/// it copies as it is.
fn needed_no_escape(written: &[u8], strings: usize) -> bool {
    // no early exit: the fold is vectorized
    let special = written
        .iter()
        .fold(0u8, |m, &b| m | u8::from(b < 0x20 || b == b'\\'));
    special == 0 && memchr::memchr_iter(b'"', written).count() == 2 * strings
}

/// What [`write_checked`] checks of what it writes: nothing (`()`, the encode for the tool),
/// or whether it is canonical ([`Canonical`]).
trait Check {
    /// Whether the keys' order is checked ([`Check::unordered`]).
    const KEYS: bool;
    fn number(&mut self, n: &Number);
    /// An object's keys are not in UTF-16 order as written.
    fn unordered(&mut self);
}

impl Check for () {
    const KEYS: bool = false;
    #[inline(always)]
    fn number(&mut self, _: &Number) {}
    #[inline(always)]
    fn unordered(&mut self) {}
}

/// Whether everything written so far is canonical.
struct Canonical(bool);

impl Check for Canonical {
    const KEYS: bool = true;
    fn number(&mut self, n: &Number) {
        self.0 &= is_plain_integer(n);
    }
    fn unordered(&mut self) {
        self.0 = false;
    }
}

fn write_checked<C: Check, S: Strings>(
    out: &mut Vec<u8>,
    value: &Value,
    check: &mut C,
    strings: &mut S,
) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            check.number(n);
            write_number(out, n)
        }
        Value::String(s) => {
            strings.write(out, s, false);
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_child(out, item, check, strings);
            }
            out.push(b']');
        }
        Value::Object(map) => write_members_checked(out, map.iter(), check, strings),
    }
}

/// [`write_checked`] of a member's or an element's value, a string written here: most are
/// strings, and a call of `write_checked` per value (its frame, its dispatch) was ~25
/// instructions of each of the 1 KB bench call's 23 string members (docs/performance.md,
/// "Twenty-third round").
#[inline(always)]
fn write_child<C: Check, S: Strings>(
    out: &mut Vec<u8>,
    value: &Value,
    check: &mut C,
    strings: &mut S,
) {
    match value {
        Value::String(s) => {
            strings.write(out, s, false);
        }
        other => write_checked(out, other, check, strings),
    }
}

/// The members in the order given; with [`Check::KEYS`], their keys' order checked as they are
/// written (the object's keys are the map's, in its order).
fn write_members_checked<'a, C: Check, S: Strings>(
    out: &mut Vec<u8>,
    members: impl Iterator<Item = (&'a String, &'a Value)>,
    check: &mut C,
    strings: &mut S,
) {
    out.push(b'{');
    let mut order = C::KEYS.then(KeyOrder::new);
    for (i, (k, v)) in members.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let ascii = strings.write(out, k, C::KEYS);
        if order.as_mut().is_some_and(|o| !o.next_in_order(k, ascii)) {
            check.unordered();
        }
        out.push(b':');
        write_child(out, v, check, strings);
    }
    out.push(b'}');
}

/// A JSON string: copied between quotes when nothing in it needs an escape.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    write_str_ascii(out, s);
}

/// [`write_str`], and whether `s` is ASCII (read in the same pass).
fn write_str_ascii(out: &mut Vec<u8>, s: &str) -> bool {
    let b = s.as_bytes();
    let scanned = super::fast::scan_string(b);
    if !scanned.escape {
        out.reserve(b.len() + 2);
        out.push(b'"');
        out.extend_from_slice(b);
        out.push(b'"');
    } else {
        serde_json_write(out, s);
    }
    scanned.ascii
}

/// A number as serde_json spells it: integers by `itoa`, as serde_json writes them (its
/// `serialize_u64` / `serialize_i64`), without going through its serializer; floats by
/// serde_json itself.
fn write_number(out: &mut Vec<u8>, n: &serde_json::Number) {
    if let Some(u) = n.as_u64() {
        out.extend_from_slice(itoa::Buffer::new().format(u).as_bytes());
    } else if let Some(i) = n.as_i64() {
        out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes());
    } else {
        serde_json_write(out, n);
    }
}

/// serde_json's own spelling of `v`.
fn serde_json_write<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
    // Writing a string or a number into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, v);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scanned(value: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        write_checked(&mut out, value, &mut (), &mut Scanned);
        out
    }

    /// Whether the unscanned copy passes its check (the fast path is the one taken).
    fn unscanned_passes(value: &Value) -> bool {
        let mut out = Vec::new();
        let mut unscanned = Unscanned(0);
        write_checked(&mut out, value, &mut (), &mut unscanned);
        needed_no_escape(&out, unscanned.0)
    }

    /// The strings copied unscanned and checked once are the scanning writer's bytes, after
    /// other bytes in the buffer too, whole documents, members and the canonical check; the
    /// check passes a document with nothing to escape and fails one with any of `"`, `\` or a
    /// control character in any key or value (`json::tests::writer_matches_serde_json` holds
    /// both to serde_json on random documents).
    #[test]
    fn unscanned_strings_are_the_scanned_writers() {
        let plain = json!({
            "charge": "ch_1", "amount": 4200, "f": 1.5, "neg": -3, "none": null, "t": true,
            "items": [{"sku": "MUG", "qty": 2, "d": "Blue ceramic mug, 12oz"}, [], {}],
            "é": "café ✓ \u{7f} / 😀", "": ""
        });
        assert!(unscanned_passes(&plain));
        let mut docs = vec![plain.clone()];
        for special in ["\"", "\\", "\n", "\u{0}", "\u{1f}", "a\"b\"c", "\"\""] {
            for at in ["key", "value", "deep key", "deep value", "array"] {
                let mut d = plain.clone();
                match at {
                    "key" => d[special] = json!(1),
                    "value" => d["charge"] = json!(special),
                    "deep key" => d["items"][0][special] = json!("x"),
                    "deep value" => d["items"][0]["d"] = json!(format!("x{special}y")),
                    _ => d["items"][1] = json!([special, 2]),
                }
                assert!(!unscanned_passes(&d), "{d}");
                docs.push(d);
            }
        }
        for d in &docs {
            let want = scanned(d);
            assert_eq!(want, serde_json::to_vec(d).expect("encode"), "{d}");
            for prefix in [&b""[..], b"{\"x\":\"\\\"", b"\n\"\""] {
                let mut out = prefix.to_vec();
                write_value(&mut out, d);
                assert_eq!(&out[..prefix.len()], prefix);
                assert_eq!(&out[prefix.len()..], &want[..], "{d}");
                let mut out = prefix.to_vec();
                let canonical = write_value_canonical(&mut out, d);
                assert_eq!(&out[prefix.len()..], &want[..], "{d}");
                let mut again = Vec::new();
                let mut check = Canonical(true);
                write_checked(&mut again, d, &mut check, &mut Scanned);
                assert_eq!(canonical, check.0, "{d}");
                let Value::Object(map) = d else {
                    unreachable!("objects")
                };
                let mut out = prefix.to_vec();
                write_members(&mut out, map.iter().filter(|(k, _)| *k != "amount"));
                let mut less = map.clone();
                less.remove("amount");
                assert_eq!(
                    &out[prefix.len()..],
                    &serde_json::to_vec(&less).expect("encode")[..],
                    "{d}"
                );
            }
        }
    }
}
