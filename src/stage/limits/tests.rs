//! Unit tests of the limits stage.

use super::*;
use crate::config::limits::parse_offset;
use crate::config::raw::{RawKill, RawLimits, RawRateLimit, RawSpendLimit};
use chrono::Offset;
use serde_json::json;

#[test]
fn days_and_offsets() {
    let now = DateTime::parse_from_rfc3339("2026-11-21T23:30:00Z")
        .expect("date")
        .with_timezone(&Utc);
    let utc = BudgetZone::Fixed(Utc.fix());
    assert_eq!(day(now, utc), "2026-11-21");
    assert_eq!(secs_to_next_day(now, utc), 1800);
    let plus2 = BudgetZone::Fixed(parse_offset("+02:00").expect("offset"));
    assert_eq!(day(now, plus2), "2026-11-22");
    assert_eq!(secs_to_next_day(now, plus2), 22 * 3600 + 1800);
    assert_eq!(
        parse_offset("-05:30").map(|o| o.local_minus_utc()),
        Some(-19800)
    );
    assert_eq!(parse_offset("02:00"), None);
    assert_eq!(parse_offset("+25:00"), None);
}

#[test]
fn budget_keys_keep_tenants_agents_and_runs_apart() {
    let keys = [
        run_key(Some("a"), "x", "r1"),
        run_key(Some("b"), "x", "r1"),
        run_key(None, "x", "r1"),
        run_key(Some("a"), "y", "r1"),
        run_key(Some("a:x"), "r1", "z"),
        run_key(Some("a"), "x:r1", "z"),
        run_key(Some("%-"), "x", "r1"),
        agent_key(Some("a"), "x", "2026-11-21"),
        agent_key(Some("b"), "x", "2026-11-21"),
        agent_key(None, "x", "2026-11-21"),
    ];
    let distinct: std::collections::HashSet<_> = keys.iter().collect();
    assert_eq!(distinct.len(), keys.len(), "{keys:?}");
    assert_eq!(run_key(Some("a:b"), "c%", "r"), "spend:run:a%3Ab:c%25:r");
}

#[test]
fn globs() {
    for (g, n, want) in [
        ("stripe.*", "stripe.create_refund", true),
        ("stripe.*", "stripex.a", false),
        ("*", "anything", true),
        ("*.get_*", "payments.get_charge", true),
        ("a?c", "abc", true),
        ("a?c", "ac", false),
        ("exact", "exact", true),
    ] {
        assert_eq!(glob_match(g, n), want, "{g} vs {n}");
    }
}

fn principal() -> Principal {
    Principal {
        agent: "a1".into(),
        tenant: Some("acme".into()),
        run_id: Some("r1".into()),
        ..Default::default()
    }
}

#[test]
fn budgets_dedupe_and_filter() {
    let raw = RawLimits {
        rate: vec![],
        spend: vec![
            RawSpendLimit {
                scope: SpendScope::TenantDay,
                max_usd: 50.0,
                on_exceed: OnExceed::Deny,
                tenant: None,
                agent: None,
            },
            RawSpendLimit {
                scope: SpendScope::TenantDay,
                max_usd: 5.0,
                on_exceed: OnExceed::Degrade,
                tenant: Some("acme".into()),
                agent: None,
            },
            RawSpendLimit {
                scope: SpendScope::Run,
                max_usd: 1.0,
                on_exceed: OnExceed::Deny,
                tenant: Some("other".into()),
                agent: None,
            },
        ],
        day_utc_offset: None,
        time_zone: None,
    };
    let spec = LimitsSpec::compile(&raw, &RawKill::default()).expect("compiles");
    let now = DateTime::parse_from_rfc3339("2026-11-21T23:59:59Z")
        .expect("date")
        .with_timezone(&Utc);
    let (b, a) = budgets_for(&spec, &principal(), now);
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].key, "spend:tenant:acme:2026-11-21");
    assert_eq!(b[0].limit, 5_000_000);
    assert_eq!(a[0], (SpendScope::TenantDay, OnExceed::Degrade));
}

