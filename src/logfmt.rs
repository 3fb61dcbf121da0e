//! The text log's fields, written as tracing-subscriber's default formatter writes them, at a
//! fraction of its cost.
//!
//! `tracing_subscriber::fmt`'s `DefaultFields` writes every field through `write!` with an
//! italic and a dimmed `nu_ansi_term` paint, even with colours off: the per-call line
//! (`toolwall::call`, 13 fields) cost ~18.5k instructions, ~13k of them in the fields
//! (callgrind, `LOG=info benches/instructions.sh` against `--log-level warn`). [`PlainFields`]
//! writes the common cases itself, colours off — a plain ASCII string, an integer, a boolean,
//! a `Debug`/`Display` value — and hands everything else (the message, errors, strings that
//! need escaping, `r#` names, `log.` fields, colours on) to `DefaultFields`' own visitor, so
//! the bytes are the same; a test holds the two to each other.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing_subscriber::field::{RecordFields, VisitOutput};
use tracing_subscriber::fmt::format::{DefaultVisitor, Writer};
use tracing_subscriber::fmt::FormatFields;

/// A [`FormatFields`] with `DefaultFields`' output (see the module docs).
#[derive(Debug, Default, Clone, Copy)]
pub struct PlainFields;

impl<'w> FormatFields<'w> for PlainFields {
    fn format_fields<R: RecordFields>(&self, mut writer: Writer<'w>, fields: R) -> fmt::Result {
        if writer.has_ansi_escapes() || !writer.sanitizes_ansi_escapes() {
            return record(writer, fields);
        }
        // Colours off: the fields written into one buffer, then into `writer` at once (each
        // write to `writer` is a call through `dyn fmt::Write`, ~45 of them a call's line). A
        // `Writer` over the buffer has the same settings as `writer` (no colours, escapes
        // sanitized), so what the default visitor writes there is the same.
        FIELDS_BUF.with(|cell| match cell.try_borrow_mut() {
            Ok(mut buf) => {
                buf.clear();
                let done = record(&mut *buf, fields).and_then(|_| writer.write_str(&buf));
                if buf.capacity() > FIELDS_BUF_MAX {
                    *buf = String::new();
                }
                done
            }
            // a field's `Debug` that logs: a buffer of its own
            Err(_) => {
                let mut buf = String::new();
                record(&mut buf, fields).and_then(|_| writer.write_str(&buf))
            }
        })
    }
}

/// The largest fields buffer a thread keeps between lines.
const FIELDS_BUF_MAX: usize = 16 * 1024;

thread_local! {
    static FIELDS_BUF: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

fn record<W: Sink, R: RecordFields>(out: W, fields: R) -> fmt::Result {
    let mut v = Plain {
        ansi: out.ansi(),
        out,
        is_empty: true,
        result: Ok(()),
    };
    fields.record(&mut v);
    v.result
}

/// Where [`Plain`] writes: the formatter's `Writer`, or a buffer (colours off).
trait Sink {
    fn put(&mut self, s: &str) -> fmt::Result;
    fn put_fmt(&mut self, args: fmt::Arguments<'_>) -> fmt::Result;
    fn put_quote(&mut self) -> fmt::Result;
    /// `name` and `=` (`="` with `quote`), after a space with `pad`.
    fn put_name(&mut self, pad: bool, name: &str, quote: bool) -> fmt::Result;
    fn ansi(&self) -> bool;
    /// A `Writer` over this sink, for the default visitor.
    fn writer(&mut self) -> Writer<'_>;
    /// The `message` field as the default visitor writes it with escapes sanitized (its
    /// `EscapeGuard`), after a space with `pad`: `None` when this sink leaves it to the
    /// default visitor.
    fn message(&mut self, pad: bool, value: &dyn fmt::Debug) -> Option<fmt::Result>;
}

impl Sink for Writer<'_> {
    #[inline]
    fn put(&mut self, s: &str) -> fmt::Result {
        self.write_str(s)
    }
    fn put_fmt(&mut self, args: fmt::Arguments<'_>) -> fmt::Result {
        self.write_fmt(args)
    }
    fn put_quote(&mut self) -> fmt::Result {
        self.write_char('"')
    }
    fn put_name(&mut self, pad: bool, name: &str, quote: bool) -> fmt::Result {
        if pad {
            self.write_str(" ")?;
        }
        self.write_str(name)?;
        self.write_str(if quote { "=\"" } else { "=" })
    }
    fn ansi(&self) -> bool {
        self.has_ansi_escapes()
    }
    fn writer(&mut self) -> Writer<'_> {
        self.by_ref()
    }
    fn message(&mut self, _: bool, _: &dyn fmt::Debug) -> Option<fmt::Result> {
        None
    }
}

