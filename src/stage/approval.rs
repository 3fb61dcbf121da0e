//! Approval: a decision with `require_approval: true` (whatever `allow` says) is never
//! forwarded without a matching approval (PRODUCT.md §6, docs/approvals.md).
//!
//! - A call is **bound** to its principal (agent, tenant, workflow), its tool and the HMAC of
//!   its arguments' canonical JSON ([`bind`]): that binding is the request's `key`. A repeated
//!   identical call while a request is pending finds that request (the store is atomic on the
//!   key), and an approval only ever admits the call it was asked for.
//! - A retry presents the approval's id (`toolwall-approval` header, MCP
//!   `params._meta["toolwall/approval"]`); [`presented`] checks it before policy runs, and an
//!   approved one is put in the policy input as `input.approval` ([`input_doc`]): policy
//!   decides again, so an approval never bypasses the other rules, limits or kill switches.
//! - Admission consumes it, once ([`consume`]), after the limits and before the write-ahead
//!   record. Anything else stores (or finds) the request and refuses `approval_required`
//!   with its id ([`required`]); with `approvals.hold` the call waits for the humans first
//!   ([`hold`]).

use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::broadcast;

use crate::approvals::Change;
use crate::config::approvals::ApprovalsSpec;
use crate::pipeline::reject::{Reason, Reject};
use crate::policy::PolicyDecision;
use crate::stage::identify::Principal;
use crate::state::approvals::{ApprovalRequest, ApprovalState, ConsumeOutcome};
use crate::state::SharedState;

/// Longest approval id accepted from an agent (a UUID is 36).
const MAX_ID_LEN: usize = 64;

/// What ties a call to an approval request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// Hex SHA-256 over principal, tool and `args_hmac`.
    pub key: String,
    /// HMAC-SHA256 of the arguments' canonical JSON under the audit key (the audit record's
    /// `input_hmac`); `sha256:` and a plain digest when no audit stream is configured.
    pub args_hmac: String,
}

/// Bind a call: principal (agent, tenant, workflow — not the run, so a new run of the same
/// agent may use an approval given to the last one), tool and arguments as the agent sent
/// them (schema-valid, before redaction).
pub fn bind(hmac_key: Option<&[u8]>, principal: &Principal, tool: &str, args: &Value) -> Binding {
    use sha2::{Digest, Sha256};
    let canonical = crate::audit::canonical::canonicalize_exact(args).unwrap_or_default();
    let args_hmac = match hmac_key {
        Some(key) => crate::audit::record::input_hmac(key, &canonical),
        None => format!("sha256:{}", hex::encode(Sha256::digest(&canonical))),
    };
    let mut h = Sha256::new();
    for part in [
        principal.agent.as_str(),
        principal.tenant.as_deref().unwrap_or(""),
        principal.workflow.as_deref().unwrap_or(""),
        tool,
        args_hmac.as_str(),
    ] {
        // length-prefixed: no two different bindings hash the same bytes
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    Binding {
        key: hex::encode(h.finalize()),
        args_hmac,
    }
}

/// The principal as an approval request keeps it (the decision record's field names).
pub fn principal_doc(p: &Principal) -> Value {
    json!({
        "agent": p.agent,
        "run_id": p.run_id,
        "tenant_id": p.tenant,
        "workflow": p.workflow,
        "source": p.source,
    })
}

/// Read an approval id the agent presented: printable ASCII, at most 64 bytes.
pub fn parse_presented(raw: &[u8]) -> Result<String, Reject> {
    let ok = !raw.is_empty()
        && raw.len() <= MAX_ID_LEN
        && raw
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_');
    match std::str::from_utf8(raw) {
        Ok(s) if ok => Ok(s.to_string()),
        _ => Err(Reject::new(
            Reason::ApprovalUnknown,
            "the approval id presented is not one toolwall issues",
        )),
    }
}

/// `input.approval`: what policy sees of an approval presented with the call.
pub fn input_doc(req: &ApprovalRequest) -> Value {
    json!({
        "id": req.id,
        "approved": req.state == ApprovalState::Approved,
        "approvers": req.approvers(),
        "tier": req.tier,
    })
}

/// What the decision record's `approvals` lists for an approval the call used.
pub fn record_doc(req: &ApprovalRequest) -> Value {
    json!({
        "id": req.id,
        "approvers": req.approvers(),
        "tier": req.tier,
        "quorum": req.quorum,
        "decision_id": req.decision_id,
    })
}

/// Check an approval id presented with a call, before policy runs: an approved request for
/// this very call is returned (policy sees it); a pending one for this call is `None` (the
/// call asks again and gets the same id). Anything else is refused with its reason.
pub async fn presented(
    state: &SharedState,
    id: &str,
    binding: &Binding,
    now: i64,
) -> Result<Option<ApprovalRequest>, Reject> {
    let req = match state.approval_get(id).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            return Err(Reject::new(
                Reason::ApprovalUnknown,
                format!("no approval request {id}"),
            ))
        }
        Err(e) => {
            return Err(Reject::new(
                Reason::StateUnavailable,
                format!("cannot read approval {id}: {e}"),
            ))
        }
    };
    if req.key != binding.key {
        let mut r = Reject::new(
            Reason::ApprovalMismatch,
            format!(
                "approval {id} was given for another call (another principal, tool or arguments)"
            ),
        );
        r.approval_id = Some(req.id.into());
        return Err(r);
    }
    let refuse = |reason, what: &str| {
        let mut r = Reject::new(reason, format!("approval {id} {what}"));
        r.approval_id = Some(req.id.as_str().into());
        Err(r)
    };
    match req.state_at(now) {
        ApprovalState::Approved => Ok(Some(req)),
        ApprovalState::Pending => Ok(None),
        ApprovalState::Denied => refuse(Reason::ApprovalDenied, "was denied"),
        ApprovalState::Expired => refuse(
            Reason::ApprovalExpired,
            "expired before it was used (silence is never consent)",
        ),
        ApprovalState::Used => refuse(Reason::ApprovalUsed, "was already used (single use)"),
    }
}

