# The policy library's decision: every call, from the reasons the other files contribute.
#
# Each policy file adds to one of two sets:
#   deny_reasons contains "…" if { … }      the call is refused (policy_denied)
#   approval_reasons contains "…" if { … }  the call waits for a human (approval_required)
# A deny wins over an approval; a call no file objects to is allowed. Settings live in
# data.json under data.library.<policy>. Input and decision: PRODUCT.md §5 / policy-authoring.md.
package toolwall

import rego.v1

# Reached only when a rule below cannot be evaluated to a value (for example a setting of the
# wrong type): refuse, and say so.
default decision := {
	"allow": false,
	"require_approval": false,
	"reasons": ["no_decision"],
	"redact": [],
	"tier": "high",
}

decision := {
	"allow": false,
	"require_approval": false,
	"reasons": sort([r | some r in deny_reasons]),
	"redact": library_redact,
	"tier": tier,
} if {
	count(deny_reasons) > 0
}

decision := {
	"allow": true,
	"require_approval": true,
	"reasons": sort([r | some r in approval_reasons]),
	"redact": library_redact,
	"tier": tier,
} if {
	count(deny_reasons) == 0
	count(approval_reasons) > 0
}

decision := {
	"allow": true,
	"require_approval": false,
	"reasons": [],
	"redact": library_redact,
	"tier": tier,
} if {
	count(deny_reasons) == 0
	count(approval_reasons) == 0
}

# A human approved this very call (toolwall binds an approval to principal, tool and
# arguments and puts it in the input only on the retry that presents it).
approved if input.approval.approved == true

# Entities to mask in what is forwarded (data.library.redact), e.g. ["secrets"]. Anything but
# an array leaves every decision rule undefined: the default refuses.
library_redact := data.library.redact if is_array(data.library.redact)

library_redact := [] if not data.library.redact

# The approval tier: money or no way back needs the `high` quorum (approvals.tiers).
tier := "high" if high_risk

tier := "low" if not high_risk

high_risk if input.tool.risk.financial == true

high_risk if input.tool.risk.reversible == false

# A tool name matches one of `globs` ("stripe.*", "github.create_issue"); `*` stays inside one
# dot-separated segment, matching is case-sensitive.
tool_matches(globs) if {
	some g in globs
	glob.match(g, ["."], input.tool.name)
}