impl Sink for &mut String {
    #[inline]
    fn put(&mut self, s: &str) -> fmt::Result {
        self.push_str(s);
        Ok(())
    }
    fn put_fmt(&mut self, args: fmt::Arguments<'_>) -> fmt::Result {
        fmt::Write::write_fmt(&mut **self, args)
    }
    #[inline]
    fn put_quote(&mut self) -> fmt::Result {
        self.push('"');
        Ok(())
    }
    #[inline]
    fn put_name(&mut self, pad: bool, name: &str, quote: bool) -> fmt::Result {
        // the one-byte pieces pushed as bytes: a `memcpy` call each otherwise
        self.reserve(name.len() + 3);
        if pad {
            self.push(' ');
        }
        self.push_str(name);
        self.push('=');
        if quote {
            self.push('"');
        }
        Ok(())
    }
    fn ansi(&self) -> bool {
        false
    }
    fn writer(&mut self) -> Writer<'_> {
        Writer::new(&mut **self)
    }
    /// (The buffer is used with escapes sanitized only: `PlainFields::format_fields`.)
    fn message(&mut self, pad: bool, value: &dyn fmt::Debug) -> Option<fmt::Result> {
        if pad {
            self.push(' ');
        }
        Some(fmt::Write::write_fmt(
            &mut Sanitized(self),
            format_args!("{value:?}"),
        ))
    }
}

/// tracing-subscriber's `EscapingWriter` (what its `EscapeGuard` writes a message through):
/// ESC, BEL, BS, FF and DEL as `\x..`, C1 controls as `\u{..}`, every other char as it is;
/// straight into the buffer, and a piece without those bytes pushed whole. The default
/// visitor's way (the guard's `Debug` through the formatter, then a `write_char` per char
/// through `dyn fmt::Write`) cost ~0.8k instructions for the call line's `tool call`
/// (docs/performance.md, "Twentieth round").
struct Sanitized<'a>(&'a mut String);

impl fmt::Write for Sanitized<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // C1 controls (U+0080..U+009F) are `0xc2 0x80..0x9f` in UTF-8
        if !s
            .bytes()
            .any(|b| matches!(b, 0x07 | 0x08 | 0x0c | 0x1b | 0x7f | 0xc2))
        {
            self.0.push_str(s);
            return Ok(());
        }
        for ch in s.chars() {
            match ch {
                '\x1b' => self.0.push_str("\\x1b"),
                '\x07' => self.0.push_str("\\x07"),
                '\x08' => self.0.push_str("\\x08"),
                '\x0c' => self.0.push_str("\\x0c"),
                '\x7f' => self.0.push_str("\\x7f"),
                ch if ('\u{80}'..='\u{9f}').contains(&ch) => {
                    fmt::Write::write_fmt(self.0, format_args!("\\u{{{:x}}}", ch as u32))?;
                }
                _ => self.0.push(ch),
            }
        }
        Ok(())
    }
}

struct Plain<W> {
    out: W,
    ansi: bool,
    is_empty: bool,
    result: fmt::Result,
}

impl<W: Sink> Plain<W> {
    /// A field this visitor writes itself: `name=`, after a space unless it is the first.
    fn own(&mut self, field: &Field) -> bool {
        self.own_then(field, false)
    }

    /// [`Plain::own`], with `="` in place of `=` with `quote` (before a quoted string: one
    /// write fewer).
    fn own_then(&mut self, field: &Field, quote: bool) -> bool {
        let name = field.name();
        if self.result.is_err() || self.ansi || default_visitors(name) {
            return false;
        }
        let pad = !self.is_empty;
        self.is_empty = false;
        self.result = self.out.put_name(pad, name, quote);
        true
    }

