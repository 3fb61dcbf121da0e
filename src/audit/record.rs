//! Audit record kinds, the fields every record carries, and the argument-hashing helpers.
//!
//! Every line is one RFC 8785 object with at least `seq` (u64, global, the first record of a
//! stream is `seq` 0), `prev` (entry hash of the previous record, 64 zeros for seq 0), `kind`
//! and `ts` (RFC 3339 UTC with milliseconds, `2026-11-21T10:00:00.000Z`). The writer adds
//! these; callers supply the body of `decision`, `outcome` and `event` records (the last are
//! not calls: see [`super::event`]). The other kinds are written by the writer itself:
//!
//! - `header` (first line of every file): `stream`, `file` (number), `first_seq` (= `seq`),
//!   `prev_file_last_hash` (= `prev`), `format` (`toolwall-audit/1`) and `merkle`
//!   `{tree_size, range}`: the compact range (hex subtree roots, largest first) of all entries
//!   before the header, so a file can be resumed or verified on its own.
//! - `recovery` (second line of a file opened after a crash): `prev_file` (name),
//!   `valid_bytes` (where the valid prefix of that file ends), `torn_bytes` (what follows
//!   it; 0 when only an unsealed key rotation was abandoned), `last_good_seq` (null when
//!   nothing before was valid) and `last_good_hash` (= the header's `prev`). The chain
//!   continues from the last good record; the torn file is never edited.
//! - `key_rotation`: `old_key`, `new_key` (`name+keyid` each) and `new_public_key` (C2SP
//!   verifier key); the next record is a checkpoint signed by both keys (both lines reach
//!   the OS in one write). A rotation that a crash left without its checkpoint is void.
//! - `checkpoint`: see [`super::checkpoint`].

use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::Sha256;

use super::canonical::{hex, is_unsafe_number};

/// Value of the header's `format` field.
pub const FORMAT: &str = "toolwall-audit/1";

/// Fields the writer owns; a caller's body may not contain them.
pub const RESERVED_FIELDS: [&str; 4] = ["seq", "prev", "kind", "ts"];

/// What a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// First line of every file.
    Header,
    /// A policy decision (written before the call is forwarded).
    Decision,
    /// What happened after forwarding.
    Outcome,
    /// A signed seal over everything before it.
    Checkpoint,
    /// Marks a new file started after a torn write.
    Recovery,
    /// Introduces a new signing key.
    KeyRotation,
    /// Something that is not a call (a re-pin, a withheld tool, an operator action): see
    /// [`super::event`].
    Event,
}

impl Kind {
    /// The `kind` field value.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Header => "header",
            Kind::Decision => "decision",
            Kind::Outcome => "outcome",
            Kind::Checkpoint => "checkpoint",
            Kind::Recovery => "recovery",
            Kind::KeyRotation => "key_rotation",
            Kind::Event => "event",
        }
    }

    /// Parse a `kind` field value.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "header" => Kind::Header,
            "decision" => Kind::Decision,
            "outcome" => Kind::Outcome,
            "checkpoint" => Kind::Checkpoint,
            "recovery" => Kind::Recovery,
            "key_rotation" => Kind::KeyRotation,
            "event" => Kind::Event,
            _ => return None,
        })
    }

    /// Whether callers may append records of this kind through `ChainWriter::append`.
    pub fn is_caller_kind(self) -> bool {
        matches!(self, Kind::Decision | Kind::Outcome | Kind::Event)
    }

    /// Whether records of this kind are about one tool call (`decision`, `outcome`): what
    /// `replay` evaluates and `audit show` lists as calls.
    pub fn is_call(self) -> bool {
        matches!(self, Kind::Decision | Kind::Outcome)
    }
}

/// RFC 3339 UTC with milliseconds and a `Z`: `2026-11-21T10:00:00.000Z`.
pub fn format_ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Whether `s` is a timestamp in exactly the [`format_ts`] form.
pub fn valid_ts(s: &str) -> bool {
    DateTime::parse_from_rfc3339(s)
        .map(|t| format_ts(t.with_timezone(&Utc)) == s)
        .unwrap_or(false)
}

/// HMAC-SHA256 of the canonical args under the deployment's key, lower-case hex: the
/// record's `input_hmac`.
pub fn input_hmac(key: &[u8], canonical_args: &[u8]) -> String {
    hex(&hmac_sha256(key, canonical_args))
}

