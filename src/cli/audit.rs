//! `toolwall audit verify | show`, `toolwall replay`, `toolwall keygen`: the audit stream.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::audit::chain::list_streams;
use crate::policy::{EvalError, PolicySet, DEFAULT_MAX_INSTRUCTIONS};

/// Filters of `audit show`.
#[derive(Debug, Default, clap::Args)]
pub struct ShowFilters {
    /// Only this run (`principal.run_id`).
    #[arg(long)]
    pub run: Option<String>,
    /// Only this decision id.
    #[arg(long)]
    pub decision: Option<String>,
    #[arg(long)]
    pub tenant: Option<String>,
    #[arg(long)]
    pub agent: Option<String>,
    /// Tool name (`adapter.tool`).
    #[arg(long)]
    pub tool: Option<String>,
    /// RFC 3339 time: only records at or after it.
    #[arg(long)]
    pub since: Option<String>,
}

/// Every `decision`, `outcome` and `event` record of every stream under `path` (a directory or
/// a file), in file order.
pub fn read_records(path: &Path) -> Result<Vec<Value>, String> {
    let files: Vec<PathBuf> = if path.is_dir() {
        list_streams(path)
            .map_err(|e| e.to_string())?
            .into_values()
            .flat_map(|v| v.into_iter().map(|(_, p)| p))
            .collect()
    } else {
        vec![path.to_path_buf()]
    };
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        for line in text.lines() {
            // a torn tail is verify's business; show what parses
            if let Ok(v) = serde_json::from_str::<Value>(line) {
                if matches!(v["kind"].as_str(), Some("decision" | "outcome" | "event")) {
                    out.push(v);
                }
            }
        }
    }
    Ok(out)
}

fn matches(rec: &Value, f: &ShowFilters) -> bool {
    let eq = |field: &str, want: &Option<String>| match want {
        None => true,
        Some(w) => rec[field].as_str() == Some(w.as_str()),
    };
    eq("run_id", &f.run)
        && eq("decision_id", &f.decision)
        && eq("tenant_id", &f.tenant)
        && eq("agent", &f.agent)
        && eq("tool", &f.tool)
        && match &f.since {
            None => true,
            Some(s) => rec["ts"].as_str().is_some_and(|ts| ts >= s.as_str()),
        }
}

/// Whether an `event` record passes the filters: run, tenant and agent are those of its
/// `principal`, `--decision` matches its `id`.
fn event_matches(rec: &Value, f: &ShowFilters) -> bool {
    let eq = |v: &Value, want: &Option<String>| match want {
        None => true,
        Some(w) => v.as_str() == Some(w.as_str()),
    };
    let p = &rec["principal"];
    eq(&p["run_id"], &f.run)
        && eq(&rec["id"], &f.decision)
        && eq(&p["tenant_id"], &f.tenant)
        && eq(&p["agent"], &f.agent)
        && eq(&rec["tool"], &f.tool)
        && match &f.since {
            None => true,
            Some(s) => rec["ts"].as_str().is_some_and(|ts| ts >= s.as_str()),
        }
}

/// One line of `audit show` for an event: time, name, what it is about, its detail, its id.
fn event_line(e: &Value) -> String {
    let mut line = format!(
        "  {}  {:<28}",
        e["ts"].as_str().unwrap_or("-"),
        e["event"].as_str().unwrap_or("-")
    );
    if let Some(t) = e["tool"].as_str().or_else(|| e["adapter"].as_str()) {
        line.push_str(&format!(" {t}"));
    }
    let p = &e["principal"];
    for (label, field) in [
        ("agent", "agent"),
        ("tenant", "tenant_id"),
        ("run", "run_id"),
    ] {
        if let Some(v) = p[field].as_str() {
            line.push_str(&format!("  {label} {v}"));
        }
    }
    if e["detail"].as_object().is_some_and(|d| !d.is_empty()) {
        line.push_str(&format!("  {}", e["detail"]));
    }
    line.push_str(&format!("  {}", e["id"].as_str().unwrap_or("")));
    line
}

