//! The strict parse's fast path: one pass over the (UTF-8 checked) text that builds the
//! `Value` directly, for the documents that are plainly acceptable.
//!
//! It answers only when it is sure: `Some(value)` is exactly what the serde_json path
//! (`parse_serde`) returns for the same bytes. Anything else — a syntax error, a duplicate
//! key, nesting past the limit, a string with a raw control character, a number that is not a
//! plain integer — is `None`, and the serde_json path decides (and words the error). So the
//! strictness rules live in one place and this path cannot accept more than they do.
//!
//! Why not serde_json alone: its visitor interface costs a dispatch per token and, for the
//! duplicate-key check, a lookup before and an insert after each member; here a member costs
//! one map search (`entry`), escape-free strings are copied straight out of the body, and
//! integers are read without the float machinery. On the 1 KB bench call
//! (`benches/args.rs`, `args/parse_strict_1kb`, callgrind, value dropped included) it took
//! the parse from 41,564 to 34,484 instructions (-17 %); the rest is mostly the allocations a
//! `Value` needs (a `String` per key and per string, the map nodes). Strings are then scanned
//! eight bytes at a time for their end, escapes and control characters in one pass (`special`),
//! instead of a `memchr2` per string plus a byte loop for control characters whenever the body
//! held a newline anywhere: 35,178 → 32,679 (2026-12-04, same session).

use serde_json::map::Entry;
use serde_json::{Map, Number, Value};

/// serde_json refuses nesting past 128 levels on its own; the fast path stays well below.
const MAX_FAST_DEPTH: usize = 100;

/// The value of `text`, or `None` when the serde_json path must decide.
pub(super) fn parse(text: &str, max_depth: usize) -> Option<Value> {
    let raw = text.as_bytes();
    let mut p = Fast {
        text,
        raw,
        i: 0,
        max_depth: max_depth.min(MAX_FAST_DEPTH),
    };
    let v = p.value(0)?;
    p.blanks();
    (p.i == raw.len()).then_some(v)
}

struct Fast<'a> {
    text: &'a str,
    raw: &'a [u8],
    /// The next byte to read.
    i: usize,
    max_depth: usize,
}

impl<'a> Fast<'a> {
    fn peek(&self) -> Option<u8> {
        self.raw.get(self.i).copied()
    }

    fn blanks(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// The value under the cursor (after blanks); `depth` is the nesting of its container.
    fn value(&mut self, depth: usize) -> Option<Value> {
        self.blanks();
        match self.peek()? {
            b'{' => self.object(depth + 1),
            b'[' => self.array(depth + 1),
            b'"' => self.string().map(Value::String),
            b'-' | b'0'..=b'9' => self.number().map(Value::Number),
            b't' => self.literal(b"true", Value::Bool(true)),
            b'f' => self.literal(b"false", Value::Bool(false)),
            b'n' => self.literal(b"null", Value::Null),
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8], v: Value) -> Option<Value> {
        if !self.raw[self.i..].starts_with(word) {
            return None;
        }
        self.i += word.len();
        Some(v)
    }

    /// Passes the `open` byte under the cursor and blanks: false when `close` follows at
    /// once (the container is empty, and passed).
    fn open(&mut self, close: u8, depth: usize) -> Option<bool> {
        if depth > self.max_depth {
            return None;
        }
        self.i += 1;
        self.blanks();
        if self.peek() == Some(close) {
            self.i += 1;
            return Some(false);
        }
        Some(true)
    }

    /// After a member or an element: true at `,` (another follows), false at `close`.
    fn next(&mut self, close: u8) -> Option<bool> {
        self.blanks();
        let b = self.peek()?;
        self.i += 1;
        match b {
            b',' => Some(true),
            b if b == close => Some(false),
            _ => None,
        }
    }

    fn object(&mut self, depth: usize) -> Option<Value> {
        let mut map = Map::new();
        let mut more = self.open(b'}', depth)?;
        while more {
            self.blanks();
            if self.peek() != Some(b'"') {
                return None;
            }
            let key = self.string()?;
            self.blanks();
            if self.peek() != Some(b':') {
                return None;
            }
            self.i += 1;
            match map.entry(key) {
                // A duplicate: the serde_json path refuses it (and names it).
                Entry::Occupied(_) => return None,
                Entry::Vacant(slot) => {
                    slot.insert(self.value(depth)?);
                }
            }
            more = self.next(b'}')?;
        }
        Some(Value::Object(map))
    }

    fn array(&mut self, depth: usize) -> Option<Value> {
        let mut items = Vec::new();
        let mut more = self.open(b']', depth)?;
        while more {
            items.push(self.value(depth)?);
            more = self.next(b']')?;
        }
        Some(Value::Array(items))
    }

    /// The string starting at the `"` under the cursor, decoded: copied out of the text when
    /// it has no escapes, decoded by serde_json when it has. A raw control character (which
    /// serde_json refuses) is `None`.
    fn string(&mut self) -> Option<String> {
        match self.string_text()? {
            Text::Plain(s) => Some(s.to_owned()),
            Text::Decoded(s) => Some(s),
        }
    }

    /// The string under the cursor as [`Fast::string`] reads it, borrowed from the text when it
    /// has no escapes.
    ///
    /// Inlined into its callers: as a call it cost ~75 instructions a string besides the
    /// scan of its words (the saves and restores of a frame, its constants, its answer through
    /// memory), on the 1 KB bench call's 57 strings (docs/performance.md, "Twenty-third round").
    #[inline(always)]
    fn string_text(&mut self) -> Option<Text<'a>> {
        let raw = self.raw;
        let start = self.i + 1;
        let mut j = start;
        let mut escaped = false;
        loop {
            j = special(raw, j);
            match raw.get(j)? {
                b'"' => break,
                // Skip the escaped byte (a `\"` is not the end); serde_json checks the escape.
                b'\\' => {
                    escaped = true;
                    j += 2;
                }
                _ => return None,
            }
        }
        self.i = j + 1;
        let text = self.text;
        if escaped {
            return serde_json::from_str::<String>(text.get(start - 1..=j)?)
                .ok()
                .map(Text::Decoded);
        }
        // Quotes are ASCII, so both ends are on char boundaries.
        text.get(start..j).map(Text::Plain)
    }

