//! The input document as the VM sees it: a regorus value converted from the JSON document, with
//! the parts that repeat from call to call converted once per worker thread and policy version
//! and reused while they stay equal: `input.principal` and `input.tool` (up to `MAX_PARTS` of
//! each, the last one used checked first, without hashing), and the last value of every other
//! top-level field but `input.args` (`input.now`, `input.pii`, `input.request`, …).
//!
//! A remembered part is reused only when the call's part is equal to the one it was converted
//! from (compared in full, not just by hash), so the VM always sees exactly what
//! `to_rego(input)` gives. The memo belongs to the worker's VM, which a new policy version (every
//! reload compiles one, config reloads included) replaces.
//!
//! The top-level object itself is kept too, one per set of fields: regorus stores an object as
//! a sorted slice, and the next document with the same fields overwrites its values in place
//! instead of building a sorted map and copying it (the VM's reference to the previous document
//! is dropped first; were it still held, regorus would copy the object before writing).
//!
//! `input.args` is converted whole unless the policy can only read named fields of it
//! ([`reads`]): then only those fields are converted — what the policy can observe is
//! the same, and a 1 KB call with a policy that reads two of its fields skips most of the work.
//! Likewise the top-level fields no source names (`input.request` with its headers, when no
//! rule reads it) are left out, by the same scan.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use regorus::Value;
use serde_json::Value as J;

use super::to_rego;

/// Most principals and tools remembered per worker thread (each kind); when full, it starts over.
pub(super) const MAX_PARTS: usize = 256;

/// The top-level fields of the input document (PRODUCT.md §5), their keys converted once.
pub(crate) const FIELDS: [&str; 12] = [
    "approval",
    "args",
    "grpc",
    "mcp",
    "mode",
    "now",
    "pii",
    "principal",
    "request",
    "tool",
    "usage",
    "v",
];

/// A part of the input document that repeats from call to call (`input.principal`,
/// `input.tool`), built once by the caller and shared: its value and its canonical bytes (RFC
/// 8785, as the audit record writes it). It never changes once built, so the same allocation
/// (`Arc::ptr_eq`) is the same value: the memo skips comparing it, and the audit record copies
/// its bytes instead of writing it again.
#[derive(Debug)]
pub struct Shared {
    value: J,
    /// `None` when the audit format cannot hold it (an integer beyond ±2^53): written the
    /// usual way then (and refused there).
    canonical: Option<Box<[u8]>>,
}

impl Shared {
    pub fn new(value: J) -> Arc<Shared> {
        let canonical = crate::audit::canonical::canonicalize_strict(&value)
            .ok()
            .map(Vec::into_boxed_slice);
        Arc::new(Shared { value, canonical })
    }

    pub fn value(&self) -> &J {
        &self.value
    }

    /// The value's canonical bytes (`canonicalize_strict`), when it has them.
    pub fn canonical(&self) -> Option<&[u8]> {
        self.canonical.as_deref()
    }
}

/// The shared parts an input document was built with. The contract: `input.principal` (and
/// `input.tool`, `input.now`) of the document handed over with these is a copy of
/// `principal.value()` (and `tool.value()`, `now.value()`), unchanged since — what
/// `stage::policy::Input::build_known` gives.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub principal: Option<Arc<Shared>>,
    pub tool: Option<Arc<Shared>>,
    pub now: Option<Arc<Shared>>,
}

impl Known {
    /// The shared part the document's top-level member `name` is a copy of.
    pub fn part(&self, name: &str) -> Option<&Arc<Shared>> {
        match name {
            "principal" => self.principal.as_ref(),
            "tool" => self.tool.as_ref(),
            "now" => self.now.as_ref(),
            _ => None,
        }
    }
}

/// Converted parts by the hash of their JSON, and the hash of the last one used: a call with
/// the same part as the call before it is checked against that entry alone (one comparison, no
/// hashing). `shared`: the last [`Shared`] part seen and its conversion (held, so its address
/// cannot be reused by another while it is remembered): the same one again is not compared.
#[derive(Default)]
struct Parts {
    map: HashMap<u64, (J, Value), BuildHasherDefault<PassThrough>>,
    last: Option<u64>,
    shared: Option<(Arc<Shared>, Value)>,
}

