//! Audit `event` records of what is not a tool call (`audit::event`): a server message
//! toolwall withheld, a definition `pin: auto` or an operator re-pinned, a listed tool withheld
//! as changed. They count in no call metric. Each is one small function.

use serde_json::{json, Value};

use super::{Exchange, Runtime};
use crate::audit::event::{EventPrincipal, EventRecord};
use crate::mcp::McpTool;

impl Exchange {
    /// An event about this exchange: its adapter and principal.
    fn event(&self, name: &'static str) -> EventRecord {
        let mut ev = EventRecord::new(name).adapter(self.adapter().name.clone());
        if let Some(p) = &self.principal {
            ev = ev.principal(EventPrincipal {
                agent: Some(p.agent.clone()),
                run_id: p.run_id.clone(),
                tenant_id: p.tenant.clone(),
                workflow: p.workflow.clone(),
                source: Some(p.source.to_string()),
            });
        }
        ev
    }

    /// Record a server message toolwall withheld (or a request it answered itself):
    /// `mcp.server_message_withheld`. Returns the event's id, which the answer names.
    pub(super) fn audit_withheld(&self, why: &str) -> String {
        tracing::warn!(adapter = %self.adapter().name, why, "MCP server message withheld");
        let ev = self
            .event("mcp.server_message_withheld")
            .detail("reason", "response_not_inspectable")
            .detail("why", why)
            .detail("stream", if self.post { "post" } else { "get" });
        let id = ev.id().to_string();
        self.app.event(ev);
        id
    }

    /// `pin: auto` accepted a changed definition: `mcp.tool_repinned` with both hashes.
    pub(super) fn audit_repinned(&self, name: &str, tool: &McpTool, old: &str) {
        let ev = self
            .event("mcp.tool_repinned")
            .tool(tool.tool.name.clone())
            .detail("name", name)
            .detail("definition", tool.hash.clone())
            .detail("pinned_definition", old);
        self.app.event(ev);
    }

    /// A listed tool withheld from `tools/list` because its definition changed since it was
    /// pinned: `mcp.tool_withheld` with both hashes.
    pub(super) fn audit_withheld_changed(&self, name: &str, tool: &McpTool, pinned: &str) {
        let ev = self
            .event("mcp.tool_withheld")
            .tool(tool.tool.name.clone())
            .detail("reason", "tool_definition_changed")
            .detail("name", name)
            .detail("definition", tool.hash.clone())
            .detail("pinned_definition", pinned);
        self.app.event(ev);
    }
}

/// An operator re-pinned a tool (`POST /admin/mcp/pin`): `admin.mcp_repin` with both hashes.
/// Returns what the record says of it (the admin answer lists these).
pub(super) fn audit_operator_repin(
    app: &Runtime,
    adapter: &str,
    name: &str,
    old: Option<String>,
    new: &str,
) -> Value {
    let detail = json!({"name": name, "definition": new, "pinned_definition": old});
    let mut ev = EventRecord::new("admin.mcp_repin")
        .adapter(adapter)
        .tool(format!("{adapter}.{name}"));
    if let Value::Object(fields) = detail.clone() {
        ev = ev.details(fields);
    }
    app.event(ev);
    detail
}
