package toolwall

import rego.v1

t_found(call, entities) := t_with(call, {"pii": {"found": entities}})

t_not_cleared(call) if "pii_not_cleared" in deny_reasons with input as call

t_ticket := t_call("zendesk.create_ticket", {"ticket": {"subject": "Card declined", "comment": {"body": "see below"}}})

t_issue := t_call("github.create_issue", {"owner": "acme-co", "repo": "web", "title": "Checkout fails", "body": "see below"})

test_pii_email_to_a_pii_tool_is_fine if {
	d := decision with input as t_found(t_ticket, ["email"])
	d.allow
}

test_pii_ssn_in_a_ticket_is_not_cleared if {
	d := decision with input as t_found(t_ticket, ["email", "us_ssn"])
	not d.allow
	d.reasons == ["pii_not_cleared"]
}

test_pii_card_in_a_ticket_is_not_cleared if {
	t_not_cleared(t_found(t_ticket, ["credit_card"]))
}

test_pii_email_in_a_github_issue_is_not_cleared if {
	t_not_cleared(t_found(t_issue, ["email"]))
}

test_pii_nothing_found_is_fine if {
	not t_not_cleared(t_found(t_issue, []))
}

test_pii_card_to_stripe_is_fine if {
	not t_not_cleared(t_found(t_refund(100), ["credit_card", "email"]))
}

test_pii_ssn_to_stripe_is_not_cleared if {
	t_not_cleared(t_found(t_refund(100), ["us_ssn"]))
}

test_pii_secrets_are_cleared_nowhere if {
	every call in [t_ticket, t_issue, t_refund(100)] {
		t_not_cleared(t_found(call, ["aws_access_key"]))
	}
}

test_pii_tool_without_data_class_is_cleared_for_nothing if {
	call := object.union(t_ticket, {"tool": {"risk": {"data_class": null}}})
	t_not_cleared(t_found(call, ["email"]))
	tool := object.union(object.remove(t_ticket.tool, ["risk"]), {"risk": object.remove(t_ticket.tool.risk, ["data_class"])})
	bare := object.union(object.remove(t_ticket, ["tool"]), {"tool": tool})
	t_not_cleared(t_found(bare, ["email"]))
}

test_pii_unknown_data_class_is_cleared_for_nothing if {
	call := object.union(t_ticket, {"tool": {"risk": {"data_class": "PII"}}})
	t_not_cleared(t_found(call, ["email"]))
}