fn priced_tool() -> Tool {
    Tool {
        name: "t.buy".into(),
        label: "t.buy",
        method: http::Method::POST,
        path: "/buy".into(),
        args_from: crate::config::raw::ArgsFrom::Json,
        schema: None,
        schema_ref: None,
        coerce: HashMap::new(),
        cost_usd: 0.5,
        cost_pointer: None,
        response_schema: None,
        read_only: false,
        risk: Value::Null,
        mode: None,
        dry_run: false,
        idempotency: None,
        grpc: None,
        input_part: None,
    }
}

#[tokio::test]
async fn an_abandoned_reservation_commits_its_estimate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.db");
    let clock: Arc<dyn Clock> = Arc::new(crate::state::SystemClock::default());
    let raw = RawLimits {
        rate: vec![],
        spend: vec![RawSpendLimit {
            scope: SpendScope::AgentDay,
            max_usd: 10.0,
            on_exceed: OnExceed::Deny,
            tenant: None,
            agent: None,
        }],
        day_utc_offset: None,
        time_zone: None,
    };
    let spec = LimitsSpec::compile(&raw, &RawKill::default()).expect("spec");
    let key = agent_key(Some("acme"), "a1", &day(clock.now(), spec.day_offset));
    {
        let store: SharedState =
            Arc::new(crate::state::sqlite::SqliteStore::open(&path, clock.clone()).expect("open"));
        let limiters = Limiters::new(clock.clone(), store.clone());
        let r = enforce(&limiters, &spec, &principal(), &priced_tool(), false)
            .await
            .expect("allowed")
            .expect("reservation");
        drop(r); // as when the client goes away while the call is upstream
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        assert_eq!(
            store
                .usage(std::slice::from_ref(&key))
                .await
                .expect("usage"),
            vec![500_000]
        );
    }
    // committed, not merely reserved: it survives a restart
    let store = crate::state::sqlite::SqliteStore::open(&path, clock).expect("reopen");
    assert_eq!(store.usage(&[key]).await.expect("usage"), vec![500_000]);
}

#[test]
fn rate_rules_must_name_one_rate() {
    let raw = RawLimits {
        rate: vec![RawRateLimit {
            key: None,
            tool: None,
            per_second: Some(1.0),
            per_minute: Some(1.0),
            per_hour: None,
            burst: None,
        }],
        spend: vec![],
        day_utc_offset: None,
        time_zone: None,
    };
    let e = LimitsSpec::compile(&raw, &RawKill::default()).expect_err("two rates");
    assert!(e[0].to_string().contains("exactly one"), "{e:?}");
}

#[test]
fn budget_days_follow_a_named_time_zone() {
    let berlin = BudgetZone::Named(chrono_tz::Europe::Berlin);
    let at = |s: &str| s.parse::<DateTime<Utc>>().expect("time");
    // CET (UTC+1) in November: 22:30Z is 23:30 local, 23:30Z is already the next day
    assert_eq!(day(at("2026-11-21T22:30:00Z"), berlin), "2026-11-21");
    assert_eq!(day(at("2026-11-21T23:30:00Z"), berlin), "2026-11-22");
    assert_eq!(secs_to_next_day(at("2026-11-21T22:30:00Z"), berlin), 1800);
    // CEST (UTC+2) in July
    assert_eq!(day(at("2026-07-01T22:30:00Z"), berlin), "2026-07-02");
    let spec = LimitsSpec::compile(
        &RawLimits {
            time_zone: Some("Europe/Berlin".into()),
            ..Default::default()
        },
        &RawKill::default(),
    )
    .expect("compiles");
    assert_eq!(spec.day_offset, berlin);
    assert!(LimitsSpec::compile(
        &RawLimits {
            time_zone: Some("Mars/Olympus".into()),
            ..Default::default()
        },
        &RawKill::default(),
    )
    .is_err());
}

