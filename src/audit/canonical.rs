//! RFC 8785 (JCS) canonical JSON and the entry hash that chains audit records.
//!
//! The serializer writes a `serde_json::Value` straight into a byte buffer: object members
//! sorted by UTF-16 code units, strings escaped as ES6 `JSON.stringify` does (which is
//! exactly serde_json's escaping: `\b \t \n \f \r \" \\` and `\u00xx` lower-case for the
//! other controls, nothing else), numbers in ES6 `Number.prototype.toString` form via
//! `ryu-js`. It is hand-written for speed only: the `serde_json_canonicalizer` crate produced
//! identical bytes but cost ~22 µs per record (it re-parses every key to sort it), which
//! alone missed the 100k records/s writer target; the tests check this serializer against
//! that crate on RFC 8785's examples and on thousands of generated documents.
//!
//! On top of JCS, the audit rules: no integers beyond ±2^53 (JavaScript's safe range, so
//! every consumer reads the same number) and the leaf hash `SHA-256(0x00 ‖ line)`.

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};
use sha2::{Digest, Sha256};

use super::{AuditError, InvalidRecord};

pub(crate) use crate::json::canonical::utf16_cmp;
/// Largest integer magnitude allowed anywhere in a record (2^53, JavaScript's safe range).
pub use crate::json::canonical::MAX_SAFE_INTEGER;
use crate::json::canonical::{keys_sorted, KeyOrder};

/// Hash of the record before the first one (64 zeros when hex-encoded).
pub const GENESIS_HASH: [u8; 32] = [0u8; 32];

/// A SHA-256 digest (an entry hash or a Merkle node).
pub type Hash = [u8; 32];

/// Serialise `value` as RFC 8785 canonical JSON bytes (no trailing newline).
pub fn canonicalize(value: &Value) -> Result<Vec<u8>, AuditError> {
    let mut out = Vec::with_capacity(256);
    canonicalize_into(value, &mut out)?;
    Ok(out)
}

/// Append the RFC 8785 canonical bytes of `value` to `out` (the writer reuses one buffer).
pub fn canonicalize_into(value: &Value, out: &mut Vec<u8>) -> Result<(), AuditError> {
    write_value(value, out, Numbers::Jcs)
}

/// The members the writer adds to the top level of every record.
#[derive(Debug, Clone, Copy)]
pub struct RecordHead<'a> {
    /// `kind`.
    pub kind: &'a str,
    /// `prev`, written as 64 lower-case hex digits.
    pub prev: &'a Hash,
    /// `seq`.
    pub seq: u64,
    /// `ts`.
    pub ts: &'a str,
}

/// Names of [`RecordHead`]'s members, in canonical (UTF-16) order.
const HEAD_NAMES: [&str; 4] = ["kind", "prev", "seq", "ts"];

/// Append the canonical line of `body` with `head`'s members merged in: exactly the bytes of
/// [`canonicalize_into`] of `body` after inserting `kind`, `prev`, `seq` and `ts` into it (a
/// member of `body` with one of those names is replaced, as the insert would), without
/// building that map (no key, hex or number allocated per record: the writer's hot path).
///
/// With `strict`, a number the audit format does not allow (an integer beyond ±2^53, see
/// [`is_unsafe_number`]) is an [`InvalidRecord::UnsafeInteger`] naming the first one as
/// [`find_unsafe_integer`] would, found while writing instead of by a walk of its own; `out`
/// then holds a partial line.
pub fn canonicalize_record(
    body: &Map<String, Value>,
    head: &RecordHead<'_>,
    strict: bool,
    out: &mut Vec<u8>,
) -> Result<(), AuditError> {
    let numbers = if strict {
        Numbers::Strict
    } else {
        Numbers::Jcs
    };
    let written = write_record_members(body, head, numbers, out);
    if let Err(AuditError::Invalid(InvalidRecord::UnsafeInteger(_))) = &written {
        // (a member replaced by the head is not written, so not looked at)
        let path = body
            .iter()
            .filter(|(k, _)| !HEAD_NAMES.contains(&k.as_str()))
            .find_map(|(k, item)| {
                unsafe_integer_segments(item).map(|mut p| {
                    p.push(k.clone());
                    join_pointer(p)
                })
            })
            .unwrap_or_else(|| "/".to_owned());
        return Err(AuditError::Invalid(InvalidRecord::UnsafeInteger(path)));
    }
    written
}

