//! MCP message handling over arbitrary bytes: JSON-RPC shape, routing and `Mcp-Param-*`
//! header checks, request re-encoding, and SSE framing never panic; a re-encoded request is
//! JSON again, and SSE splitting never loses bytes.
#![no_main]
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use toolwall::protocol::{mcp, sse};

fuzz_target!(|data: &[u8]| {
    // SSE framing: complete events plus the rest add up to the input
    let (events, tail) = sse::parse_all(data);
    let total: usize = events.iter().chain(&tail).map(|e| e.raw.len()).sum();
    assert_eq!(total, data.len());
    for ev in events.iter().chain(&tail) {
        let _ = sse::withheld_event(ev);
        if let Some(p) = &ev.data {
            let _ = sse::rebuild_event(ev, p);
        }
    }

    let Ok(msg) = toolwall::json::parse_strict(data, 32) else {
        return;
    };
    let Ok(shape) = mcp::shape(&msg) else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        mcp::PROTOCOL_VERSION_HEADER,
        HeaderValue::from_static("2026-07-28"),
    );
    if let Ok(v) = HeaderValue::from_str(mcp::method(&msg)) {
        headers.insert(mcp::METHOD_HEADER, v);
    }
    let _ = mcp::check_routing_headers(&headers, &msg, shape);
    // the message as its own schema: exercises the x-mcp-header walk on arbitrary shapes
    let map = mcp::param_header_map(&msg);
    let args = msg
        .pointer("/params/arguments")
        .cloned()
        .unwrap_or_default();
    let _ = mcp::check_param_headers(&map, &args, &headers, true);
    mcp::set_param_headers(&map, &args, &mut headers, true);
    if let Some(rest) = msg.get("params").and_then(|p| p.as_object()) {
        let out = mcp::encode_request(&msg, rest, Some(&args), None);
        assert!(serde_json::from_slice::<serde_json::Value>(&out).is_ok());
    }
});
