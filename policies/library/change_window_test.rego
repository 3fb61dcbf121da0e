package toolwall

import rego.v1

t_deploy(args) := t_call("github.create_deployment", object.union({"owner": "acme-co", "repo": "web", "ref": "v2026.12.1"}, args))

t_window_closed(call) if "outside_change_window" in deny_reasons with input as call

test_window_tuesday_morning_in_berlin_is_open if {
	# 10:00 UTC = 11:00 CET
	d := decision with input as t_at(t_deploy({}), "2026-12-01T10:00:00Z")
	d.allow
	d.reasons == []
}

test_window_friday_is_closed if {
	d := decision with input as t_at(t_deploy({}), "2026-12-04T10:00:00Z")
	not d.allow
	d.reasons == ["outside_change_window"]
}

test_window_saturday_night_is_closed if {
	t_window_closed(t_at(t_deploy({}), "2026-12-05T23:00:00Z"))
}

test_window_opens_at_nine_berlin_time if {
	# Monday 2026-11-30: 08:00 UTC is 09:00 CET, 07:59 UTC is 08:59
	not t_window_closed(t_at(t_deploy({}), "2026-11-30T08:00:00Z"))
	t_window_closed(t_at(t_deploy({}), "2026-11-30T07:59:00Z"))
}

test_window_closes_at_sixteen_berlin_time if {
	# Thursday 2026-12-03: 14:59 UTC is 15:59 CET, 15:00 UTC is 16:00 (the end is excluded)
	not t_window_closed(t_at(t_deploy({}), "2026-12-03T14:59:00Z"))
	t_window_closed(t_at(t_deploy({}), "2026-12-03T15:00:00Z"))
}

test_window_follows_daylight_saving_time_in_spring if {
	# Berlin moves to CEST on Sunday 2026-03-29: the same 14:30 UTC on a Thursday is 15:30
	# before (open) and 16:30 after (closed); 07:30 UTC on a Monday is 08:30 before (closed)
	# and 09:30 after (open).
	not t_window_closed(t_at(t_deploy({}), "2026-03-26T14:30:00Z"))
	t_window_closed(t_at(t_deploy({}), "2026-04-02T14:30:00Z"))
	t_window_closed(t_at(t_deploy({}), "2026-03-23T07:30:00Z"))
	not t_window_closed(t_at(t_deploy({}), "2026-03-30T07:30:00Z"))
}

test_window_follows_daylight_saving_time_in_autumn if {
	# back to CET on Sunday 2026-10-25: Thursday 14:30 UTC is 16:30 before, 15:30 after
	t_window_closed(t_at(t_deploy({}), "2026-10-22T14:30:00Z"))
	not t_window_closed(t_at(t_deploy({}), "2026-10-29T14:30:00Z"))
}

test_window_weekday_is_the_zones_not_utcs if {
	# Sunday 23:30 UTC is Monday 00:30 in Berlin
	windows := [{"days": ["Monday"], "start": "00:00", "end": "06:00"}]
	not t_window_closed(t_at(t_deploy({}), "2026-12-06T23:30:00Z")) with data.library.change_window.windows as windows
	t_window_closed(t_at(t_deploy({}), "2026-12-06T22:30:00Z")) with data.library.change_window.windows as windows
}

test_window_can_end_at_midnight if {
	windows := [{"days": ["Fri"], "start": "18:00", "end": "24:00"}]
	not t_window_closed(t_at(t_deploy({}), "2026-12-04T22:59:00Z")) with data.library.change_window.windows as windows
}

test_window_staging_deploys_any_time if {
	d := decision with input as t_at(t_deploy({"environment": "staging"}), "2026-12-05T23:00:00Z")
	d.allow
}

test_window_environment_names_ignore_case if {
	not t_window_closed(t_at(t_deploy({"environment": "Staging"}), "2026-12-05T23:00:00Z"))
}

test_window_production_is_the_default_environment if {
	t_window_closed(t_at(t_deploy({}), "2026-12-05T23:00:00Z"))
	t_window_closed(t_at(t_deploy({"environment": "production"}), "2026-12-05T23:00:00Z"))
}

test_window_look_alike_environments_are_gated if {
	every env in ["production ", "prod", "staging-but-really-prod", "stag\u0456ng"] {
		t_window_closed(t_at(t_deploy({"environment": env}), "2026-12-05T23:00:00Z"))
	}
}

test_window_production_environment_flag_is_gated if {
	t_window_closed(t_at(t_deploy({"environment": "staging", "production_environment": true}), "2026-12-05T23:00:00Z"))
}

test_window_other_tools_are_not_gated if {
	call := t_at(t_call("github.create_issue", {"owner": "acme-co", "repo": "web", "title": "Deploy notes"}), "2026-12-05T23:00:00Z")
	not t_window_closed(call)
}

test_window_tenant_has_its_own_zone if {
	# globex: Tue/Wed 10:00–15:00 America/New_York. 15:30 UTC Tuesday is 10:30 in New York.
	open := t_as(t_at(t_deploy({"owner": "globex-corp"}), "2026-12-01T15:30:00Z"), "globex")
	not t_window_closed(open)
	# 10:00 UTC Tuesday is 05:00 in New York (Berlin's window is open, globex's is not)
	early := t_as(t_at(t_deploy({"owner": "globex-corp"}), "2026-12-01T10:00:00Z"), "globex")
	t_window_closed(early)
	# Thursday is no day of globex's
	t_window_closed(t_as(t_at(t_deploy({"owner": "globex-corp"}), "2026-12-03T15:30:00Z"), "globex"))
}

test_window_without_a_clock_is_closed if {
	call := object.remove(t_deploy({}), ["now"])
	t_window_closed(call)
}

test_window_without_a_zone_is_closed if {
	# not silently UTC: 09:30 UTC on a Tuesday would be inside 09:00–16:00 UTC
	call := t_at(t_deploy({}), "2026-12-01T09:30:00Z")
	t_window_closed(call) with data.library.change_window.time_zone as null
}