/// `toolwall audit show`: what did the agent do, under what identity and policy.
pub fn show(path: &Path, filters: &ShowFilters, json: bool) -> i32 {
    let records = match read_records(path) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_USAGE;
        }
    };
    let mut outcomes: BTreeMap<String, Value> = BTreeMap::new();
    let mut decisions = Vec::new();
    let mut events = Vec::new();
    for r in records {
        let id = r["decision_id"].as_str().unwrap_or("").to_string();
        match r["kind"].as_str() {
            Some("outcome") => {
                outcomes.insert(id, r);
            }
            Some("event") => {
                if event_matches(&r, filters) {
                    events.push(r);
                }
            }
            _ => decisions.push(r),
        }
    }
    let selected: Vec<Value> = decisions
        .into_iter()
        .filter(|d| matches(d, filters))
        .map(|mut d| {
            if let Some(o) = d["decision_id"].as_str().and_then(|id| outcomes.remove(id)) {
                d["outcome"] = o;
            }
            d
        })
        .collect();
    // what the selected calls cost (`audit_report::spent_usd`), per run and per tenant, in
    // micro-dollars so the sums are exact
    let mut run_cost: BTreeMap<String, i64> = BTreeMap::new();
    let mut tenant_cost: BTreeMap<String, i64> = BTreeMap::new();
    for d in &selected {
        let c = crate::state::micros(super::audit_report::spent_usd(&d["outcome"]));
        let run = d["run_id"].as_str().unwrap_or("(no run id)").to_string();
        *run_cost.entry(run).or_default() += c;
        let tenant = d["tenant_id"].as_str().unwrap_or("-").to_string();
        *tenant_cost.entry(tenant).or_default() += c;
    }
    let usd_map = |m: &BTreeMap<String, i64>| -> serde_json::Map<String, Value> {
        m.iter()
            .map(|(k, v)| (k.clone(), serde_json::json!(crate::state::usd(*v))))
            .collect()
    };
    if json {
        for d in selected.iter().chain(&events) {
            println!("{d}");
        }
        // with --run, one last line sums the cost (without, the output stays records only)
        if filters.run.is_some() {
            println!(
                "{}",
                serde_json::json!({
                    "kind": "cost_summary",
                    "cost_usd": crate::state::usd(run_cost.values().sum()),
                    "runs": usd_map(&run_cost),
                    "tenants": usd_map(&tenant_cost),
                })
            );
        }
        return EXIT_OK;
    }
    let mut by_run: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for d in &selected {
        let run = d["run_id"].as_str().unwrap_or("(no run id)").to_string();
        by_run.entry(run).or_default().push(d);
    }
    for (run, calls) in &by_run {
        let first = calls[0];
        println!(
            "run {run}  agent {}  tenant {}  ({} call(s))  cost ${:.6}",
            first["agent"].as_str().unwrap_or("-"),
            first["tenant_id"].as_str().unwrap_or("-"),
            calls.len(),
            crate::state::usd(run_cost.get(run).copied().unwrap_or(0)),
        );
        for d in calls {
            let outcome = &d["outcome"];
            let status = outcome["status"]
                .as_u64()
                .or_else(|| d["status"].as_u64())
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into());
            let reasons: Vec<&str> = d["reasons"]
                .as_array()
                .map(|a| a.iter().filter_map(|r| r.as_str()).collect())
                .unwrap_or_default();
            let approvals = d["approvals"].as_array().map(|a| a.len()).unwrap_or(0);
            // forwarded in shadow mode although enforce mode would have refused it
            let shadow = d["shadow_would_refuse"]
                .as_array()
                .map(|a| {
                    let r: Vec<&str> = a.iter().filter_map(|r| r.as_str()).collect();
                    format!("  SHADOW would refuse [{}]", r.join(", "))
                })
                .unwrap_or_default();
            // a `dry_run` tool's call: decided, never forwarded
            let dry_run = if d["dry_run"] == true {
                "  DRY RUN"
            } else {
                ""
            };
            println!(
                "  {}  {:<28} {:<6} {:<4} policy {}  approvals {}  {}µs{}{}{}{}  {}",
                d["ts"].as_str().unwrap_or("-"),
                d["tool"].as_str().unwrap_or("-"),
                d["decision"].as_str().unwrap_or("-"),
                status,
                d["policy"]["version"].as_str().unwrap_or("-"),
                approvals,
                d["latency_us"].as_u64().unwrap_or(0),
                outcome["cost_usd"]
                    .as_f64()
                    .filter(|c| *c > 0.0)
                    .map(|c| format!("  ${c:.4}"))
                    .unwrap_or_default(),
                if reasons.is_empty() {
                    String::new()
                } else {
                    format!("  [{}]", reasons.join(", "))
                },
                dry_run,
                shadow,
                d["decision_id"].as_str().unwrap_or(""),
            );
        }
    }
    if !selected.is_empty() {
        for (tenant, c) in &tenant_cost {
            println!("cost  tenant {tenant}  ${:.6}", crate::state::usd(*c));
        }
    }
    if !events.is_empty() {
        println!("events (not calls): {}", events.len());
        for e in &events {
            println!("{}", event_line(e));
        }
    }
    if selected.is_empty() && events.is_empty() {
        println!("no matching calls");
    }
    EXIT_OK
}

