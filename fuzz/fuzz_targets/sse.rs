//! SSE parsing over arbitrary bytes and arbitrary chunkings: never panics, the fields read
//! never depend on where chunks end, the raw spans add up to the stream, and a rebuilt event
//! parses back to the same fields.
#![no_main]
use libfuzzer_sys::fuzz_target;
use toolwall::protocol::sse::{self, Event, Parser};

type Fields = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<u64>,
    bool,
);

fn fields(e: &Event) -> Fields {
    (
        e.data.clone(),
        e.event.clone(),
        e.id.clone(),
        e.retry,
        e.utf8,
    )
}

fn tail_fields(t: &Option<Event>) -> (Option<String>, Option<String>, Option<String>, Option<u64>) {
    match t {
        Some(e) => (e.data.clone(), e.event.clone(), e.id.clone(), e.retry),
        None => (None, None, None, None),
    }
}

fuzz_target!(|input: &[u8]| {
    // first byte: how many chunk sizes follow; then the sizes (1..=256, cycled); then the stream
    let Some((&n, rest)) = input.split_first() else {
        return;
    };
    let n = (n as usize % 8).min(rest.len());
    let (sizes, stream) = rest.split_at(n);

    let (whole, whole_tail) = sse::parse_all(stream);
    let mut parser = Parser::new();
    let mut chunked = Vec::new();
    let mut at = 0;
    let mut i = 0;
    while at < stream.len() {
        let size = sizes
            .get(i % sizes.len().max(1))
            .map_or(stream.len(), |&s| s as usize + 1);
        let end = (at + size).min(stream.len());
        chunked.extend(parser.push(&stream[at..end]));
        assert!(parser.buffered() <= end);
        at = end;
        i += 1;
    }
    let chunked_tail = parser.finish();

    for (events, tail) in [(&whole, &whole_tail), (&chunked, &chunked_tail)] {
        let mut all: Vec<u8> = Vec::with_capacity(stream.len());
        for e in events.iter() {
            assert!(e.complete);
            all.extend_from_slice(&e.raw);
        }
        if let Some(t) = tail {
            assert!(!t.complete);
            all.extend_from_slice(&t.raw);
        }
        assert_eq!(&all[..], stream);
    }
    let a: Vec<Fields> = whole.iter().map(fields).collect();
    let b: Vec<Fields> = chunked.iter().map(fields).collect();
    assert_eq!(a, b);
    assert_eq!(tail_fields(&whole_tail), tail_fields(&chunked_tail));

    for e in whole.iter().chain(&whole_tail) {
        let _ = sse::withheld_event(e);
        let data = e.data.clone().unwrap_or_default();
        let rebuilt = sse::rebuild_event(e, &data);
        let (back, back_tail) = sse::parse_all(&rebuilt);
        assert!(back_tail.is_none());
        assert_eq!(back.len(), 1);
        let r = &back[0];
        assert_eq!(r.data.as_deref(), Some(data.as_str()));
        assert_eq!((&r.event, &r.id, r.retry), (&e.event, &e.id, e.retry));
    }
});
