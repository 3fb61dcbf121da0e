//! JSON-RPC batches (2025-03-26 clients): every element decided, all forwarded or none.

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Method, Response, StatusCode};
use serde_json::{json, Value};

use super::pending::id_key;
use super::{json_response, refusal, truncated, Exchange, Pending, Step};
use crate::pipeline::reject::{McpSubject, Reason, Reject};
use crate::pipeline::ResBody;
use crate::stage::record::CallRecord;

/// JSON-RPC batches (2025-03-26 clients): every element is decided; one refusal refuses the
/// whole batch (nothing is forwarded), else the batch goes on with every element as decided.
pub(super) async fn post_batch(
    mut ex: Exchange,
    mut ctx: CallRecord,
    headers: &HeaderMap,
    batch: Vec<Value>,
) -> Response<ResBody> {
    ctx.record = false;
    ex.batch = true;
    if let Some((rej, duplicate)) = refused_batch(&batch) {
        // an empty batch is not recorded; two requests with one id (their answers could not
        // be told apart) are
        if let Some(dup) = duplicate {
            ctx.record = true;
            ctx.extra = Some(json!({"method": "batch", "duplicate_id": dup}));
        }
        let (answer, status) = ex.refuse_with(&mut ctx, rej, McpSubject::Request, &Value::Null);
        return json_response(status, &answer, &ctx.decision_id);
    }
    let mut steps = Vec::with_capacity(batch.len());
    for msg in batch {
        let mut element = ex.new_ctx();
        // tracing on: each element's span, deferred in the request's trace as the request's
        element.span = ctx
            .span
            .as_ref()
            .and_then(|s| s.sibling(element.started))
            .map(Box::new);
        steps.push(ex.decide(element, headers, msg).await);
    }
    if let Some(first) = first_refused(&steps) {
        let mut answers = Vec::new();
        for step in steps {
            match step {
                Step::Answer(a, _) => answers.push(a),
                Step::Forward(_, pending) => {
                    let Some((id, p)) = pending else {
                        continue; // a notification or response: nothing to answer
                    };
                    let rej = Reject::new(
                        Reason::PolicyDenied,
                        format!("not forwarded: element {first} of this batch was refused"),
                    );
                    let answer = match p {
                        Pending::Call(mut call) => {
                            if let Some(spend) = call.spend.take() {
                                spend.release().await; // nothing of the batch was sent
                            }
                            ex.refuse_with(&mut call.ctx, rej, McpSubject::BatchElement, &id)
                        }
                        Pending::ToolsList | Pending::Other => refusal::message(
                            &rej,
                            McpSubject::BatchElement,
                            &id,
                            &ctx.decision_id,
                            ex.modern,
                        ),
                    };
                    answers.push(answer.0);
                }
            }
        }
        return json_response(StatusCode::OK, &Value::Array(answers), &ctx.decision_id);
    }
    let (body, pending) = forwarded_batch(steps);
    if let Err(answers) = ex.register(pending).await {
        return json_response(
            StatusCode::BAD_REQUEST,
            &Value::Array(answers),
            &ctx.decision_id,
        );
    }
    ex.relay(Method::POST, body).await
}

/// The refusal of a batch toolwall refuses before deciding its elements: empty, or two
/// requests with one id (returned, for the record).
pub(super) fn refused_batch(batch: &[Value]) -> Option<(Reject, Option<String>)> {
    if batch.is_empty() {
        return Some((Reject::new(Reason::InvalidMcpMessage, "empty batch"), None));
    }
    let dup = duplicate_request_id(batch)?;
    let message = format!("the batch has two requests with id {dup}");
    Some((Reject::new(Reason::InvalidMcpMessage, message), Some(dup)))
}

/// The first element of a decided batch toolwall answered itself (refused): then nothing
/// of the batch is forwarded.
pub(super) fn first_refused(steps: &[Step]) -> Option<usize> {
    steps.iter().position(|s| matches!(s, Step::Answer(..)))
}

/// A batch none of whose elements was refused, as forwarded: the elements in order in one
/// JSON array, and the requests whose answers are awaited.
pub(super) fn forwarded_batch(steps: Vec<Step>) -> (Bytes, Vec<(Value, Pending)>) {
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
    (out.freeze(), pending)
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

    #[test]
    fn a_batch_is_refused_whole_when_empty_or_with_a_repeated_request_id() {
        let req = |id: Value| json!({"jsonrpc": "2.0", "id": id, "method": "ping"});
        let (rej, dup) = refused_batch(&[]).expect("empty");
        assert_eq!((rej.reason, dup), (Reason::InvalidMcpMessage, None));
        let (rej, dup) = refused_batch(&[req(json!(1)), req(json!(1))]).expect("duplicate");
        assert_eq!(rej.reason, Reason::InvalidMcpMessage);
        assert_eq!(dup.as_deref(), Some("1"));
        assert!(
            rej.message.contains("two requests with id 1"),
            "{}",
            rej.message
        );
        // the answer is a JSON-RPC invalid request (HTTP 400), not a tool result
        let (answer, status) =
            refusal::message(&rej, McpSubject::Request, &Value::Null, "d", false);
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(answer["error"]["code"], -32600);
        assert!(refused_batch(&[req(json!(1)), req(json!(2))]).is_none());
    }

    #[test]
    fn one_refused_element_stops_the_whole_batch() {
        let fwd = |id: i64| {
            Step::Forward(
                Bytes::from(format!("{{\"id\":{id}}}")),
                Some((json!(id), Pending::Other)),
            )
        };
        let note = || Step::Forward(Bytes::from_static(b"{\"n\":1}"), None);
        let refused = || Step::Answer(json!({"id": 9}), StatusCode::OK);
        assert_eq!(first_refused(&[fwd(1), note(), fwd(2)]), None);
        assert_eq!(
            first_refused(&[fwd(1), refused(), fwd(2), refused()]),
            Some(1)
        );
        assert_eq!(first_refused(&[refused()]), Some(0));
        assert_eq!(first_refused(&[]), None);
    }

    #[test]
    fn a_forwarded_batch_keeps_its_elements_in_order_and_awaits_its_requests() {
        let fwd = |id: i64| {
            Step::Forward(
                Bytes::from(format!("{{\"id\":{id}}}")),
                Some((json!(id), Pending::ToolsList)),
            )
        };
        let note = Step::Forward(Bytes::from_static(b"{\"n\":1}"), None);
        let (body, pending) = forwarded_batch(vec![fwd(2), note, fwd(1)]);
        let v: Value = serde_json::from_slice(&body).expect("a JSON array");
        assert_eq!(v, json!([{"id": 2}, {"n": 1}, {"id": 1}]));
        let ids: Vec<Value> = pending.into_iter().map(|(id, _)| id).collect();
        assert_eq!(ids, [json!(2), json!(1)]);
        let (body, pending) = forwarded_batch(Vec::new());
        assert_eq!((&body[..], pending.len()), (&b"[]"[..], 0));
    }
}
