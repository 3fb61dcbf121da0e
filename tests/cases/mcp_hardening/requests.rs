//! MCP hardening, the agent's side: resumed answers, id-less requests, batches, `_meta` and other params, error redaction, session ownership, call streams.

use super::*;

/// An answer fetched by resumption (GET with `Last-Event-ID`, the 2025-11-25 flow) is matched
/// to its call through the session: redacted and recorded like one on the POST stream.
#[tokio::test]
async fn resumed_answers_are_matched_to_their_call() {
    let server = lax_server(|s| {
        if s.method == Method::GET {
            let last = s
                .headers
                .get("last-event-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if last == "e1" {
                return sse_answer(&format!(
                    "id: e2\ndata: {}\n\n",
                    result_with(json!(21), &format!("resumed {EMAIL}"))
                ));
            }
        }
        base(s).unwrap_or_else(|| {
            // the POST stream primes resumption and ends before the answer
            sse_answer("id: e1\ndata:\n\n")
        })
    })
    .await;
    let s = start(&server, STATIC_IDENTITY).await;
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}});
    let r = post(&s.h, &[], &init).await;
    assert_eq!(r.headers["mcp-session-id"], "sess-1");
    let session = [("mcp-session-id", "sess-1")];
    let r = post(&s.h, &session, &call_msg(21, "lookup")).await;
    assert!(received(&r).is_empty(), "{:?}", received(&r));
    let g = send(
        s.h.agent(),
        req("GET", "/lax/mcp")
            .header("accept", "text/event-stream")
            .header("mcp-session-id", "sess-1")
            .header("mcp-protocol-version", "2025-11-25")
            .header("last-event-id", "e1")
            .body(Full::new(Bytes::new()))
            .expect("request"),
    )
    .await;
    let got = received(&g);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["id"], 21);
    assert_eq!(got[0]["result"]["content"][0]["text"], "resumed [EMAIL]");
    assert!(!String::from_utf8_lossy(&g.body).contains(EMAIL));
    // the SSE id survives for the next resumption
    assert!(String::from_utf8_lossy(&g.body).contains("id: e2"));
    // a replayed answer (a second GET) has nothing pending: withheld
    let g2 = send(
        s.h.agent(),
        req("GET", "/lax/mcp")
            .header("accept", "text/event-stream")
            .header("mcp-session-id", "sess-1")
            .header("last-event-id", "e1")
            .body(Full::new(Bytes::new()))
            .expect("request"),
    )
    .await;
    assert!(received(&g2).is_empty());
    assert!(!String::from_utf8_lossy(&g2.body).contains(EMAIL));
    let records = audit_records(&s.audit).await;
    assert!(
        records.iter().any(|r| r["tool"] == "lax.lookup"
            && r["status"] == 200
            && r.get("decision").is_none()),
        "{records:#?}"
    );
}

/// Requests without an id (anything but `notifications/*`) are refused and recorded, alone or
/// in a batch; nothing reaches the server.
#[tokio::test]
async fn requests_without_id_are_refused() {
    let server = lax_server(|s| base(s).unwrap_or_else(|| json_answer(&json!({})))).await;
    let s = start(&server, STATIC_IDENTITY).await;
    for method in ["tools/call", "resources/read", "prompts/get", "custom/act"] {
        let msg = json!({"jsonrpc": "2.0", "method": method,
                         "params": {"name": "lookup", "uri": "x://y", "arguments": {"q": "x"}}});
        let r = post(&s.h, &[], &msg).await;
        assert_eq!(r.status, 400, "{method}");
        assert_eq!(r.json()["error"]["code"], -32600, "{method}");
        let batch = json!([call_msg(1, "lookup"), msg]);
        let r = post(&s.h, &[], &batch).await;
        assert!(
            received(&r).iter().all(|m| m.get("error").is_some()),
            "{method}: {:?}",
            received(&r)
        );
    }
    // a notification proper still passes
    let r = post(
        &s.h,
        &[],
        &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    )
    .await;
    assert_eq!(r.status, 202);
    let acting = ["tools/call", "resources/read", "prompts/get", "custom/act"];
    let reached: Vec<Value> = server
        .messages()
        .into_iter()
        .filter(|m| acting.iter().any(|a| m["method"] == *a))
        .collect();
    assert!(reached.is_empty(), "{reached:?}");
    let records = audit_records(&s.audit).await;
    let refused = records
        .iter()
        .filter(|r| r["reason"] == "invalid_mcp_message")
        .count();
    assert!(refused >= 8, "{records:#?}");
}