/// Most shapes (sets of top-level fields) of input documents remembered per worker thread.
const MAX_SHAPES: usize = 8;

#[derive(Default)]
pub(super) struct Memo {
    keys: Vec<Value>,
    principals: Parts,
    tools: Parts,
    /// `input.now` when it is a shared part: the last one seen and its conversion.
    now: Option<(Arc<Shared>, Value)>,
    /// The last value of each other field but `args` (`input.now`, `input.pii`, `input.v`,
    /// …), with its conversion: reused while the next call's is equal.
    last: [Option<(J, Value)>; FIELDS.len()],
    /// The last document built for each set of top-level fields (bit `i`: `FIELDS[i]`
    /// present): the next one with the same fields overwrites its values in place (regorus
    /// keeps a built object as a sorted slice; rebuilding it is a sorted map, then a copy).
    shapes: Vec<(u16, Value)>,
}

/// `k`'s index in [`FIELDS`]: the candidate told by its length and first byte, then its bytes
/// compared as words ([`same_short`]). A `match` on the strings compared `k` with each field of
/// its length by a `memcmp` call (12 keys a document, in the memo and in
/// `stage::policy::fits`; docs/performance.md, "Twenty-fifth round"). Pinned to
/// `field_index_by_match` by `tests::field_index_is_the_match_on_the_strings`.
pub(crate) fn field_index(k: &str) -> Option<usize> {
    let b = k.as_bytes();
    let (i, field) = match (b.len(), b.first()) {
        (8, Some(b'a')) => (0, "approval"),
        (4, Some(b'a')) => (1, "args"),
        (4, Some(b'g')) => (2, "grpc"),
        (3, Some(b'm')) => (3, "mcp"),
        (4, Some(b'm')) => (4, "mode"),
        (3, Some(b'n')) => (5, "now"),
        (3, Some(b'p')) => (6, "pii"),
        (9, Some(b'p')) => (7, "principal"),
        (7, Some(b'r')) => (8, "request"),
        (4, Some(b't')) => (9, "tool"),
        (5, Some(b'u')) => (10, "usage"),
        (1, Some(b'v')) => (11, "v"),
        _ => return None,
    };
    same_short(b, field.as_bytes()).then_some(i)
}

/// `a == b` without a `memcmp` call for slices of up to 16 bytes: two overlapping words (of 8
/// or 4 bytes) from each end, or the bytes themselves below 4; longer ones compared as slices.
#[inline(always)]
pub(crate) fn same_short(a: &[u8], b: &[u8]) -> bool {
    fn w64(s: &[u8], at: usize) -> u64 {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_le_bytes(w)
    }
    fn w32(s: &[u8], at: usize) -> u32 {
        let mut w = [0u8; 4];
        w.copy_from_slice(&s[at..at + 4]);
        u32::from_le_bytes(w)
    }
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => w32(a, 0) == w32(b, 0) && w32(a, n - 4) == w32(b, n - 4),
        8..=16 => w64(a, 0) == w64(b, 0) && w64(a, n - 8) == w64(b, n - 8),
        _ => a == b,
    }
}

/// [`field_index`] as it was: a `match` on the strings (the reference its tests compare with).
#[cfg(test)]
fn field_index_by_match(k: &str) -> Option<usize> {
    Some(match k {
        "approval" => 0,
        "args" => 1,
        "grpc" => 2,
        "mcp" => 3,
        "mode" => 4,
        "now" => 5,
        "pii" => 6,
        "principal" => 7,
        "request" => 8,
        "tool" => 9,
        "usage" => 10,
        "v" => 11,
        _ => return None,
    })
}

