//! Approval requests as the state backends store them: one JSON document per request, the
//! same in SQLite and Redis, and the rules a vote or a consumption follows (`apply_vote`,
//! `apply_consume`), which the SQLite backend runs inside one transaction and the Redis
//! backend mirrors in one Lua script.
//!
//! Silence is never consent: a pending request whose `expires_unix` has passed (by the
//! store's clock) reads as `expired`, and can be neither approved nor consumed.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalState {
    Pending,
    Approved,
    Denied,
    Expired,
    Used,
}

impl ApprovalState {
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalState::Pending => "pending",
            ApprovalState::Approved => "approved",
            ApprovalState::Denied => "denied",
            ApprovalState::Expired => "expired",
            ApprovalState::Used => "used",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => ApprovalState::Pending,
            "approved" => ApprovalState::Approved,
            "denied" => ApprovalState::Denied,
            "expired" => ApprovalState::Expired,
            "used" => ApprovalState::Used,
            _ => return None,
        })
    }
}

/// One approver's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vote {
    pub approver: String,
    pub approve: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub at_unix: i64,
}

/// A stored approval request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRequest {
    /// UUIDv7.
    pub id: String,
    /// Hex binding of principal + tool + args HMAC: what ties a retry to this request, and
    /// what makes a repeated identical call find the pending request instead of a new one.
    pub key: String,
    /// The principal document of the call that asked.
    pub principal: Value,
    /// The principal's agent: it may never approve its own call.
    pub agent: String,
    pub tool: String,
    pub args_hmac: String,
    pub args_redacted: Value,
    pub reasons: Vec<String>,
    pub tier: String,
    /// Distinct approvers needed (at least 1).
    pub quorum: u32,
    pub policy_version: String,
    pub summary: String,
    /// The decision that asked for approval.
    pub decision_id: String,
    pub created_unix: i64,
    pub expires_unix: i64,
    pub state: ApprovalState,
    #[serde(default)]
    pub votes: Vec<Vote>,
    /// The decision id that consumed the approval.
    #[serde(default)]
    pub used_by: Option<String>,
}

impl ApprovalRequest {
    /// A new UUIDv7 request id.
    pub fn new_id() -> String {
        uuid::Uuid::now_v7().to_string()
    }

    /// Whether the request ran out of time at `now` (still valid at `expires_unix`).
    pub fn is_expired_at(&self, now: i64) -> bool {
        now > self.expires_unix
    }

    /// The state as seen at `now`: a pending request past its expiry is `expired`.
    pub fn state_at(&self, now: i64) -> ApprovalState {
        if self.state == ApprovalState::Pending && self.is_expired_at(now) {
            ApprovalState::Expired
        } else {
            self.state
        }
    }

    /// This request with its state as seen at `now`.
    pub fn at(mut self, now: i64) -> Self {
        self.state = self.state_at(now);
        self
    }

    /// The distinct approvers that approved, sorted.
    pub fn approvers(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .votes
            .iter()
            .filter(|v| v.approve)
            .map(|v| v.approver.as_str())
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// How many distinct approvers approved.
    pub fn approvals(&self) -> u32 {
        self.approvers().len() as u32
    }
}

/// What a vote did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoteOutcome {
    /// Counted; `state` is the request's state after it (pending, approved or denied).
    Recorded {
        approvals_so_far: u32,
        state: ApprovalState,
    },
    /// The request was already approved, denied or used: nothing changed.
    AlreadyDecided(ApprovalState),
    /// The request expired: nothing changed.
    Expired,
    NotFound,
    /// The approver is the agent that asked: nothing changed.
    SelfApproval,
    /// This approver already voted on the request: nothing changed.
    DuplicateApprover,
}

/// What consuming an approval did.
#[derive(Debug, Clone, PartialEq)]
pub enum ConsumeOutcome {
    /// The approval was valid and is now `used` (single use); the request as stored after.
    Consumed(Box<ApprovalRequest>),
    /// The request is not approved (pending, denied or already used).
    NotApproved(ApprovalState),
    /// The call is not the one approved (another principal, tool or args).
    Mismatch,
    NotFound,
    Expired,
}

/// Apply `vote` to `req` at `now`; returns the outcome and whether `req` changed.
pub fn apply_vote(req: &mut ApprovalRequest, vote: Vote, now: i64) -> (VoteOutcome, bool) {
    match req.state_at(now) {
        ApprovalState::Pending => {}
        ApprovalState::Expired => return (VoteOutcome::Expired, false),
        s => return (VoteOutcome::AlreadyDecided(s), false),
    }
    if vote.approver == req.agent {
        return (VoteOutcome::SelfApproval, false);
    }
    if req.votes.iter().any(|v| v.approver == vote.approver) {
        return (VoteOutcome::DuplicateApprover, false);
    }
    let approve = vote.approve;
    req.votes.push(vote);
    let approvals_so_far = req.approvals();
    if !approve {
        req.state = ApprovalState::Denied;
    } else if approvals_so_far >= req.quorum.max(1) {
        req.state = ApprovalState::Approved;
    }
    (
        VoteOutcome::Recorded {
            approvals_so_far,
            state: req.state,
        },
        true,
    )
}

