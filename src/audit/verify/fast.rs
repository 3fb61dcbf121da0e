//! The verifier's fast path: decide straight from a line's bytes that it is an RFC 8785
//! canonical JSON object within the audit rules, and read the fields every record has.
//!
//! The reference check parses the line into a `serde_json::Value`, re-serialises it with
//! [`canonicalize`](super::super::canonical::canonicalize) and compares the bytes: about
//! 20 µs for a 1 KB decision record, most of it allocating and dropping the tree. This scanner
//! walks the bytes once without allocating and accepts only what is certainly canonical:
//! anything it is unsure of (an escape other than JCS's, a key with escapes, a float, deep
//! nesting, …) makes it answer `None`, and the caller runs the reference check on that line,
//! so every error, and its reason, is exactly the reference's. What it accepts the reference
//! accepts too (checked against it on generated documents in the tests below).
//!
//! Measured (`audit verify` of a 100k-record stream of ~1 KB decision records, release build):
//! see docs/audit.md.

use std::cmp::Ordering;

use super::super::canonical::{canonicalize, is_unsafe_number, parse_hex, Hash, MAX_SAFE_INTEGER};

/// Deeper lines go to the reference check (serde_json stops at 128 levels).
const MAX_DEPTH: u32 = 100;

/// The fields every record has, read from a line the scanner found canonical.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Head<'a> {
    pub seq: u64,
    pub prev: Hash,
    pub kind: &'a str,
    pub ts: &'a str,
}

/// `Some` when `line` is certainly a canonical JSON object in the audit rules (no integer
/// beyond ±2^53) whose `seq` is an integer and whose `prev`, `kind`, `ts` are strings without
/// escapes (`prev` 64 lower-case hex digits); `None` when the reference check must decide.
pub(super) fn scan(line: &[u8]) -> Option<Head<'_>> {
    let text = std::str::from_utf8(line).ok()?;
    let mut s = Scanner {
        b: line,
        text,
        i: 0,
        top: Fields::default(),
    };
    s.object(1)?;
    if s.i != line.len() {
        return None;
    }
    let Fields {
        seq,
        prev,
        kind,
        ts,
    } = s.top;
    Some(Head {
        seq: seq?,
        prev: parse_hex(prev?)?,
        kind: kind?,
        ts: ts?,
    })
}

#[derive(Default)]
struct Fields<'a> {
    seq: Option<u64>,
    prev: Option<&'a str>,
    kind: Option<&'a str>,
    ts: Option<&'a str>,
}

struct Scanner<'a> {
    b: &'a [u8],
    /// The same bytes, known to be UTF-8.
    text: &'a str,
    i: usize,
    top: Fields<'a>,
}

