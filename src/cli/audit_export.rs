//! `toolwall audit export --format ocsf`: the calls of a verified audit stream as OCSF
//! "API Activity" events (class 6003), one JSON object per line, for SIEM ingestion;
//! `--format otlp-logs`: the same calls as OpenTelemetry log records (OTLP/JSON, one
//! `ExportLogsServiceRequest` per line, as the collector's `otlpjsonfile` receiver reads).
//!
//! Like `replay`, the records are read by the verifier and only a stream that verifies is
//! exported: a tampered stream exports nothing (exit 1). Each event carries the record's
//! `seq` and entry hash, so a SIEM finding leads back to the signed record. Only what the
//! record already holds (redacted) is mapped, and never the arguments (`args`, `input`,
//! `args_sealed`).

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};

/// The OCSF schema version the events follow: the first release whose base event carries the
/// `security_control` profile (`disposition_id`, `action_id`) for every class.
pub const OCSF_VERSION: &str = "1.4.0";
/// OCSF category "Application Activity".
const CATEGORY_UID: u64 = 6;
/// OCSF class "API Activity".
const CLASS_UID: u64 = 6003;

/// Output formats of `audit export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// OCSF 1.4.0 API Activity (class 6003), JSON Lines.
    Ocsf,
    /// OpenTelemetry logs, OTLP/JSON: one `ExportLogsServiceRequest` per line (at most
    /// `OTLP_BATCH` records each).
    OtlpLogs,
}

/// Log records per `ExportLogsServiceRequest` line of `--format otlp-logs`.
const OTLP_BATCH: usize = 1000;

/// Arguments of `toolwall audit export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Audit directory (or one file).
    pub path: PathBuf,
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// RFC 3339 time: only calls decided at or after it.
    #[arg(long, value_name = "RFC3339")]
    pub since: Option<String>,
    /// Only this run (`principal.run_id`).
    #[arg(long, value_name = "RUN_ID")]
    pub run: Option<String>,
    /// Trusted public keys for the verification that precedes the export; without, the
    /// checkpoint signatures are not checked (the chain and the Merkle roots are).
    #[arg(long)]
    pub keys: Option<PathBuf>,
    /// Write the events to FILE (replaced) instead of stdout; written only once the stream
    /// verified.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `toolwall audit export`.
