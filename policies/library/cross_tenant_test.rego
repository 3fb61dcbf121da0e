package toolwall

import rego.v1

t_with_header(call, name, value) := object.union(call, {"request": {"headers": {name: value}}})

test_xt_own_connected_account_is_fine if {
	call := t_with_header(t_refund(500), "stripe-account", "acct_1OyQ3cAcMe5x2Lq9")
	d := decision with input as call
	d.allow
	d.reasons == []
}

test_xt_refund_on_another_tenants_account_is_cross_tenant if {
	call := t_with_header(t_refund(500), "stripe-account", "acct_1PzR8kGlBx7RkT3m")
	d := decision with input as call
	not d.allow
	d.reasons == ["cross_tenant"]
}

test_xt_unknown_account_header_is_cross_tenant if {
	call := t_with_header(t_refund(500), "stripe-account", "acct_1Zz9NobodyKnows")
	r := deny_reasons with input as call
	"cross_tenant" in r
}

test_xt_case_changed_account_header_is_not_the_callers if {
	# Stripe ids are case-sensitive: this is not acme_co's account
	call := t_with_header(t_refund(500), "stripe-account", "ACCT_1OYQ3CACME5X2LQ9")
	r := deny_reasons with input as call
	"cross_tenant" in r
}

test_xt_no_account_header_is_fine if {
	r := deny_reasons with input as t_refund(500)
	not "cross_tenant" in r
}

test_xt_other_tenants_customer_is_cross_tenant if {
	call := t_call("stripe.create_charge", {"amount": 1500, "currency": "usd", "customer": "cus_OkGx83LmQp2Rz1"})
	r := deny_reasons with input as call
	"cross_tenant" in r
}

test_xt_own_customer_is_fine if {
	call := t_call("stripe.create_charge", {"amount": 1500, "currency": "usd", "customer": "cus_NffrFeUfNV2Hib"})
	r := deny_reasons with input as call
	not "cross_tenant" in r
}

test_xt_other_tenants_repository_owner_is_cross_tenant if {
	call := t_call("github.create_issue", {"owner": "globex-corp", "repo": "web", "title": "Broken link"})
	r := deny_reasons with input as call
	"cross_tenant" in r
}

test_xt_prefixes_ignore_case if {
	call := t_call("github.create_issue", {"owner": "GlobEx-Corp", "repo": "web", "title": "Broken link"})
	r := deny_reasons with input as call
	"cross_tenant" in r
}

test_xt_own_repository_is_fine if {
	call := t_call("github.create_issue", {"owner": "acme-co", "repo": "web", "title": "Broken link"})
	r := deny_reasons with input as call
	not "cross_tenant" in r
}

test_xt_tenant_field_naming_another_tenant if {
	call := t_call("github.create_deployment", {"owner": "acme-co", "repo": "web", "ref": "main", "payload": {"tenant": "globex"}})
	r := deny_reasons with input as call
	"cross_tenant" in r
}

test_xt_tenant_field_names_match_in_any_case if {
	call := t_call("github.create_deployment", {"owner": "acme-co", "repo": "web", "ref": "main", "payload": {"Tenant_ID": "globex"}})
	r := deny_reasons with input as call
	"cross_tenant" in r
}

test_xt_tenant_field_value_must_be_exactly_the_callers if {
	call := t_call("github.create_deployment", {"owner": "acme-co", "repo": "web", "ref": "main", "payload": {"tenant": "ACME_CO"}})
	r := deny_reasons with input as call
	"cross_tenant" in r
}

test_xt_tenant_field_with_the_callers_tenant_is_fine if {
	call := t_call("github.create_deployment", {"owner": "acme-co", "repo": "web", "ref": "main", "payload": {"tenant": "acme_co"}})
	r := deny_reasons with input as call
	not "cross_tenant" in r
}

test_xt_tenant_field_that_is_not_a_string if {
	call := t_call("github.create_deployment", {"owner": "acme-co", "repo": "web", "ref": "main", "payload": {"tenant": null}})
	r := deny_reasons with input as call
	"cross_tenant" in r
}

test_xt_identifier_four_levels_deep if {
	# ticket → custom_fields → [0] → value
	call := t_call("zendesk.create_ticket", {"ticket": {"comment": {"body": "Order question"}, "custom_fields": [{"id": 360011, "value": "globex_order_9912"}]}})
	r := deny_reasons with input as call
	"cross_tenant" in r
}

test_xt_numeric_id_of_another_tenant if {
	call := t_call("zendesk.create_ticket", {"ticket": {"comment": {"body": "Order question"}, "organization_id": 360009876543}})
	r := deny_reasons with input as call
	"cross_tenant" in r
}

test_xt_own_numeric_id_is_fine if {
	call := t_call("zendesk.create_ticket", {"ticket": {"comment": {"body": "Order question"}, "organization_id": 360001234567, "external_id": "acme_co-order-1042"}})
	r := deny_reasons with input as call
	not "cross_tenant" in r
}

test_xt_free_text_mentioning_another_tenant_is_not_an_identifier if {
	call := t_call("zendesk.create_ticket", {"ticket": {"comment": {"body": "globex sells the same widget cheaper"}}})
	r := deny_reasons with input as call
	not "cross_tenant" in r
}

test_xt_the_other_tenant_calling_with_its_own_ids_is_fine if {
	call := t_as(t_with_header(t_refund(500), "stripe-account", "acct_1PzR8kGlBx7RkT3m"), "globex")
	r := deny_reasons with input as call
	not "cross_tenant" in r
}

test_xt_a_call_without_tenant_owns_nothing if {
	call := t_without_tenant(t_call("github.create_issue", {"owner": "acme-co", "repo": "web", "title": "x"}))
	r := deny_reasons with input as call
	"cross_tenant" in r
}

test_xt_longest_prefix_wins if {
	owned := {"acme_co": {"prefixes": ["acme-"]}, "acme_eu": {"prefixes": ["acme-eu-"]}}
	eu := deny_reasons with input as t_call("github.create_issue", {"owner": "acme-eu-ops", "repo": "web", "title": "x"})
		with data.library.cross_tenant.owned as owned
	"cross_tenant" in eu
	own := deny_reasons with input as t_call("github.create_issue", {"owner": "acme-web", "repo": "web", "title": "x"})
		with data.library.cross_tenant.owned as owned
	not "cross_tenant" in own
}

test_xt_an_exact_id_beats_a_prefix if {
	owned := {"acme_co": {"ids": ["cus_GlobexLookalike1"]}, "globex": {"prefixes": ["cus_globex"]}}
	r := deny_reasons with input as t_call("stripe.create_charge", {"amount": 900, "currency": "usd", "customer": "cus_GlobexLookalike1"})
		with data.library.cross_tenant.owned as owned
	not "cross_tenant" in r
}

test_xt_search_query_naming_another_tenants_organization if {
	call := t_call("zendesk.search_tickets", {"query": "type:ticket organization:360009876543 status:open"})
	r := deny_reasons with input as call
	"cross_tenant" in r
}

test_xt_search_query_with_a_quoted_external_id if {
	call := t_call("zendesk.search_tickets", {"query": "type:ticket external_id:\"GLOBEX-7731\""})
	r := deny_reasons with input as call
	"cross_tenant" in r
}

test_xt_search_query_within_the_own_tenant_is_fine if {
	call := t_call("zendesk.search_tickets", {"query": "type:ticket organization:360001234567 refund globex"})
	r := deny_reasons with input as call
	not "cross_tenant" in r
}
