//! Audit hardening: no argument can remove its own record or the sidecar's readiness (numbers
//! beyond ±2^53 in every `audit.args` mode), replay is exact for them and never panics on a
//! malformed record, and a stream cut back to a checkpoint is detected.

use std::path::Path;

use serde_json::{json, Value};

use crate::common::*;

/// The calls: (body, expected status). Every unsafe number form, nested at any depth,
/// negative too, in allowed and denied calls.
const CALLS: &[(&str, u16)] = &[
    (
        r#"{"charge":"ch_1","amount":5,"meta":{"a":9007199254740993,"b":[1e17,{"c":-1e300}],"d":1e300}}"#,
        200,
    ),
    (
        r#"{"charge":"ch_1","amount":5,"meta":{"x":-9007199254740993}}"#,
        200,
    ),
    (r#"{"charge":"ch_1","amount":9007199254740993}"#, 403),
    (r#"{"charge":"ch_1","amount":1e17}"#, 403),
    (
        r#"{"charge":"ch_1","amount":500,"meta":{"deep":[[[{"n":[-1e300]}]]]}}"#,
        403,
    ),
];

fn lines(dir: &Path) -> Vec<Value> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("audit dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        for line in std::fs::read_to_string(f).expect("read").lines() {
            out.push(serde_json::from_str(line).expect("every line is JSON"));
        }
    }
    out
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8 path")
}

fn policy_dir(root: &Path, name: &str, policy: &str) -> std::path::PathBuf {
    let d = root.join(name);
    std::fs::create_dir_all(&d).expect("mkdir");
    std::fs::write(d.join("p.rego"), policy).expect("write policy");
    d
}