/// Whether a call with this decision needs a human: policy said so, or a spend limit with
/// `on_exceed: require_approval` was exceeded.
pub fn needed(decision: Option<&PolicyDecision>, over_budget: bool) -> bool {
    over_budget || decision.is_some_and(|d| d.require_approval)
}

/// The tier a decision asks for, with its quorum; a tier policy names that config does not
/// have is refused rather than guessed.
pub fn tier<'s>(
    spec: &'s ApprovalsSpec,
    decision: Option<&PolicyDecision>,
) -> Result<(&'s str, u32), Reject> {
    let name = decision.and_then(|d| d.tier.as_deref());
    spec.tier(name).map(|(n, t)| (n, t.quorum)).ok_or_else(|| {
        Reject::new(
            Reason::PolicyError,
            format!(
                "policy asked for approval tier `{}`, which approvals.tiers does not define",
                name.unwrap_or_default()
            ),
        )
    })
}

/// Whether an approved request is enough for the tier this decision asks for.
pub fn satisfies(req: &ApprovalRequest, quorum: u32) -> bool {
    req.state == ApprovalState::Approved && req.approvals() >= quorum.max(1)
}

/// Everything a new approval request holds, but its storage.
pub struct Ask<'a> {
    pub binding: &'a Binding,
    pub principal: &'a Principal,
    pub tool: &'a str,
    /// The arguments with every PII entity masked: what approvers see.
    pub args_redacted: Value,
    pub reasons: Vec<String>,
    pub tier: (&'a str, u32),
    pub policy_version: &'a str,
    pub summary: String,
    pub decision_id: &'a str,
    pub now: i64,
    pub ttl: Duration,
}

impl Ask<'_> {
    pub fn request(self) -> ApprovalRequest {
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX);
        ApprovalRequest {
            id: ApprovalRequest::new_id(),
            key: self.binding.key.clone(),
            principal: principal_doc(self.principal),
            agent: self.principal.agent.clone(),
            tool: self.tool.to_string(),
            args_hmac: self.binding.args_hmac.clone(),
            args_redacted: self.args_redacted,
            reasons: self.reasons,
            tier: self.tier.0.to_string(),
            quorum: self.tier.1.max(1),
            policy_version: self.policy_version.to_string(),
            summary: self.summary,
            decision_id: self.decision_id.to_string(),
            created_unix: self.now,
            expires_unix: self.now.saturating_add(ttl),
            state: ApprovalState::Pending,
            votes: Vec::new(),
            used_by: None,
        }
    }
}

