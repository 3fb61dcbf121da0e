//! Limits: kill switches, rate limits (GCRA, `governor`) and spend budgets (reserve before
//! forwarding, settle after) — PRODUCT.md §6.
//!
//! Order inside the stage: kill switches (config, then shared state), rate limits (local
//! buckets), spend (one atomic reservation across every budget the call touches). A tool is
//! *priced* when it has `cost_usd > 0` or `cost_from_response`; only priced tools touch
//! budgets, and only they fail closed when the state backend is unreachable.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use governor::state::keyed::DashMapStateStore;
use governor::RateLimiter;
use http_body_util::{BodyExt, Limited};
use serde_json::Value;

use crate::body::{full, ResBody};
use crate::config::limits::KeyedLimiter;
pub use crate::config::limits::{BudgetZone, LimiterClock, LimitsSpec, RateRule, SpendRule};
use crate::config::raw::{OnExceed, RateKey, SpendScope};
use crate::config::Tool;
use crate::pipeline::reject::{Reason, Reject};
use crate::stage::identify::Principal;
use crate::state::{
    micros, usd, BudgetCheck, Clock, ReserveOutcome, SharedState, StateError, StateStore,
};

/// Run budgets are kept a week after their last call; day budgets two days.
const RUN_TTL_SECS: u64 = 7 * 24 * 3600;
const DAY_TTL_SECS: u64 = 2 * 24 * 3600;

/// Limiter state that outlives config snapshots (a reload does not reset buckets).
pub struct Limiters {
    pub clock: Arc<dyn Clock>,
    pub state: SharedState,
    buckets: Mutex<HashMap<String, Arc<KeyedLimiter>>>,
    /// Rate checks so far; every `RETAIN_EVERY` idle keys are dropped from the buckets.
    checks: AtomicU64,
    /// Tells this `Limiters` apart in a rule's `BucketCell`.
    id: u64,
}

static LIMITERS_IDS: AtomicU64 = AtomicU64::new(1);

const RETAIN_EVERY: u64 = 65_536;

impl Limiters {
    pub fn new(clock: Arc<dyn Clock>, state: SharedState) -> Self {
        Limiters {
            clock,
            state,
            buckets: Mutex::new(HashMap::new()),
            checks: AtomicU64::new(0),
            id: LIMITERS_IDS.fetch_add(1, Ordering::Relaxed),
        }
    }

    fn bucket(&self, rule: &RateRule) -> Arc<KeyedLimiter> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % RETAIN_EVERY == RETAIN_EVERY - 1 {
            // Keys whose bucket is full again carry no state: forget them (bounded memory).
            let all: Vec<Arc<KeyedLimiter>> = match self.buckets.lock() {
                Ok(g) => g.values().cloned().collect(),
                Err(p) => p.into_inner().values().cloned().collect(),
            };
            for b in all {
                b.retain_recent();
                b.shrink_to_fit();
            }
        }
        if let Some(b) = rule.bucket.get(self.id) {
            return b;
        }
        let b = self.bucket_slow(rule);
        rule.bucket.set(self.id, b.clone());
        b
    }

    fn bucket_slow(&self, rule: &RateRule) -> Arc<KeyedLimiter> {
        let mut g = match self.buckets.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        g.entry(rule.fingerprint.clone())
            .or_insert_with(|| {
                Arc::new(RateLimiter::new(
                    rule.quota,
                    DashMapStateStore::default(),
                    LimiterClock(self.clock.clone()),
                ))
            })
            .clone()
    }
}

/// A reservation on one or more budgets: committed with the real cost after the call, or
/// released when the call did not happen. A reservation dropped unsettled (the client went
/// away or a panic while the call was upstream) keeps its estimate: the call may have happened.
pub struct SpendReservation {
    state: SharedState,
    budgets: Vec<BudgetCheck>,
    reserved: i64,
    /// Amount committed when the real cost is not known from the response.
    pub estimate: i64,
    settled: bool,
}

