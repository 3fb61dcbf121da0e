//! The input document as the VM sees it: a regorus value converted from the JSON document, with
//! the parts that repeat from call to call (`input.principal`, `input.tool`, `input.now`)
//! converted once per worker thread and policy version and reused while they stay equal.
//!
//! A remembered part is reused only when the call's part is equal to the one it was converted
//! from (compared in full, not just by hash), so the VM always sees exactly what
//! `to_rego(input)` gives. The memo belongs to the worker's VM, which a new policy version (every
//! reload compiles one) replaces; it holds at most `MAX_PARTS` parts.
//!
//! `input.args` is converted whole unless the policy can only read named fields of it
//! ([`reads`]): then only those fields are converted — what the policy can observe is
//! the same, and a 1 KB call with a policy that reads two of its fields skips most of the work.
//! Likewise the top-level fields no source names (`input.request` with its headers, when no
//! rule reads it) are left out, by the same scan.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use regorus::Value;
use serde_json::Value as J;

use super::to_rego;

/// Most principals and tools remembered per worker thread (each kind); when full, it starts over.
pub(super) const MAX_PARTS: usize = 256;

/// The top-level fields of the input document (PRODUCT.md §5), their keys converted once.
pub(super) const FIELDS: [&str; 12] = [
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

type Parts = HashMap<u64, (J, Value), BuildHasherDefault<PassThrough>>;

#[derive(Default)]
pub(super) struct Memo {
    keys: Vec<Value>,
    principals: Parts,
    tools: Parts,
    now: Option<(J, Value)>,
}

impl Memo {
    /// `to_rego(input)`, reusing the parts converted before; `input.args` reduced to `fields`
    /// when the policy reads only those ([`reads`]).
    /// With `top`, the top-level fields the policy can read ([`reads`]), the others are left out.
    pub(super) fn input(
        &mut self,
        input: &J,
        readable: Option<&[(String, Value)]>,
        top: Option<&[String]>,
    ) -> Value {
        let J::Object(fields) = input else {
            return to_rego(input);
        };
        if self.keys.is_empty() {
            self.keys = FIELDS.iter().map(|k| Value::from(*k)).collect();
        }
        let mut map = BTreeMap::new();
        for (k, v) in fields {
            if top.is_some_and(|t| t.binary_search_by(|n| n.as_str().cmp(k)).is_err()) {
                continue;
            }
            let key = match FIELDS.binary_search(&k.as_str()) {
                Ok(i) => self.keys[i].clone(),
                Err(_) => Value::from(k.as_str()),
            };
            let value = match k.as_str() {
                "principal" => remembered(&mut self.principals, v),
                "tool" => remembered(&mut self.tools, v),
                "now" => match &self.now {
                    Some((j, r)) if j == v => r.clone(),
                    _ => {
                        let r = to_rego(v);
                        self.now = Some((v.clone(), r.clone()));
                        r
                    }
                },
                "args" => match (readable, v) {
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
                _ => to_rego(v),
            };
            map.insert(key, value);
        }
        Value::from(map)
    }

    #[cfg(test)]
    pub(super) fn sizes(&self) -> (usize, usize) {
        (self.principals.len(), self.tools.len())
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

/// The converted value of `v`, from `parts` when an equal one was converted before.
fn remembered(parts: &mut Parts, v: &J) -> Value {
    let mut h = Fx::default();
    hash(v, &mut h);
    let key = h.finish();
    if let Some((j, r)) = parts.get(&key) {
        if j == v {
            return r.clone();
        }
    }
    let r = to_rego(v);
    if parts.len() >= MAX_PARTS {
        parts.clear();
    }
    parts.insert(key, (v.clone(), r.clone()));
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
            assert_eq!(memo.input(&doc, None, None), to_rego(&doc), "{doc}");
        }
        assert_eq!(
            memo.input(&json!([1, "x"]), None, None),
            to_rego(&json!([1, "x"]))
        );
    }

    #[test]
    fn a_hash_collision_is_not_a_hit() {
        let mut parts = Parts::default();
        let a = json!({"agent": "a"});
        let b = json!({"agent": "b"});
        let mut h = Fx::default();
        hash(&a, &mut h);
        // b stored under a's hash: looking a up must not return b's conversion
        parts.insert(h.finish(), (b.clone(), to_rego(&b)));
        assert_eq!(remembered(&mut parts, &a), to_rego(&a));
    }

    #[test]
    fn bounded() {
        let mut memo = Memo::default();
        for i in 0..(3 * MAX_PARTS) {
            let doc = input(&format!("agent-{i}"), json!({"n": i}), 1);
            assert_eq!(memo.input(&doc, None, None), to_rego(&doc));
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
        assert_eq!(memo.input(&doc, Some(&readable), None), to_rego(&want));
        // args that are not an object are converted as they are
        let mut odd = doc.clone();
        odd["args"] = json!([1, 2]);
        assert_eq!(memo.input(&odd, Some(&readable), None), to_rego(&odd));
    }
}
