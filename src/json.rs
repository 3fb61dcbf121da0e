//! Strict JSON: one parse that refuses duplicate keys and excessive nesting.
//!
//! serde_json keeps the last of two equal keys; a lax upstream might keep the first. toolwall
//! refuses both so that what the upstream acts on is exactly what was decided on.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Why a body is not acceptable JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonErrorKind {
    InvalidUtf8,
    Syntax,
    DuplicateKey,
    TooDeep,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub kind: JsonErrorKind,
    pub message: String,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

const DUP_MARK: &str = "duplicate key ";
const DEPTH_MARK: &str = "nesting deeper than ";

/// Parse `bytes` as one JSON value; duplicate object keys and nesting deeper than `max_depth`
/// are errors.
pub fn parse_strict(bytes: &[u8], max_depth: usize) -> Result<Value, JsonError> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            return Err(JsonError {
                kind: JsonErrorKind::InvalidUtf8,
                message: format!("body is not valid UTF-8 (at byte {})", e.valid_up_to()),
            })
        }
    };
    if let Some(v) = fast::parse(text, max_depth) {
        return Ok(v);
    }
    // Everything the fast path does not take (errors, duplicates, deep nesting, numbers it
    // leaves to serde_json): serde_json decides, and words the error.
    parse_serde(bytes, max_depth)
}

/// [`parse_strict`], into the allocations of `spare` (a tree an earlier parse returned, which
/// nothing reads any more) when it has the document's shape: the same result, value for
/// value, as `parse_strict(bytes, max_depth)` — the spare's allocations are reused, never its
/// values (every value is overwritten, keys the document lacks removed). A spare of another
/// shape is dropped and the document parsed afresh.
pub fn parse_strict_into(
    bytes: &[u8],
    max_depth: usize,
    mut spare: Value,
) -> Result<Value, JsonError> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        if fast::parse_into(text, max_depth, &mut spare) {
            return Ok(spare);
        }
    }
    drop(spare);
    parse_strict(bytes, max_depth)
}

/// The reference parse: serde_json with a visitor that refuses duplicate keys and depth.
fn parse_serde(bytes: &[u8], max_depth: usize) -> Result<Value, JsonError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Seed {
        depth: 0,
        max_depth,
    }
    .deserialize(&mut de)
    .and_then(|v| de.end().map(|()| v))
    .map_err(|e| {
        let msg = e.to_string();
        let kind = if msg.starts_with(DUP_MARK) {
            JsonErrorKind::DuplicateKey
        } else if msg.starts_with(DEPTH_MARK) || msg.starts_with("recursion limit exceeded") {
            JsonErrorKind::TooDeep
        } else {
            JsonErrorKind::Syntax
        };
        JsonError { kind, message: msg }
    })?;
    Ok(value)
}

pub mod canonical;
mod fast;
pub(crate) use fast::scan_string;
pub mod write;

#[derive(Clone, Copy)]
struct Seed {
    depth: usize,
    max_depth: usize,
}

impl Seed {
    fn enter<E: de::Error>(self) -> Result<Seed, E> {
        let depth = self.depth + 1;
        if depth > self.max_depth {
            return Err(E::custom(format!("{DEPTH_MARK}{}", self.max_depth)));
        }
        Ok(Seed { depth, ..self })
    }
}

