//! A `tools/list` result: every definition pinned (or refused as changed), then filtered by
//! pin and by `data.toolwall.tool_visible`; and the operator's re-pin.

use super::refusal;
use crate::pipeline::reject::McpSubject;
use std::sync::Arc;

use serde_json::{json, Value};

use super::AppState;
use super::Exchange;
use crate::config::Tool;
use crate::mcp::PinStatus;
use crate::pipeline::ctx::{CallCtx, Outcome};
use crate::pipeline::reject::{Reason, Reject};
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
            let (tool, status) = match status {
                Ok(t) => t,
                Err(why) => {
                    tracing::warn!(adapter = %adapter.name, tool = %name, %why, "MCP tool withheld: invalid definition");
                    keep.push(false);
                    continue;
                }
            };
            match &status {
                PinStatus::Changed { pinned } => {
                    let mut ctx = self.new_ctx();
                    ctx.set_tool(&tool.tool);
                    ctx.extra = Some(json!({
                        "method": "tools/list", "name": name,
                        "definition": tool.hash, "pinned_definition": pinned,
                    }));
                    ctx.outcome = Some(Outcome::Refused(Reject::new(
                        Reason::ToolDefinitionChanged,
                        format!("tool `{name}` withheld from tools/list: its definition changed since it was pinned"),
                    )));
                    keep.push(false);
                    continue;
                }
                PinStatus::Repinned { old } => self.audit_repinned(&name, &tool, old),
                PinStatus::New | PinStatus::Pinned => {}
            }
            keep.push(self.visible(&tool.tool));
        }
        if let Some(list) = msg
            .pointer_mut("/result/tools")
            .and_then(Value::as_array_mut)
        {
            let mut it = keep.into_iter();
            list.retain(|_| it.next().unwrap_or(false));
        }
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
            &self.snap,
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

/// `POST /admin/mcp/pin`: accept the definitions last listed by the server (every tool of the
/// adapter, or one), each change audited with both hashes.
pub async fn repin(
    app: &Arc<AppState>,
    adapter: &str,
    tool: Option<&str>,
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
        .repin(app.state(), adapter, tool)
        .await
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for (name, old, new) in changed {
        let audit = app
            .audit
            .as_ref()
            .map(|(sink, args)| crate::pipeline::ctx::AuditHook {
                sink: sink.clone(),
                args: *args,
                redactor: snap.redactor.clone(),
            });
        let mut ctx = CallCtx::new(
            app.metrics.clone(),
            &snap,
            format!("{:032x}", rand::random::<u128>() | 1),
            audit,
        );
        ctx.adapter = Some(adapter.to_string());
        ctx.set_tool_name(format!("{adapter}.{name}"));
        let extra = json!({
            "method": "admin/pin", "name": name, "event": "repinned_by_operator",
            "definition": new, "pinned_definition": old,
        });
        ctx.extra = Some(extra.clone());
        ctx.outcome = Some(Outcome::Forwarded { status: 200 });
        out.push(extra);
    }
    Ok(json!({"adapter": adapter, "repinned": out}))
}
