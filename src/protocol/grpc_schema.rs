//! The JSON Schema (2020-12) of a gRPC message as [`super::grpc::to_json`] renders it: the
//! proto3 canonical JSON mapping with prost-reflect's default options — field names are
//! `json_name` (lowerCamelCase), 64-bit integers are decimal strings, enums are value names,
//! bytes are base64, non-finite floats are `"NaN"` / `"Infinity"` / `"-Infinity"`, the
//! well-known types have their special forms, default values are left out (so nothing is
//! `required`).
//!
//! Every message is closed (`additionalProperties: false`): a field the descriptor does not
//! name is refused. Each message type other than the root is defined once in `$defs` (keyed
//! by its full name) and referenced, so recursive messages are finite; the root is inline and
//! carries an `$id`, so the schema keeps resolving when it is embedded in another one
//! (`allOf` with an adapter's explicit schema).
//!
//! An enum number the descriptor does not name (proto3 enums are open; `to_json` renders it
//! as an integer) does not match: what a policy cannot name is refused.

use std::collections::{BTreeMap, VecDeque};

use prost_reflect::{EnumDescriptor, FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{json, Map, Value};

/// The `$id` of a message's derived schema.
pub fn schema_id(desc: &MessageDescriptor) -> String {
    format!("urn:toolwall:grpc:{}", desc.full_name())
}

/// The schema of `desc`'s canonical JSON.
pub fn derive(desc: &MessageDescriptor) -> Value {
    let mut gen = Gen {
        root: desc.full_name().to_string(),
        defs: BTreeMap::new(),
        queue: VecDeque::new(),
    };
    let Value::Object(mut root) = gen.message_body(desc) else {
        return Value::Bool(false);
    };
    while let Some(m) = gen.queue.pop_front() {
        if gen.defs.get(m.full_name()).is_some_and(|v| !v.is_null()) {
            continue;
        }
        let body = gen.message_body(&m);
        gen.defs.insert(m.full_name().to_string(), body);
    }
    let mut out = Map::new();
    out.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    out.insert("$id".into(), Value::String(schema_id(desc)));
    out.insert("title".into(), Value::String(desc.full_name().to_string()));
    out.append(&mut root);
    if !gen.defs.is_empty() {
        out.insert(
            "$defs".into(),
            Value::Object(gen.defs.into_iter().collect()),
        );
    }
    Value::Object(out)
}

struct Gen {
    /// The root message's full name (a reference to it is `#`).
    root: String,
    /// Message full name → its schema (`null` while queued).
    defs: BTreeMap<String, Value>,
    queue: VecDeque<MessageDescriptor>,
}

/// `{"type": "string", "pattern": …}` of a 64-bit integer.
fn int64(signed: bool) -> Value {
    let pattern = if signed { "^-?[0-9]+$" } else { "^[0-9]+$" };
    json!({"type": "string", "pattern": pattern})
}

fn int32(min: i64, max: i64) -> Value {
    json!({"type": "integer", "minimum": min, "maximum": max})
}

fn float() -> Value {
    json!({"anyOf": [{"type": "number"}, {"enum": ["NaN", "Infinity", "-Infinity"]}]})
}

fn bytes() -> Value {
    json!({"type": "string", "contentEncoding": "base64", "pattern": "^[A-Za-z0-9+/]*={0,2}$"})
}

fn enumeration(e: &EnumDescriptor) -> Value {
    if e.full_name() == "google.protobuf.NullValue" {
        return json!({"type": "null"});
    }
    let names: Vec<Value> = e.values().map(|v| Value::String(v.name().into())).collect();
    json!({"type": "string", "enum": names})
}

/// A well-known type's special JSON form, when `name` is one.
fn well_known(name: &str) -> Option<Value> {
    Some(match name {
        "google.protobuf.Timestamp" => json!({
            "type": "string",
            "format": "date-time",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$"
        }),
        "google.protobuf.Duration" => {
            json!({"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]{1,9})?s$"})
        }
        "google.protobuf.FieldMask" => json!({"type": "string"}),
        "google.protobuf.Struct" => json!({"type": "object"}),
        "google.protobuf.Value" => json!({}),
        "google.protobuf.ListValue" => json!({"type": "array"}),
        "google.protobuf.Empty" => json!({"type": "object", "additionalProperties": false}),
        "google.protobuf.Any" => json!({
            "type": "object",
            "properties": {"@type": {"type": "string"}},
            "required": ["@type"]
        }),
        "google.protobuf.DoubleValue" | "google.protobuf.FloatValue" => float(),
        "google.protobuf.Int64Value" => int64(true),
        "google.protobuf.UInt64Value" => int64(false),
        "google.protobuf.Int32Value" => int32(i32::MIN.into(), i32::MAX.into()),
        "google.protobuf.UInt32Value" => int32(0, u32::MAX.into()),
        "google.protobuf.BoolValue" => json!({"type": "boolean"}),
        "google.protobuf.StringValue" => json!({"type": "string"}),
        "google.protobuf.BytesValue" => bytes(),
        _ => return None,
    })
}

impl Gen {
    /// The schema of one value of `kind` (not repeated).
    fn scalar(&mut self, kind: &Kind) -> Value {
        match kind {
            Kind::Double | Kind::Float => float(),
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => int32(i32::MIN.into(), i32::MAX.into()),
            Kind::Uint32 | Kind::Fixed32 => int32(0, u32::MAX.into()),
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => int64(true),
            Kind::Uint64 | Kind::Fixed64 => int64(false),
            Kind::Bool => json!({"type": "boolean"}),
            Kind::String => json!({"type": "string"}),
            Kind::Bytes => bytes(),
            Kind::Enum(e) => enumeration(e),
            Kind::Message(m) => self.reference(m),
        }
    }

    /// A message type used by a field: its well-known form, or a reference to its definition.
    fn reference(&mut self, m: &MessageDescriptor) -> Value {
        if let Some(v) = well_known(m.full_name()) {
            return v;
        }
        if m.full_name() == self.root {
            return json!({"$ref": "#"});
        }
        if !self.defs.contains_key(m.full_name()) {
            self.defs.insert(m.full_name().to_string(), Value::Null);
            self.queue.push_back(m.clone());
        }
        json!({"$ref": format!("#/$defs/{}", m.full_name())})
    }

    fn field(&mut self, f: &FieldDescriptor) -> Value {
        let kind = f.kind();
        if f.is_map() {
            let Kind::Message(entry) = &kind else {
                return Value::Bool(false);
            };
            let key = entry.map_entry_key_field().kind();
            let value = self.scalar(&entry.map_entry_value_field().kind());
            let mut out = json!({"type": "object", "additionalProperties": value});
            let names = match key {
                Kind::Int32
                | Kind::Sint32
                | Kind::Sfixed32
                | Kind::Int64
                | Kind::Sint64
                | Kind::Sfixed64 => Some(json!({"pattern": "^-?[0-9]+$"})),
                Kind::Uint32 | Kind::Fixed32 | Kind::Uint64 | Kind::Fixed64 => {
                    Some(json!({"pattern": "^[0-9]+$"}))
                }
                Kind::Bool => Some(json!({"enum": ["true", "false"]})),
                _ => None,
            };
            if let (Some(names), Value::Object(o)) = (names, &mut out) {
                o.insert("propertyNames".into(), names);
            }
            return out;
        }
        let one = self.scalar(&kind);
        if f.is_list() {
            json!({"type": "array", "items": one})
        } else {
            one
        }
    }

    /// A message's own schema: an object of its fields, closed; at most one member of each
    /// oneof.
    fn message_body(&mut self, m: &MessageDescriptor) -> Value {
        if let Some(v) = well_known(m.full_name()) {
            return v;
        }
        let mut props = Map::new();
        for f in m.fields() {
            let s = self.field(&f);
            props.insert(f.json_name().to_string(), s);
        }
        let mut out = Map::new();
        out.insert("type".into(), json!("object"));
        out.insert("properties".into(), Value::Object(props));
        out.insert("additionalProperties".into(), Value::Bool(false));
        let mut exclusive = Map::new();
        for oneof in m.oneofs().filter(|o| !o.is_synthetic()) {
            let members: Vec<String> = oneof.fields().map(|f| f.json_name().to_string()).collect();
            if members.len() < 2 {
                continue;
            }
            for name in &members {
                let others: Map<String, Value> = members
                    .iter()
                    .filter(|o| *o != name)
                    .map(|o| (o.clone(), Value::Bool(false)))
                    .collect();
                exclusive.insert(name.clone(), json!({"properties": others}));
            }
        }
        if !exclusive.is_empty() {
            out.insert("dependentSchemas".into(), Value::Object(exclusive));
        }
        Value::Object(out)
    }
}

#[cfg(test)]
mod tests;
