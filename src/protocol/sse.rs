//! Server-Sent Events framing (`text/event-stream`): split complete events off a buffer,
//! read their `data`, and rebuild an event around new data.

/// Parse Server-Sent Events: complete events split off the front of `buf`, each as its
/// raw bytes (including the blank line) and its `data` payload (lines joined by `\n`).
pub fn split_events(buf: &mut bytes::BytesMut) -> Vec<(bytes::Bytes, Option<String>)> {
    let mut out = Vec::new();
    loop {
        let Some(end) = event_end(buf) else {
            return out;
        };
        let raw = buf.split_to(end).freeze();
        let mut data: Option<String> = None;
        for line in String::from_utf8_lossy(&raw).lines() {
            let line = line.trim_end_matches('\r');
            if let Some(rest) = line.strip_prefix("data") {
                let value = rest
                    .strip_prefix(':')
                    .map(|r| r.strip_prefix(' ').unwrap_or(r));
                if let Some(v) = value {
                    match &mut data {
                        Some(d) => {
                            d.push('\n');
                            d.push_str(v);
                        }
                        None => data = Some(v.to_string()),
                    }
                }
            }
        }
        out.push((raw, data));
    }
}

/// Where the first complete event in `buf` ends (after its blank line), if any.
pub fn event_end(buf: &[u8]) -> Option<usize> {
    let lf = memchr::memmem::find(buf, b"\n\n").map(|i| i + 2);
    let crlf = memchr::memmem::find(buf, b"\r\n\r\n").map(|i| i + 4);
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Rebuild an event with a new `data` payload, keeping its `id`, `event` and `retry` lines.
pub fn rebuild_event(raw: &[u8], data: &str) -> bytes::Bytes {
    let mut out = String::new();
    for line in String::from_utf8_lossy(raw).lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() || line.starts_with("data") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    for l in data.split('\n') {
        out.push_str("data: ");
        out.push_str(l);
        out.push('\n');
    }
    out.push('\n');
    bytes::Bytes::from(out)
}

/// An event's `id` / `retry` lines alone: it dispatches nothing but keeps `Last-Event-ID`
/// resumption intact where toolwall withheld the event.
pub fn withheld_event(raw: &[u8]) -> bytes::Bytes {
    let mut out = String::new();
    for line in String::from_utf8_lossy(raw).lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with("id") || line.starts_with("retry") {
            out.push_str(line);
            out.push('\n');
        }
    }
    if out.is_empty() {
        return bytes::Bytes::new();
    }
    out.push('\n');
    bytes::Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_events_split_and_rebuild() {
        let mut buf = bytes::BytesMut::from(
            &b"id: 1\nevent: message\ndata: {\"a\":1}\n\ndata: x\r\n\r\npartial"[..],
        );
        let ev = split_events(&mut buf);
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0].1.as_deref(), Some("{\"a\":1}"));
        assert_eq!(ev[1].1.as_deref(), Some("x"));
        assert_eq!(&buf[..], b"partial");
        let rebuilt = rebuild_event(&ev[0].0, "{\"b\":2}");
        assert_eq!(&rebuilt[..], b"id: 1\nevent: message\ndata: {\"b\":2}\n\n");
    }
}
