# Deploys only inside change windows, in the time zone the window is written in.
#
# Incident: an agent shipped a release at 17:40 on a Friday in Berlin, which was 15:40 "UTC,
# still fine" to the policy that checked it; nobody was on call when it broke.
# Rule: a call to a deploy tool (data.library.change_window.tools) is allowed only inside a
# window (a day of the week and [start, end) wall-clock time in the IANA zone `time_zone`),
# unless it deploys to an environment listed in `ungated_environments` (compared
# case-insensitively; the environment is the `environment_arg` argument, else the API's
# default `default_environment`; `production_environment: true` is always gated). Look-alike
# names ("production ", "prod") are gated: only the listed ones are not.
# A tenant may have its own zone and windows (`tenants`). The clock is input.now (one per
# call, replayable), read in that zone, daylight saving time included. Outside every window,
# or when the time cannot be read: `outside_change_window`.
package toolwall

import rego.v1

deny_reasons contains "outside_change_window" if {
	tool_matches(data.library.change_window.tools)
	not cw_ungated
	not cw_open
}

cw_base := data.library.change_window

# The tenant's own settings, over the shared ones.
cw_settings := object.union(cw_base, cw_base.tenants[input.principal.tenant])

cw_settings := cw_base if not cw_base.tenants[input.principal.tenant]

cw_environment := object.get(input.args, cw_settings.environment_arg, cw_settings.default_environment)

cw_ungated if {
	is_string(cw_environment)
	lower(cw_environment) in {lower(e) | some e in cw_settings.ungated_environments}
	not input.args.production_environment == true
}

# The guards come first: regorus's RVM (0.14.1) does not stop a rule body at `x := <undefined>`,
# so every value is checked before it is assigned (an unset zone must not mean UTC).
cw_open if {
	is_string(input.now.rfc3339)
	is_string(cw_settings.time_zone)
	ns := time.parse_rfc3339_ns(input.now.rfc3339)
	at := [ns, cw_settings.time_zone]
	clock := time.clock(at)
	minute := (clock[0] * 60) + clock[1]
	day := lower(substring(time.weekday(at), 0, 3))
	some w in cw_settings.windows
	day in {lower(substring(d, 0, 3)) | some d in w.days}
	cw_minute(w.start) <= minute
	minute < cw_minute(w.end)
}

# "09:30" → 570; "24:00" closes a window at midnight.
cw_minute(hhmm) := (cw_number(parts[0]) * 60) + cw_number(parts[1]) if {
	parts := split(hhmm, ":")
	count(parts) == 2
}

# regorus's to_number reads JSON numbers, which have no leading zeros: "09" is undefined.
cw_number(digits) := to_number(trim_left(digits, "0")) if trim_left(digits, "0") != ""

cw_number(digits) := 0 if {
	digits != ""
	trim_left(digits, "0") == ""
}
