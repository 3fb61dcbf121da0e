//! Server-Sent Events framing (`text/event-stream`), parsed exactly as the WHATWG HTML
//! standard's event-stream interpretation does, incrementally, with each event's raw bytes.
//!
//! # API
//!
//! - [`Parser::push`] feeds one chunk of the stream and returns the events it completed, in
//!   order. Chunks may split anything (a line, a CRLF pair, the UTF-8 BOM): the fields parsed
//!   never depend on where the chunks end.
//! - [`Parser::finish`] ends the stream: bytes after the last blank line come back as one
//!   [`Event`] with `complete == false`. A conforming client discards such an event, so a
//!   relay must not forward it raw (withhold it, or rebuild it and end it itself).
//! - [`Parser::buffered`]: bytes held for the event in progress (for a relay's size cap).
//! - [`Event`]: the event's `raw` bytes (forward them unchanged when nothing changed) and its
//!   fields as a client reads them. [`rebuild_event`] writes an event with new data around
//!   its fields; [`withheld_event`] keeps only its `id` / `retry` (no dispatch, but
//!   `Last-Event-ID` resumption stays intact).
//!
//! # Rules (WHATWG HTML §9.2.6)
//!
//! - Lines end with CR LF, a lone LF, or a lone CR. An empty line ends the event.
//! - A UTF-8 BOM at the very start of the stream is skipped.
//! - A line starting with `:` is a comment. Otherwise the field name runs up to the first `:`,
//!   and the value follows it, minus one leading space. A line with no `:` is a field whose
//!   value is empty (`data` alone is an empty data line).
//! - `data` lines are joined with LF. `event` sets the type. `id` sets the last event id unless
//!   its value contains NUL. `retry` counts only when it is all ASCII digits. Any other field
//!   (`idle`, `ids`, `Data`) is ignored.
//! - Invalid UTF-8 reads as U+FFFD, like a client's decoder; [`Event::utf8`] says whether the
//!   raw bytes were valid, so that a relay never passes invalid bytes on unseen.
//!
//! # Raw spans
//!
//! An event's `raw` runs from the end of the previous event to the end of its blank line,
//! comments and ignored fields included; the concatenation of all `raw` spans (and the
//! unfinished tail) is the stream, byte for byte. A CR ends a line at once: when it is the
//! last byte of a chunk, an LF that arrives next is the rest of that line ending, and lands at
//! the start of the following event's `raw` (a lone empty line there, which dispatches
//! nothing), so the bytes still add up.

use bytes::{Bytes, BytesMut};

mod relay;

pub use relay::{relay, EventHandler};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One event of the stream: everything up to and including the blank line that ends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The exact bytes of the event.
    pub raw: Bytes,
    /// The `data` lines joined with LF; `None` when the event has no `data` field, in which
    /// case a client dispatches nothing (`Some("")` is dispatched, empty).
    pub data: Option<String>,
    /// The last `event` field's value (a client reads `None` and `""` as `"message"`).
    pub event: Option<String>,
    /// The last valid `id` field's value (`""` resets the client's last event id).
    pub id: Option<String>,
    /// The last valid `retry` field, in milliseconds.
    pub retry: Option<u64>,
    /// Whether `raw` is valid UTF-8 (when not, the fields hold U+FFFD where the bytes were).
    pub utf8: bool,
    /// False for the unterminated tail returned by [`Parser::finish`].
    pub complete: bool,
}

impl Event {
    /// Whether a client dispatches this event (it has data and is complete).
    pub fn dispatches(&self) -> bool {
        self.complete && self.data.is_some()
    }
}

/// Fields of the event being read.
#[derive(Debug, Default)]
struct Fields {
    data: Option<String>,
    event: Option<String>,
    id: Option<String>,
    retry: Option<u64>,
}

