package toolwall_test

import rego.v1

import data.toolwall

refund(amount) := {
	"v": 1,
	"principal": {"agent": "billing-dispute-v3", "tenant": "acme_co", "source": "static"},
	"tool": {"name": "payments.create_refund", "adapter": "payments", "kind": "http", "read_only": false, "risk": {"financial": true}},
	"args": {"charge": "ch_1", "amount": amount},
}

test_small_refund_allowed if {
	toolwall.decision.allow with input as refund(500)
}

test_large_refund_denied if {
	d := toolwall.decision with input as refund(50000)
	not d.allow
	d.reasons == ["amount_exceeds_threshold"]
}

test_ssn_never_reaches_a_tool if {
	d := toolwall.decision with input as object.union(refund(5), {"pii": {"found": ["us_ssn"]}})
	not d.allow
	"ssn_not_allowed" in d.reasons
}

test_allowed_calls_mask_emails if {
	d := toolwall.decision with input as refund(5)
	d.redact == ["email"]
}
