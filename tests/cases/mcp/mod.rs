//! MCP interop: the real MCP Python SDK (PyPI `mcp` 2.x) as server (`tests/mcp/server.py`, an
//! `MCPServer` over Streamable HTTP) and as client (`tests/mcp/client.py`, `mcp.Client` in its
//! default 2026-07-28 mode and its legacy 2025-11-25 mode), with toolwall between them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use serde_json::{json, Value};

use crate::common::*;

/// The MCP test policy: refunds over 1000 and mail outside acme.test denied; `admin_reset`
/// hidden from tools/list (and denied); elicitations about wires denied; secret resources and
/// the `forbidden` prompt denied; `lookup_customer` answers have emails masked.
pub const MCP_POLICY: &str = r#"
package toolwall
import rego.v1

default decision := {"allow": false, "reasons": ["default_deny"]}

decision := {"allow": true, "reasons": [], "redact": redact} if count(deny) == 0

decision := {"allow": false, "reasons": sort([r | some r in deny])} if count(deny) > 0

deny contains "amount_exceeds_threshold" if {
	input.tool.name == "crm.refund"
	input.args.amount > 1000
}

deny contains "external_recipient" if {
	input.tool.name == "crm.send_email"
	not endswith(input.args.to, "@acme.test")
}

deny contains "operators_only" if input.tool.name == "crm.admin_reset"

deny contains "elicitation_blocked" if {
	input.tool.name == "crm.elicitation/create"
	contains(input.args.message, "wire")
}

deny contains "secret_resource" if {
	input.tool.name == "crm.resources/read"
	startswith(input.args.uri, "crm://customers/secret")
}

deny contains "prompt_blocked" if {
	input.tool.name == "crm.prompts/get"
	input.args.name == "forbidden"
}

default redact := []

redact := ["email"] if input.tool.name in {"crm.lookup_customer", "crm.notify"}

default tool_visible := true

tool_visible := false if input.tool.name == "crm.admin_reset"
"#;

fn mcp_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp")
}

/// `tests/mcp/server.py` on a free port; every HTTP request it receives is logged.
pub struct McpServer {
    child: Child,
    pub addr: SocketAddr,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl McpServer {
    pub async fn start() -> McpServer {
        // The probed port can be taken by another test's listener before Python binds it:
        // then the server exits, and the listener that answers is not ours. Try another port.
        for _ in 0..5 {
            if let Some(s) = Self::try_start().await {
                return s;
            }
        }
        panic!("the MCP test server did not start (run `bash .ci/run` once: it makes the test virtualenv)");
    }

    async fn try_start() -> Option<McpServer> {
        let dir = tempfile::tempdir().expect("tmp");
        let log = dir.path().join("requests.jsonl");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut child = Command::new(crate::common::python())
            .arg(mcp_dir().join("server.py"))
            .arg(port.to_string())
            .env("MCP_TEST_LOG", &log)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the test Python runs (bash .ci/run makes target/ci-venv; see tests/common/mod.rs: python())");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                // ours only if Python is still running once the port answers
                tokio::time::sleep(Duration::from_millis(300)).await;
                if matches!(child.try_wait(), Ok(None)) {
                    return Some(McpServer {
                        child,
                        addr,
                        log,
                        _dir: dir,
                    });
                }
                break;
            }
            if !matches!(child.try_wait(), Ok(None)) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }

