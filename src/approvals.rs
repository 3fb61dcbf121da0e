//! The approval hub: where a change to an approval request is announced. Every change —
//! requested, one approver's vote, approved, denied, expired, used — goes to the live feed
//! (the `/ui` page and held calls subscribe) and to the signed webhook; the runtime
//! (`pipeline::Runtime::approval_changed`) also writes it to the audit stream and counts it.
//!
//! The request itself lives in the state backend (`state::approvals`), so two sidecars on one
//! Redis share the queue; the feed is per process.

use std::sync::Arc;

use serde_json::{json, Value};
use tokio::sync::broadcast;

use crate::audit::event::EventPrincipal;
use crate::config::approvals::Notify;
use crate::metrics::Metrics;
use crate::state::approvals::ApprovalRequest;
use crate::webhook::deliver::{Deliverer, Event, Policy};

/// Redacted arguments larger than this (as JSON) are left out of a webhook event
/// (`args_redacted: null`, `args_truncated: true`); the admin API shows them.
pub const WEBHOOK_ARGS_MAX: usize = 64 * 1024;

/// What happened to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// A call needed approval and a new request was stored.
    Requested,
    /// One approver voted and the request is still pending (quorum not reached).
    Voted,
    /// Quorum reached.
    Approved,
    Denied,
    /// Nobody decided within `ttl`: denied.
    Expired,
    /// A retry consumed the approval (single use).
    Used,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Requested => "requested",
            ChangeKind::Voted => "voted",
            ChangeKind::Approved => "approved",
            ChangeKind::Denied => "denied",
            ChangeKind::Expired => "expired",
            ChangeKind::Used => "used",
        }
    }

    /// The audit event's name.
    pub fn event_name(self) -> &'static str {
        match self {
            ChangeKind::Requested => "approval.requested",
            ChangeKind::Voted => "approval.voted",
            ChangeKind::Approved => "approval.approved",
            ChangeKind::Denied => "approval.denied",
            ChangeKind::Expired => "approval.expired",
            ChangeKind::Used => "approval.used",
        }
    }

    /// The `outcome` label of `toolwall_approvals_total` (a vote short of quorum is none).
    pub fn outcome(self) -> Option<&'static str> {
        match self {
            ChangeKind::Voted => None,
            k => Some(k.as_str()),
        }
    }
}

/// One change to one request, as the feed, the webhook and the audit stream see it.
#[derive(Debug, Clone)]
pub struct Change {
    pub kind: ChangeKind,
    /// The request after the change.
    pub request: ApprovalRequest,
    /// The approver who voted (`Voted`, `Approved`, `Denied` by a vote).
    pub by: Option<String>,
    pub comment: Option<String>,
    /// The decision that consumed the approval (`Used`).
    pub used_by: Option<String>,
}

impl Change {
    pub fn new(kind: ChangeKind, request: ApprovalRequest) -> Change {
        Change {
            kind,
            request,
            by: None,
            comment: None,
            used_by: None,
        }
    }

    /// The JSON the live feed and the webhook carry: the event, and the request as the admin
    /// API shows it (redacted arguments only; never the raw ones).
    pub fn to_json(&self) -> Value {
        json!({
            "event": self.kind.event_name(),
            "approval_id": self.request.id,
            "decision_id": self.request.decision_id,
            "by": self.by,
            "comment": self.comment,
            "used_by": self.used_by,
            "request": self.request,
        })
    }

    /// The webhook body: the event (`approval.<kind>`), its id `event_id` (the same on every
    /// delivery attempt), the request as approvers and glue scripts need it — tool,
    /// principal, reasons, tier, quorum, approvals so far, state, summary, the redacted
    /// arguments (never the raw ones), votes — and, when `admin_url` is configured, the links
    /// to approve, deny and open the page.
    pub fn webhook_payload(&self, event_id: &str, admin_url: Option<&str>) -> Value {
        let r = &self.request;
        let link = |tail: &str| admin_url.map(|base| format!("{base}{tail}"));
        // Large arguments stay in the admin API and the audit stream: an event stays small.
        let args_size = serde_json::to_vec(&r.args_redacted).map_or(usize::MAX, |v| v.len());
        let (args, args_truncated) = if args_size <= WEBHOOK_ARGS_MAX {
            (r.args_redacted.clone(), false)
        } else {
            (Value::Null, true)
        };
        json!({
            "event": self.kind.event_name(),
            "id": event_id,
            "approval_id": r.id,
            "decision_id": r.decision_id,
            "tool": r.tool,
            "agent": r.agent,
            "principal": r.principal,
            "reasons": r.reasons,
            "tier": r.tier,
            "quorum": r.quorum,
            "approvals": r.approvals(),
            "state": r.state.as_str(),
            "summary": r.summary,
            "args_redacted": args,
            "args_truncated": args_truncated,
            "policy_version": r.policy_version,
            "votes": r.votes,
            "by": self.by,
            "comment": self.comment,
            "used_by": self.used_by.as_ref().or(r.used_by.as_ref()),
            "created_unix": r.created_unix,
            "expires_unix": r.expires_unix,
            "approve_url": link(&format!("/admin/approvals/{}/approve", r.id)),
            "deny_url": link(&format!("/admin/approvals/{}/deny", r.id)),
            "ui_url": link("/ui"),
        })
    }

    /// The principal of the call that asked, for the audit event.
    pub fn principal(&self) -> EventPrincipal {
        let p = &self.request.principal;
        let s = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_string);
        EventPrincipal {
            agent: s("agent").or_else(|| Some(self.request.agent.clone())),
            run_id: s("run_id"),
            tenant_id: s("tenant_id"),
            workflow: s("workflow"),
            source: s("source"),
        }
    }
}

