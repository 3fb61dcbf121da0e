//! The input document as the VM sees it: a regorus value converted from the JSON document, with
//! the parts that repeat from call to call (`input.principal`, `input.tool`, `input.now`)
//! converted once per worker thread and policy version and reused while they stay equal.
//!
//! A remembered part is reused only when the call's part is equal to the one it was converted
//! from (compared in full, not just by hash), so the VM always sees exactly what
//! `to_rego(input)` gives. The memo belongs to the worker's VM, which a new policy version (every
//! reload compiles one) replaces; it holds at most `MAX_PARTS` parts.

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
    /// `to_rego(input)`, reusing the parts converted before.
    pub(super) fn input(&mut self, input: &J) -> Value {
        let J::Object(fields) = input else {
            return to_rego(input);
        };
        if self.keys.is_empty() {
            self.keys = FIELDS.iter().map(|k| Value::from(*k)).collect();
        }
        let mut map = BTreeMap::new();
        for (k, v) in fields {
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
            assert_eq!(memo.input(&doc), to_rego(&doc), "{doc}");
        }
        assert_eq!(memo.input(&json!([1, "x"])), to_rego(&json!([1, "x"])));
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
            assert_eq!(memo.input(&doc), to_rego(&doc));
            let (p, t) = memo.sizes();
            assert!(p <= MAX_PARTS && t <= MAX_PARTS, "{p} {t}");
        }
    }
}