    /// The number under the cursor (JSON grammar). Integers that fit are read here (as
    /// serde_json reads them: `u64` when not negative, `i64` when negative and not zero);
    /// the others (fractions, exponents, `-0`, overflow) are read by serde_json alone.
    fn number(&mut self) -> Option<Number> {
        let raw = self.raw;
        let start = self.i;
        let digits = |i: &mut usize| {
            let from = *i;
            while raw.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i > from
        };
        let mut i = start;
        let negative = raw[i] == b'-';
        if negative {
            i += 1;
        }
        match raw.get(i)? {
            b'0' => i += 1,
            b'1'..=b'9' => {
                digits(&mut i);
            }
            _ => return None,
        }
        let int_end = i;
        if raw.get(i) == Some(&b'.') {
            i += 1;
            if !digits(&mut i) {
                return None;
            }
        }
        if let Some(b'e' | b'E') = raw.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = raw.get(i) {
                i += 1;
            }
            if !digits(&mut i) {
                return None;
            }
        }
        self.i = i;
        if int_end == i {
            let magnitude = &raw[start + usize::from(negative)..i];
            if let Some(u) = parse_u64(magnitude) {
                if !negative {
                    return Some(Number::from(u));
                }
                let neg = (u as i64).wrapping_neg();
                if neg < 0 {
                    return Some(Number::from(neg));
                }
            }
        }
        serde_json::from_str::<Number>(self.text.get(start..i)?).ok()
    }
}

/// A string of the text: borrowed when it has no escapes, decoded when it has.
enum Text<'a> {
    Plain(&'a str),
    Decoded(String),
}

impl Text<'_> {
    fn as_str(&self) -> &str {
        match self {
            Text::Plain(s) => s,
            Text::Decoded(s) => s,
        }
    }
}

/// Objects of more members than this are not parsed into a spare tree's object (built anew):
/// the duplicate check there keeps the members' slots in an array of this size.
const INTO_MEMBERS: usize = 32;

/// An object of at most this many members is parsed into an array of its members' slots
/// ([`Fast::object_into_slots`]); a larger one is searched by the map for each key.
const SLOT_MEMBERS: usize = 16;

