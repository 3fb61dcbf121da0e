//! Prometheus metrics (prometheus-client): typed label sets, bounded label values.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CallLabels {
    pub tool: &'static str,
    pub decision: &'static str,
    pub mode: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    pub reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    pub result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ToolLabels {
    pub tool: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TenantLabels {
    pub tenant: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BuildLabels {
    pub version: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EntityLabels {
    pub entity: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VersionLabels {
    pub version: String,
}

/// Every metric toolwall exports.
pub struct Metrics {
    registry: Registry,
    pub tool_calls: Family<CallLabels, Counter>,
    pub refusals: Family<ReasonLabels, Counter>,
    pub request_duration: Histogram,
    pub policy_eval_duration: Histogram,
    pub policy_info: Family<VersionLabels, Gauge>,
    pub config_reload_success: Gauge,
    pub audit_records: Counter,
    pub audit_write_errors: Counter,
    /// Audit records accepted by the sink and not yet written (the writer's backlog).
    pub audit_queue_depth: Gauge,
    /// Write-ahead records refused because the audit queue stayed full for the wait bound
    /// (each such call was refused `audit_unavailable` and recorded as refused).
    pub audit_queue_full: Counter,
    pub redactions: Family<EntityLabels, Counter>,
    /// 1 while the state backend answers, 0 while limited tools fail closed.
    pub state_backend_up: Gauge,
    /// Approval requests pending and not expired (read from the state backend).
    pub approvals_pending: Gauge,
    /// Approval events by outcome: requested, approved, denied, expired, used.
    pub approvals: Family<OutcomeLabels, Counter>,
    /// Webhook delivery attempts and events by result: delivered, retried (one per failed
    /// attempt that is tried again), failed (gave up), dropped (queue full).
    pub webhook_deliveries: Family<ResultLabels, Counter>,
    /// Worker threads of the async runtime serving the listeners (`toolwall run --workers`).
    pub runtime_workers: Gauge,
    /// Time the upstream took to answer a forwarded call (to its response head).
    pub upstream_duration: Histogram,
    /// Calls refused because their arguments failed the tool's JSON Schema, by tool.
    pub schema_violations: Family<ToolLabels, Counter>,
    /// Audit records written since the last signed checkpoint (not yet sealed).
    pub audit_unsealed_records: Gauge,
    /// Unix time of the audit stream's last checkpoint (0: no audit stream); exported as
    /// `toolwall_audit_seconds_since_checkpoint` at each scrape.
    pub audit_last_checkpoint: Arc<AtomicU64>,
    /// The build (value 1, label `version`).
    pub build_info: Family<BuildLabels, Gauge>,
    /// What forwarded calls cost, in US dollars, by tenant (a bounded label: [`tenant_label`]).
    pub spend: Family<TenantLabels, Counter<f64, AtomicU64>>,
    /// This registry among the process's, for the counters a thread keeps ([`Metrics::count_call`]).
    id: u64,
}

/// The next [`Metrics`]' `id` (never reused: a thread's kept counters are known for another
/// registry's by it).
static NEXT_METRICS_ID: AtomicU64 = AtomicU64::new(1);

/// The most `tool_calls` counters a thread keeps ([`Metrics::count_call`]).
const CALL_COUNTERS_MAX: usize = 32;

thread_local! {
    /// `tool_calls`' counters this thread counted last, with the `id` of their registry.
    static CALL_COUNTERS: std::cell::RefCell<(u64, Vec<(CallLabels, Counter)>)> =
        const { std::cell::RefCell::new((0, Vec::new())) };
}

/// The same three `&'static str` (address and length): the same labels. (Labels equal by
/// their text but spelled at other addresses are looked up in the family and kept once more.)
fn same_labels(a: &CallLabels, b: &CallLabels) -> bool {
    std::ptr::eq(a.tool, b.tool)
        && std::ptr::eq(a.decision, b.decision)
        && std::ptr::eq(a.mode, b.mode)
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("toolwall");
        let tool_calls = Family::<CallLabels, Counter>::default();
        registry.register(
            "tool_calls",
            "Tool calls by tool, decision (allow, deny, error, shadow_refused, dry_run) and mode",
            tool_calls.clone(),
        );
        let refusals = Family::<ReasonLabels, Counter>::default();
        registry.register("refusals", "Refused calls by reason", refusals.clone());
        let request_duration = Histogram::new(exponential_buckets(0.0001, 2.0, 18));
        registry.register(
            "request_duration_seconds",
            "Time from request to response head, including the upstream",
            request_duration.clone(),
        );
        let policy_eval_duration = Histogram::new(exponential_buckets(0.000_001, 2.0, 16));
        registry.register(
            "policy_eval_duration_seconds",
            "Time to evaluate data.toolwall.decision",
            policy_eval_duration.clone(),
        );
        let policy_info = Family::<VersionLabels, Gauge>::default();
        registry.register(
            "policy_info",
            "The policy version in force (value 1)",
            policy_info.clone(),
        );
        let config_reload_success = Gauge::default();
        registry.register(
            "config_reload_success",
            "1 if the last config reload succeeded, 0 if it failed",
            config_reload_success.clone(),
        );
        config_reload_success.set(1);
        let audit_records = Counter::default();
        registry.register(
            "audit_records",
            "Records appended to the audit stream",
            audit_records.clone(),
        );
        let audit_write_errors = Counter::default();
        registry.register(
            "audit_write_errors",
            "Audit records that could not be written (calls are refused while this happens)",
            audit_write_errors.clone(),
        );
        let audit_queue_depth = Gauge::default();
        registry.register(
            "audit_queue_depth",
            "Audit records queued for the writer and not yet written",
            audit_queue_depth.clone(),
        );
        let audit_queue_full = Counter::default();
        registry.register(
            "audit_queue_full",
            "Calls refused audit_unavailable because the audit queue stayed full (the writer is behind)",
            audit_queue_full.clone(),
        );
        let redactions = Family::<EntityLabels, Counter>::default();
        registry.register(
            "redactions",
            "PII and secrets redacted (arguments and responses) by entity",
            redactions.clone(),
        );
        let state_backend_up = Gauge::default();
        registry.register(
            "state_backend_up",
            "1 if the state backend (sqlite or redis) answered its last operation, else 0",
            state_backend_up.clone(),
        );
        state_backend_up.set(1);
        let approvals_pending = Gauge::default();
        registry.register(
            "approvals_pending",
            "Approval requests waiting for a human (pending, not expired)",
            approvals_pending.clone(),
        );
        let approvals = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "approvals",
            "Approval requests by outcome: requested, approved, denied, expired, used",
            approvals.clone(),
        );
        let webhook_deliveries = Family::<ResultLabels, Counter>::default();
        registry.register(
            "webhook_deliveries",
            "Approval webhook deliveries by result: delivered, retried, failed (gave up), dropped (queue full)",
            webhook_deliveries.clone(),
        );
        let runtime_workers = Gauge::default();
        registry.register(
            "runtime_workers",
            "Worker threads of the async runtime (toolwall run --workers, TOOLWALL_WORKERS)",
            runtime_workers.clone(),
        );
        let upstream_duration = Histogram::new(exponential_buckets(0.0001, 2.0, 18));
        registry.register(
            "upstream_duration_seconds",
            "Time the upstream took to answer a forwarded call (to its response head)",
            upstream_duration.clone(),
        );
        let schema_violations = Family::<ToolLabels, Counter>::default();
        registry.register(
            "schema_violations",
            "Calls refused schema_invalid (arguments failed the tool's JSON Schema), by tool",
            schema_violations.clone(),
        );
        let audit_unsealed_records = Gauge::default();
        registry.register(
            "audit_unsealed_records",
            "Audit records written since the last signed checkpoint",
            audit_unsealed_records.clone(),
        );
        let audit_last_checkpoint = Arc::new(AtomicU64::new(0));
        registry.register_collector(Box::new(SinceCheckpoint(audit_last_checkpoint.clone())));
        let build_info = Family::<BuildLabels, Gauge>::default();
        registry.register(
            "build_info",
            "The toolwall build (value 1)",
            build_info.clone(),
        );
        build_info
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        registry.register_collector(Box::new(LogLinesDropped));
        let spend = Family::<TenantLabels, Counter<f64, AtomicU64>>::default();
        registry.register(
            "spend_usd",
            "What forwarded calls cost (the tools' cost_usd or the cost read from the answer), \
             by tenant",
            spend.clone(),
        );
        Metrics {
            id: NEXT_METRICS_ID.fetch_add(1, Ordering::Relaxed),
            spend,
            build_info,
            upstream_duration,
            schema_violations,
            audit_unsealed_records,
            audit_last_checkpoint,
            runtime_workers,
            webhook_deliveries,
            approvals_pending,
            approvals,
            redactions,
            registry,
            tool_calls,
            refusals,
            request_duration,
            policy_eval_duration,
            policy_info,
            config_reload_success,
            audit_records,
            audit_write_errors,
            audit_queue_depth,
            audit_queue_full,
            state_backend_up,
        }
    }

    /// `tool_calls{tool, decision, mode}` counted once: the call's counter is the family's
    /// (`get_or_create_owned` shares it), kept per thread by its labels' addresses, so a
    /// thread counting calls of the same labels finds it without hashing them. (The family's
    /// look-up hashes the three strings with SipHash, ~0.6k instructions a call:
    /// docs/performance.md, "Twenty-third round".) The family is never cleared, so a kept
    /// counter stays the one it exports.
    pub fn count_call(&self, labels: CallLabels) {
        let counted = CALL_COUNTERS
            .try_with(|cell| {
                let mut kept = cell.try_borrow_mut().ok()?;
                if kept.0 != self.id {
                    kept.1.clear();
                    kept.0 = self.id;
                }
                if let Some((_, counter)) = kept.1.iter().find(|(l, _)| same_labels(l, &labels)) {
                    counter.inc();
                    return Some(());
                }
                let counter = self.tool_calls.get_or_create_owned(&labels);
                counter.inc();
                if kept.1.len() >= CALL_COUNTERS_MAX {
                    kept.1.clear();
                }
                kept.1.push((labels.clone(), counter));
                Some(())
            })
            .ok()
            .flatten();
        if counted.is_none() {
            self.tool_calls.get_or_create(&labels).inc();
        }
    }

    /// Prometheus text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }

    /// Mark `version` as the policy in force.
    pub fn set_policy_version(&self, version: &str) {
        self.policy_info.clear();
        self.policy_info
            .get_or_create(&VersionLabels {
                version: version.to_string(),
            })
            .set(1);
    }
}

/// The non-blocking log writer's count of lines it dropped because its queue was full (set once
/// by [`crate::init_tracing`]; absent when logging writes to stderr directly).
static LOG_DROPS: OnceLock<tracing_appender::non_blocking::ErrorCounter> = OnceLock::new();

/// Export `counter` (the process's log writer) as `toolwall_log_lines_dropped_total`.
pub fn set_log_drop_counter(counter: tracing_appender::non_blocking::ErrorCounter) {
    let _ = LOG_DROPS.set(counter);
}

/// Log lines dropped so far by the non-blocking log writer (0 without one).
pub fn log_lines_dropped() -> u64 {
    LOG_DROPS
        .get()
        .map_or(0, |c| c.dropped_lines().try_into().unwrap_or(u64::MAX))
}

/// `toolwall_log_lines_dropped_total`, read from the log writer at each scrape.
#[derive(Debug)]
struct LogLinesDropped;

impl Collector for LogLinesDropped {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let counter = ConstCounter::new(log_lines_dropped());
        let metric = encoder.encode_descriptor(
            "log_lines_dropped",
            "Log lines dropped because the log writer's queue was full (stderr slower than the calls)",
            None,
            counter.metric_type(),
        )?;
        counter.encode(metric)
    }
}

/// `toolwall_audit_seconds_since_checkpoint`, computed at each scrape from the last checkpoint's
/// time, so it keeps growing when the writer stops (a gauge the writer sets would freeze).
/// Absent without an audit stream.
#[derive(Debug)]
struct SinceCheckpoint(Arc<AtomicU64>);

impl Collector for SinceCheckpoint {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let last = self.0.load(Ordering::Relaxed);
        if last == 0 {
            return Ok(());
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let gauge = ConstGauge::new(i64::try_from(now.saturating_sub(last)).unwrap_or(i64::MAX));
        let metric = encoder.encode_descriptor(
            "audit_seconds_since_checkpoint",
            "Seconds since the audit stream's last signed checkpoint (the stream opened counts as one)",
            None,
            gauge.metric_type(),
        )?;
        gauge.encode(metric)
    }
}

impl Metrics {
    /// The audit stream checkpointed (or opened) now.
    pub fn audit_checkpointed_now(&self) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_secs().max(1));
        self.audit_last_checkpoint.store(now, Ordering::Relaxed);
    }
}

