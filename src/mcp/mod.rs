//! MCP tool catalog and definition pinning.
//!
//! An MCP adapter's tools come from the server's `tools/list`. Every definition toolwall sees
//! is hashed (SHA-256 over the RFC 8785 form of name, description, inputSchema, outputSchema
//! and annotations), compiled once per distinct hash (input/output validators, `Mcp-Param-*`
//! map), and compared with the hash pinned in the state backend: the first sight pins it; a
//! different hash later is a changed definition, refused until an operator re-pins
//! (`toolwall mcp pin`), or re-pinned at once with `pin: auto`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::config::{Adapter, Snapshot, Tool};
use crate::state::{SharedState, StateError};

pub mod sessions;

pub use sessions::{Lookup, Sessions};

/// One tool as the server defines it, compiled.
pub struct McpTool {
    /// The tool as the pipeline sees it: `<adapter>.<name>`, with the adapter's overrides
    /// (cost, risk, read_only, mode, dry_run) applied.
    pub tool: Tool,
    /// The name the server knows it by.
    pub server_name: String,
    /// `sha256:<hex>` of the definition.
    pub hash: String,
    /// `outputSchema`, checked against `structuredContent`.
    pub output: Option<jsonschema::Validator>,
    /// `x-mcp-header` arguments: (property path, token).
    pub params: Vec<(Vec<String>, String)>,
    /// Index of the adapter's override in `adapter.tools` (its schema wins over inputSchema).
    pub override_idx: Option<usize>,
    /// Config version the overrides were taken from.
    config_version: String,
    /// The definition as listed (kept to rebuild after a config reload).
    def: Value,
}

impl McpTool {
    /// The schema arguments are checked against: the adapter's override, else inputSchema.
    pub fn input_schema_tool<'a>(&'a self, adapter: &'a Adapter) -> &'a Tool {
        match self.override_idx.and_then(|i| adapter.tools.get(i)) {
            Some(t) if t.schema.is_some() => t,
            _ => &self.tool,
        }
    }
}

/// Where a listed or called tool stands against its pin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinStatus {
    /// Same hash as pinned.
    Pinned,
    /// Not seen before: pinned now.
    New,
    /// Differs from the pin and `pin: auto` re-pinned it.
    Repinned { old: String },
    /// Differs from the pin: refused until re-pinned.
    Changed { pinned: String },
}

#[derive(Default)]
struct AdapterCatalog {
    tools: HashMap<String, Arc<McpTool>>,
    pins: HashMap<String, String>,
    /// The definition each pin was made from, as far as this process saw it (a pin loaded
    /// from the state backend is matched to its definition at the first listing with that
    /// hash): what `toolwall mcp pin` shows a change against.
    pinned_defs: HashMap<String, Value>,
    pins_loaded: bool,
    /// A `notifications/tools/list_changed` was seen: the next call re-reads the list.
    stale: bool,
}

/// Catalogs of every MCP adapter; survives config reloads.
#[derive(Default)]
pub struct Catalog {
    adapters: Mutex<HashMap<String, AdapterCatalog>>,
    /// MCP sessions, bound to the principals that opened them; what is pending in each is
    /// the front end's (`pipeline::mcp`), kept here as it is.
    pub sessions: Sessions<dyn std::any::Any + Send + Sync>,
}

/// Hash of what pinning covers.
pub fn definition_hash(def: &Value) -> String {
    let pinned = json!({
        "name": def.get("name"),
        "description": def.get("description"),
        "inputSchema": def.get("inputSchema"),
        "outputSchema": def.get("outputSchema"),
        "annotations": def.get("annotations"),
    });
    let canonical = crate::audit::canonical::canonicalize(&pinned).unwrap_or_default();
    format!("sha256:{}", hex::encode(Sha256::digest(&canonical)))
}

