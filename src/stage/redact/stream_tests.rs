//! The SSE redaction handler, driven chunk by chunk as the relay drives it.
use super::*;
use crate::redact::RedactConfig;

/// The relay fed chunk by chunk, with the calls `sse::relay` makes for each chunk.
struct Driven {
    parser: crate::protocol::sse::Parser,
    relay: SseRedact,
}

impl Driven {
    /// One chunk from the upstream: what is sent now, and whether the stream ends.
    fn chunk(&mut self, chunk: &[u8]) -> (Bytes, bool) {
        let mut out = Vec::new();
        for ev in self.parser.push(chunk) {
            self.relay.redact_event(ev, &mut out);
        }
        if self.parser.buffered() > SSE_MAX_EVENT_BYTES {
            out.extend_from_slice(&self.relay.too_large());
            return (Bytes::from(out), true);
        }
        out.extend_from_slice(&self.relay.released());
        (Bytes::from(out), false)
    }

    fn finish(&mut self) -> Bytes {
        let tail = self.parser.finish();
        self.relay.finish(tail)
    }
}

impl std::ops::Deref for Driven {
    type Target = SseRedact;
    fn deref(&self) -> &SseRedact {
        &self.relay
    }
}

fn sse_relay() -> Driven {
    let redactor = Arc::new(Redactor::new(&RedactConfig::default()).expect("redactor"));
    let plan = ActionPlan::from_names(&["email", "credit_card"]).expect("plan");
    Driven {
        parser: crate::protocol::sse::Parser::new(),
        relay: SseRedact::new(redactor, plan, Arc::new(Metrics::new()), None),
    }
}

/// The whole output of a relay fed `stream` in chunks of `size`.
fn relayed(stream: &[u8], size: usize) -> Vec<u8> {
    let mut relay = sse_relay();
    let mut out = Vec::new();
    for c in stream.chunks(size.max(1)) {
        let (o, stop) = relay.chunk(c);
        out.extend_from_slice(&o);
        assert!(!stop);
    }
    out.extend_from_slice(&relay.finish());
    out
}

#[test]
fn event_streams_redact_alike_in_every_chunking() {
    let cases: &[(&[u8], &str)] = &[
        // an email split over three events, a card over two (text and JSON)
        (
            b"data: write to jane\n\ndata: .doe@exam\r\rdata: ple.com soon\r\n\r\n",
            "data: write to [EMAIL]\n\ndata: [EMAIL]\n\ndata: [EMAIL] soon\n\n",
        ),
        (
            b"data: {\"t\":\"4111 1111\"}\n\r\ndata: {\"t\":\" 1111 1111\",\"n\":1}\n\n",
            "data: {\"t\":\"[CREDIT_CARD]\"}\n\ndata: {\"n\":1,\"t\":\"[CREDIT_CARD]\"}\n\n",
        ),
        // other keys do not join; a clean event passes byte for byte
        (
            b"data: {\"a\":\"jane.doe\",\"b\":\"x \"}\n\ndata: {\"b\":\"@example.com\"}\r\n\r\ndata: end\n\n",
            "data: {\"a\":\"jane.doe\",\"b\":\"x \"}\n\ndata: {\"b\":\"@example.com\"}\r\n\r\ndata: end\n\n",
        ),
        // escapes decoded, invalid UTF-8 replaced, PII in a comment or unknown field
        (
            b"data: \"mail jane\\u0040example.com\"\n\ndata: a\xC3b\n\n: bob@example.org\nid: 1\ndata: ok\n\n",
            "data: \"mail [EMAIL]\"\n\ndata: a\u{FFFD}b\n\nid: 1\ndata: ok\n\n",
        ),
        // JSON-looking data that does not parse: withheld; keep-alives canonical
        (
            b": ping bob@example.org\n\nid: 2\ndata: {\"x\": 1e400}\n\ndata: [1,\n\n",
            ":\n\nid: 2\n\n",
        ),
        // the unterminated tail is withheld
        (b"data: a\n\ndata: jane@example.com", "data: a\n\n"),
    ];
    for (stream, want) in cases {
        for size in [stream.len(), 1, 2, 3, 7] {
            let got = relayed(stream, size);
            assert_eq!(
                String::from_utf8_lossy(&got),
                *want,
                "{:?} in chunks of {size}",
                String::from_utf8_lossy(stream)
            );
        }
    }
}

