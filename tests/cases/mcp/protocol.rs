//! MCP protocol checks with the real SDK server: malformed messages, batches, header mismatches; `pin: auto` and pins across a restart.

use super::*;

fn mcp_post(target: &str, headers: &[(&str, &str)], body: &str) -> http::Request<Full<Bytes>> {
    let mut b = req("POST", target)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Full::new(Bytes::from(body.to_string())))
        .expect("request")
}

/// JSON-RPC messages of a reply, whether JSON or SSE.
fn messages(r: &Reply) -> Vec<Value> {
    let text = String::from_utf8_lossy(&r.body);
    let is_sse = r
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/event-stream"));
    if !is_sse {
        return match serde_json::from_slice::<Value>(&r.body) {
            Ok(Value::Array(a)) => a,
            Ok(v) => vec![v],
            Err(_) => Vec::new(),
        };
    }
    text.split("\n\n")
        .filter_map(|ev| {
            let data: Vec<&str> = ev
                .lines()
                .filter_map(|l| l.trim_end_matches('\r').strip_prefix("data:"))
                .map(str::trim_start)
                .collect();
            serde_json::from_str(&data.join("\n")).ok()
        })
        .collect()
}

const META: &str = r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_messages_batches_and_header_mismatches_never_reach_the_server() {
    let server = McpServer::start().await;
    let h = Harness::start(&[("crm", crm_adapter(server.addr, ""))], MCP_POLICY, "").await;
    let ep = "/crm/mcp";
    let modern = [("mcp-protocol-version", "2026-07-28")];

    // not JSON, not JSON-RPC
    let r = send(h.agent(), mcp_post(ep, &modern, "{nope")).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["code"], -32700);
    let r = send(
        h.agent(),
        mcp_post(ep, &modern, r#"{"id":1,"method":"tools/call"}"#),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["code"], -32600);
    let r = send(h.agent(), mcp_post(ep, &modern, r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"refund","name":"mutate"}}"#)).await;
    assert_eq!(r.status, 400, "duplicate keys are refused");

    // 2026-07-28: Mcp-Method / Mcp-Name must match the body
    let call = |name: &str, amount: i64| {
        format!(
            r#"{{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{{"name":"{name}","arguments":{{"charge":"ch_1","amount":{amount}}},{META}}}}}"#
        )
    };
    let refused: [(&[(&str, &str)], &str); 3] = [
        (
            &[
                modern[0],
                ("mcp-method", "tools/call"),
                ("mcp-name", "send_email"),
            ],
            "Mcp-Name must match params.name",
        ),
        (
            &[modern[0], ("mcp-name", "refund")],
            "Mcp-Method is required",
        ),
        (
            &[
                modern[0],
                ("mcp-method", "tools/call"),
                ("mcp-name", "refund"),
                ("mcp-param-amount", "5"),
            ],
            "an Mcp-Param header no argument declares",
        ),
    ];
    for (headers, why) in refused {
        let r = send(h.agent(), mcp_post(ep, headers, &call("refund", 5))).await;
        assert_eq!(r.status, 400, "{why}: {}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.json()["error"]["code"], -32020, "{why}");
    }
    // and the same call, consistent, goes through
    let r = send(
        h.agent(),
        mcp_post(
            ep,
            &[
                modern[0],
                ("mcp-method", "tools/call"),
                ("mcp-name", "refund"),
            ],
            &call("refund", 5),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let m = messages(&r);
    assert_eq!(
        m.last().map(|m| m["result"]["isError"].clone()),
        Some(json!(false)),
        "{m:?}"
    );
    assert_eq!(
        server.tool_calls().len(),
        1,
        "only the consistent call reached the server"
    );

    // legacy session: a batch with one forbidden element is refused whole
    let init = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}"#;
    let r = send(h.agent(), mcp_post(ep, &[], init)).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let sid = r
        .headers
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .expect("session id")
        .to_string();
    let session = [
        ("mcp-session-id", sid.as_str()),
        ("mcp-protocol-version", "2025-11-25"),
    ];
    let r = send(
        h.agent(),
        mcp_post(
            ep,
            &session,
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        ),
    )
    .await;
    assert!(r.status.is_success(), "{}", r.status);
    let batch = r#"[
        {"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"refund","arguments":{"charge":"ch_1","amount":6}}},
        {"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"refund","arguments":{"charge":"ch_1","amount":9000}}},
        {"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1}}
    ]"#;
    let before = server.tool_calls().len();
    let r = send(h.agent(), mcp_post(ep, &session, batch)).await;
    assert_eq!(r.status, 200);
    let answers = r.json();
    let answers = answers.as_array().expect("one answer per request");
    assert_eq!(answers.len(), 2, "{answers:?}");
    let by_id = |id: i64| {
        answers
            .iter()
            .find(|a| a["id"] == id)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(by_id(11)["result"]["isError"], true);
    assert!(by_id(11)["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or("")
        .contains("amount_exceeds_threshold"));
    assert_eq!(by_id(10)["error"]["code"], -32003, "{:?}", by_id(10));
    assert_eq!(
        server.tool_calls().len(),
        before,
        "no element of a refused batch was forwarded"
    );

    // GET (the server's stream) and DELETE pass with the session
    let r = send(
        h.agent(),
        req("DELETE", ep)
            .header("mcp-session-id", sid.as_str())
            .header("mcp-protocol-version", "2025-11-25")
            .body(Full::new(Bytes::new()))
            .expect("request"),
    )
    .await;
    assert!(r.status.is_success(), "DELETE: {}", r.status);
    assert!(server
        .requests()
        .iter()
        .any(|q| q["method"] == "DELETE" && q["headers"]["mcp-session-id"] == sid.as_str()));
    // the server saw a Host it accepts (its DNS-rebinding check) on every request
    assert!(server
        .requests()
        .iter()
        .all(|q| q["headers"]["host"] == server.addr.to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pin_auto_accepts_changed_definitions_and_pins_survive_a_restart() {
    let server = McpServer::start().await;
    let state_dir = tempfile::tempdir().expect("tmp");
    let state = format!(
        "state: {{ backend: sqlite, path: {}/state.db }}\n",
        state_dir.path().display()
    );
    let ep = "/crm/mcp";
    let modern = |method: &'static str, name: Option<&'static str>| {
        let mut h = vec![
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", method),
        ];
        if let Some(n) = name {
            h.push(("mcp-name", n));
        }
        h
    };
    let list = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{{{META}}}}}"#);
    let call = |tool: &str, args: &str| {
        format!(
            r#"{{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{{"name":"{tool}","arguments":{args},{META}}}}}"#
        )
    };
    let names = |r: &Reply| -> Vec<String> {
        messages(r)
            .iter()
            .flat_map(|m| m["result"]["tools"].as_array().cloned().unwrap_or_default())
            .filter_map(|t| t["name"].as_str().map(String::from))
            .collect()
    };
    {
        // manual pinning: first sight pins
        let h = Harness::start(&[("crm", crm_adapter(server.addr, ""))], MCP_POLICY, &state).await;
        let r = send(h.agent(), mcp_post(ep, &modern("tools/list", None), &list)).await;
        assert!(
            names(&r).contains(&"mutable".to_string()),
            "{}",
            String::from_utf8_lossy(&r.body)
        );
        let r = send(
            h.agent(),
            mcp_post(
                ep,
                &modern("tools/call", Some("mutate")),
                &call("mutate", r#"{"description":"v2"}"#),
            ),
        )
        .await;
        assert_eq!(r.status, 200);
        h.app.shutdown().await;
    }
    {
        // after a restart the pin still holds: the changed tool is refused
        let h = Harness::start(&[("crm", crm_adapter(server.addr, ""))], MCP_POLICY, &state).await;
        let r = send(
            h.agent(),
            mcp_post(
                ep,
                &modern("tools/call", Some("mutable")),
                &call("mutable", r#"{"x":"a"}"#),
            ),
        )
        .await;
        let m = messages(&r);
        assert_eq!(m[0]["result"]["isError"], true, "{m:?}");
        assert!(m[0]["result"]["content"][0]["text"]
            .as_str()
            .unwrap_or("")
            .contains("tool_definition_changed"));
        h.app.shutdown().await;
    }
    {
        // pin: auto re-pins on sight
        let h = Harness::start(
            &[("crm", crm_adapter(server.addr, "pin: auto"))],
            MCP_POLICY,
            &state,
        )
        .await;
        let r = send(h.agent(), mcp_post(ep, &modern("tools/list", None), &list)).await;
        assert!(names(&r).contains(&"mutable".to_string()));
        let r = send(
            h.agent(),
            mcp_post(
                ep,
                &modern("tools/call", Some("mutable")),
                &call("mutable", r#"{"x":"b"}"#),
            ),
        )
        .await;
        let m = messages(&r);
        assert_eq!(
            m.last().map(|m| m["result"]["isError"].clone()),
            Some(json!(false)),
            "{m:?}"
        );
        h.app.shutdown().await;
    }
}
