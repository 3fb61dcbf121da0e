//! Audit records of what is not a tool call: a server message toolwall withheld, a
//! definition `pin: auto` or an operator re-pinned, a listed tool withheld as changed. Each
//! is one small function, so the record type can change in one place.

use serde_json::{json, Value};

use super::{AppState, Exchange};
use crate::config::Snapshot;
use crate::mcp::McpTool;
use crate::pipeline::ctx::{CallCtx, Outcome};
use crate::pipeline::reject::{Reason, Reject};

impl Exchange {
    /// Record a server message toolwall withheld (or a request it answered itself): a record
    /// of `<adapter>.server_message` refused as `response_not_inspectable`. Returns its
    /// decision id.
    pub(super) fn audit_withheld(&self, why: &str) -> String {
        tracing::warn!(adapter = %self.adapter().name, why, "MCP server message withheld");
        let mut ctx = self.new_ctx();
        ctx.set_tool(&self.pseudo_tool("server_message"));
        ctx.extra = Some(json!({
            "direction": "server_to_client",
            "event": "withheld",
            "stream": if self.post { "post" } else { "get" },
        }));
        ctx.outcome = Some(Outcome::Refused(Reject::new(
            Reason::ResponseNotInspectable,
            why,
        )));
        ctx.decision_id.clone()
    }

    /// `pin: auto` accepted a changed definition: recorded with both hashes (the record is
    /// written when the context drops, here).
    pub(super) fn audit_repinned(&self, name: &str, tool: &McpTool, old: &str) {
        let mut ctx = self.new_ctx();
        ctx.set_tool(&tool.tool);
        ctx.extra = Some(json!({
            "method": "tools/list", "name": name, "event": "repinned",
            "definition": tool.hash, "pinned_definition": old,
        }));
        ctx.outcome = Some(Outcome::Forwarded { status: 200 });
    }

    /// A listed tool withheld because its definition changed since it was pinned: recorded
    /// as refused with both hashes.
    pub(super) fn audit_withheld_changed(&self, name: &str, tool: &McpTool, pinned: &str) {
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
    }
}

/// An operator re-pinned a tool (`POST /admin/mcp/pin`): recorded with both hashes. Returns
/// what the record says of it (the admin answer lists these).
pub(super) fn audit_operator_repin(
    app: &AppState,
    snap: &Snapshot,
    adapter: &str,
    name: &str,
    old: Option<String>,
    new: &str,
) -> Value {
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
        snap,
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
    extra
}
