# Example MCP policy: tools are `crm.<tool>`; resources/read, prompts/get and the server's
# sampling / elicitation / roots requests are `crm.resources/read` etc. (docs/mcp.md).
package toolwall

import rego.v1

default decision := {"allow": false, "reasons": ["default_deny"]}

decision := {"allow": true, "reasons": [], "redact": redact} if count(deny) == 0

decision := {"allow": false, "reasons": sort([r | some r in deny])} if count(deny) > 0

deny contains "amount_exceeds_threshold" if {
	input.tool.name == "crm.refund"
	input.args.amount > 1000
}

deny contains "external_recipient" if {
	input.tool.name in {"crm.send_email", "crm.notify"}
	not endswith(input.args.to, "@acme.test")
}

deny contains "operators_only" if input.tool.name == "crm.admin_reset"

deny contains "sampling_not_allowed" if input.tool.name == "crm.sampling/createMessage"

deny contains "secret_resource" if {
	input.tool.name == "crm.resources/read"
	startswith(input.args.uri, "crm://customers/secret")
}

default redact := []

# Mask emails in what customer lookups return.
redact := ["email"] if input.tool.name == "crm.lookup_customer"

# tools/list shows the agent only what it may use.
default tool_visible := true

tool_visible := false if input.tool.name == "crm.admin_reset"