/// A batch with two requests under one id is refused whole and recorded; nothing reaches
/// the server.
#[tokio::test]
async fn batches_with_duplicate_ids_are_refused() {
    let server = lax_server(|s| {
        base(s).unwrap_or_else(|| json_answer(&json!([result_with(json!(1), EMAIL)])))
    })
    .await;
    let s = start(&server, STATIC_IDENTITY).await;
    for dup in [json!(1), json!("a")] {
        let mut a = call_msg(0, "lookup");
        a["id"] = dup.clone();
        let mut b = call_msg(0, "plain");
        b["id"] = dup.clone();
        let r = post(&s.h, &[], &json!([a, b])).await;
        assert_eq!(r.status, 400);
        assert!(r.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("two requests"));
    }
    assert!(server.calls().is_empty());
    let records = audit_records(&s.audit).await;
    assert_eq!(
        records
            .iter()
            .filter(|r| r["reason"] == "invalid_mcp_message" && r["mcp"]["method"] == "batch")
            .count(),
        2,
        "{records:#?}"
    );
}

/// Every param goes through the redaction plan (`_meta`, and any other), not only
/// `arguments`; policy sees `_meta` as `input.mcp.meta`, and the audit record keeps it masked.
#[tokio::test]
async fn meta_and_other_params_are_redacted_and_shown_to_policy() {
    let server = lax_server(|s| {
        base(s).unwrap_or_else(|| json_answer(&result_with(s.body["id"].clone(), "ok")))
    })
    .await;
    let s = start(&server, STATIC_IDENTITY).await;
    let msg = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "lookup", "arguments": {"q": EMAIL},
        "_meta": {"progressToken": 1, "user": EMAIL}, "note": format!("for {EMAIL}")}});
    // the agent's own credentials and its hop's forwarding headers are not the server's
    let agent_headers = [
        ("authorization", "Bearer agent-secret-token"),
        ("x-forwarded-for", "10.1.2.3"),
        ("forwarded", "for=10.1.2.3"),
    ];
    let r = post(&s.h, &agent_headers, &msg).await;
    assert_eq!(received(&r)[0]["result"]["content"][0]["text"], "ok");
    let read = json!({"jsonrpc": "2.0", "id": 2, "method": "resources/read", "params": {
        "uri": "x://y", "_meta": {"user": EMAIL}}});
    post(&s.h, &[], &read).await;
    let blocked = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
        "name": "lookup", "arguments": {}, "_meta": {"block": true}}});
    let r = post(&s.h, &[], &blocked).await;
    let got = received(&r);
    assert!(
        got[0]["result"]["content"][0]["text"]
            .as_str()
            .unwrap_or("")
            .contains("meta_blocked"),
        "{got:?}"
    );
    let seen = server.seen();
    let bodies: Vec<&str> = seen
        .iter()
        .filter(|s| s.raw.contains("tools/call") || s.raw.contains("resources/read"))
        .map(|s| s.raw.as_str())
        .collect();
    assert_eq!(bodies.len(), 2, "{bodies:?}");
    for b in &bodies {
        assert!(!b.contains(EMAIL), "{b}");
        assert!(b.contains("[EMAIL]"), "{b}");
    }
    for seen in &seen {
        for name in ["authorization", "x-forwarded-for", "forwarded"] {
            assert!(
                !seen.headers.contains_key(name),
                "{name} reached the server"
            );
        }
        assert!(!format!("{:?}", seen.headers).contains("agent-secret-token"));
    }
    let call = &server.calls()[0];
    assert_eq!(call["params"]["_meta"]["progressToken"], 1);
    assert_eq!(call["params"]["note"], "for [EMAIL]");
    assert_eq!(call["params"]["name"], "lookup");
    let records = audit_records(&s.audit).await;
    let text: String = records.iter().map(Value::to_string).collect();
    assert!(!text.contains(EMAIL), "{text}");
    assert!(
        records
            .iter()
            .any(|r| r["input"]["mcp"]["meta"]["user"].is_string()),
        "{records:#?}"
    );
}

