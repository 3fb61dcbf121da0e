package toolwall

import rego.v1

t_bulk(call) if "bulk_export" in deny_reasons with input as call

t_issues(args) := t_call("github.list_issues", object.union({"owner": "acme-co", "repo": "web"}, args))

t_search(args) := t_call("zendesk.search_tickets", args)

test_bulk_export_tool_is_always_denied if {
	d := decision with input as t_call("zendesk.export_tickets", {"start_time": 0})
	not d.allow
	d.reasons == ["bulk_export"]
}

test_bulk_page_size_at_the_limit_is_allowed if {
	d := decision with input as t_issues({"per_page": 50, "state": "open"})
	d.allow
}

test_bulk_page_size_above_the_limit_is_denied if {
	t_bulk(t_issues({"per_page": 51}))
	t_bulk(t_issues({"per_page": 100}))
}

test_bulk_page_size_as_string_is_denied if {
	t_bulk(t_issues({"per_page": "50"}))
}

test_bulk_page_size_names_ignore_case if {
	t_bulk(t_issues({"PER_PAGE": 100}))
	t_bulk(t_issues({"Limit": 1000}))
}

test_bulk_no_page_size_is_fine if {
	not t_bulk(t_issues({"state": "open"}))
}

test_bulk_per_tool_page_size if {
	not t_bulk(t_search({"query": "type:ticket status:open refund", "per_page": 25}))
	t_bulk(t_search({"query": "type:ticket status:open refund", "per_page": 26}))
}

test_bulk_narrow_query_is_fine if {
	not t_bulk(t_search({"query": "type:ticket requester:jane@example.com status:open"}))
}

test_bulk_prefix_wildcard_is_fine if {
	not t_bulk(t_search({"query": "type:ticket subject:refund*"}))
}

test_bulk_bare_wildcard_is_denied if {
	t_bulk(t_search({"query": "type:ticket *"}))
	t_bulk(t_search({"query": "*"}))
}

test_bulk_field_wildcard_is_denied if {
	t_bulk(t_search({"query": "type:ticket requester:*"}))
	t_bulk(t_search({"query": "status:open -tags:*"}))
}

test_bulk_type_filter_alone_matches_everything if {
	t_bulk(t_search({"query": "type:ticket"}))
	t_bulk(t_search({"query": "TYPE:Ticket"}))
	t_bulk(t_search({"query": "  type:ticket\t"}))
}

test_bulk_empty_query_is_denied if {
	t_bulk(t_search({"query": ""}))
	t_bulk(t_search({"query": "   "}))
}

test_bulk_query_that_is_not_a_string_is_denied if {
	t_bulk(t_search({"query": ["type:ticket", "*"]}))
}