impl Memo {
    /// `to_rego(input)`, reusing the parts converted before; `input.args` reduced to `fields`
    /// when the policy reads only those ([`reads`]).
    /// With `top`, the top-level fields the policy can read ([`reads`]), the others are left out.
    /// `known`: the shared parts `input` was built with ([`Known`]'s contract).
    pub(super) fn input(
        &mut self,
        input: &J,
        readable: Option<&[(String, Value)]>,
        top: Option<&[String]>,
        known: &Known,
    ) -> Value {
        let J::Object(fields) = input else {
            return to_rego(input);
        };
        if self.keys.is_empty() {
            self.keys = FIELDS.iter().map(|k| Value::from(*k)).collect();
        }
        // the fields of FIELDS the policy can read (bit `i`: `FIELDS[i]`)
        let can_read = match top {
            None => u16::MAX,
            Some(t) => t
                .iter()
                .filter_map(|n| field_index(n))
                .fold(0, |m, i| m | (1 << i)),
        };
        let mut values: [Option<Value>; FIELDS.len()] = Default::default();
        let mut shape = 0u16;
        let mut others = BTreeMap::new();
        for (k, v) in fields {
            let index = field_index(k);
            let kept = match (index, top) {
                (Some(i), _) => can_read & (1 << i) != 0,
                (None, None) => true,
                (None, Some(t)) => t.binary_search_by(|n| n.as_str().cmp(k)).is_ok(),
            };
            if !kept {
                continue;
            }
            // by `index` (`Some(i)` exactly when `k` is `FIELDS[i]`): the strings compared
            // again cost a `memcmp` call each
            let value = match index {
                Some(7) => remembered(&mut self.principals, v, known.principal.as_ref()),
                Some(9) => remembered(&mut self.tools, v, known.tool.as_ref()),
                Some(5) if known.now.is_some() => {
                    remembered_shared(&mut self.now, v, known.now.as_ref())
                }
                Some(1) => match (readable, v) {
                    (Some(readable), J::Object(args)) => {
                        let mut kept = BTreeMap::new();
                        for (name, key) in readable {
                            if let Some(x) = args.get(name) {
                                kept.insert(key.clone(), to_rego(x));
                            }
                        }
                        Value::from(kept)
                    }
                    _ => to_rego(v),
                },
                _ => match index {
                    Some(i) => match &self.last[i] {
                        Some((j, r)) if j == v => r.clone(),
                        _ => {
                            let r = to_rego(v);
                            self.last[i] = Some((v.clone(), r.clone()));
                            r
                        }
                    },
                    None => to_rego(v),
                },
            };
            match index {
                Some(i) => {
                    values[i] = Some(value);
                    shape |= 1 << i;
                }
                None => {
                    others.insert(Value::from(k.as_str()), value);
                }
            }
        }
        let only_known = others.is_empty();
        if only_known {
            if let Some(doc) = self.reuse(shape, &mut values) {
                return doc;
            }
        }
        for (i, v) in values.into_iter().enumerate() {
            if let Some(v) = v {
                others.insert(self.keys[i].clone(), v);
            }
        }
        let doc = Value::from(others);
        if only_known {
            if self.shapes.len() >= MAX_SHAPES {
                self.shapes.clear();
            }
            self.shapes.push((shape, doc.clone()));
        }
        doc
    }

    /// The document of this `shape` built before, its values replaced by `values` (in place
    /// when nothing else holds it: the VM's reference to the previous input is dropped before
    /// each call). `None` when there is none; `values` are then left as they were.
    fn reuse(&mut self, shape: u16, values: &mut [Option<Value>]) -> Option<Value> {
        let (_, doc) = self.shapes.iter_mut().find(|(s, _)| *s == shape)?;
        let obj = doc.as_object_mut().ok()?;
        // exactly the shape's keys, in order (as built; checked, not assumed), and which of
        // the values in place are not already the call's (the same allocation: a remembered
        // part's conversion, `input.principal`, `input.tool`, … — nothing to write; each
        // write is a binary search of the keys, ~350 instructions)
        let mut expected = (0..FIELDS.len()).filter(|i| shape & (1 << i) != 0);
        let mut stale = 0u16;
        let exact = obj.len() == shape.count_ones() as usize
            && obj.iter().all(|(k, v)| {
                expected.next().is_some_and(|i| {
                    let key = same(k, &self.keys[i]) || *k == self.keys[i];
                    if key && !values[i].as_ref().is_some_and(|n| same(n, v)) {
                        stale |= 1 << i;
                    }
                    key
                })
            });
        if !exact {
            return None;
        }
        for (i, v) in values.iter_mut().enumerate() {
            if let Some(v) = v.take() {
                if stale & (1 << i) == 0 {
                    continue;
                }
                if let Some(slot) = obj.get_mut(&self.keys[i]) {
                    *slot = v;
                }
            }
        }
        Some(doc.clone())
    }

