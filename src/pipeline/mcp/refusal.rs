//! Refusals in MCP: the shape [`Reject::to_mcp`] decides (the one mapping from a reason to
//! what the agent or server gets), encoded as a JSON-RPC message or an HTTP error.

use http::{Response, StatusCode};
use serde_json::{json, Value};

use super::{set_decision_header, Exchange};
use crate::pipeline::reject::{McpRefusal, McpSubject, Reject};
use crate::pipeline::{full, ResBody};
use crate::protocol::mcp::{self as proto, ProtocolError};
use crate::stage::record::{CallRecord, Outcome};

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
        let mut data = json!({"reasons": rej.reasons(), "decision_id": decision_id});
        if let Some(id) = &rej.approval_id {
            data["approval_id"] = json!(id);
        }
        let text = rej.mcp_text(decision_id);
        let answer = proto::error_response(id, proto::REFUSED, &text, Some(data));
        (answer, status)
    };
    match rej.to_mcp(subject) {
        McpRefusal::ToolError => {
            let mut answer = proto::refusal_result(id, &rej.mcp_text(decision_id), modern);
            // what a client needs to retry with the approval, machine-readable
            if let Some(approval) = &rej.approval_id {
                answer["result"]["_meta"] = json!({"toolwall/refusal": {
                    "reasons": rej.reasons(),
                    "decision_id": decision_id,
                    "approval_id": approval,
                }});
            }
            (answer, StatusCode::OK)
        }
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
    ctx: &mut CallRecord,
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
pub(super) fn refuse_http(ctx: &mut CallRecord, rej: Reject) -> Response<ResBody> {
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
        ctx: &mut CallRecord,
        rej: Reject,
        subject: McpSubject,
        id: &Value,
    ) -> (Value, StatusCode) {
        refuse(ctx, rej, subject, id, self.modern)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::reject::Reason;
    use http_body_util::BodyExt;

    fn denied() -> Reject {
        let mut rej = Reject::new(Reason::PolicyDenied, "the amount is over the limit");
        rej.policy_reasons = vec!["amount_exceeds_threshold".into()];
        rej
    }

    #[test]
    fn a_refused_tool_call_is_a_result_the_model_reads() {
        let (m, status) = message(&denied(), McpSubject::ToolCall, &json!(7), "d-1", false);
        assert_eq!(status, StatusCode::OK);
        assert_eq!(m["id"], 7);
        assert_eq!(m["result"]["isError"], true);
        let text = m["result"]["content"][0]["text"].as_str().unwrap_or("");
        assert!(text.contains("amount_exceeds_threshold"), "{text}");
        assert!(
            text.contains("over the limit") && text.contains("d-1"),
            "{text}"
        );
        assert!(m.get("error").is_none());
        assert!(m["result"].get("resultType").is_none());
        // 2026-07-28 results say they are complete
        let (m, _) = message(&denied(), McpSubject::ToolCall, &json!(7), "d-1", true);
        assert_eq!(m["result"]["resultType"], "complete");
    }

    #[test]
    fn other_refused_requests_are_errors_with_reasons_and_decision() {
        for subject in [McpSubject::Request, McpSubject::BatchElement] {
            let (m, status) = message(&denied(), subject, &json!("r"), "d-2", false);
            assert_eq!(status, StatusCode::OK);
            assert_eq!(m["id"], "r");
            assert_eq!(m["error"]["code"], proto::REFUSED);
            assert_eq!(m["error"]["data"]["reasons"][0], "amount_exceeds_threshold");
            assert_eq!(m["error"]["data"]["decision_id"], "d-2");
            let text = m["error"]["message"].as_str().unwrap_or("");
            assert!(text.contains("over the limit"), "{text}");
        }
    }

    #[test]
    fn the_server_learns_only_the_reasons() {
        let (m, _) = message(
            &denied(),
            McpSubject::ServerRequest,
            &json!(3),
            "d-3",
            false,
        );
        assert_eq!(m["error"]["code"], proto::REFUSED);
        assert_eq!(
            m["error"]["message"],
            "refused by toolwall policy: amount_exceeds_threshold"
        );
        assert!(!m.to_string().contains("d-3") && !m.to_string().contains("limit"));
    }

    #[test]
    fn malformed_messages_are_json_rpc_errors_with_their_code() {
        let e = ProtocolError::new(proto::INVALID_PARAMS, "tools/call needs params.name");
        let rej = protocol(e);
        assert_eq!(rej.reason, Reason::InvalidMcpMessage);
        for subject in [McpSubject::ToolCall, McpSubject::Request] {
            let (m, status) = message(&rej, subject, &json!(1), "d", false);
            assert_eq!(status, StatusCode::BAD_REQUEST);
            assert_eq!(m["error"]["code"], proto::INVALID_PARAMS);
            assert_eq!(m["error"]["message"], "tools/call needs params.name");
        }
        let rej = Reject::new(Reason::InvalidJson, "the body is not JSON");
        let (m, status) = message(&rej, McpSubject::Request, &Value::Null, "d", false);
        assert_eq!(
            (status, &m["error"]["code"]),
            (StatusCode::BAD_REQUEST, &json!(proto::PARSE_ERROR))
        );
        assert_eq!(m["id"], Value::Null);
    }

    #[test]
    fn an_unknown_session_says_nothing_of_who_holds_it() {
        let mut ctx_answers = Vec::new();
        for why in ["belongs to another principal", "never opened"] {
            let rej = Reject::new(Reason::InvalidMcpMessage, why);
            ctx_answers.push(message(&rej, McpSubject::Session, &json!(1), "d", false));
        }
        assert_eq!(ctx_answers[0], ctx_answers[1]);
        let (m, status) = &ctx_answers[0];
        assert_eq!(*status, StatusCode::NOT_FOUND);
        assert_eq!(m["error"]["code"], proto::INVALID_REQUEST);
        assert_eq!(m["error"]["message"], "session not found");
    }

    #[tokio::test]
    async fn a_request_that_is_no_message_gets_the_http_error() {
        let mut rej = Reject::new(Reason::RateLimited, "slow down");
        rej.retry_after = Some(3);
        let resp = http(rej, "d-4");
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(resp.headers()[crate::pipeline::DECISION_HEADER], "d-4");
        assert_eq!(resp.headers()[http::header::RETRY_AFTER], "3");
        let body = resp.into_body().collect().await.map(|b| b.to_bytes());
        let v: Value = body
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        assert_eq!(v["error"]["reasons"][0], "rate_limited");
        assert_eq!(v["error"]["decision_id"], "d-4");
    }
}