/// Store a request (or find the pending one for the same call): `(request, created)`.
pub async fn store(
    state: &SharedState,
    req: ApprovalRequest,
) -> Result<(ApprovalRequest, bool), Reject> {
    state.approval_request(req).await.map_err(|e| {
        Reject::new(
            Reason::StateUnavailable,
            format!("cannot store the approval request: {e}"),
        )
    })
}

/// Use an approval for the call bound by `binding`, once.
pub async fn consume(
    state: &SharedState,
    id: &str,
    binding: &Binding,
    decision_id: &str,
) -> Result<ApprovalRequest, Reject> {
    let out = state
        .approval_consume(id, &binding.key, decision_id)
        .await
        .map_err(|e| {
            Reject::new(
                Reason::StateUnavailable,
                format!("cannot use approval {id}: {e}"),
            )
        })?;
    let refuse = |reason, what: String| {
        let mut r = Reject::new(reason, what);
        r.approval_id = Some(id.into());
        Err(r)
    };
    match out {
        ConsumeOutcome::Consumed(req) => Ok(*req),
        ConsumeOutcome::NotApproved(ApprovalState::Used) => refuse(
            Reason::ApprovalUsed,
            format!("approval {id} was already used (single use)"),
        ),
        ConsumeOutcome::NotApproved(ApprovalState::Denied) => {
            refuse(Reason::ApprovalDenied, format!("approval {id} was denied"))
        }
        ConsumeOutcome::NotApproved(s) => refuse(
            Reason::ApprovalRequired,
            format!("approval {id} is {}, not approved", s.as_str()),
        ),
        ConsumeOutcome::Mismatch => refuse(
            Reason::ApprovalMismatch,
            format!("approval {id} was given for another call"),
        ),
        ConsumeOutcome::NotFound => {
            refuse(Reason::ApprovalUnknown, format!("no approval request {id}"))
        }
        ConsumeOutcome::Expired => refuse(
            Reason::ApprovalExpired,
            format!("approval {id} expired before it was used"),
        ),
    }
}

/// How a held call's wait ended.
pub enum Held {
    Approved(Box<ApprovalRequest>),
    /// Denied or expired: the refusal.
    Refused(Reject),
    /// `approvals.hold` passed with the request still pending.
    StillPending,
}

/// Wait up to `hold` for the humans to decide request `id`: woken by this process's feed
/// (`feed`, subscribed before the request was announced), and re-reading the store every
/// second so a vote taken by another sidecar on the same backend is seen too.
pub async fn hold(
    state: &SharedState,
    mut feed: broadcast::Receiver<Change>,
    id: &str,
    hold: Duration,
    now_unix: impl Fn() -> i64,
) -> Held {
    let deadline = tokio::time::Instant::now() + hold;
    loop {
        // gone, or the store is unreachable: keep waiting until the deadline
        if let Ok(Some(req)) = state.approval_get(id).await {
            match req.state_at(now_unix()) {
                ApprovalState::Approved => return Held::Approved(Box::new(req)),
                ApprovalState::Pending => {}
                ApprovalState::Denied => {
                    let mut r =
                        Reject::new(Reason::ApprovalDenied, format!("approval {id} was denied"));
                    r.approval_id = Some(id.into());
                    return Held::Refused(r);
                }
                ApprovalState::Used => {
                    let mut r = Reject::new(
                        Reason::ApprovalUsed,
                        format!("approval {id} was used by another call while this one waited"),
                    );
                    r.approval_id = Some(id.into());
                    return Held::Refused(r);
                }
                ApprovalState::Expired => {
                    let mut r = Reject::new(
                        Reason::ApprovalExpired,
                        format!("approval {id} expired while the call waited"),
                    );
                    r.approval_id = Some(id.into());
                    return Held::Refused(r);
                }
            }
        }
        let tick = tokio::time::Instant::now() + Duration::from_secs(1);
        let wake = tick.min(deadline);
        if tokio::time::Instant::now() >= deadline {
            return Held::StillPending;
        }
        tokio::select! {
            _ = tokio::time::sleep_until(wake) => {}
            changed = feed.recv() => match changed {
                Ok(c) if c.request.id != id => continue,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                // the hub is gone (shutting down): poll until the deadline
                Err(broadcast::error::RecvError::Closed) => {
                    tokio::time::sleep_until(wake).await;
                }
            },
        }
    }
}

