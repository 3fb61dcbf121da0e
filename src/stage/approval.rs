//! Approval: the seam where a human's decision plugs into admission (PRODUCT.md §6).
//!
//! A policy allow with `require_approval: true` needs a human. Until toolwall has an approval
//! flow it is refused as `approval_required` here, after the call's limits were checked and
//! before its decision record is written: it is never forwarded.

use crate::pipeline::reject::{Reason, Reject};
use crate::policy::PolicyDecision;

/// Whether an allowed call may go on without a human.
pub fn check(decision: &PolicyDecision) -> Result<(), Reject> {
    if !decision.require_approval {
        return Ok(());
    }
    let mut r = Reject::new(
        Reason::ApprovalRequired,
        if decision.reasons.is_empty() {
            "policy requires approval for this call; toolwall has no approval flow, so it is refused".to_string()
        } else {
            format!(
                "policy requires approval for this call ({}); toolwall has no approval flow, so it is refused",
                decision.reasons.join(", ")
            )
        },
    );
    // `approval_required` first, then the policy's own reasons.
    r.policy_reasons = std::iter::once(Reason::ApprovalRequired.code().to_string())
        .chain(decision.reasons.iter().cloned())
        .collect();
    Err(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_allow_needing_approval_is_refused_with_the_policys_reasons() {
        let mut d = PolicyDecision {
            allow: true,
            require_approval: true,
            reasons: vec!["big_amount".into()],
            redact: Vec::new(),
            tier: None,
        };
        let r = check(&d).expect_err("needs approval");
        assert_eq!(r.reason, Reason::ApprovalRequired);
        assert_eq!(r.reasons(), vec!["approval_required", "big_amount"]);
        let (status, kind) = r.reason.response_class();
        assert_eq!((status.as_u16(), kind), (403, "denied"));
        d.require_approval = false;
        assert!(check(&d).is_ok());
    }
}