fn write_record_members(
    body: &Map<String, Value>,
    head: &RecordHead<'_>,
    numbers: Numbers,
    out: &mut Vec<u8>,
) -> Result<(), AuditError> {
    let sorted = keys_sorted(body);
    let unsorted: Vec<(&String, &Value)>;
    let members: &mut dyn Iterator<Item = (&String, &Value)> = if sorted {
        &mut body.iter()
    } else {
        let mut m: Vec<(&String, &Value)> = body.iter().collect();
        m.sort_by(|a, b| utf16_cmp(a.0, b.0));
        unsorted = m;
        &mut unsorted.iter().copied()
    };
    out.push(b'{');
    let mut next_head = 0;
    let mut i = 0;
    for (k, v) in members {
        if HEAD_NAMES.contains(&k.as_str()) {
            continue;
        }
        while next_head < HEAD_NAMES.len() && utf16_cmp(HEAD_NAMES[next_head], k) == Ordering::Less
        {
            write_head_member(i, next_head, head, out)?;
            next_head += 1;
            i += 1;
        }
        write_member(i, k, v, out, numbers)?;
        i += 1;
    }
    while next_head < HEAD_NAMES.len() {
        write_head_member(i, next_head, head, out)?;
        next_head += 1;
        i += 1;
    }
    out.push(b'}');
    Ok(())
}

fn write_head_member(
    i: usize,
    which: usize,
    head: &RecordHead<'_>,
    out: &mut Vec<u8>,
) -> Result<(), AuditError> {
    if i > 0 {
        out.push(b',');
    }
    write_string(HEAD_NAMES[which], out)?;
    out.push(b':');
    write_head_value(which, head, out)
}

/// The value of head member `which` (index into `kind`, `prev`, `seq`, `ts`).
pub(crate) fn write_head_value(
    which: usize,
    head: &RecordHead<'_>,
    out: &mut Vec<u8>,
) -> Result<(), AuditError> {
    match which {
        0 => write_string(head.kind, out)?,
        1 => {
            out.push(b'"');
            out.extend_from_slice(&hex_bytes(head.prev));
            out.push(b'"');
        }
        2 => out.extend_from_slice(itoa::Buffer::new().format(head.seq).as_bytes()),
        _ => write_string(head.ts, out)?,
    }
    Ok(())
}

/// How numbers are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Numbers {
    /// RFC 8785: every number as its ES6 double spelling.
    Jcs,
    /// An integer beyond ±2^53 as parsed ([`canonicalize_exact`]).
    Exact,
    /// An integer beyond ±2^53 is an error ([`canonicalize_record`]).
    Strict,
}

/// [`canonicalize`], except that an integer beyond ±2^53 is written exactly as parsed
/// (`9007199254740993`, `1e300`) instead of JCS's rounded double: the same bytes as JCS for
/// every document without such numbers, and lossless for the others. For `input_hmac` and
/// sealed arguments, which must tell `9007199254740993` from `9007199254740992`.
pub fn canonicalize_exact(value: &Value) -> Result<Vec<u8>, AuditError> {
    let mut out = Vec::with_capacity(256);
    write_value(value, &mut out, Numbers::Exact)?;
    Ok(out)
}

/// The canonical bytes of `value` with the audit's number rule: an integer beyond ±2^53 is an
/// [`InvalidRecord::UnsafeInteger`] (with an empty pointer: the caller finds it if it needs it).
pub(crate) fn write_value_strict(value: &Value, out: &mut Vec<u8>) -> Result<(), AuditError> {
    write_value(value, out, Numbers::Strict)
}

/// [`canonicalize`] with the audit's number rule: an integer beyond ±2^53 is an error (where
/// there is none, the same bytes as [`canonicalize`] and [`canonicalize_exact`]).
pub fn canonicalize_strict(value: &Value) -> Result<Vec<u8>, AuditError> {
    let mut out = Vec::with_capacity(256);
    write_value(value, &mut out, Numbers::Strict)?;
    Ok(out)
}

