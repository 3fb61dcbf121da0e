//! RFC 6902 JSON Patch operations, written directly (the injector only ever adds), and the
//! small applier the offline command and the tests use.

use serde::Serialize;
use serde_json::Value;

/// One `add` operation. `path` is an RFC 6901 JSON Pointer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Op {
    pub op: &'static str,
    pub path: String,
    pub value: Value,
}

impl Op {
    pub fn add(path: impl Into<String>, value: Value) -> Op {
        Op {
            op: "add",
            path: path.into(),
            value,
        }
    }
}

/// Escape one reference token of a JSON Pointer (RFC 6901 §3): `~` → `~0`, `/` → `~1`.
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// Apply `add` operations in order, as RFC 6902 says: an object member is set, an array
/// index inserts (shifting the rest), `-` appends; the parent must exist.
pub fn apply(doc: &mut Value, ops: &[Op]) -> Result<(), String> {
    for op in ops {
        if op.op != "add" {
            return Err(format!("unsupported operation {}", op.op));
        }
        add(doc, &op.path, op.value.clone())?;
    }
    Ok(())
}

fn add(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    if path.is_empty() {
        *doc = value;
        return Ok(());
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err(format!("{path:?} is not a JSON Pointer"));
    };
    let mut tokens: Vec<String> = rest.split('/').map(unescape).collect();
    let last = tokens.pop().unwrap_or_default();
    let mut parent = &mut *doc;
    for t in &tokens {
        parent = match parent {
            Value::Object(m) => m.get_mut(t.as_str()),
            Value::Array(a) => t.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
            _ => None,
        }
        .ok_or_else(|| format!("{path}: parent does not exist"))?;
    }
    match parent {
        Value::Object(m) => {
            m.insert(last, value);
            Ok(())
        }
        Value::Array(a) if last == "-" => {
            a.push(value);
            Ok(())
        }
        Value::Array(a) => match last.parse::<usize>() {
            Ok(i) if i <= a.len() => {
                a.insert(i, value);
                Ok(())
            }
            _ => Err(format!("{path}: index out of range")),
        },
        _ => Err(format!("{path}: parent is not a container")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointer_tokens_are_escaped() {
        assert_eq!(escape("toolwall.io/status"), "toolwall.io~1status");
        assert_eq!(escape("a~b/c"), "a~0b~1c");
        let mut doc = json!({"metadata": {"annotations": {}}});
        apply(
            &mut doc,
            &[Op::add(
                format!("/metadata/annotations/{}", escape("toolwall.io/status")),
                json!("injected"),
            )],
        )
        .expect("apply");
        assert_eq!(
            doc["metadata"]["annotations"]["toolwall.io/status"],
            "injected"
        );
    }

    #[test]
    fn array_adds_insert_and_append() {
        let mut doc = json!({"a": [1, 2]});
        apply(
            &mut doc,
            &[Op::add("/a/0", json!(0)), Op::add("/a/-", json!(3))],
        )
        .expect("apply");
        assert_eq!(doc, json!({"a": [0, 1, 2, 3]}));
        assert!(apply(&mut doc, &[Op::add("/a/9", json!(9))]).is_err());
        assert!(apply(&mut doc, &[Op::add("/missing/x", json!(9))]).is_err());
    }

    #[test]
    fn ops_serialize_as_rfc6902() {
        let s = serde_json::to_string(&Op::add("/x", json!(1))).expect("json");
        assert_eq!(s, r#"{"op":"add","path":"/x","value":1}"#);
    }
}