/// The `audit.args: hashed` form of an argument document: every string leaf becomes
/// `hmac:<first 16 hex digits of HMAC-SHA256(key, string)>`; numbers, booleans, null, array
/// shape and object keys are kept. Equal strings give equal tokens, so replayed policies can
/// still compare values for equality, but the strings cannot be read back.
pub fn hash_string_leaves(value: &Value, key: &[u8]) -> Value {
    fn walk(value: &Value, mac: &Hmac<Sha256>) -> Value {
        match value {
            Value::String(s) => {
                let mut m = mac.clone();
                m.update(s.as_bytes());
                let digest: [u8; 32] = m.finalize().into_bytes().into();
                let mut token = String::with_capacity(21);
                token.push_str("hmac:");
                token.push_str(&hex(&digest)[..16]);
                Value::String(token)
            }
            Value::Array(items) => Value::Array(items.iter().map(|v| walk(v, mac)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), walk(v, mac)))
                    .collect::<Map<_, _>>(),
            ),
            other => other.clone(),
        }
    }
    walk(value, &keyed_mac(key))
}

/// Field of a `decision` or `outcome` record listing, as RFC 6901 JSON pointers into the
/// record, the values that were numbers the audit format cannot hold (integers beyond
/// ±2^53, such as `9007199254740993`, `1e17` or `-1e300`) and are written as strings.
pub const BIG_NUMBERS_FIELD: &str = "big_numbers";

/// Make `record` writable whatever the agent sent: every integer beyond ±2^53, at any depth,
/// becomes a string holding its exact JSON text (`"9007199254740993"`, `"1e+300"`, which parse
/// back to the same number), and its pointer is listed under [`BIG_NUMBERS_FIELD`] so replay
/// can turn it back into that number ([`restore_numbers`]). A string the agent sent stays a
/// string: only listed pointers are numbers.
pub fn normalize_numbers(record: &mut Map<String, Value>) {
    fn walk(value: &mut Value, path: &mut String, found: &mut Vec<String>) {
        match value {
            Value::Number(n) if is_unsafe_number(n) => {
                *value = Value::String(n.to_string());
                found.push(path.clone());
            }
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    let len = path.len();
                    path.push('/');
                    path.push_str(&i.to_string());
                    walk(item, path, found);
                    path.truncate(len);
                }
            }
            Value::Object(map) => {
                for (k, item) in map.iter_mut() {
                    let len = path.len();
                    path.push('/');
                    push_pointer_token(path, k);
                    walk(item, path, found);
                    path.truncate(len);
                }
            }
            _ => {}
        }
    }
    fn any_unsafe(value: &Value) -> bool {
        match value {
            Value::Number(n) => is_unsafe_number(n),
            Value::Array(items) => items.iter().any(any_unsafe),
            Value::Object(map) => map.values().any(any_unsafe),
            _ => false,
        }
    }
    // The common case (nothing to rewrite) costs one walk without building paths.
    if !record.values().any(any_unsafe) {
        return;
    }
    let mut found = Vec::new();
    let mut path = String::new();
    for (k, item) in record.iter_mut() {
        path.clear();
        path.push('/');
        push_pointer_token(&mut path, k);
        walk(item, &mut path, &mut found);
    }
    if !found.is_empty() {
        record.insert(BIG_NUMBERS_FIELD.into(), json!(found));
    }
}

/// Undo [`normalize_numbers`] on a record read back from the stream: the strings its
/// [`BIG_NUMBERS_FIELD`] points at become the numbers they were. An error names a pointer that
/// does not lead to a string holding a JSON number (the record is malformed).
pub fn restore_numbers(record: &mut Map<String, Value>) -> Result<(), String> {
    let Some(list) = record.remove(BIG_NUMBERS_FIELD) else {
        return Ok(());
    };
    let Value::Array(pointers) = list else {
        return Err(format!("{BIG_NUMBERS_FIELD} is not an array"));
    };
    let mut root = Value::Object(std::mem::take(record));
    let mut result = Ok(());
    for p in &pointers {
        let restored = p
            .as_str()
            .and_then(|p| root.pointer_mut(p))
            .and_then(|slot| {
                let n = slot
                    .as_str()
                    .and_then(|s| serde_json::from_str::<serde_json::Number>(s).ok())?;
                *slot = Value::Number(n);
                Some(())
            });
        if restored.is_none() {
            result = Err(format!(
                "{BIG_NUMBERS_FIELD} entry {p} does not point at a number written as a string"
            ));
            break;
        }
    }
    if let Value::Object(map) = root {
        *record = map;
    }
    result
}

fn push_pointer_token(path: &mut String, token: &str) {
    for c in token.chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
    }
}

/// HMAC-SHA256 keyed with the deployment's key (set up once, cloned per message).
pub type KeyedMac = Hmac<Sha256>;