/// The refusal of a call that needs approval: `approval_required` with the request's id,
/// the policy's reasons and how to get it approved.
pub fn required(req: &ApprovalRequest, reasons: &[String]) -> Reject {
    let mut r = Reject::new(
        Reason::ApprovalRequired,
        format!(
            "this call needs a human's approval ({} of tier `{}`). Approval request {id} is \
             pending until it expires: an approver approves it (`toolwall approvals approve \
             {id}` or the /ui page on the admin port); then retry the same call with header \
             `toolwall-approval: {id}` (MCP: params._meta[\"toolwall/approval\"] = \"{id}\").",
            match req.quorum {
                1 => "one approver".to_string(),
                n => format!("{n} approvers"),
            },
            req.tier,
            id = req.id,
        ),
    );
    r.policy_reasons = std::iter::once(Reason::ApprovalRequired.code().to_string())
        .chain(
            reasons
                .iter()
                .filter(|r| *r != "approval_required")
                .cloned(),
        )
        .collect();
    r.approval_id = Some(req.id.as_str().into());
    r
}

/// Protocol traffic that goes to no tool (an MCP server's request to the agent) cannot wait
/// for a human or be retried: a decision that needs approval refuses it.
pub fn refuse_unapprovable(decision: &PolicyDecision) -> Result<(), Reject> {
    if !decision.require_approval {
        return Ok(());
    }
    let mut r = Reject::new(
        Reason::ApprovalRequired,
        "policy requires approval for this message, which cannot wait for one: refused",
    );
    r.policy_reasons = std::iter::once(Reason::ApprovalRequired.code().to_string())
        .chain(decision.reasons.iter().cloned())
        .collect();
    Err(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(agent: &str, tenant: &str) -> Principal {
        Principal {
            agent: agent.into(),
            tenant: Some(tenant.into()),
            workflow: None,
            run_id: Some("r1".into()),
            source: "header",
            claims: Default::default(),
        }
    }

    #[test]
    fn the_binding_changes_with_principal_tool_and_args_but_not_key_order_or_run() {
        let k = Some(&b"k"[..]);
        let a = bind(
            k,
            &principal("bot", "acme"),
            "shop.refund",
            &json!({"a": 1, "b": 2}),
        );
        let same = bind(
            k,
            &principal("bot", "acme"),
            "shop.refund",
            &json!({"b": 2, "a": 1}),
        );
        assert_eq!(a, same);
        let mut other_run = principal("bot", "acme");
        other_run.run_id = Some("r2".into());
        assert_eq!(
            a,
            bind(k, &other_run, "shop.refund", &json!({"a": 1, "b": 2}))
        );
        for other in [
            bind(
                k,
                &principal("bot2", "acme"),
                "shop.refund",
                &json!({"a": 1, "b": 2}),
            ),
            bind(
                k,
                &principal("bot", "beta"),
                "shop.refund",
                &json!({"a": 1, "b": 2}),
            ),
            bind(
                k,
                &principal("bot", "acme"),
                "shop.refund2",
                &json!({"a": 1, "b": 2}),
            ),
            bind(
                k,
                &principal("bot", "acme"),
                "shop.refund",
                &json!({"a": 1, "b": 3}),
            ),
            bind(
                Some(&b"k2"[..]),
                &principal("bot", "acme"),
                "shop.refund",
                &json!({"a": 1, "b": 2}),
            ),
        ] {
            assert_ne!(a.key, other.key);
        }
        assert!(bind(None, &principal("bot", "acme"), "t", &json!({}))
            .args_hmac
            .starts_with("sha256:"));
    }

    #[test]
    fn presented_ids_are_short_printable_tokens() {
        assert!(parse_presented(b"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b").is_ok());
        for bad in [&b""[..], b"a b", b"x\xff", &[b'a'; 65][..], b"../x"] {
            assert_eq!(
                parse_presented(bad).expect_err("bad").reason,
                Reason::ApprovalUnknown
            );
        }
    }

    #[test]
    fn an_unapprovable_message_needing_approval_is_refused_with_the_policys_reasons() {
        let mut d = PolicyDecision {
            allow: true,
            require_approval: true,
            reasons: vec!["big_amount".into()],
            redact: Vec::new(),
            tier: None,
        };
        let r = refuse_unapprovable(&d).expect_err("needs approval");
        assert_eq!(r.reason, Reason::ApprovalRequired);
        assert_eq!(r.reasons(), vec!["approval_required", "big_amount"]);
        d.require_approval = false;
        assert!(refuse_unapprovable(&d).is_ok());
    }
}
