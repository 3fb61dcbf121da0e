//! Refusals in MCP: the shape [`Reject::to_mcp`] decides (the one mapping from a reason to
//! what the agent or server gets), encoded as a JSON-RPC message or an HTTP error.

use http::{Response, StatusCode};
use serde_json::{json, Value};

use super::{set_decision_header, Exchange};
use crate::pipeline::ctx::{CallCtx, Outcome};
use crate::pipeline::reject::{McpRefusal, McpSubject, Reject};
use crate::pipeline::{full, ResBody};
use crate::protocol::mcp::{self as proto, ProtocolError};

/// A refusal as the JSON-RPC message the agent (or, for [`McpSubject::ServerRequest`], the
/// server) gets, and the HTTP status of a response that carries only this message.
pub(super) fn message(
    rej: &Reject,
    subject: McpSubject,
    id: &Value,
    decision_id: &str,
    modern: bool,
) -> (Value, StatusCode) {
    let refused = |status| {
        let data = json!({"reasons": rej.reasons(), "decision_id": decision_id});
        let text = rej.mcp_text(decision_id);
        let answer = proto::error_response(id, proto::REFUSED, &text, Some(data));
        (answer, status)
    };
    match rej.to_mcp(subject) {
        McpRefusal::ToolError => (
            proto::refusal_result(id, &rej.mcp_text(decision_id), modern),
            StatusCode::OK,
        ),
        McpRefusal::Refused => refused(StatusCode::OK),
        McpRefusal::RefusedToServer => {
            let why = format!("refused by toolwall policy: {}", rej.reasons().join(", "));
            (
                proto::error_response(id, proto::REFUSED, &why, None),
                StatusCode::OK,
            )
        }
        McpRefusal::Malformed(kind) => (
            proto::error_response(id, rej.rpc_error_code(kind), &rej.message, None),
            StatusCode::BAD_REQUEST,
        ),
        McpRefusal::SessionNotFound => (
            proto::error_response(
                &Value::Null,
                proto::INVALID_REQUEST,
                "session not found",
                None,
            ),
            StatusCode::NOT_FOUND,
        ),
        // only a request that is not a JSON-RPC message is answered with the HTTP error; as a
        // message it is the refusal with the HTTP error's status
        McpRefusal::Http => refused(rej.reason.response_class().0),
    }
}

/// Record `rej` as the outcome of `ctx`'s call, and return its MCP answer.
pub(super) fn refuse(
    ctx: &mut CallCtx,
    rej: Reject,
    subject: McpSubject,
    id: &Value,
    modern: bool,
) -> (Value, StatusCode) {
    let answer = message(&rej, subject, id, &ctx.decision_id, modern);
    ctx.outcome = Some(Outcome::Refused(rej));
    answer
}

/// A refusal of a request that is not a JSON-RPC message ([`McpSubject::Transport`]):
/// the HTTP error, with its decision id. `ctx` records it when there is one.
pub(super) fn http(rej: Reject, decision_id: &str) -> Response<ResBody> {
    let (mut parts, body) = match rej.to_mcp(McpSubject::Transport) {
        McpRefusal::Http => {
            let (parts, body) = rej.to_response(decision_id).into_parts();
            (parts, full(body))
        }
        _ => {
            let (answer, status) = message(
                &rej,
                McpSubject::Transport,
                &Value::Null,
                decision_id,
                false,
            );
            super::json_body(status, &answer).into_parts()
        }
    };
    set_decision_header(&mut parts.headers, decision_id);
    Response::from_parts(parts, body)
}

/// [`http`], recorded as `ctx`'s outcome.
pub(super) fn refuse_http(ctx: &mut CallCtx, rej: Reject) -> Response<ResBody> {
    let resp = http(rej.clone(), &ctx.decision_id);
    ctx.outcome = Some(Outcome::Refused(rej));
    resp
}

/// A message that breaks the protocol, as a refusal: `invalid_mcp_message` with the
/// JSON-RPC code the check named.
pub(super) fn protocol(e: ProtocolError) -> Reject {
    let mut rej = Reject::new(
        crate::pipeline::reject::Reason::InvalidMcpMessage,
        e.message,
    );
    rej.rpc_code = Some(e.code);
    rej
}

impl Exchange {
    /// [`refuse`] in this exchange's protocol version.
    pub(super) fn refuse_with(
        &self,
        ctx: &mut CallCtx,
        rej: Reject,
        subject: McpSubject,
        id: &Value,
    ) -> (Value, StatusCode) {
        refuse(ctx, rej, subject, id, self.modern)
    }
}