/// The HMAC state keyed with `key`.
pub fn keyed_mac(key: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail; an empty-key MAC is the
    // unreachable fallback that keeps this function total.
    <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| <Hmac<Sha256> as hmac::digest::KeyInit>::new(&Default::default()))
}

/// HMAC-SHA256 of `msg` under the key `mac` was set up with ([`keyed_mac`]).
pub fn hmac_with(mac: &KeyedMac, msg: &[u8]) -> [u8; 32] {
    let mut mac = mac.clone();
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut mac = keyed_mac(key);
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_round_trip() {
        for k in [
            Kind::Header,
            Kind::Decision,
            Kind::Outcome,
            Kind::Checkpoint,
            Kind::Recovery,
            Kind::KeyRotation,
            Kind::Event,
        ] {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).expect("ser"), json!(k.as_str()));
        }
        assert_eq!(Kind::parse("Decision"), None);
        assert!(Kind::Event.is_caller_kind() && !Kind::Event.is_call());
        assert!(Kind::Decision.is_call() && Kind::Outcome.is_call());
        assert!(!Kind::Checkpoint.is_caller_kind());
    }

    #[test]
    fn timestamps() {
        let t = DateTime::parse_from_rfc3339("2026-11-21T10:00:00.5+01:00")
            .expect("ts")
            .with_timezone(&Utc);
        assert_eq!(format_ts(t), "2026-11-21T09:00:00.500Z");
        for (s, ok) in [
            ("2026-11-21T09:00:00.500Z", true),
            ("2026-11-21T09:00:00.5Z", false),
            ("2026-11-21T09:00:00.500+00:00", false),
            ("2026-11-21 09:00:00.500Z", false),
            ("yesterday", false),
        ] {
            assert_eq!(valid_ts(s), ok, "{s}");
        }
    }

    #[test]
    fn big_numbers_become_strings_and_come_back_exactly() {
        let text = r#"{"args":{"a":9007199254740993,"b":[1e17,{"c/d~":-1e300}],"s":"9007199254740993",
                       "ok":9007199254740992,"f":1.5,"neg":-9007199254740993},"status":200}"#;
        let original: Map<String, Value> = serde_json::from_str(text).expect("json");
        let mut r = original.clone();
        normalize_numbers(&mut r);
        assert_eq!(
            r[BIG_NUMBERS_FIELD],
            json!(["/args/a", "/args/b/0", "/args/b/1/c~1d~0", "/args/neg"])
        );
        assert_eq!(r["args"]["a"], json!("9007199254740993"));
        assert_eq!(r["args"]["b"][0], json!("1e+17"));
        assert_eq!(r["args"]["b"][1]["c/d~"], json!("-1e+300"));
        assert_eq!(
            r["args"]["ok"],
            json!(9007199254740992u64),
            "safe numbers stay"
        );
        let line = crate::audit::canonical::canonicalize(&Value::Object(r.clone())).expect("c");
        let mut back: Map<String, Value> = serde_json::from_slice(&line).expect("json");
        restore_numbers(&mut back).expect("restore");
        assert_eq!(back, original, "exactly the numbers that were sent");
        assert_eq!(
            back["args"]["s"],
            json!("9007199254740993"),
            "strings stay strings"
        );
        let mut bad = r.clone();
        bad.insert(BIG_NUMBERS_FIELD.into(), json!(["/status"]));
        assert!(restore_numbers(&mut bad).is_err());
        let mut none: Map<String, Value> = serde_json::from_str(r#"{"a":1}"#).expect("json");
        normalize_numbers(&mut none);
        assert!(!none.contains_key(BIG_NUMBERS_FIELD));
    }

    #[test]
    fn hmac_rfc4231_case_2() {
        assert_eq!(
            input_hmac(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn hashing_string_leaves_keeps_shape() {
        let args = json!({"charge": "ch_1", "amount": 12000, "ok": true, "n": null,
                          "tags": ["a", "ch_1", 2.5], "nested": {"email": "x@y.z"}});
        let h = hash_string_leaves(&args, b"k");
        let token = h["charge"].as_str().expect("token");
        assert!(token.starts_with("hmac:") && token.len() == 21, "{token}");
        assert_eq!(h["tags"][1], h["charge"], "equal strings give equal tokens");
        assert_ne!(h["tags"][0], h["charge"]);
        assert_eq!(h["amount"], json!(12000));
        assert_eq!(h["ok"], json!(true));
        assert_eq!(h["n"], Value::Null);
        assert_eq!(h["tags"][2], json!(2.5));
        assert!(h["nested"]["email"]
            .as_str()
            .is_some_and(|s| s.starts_with("hmac:")));
        assert_ne!(hash_string_leaves(&args, b"other")["charge"], h["charge"]);
    }
}
