# The library's decision as a whole, and the helpers every *_test.rego file uses.
package toolwall

import rego.v1

# The tools as adapters/library declares them (what toolwall puts in input.tool).
t_tools := {
	"stripe.create_refund": {"read_only": false, "risk": {"reversible": false, "financial": true, "data_class": "pci", "amount_arg": "amount"}},
	"stripe.retrieve_charge": {"read_only": true, "risk": {"reversible": true, "financial": false, "data_class": "pci"}},
	"stripe.create_charge": {"read_only": false, "risk": {"reversible": false, "financial": true, "data_class": "pci", "amount_arg": "amount"}},
	"github.list_issues": {"read_only": true, "risk": {"reversible": true, "financial": false, "data_class": "internal"}},
	"github.create_issue": {"read_only": false, "risk": {"reversible": true, "financial": false, "data_class": "internal"}},
	"github.create_pull_request": {"read_only": false, "risk": {"reversible": true, "financial": false, "data_class": "internal"}},
	"github.merge_pull_request": {"read_only": false, "risk": {"reversible": false, "financial": false, "data_class": "internal"}},
	"github.create_deployment": {"read_only": false, "risk": {"reversible": true, "financial": false, "data_class": "internal"}},
	"zendesk.create_ticket": {"read_only": false, "risk": {"reversible": true, "financial": false, "data_class": "pii"}},
	"zendesk.update_ticket": {"read_only": false, "risk": {"reversible": true, "financial": false, "data_class": "pii"}},
	"zendesk.search_tickets": {"read_only": true, "risk": {"reversible": true, "financial": false, "data_class": "pii"}},
	"zendesk.export_tickets": {"read_only": true, "risk": {"reversible": true, "financial": false, "data_class": "pii"}},
}

# A call to one of the library's tools by acme_co's support bot on Tuesday 2026-12-01, 11:00 in
# Berlin (inside the deploy window).
t_call(tool, args) := {
	"v": 1,
	"principal": {"agent": "support-bot", "tenant": "acme_co", "workflow": null, "run_id": "run-1", "source": "static", "claims": {}},
	"tool": object.union({"name": tool, "adapter": split(tool, ".")[0], "kind": "http"}, t_tools[tool]),
	"args": args,
	"request": {"method": "POST", "host": "api.example.com", "path": "/", "headers": {}},
	"usage": {"run_spent_usd": 0.02, "tenant_spent_today_usd": 1.5},
	"approval": null,
	"pii": {"found": []},
	"now": {"rfc3339": "2026-12-01T10:00:00Z", "unix": 1796119200, "weekday": "Tue", "hour_utc": 10},
	"mode": "enforce",
}

# `call` as another tenant (null or a missing tenant included).
t_as(call, tenant) := object.union(call, {"principal": {"tenant": tenant}})

t_without_tenant(call) := object.union(object.remove(call, ["principal"]), {"principal": object.remove(call.principal, ["tenant"])})

# `call` with some top-level input fields replaced (`now`, `pii`, `usage`, `approval`, …).
t_with(call, fields) := object.union(call, fields)

t_at(call, rfc3339) := object.union(call, {"now": {"rfc3339": rfc3339}})

t_approved := {"id": "0190c0de-0000-7000-8000-000000000001", "approved": true, "approvers": ["alice", "bob"], "tier": "high"}

t_refund(amount) := t_call("stripe.create_refund", {"charge": "ch_3MmlLrLkdIwHu7ix0snN0B15", "amount": amount})

test_decision_allowed_call_has_the_full_shape if {
	d := decision with input as t_call("zendesk.search_tickets", {"query": "type:ticket status:open refund"})
	d == {"allow": true, "require_approval": false, "reasons": [], "redact": [], "tier": "low"}
}

test_decision_financial_tools_are_high_tier if {
	d := decision with input as t_refund(500)
	d == {"allow": true, "require_approval": false, "reasons": [], "redact": [], "tier": "high"}
}

test_decision_approval_is_allow_plus_require_approval if {
	d := decision with input as t_refund(6000)
	d == {"allow": true, "require_approval": true, "reasons": ["amount_requires_approval"], "redact": [], "tier": "high"}
}

test_decision_deny_wins_over_approval if {
	# needs approval (amount) and crosses tenants (another tenant's customer): refused outright
	call := t_call("stripe.create_refund", {"payment_intent": "pi_3MtwBwLkdIwHu7ix28a3tqPa", "amount": 6000, "customer": "cus_OkGx83LmQp2Rz1"})
	d := decision with input as call
	d == {"allow": false, "require_approval": false, "reasons": ["cross_tenant"], "redact": [], "tier": "high"}
}

test_decision_deny_reasons_are_sorted_and_complete if {
	call := t_as(t_call("stripe.create_charge", {"amount": 600000, "currency": "usd", "customer": "cus_NffrFeUfNV2Hib"}), "globex")
	d := decision with input as call
	d.reasons == ["amount_exceeds_ceiling", "cross_tenant", "tool_not_granted"]
	not d.allow
	not d.require_approval
}

test_decision_approval_reasons_are_sorted if {
	# a tool that both moves an unknown amount and cannot be undone
	call := object.union(t_call("github.merge_pull_request", {"owner": "acme-co", "repo": "web", "pull_number": 7}), {"tool": {"risk": {"amount_arg": "amount"}}})
	d := decision with input as call
	d.reasons == ["amount_unknown", "irreversible_requires_approval"]
	d.allow
	d.require_approval
}

test_decision_unknown_tool_for_tenant_is_denied_with_a_reason if {
	d := decision with input as t_as(t_call("github.merge_pull_request", {"owner": "globex-corp", "repo": "web", "pull_number": 7}), "initech")
	not d.allow
	"tool_not_granted" in d.reasons
}

test_decision_malformed_setting_falls_back_to_the_default_deny if {
	d := decision with input as t_call("zendesk.search_tickets", {"query": "type:ticket refund"})
		with data.library.redact as "email"
	d == {"allow": false, "require_approval": false, "reasons": ["no_decision"], "redact": [], "tier": "high"}
}

test_decision_redact_setting_reaches_the_decision if {
	d := decision with input as t_call("zendesk.search_tickets", {"query": "type:ticket refund"})
		with data.library.redact as ["secrets"]
	d.allow
	d.redact == ["secrets"]
}
