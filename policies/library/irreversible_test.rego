package toolwall

import rego.v1

t_merge := t_call("github.merge_pull_request", {"owner": "acme-co", "repo": "web", "pull_number": 1347, "merge_method": "squash"})

test_irreversible_merge_needs_approval if {
	d := decision with input as t_merge
	d == {"allow": true, "require_approval": true, "reasons": ["irreversible_requires_approval"], "redact": [], "tier": "high"}
}

test_irreversible_merge_with_an_approval_goes_through if {
	d := decision with input as t_with(t_merge, {"approval": t_approved})
	d.allow
	not d.require_approval
}

test_irreversible_pending_approval_is_not_enough if {
	a := approval_reasons with input as t_with(t_merge, {"approval": object.union(t_approved, {"approved": false})})
	"irreversible_requires_approval" in a
}

test_irreversible_approval_does_not_lift_a_deny if {
	call := t_with(t_call("github.merge_pull_request", {"owner": "globex-corp", "repo": "web", "pull_number": 3}), {"approval": t_approved})
	d := decision with input as call
	not d.allow
	d.reasons == ["cross_tenant"]
}

test_irreversible_exempt_tools_are_left_to_amounts if {
	a := approval_reasons with input as t_refund(100)
	not "irreversible_requires_approval" in a
}

test_irreversible_reversible_tools_need_nothing if {
	a := approval_reasons with input as t_call("github.create_pull_request", {"owner": "acme-co", "repo": "web", "head": "fix", "base": "main", "title": "Fix"})
	count(a) == 0
}

test_irreversible_only_an_explicit_false_counts if {
	call := object.union(t_merge, {"tool": {"risk": {"reversible": "false"}}})
	a := approval_reasons with input as call
	not "irreversible_requires_approval" in a
}

test_irreversible_exemption_is_by_exact_tool_name if {
	call := object.union(t_refund(100), {"tool": {"name": "stripe.create_refund_v2"}})
	a := approval_reasons with input as call
	"irreversible_requires_approval" in a
}
