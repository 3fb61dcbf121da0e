//! A decided call's answer: input requests decided, `outputSchema` checked, redaction
//! applied, spend settled.

use serde_json::Value;

use super::{CallState, Exchange};
use crate::pipeline::reject::{Reason, Reject};
use crate::stage::{redact, response};
use crate::state::micros;

impl Exchange {
    /// A decided call's answer: server-to-client input requests decided (2026-07-28),
    /// `structuredContent` checked against `outputSchema`, redaction applied, spend settled.
    pub(super) async fn finish_call(&self, mut call: CallState, mut msg: Value) -> Value {
        let id = msg.get("id").cloned().unwrap_or(Value::Null);
        // the server's answer ends the request's CLIENT span: a JSON-RPC error is its code, a
        // tool's `isError` result `tool_error` (the MCP conventions)
        if let Some(span) = call.ctx.span.as_mut() {
            let error = match (msg.get("error"), msg.get("result")) {
                (Some(e), _) => Some(match e.get("code").and_then(Value::as_i64) {
                    Some(code) => code.to_string(),
                    None => "_OTHER".to_string(),
                }),
                (None, Some(r)) if r.get("isError") == Some(&Value::Bool(true)) => {
                    Some("tool_error".to_string())
                }
                _ => None,
            };
            span.end_client(Vec::new(), error.as_deref());
        }
        let mut refused: Option<Reject> = None;
        if let Some(result) = msg.get_mut("result") {
            if let Some(requests) = result.get("inputRequests").and_then(Value::as_object) {
                for (key, req) in requests {
                    let method = req.get("method").and_then(Value::as_str).unwrap_or("");
                    let params = req.get("params").cloned().unwrap_or(Value::Null);
                    if let Err(rej) = self.decide_server_request(method, params) {
                        let mut r = rej;
                        r.message = format!("the server asked for {method} ({key}): {}", r.message);
                        refused = Some(r);
                        break;
                    }
                }
            }
            let is_error = result.get("isError") == Some(&Value::Bool(true));
            let input_required =
                result.get("resultType").and_then(Value::as_str) == Some("input_required");
            if let (None, false, false, Some(output)) = (
                &refused,
                is_error,
                input_required,
                call.tool.as_ref().and_then(|t| t.output.as_ref()),
            ) {
                refused = match result.get("structuredContent") {
                    None => Some(Reject::new(
                        Reason::ToolOutputInvalid,
                        "the tool's result does not match its outputSchema: \
                         the result has no structuredContent",
                    )),
                    Some(sc) => {
                        response::check_output(output, "outputSchema", sc, &self.snap.redactor)
                            .err()
                    }
                };
            }
            if let (None, Some(plan)) = (&refused, &call.plan) {
                if let Err(rej) =
                    redact::redact_args(&self.snap.redactor, result, plan, &self.app.metrics)
                {
                    refused = Some(rej);
                }
            }
        }
        if let (None, Some(plan), Some(error)) = (&refused, &call.plan, msg.get_mut("error")) {
            // the server's error message and data are the tool's words too
            if let Err(rej) =
                redact::redact_args(&self.snap.redactor, error, plan, &self.app.metrics)
            {
                refused = Some(rej);
            }
        }
        if let Some(spend) = call.spend.take() {
            let actual = call
                .tool
                .as_ref()
                .and_then(|t| t.tool.cost_pointer.as_deref())
                .and_then(|p| msg.get("result").and_then(|r| r.pointer(p)))
                .and_then(Value::as_f64)
                .map(micros)
                .unwrap_or(spend.estimate);
            if let Err(e) = spend.settle(actual).await {
                tracing::warn!(error = %e, "committing spend failed; the reservation stays counted");
            }
        }
        if let Some(rej) = refused {
            let subject = call.subject();
            msg = self.refuse_with(&mut call.ctx, rej, subject, &id).0;
        }
        msg
    }
}