impl Fields {
    fn line(&mut self, line: &[u8]) {
        if line.first() == Some(&b':') {
            return;
        }
        let (name, value) = match memchr::memchr(b':', line) {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &[][..]),
        };
        match name {
            b"data" => {
                let v = String::from_utf8_lossy(value);
                match &mut self.data {
                    Some(d) => {
                        d.push('\n');
                        d.push_str(&v);
                    }
                    None => self.data = Some(v.into_owned()),
                }
            }
            b"event" => self.event = Some(String::from_utf8_lossy(value).into_owned()),
            b"id" if !value.contains(&0) => {
                self.id = Some(String::from_utf8_lossy(value).into_owned())
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                // a value beyond u64 is still all digits: the longest wait there is
                self.retry = Some(
                    std::str::from_utf8(value)
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(u64::MAX),
                );
            }
            _ => {}
        }
    }

    fn into_event(self, raw: Bytes, complete: bool) -> Event {
        Event {
            utf8: std::str::from_utf8(&raw).is_ok(),
            raw,
            data: self.data,
            event: self.event,
            id: self.id,
            retry: self.retry,
            complete,
        }
    }
}

/// An incremental event-stream parser (see the module documentation).
#[derive(Debug)]
pub struct Parser {
    /// Bytes of the event in progress, from its first byte.
    buf: BytesMut,
    /// How much of `buf` has been read as lines.
    pos: usize,
    /// The last line ended with a CR that was the last byte seen: an LF next belongs to it.
    skip_lf: bool,
    /// Nothing of the stream has been read yet (a BOM may come).
    at_start: bool,
    fields: Fields,
}

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

impl Parser {
    pub fn new() -> Self {
        Parser {
            buf: BytesMut::new(),
            pos: 0,
            skip_lf: false,
            at_start: true,
            fields: Fields::default(),
        }
    }

    /// Bytes held for the event in progress.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Feed one chunk; returns the events it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Event> {
        self.buf.extend_from_slice(chunk);
        let mut out = Vec::new();
        if self.at_start {
            if self.buf.len() < BOM.len() && BOM.starts_with(&self.buf) {
                return out; // maybe a BOM, not all of it here yet
            }
            if self.buf.starts_with(BOM) {
                self.pos = BOM.len();
            }
            self.at_start = false;
        }
        loop {
            if self.skip_lf {
                let Some(&b) = self.buf.get(self.pos) else {
                    return out;
                };
                if b == b'\n' {
                    self.pos += 1;
                }
                self.skip_lf = false;
            }
            let Some(off) = memchr::memchr2(b'\r', b'\n', &self.buf[self.pos..]) else {
                return out;
            };
            let eol = self.pos + off;
            let next = if self.buf[eol] == b'\n' {
                eol + 1
            } else {
                match self.buf.get(eol + 1) {
                    Some(b'\n') => eol + 2,
                    Some(_) => eol + 1,
                    None => {
                        self.skip_lf = true;
                        eol + 1
                    }
                }
            };
            if eol == self.pos {
                let raw = self.buf.split_to(next).freeze();
                self.pos = 0;
                out.push(std::mem::take(&mut self.fields).into_event(raw, true));
            } else {
                self.fields.line(&self.buf[self.pos..eol]);
                self.pos = next;
            }
        }
    }

    /// End of the stream: what is left after the last blank line, as an incomplete event
    /// (its last line read as if it had ended). `None` when nothing is left.
    pub fn finish(&mut self) -> Option<Event> {
        if self.pos < self.buf.len() {
            let line = &self.buf[self.pos..];
            self.fields.line(line);
        }
        self.pos = 0;
        self.skip_lf = false;
        self.at_start = false;
        let raw = std::mem::take(&mut self.buf).freeze();
        let fields = std::mem::take(&mut self.fields);
        (!raw.is_empty()).then(|| fields.into_event(raw, false))
    }
}

/// Parse a whole stream at once: its complete events, then the unterminated tail if any.
pub fn parse_all(stream: &[u8]) -> (Vec<Event>, Option<Event>) {
    let mut p = Parser::new();
    let events = p.push(stream);
    (events, p.finish())
}

/// Write a line of `name: value` (values from the parser never hold CR or LF; any that a
/// caller passes are dropped, so the line cannot end early).
fn push_field(out: &mut String, name: &str, value: &str) {
    out.push_str(name);
    out.push_str(": ");
    out.extend(value.chars().filter(|&c| c != '\r' && c != '\n'));
    out.push('\n');
}

