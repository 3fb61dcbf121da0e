//! Protocol Buffers through a descriptor set (`protoc --include_imports
//! --descriptor_set_out`, `buf build -o`, or a server's reflection service), with
//! prost-reflect: a method's messages converted to and from the proto3 canonical JSON mapping,
//! refusing what the descriptor does not know. Below `config` (which compiles descriptor sets
//! once per version) and `protocol::grpc` (the wire format).

use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, MethodDescriptor};

/// A descriptor set's services and messages (compiled once per config version).
#[derive(Debug, Clone)]
pub struct Descriptors {
    pool: DescriptorPool,
}

impl Descriptors {
    /// Load the bytes of a `FileDescriptorSet`.
    pub fn decode(bytes: &[u8]) -> Result<Descriptors, String> {
        DescriptorPool::decode(bytes)
            .map(|pool| Descriptors { pool })
            .map_err(|e| format!("not a usable FileDescriptorSet: {e}"))
    }

    /// `service` (fully qualified, `payments.v1.Payments`) and `method` (`CreateRefund`).
    pub fn method(&self, service: &str, method: &str) -> Option<MethodDescriptor> {
        self.pool
            .get_service_by_name(service)?
            .methods()
            .find(|m| m.name() == method)
    }

    /// The fully qualified names of the services in the set.
    pub fn services(&self) -> impl Iterator<Item = String> + '_ {
        self.pool.services().map(|s| s.full_name().to_string())
    }
}

/// A message's bytes in the proto3 canonical JSON mapping (lowerCamelCase names, 64-bit
/// integers as strings, enums by name, default values left out). Fields the descriptor does
/// not know are refused when `deny_unknown` (what a policy never sees must not reach the
/// tool).
pub fn to_json(
    desc: &MessageDescriptor,
    bytes: &[u8],
    deny_unknown: bool,
) -> Result<serde_json::Value, String> {
    let msg = DynamicMessage::decode(desc.clone(), bytes)
        .map_err(|e| format!("not a {} message: {e}", desc.full_name()))?;
    if deny_unknown {
        if let Some(path) = first_unknown(&msg) {
            return Err(format!(
                "field {path} of {} is not in the descriptor",
                desc.full_name()
            ));
        }
    }
    serde_json::to_value(&msg).map_err(|e| format!("{} to JSON: {e}", desc.full_name()))
}

/// A message's canonical JSON back to its bytes (after redaction changed it).
pub fn from_json(desc: &MessageDescriptor, json: &serde_json::Value) -> Result<Vec<u8>, String> {
    let msg = DynamicMessage::deserialize(desc.clone(), json)
        .map_err(|e| format!("not a {} in JSON: {e}", desc.full_name()))?;
    Ok(msg.encode_to_vec())
}

/// The first unknown field of `msg` or of a message inside it, as a dotted path of field
/// numbers and names.
fn first_unknown(msg: &DynamicMessage) -> Option<String> {
    if let Some(f) = msg.unknown_fields().next() {
        return Some(format!("#{}", f.number()));
    }
    for (field, value) in msg.fields() {
        let nested = |v: &prost_reflect::Value| match v {
            prost_reflect::Value::Message(m) => first_unknown(m),
            _ => None,
        };
        let found = match value {
            prost_reflect::Value::List(items) => items.iter().find_map(nested),
            prost_reflect::Value::Map(entries) => entries.values().find_map(nested),
            v => nested(v),
        };
        if let Some(inner) = found {
            return Some(format!("{}.{inner}", field.name()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::grpc::{frame, unary_message, Encoding};
    use prost_types::field_descriptor_proto::{Label, Type};
    use prost_types::{
        DescriptorProto, FieldDescriptorProto, FileDescriptorProto, FileDescriptorSet,
        MethodDescriptorProto, ServiceDescriptorProto,
    };

    fn field(name: &str, number: i32, ty: Type, type_name: Option<&str>) -> FieldDescriptorProto {
        FieldDescriptorProto {
            name: Some(name.into()),
            number: Some(number),
            label: Some(Label::Optional as i32),
            r#type: Some(ty as i32),
            type_name: type_name.map(Into::into),
            json_name: None,
            ..Default::default()
        }
    }

    /// `payments.v1.Payments/CreateRefund(RefundRequest) returns (Refund)`.
    fn set() -> Vec<u8> {
        let file = FileDescriptorProto {
            name: Some("payments.proto".into()),
            package: Some("payments.v1".into()),
            syntax: Some("proto3".into()),
            message_type: vec![
                DescriptorProto {
                    name: Some("Meta".into()),
                    field: vec![field("note", 1, Type::String, None)],
                    ..Default::default()
                },
                DescriptorProto {
                    name: Some("RefundRequest".into()),
                    field: vec![
                        field("charge_id", 1, Type::String, None),
                        field("amount", 2, Type::Int64, None),
                        field("meta", 3, Type::Message, Some(".payments.v1.Meta")),
                    ],
                    ..Default::default()
                },
                DescriptorProto {
                    name: Some("Refund".into()),
                    field: vec![field("id", 1, Type::String, None)],
                    ..Default::default()
                },
            ],
            service: vec![ServiceDescriptorProto {
                name: Some("Payments".into()),
                method: vec![MethodDescriptorProto {
                    name: Some("CreateRefund".into()),
                    input_type: Some(".payments.v1.RefundRequest".into()),
                    output_type: Some(".payments.v1.Refund".into()),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        FileDescriptorSet { file: vec![file] }.encode_to_vec()
    }

    #[test]
    fn a_request_message_becomes_canonical_json_and_back() {
        let d = Descriptors::decode(&set()).expect("set");
        assert_eq!(d.services().collect::<Vec<_>>(), ["payments.v1.Payments"]);
        let m = d
            .method("payments.v1.Payments", "CreateRefund")
            .expect("method");
        assert!(d.method("payments.v1.Payments", "createRefund").is_none());
        let input = m.input();
        let json = serde_json::json!({"chargeId": "ch_1", "amount": "5000", "meta": {"note": "x"}});
        let bytes = from_json(&input, &json).expect("encode");
        let back = to_json(&input, &bytes, true).expect("decode");
        assert_eq!(back, json);
        // the wire form through a frame
        let body = frame(&bytes);
        assert_eq!(
            unary_message(&body, Encoding::Identity, 1024)
                .expect("msg")
                .as_ref(),
            bytes.as_slice()
        );
    }

    #[test]
    fn unknown_fields_are_refused_at_any_depth() {
        let d = Descriptors::decode(&set()).expect("set");
        let input = d
            .method("payments.v1.Payments", "CreateRefund")
            .expect("m")
            .input();
        let known = from_json(&input, &serde_json::json!({"chargeId": "ch_1"})).expect("enc");
        // field 9, varint 1: not in RefundRequest
        let mut top = known.clone();
        top.extend_from_slice(&[0x48, 0x01]);
        assert!(to_json(&input, &top, true)
            .expect_err("unknown")
            .contains("#9"));
        assert!(
            to_json(&input, &top, false).is_ok(),
            "allowed when configured"
        );
        // meta { note: "x", field 7 varint 1 }
        let mut nested = known;
        nested.extend_from_slice(&[0x1a, 0x05, 0x0a, 0x01, b'x', 0x38, 0x01]);
        let e = to_json(&input, &nested, true).expect_err("nested unknown");
        assert!(e.contains("meta.#7"), "{e}");
        assert!(to_json(&input, b"\xff\xff\xff", true).is_err(), "garbage");
    }
}
