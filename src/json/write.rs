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

use serde_json::Value;

/// `value` appended to `out` as `serde_json::to_writer` would write it.
pub fn write_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item);
            }
            out.push(b']');
        }
        Value::Object(map) => write_members(out, map.iter()),
    }
}

/// An object of these members (in this order), as serde_json writes a map.
pub fn write_members<'a>(
    out: &mut Vec<u8>,
    members: impl Iterator<Item = (&'a String, &'a Value)>,
) {
    out.push(b'{');
    for (i, (k, v)) in members.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, k);
        out.push(b':');
        write_value(out, v);
    }
    out.push(b'}');
}

/// A JSON string: copied between quotes when nothing in it needs an escape.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    if super::fast::special(b, 0) == b.len() {
        out.reserve(b.len() + 2);
        out.push(b'"');
        out.extend_from_slice(b);
        out.push(b'"');
    } else {
        serde_json_write(out, s);
    }
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
