//! `toolwall audit export --format ocsf`: a real stream written by a running toolwall,
//! exported by the real binary, every line validated against the committed JSON Schema of
//! OCSF 1.4.0 class 6003 (tests/fixtures/ocsf), the mapping checked call by call.

use std::path::Path;

use bytes::Bytes;
use http_body_util::Full;
use serde_json::Value;

use crate::common::*;

/// The secret every call sends: `audit.args: redacted` keeps it in the record (the engine does
/// not see it as PII), the export must never carry it.
const SECRET: &str = "ch_s3cr3t_4f9a";

fn schema() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ocsf/api_activity_6003.schema.json");
    let text = std::fs::read_to_string(&path).expect("schema fixture");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::draft202012::new(&schema).expect("schema compiles")
}

/// A call as `run`, with the run id header.
fn call(method: &str, target: &str, body: &str, run: &str) -> http::Request<Full<Bytes>> {
    req(method, target)
        .header("content-type", "application/json")
        .header("toolwall-run-id", run)
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("request")
}

fn header_id(r: &Reply) -> String {
    r.headers
        .get("toolwall-decision-id")
        .and_then(|v| v.to_str().ok())
        .expect("toolwall-decision-id header")
        .to_string()
}

/// Run the export; (exit code, the parsed lines, stdout, stderr). Every line must validate.
fn export(args: &[&str]) -> (i32, Vec<Value>, String, String) {
    let mut all = vec!["audit", "export"];
    all.extend_from_slice(args);
    let (code, out, err) = toolwall(&all);
    let validator = schema();
    let events: Vec<Value> = out
        .lines()
        .map(|l| {
            let v: Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
            let errors: Vec<String> = validator
                .iter_errors(&v)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "not OCSF 6003: {errors:?}\n{l}");
            v
        })
        .collect();
    (code, events, out, err)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_writes_valid_ocsf_api_activity_for_every_call_of_a_verified_stream() {
    let up = http_upstream().await;
    let keys = tempfile::tempdir().expect("tmp");
    assert_eq!(
        toolwall::cli::audit::keygen(&keys.path().join("keys"), "test-audit"),
        0
    );
    let k = keys.path().display();
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        POLICY,
        &format!(
            "audit: {{ dir: audit, key: {k}/keys/audit.key, hmac_key: {k}/keys/hmac.key, args: redacted, checkpoint: {{ every_records: 3, every: 1s }} }}"
        ),
    )
    .await;
    let body = |amount: &str| format!(r#"{{"charge":"{SECRET}","amount":{amount}}}"#);
    let ok = send(
        h.agent(),
        call("POST", "/echo/v1/refunds", &body("5"), "run-a"),
    )
    .await;
    assert_eq!(ok.status, 200);
    let denied = send(
        h.agent(),
        call("POST", "/echo/v1/refunds", &body("500"), "run-a"),
    )
    .await;
    assert_eq!(denied.status, 403);
    // an event record (not a call) between the calls: skipped by the export
    let reload = admin_post(h.admin(), "/admin/reload", "", None).await;
    assert_eq!(reload.status, 200, "{:?}", reload.body);
    // refusal records are queued, not waited for: `since` is taken once run-a's records are
    // on disk, so each of them is stamped before it
    let audit_dir = h.dir.path().join("audit");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while audit_records(&audit_dir)
        .iter()
        .filter(|r| r["kind"] == "decision" || r["kind"] == "event")
        .count()
        < 3
    {
        assert!(
            std::time::Instant::now() < deadline,
            "run-a's records never reached the disk"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let since = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let invalid = send(
        h.agent(),
        call("POST", "/echo/v1/refunds", &body(r#""x""#), "run-b"),
    )
    .await;
    assert_eq!(invalid.status, 400);
    let read = send(h.agent(), call("GET", "/echo/v1/charges/ch_1", "", "run-b")).await;
    assert_eq!(read.status, 200);
    let Harness { app, dir } = h;
    app.shutdown().await;
    let audit = audit_dir.to_str().expect("utf8").to_string();
    let pubkey = keys.path().join("keys/audit.pub");
    let pubkey = pubkey.to_str().expect("utf8");

    // precondition: the record holds the secret (redacted mode keeps what is not PII), so the
    // export leaving it out is the export's doing
    let raw: String = audit_records(&audit_dir)
        .iter()
        .map(Value::to_string)
        .collect();
    assert!(raw.contains(SECRET), "the stream should hold the argument");

    let (code, events, out, err) = export(&[&audit, "--format", "ocsf", "--keys", pubkey]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        !out.contains(SECRET),
        "an argument reached the export:\n{out}"
    );
    assert_eq!(events.len(), 4, "one event per decision record:\n{out}");
    assert!(
        err.contains("exported 4 call(s)") && err.contains("skipped 1 event record(s)"),
        "{err}"
    );
    for ev in &events {
        assert_eq!(ev["class_uid"], 6003);
        assert_eq!(ev["category_uid"], 6);
        assert_eq!(
            ev["type_uid"].as_u64(),
            ev["activity_id"].as_u64().map(|a| 600300 + a)
        );
        assert_eq!(ev["metadata"]["version"], "1.4.0");
        assert_eq!(ev["metadata"]["product"]["name"], "toolwall");
        assert_eq!(ev["actor"]["user"]["name"], "test-agent");
        assert_eq!(ev["actor"]["user"]["org"]["uid"], "acme");
        assert_eq!(ev["metadata"]["tenant_uid"], "acme");
        assert_eq!(ev["api"]["service"]["name"], "echo");
        assert!(ev["unmapped"]["toolwall"].get("args").is_none());
    }
    // the schema has teeth: an invented member, a missing required one or an activity OCSF
    // does not define fail it
    let validator = schema();
    for (what, change) in [
        ("unknown member", "/actor/user/nmae"),
        ("missing required", "/src_endpoint"),
        ("bad activity", "/activity_id"),
    ] {
        let mut bad = events[0].clone();
        match change {
            "/actor/user/nmae" => bad["actor"]["user"]["nmae"] = "x".into(),
            "/src_endpoint" => {
                if let Some(o) = bad.as_object_mut() {
                    o.remove("src_endpoint");
                }
            }
            _ => bad["activity_id"] = 5.into(),
        }
        assert!(!validator.is_valid(&bad), "{what} passed the schema: {bad}");
    }
    let by_id = |id: &str| -> &Value {
        events
            .iter()
            .find(|e| e["metadata"]["uid"] == id)
            .unwrap_or_else(|| panic!("no event with metadata.uid {id}:\n{out}"))
    };
    let records = audit_records(&audit_dir);
    let record_of = |id: &str| -> &Value {
        records
            .iter()
            .find(|r| r["kind"] == "decision" && r["decision_id"] == id)
            .expect("decision record")
    };

    // allowed: a POST is a Create, forwarded, linked to the signed record and its outcome
    let ok_id = header_id(&ok);
    let e = by_id(&ok_id);
    assert_eq!(e["api"]["request"]["uid"], ok_id.as_str());
    assert_eq!(e["api"]["operation"], "echo.refund");
    assert_eq!(
        (e["activity_id"].as_u64(), e["activity_name"].as_str()),
        (Some(1), Some("Create"))
    );
    assert_eq!(
        (e["disposition_id"].as_u64(), e["disposition"].as_str()),
        (Some(1), Some("Allowed"))
    );
    assert_eq!(
        (e["status_id"].as_u64(), e["status"].as_str()),
        (Some(1), Some("Success"))
    );
    assert_eq!(e["severity_id"], 1);
    assert_eq!(e["status_code"], "200", "the outcome's status");
    assert_eq!(e["api"]["response"]["code"], 200);
    assert_eq!(e["http_request"]["http_method"], "POST");
    assert_eq!(e["http_request"]["url"]["path"], "/v1/refunds");
    assert_eq!(e["actor"]["session"]["uid"], "run-a");
    let rec = record_of(&ok_id);
    let tw = &e["unmapped"]["toolwall"];
    assert_eq!(tw["record"]["seq"], rec["seq"]);
    assert_eq!(e["metadata"]["sequence"], rec["seq"]);
    // the entry hash is the next record's `prev`: the event names the very line that was signed
    let next = records
        .iter()
        .find(|r| r["seq"].as_u64() == rec["seq"].as_u64().map(|s| s + 1))
        .expect("a record after the decision");
    assert_eq!(tw["record"]["entry_hash"], next["prev"]);
    assert_eq!(tw["trace_id"], rec["trace_id"]);
    assert_eq!(e["metadata"]["correlation_uid"], rec["trace_id"]);
    assert_eq!(tw["policy_version"], rec["policy"]["version"]);
    assert_eq!(tw["outcome"]["status"], 200);
    assert!(tw["outcome"]["seq"].as_u64() > rec["seq"].as_u64());
    assert_eq!(
        e["time"].as_i64(),
        chrono::DateTime::parse_from_rfc3339(rec["ts"].as_str().expect("ts"))
            .ok()
            .map(|t| t.timestamp_millis())
    );

    // refused by policy: Blocked, the reasons in status_detail; the id the agent got in the
    // header and in the body is the event's uid
    let denied_id = header_id(&denied);
    assert_eq!(denied.json()["error"]["decision_id"], denied_id.as_str());
    let e = by_id(&denied_id);
    assert_eq!(
        (e["disposition_id"].as_u64(), e["disposition"].as_str()),
        (Some(2), Some("Blocked"))
    );
    assert_eq!(
        (e["action_id"].as_u64(), e["action"].as_str()),
        (Some(2), Some("Denied"))
    );
    assert_eq!(
        (e["status_id"].as_u64(), e["status"].as_str()),
        (Some(2), Some("Failure"))
    );
    assert_eq!(e["status_code"], "403");
    assert_eq!(e["status_detail"], "amount_exceeds_threshold");
    assert_eq!(
        e["unmapped"]["toolwall"]["reasons"],
        serde_json::json!(["amount_exceeds_threshold"])
    );
    assert_eq!(e["unmapped"]["toolwall"]["decision"], "deny");
    assert!(
        e.get("api").and_then(|a| a.get("response")).is_none(),
        "not forwarded: no response"
    );

    // schema-invalid: Blocked with schema_invalid
    let invalid_id = header_id(&invalid);
    let e = by_id(&invalid_id);
    assert_eq!(e["disposition"], "Blocked");
    assert_eq!(e["status_code"], "400");
    assert!(
        e["status_detail"]
            .as_str()
            .is_some_and(|d| d.contains("schema_invalid")),
        "{e}"
    );
    assert_eq!(e["actor"]["session"]["uid"], "run-b");

    // a GET of a read-only tool is a Read
    let e = by_id(&header_id(&read));
    assert_eq!(
        (e["activity_id"].as_u64(), e["type_uid"].as_u64()),
        (Some(2), Some(600302))
    );
    assert_eq!(e["http_request"]["url"]["path"], "/v1/charges/{id}");

    // --run: only that run's calls
    let (code, events, out, err) = export(&[&audit, "--format", "ocsf", "--run", "run-a"]);
    assert_eq!(code, 0, "{out}{err}");
    let mut ids: Vec<&str> = events
        .iter()
        .filter_map(|e| e["metadata"]["uid"].as_str())
        .collect();
    ids.sort();
    let mut want = vec![ok_id.as_str(), denied_id.as_str()];
    want.sort();
    assert_eq!(ids, want);

    // --since: only the calls after the instant taken between the two runs
    let (code, events, out, err) = export(&[&audit, "--format", "ocsf", "--since", &since]);
    assert_eq!(code, 0, "{out}{err}");
    let runs: Vec<&str> = events
        .iter()
        .filter_map(|e| e["actor"]["session"]["uid"].as_str())
        .collect();
    assert_eq!(runs, ["run-b", "run-b"], "{out}");

    // --out: the same events in a file, stdout empty
    let out_file = dir.path().join("events.jsonl");
    let (code, _, out, err) = export(&[
        &audit,
        "--format",
        "ocsf",
        "--run",
        "run-b",
        "--out",
        out_file.to_str().expect("utf8"),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty(), "{out}");
    let written = std::fs::read_to_string(&out_file).expect("out file");
    assert_eq!(written.lines().count(), 2, "{written}");
    assert!(written.contains(&invalid_id));

    // a bad --since is a usage error
    let (code, _, out, err) = export(&[&audit, "--format", "ocsf", "--since", "yesterday"]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(err.contains("--since"), "{err}");
    drop(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_stream_exports_nothing_and_exits_1() {
    let up = http_upstream().await;
    let keys = tempfile::tempdir().expect("tmp");
    assert_eq!(
        toolwall::cli::audit::keygen(&keys.path().join("keys"), "test-audit"),
        0
    );
    let k = keys.path().display();
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        POLICY,
        &format!("audit: {{ dir: audit, key: {k}/keys/audit.key, hmac_key: {k}/keys/hmac.key }}"),
    )
    .await;
    for amount in [5, 500, 7] {
        let b = format!(r#"{{"charge":"ch_1","amount":{amount}}}"#);
        let _ = send(h.agent(), json_post("/echo/v1/refunds", &b)).await;
    }
    let audit_dir = h.dir.path().join("audit");
    let Harness { app, dir } = h;
    app.shutdown().await;
    let audit = audit_dir.to_str().expect("utf8").to_string();
    let (code, events, _, err) = export(&[&audit, "--format", "ocsf"]);
    assert_eq!((code, events.len()), (0, 3), "{err}");

    // one byte of the denied call's record: its amount 500 becomes 600
    let file = std::fs::read_dir(&audit_dir)
        .expect("dir")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .expect("a stream file");
    let text = std::fs::read_to_string(&file).expect("read");
    let at = text
        .find("\"amount\":500")
        .expect("the denied call's amount")
        + "\"amount\":".len();
    let mut bytes = text.into_bytes();
    bytes[at] = b'6';
    std::fs::write(&file, bytes).expect("write");

    let out_file = dir.path().join("events.jsonl");
    let (code, events, out, err) = export(&[
        &audit,
        "--format",
        "ocsf",
        "--out",
        out_file.to_str().expect("utf8"),
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(events.is_empty() && out.is_empty(), "{out}");
    assert!(
        !out_file.exists(),
        "nothing may be written for a stream that does not verify"
    );
    assert!(err.contains("does not verify; nothing exported"), "{err}");
    let (code, _, out, _) = export(&[&audit, "--format", "ocsf"]);
    assert_eq!((code, out.as_str()), (1, ""));
}

/// Each line of `--format otlp-logs` parsed by the protobuf runtime's strict JSON parser into
/// `ExportLogsServiceRequest` (opentelemetry-proto): an unknown field or a wrong type fails.
/// Returns the number of log records per line.
fn parse_otlp(out: &str) -> Vec<usize> {
    let script = r#"
import json, sys
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
counts = []
for line in sys.stdin.read().splitlines():
    req = json_format.Parse(line, ExportLogsServiceRequest())
    counts.append(sum(len(s.log_records) for r in req.resource_logs for s in r.scope_logs))
print(json.dumps(counts))
"#;
    let res = python_filter(script, out).unwrap_or_else(|e| panic!("not OTLP/JSON: {e}\n{out}"));
    serde_json::from_slice(&res).expect("counts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otlp_logs_export_is_valid_otlp_json_with_the_calls_attributes_and_trace() {
    let up = http_upstream().await;
    let keys = tempfile::tempdir().expect("tmp");
    assert_eq!(
        toolwall::cli::audit::keygen(&keys.path().join("keys"), "test-audit"),
        0
    );
    let k = keys.path().display();
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        POLICY,
        &format!(
            "audit: {{ dir: audit, key: {k}/keys/audit.key, hmac_key: {k}/keys/hmac.key, args: redacted }}"
        ),
    )
    .await;
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let body = |amount: &str| format!(r#"{{"charge":"{SECRET}","amount":{amount}}}"#);
    let mut allowed = call("POST", "/echo/v1/refunds", &body("5"), "run-o");
    allowed.headers_mut().insert(
        "traceparent",
        format!("00-{trace}-00f067aa0ba902b7-01")
            .parse()
            .expect("header"),
    );
    let ok = send(h.agent(), allowed).await;
    assert_eq!(ok.status, 200);
    let denied = send(
        h.agent(),
        call("POST", "/echo/v1/refunds", &body("500"), "run-o"),
    )
    .await;
    assert_eq!(denied.status, 403);
    let (ok_id, denied_id, denied_reasons) = (header_id(&ok), header_id(&denied), denied.reasons());
    let audit_dir = h.dir.path().join("audit");
    let Harness { app, dir: _dir } = h;
    app.shutdown().await;
    let audit = audit_dir.to_str().expect("utf8").to_string();
    let pubkey = keys.path().join("keys/audit.pub");

    let (code, out, err) = toolwall(&[
        "audit",
        "export",
        &audit,
        "--format",
        "otlp-logs",
        "--keys",
        pubkey.to_str().expect("utf8"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("exported 2 call(s) as OTLP/JSON log records"),
        "{err}"
    );
    assert_eq!(parse_otlp(&out), vec![2]);
    assert!(!out.contains(SECRET), "an argument left the stream: {out}");

    let req: Value = serde_json::from_str(out.trim()).expect("JSON");
    let logs = &req["resourceLogs"][0];
    assert_eq!(
        logs["resource"]["attributes"][0],
        serde_json::json!({"key": "service.name", "value": {"stringValue": "toolwall"}})
    );
    let records = logs["scopeLogs"][0]["logRecords"]
        .as_array()
        .expect("records");
    let attr = |r: &Value, k: &str| -> Value {
        r["attributes"]
            .as_array()
            .expect("attributes")
            .iter()
            .find(|a| a["key"] == k)
            .map(|a| a["value"].clone())
            .unwrap_or(Value::Null)
    };
    let by_id = |id: &str| {
        records
            .iter()
            .find(|r| attr(r, "toolwall.decision_id")["stringValue"] == id)
            .unwrap_or_else(|| panic!("no record for {id} in {out}"))
    };
    let a = by_id(&ok_id);
    assert_eq!(a["severityText"], "INFO");
    assert_eq!(a["severityNumber"], 9);
    assert_eq!(a["traceId"], trace, "the agent's trace");
    assert_eq!(attr(a, "toolwall.decision")["stringValue"], "allow");
    assert_eq!(attr(a, "gen_ai.tool.name")["stringValue"], "echo.refund");
    assert_eq!(
        attr(a, "gen_ai.operation.name")["stringValue"],
        "execute_tool"
    );
    assert_eq!(attr(a, "http.response.status_code")["intValue"], "200");
    assert_eq!(attr(a, "toolwall.run_id")["stringValue"], "run-o");
    assert!(a["timeUnixNano"].as_str().expect("time").len() >= 19);
    let d = by_id(&denied_id);
    assert_eq!(d["severityText"], "WARN");
    assert_eq!(attr(d, "toolwall.decision")["stringValue"], "deny");
    let listed = attr(d, "toolwall.reasons");
    let reasons: Vec<&str> = listed["arrayValue"]["values"]
        .as_array()
        .expect("reasons")
        .iter()
        .filter_map(|v| v["stringValue"].as_str())
        .collect();
    assert_eq!(reasons, denied_reasons);
    assert!(d.get("traceId").is_none_or(|t| t != trace), "{d}");
    // every record points back at its signed line
    for r in records {
        assert_eq!(
            attr(r, "toolwall.audit.entry_hash")["stringValue"]
                .as_str()
                .map(str::len),
            Some(64),
            "{r}"
        );
    }
}
