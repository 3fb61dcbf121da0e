//! Messages with every field kind, rendered by `to_json`, validate against their derived
//! schema; values of the wrong type or shape do not.

use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MapKey, MessageDescriptor, Value as PValue};
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{
    DescriptorProto, EnumDescriptorProto, EnumValueDescriptorProto, FieldDescriptorProto,
    FileDescriptorProto, MessageOptions, OneofDescriptorProto,
};
use serde_json::{json, Value};

use super::derive;
use crate::protocol::grpc::to_json;

fn f(name: &str, number: i32, ty: Type) -> FieldDescriptorProto {
    FieldDescriptorProto {
        name: Some(name.into()),
        number: Some(number),
        label: Some(Label::Optional as i32),
        r#type: Some(ty as i32),
        ..Default::default()
    }
}

fn typed(name: &str, number: i32, ty: Type, type_name: &str) -> FieldDescriptorProto {
    FieldDescriptorProto {
        type_name: Some(type_name.into()),
        ..f(name, number, ty)
    }
}

fn repeated(mut field: FieldDescriptorProto) -> FieldDescriptorProto {
    field.label = Some(Label::Repeated as i32);
    field
}

fn in_oneof(mut field: FieldDescriptorProto, index: i32) -> FieldDescriptorProto {
    field.oneof_index = Some(index);
    field
}

fn msg(name: &str, fields: Vec<FieldDescriptorProto>) -> DescriptorProto {
    DescriptorProto {
        name: Some(name.into()),
        field: fields,
        ..Default::default()
    }
}

