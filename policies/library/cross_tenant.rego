# No cross-tenant identifiers.
#
# Incident: a support agent serving tenant A was handed a charge id from tenant B's
# conversation and refunded it on B's Stripe account: the platform key can act on every
# connected account, so nothing downstream stopped it.
# Rule: an argument (down to four levels deep) or an owner header that names something another
# tenant owns is `cross_tenant`:
#   - tenant fields (data.library.cross_tenant.tenant_fields, any depth, any case) must hold
#     exactly the caller's tenant;
#   - an identifier (a string without whitespace) or a number owned by another tenant: an exact
#     `ids` entry, else the longest matching `prefixes` entry (compared case-insensitively);
#   - owner headers (`owner_headers`, e.g. `stripe-account`) must name something the caller's
#     tenant owns;
#   - search queries (`query_args`): the value of each `field:value` term
#     (`organization:360009876543`, `external_id:"globex-7"`) is checked like an identifier.
package toolwall

import rego.v1

deny_reasons contains "cross_tenant" if {
	some m in xt_members
	is_string(m[0])
	lower(m[0]) in xt_tenant_fields
	not xt_is_caller(m[1])
}

deny_reasons contains "cross_tenant" if {
	some m in xt_members
	xt_identifier(m[1])
	xt_owned_by_someone(m[1])
	some owner in xt_owners(m[1])
	not xt_is_caller(owner)
}

deny_reasons contains "cross_tenant" if {
	some k, query in input.args
	lower(k) in xt_query_args
	is_string(query)
	some term in regex.split(`\s+`, query)
	some owner in xt_term_owners(xt_term_value(term))
	not xt_is_caller(owner)
}

deny_reasons contains "cross_tenant" if {
	some h in data.library.cross_tenant.owner_headers
	some name, value in input.request.headers
	name == lower(h)
	not input.principal.tenant in xt_owners_or_none(value)
}

# Written so that a call without a tenant is never "the caller's".
xt_is_caller(t) if {
	is_string(t)
	t == input.principal.tenant
}

xt_tenant_fields := {lower(f) | some f in data.library.cross_tenant.tenant_fields}

xt_owned := data.library.cross_tenant.owned

xt_query_args := {lower(a) | some a in data.library.cross_tenant.query_args}

# `organization:360009876543`, `-external_id:"globex-7"` → the value, unquoted. A word
# without a field is full-text search, not an identifier.
xt_term_value(term) := trim(parts[count(parts) - 1], "\"'") if {
	parts := split(term, ":")
	count(parts) > 1
}

# A term's value names an id as text: digits stand for a numeric id too.
xt_term_owners(v) := xt_owners(v) if not regex.match(`^[0-9]{1,15}$`, v)

xt_term_owners(v) := xt_owners(v) | xt_exact_owners(to_number(v)) if regex.match(`^[1-9][0-9]{0,14}$`, v)

# Every listed id and prefix, whoever owns it: a cheap first test for each argument value.
xt_all_ids := {id | some owned in xt_owned; some id in object.get(owned, "ids", [])}

xt_all_prefixes := [lower(p) | some owned in xt_owned; some p in object.get(owned, "prefixes", [])]

xt_owned_by_someone(v) if v in xt_all_ids

xt_owned_by_someone(v) if {
	is_string(v)
	strings.any_prefix_match(lower(v), xt_all_prefixes)
}

# [key, value] of every member of the arguments down to depth 4 (array members keyed by index).
xt_level1 contains [k, v] if some k, v in input.args

xt_level2 contains [k, v] if {
	some m in xt_level1
	xt_container(m[1])
	some k, v in m[1]
}

xt_level3 contains [k, v] if {
	some m in xt_level2
	xt_container(m[1])
	some k, v in m[1]
}

xt_level4 contains [k, v] if {
	some m in xt_level3
	xt_container(m[1])
	some k, v in m[1]
}

xt_members := ((xt_level1 | xt_level2) | xt_level3) | xt_level4

xt_container(x) if is_object(x)

xt_container(x) if is_array(x)

# Strings that could be an identifier (free text has whitespace) and numbers (numeric ids).
xt_identifier(v) if {
	is_string(v)
	v != ""
	not regex.match(`\s`, v)
}

xt_identifier(v) if is_number(v)

# The tenants that own `v`: those listing it in `ids`, else those with the longest matching
# prefix (so `acme-eu-` can belong to one tenant and `acme-` to another).
xt_owners(v) := exact if {
	exact := xt_exact_owners(v)
	count(exact) > 0
}

xt_owners(v) := {t |
	hits := xt_prefix_hits(v)
	best := max({h[0] | some h in hits})
	some h in hits
	h[0] == best
	t := h[1]
} if {
	count(xt_exact_owners(v)) == 0
	is_string(v)
}

xt_exact_owners(v) := {t |
	some t, owned in xt_owned
	some id in object.get(owned, "ids", [])
	id == v
}

xt_prefix_hits(v) := {[count(p), t] |
	some t, owned in xt_owned
	some p in object.get(owned, "prefixes", [])
	startswith(lower(v), lower(p))
}

xt_owners_or_none(v) := xt_owners(v)

xt_owners_or_none(v) := set() if not xt_owners(v)