impl SpendReservation {
    /// Commit `actual` micro-dollars (0 releases the reservation).
    pub async fn settle(mut self, actual: i64) -> Result<(), StateError> {
        self.settled = true;
        self.state
            .settle(&self.budgets, self.reserved, actual)
            .await
    }
}

impl SpendReservation {
    /// The call did not happen: give the hold back.
    pub async fn release(self) {
        if let Err(e) = self.settle(0).await {
            tracing::warn!(error = %e, "releasing a spend reservation failed");
        }
    }

    /// The call may have run and its real cost is not known: commit the estimate.
    pub async fn commit_estimate(self) {
        let actual = self.estimate;
        self.commit(actual).await;
    }

    /// Commit the call's real cost, in micro-dollars.
    pub async fn commit(self, actual: i64) {
        if let Err(e) = self.settle(actual).await {
            tracing::warn!(error = %e, "committing spend failed; the reservation stays counted");
        }
    }
}

impl Drop for SpendReservation {
    fn drop(&mut self) {
        if self.settled || self.budgets.is_empty() {
            return;
        }
        let state = self.state.clone();
        let budgets = std::mem::take(&mut self.budgets);
        let (reserved, estimate) = (self.reserved, self.estimate);
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Err(e) = state.settle(&budgets, reserved, estimate).await {
                    tracing::warn!(error = %e, "committing an abandoned spend reservation failed");
                }
            });
        }
    }
}

/// Whether a tool name matches a glob (`*` any run of characters, `?` one character).
pub fn glob_match(glob: &str, name: &str) -> bool {
    fn go(g: &[u8], n: &[u8]) -> bool {
        match (g.first(), n.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&g[1..], n) || (!n.is_empty() && go(g, &n[1..])),
            (Some(b'?'), Some(_)) => go(&g[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&g[1..], &n[1..]),
            _ => false,
        }
    }
    go(glob.as_bytes(), name.as_bytes())
}

/// Whether calls to `tool` are priced (touch budgets).
pub fn priced(tool: &Tool) -> bool {
    tool.cost_usd > 0.0 || tool.cost_pointer.is_some()
}

/// The kill-switch fields that stop this call.
pub fn kill_fields(principal: &Principal, tool: &str) -> Vec<String> {
    fn field(prefix: &str, v: &str) -> String {
        let mut s = String::with_capacity(prefix.len() + v.len());
        s.push_str(prefix);
        s.push_str(v);
        s
    }
    let mut f = Vec::with_capacity(5);
    f.push("all".to_string());
    if let Some(t) = &principal.tenant {
        f.push(field("tenant:", t));
    }
    f.push(field("agent:", &principal.agent));
    f.push(field("tool:", tool));
    if let Some(w) = &principal.workflow {
        f.push(field("workflow:", w));
    }
    f
}

/// The budget day of `now` (in the configured zone), as used in budget keys.
pub fn day(now: DateTime<Utc>, zone: BudgetZone) -> String {
    date_key(zone_date(now, zone))
}

/// The budget day of `now` in the configured zone.
fn zone_date(now: DateTime<Utc>, zone: BudgetZone) -> chrono::NaiveDate {
    match zone {
        BudgetZone::Fixed(offset) => now.with_timezone(&offset).date_naive(),
        BudgetZone::Named(tz) => now.with_timezone(&tz).date_naive(),
    }
}

/// `YYYY-MM-DD`, as chrono's `%Y-%m-%d` writes it, without its formatter (~1,800 instructions
/// per call of `format` + `to_string`; callgrind, benches/instructions.sh).
fn date_key(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    let year = d.year();
    if !(0..=9999).contains(&year) {
        return d.format("%Y-%m-%d").to_string();
    }
    let mut out = String::with_capacity(10);
    let digits = |out: &mut String, n: u32, width: u32| {
        for p in (0..width).rev() {
            out.push(char::from(b'0' + ((n / 10u32.pow(p)) % 10) as u8));
        }
    };
    digits(&mut out, year.unsigned_abs(), 4);
    out.push('-');
    digits(&mut out, d.month(), 2);
    out.push('-');
    digits(&mut out, d.day(), 2);
    out
}