/// The budget day's key is what chrono's `%Y-%m-%d` writes, for every day of years near and far.
#[test]
fn date_keys_match_chrono() {
    for year in [0, 1, 99, 999, 1970, 2024, 2026, 9999, 10_000, -1] {
        let mut d = chrono::NaiveDate::from_ymd_opt(year, 1, 1).expect("date");
        while chrono::Datelike::year(&d) == year {
            assert_eq!(date_key(d), d.format("%Y-%m-%d").to_string(), "{d}");
            match d.succ_opt() {
                Some(n) => d = n,
                None => break,
            }
        }
    }
}

/// `usage_doc` as it was before its keys were remembered per thread: the reference.
fn usage_doc_reference(
    state: &dyn StateStore,
    spec: &LimitsSpec,
    principal: &Principal,
    now: DateTime<Utc>,
) -> Value {
    let d = day(now, spec.day_offset);
    let get = |k: String| usd(state.usage_cached(&k).unwrap_or(0));
    let mut doc = serde_json::Map::new();
    if let Some(r) = &principal.run_id {
        doc.insert(
            "run_spent_usd".into(),
            json!(get(run_key(
                principal.tenant.as_deref(),
                &principal.agent,
                r
            ))),
        );
    }
    if let Some(t) = &principal.tenant {
        doc.insert(
            "tenant_spent_today_usd".into(),
            json!(get(tenant_key(t, &d))),
        );
    }
    doc.insert(
        "agent_spent_today_usd".into(),
        json!(get(agent_key(
            principal.tenant.as_deref(),
            &principal.agent,
            &d
        ))),
    );
    Value::Object(doc)
}

#[tokio::test]
async fn usage_keys_remembered_follow_the_principal_and_the_day() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock: Arc<dyn Clock> = Arc::new(crate::state::SystemClock::default());
    let rule = |scope| RawSpendLimit {
        scope,
        max_usd: 10.0,
        on_exceed: OnExceed::Deny,
        tenant: None,
        agent: None,
    };
    let raw = |offset: Option<&str>| RawLimits {
        rate: vec![],
        spend: vec![
            rule(SpendScope::Run),
            rule(SpendScope::TenantDay),
            rule(SpendScope::AgentDay),
        ],
        day_utc_offset: offset.map(str::to_string),
        time_zone: None,
    };
    let spec = LimitsSpec::compile(&raw(None), &RawKill::default()).expect("spec");
    let store: SharedState = Arc::new(
        crate::state::sqlite::SqliteStore::open(&dir.path().join("s.db"), clock.clone())
            .expect("open"),
    );
    let limiters = Limiters::new(clock.clone(), store.clone());
    // spend on the run, the tenant's day and the agent's day of `principal()`
    let r = enforce(&limiters, &spec, &principal(), &priced_tool(), false)
        .await
        .expect("allowed")
        .expect("reservation");
    drop(r);
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    let people = [
        principal(),
        Principal {
            run_id: Some("r2".into()),
            ..principal()
        },
        Principal {
            agent: "a2".into(),
            run_id: None,
            ..principal()
        },
        Principal {
            tenant: None,
            ..principal()
        },
        Principal {
            tenant: Some("other".into()),
            ..principal()
        },
    ];
    let now = clock.now();
    let tomorrow = now + chrono::Duration::days(1);
    let shifted = LimitsSpec::compile(&raw(Some("+13:00")), &RawKill::default()).expect("spec");
    let mut spent = 0;
    // each principal twice in a row (the memo warm), then the next; today, tomorrow, and in
    // another zone (a different day for part of every day)
    for spec in [&spec, &shifted] {
        for at in [now, tomorrow, now] {
            for p in people.iter().chain(people.iter().rev()) {
                for _ in 0..2 {
                    let want = usage_doc_reference(store.as_ref(), spec, p, at);
                    assert_eq!(usage_doc(store.as_ref(), spec, p, at), want, "{p:?} {at}");
                    spent += want
                        .as_object()
                        .expect("object")
                        .values()
                        .filter(|v| v.as_f64().is_some_and(|x| x > 0.0))
                        .count();
                }
            }
        }
    }
    assert!(spent > 0, "some keys hold spend: a wrong key would show");
}