fn write_value(value: &Value, out: &mut Vec<u8>, numbers: Numbers) -> Result<(), AuditError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) if numbers != Numbers::Jcs && is_unsafe_number(n) => {
            if numbers == Numbers::Strict {
                // the pointer is found by the caller, only on this path
                return Err(InvalidRecord::UnsafeInteger(String::new()).into());
            }
            out.extend_from_slice(n.to_string().as_bytes())
        }
        Value::Number(n) => write_number(n, out)?,
        Value::String(s) => write_string(s, out)?,
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out, numbers)?;
            }
            out.push(b']');
        }
        Value::Object(map) => write_object(map, out, numbers)?,
    }
    Ok(())
}

fn write_object(
    map: &Map<String, Value>,
    out: &mut Vec<u8>,
    numbers: Numbers,
) -> Result<(), AuditError> {
    write_object_with(map, out, numbers, &mut |_, _, _| Ok(false))
}

/// The canonical bytes of the object `map` (the audit's number rule, as
/// [`write_value_strict`]), a member's value written by `known(key, value, out)` when it says
/// so (`true`): the caller vouches it wrote that value's canonical bytes (built once, copied
/// per call).
pub(crate) fn write_object_strict_with(
    map: &Map<String, Value>,
    out: &mut Vec<u8>,
    mut known: impl FnMut(&str, &Value, &mut Vec<u8>) -> Result<bool, AuditError>,
) -> Result<(), AuditError> {
    write_object_with(map, out, Numbers::Strict, &mut known)
}

/// An object, its keys checked for UTF-16 order as they are written ([`KeyOrder`]): the map
/// holds them in byte order, which is UTF-16 order but between rare pairs of non-ASCII keys;
/// such an object is written again, sorted.
fn write_object_with(
    map: &Map<String, Value>,
    out: &mut Vec<u8>,
    numbers: Numbers,
    known: &mut impl FnMut(&str, &Value, &mut Vec<u8>) -> Result<bool, AuditError>,
) -> Result<(), AuditError> {
    let start = out.len();
    if write_members(map.iter(), out, numbers, known, Some(&mut KeyOrder::new()))? {
        return Ok(());
    }
    out.truncate(start);
    let mut members: Vec<(&String, &Value)> = map.iter().collect();
    members.sort_by(|a, b| utf16_cmp(a.0, b.0));
    write_members(members.into_iter(), out, numbers, known, None).map(|_| ())
}

/// `{…}` of `members` in the order given; `false` (with a partial object in `out`) at the first
/// key out of `order`.
fn write_members<'a>(
    members: impl Iterator<Item = (&'a String, &'a Value)>,
    out: &mut Vec<u8>,
    numbers: Numbers,
    known: &mut impl FnMut(&str, &Value, &mut Vec<u8>) -> Result<bool, AuditError>,
    mut order: Option<&mut KeyOrder<'a>>,
) -> Result<bool, AuditError> {
    out.push(b'{');
    for (i, (k, v)) in members.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let ascii = write_string_ascii(k, out)?;
        if order.as_mut().is_some_and(|o| !o.next_in_order(k, ascii)) {
            return Ok(false);
        }
        out.push(b':');
        if !known(k, v, out)? {
            write_value(v, out, numbers)?;
        }
    }
    out.push(b'}');
    Ok(true)
}

fn write_member(
    i: usize,
    key: &str,
    value: &Value,
    out: &mut Vec<u8>,
    numbers: Numbers,
) -> Result<(), AuditError> {
    if i > 0 {
        out.push(b',');
    }
    write_string(key, out)?;
    out.push(b':');
    write_value(value, out, numbers)
}

pub(crate) fn write_string(s: &str, out: &mut Vec<u8>) -> Result<(), AuditError> {
    write_string_ascii(s, out).map(|_| ())
}

/// [`write_string`], and whether `s` is ASCII (read in the same pass: the key-order check).
fn write_string_ascii(s: &str, out: &mut Vec<u8>) -> Result<bool, AuditError> {
    // Nothing to escape (most keys and values): the bytes between quotes, without
    // serde_json's escaper (−7k instructions per audited call: callgrind,
    // `AUDIT=1 benches/instructions.sh`); the tests hold this to serde_json_canonicalizer.
    let bytes = s.as_bytes();
    let scanned = crate::json::scan_string(bytes);
    if !scanned.escape {
        out.reserve(bytes.len() + 2);
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
        return Ok(scanned.ascii);
    }
    // serde_json's string escaping is JCS's (see the module docs).
    serde_json::to_writer(out, s)
        .map_err(|e| AuditError::from(InvalidRecord::Canonical(e.to_string())))?;
    Ok(scanned.ascii)
}

