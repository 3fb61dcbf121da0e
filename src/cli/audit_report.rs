//! `toolwall audit report`: calls, refusals, approvals and cost per tenant, agent or tool, from
//! a stream that verifies.
//!
//! Cost rule (docs/audit.md, "Report"): a call costs the `cost_usd` of its `outcome` record —
//! the price the limits stage commits for a forwarded call. A call refused before forwarding
//! has no outcome and costs nothing; a `dry_run` call was never forwarded and costs nothing.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Map, Value};

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};

/// How `audit report` groups its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GroupBy {
    Tenant,
    Agent,
    Tool,
}

/// Refusal reasons listed per row.
const TOP_REASONS: usize = 3;

/// What a call cost, by the rule above: its outcome's `cost_usd`, unless the outcome is a dry
/// run. `outcome` is `Value::Null` for a call that has none (refused before forwarding).
pub fn spent_usd(outcome: &Value) -> f64 {
    if outcome["dry_run"] == true {
        return 0.0;
    }
    outcome["cost_usd"]
        .as_f64()
        .filter(|c| c.is_finite() && *c > 0.0)
        .unwrap_or(0.0)
}

/// Cost in micro-dollars, so sums are exact (the limits stage counts in micro-dollars too).
fn micros(usd: f64) -> i64 {
    crate::state::micros(usd)
}

#[derive(Debug, Default)]
struct Row {
    calls: u64,
    allowed: u64,
    refused: u64,
    reasons: BTreeMap<String, u64>,
    requested: u64,
    approved: u64,
    denied: u64,
    cost_micros: i64,
}

impl Row {
    fn add(&mut self, other: &Row) {
        self.calls += other.calls;
        self.allowed += other.allowed;
        self.refused += other.refused;
        for (r, n) in &other.reasons {
            *self.reasons.entry(r.clone()).or_default() += n;
        }
        self.requested += other.requested;
        self.approved += other.approved;
        self.denied += other.denied;
        self.cost_micros += other.cost_micros;
    }

