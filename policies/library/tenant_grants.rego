# Per-tenant tool grants (least privilege).
#
# Incident: an agent built for one customer's support desk was given the platform's whole tool
# belt; a prompt injection in a ticket made it call a payment tool that customer never bought.
# Rule: a tenant may call only the tools granted to it in data.library.tenant_grants
# (tenant → tool globs). Anything else, a call without a tenant included, is `tool_not_granted`.
package toolwall

import rego.v1

deny_reasons contains "tool_not_granted" if not tool_granted

tool_granted if {
	is_string(input.principal.tenant)
	tool_matches(data.library.tenant_grants[input.principal.tenant])
}