fn write_number(n: &Number, out: &mut Vec<u8>) -> Result<(), AuditError> {
    // Integers in the safe range print the same as their double; others go through f64
    // as JCS requires (and the audit rules reject them anyway).
    if let Some(u) = n.as_u64().filter(|u| *u <= MAX_SAFE_INTEGER) {
        out.extend_from_slice(itoa::Buffer::new().format(u).as_bytes());
        return Ok(());
    }
    if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() <= MAX_SAFE_INTEGER) {
        out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes());
        return Ok(());
    }
    match n.as_f64() {
        Some(f) if f.is_finite() => {
            let mut buf = ryu_js::Buffer::new();
            out.extend_from_slice(buf.format_finite(f).as_bytes());
            Ok(())
        }
        _ => Err(AuditError::from(InvalidRecord::Canonical(format!(
            "number {n} is not a finite double"
        )))),
    }
}

/// `SHA-256(0x00 ‖ line)`: the entry hash of a record line (without its `\n`). This is also the
/// RFC 6962 Merkle leaf hash, so entry hashes are the leaves of the checkpoint tree.
pub fn entry_hash(line: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(line);
    h.finalize().into()
}

/// Lower-case hex of a hash.
pub fn hex(hash: &Hash) -> String {
    // ASCII digits only: always UTF-8
    String::from_utf8(hex_bytes(hash).to_vec()).unwrap_or_default()
}

/// Lower-case hex digits of a hash, without allocating.
pub fn hex_bytes(hash: &Hash) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    for (i, b) in hash.iter().enumerate() {
        out[2 * i] = DIGITS[(b >> 4) as usize];
        out[2 * i + 1] = DIGITS[(b & 0x0f) as usize];
    }
    out
}

/// Parse 64 lower-case hex digits into a hash; `None` for anything else (upper case included,
/// so that a hash has exactly one spelling in a canonical record).
pub fn parse_hex(s: &str) -> Option<Hash> {
    let bytes = s.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        let hi = hex_digit(pair[0])?;
        let lo = hex_digit(pair[1])?;
        out[i] = (hi << 4) | lo;
    }
    Some(out)
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// Short form of a hash for messages: the first 4 hex digits and an ellipsis.
pub fn short(hash: &Hash) -> String {
    let mut s = hex(hash);
    s.truncate(4);
    s.push('…');
    s
}

/// Whether `n` is an integer (in value: `1e17` counts) whose magnitude exceeds 2^53, which
/// the audit format does not allow as a number.
pub fn is_unsafe_number(n: &Number) -> bool {
    if let Some(u) = n.as_u64() {
        u > MAX_SAFE_INTEGER
    } else if let Some(i) = n.as_i64() {
        i.unsigned_abs() > MAX_SAFE_INTEGER
    } else if let Some(f) = n.as_f64() {
        f.fract() == 0.0 && f.abs() > MAX_SAFE_INTEGER as f64
    } else {
        true
    }
}

/// Find the first integer whose magnitude exceeds 2^53, returning its JSON path
/// (`/a/0/b` style), or `None` when the value is within range everywhere.
pub fn find_unsafe_integer(value: &Value) -> Option<String> {
    unsafe_integer_segments(value).map(join_pointer)
}

/// [`find_unsafe_integer`] of an object, without wrapping it in a [`Value`].
pub fn find_unsafe_integer_in(map: &Map<String, Value>) -> Option<String> {
    map.iter().find_map(|(k, item)| {
        unsafe_integer_segments(item).map(|mut p| {
            p.push(k.clone());
            join_pointer(p)
        })
    })
}

/// The path segments of the first offending number, innermost first.
fn unsafe_integer_segments(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::Number(n) => is_unsafe_number(n).then(Vec::new),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            unsafe_integer_segments(item).map(|mut p| {
                p.push(i.to_string());
                p
            })
        }),
        Value::Object(map) => map.iter().find_map(|(k, item)| {
            unsafe_integer_segments(item).map(|mut p| {
                p.push(k.clone());
                p
            })
        }),
        _ => None,
    }
}