impl Catalog {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, AdapterCatalog>> {
        match self.adapters.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Record the definitions of a `tools/list` page and compare each with its pin. Returns
    /// each tool (by server name) with its status; a definition that is not a valid tool
    /// (no name, an uncompilable schema) is returned as `Err` with why.
    pub async fn observe(
        &self,
        state: &SharedState,
        snap: &Snapshot,
        adapter: &Adapter,
        defs: &[Value],
    ) -> Result<Vec<(String, Result<(Arc<McpTool>, PinStatus), String>)>, StateError> {
        let pins = self.load_pins(state, &adapter.name).await?;
        let mut out = Vec::with_capacity(defs.len());
        let mut new_pins: Vec<(String, String)> = Vec::new();
        {
            let mut g = self.lock();
            let cat = g.entry(adapter.name.clone()).or_default();
            cat.stale = false;
            if let Some(p) = pins {
                cat.pins = p;
                cat.pins_loaded = true;
            }
            for def in defs {
                let Some(name) = def.get("name").and_then(Value::as_str) else {
                    out.push((String::new(), Err("a listed tool has no name".to_string())));
                    continue;
                };
                let hash = definition_hash(def);
                let reuse = cat
                    .tools
                    .get(name)
                    .filter(|t| t.hash == hash && t.config_version == snap.version)
                    .cloned();
                let tool = match reuse {
                    Some(t) => t,
                    None => match build(snap, adapter, def, hash.clone()) {
                        Ok(t) => {
                            let t = Arc::new(t);
                            cat.tools.insert(name.to_string(), t.clone());
                            t
                        }
                        Err(e) => {
                            out.push((name.to_string(), Err(e)));
                            continue;
                        }
                    },
                };
                let status = match cat.pins.get(name) {
                    None => PinStatus::New,
                    Some(p) if *p == hash => PinStatus::Pinned,
                    Some(p) if adapter.pin_auto => PinStatus::Repinned { old: p.clone() },
                    Some(p) => PinStatus::Changed { pinned: p.clone() },
                };
                if !matches!(status, PinStatus::Changed { .. }) {
                    cat.pinned_defs.insert(name.to_string(), def.clone());
                }
                if matches!(status, PinStatus::New | PinStatus::Repinned { .. }) {
                    cat.pins.insert(name.to_string(), hash.clone());
                    new_pins.push((name.to_string(), hash));
                }
                out.push((name.to_string(), Ok((tool, status))));
            }
        }
        state.set_pins(&adapter.name, &new_pins).await?;
        Ok(out)
    }

    /// The pins of an adapter from the backend (re-read on every listing, so a re-pin made
    /// through another sidecar sharing Redis is seen).
    async fn load_pins(
        &self,
        state: &SharedState,
        adapter: &str,
    ) -> Result<Option<HashMap<String, String>>, StateError> {
        state.pins(adapter).await.map(Some)
    }

    /// A tool from the last listing, its pin status, and whether the list must be re-read
    /// first (never seen, or the server announced a change).
    pub fn lookup(
        &self,
        snap: &Snapshot,
        adapter: &Adapter,
        name: &str,
    ) -> Option<(Arc<McpTool>, PinStatus)> {
        let mut g = self.lock();
        let cat = g.get_mut(&adapter.name)?;
        if cat.stale {
            return None;
        }
        let mut tool = cat.tools.get(name)?.clone();
        if tool.config_version != snap.version {
            // overrides may have changed with the config: rebuild from the kept definition
            let rebuilt = build(snap, adapter, &tool.def, tool.hash.clone()).ok()?;
            tool = Arc::new(rebuilt);
            cat.tools.insert(name.to_string(), tool.clone());
        }
        let status = match cat.pins.get(name) {
            Some(p) if *p == tool.hash => PinStatus::Pinned,
            Some(p) => PinStatus::Changed { pinned: p.clone() },
            None => PinStatus::New,
        };
        Some((tool, status))
    }

