//! The exchange as the handler of the one SSE relay (`crate::protocol::sse::relay`): each
//! event's message decided as a JSON answer's would be, and the event rebuilt from what
//! toolwall read.

use bytes::{Bytes, BytesMut};
use hyper::body::Incoming;
use serde_json::Value;

use super::{serialize, Exchange, MAX_RESPONSE_BYTES};
use crate::pipeline::reject::{Reason, Reject};
use crate::pipeline::ResBody;
use crate::protocol::sse;

impl Exchange {
    /// Relay an SSE body, each event read and rewritten (or withheld) in order, by the relay's
    /// task, which owns the exchange: when the agent goes away the task ends (requests still
    /// pending stay with the session, for an answer fetched by resumption; without a session
    /// their records are written).
    pub(super) fn relay_events(self, body: Incoming) -> ResBody {
        sse::relay(body, MAX_RESPONSE_BYTES, self)
    }

    /// The stream is over: when toolwall withheld something on it, or no session can resume
    /// it, what this POST did not get an answer to is refused rather than left waiting.
    async fn end_of_stream(&mut self, out: &mut BytesMut) {
        if !(self.post && (self.withheld || self.session.is_none())) {
            return;
        }
        let unanswered = Reject::new(
            Reason::ResponseNotInspectable,
            "the MCP server's stream ended with no readable answer to this request",
        );
        for (id, p) in self.take_own() {
            let m = self.refuse_pending(id, p, unanswered.clone(), true).await;
            out.extend_from_slice(&emit_event(None, Some(&m)));
        }
    }

    /// An event that never ends (or outgrows the limit): a client would not dispatch it
    /// whole, and nothing of it is relayed.
    async fn incomplete_event(&mut self, out: &mut BytesMut) {
        let why = "an SSE event from the MCP server is unterminated or over the size limit";
        if let Some(m) = self.uninspectable(why.to_string()).await {
            out.extend_from_slice(&emit_event(None, Some(&m)));
        }
    }
}

impl sse::EventHandler for Exchange {
    /// One SSE event: its JSON-RPC message read like any other and the event rebuilt from
    /// what toolwall read (never relayed raw). An event a client does not dispatch as a
    /// message (no data, another event type) keeps only its `id` / `retry`.
    async fn event(&mut self, ev: sse::Event) -> Bytes {
        let out = match read_event(&ev, self.snap.max_json_depth) {
            EventRead::Nothing => return sse::withheld_event(&ev),
            EventRead::Unreadable(why) => self.uninspectable(why).await,
            EventRead::Message(msg) => self.on_server_message(msg).await,
        };
        match out {
            Some(m) => relayed_event(&ev, &m),
            None => sse::withheld_event(&ev),
        }
    }

    async fn overflow(&mut self) -> Bytes {
        let mut out = BytesMut::new();
        self.incomplete_event(&mut out).await;
        self.end_of_stream(&mut out).await;
        out.freeze()
    }

    async fn end(&mut self, tail: Option<sse::Event>) -> Bytes {
        let mut out = BytesMut::new();
        if tail.is_some_and(|t| t.data.is_some()) {
            self.incomplete_event(&mut out).await;
        }
        self.end_of_stream(&mut out).await;
        out.freeze()
    }
}

/// A server event as relayed: its `event` / `id` / `retry` fields as parsed and one `data:`
/// line of the message toolwall read, serialized (compact JSON holds no line break).
pub fn relayed_event(ev: &sse::Event, msg: &Value) -> Bytes {
    let text = serde_json::to_string(msg).unwrap_or_else(|_| "null".into());
    sse::rebuild_event(ev, &text)
}

/// An SSE `message` event toolwall writes: its id (if any) and one `data` line of compact
/// JSON (which holds no line break).
pub fn emit_event(id: Option<&str>, msg: Option<&Value>) -> Bytes {
    let mut out = BytesMut::new();
    if let Some(id) = id {
        out.extend_from_slice(b"id: ");
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(b"\n");
    }
    if let Some(m) = msg {
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(&serialize(m));
        out.extend_from_slice(b"\n");
    }
    out.extend_from_slice(b"\n");
    out.freeze()
}