/// What a value was, for the top-level fields.
enum Scalar<'a> {
    /// A string without escapes (its contents).
    Plain(&'a str),
    /// A non-negative integer in the safe range.
    Unsigned(u64),
    Other,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    fn value(&mut self, depth: u32) -> Option<Scalar<'a>> {
        match self.peek()? {
            b'{' => self.object(depth + 1).map(|()| Scalar::Other),
            b'[' => self.array(depth + 1).map(|()| Scalar::Other),
            b'"' => Some(match self.string()? {
                (s, false) => Scalar::Plain(s),
                (_, true) => Scalar::Other,
            }),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number(),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<Scalar<'a>> {
        let end = self.i.checked_add(word.len())?;
        (self.b.get(self.i..end)? == word).then(|| {
            self.i = end;
            Scalar::Other
        })
    }

    fn object(&mut self, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.eat(b'{')?;
        if self.eat(b'}').is_some() {
            return Some(());
        }
        let mut last: Option<&'a str> = None;
        loop {
            let (key, escaped) = self.string()?;
            if escaped {
                // Its order is by the unescaped text: the reference decides.
                return None;
            }
            if let Some(prev) = last {
                // Members strictly ascending by UTF-16 code units (no duplicates).
                if utf16_cmp(prev, key) != Ordering::Less {
                    return None;
                }
            }
            last = Some(key);
            self.eat(b':')?;
            let v = self.value(depth)?;
            if depth == 1 {
                match (key, v) {
                    ("seq", Scalar::Unsigned(n)) => self.top.seq = Some(n),
                    ("prev", Scalar::Plain(s)) => self.top.prev = Some(s),
                    ("kind", Scalar::Plain(s)) => self.top.kind = Some(s),
                    ("ts", Scalar::Plain(s)) => self.top.ts = Some(s),
                    ("seq" | "prev" | "kind" | "ts", _) => return None,
                    _ => {}
                }
            }
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.eat(b'[')?;
        if self.eat(b']').is_some() {
            return Some(());
        }
        loop {
            self.value(depth)?;
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A string as JCS writes it: raw UTF-8 except `\" \\ \b \f \n \r \t` and `\u00xx`
    /// (lower-case) for the other control characters. Its contents and whether it had escapes.
    fn string(&mut self) -> Option<(&'a str, bool)> {
        self.eat(b'"')?;
        let start = self.i;
        let mut escaped = false;
        loop {
            let c = self.peek()?;
            match c {
                b'"' => {
                    let s = self.text.get(start..self.i)?;
                    self.i += 1;
                    return Some((s, escaped));
                }
                b'\\' => {
                    escaped = true;
                    let e = *self.b.get(self.i + 1)?;
                    match e {
                        b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 2,
                        b'u' => {
                            let hex = self.b.get(self.i + 2..self.i + 6)?;
                            let (b'0', b'0', hi, lo) = (hex[0], hex[1], hex[2], hex[3]) else {
                                return None;
                            };
                            let code = lower_hex(hi)? << 4 | lower_hex(lo)?;
                            // Only controls without a short escape are written as \u00xx.
                            if code >= 0x20 || matches!(code, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d) {
                                return None;
                            }
                            self.i += 6;
                        }
                        _ => return None,
                    }
                }
                0x00..=0x1f => return None,
                _ => self.i += 1,
            }
        }
    }

    /// An integer in the safe range as JCS prints it; any other number token is handed to the
    /// reference serializer (parsed as serde_json parses it, printed as JCS does).
    fn number(&mut self) -> Option<Scalar<'a>> {
        let start = self.i;
        let negative = self.eat(b'-').is_some();
        let digits = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        if self.i == digits {
            return None;
        }
        let int_end = self.i;
        if matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
            self.i += 1;
            while matches!(self.peek(), Some(b'0'..=b'9' | b'+' | b'-' | b'e' | b'E')) {
                self.i += 1;
            }
            let token = self.b.get(start..self.i)?;
            return self.float(token).then_some(Scalar::Other);
        }
        let int = self.b.get(digits..int_end)?;
        if int.len() > 16 || (int.len() > 1 && int[0] == b'0') {
            return None;
        }
        let n = int.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
        if n > MAX_SAFE_INTEGER || (negative && n == 0) {
            return None;
        }
        Some(if negative {
            Scalar::Other
        } else {
            Scalar::Unsigned(n)
        })
    }

    /// A number token with a fraction or exponent: canonical when serde_json reads it as a
    /// number the audit rules allow and JCS prints it back as the same bytes.
    fn float(&self, token: &[u8]) -> bool {
        match serde_json::from_slice::<serde_json::Value>(token) {
            Ok(v @ serde_json::Value::Number(_)) => {
                let safe = v.as_number().is_some_and(|n| !is_unsafe_number(n));
                safe && canonicalize(&v).is_ok_and(|c| c == token)
            }
            _ => false,
        }
    }
}

fn lower_hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

fn utf16_cmp(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a.cmp(b);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::super::super::canonical::{canonicalize, find_unsafe_integer};
    use super::*;

    /// What the reference check says of a line: canonical, within the audit rules.
    fn reference(line: &[u8]) -> bool {
        match serde_json::from_slice::<Value>(line) {
            Ok(v @ Value::Object(_)) => {
                find_unsafe_integer(&v).is_none() && canonicalize(&v).is_ok_and(|c| c == line)
            }
            _ => false,
        }
    }

    fn record(extra: Value) -> Value {
        let mut r = json!({
            "seq": 7, "prev": "ab".repeat(32), "kind": "decision",
            "ts": "2026-11-21T10:00:00.123Z",
        });
        if let (Some(m), Value::Object(e)) = (r.as_object_mut(), extra) {
            m.extend(e);
        }
        r
    }

    #[test]
    fn accepts_canonical_records_and_reads_their_head() {
        let r = record(json!({
            "args": {"a": [1, -2, 0.5, 1e-7, 1.5e-300, "x\u{1}\n\"\\", null, true, false],
                     "é": {"\u{10000}": 1, "\u{e000}": 2}, "z": {}},
            "latency_us": 87, "cost_usd": 0.002,
        }));
        let line = canonicalize(&r).unwrap_or_default();
        let head = scan(&line);
        assert_eq!(
            head,
            Some(Head {
                seq: 7,
                prev: [0xab; 32],
                kind: "decision",
                ts: "2026-11-21T10:00:00.123Z"
            })
        );
        assert!(reference(&line));
    }

    #[test]
    fn leaves_everything_doubtful_to_the_reference() {
        let base = String::from_utf8(canonicalize(&record(json!({"a": 1}))).unwrap_or_default())
            .unwrap_or_default();
        let cases = [
            base.replace("\"a\":1", "\"a\":1.0"),
            base.replace("\"a\":1", "\"a\":01"),
            base.replace("\"a\":1", "\"a\":-0"),
            base.replace("\"a\":1", "\"a\":9007199254740993"),
            base.replace("\"a\":1", "\"a\":1E2"),
            base.replace("\"a\":1", "\"a\":1e400"),
            base.replace("\"a\":1", "\"a\": 1"),
            base.replace("\"a\":1", "\"a\":\"\\u0041\""),
            base.replace("\"a\":1", "\"a\":\"\\/\""),
            base.replace("\"a\":1", "\"a\":\"\\u000A\""),
            base.replace("\"a\":1", "\"a\":\"\\u000a\""),
            base.replace("\"a\":1", "\"a\":1,\"a\":1"),
            base.replace("\"a\":1", "\"b\":1,\"a\":1"),
            base.replace("\"a\":1", "\"\\u0001\":1"),
            base.replace("\"seq\":7", "\"seq\":-7"),
            base.replace("\"seq\":7", "\"seq\":\"7\""),
            base.replace("\"kind\":\"decision\"", "\"kind\":\"deci\\nsion\""),
            base.replace("\"prev\":\"ab", "\"prev\":\"AB"),
            format!("{base} "),
            format!("[{base}]"),
            base.replace('}', ""),
            "{\"a\":\u{1}}".to_string(),
        ];
        for case in &cases {
            assert_eq!(scan(case.as_bytes()), None, "{case}");
        }
        let deep = format!("{}1{}", "[".repeat(120), "]".repeat(120));
        let deep = base.replace("\"a\":1", &format!("\"a\":{deep}"));
        assert_eq!(scan(deep.as_bytes()), None);
    }

    /// On generated documents and byte-level mutations of them, whatever the scanner accepts
    /// the reference accepts.
    #[test]
    fn never_accepts_what_the_reference_refuses() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        const CHARS: &[&str] = &[
            "a",
            "Z",
            "é",
            "\u{1}",
            "\n",
            "\"",
            "\\",
            "/",
            "\u{7f}",
            "\u{2028}",
            "\u{10000}",
            "\u{e000}",
            " ",
            "0",
        ];
        const BYTES: &[u8] = b"{}[]:,\"\\-+.0123456789eEunlt \x01abfr/";
        fn gen(next: &mut dyn FnMut() -> u64, depth: u32) -> Value {
            let pick = next() % if depth > 3 { 5 } else { 7 };
            let text = |next: &mut dyn FnMut() -> u64| {
                (0..next() % 4)
                    .map(|_| CHARS[(next() % CHARS.len() as u64) as usize])
                    .collect::<String>()
            };
            match pick {
                0 => Value::Null,
                1 => Value::Bool(next().is_multiple_of(2)),
                2 => match next() % 4 {
                    0 => json!((next() % (1 << 54)) as i64 - (1 << 53)),
                    1 => json!((next() % 1000) as f64 / 8.0),
                    2 => json!(f64::from_bits(next() >> 2)),
                    _ => json!(next() % 100),
                },
                3 | 4 => Value::String(text(next)),
                5 => Value::Array((0..next() % 4).map(|_| gen(next, depth + 1)).collect()),
                _ => Value::Object(
                    (0..next() % 4)
                        .map(|_| (text(next), gen(next, depth + 1)))
                        .collect(),
                ),
            }
        }
        let (mut accepted, mut fast) = (0, 0);
        for _ in 0..3000 {
            let body = gen(&mut next, 1);
            let line = canonicalize(&record(json!({"body": body}))).unwrap_or_default();
            if scan(&line).is_some() {
                fast += 1;
                assert!(reference(&line), "{}", String::from_utf8_lossy(&line));
            }
            for _ in 0..8 {
                let mut m = line.clone();
                let at = (next() % m.len() as u64) as usize;
                let b = BYTES[(next() % BYTES.len() as u64) as usize];
                match next() % 3 {
                    0 => m[at] = b,
                    1 => m.insert(at, b),
                    _ => {
                        m.remove(at);
                    }
                }
                if scan(&m).is_some() {
                    accepted += 1;
                    assert!(reference(&m), "{}", String::from_utf8_lossy(&m));
                }
            }
        }
        assert!(accepted > 0);
        // most generated records take the fast path (the others have escaped keys)
        assert!(fast > 1500, "{fast} of 3000");
    }
}