/// What the recorded policy said, or what a candidate says: `allow` + sorted reasons, or the
/// error code.
fn outcome_of(result: Result<crate::policy::PolicyDecision, EvalError>) -> (bool, Vec<String>) {
    match result {
        Ok(d) => {
            let mut r = d.reasons;
            // a decision that needs approval goes to a human (`approval_required`), whatever
            // `allow` says
            if d.require_approval {
                r.push("approval_required".into());
            }
            r.sort();
            (d.allow, r)
        }
        Err(EvalError::Undefined) => (false, vec!["policy_undefined".into()]),
        Err(_) => (false, vec!["policy_error".into()]),
    }
}

/// The policy input a `decision` record replays: its `input` with `args` put back (as
/// recorded, or opened from `args_sealed` with the auditor's key) and every number the record
/// had to write as a string restored. `Ok(None)` for records that carry nothing to replay
/// (`audit.args: none`, or refused before policy ran); `Err` for a malformed record.
pub(crate) fn replay_input(
    rec: &serde_json::Map<String, Value>,
    auditor: Option<&crate::audit::AuditorSecretKey>,
) -> Result<Option<(Value, Value)>, String> {
    if rec.get("input").is_none() {
        return Ok(None);
    }
    let recorded = match rec.get("policy").and_then(|p| p.get("result")) {
        None => return Ok(None),
        Some(Value::Object(r)) => Value::Object(r.clone()),
        Some(_) => return Err("policy.result is not an object".into()),
    };
    let mut rec = rec.clone();
    crate::audit::record::restore_numbers(&mut rec)?;
    let Some(Value::Object(mut input)) = rec.remove("input") else {
        return Err("input is not a JSON object".into());
    };
    let args = match (auditor, rec.get("args_sealed")) {
        (Some(key), Some(Value::String(sealed))) => crate::audit::open_args(key, sealed)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .ok_or("sealed args do not open with this auditor key")?,
        (Some(_), Some(_)) => return Err("args_sealed is not a string".into()),
        _ => rec.remove("args").unwrap_or(Value::Null),
    };
    input.insert("args".into(), args);
    Ok(Some((Value::Object(input), recorded)))
}