/// Seconds until the next budget day starts.
pub fn secs_to_next_day(now: DateTime<Utc>, zone: BudgetZone) -> u64 {
    fn next_midnight<Tz: chrono::TimeZone>(now: DateTime<Utc>, tz: &Tz) -> Option<DateTime<Utc>> {
        let local = now.with_timezone(tz);
        local
            .date_naive()
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            // `earliest`: a DST change at midnight makes local midnight ambiguous or absent
            .and_then(|t| t.and_local_timezone(tz.clone()).earliest())
            .map(|t| t.with_timezone(&Utc))
    }
    let next = match zone {
        BudgetZone::Fixed(offset) => next_midnight(now, &offset),
        BudgetZone::Named(tz) => next_midnight(now, &tz),
    };
    match next {
        Some(n) => (n - now).num_seconds().max(1) as u64,
        None => 3600,
    }
}

/// One key component: `%` and `:` percent-encoded so that components cannot run into each
/// other; an absent one (no tenant) is `%-`, which no encoded value can be.
fn key_part(out: &mut String, v: Option<&str>) {
    match v {
        None => out.push_str("%-"),
        Some(v) => {
            for c in v.chars() {
                match c {
                    '%' => out.push_str("%25"),
                    ':' => out.push_str("%3A"),
                    c => out.push(c),
                }
            }
        }
    }
}

/// A run's budget belongs to its tenant and agent: another tenant (or agent) naming the same
/// run id has a counter of its own.
pub fn run_key(tenant: Option<&str>, agent: &str, run_id: &str) -> String {
    let mut k = String::from("spend:run:");
    key_part(&mut k, tenant);
    k.push(':');
    key_part(&mut k, Some(agent));
    k.push(':');
    key_part(&mut k, Some(run_id));
    k
}
pub fn tenant_key(tenant: &str, day: &str) -> String {
    format!("spend:tenant:{tenant}:{day}")
}
/// An agent's day budget, per tenant: the same agent name under two tenants is two agents.
pub fn agent_key(tenant: Option<&str>, agent: &str, day: &str) -> String {
    let mut k = String::from("spend:agent:");
    key_part(&mut k, tenant);
    k.push(':');
    key_part(&mut k, Some(agent));
    k.push(':');
    k.push_str(day);
    k
}

/// The budgets of `spec` that apply to this principal, one per key (the strictest limit
/// wins when several rules name the same counter), with the action of the rule that set it.
pub fn budgets_for(
    spec: &LimitsSpec,
    principal: &Principal,
    now: DateTime<Utc>,
) -> (Vec<BudgetCheck>, Vec<(SpendScope, OnExceed)>) {
    let d = day(now, spec.day_offset);
    let mut budgets: Vec<BudgetCheck> = Vec::new();
    let mut actions = Vec::new();
    for rule in &spec.spend {
        if rule
            .tenant
            .as_ref()
            .is_some_and(|t| principal.tenant.as_ref() != Some(t))
            || rule.agent.as_ref().is_some_and(|a| &principal.agent != a)
        {
            continue;
        }
        let (key, ttl) = match rule.scope {
            SpendScope::Run => match &principal.run_id {
                Some(r) => (
                    run_key(principal.tenant.as_deref(), &principal.agent, r),
                    RUN_TTL_SECS,
                ),
                None => continue,
            },
            SpendScope::TenantDay => match &principal.tenant {
                Some(t) => (tenant_key(t, &d), DAY_TTL_SECS),
                None => continue,
            },
            SpendScope::AgentDay => (
                agent_key(principal.tenant.as_deref(), &principal.agent, &d),
                DAY_TTL_SECS,
            ),
        };
        if let Some(i) = budgets.iter().position(|b| b.key == key) {
            if rule.limit < budgets[i].limit {
                budgets[i].limit = rule.limit;
                actions[i] = (rule.scope, rule.on_exceed);
            }
            continue;
        }
        budgets.push(BudgetCheck {
            key,
            limit: rule.limit,
            ttl_secs: ttl,
        });
        actions.push((rule.scope, rule.on_exceed));
    }
    (budgets, actions)
}

