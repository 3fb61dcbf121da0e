package toolwall

import rego.v1

t_spent(call, usd) := t_with(call, {"usage": {"run_spent_usd": usd}})

t_read_only_only(call) if "over_budget_read_only" in deny_reasons with input as call

t_budget_ticket := t_call("zendesk.update_ticket", {"ticket_id": 4711, "ticket": {"status": "pending"}})

t_budget_search := t_call("zendesk.search_tickets", {"query": "type:ticket status:open"})

test_budget_within_is_fine if {
	not t_read_only_only(t_spent(t_budget_ticket, 0.49))
}

test_budget_exactly_at_is_fine if {
	not t_read_only_only(t_spent(t_budget_ticket, 0.5))
}

test_budget_over_allows_only_read_only_tools if {
	d := decision with input as t_spent(t_budget_ticket, 0.51)
	not d.allow
	d.reasons == ["over_budget_read_only"]
	r := decision with input as t_spent(t_budget_search, 3)
	r.allow
}

test_budget_tenant_budget_wins if {
	globex := t_as(t_budget_ticket, "globex")
	t_read_only_only(t_spent(globex, 0.21))
	not t_read_only_only(t_spent(globex, 0.2))
}

test_budget_spend_that_is_not_a_number_counts_as_over if {
	t_read_only_only(t_spent(t_budget_ticket, "0.1"))
	t_read_only_only(t_spent(t_budget_ticket, null))
}

test_budget_without_a_run_nothing_is_limited if {
	call := t_with(t_budget_ticket, {"usage": {"tenant_spent_today_usd": 40}})
	not t_read_only_only(call)
}

test_budget_read_only_must_be_true if {
	call := object.union(t_spent(t_budget_ticket, 0.9), {"tool": {"read_only": "true"}})
	t_read_only_only(call)
}
