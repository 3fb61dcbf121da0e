# Example policy library: the decision for every tool call.
# Input and decision follow PRODUCT.md §5 (input.v == 1).
package toolwall

import rego.v1

# Refunds above this many cents need a human (until approvals land: denied).
# Override in policies/data.json: {"config": {"refund_threshold_cents": 5000}}.
default refund_threshold_cents := 10000

refund_threshold_cents := data.config.refund_threshold_cents

default decision := {"allow": false, "reasons": ["no_rule_allows_this_call"]}

# Allowed calls forward (and get back) emails masked.
decision := {"allow": true, "reasons": [], "tier": tier, "redact": ["email"]} if {
	count(deny_reasons) == 0
	allowed_tool
}

decision := {"allow": false, "reasons": sort([r | some r in deny_reasons]), "tier": tier} if {
	count(deny_reasons) > 0
}

# Read-only tools are allowed; financial tools are allowed within the rules below.
allowed_tool if input.tool.read_only
allowed_tool if input.tool.risk.financial

deny_reasons contains "amount_exceeds_threshold" if {
	input.tool.name == "payments.create_refund"
	input.args.amount > refund_threshold_cents
}

# A call may not act on another tenant's data.
deny_reasons contains "cross_tenant" if {
	input.args.tenant
	input.args.tenant != input.principal.tenant
}

# No US social security number reaches any tool.
deny_reasons contains "ssn_not_allowed" if "us_ssn" in input.pii.found

tier := "high" if input.tool.risk.financial
else := "low"