    /// The server said its tools changed: re-read them before the next call.
    pub fn mark_stale(&self, adapter: &str) {
        if let Some(cat) = self.lock().get_mut(adapter) {
            cat.stale = true;
        }
    }

    /// Accept the definitions last listed (all, or one tool): returns (tool, old, new) for
    /// each pin that changed.
    pub async fn repin(
        &self,
        state: &SharedState,
        adapter: &str,
        only: Option<&str>,
        expect: Option<&HashMap<String, String>>,
    ) -> Result<Vec<(String, Option<String>, String)>, RepinError> {
        let changed: Vec<(String, Option<String>, String)> = {
            let g = self.lock();
            let cat = g.get(adapter).ok_or(RepinError::NothingListed)?;
            let mut v: Vec<_> = cat
                .tools
                .iter()
                .filter(|(name, _)| only.is_none_or(|o| o == name.as_str()))
                .filter(|(name, t)| cat.pins.get(*name) != Some(&t.hash))
                .map(|(name, t)| (name.clone(), cat.pins.get(name).cloned(), t.hash.clone()))
                .collect();
            if let Some(o) = only {
                if !cat.tools.contains_key(o) {
                    return Err(RepinError::UnknownTool(o.to_string()));
                }
            }
            v.sort();
            // the changes the operator reviewed, exactly: a definition listed since then is
            // not accepted unseen
            if let Some(want) = expect {
                let got: HashMap<String, String> =
                    v.iter().map(|(n, _, h)| (n.clone(), h.clone())).collect();
                if &got != want {
                    return Err(RepinError::ChangedSinceShown);
                }
            }
            v
        };
        let pins: Vec<(String, String)> = changed
            .iter()
            .map(|(n, _, h)| (n.clone(), h.clone()))
            .collect();
        state
            .set_pins(adapter, &pins)
            .await
            .map_err(RepinError::State)?;
        let mut g = self.lock();
        if let Some(cat) = g.get_mut(adapter) {
            for (n, h) in pins {
                if let Some(t) = cat.tools.get(&n) {
                    let def = t.def.clone();
                    cat.pinned_defs.insert(n.clone(), def);
                }
                cat.pins.insert(n, h);
            }
        }
        Ok(changed)
    }

