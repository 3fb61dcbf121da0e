//! Where each value of a YAML file is written: a map from a YAML path (`limits.rate[1].per_second`,
//! `tools[3].match.path`) to its 1-based line and column, so compile errors name the exact
//! position of the offending value instead of the first text match.
//!
//! The document is parsed a second time for this with `serde-saphyr` (`Spanned<T>`); the
//! typed deserialisation stays with `yaml_serde`. A document the span parser cannot read
//! yields an empty map, and positions then fall back to the file (line 0).

use std::collections::HashMap;
use std::fmt;

use std::path::Path;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use super::error::{AtPath, ConfigError};
use crate::diag::Diag;

/// A config file and where each of its values is written.
pub struct Located<'a> {
    pub file: &'a Path,
    pub spans: Spans,
}

impl Located<'_> {
    /// A diagnostic at the value a YAML path names (or its nearest written ancestor).
    pub fn at(&self, path: &str, e: ConfigError) -> Diag {
        let (l, c) = self.spans.get(path);
        Diag::at(self.file, l, c, e.to_string())
    }

    /// A diagnostic for an error that carries the YAML path of its value.
    pub fn diag(&self, e: AtPath) -> Diag {
        self.at(&e.path, e.error)
    }
}

/// Positions of every mapping value and sequence item, by YAML path.
#[derive(Debug, Default)]
pub struct Spans {
    at: HashMap<String, (usize, usize)>,
}

impl Spans {
    pub fn parse(text: &str) -> Spans {
        let mut spans = Spans::default();
        if let Ok(root) = serde_saphyr::from_str::<Spanned<Node>>(text) {
            spans.walk(String::new(), &root);
        }
        spans
    }

    fn walk(&mut self, path: String, node: &Spanned<Node>) {
        let loc = &node.referenced;
        let (line, col) = (loc.line() as usize, loc.column() as usize);
        if line > 0 {
            self.at.insert(path.clone(), (line, col));
        }
        match &node.value {
            Node::Leaf => {}
            Node::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.walk(format!("{path}[{i}]"), item);
                }
            }
            Node::Map(entries) => {
                for (k, v) in entries {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    self.walk(p, v);
                }
            }
        }
    }

    /// The position of the value at `path`, else of its nearest written ancestor; `(0, 0)` when
    /// nothing on the way is written (the error is then shown against the file).
    pub fn get(&self, path: &str) -> (usize, usize) {
        let mut p = path;
        loop {
            if let Some(&pos) = self.at.get(p) {
                return pos;
            }
            match p.rfind(['.', '[']) {
                Some(i) => p = &p[..i],
                None => return self.at.get("").copied().unwrap_or((0, 0)),
            }
        }
    }
}

/// A YAML node without its scalar values: only the shape is kept.
enum Node {
    Leaf,
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(String, Spanned<Node>)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

macro_rules! leaf {
    ($($name:ident: $t:ty),*) => {
        $(fn $name<E: de::Error>(self, _: $t) -> Result<Node, E> { Ok(Node::Leaf) })*
    };
}

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML node")
    }

    leaf!(visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_i128: i128, visit_u128: u128,
          visit_f64: f64, visit_str: &str, visit_bytes: &[u8]);

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Leaf)
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Leaf)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(Key(k)) = map.next_key::<Key>()? {
            let v = map.next_value::<Spanned<Node>>()?;
            entries.push((k, v));
        }
        Ok(Node::Map(entries))
    }
}

/// A scalar mapping key, as text.
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scalar key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Key, E> {
                Ok(Key("null".to_string()))
            }
        }
        d.deserialize_any(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_to_values() {
        let text = "a:\n  timeout: 1s\nstate:\n  backend: redis\n  timeout: nope\nlimits:\n  rate:\n    - per_second: 1\n    - per_second: -2\n      tool: \"x\"\ntools:\n  - name: create_refund\n  - {name: refund, match: {method: GET, path: x}}\n";
        let s = Spans::parse(text);
        assert_eq!(s.get("state.timeout"), (5, 12));
        assert_eq!(s.get("limits.rate[1].per_second"), (9, 19));
        assert_eq!(s.get("limits.rate[1]"), (9, 7));
        assert_eq!(s.get("tools[1].name"), (13, 12));
        assert_eq!(s.get("tools[1].match.path"), (13, 47));
        // missing: the nearest written ancestor
        assert_eq!(s.get("limits.rate[1].burst"), (9, 7));
        assert_eq!(s.get("nothing.here"), s.get(""));
        // an alias is located where it is used
        let s = Spans::parse("base: &b {per_second: 1}\nrate:\n  - *b\n  - per_second: 2\n");
        assert_eq!(s.get("rate[0]"), (3, 5));
        assert_eq!(s.get("rate[1].per_second"), (4, 17));
        // unparseable: nothing known
        assert_eq!(Spans::parse("a: [").get("a"), (0, 0));
    }
}