impl<'de> DeserializeSeed<'de> for Seed {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.enter()?;
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(v) = seq.next_element_seed(inner)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.enter()?;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!("{DUP_MARK}{key:?}")));
            }
            let v = map.next_value_seed(inner)?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(&[u8], Option<JsonErrorKind>)] = &[
            (br#"{"a":1,"b":[1,2,{"c":null}]}"#, None),
            (br#"{"a":1,"a":2}"#, Some(JsonErrorKind::DuplicateKey)),
            // the escaped spelling of the same key is the same key
            (
                br#"{"amount":1,"\u0061mount":2}"#,
                Some(JsonErrorKind::DuplicateKey),
            ),
            (br#"{"x":{"a":1,"a":1}}"#, Some(JsonErrorKind::DuplicateKey)),
            (br#"[[[[[1]]]]]"#, Some(JsonErrorKind::TooDeep)),
            (br#"[[[[1]]]]"#, None),
            (br#"{"a":1} trailing"#, Some(JsonErrorKind::Syntax)),
            (br#"{"a":1e400}"#, Some(JsonErrorKind::Syntax)),
            (b"{\"a\":\"\xff\"}", Some(JsonErrorKind::InvalidUtf8)),
            (br#"{'a':1}"#, Some(JsonErrorKind::Syntax)),
            (b"", Some(JsonErrorKind::Syntax)),
        ];
        for (input, want) in cases {
            let got = parse_strict(input, 4).err().map(|e| e.kind);
            assert_eq!(&got, want, "input {}", String::from_utf8_lossy(input));
        }
    }

    /// The fast path answers only what the serde_json path answers, value for value (floats
    /// compared by their bits via the text), on random documents and mutations of them.
    #[test]
    fn fast_path_agrees_with_serde_json() {
        let mut rng = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        const ATOMS: &[&str] = &[
            "0",
            "-0",
            "1",
            "-1",
            "12",
            "01",
            "-",
            "1.",
            "1.5",
            "-1.5e3",
            "1e400",
            "2E-2",
            "1e+2",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "9223372036854775808",
            "true",
            "false",
            "null",
            "nul",
            "\"\"",
            "\"a\"",
            "\"a b\"",
            "\"\\u0061\"",
            "\"\\ud800\"",
            "\"\\n\\\"x\"",
            "\"\\x\"",
            "\"\t\"",
            "\"é€\"",
            "\"\\/\"",
            "[]",
            "{}",
            "[ ]",
            "{ }",
        ];
        const KEYS: &[&str] = &[
            "\"a\"",
            "\"b\"",
            "\"\\u0061\"",
            "\"\"",
            "\"a\\\"\"",
            "\"ü\"",
        ];
        fn gen(next: &mut dyn FnMut() -> u64, depth: usize, out: &mut String) {
            let blank = |next: &mut dyn FnMut() -> u64, out: &mut String| {
                if next().is_multiple_of(5) {
                    out.push_str([" ", "\n", "\t ", "\r\n"][(next() % 4) as usize]);
                }
            };
            blank(next, out);
            match if depth > 6 { 0 } else { next() % 4 } {
                0 | 1 => out.push_str(ATOMS[(next() % ATOMS.len() as u64) as usize]),
                2 => {
                    out.push('[');
                    for i in 0..next() % 4 {
                        if i > 0 {
                            out.push(',');
                        }
                        gen(next, depth + 1, out);
                    }
                    out.push(']');
                }
                _ => {
                    out.push('{');
                    for i in 0..next() % 4 {
                        if i > 0 {
                            out.push(',');
                        }
                        blank(next, out);
                        out.push_str(KEYS[(next() % KEYS.len() as u64) as usize]);
                        blank(next, out);
                        out.push(':');
                        gen(next, depth + 1, out);
                    }
                    out.push('}');
                }
            }
            blank(next, out);
        }
        let (mut agreed, mut fast) = (0, 0);
        for round in 0..30_000u32 {
            let mut doc = String::new();
            gen(&mut next, 0, &mut doc);
            if round.is_multiple_of(3) && !doc.is_empty() {
                // a mutation: a byte removed, doubled or replaced by a JSON-significant one
                let mut b = doc.into_bytes();
                let at = (next() % b.len() as u64) as usize;
                match next() % 3 {
                    0 => {
                        b.remove(at);
                    }
                    1 => b.insert(at, b[at]),
                    _ => {
                        let set = b"{}[],:\"\\ 0-e.\x01";
                        b[at] = set[(next() % set.len() as u64) as usize];
                    }
                }
                doc = String::from_utf8_lossy(&b).into_owned();
            }
            let depth = 1 + (next() % 8) as usize;
            let reference = parse_serde(doc.as_bytes(), depth);
            match fast::parse(&doc, depth) {
                Some(v) => {
                    fast += 1;
                    let r = reference.unwrap_or_else(|e| panic!("fast took {doc:?}: {e}"));
                    assert_eq!(v, r, "{doc:?}");
                    assert_eq!(v.to_string(), r.to_string(), "{doc:?}");
                }
                None => agreed += usize::from(reference.is_err()),
            }
        }
        // both kinds are well represented
        assert!(
            fast > 10_000 && agreed > 5_000,
            "fast {fast}, refused {agreed}"
        );
    }

    /// The plain-run scan (`fast::special`) against its definition, at every offset of random
    /// buffers rich in the bytes it looks for and in their neighbours.
    #[test]
    fn special_finds_the_first_quote_backslash_or_control() {
        let mut rng = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        const BYTES: &[u8] = b"\x00\x01\x1f !\"#[\\]a\x7f\x80\xc3\xa9\xff\x21\x5b\x5d\x3f";
        for _ in 0..20_000 {
            let len = (next() % 40) as usize;
            let buf: Vec<u8> = (0..len)
                .map(|_| {
                    if next() % 4 == 0 {
                        BYTES[(next() % BYTES.len() as u64) as usize]
                    } else {
                        b'a' + (next() % 26) as u8
                    }
                })
                .collect();
            for from in 0..=len {
                let want = (from..len)
                    .find(|&i| matches!(buf[i], b'"' | b'\\' | 0..=0x1f))
                    .unwrap_or(len);
                assert_eq!(fast::special(&buf, from), want, "{buf:?} from {from}");
            }
        }
    }

    #[test]
    fn the_escape_check_agrees_with_the_byte_definition() {
        // (the overlapping last word: lengths 8..=17 put an escape in it, before it and in both)
        let slow = |b: &[u8]| b.iter().any(|&c| c < 0x20 || c == b'"' || c == b'\\');
        // every byte value at every position of strings up to 17 bytes, among plain bytes
        // next to the boundaries (0x1f/0x20, 0x21/0x22/0x23, 0x5b/0x5c/0x5d, 0x7f, 0x80, 0xff)
        for len in 0..=17 {
            for pos in 0..len {
                for byte in 0..=255u8 {
                    for fill in [b'a', 0x20, 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0xff] {
                        let mut v = vec![fill; len];
                        v[pos] = byte;
                        let scanned = fast::scan_string(&v);
                        assert_eq!(scanned.escape, slow(&v), "{v:?}");
                        assert_eq!(scanned.ascii, v.is_ascii(), "{v:?}");
                    }
                }
            }
        }
        assert_eq!(
            fast::scan_string(b""),
            fast::Scanned {
                escape: false,
                ascii: true
            }
        );
    }

    /// Strings with each byte the scan treats specially (and its neighbours) at each position
    /// of the first words: the fast path answers what serde_json answers, or leaves it.
    #[test]
    fn strings_agree_with_serde_json_at_every_position() {
        let fills: &[&str] = &[
            "\\\"",
            "\\\\",
            "\\n",
            "\\u0041",
            "\\ud83d\\ude00",
            "\\ud800",
            "\\udc00x",
            "\"",
            "\\",
            "\u{0}",
            "\u{1f}",
            "\t",
            "\n",
            " ",
            "!",
            "#",
            "[",
            "]",
            "\u{7f}",
            "é",
            "€",
            "😀",
            "\\x",
            "\\u12",
            "\\",
        ];
        let (mut fast_some, mut both_err) = (0, 0);
        for fill in fills {
            for at in 0..20 {
                for tail in 0..12 {
                    let s = format!("{}{fill}{}", "a".repeat(at), "b".repeat(tail));
                    for doc in [
                        format!("\"{s}\""),
                        format!("{{\"{s}\":1,\"k\":\"{s}\"}}"),
                        format!("[\"{s}\"]"),
                    ] {
                        let reference = parse_serde(doc.as_bytes(), 8);
                        match fast::parse(&doc, 8) {
                            Some(v) => {
                                fast_some += 1;
                                let r =
                                    reference.unwrap_or_else(|e| panic!("fast took {doc:?}: {e}"));
                                assert_eq!(v, r, "{doc:?}");
                            }
                            None => both_err += usize::from(reference.is_err()),
                        }
                        assert_eq!(
                            parse_strict(doc.as_bytes(), 8).map_err(|e| e.kind),
                            parse_serde(doc.as_bytes(), 8).map_err(|e| e.kind),
                            "{doc:?}"
                        );
                    }
                }
            }
        }
        assert!(
            fast_some > 10_000 && both_err > 3_000,
            "{fast_some} {both_err}"
        );
    }

    /// The writer is `serde_json::to_vec`, byte for byte: on the random documents of the
    /// differential test above and on strings holding every byte that may need an escape.
    #[test]
    fn writer_matches_serde_json() {
        let mut checked = 0;
        let mut check = |v: &Value| {
            let mut out = Vec::new();
            write::write_value(&mut out, v);
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&serde_json::to_vec(v).expect("encode")),
            );
            checked += 1;
        };
        for c in 0u32..0x250 {
            let ch = char::from_u32(c).expect("a char");
            for at in 0..10 {
                let s = format!("{}{ch}{}", "x".repeat(at), "y".repeat(9 - at));
                check(&Value::String(s.clone()));
                check(&serde_json::json!({ s.clone(): [s, 1] }));
            }
        }
        // every length around the writer's eight-byte words, plain and with one byte to
        // escape at each place (the word boundaries, the overlapping last word, short strings)
        for len in 0..=26 {
            let plain = "abcdefghijklmnopqrstuvwxyz"[..len].to_string();
            check(&Value::String(plain.clone()));
            check(&serde_json::json!({ plain.clone(): [plain.clone(), "é"] }));
            for at in 0..len {
                for special in ['"', '\\', '\n', '\u{1f}'] {
                    let mut s = plain.clone();
                    s.replace_range(at..at + 1, &special.to_string());
                    check(&Value::String(s.clone()));
                    check(&serde_json::json!({ s.clone(): [s, plain.clone()] }));
                }
            }
        }
        for text in [
            "0",
            "-0",
            "1.5",
            "-1.5e3",
            "2E-2",
            "1e300",
            "18446744073709551615",
            "-9223372036854775808",
            "123456789.123456789",
            "5e-324",
            "[]",
            "{}",
            "[[],{}]",
            "{\"a\":null,\"b\":true,\"c\":false,\"\":[1,\"\\u0000\"]}",
            "\"\\u2028\\ud83d\\ude00\"",
        ] {
            check(&parse_serde(text.as_bytes(), 8).expect(text));
        }
        let mut rng = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..5_000 {
            let depth = (next(&mut rng) % 4) as usize;
            check(&random_value(&mut rng, depth));
        }
        assert!(checked > 10_000, "{checked}");
    }

    /// The checked writer writes the plain writer's bytes, and says they are canonical exactly
    /// when they are the audit's strict canonical form (`canonicalize_strict`): the audit
    /// record shares them only then. Random documents (floats, integers beyond ±2^53,
    /// escapes, non-ASCII keys) and the awkward cases by name.
    #[test]
    fn canonical_check_says_when_the_bytes_are_the_audits() {
        use crate::audit::canonical::canonicalize_strict;
        let (mut same, mut different) = (0, 0);
        let mut check = |v: &Value| {
            let (mut plain, mut checked) = (Vec::new(), Vec::new());
            write::write_value(&mut plain, v);
            let canonical = write::write_value_canonical(&mut checked, v);
            assert_eq!(plain, checked, "{v}");
            let audit = canonicalize_strict(v).ok();
            if canonical {
                assert_eq!(audit.as_deref(), Some(&checked[..]), "{v}");
                same += 1;
            } else {
                different += 1;
            }
            canonical
        };
        let parsed = |text: &str| parse_strict(text.as_bytes(), 8).expect(text);
        for (text, canonical) in [
            (r#"{"amount":4200,"charge":"ch_1","note":"x"}"#, true),
            // escapes, U+2028, '/', DEL and non-ASCII text are spelled alike
            (
                "{\"a\":\"tab\\tq\\\"uote\\\\ \\u0001 \\u2028 / \u{7f} é€😀\"}",
                true,
            ),
            (r#"{"é":1,"ü":{"€":[1,-2,null,true]}}"#, true),
            // code point order is not UTF-16 order: U+E000 sorts after U+1F600 in UTF-16
            ("{\"\u{e000}\":1,\"😀\":2}", false),
            (r#"{"a":{"b":{"\ue000":1,"😀":2}}}"#, false),
            (r#"{"n":1.0}"#, false),
            (r#"{"n":-0}"#, false),
            (r#"{"n":-0.0}"#, false),
            (r#"{"n":0.5}"#, false),
            (r#"{"n":1e21}"#, false),
            (r#"[1e300]"#, false),
            (r#"{"n":9007199254740992,"m":-9007199254740992}"#, true),
            (r#"{"n":9007199254740993}"#, false),
            (r#"{"n":-9007199254740993}"#, false),
            (r#"{"n":18446744073709551615}"#, false),
            (r#"[1,"a",{"b":null},[]]"#, true),
            (r#""[EMAIL_ADDRESS]""#, true),
        ] {
            assert_eq!(check(&parsed(text)), canonical, "{text}");
        }
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        for i in 0..5_000 {
            let depth = (next(&mut rng) % 4) as usize;
            let mut v = random_value(&mut rng, depth);
            if i % 3 == 0 {
                // a pair of keys whose code point and UTF-16 orders differ, somewhere
                let key = ["\u{e000}", "😀", "\u{ffff}", "\u{10000}", "é"][i % 5];
                v = serde_json::json!({ key: v, "\u{fb33}": i });
            }
            check(&v);
        }
        assert!(same > 1_000 && different > 1_000, "{same} {different}");
    }

    /// The tests' xorshift generator: the next value of `rng`.
    fn next(rng: &mut u64) -> u64 {
        *rng ^= *rng << 13;
        *rng ^= *rng >> 7;
        *rng ^= *rng << 17;
        *rng
    }

    fn random_value(rng: &mut u64, depth: usize) -> Value {
        const STRS: &[&str] = &[
            "",
            "a",
            "plain text here",
            "tab\there",
            "quo\"te",
            "back\\slash",
            "é€😀",
            "\u{1}\u{1f}\u{7f}",
        ];
        let pick = |rng: &mut u64| STRS[(next(rng) % STRS.len() as u64) as usize];
        match next(rng) % if depth == 0 { 5 } else { 7 } {
            0 => Value::Null,
            1 => Value::Bool(next(rng).is_multiple_of(2)),
            2 => {
                let shift = next(rng) % 64;
                Value::from((next(rng) as i64) >> shift)
            }
            3 => serde_json::Number::from_f64(f64::from_bits(next(rng)))
                .map_or(Value::Null, Value::Number),
            4 => {
                let times = (next(rng) % 3) as usize;
                Value::String(pick(rng).repeat(times))
            }
            5 => {
                let n = next(rng) % 5;
                Value::Array((0..n).map(|_| random_value(rng, depth - 1)).collect())
            }
            _ => {
                let n = next(rng) % 5;
                let mut m = Map::new();
                for i in 0..n {
                    let k = format!("{}{i}", pick(rng));
                    m.insert(k, random_value(rng, depth - 1));
                }
                Value::Object(m)
            }
        }
    }

    /// A document of a shape drawn from `shape` (containers, member counts, keys) with leaves
    /// drawn from `leaf` (atoms, blanks, strings of any length): two documents of one shape
    /// seed and two leaf seeds have the same objects' keys, mostly.
    fn shaped(shape: &mut u64, leaf: &mut u64, depth: usize, out: &mut String) {
        let next = |rng: &mut u64| {
            *rng ^= *rng << 13;
            *rng ^= *rng >> 7;
            *rng ^= *rng << 17;
            *rng
        };
        const ATOMS: &[&str] = &[
            "0",
            "-1",
            "12",
            "1.5",
            "-1.5e3",
            "1e400",
            "18446744073709551616",
            "true",
            "false",
            "null",
            "\"\"",
            "\"a\"",
            "\"é€\"",
            "\"\\u0061\"",
            "\"\\n\\\"x\"",
            "\"\t\"",
            "[]",
            "{}",
            "01",
            "nul",
        ];
        const KEYS: &[&str] = &[
            "\"a\"",
            "\"b\"",
            "\"\\u0061\"",
            "\"\"",
            "\"a\\\"\"",
            "\"ü\"",
            "\"c\"",
            "\"d\"",
        ];
        if next(leaf).is_multiple_of(7) {
            out.push_str([" ", "\n", "\t "][(next(leaf) % 3) as usize]);
        }
        match if depth > 5 { 0 } else { next(shape) % 4 } {
            0 | 1 => match next(leaf) % 3 {
                0 => {
                    // a plain string of any length (a spare buffer too small, fitting, too large)
                    let n = [0, 1, 5, 8, 17, 40, 100][(next(leaf) % 7) as usize];
                    out.push('"');
                    out.extend(std::iter::repeat_n('x', n));
                    out.push('"');
                }
                _ => out.push_str(ATOMS[(next(leaf) % ATOMS.len() as u64) as usize]),
            },
            2 => {
                out.push('[');
                // arrays' lengths are leaves: longer and shorter than the spare's
                for i in 0..next(leaf) % 5 {
                    if i > 0 {
                        out.push(',');
                    }
                    shaped(shape, leaf, depth + 1, out);
                }
                out.push(']');
            }
            _ => {
                out.push('{');
                // up to four of the keys below; or `k0`, `k1`, …: 40 of them (more than a
                // spare object's slots) or 6 to 18 (around the slots' number, sometimes with
                // a key given twice, and the last one or two left out)
                let (n, twice) = if next(shape).is_multiple_of(13) {
                    (40, u64::MAX)
                } else if next(shape).is_multiple_of(6) {
                    (6 + next(shape) % 13, next(shape) % 24)
                } else {
                    (next(shape) % 5, u64::MAX)
                };
                let n = if n > 5 && next(leaf).is_multiple_of(5) {
                    n - 1 - next(leaf) % 2
                } else {
                    n
                };
                for i in 0..n {
                    if i > 0 {
                        out.push(',');
                    }
                    if n > 5 {
                        let k = if i == twice { 0 } else { i };
                        out.push_str(&format!("\"k{k}\""));
                    } else {
                        out.push_str(KEYS[(next(shape) % KEYS.len() as u64) as usize]);
                    }
                    out.push(':');
                    shaped(shape, leaf, depth + 1, out);
                }
                out.push('}');
            }
        }
    }

    /// Parsing into a spare tree is parsing afresh: the same value, or the same refusal (kind
    /// and message), for documents of the spare's shape, of a shape near it (members added or
    /// left out, arrays longer and shorter, a scalar where a container was), of another shape
    /// and mutated; and a spare of the document's shape is reused (not parsed afresh).
    #[test]
    fn parsing_into_a_spare_is_parsing_afresh() {
        let mut rng = 0x1234_5678_9ABC_DEF1u64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let (mut reused, mut afresh, mut refused) = (0, 0, 0);
        for round in 0..40_000u32 {
            let shape = next() | 1;
            let other = if round % 4 == 0 { next() | 1 } else { shape };
            let (mut s1, mut l1) = (shape, next() | 1);
            let (mut s2, mut l2) = (other, next() | 1);
            let (mut a, mut b) = (String::new(), String::new());
            shaped(&mut s1, &mut l1, 0, &mut a);
            shaped(&mut s2, &mut l2, 0, &mut b);
            if round % 5 == 0 && !b.is_empty() {
                // a mutation of the document: a byte removed, doubled or replaced
                let mut bytes = b.into_bytes();
                let at = (next() % bytes.len() as u64) as usize;
                match next() % 3 {
                    0 => {
                        bytes.remove(at);
                    }
                    1 => bytes.insert(at, bytes[at]),
                    _ => {
                        let set = b"{}[],:\"\\ 0-e.\x01";
                        bytes[at] = set[(next() % set.len() as u64) as usize];
                    }
                }
                b = String::from_utf8_lossy(&bytes).into_owned();
            }
            let depth = 2 + (next() % 6) as usize;
            // the spare: the other document's tree (as a call's arguments would be)
            let Ok(spare) = parse_strict(a.as_bytes(), 16) else {
                continue;
            };
            let want = parse_strict(b.as_bytes(), depth);
            let mut probe = spare.clone();
            let took = fast::parse_into(&b, depth, &mut probe);
            let got = parse_strict_into(b.as_bytes(), depth, spare);
            match (&got, &want) {
                (Ok(g), Ok(w)) => {
                    assert_eq!(g, w, "{a:?} into {b:?}");
                    assert_eq!(g.to_string(), w.to_string(), "{a:?} into {b:?}");
                    if took {
                        assert_eq!(&probe, w);
                        reused += 1;
                    } else {
                        afresh += 1;
                    }
                }
                (Err(g), Err(w)) => {
                    assert!(!took, "{a:?} into {b:?}");
                    assert_eq!(g, w, "{a:?} into {b:?}");
                    refused += 1;
                }
                _ => panic!("{a:?} into {b:?}: {got:?} against {want:?}"),
            }
        }
        assert!(
            reused > 10_000 && afresh > 60 && refused > 3_000,
            "reused {reused}, afresh {afresh}, refused {refused}"
        );
    }

    #[test]
    fn parsing_into_a_spare_table() {
        let into = |spare: &str, doc: &str| {
            let spare: Value = serde_json::from_str(spare).expect("spare");
            let mut probe = spare.clone();
            let took = fast::parse_into(doc, 8, &mut probe);
            (took, parse_strict_into(doc.as_bytes(), 8, spare))
        };
        // the same keys: reused; members the document lacks removed
        let (took, v) = into(
            r#"{"a":"xyz","b":[1,2,3],"c":{"d":1}}"#,
            r#"{"b":[4],"a":"q"}"#,
        );
        assert!(took);
        assert_eq!(v, Ok(serde_json::json!({"a": "q", "b": [4]})));
        // a key the spare lacks: parsed afresh
        let (took, v) = into(r#"{"a":1}"#, r#"{"a":2,"z":3}"#);
        assert!(!took);
        assert_eq!(v, Ok(serde_json::json!({"a": 2, "z": 3})));
        // a duplicate, spelled alike or escaped: refused as the fresh parse refuses it
        for doc in [
            r#"{"a":1,"a":2}"#,
            r#"{"a":1,"\u0061":2}"#,
            r#"{"b":{"a":1,"a":1}}"#,
        ] {
            let (took, v) = into(r#"{"a":0,"b":{"a":0,"c":0}}"#, doc);
            assert!(!took, "{doc}");
            assert_eq!(
                v.map_err(|e| e.kind),
                Err(JsonErrorKind::DuplicateKey),
                "{doc}"
            );
        }
        // too deep, as afresh
        let (took, v) = into(r#"{"a":[[[[[[[[1]]]]]]]]}"#, r#"{"a":[[[[[[[[2]]]]]]]]}"#);
        assert!(!took);
        assert_eq!(v.map_err(|e| e.kind), Err(JsonErrorKind::TooDeep));
        // an object of more members than the slots' array: built afresh inside the spare
        let big = (0..40)
            .map(|i| format!("\"k{i}\":{i}"))
            .collect::<Vec<_>>()
            .join(",");
        let (took, v) = into(
            &format!("{{\"o\":{{{big}}}}}"),
            &format!("{{\"o\":{{{big}}}}}"),
        );
        assert!(took);
        assert_eq!(v.map(|v| v["o"].as_object().map(Map::len)), Ok(Some(40)));
    }

    /// A spare's buffers stay about the size of what they hold: a long string or array parsed
    /// into before is not kept at its size under a short one.
    #[test]
    fn a_spare_holds_about_what_it_was_last_parsed_from() {
        let long = "x".repeat(100_000);
        let mut spare = serde_json::json!({"s": long, "a": vec![1; 10_000]});
        assert!(fast::parse_into(r#"{"s":"y","a":[1]}"#, 8, &mut spare));
        let (Some(Value::String(s)), Some(Value::Array(a))) = (spare.get("s"), spare.get("a"))
        else {
            panic!("{spare}");
        };
        assert_eq!((s.as_str(), a.len()), ("y", 1));
        assert!(
            s.capacity() <= 2 + 32 && a.capacity() <= 2 + 8,
            "{} {}",
            s.capacity(),
            a.capacity()
        );
        // a buffer that fits is reused as it is
        let mut spare = serde_json::json!({"s": "abcdef"});
        let before = spare["s"].as_str().map(str::as_ptr);
        assert!(fast::parse_into(r#"{"s":"ghijk"}"#, 8, &mut spare));
        assert_eq!(spare["s"].as_str().map(str::as_ptr), before);
    }

    #[test]
    fn deep_nesting_is_refused_before_serde_recursion_limit() {
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        let err = parse_strict(deep.as_bytes(), 32).unwrap_err();
        assert_eq!(err.kind, JsonErrorKind::TooDeep);
        assert!(err.message.contains("32"), "{}", err.message);
    }
}