    #[cfg(test)]
    pub(super) fn sizes(&self) -> (usize, usize) {
        (self.principals.map.len(), self.tools.map.len())
    }
}

/// `a` and `b` are the same value because they are the same allocation (or the same scalar
/// without one): `false` says nothing.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) | (Value::Undefined, Value::Undefined) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::String(x), Value::String(y)) => std::ptr::eq(&**x, &**y),
        (Value::Array(x), Value::Array(y)) => std::ptr::eq(&**x, &**y),
        (Value::Set(x), Value::Set(y)) => std::ptr::eq(&**x, &**y),
        (Value::Object(x), Value::Object(y)) => std::ptr::eq(&**x, &**y),
        _ => false,
    }
}

/// [`reads`]'s `args` alone.
#[cfg(test)]
pub(super) fn args_fields<'a>(sources: impl IntoIterator<Item = &'a str>) -> Option<Vec<String>> {
    reads(sources)?.args
}

/// What [`reads`] found.
pub(super) struct Reads {
    /// The top-level fields named (`input.request`, `input["tool"]`), sorted.
    pub top: Vec<String>,
    /// The `input.args` fields named, sorted; `None` when `input.args` is also used otherwise.
    pub args: Option<Vec<String>>,
}

/// What the policy sources can read of the input document: the top-level fields they name and,
/// when that is all they do with `input.args`, the `input.args` fields they name; `None` when
/// the scan cannot tell (every field is then converted).
///
/// A scan of the source text, conservative by construction: every `input` token (not part of a
/// longer identifier) must be followed by `.name` or `["name"]`, which is kept as a top-level
/// field; anything else — `input` used as a value (`x := input`, `walk(input, …)`,
/// `object.keys(input)`), whitespace inside the reference, an `import input` alias, `with input
/// as` — gives `None`. When the name is `args`, one more `.name` or `["name"]` is kept as an
/// `input.args` field; `input.args` used otherwise (`some k, v in input.args`,
/// `object.get(input.args, …)`, a computed key `input.args[k]`) keeps all of it (`args: None`).
/// Comments and strings are scanned like code: a mention there can only add a field or turn the
/// reduction off, never hide a read.
pub(super) fn reads<'a>(sources: impl IntoIterator<Item = &'a str>) -> Option<Reads> {
    let mut top = std::collections::BTreeSet::new();
    let mut fields = std::collections::BTreeSet::new();
    let mut whole_args = false;
    for text in sources {
        let b = text.as_bytes();
        let mut from = 0;
        while let Some(at) = text[from..].find("input") {
            let i = from + at;
            from = i + 5;
            let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
            if (i > 0 && ident(b[i - 1])) || b.get(i + 5).is_some_and(|c| ident(*c)) {
                continue; // `user_input`, `inputs`
            }
            let (first, rest) = segment(&b[i + 5..])?;
            top.insert(String::from_utf8(first.to_vec()).ok()?);
            if first != b"args" {
                continue;
            }
            match segment(rest) {
                Some((field, _)) => {
                    fields.insert(String::from_utf8(field.to_vec()).ok()?);
                }
                None => whole_args = true,
            }
        }
    }
    Some(Reads {
        top: top.into_iter().collect(),
        args: (!whole_args).then(|| fields.into_iter().collect()),
    })
}

/// `.name` or `["name"]` at the start of `b`: the name and what follows; `None` for anything
/// else (including a name with an escape in it).
fn segment(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let ident = |c: &u8| c.is_ascii_alphanumeric() || *c == b'_';
    match b {
        [b'.', rest @ ..] => {
            let n = rest.iter().take_while(|c| ident(c)).count();
            (n > 0).then(|| rest.split_at(n))
        }
        [b'[', b'"', rest @ ..] => {
            let n = rest.iter().position(|c| *c == b'"')?;
            let (name, after) = rest.split_at(n);
            if name.is_empty() || name.contains(&b'\\') || after.get(1) != Some(&b']') {
                return None;
            }
            Some((name, &after[2..]))
        }
        _ => None,
    }
}

