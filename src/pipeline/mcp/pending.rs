//! The requests forwarded and not answered yet (a session's, or one exchange's), and the
//! answer the agent gets instead of the server's when toolwall refuses one.

use std::collections::HashMap;

use http::{Response, StatusCode};
use serde_json::Value;

use super::{json_body, lock, refusal, Exchange, Pending};
use crate::pipeline::reject::{McpSubject, Reason, Reject};
use crate::pipeline::ResBody;

impl Exchange {
    /// Put the requests of this POST in the pending map, all or none: an id already pending
    /// in the session (a race the check in `decide` cannot close) refuses them all, and their
    /// refusals are returned.
    pub(super) async fn register(
        &mut self,
        entries: Vec<(Value, Pending)>,
    ) -> Result<(), Vec<Value>> {
        let entries = match insert_all(&self.pending, entries) {
            Ok(mut keys) => {
                self.own.append(&mut keys);
                return Ok(());
            }
            Err(entries) => entries,
        };
        let rej = Reject::new(
            Reason::InvalidMcpMessage,
            format!("a request id is already pending in this session (or over {MAX_PENDING} requests are)"),
        );
        let mut answers = Vec::with_capacity(entries.len());
        for (id, p) in entries {
            answers.push(self.refuse_pending(id, p, rej.clone(), false).await);
        }
        Err(answers)
    }

    /// The answer the agent gets instead of the server's for a pending request: an `isError`
    /// result for a tool call, a JSON-RPC error otherwise; recorded. `sent`: the request
    /// reached the server (its spend estimate stays committed: the server may have acted).
    pub(super) async fn refuse_pending(
        &self,
        id: Value,
        p: Pending,
        rej: Reject,
        sent: bool,
    ) -> Value {
        match p {
            Pending::Call(mut call) => {
                if let Some(spend) = call.spend.take() {
                    if sent {
                        spend.commit_estimate().await;
                    } else {
                        spend.release().await;
                    }
                }
                let subject = call.subject();
                self.refuse_with(&mut call.ctx, rej, subject, &id).0
            }
            Pending::ToolsList | Pending::Other => {
                let decision_id = self.audit_withheld(&rej.message);
                refusal::message(&rej, McpSubject::Request, &id, &decision_id, self.modern).0
            }
        }
    }

    /// The requests of this POST still pending, taken out of the map.
    pub(super) fn take_own(&self) -> Vec<(Value, Pending)> {
        let mut map = lock(&self.pending);
        self.own.iter().filter_map(|k| map.remove(k)).collect()
    }

    pub(super) fn has_own_pending(&self) -> bool {
        let map = lock(&self.pending);
        self.own.iter().any(|k| map.contains_key(k))
    }

    /// The pending request a server answer belongs to. On a POST's stream every answer is
    /// for that POST's requests: with one request, any answer is its answer (whatever id it
    /// carries); with a batch, only the batch's ids. On a GET stream (resumption, the
    /// session's own stream) any request pending in the session.
    pub(super) fn take_answered(&self, msg: &Value) -> Option<(Value, Pending)> {
        let key = id_key(msg.get("id").unwrap_or(&Value::Null));
        let taken = answered_key(self.post, &self.own, &key)?;
        lock(&self.pending).remove(taken)
    }

    /// A server message toolwall cannot read: the answer to a single pending request becomes
    /// its refusal; otherwise it is withheld (and recorded).
    pub(super) async fn uninspectable(&mut self, why: String) -> Option<Value> {
        self.withheld = true;
        if self.post && self.own.len() == 1 {
            let taken = lock(&self.pending).remove(&self.own[0]);
            if let Some((id, p)) = taken {
                let rej = Reject::new(Reason::ResponseNotInspectable, why);
                return Some(self.refuse_pending(id, p, rej, true).await);
            }
        }
        self.audit_withheld(&why);
        None
    }

    /// Refuse what this POST still waits for (HTTP `status` kept unless it says success).
    pub(super) async fn refuse_own(self, rej: Reject, status: StatusCode) -> Response<ResBody> {
        let mut answers = Vec::new();
        for (id, p) in self.take_own() {
            answers.push(self.refuse_pending(id, p, rej.clone(), true).await);
        }
        let body = match (answers.len(), self.batch) {
            (0, _) => {
                let decision_id = self.audit_withheld(&rej.message);
                let subject = McpSubject::Request;
                refusal::message(&rej, subject, &Value::Null, &decision_id, self.modern).0
            }
            (1, false) => answers.pop().unwrap_or(Value::Null),
            _ => Value::Array(answers),
        };
        let status = if status.is_success() {
            StatusCode::OK
        } else {
            status
        };
        json_body(status, &body)
    }
}