    /// The most frequent refusal reasons, most frequent first (ties by name).
    fn top_reasons(&self) -> Vec<(&str, u64)> {
        let mut v: Vec<(&str, u64)> = self.reasons.iter().map(|(r, n)| (r.as_str(), *n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v.truncate(TOP_REASONS);
        v
    }

    fn to_json(&self, key: &str, name: &str) -> Value {
        let reasons: Vec<Value> = self
            .top_reasons()
            .into_iter()
            .map(|(r, n)| json!({"reason": r, "count": n}))
            .collect();
        json!({
            key: name,
            "calls": self.calls,
            "allowed": self.allowed,
            "refused": self.refused,
            "top_refusal_reasons": reasons,
            "approvals": {
                "requested": self.requested,
                "approved": self.approved,
                "denied": self.denied,
            },
            "cost_usd": crate::state::usd(self.cost_micros),
        })
    }
}

/// `toolwall audit report`.
pub fn report(
    path: &Path,
    by: GroupBy,
    since: Option<&str>,
    keys: Option<&Path>,
    json: bool,
) -> i32 {
    if let Some(s) = since {
        if chrono::DateTime::parse_from_rfc3339(s).is_err() {
            eprintln!("--since: {s:?} is not an RFC 3339 time");
            return EXIT_USAGE;
        }
    }
    let trusted = match super::audit::stream_to_read(path, keys) {
        Ok(t) => t,
        Err(code) => return code,
    };
    // The records are read once, by the verifier: only a stream that verifies is reported.
    let mut decisions: Vec<Map<String, Value>> = Vec::new();
    let mut outcomes: BTreeMap<String, Value> = BTreeMap::new();
    let mut events: Vec<Map<String, Value>> = Vec::new();
    let verified = crate::audit::verify_path_with(path, &trusted, &mut |_, r| match r
        .get("kind")
        .and_then(Value::as_str)
    {
        Some("decision") => decisions.push(r.clone()),
        Some("outcome") => {
            if let Some(id) = r.get("decision_id").and_then(Value::as_str) {
                outcomes.insert(id.to_string(), Value::Object(r.clone()));
            }
        }
        Some("event") => events.push(r.clone()),
        _ => {}
    });
    if verified.io_error.is_some() || !verified.valid {
        eprint!("{verified}");
        eprintln!("audit report: the audit stream does not verify; not reporting");
        return if verified.io_error.is_some() {
            EXIT_USAGE
        } else {
            EXIT_FAILED
        };
    }
    let after = |r: &Map<String, Value>| match since {
        None => true,
        Some(s) => r
            .get("ts")
            .and_then(Value::as_str)
            .and_then(|ts| chrono::DateTime::parse_from_rfc3339(ts).ok())
            .zip(chrono::DateTime::parse_from_rfc3339(s).ok())
            .is_some_and(|(ts, s)| ts >= s),
    };
    let (key, field, event_field) = match by {
        GroupBy::Tenant => ("tenant", "tenant_id", "tenant_id"),
        GroupBy::Agent => ("agent", "agent", "agent"),
        GroupBy::Tool => ("tool", "tool", ""),
    };
    let name = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("-").to_string();
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    for d in decisions.iter().filter(|d| after(d)) {
        let row = rows.entry(name(d.get(field))).or_default();
        row.calls += 1;
        if d.get("decision").and_then(Value::as_str) == Some("allow") {
            row.allowed += 1;
        } else {
            row.refused += 1;
            // the policy's reasons when it gave some, else the refusal's code
            let reasons: Vec<String> = d
                .get("reasons")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|r| r.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            if reasons.is_empty() {
                *row.reasons.entry(name(d.get("reason"))).or_default() += 1;
            }
            for r in reasons {
                *row.reasons.entry(r).or_default() += 1;
            }
        }
        let id = d.get("decision_id").and_then(Value::as_str).unwrap_or("");
        let outcome = outcomes.get(id).unwrap_or(&Value::Null);
        row.cost_micros += micros(spent_usd(outcome));
    }
    for e in events.iter().filter(|e| after(e)) {
        let counter: fn(&mut Row) = match e.get("event").and_then(Value::as_str) {
            Some("approval.requested") => |r: &mut Row| r.requested += 1,
            Some("approval.approved") => |r: &mut Row| r.approved += 1,
            Some("approval.denied") => |r: &mut Row| r.denied += 1,
            _ => continue,
        };
        // approval events carry the tool and the principal of the call that asked
        let group = if event_field.is_empty() {
            name(e.get("tool"))
        } else {
            name(e.get("principal").and_then(|p| p.get(event_field)))
        };
        counter(rows.entry(group).or_default());
    }
    let mut total = Row::default();
    for r in rows.values() {
        total.add(r);
    }
    if json {
        let groups: Vec<Value> = rows.iter().map(|(n, r)| r.to_json(key, n)).collect();
        let mut totals = total.to_json(key, "");
        if let Some(o) = totals.as_object_mut() {
            o.remove(key);
        }
        println!(
            "{}",
            json!({"by": key, "since": since, "groups": groups, "totals": totals})
        );
        return EXIT_OK;
    }
    println!(
        "{:<24} {:>6} {:>7} {:>7} {:>9} {:>8} {:>6} {:>12}  top refusal reasons",
        key, "calls", "allowed", "refused", "approvals", "approved", "denied", "cost_usd"
    );
    let line = |n: &str, r: &Row| {
        let reasons: Vec<String> = r
            .top_reasons()
            .into_iter()
            .map(|(x, c)| format!("{x} ({c})"))
            .collect();
        println!(
            "{:<24} {:>6} {:>7} {:>7} {:>9} {:>8} {:>6} {:>12.6}  {}",
            n,
            r.calls,
            r.allowed,
            r.refused,
            r.requested,
            r.approved,
            r.denied,
            crate::state::usd(r.cost_micros),
            reasons.join(", ")
        );
    };
    for (n, r) in &rows {
        line(n, r);
    }
    line("TOTAL", &total);
    EXIT_OK
}
