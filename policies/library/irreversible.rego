# Irreversible actions always need a human.
#
# Incident: an agent "cleaned up" by merging a stale pull request straight into main; the
# merge was on its way to production before anyone read it, and there is no un-merge.
# Rule: a tool whose risk says `reversible: false` needs an approval
# (`irreversible_requires_approval`) unless the call presents an approved one (input.approval,
# on the retry with the approval id). Tools listed in data.library.irreversible.exempt (globs)
# are left to a more specific policy: the library exempts the Stripe money tools, which
# amount_approval.rego governs by size.
package toolwall

import rego.v1

approval_reasons contains "irreversible_requires_approval" if {
	input.tool.risk.reversible == false
	not tool_matches(data.library.irreversible.exempt)
	not approved
}