/// [`parse`] into the allocations of `spare`, a tree a previous parse returned: true when
/// `spare` now holds the value [`parse`] would return for `text` (so the same value the
/// serde_json path returns); false when the caller must parse afresh (`spare`, partly
/// overwritten, is then to be dropped).
///
/// Every value of `text` is written into `spare` where it stands: an object's members into the
/// spare object's member of the same key (no key `String`, no map node allocated), a string
/// into the spare string's buffer when it fits, an array's elements into the spare's. An
/// object of `text` with a key the spare object lacks gives up (false): the spare is of
/// another shape, and the fresh parse decides. Keys the spare has and `text` does not are
/// removed. A key given twice is found by its slot's address, already filled (false: the fresh
/// parse refuses it and names it). What the strict parse refuses, this refuses (false), by
/// the same checks in the same places.
///
/// Why: a `serde_json::Value` needs an allocation per key, per string and per object, and
/// freeing the tree at the call's end walks it again; a worker parsing calls of one tool
/// parses the same shape each time (docs/performance.md, "Seventeenth round").
pub(super) fn parse_into(text: &str, max_depth: usize, spare: &mut Value) -> bool {
    let raw = text.as_bytes();
    let mut p = Fast {
        text,
        raw,
        i: 0,
        max_depth: max_depth.min(MAX_FAST_DEPTH),
    };
    if p.value_into(spare, 0).is_none() {
        return false;
    }
    p.blanks();
    p.i == raw.len()
}

impl Fast<'_> {
    /// [`Fast::value`] written into `slot`.
    fn value_into(&mut self, slot: &mut Value, depth: usize) -> Option<()> {
        self.blanks();
        match (self.peek()?, slot) {
            (b'{', Value::Object(map)) if map.len() <= INTO_MEMBERS => {
                self.object_into(map, depth + 1)
            }
            (b'[', Value::Array(items)) => self.array_into(items, depth + 1),
            (b'"', Value::String(s)) => self.string_into(s),
            // a number into a number: no other value dropped and built (`Fast::value`'s
            // dispatch and a `Value`'s drop were ~130 instructions a number)
            (b'-' | b'0'..=b'9', Value::Number(n)) => {
                *n = self.number()?;
                Some(())
            }
            (_, slot) => {
                *slot = self.value(depth)?;
                Some(())
            }
        }
    }

    /// The string under the cursor (its `"`) written into `s`: into its buffer when it fits.
    #[inline(always)]
    fn string_into(&mut self, s: &mut String) -> Option<()> {
        match self.string_text()? {
            Text::Plain(t) if s.capacity() >= t.len() && s.capacity() <= 2 * t.len() + 32 => {
                s.clear();
                s.push_str(t);
            }
            // a buffer too small, or much larger than needed (kept bounded by what it holds)
            Text::Plain(t) => *s = t.to_owned(),
            Text::Decoded(t) => *s = t,
        }
        Some(())
    }

    /// [`Fast::object`] written into `map` (see [`parse_into`]).
    fn object_into(
        &mut self,
        map: &mut serde_json::Map<String, Value>,
        depth: usize,
    ) -> Option<()> {
        if map.len() <= SLOT_MEMBERS {
            return self.object_into_slots(map, depth);
        }
        // the slots filled: their addresses (a slot does not move while no member is inserted
        // or removed), and a bit per address as a first look (the values of a map's node are
        // consecutive, so the bits of a small map's slots differ)
        let mut filled = [0usize; INTO_MEMBERS];
        let (mut count, mut bits) = (0usize, 0u64);
        let mut more = self.open(b'}', depth)?;
        while more {
            self.blanks();
            if self.peek() != Some(b'"') {
                return None;
            }
            let key = self.string_text()?;
            self.blanks();
            if self.peek() != Some(b':') {
                return None;
            }
            self.i += 1;
            // a key the spare lacks: another shape
            let slot = map.get_mut(key.as_str())?;
            let at = std::ptr::from_ref::<Value>(slot) as usize;
            let bit = 1u64 << ((at / std::mem::size_of::<Value>()) % 64);
            if bits & bit != 0 && filled[..count].contains(&at) {
                return None; // a duplicate
            }
            bits |= bit;
            *filled.get_mut(count)? = at;
            count += 1;
            self.value_into(slot, depth)?;
            more = self.next(b'}')?;
        }
        if count < map.len() {
            // the spare's members `text` does not have (no slot moved: nothing was inserted)
            let filled = &filled[..count];
            let gone: Vec<String> = map
                .iter()
                .filter(|(_, v)| !filled.contains(&(std::ptr::from_ref::<Value>(*v) as usize)))
                .map(|(k, _)| k.clone())
                .collect();
            for k in gone {
                map.remove(&k);
            }
        }
        Some(())
    }

    /// [`Fast::object_into`] for an object of at most [`SLOT_MEMBERS`] members: the map's
    /// members are taken out once into an array of (key, value) slots, in the map's order;
    /// each key of `text` is looked for among the slots not yet filled (its length first:
    /// [`same_bytes`]) and its slot taken. A key found in no open slot is one the spare lacks
    /// (another shape) or one given twice (a duplicate, whose slot was taken): either way the
    /// fresh parse decides (`None`), as before. The slots left open at the end are the spare's
    /// members `text` does not have.
    ///
    /// Why: the search went through the map's iterator from its first member for every key
    /// (the keys come in the document's order, the map's in key order), and kept each filled
    /// slot's address for the duplicate test: docs/performance.md, "Twenty-third round".
    fn object_into_slots(
        &mut self,
        map: &mut serde_json::Map<String, Value>,
        depth: usize,
    ) -> Option<()> {
        let mut slots: [Option<(&str, &mut Value)>; SLOT_MEMBERS] = Default::default();
        let mut open = 0usize;
        for (slot, (k, v)) in slots.iter_mut().zip(map.iter_mut()) {
            *slot = Some((k.as_str(), v));
            open += 1;
        }
        let slots = slots.get_mut(..open)?;
        let mut more = self.open(b'}', depth)?;
        while more {
            self.blanks();
            if self.peek() != Some(b'"') {
                return None;
            }
            let key = self.string_text()?;
            self.blanks();
            if self.peek() != Some(b':') {
                return None;
            }
            self.i += 1;
            let k = key.as_str().as_bytes();
            let (_, slot) = slots
                .iter_mut()
                .find(|s| s.as_ref().is_some_and(|(m, _)| same_bytes(m.as_bytes(), k)))?
                .take()?;
            open -= 1;
            // a string member into a string: here ([`Fast::value_into`]'s string case), not
            // through a call of `value_into` per member (its frame and dispatch)
            self.blanks();
            match (self.peek(), &mut *slot) {
                (Some(b'"'), Value::String(s)) => self.string_into(s)?,
                (_, slot) => self.value_into(slot, depth)?,
            }
            more = self.next(b'}')?;
        }
        if open > 0 {
            // the spare's members `text` does not have
            let gone: Vec<String> = slots
                .iter()
                .flatten()
                .map(|(k, _)| (*k).to_owned())
                .collect();
            for k in gone {
                map.remove(&k);
            }
        }
        Some(())
    }

    /// [`Fast::array`] written into `items`.
    fn array_into(&mut self, items: &mut Vec<Value>, depth: usize) -> Option<()> {
        let mut n = 0;
        let mut more = self.open(b']', depth)?;
        while more {
            match items.get_mut(n) {
                Some(slot) => self.value_into(slot, depth)?,
                None => items.push(self.value(depth)?),
            }
            n += 1;
            more = self.next(b']')?;
        }
        items.truncate(n);
        // bounded by what it holds
        if items.capacity() > 2 * n + 8 {
            items.shrink_to_fit();
        }
        Some(())
    }
}