/// The server's `error.message` and `error.data` go through the call's redaction plan.
#[tokio::test]
async fn error_message_and_data_are_redacted() {
    let server = lax_server(|s| {
        base(s).unwrap_or_else(|| {
            json_answer(&json!({"jsonrpc": "2.0", "id": s.body["id"], "error": {
                "code": -32000, "message": format!("no customer {EMAIL}"),
                "data": {"email": EMAIL, "hint": format!("try {EMAIL}")}}}))
        })
    })
    .await;
    let s = start(&server, STATIC_IDENTITY).await;
    for msg in [
        call_msg(1, "lookup"),
        json!({"jsonrpc": "2.0", "id": 2, "method": "prompts/get", "params": {"name": "p"}}),
    ] {
        let r = post(&s.h, &[], &msg).await;
        let got = received(&r);
        assert_eq!(got[0]["error"]["message"], "no customer [EMAIL]", "{got:?}");
        assert_eq!(got[0]["error"]["data"]["email"], "[EMAIL]");
        assert!(!String::from_utf8_lossy(&r.body).contains(EMAIL));
    }
}

const HS_ENV: &str = "TOOLWALL_TEST_MCP_HS256_SECRET";
const HS_SECRET: &str = "0123456789abcdef0123456789abcdef-mcp";

fn token(tenant: &str, agent: &str) -> String {
    let claims = json!({"iss": "https://issuer.test", "aud": "toolwall", "sub": agent,
        "org": tenant, "exp": chrono::Utc::now().timestamp() + 600});
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(HS_SECRET.as_bytes()),
    )
    .expect("sign")
}