/// The converted value of `v`, from `parts` when an equal one was converted before. With
/// `shared` (`v` is a copy of its value), the last shared part's conversion when it is the same
/// one (no comparison: ~0.5k instructions per part and call, "Ninth round" in
/// docs/performance.md).
fn remembered(parts: &mut Parts, v: &J, shared: Option<&Arc<Shared>>) -> Value {
    let Some(shared) = shared else {
        return remembered_equal(parts, v);
    };
    debug_assert!(shared.value == *v, "a shared part is the document's");
    if let Some((held, r)) = &parts.shared {
        if Arc::ptr_eq(held, shared) {
            return r.clone();
        }
    }
    let r = remembered_equal(parts, v);
    parts.shared = Some((shared.clone(), r.clone()));
    r
}

/// `v`'s conversion when it is a copy of `shared` (a part that changes with the clock's
/// second, `input.now`): the last shared part's conversion when it is the same one (no
/// comparison), else converted and remembered in its place.
fn remembered_shared(
    last: &mut Option<(Arc<Shared>, Value)>,
    v: &J,
    shared: Option<&Arc<Shared>>,
) -> Value {
    let Some(shared) = shared else {
        return to_rego(v);
    };
    debug_assert!(shared.value == *v, "a shared part is the document's");
    if let Some((held, r)) = last {
        if Arc::ptr_eq(held, shared) {
            return r.clone();
        }
    }
    let r = to_rego(v);
    *last = Some((shared.clone(), r.clone()));
    r
}

/// [`remembered`] by comparing the value.
fn remembered_equal(parts: &mut Parts, v: &J) -> Value {
    if let Some((j, r)) = parts.last.and_then(|k| parts.map.get(&k)) {
        if j == v {
            return r.clone();
        }
    }
    let mut h = Fx::default();
    hash(v, &mut h);
    let key = h.finish();
    parts.last = Some(key);
    if let Some((j, r)) = parts.map.get(&key) {
        if j == v {
            return r.clone();
        }
    }
    let r = to_rego(v);
    if parts.map.len() >= MAX_PARTS {
        parts.map.clear();
    }
    parts.map.insert(key, (v.clone(), r.clone()));
    r
}

fn hash(v: &J, h: &mut Fx) {
    match v {
        J::Null => h.write_u8(0),
        J::Bool(b) => h.write_u8(1 + u8::from(*b)),
        J::Number(n) => {
            h.write_u8(3);
            if let Some(i) = n.as_i64() {
                h.write_u64(i as u64);
            } else if let Some(u) = n.as_u64() {
                h.write_u64(u);
            } else {
                h.write_u64(n.as_f64().map(f64::to_bits).unwrap_or(0));
            }
        }
        J::String(s) => {
            h.write_u8(4);
            h.write(s.as_bytes());
        }
        J::Array(a) => {
            h.write_u8(5);
            h.write_usize(a.len());
            a.iter().for_each(|i| hash(i, h));
        }
        J::Object(m) => {
            h.write_u8(6);
            h.write_usize(m.len());
            for (k, i) in m {
                h.write(k.as_bytes());
                hash(i, h);
            }
        }
    }
}

/// A word-at-a-time multiplicative hash (the rustc "Fx" hash): a few instructions per 8 bytes,
/// where SipHash costs ~10x more on these short strings. Collisions only cost a conversion:
/// a hit is compared in full.
#[derive(Default)]
struct Fx(u64);

