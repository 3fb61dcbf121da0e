# PII only to tools cleared for its data class.
#
# Incident: a customer pasted their card number and social security number into a support
# chat; the agent filed a GitHub issue "with full context", and the numbers sat in a public
# repository's issue history.
# Rule: every entity toolwall's scanner found in the call (input.pii.found: `email`,
# `credit_card`, `us_ssn`, secrets, …) must be one the tool's data class may receive:
# data.library.pii.clearance[input.tool.risk.data_class]. A tool without a data class, or with
# one the table does not list, is cleared for nothing. Otherwise: `pii_not_cleared`.
package toolwall

import rego.v1

deny_reasons contains "pii_not_cleared" if {
	some entity in input.pii.found
	not pii_cleared(entity)
}

pii_cleared(entity) if entity in data.library.pii.clearance[input.tool.risk.data_class]