/// A session belongs to the principal that opened it: another tenant (or another agent of the
/// same tenant) holding its id gets 404 for POST, GET and DELETE, recorded; the session
/// survives for its owner.
#[tokio::test]
async fn sessions_are_bound_to_their_principal() {
    std::env::set_var(HS_ENV, HS_SECRET);
    let server = lax_server(|s| {
        base(s).unwrap_or_else(|| json_answer(&result_with(s.body["id"].clone(), "ok")))
    })
    .await;
    let jwks = tempfile::tempdir().expect("tmp");
    std::fs::write(jwks.path().join("jwks.json"), r#"{"keys": []}"#).expect("write");
    let identity = format!(
        "identity:\n  jwt:\n    issuer: https://issuer.test\n    audience: toolwall\n    jwks_file: {}\n    hs256_secret_env: {HS_ENV}\n    tenant_claim: org\n",
        jwks.path().join("jwks.json").display()
    );
    let s = start(&server, &identity).await;
    let owner = format!("Bearer {}", token("acme", "agent-a"));
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}});
    let r = post(&s.h, &[("authorization", &owner)], &init).await;
    assert_eq!(r.headers["mcp-session-id"], "sess-1");
    let before = server.seen().len();
    for thief in [token("globex", "agent-a"), token("acme", "agent-b")] {
        let thief = format!("Bearer {thief}");
        let hdrs = [
            ("authorization", thief.as_str()),
            ("mcp-session-id", "sess-1"),
        ];
        let r = post(&s.h, &hdrs, &call_msg(1, "lookup")).await;
        assert_eq!(r.status, 404);
        for m in ["GET", "DELETE"] {
            let r = send(
                s.h.agent(),
                req(m, "/lax/mcp")
                    .header("authorization", thief.as_str())
                    .header("mcp-session-id", "sess-1")
                    .body(Full::new(Bytes::new()))
                    .expect("request"),
            )
            .await;
            assert_eq!(r.status, 404, "{m}");
        }
    }
    // an id nobody opened is answered the same way
    let hdrs = [
        ("authorization", owner.as_str()),
        ("mcp-session-id", "sess-404"),
    ];
    let r = post(&s.h, &hdrs, &call_msg(1, "lookup")).await;
    assert_eq!(r.status, 404);
    assert_eq!(
        server.seen().len(),
        before,
        "a foreign request reached the server"
    );
    // the owner still works in its session
    let hdrs = [
        ("authorization", owner.as_str()),
        ("mcp-session-id", "sess-1"),
    ];
    let r = post(&s.h, &hdrs, &call_msg(2, "lookup")).await;
    assert_eq!(received(&r)[0]["result"]["content"][0]["text"], "ok");
    // the owner's DELETE ends the session: its id is unknown from then on
    let r = send(
        s.h.agent(),
        req("DELETE", "/lax/mcp")
            .header("authorization", owner.as_str())
            .header("mcp-session-id", "sess-1")
            .body(Full::new(Bytes::new()))
            .expect("request"),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(server.seen().iter().any(|q| q.method == Method::DELETE));
    let r = post(&s.h, &hdrs, &call_msg(3, "lookup")).await;
    assert_eq!(r.status, 404);
    let records = audit_records(&s.audit).await;
    let refused: Vec<&Value> = records
        .iter()
        .filter(|r| r["mcp"]["event"] == "unknown_session")
        .collect();
    assert_eq!(refused.len(), 8, "{records:#?}");
    assert!(refused.iter().any(|r| r["tenant_id"] == "globex"));
}

/// Notifications on a call's stream (progress, log messages) go through that call's
/// redaction plan; a compressed answer is not readable; a session-less stream that ends with
/// no answer refuses the call instead of leaving it waiting.
#[tokio::test]
async fn call_streams_are_redacted_whole_and_never_left_hanging() {
    let server = lax_server(|s| {
        base(s).unwrap_or_else(|| {
            let id = s.body["id"].clone();
            match s.body["params"]["arguments"]["q"].as_str() {
                Some("gzip") => {
                    let mut c = json_answer(&result_with(id, EMAIL));
                    c.headers.push(("content-encoding", "gzip".into()));
                    c
                }
                Some("silent") => sse_answer(&format!(
                    "data: {}\n\n",
                    json!({"jsonrpc": "2.0", "method": "notifications/progress",
                           "params": {"progressToken": 1, "progress": 1}})
                )),
                _ => sse_answer(&format!(
                    "data: {}\n\ndata: {}\n\n",
                    json!({"jsonrpc": "2.0", "method": "notifications/message",
                           "params": {"level": "info", "data": format!("looking up {EMAIL}")}}),
                    result_with(id, "done")
                )),
            }
        })
    })
    .await;
    let s = start(&server, STATIC_IDENTITY).await;
    let mut call = call_msg(1, "lookup");
    let r = post(&s.h, &[], &call).await;
    let got = received(&r);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0]["params"]["data"], "looking up [EMAIL]");
    assert_eq!(got[1]["result"]["content"][0]["text"], "done");
    for (q, id) in [("gzip", 2), ("silent", 3)] {
        call["id"] = json!(id);
        call["params"]["arguments"]["q"] = json!(q);
        let r = post(&s.h, &[], &call).await;
        let got = received(&r);
        let answer = got.last().cloned().unwrap_or_default();
        assert_eq!(answer["id"], id, "{q}: {got:?}");
        assert!(is_refusal(&answer), "{q}: {got:?}");
        assert!(!String::from_utf8_lossy(&r.body).contains(EMAIL));
    }
}
