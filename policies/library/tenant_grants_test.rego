package toolwall

import rego.v1

test_grants_granted_tool_is_allowed if {
	d := decision with input as t_call("stripe.retrieve_charge", {"charge": "ch_3MmlLrLkdIwHu7ix0snN0B15"})
	d.allow
	not "tool_not_granted" in d.reasons
}

test_grants_glob_grants_every_tool_of_the_adapter if {
	every tool in ["stripe.create_refund", "stripe.create_charge", "stripe.retrieve_charge"] {
		r := deny_reasons with input as t_call(tool, {})
		not "tool_not_granted" in r
	}
}

test_grants_listed_tool_of_a_narrow_tenant if {
	r := deny_reasons with input as t_as(t_call("stripe.create_refund", {"charge": "ch_1", "amount": 100}), "globex")
	not "tool_not_granted" in r
}

test_grants_tool_outside_the_tenants_grants_is_denied if {
	d := decision with input as t_as(t_call("stripe.create_charge", {"amount": 500, "currency": "usd", "source": "tok_visa"}), "globex")
	not d.allow
	d.reasons == ["tool_not_granted"]
}

test_grants_merge_is_not_granted_to_globex if {
	r := deny_reasons with input as t_as(t_call("github.merge_pull_request", {"owner": "globex-corp", "repo": "web", "pull_number": 3}), "globex")
	"tool_not_granted" in r
}

test_grants_case_changed_tool_name_is_not_granted if {
	call := object.union(t_call("stripe.create_refund", {"charge": "ch_1", "amount": 100}), {"tool": {"name": "Stripe.create_refund"}})
	r := deny_reasons with input as call
	"tool_not_granted" in r
}

test_grants_star_does_not_cross_a_dot if {
	call := object.union(t_call("stripe.retrieve_charge", {"charge": "ch_1"}), {"tool": {"name": "stripe.retrieve_charge.raw"}})
	r := deny_reasons with input as call
	"tool_not_granted" in r
}

test_grants_case_changed_tenant_is_not_granted if {
	r := deny_reasons with input as t_as(t_call("stripe.retrieve_charge", {"charge": "ch_1"}), "ACME_CO")
	"tool_not_granted" in r
}

test_grants_unknown_tenant_is_not_granted if {
	r := deny_reasons with input as t_as(t_call("zendesk.search_tickets", {"query": "type:ticket refund"}), "initech")
	"tool_not_granted" in r
}

test_grants_null_tenant_is_not_granted if {
	r := deny_reasons with input as t_as(t_call("zendesk.search_tickets", {"query": "type:ticket refund"}), null)
	"tool_not_granted" in r
}

test_grants_missing_tenant_is_not_granted if {
	r := deny_reasons with input as t_without_tenant(t_call("zendesk.search_tickets", {"query": "type:ticket refund"}))
	"tool_not_granted" in r
}

test_grants_without_settings_nothing_is_granted if {
	r := deny_reasons with input as t_call("stripe.retrieve_charge", {"charge": "ch_1"})
		with data.library.tenant_grants as {}
	"tool_not_granted" in r
}