/// The high bit of each byte of `w` that is `"`, `\\` or below 0x20. A byte's high bit is set
/// when it is zero (below 0x20 for the control test); a borrow only runs up from such a byte,
/// so the lowest flag is always a true one, and the lowest is the only one read.
#[inline]
fn special_flags(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let quote = w ^ (ONES * u64::from(b'"'));
    let slash = w ^ (ONES * u64::from(b'\\'));
    ((quote.wrapping_sub(ONES) & !quote)
        | (slash.wrapping_sub(ONES) & !slash)
        | (w.wrapping_sub(ONES * 0x20) & !w))
        & HIGH
}

/// The index of the first byte at or after `from` that is `"`, `\\` or below 0x20 (the end
/// of a string's plain run), or `raw.len()` when there is none.
///
/// Eight bytes at a time (the "has zero byte" bit trick): on the 1 KB bench call this scan
/// replaced a `memchr2` per string plus a byte loop for control characters, most strings
/// being a few words long (see the module's figures).
#[inline]
pub(super) fn special(raw: &[u8], from: usize) -> usize {
    let mut j = from;
    while let Some(chunk) = raw.get(j..j + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let hits = special_flags(u64::from_le_bytes(word));
        if hits != 0 {
            return j + (hits.trailing_zeros() / 8) as usize;
        }
        j += 8;
    }
    // The last bytes (fewer than eight) the same way, padded with blanks, which flag nothing:
    // one word instead of a loop of up to seven bytes (most strings are a few bytes past a
    // multiple of eight).
    if let Some(rest) = raw.get(j..).filter(|r| !r.is_empty()) {
        let mut word = [b' '; 8];
        word[..rest.len()].copy_from_slice(rest);
        let hits = special_flags(u64::from_le_bytes(word));
        if hits != 0 {
            return j + (hits.trailing_zeros() / 8) as usize;
        }
    }
    raw.len()
}

/// What a writer copying a string needs to know of it ([`scan_string`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scanned {
    /// A byte JSON escapes is in it (`"`, `\\` or below 0x20).
    pub escape: bool,
    /// It is ASCII (the canonical writers' key-order check: `canonical::KeyOrder`).
    pub ascii: bool,
}

