# Read-only mode for over-budget runs.
#
# Incident: an agent stuck in a retry loop spent its run's budget many times over, and kept
# creating tickets and charges while it did.
# Rule: once a run has spent more than its budget (input.usage.run_spent_usd above
# data.library.budget.run_max_usd, or the tenant's own in `tenants`), only read-only tools
# (input.tool.read_only) are allowed; anything else is `over_budget_read_only`. A spend that is
# not a number counts as over. Exactly at the budget is within it.
package toolwall

import rego.v1

deny_reasons contains "over_budget_read_only" if {
	budget_over(input.usage.run_spent_usd)
	not input.tool.read_only == true
}

budget_limit := data.library.budget.tenants[input.principal.tenant]

budget_limit := data.library.budget.run_max_usd if not data.library.budget.tenants[input.principal.tenant]

budget_over(spent) if not is_number(spent)

budget_over(spent) if {
	is_number(spent)
	spent > budget_limit
}
