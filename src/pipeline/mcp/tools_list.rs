//! A `tools/list` result: every definition pinned (or refused as changed), then filtered by
//! pin and by `data.toolwall.tool_visible`; and the operator's re-pin.

use std::sync::Arc;

use serde_json::{json, Value};

use super::{records, refusal, Exchange, Runtime};
use crate::config::Tool;
use crate::mcp::PinStatus;
use crate::pipeline::reject::{McpSubject, Reason, Reject};
use crate::stage::policy;

impl Exchange {
    /// Pin, then filter a `tools/list` result by pin and by `data.toolwall.tool_visible`.
    pub(super) async fn filter_tools_list(&self, mut msg: Value) -> Value {
        let Some(tools) = msg.pointer("/result/tools").and_then(Value::as_array) else {
            if msg.get("result").is_none() {
                return msg; // an error answer
            }
            let rej = Reject::new(
                Reason::ResponseNotInspectable,
                "toolwall withheld a tools/list result without a tools array",
            );
            return self.withhold_list(&msg, rej);
        };
        let adapter = self.adapter();
        let observed = match self
            .app
            .mcp
            .observe(self.app.state(), &self.snap, adapter, tools)
            .await
        {
            Ok(o) => o,
            Err(e) => {
                let why = format!("toolwall cannot check tool pins: {e}");
                return self.withhold_list(&msg, Reject::new(Reason::StateUnavailable, why));
            }
        };
        let mut keep = Vec::with_capacity(observed.len());
        for (name, status) in observed {
            let shown = match &status {
                Err(why) => {
                    tracing::warn!(adapter = %adapter.name, tool = %name, %why, "MCP tool withheld: invalid definition");
                    false
                }
                Ok((tool, PinStatus::Changed { pinned })) => {
                    self.audit_withheld_changed(&name, tool, pinned);
                    false
                }
                Ok((tool, PinStatus::Repinned { old })) => {
                    self.audit_repinned(&name, tool, old);
                    self.visible(&tool.tool)
                }
                Ok((tool, PinStatus::New | PinStatus::Pinned)) => self.visible(&tool.tool),
            };
            keep.push(shown);
        }
        retain_listed(&mut msg, keep);
        msg
    }

    /// A `tools/list` answer toolwall does not relay: recorded as withheld, and the agent
    /// gets the refusal instead.
    fn withhold_list(&self, msg: &Value, rej: Reject) -> Value {
        let id = msg.get("id").cloned().unwrap_or(Value::Null);
        let decision_id = self.audit_withheld(&rej.message);
        refusal::message(&rej, McpSubject::Request, &id, &decision_id, self.modern).0
    }

    /// `data.toolwall.tool_visible` for this principal and tool: absent rule ⇒ visible;
    /// false, undefined or an error ⇒ hidden.
    pub(super) fn visible(&self, tool: &Tool) -> bool {
        if !self.snap.policy.has_visible {
            return true;
        }
        let input = policy::visibility_input(
            tool.mode.unwrap_or(self.snap.mode),
            self.principal.as_ref(),
            self.adapter(),
            tool,
            self.app.clock().now(),
        );
        match self.snap.policy.eval(crate::policy::VISIBLE_RULE, &input) {
            Ok(regorus::Value::Bool(b)) => b,
            Ok(_) | Err(crate::policy::EvalError::Undefined) => false,
            Err(e) => {
                tracing::warn!(tool = %tool.name, error = %e, "tool_visible failed; tool hidden");
                false
            }
        }
    }
}

/// Keep the listed tools whose flag is set, in order; a tool past the flags is dropped.
pub(super) fn retain_listed(msg: &mut Value, keep: Vec<bool>) {
    if let Some(list) = msg
        .pointer_mut("/result/tools")
        .and_then(Value::as_array_mut)
    {
        let mut it = keep.into_iter();
        list.retain(|_| it.next().unwrap_or(false));
    }
}

/// `POST /admin/mcp/pin`: accept the definitions last listed by the server (every tool of the
/// adapter, or one), each change audited with both hashes.
pub async fn repin(
    app: &Arc<Runtime>,
    adapter: &str,
    tool: Option<&str>,
    expect: Option<&std::collections::HashMap<String, String>>,
) -> Result<Value, String> {
    let snap = app.snapshot.load_full();
    let Some(idx) = snap.adapter_by_name(adapter) else {
        return Err(format!("no adapter named `{adapter}`"));
    };
    if snap.adapters[idx].kind != crate::config::raw::AdapterKind::Mcp {
        return Err(format!("adapter `{adapter}` is not an MCP adapter"));
    }
    let changed = app
        .mcp
        .repin(app.state(), adapter, tool, expect)
        .await
        .map_err(|e| e.to_string())?;
    let out: Vec<Value> = changed
        .into_iter()
        .map(|(name, old, new)| records::audit_operator_repin(app, adapter, &name, old, &new))
        .collect();
    Ok(json!({"adapter": adapter, "repinned": out}))
}

/// `GET /admin/mcp/pin`: what `repin` would accept, with the definitions to compare.
pub fn pending(app: &Runtime, adapter: &str, tool: Option<&str>) -> Result<Value, String> {
    let snap = app.snapshot.load_full();
    let Some(idx) = snap.adapter_by_name(adapter) else {
        return Err(format!("no adapter named `{adapter}`"));
    };
    if snap.adapters[idx].kind != crate::config::raw::AdapterKind::Mcp {
        return Err(format!("adapter `{adapter}` is not an MCP adapter"));
    }
    let changes = app.mcp.pending(adapter, tool).map_err(|e| e.to_string())?;
    Ok(json!({"adapter": adapter, "changes": changes}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_keeps_only_the_tools_flagged_shown() {
        let list = |names: &[&str]| {
            let tools: Vec<Value> = names.iter().map(|n| json!({"name": n})).collect();
            json!({"jsonrpc": "2.0", "id": 1, "result": {"tools": tools, "nextCursor": "c"}})
        };
        let mut msg = list(&["a", "b", "c"]);
        retain_listed(&mut msg, vec![true, false, true]);
        assert_eq!(msg, {
            let mut m = list(&["a", "c"]);
            m["result"]["nextCursor"] = json!("c");
            m
        });
        // fewer flags than tools (a definition toolwall did not observe): dropped
        let mut msg = list(&["a", "b"]);
        retain_listed(&mut msg, vec![true]);
        assert_eq!(msg, list(&["a"]));
        // an error answer is left as it is
        let mut err = json!({"jsonrpc": "2.0", "id": 1, "error": {"code": 1, "message": "x"}});
        retain_listed(&mut err, Vec::new());
        assert_eq!(err["error"]["code"], 1);
    }
}