fn map_entry(name: &str, key: Type, value: FieldDescriptorProto) -> DescriptorProto {
    DescriptorProto {
        name: Some(name.into()),
        field: vec![
            f("key", 1, key),
            FieldDescriptorProto {
                number: Some(2),
                name: Some("value".into()),
                ..value
            },
        ],
        options: Some(MessageOptions {
            map_entry: Some(true),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// `t.All`: one field of every kind, repeated and map fields, the well-known types, a oneof,
/// a proto3 `optional`, recursion through `t.Node` and through `t.All` itself.
fn pool() -> DescriptorPool {
    let wkt = |n: &str| format!(".google.protobuf.{n}");
    let mut all = msg(
        "All",
        vec![
            f("f_double", 1, Type::Double),
            f("f_float", 2, Type::Float),
            f("f_int32", 3, Type::Int32),
            f("f_int64", 4, Type::Int64),
            f("f_uint32", 5, Type::Uint32),
            f("f_uint64", 6, Type::Uint64),
            f("f_sint32", 7, Type::Sint32),
            f("f_sint64", 8, Type::Sint64),
            f("f_fixed32", 9, Type::Fixed32),
            f("f_fixed64", 10, Type::Fixed64),
            f("f_sfixed32", 11, Type::Sfixed32),
            f("f_sfixed64", 12, Type::Sfixed64),
            f("f_bool", 13, Type::Bool),
            f("f_string", 14, Type::String),
            f("f_bytes", 15, Type::Bytes),
            typed("color", 16, Type::Enum, ".t.Color"),
            typed("inner", 17, Type::Message, ".t.Inner"),
            repeated(f("tags", 18, Type::String)),
            repeated(typed("inners", 19, Type::Message, ".t.Inner")),
            repeated(typed("colors", 20, Type::Enum, ".t.Color")),
            repeated(typed("counts", 21, Type::Message, ".t.All.CountsEntry")),
            repeated(typed(
                "by_id",
                22,
                Type::Message,
                ".t.All.ById Entry".replace(' ', "").as_str(),
            )),
            repeated(typed("flags", 23, Type::Message, ".t.All.FlagsEntry")),
            typed("ts", 24, Type::Message, &wkt("Timestamp")),
            typed("dur", 25, Type::Message, &wkt("Duration")),
            typed("mask", 26, Type::Message, &wkt("FieldMask")),
            typed("st", 27, Type::Message, &wkt("Struct")),
            typed("val", 28, Type::Message, &wkt("Value")),
            typed("list", 29, Type::Message, &wkt("ListValue")),
            typed("w_double", 30, Type::Message, &wkt("DoubleValue")),
            typed("w_float", 31, Type::Message, &wkt("FloatValue")),
            typed("w_int64", 32, Type::Message, &wkt("Int64Value")),
            typed("w_uint64", 33, Type::Message, &wkt("UInt64Value")),
            typed("w_int32", 34, Type::Message, &wkt("Int32Value")),
            typed("w_uint32", 35, Type::Message, &wkt("UInt32Value")),
            typed("w_bool", 36, Type::Message, &wkt("BoolValue")),
            typed("w_string", 37, Type::Message, &wkt("StringValue")),
            typed("w_bytes", 38, Type::Message, &wkt("BytesValue")),
            typed("any", 39, Type::Message, &wkt("Any")),
            typed("empty", 40, Type::Message, &wkt("Empty")),
            in_oneof(f("by_card", 41, Type::String), 0),
            in_oneof(f("by_bank", 42, Type::Int64), 0),
            in_oneof(typed("by_inner", 43, Type::Message, ".t.Inner"), 0),
            FieldDescriptorProto {
                proto3_optional: Some(true),
                ..in_oneof(f("maybe", 44, Type::Int32), 1)
            },
            typed("tree", 45, Type::Message, ".t.Node"),
            typed("next", 46, Type::Message, ".t.All"),
            repeated(f("doubles", 47, Type::Double)),
            typed("nothing", 48, Type::Enum, &wkt("NullValue")),
        ],
    );
    all.nested_type = vec![
        map_entry("CountsEntry", Type::String, f("", 0, Type::Int64)),
        map_entry(
            "ByIdEntry",
            Type::Int32,
            typed("", 0, Type::Message, ".t.Inner"),
        ),
        map_entry("FlagsEntry", Type::Bool, f("", 0, Type::String)),
    ];
    all.oneof_decl = vec![
        OneofDescriptorProto {
            name: Some("payer".into()),
            ..Default::default()
        },
        OneofDescriptorProto {
            name: Some("_maybe".into()),
            ..Default::default()
        },
    ];
    let file = FileDescriptorProto {
        name: Some("t/all.proto".into()),
        package: Some("t".into()),
        syntax: Some("proto3".into()),
        dependency: [
            "timestamp",
            "duration",
            "field_mask",
            "struct",
            "wrappers",
            "any",
            "empty",
        ]
        .iter()
        .map(|d| format!("google/protobuf/{d}.proto"))
        .collect(),
        enum_type: vec![EnumDescriptorProto {
            name: Some("Color".into()),
            value: ["COLOR_UNSPECIFIED", "RED", "GREEN"]
                .iter()
                .enumerate()
                .map(|(i, n)| EnumValueDescriptorProto {
                    name: Some((*n).into()),
                    number: Some(i32::try_from(i).expect("small")),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }],
        message_type: vec![
            msg(
                "Inner",
                vec![f("note", 1, Type::String), f("cents", 2, Type::Int64)],
            ),
            msg(
                "Node",
                vec![
                    f("name", 1, Type::String),
                    repeated(typed("children", 2, Type::Message, ".t.Node")),
                ],
            ),
            all,
        ],
        ..Default::default()
    };
    let mut pool = DescriptorPool::global();
    pool.add_file_descriptor_proto(file)
        .expect("valid descriptor");
    pool
}

fn all() -> MessageDescriptor {
    pool().get_message_by_name("t.All").expect("t.All")
}

/// A message built from `json` (every field set), encoded, decoded by `to_json`.
fn rendered(desc: &MessageDescriptor, json: &Value) -> Value {
    let m = DynamicMessage::deserialize(desc.clone(), json).expect("the JSON is a t.All");
    to_json(desc, &m.encode_to_vec(), true).expect("to_json")
}

fn full() -> Value {
    let text = r#"{
        "fDouble": 1.5, "fFloat": -2.25, "fInt32": -2147483648, "fInt64": "-9223372036854775808",
        "fUint32": 4294967295, "fUint64": "18446744073709551615", "fSint32": -7, "fSint64": "-9",
        "fFixed32": 7, "fFixed64": "8", "fSfixed32": -1, "fSfixed64": "-2",
        "fBool": true, "fString": "h\u00e9llo", "fBytes": "AAEC/w==",
        "color": "GREEN", "inner": {"note": "n", "cents": "12"},
        "tags": ["a", "b"], "inners": [{"note": "x"}, {}], "colors": ["RED", "GREEN"],
        "counts": {"a": "1", "b": "-2"}, "byId": {"-3": {"note": "m"}, "4": {}},
        "flags": {"true": "yes", "false": "no"},
        "ts": "2026-12-03T22:00:00.500Z", "dur": "-1.250s", "mask": "fInt32,inner.note",
        "st": {"k": [1, "two", null, {"x": true}]}, "val": {"deep": [1.5]}, "list": [1, "a", null],
        "wDouble": 2.5, "wFloat": 0.5, "wInt64": "-5", "wUint64": "5", "wInt32": -5, "wUint32": 5,
        "wBool": false, "wString": "", "wBytes": "",
        "any": {"@type": "type.googleapis.com/t.Inner", "note": "boxed"},
        "empty": {},
        "byBank": "99", "maybe": 0,
        "tree": {"name": "root", "children": [{"name": "c", "children": [{"name": "g"}]}]},
        "next": {"fInt32": 1, "next": {"color": "RED", "tree": {"name": "r"}}},
        "doubles": [1.0, "NaN", "Infinity", "-Infinity"],
        "nothing": null
    }"#;
    serde_json::from_str(text).expect("JSON")
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::draft202012::new(schema).expect("the derived schema compiles")
}

#[test]
fn every_field_kind_validates() {
    let desc = all();
    let schema = derive(&desc);
    let v = validator(&schema);
    let json = rendered(&desc, &full());
    // the round trip kept every field (the values above are all non-default or present)
    for key in [
        "fInt64", "byId", "any", "next", "maybe", "doubles", "wString",
    ] {
        assert!(json.get(key).is_some(), "{key} missing from {json}");
    }
    let errors: Vec<String> = v.iter_errors(&json).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}\n{json}");
    // an empty message is valid too (nothing is required)
    assert!(v.is_valid(&rendered(&desc, &json!({}))));
}

#[test]
fn values_set_through_the_api_validate() {
    let desc = all();
    let v = validator(&derive(&desc));
    let mut m = DynamicMessage::new(desc.clone());
    m.set_field_by_name("f_float", PValue::F32(f32::NAN));
    m.set_field_by_name("f_double", PValue::F64(f64::NEG_INFINITY));
    m.set_field_by_name("f_int64", PValue::I64(i64::MAX));
    m.set_field_by_name("f_uint32", PValue::U32(u32::MAX));
    m.set_field_by_name("f_bytes", PValue::Bytes(vec![0xfb, 0xff].into()));
    m.set_field_by_name("color", PValue::EnumNumber(1));
    let mut counts = std::collections::HashMap::new();
    counts.insert(MapKey::String("k".into()), PValue::I64(-1));
    m.set_field_by_name("counts", PValue::Map(counts));
    let json = to_json(&desc, &m.encode_to_vec(), true).expect("to_json");
    assert_eq!(json["fFloat"], json!("NaN"));
    assert_eq!(json["fInt64"], json!(i64::MAX.to_string()));
    assert!(v.is_valid(&json), "{json}");
    // an enum number the descriptor does not name renders as a number: refused
    m.set_field_by_name("color", PValue::EnumNumber(9));
    let json = to_json(&desc, &m.encode_to_vec(), true).expect("to_json");
    assert_eq!(json["color"], json!(9));
    assert!(!v.is_valid(&json));
}

#[test]
fn wrong_types_and_shapes_are_refused() {
    let desc = all();
    let v = validator(&derive(&desc));
    let base = rendered(&desc, &full());
    assert!(v.is_valid(&base));
    let cases: &[(&str, Value)] = &[
        ("fInt32", json!("1")),
        ("fInt32", json!(i64::from(i32::MAX) + 1)),
        ("fInt32", json!(1.5)),
        ("fUint32", json!(-1)),
        ("fInt64", json!(5)),
        ("fInt64", json!("5.0")),
        ("fUint64", json!("-5")),
        ("fDouble", json!("1.5")),
        ("fFloat", json!("nan")),
        ("fBool", json!("true")),
        ("fString", json!(1)),
        ("fBytes", json!("not base64!")),
        ("color", json!("BLUE")),
        ("color", json!(1)),
        ("inner", json!({"note": "n", "extra": 1})),
        ("inner", json!({"cents": 12})),
        ("tags", json!("a")),
        ("tags", json!([1])),
        ("inners", json!([{"bogus": true}])),
        ("colors", json!(["RED", "PURPLE"])),
        ("counts", json!({"a": 1})),
        ("byId", json!({"x": {}})),
        ("byId", json!({"1": {"note": 5}})),
        ("flags", json!({"yes": "y"})),
        ("ts", json!(12345)),
        ("ts", json!("yesterday")),
        ("dur", json!("5m")),
        ("mask", json!(["a"])),
        ("st", json!([1])),
        ("list", json!({})),
        ("wInt64", json!(5)),
        ("wInt32", json!("5")),
        ("wBool", json!(0)),
        ("any", json!({"note": "no type"})),
        ("empty", json!({"x": 1})),
        ("byCard", json!("also set")), // a second member of the oneof `payer`
        ("maybe", json!("0")),
        (
            "tree",
            json!({"children": [{"children": [{"nme": "typo"}]}]}),
        ),
        ("next", json!({"next": {"next": {"fInt32": "deep"}}})),
        ("doubles", json!([1.0, "inf"])),
        ("nothing", json!(0)),
        ("camelCaseOnly", json!(1)),
        ("f_int32", json!(1)), // the proto name: to_json never writes it
    ];
    for (key, bad) in cases {
        let mut j = base.clone();
        j[*key] = bad.clone();
        assert!(!v.is_valid(&j), "{key} = {bad} was accepted");
    }
    assert!(!v.is_valid(&json!([])));
    assert!(!v.is_valid(&json!("x")));
}

#[test]
fn recursion_goes_through_defs_and_the_schema_embeds() {
    let desc = all();
    let schema = derive(&desc);
    assert_eq!(schema["properties"]["next"], json!({"$ref": "#"}));
    assert_eq!(
        schema["properties"]["tree"],
        json!({"$ref": "#/$defs/t.Node"})
    );
    assert!(schema["$defs"]["t.Node"]["properties"]["children"].is_object());
    assert!(schema.get("required").is_none());
    // inside `allOf` with an explicit schema, the references still resolve to this schema
    let both = json!({"allOf": [schema, {"properties": {"fInt32": {"maximum": 10}}}]});
    let v = validator(&both);
    let ok = rendered(
        &desc,
        &json!({"fInt32": 3, "next": {"fInt32": 99, "next": {"tree": {"name": "a"}}}}),
    );
    assert!(v.is_valid(&ok), "{ok}");
    let too_big = rendered(&desc, &json!({"fInt32": 11}));
    assert!(!v.is_valid(&too_big));
    let mut deep_bad = ok.clone();
    deep_bad["next"]["next"]["tree"]["nme"] = json!("x");
    assert!(!v.is_valid(&deep_bad));
}

#[test]
fn a_well_known_root_and_a_small_message() {
    let pool = pool();
    let empty = pool
        .get_message_by_name("google.protobuf.Empty")
        .expect("Empty");
    let v = validator(&derive(&empty));
    assert!(v.is_valid(&json!({})));
    assert!(!v.is_valid(&json!({"a": 1})));
    let inner = pool.get_message_by_name("t.Inner").expect("Inner");
    let s = derive(&inner);
    assert_eq!(
        s["properties"],
        json!({"note": {"type": "string"}, "cents": {"type": "string", "pattern": "^-?[0-9]+$"}})
    );
    assert!(s.get("$defs").is_none());
}
