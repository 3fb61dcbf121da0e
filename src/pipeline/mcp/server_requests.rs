//! What the server sends unasked: each message classified, and its requests (sampling,
//! elicitation, roots) decided by policy before they reach the agent.

use http::Method;
use serde_json::{json, Value};

use super::client::drop_param_headers;
use super::{refusal, serialize, truncated, Exchange};
use crate::pipeline::reject::{McpSubject, Reject};
use crate::pipeline::{self, Call, View};
use crate::protocol::mcp::{self as proto, Shape};
use crate::stage::forward::{forward, Outgoing};
use crate::stage::record::Outcome;

impl Exchange {
    /// Policy on a server-to-client request (`<adapter>.sampling/createMessage`, …), audited.
    pub(super) fn decide_server_request(
        &self,
        method: &str,
        mut params: Value,
    ) -> Result<(), Reject> {
        let mut ctx = self.new_ctx();
        let tool = self.pseudo_tool(method);
        ctx.set_tool(&tool);
        ctx.extra = Some(json!({"method": method, "direction": "server_to_client"}));
        if let Some(m) = params.as_object_mut() {
            m.remove("_meta");
        }
        if !params.is_object() {
            params = json!({});
        }
        let call = Call {
            adapter: self.adapter(),
            tool: &tool,
            schema_tool: &tool,
            args: params,
            facts: self.facts(),
            view: View::Mcp(ctx.extra.clone().unwrap_or(Value::Null)),
            approval: None,
        };
        let result = pipeline::decide_message(&self.app, &self.snap, &mut ctx, call);
        match result {
            Ok(()) => {
                ctx.outcome = Some(Outcome::Forwarded { status: 200 });
                Ok(())
            }
            Err(rej) => {
                ctx.outcome = Some(Outcome::Refused(rej.clone()));
                Err(rej)
            }
        }
    }

    /// A server-to-client request on a stream (2025-xx sessions): passed to the agent when
    /// policy allows it; otherwise withheld, and the server gets the refusal as its answer.
    pub(super) async fn gate_server_request(&self, msg: Value) -> Option<Value> {
        let method = proto::method(&msg).to_string();
        let params = msg.get("params").cloned().unwrap_or(Value::Null);
        let Err(rej) = self.decide_server_request(&method, params) else {
            return Some(msg);
        };
        let id = msg.get("id").cloned().unwrap_or(Value::Null);
        // the decision is recorded (`decide_server_request`); the server sees only the reasons
        let subject = McpSubject::ServerRequest;
        let (answer, _) = refusal::message(&rej, subject, &id, "", self.modern);
        let mut headers = self.headers.clone();
        headers.remove(proto::METHOD_HEADER);
        headers.remove(proto::NAME_HEADER);
        drop_param_headers(&mut headers);
        let adapter_snap = self.snap.clone();
        let idx = self.adapter;
        let traceparent = self.traceparent.clone();
        tokio::spawn(async move {
            let out = Outgoing {
                method: Method::POST,
                path_and_query: String::new(),
                body: serialize(&answer),
                content_type: Some("application/json"),
                traceparent,
                identity_encoding: false,
            };
            if let Err(e) = forward(&adapter_snap.adapters[idx], &headers, out).await {
                tracing::warn!(error = %e.message, "could not answer the server's refused request");
            }
        });
        None
    }
}

/// What the relay does with one message from the server.
#[derive(Debug, PartialEq, Eq)]
pub enum ServerMessage {
    /// A response: relayed only as the answer to a pending request ([`answered_key`]).
    Answer,
    /// `sampling/createMessage`, `elicitation/create`, `roots/list`: decided by policy.
    GatedRequest,
    /// `ping`, or a `notifications/*` notification: relayed.
    Relay,
    /// A well-formed message of a kind MCP servers do not send: withheld and audited.
    Withheld(String),
    /// Not a JSON-RPC message: unreadable.
    Invalid(String),
}

pub fn classify_server_message(msg: &Value) -> ServerMessage {
    let shape = match proto::shape(msg) {
        Ok(s) => s,
        Err(e) => {
            return ServerMessage::Invalid(format!(
                "the MCP server sent a message that is not JSON-RPC: {}",
                e.message
            ))
        }
    };
    let method = truncated(proto::method(msg), 256);
    match shape {
        Shape::Response => ServerMessage::Answer,
        Shape::Request if proto::is_gated_server_request(method) => ServerMessage::GatedRequest,
        Shape::Request if proto::is_known_server_request(method) => ServerMessage::Relay,
        Shape::Request => ServerMessage::Withheld(format!(
            "the MCP server sent a request toolwall does not relay: `{method}`"
        )),
        Shape::Notification if proto::is_notification_method(method) => ServerMessage::Relay,
        Shape::Notification => ServerMessage::Withheld(format!(
            "the MCP server sent `{method}` without an id: only notifications/* may be"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_messages_are_classified_fail_closed() {
        let cases = [
            (json!({"jsonrpc": "2.0", "id": 1, "result": {}}), "answer"),
            (
                json!({"jsonrpc": "2.0", "id": null, "error": {"code": 1, "message": "x"}}),
                "answer",
            ),
            (
                json!({"jsonrpc": "2.0", "id": 1, "method": "sampling/createMessage"}),
                "gated",
            ),
            (
                json!({"jsonrpc": "2.0", "id": 1, "method": "elicitation/create"}),
                "gated",
            ),
            (
                json!({"jsonrpc": "2.0", "id": 1, "method": "roots/list"}),
                "gated",
            ),
            (
                json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
                "relay",
            ),
            (
                json!({"jsonrpc": "2.0", "method": "notifications/progress"}),
                "relay",
            ),
            (
                json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call"}),
                "withheld",
            ),
            (
                json!({"jsonrpc": "2.0", "method": "sampling/createMessage"}),
                "withheld",
            ),
            (json!({"jsonrpc": "2.0", "method": "ping"}), "withheld"),
            (json!({"jsonrpc": "1.0", "id": 1, "result": {}}), "invalid"),
            (
                json!({"jsonrpc": "2.0", "id": 1, "result": {}, "error": {}}),
                "invalid",
            ),
            (
                json!({"jsonrpc": "2.0", "id": 1.5, "result": {}}),
                "invalid",
            ),
            (json!([1]), "invalid"),
        ];
        for (m, want) in cases {
            let got = match classify_server_message(&m) {
                ServerMessage::Answer => "answer",
                ServerMessage::GatedRequest => "gated",
                ServerMessage::Relay => "relay",
                ServerMessage::Withheld(_) => "withheld",
                ServerMessage::Invalid(_) => "invalid",
            };
            assert_eq!(got, want, "{m}");
        }
    }
}
