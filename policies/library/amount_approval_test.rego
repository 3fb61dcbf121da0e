package toolwall

import rego.v1

test_amount_below_threshold_is_allowed if {
	d := decision with input as t_refund(4999)
	d.allow
	not d.require_approval
}

test_amount_exactly_at_the_threshold_is_allowed if {
	a := approval_reasons with input as t_refund(5000)
	count(a) == 0
}

test_amount_one_cent_above_needs_approval if {
	a := approval_reasons with input as t_refund(5001)
	a == {"amount_requires_approval"}
}

test_amount_exactly_at_the_ceiling_needs_approval_only if {
	d := decision with input as t_refund(50000)
	d.allow
	d.require_approval
	d.reasons == ["amount_requires_approval"]
}

test_amount_above_the_ceiling_is_denied_even_with_approval if {
	d := decision with input as t_with(t_refund(50001), {"approval": t_approved})
	not d.allow
	d.reasons == ["amount_exceeds_ceiling"]
}

test_amount_approved_call_goes_through if {
	d := decision with input as t_with(t_refund(20000), {"approval": t_approved})
	d.allow
	not d.require_approval
}

test_amount_pending_approval_does_not_count if {
	pending := object.union(t_approved, {"approved": false})
	a := approval_reasons with input as t_with(t_refund(20000), {"approval": pending})
	"amount_requires_approval" in a
}

test_amount_as_string_is_invalid if {
	d := decision with input as t_refund("90000")
	not d.allow
	d.reasons == ["amount_invalid"]
}

test_amount_small_string_is_invalid_too if {
	r := deny_reasons with input as t_refund("5")
	"amount_invalid" in r
}

test_amount_float_just_above_needs_approval if {
	a := approval_reasons with input as t_refund(5000.5)
	"amount_requires_approval" in a
}

test_amount_float_just_below_is_allowed if {
	a := approval_reasons with input as t_refund(4999.99)
	count(a) == 0
}

test_amount_exponent_is_a_number if {
	r := deny_reasons with input as t_refund(1e5)
	"amount_exceeds_ceiling" in r
}

test_amount_huge_is_over_the_ceiling if {
	r := deny_reasons with input as t_refund(1e300)
	"amount_exceeds_ceiling" in r
}

test_amount_negative_is_invalid if {
	r := deny_reasons with input as t_refund(-500)
	"amount_invalid" in r
}

test_amount_null_is_invalid if {
	r := deny_reasons with input as t_refund(null)
	"amount_invalid" in r
}

test_amount_boolean_is_invalid if {
	r := deny_reasons with input as t_refund(true)
	"amount_invalid" in r
}

test_amount_missing_refunds_everything_so_a_human_decides if {
	d := decision with input as t_call("stripe.create_refund", {"charge": "ch_3MmlLrLkdIwHu7ix0snN0B15"})
	d.require_approval
	d.reasons == ["amount_unknown"]
}

test_amount_missing_with_approval_goes_through if {
	call := t_with(t_call("stripe.create_refund", {"charge": "ch_3MmlLrLkdIwHu7ix0snN0B15"}), {"approval": t_approved})
	a := approval_reasons with input as call
	count(a) == 0
}

test_amount_tenant_threshold_wins_over_the_tools if {
	a := approval_reasons with input as t_as(t_refund(1001), "globex")
	"amount_requires_approval" in a
	r := deny_reasons with input as t_as(t_refund(10001), "globex")
	"amount_exceeds_ceiling" in r
}

test_amount_tool_threshold_for_charges if {
	a := approval_reasons with input as t_call("stripe.create_charge", {"amount": 20000, "currency": "usd", "source": "tok_visa"})
	count(a) == 0
	b := approval_reasons with input as t_call("stripe.create_charge", {"amount": 20001, "currency": "usd", "source": "tok_visa"})
	"amount_requires_approval" in b
}

test_amount_default_threshold_for_other_tools if {
	call := object.union(t_call("zendesk.update_ticket", {"ticket_id": 1, "credit": 10001}), {"tool": {"risk": {"amount_arg": "credit"}}})
	a := approval_reasons with input as call
	"amount_requires_approval" in a
	at := object.union(t_call("zendesk.update_ticket", {"ticket_id": 1, "credit": 10000}), {"tool": {"risk": {"amount_arg": "credit"}}})
	b := approval_reasons with input as at
	count(b) == 0
}

test_amount_without_any_threshold_needs_a_human if {
	a := approval_reasons with input as t_refund(1)
		with data.library.amounts as {}
	"amount_requires_approval" in a
}

test_amount_ignored_on_tools_without_amount_arg if {
	call := t_call("zendesk.update_ticket", {"ticket_id": 1, "amount": 99999999})
	a := approval_reasons with input as call
	r := deny_reasons with input as call
	count(a) == 0
	not "amount_exceeds_ceiling" in r
}