/// Consume `req` for the call bound by `key` at `now`; returns the outcome and whether `req`
/// changed.
pub fn apply_consume(
    req: &mut ApprovalRequest,
    key: &str,
    used_by: &str,
    now: i64,
) -> (ConsumeOutcome, bool) {
    if req.key != key {
        return (ConsumeOutcome::Mismatch, false);
    }
    // an approved request past its expiry is expired too: consent is only good until then
    if matches!(req.state, ApprovalState::Pending | ApprovalState::Approved)
        && req.is_expired_at(now)
    {
        return (ConsumeOutcome::Expired, false);
    }
    match req.state {
        ApprovalState::Approved => {
            req.state = ApprovalState::Used;
            req.used_by = Some(used_by.to_string());
            (ConsumeOutcome::Consumed(Box::new(req.clone())), true)
        }
        ApprovalState::Expired => (ConsumeOutcome::Expired, false),
        s => (ConsumeOutcome::NotApproved(s), false),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample(key: &str, now: i64, ttl: i64, quorum: u32) -> ApprovalRequest {
        ApprovalRequest {
            id: ApprovalRequest::new_id(),
            key: key.into(),
            principal: serde_json::json!({"agent": "bot", "tenant": "acme"}),
            agent: "bot".into(),
            tool: "refund".into(),
            args_hmac: "ab12".into(),
            args_redacted: serde_json::json!({"amount": 12345678901234567_u64, "items": []}),
            reasons: vec!["refund_over_threshold".into()],
            tier: "high".into(),
            quorum,
            policy_version: "v1".into(),
            summary: "refund 500".into(),
            decision_id: "d-1".into(),
            created_unix: now,
            expires_unix: now + ttl,
            state: ApprovalState::Pending,
            votes: Vec::new(),
            used_by: None,
        }
    }

    fn vote(who: &str, approve: bool) -> Vote {
        Vote {
            approver: who.into(),
            approve,
            comment: None,
            at_unix: 0,
        }
    }

    #[test]
    fn json_is_snake_case_and_round_trips() {
        let r = sample("k", 100, 10, 2);
        let j = serde_json::to_value(&r).expect("json");
        assert_eq!(j["state"], "pending");
        let back: ApprovalRequest = serde_json::from_value(j).expect("back");
        assert_eq!(back, r);
    }

    #[test]
    fn quorum_self_duplicate_deny_and_expiry() {
        let mut r = sample("k", 100, 10, 2);
        assert_eq!(
            apply_vote(&mut r, vote("bot", true), 100).0,
            VoteOutcome::SelfApproval
        );
        assert_eq!(
            apply_vote(&mut r, vote("alice", true), 100).0,
            VoteOutcome::Recorded {
                approvals_so_far: 1,
                state: ApprovalState::Pending
            }
        );
        assert_eq!(
            apply_vote(&mut r, vote("alice", true), 100).0,
            VoteOutcome::DuplicateApprover
        );
        assert_eq!(
            apply_vote(&mut r, vote("bob", true), 111).0,
            VoteOutcome::Expired
        );
        let mut d = r.clone();
        assert_eq!(
            apply_vote(&mut d, vote("carol", false), 105).0,
            VoteOutcome::Recorded {
                approvals_so_far: 1,
                state: ApprovalState::Denied
            }
        );
        assert_eq!(
            apply_vote(&mut r, vote("bob", true), 110).0,
            VoteOutcome::Recorded {
                approvals_so_far: 2,
                state: ApprovalState::Approved
            }
        );
        assert_eq!(
            apply_vote(&mut r, vote("carol", true), 110).0,
            VoteOutcome::AlreadyDecided(ApprovalState::Approved)
        );
        assert_eq!(
            apply_consume(&mut r, "other", "d2", 110).0,
            ConsumeOutcome::Mismatch
        );
        assert_eq!(
            apply_consume(&mut r.clone(), "k", "d2", 111).0,
            ConsumeOutcome::Expired
        );
        assert!(matches!(
            apply_consume(&mut r, "k", "d2", 110).0,
            ConsumeOutcome::Consumed(_)
        ));
        assert_eq!(r.used_by.as_deref(), Some("d2"));
        assert_eq!(
            apply_consume(&mut r, "k", "d3", 110).0,
            ConsumeOutcome::NotApproved(ApprovalState::Used)
        );
    }
}