/// An event with the fields of `ev` (`id`, `event`, `retry`, in that order) and `data` as
/// its data, one `data:` line per line of `data` (split at CR LF, LF or CR), ended by a blank
/// line. Comments and ignored fields of the original are not kept.
pub fn rebuild_event(ev: &Event, data: &str) -> Bytes {
    let mut out = String::with_capacity(data.len() + 32);
    if let Some(id) = &ev.id {
        push_field(&mut out, "id", id);
    }
    if let Some(e) = &ev.event {
        push_field(&mut out, "event", e);
    }
    if let Some(r) = ev.retry {
        out.push_str(&format!("retry: {r}\n"));
    }
    let mut rest = data;
    loop {
        let end = rest.find(['\r', '\n']).unwrap_or(rest.len());
        out.push_str("data: ");
        out.push_str(&rest[..end]);
        out.push('\n');
        if end == rest.len() {
            break;
        }
        let skip = if rest[end..].starts_with("\r\n") {
            2
        } else {
            1
        };
        rest = &rest[end + skip..];
    }
    out.push('\n');
    Bytes::from(out)
}

/// An event's `id` / `retry` fields alone: it dispatches nothing but keeps `Last-Event-ID`
/// resumption intact where toolwall withheld the event. Empty when it has neither.
pub fn withheld_event(ev: &Event) -> Bytes {
    let mut out = String::new();
    if let Some(id) = &ev.id {
        push_field(&mut out, "id", id);
    }
    if let Some(r) = ev.retry {
        out.push_str(&format!("retry: {r}\n"));
    }
    if out.is_empty() {
        return Bytes::new();
    }
    out.push('\n');
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (stream, [(data, event, id, retry)] of the complete events, tail left)
    type Case = (
        &'static [u8],
        &'static [(
            Option<&'static str>,
            Option<&'static str>,
            Option<&'static str>,
            Option<u64>,
        )],
        &'static [u8],
    );

    const CASES: &[Case] = &[
        (b"data: a\n\n", &[(Some("a"), None, None, None)], b""),
        (b"data: a\r\n\r\n", &[(Some("a"), None, None, None)], b""),
        (b"data: a\r\r", &[(Some("a"), None, None, None)], b""),
        // LF then CR LF: the CR LF is the blank line
        (
            b"data: a\n\r\ndata: b\r\r",
            &[(Some("a"), None, None, None), (Some("b"), None, None, None)],
            b"",
        ),
        (
            b"data: a\r\ndata: b\rdata: c\n\n",
            &[(Some("a\nb\nc"), None, None, None)],
            b"",
        ),
        // no colon: an empty value; one space stripped, only one
        (b"data\n\n", &[(Some(""), None, None, None)], b""),
        (b"data\ndata\n\n", &[(Some("\n"), None, None, None)], b""),
        (b"data:  two\n\n", &[(Some(" two"), None, None, None)], b""),
        (b"data:x:y\n\n", &[(Some("x:y"), None, None, None)], b""),
        // comments, unknown fields, near-misses of known names
        (
            b": hi\nidle: 5\nids: 3\nData: x\ndata : y\n\n",
            &[(None, None, None, None)],
            b"",
        ),
        (
            b"idle: 5\ndata: a\n\n",
            &[(Some("a"), None, None, None)],
            b"",
        ),
        // id with NUL ignored; last valid id wins; empty id kept
        (
            b"id: 1\nid: 2\0\ndata: a\n\n",
            &[(Some("a"), None, Some("1"), None)],
            b"",
        ),
        (
            b"id\ndata: a\n\n",
            &[(Some("a"), None, Some(""), None)],
            b"",
        ),
        (b"id: 7\n\n", &[(None, None, Some("7"), None)], b""),
        // retry: digits only
        (
            b"retry: 10\nretry: 1x\nretry:\ndata: a\n\n",
            &[(Some("a"), None, None, Some(10))],
            b"",
        ),
        (
            b"event: ping\nevent: tick\ndata: a\n\n",
            &[(Some("a"), Some("tick"), None, None)],
            b"",
        ),
        // BOM at the start is skipped; a second one is not
        (
            b"\xEF\xBB\xBFdata: a\n\n\xEF\xBB\xBFdata: b\n\n",
            &[(Some("a"), None, None, None), (None, None, None, None)],
            b"",
        ),
        // blank lines alone are empty events
        (
            b"\n\r\n\r",
            &[
                (None, None, None, None),
                (None, None, None, None),
                (None, None, None, None),
            ],
            b"",
        ),
        (
            b"data: a\n\ndata: b",
            &[(Some("a"), None, None, None)],
            b"data: b",
        ),
        (b"data: a\ndata: b\n", &[], b"data: a\ndata: b\n"),
    ];

    fn fields(e: &Event) -> (Option<&str>, Option<&str>, Option<&str>, Option<u64>) {
        (
            e.data.as_deref(),
            e.event.as_deref(),
            e.id.as_deref(),
            e.retry,
        )
    }

    fn chunked(stream: &[u8], size: usize) -> (Vec<Event>, Option<Event>) {
        let mut p = Parser::new();
        let mut events = Vec::new();
        for c in stream.chunks(size.max(1)) {
            events.extend(p.push(c));
        }
        (events, p.finish())
    }

    #[test]
    fn whatwg_cases_whole_and_in_every_chunking() {
        for (stream, want, tail) in CASES {
            for size in [stream.len().max(1), 1, 2, 3, 5] {
                let (events, rest) = chunked(stream, size);
                let got: Vec<_> = events.iter().map(fields).collect();
                assert_eq!(
                    &got[..],
                    *want,
                    "{:?} in chunks of {size}",
                    String::from_utf8_lossy(stream)
                );
                assert!(events.iter().all(|e| e.complete));
                // bytes add up; the tail is exactly what follows the last blank line
                let mut all: Vec<u8> = events.iter().flat_map(|e| e.raw.to_vec()).collect();
                let rest_raw = rest.as_ref().map(|r| r.raw.to_vec()).unwrap_or_default();
                all.extend_from_slice(&rest_raw);
                assert_eq!(&all[..], *stream);
                if size == stream.len().max(1) {
                    assert_eq!(&rest_raw[..], *tail);
                }
            }
        }
    }

    #[test]
    fn raw_spans_end_at_the_blank_line() {
        let (ev, rest) = parse_all(b"id: 1\ndata: a\r\n\r\n: c\ndata: b\r\r\ndata: c\n\n");
        let raws: Vec<&[u8]> = ev.iter().map(|e| &e.raw[..]).collect();
        assert_eq!(
            raws,
            [
                &b"id: 1\ndata: a\r\n\r\n"[..],
                b": c\ndata: b\r\r\n",
                b"data: c\n\n"
            ]
        );
        assert!(rest.is_none());
        // a CR ending a chunk: the LF that follows starts the next span
        let mut p = Parser::new();
        let a = p.push(b"data: a\r\r");
        assert_eq!(&a[0].raw[..], b"data: a\r\r");
        let b = p.push(b"\ndata: b\n\n");
        assert_eq!(&b[0].raw[..], b"\ndata: b\n\n");
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].data.as_deref(), Some("b"));
    }

    #[test]
    fn finish_returns_the_unterminated_tail() {
        let (ev, rest) = parse_all(b"data: a\n\nid: 3\ndata: b");
        assert_eq!(ev.len(), 1);
        let rest = rest.expect("tail");
        assert!(!rest.complete && !rest.dispatches());
        assert_eq!(
            (rest.data.as_deref(), rest.id.as_deref()),
            (Some("b"), Some("3"))
        );
        // a partial BOM at the end of the stream is data, not lost
        let (ev, rest) = parse_all(b"\xEF\xBB");
        assert!(ev.is_empty());
        assert_eq!(&rest.expect("tail").raw[..], b"\xEF\xBB");
    }

    #[test]
    fn invalid_utf8_is_flagged_and_replaced() {
        let (ev, _) = parse_all(b"data: a\xFFb\n\n: \xC3\ndata: ok\n\ndata: \xC3\xA9\n\n");
        assert_eq!(ev[0].data.as_deref(), Some("a\u{FFFD}b"));
        assert!(!ev[0].utf8);
        assert!(!ev[1].utf8, "a bad byte in a comment counts too");
        assert!(ev[2].utf8);
        assert_eq!(ev[2].data.as_deref(), Some("é"));
    }

    #[test]
    fn rebuild_and_withhold_keep_only_parsed_fields() {
        let (ev, _) =
            parse_all(b": note\nidle: 9\nid: 1\nevent: message\nretry: 5\ndata: {\"a\":1}\n\n");
        let rebuilt = rebuild_event(&ev[0], "{\"b\":2}\nline\r\nx\ry");
        assert_eq!(
            &rebuilt[..],
            b"id: 1\nevent: message\nretry: 5\ndata: {\"b\":2}\ndata: line\ndata: x\ndata: y\n\n"
        );
        let (back, _) = parse_all(&rebuilt);
        assert_eq!(back[0].data.as_deref(), Some("{\"b\":2}\nline\nx\ny"));
        assert_eq!(&withheld_event(&ev[0])[..], b"id: 1\nretry: 5\n\n");
        // `idle:` is not an id: nothing to keep
        let (ev, _) = parse_all(b"idle: 9\ndata: x\n\n");
        assert!(withheld_event(&ev[0]).is_empty());
        assert_eq!(&rebuild_event(&ev[0], "")[..], b"data: \n\n");
    }

    /// The fuzz target's property on pseudo-random streams (run in CI, unlike the fuzzer):
    /// any chunking reads the same fields, the raw spans add up, a rebuilt event reads back.
    #[test]
    fn random_streams_parse_alike_in_any_chunking() {
        const ALPHABET: &[u8] = b"\r\n\r\n: dataidevntry\0\xEF\xBB\xBF\xFF\xC3\xA9x1";
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..3000 {
            let len = (next() % 64) as usize;
            let stream: Vec<u8> = (0..len)
                .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
                .collect();
            let (whole, whole_tail) = parse_all(&stream);
            let mut p = Parser::new();
            let mut chunked = Vec::new();
            let mut at = 0;
            while at < stream.len() {
                let end = (at + 1 + (next() % 5) as usize).min(stream.len());
                chunked.extend(p.push(&stream[at..end]));
                at = end;
            }
            let chunked_tail = p.finish();
            let key = |e: &Event| {
                (
                    e.data.clone(),
                    e.event.clone(),
                    e.id.clone(),
                    e.retry,
                    e.utf8,
                )
            };
            assert_eq!(
                whole.iter().map(key).collect::<Vec<_>>(),
                chunked.iter().map(key).collect::<Vec<_>>(),
                "{stream:?}"
            );
            let tail_key =
                |t: &Option<Event>| t.as_ref().map(|e| (e.data.clone(), e.id.clone(), e.retry));
            let empty = Some((None, None, None));
            let (a, b) = (tail_key(&whole_tail), tail_key(&chunked_tail));
            assert!(
                a == b || a.or(empty.clone()) == b.or(empty.clone()),
                "{stream:?}"
            );
            for (events, tail) in [(&whole, &whole_tail), (&chunked, &chunked_tail)] {
                let all: Vec<u8> = events
                    .iter()
                    .chain(tail.iter())
                    .flat_map(|e| e.raw.iter().copied())
                    .collect();
                assert_eq!(all, stream);
            }
            for e in whole.iter().chain(whole_tail.iter()) {
                let data = e.data.clone().unwrap_or_default();
                let (back, rest) = parse_all(&rebuild_event(e, &data));
                assert!(rest.is_none());
                assert_eq!(back.len(), 1);
                assert_eq!(back[0].data.as_deref(), Some(data.as_str()));
                assert_eq!(
                    (&back[0].event, &back[0].id, back[0].retry),
                    (&e.event, &e.id, e.retry)
                );
                let (w, _) = parse_all(&withheld_event(e));
                assert!(w.iter().all(|x| x.data.is_none()));
            }
        }
    }
}
