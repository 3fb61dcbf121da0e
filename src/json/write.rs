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
    write_checked(out, value, &mut ());
}

/// An object of these members (in this order), as serde_json writes a map.
pub fn write_members<'a>(
    out: &mut Vec<u8>,
    members: impl Iterator<Item = (&'a String, &'a Value)>,
) {
    write_members_checked(out, members, &mut ());
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
    let mut canonical = Canonical(true);
    write_checked(out, value, &mut canonical);
    canonical.0
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

fn write_checked<C: Check>(out: &mut Vec<u8>, value: &Value, check: &mut C) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            check.number(n);
            write_number(out, n)
        }
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_checked(out, item, check);
            }
            out.push(b']');
        }
        Value::Object(map) => write_members_checked(out, map.iter(), check),
    }
}

/// The members in the order given; with [`Check::KEYS`], their keys' order checked as they are
/// written (the object's keys are the map's, in its order).
fn write_members_checked<'a, C: Check>(
    out: &mut Vec<u8>,
    members: impl Iterator<Item = (&'a String, &'a Value)>,
    check: &mut C,
) {
    out.push(b'{');
    let mut order = C::KEYS.then(KeyOrder::new);
    for (i, (k, v)) in members.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let ascii = write_str_ascii(out, k);
        if order.as_mut().is_some_and(|o| !o.next_in_order(k, ascii)) {
            check.unordered();
        }
        out.push(b':');
        write_checked(out, v, check);
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
