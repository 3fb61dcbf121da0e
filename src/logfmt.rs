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
    fn format_fields<R: RecordFields>(&self, writer: Writer<'w>, fields: R) -> fmt::Result {
        let mut v = Plain {
            ansi: writer.has_ansi_escapes(),
            writer,
            is_empty: true,
            result: Ok(()),
        };
        fields.record(&mut v);
        v.result
    }
}

struct Plain<'a> {
    writer: Writer<'a>,
    ansi: bool,
    is_empty: bool,
    result: fmt::Result,
}

impl Plain<'_> {
    /// A field this visitor writes itself: `name=`, after a space unless it is the first.
    fn own(&mut self, field: &Field) -> bool {
        let name = field.name();
        if self.result.is_err()
            || self.ansi
            || name == "message"
            || name.starts_with("r#")
            || name.starts_with("log.")
        {
            return false;
        }
        let pad = if self.is_empty { "" } else { " " };
        self.is_empty = false;
        self.result = self
            .writer
            .write_str(pad)
            .and_then(|_| self.writer.write_str(name))
            .and_then(|_| self.writer.write_char('='));
        true
    }

    /// The default visitor writes this field, continuing where this one is.
    fn forward(&mut self, field: &Field, record: impl FnOnce(&mut DefaultVisitor<'_>)) {
        if self.result.is_err() {
            return;
        }
        let mut v = DefaultVisitor::new(self.writer.by_ref(), self.is_empty);
        record(&mut v);
        self.result = v.finish();
        // the default visitor skips `log.` fields without a separator
        if !field.name().starts_with("log.") {
            self.is_empty = false;
        }
    }

    fn write(&mut self, s: &str) {
        if self.result.is_ok() {
            self.result = self.writer.write_str(s);
        }
    }
}

/// `Debug` of a `str` writes these bytes as they are: printable ASCII but `"` and `\`.
fn plain_ascii(s: &str) -> bool {
    s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
}

impl Visit for Plain<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if plain_ascii(value) && self.own(field) {
            self.write("\"");
            self.write(value);
            self.write("\"");
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
        // `%` (Display) values arrive here too; the default writes `name=` and `{:?}`
        if self.own(field) {
            if self.result.is_ok() {
                self.result = write!(self.writer, "{value:?}");
            }
        } else {
            self.forward(field, |v| v.record_debug(field, value));
        }
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
            neg = -42i64,
            flag = true,
            off = false,
            float = 1.5f64,
            dbg = ?vec!["a", "b"],
            empty = "",
            r#type = "raw",
            "message with {} and \"quotes\" \u{1b}[0m",
            "args"
        );
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
}
