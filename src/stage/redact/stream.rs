//! Redaction of a server-sent event stream as it flows, as a handler of the one SSE relay
//! (`protocol::sse::relay`); see docs/redaction.md, "Streams (SSE)".

use std::sync::Arc;

use bytes::Bytes;
use hyper::body::Incoming;
use serde_json::Value;

use super::{count, MAX_RESPONSE_BYTES};
use crate::metrics::Metrics;
use crate::redact::{ActionPlan, Finding, Redactor};

/// An event is held back until this much data text follows it (bytes)...
pub const SSE_WINDOW_BYTES: usize = 512;
/// ... or, when a later event arrives, it has been held this long.
pub const SSE_WINDOW_TIME: std::time::Duration = std::time::Duration::from_millis(250);
/// At most this many events, and this many bytes, are held back at once.
pub const SSE_MAX_HELD_EVENTS: usize = 64;
pub const SSE_MAX_HELD_BYTES: usize = 1 << 20;
/// A single event larger than this ends the stream (the rest is withheld).
pub const SSE_MAX_EVENT_BYTES: usize = MAX_RESPONSE_BYTES;

/// Where a redacted event stream reports what it changed or withheld: one `outcome` record
/// for the call, written when the stream ends.
pub struct StreamAudit {
    sink: crate::audit::sink::AuditSink,
    decision_id: String,
    tool: Option<String>,
    status: u16,
}

impl StreamAudit {
    /// For the call in `ctx`, if there is an audit stream (`sink`).
    pub fn for_call(
        sink: Option<&crate::audit::sink::AuditSink>,
        ctx: &crate::stage::record::CallRecord,
        status: http::StatusCode,
    ) -> Option<Self> {
        let sink = sink?;
        Some(StreamAudit {
            sink: sink.clone(),
            decision_id: ctx.decision_id.clone(),
            tool: ctx.tool.clone(),
            status: status.as_u16(),
        })
    }
}

/// Redact a server-sent event stream as it flows (see docs/redaction.md, "Streams (SSE)").
/// Events are parsed exactly as a client parses them; JSON `data` is redacted as JSON
/// (escapes decoded), other data as text; an entity split across events is caught within a
/// window of held-back events; invalid UTF-8 is replaced; data that looks like JSON but does
/// not parse, an unterminated last event and an oversized event are withheld. An event cannot
/// be refused mid-stream: `deny` findings are masked.
pub fn redact_event_stream(
    body: Incoming,
    redactor: Arc<Redactor>,
    plan: ActionPlan,
    metrics: Arc<Metrics>,
    audit: Option<StreamAudit>,
) -> crate::body::ResBody {
    let relay = SseRedact::new(redactor, plan, metrics, audit);
    crate::protocol::sse::relay(body, SSE_MAX_EVENT_BYTES, relay)
}

/// An event's data as it will be sent.
enum Payload {
    /// No `data` field.
    None,
    Text(String),
    /// JSON: the redacted text, its parse, and whether the parse was changed since.
    Json(String, Value, bool),
    /// Not forwarded (only its `id` / `retry`).
    Withheld,
}

impl Payload {
    /// JSON pointers of the strings and numbers a later event may continue ("" for text).
    fn keys(&self) -> Vec<String> {
        match self {
            Payload::Text(_) => vec![String::new()],
            Payload::Json(_, v, _) => {
                let mut out = Vec::new();
                string_leaves(v, &mut String::new(), &mut out);
                out
            }
            Payload::None | Payload::Withheld => Vec::new(),
        }
    }