#[test]
fn event_streams_hold_back_a_bounded_window() {
    let mut relay = sse_relay();
    // the newest event is always held; older ones once 512 bytes of text follow them
    let (out, _) = relay.chunk(b"data: one\n\n");
    assert!(out.is_empty());
    let (out, _) = relay.chunk(b"data: two\n\n");
    assert!(out.is_empty(), "held: less than the window follows it");
    let filler = format!("data: {}\n\n", "z".repeat(SSE_WINDOW_BYTES));
    let (out, _) = relay.chunk(filler.as_bytes());
    assert_eq!(&out[..], b"data: one\n\ndata: two\n\n");
    assert_eq!(relay.held.len(), 1);
    // never more than the cap of events
    for _ in 0..SSE_MAX_HELD_EVENTS * 2 {
        let _ = relay.chunk(b"id: 1\n\n");
        assert!(relay.held.len() <= SSE_MAX_HELD_EVENTS);
    }
    // an event larger than the cap ends the stream
    let mut relay = sse_relay();
    let big = vec![b'a'; SSE_MAX_EVENT_BYTES + 1];
    let (_, stop) = relay.chunk(&big);
    assert!(stop && relay.report.too_large);
}

/// The class, not the example: a secret split at every position over two events, as
/// text or JSON (`@` escaped or not), with every line ending, in random chunkings, next to
/// an invalid byte: what a client reads never holds it, and every chunking reads the same.
#[test]
fn split_secrets_never_reach_the_client() {
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let ends: [&[u8]; 4] = [b"\n\n", b"\r\r", b"\r\n\r\n", b"\n\r\n"];
    for secret in ["jane.doe@example.com", "4242 4242 4242 4242"] {
        for cut in 0..=secret.len() {
            for json in [false, true] {
                let mut stream = Vec::new();
                for (n, part) in [&secret[..cut], &secret[cut..]].into_iter().enumerate() {
                    if n == 0 && next() % 2 == 0 {
                        stream.extend_from_slice(b"data: \xFF before\n\n");
                    }
                    let part = if json && next() % 2 == 0 {
                        part.replace('@', "\\u0040")
                    } else {
                        part.to_string()
                    };
                    if json {
                        stream.extend_from_slice(format!("data: {{\"t\":\"{part}\"}}").as_bytes());
                    } else {
                        stream.extend_from_slice(format!("data: {part}").as_bytes());
                    }
                    stream.extend_from_slice(ends[(next() % 4) as usize]);
                }
                let whole = relayed(&stream, stream.len());
                let chunked = relayed(&stream, 1 + (next() % 6) as usize);
                // the same events (a raw event ended by a CR at a chunk's end may leave
                // its LF out when the next one is rebuilt)
                let fields = |b: &[u8]| {
                    let (ev, _) = crate::protocol::sse::parse_all(b);
                    ev.into_iter()
                        .filter(|e| e.data.is_some())
                        .map(|e| (e.data, e.id))
                        .collect::<Vec<_>>()
                };
                assert_eq!(
                    fields(&whole),
                    fields(&chunked),
                    "{:?}",
                    String::from_utf8_lossy(&stream)
                );
                let text = std::str::from_utf8(&whole).expect("UTF-8 only");
                let (events, tail) = crate::protocol::sse::parse_all(text.as_bytes());
                assert!(tail.is_none());
                let seen: String = events
                    .iter()
                    .filter_map(|e| e.data.as_deref())
                    .map(|d| match serde_json::from_str::<Value>(d) {
                        Ok(Value::Object(m)) => {
                            m.get("t").and_then(Value::as_str).unwrap_or("").to_string()
                        }
                        Ok(Value::String(t)) => t,
                        _ => d.to_string(),
                    })
                    .collect();
                for leak in ["jane.doe", "@example", "4242 4242 4242"] {
                    assert!(
                        !seen.contains(leak),
                        "{leak} in {seen:?} from {:?}",
                        String::from_utf8_lossy(&stream)
                    );
                }
            }
        }
    }
}