pub fn export(args: &ExportArgs) -> i32 {
    let since = match args.since.as_deref().map(DateTime::parse_from_rfc3339) {
        None => None,
        Some(Ok(t)) => Some(t.with_timezone(&Utc)),
        Some(Err(e)) => {
            eprintln!("--since: not an RFC 3339 time ({e}), e.g. 2026-01-31T09:00:00Z");
            return EXIT_USAGE;
        }
    };
    let trusted = match super::audit::stream_to_read(&args.path, args.keys.as_deref()) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let mut events: Vec<Value> = Vec::new();
    // decision id -> index in `events`, to attach the outcome record that follows
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut skipped_events = 0usize;
    let mut malformed: Vec<String> = Vec::new();
    let report = crate::audit::verify_path_with(&args.path, &trusted, &mut |loc, r| {
        match r.get("kind").and_then(Value::as_str) {
            Some("decision") => {}
            Some("outcome") => {
                let id = r.get("decision_id").and_then(Value::as_str).unwrap_or("");
                if let Some(&i) = by_id.get(id) {
                    attach_outcome(&mut events[i], r);
                }
                return;
            }
            // not calls (re-pins, reloads, approvals, tunnels): no API activity to report
            Some("event") => {
                skipped_events += 1;
                return;
            }
            _ => return,
        }
        let ts = match r
            .get("ts")
            .and_then(Value::as_str)
            .map(DateTime::parse_from_rfc3339)
        {
            Some(Ok(t)) => t.with_timezone(&Utc),
            _ => {
                malformed.push(format!("{}:{}: no valid ts", loc.file, loc.line));
                return;
            }
        };
        if since.is_some_and(|s| ts < s) {
            return;
        }
        if let Some(run) = &args.run {
            if r.get("run_id").and_then(Value::as_str) != Some(run.as_str()) {
                return;
            }
        }
        match ocsf_event(r, ts, loc.file, loc.line) {
            Ok(ev) => {
                if let Some(id) = r.get("decision_id").and_then(Value::as_str) {
                    by_id.insert(id.to_string(), events.len());
                }
                events.push(ev);
            }
            Err(why) => malformed.push(format!("{}:{}: {why}", loc.file, loc.line)),
        }
    });
    if report.io_error.is_some() || !report.valid {
        eprint!("{report}");
        eprintln!("export: the audit stream does not verify; nothing exported");
        return if report.io_error.is_some() {
            EXIT_USAGE
        } else {
            EXIT_FAILED
        };
    }
    let mut text = String::new();
    match args.format {
        ExportFormat::Ocsf => {
            for ev in &events {
                text.push_str(&ev.to_string());
                text.push('\n');
            }
        }
        ExportFormat::OtlpLogs => {
            for batch in events.chunks(OTLP_BATCH) {
                text.push_str(&otlp_request(batch).to_string());
                text.push('\n');
            }
        }
    }
    let written = match &args.out {
        Some(file) => std::fs::write(file, &text).map_err(|e| format!("{}: {e}", file.display())),
        None => std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|e| format!("stdout: {e}")),
    };
    if let Err(e) = written {
        eprintln!("export: {e}");
        return EXIT_FAILED;
    }
    let what = match args.format {
        ExportFormat::Ocsf => format!("OCSF {OCSF_VERSION} API Activity"),
        ExportFormat::OtlpLogs => "OTLP/JSON log records".to_string(),
    };
    eprintln!(
        "exported {} call(s) as {what}; skipped {skipped_events} event record(s) (not calls)",
        events.len()
    );
    for m in &malformed {
        eprintln!("export: malformed decision record: {m}");
    }
    if malformed.is_empty() {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

/// OCSF `activity_id` of a call: MCP and gRPC calls ride on POST, so they are Read when the
/// tool is declared `read_only` and Other otherwise; HTTP calls follow their method.
fn activity(r: &Map<String, Value>) -> (u64, &'static str) {
    let read_only = r
        .get("input")
        .and_then(|i| i.pointer("/tool/read_only"))
        .and_then(Value::as_bool)
        == Some(true);
    let method = r
        .get("request")
        .and_then(|q| q.get("method"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let rpc = r.get("mcp").is_some() || r.get("grpc").is_some();
    match (rpc, read_only, method.to_ascii_uppercase().as_str()) {
        (_, true, _) | (false, _, "GET" | "HEAD" | "OPTIONS") => (2, "Read"),
        (true, false, _) => (99, "Other"),
        (false, _, "POST") => (1, "Create"),
        (false, _, "PUT" | "PATCH") => (3, "Update"),
        (false, _, "DELETE") => (4, "Delete"),
        _ => (99, "Other"),
    }
}

/// One `decision` record as an OCSF API Activity event.
fn ocsf_event(
    r: &Map<String, Value>,
    ts: DateTime<Utc>,
    file: &str,
    line: u64,
) -> Result<Value, String> {
    let s = |k: &str| r.get(k).and_then(Value::as_str);
    let decision_id = s("decision_id").ok_or("no decision_id")?;
    let decision = s("decision").ok_or("no decision")?;
    let seq = r.get("seq").and_then(Value::as_u64).ok_or("no seq")?;
    // the entry hash of the record: the verifier accepted the line as canonical, so the
    // canonical form of what it parsed is that line
    let canonical = crate::audit::canonical::canonicalize(&Value::Object(r.clone()))
        .map_err(|e| e.to_string())?;
    let entry_hash = crate::audit::canonical::hex(&crate::audit::canonical::entry_hash(&canonical));
    let reasons: Vec<String> = r
        .get("reasons")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let tool = s("tool");
    let adapter = s("adapter");
    let agent = s("agent");
    let tenant = s("tenant_id");
    let (activity_id, activity_name) = activity(r);
    // allowed: forwarded (or answered as a dry run); deny: refused by a check; error: refused
    // because something failed (fail closed) or the client went away
    let (status_id, status, disposition_id, disposition, action_id, action, severity_id, severity) =
        match decision {
            "allow" => (1, "Success", 1, "Allowed", 1, "Allowed", 1, "Informational"),
            "deny" => (2, "Failure", 2, "Blocked", 2, "Denied", 2, "Low"),
            _ => (2, "Failure", 27, "Error", 2, "Denied", 3, "Medium"),
        };

    let mut ev = Map::new();
    ev.insert("class_uid".into(), json!(CLASS_UID));
    ev.insert("class_name".into(), json!("API Activity"));
    ev.insert("category_uid".into(), json!(CATEGORY_UID));
    ev.insert("category_name".into(), json!("Application Activity"));
    ev.insert("activity_id".into(), json!(activity_id));
    ev.insert("activity_name".into(), json!(activity_name));
    ev.insert("type_uid".into(), json!(CLASS_UID * 100 + activity_id));
    ev.insert(
        "type_name".into(),
        json!(format!("API Activity: {activity_name}")),
    );
    ev.insert("time".into(), json!(ts.timestamp_millis()));
    ev.insert("severity_id".into(), json!(severity_id));
    ev.insert("severity".into(), json!(severity));
    ev.insert("status_id".into(), json!(status_id));
    ev.insert("status".into(), json!(status));
    if let Some(code) = r.get("status").and_then(Value::as_u64) {
        ev.insert("status_code".into(), json!(code.to_string()));
    }
    if !reasons.is_empty() {
        ev.insert("status_detail".into(), json!(reasons.join(", ")));
    }
    ev.insert("disposition_id".into(), json!(disposition_id));
    ev.insert("disposition".into(), json!(disposition));
    ev.insert("action_id".into(), json!(action_id));
    ev.insert("action".into(), json!(action));
    ev.insert(
        "message".into(),
        json!(format!(
            "{} {} by {}{}",
            tool.unwrap_or("(unclassified call)"),
            match decision {
                "allow" => "allowed",
                "deny" => "refused",
                _ => "refused (error)",
            },
            agent.unwrap_or("(unidentified agent)"),
            if reasons.is_empty() {
                String::new()
            } else {
                format!(": {}", reasons.join(", "))
            }
        )),
    );

    let mut metadata = json!({
        "uid": decision_id,
        "version": OCSF_VERSION,
        "product": {
            "name": "toolwall",
            "vendor_name": "toolwall",
            "version": env!("CARGO_PKG_VERSION"),
        },
        "profiles": ["security_control"],
        "log_name": "toolwall audit",
        "original_time": s("ts"),
        "sequence": seq,
    });
    if let Some(t) = s("trace_id") {
        metadata["correlation_uid"] = json!(t);
    }
    if let Some(t) = tenant {
        metadata["tenant_uid"] = json!(t);
    }
    ev.insert("metadata".into(), metadata);

    let mut api = json!({
        "operation": tool.unwrap_or("(unclassified)"),
        "request": {"uid": decision_id},
    });
    if let Some(a) = adapter {
        api["service"] = json!({"name": a});
    }
    ev.insert("api".into(), api);

    let mut actor = Map::new();
    if let Some(a) = agent {
        let mut user = json!({"name": a, "uid": a});
        if let Some(t) = tenant {
            user["org"] = json!({"uid": t, "name": t});
        }
        actor.insert("user".into(), user);
        actor.insert("app_name".into(), json!(a));
    } else {
        // refused before the principal was known (unauthenticated, overloaded): the actor is
        // the unidentified client that reached toolwall
        actor.insert("app_name".into(), json!("(unidentified agent)"));
    }
    if let Some(run) = s("run_id") {
        actor.insert("session".into(), json!({"uid": run}));
    }
    ev.insert("actor".into(), Value::Object(actor));
    // the record holds the agent's identity, not its network address
    ev.insert(
        "src_endpoint".into(),
        json!({"name": agent.unwrap_or("(unidentified agent)")}),
    );

    let request = r.get("request").and_then(Value::as_object);
    let host = request.and_then(|q| q.get("host")).and_then(Value::as_str);
    if let Some(h) = host {
        let mut dst = json!({"hostname": h});
        if let Some(a) = adapter {
            dst["svc_name"] = json!(a);
        }
        ev.insert("dst_endpoint".into(), dst);
    }
    if let Some(method) = request
        .and_then(|q| q.get("method"))
        .and_then(Value::as_str)
    {
        let mut http = json!({"http_method": method});
        // the tool's path template, or the path with every entity masked: never the raw path
        if let Some(path) = request.and_then(|q| q.get("path")).and_then(Value::as_str) {
            let mut url = json!({"path": path});
            if let Some(h) = host {
                url["hostname"] = json!(h);
            }
            http["url"] = url;
        }
        ev.insert("http_request".into(), http);
    }

    let mut tw = Map::new();
    tw.insert(
        "record".into(),
        json!({"seq": seq, "entry_hash": entry_hash, "file": file, "line": line}),
    );
    tw.insert("decision".into(), json!(decision));
    for k in [
        "reason",
        "trace_id",
        "run_id",
        "tenant_id",
        "workflow",
        "principal_source",
        "config_version",
        "mode",
        "dry_run",
        "shadow_would_refuse",
        "approvals",
        "redactions",
        "input_hmac",
        "latency_us",
        "idempotent_replay",
    ] {
        if let Some(v) = r.get(k).filter(|v| !v.is_null()) {
            tw.insert(k.into(), v.clone());
        }
    }
    tw.insert("reasons".into(), json!(reasons));
    if let Some(p) = r.get("policy").and_then(Value::as_object) {
        tw.insert(
            "policy_version".into(),
            p.get("version").cloned().unwrap_or(Value::Null),
        );
        tw.insert(
            "policy_digest".into(),
            p.get("digest").cloned().unwrap_or(Value::Null),
        );
    }
    // the protocol's method and tool name only: other MCP/gRPC details can name argument
    // values (a resource URI)
    if let Some(m) = r.get("mcp").and_then(Value::as_object) {
        tw.insert("mcp".into(), pick(m, &["method", "name"]));
    }
    if let Some(g) = r.get("grpc").and_then(Value::as_object) {
        tw.insert(
            "grpc".into(),
            pick(g, &["service", "method", "grpc_status"]),
        );
    }
    ev.insert("unmapped".into(), json!({"toolwall": tw}));
    Ok(Value::Object(ev))
}

/// One `ExportLogsServiceRequest` (OTLP/JSON) holding the calls `events` (OCSF events, as
/// built above: the log records carry what they carry and nothing more).
fn otlp_request(events: &[Value]) -> Value {
    let records: Vec<Value> = events.iter().map(otlp_log).collect();
    json!({"resourceLogs": [{
        "resource": {"attributes": [
            kv("service.name", json!({"stringValue": "toolwall"})),
            kv("service.version", json!({"stringValue": env!("CARGO_PKG_VERSION")})),
        ]},
        "scopeLogs": [{
            "scope": {"name": "toolwall.audit", "version": env!("CARGO_PKG_VERSION")},
            "logRecords": records,
        }],
    }]})
}

/// An OTLP `KeyValue`.
fn kv(key: &str, value: Value) -> Value {
    json!({"key": key, "value": value})
}

/// One call as an OTLP log record: the time it was decided, a severity by decision (INFO
/// allowed, WARN refused, ERROR refused because something failed), the OCSF message as the
/// body, the agent's trace id, and the span attributes of the call (docs/telemetry.md) plus
/// the record's place in the signed stream.
fn otlp_log(ev: &Value) -> Value {
    use crate::telemetry::attr;
    let tw = &ev["unmapped"]["toolwall"];
    let decision = tw["decision"].as_str().unwrap_or("error");
    let (number, text) = match decision {
        "allow" => (9, "INFO"),
        "deny" => (13, "WARN"),
        _ => (17, "ERROR"),
    };
    let nanos = ev["metadata"]["original_time"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .and_then(|t| t.timestamp_nanos_opt())
        .unwrap_or(0);
    let str_attr = |k: &str, v: &Value| v.as_str().map(|s| kv(k, json!({"stringValue": s})));
    let int_attr = |k: &str, v: &Value| {
        v.as_u64()
            .map(|n| kv(k, json!({"intValue": n.to_string()})))
    };
    let mut attrs: Vec<Value> = vec![
        kv(
            attr::GEN_AI_OPERATION_NAME,
            json!({"stringValue": attr::EXECUTE_TOOL}),
        ),
        kv(attr::TOOLWALL_DECISION, json!({"stringValue": decision})),
        kv(
            attr::TOOLWALL_REASONS,
            json!({"arrayValue": {"values": tw["reasons"]
                .as_array()
                .map(|a| a.iter().map(|r| json!({"stringValue": r})).collect::<Vec<_>>())
                .unwrap_or_default()}}),
        ),
    ];
    attrs.extend(
        [
            str_attr(attr::GEN_AI_TOOL_NAME, &ev["api"]["operation"]),
            str_attr(attr::GEN_AI_AGENT_ID, &ev["actor"]["user"]["uid"]),
            str_attr(attr::TOOLWALL_DECISION_ID, &ev["metadata"]["uid"]),
            str_attr(attr::TOOLWALL_TENANT, &tw["tenant_id"]),
            str_attr(attr::TOOLWALL_POLICY_VERSION, &tw["policy_version"]),
            str_attr(attr::TOOLWALL_ADAPTER, &ev["api"]["service"]["name"]),
            str_attr(attr::SERVER_ADDRESS, &ev["dst_endpoint"]["hostname"]),
            str_attr(
                attr::HTTP_REQUEST_METHOD,
                &ev["http_request"]["http_method"],
            ),
            str_attr("toolwall.run_id", &tw["run_id"]),
            str_attr("toolwall.audit.entry_hash", &tw["record"]["entry_hash"]),
            int_attr("toolwall.audit.seq", &tw["record"]["seq"]),
            int_attr(
                attr::HTTP_RESPONSE_STATUS_CODE,
                &ev["api"]["response"]["code"],
            ),
            tw["outcome"]["cost_usd"]
                .as_f64()
                .map(|c| kv("toolwall.cost_usd", json!({"doubleValue": c}))),
        ]
        .into_iter()
        .flatten(),
    );
    let mut rec = json!({
        "timeUnixNano": nanos.to_string(),
        "observedTimeUnixNano": nanos.to_string(),
        "severityNumber": number,
        "severityText": text,
        "eventName": "toolwall.tool_call",
        "body": {"stringValue": ev["message"].as_str().unwrap_or("")},
        "attributes": attrs,
    });
    // the agent's trace, when the record carries a valid W3C trace id
    if let Some(t) = tw["trace_id"].as_str().filter(|t| {
        t.len() == 32
            && t.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            && t.bytes().any(|b| b != b'0')
    }) {
        rec["traceId"] = json!(t);
    }
    rec
}

/// The listed members of `m` that are present.
fn pick(m: &Map<String, Value>, keys: &[&str]) -> Value {
    Value::Object(
        keys.iter()
            .filter_map(|k| m.get(*k).map(|v| (k.to_string(), v.clone())))
            .collect(),
    )
}

/// What the call's `outcome` record adds: the status the tool answered, its error, cost and
/// the outcome record's own `seq`.
fn attach_outcome(ev: &mut Value, o: &Map<String, Value>) {
    let status = o.get("status").and_then(Value::as_u64);
    let error = o.get("error").and_then(Value::as_str);
    let mut response = Map::new();
    if let Some(code) = status {
        response.insert("code".into(), json!(code));
        if ev.get("status_code").is_none() {
            ev["status_code"] = json!(code.to_string());
        }
    }
    if let Some(e) = error {
        response.insert("error".into(), json!(e));
    }
    if !response.is_empty() {
        ev["api"]["response"] = Value::Object(response);
    }
    let mut out = Map::new();
    for k in [
        "seq",
        "status",
        "error",
        "cost_usd",
        "upstream_latency_us",
        "dry_run",
    ] {
        if let Some(v) = o.get(k).filter(|v| !v.is_null()) {
            out.insert(k.into(), v.clone());
        }
    }
    ev["unmapped"]["toolwall"]["outcome"] = Value::Object(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!("a test record is an object"),
        }
    }

    #[test]
    fn activity_follows_the_http_method_and_read_only_tools() {
        let http = |m: &str, ro: bool| {
            activity(&record(json!({
                "request": {"method": m},
                "input": {"tool": {"read_only": ro}},
            })))
        };
        assert_eq!(http("GET", false), (2, "Read"));
        assert_eq!(http("post", false), (1, "Create"));
        assert_eq!(http("POST", true), (2, "Read"));
        assert_eq!(http("PUT", false), (3, "Update"));
        assert_eq!(http("PATCH", false), (3, "Update"));
        assert_eq!(http("DELETE", false), (4, "Delete"));
        assert_eq!(http("CONNECT", false), (99, "Other"));
        let rpc = |proto: &str, ro: Option<bool>| {
            let mut r = json!({"request": {"method": "POST"}, proto: {"method": "x"}});
            if let Some(ro) = ro {
                r["input"] = json!({"tool": {"read_only": ro}});
            }
            activity(&record(r))
        };
        assert_eq!(rpc("mcp", Some(true)), (2, "Read"));
        assert_eq!(rpc("mcp", Some(false)), (99, "Other"));
        // `audit.args: none` keeps no input: not known to be read-only
        assert_eq!(rpc("mcp", None), (99, "Other"));
        assert_eq!(rpc("grpc", Some(false)), (99, "Other"));
    }

    #[test]
    fn no_argument_and_no_mcp_detail_beyond_method_and_name_is_exported() {
        let r = record(json!({
            "kind": "decision", "seq": 3, "prev": "00", "ts": "2026-01-31T09:00:00.000Z",
            "decision_id": "d-1", "decision": "deny", "status": 403,
            "reasons": ["r1", "r2"], "agent": "a", "tenant_id": "t", "tool": "fs.read",
            "adapter": "fs", "request": {"method": "POST", "host": "h", "path": "/mcp"},
            "args": {"token": "SECRET-ARG"}, "args_sealed": "SECRET-SEALED",
            "input": {"args": "SECRET-INPUT", "tool": {"read_only": true}},
            "mcp": {"method": "resources/read", "uri": "file:///SECRET-URI"},
            "policy": {"version": "p1", "digest": "dd", "result": {"allow": false}},
        }));
        let ts = DateTime::parse_from_rfc3339("2026-01-31T09:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .expect("ts");
        let ev = ocsf_event(&r, ts, "f.jsonl", 4).expect("maps");
        let text = ev.to_string();
        assert!(!text.contains("SECRET"), "{text}");
        assert_eq!(
            ev["unmapped"]["toolwall"]["mcp"],
            json!({"method": "resources/read"})
        );
        assert_eq!(ev["status_detail"], "r1, r2");
        assert_eq!(ev["time"], 1_769_850_000_000i64);
        assert_eq!(ev["type_uid"], 600302);
        assert_eq!(ev["unmapped"]["toolwall"]["record"]["line"], 4);
    }
}