/// Requests pending in a session (or in one session-less exchange), by [`id_key`]: the
/// request's id and what to do with its answer.
pub(super) type PendingMap = std::sync::Mutex<HashMap<String, (Value, Pending)>>;

/// Requests one session may have pending at once.
pub(super) const MAX_PENDING: usize = 256;

/// Put requests in a pending map, all or none: an id already pending, two entries with one
/// id, or more than [`MAX_PENDING`] in all refuse them all (given back). Returns their keys.
pub(super) fn insert_all(
    pending: &PendingMap,
    entries: Vec<(Value, Pending)>,
) -> Result<Vec<String>, Vec<(Value, Pending)>> {
    let mut map = lock(pending);
    let keys: Vec<String> = entries.iter().map(|(id, _)| id_key(id)).collect();
    let mut seen = std::collections::HashSet::new();
    let clash = keys
        .iter()
        .any(|k| map.contains_key(k) || !seen.insert(k.as_str()));
    if clash || map.len() + keys.len() > MAX_PENDING {
        return Err(entries);
    }
    for ((id, p), k) in entries.into_iter().zip(keys.iter()) {
        map.insert(k.clone(), (id, p));
    }
    Ok(keys)
}

/// Which pending request an answer with id key `key` belongs to. On a POST's stream: with
/// one request, that request whatever the answer's id says; with a batch, the batch's own ids
/// only. On a GET stream: any request pending in the session, by id.
pub fn answered_key<'a>(post: bool, own: &'a [String], key: &'a str) -> Option<&'a str> {
    if !post {
        return Some(key);
    }
    match own {
        [only] => Some(only.as_str()),
        own if own.iter().any(|k| k == key) => Some(key),
        _ => None,
    }
}

pub fn id_key(id: &Value) -> String {
    match id {
        Value::String(s) => format!("s:{s}"),
        other => format!("n:{other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_are_attributed_to_the_streams_own_requests() {
        let one = vec![id_key(&json!(7))];
        let batch = vec![id_key(&json!(1)), id_key(&json!("a"))];
        // one request on the POST: any answer is its answer
        for id in [json!(7), json!(99), json!("7"), Value::Null] {
            assert_eq!(answered_key(true, &one, &id_key(&id)), Some("n:7"), "{id}");
        }
        // a batch: its ids only, and a string id is not a number id
        assert_eq!(answered_key(true, &batch, "n:1"), Some("n:1"));
        assert_eq!(answered_key(true, &batch, "s:a"), Some("s:a"));
        assert_eq!(answered_key(true, &batch, "s:1"), None);
        assert_eq!(answered_key(true, &batch, "n:2"), None);
        // nothing of its own (a POST of notifications): nothing is answered
        assert_eq!(answered_key(true, &[], "n:1"), None);
        // a GET stream: by id, against the session's pending requests
        assert_eq!(answered_key(false, &[], "n:5"), Some("n:5"));
        assert_ne!(id_key(&json!(1)), id_key(&json!("1")));
    }

    #[test]
    fn pending_requests_are_registered_all_or_none() {
        let map = PendingMap::default();
        let keys = insert_all(
            &map,
            vec![(json!(1), Pending::Other), (json!("1"), Pending::ToolsList)],
        )
        .map_err(|_| "refused")
        .expect("registered");
        assert_eq!(keys, ["n:1", "s:1"]);
        // an id already pending refuses the whole lot, and nothing of it is kept
        let refused = insert_all(
            &map,
            vec![(json!(2), Pending::Other), (json!(1), Pending::Other)],
        );
        assert_eq!(refused.map(|_| ()).map_err(|e| e.len()), Err(2));
        assert_eq!(lock(&map).len(), 2);
        // two entries with one id
        let refused = insert_all(
            &map,
            vec![(json!(3), Pending::Other), (json!(3), Pending::Other)],
        );
        assert!(refused.is_err());
        assert_eq!(lock(&map).len(), 2);
        // bounded
        let many: Vec<_> = (10..10 + MAX_PENDING as i64)
            .map(|i| (json!(i), Pending::Other))
            .collect();
        assert!(insert_all(&map, many).is_err());
        assert_eq!(lock(&map).len(), 2);
    }
}