fn join_pointer(segments: Vec<String>) -> String {
    if segments.is_empty() {
        return "/".to_owned();
    }
    segments.iter().rev().fold(String::new(), |mut path, s| {
        path.push('/');
        path.push_str(s);
        path
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn canon(text: &str) -> String {
        let v: Value = serde_json::from_str(text).expect("test json");
        String::from_utf8(canonicalize(&v).expect("canonical")).expect("utf8")
    }

    #[test]
    fn rfc8785_examples() {
        // (input, expected canonical form), from RFC 8785 §3.2.2 / Appendix B and §3.2.3.
        let cases: &[(&str, &str)] = &[
            // §3.2.2 example: whitespace, literals, number and string normalisation.
            (
                r#"{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
                   "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
                   "literals": [null, true, false]}"#,
                r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#,
            ),
            // Appendix B number formatting.
            (
                "[0.0, -0.0, 1.0, 9007199254740991, 1e21, 1e20, 5e-324]",
                "[0,0,1,9007199254740991,1e+21,100000000000000000000,5e-324]",
            ),
            (
                "[295147905179352830000, 2e-7, 0.000001, 123e-9]",
                "[295147905179352830000,2e-7,0.000001,1.23e-7]",
            ),
            // Control characters use \u00xx lower-case except the short escapes.
            (
                r#"["\u0000\b\f\t\r\u001f\u007f\u00e9"]"#,
                "[\"\\u0000\\b\\f\\t\\r\\u001f\u{7f}é\"]",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(&canon(input), expected, "input {input}");
        }
    }

    #[test]
    fn rfc8785_key_order_is_by_utf16_code_units() {
        // RFC 8785 §3.2.3: U+1F600 (a surrogate pair, 0xD83D…) sorts before U+FB33 in UTF-16
        // order, though after it in code point order.
        let input = r#"{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}"#;
        let expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"דּ\":\"Hebrew Letter Dalet With Dagesh\"}";
        assert_eq!(canon(input), expected);
    }

    /// Differential test against the `serde_json_canonicalizer` crate on generated documents
    /// full of the awkward cases: escapes, non-BMP keys, floats from raw bit patterns.
    const CHARS: &[char] = &[
        'a',
        'Z',
        '0',
        ' ',
        '"',
        '\\',
        '/',
        '\u{0}',
        '\u{8}',
        '\u{c}',
        '\n',
        '\r',
        '\t',
        '\u{1f}',
        '\u{7f}',
        '\u{80}',
        'é',
        '€',
        '\u{e000}',
        '\u{fb33}',
        '\u{ffff}',
        '😀',
        '\u{10ffff}',
    ];

    fn gen(next: &mut dyn FnMut() -> u64, depth: u32) -> Value {
        let pick = next() % if depth > 3 { 5 } else { 7 };
        match pick {
            0 => Value::Null,
            1 => Value::Bool(next() & 1 == 0),
            2 => {
                let r = next();
                match r % 6 {
                    0 => json!((r >> 8) % (MAX_SAFE_INTEGER + 1)),
                    1 => json!(-(((r >> 8) % MAX_SAFE_INTEGER) as i64)),
                    2 => json!(r),
                    3 => json!(r as i64),
                    _ => {
                        let f = f64::from_bits(next());
                        if f.is_finite() {
                            json!(f)
                        } else {
                            json!(0.5)
                        }
                    }
                }
            }
            3 | 4 => {
                let len = next() % 6;
                Value::String(
                    (0..len)
                        .map(|_| CHARS[(next() % CHARS.len() as u64) as usize])
                        .collect(),
                )
            }
            5 => Value::Array((0..next() % 4).map(|_| gen(next, depth + 1)).collect()),
            _ => {
                let mut m = Map::new();
                for _ in 0..next() % 6 {
                    let len = 1 + next() % 3;
                    let k: String = (0..len)
                        .map(|_| CHARS[(next() % CHARS.len() as u64) as usize])
                        .collect();
                    m.insert(k, gen(next, depth + 1));
                }
                Value::Object(m)
            }
        }
    }

    fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    #[test]
    fn matches_reference_crate_on_generated_documents() {
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        for _ in 0..3000 {
            let v = gen(&mut next, 0);
            let ours = canonicalize(&v).expect("ours");
            let theirs = serde_json_canonicalizer::to_vec(&v).expect("reference");
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs)
            );
        }
    }

    #[test]
    fn utf16_order_agrees_with_encoding_both() {
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let mut s = || -> String {
                (0..next() % 5)
                    .map(|_| CHARS[(next() % CHARS.len() as u64) as usize])
                    .collect()
            };
            let (a, b) = (s(), s());
            assert_eq!(
                utf16_cmp(&a, &b),
                a.encode_utf16().cmp(b.encode_utf16()),
                "{a:?} {b:?}"
            );
        }
    }

    /// The writer's line is the canonical form of the record with its head inserted, whatever
    /// the body (members sorted or not, head names present in it), and its strict number check
    /// names the pointer `find_unsafe_integer` names.
    #[test]
    fn record_lines_are_the_canonical_form_of_the_record_with_its_head() {
        let mut next = xorshift(0x1234_5678_9abc_def1);
        let (mut strict_errors, mut unsorted) = (0, 0);
        for i in 0..4000u64 {
            let mut body = Map::new();
            for _ in 0..next() % 8 {
                let len = 1 + next() % 5;
                let k: String = (0..len)
                    .map(|_| CHARS[(next() % CHARS.len() as u64) as usize])
                    .collect();
                body.insert(k, gen(&mut next, 1));
            }
            if i % 5 == 0 {
                body.insert("seq".into(), json!(u64::MAX));
                body.insert("kind".into(), json!("x"));
            }
            for k in [
                "k",
                "kinda",
                "p",
                "q",
                "s",
                "sz",
                "t",
                "u",
                "\u{e000}",
                "\u{1f600}",
            ] {
                if next().is_multiple_of(4) {
                    body.insert(k.into(), gen(&mut next, 1));
                }
            }
            unsorted += usize::from(!keys_sorted(&body));
            let prev = entry_hash(&i.to_le_bytes());
            let ts = format!("2026-12-04T00:00:{:02}.{:03}Z", i % 60, i % 1000);
            let head = RecordHead {
                kind: ["decision", "outcome", "event", "checkpoint"][(i % 4) as usize],
                prev: &prev,
                seq: next() % (MAX_SAFE_INTEGER + 1),
                ts: &ts,
            };
            let mut record = body.clone();
            record.insert("seq".into(), json!(head.seq));
            record.insert("prev".into(), json!(hex(&prev)));
            record.insert("kind".into(), json!(head.kind));
            record.insert("ts".into(), json!(ts));
            let record = Value::Object(record);
            let want = canonicalize(&record).expect("canonical");
            let mut out = Vec::new();
            canonicalize_record(&body, &head, false, &mut out).expect("jcs");
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&want)
            );
            let mut out = Vec::new();
            match (
                canonicalize_record(&body, &head, true, &mut out),
                find_unsafe_integer(&record),
            ) {
                (Ok(()), None) => assert_eq!(out, want),
                (Err(AuditError::Invalid(InvalidRecord::UnsafeInteger(p))), Some(want)) => {
                    assert_eq!(p, want);
                    strict_errors += 1;
                }
                (got, want) => panic!("{got:?} / {want:?} for {record}"),
            }
        }
        assert!(
            strict_errors > 100 && unsorted > 100,
            "{strict_errors} {unsorted}"
        );
    }

    #[test]
    fn entry_hash_is_rfc6962_leaf_hash() {
        // RFC 6962 leaf hash of the empty leaf: SHA-256(0x00).
        assert_eq!(
            hex(&entry_hash(b"")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
    }

    #[test]
    fn hex_round_trip_and_rejects() {
        let h = entry_hash(b"x");
        assert_eq!(parse_hex(&hex(&h)), Some(h));
        assert_eq!(parse_hex(&hex(&h).to_uppercase()), None);
        assert_eq!(parse_hex("00"), None);
        assert_eq!(short(&GENESIS_HASH), "0000…");
    }

    #[test]
    fn unsafe_integers_are_found() {
        let cases = [
            (json!({"a": 9007199254740992u64}), None),
            (json!({"a": 9007199254740993u64}), Some("/a")),
            (
                json!({"a": [1, {"b": -9007199254740993i64}]}),
                Some("/a/1/b"),
            ),
            (json!({"a": 1e300}), Some("/a")),
            (json!({"a": 1.5e300_f64 / 1e300}), None),
            (json!(18446744073709551615u64), Some("/")),
        ];
        for (v, want) in cases {
            assert_eq!(find_unsafe_integer(&v).as_deref(), want, "{v}");
        }
    }
}