    /// What a re-pin would accept (all of the adapter's tools, or one): each tool whose last
    /// listed definition differs from its pin, with both definitions (the pinned one when this
    /// process saw it).
    pub fn pending(&self, adapter: &str, only: Option<&str>) -> Result<Vec<Pending>, RepinError> {
        let g = self.lock();
        let cat = g.get(adapter).ok_or(RepinError::NothingListed)?;
        if let Some(o) = only {
            if !cat.tools.contains_key(o) {
                return Err(RepinError::UnknownTool(o.to_string()));
            }
        }
        let mut out: Vec<Pending> = cat
            .tools
            .iter()
            .filter(|(name, _)| only.is_none_or(|o| o == name.as_str()))
            .filter(|(name, t)| cat.pins.get(*name) != Some(&t.hash))
            .map(|(name, t)| Pending {
                name: name.clone(),
                pinned: cat.pins.get(name).cloned(),
                current: t.hash.clone(),
                pinned_definition: cat
                    .pinned_defs
                    .get(name)
                    .filter(|_| cat.pins.contains_key(name))
                    .cloned(),
                definition: t.def.clone(),
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}

/// A tool whose listed definition is not the pinned one (`Catalog::pending`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Pending {
    /// The name the server knows it by.
    pub name: String,
    /// The pinned hash (none: never pinned).
    pub pinned: Option<String>,
    /// The hash of the definition last listed.
    pub current: String,
    /// The definition the pin was made from, when this process saw it.
    pub pinned_definition: Option<Value>,
    /// The definition last listed.
    pub definition: Value,
}

#[derive(Debug, thiserror::Error)]
pub enum RepinError {
    #[error("toolwall has not seen this adapter's tools/list yet: list the tools through toolwall first")]
    NothingListed,
    #[error("the server's last tools/list has no tool `{0}`")]
    UnknownTool(String),
    #[error("the listed definitions are not the ones shown (the server changed them again): nothing was re-pinned; review them again")]
    ChangedSinceShown,
    #[error("{0}")]
    State(StateError),
}

/// Compile one listed definition with the adapter's overrides.
fn build(snap: &Snapshot, adapter: &Adapter, def: &Value, hash: String) -> Result<McpTool, String> {
    let server_name = def
        .get("name")
        .and_then(Value::as_str)
        .ok_or("a listed tool has no name")?
        .to_string();
    let name = format!("{}.{server_name}", adapter.name);
    let input = def
        .get("inputSchema")
        .filter(|s| s.is_object())
        .ok_or_else(|| format!("tool {server_name}: inputSchema is missing or not an object"))?;
    let schema = jsonschema::draft202012::new(input)
        .map_err(|e| format!("tool {server_name}: inputSchema is not a valid JSON Schema: {e}"))?;
    let output = match def.get("outputSchema").filter(|s| !s.is_null()) {
        None => None,
        Some(s) => Some(jsonschema::draft202012::new(s).map_err(|e| {
            format!("tool {server_name}: outputSchema is not a valid JSON Schema: {e}")
        })?),
    };
    let override_idx = adapter.tools.iter().position(|t| t.name == name);
    let ov = override_idx.map(|i| &adapter.tools[i]);
    let tool = Tool {
        label: crate::metrics::tool_label(&name),
        method: http::Method::POST,
        path: adapter.upstream.base_path.clone(),
        args_from: crate::config::raw::ArgsFrom::Json,
        schema: Some(schema),
        schema_ref: Some(match ov.and_then(|t| t.schema_ref.clone()) {
            Some(r) => r,
            None => format!("mcp:inputSchema {}", &hash[..19.min(hash.len())]),
        }),
        coerce: HashMap::new(),
        cost_usd: ov.map_or(0.0, |t| t.cost_usd),
        cost_pointer: ov.and_then(|t| t.cost_pointer.clone()),
        response_schema: None,
        read_only: ov.is_some_and(|t| t.read_only),
        risk: ov.map_or_else(|| json!({}), |t| t.risk.clone()),
        mode: ov.map_or(adapter.mode, |t| t.mode),
        dry_run: ov.is_some_and(|t| t.dry_run),
        idempotency: None,
        grpc: None,
        input_part: None,
        name,
    };
    Ok(McpTool {
        params: crate::protocol::mcp::param_header_map(input),
        tool,
        server_name,
        hash,
        output,
        override_idx,
        config_version: snap.version.clone(),
        def: def.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_covers_what_pinning_promises() {
        let base = json!({"name":"t","description":"d","inputSchema":{"type":"object"}});
        let h = definition_hash(&base);
        assert!(h.starts_with("sha256:"));
        // key order does not matter; every pinned field does
        assert_eq!(
            h,
            definition_hash(&json!({"inputSchema":{"type":"object"},"description":"d","name":"t"}))
        );
        for changed in [
            json!({"name":"t","description":"D","inputSchema":{"type":"object"}}),
            json!({"name":"t","description":"d","inputSchema":{"type":"object","required":["x"]}}),
            json!({"name":"t","description":"d","inputSchema":{"type":"object"},"outputSchema":{"type":"object"}}),
            json!({"name":"t","description":"d","inputSchema":{"type":"object"},"annotations":{"destructiveHint":true}}),
        ] {
            assert_ne!(h, definition_hash(&changed), "{changed}");
        }
        // fields outside the pin (title, icons, _meta) do not
        assert_eq!(
            h,
            definition_hash(
                &json!({"name":"t","description":"d","inputSchema":{"type":"object"},"_meta":{"x":1}})
            )
        );
    }
}
