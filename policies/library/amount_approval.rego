# Amount thresholds with a human above them, and a ceiling nobody can approve past.
#
# Incident: a billing agent "made the customer whole" with a refund of 48,000.00 instead of
# 480.00 (cents vs units); the API accepted it because the key could.
# Rule: for a tool whose risk names an `amount_arg` (input.tool.risk.amount_arg), the amount is
# looked up in data.library.amounts: tenants[tenant][tool], else tools[tool], else default.
#   - above `approval_above` → approval `amount_requires_approval` (unless approved);
#   - above `deny_above` → `amount_exceeds_ceiling`, approval or not;
#   - not a number, or negative → `amount_invalid`;
#   - absent (a Stripe refund without `amount` refunds the whole charge) → approval
#     `amount_unknown` (unless approved).
# Exactly at a threshold is within it.
package toolwall

import rego.v1

amt_arg := input.tool.risk.amount_arg

amt_present if {
	is_object(input.args)
	amt_arg in object.keys(input.args)
}

amt_value := input.args[amt_arg]

amt_limits := data.library.amounts.tenants[input.principal.tenant][input.tool.name]

amt_limits := data.library.amounts.tools[input.tool.name] if {
	not data.library.amounts.tenants[input.principal.tenant][input.tool.name]
}

amt_limits := data.library.amounts.default if {
	not data.library.amounts.tenants[input.principal.tenant][input.tool.name]
	not data.library.amounts.tools[input.tool.name]
}

deny_reasons contains "amount_invalid" if {
	amt_present
	not is_number(amt_value)
}

deny_reasons contains "amount_invalid" if {
	is_number(amt_value)
	amt_value < 0
}

deny_reasons contains "amount_exceeds_ceiling" if {
	is_number(amt_value)
	amt_value > amt_limits.deny_above
}

approval_reasons contains "amount_requires_approval" if {
	is_number(amt_value)
	amt_value > amt_limits.approval_above
	not approved
}

# No thresholds configured for a tool that moves money: a human decides.
approval_reasons contains "amount_requires_approval" if {
	amt_present
	not amt_limits
	not approved
}

approval_reasons contains "amount_unknown" if {
	is_string(amt_arg)
	not amt_present
	not approved
}
