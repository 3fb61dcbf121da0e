//! HTTP `response_schema`: a tool's 2xx answer is read whole and checked against the schema
//! compiled with the config before any of it reaches the agent. A malformed answer (wrong
//! type, missing member, not JSON, compressed, too large, duplicate member) is refused 502,
//! its bytes never reach the client, the audit record names the violation (pointer and rule,
//! never the values) and the call's spend stands (the tool ran).

use bytes::Bytes;
use http::Response;
use http_body_util::Full;
use serde_json::Value;

use crate::common::*;

/// What the tool answers for `/<tool>/<kind>`: status, headers, body.
fn answer(kind: &str) -> (u16, Vec<(&'static str, &'static str)>, Bytes) {
    const JSON: (&str, &str) = ("content-type", "application/json");
    let body = |s: &'static str| Bytes::from_static(s.as_bytes());
    match kind {
        // odd spacing and member order: must arrive exactly as sent
        "good" => (
            200,
            vec![JSON],
            body("{ \"amount\" : 5,\n  \"id\":\"ch_1\", \"note\" : \"fine\"\t}"),
        ),
        "wrong_type" => (
            200,
            vec![JSON],
            body(r#"{"id":"ch_1","amount":"SECRET-amount-7781"}"#),
        ),
        "missing" => (200, vec![JSON], body(r#"{"id":"SECRET-id-7781"}"#)),
        "not_json" => (
            200,
            vec![("content-type", "text/html")],
            body("<html>SECRET-html-7781</html>"),
        ),
        "garbage" => (200, vec![JSON], body("SECRET-garbage-7781 {")),
        "duplicate" => (
            200,
            vec![JSON],
            body(r#"{"id":"ch_1","amount":5,"amount":"SECRET-dup-7781"}"#),
        ),
        // labelled gzip by a lax upstream that ignores `accept-encoding: identity`
        "gzip" => (
            200,
            vec![JSON, ("content-encoding", "gzip")],
            body(r#"{"id":"ch_1","amount":5,"note":"SECRET-gzip-7781"}"#),
        ),
        "stream" => (
            200,
            vec![("content-type", "text/event-stream")],
            body("data: {\"id\":\"SECRET-sse-7781\"}\n\n"),
        ),
        "extra_member" => (
            200,
            vec![JSON],
            body(r#"{"id":"ch_1","amount":5,"SECRET-member-7781":true}"#),
        ),
        "huge" => {
            let mut s = String::from(r#"{"id":"SECRET-huge-7781"#);
            s.push_str(&"a".repeat(17 << 20));
            s.push_str(r#"","amount":5}"#);
            (200, vec![JSON], Bytes::from(s))
        }
        "email_ok" => (
            200,
            vec![JSON],
            body(r#"{"id":"ch_1","amount":5,"note":"write to jane.doe@example.com"}"#),
        ),
        "email_bad" => (
            200,
            vec![JSON],
            body(r#"{"id":"jane.doe@example.com","amount":"SECRET-amount-7781"}"#),
        ),
        // an error answer is the tool's error, not its output: relayed unchecked
        "server_error" => (500, vec![JSON], body(r#"{"error":"upstream broke"}"#)),
        _ => (404, vec![JSON], body(r#"{"error":"no such answer"}"#)),
    }
}

/// A real upstream answering by the last path segment; records each request.
async fn tool_upstream() -> Upstream {
    scripted_upstream(|seen| {
        let path = seen.path_and_query.split('?').next().unwrap_or("");
        let (status, headers, body) = answer(path.rsplit('/').next().unwrap_or(""));
        let mut resp = Response::new(Full::new(body));
        *resp.status_mut() = http::StatusCode::from_u16(status).expect("status");
        for (k, v) in headers {
            resp.headers_mut().insert(k, v.parse().expect("hv"));
        }
        resp
    })
    .await
}

const RESPONSE_SCHEMA: &str = r#"{
  "type": "object",
  "properties": {
    "id": { "type": "string", "pattern": "^ch_" },
    "amount": { "type": "integer" },
    "note": { "type": "string" }
  },
  "required": ["id", "amount"],
  "additionalProperties": false
}"#;

/// `rs.checked` (inline response_schema), `rs.from_file` (the same schema from a file),
/// `rs.redacted` (checked, and policy redacts email in its answers), `rs.priced` (checked,
/// 0.01 USD a call) and `rs.unchecked` (no response_schema).
fn adapter(upstream: std::net::SocketAddr) -> String {
    format!(
        r#"name: rs
upstream: http://{upstream}
timeout: 5s
tools:
  - name: rs.checked
    match: {{ method: GET, path: "/checked/{{kind}}" }}
    args: query
    response_schema:
      type: object
      properties:
        id: {{ type: string, pattern: "^ch_" }}
        amount: {{ type: integer }}
        note: {{ type: string }}
      required: [id, amount]
      additionalProperties: false
  - name: rs.from_file
    match: {{ method: GET, path: "/from_file/{{kind}}" }}
    args: query
    response_schema: answer.schema.json
  - name: rs.redacted
    match: {{ method: GET, path: "/redacted/{{kind}}" }}
    args: query
    response_schema: answer.schema.json
  - name: rs.priced
    match: {{ method: GET, path: "/priced/{{kind}}" }}
    args: query
    cost_usd: 0.01
    response_schema: answer.schema.json
  - name: rs.unchecked
    match: {{ method: GET, path: "/unchecked/{{kind}}" }}
    args: query
"#
    )
}

const POLICY: &str = r#"
package toolwall
import rego.v1

default decision := {"allow": true, "reasons": []}

decision := {"allow": true, "reasons": [], "redact": ["email"]} if input.tool.name == "rs.redacted"
"#;

/// A signed audit stream (key and schema file in the returned directory), a budget of
/// 0.015 USD a day for the tenant.
async fn harness() -> (std::net::SocketAddr, Upstream, Harness, tempfile::TempDir) {
    let seen = tool_upstream().await;
    let up = seen.addr;
    let keys = tempfile::tempdir().expect("tmp");
    assert_eq!(toolwall::cli::audit::keygen(&keys.path().join("k"), "t"), 0);
    let extra = format!(
        "audit: {{ dir: audit, key: {}/k/audit.key }}\nlimits:\n  spend: [ {{ scope: tenant_day, max_usd: 0.015 }} ]\n",
        keys.path().display()
    );
    // the harness writes the adapter file itself: the schema file is named by absolute path
    let schema_path = keys.path().join("answer.schema.json");
    std::fs::write(&schema_path, RESPONSE_SCHEMA).expect("write");
    let yaml = adapter(up).replace(
        "response_schema: answer.schema.json",
        &format!("response_schema: {}", schema_path.display()),
    );
    let h = Harness::start(&[("rs", yaml)], POLICY, &extra).await;
    (up, seen, h, keys)
}

/// Shut the sidecar down; its audit stream's records.
async fn audit_of(h: Harness) -> (Vec<Value>, String) {
    let dir = h.dir.path().join("audit");
    let Harness { app, dir: root } = h;
    app.shutdown().await;
    let recs = audit_records(&dir);
    let text = recs
        .iter()
        .map(|r| r.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    drop(root);
    (recs, text)
}

fn decision_id(r: &Reply) -> String {
    r.headers
        .get("toolwall-decision-id")
        .and_then(|v| v.to_str().ok())
        .expect("decision id")
        .to_string()
}

fn outcome<'a>(recs: &'a [Value], id: &str) -> &'a Value {
    recs.iter()
        .find(|r| r["kind"] == "outcome" && r["decision_id"] == id)
        .unwrap_or_else(|| panic!("no outcome record for {id}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conforming_answer_reaches_the_agent_byte_for_byte() {
    let (_up, seen, h, _keys) = harness().await;
    for tool in ["checked", "from_file"] {
        let r = send(h.agent(), get(&format!("/rs/{tool}/good"))).await;
        assert_eq!(
            r.status,
            200,
            "{tool}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(&r.body[..], &answer("good").2[..], "{tool}");
    }
    // the answer was asked for uncompressed: it is to be read
    for headers in seen.requests().iter().map(|s| &s.headers) {
        assert_eq!(
            headers.get("accept-encoding").and_then(|v| v.to_str().ok()),
            Some("identity")
        );
    }
    // an error answer is relayed as the tool sent it
    let r = send(h.agent(), get("/rs/checked/server_error")).await;
    assert_eq!(r.status, 500);
    assert_eq!(&r.body[..], &answer("server_error").2[..]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_answer_is_refused_and_the_audit_names_the_violation() {
    let (_up, _seen, h, _keys) = harness().await;
    // (kind, reason, the violation's pointer and a word of its rule when the answer parsed)
    let cases = [
        (
            "wrong_type",
            "tool_output_invalid",
            Some(("/amount", "integer")),
        ),
        ("missing", "tool_output_invalid", Some(("", "required"))),
        (
            "extra_member",
            "tool_output_invalid",
            Some(("", "not allowed")),
        ),
        ("not_json", "tool_output_invalid", None),
        ("garbage", "tool_output_invalid", None),
        ("duplicate", "tool_output_invalid", None),
        ("stream", "tool_output_invalid", None),
        ("gzip", "response_not_inspectable", None),
        ("huge", "response_not_inspectable", None),
    ];
    let mut ids = Vec::new();
    for (kind, reason, violation) in cases {
        let r = send(h.agent(), get(&format!("/rs/checked/{kind}"))).await;
        let body = String::from_utf8_lossy(&r.body);
        assert_eq!(r.status, 502, "{kind}: {body}");
        assert_eq!(r.reasons(), vec![reason], "{kind}: {body}");
        assert_eq!(r.json()["error"]["type"], "upstream_error", "{kind}");
        assert!(
            !body.contains("SECRET"),
            "{kind}: the answer reached the agent: {body}"
        );
        assert!(r.body.len() < 4096, "{kind}: {} bytes", r.body.len());
        if let Some((pointer, rule)) = violation {
            let v = &r.json()["error"]["violations"][0];
            assert_eq!(v["instance_path"], pointer, "{kind}: {body}");
            assert!(
                v["message"].as_str().unwrap_or("").contains(rule),
                "{kind}: {body}"
            );
        }
        ids.push((kind, reason, violation, decision_id(&r)));
    }
    // the same answers without a response_schema pass (the check is the schema's)
    let r = send(h.agent(), get("/rs/unchecked/wrong_type")).await;
    assert_eq!(r.status, 200);
    assert_eq!(&r.body[..], &answer("wrong_type").2[..]);

    let (recs, text) = audit_of(h).await;
    assert!(
        !text.contains("SECRET"),
        "an answer's value in the audit stream"
    );
    for (kind, reason, violation, id) in ids {
        let o = outcome(&recs, &id);
        assert_eq!(o["status"], 502, "{kind}: {o}");
        assert_eq!(o["error"], reason, "{kind}: {o}");
        assert_eq!(o["tool"], "rs.checked", "{kind}: {o}");
        if let Some((pointer, rule)) = violation {
            assert_eq!(o["violations"][0]["instance_path"], pointer, "{kind}: {o}");
            assert!(
                o["violations"][0]["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains(rule),
                "{kind}: {o}"
            );
        }
        // the decision record was written ahead: the call was allowed and forwarded
        let d = recs
            .iter()
            .find(|r| r["kind"] == "decision" && r["decision_id"] == id.as_str())
            .expect("decision record");
        assert_eq!(d["decision"], "allow", "{kind}: {d}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_works_with_response_redaction() {
    let (_up, _seen, h, _keys) = harness().await;
    // conforming: checked as the tool sent it, then redacted
    let r = send(h.agent(), get("/rs/redacted/email_ok")).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    assert_eq!(v["note"], "write to [EMAIL]");
    assert_eq!(v["amount"], 5);
    // malformed: refused, and neither the email nor any other value reaches the agent
    let r = send(h.agent(), get("/rs/redacted/email_bad")).await;
    let body = String::from_utf8_lossy(&r.body).to_string();
    assert_eq!(r.status, 502, "{body}");
    assert_eq!(r.reasons(), vec!["tool_output_invalid"]);
    assert!(
        !body.contains("jane.doe") && !body.contains("SECRET"),
        "{body}"
    );
    let id = decision_id(&r);
    let (recs, text) = audit_of(h).await;
    assert!(
        !text.contains("jane.doe") && !text.contains("SECRET"),
        "{text}"
    );
    let o = outcome(&recs, &id);
    let pointers: Vec<&str> = o["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .filter_map(|v| v["instance_path"].as_str())
        .collect();
    assert!(
        pointers.contains(&"/id") && pointers.contains(&"/amount"),
        "{o}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_answer_still_counts_against_the_budget() {
    let (_up, seen, h, _keys) = harness().await;
    // 0.015 USD a day, 0.01 a call: the refused answer's call ran and its cost stands ...
    let r = send(h.agent(), get("/rs/priced/wrong_type")).await;
    assert_eq!(r.status, 502, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.reasons(), vec!["tool_output_invalid"]);
    // ... so the next call has no room and never reaches the tool
    let before = seen.requests().len();
    let r = send(h.agent(), get("/rs/priced/good")).await;
    assert_eq!(r.status, 429, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.reasons(), vec!["budget_exceeded"]);
    assert_eq!(seen.requests().len(), before);
}

/// Load a config whose adapter `rs` is `adapter`; the error text when it does not load.
fn load_error(adapter: &str, files: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    std::fs::create_dir_all(root.join("adapters")).expect("mkdir");
    std::fs::create_dir_all(root.join("policies")).expect("mkdir");
    std::fs::write(root.join("adapters/rs.yaml"), adapter).expect("write");
    for (name, text) in files {
        std::fs::write(root.join("adapters").join(name), text).expect("write");
    }
    std::fs::write(root.join("policies/toolwall.rego"), POLICY).expect("write");
    std::fs::write(
        root.join("toolwall.yaml"),
        format!("listen: 127.0.0.1:0\nadmin: 127.0.0.1:0\n{STATIC_IDENTITY}"),
    )
    .expect("write");
    match toolwall::config::load_snapshot(&root.join("toolwall.yaml"), true) {
        Ok(_) => String::new(),
        Err(e) => e.to_string(),
    }
}

#[test]
fn response_schema_is_resolved_and_compiled_at_load() {
    let tool = |schema: &str| {
        format!(
            "name: rs\nupstream: http://127.0.0.1:9\ntools:\n  - name: rs.t\n    match: {{ method: GET, path: /t }}\n    response_schema: {schema}\n"
        )
    };
    // a schema file next to the adapter file, as `schema:` resolves it
    assert_eq!(
        load_error(&tool("a.json"), &[("a.json", RESPONSE_SCHEMA)]),
        ""
    );
    // an invalid schema is a config error at the field's line
    let e = load_error(&tool("{ type: 7 }"), &[]);
    assert!(e.contains("rs.yaml:6:22:"), "{e}");
    assert!(e.contains("invalid response_schema"), "{e}");
    let e = load_error(&tool("missing.json"), &[]);
    assert!(
        e.contains("rs.yaml:6:22:") && e.contains("cannot be read"),
        "{e}"
    );
    let e = load_error(&tool("bad.json"), &[("bad.json", "{ nope")]);
    assert!(
        e.contains("bad.json") && e.contains("not valid JSON"),
        "{e}"
    );
    // MCP tools are checked against the outputSchema their server lists
    let mcp = "name: rs\nkind: mcp\nupstream: http://127.0.0.1:9/mcp\ntools:\n  - name: rs.t\n    response_schema: { type: object }\n";
    let e = load_error(mcp, &[]);
    assert!(e.contains("outputSchema"), "{e}");
}