/// The `tool` label of calls whose tool has no label of its own: a name outside the bounded
/// label set (an unlisted MCP tool, a name too long, past the cap).
pub const OTHER_TOOL: &str = "other";
/// The `tool` label of calls that never got as far as naming a tool.
pub const NO_TOOL: &str = "unknown";
/// At most this many distinct tool labels for names a server or agent chooses.
pub const MAX_TOOL_LABELS: usize = 1024;
/// Names longer than this are labelled [`OTHER_TOOL`].
pub const MAX_TOOL_LABEL_BYTES: usize = 128;

/// The metric label for a tool name a server chooses (MCP `tools/list`, method names): the
/// name itself while the label set has room, else [`OTHER_TOOL`]. The set is bounded in
/// count and in bytes ([`MAX_TOOL_LABELS`] × [`MAX_TOOL_LABEL_BYTES`], 128 KiB at most) for
/// the life of the process, whatever servers and agents send. Only the metric label is
/// bounded: the audit record always carries the tool's own name (`CallRecord::tool`).
pub fn tool_label(name: &str) -> &'static str {
    if name.len() > MAX_TOOL_LABEL_BYTES {
        return OTHER_TOOL;
    }
    let mut guard = lock(tool_labels());
    if let Some(v) = guard.get(name) {
        return v;
    }
    if guard.len() >= MAX_TOOL_LABELS {
        return OTHER_TOOL;
    }
    let v: &'static str = Box::leak(name.to_string().into_boxed_str());
    guard.insert(v);
    v
}