/// `toolwall replay`: re-evaluate every recorded policy input with the candidate policies.
/// The records are read once, by the verifier: only a stream that verifies is replayed, and a
/// malformed decision record is an error (exit 1), never a crash.
pub fn replay(
    path: &Path,
    policies: &Path,
    keys: Option<&Path>,
    auditor_key: Option<&Path>,
    json: bool,
) -> i32 {
    let auditor = match auditor_key
        .map(crate::audit::AuditorSecretKey::load)
        .transpose()
    {
        Ok(a) => a,
        Err(e) => {
            eprintln!("--auditor-key: {e}");
            return EXIT_USAGE;
        }
    };
    let trusted = match stream_to_read(path, keys) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let set = match PolicySet::load(policies, DEFAULT_MAX_INSTRUCTIONS) {
        Ok(s) => s,
        Err(d) => {
            for x in d {
                eprintln!("{x}");
            }
            return EXIT_USAGE;
        }
    };
    let mut replayed = 0usize;
    let mut skipped_events = 0usize;
    let mut changed: BTreeMap<(String, String), Vec<Value>> = BTreeMap::new();
    let mut malformed: Vec<String> = Vec::new();
    let report = crate::audit::verify_path_with(path, &trusted, &mut |loc, r| {
        match r.get("kind").and_then(Value::as_str) {
            Some("decision") => {}
            // not calls: nothing to re-decide, counted so the operator sees they were read
            Some("event") => {
                skipped_events += 1;
                return;
            }
            _ => return,
        }
        let (input, recorded) = match replay_input(r, auditor.as_ref()) {
            Ok(Some(x)) => x,
            Ok(None) => return,
            Err(why) => {
                malformed.push(format!(
                    "{}:{}: decision {}: {why}",
                    loc.file,
                    loc.line,
                    r.get("decision_id").and_then(Value::as_str).unwrap_or("-")
                ));
                return;
            }
        };
        replayed += 1;
        let mut before_reasons: Vec<String> = recorded["reasons"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        if recorded["require_approval"] == true {
            before_reasons.push("approval_required".into());
        }
        before_reasons.sort();
        let before = (recorded["allow"].as_bool().unwrap_or(false), before_reasons);
        let after = outcome_of(set.decide(&input));
        if before != after {
            let field = |f: &str| r.get(f).cloned().unwrap_or(Value::Null);
            let key = (
                field("tool").as_str().unwrap_or("-").to_string(),
                field("tenant_id").as_str().unwrap_or("-").to_string(),
            );
            changed.entry(key).or_default().push(serde_json::json!({
                "decision_id": field("decision_id"),
                "ts": field("ts"),
                "before": {"allow": before.0, "reasons": before.1},
                "after": {"allow": after.0, "reasons": after.1},
            }));
        }
    });
    if report.io_error.is_some() || !report.valid {
        eprint!("{report}");
        eprintln!("replay: the audit stream does not verify; not replaying");
        return if report.io_error.is_some() {
            EXIT_USAGE
        } else {
            EXIT_FAILED
        };
    }
    for m in &malformed {
        eprintln!("replay: malformed record: {m}");
    }
    let total_changed: usize = changed.values().map(Vec::len).sum();
    if json {
        let groups: Vec<Value> = changed
            .iter()
            .map(|((tool, tenant), calls)| {
                serde_json::json!({"tool": tool, "tenant": tenant, "changed": calls})
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "replayed": replayed,
                "changed": total_changed,
                "skipped_events": skipped_events,
                "malformed": malformed,
                "policy": {"version": set.version, "digest": set.digest},
                "groups": groups,
            })
        );
    } else {
        for ((tool, tenant), calls) in &changed {
            println!(
                "{tool}  tenant {tenant}: {} decision(s) change",
                calls.len()
            );
            for c in calls {
                println!(
                    "  {}  {}  {} {} -> {} {}",
                    c["ts"].as_str().unwrap_or("-"),
                    c["decision_id"].as_str().unwrap_or("-"),
                    if c["before"]["allow"] == true {
                        "allow"
                    } else {
                        "deny"
                    },
                    c["before"]["reasons"],
                    if c["after"]["allow"] == true {
                        "allow"
                    } else {
                        "deny"
                    },
                    c["after"]["reasons"],
                );
            }
        }
        println!(
            "replayed {replayed} decision(s) under policy {}: {total_changed} would change",
            set.version
        );
        if skipped_events > 0 {
            println!("skipped {skipped_events} event record(s): not calls, nothing to replay");
        }
        if !malformed.is_empty() {
            println!(
                "{} malformed decision record(s) could not be replayed",
                malformed.len()
            );
        }
    }
    if total_changed > 0 || !malformed.is_empty() {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

/// `toolwall keygen`: the Ed25519 signing key pair and the HMAC key for the audit stream.
pub fn keygen(out: &Path, name: &str) -> i32 {
    let (paths, hmac_path) = match crate::audit::generate_keys(out, name) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("keygen: {e}");
            return EXIT_USAGE;
        }
    };
    println!("signing key:  {}", paths.private.display());
    println!(
        "public key:   {}  (give this to auditors: audit verify --keys)",
        paths.public.display()
    );
    println!("hmac key:     {}", hmac_path.display());
    EXIT_OK
}