/// What an SSE event from the server holds for the relay.
#[derive(Debug)]
pub enum EventRead {
    /// Nothing a client dispatches as a message: no data, an empty priming `data:`, another
    /// event type, or an unterminated tail a client discards (its `id` / `retry` may be kept).
    Nothing,
    /// Data a client would dispatch that toolwall cannot read (invalid UTF-8, not strict JSON).
    Unreadable(String),
    Message(Value),
}

/// Read one event as an MCP client would dispatch it (`message` events with data), strictly.
pub fn read_event(ev: &sse::Event, max_depth: usize) -> EventRead {
    let message_type = matches!(ev.event.as_deref(), None | Some("") | Some("message"));
    let text = match ev.data.as_deref() {
        // an empty `data:` is the priming event of a resumable stream (clients skip it)
        Some(t) if ev.dispatches() && message_type && !t.is_empty() => t,
        _ => return EventRead::Nothing,
    };
    if !ev.utf8 {
        return EventRead::Unreadable("an SSE event from the MCP server is not valid UTF-8".into());
    }
    match crate::json::parse_strict(text.as_bytes(), max_depth) {
        Ok(msg) => EventRead::Message(msg),
        Err(e) => EventRead::Unreadable(format!("an SSE event's data is not readable JSON: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::server_requests::{classify_server_message, ServerMessage};
    use super::*;

    /// The fuzz target's property on a fixed corpus and random chunkings of it: what the
    /// agent parses of the relayed events is exactly the messages toolwall read, and nothing
    /// unreadable (bare-CR framing read as one event, NaN, 1e400, duplicate keys, invalid
    /// UTF-8, an unterminated tail) is relayed.
    #[test]
    fn relayed_events_are_exactly_what_was_read() {
        let ok = r#"{"jsonrpc":"2.0","id":1,"result":{}}"#;
        let corpus: Vec<Vec<u8>> = vec![
            format!("data: {ok}\r\rdata: {ok}\r\r").into_bytes(),
            format!("event: message\rid: e1\rdata: {ok}\r\n\r\n").into_bytes(),
            b"data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"n\":NaN}}\n\n".to_vec(),
            b"data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"n\":1e400}}\n\n".to_vec(),
            b"data: {\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"result\":{}}\n\n".to_vec(),
            b"data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":\"\xff\"}\n\n".to_vec(),
            format!("event: other\ndata: {ok}\n\nid: 7\ndata:\n\ndata: {ok}").into_bytes(),
            format!("data\ndata: {ok}\n\n: comment\n\n").into_bytes(),
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for stream in &corpus {
            for round in 0..16 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let cut = if round == 0 {
                    stream.len()
                } else {
                    (seed as usize) % (stream.len() + 1)
                };
                let mut parser = sse::Parser::new();
                let mut events = parser.push(&stream[..cut]);
                events.extend(parser.push(&stream[cut..]));
                let _tail = parser.finish();
                let mut out = Vec::new();
                let mut relayed = Vec::new();
                for ev in &events {
                    match read_event(ev, 32) {
                        EventRead::Message(m) => {
                            assert_eq!(classify_server_message(&m), ServerMessage::Answer);
                            out.extend_from_slice(&relayed_event(ev, &m));
                            relayed.push(serde_json::to_string(&m).unwrap_or_default());
                        }
                        EventRead::Nothing | EventRead::Unreadable(_) => {
                            out.extend_from_slice(&sse::withheld_event(ev))
                        }
                    }
                }
                let (back, tail) = sse::parse_all(&out);
                assert!(tail.is_none());
                let dispatched: Vec<String> = back
                    .into_iter()
                    .filter(|e| e.dispatches())
                    .filter_map(|e| e.data)
                    .collect();
                assert_eq!(dispatched, relayed, "{:?}", String::from_utf8_lossy(stream));
                for d in &dispatched {
                    assert!(!d.contains("NaN") && !d.contains("e400"), "{d}");
                }
            }
        }
        // bare CR frames two events, as a client reads them
        let (events, _) = sse::parse_all(&corpus[0]);
        let read = events
            .iter()
            .filter(|e| matches!(read_event(e, 32), EventRead::Message(_)))
            .count();
        assert_eq!(read, 2);
    }
}
