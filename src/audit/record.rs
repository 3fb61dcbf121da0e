//! Audit record kinds, the fields every record carries, and the argument-hashing helpers.
//!
//! Every line is one RFC 8785 object with at least `seq` (u64, global, the first record of a
//! stream is `seq` 0), `prev` (entry hash of the previous record, 64 zeros for seq 0), `kind`
//! and `ts` (RFC 3339 UTC with milliseconds, `2026-11-21T10:00:00.000Z`). The writer adds
//! these; callers supply the body of `decision` and `outcome` records. The other kinds are
//! written by the writer itself:
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
use serde_json::{Map, Value};
use sha2::Sha256;

use super::canonical::hex;

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
            _ => return None,
        })
    }

    /// Whether callers may append records of this kind through `ChainWriter::append`.
    pub fn is_caller_kind(self) -> bool {
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

fn keyed_mac(key: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail; an empty-key MAC is the
    // unreachable fallback that keeps this function total.
    <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| <Hmac<Sha256> as hmac::digest::KeyInit>::new(&Default::default()))
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
        ] {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).expect("ser"), json!(k.as_str()));
        }
        assert_eq!(Kind::parse("Decision"), None);
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