impl Fx {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// The map's keys are already hashes.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = i;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(agent: &str, risk: J, unix: i64) -> J {
        json!({
            "v": 1,
            "principal": {"agent": agent, "tenant": "acme", "claims": {"sub": agent}},
            "tool": {"name": "t", "adapter": "a", "kind": "http", "read_only": false, "risk": risk},
            "args": {"amount": 5, "nested": [1, {"x": null}]},
            "now": {"unix": unix, "rfc3339": "x", "weekday": "Mon", "hour_utc": 1},
            "mode": "enforce",
            "extra_field": true,
        })
    }

    #[test]
    fn same_value_as_a_full_conversion() {
        let mut memo = Memo::default();
        for (agent, risk, unix) in [
            ("a", json!({"financial": true}), 1),
            ("a", json!({"financial": true}), 1),
            ("b", json!({"financial": true}), 1),
            ("a", json!({"financial": false}), 2),
            ("a", json!({"financial": true}), 2),
            ("a", json!(null), 2),
        ] {
            let doc = input(agent, risk, unix);
            assert_eq!(
                memo.input(&doc, None, None, &Known::default()),
                to_rego(&doc),
                "{doc}"
            );
        }
        assert_eq!(
            memo.input(&json!([1, "x"]), None, None, &Known::default()),
            to_rego(&json!([1, "x"]))
        );
    }

    #[test]
    fn a_reused_document_is_never_changed_under_its_holder() {
        let mut memo = Memo::default();
        let first = input("a", json!({"financial": true}), 1);
        let held = memo.input(&first, None, None, &Known::default());
        // same fields, other values: the kept document is written again, but `held` shares it,
        // so it must be copied first
        let mut second = input("b", json!(null), 2);
        second["args"] = json!({"amount": 7});
        second["pii"] = json!({"found": ["email"]});
        assert_eq!(
            memo.input(&second, None, None, &Known::default()),
            to_rego(&second)
        );
        assert_eq!(held, to_rego(&first));
        drop(held);
        // nothing holds it now: written in place, and still exactly the conversion
        assert_eq!(
            memo.input(&first, None, None, &Known::default()),
            to_rego(&first)
        );
    }

    #[test]
    fn documents_of_other_shapes_and_unknown_fields_convert_exactly() {
        let mut memo = Memo::default();
        let top = [
            "args".to_string(),
            "extra_field".to_string(),
            "tool".to_string(),
        ];
        let mut docs = Vec::new();
        for i in 0..(2 * MAX_SHAPES + 3) {
            let mut doc = input(&format!("a{}", i % 3), json!({"n": i % 2}), 1);
            let o = doc.as_object_mut().expect("object");
            // a different set of top-level fields on most rounds
            for (bit, field) in ["approval", "grpc", "mcp", "usage"].iter().enumerate() {
                if i & (1 << bit) != 0 {
                    o.insert(field.to_string(), json!({"i": i}));
                }
            }
            if i % 5 == 0 {
                o.remove("extra_field");
            }
            docs.push(doc);
        }
        for doc in docs.iter().chain(docs.iter().rev()) {
            assert_eq!(
                memo.input(doc, None, None, &Known::default()),
                to_rego(doc),
                "{doc}"
            );
            // with `top`: exactly the named fields, known or not
            let mut want = serde_json::Map::new();
            for (k, v) in doc.as_object().expect("object") {
                if top.contains(k) {
                    want.insert(k.clone(), v.clone());
                }
            }
            assert_eq!(
                memo.input(doc, None, Some(&top), &Known::default()),
                to_rego(&J::Object(want)),
                "{doc}"
            );
            assert!(memo.shapes.len() <= MAX_SHAPES);
        }
    }

    /// The document of a shape written again in place leaves a value where it is only when
    /// it is the call's own (the same allocation): calls whose shared parts stay, come back
    /// or change, whose `pii` and `v` repeat or not, whose `args` change every time, some
    /// documents held across the next call — each exactly the full conversion.
    #[test]
    fn values_left_in_place_are_the_calls_own() {
        let shared = |doc: &J, k: &str| Some(Shared::new(doc[k].clone()));
        let mut memo = Memo::default();
        let top = ["args", "now", "pii", "principal", "tool", "v"].map(String::from);
        let parts: Vec<(J, Known)> = (0..3)
            .map(|i| {
                let mut doc = input(&format!("a{i}"), json!({"financial": i != 1}), i);
                // known fields only: the document of the shape is kept and written again
                doc.as_object_mut().map(|o| o.remove("extra_field"));
                let known = Known {
                    principal: shared(&doc, "principal"),
                    tool: shared(&doc, "tool"),
                    now: shared(&doc, "now"),
                };
                (doc, known)
            })
            .collect();
        let mut held = Vec::new();
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        for call in 0..400u64 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let (base, known) = &parts[(rng % 7 % 3) as usize];
            let mut doc = base.clone();
            doc["args"] = json!({"amount": call, "k": [call % 3]});
            doc["pii"] =
                json!({"found": if rng.is_multiple_of(5) { json!(["email"]) } else { json!([]) }});
            if rng.is_multiple_of(11) {
                doc["v"] = json!(2);
            }
            let want = to_rego(&doc);
            let mut only = serde_json::Map::new();
            for (k, v) in doc.as_object().expect("object") {
                if top.contains(k) {
                    only.insert(k.clone(), v.clone());
                }
            }
            let (a, b) = (
                memo.input(&doc, None, None, known),
                memo.input(&doc, None, Some(&top), known),
            );
            assert_eq!(a, want, "{doc}");
            assert_eq!(b, to_rego(&J::Object(only)), "{doc}");
            if rng.is_multiple_of(4) {
                held.push((a, want));
            }
        }
        for (doc, want) in held {
            assert_eq!(doc, want);
        }
    }

    #[test]
    fn field_index_is_the_match_on_the_strings() {
        let mut keys: Vec<String> = vec![String::new(), "x".into(), "argss".into(), "é".into()];
        for f in FIELDS {
            let b = f.as_bytes();
            keys.push(f.to_string());
            keys.push(f[..f.len() - 1].to_string());
            keys.push(f[1..].to_string());
            keys.push(format!("{f}s"));
            keys.push(format!("{f}\0"));
            keys.push(format!("_{f}"));
            keys.push(f.to_uppercase());
            for at in 0..b.len() {
                for bit in 0..7 {
                    let mut c = b.to_vec();
                    c[at] ^= 1 << bit;
                    keys.push(String::from_utf8_lossy(&c).into_owned());
                }
            }
        }
        for other in FIELDS {
            for f in FIELDS {
                keys.push(format!("{}{}", &f[..1], &other[other.len().min(1)..]));
            }
        }
        let mut found = 0;
        for k in &keys {
            assert_eq!(field_index(k), field_index_by_match(k), "{k:?}");
            found += usize::from(field_index(k).is_some());
        }
        assert!(found >= FIELDS.len(), "{found}");
    }

    /// `same_short` is `==` on byte slices of every length to 40, equal or differing in one
    /// byte anywhere (each end of the overlapping words among them) or in length.
    #[test]
    fn same_short_is_slice_equality() {
        let mut x = 0x1234_5678_9abc_def1_u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let (mut same, mut differ) = (0, 0);
        for n in 0..=40usize {
            for _ in 0..40 {
                let a: Vec<u8> = (0..n).map(|_| next() as u8).collect();
                let mut cases = vec![a.clone()];
                for at in 0..n {
                    let mut b = a.clone();
                    b[at] ^= 1 << (next() % 8);
                    cases.push(b);
                }
                let mut longer = a.clone();
                longer.push(a.first().copied().unwrap_or(0));
                cases.push(longer);
                if n > 0 {
                    cases.push(a[..n - 1].to_vec());
                }
                for b in &cases {
                    let want = a == *b;
                    assert_eq!(same_short(&a, b), want, "{a:?} {b:?}");
                    assert_eq!(same_short(b, &a), want, "{b:?} {a:?}");
                    if want {
                        same += 1;
                    } else {
                        differ += 1;
                    }
                }
            }
        }
        assert!(same > 1_000 && differ > 10_000, "{same} {differ}");
    }

    #[test]
    fn field_index_is_the_place_in_fields() {
        for (i, f) in FIELDS.iter().enumerate() {
            assert_eq!(field_index(f), Some(i));
        }
        assert!(FIELDS.windows(2).all(|w| w[0] < w[1]), "sorted");
        assert_eq!(field_index("argss"), None);
    }

    #[test]
    fn shared_parts_are_recognised_by_identity_and_convert_exactly() {
        let shared = |doc: &J, k: &str| Some(Shared::new(doc[k].clone()));
        let mut memo = Memo::default();
        let a = input("a", json!({"financial": true}), 1);
        let known_a = Known {
            principal: shared(&a, "principal"),
            tool: shared(&a, "tool"),
            now: shared(&a, "now"),
        };
        // first seen, then the same parts again (recognised without comparing)
        for _ in 0..3 {
            assert_eq!(memo.input(&a, None, None, &known_a), to_rego(&a));
        }
        // a reload: a new tool part with another risk, the principal's part kept
        let mut b = input("a", json!({"financial": false}), 1);
        b["now"]["unix"] = json!(2);
        let known_b = Known {
            principal: known_a.principal.clone(),
            tool: shared(&b, "tool"),
            now: shared(&b, "now"),
        };
        assert_eq!(memo.input(&b, None, None, &known_b), to_rego(&b));
        // equal parts built again (another allocation), and none at all
        let known_a2 = Known {
            principal: shared(&a, "principal"),
            tool: shared(&a, "tool"),
            now: shared(&a, "now"),
        };
        assert_eq!(memo.input(&a, None, None, &known_a2), to_rego(&a));
        assert_eq!(memo.input(&b, None, None, &Known::default()), to_rego(&b));
        assert_eq!(memo.input(&a, None, None, &known_a), to_rego(&a));
        // the canonical bytes are the audit's
        let tool = Shared::new(a["tool"].clone());
        assert_eq!(
            tool.canonical(),
            crate::audit::canonical::canonicalize_strict(&a["tool"])
                .ok()
                .as_deref()
        );
        let big = Shared::new(json!({"n": 9_007_199_254_740_993u64}));
        assert_eq!(big.canonical(), None);
    }

    #[test]
    fn a_hash_collision_is_not_a_hit() {
        let mut parts = Parts::default();
        let a = json!({"agent": "a"});
        let b = json!({"agent": "b"});
        let mut h = Fx::default();
        hash(&a, &mut h);
        // b stored under a's hash: looking a up must not return b's conversion
        parts.map.insert(h.finish(), (b.clone(), to_rego(&b)));
        assert_eq!(remembered(&mut parts, &a, None), to_rego(&a));
    }

    #[test]
    fn bounded() {
        let mut memo = Memo::default();
        for i in 0..(3 * MAX_PARTS) {
            let doc = input(&format!("agent-{i}"), json!({"n": i}), 1);
            assert_eq!(
                memo.input(&doc, None, None, &Known::default()),
                to_rego(&doc)
            );
            let (p, t) = memo.sizes();
            assert!(p <= MAX_PARTS && t <= MAX_PARTS, "{p} {t}");
        }
    }

    #[test]
    fn args_fields_only_when_every_read_is_a_named_field() {
        let some = |t: &str| args_fields([t]);
        let f = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            some(
                "x if { input.args.amount > 1; input.principal.tenant == input.args[\"tenant\"] }"
            ),
            f(&["amount", "tenant"])
        );
        assert_eq!(some("x if input.args.items[_].price > 1"), f(&["items"]));
        // other fields of input, identifiers that contain `input`, no args at all
        assert_eq!(
            some("x if { user_input := 1; inputs := input.tool.name }"),
            f(&[])
        );
        assert_eq!(
            some("x if input.args.a\n# input.args.b in a comment"),
            f(&["a", "b"])
        );
        for whole in [
            "x if { some k, v in input.args }",
            "x if count(input.args) > 1",
            "x if object.get(input.args, \"a\", 0) > 1",
            "x if input.args[k] == 1",
            "x := input",
            "x if walk(input, [p, v])",
            "x if input[\"args\"][k]",
            "import input.args as a\nx if a.b",
            "x if input.args == {}",
            "x if input . args . a",
            "x if input.args[\"a\\u0062\"]",
            "x if input.args.a\ny if input.args\n",
            "x if input",
        ] {
            assert_eq!(some(whole), None, "{whole}");
        }
        assert_eq!(
            some("x if input[\"args\"].amount"),
            f(&["amount"]),
            "bracketed top-level key"
        );
    }

    #[test]
    fn reduced_args_keep_exactly_the_named_fields() {
        let mut memo = Memo::default();
        let doc = input("a", json!(null), 1);
        let readable = vec![
            ("amount".to_string(), Value::from("amount")),
            ("absent".to_string(), Value::from("absent")),
        ];
        let mut want = doc.clone();
        want["args"] = json!({"amount": 5});
        assert_eq!(
            memo.input(&doc, Some(&readable), None, &Known::default()),
            to_rego(&want)
        );
        // args that are not an object are converted as they are
        let mut odd = doc.clone();
        odd["args"] = json!([1, 2]);
        assert_eq!(
            memo.input(&odd, Some(&readable), None, &Known::default()),
            to_rego(&odd)
        );
    }
}