/// `input.usage` for policy: spend as last seen by this sidecar (exact with SQLite; with Redis
/// as of this sidecar's last call — the reservation itself is what enforces budgets).
pub fn usage_doc(
    state: &dyn StateStore,
    spec: &LimitsSpec,
    principal: &Principal,
    now: DateTime<Utc>,
) -> Value {
    let date = zone_date(now, spec.day_offset);
    USAGE_KEYS.with(|cell| {
        let mut memo = cell.borrow_mut();
        let keys = match &*memo {
            Some(k) if k.date == date && k.is_for(principal) => k,
            _ => memo.insert(UsageKeys::new(principal, date)),
        };
        let get = |k: &str| Value::from(usd(state.usage_cached(k).unwrap_or(0)));
        // in key order: `Map`'s `FromIterator` then builds the map without searching
        let mut doc = Vec::with_capacity(3);
        doc.push(("agent_spent_today_usd".to_string(), get(&keys.agent_day)));
        if let Some(k) = &keys.run {
            doc.push(("run_spent_usd".to_string(), get(k)));
        }
        if let Some(k) = &keys.tenant_day {
            doc.push(("tenant_spent_today_usd".to_string(), get(k)));
        }
        Value::Object(doc.into_iter().collect())
    })
}

thread_local! {
    /// The budget keys of the last principal and day [`usage_doc`] was asked for on this thread:
    /// the static identity's principal is the same on every call, and the day changes once a
    /// day; formatting the three keys was ~2k instructions per call (callgrind).
    static USAGE_KEYS: std::cell::RefCell<Option<UsageKeys>> = const { std::cell::RefCell::new(None) };
}

/// The keys `input.usage` reads, for one principal (its tenant, agent and run) and day.
struct UsageKeys {
    tenant: Option<String>,
    agent: String,
    run_id: Option<String>,
    date: chrono::NaiveDate,
    run: Option<String>,
    tenant_day: Option<String>,
    agent_day: String,
}

impl UsageKeys {
    fn new(p: &Principal, date: chrono::NaiveDate) -> UsageKeys {
        let d = date_key(date);
        UsageKeys {
            tenant: p.tenant.clone(),
            agent: p.agent.clone(),
            run_id: p.run_id.clone(),
            date,
            run: p
                .run_id
                .as_ref()
                .map(|r| run_key(p.tenant.as_deref(), &p.agent, r)),
            tenant_day: p.tenant.as_ref().map(|t| tenant_key(t, &d)),
            agent_day: agent_key(p.tenant.as_deref(), &p.agent, &d),
        }
    }

    /// Made from this principal's tenant, agent and run (all the keys are made of).
    fn is_for(&self, p: &Principal) -> bool {
        self.agent == p.agent && self.tenant == p.tenant && self.run_id == p.run_id
    }
}

fn state_unavailable(e: StateError) -> Reject {
    Reject::new(
        Reason::StateUnavailable,
        format!("{e}; calls to limited tools are refused until it answers"),
    )
}

fn killed(field: &str) -> Reject {
    Reject::new(
        Reason::KillSwitch,
        format!("kill switch `{field}` is on: calls are stopped until an operator turns it off"),
    )
}