    /// The text at `key`: a string, or a number as written (`4` then `242…` is a card too).
    fn text_at(&self, key: &str) -> Option<std::borrow::Cow<'_, str>> {
        use std::borrow::Cow;
        match self {
            Payload::Text(s) if key.is_empty() => Some(Cow::Borrowed(s)),
            Payload::Json(_, v, _) => match v.pointer(key)? {
                Value::String(s) => Some(Cow::Borrowed(s)),
                Value::Number(n) => Some(Cow::Owned(n.to_string())),
                _ => None,
            },
            _ => None,
        }
    }

    /// The text at `key` to edit in place (a number becomes a string).
    fn text_mut(&mut self, key: &str) -> Option<&mut String> {
        match self {
            Payload::Text(s) if key.is_empty() => Some(s),
            Payload::Json(_, v, dirty) => {
                let target = v.pointer_mut(key)?;
                if let Value::Number(n) = target {
                    *target = Value::String(n.to_string());
                }
                match target {
                    Value::String(s) => {
                        *dirty = true;
                        Some(s)
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn text_len(&self) -> usize {
        match self {
            Payload::Text(s) => s.len(),
            Payload::Json(..) => self
                .keys()
                .iter()
                .filter_map(|k| self.text_at(k))
                .map(|t| t.len())
                .sum(),
            Payload::None | Payload::Withheld => 0,
        }
    }
}

fn string_leaves(v: &Value, ptr: &mut String, out: &mut Vec<String>) {
    match v {
        Value::String(_) | Value::Number(_) => out.push(ptr.clone()),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let len = ptr.len();
                ptr.push('/');
                ptr.push_str(&i.to_string());
                string_leaves(x, ptr, out);
                ptr.truncate(len);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                let len = ptr.len();
                ptr.push('/');
                ptr.push_str(&k.replace('~', "~0").replace('/', "~1"));
                string_leaves(x, ptr, out);
                ptr.truncate(len);
            }
        }
        _ => {}
    }
}

/// An event held back, redacted on its own, waiting for what may continue it.
struct Held {
    ev: crate::protocol::sse::Event,
    payload: Payload,
    /// Not forwarded byte for byte: rebuilt from its (redacted) fields.
    changed: bool,
    text: usize,
    at: std::time::Instant,
}

impl Held {
    fn render(mut self) -> Bytes {
        use crate::protocol::sse;
        if let Payload::Withheld = self.payload {
            return sse::withheld_event(&self.ev);
        }
        if !self.changed {
            return self.ev.raw;
        }
        let data = match std::mem::replace(&mut self.payload, Payload::None) {
            Payload::None | Payload::Withheld => return sse::withheld_event(&self.ev),
            Payload::Text(s) => s,
            Payload::Json(_, v, true) => match serde_json::to_string(&v) {
                Ok(s) => s,
                Err(_) => return sse::withheld_event(&self.ev),
            },
            Payload::Json(s, _, false) => s,
        };
        sse::rebuild_event(&self.ev, &data)
    }
}

/// What a redacted stream did, for its audit record.
#[derive(Default)]
struct StreamReport {
    events: u64,
    redacted: std::collections::BTreeMap<&'static str, u64>,
    across_events: u64,
    invalid_utf8: u64,
    withheld: u64,
    incomplete: bool,
    too_large: bool,
}

struct SseRedact {
    redactor: Arc<Redactor>,
    plan: ActionPlan,
    metrics: Arc<Metrics>,
    held: std::collections::VecDeque<Held>,
    held_bytes: usize,
    held_text: usize,
    report: StreamReport,
    audit: Option<StreamAudit>,
}

impl SseRedact {
    fn new(
        redactor: Arc<Redactor>,
        plan: ActionPlan,
        metrics: Arc<Metrics>,
        audit: Option<StreamAudit>,
    ) -> Self {
        SseRedact {
            redactor,
            plan,
            metrics,
            held: Default::default(),
            held_bytes: 0,
            held_text: 0,
            report: StreamReport::default(),
            audit,
        }
    }

    /// The upstream ended: everything held, and never an unterminated last event `tail` (a
    /// client discards it; toolwall does not send it on unseen).
    fn finish(&mut self, tail: Option<crate::protocol::sse::Event>) -> Bytes {
        if let Some(tail) = tail {
            if tail.data.is_some() || tail.id.is_some() || tail.retry.is_some() {
                self.report.incomplete = true;
            }
        }
        self.release_all()
    }

    /// An event outgrew [`SSE_MAX_EVENT_BYTES`]: everything held, and the stream ends.
    fn too_large(&mut self) -> Bytes {
        self.report.too_large = true;
        self.release_all()
    }

    /// What no later event can continue any more, sent now.
    fn released(&mut self) -> Bytes {
        let mut out = Vec::new();
        self.release(&mut out);
        Bytes::from(out)
    }

    fn count(&mut self, findings: &[Finding]) -> bool {
        count(&self.metrics, findings);
        let mut any = false;
        for f in findings
            .iter()
            .filter(|f| f.action != crate::redact::Action::Keep)
        {
            *self.report.redacted.entry(f.entity.name()).or_default() += 1;
            any = true;
        }
        any
    }

    /// Redact text; whether it changed.
    fn redact_str(&mut self, s: &mut String) -> bool {
        let (out, findings) = self.redactor.redact_text(s, &self.plan);
        let changed = self.count(&findings);
        if let std::borrow::Cow::Owned(o) = out {
            *s = o;
            return true;
        }
        changed
    }

    fn redact_event(&mut self, mut ev: crate::protocol::sse::Event, out: &mut Vec<u8>) {
        if ev.data.is_none() && ev.id.is_none() && ev.retry.is_none() {
            // dispatches nothing (comments, blank lines, an `event` alone): a keep-alive
            if ev.raw.iter().any(|&b| b != b'\r' && b != b'\n') {
                out.extend_from_slice(b":\n\n");
            }
            return;
        }
        self.report.events += 1;
        let mut changed = !ev.utf8;
        if !ev.utf8 {
            self.report.invalid_utf8 += 1;
        }
        // comments and ignored fields are dropped when anything in the raw event is found
        if let Ok(raw) = std::str::from_utf8(&ev.raw) {
            let (_, findings) = self.redactor.redact_text(raw, &self.plan);
            if findings
                .iter()
                .any(|f| f.action != crate::redact::Action::Keep)
            {
                changed = true;
            }
        }
        let mut fields = [ev.event.take(), ev.id.take()];
        for f in fields.iter_mut().flatten() {
            changed |= self.redact_str(f);
        }
        [ev.event, ev.id] = fields;
        // the data as the client reads it, unredacted: an entity that starts in a held event
        // is found against the original text, before this event's own redaction masks part of it
        let payload = match ev.data.take() {
            None => Payload::None,
            Some(d) => match serde_json::from_str::<Value>(&d) {
                // a bare number (or `true`, `null`) is read as the text it is
                Ok(v) if !(v.is_object() || v.is_array() || v.is_string()) => Payload::Text(d),
                Ok(v) => Payload::Json(d, v, false),
                Err(_) if matches!(d.trim_start().chars().next(), Some('{' | '[' | '"')) => {
                    // looks like JSON a lax client would read, but not JSON toolwall can see into
                    Payload::Withheld
                }
                Err(_) => Payload::Text(d),
            },
        };
        if let Payload::Withheld = payload {
            self.report.withheld += 1;
        }
        let text = payload.text_len();
        self.held_bytes += ev.raw.len();
        self.held_text += text;
        self.held.push_back(Held {
            ev,
            payload,
            changed,
            text,
            at: std::time::Instant::now(),
        });
        self.across_events();
        // then the event on its own
        let Some(mut held) = self.held.pop_back() else {
            return;
        };
        match &mut held.payload {
            Payload::Text(d) => held.changed |= self.redact_str(d),
            Payload::Json(d, v, dirty) if !*dirty => {
                let (redacted, findings) =
                    self.redactor.redact_bytes(d.as_bytes(), true, &self.plan);
                held.changed |= self.count(&findings);
                if let std::borrow::Cow::Owned(out) = redacted {
                    held.changed = true;
                    match String::from_utf8(out)
                        .ok()
                        .and_then(|t| serde_json::from_str::<Value>(&t).ok().map(|v| (t, v)))
                    {
                        Some((t, nv)) => {
                            *d = t;
                            *v = nv;
                        }
                        None => {
                            self.report.withheld += 1;
                            held.payload = Payload::Withheld;
                        }
                    }
                }
            }
            Payload::Json(_, v, _) => {
                let (findings, _) = self.redactor.redact_json_in_place(v, &self.plan);
                held.changed |= self.count(&findings);
            }
            Payload::None | Payload::Withheld => {}
        }
        self.held.push_back(held);
    }

    /// Entities that run from held events into the newest one: every part is masked.
    fn across_events(&mut self) {
        let Some(last) = self.held.len().checked_sub(1) else {
            return;
        };
        if last == 0 {
            return;
        }
        for key in self.held[last].payload.keys() {
            // (event, offset in its string, start, end in the joined text), oldest first
            let mut parts: Vec<(usize, usize)> = Vec::new();
            let mut have = 0;
            for i in (0..last).rev() {
                let Some(s) = self.held[i].payload.text_at(&key) else {
                    continue;
                };
                let mut from = s.len().saturating_sub(SSE_WINDOW_BYTES - have);
                while !s.is_char_boundary(from) {
                    from += 1;
                }
                have += s.len() - from;
                parts.push((i, from));
                if have >= SSE_WINDOW_BYTES {
                    break;
                }
            }
            if parts.is_empty() {
                continue;
            }
            parts.reverse();
            parts.push((last, 0));
            let mut joined = String::new();
            let mut spans = Vec::with_capacity(parts.len());
            for &(i, from) in &parts {
                let s = self.held[i].payload.text_at(&key).unwrap_or_default();
                let start = joined.len();
                joined.push_str(s.get(from..).unwrap_or(""));
                spans.push((i, from, start, joined.len()));
            }
            let new_start = spans.last().map_or(0, |s| s.2);
            // an entity that straddles the boundary ends within the window after it; it is
            // looked for from the start of each part too, as a client that shows each
            // event's text on its own would read it (`before` + `4242…`: from `4242`)
            let mut end = (new_start + SSE_WINDOW_BYTES).min(joined.len());
            while !joined.is_char_boundary(end) {
                end += 1;
            }
            let mut hits: Vec<(usize, usize, &'static str)> = Vec::new();
            for &(_, _, js, _) in &spans[..spans.len() - 1] {
                let Some(window) = joined.get(js..end) else {
                    continue;
                };
                let (_, findings) = self.redactor.redact_text(window, &self.plan);
                hits.extend(
                    findings
                        .iter()
                        .filter(|f| f.action != crate::redact::Action::Keep)
                        .filter_map(|f| Some((f.start? + js, f.end? + js, f.entity.name())))
                        .filter(|&(a, b, _)| a < new_start && b > new_start),
                );
            }
            if hits.is_empty() {
                continue;
            }
            // overlapping hits (found from different starts) are masked as their union
            hits.sort_by_key(|h| h.0);
            let mut merged: Vec<(usize, usize, &'static str)> = Vec::new();
            for h in hits {
                match merged.last_mut() {
                    Some(m) if h.0 < m.1 => m.1 = m.1.max(h.1),
                    _ => merged.push(h),
                }
            }
            for (a, b, entity) in merged.into_iter().rev() {
                self.report.across_events += 1;
                *self.report.redacted.entry(entity).or_default() += 1;
                for &(i, from, js, je) in spans.iter().rev() {
                    if je <= a || js >= b {
                        continue;
                    }
                    let (la, lb) = (a.max(js) - js + from, b.min(je) - js + from);
                    let held = &mut self.held[i];
                    held.changed = true;
                    let Some(s) = held.payload.text_mut(&key) else {
                        continue;
                    };
                    let mask = format!("[{entity}]");
                    if la <= lb && lb <= s.len() && s.is_char_boundary(la) && s.is_char_boundary(lb)
                    {
                        s.replace_range(la..lb, &mask);
                    } else {
                        *s = mask;
                    }
                }
            }
        }
    }

    /// Send what no later event can continue any more.
    fn release(&mut self, out: &mut Vec<u8>) {
        let now = std::time::Instant::now();
        while self.held.len() > 1 {
            let Some(front) = self.held.front() else {
                break;
            };
            let after = self.held_text - front.text;
            let due = after >= SSE_WINDOW_BYTES
                || now.duration_since(front.at) >= SSE_WINDOW_TIME
                || self.held.len() > SSE_MAX_HELD_EVENTS
                || self.held_bytes > SSE_MAX_HELD_BYTES;
            if !due {
                break;
            }
            self.pop(out);
        }
    }

    fn pop(&mut self, out: &mut Vec<u8>) {
        if let Some(h) = self.held.pop_front() {
            self.held_bytes -= h.ev.raw.len();
            self.held_text -= h.text;
            out.extend_from_slice(&h.render());
        }
    }

    fn release_all(&mut self) -> Bytes {
        let mut out = Vec::new();
        while !self.held.is_empty() {
            self.pop(&mut out);
        }
        Bytes::from(out)
    }
}

/// The HTTP front end's handler of the one SSE relay ([`crate::protocol::sse::relay`]).
impl crate::protocol::sse::EventHandler for SseRedact {
    async fn event(&mut self, ev: crate::protocol::sse::Event) -> Bytes {
        let mut out = Vec::new();
        self.redact_event(ev, &mut out);
        Bytes::from(out)
    }

    fn flush(&mut self) -> Bytes {
        self.released()
    }

    async fn overflow(&mut self) -> Bytes {
        self.too_large()
    }

    async fn end(&mut self, tail: Option<crate::protocol::sse::Event>) -> Bytes {
        self.finish(tail)
    }

    fn failed(&mut self, tail: Option<crate::protocol::sse::Event>) {
        // what is held is complete and redacted; nothing follows it
        let _ = self.finish(tail);
    }
}

impl Drop for SseRedact {
    /// The stream's audit record, when it changed or withheld anything.
    fn drop(&mut self) {
        let r = &self.report;
        let Some(audit) = self.audit.take() else {
            return;
        };
        if r.redacted.is_empty()
            && r.invalid_utf8 == 0
            && r.withheld == 0
            && !r.incomplete
            && !r.too_large
        {
            return;
        }
        let mut rec = serde_json::Map::new();
        rec.insert("decision_id".into(), Value::from(audit.decision_id.clone()));
        rec.insert("tool".into(), serde_json::json!(audit.tool));
        rec.insert("status".into(), Value::from(audit.status));
        rec.insert(
            "stream".into(),
            serde_json::json!({
                "events": r.events,
                "redacted": r.redacted,
                "across_events": r.across_events,
                "invalid_utf8": r.invalid_utf8,
                "withheld": r.withheld,
                "incomplete_tail_withheld": r.incomplete,
                "event_too_large": r.too_large,
            }),
        );
        audit.sink.record(crate::audit::Kind::Outcome, rec);
    }
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
