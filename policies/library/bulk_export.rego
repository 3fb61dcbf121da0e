# No bulk export.
#
# Incident: asked to "check whether other customers reported this", a support agent paged
# through every ticket of the account at 1,000 a page and pasted them into its context, PII
# and all; the search API was the exfiltration path.
# Rule (data.library.bulk_export), each `bulk_export`:
#   - an export tool (`export_tools` globs): never;
#   - a page-size argument (`page_size_args`, any case) above `max_page_size` (per tool:
#     `tools`), or not a number;
#   - a search query argument (`query_args`, any case) that matches everything: empty, a bare
#     wildcard term (`*`, `status:*`), only type filters (`type:ticket`), or not a string.
# Exactly `max_page_size` is allowed.
package toolwall

import rego.v1

deny_reasons contains "bulk_export" if tool_matches(data.library.bulk_export.export_tools)

deny_reasons contains "bulk_export" if {
	some k, v in input.args
	lower(k) in be_page_size_args
	not be_page_within(v)
}

deny_reasons contains "bulk_export" if {
	some k, v in input.args
	lower(k) in be_query_args
	be_matches_everything(v)
}

be_page_size_args := {lower(a) | some a in data.library.bulk_export.page_size_args}

be_query_args := {lower(a) | some a in data.library.bulk_export.query_args}

be_max_page := data.library.bulk_export.tools[input.tool.name]

be_max_page := data.library.bulk_export.max_page_size if not data.library.bulk_export.tools[input.tool.name]

be_page_within(v) if {
	is_number(v)
	v <= be_max_page
}

be_matches_everything(q) if not is_string(q)

# Only wildcards and type filters, any case (or nothing at all): every record of the account.
be_matches_everything(q) if {
	is_string(q)
	count(be_narrowing_terms(q)) == 0
}

# A term that is a wildcard on its own: `*`, `**`, `status:*`, `-tags:*`.
be_matches_everything(q) if {
	is_string(q)
	some term in regex.split(`\s+`, q)
	regex.match(`^-?([A-Za-z_]+[:<>=]+)?\*+$`, term)
}

be_narrowing_terms(q) := {term |
	some term in regex.split(`\s+`, q)
	term != ""
	not regex.match(`(?i)^(\*+|type:[a-z_]+)$`, term)
}