/// Enforce kill switches, rate limits and spend for one classified call. Returns the spend
/// reservation to settle after forwarding (None for unpriced tools).
pub async fn enforce(
    limiters: &Limiters,
    spec: &LimitsSpec,
    principal: &Principal,
    tool: &Tool,
    approved: bool,
) -> Result<Option<SpendReservation>, Reject> {
    let fields = kill_fields(principal, &tool.name);
    if let Some(f) = fields.iter().find(|f| spec.kill.contains(f)) {
        return Err(killed(f));
    }
    // the wall clock is read for a priced tool's budgets only (an unpriced call has none)
    let now = priced(tool).then(|| limiters.clock.now());
    let (mut budgets, actions) = match now {
        Some(now) => budgets_for(spec, principal, now),
        None => (Vec::new(), Vec::new()),
    };
    if approved {
        // An approved call goes past the budgets whose `on_exceed` asks for a human; its cost
        // still counts against them.
        for (b, (_, action)) in budgets.iter_mut().zip(&actions) {
            if *action == OnExceed::RequireApproval {
                b.limit = i64::MAX;
            }
        }
    }
    let state = &limiters.state;

    // Unlimited by spend: kill switches from state; last known switches if it is down.
    if budgets.is_empty() {
        let hit = match state.killed(&fields).await {
            Ok(hit) => hit,
            Err(e) => {
                tracing::debug!(error = %e, "state backend down; using the last known kill switches");
                state.killed_cached(&fields)
            }
        };
        if let Some(f) = hit {
            return Err(killed(&f));
        }
    }

    check_rate(limiters, spec, principal, &tool.name)?;

    if !priced(tool) {
        return Ok(None);
    }
    let amount = micros(tool.cost_usd);
    let reservation = |reserved: i64, budgets: Vec<BudgetCheck>| SpendReservation {
        state: state.clone(),
        budgets,
        reserved,
        estimate: amount,
        settled: false,
    };
    if budgets.is_empty() {
        return Ok(Some(reservation(0, budgets)));
    }
    match state
        .reserve(&fields, &budgets, amount)
        .await
        .map_err(state_unavailable)?
    {
        ReserveOutcome::Reserved { .. } => Ok(Some(reservation(amount, budgets))),
        ReserveOutcome::Killed(f) => Err(killed(&f)),
        ReserveOutcome::Exceeded { index, usage } => {
            let (scope, action) = actions
                .get(index)
                .copied()
                .unwrap_or((SpendScope::Run, OnExceed::Deny));
            let limit = budgets.get(index).map(|b| b.limit).unwrap_or(0);
            let used = usage.get(index).copied().unwrap_or(0);
            if action == OnExceed::Degrade && tool.read_only {
                // Degraded: read-only tools still go through; their cost is still counted.
                return Ok(Some(reservation(0, budgets)));
            }
            let what = format!(
                "{} budget exceeded: {:.6} of {:.6} USD used, this call reserves {:.6}",
                scope.as_str(),
                usd(used),
                usd(limit),
                usd(amount)
            );
            if action == OnExceed::RequireApproval {
                // the approval stage takes it from here (`stage::approval`)
                let mut r = Reject::new(
                    Reason::ApprovalRequired,
                    format!("{what}; a human's approval is required"),
                );
                r.policy_reasons = vec![Reason::BudgetExceeded.code().to_string()];
                return Err(r);
            }
            let message = match action {
                OnExceed::Deny | OnExceed::RequireApproval => what,
                OnExceed::Degrade => format!("{what}; degraded: only read-only tools are allowed"),
            };
            let mut r = Reject::new(Reason::BudgetExceeded, message);
            if scope != SpendScope::Run {
                // A day budget has room again when the next budget day starts.
                // (budgets are a priced tool's: `now` was read)
                r.retry_after = now.map(|now| {
                    u32::try_from(secs_to_next_day(now, spec.day_offset)).unwrap_or(u32::MAX)
                });
            }
            Err(r)
        }
    }
}

