//! Staged autonomy: `mode: shadow|enforce` per adapter and per tool (the most specific wins,
//! decided once per call), and `dry_run: true` tools — decided, audited, never forwarded,
//! answered with the action proposal (HTTP and MCP, the MCP Python SDK as the client).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use serde_json::{json, Value};

use crate::common::*;

/// Adapter `pay` (`name`) in front of `upstream`: `pay.refund` and `pay.payout` (JSON) and
/// `pay.form_refund` (form), each with `extra_<tool>` lines added to its entry.
fn pay_adapter(name: &str, upstream: SocketAddr, adapter_extra: &str, tools: [&str; 3]) -> String {
    let [refund, payout, form_refund] = tools;
    format!(
        r#"name: {name}
upstream: http://{upstream}
timeout: 2s
{adapter_extra}
tools:
  - name: refund
    match: {{ method: POST, path: /v1/refunds }}
    schema:
      type: object
      properties: {{ charge: {{ type: string }}, amount: {{ type: integer }} }}
      required: [charge, amount]
{refund}
  - name: payout
    match: {{ method: POST, path: /v1/payouts }}
    schema:
      type: object
      properties: {{ charge: {{ type: string }}, amount: {{ type: integer }} }}
      required: [charge, amount]
{payout}
  - name: form_refund
    match: {{ method: POST, path: /v1/form_refunds }}
    args: form
    schema:
      type: object
      properties: {{ charge: {{ type: string }}, amount: {{ type: integer }} }}
      required: [charge, amount]
{form_refund}
"#
    )
}

/// Audit config with keys in `keys` (outside the harness dir, made before it).
fn audit_extra(keys: &Path) -> String {
    assert_eq!(toolwall::cli::audit::keygen(&keys.join("keys"), "t"), 0);
    format!(
        "audit: {{ dir: {0}/audit, key: {0}/keys/audit.key, hmac_key: {0}/keys/hmac.key }}\n",
        keys.display()
    )
}