/// How many labels [`tool_label`] holds (never more than [`MAX_TOOL_LABELS`]).
pub fn tool_label_count() -> usize {
    lock(tool_labels()).len()
}

/// Whether `name` has a label of its own (it was given one by [`tool_label`]).
pub fn is_tool_label(name: &str) -> bool {
    lock(tool_labels()).contains(name)
}

/// The `tenant` label of calls whose principal has no tenant.
pub const NO_TENANT: &str = "none";
/// At most this many distinct tenant labels; further tenants are labelled [`OTHER_TOOL`].
pub const MAX_TENANT_LABELS: usize = 64;

/// The metric label for a tenant: the tenant itself for the first [`MAX_TENANT_LABELS`]
/// tenants seen (at most [`MAX_TOOL_LABEL_BYTES`] long), else `other` — bounded for the life
/// of the process whatever identities arrive. The audit record always carries the tenant.
pub fn tenant_label(tenant: Option<&str>) -> &'static str {
    static SEEN: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let Some(name) = tenant else {
        return NO_TENANT;
    };
    if name.len() > MAX_TOOL_LABEL_BYTES {
        return OTHER_TOOL;
    }
    let mut guard = lock(SEEN.get_or_init(|| Mutex::new(HashSet::new())));
    if let Some(v) = guard.get(name) {
        return v;
    }
    if guard.len() >= MAX_TENANT_LABELS {
        return OTHER_TOOL;
    }
    let v: &'static str = Box::leak(name.to_string().into_boxed_str());
    guard.insert(v);
    v
}

