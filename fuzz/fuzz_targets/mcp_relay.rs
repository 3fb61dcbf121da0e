//! The MCP relay's handling of what a server sends, over arbitrary bytes: the content-type
//! gate, SSE events read as a client dispatches them (split at an arbitrary chunk boundary),
//! strict JSON, message classification and answer attribution, and the events toolwall
//! writes. Invariants: nothing unreadable is relayed; an answer is relayed only for a request
//! pending on the stream, at most once, under that request's id; what the agent parses of the
//! relayed stream is exactly the messages toolwall read.
#![no_main]
use std::collections::HashMap;

use http::{header::CONTENT_TYPE, HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};
use toolwall::pipeline::mcp::{
    answered_key, classify_server_message, id_key, read_event, relayed_event, response_kind,
    EventRead, Kind, ServerMessage,
};
use toolwall::protocol::{mcp, sse};

const CONTENT_TYPES: [&str; 4] = [
    "application/json",
    "text/event-stream",
    "application/json-rpc",
    "text/event-stream; charset=utf-8",
];

fuzz_target!(|data: &[u8]| {
    let [flags, split, body @ ..] = data else {
        return;
    };
    let post = flags & 1 == 1;
    let own: Vec<Value> = (0..(flags >> 1) & 3).map(|i| json!(i)).collect();
    let own_keys: Vec<String> = own.iter().map(id_key).collect();
    // requests pending on this stream (a GET stream: the session's)
    let mut pending: HashMap<String, Value> =
        own_keys.iter().cloned().zip(own.iter().cloned()).collect();
    if !post {
        pending.insert(id_key(&json!("s7")), json!("s7"));
    }
    // each pending request is answered at most once (a GET stream also holds the session's)
    let answerable = pending.len();
    let ct = CONTENT_TYPES[usize::from((flags >> 3) & 3)];
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(ct));
    let kind = response_kind(&headers);

    let mut answered = 0usize;
    let mut handle = |msg: Value| -> Option<Value> {
        match classify_server_message(&msg) {
            ServerMessage::Answer => {
                assert!(mcp::shape(&msg).is_ok());
                let key = id_key(msg.get("id").unwrap_or(&Value::Null));
                let k = answered_key(post, &own_keys, &key)?;
                let id = pending.remove(k)?;
                answered += 1;
                let mut m = msg;
                m["id"] = id;
                Some(m)
            }
            ServerMessage::Relay => {
                let m = mcp::method(&msg);
                assert!(m == "ping" || m.starts_with("notifications/"), "{m}");
                Some(msg)
            }
            ServerMessage::GatedRequest
            | ServerMessage::Withheld(_)
            | ServerMessage::Invalid(_) => None,
        }
    };

    match kind {
        Kind::EventStream => {
            let cut = usize::from(*split).min(body.len());
            let mut parser = sse::Parser::new();
            let mut events = parser.push(&body[..cut]);
            events.extend(parser.push(&body[cut..]));
            let _tail = parser.finish(); // never dispatched, never relayed
            let mut out = Vec::new();
            let mut relayed = Vec::new();
            for ev in &events {
                let m = match read_event(ev, 32) {
                    EventRead::Message(m) => handle(m),
                    EventRead::Nothing | EventRead::Unreadable(_) => None,
                };
                match m {
                    Some(m) => {
                        out.extend_from_slice(&relayed_event(ev, &m));
                        relayed.push(serde_json::to_string(&m).expect("serializes"));
                    }
                    None => out.extend_from_slice(&sse::withheld_event(ev)),
                }
            }
            // the agent reads back exactly what toolwall read, one message per event
            let (back, tail) = sse::parse_all(&out);
            assert!(tail.is_none());
            let dispatched: Vec<String> = back
                .into_iter()
                .filter(|e| e.dispatches())
                .filter_map(|e| e.data)
                .collect();
            assert_eq!(dispatched, relayed);
        }
        Kind::Json => {
            if let Ok(v) = toolwall::json::parse_strict(body, 32) {
                let items = match v {
                    Value::Array(a) => a,
                    m => vec![m],
                };
                for m in items {
                    if let Some(m) = handle(m) {
                        let text = serde_json::to_vec(&m).expect("serializes");
                        assert!(serde_json::from_slice::<Value>(&text).is_ok());
                    }
                }
            }
        }
        Kind::Other => assert_eq!(ct, "application/json-rpc"),
    }
    assert!(answered <= answerable);
});