fn post(target: &str, amount: u32) -> http::Request<Full<Bytes>> {
    json_post(target, &format!(r#"{{"charge":"ch_1","amount":{amount}}}"#))
}

fn decision_id(r: &Reply) -> String {
    r.headers
        .get("toolwall-decision-id")
        .and_then(|v| v.to_str().ok())
        .expect("decision id")
        .to_string()
}

async fn metrics(h: &Harness) -> String {
    String::from_utf8_lossy(&admin_get(h.admin(), "/metrics").await.body).to_string()
}

fn assert_metric(text: &str, line: &str) {
    assert!(text.contains(line), "no `{line}` in:\n{text}");
}

/// The `decision` and `outcome` records of one call in the audit stream.
fn records_of(dir: &Path, id: &str) -> (Value, Option<Value>) {
    let records = audit_records(dir);
    let of = |kind: &str| {
        records
            .iter()
            .find(|r| r["kind"] == kind && r["decision_id"] == id)
            .cloned()
    };
    let decision = of("decision").unwrap_or_else(|| panic!("no decision record for {id}"));
    (decision, of("outcome"))
}

/// `toolwall audit show DIR`, one line per call; the line of `id`.
fn audit_show_line(out: &str, id: &str) -> String {
    out.lines()
        .find(|l| l.contains(id))
        .unwrap_or_else(|| panic!("no line for {id} in:\n{out}"))
        .to_string()
}

fn audit_show(dir: &Path) -> String {
    let (code, out, err) = toolwall(&["audit", "show", dir.to_str().expect("utf8")]);
    assert_eq!(code, 0, "{err}");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shadowed_tool_forwards_while_its_neighbours_stay_enforced() {
    let up = http_upstream().await;
    let keys = tempfile::tempdir().expect("tmp");
    let adapter = pay_adapter("pay", up.addr, "", ["    mode: shadow", "", ""]);
    let h = Harness::start(&[("pay", adapter)], POLICY, &audit_extra(keys.path())).await;

    // the shadowed tool: the refusal is recorded, the call reaches the upstream as sent
    let shadowed = send(h.agent(), post("/pay/v1/refunds", 500)).await;
    assert_eq!(shadowed.status, 200, "{:?}", shadowed.body);
    let seen = up.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path_and_query, "/v1/refunds");
    let body: Value = serde_json::from_slice(&seen[0].body).expect("json");
    assert_eq!(body["amount"], 500);

    // the same refusal on another tool of the same adapter: enforced, nothing forwarded
    let enforced = send(h.agent(), post("/pay/v1/payouts", 500)).await;
    assert_eq!(enforced.status, 403);
    assert_eq!(enforced.reasons(), vec!["amount_exceeds_threshold"]);
    assert_eq!(up.requests().len(), 1, "the enforced tool was forwarded");

    // a request that names another method is not shadowed through the shadowed tool: a
    // lax upstream would act on it as another (enforced) tool
    let overridden = send(
        h.agent(),
        req("POST", "/pay/v1/refunds")
            .header("content-type", "application/json")
            .header("x-http-method-override", "DELETE")
            .body(Full::new(Bytes::from(r#"{"charge":"ch_1","amount":5}"#)))
            .expect("request"),
    )
    .await;
    assert_eq!(overridden.status, 400);
    assert_eq!(
        overridden.json()["error"]["reasons"][0],
        "ambiguous_request"
    );
    // …also when the method is named in the arguments (`_method`, read once the tool is known)
    let overridden = send(
        h.agent(),
        json_post(
            "/pay/v1/refunds",
            r#"{"charge":"ch_1","amount":5,"_method":"DELETE"}"#,
        ),
    )
    .await;
    assert_eq!(overridden.status, 400);
    assert_eq!(overridden.reasons(), vec!["ambiguous_request"]);
    // and a path no tool declares is not forwarded either
    let unknown = send(h.agent(), post("/pay/v1/refunds/x", 5)).await;
    assert_eq!(unknown.status, 403);
    assert_eq!(up.requests().len(), 1, "{:?}", up.requests());

    let m = metrics(&h).await;
    assert_metric(
        &m,
        r#"toolwall_tool_calls_total{tool="pay.refund",decision="shadow_refused",mode="shadow"} 1"#,
    );
    assert_metric(
        &m,
        r#"toolwall_tool_calls_total{tool="pay.payout",decision="deny",mode="enforce"} 1"#,
    );

    let Harness { app, dir: _dir } = h;
    app.shutdown().await;
    let audit = keys.path().join("audit");
    let (rec, _) = records_of(&audit, &decision_id(&shadowed));
    assert_eq!(rec["mode"], "shadow", "{rec}");
    assert_eq!(
        rec["shadow_would_refuse"],
        json!(["amount_exceeds_threshold"])
    );
    assert_eq!(rec["input"]["mode"], "shadow", "policy saw the call's mode");
    let (rec, outcome) = records_of(&audit, &decision_id(&enforced));
    assert_eq!(rec["mode"], "enforce", "{rec}");
    assert_eq!(rec["decision"], "deny");
    assert_eq!(rec["input"]["mode"], "enforce");
    assert!(outcome.is_none(), "a refused call has no outcome record");

    let out = audit_show(&audit);
    assert!(
        audit_show_line(&out, &decision_id(&shadowed))
            .contains("SHADOW would refuse [amount_exceeds_threshold]"),
        "{out}"
    );
    assert!(
        !audit_show_line(&out, &decision_id(&enforced)).contains("SHADOW"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adapter_in_shadow_mode_and_a_tool_that_enforces_in_it() {
    let shadow_up = http_upstream().await;
    let other_up = http_upstream().await;
    let h = Harness::start(
        &[
            (
                "pay",
                pay_adapter(
                    "pay",
                    shadow_up.addr,
                    "mode: shadow",
                    ["", "    mode: enforce", ""],
                ),
            ),
            ("bank", pay_adapter("bank", other_up.addr, "", ["", "", ""])),
        ],
        POLICY,
        "",
    )
    .await;

    // the adapter's mode: its tools' refusals are recorded and forwarded
    let r = send(h.agent(), post("/pay/v1/refunds", 500)).await;
    assert_eq!(r.status, 200);
    assert_eq!(shadow_up.requests().len(), 1);
    // …but its tool that says `mode: enforce` is enforced
    let r = send(h.agent(), post("/pay/v1/payouts", 500)).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.reasons(), vec!["amount_exceeds_threshold"]);
    assert_eq!(
        shadow_up.requests().len(),
        1,
        "the enforced tool was forwarded"
    );
    // …and no request that may act as it is forwarded through its shadowed neighbours
    let r = send(
        h.agent(),
        req("POST", "/pay/v1/refunds")
            .header("content-type", "application/json")
            .header("x-original-url", "/v1/payouts")
            .body(Full::new(Bytes::from(r#"{"charge":"ch_1","amount":500}"#)))
            .expect("request"),
    )
    .await;
    assert_eq!(r.status, 400);
    let r = send(h.agent(), post("/pay/v1/payouts/", 500)).await;
    assert_eq!(r.status, 403, "an undeclared path on the adapter");
    assert_eq!(shadow_up.requests().len(), 1, "{:?}", shadow_up.requests());
    // another adapter under the global mode (enforce)
    let r = send(h.agent(), post("/bank/v1/refunds", 500)).await;
    assert_eq!(r.status, 403);
    assert!(other_up.requests().is_empty());

    let m = metrics(&h).await;
    for line in [
        r#"toolwall_tool_calls_total{tool="pay.refund",decision="shadow_refused",mode="shadow"} 1"#,
        r#"toolwall_tool_calls_total{tool="pay.payout",decision="deny",mode="enforce"} 1"#,
        r#"toolwall_tool_calls_total{tool="bank.refund",decision="deny",mode="enforce"} 1"#,
    ] {
        assert_metric(&m, line);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_shadow_with_an_enforced_tool() {
    let up = http_upstream().await;
    let adapter = pay_adapter("pay", up.addr, "", ["", "    mode: enforce", ""]);
    let h = Harness::start(&[("pay", adapter)], POLICY, "mode: shadow\n").await;
    let r = send(h.agent(), post("/pay/v1/refunds", 500)).await;
    assert_eq!(r.status, 200);
    let r = send(h.agent(), post("/pay/v1/payouts", 500)).await;
    assert_eq!(r.status, 403);
    // refused before the tool is known (its headers are checked first): still not forwarded
    let r = send(
        h.agent(),
        req("POST", "/pay/v1/payouts")
            .header("content-type", "application/json")
            .header("x-http-method-override", "PUT")
            .body(Full::new(Bytes::from(r#"{"charge":"ch_1","amount":5}"#)))
            .expect("request"),
    )
    .await;
    assert_eq!(r.status, 400);
    let seen = up.requests();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].path_and_query, "/v1/refunds");
    let m = metrics(&h).await;
    assert_metric(
        &m,
        r#"toolwall_tool_calls_total{tool="pay.payout",decision="deny",mode="enforce"} 1"#,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_tool_is_decided_and_audited_never_forwarded() {
    let up = http_upstream().await;
    let keys = tempfile::tempdir().expect("tmp");
    let dry = "    dry_run: true\n    cost_usd: 1.0";
    let adapter = pay_adapter("pay", up.addr, "", ["", "", dry]);
    // one call's estimate fits the budget, two would not: a dry run spends nothing; rate
    // limits count dry runs like any call
    let extra = format!(
        "{}limits:\n  spend: [ {{ scope: tenant_day, max_usd: 1.5 }} ]\n  rate: [ {{ tool: pay.form_refund, per_minute: 3, burst: 3 }} ]\n",
        audit_extra(keys.path())
    );
    let h = Harness::start(&[("pay", adapter)], POLICY, &extra).await;
    let form = |amount: u32| {
        req("POST", "/pay/v1/form_refunds")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(format!(
                "charge=ch_1&amount={amount}"
            ))))
            .expect("request")
    };

    let first = send(h.agent(), form(5)).await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    assert_eq!(
        first.headers.get("content-type").map(|v| v.as_bytes()),
        Some(&b"application/json"[..])
    );
    let id = decision_id(&first);
    // the proposal: the validated arguments (the form's amount typed by the schema)
    assert_eq!(
        first.json(),
        json!({
            "dry_run": true,
            "tool": "pay.form_refund",
            "args": {"charge": "ch_1", "amount": 5},
            "decision": {"allow": true, "reasons": []},
            "decision_id": id,
        })
    );
    let second = send(h.agent(), form(6)).await;
    assert_eq!(second.status, 200, "the first dry run spent nothing");
    assert_eq!(second.json()["args"]["amount"], 6);

    // refused by policy: the normal refusal, not a proposal (and not rate counted)
    let denied = send(h.agent(), form(500)).await;
    assert_eq!(denied.status, 403);
    assert_eq!(denied.reasons(), vec!["amount_exceeds_threshold"]);
    assert!(denied.json().get("dry_run").is_none());

    let third = send(h.agent(), form(7)).await;
    assert_eq!(third.status, 200);
    let limited = send(h.agent(), form(8)).await;
    assert_eq!(limited.status, 429, "dry runs count against rate limits");
    assert_eq!(limited.reasons(), vec!["rate_limited"]);
    assert!(up.requests().is_empty(), "{:?}", up.requests());
    // the adapter's other tools are forwarded as usual
    let forwarded = send(h.agent(), post("/pay/v1/refunds", 5)).await;
    assert_eq!(forwarded.status, 200);
    let seen = up.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path_and_query, "/v1/refunds");

    let m = metrics(&h).await;
    assert_metric(
        &m,
        r#"toolwall_tool_calls_total{tool="pay.form_refund",decision="dry_run",mode="enforce"} 3"#,
    );
    assert!(
        !m.contains(r#"tool="pay.form_refund",decision="allow""#),
        "{m}"
    );

    let Harness { app, dir: _dir } = h;
    app.shutdown().await;
    let audit = keys.path().join("audit");
    let (rec, outcome) = records_of(&audit, &id);
    assert_eq!(rec["dry_run"], true, "{rec}");
    assert_eq!(rec["decision"], "allow");
    assert_eq!(rec["tool"], "pay.form_refund");
    let outcome = outcome.expect("outcome record");
    assert_eq!(outcome["dry_run"], true, "{outcome}");
    assert_eq!(outcome["status"], 200);
    let (rec, _) = records_of(&audit, &decision_id(&denied));
    assert_eq!(rec["decision"], "deny");
    assert_eq!(rec["dry_run"], true, "{rec}");

    let out = audit_show(&audit);
    assert!(audit_show_line(&out, &id).contains("DRY RUN"), "{out}");
    // a call of a tool that is not in dry run is not marked
    assert!(
        !audit_show_line(&out, &decision_id(&forwarded)).contains("DRY RUN"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_tool_in_shadow_mode_is_still_never_forwarded() {
    let up = http_upstream().await;
    let adapter = pay_adapter(
        "pay",
        up.addr,
        "",
        ["    mode: shadow\n    dry_run: true", "", ""],
    );
    let h = Harness::start(&[("pay", adapter)], POLICY, "").await;
    let r = send(h.agent(), post("/pay/v1/refunds", 500)).await;
    assert_eq!(r.status, 200);
    let id = decision_id(&r);
    assert_eq!(
        r.json(),
        json!({
            "dry_run": true,
            "tool": "pay.refund",
            "args": {"charge": "ch_1", "amount": 500},
            "decision": {"allow": false, "reasons": ["amount_exceeds_threshold"]},
            "decision_id": id,
        })
    );
    // the shadowed tool's other calls: not forwarded either
    let r = send(h.agent(), post("/pay/v1/refunds", 5)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["decision"]["allow"], true);
    assert!(up.requests().is_empty(), "{:?}", up.requests());
    let m = metrics(&h).await;
    assert_metric(
        &m,
        r#"toolwall_tool_calls_total{tool="pay.refund",decision="dry_run",mode="shadow"} 2"#,
    );
}

fn mcp_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp")
}

/// `tests/mcp/staged_server.py` on a free port; the tools/calls it ran are logged.
struct StagedServer {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl StagedServer {
    async fn start() -> StagedServer {
        let dir = tempfile::tempdir().expect("tmp");
        let log = dir.path().join("calls.jsonl");
        let port = free_port();
        let mut child = Command::new(python())
            .arg(mcp_dir().join("staged_server.py"))
            .arg(port.to_string())
            .env("MCP_TEST_LOG", &log)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the test Python runs");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                return StagedServer {
                    child,
                    addr,
                    log,
                    _dir: dir,
                };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the staged MCP test server did not start on {addr}");
    }

    /// The tool calls the server ran: `{tool, args}`.
    fn calls(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}

impl Drop for StagedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const MCP_POLICY: &str = r#"
package toolwall
import rego.v1

default decision := {"allow": false, "reasons": ["default_deny"]}

decision := {"allow": true, "reasons": ["within_limits"]} if input.args.amount <= 1000

decision := {"allow": false, "reasons": ["amount_exceeds_threshold"]} if input.args.amount > 1000
"#;

async fn staged_client(url: &str, mode: &str) -> Value {
    let (url, mode) = (url.to_string(), mode.to_string());
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python())
            .arg(mcp_dir().join("staged_client.py"))
            .args([&url, &mode])
            .output()
            .expect("the test Python runs")
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "staged_client.py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim().lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("staged_client.py printed no JSON ({e}):\n{stdout}"))
}

async fn mcp_dry_run_and_shadow(mode: &str) {
    let server = StagedServer::start().await;
    let keys = tempfile::tempdir().expect("tmp");
    let adapter = format!(
        "name: stage\nkind: mcp\nupstream: http://{}/mcp\ntimeout: 10s\ntools:\n  - {{ name: plan_refund, dry_run: true }}\n  - {{ name: refund, dry_run: true }}\n  - {{ name: payout, mode: shadow }}\n",
        server.addr
    );
    let h = Harness::start(&[("stage", adapter)], MCP_POLICY, &audit_extra(keys.path())).await;
    let out = staged_client(&format!("http://{}/stage/mcp", h.agent()), mode).await;
    assert_eq!(
        out["tools"],
        json!(["payout", "plan_refund", "refund"]),
        "{out}"
    );

    // a dry run: a result (not an error) whose structured content is the proposal
    let dry = &out["dry_run"];
    assert_eq!(dry["is_error"], false, "{out}");
    let proposal = &dry["structured"];
    assert_eq!(proposal["dry_run"], true, "{dry}");
    assert_eq!(proposal["tool"], "stage.plan_refund");
    assert_eq!(proposal["args"], json!({"charge": "ch_1", "amount": 5}));
    assert_eq!(
        proposal["decision"],
        json!({"allow": true, "reasons": ["within_limits"]})
    );
    let id = proposal["decision_id"].as_str().expect("decision id");
    let text: Value = serde_json::from_str(dry["text"].as_str().unwrap_or("")).expect("JSON");
    assert_eq!(&text, proposal, "the text content is the proposal's JSON");
    // refused by policy: the normal refusal
    let denied = &out["dry_run_denied"];
    assert_eq!(denied["is_error"], true, "{out}");
    assert!(
        denied["text"]
            .as_str()
            .unwrap_or("")
            .contains("amount_exceeds_threshold"),
        "{denied}"
    );
    assert!(denied["structured"].is_null(), "{denied}");
    // a tool with an outputSchema: the proposal is marked isError, so the client does not
    // take it for the tool's output (it checks a successful result against that schema)
    let schema = &out["dry_run_output_schema"];
    assert_eq!(schema["is_error"], true, "{out}");
    assert_eq!(schema["structured"]["dry_run"], true, "{schema}");
    assert_eq!(schema["structured"]["args"]["amount"], 7);
    // shadow mode on one tool: forwarded, the tool's own answer
    assert_eq!(out["shadowed"]["is_error"], false, "{out}");
    assert_eq!(out["shadowed"]["text"], "paid 5000 to acct_1");

    // the server ran the shadowed call only
    let calls = server.calls();
    assert_eq!(
        calls,
        vec![json!({"tool": "payout", "args": {"account": "acct_1", "amount": 5000}})],
        "{calls:?}"
    );

    // in a (2025-03-26) batch the proposal is an answer toolwall makes itself: nothing of the
    // batch is forwarded
    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
         "params": {"name": "plan_refund", "arguments": {"charge": "ch_3", "amount": 3}}},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
         "params": {"name": "payout", "arguments": {"account": "acct_2", "amount": 3}}},
    ]);
    let r = send(
        h.agent(),
        req("POST", "/stage/mcp")
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(Full::new(Bytes::from(batch.to_string())))
            .expect("request"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let answers = r.json();
    assert_eq!(answers[0]["id"], 1, "{answers}");
    assert_eq!(answers[0]["result"]["structuredContent"]["dry_run"], true);
    assert_eq!(
        answers[0]["result"]["structuredContent"]["args"]["charge"],
        "ch_3"
    );
    assert_eq!(answers[1]["id"], 2, "{answers}");
    assert!(
        answers[1]["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("not forwarded"),
        "{answers}"
    );
    assert_eq!(server.calls().len(), 1, "{:?}", server.calls());

    let m = metrics(&h).await;
    for line in [
        r#"toolwall_tool_calls_total{tool="stage.plan_refund",decision="dry_run",mode="enforce"} 2"#,
        r#"toolwall_tool_calls_total{tool="stage.plan_refund",decision="deny",mode="enforce"} 1"#,
        r#"toolwall_tool_calls_total{tool="stage.refund",decision="dry_run",mode="enforce"} 1"#,
        r#"toolwall_tool_calls_total{tool="stage.payout",decision="shadow_refused",mode="shadow"} 1"#,
    ] {
        assert_metric(&m, line);
    }
    let Harness { app, dir: _dir } = h;
    app.shutdown().await;
    let audit = keys.path().join("audit");
    let (rec, outcome) = records_of(&audit, id);
    assert_eq!(rec["dry_run"], true, "{rec}");
    assert_eq!(rec["mcp"]["name"], "plan_refund");
    assert_eq!(outcome.expect("outcome")["dry_run"], true);
    let out = audit_show(&audit);
    assert!(audit_show_line(&out, id).contains("DRY RUN"), "{out}");
    let shadowed = out
        .lines()
        .find(|l| l.contains("stage.payout"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        shadowed.contains("SHADOW would refuse [amount_exceeds_threshold]"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_dry_run_and_shadow_with_the_sdk_client() {
    mcp_dry_run_and_shadow("auto").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_dry_run_and_shadow_with_the_sdk_client_legacy() {
    mcp_dry_run_and_shadow("legacy").await;
}
