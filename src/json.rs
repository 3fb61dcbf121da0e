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
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(JsonError {
            kind: JsonErrorKind::InvalidUtf8,
            message: format!("body is not valid UTF-8 (at byte {})", e.valid_up_to()),
        });
    }
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

    #[test]
    fn deep_nesting_is_refused_before_serde_recursion_limit() {
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        let err = parse_strict(deep.as_bytes(), 32).unwrap_err();
        assert_eq!(err.kind, JsonErrorKind::TooDeep);
        assert!(err.message.contains("32"), "{}", err.message);
    }
}