fn tool_labels() -> &'static Mutex<HashSet<&'static str>> {
    static SEEN: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    SEEN.get_or_init(|| Mutex::new(HashSet::new()))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// A `'static` copy of a label value from config (tool names declared in `toolwall.yaml`):
/// each distinct value is kept once for the life of the process, so the set is bounded by
/// what operators declare. Names a server or agent chooses go through [`tool_label`].
pub fn intern(s: &str) -> &'static str {
    static SET: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut guard = lock(SET.get_or_init(|| Mutex::new(HashSet::new())));
    if let Some(v) = guard.get(s) {
        return v;
    }
    let leaked: &'static str = Box::leak(s.to_string().into_boxed_str());
    guard.insert(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_labels_are_bounded() {
        assert_eq!(tenant_label(None), NO_TENANT);
        assert_eq!(tenant_label(Some(&"t".repeat(200))), OTHER_TOOL);
        for i in 0..(MAX_TENANT_LABELS + 10) {
            let name = format!("metrics_test_tenant{i}");
            let label = tenant_label(Some(&name));
            assert!(label == name || label == OTHER_TOOL, "{label}");
        }
        assert_eq!(tenant_label(Some("metrics_test_tenant_late")), OTHER_TOOL);
    }

    #[test]
    fn tool_labels_are_bounded() {
        assert_eq!(
            tool_label(&"x".repeat(MAX_TOOL_LABEL_BYTES + 1)),
            OTHER_TOOL
        );
        let known = tool_label("metrics_test.known");
        assert_eq!(known, "metrics_test.known");
        for i in 0..(MAX_TOOL_LABELS + 100) {
            let name = format!("metrics_test.t{i}");
            let label = tool_label(&name);
            assert!(label == name || label == OTHER_TOOL, "{label}");
            assert!(tool_label_count() <= MAX_TOOL_LABELS);
        }
        assert_eq!(tool_label_count(), MAX_TOOL_LABELS);
        // a name already labelled keeps its label once the set is full
        assert_eq!(tool_label("metrics_test.known"), "metrics_test.known");
        assert_eq!(tool_label("metrics_test.new-after-cap"), OTHER_TOOL);
    }

    /// Calls counted through the counters a thread keeps are the family's own counts: labels
    /// repeated, alternating, spelled at other addresses with the same text, more distinct ones
    /// than a thread keeps, and two registries counted in turn on one thread — each registry's
    /// exposition the same as one counted by `get_or_create(..).inc()`.
    #[test]
    fn kept_call_counters_count_what_the_family_counts() {
        let leak = |s: &str| -> &'static str { Box::leak(s.to_string().into_boxed_str()) };
        let tools: Vec<&'static str> = (0..40)
            .map(|i| leak(&format!("metrics_test.kept{}", i % 20)))
            .collect();
        let decisions = ["allow", "deny", "error", "shadow_refused", "dry_run"];
        let modes = ["enforce", "shadow"];
        let (a, b) = (Metrics::new(), Metrics::new());
        let (ref_a, ref_b) = (Metrics::new(), Metrics::new());
        let mut rng = 0x9E37_79B9_7F4A_7C15u64;
        for i in 0..3_000usize {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let labels = CallLabels {
                // a few labels most of the time, every one of them now and then
                tool: tools[(rng % if i % 7 == 0 { 40 } else { 3 }) as usize],
                decision: if rng & 0x100 == 0 {
                    decisions[((rng >> 9) % 5) as usize]
                } else {
                    // the same text at another address
                    leak(decisions[((rng >> 9) % 5) as usize])
                },
                mode: modes[((rng >> 12) % 2) as usize],
            };
            let (m, r) = if rng & 0x8000 == 0 {
                (&a, &ref_a)
            } else {
                (&b, &ref_b)
            };
            m.count_call(labels.clone());
            r.tool_calls.get_or_create(&labels).inc();
        }
        let calls = |m: &Metrics| {
            let mut lines: Vec<String> = m
                .encode()
                .lines()
                .filter(|l| l.starts_with("toolwall_tool_calls_total"))
                .map(str::to_string)
                .collect();
            lines.sort();
            lines
        };
        assert_eq!(calls(&a), calls(&ref_a));
        assert_eq!(calls(&b), calls(&ref_b));
        assert!(calls(&a).len() > 60, "{}", calls(&a).len());
    }
}