/// Commit the call's cost: the real one from the response when the tool names a JSON pointer
/// (the body is then read here, up to 16 MiB), else the adapter's `cost_usd`. Returns the
/// body and the micro-dollars committed (what the call's record and metrics carry).
pub async fn settle_after_response(
    reservation: SpendReservation,
    tool: &Tool,
    body: ResBody,
) -> Result<(ResBody, i64), Reject> {
    const MAX_PRICED_RESPONSE: usize = 16 * 1024 * 1024;
    let Some(pointer) = &tool.cost_pointer else {
        let actual = reservation.estimate;
        if let Err(e) = reservation.settle(actual).await {
            tracing::warn!(error = %e, "committing spend failed; the reservation stays counted");
        }
        return Ok((body, actual));
    };
    let bytes = match Limited::new(body, MAX_PRICED_RESPONSE).collect().await {
        Ok(c) => c.to_bytes(),
        Err(e) => {
            let actual = reservation.estimate;
            let _ = reservation.settle(actual).await;
            return Err(Reject::new(
                Reason::UpstreamUnavailable,
                format!("the upstream response could not be read: {e}"),
            ));
        }
    };
    let real = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.pointer(pointer).and_then(|c| c.as_f64()));
    let actual = match real {
        Some(usd) if micros(usd) > reservation.estimate => {
            tracing::warn!(
                tool = %tool.name,
                cost_usd = usd,
                estimate_usd = crate::state::usd(reservation.estimate),
                "the real cost exceeds the tool's cost_usd estimate: raise cost_usd to the most one call may cost, \
                 or concurrent calls can overshoot budgets by the difference each"
            );
            micros(usd)
        }
        Some(usd) => micros(usd),
        None => {
            tracing::warn!(tool = %tool.name, pointer = %pointer, "response carries no cost; committing the estimate");
            reservation.estimate
        }
    };
    if let Err(e) = reservation.settle(actual).await {
        tracing::warn!(error = %e, "committing spend failed; the reservation stays counted");
    }
    Ok((full(bytes), actual))
}

/// Settle after `forward` failed: released only when nothing of the request was sent (the
/// connection could not be made); a request written and then lost (the upstream dropped the
/// connection, reset it, answered garbage, timed out) may have run: its estimate stays.
pub async fn settle_after_forward_error(reservation: SpendReservation, rej: &Reject) {
    let actual = if rej.nothing_sent {
        0
    } else {
        reservation.estimate
    };
    if let Err(e) = reservation.settle(actual).await {
        tracing::warn!(error = %e, "settling spend after an upstream failure failed");
    }
}

/// Every rate rule that matches the call takes one token; the first empty bucket refuses.
fn check_rate(
    limiters: &Limiters,
    spec: &LimitsSpec,
    principal: &Principal,
    tool: &str,
) -> Result<(), Reject> {
    for rule in &spec.rate {
        if rule
            .tool_glob
            .as_ref()
            .is_some_and(|g| !glob_match(g, tool))
        {
            continue;
        }
        let mut key = String::new();
        for k in &rule.keys {
            let v = match k {
                RateKey::Tenant => principal.tenant.as_deref().unwrap_or(""),
                RateKey::Agent => principal.agent.as_str(),
                RateKey::Tool => tool,
                RateKey::Workflow => principal.workflow.as_deref().unwrap_or(""),
            };
            key.push_str(v);
            key.push('\u{1f}');
        }
        let bucket = limiters.bucket(rule);
        if let Err(not_until) = bucket.check_key(&key) {
            let wait = not_until.wait_time_from(limiters.clock.monotonic());
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let mut r = Reject::new(
                Reason::RateLimited,
                format!(
                    "rate limit for {} exceeded; retry in {:.3}s",
                    rule.keys
                        .iter()
                        .map(|k| format!("{k:?}").to_lowercase())
                        .collect::<Vec<_>>()
                        .join("+"),
                    wait.as_secs_f64()
                ),
            );
            r.retry_after = Some(u32::try_from(secs.max(1)).unwrap_or(u32::MAX));
            return Err(r);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