    /// The default visitor writes this field, continuing where this one is.
    fn forward(&mut self, field: &Field, record: impl FnOnce(&mut DefaultVisitor<'_>)) {
        if self.result.is_err() {
            return;
        }
        let mut v = DefaultVisitor::new(self.out.writer(), self.is_empty);
        record(&mut v);
        self.result = v.finish();
        // the default visitor skips `log.` fields without a separator
        if !field.name().starts_with("log.") {
            self.is_empty = false;
        }
    }

    /// A string's closing quote.
    fn write_quote(&mut self) {
        if self.result.is_ok() {
            self.result = self.out.put_quote();
        }
    }

    fn write(&mut self, s: &str) {
        if self.result.is_ok() {
            self.result = self.out.put(s);
        }
    }
}

/// The fields the default visitor writes: `message`, `r#` names and `log.` fields. (By the
/// first byte first: the three comparisons for every field were ~30 instructions of each of
/// the call line's twelve; docs/performance.md, "Twenty-third round".)
#[inline]
fn default_visitors(name: &str) -> bool {
    match name.as_bytes().first() {
        Some(b'm') => name == "message",
        Some(b'r') => name.starts_with("r#"),
        Some(b'l') => name.starts_with("log."),
        _ => false,
    }
}

/// `Debug` of a `str` writes these bytes as they are: printable ASCII but `"` and `\`. (The
/// strings' escape scan, a word at a time, and DEL apart: a byte loop here cost ~5
/// instructions a byte of each of the call line's six strings.)
fn plain_ascii(s: &str) -> bool {
    let b = s.as_bytes();
    let scanned = crate::json::scan_string(b);
    !scanned.escape && scanned.ascii && !ascii_has_del(b)
}

/// Whether ASCII bytes hold a DEL (0x7f), eight at a time: a byte below 0x80 plus one has its
/// high bit set only when it is 0x7f, and carries into the next byte never (the byte loop of
/// `<[u8]>::contains` was ~5 instructions a byte of the call line's strings: docs/
/// performance.md, "Twenty-third round"). The last 1..7 bytes are the last eight read again.
fn ascii_has_del(b: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    if b.len() < 8 {
        return b.contains(&0x7f);
    }
    // (every slice here is eight bytes; were one not, the word says DEL: the default visitor
    // writes the string, never a wrong line)
    let del = |w: &[u8]| {
        let w = <[u8; 8]>::try_from(w).map_or(u64::MAX >> 1, u64::from_le_bytes);
        w.wrapping_add(ONES) & HIGH != 0
    };
    let mut chunks = b.chunks_exact(8);
    if chunks.by_ref().any(del) {
        return true;
    }
    !chunks.remainder().is_empty() && del(&b[b.len() - 8..])
}

impl<W: Sink> Visit for Plain<W> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if plain_ascii(value) && self.own_then(field, true) {
            self.write(value);
            self.write_quote();
        } else {
            self.forward(field, |v| v.record_str(field, value));
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if self.own(field) {
            self.write(itoa::Buffer::new().format(value));
        } else {
            self.forward(field, |v| v.record_u64(field, value));
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if self.own(field) {
            self.write(itoa::Buffer::new().format(value));
        } else {
            self.forward(field, |v| v.record_i64(field, value));
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if self.own(field) {
            self.write(if value { "true" } else { "false" });
        } else {
            self.forward(field, |v| v.record_bool(field, value));
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.forward(field, |v| v.record_error(field, value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" && !self.ansi && self.result.is_ok() {
            if let Some(done) = self.out.message(!self.is_empty, value) {
                self.is_empty = false;
                self.result = done;
                return;
            }
        }
        // `%` (Display) values arrive here too; the default writes `name=` and `{:?}`
        if self.own(field) {
            if self.result.is_ok() {
                self.result = self.out.put_fmt(format_args!("{value:?}"));
            }
        } else {
            self.forward(field, |v| v.record_debug(field, value));
        }
    }
}

/// tracing-subscriber's `Full` line (`Format<Full, T>` as `init_tracing` sets it up: timestamp,
/// level, target, no thread, file or line), written with `write_str` where `Full` writes the
/// level and the target through `write!` with `nu_ansi_term` paints even with colours off
/// (~2.1k instructions of the per-call line's ~8.1k, callgrind, docs/performance.md,
/// "Nineteenth round"). Colours on, an event inside a span (its scope is written first) or a
/// `log` record (`Full` normalizes its metadata) go to `Full` itself; a test holds the two to
/// each other.
#[derive(Debug, Clone)]
pub struct Line<T = CachedTime> {
    timer: T,
    full: tracing_subscriber::fmt::format::Format<tracing_subscriber::fmt::format::Full, T>,
}

impl<T: tracing_subscriber::fmt::time::FormatTime + Clone> Line<T> {
    pub fn new(timer: T) -> Self {
        Line {
            full: tracing_subscriber::fmt::format().with_timer(timer.clone()),
            timer,
        }
    }
}

impl Default for Line<CachedTime> {
    fn default() -> Self {
        Line::new(CachedTime)
    }
}

impl<S, N, T> tracing_subscriber::fmt::FormatEvent<S, N> for Line<T>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    T: tracing_subscriber::fmt::time::FormatTime,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        if writer.has_ansi_escapes() || meta.target() == "log" || ctx.event_scope().is_some() {
            return self.full.format_event(ctx, writer, event);
        }
        if self.timer.format_time(&mut writer).is_err() {
            writer.write_str("<unknown time>")?;
        }
        // `Full`: the time, a space, the level padded to five and a space
        writer.write_str(match *meta.level() {
            tracing::Level::TRACE => " TRACE ",
            tracing::Level::DEBUG => " DEBUG ",
            tracing::Level::INFO => "  INFO ",
            tracing::Level::WARN => "  WARN ",
            tracing::Level::ERROR => " ERROR ",
        })?;
        writer.write_str(meta.target())?;
        writer.write_str(": ")?;
        ctx.format_fields(writer.by_ref(), event)?;
        writer.write_str("\n")
    }
}

/// tracing-subscriber's `SystemTime` timestamp (`2026-12-04T22:20:17.471123Z`, UTC, microseconds),
/// with the date and the time to the second formatted once per second per thread instead of
/// once per line: `SystemTime` cost ~2.3k instructions of the ~12.6k the per-call line costs
/// (callgrind, `LOG=info benches/instructions.sh` against `--log-level warn`). Outside years
/// 1970–9999 it hands over to `SystemTime`.
#[derive(Debug, Default, Clone, Copy)]
pub struct CachedTime;

/// The last second formatted on this thread: (seconds since the epoch, `YYYY-MM-DDTHH:MM:SS`).
type Second = (u64, [u8; 19]);

thread_local! {
    static SECOND: std::cell::Cell<Option<Second>> = const { std::cell::Cell::new(None) };
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ` for `since_epoch`, or `None` outside years 1970–9999.
fn timestamp(
    since_epoch: std::time::Duration,
    cached: Option<Second>,
) -> Option<(Second, [u8; 27])> {
    let secs = since_epoch.as_secs();
    let second = match cached {
        Some(c) if c.0 == secs => c,
        _ => {
            let t = chrono::DateTime::from_timestamp(i64::try_from(secs).ok()?, 0)?;
            let mut head = [0u8; 19];
            let text = t.format("%Y-%m-%dT%H:%M:%S").to_string();
            if text.len() != head.len() {
                return None; // a year past 9999
            }
            head.copy_from_slice(text.as_bytes());
            (secs, head)
        }
    };
    let mut out = [0u8; 27];
    out[..19].copy_from_slice(&second.1);
    out[19] = b'.';
    let mut micros = since_epoch.subsec_micros();
    for i in (20..26).rev() {
        out[i] = b'0' + (micros % 10) as u8;
        micros /= 10;
    }
    out[26] = b'Z';
    Some((second, out))
}

impl tracing_subscriber::fmt::time::FormatTime for CachedTime {
    fn format_time(&self, w: &mut Writer<'_>) -> fmt::Result {
        let now = std::time::SystemTime::now();
        let Ok(since) = now.duration_since(std::time::UNIX_EPOCH) else {
            return tracing_subscriber::fmt::time::SystemTime.format_time(w);
        };
        let Some((second, out)) = timestamp(since, SECOND.get()) else {
            return tracing_subscriber::fmt::time::SystemTime.format_time(w);
        };
        SECOND.set(Some(second));
        // ASCII digits and punctuation only
        w.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::fmt::MakeWriter;

    use super::PlainFields;

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| io::ErrorKind::Other)?
                .extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Buf {
        type Writer = Buf;
        fn make_writer(&'a self) -> Buf {
            self.clone()
        }
    }

    #[derive(Debug)]
    struct Outer(std::io::Error);
    impl std::fmt::Display for Outer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("outer failed")
        }
    }
    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    fn events() {
        let shadow = String::new();
        tracing::info!(
            target: "toolwall::call",
            decision_id = %"01a241b4-3730-7046",
            trace_id = %"e63be488ae46a906",
            adapter = "payments",
            tool = "payments.create_refund",
            agent = "bench-agent",
            decision = "allow",
            status = 200u16,
            reasons = %"",
            shadow_would_refuse = shadow.as_str(),
            mode = "enforce",
            latency_us = 5666u64,
            "tool call"
        );
        tracing::warn!(
            quoted = "say \"hi\"",
            back = "a\\b",
            ctl = "line\nbreak\ttab\u{1b}[31m",
            uni = "café ✓ \u{200b}",
            del = "a\u{7f}b",
            edge = " ~!#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}",
            short = "ab",
            seven = "abcdefg",
            neg = -42i64,
            flag = true,
            off = false,
            float = 1.5f64,
            dbg = ?vec!["a", "b"],
            empty = "",
            r#type = "raw",
            // names starting as the default visitor's do, and not theirs
            messages = "m",
            mess = 1u64,
            rate = "r",
            r = 2i64,
            logs = "l",
            log = true,
            log.line = 3u64,
            r#ref = "raw ref",
            "message with {} and \"quotes\" \u{1b}[0m",
            "args"
        );
        tracing::info!(
            "controls: bel \u{7} bs \u{8} ff \u{c} esc \u{1b} del \u{7f} c1 \u{80}\u{9b}\u{9f} \
             nbsp \u{a0} é \u{c2}\u{a9} tab \t nl \n nul \u{0} end"
        );
        tracing::info!(n = 3u64, "{}", "after a field: \u{9b}[31m");
        let err = Outer(std::io::Error::other("inner"));
        tracing::error!(
            error = &err as &(dyn std::error::Error + 'static),
            n = 7u64,
            "failed"
        );
        tracing::info!(first = 1u64, "only");
        tracing::info!("message alone");
        tracing::info!(a = "x", b = 2i64);
        let span = tracing::info_span!("outer", id = 7u64, name = "n\"q");
        let _g = span.enter();
        tracing::info!(inside = "yes", "in a span");
    }

    fn render(plain: bool, ansi: bool) -> String {
        let buf = Buf::default();
        let builder = tracing_subscriber::fmt()
            .with_writer(buf.clone())
            .with_ansi(ansi)
            .without_time()
            .with_max_level(tracing::Level::TRACE);
        if plain {
            tracing::subscriber::with_default(builder.fmt_fields(PlainFields).finish(), events);
        } else {
            tracing::subscriber::with_default(builder.finish(), events);
        }
        let bytes = buf.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8(bytes).unwrap_or_default()
    }

    /// A timer that writes the same text every time.
    #[derive(Clone, Copy)]
    struct Fixed;

    impl tracing_subscriber::fmt::time::FormatTime for Fixed {
        fn format_time(
            &self,
            w: &mut tracing_subscriber::fmt::format::Writer<'_>,
        ) -> std::fmt::Result {
            w.write_str("2026-12-06T14:00:00.123456Z")
        }
    }

    /// The events through `Line` and `PlainFields` (`ours`) or tracing-subscriber's `Full`
    /// format and `DefaultFields`, both with the fixed timer.
    fn render_line(ours: bool, ansi: bool) -> String {
        let buf = Buf::default();
        let builder = tracing_subscriber::fmt()
            .with_writer(buf.clone())
            .with_ansi(ansi)
            .with_timer(Fixed)
            .with_max_level(tracing::Level::TRACE);
        let emit = || {
            events();
            tracing::trace!(n = 1u64, "trace");
            tracing::debug!(target: "other::place", n = 2u64);
            tracing::warn!(target: "log", "a log-like target");
        };
        if ours {
            let b = builder
                .event_format(super::Line::new(Fixed))
                .fmt_fields(PlainFields);
            tracing::subscriber::with_default(b.finish(), emit);
        } else {
            tracing::subscriber::with_default(builder.finish(), emit);
        }
        let bytes = buf.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8(bytes).unwrap_or_default()
    }

    /// `Line` writes `Full`'s lines: every level, targets, the fields alone, the message
    /// alone, an event in a span (handed to `Full`), colours on (handed to `Full`).
    #[test]
    fn the_line_is_the_full_formats_line() {
        for ansi in [false, true] {
            let full = render_line(false, ansi);
            assert!(full.lines().count() >= 10, "{full}");
            assert_eq!(render_line(true, ansi), full, "ansi {ansi}");
        }
        let text = render_line(true, false);
        assert!(
            text.contains(
                "2026-12-06T14:00:00.123456Z  INFO toolwall::call: tool call decision_id="
            ) && text.contains("Z TRACE toolwall::logfmt::tests: trace n=1\n")
                && text.contains("Z ERROR toolwall::logfmt::tests: failed error=")
                && text.contains("Z  WARN log: a log-like target\n")
                && text.contains(
                    "Z  INFO outer{id=7 name=\"n\\\"q\"}: toolwall::logfmt::tests: in a span"
                ),
            "{text}"
        );
    }

    /// The word-at-a-time check is the byte definition: every byte at every position of
    /// strings up to 17 bytes, among plain bytes.
    #[test]
    fn plain_ascii_is_printable_ascii_but_quote_and_backslash() {
        let slow = |b: &[u8]| {
            b.iter()
                .all(|&c| (0x20..0x7f).contains(&c) && c != b'"' && c != b'\\')
        };
        for len in 0..=33usize {
            for pos in 0..len.max(1) {
                for byte in 0..=0x7fu8 {
                    for fill in [b'a', b' ', b'~', b'!', b'#', b'[', b']'] {
                        let mut v = vec![fill; len];
                        if len > 0 {
                            v[pos] = byte;
                        }
                        let s = std::str::from_utf8(&v).expect("ASCII");
                        assert_eq!(super::plain_ascii(s), slow(&v), "{v:?}");
                    }
                }
            }
        }
        assert!(!super::plain_ascii("café"));
    }

    #[test]
    fn the_plain_fields_write_what_the_default_fields_write() {
        for ansi in [false, true] {
            let default = render(false, ansi);
            assert!(default.lines().count() >= 7, "{default}");
            assert_eq!(render(true, ansi), default, "ansi {ansi}");
        }
        let text = render(true, false);
        assert!(
            text.contains(r#"adapter="payments" tool="payments.create_refund""#)
                && text.contains("status=200 reasons= shadow_would_refuse=\"\""),
            "{text}"
        );
    }

    #[test]
    fn cached_timestamps_are_the_system_times_format() {
        use chrono::SecondsFormat;
        let mut cached = None;
        // every step lands in a new or the same second; years 1970 to 9999, leap days
        let starts = [
            0u64,
            951_782_400,
            1_796_422_817,
            4_107_542_399,
            253_402_300_099,
        ];
        for start in starts {
            for step in 0..2_000u64 {
                let d = std::time::Duration::new(
                    start + step / 3,
                    ((step * 7_919_333) % 1_000_000_000) as u32,
                );
                let (second, out) = super::timestamp(d, cached).expect("in range");
                cached = Some(second);
                let want = chrono::DateTime::from_timestamp(d.as_secs() as i64, d.subsec_nanos())
                    .expect("in range")
                    .to_rfc3339_opts(SecondsFormat::Micros, true);
                assert_eq!(std::str::from_utf8(&out).ok(), Some(want.as_str()));
            }
        }
        assert!(super::timestamp(std::time::Duration::from_secs(253_402_300_800), None).is_none());
    }

    #[test]
    fn a_line_with_the_cached_time_is_the_default_line() {
        // the same event through `SystemTime` and `CachedTime`: equal but for the digits
        let line = |cached: bool| {
            let buf = Buf::default();
            let b = tracing_subscriber::fmt()
                .with_writer(buf.clone())
                .with_ansi(false);
            let emit = || tracing::info!(target: "toolwall::call", n = 1u64, "tool call");
            if cached {
                tracing::subscriber::with_default(b.with_timer(super::CachedTime).finish(), emit);
            } else {
                tracing::subscriber::with_default(b.finish(), emit);
            }
            let bytes = buf.0.lock().map(|b| b.clone()).unwrap_or_default();
            String::from_utf8(bytes).unwrap_or_default()
        };
        let shape = |s: &str| {
            s.chars()
                .map(|c| if c.is_ascii_digit() { '0' } else { c })
                .collect::<String>()
        };
        let (a, b) = (line(false), line(true));
        assert!(a.ends_with("INFO toolwall::call: tool call n=1\n"), "{a:?}");
        assert_eq!(shape(&a), shape(&b));
        let at =
            |s: &str| chrono::DateTime::parse_from_rfc3339(s.split(' ').next().unwrap_or("")).ok();
        let (ta, tb) = (at(&a).expect("a timestamp"), at(&b).expect("a timestamp"));
        assert!((tb - ta).num_seconds().abs() < 60, "{a} / {b}");
    }
}