/// `toolwall audit verify`.
pub fn verify(
    path: &Path,
    keys: Option<&Path>,
    expect_size: Option<u64>,
    expect_root: Option<&str>,
    json: bool,
) -> i32 {
    let root =
        match expect_root.map(|h| crate::audit::canonical::parse_hex(&h.to_ascii_lowercase())) {
            None => None,
            Some(Some(r)) => Some(r),
            Some(None) => {
                eprintln!("--expect-root: expected 64 hex digits (a root printed by audit verify)");
                return EXIT_USAGE;
            }
        };
    let expect = crate::audit::Expect {
        size: expect_size,
        root,
    };
    let (out, code) = crate::audit::run_verify_cli(path, keys, expect, json);
    print!("{out}");
    code
}

/// `toolwall audit rotate-key`: introduce a new signing key into the stream (a `key_rotation`
/// record and a checkpoint signed by the old and the new key). Run it while toolwall is
/// stopped, then point `audit.key` at the new key.
pub fn rotate_key(config: &Path, new_key: &Path) -> i32 {
    let loaded = match crate::config::load_snapshot(config, false) {
        Ok(l) => l,
        Err(d) => {
            eprintln!("{d}");
            return EXIT_USAGE;
        }
    };
    let Some(settings) = loaded.audit else {
        eprintln!("{}: no audit section", config.display());
        return EXIT_USAGE;
    };
    let new = match crate::audit::AuditSigner::load(new_key) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("{}: {e}", new_key.display());
            return EXIT_USAGE;
        }
    };
    let old_id = settings.writer.signer.id().to_string();
    let new_id = new.id().to_string();
    let dir = settings.writer.dir.clone();
    let mut writer = match crate::audit::ChainWriter::open(settings.writer) {
        Ok(w) => w,
        Err(e) => {
            eprintln!(
                "cannot open the audit stream in {}: {e} (is toolwall still running?)",
                dir.display()
            );
            return EXIT_FAILED;
        }
    };
    if let Err(e) = writer.rotate_key(new) {
        eprintln!("rotation failed: {e}");
        return EXIT_FAILED;
    }
    if let Err(e) = writer.close() {
        eprintln!("closing the stream failed: {e}");
        return EXIT_FAILED;
    }
    println!("rotated {old_id} -> {new_id} in {}", dir.display());
    println!(
        "now set `audit.key: {}` and restart toolwall",
        new_key.display()
    );
    EXIT_OK
}

/// `toolwall keygen --auditor`: the auditor's X25519 key pair for `audit.args: encrypted`.
pub fn auditor_keygen(out: &Path) -> i32 {
    match crate::audit::auditor_keygen(out) {
        Ok((secret, public)) => {
            println!(
                "auditor public key:  {}  (audit.auditor_key)",
                public.display()
            );
            println!(
                "auditor secret key:  {}  (keep offline: replay --auditor-key)",
                secret.display()
            );
            EXIT_OK
        }
        Err(e) => {
            eprintln!("keygen: {e}");
            EXIT_USAGE
        }
    }
}

/// The trusted keys (`--keys`) of a command that reads a stream at `path`, once both are known
/// to be usable; else the usage error, printed, as the exit code.
pub(crate) fn stream_to_read(
    path: &Path,
    keys: Option<&Path>,
) -> Result<crate::audit::TrustedKeys, i32> {
    let trusted = match keys.map(crate::audit::TrustedKeys::load).transpose() {
        Ok(k) => k.unwrap_or_default(),
        Err(e) => {
            eprintln!("--keys: cannot load trusted keys: {e}");
            return Err(EXIT_USAGE);
        }
    };
    if !path.exists() {
        eprintln!("{}: no such file or directory", path.display());
        return Err(EXIT_USAGE);
    }
    Ok(trusted)
}
