//! JSON-RPC batches (2025-03-26 clients): every element decided, all forwarded or none.

use bytes::BytesMut;
use http::{HeaderMap, Method, Response, StatusCode};
use serde_json::{json, Value};

use super::pending::id_key;
use super::{json_response, truncated, Exchange, Pending, Step};
use crate::pipeline::ctx::{CallCtx, Outcome};
use crate::pipeline::reject::{Reason, Reject};
use crate::pipeline::ResBody;
use crate::protocol::mcp as proto;

/// JSON-RPC batches (2025-03-26 clients): every element is decided; one refusal refuses the
/// whole batch (nothing is forwarded), else the batch goes on with every element as decided.
pub(super) async fn post_batch(
    mut ex: Exchange,
    mut ctx: CallCtx,
    headers: &HeaderMap,
    batch: Vec<Value>,
) -> Response<ResBody> {
    ctx.record = false;
    ex.batch = true;
    if batch.is_empty() {
        let answer =
            proto::error_response(&Value::Null, proto::INVALID_REQUEST, "empty batch", None);
        return json_response(StatusCode::BAD_REQUEST, &answer, &ctx.decision_id);
    }
    if let Some(dup) = duplicate_request_id(&batch) {
        // two requests with one id: their answers could not be told apart
        let message = format!("the batch has two requests with id {dup}");
        let answer = proto::error_response(&Value::Null, proto::INVALID_REQUEST, &message, None);
        ctx.record = true;
        ctx.extra = Some(json!({"method": "batch", "duplicate_id": dup}));
        ctx.outcome = Some(Outcome::Refused(Reject::new(
            Reason::InvalidMcpMessage,
            message,
        )));
        return json_response(StatusCode::BAD_REQUEST, &answer, &ctx.decision_id);
    }
    let mut steps = Vec::with_capacity(batch.len());
    for msg in batch {
        let element = ex.new_ctx();
        steps.push(ex.decide(element, headers, msg).await);
    }
    let refused: Vec<usize> = steps
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s, Step::Answer(..)))
        .map(|(i, _)| i)
        .collect();
    if let Some(first) = refused.first() {
        let mut answers = Vec::new();
        for step in steps {
            match step {
                Step::Answer(a, _) => answers.push(a),
                Step::Forward(_, pending) => {
                    let Some((id, p)) = pending else {
                        continue; // a notification or response: nothing to answer
                    };
                    if let Pending::Call(mut call) = p {
                        call.ctx.outcome = Some(Outcome::Refused(Reject::new(
                            Reason::PolicyDenied,
                            format!("the batch was refused: element {first} was refused"),
                        )));
                        if let Some(spend) = call.spend.take() {
                            crate::stage::limits::settle_after_failure(spend, Reason::PolicyDenied)
                                .await;
                        }
                    }
                    answers.push(proto::error_response(
                        &id,
                        proto::REFUSED,
                        &format!("not forwarded: element {first} of this batch was refused"),
                        None,
                    ));
                }
            }
        }
        return json_response(StatusCode::OK, &Value::Array(answers), &ctx.decision_id);
    }
    let mut out = BytesMut::from(&b"["[..]);
    let mut pending = Vec::new();
    for step in steps {
        if let Step::Forward(bytes, p) = step {
            pending.extend(p);
            if out.len() > 1 {
                out.extend_from_slice(b",");
            }
            out.extend_from_slice(&bytes);
        }
    }
    out.extend_from_slice(b"]");
    if let Err(answers) = ex.register(pending).await {
        return json_response(
            StatusCode::BAD_REQUEST,
            &Value::Array(answers),
            &ctx.decision_id,
        );
    }
    ex.relay(Method::POST, out.freeze()).await
}

/// The first id two requests of a batch share, if any.
pub(super) fn duplicate_request_id(batch: &[Value]) -> Option<String> {
    let mut seen = std::collections::HashSet::new();
    batch
        .iter()
        .filter(|m| m.get("method").is_some())
        .filter_map(|m| m.get("id"))
        .map(id_key)
        .find(|k| !seen.insert(k.clone()))
        .map(|k| truncated(&k[2..], 64).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_ids_in_a_batch_are_found() {
        let req = |id: Value| json!({"jsonrpc": "2.0", "id": id, "method": "ping"});
        assert_eq!(duplicate_request_id(&[req(json!(1)), req(json!(2))]), None);
        assert_eq!(
            duplicate_request_id(&[req(json!(1)), req(json!("1"))]),
            None
        );
        assert_eq!(
            duplicate_request_id(&[req(json!(1)), req(json!(2)), req(json!(1))]),
            Some("1".into())
        );
        assert_eq!(
            duplicate_request_id(&[req(json!("x")), req(json!("x"))]),
            Some("x".into())
        );
        // responses (answers to the server) share no id space with requests
        let resp = json!({"jsonrpc": "2.0", "id": 1, "result": {}});
        assert_eq!(duplicate_request_id(&[req(json!(1)), resp]), None);
    }
}