/// What the compact writer ([`super::write::write_str`]) and the audit's canonical writer ask
/// of every string they copy, in one pass: whether a byte needs an escape, and whether it is
/// ASCII. Eight bytes at a time ([`special_flags`]); the last 1..7 bytes are the string's last
/// eight read again (overlapping the words already read), and a string shorter than a word is
/// read byte by byte. ([`special`]'s tail is padded into a word, which is a `memcpy` call per
/// string: ~65 of them per audited call and ~60 per encode of the bench call's arguments; and
/// the key-order check asked `is_ascii` of every key again: docs/performance.md "Fourteenth
/// round".)
pub(crate) fn scan_string(b: &[u8]) -> Scanned {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    if b.len() < 8 {
        // one word too: 4..7 bytes as two overlapping halves, 1..3 as the first, middle and
        // last bytes (every byte), the other lanes a plain ASCII byte — a byte loop cost ~8
        // instructions a byte, and most keys are this short (docs/performance.md, "Seventeenth
        // round"). A half that is not four bytes reads as zero: an escape, the slow path.
        let half = |w: &[u8]| <[u8; 4]>::try_from(w).map_or(0, u32::from_le_bytes);
        let n = b.len();
        let w = if n == 0 {
            return Scanned {
                escape: false,
                ascii: true,
            };
        } else if n >= 4 {
            u64::from(half(&b[..4])) | u64::from(half(&b[n - 4..])) << 32
        } else {
            // (n is 1..=3: the three indices are in the string)
            u64::from_le_bytes([b[0], b[n / 2], b[n - 1], b'a', b'a', b'a', b'a', b'a'])
        };
        return Scanned {
            escape: special_flags(w) != 0,
            ascii: w & HIGH == 0,
        };
    }
    // (every slice here is eight bytes; were one not, a zero word flags an escape: the slow
    // path, never a wrong answer)
    let word = |w: &[u8]| <[u8; 8]>::try_from(w).map_or(0, u64::from_le_bytes);
    let (mut flags, mut high) = (0u64, 0u64);
    let mut chunks = b.chunks_exact(8);
    for w in chunks.by_ref().map(word) {
        flags |= special_flags(w);
        high |= w;
    }
    if !chunks.remainder().is_empty() {
        let w = word(&b[b.len() - 8..]);
        flags |= special_flags(w);
        high |= w;
    }
    Scanned {
        escape: flags != 0,
        ascii: high & HIGH == 0,
    }
}

/// `a == b`, for a key: up to 16 bytes compared as (overlapping) words in place of a `memcmp`
/// call each (~20 instructions; a spare object's search compares a key with every member of
/// its length: docs/performance.md, "Twentieth round").
#[inline]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    // (every slice read here is in bounds: `n` is at least the width read; were one not, both
    // sides read as zero and `a == b` below is never reached wrongly: the lengths are equal and
    // the other word compared)
    let w4 = |s: &[u8], at: usize| {
        s.get(at..at + 4)
            .and_then(|w| <[u8; 4]>::try_from(w).ok())
            .map_or(0, u32::from_le_bytes)
    };
    let w8 = |s: &[u8], at: usize| {
        s.get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map_or(0, u64::from_le_bytes)
    };
    match n {
        0 => true,
        // the first, middle and last bytes: every byte of 1..=3
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => w4(a, 0) == w4(b, 0) && w4(a, n - 4) == w4(b, n - 4),
        8..=16 => w8(a, 0) == w8(b, 0) && w8(a, n - 8) == w8(b, n - 8),
        _ => a == b,
    }
}

/// Digits → u64, `None` on overflow (serde_json reads those as floats).
fn parse_u64(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

#[cfg(test)]
mod tests {
    /// The word comparison is `==`: every length to 24, equal, and differing in one byte at
    /// every position (by one bit, or a byte of another lane's value), and of other lengths.
    #[test]
    fn same_bytes_is_slice_equality() {
        for n in 0..=24usize {
            let a: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(super::same_bytes(&a, &a.clone()), "{n}");
            for at in 0..n {
                for flip in [1u8, 0x80, 0x20] {
                    let mut b = a.clone();
                    b[at] ^= flip;
                    assert_eq!(super::same_bytes(&a, &b), a == b, "{n} {at} {flip}");
                }
            }
            let mut longer = a.clone();
            longer.push(b'x');
            assert!(!super::same_bytes(&a, &longer));
            assert!(!super::same_bytes(&longer, &a));
        }
    }
}