/// Subscribers to approval changes in this process, and the webhook's delivery queue.
pub struct Hub {
    feed: broadcast::Sender<Change>,
    webhook: Deliverer,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    /// A hub whose webhook deliveries are not counted in any metric.
    pub fn new() -> Hub {
        Self::build(None, Policy::default())
    }

    /// A hub that counts webhook deliveries in `metrics`
    /// (`toolwall_webhook_deliveries_total`).
    pub fn with_metrics(metrics: Arc<Metrics>) -> Hub {
        Self::build(Some(metrics), Policy::default())
    }

    fn build(metrics: Option<Arc<Metrics>>, policy: Policy) -> Hub {
        // A subscriber that falls this far behind skips ahead (`RecvError::Lagged`); held
        // calls re-read the store then, the page reloads its queue.
        let (feed, _) = broadcast::channel(256);
        Hub {
            feed,
            webhook: Deliverer::new(metrics, policy),
        }
    }

    /// Changes from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.feed.subscribe()
    }

    /// Announce `change` to this process's subscribers and, when `notify` is given (the
    /// config in force), queue it for the webhook: signed with that config's secret, POSTed to
    /// its URL by a background worker. Never blocks and never fails the caller (a full queue
    /// drops the event with a warning and a metric).
    pub fn publish(&self, change: Change, notify: Option<&Notify>) {
        if let Some(n) = notify {
            let id = uuid::Uuid::now_v7().to_string();
            let payload = change.webhook_payload(&id, n.admin_url.as_deref());
            match serde_json::to_vec(&payload) {
                Ok(body) => {
                    self.webhook.send(Event {
                        url: n.url.clone(),
                        secret: Arc::from(n.secret.as_slice()),
                        id,
                        body: body.into(),
                    });
                }
                Err(e) => tracing::error!(error = %e, approval_id = %change.request.id,
                    "cannot encode the webhook event"),
            }
        }
        let _ = self.feed.send(change);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::approvals::{ApprovalState, Vote};

    fn request() -> ApprovalRequest {
        ApprovalRequest {
            id: "0193a0c0-0000-7000-8000-000000000001".into(),
            key: "k".into(),
            principal: json!({"agent": "bot", "tenant_id": "acme", "run_id": "r1"}),
            agent: "bot".into(),
            tool: "pay.refund".into(),
            args_hmac: "hmac-of-args".into(),
            args_redacted: json!({"amount": 500, "card": "[REDACTED]"}),
            reasons: vec!["refund_over_threshold".into()],
            tier: "high".into(),
            quorum: 2,
            policy_version: "sha256:p".into(),
            summary: "refund 500".into(),
            decision_id: "d-1".into(),
            created_unix: 100,
            expires_unix: 200,
            state: ApprovalState::Pending,
            votes: vec![Vote {
                approver: "alice".into(),
                approve: true,
                comment: Some("ok".into()),
                at_unix: 150,
            }],
            used_by: None,
        }
    }

    #[test]
    fn the_payload_has_what_a_glue_script_needs_and_no_binding_secrets() {
        let mut c = Change::new(ChangeKind::Voted, request());
        c.by = Some("alice".into());
        c.comment = Some("ok".into());
        let p = c.webhook_payload("ev-1", Some("https://tw.example/base"));
        assert_eq!(p["event"], "approval.voted");
        assert_eq!(p["id"], "ev-1");
        assert_eq!(p["approval_id"], "0193a0c0-0000-7000-8000-000000000001");
        assert_eq!(p["tool"], "pay.refund");
        assert_eq!(p["principal"]["tenant_id"], "acme");
        assert_eq!(p["reasons"], json!(["refund_over_threshold"]));
        assert_eq!(
            (p["tier"].as_str(), p["quorum"].as_u64()),
            (Some("high"), Some(2))
        );
        assert_eq!(
            (p["approvals"].as_u64(), p["state"].as_str()),
            (Some(1), Some("pending"))
        );
        assert_eq!(p["args_redacted"]["card"], "[REDACTED]");
        assert_eq!(
            (p["by"].as_str(), p["comment"].as_str()),
            (Some("alice"), Some("ok"))
        );
        assert_eq!(
            (p["created_unix"].as_i64(), p["expires_unix"].as_i64()),
            (Some(100), Some(200))
        );
        assert_eq!(
            p["approve_url"],
            "https://tw.example/base/admin/approvals/0193a0c0-0000-7000-8000-000000000001/approve"
        );
        assert_eq!(
            p["deny_url"],
            "https://tw.example/base/admin/approvals/0193a0c0-0000-7000-8000-000000000001/deny"
        );
        assert_eq!(p["ui_url"], "https://tw.example/base/ui");
        // the binding key and the args HMAC stay inside toolwall
        let text = p.to_string();
        assert!(
            !text.contains("hmac-of-args") && !text.contains("\"key\""),
            "{text}"
        );
        assert_eq!(p["args_truncated"], false);
        // arguments too large for an event are left out, and say so
        let mut big = c.clone();
        big.request.args_redacted = json!({"blob": "x".repeat(WEBHOOK_ARGS_MAX)});
        let p = big.webhook_payload("ev-3", None);
        assert!(p["args_redacted"].is_null());
        assert_eq!(p["args_truncated"], true);
        // without an admin URL there are no links
        let p = c.webhook_payload("ev-2", None);
        assert!(p["approve_url"].is_null() && p["deny_url"].is_null() && p["ui_url"].is_null());
    }

    #[tokio::test]
    async fn publish_without_notify_feeds_subscribers_only() {
        let hub = Hub::new();
        let mut rx = hub.subscribe();
        hub.publish(Change::new(ChangeKind::Requested, request()), None);
        let got = rx.recv().await.expect("change");
        assert_eq!(got.kind, ChangeKind::Requested);
    }
}
