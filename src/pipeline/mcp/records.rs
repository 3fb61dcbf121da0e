//! Audit records of what is not a tool call: a server message toolwall withheld, a
//! definition `pin: auto` re-pinned.

use serde_json::json;

use super::Exchange;
use crate::mcp::McpTool;
use crate::pipeline::ctx::Outcome;
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
}