    /// Every request the server received: `{method, path, headers, body}`.
    pub fn requests(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Bodies of the `tools/call` requests that reached the server.
    pub fn tool_calls(&self) -> Vec<Value> {
        self.requests()
            .iter()
            .filter_map(|r| {
                r["body"]
                    .as_str()
                    .and_then(|b| serde_json::from_str(b).ok())
            })
            .flat_map(|v: Value| match v {
                Value::Array(a) => a,
                v => vec![v],
            })
            .filter(|m| m["method"] == "tools/call")
            .collect()
    }
}

impl Drop for McpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn crm_adapter(server: SocketAddr, extra: &str) -> String {
    format!(
        "name: crm\nkind: mcp\nupstream: http://{server}/mcp\ntimeout: 10s\n{extra}\ntools:\n  - name: refund\n    cost_usd: 0.01\n    risk: {{ financial: true }}\n"
    )
}

/// Audit config with keys in `keys` (outside the harness dir, made before it).
fn audit_extra(keys: &Path) -> String {
    assert_eq!(toolwall::cli::audit::keygen(&keys.join("keys"), "t"), 0);
    format!(
        "audit: {{ dir: {0}/audit, key: {0}/keys/audit.key, hmac_key: {0}/keys/hmac.key }}",
        keys.display()
    )
}

async fn run_client(url: &str, admin: &str, mode: &str) -> Value {
    let (url, admin, mode) = (url.to_string(), admin.to_string(), mode.to_string());
    let token = admin
        .trim_start_matches("http://")
        .parse()
        .ok()
        .and_then(crate::common::admin_token_for)
        .unwrap_or_default();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(crate::common::python())
            .arg(mcp_dir().join("client.py"))
            .args([&url, &admin, &mode])
            .env("TOOLWALL_ADMIN_TOKEN", &token)
            .output()
            .expect("the test Python runs")
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "client.py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim().lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("client.py printed no JSON ({e}):\n{stdout}"))
}

fn text(v: &Value) -> &str {
    v["text"].as_str().unwrap_or("")
}

async fn sdk_client_through_toolwall(mode: &str, expect_version: &str) {
    let server = McpServer::start().await;
    let keys = tempfile::tempdir().expect("tmp");
    let h = Harness::start(
        &[("crm", crm_adapter(server.addr, ""))],
        MCP_POLICY,
        &audit_extra(keys.path()),
    )
    .await;
    let url = format!("http://{}/crm/mcp", h.agent());
    let admin = format!("http://{}", h.admin());
    let out = run_client(&url, &admin, mode).await;

    assert_eq!(out["protocol_version"], expect_version, "{out}");
    // tools/list filtered by tool_visible
    let tools: Vec<&str> = out["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        tools.contains(&"refund") && tools.contains(&"mutable"),
        "{tools:?}"
    );
    assert!(
        !tools.contains(&"admin_reset"),
        "hidden tool listed: {tools:?}"
    );
    // allowed call returns the tool's result
    assert_eq!(out["allowed"]["is_error"], false, "{out}");
    assert_eq!(text(&out["allowed"]), "refunded 5 on ch_1");
    // policy denial is an isError result naming the reason and the decision
    assert_eq!(out["denied"]["is_error"], true);
    assert!(
        text(&out["denied"]).contains("amount_exceeds_threshold"),
        "{}",
        out["denied"]
    );
    assert!(text(&out["denied"]).contains("decision_id"));
    // schema-invalid arguments are refused before the server sees them
    assert_eq!(out["schema_invalid"]["is_error"], true);
    assert!(text(&out["schema_invalid"]).contains("schema_invalid"));
    assert!(
        text(&out["hidden_tool"]).contains("operators_only"),
        "{}",
        out["hidden_tool"]
    );
    assert!(text(&out["email_denied"]).contains("external_recipient"));
    let calls = server.tool_calls();
    for c in &calls {
        let args = &c["params"]["arguments"];
        assert_ne!(
            args["amount"],
            json!("lots"),
            "schema-invalid call reached the server"
        );
        assert_ne!(
            args["amount"],
            json!(5000),
            "denied call reached the server"
        );
        assert_ne!(
            c["params"]["name"], "admin_reset",
            "denied call reached the server"
        );
        assert_ne!(
            args["to"], "eve@evil.test",
            "denied call reached the server"
        );
    }
    // policy asked for emails to be masked in the answer: text and structured content
    assert!(
        !out["redacted"].to_string().contains("ada@example.com"),
        "{}",
        out["redacted"]
    );
    assert_eq!(out["redacted"]["structured"]["email"], "[EMAIL]");
    assert_eq!(out["redacted"]["structured"]["tier"], "gold");
    // redacted arguments: the body and its mirrored Mcp-Param-To header stay consistent (the
    // SDK server checks the header against the body on 2026-07-28 and would refuse)
    assert_eq!(
        text(&out["notify"]),
        "notified [EMAIL]: hi",
        "{}",
        out["notify"]
    );
    let notify: Vec<Value> = server
        .requests()
        .into_iter()
        .filter(|r| r["body"].as_str().unwrap_or("").contains("\"notify\""))
        .collect();
    assert!(!notify.is_empty());
    for r in &notify {
        assert!(
            !r["body"].as_str().unwrap_or("").contains("ada@example.com"),
            "{r}"
        );
        if mode == "auto" {
            assert_eq!(r["headers"]["mcp-param-to"], "[EMAIL]", "{r}");
        }
    }
    // a result that breaks its outputSchema is replaced by an error result
    assert_eq!(out["bad_output"]["is_error"], true);
    assert!(
        text(&out["bad_output"]).contains("tool_output_invalid"),
        "{}",
        out["bad_output"]
    );
    // progress notifications over SSE arrive in order, before the result
    assert_eq!(
        out["progress"]["values"],
        json!([1.0, 2.0, 3.0, 4.0]),
        "{}",
        out["progress"]
    );
    assert_eq!(
        out["progress"]["events"]
            .as_array()
            .map(|a| a.last().cloned()),
        Some(Some(json!("result")))
    );
    assert_eq!(text(&out["progress"]["result"]), "counted to 4");
    // resources/read and prompts/get are decided too
    assert!(out["resource_allowed"][0]
        .as_str()
        .unwrap_or("")
        .contains("Ada"));
    assert!(
        out["resource_denied"]
            .as_str()
            .unwrap_or("")
            .contains("secret_resource"),
        "{}",
        out["resource_denied"]
    );
    assert_eq!(out["prompt_allowed"][0], "Summarise customer c9");
    // rug pull: the changed definition is withheld and its calls refused until re-pinned
    assert_eq!(text(&out["mutable_before"]), "mutable says 1");
    let after: Vec<&str> = out["tools_after_change"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        !after.contains(&"mutable"),
        "changed tool still listed: {after:?}"
    );
    assert!(after.contains(&"refund"));
    if mode == "legacy" {
        assert!(
            out["notifications"]
                .as_array()
                .is_some_and(|n| n.contains(&json!("notifications/tools/list_changed"))),
            "list_changed reached the client: {}",
            out["notifications"]
        );
        assert!(
            text(&out["mutable_unlisted"]).contains("tool_definition_changed"),
            "{}",
            out["mutable_unlisted"]
        );
    }
    assert_eq!(out["mutable_changed"]["is_error"], true);
    assert!(
        text(&out["mutable_changed"]).contains("tool_definition_changed"),
        "{}",
        out["mutable_changed"]
    );
    assert_eq!(out["repin"]["status"], 200, "{}", out["repin"]);
    assert_eq!(
        out["repin"]["body"]["repinned"][0]["name"], "mutable",
        "{}",
        out["repin"]
    );
    let repinned: Vec<&str> = out["tools_after_repin"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(repinned.contains(&"mutable"), "{repinned:?}");
    assert_eq!(
        text(&out["mutable_repinned"]),
        "mutable says 3",
        "{}",
        out["mutable_repinned"]
    );
    assert!(
        !calls.iter().any(|c| c["params"]["arguments"]["x"] == "2"
            || (mode == "legacy" && c["params"]["arguments"]["x"] == "1b")),
        "a call to the changed tool reached the server"
    );
    if mode == "legacy" {
        // server-to-client requests on the SSE stream are decided by policy
        assert_eq!(
            text(&out["elicit_allowed"]),
            "elicitation accept",
            "{}",
            out["elicit_allowed"]
        );
        assert!(
            text(&out["elicit_denied"]).contains("elicitation_blocked"),
            "{}",
            out["elicit_denied"]
        );
        assert_eq!(
            out["elicited"],
            json!(["Refund 5 cents?"]),
            "the denied elicitation reached the client"
        );
    }

    // the audit stream: every decided call, the definition change with both hashes
    let dir = keys.path().join("audit");
    let mut records = Vec::new();
    for _ in 0..50 {
        records = audit_records(&dir);
        if records
            .iter()
            .any(|r| r["kind"] == "event" && r["event"] == "admin.mcp_repin")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // the refused call is a decision record, the withheld listing an event (not a call)
    let refused: Vec<&Value> = records
        .iter()
        .filter(|r| r["kind"] == "decision" && r["reason"] == "tool_definition_changed")
        .collect();
    let withheld: Vec<&Value> = records
        .iter()
        .filter(|r| {
            r["kind"] == "event"
                && r["event"] == "mcp.tool_withheld"
                && r["detail"]["reason"] == "tool_definition_changed"
        })
        .collect();
    assert!(!refused.is_empty(), "the call is audited: {records:#?}");
    assert!(!withheld.is_empty(), "the listing is audited: {records:#?}");
    let hashes = refused
        .iter()
        .map(|r| (&r["mcp"]["definition"], &r["mcp"]["pinned_definition"]))
        .chain(withheld.iter().map(|r| {
            (
                &r["detail"]["definition"],
                &r["detail"]["pinned_definition"],
            )
        }));
    for (seen, pinned) in hashes {
        let r = json!({"definition": seen, "pinned_definition": pinned});
        assert!(
            seen.as_str().is_some_and(|s| s.starts_with("sha256:")),
            "{r}"
        );
        assert!(
            pinned.as_str().is_some_and(|s| s.starts_with("sha256:")),
            "{r}"
        );
        assert_ne!(seen, pinned);
    }
    assert!(records
        .iter()
        .any(|r| r["tool"] == "crm.refund" && r["reasons"] == json!(["amount_exceeds_threshold"])));
    let repin = records
        .iter()
        .find(|r| r["kind"] == "event" && r["event"] == "admin.mcp_repin")
        .expect("the operator's re-pin is an event");
    assert_eq!(repin["detail"]["name"], "mutable", "{repin}");
    assert_eq!(repin["tool"], "crm.mutable", "{repin}");
    assert_ne!(
        repin["detail"]["definition"],
        repin["detail"]["pinned_definition"]
    );
    // events are not calls: no decision record names the operator's action
    assert!(!records
        .iter()
        .any(|r| r["kind"] == "decision" && r["mcp"]["method"] == "admin/pin"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_client_2026_07_28_through_toolwall() {
    sdk_client_through_toolwall("auto", "2026-07-28").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_client_legacy_2025_11_25_through_toolwall() {
    sdk_client_through_toolwall("legacy", "2025-11-25").await;
}

mod protocol;