/// Run the calls through the app in `mode`, then check records, verify, readiness and replay.
async fn big_numbers_in_mode(mode: &str) {
    let up = http_upstream().await;
    let keys = tempfile::tempdir().expect("tmp");
    let k = keys.path();
    assert_eq!(toolwall::cli::audit::keygen(&k.join("keys"), "t"), 0);
    assert_eq!(toolwall::cli::audit::auditor_keygen(&k.join("auditor")), 0);
    let extra = format!(
        "audit: {{ dir: audit, key: {0}/keys/audit.key, hmac_key: {0}/keys/hmac.key, args: {mode}, auditor_key: {0}/auditor/auditor.pub, checkpoint: {{ every_records: 3 }} }}",
        k.display()
    );
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        POLICY,
        &extra,
    )
    .await;
    let mut ids = Vec::new();
    for (body, want) in CALLS {
        let r = send(h.agent(), json_post("/echo/v1/refunds", body)).await;
        assert_eq!(r.status.as_u16(), *want, "{mode}: {body}: {:?}", r.body);
        let id = r
            .headers
            .get("toolwall-decision-id")
            .and_then(|v| v.to_str().ok())
            .expect("decision id")
            .to_owned();
        ids.push(id);
        let ready = admin_get(h.admin(), "/readyz").await;
        assert_eq!(ready.status, 200, "{mode}: readiness after {body}");
    }
    assert_eq!(up.requests().len(), 2, "{mode}: only the allowed calls");
    let audit_dir = h.dir.path().join("audit");
    let Harness { app, dir } = h;
    app.shutdown().await;

    let recs = lines(&audit_dir);
    let decisions: Vec<&Value> = recs.iter().filter(|r| r["kind"] == "decision").collect();
    assert_eq!(
        decisions.len(),
        CALLS.len(),
        "{mode}: one decision per call"
    );
    for (id, (body, want)) in ids.iter().zip(CALLS) {
        let d = decisions
            .iter()
            .find(|d| d["decision_id"] == id.as_str())
            .unwrap_or_else(|| panic!("{mode}: no record for {body}"));
        let want_decision = if *want == 200 { "allow" } else { "deny" };
        assert_eq!(d["decision"], want_decision, "{mode}: {d}");
        if *want == 403 {
            assert_eq!(d["reasons"][0], "amount_exceeds_threshold", "{mode}: {d}");
        }
        if mode != "none" && mode != "encrypted" {
            // the listed pointers are exactly the numbers beyond 2^53, written losslessly
            let big = d["big_numbers"].as_array().expect("big_numbers").clone();
            assert!(!big.is_empty(), "{mode}: {d}");
            for p in &big {
                let v = d.pointer(p.as_str().expect("pointer")).expect("points");
                let text = v.as_str().expect("written as a string");
                let n: serde_json::Number = serde_json::from_str(text).expect("a number");
                assert!(n.as_f64().is_some_and(|f| f.abs() > 9.0e15), "{text}");
            }
        }
    }
    let first = decisions
        .iter()
        .find(|d| d["decision_id"] == ids[0].as_str())
        .expect("first");
    if mode == "hashed" || mode == "redacted" {
        assert_eq!(first["args"]["meta"]["a"], "9007199254740993", "{first}");
        assert_eq!(first["args"]["meta"]["b"][1]["c"], "-1e+300", "{first}");
    }
    let outcomes = recs.iter().filter(|r| r["kind"] == "outcome").count();
    assert_eq!(outcomes, 2, "{mode}");

    let pubkey = k.join("keys/audit.pub");
    let (code, out, err) = toolwall(&["audit", "verify", s(&audit_dir), "--keys", s(&pubkey)]);
    assert_eq!(code, 0, "{mode}: {out}{err}");

    if mode == "none" {
        return;
    }
    let auditor = k.join("auditor/auditor.key");
    let replay = |policies: &Path| {
        let mut args = vec!["replay", s(&audit_dir), "--policies", s(policies), "--json"];
        if mode == "encrypted" {
            args.extend(["--auditor-key", s(&auditor)]);
        }
        let (code, out, err) = toolwall(&args);
        let v: Value = serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("{mode}: replay output {e}: {out}{err}"));
        (code, v)
    };
    let same = policy_dir(dir.path(), "same", POLICY);
    let (code, v) = replay(&same);
    assert_eq!((code, &v["changed"]), (0, &json!(0)), "{mode}: {v}");
    assert_eq!(v["replayed"], json!(CALLS.len()), "{mode}: {v}");
    // Exact at the boundary: 9007199254740993 is still above 9007199254740992 (a rounded or
    // stringified replay would change this decision).
    let boundary = policy_dir(
        dir.path(),
        "boundary",
        &POLICY.replace("amount > 100", "amount > 9007199254740992"),
    );
    let (code, v) = replay(&boundary);
    let changed: Vec<&Value> = v["groups"][0]["changed"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    // only the call with amount 500 changes (500 is not above 2^53)
    assert_eq!((code, changed.len()), (1, 1), "{mode}: {v}");
    assert_eq!(changed[0]["decision_id"], ids[4].as_str(), "{mode}: {v}");
    // A policy that depends on the exact values: the 2^53+1 call is now allowed and the call
    // carrying -2^53-1 deep in its arguments is now denied.
    let exact = policy_dir(
        dir.path(),
        "exact",
        &POLICY.replace(
            "too_much if input.args.amount > 100",
            "too_much if input.args.amount > 9007199254740993\n\ntoo_much if input.args.meta.x < -9007199254740992\n\ntoo_much if input.args.amount == 500",
        ),
    );
    let (code, v) = replay(&exact);
    let mut got: Vec<(String, bool)> = v["groups"][0]["changed"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            (
                c["decision_id"].as_str().unwrap_or("").to_owned(),
                c["after"]["allow"] == true,
            )
        })
        .collect();
    got.sort();
    let mut want = vec![(ids[1].clone(), false), (ids[2].clone(), true)];
    want.sort();
    assert_eq!((code, got), (1, want), "{mode}: {v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_numbers_keep_their_record_and_readiness_args_hashed() {
    big_numbers_in_mode("hashed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_numbers_keep_their_record_and_readiness_args_redacted() {
    big_numbers_in_mode("redacted").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_numbers_keep_their_record_and_readiness_args_encrypted() {
    big_numbers_in_mode("encrypted").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_numbers_keep_their_record_and_readiness_args_none() {
    big_numbers_in_mode("none").await;
}

/// A valid chain (written by the chain writer, verified without keys) holding decision
/// records whose `input` is a string and an array: replay reports them, never panics.
#[test]
fn replay_reports_malformed_records_instead_of_panicking() {
    let dir = tempfile::tempdir().expect("tmp");
    let audit_dir = dir.path().join("audit");
    let signer = toolwall::audit::AuditSigner::from_seed("t", [3; 32]).expect("key");
    let mut w = toolwall::audit::ChainWriter::open(toolwall::audit::WriterOptions::new(
        &audit_dir, "audit", signer,
    ))
    .expect("open");
    let result = json!({"allow": true, "reasons": []});
    let bodies = [
        json!({"decision_id": "good", "tool": "echo.refund", "tenant_id": "acme",
               "input": {"tool": {"name": "echo.refund"}}, "args": {"amount": 5},
               "policy": {"result": result}}),
        json!({"decision_id": "string-input", "tool": "echo.refund",
               "input": "not an object", "policy": {"result": result}}),
        json!({"decision_id": "array-input", "tool": "echo.refund",
               "input": [1, 2], "policy": {"result": result}}),
        json!({"decision_id": "bad-pointer", "tool": "echo.refund",
               "input": {"tool": {"name": "echo.refund"}}, "args": {"amount": 5},
               "big_numbers": ["/args/amount"], "policy": {"result": result}}),
    ];
    for b in bodies {
        let Value::Object(m) = b else {
            panic!("object")
        };
        w.append(toolwall::audit::Kind::Decision, m)
            .expect("append");
    }
    w.close().expect("close");
    let (code, out, err) = toolwall(&["audit", "verify", s(&audit_dir)]);
    assert_eq!(code, 0, "the chain itself is valid: {out}{err}");
    let policies = policy_dir(dir.path(), "p", POLICY);
    for json_flag in [false, true] {
        let mut args = vec!["replay", s(&audit_dir), "--policies", s(&policies)];
        if json_flag {
            args.push("--json");
        }
        let (code, out, err) = toolwall(&args);
        assert_eq!(
            code, 1,
            "malformed records make the log invalid: {out}{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        for id in ["string-input", "array-input", "bad-pointer"] {
            assert!(
                err.contains(&format!("decision {id}:")),
                "{id} is reported: {err}"
            );
        }
        assert!(err.contains("audit-000001.jsonl:3:"), "located: {err}");
        if json_flag {
            let v: Value = serde_json::from_str(&out).expect("json");
            assert_eq!(v["replayed"], 1, "{v}");
            assert_eq!(v["malformed"].as_array().map(Vec::len), Some(3), "{v}");
        } else {
            assert!(out.contains("3 malformed decision record(s)"), "{out}");
        }
    }
    // a stream that does not verify is not replayed: exit 1, nothing evaluated
    let f = audit_dir.join("audit-000001.jsonl");
    let text = std::fs::read_to_string(&f).expect("read");
    std::fs::write(&f, text.replacen("good", "gooe", 1)).expect("tamper");
    let (code, out, err) = toolwall(&["replay", s(&audit_dir), "--policies", s(&policies)]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("does not verify"), "{err}");
    let (code, _, err) = toolwall(&[
        "replay",
        s(&dir.path().join("nope")),
        "--policies",
        s(&policies),
    ]);
    assert_eq!(code, 2, "{err}");
}

/// The app writes a stream and shuts down; the stream is cut back to an earlier checkpoint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_cut_back_to_a_checkpoint_is_detected() {
    let up = http_upstream().await;
    let keys = tempfile::tempdir().expect("tmp");
    let k = keys.path();
    assert_eq!(toolwall::cli::audit::keygen(&k.join("keys"), "t"), 0);
    let extra = format!(
        "audit: {{ dir: audit, key: {0}/keys/audit.key, hmac_key: {0}/keys/hmac.key, checkpoint: {{ every_records: 4 }} }}",
        k.display()
    );
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        POLICY,
        &extra,
    )
    .await;
    for amount in 1..=12 {
        let body = format!(r#"{{"charge":"ch_1","amount":{amount}}}"#);
        assert_eq!(
            send(h.agent(), json_post("/echo/v1/refunds", &body))
                .await
                .status,
            200
        );
    }
    let audit_dir = h.dir.path().join("audit");
    let Harness { app, dir } = h;
    app.shutdown().await;
    let pubkey = k.join("keys/audit.pub");
    let (code, out, err) = toolwall(&[
        "audit",
        "verify",
        s(&audit_dir),
        "--keys",
        s(&pubkey),
        "--json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    let size = v["streams"][0]["size"].as_u64().expect("size");
    let root = v["streams"][0]["root"].as_str().expect("root").to_owned();
    let stream = v["streams"][0]["stream"]
        .as_str()
        .expect("stream")
        .to_owned();
    assert_eq!(size, v["records"].as_u64().expect("records"));
    let (code, text, _) = toolwall(&["audit", "verify", s(&audit_dir), "--keys", s(&pubkey)]);
    assert_eq!(code, 0);
    assert!(
        text.contains(&format!("Stream {stream}: size {size} root {root}")),
        "{text}"
    );
    let size_s = size.to_string();
    let expect = [
        "--expect-size",
        size_s.as_str(),
        "--expect-root",
        root.as_str(),
    ];
    let mut args = vec!["audit", "verify", s(&audit_dir), "--keys", s(&pubkey)];
    args.extend(expect);
    let (code, out, err) = toolwall(&args);
    assert_eq!(code, 0, "the stored head matches: {out}{err}");

    // cut the file back to the checkpoint before the shutdown checkpoint
    let f = audit_dir.join(format!("{stream}-000001.jsonl"));
    let all: Vec<String> = std::fs::read_to_string(&f)
        .expect("read")
        .lines()
        .map(str::to_owned)
        .collect();
    let last = all.last().expect("lines");
    assert!(last.contains(r#""closed":true"#), "{last}");
    let keep = all[..all.len() - 1]
        .iter()
        .rposition(|l| l.contains(r#""kind":"checkpoint""#))
        .expect("an earlier checkpoint");
    assert!(keep + 1 < all.len() - 1, "records are cut");
    std::fs::write(&f, format!("{}\n", all[..=keep].join("\n"))).expect("cut");

    // the writer's clean-close marker catches it
    let (code, out, _) = toolwall(&["audit", "verify", s(&audit_dir), "--keys", s(&pubkey)]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("INVALID")
            && out.contains(&format!("closed stream {stream} cleanly at size {size}")),
        "{out}"
    );
    // and the app will not extend the cut stream
    let loaded =
        toolwall::config::load_snapshot(&dir.path().join("toolwall.yaml"), true).expect("config");
    let started = toolwall::app::start(loaded).await;
    let why = match started {
        Ok(app) => {
            app.shutdown().await;
            panic!("the app extended a stream cut after its clean close");
        }
        Err(e) => format!("{e:#}"),
    };
    assert!(why.contains("closed cleanly"), "{why}");

    // without the marker (say, a copy of the files), plain verify warns, and the stored
    // size and root name the truncation
    std::fs::remove_file(audit_dir.join(format!("{stream}.closed"))).expect("marker");
    let (code, out, _) = toolwall(&["audit", "verify", s(&audit_dir), "--keys", s(&pubkey)]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("does not end in a shutdown checkpoint"),
        "{out}"
    );
    let (code, out, _) = toolwall(&args);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("fewer than the {size} expected")) && out.contains("truncated"),
        "{out}"
    );
    let mut root_only = vec![
        "audit",
        "verify",
        s(&audit_dir),
        "--keys",
        s(&pubkey),
        "--json",
    ];
    root_only.extend(["--expect-root", root.as_str()]);
    let (code, out, _) = toolwall(&root_only);
    assert_eq!(code, 1, "{out}");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["error"]["reason"], "expected_root_mismatch", "{v}");
    let (code, _, err) = toolwall(&["audit", "verify", s(&audit_dir), "--expect-root", "xyz"]);
    assert_eq!(code, 2, "{err}");
}

/// The MCP path records the same way: a JSON-RPC id and arguments beyond ±2^53 (a lax
/// server that echoes the id) leave a record per call and readiness intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_calls_with_big_numbers_are_recorded() {
    const MCP_POLICY: &str = r#"
package toolwall
import rego.v1

default decision := {"allow": true, "reasons": []}

decision := {"allow": false, "reasons": ["amount_exceeds_threshold"]} if input.args.amount > 1000
"#;
    let server = lax_mcp_server().await;
    let keys = tempfile::tempdir().expect("tmp");
    let k = keys.path();
    assert_eq!(toolwall::cli::audit::keygen(&k.join("keys"), "t"), 0);
    let extra = format!(
        "audit: {{ dir: audit, key: {0}/keys/audit.key, hmac_key: {0}/keys/hmac.key }}",
        k.display()
    );
    let adapter = format!(
        "name: crm\nkind: mcp\nupstream: http://{}/mcp\ntimeout: 10s\ntools:\n  - name: refund\n",
        server.addr
    );
    let h = Harness::start(&[("crm", adapter)], MCP_POLICY, &extra).await;
    let meta = r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#;
    let calls = [
        (
            "9007199254740993",
            r#"{"charge":"ch_1","amount":5,"meta":{"n":[1e300,-9007199254740993]}}"#,
        ),
        ("-9007199254740993", r#"{"charge":"ch_1","amount":1e17}"#),
    ];
    let mut ids = Vec::new();
    for (id, args) in calls {
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"refund","arguments":{args},{meta}}}}}"#
        );
        let r = send(
            h.agent(),
            req("POST", "/crm/mcp")
                .header("content-type", "application/json")
                .header("accept", "application/json, text/event-stream")
                .header("mcp-protocol-version", "2026-07-28")
                .header("mcp-method", "tools/call")
                .header("mcp-name", "refund")
                .body(http_body_util::Full::new(bytes::Bytes::from(body)))
                .expect("request"),
        )
        .await;
        assert_ne!(r.status.as_u16(), 503, "{:?}", r.body);
        assert_ne!(r.status.as_u16(), 500, "{:?}", r.body);
        ids.push(
            r.headers
                .get("toolwall-decision-id")
                .and_then(|v| v.to_str().ok())
                .expect("decision id")
                .to_owned(),
        );
        assert_eq!(admin_get(h.admin(), "/readyz").await.status, 200);
    }
    let seen = server.calls();
    let audit_dir = h.dir.path().join("audit");
    let Harness { app, dir: _dir } = h;
    app.shutdown().await;
    let recs = lines(&audit_dir);
    for (id, want) in ids.iter().zip(["allow", "deny"]) {
        let d = recs
            .iter()
            .find(|r| r["kind"] == "decision" && r["decision_id"] == id.as_str())
            .unwrap_or_else(|| panic!("no record for {id}"));
        assert_eq!(d["decision"], want, "{d}");
        assert!(
            d["big_numbers"].as_array().is_some_and(|b| !b.is_empty()),
            "{d}"
        );
    }
    let tools_calls = recs
        .iter()
        .filter(|r| r["kind"] == "decision" && r["mcp"]["method"] == "tools/call")
        .count();
    assert_eq!(tools_calls, 2, "one decision per call: {recs:?}");
    // only the allowed call reached the server, with its id and numbers as sent
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(
        seen[0].contains(r#""id":9007199254740993,"#)
            && seen[0].contains("[1e+300,-9007199254740993]"),
        "{}",
        seen[0]
    );
    let pubkey = k.join("keys/audit.pub");
    let (code, out, err) = toolwall(&["audit", "verify", s(&audit_dir), "--keys", s(&pubkey)]);
    assert_eq!(code, 0, "{out}{err}");
}

/// A deliberately lax JSON-RPC MCP server: answers `tools/list` with one tool `refund`, and any
/// other request with a text result under the request's own id (echoed exactly as sent);
/// keeps the raw bodies of the `tools/call` requests it received.
struct LaxMcp {
    addr: std::net::SocketAddr,
    calls: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl LaxMcp {
    fn calls(&self) -> Vec<String> {
        self.calls.lock().expect("lock").clone()
    }
}

async fn lax_mcp_server() -> LaxMcp {
    use http_body_util::BodyExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let calls = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let c = calls.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let c = c.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(
                    move |req: http::Request<hyper::body::Incoming>| {
                        let c = c.clone();
                        async move {
                            let body = req
                                .into_body()
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            let text = String::from_utf8_lossy(&body).to_string();
                            let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                            let id = v.get("id").cloned().unwrap_or(Value::Null);
                            let result = match v["method"].as_str() {
                                Some("tools/list") => json!({"tools": [{
                                    "name": "refund",
                                    "description": "Refund a charge",
                                    "inputSchema": {"type": "object"}
                                }]}),
                                Some("initialize") => json!({
                                    "protocolVersion": "2026-07-28",
                                    "capabilities": {"tools": {}},
                                    "serverInfo": {"name": "lax", "version": "1"}
                                }),
                                _ => {
                                    if v["method"] == "tools/call" {
                                        c.lock().expect("lock").push(text.clone());
                                    }
                                    json!({"content": [{"type": "text", "text": "ok"}], "isError": false})
                                }
                            };
                            let out = json!({"jsonrpc": "2.0", "id": id, "result": result});
                            let mut resp = http::Response::new(http_body_util::Full::new(
                                bytes::Bytes::from(out.to_string()),
                            ));
                            resp.headers_mut().insert(
                                "content-type",
                                http::HeaderValue::from_static("application/json"),
                            );
                            Ok::<_, std::convert::Infallible>(resp)
                        }
                    },
                );
                let _ = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                )
                .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                .await;
            });
        }
    });
    LaxMcp { addr, calls }
}
