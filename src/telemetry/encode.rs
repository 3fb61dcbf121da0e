//! A batch of the SDK's `SpanData` encoded straight into the OTLP protobuf bytes of an
//! `ExportTraceServiceRequest` (opentelemetry-proto's `collector/trace/v1`), with prost's
//! encoding primitives and buffers reused from batch to batch.
//!
//! Hand-written rather than opentelemetry-otlp's path (`SpanData` → opentelemetry-proto's
//! structs → prost) because that path was the largest cost of tracing. Measured with callgrind
//! on the bench call (`TRACE=1 benches/instructions.sh`, 5 spans per call; docs/performance.md,
//! "Tracing"): tracing on cost +64.7k instructions per call (+17.9 %), 41.3k of it the export
//! task (`build_trace_export_body` 39.0k: every key, value and name copied into a new `String`,
//! ids into new `Vec`s, then encoded and dropped). With this encoder the batch's encoding is
//! ~10k per call and tracing on costs +34.4k–35.7k (+9.5–9.9 %): nothing is allocated per span
//! (the trace state's header aside). The differential test below holds the bytes to
//! opentelemetry-proto's conversion and prost's encoding, decoded, over random and edge-case
//! spans.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::BufMut;
use opentelemetry::trace::{SpanKind, Status};
use opentelemetry::{Array, InstrumentationScope, KeyValue, Value};
use opentelemetry_sdk::trace::SpanData;
use prost::encoding::{encode_varint, encoded_len_varint, WireType};

/// Reused buffers: the request, the scopes and spans being assembled, one span's body.
#[derive(Debug, Default)]
pub struct Encoder {
    /// The `resource` field of `ResourceSpans` (key, length and message), set once.
    resource: Vec<u8>,
    /// `ResourceSpans.schema_url`.
    resource_schema_url: String,
    /// The spans of every scope, each with its key and length, scope after scope.
    spans: Vec<u8>,
    /// One span's body.
    span: Vec<u8>,
    /// Per scope: the index of its first span, its spans' range in `spans`.
    groups: Vec<(usize, std::ops::Range<usize>)>,
    done: Vec<bool>,
}

// Field numbers of opentelemetry/proto/{collector/trace,trace,common,resource}/v1.
const REQUEST_RESOURCE_SPANS: u32 = 1;
const RESOURCE_SPANS_RESOURCE: u32 = 1;
const RESOURCE_SPANS_SCOPE_SPANS: u32 = 2;
const RESOURCE_SPANS_SCHEMA_URL: u32 = 3;
const RESOURCE_ATTRIBUTES: u32 = 1;
const SCOPE_SPANS_SCOPE: u32 = 1;
const SCOPE_SPANS_SPANS: u32 = 2;
const SCOPE_SPANS_SCHEMA_URL: u32 = 3;
const SCOPE_NAME: u32 = 1;
const SCOPE_VERSION: u32 = 2;
const SCOPE_ATTRIBUTES: u32 = 3;
const SPAN_TRACE_ID: u32 = 1;
const SPAN_SPAN_ID: u32 = 2;
const SPAN_TRACE_STATE: u32 = 3;
const SPAN_PARENT_SPAN_ID: u32 = 4;
const SPAN_NAME: u32 = 5;
const SPAN_KIND: u32 = 6;
const SPAN_START: u32 = 7;
const SPAN_END: u32 = 8;
const SPAN_ATTRIBUTES: u32 = 9;
const SPAN_DROPPED_ATTRIBUTES: u32 = 10;
const SPAN_EVENTS: u32 = 11;
const SPAN_DROPPED_EVENTS: u32 = 12;
const SPAN_LINKS: u32 = 13;
const SPAN_DROPPED_LINKS: u32 = 14;
const SPAN_STATUS: u32 = 15;
const SPAN_FLAGS: u32 = 16;
const EVENT_TIME: u32 = 1;
const EVENT_NAME: u32 = 2;
const EVENT_ATTRIBUTES: u32 = 3;
const EVENT_DROPPED_ATTRIBUTES: u32 = 4;
const LINK_TRACE_ID: u32 = 1;
const LINK_SPAN_ID: u32 = 2;
const LINK_TRACE_STATE: u32 = 3;
const LINK_ATTRIBUTES: u32 = 4;
const LINK_DROPPED_ATTRIBUTES: u32 = 5;
const LINK_FLAGS: u32 = 6;
const STATUS_MESSAGE: u32 = 2;
const STATUS_CODE: u32 = 3;
const KV_KEY: u32 = 1;
const KV_VALUE: u32 = 2;
const ANY_STRING: u32 = 1;
const ANY_BOOL: u32 = 2;
const ANY_INT: u32 = 3;
const ANY_DOUBLE: u32 = 4;
const ANY_ARRAY: u32 = 5;
const ARRAY_VALUES: u32 = 1;

/// `SpanFlags`: the W3C trace flags, and whether the parent is remote (as the SDK's own
/// exporter sets them).
const FLAGS_HAS_IS_REMOTE: u32 = 0x100;
const FLAGS_IS_REMOTE: u32 = 0x200;

fn key_len(tag: u32) -> usize {
    encoded_len_varint(u64::from(tag << 3))
}

/// A length-delimited field of `n` bytes, key and length included.
fn delimited_len(tag: u32, n: usize) -> usize {
    key_len(tag) + encoded_len_varint(n as u64) + n
}

/// A varint; the one-byte case (every key here but `Span.flags`'s, most lengths) inline.
#[inline]
fn put_raw_varint(v: u64, buf: &mut Vec<u8>) {
    if v < 0x80 {
        buf.push(v as u8);
    } else {
        encode_varint(v, buf);
    }
}

#[inline]
fn put_key(tag: u32, wire_type: WireType, buf: &mut Vec<u8>) {
    put_raw_varint(u64::from((tag << 3) | wire_type as u32), buf);
}

#[inline]
fn put_header(tag: u32, n: usize, buf: &mut Vec<u8>) {
    put_key(tag, WireType::LengthDelimited, buf);
    put_raw_varint(n as u64, buf);
}

/// A `string`/`bytes` field; proto3 leaves an empty one out.
fn put_bytes(tag: u32, b: &[u8], buf: &mut Vec<u8>) {
    if !b.is_empty() {
        put_header(tag, b.len(), buf);
        buf.extend_from_slice(b);
    }
}

fn put_varint(tag: u32, v: u64, buf: &mut Vec<u8>) {
    if v != 0 {
        put_key(tag, WireType::Varint, buf);
        put_raw_varint(v, buf);
    }
}

fn put_fixed64(tag: u32, v: u64, buf: &mut Vec<u8>) {
    if v != 0 {
        put_key(tag, WireType::SixtyFourBit, buf);
        buf.put_u64_le(v);
    }
}

fn put_fixed32(tag: u32, v: u32, buf: &mut Vec<u8>) {
    if v != 0 {
        put_key(tag, WireType::ThirtyTwoBit, buf);
        buf.put_u32_le(v);
    }
}

fn nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// The body of an `AnyValue` (its `oneof` is always written, even a default value).
fn any_len(v: &Value) -> usize {
    match v {
        Value::Bool(_) => key_len(ANY_BOOL) + 1,
        Value::I64(i) => key_len(ANY_INT) + encoded_len_varint(*i as u64),
        Value::F64(_) => key_len(ANY_DOUBLE) + 8,
        Value::String(s) => delimited_len(ANY_STRING, s.as_str().len()),
        Value::Array(a) => delimited_len(ANY_ARRAY, array_len(a)),
        // a kind of value newer than this encoder: its text
        other => delimited_len(ANY_STRING, other.to_string().len()),
    }
}

fn put_any(v: &Value, buf: &mut Vec<u8>) {
    match v {
        Value::Bool(b) => {
            put_key(ANY_BOOL, WireType::Varint, buf);
            buf.push(u8::from(*b));
        }
        Value::I64(i) => {
            put_key(ANY_INT, WireType::Varint, buf);
            put_raw_varint(*i as u64, buf);
        }
        Value::F64(f) => {
            put_key(ANY_DOUBLE, WireType::SixtyFourBit, buf);
            buf.put_f64_le(*f);
        }
        Value::String(s) => {
            put_header(ANY_STRING, s.as_str().len(), buf);
            buf.extend_from_slice(s.as_str().as_bytes());
        }
        Value::Array(a) => {
            put_header(ANY_ARRAY, array_len(a), buf);
            put_array(a, buf);
        }
        other => {
            let s = other.to_string();
            put_header(ANY_STRING, s.len(), buf);
            buf.extend_from_slice(s.as_bytes());
        }
    }
}

/// Each element of an `ArrayValue` is an `AnyValue` message.
fn array_len(a: &Array) -> usize {
    let item = |n: usize| delimited_len(ARRAY_VALUES, n);
    match a {
        Array::Bool(v) => v.len() * item(key_len(ANY_BOOL) + 1),
        Array::I64(v) => v
            .iter()
            .map(|i| item(key_len(ANY_INT) + encoded_len_varint(*i as u64)))
            .sum(),
        Array::F64(v) => v.len() * item(key_len(ANY_DOUBLE) + 8),
        Array::String(v) => v
            .iter()
            .map(|s| item(delimited_len(ANY_STRING, s.as_str().len())))
            .sum(),
        other => item(delimited_len(ANY_STRING, other.to_string().len())),
    }
}

fn put_array(a: &Array, buf: &mut Vec<u8>) {
    match a {
        Array::Bool(v) => {
            for b in v {
                put_header(ARRAY_VALUES, key_len(ANY_BOOL) + 1, buf);
                put_any(&Value::Bool(*b), buf);
            }
        }
        Array::I64(v) => {
            for i in v {
                put_header(
                    ARRAY_VALUES,
                    key_len(ANY_INT) + encoded_len_varint(*i as u64),
                    buf,
                );
                put_any(&Value::I64(*i), buf);
            }
        }
        Array::F64(v) => {
            for f in v {
                put_header(ARRAY_VALUES, key_len(ANY_DOUBLE) + 8, buf);
                put_any(&Value::F64(*f), buf);
            }
        }
        Array::String(v) => {
            for s in v {
                let n = s.as_str().len();
                put_header(ARRAY_VALUES, delimited_len(ANY_STRING, n), buf);
                put_header(ANY_STRING, n, buf);
                buf.extend_from_slice(s.as_str().as_bytes());
            }
        }
        other => {
            let s = other.to_string();
            put_header(ARRAY_VALUES, delimited_len(ANY_STRING, s.len()), buf);
            put_header(ANY_STRING, s.len(), buf);
            buf.extend_from_slice(s.as_bytes());
        }
    }
}

fn kv_len(kv: &KeyValue) -> usize {
    let key = kv.key.as_str().len();
    let key = if key == 0 {
        0
    } else {
        delimited_len(KV_KEY, key)
    };
    key + delimited_len(KV_VALUE, any_len(&kv.value))
}

/// Repeated `KeyValue` field `tag`.
fn put_kvs<'a>(tag: u32, kvs: impl IntoIterator<Item = &'a KeyValue>, buf: &mut Vec<u8>) {
    for kv in kvs {
        let key = kv.key.as_str().as_bytes();
        let value = any_len(&kv.value);
        let key_len = if key.is_empty() {
            0
        } else {
            delimited_len(KV_KEY, key.len())
        };
        put_header(tag, key_len + delimited_len(KV_VALUE, value), buf);
        put_bytes(KV_KEY, key, buf);
        put_header(KV_VALUE, value, buf);
        put_any(&kv.value, buf);
    }
}

fn kvs_len<'a>(tag: u32, kvs: impl IntoIterator<Item = &'a KeyValue>) -> usize {
    kvs.into_iter()
        .map(|kv| delimited_len(tag, kv_len(kv)))
        .sum()
}

fn span_kind(k: &SpanKind) -> u64 {
    match k {
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    }
}

fn span_flags(trace_flags: u8, remote: bool) -> u32 {
    let mut f = u32::from(trace_flags) | FLAGS_HAS_IS_REMOTE;
    if remote {
        f |= FLAGS_IS_REMOTE;
    }
    f
}

/// `a == b`, without comparing the text when both are the same static name and nothing else
/// (toolwall's one tracer: every span of a batch).
fn same_scope(a: &InstrumentationScope, b: &InstrumentationScope) -> bool {
    let plain = |s: &InstrumentationScope| {
        s.version().is_none() && s.schema_url().is_none() && s.attributes().next().is_none()
    };
    (std::ptr::eq(a.name(), b.name()) && plain(a) && plain(b)) || a == b
}

/// The body of a scope's `InstrumentationScope`.
fn scope_len(scope: &InstrumentationScope) -> usize {
    let opt = |tag, n: usize| if n == 0 { 0 } else { delimited_len(tag, n) };
    opt(SCOPE_NAME, scope.name().len())
        + opt(SCOPE_VERSION, scope.version().unwrap_or_default().len())
        + kvs_len(SCOPE_ATTRIBUTES, scope.attributes())
}

/// `ScopeSpans.scope`, always present.
fn put_scope(scope: &InstrumentationScope, buf: &mut Vec<u8>) {
    put_header(SCOPE_SPANS_SCOPE, scope_len(scope), buf);
    put_bytes(SCOPE_NAME, scope.name().as_bytes(), buf);
    put_bytes(
        SCOPE_VERSION,
        scope.version().unwrap_or_default().as_bytes(),
        buf,
    );
    put_kvs(SCOPE_ATTRIBUTES, scope.attributes(), buf);
}

/// The body of a `ScopeSpans` whose spans take `spans` bytes.
fn scope_spans_len(scope: &InstrumentationScope, spans: usize) -> usize {
    let schema = scope.schema_url().unwrap_or_default().len();
    delimited_len(SCOPE_SPANS_SCOPE, scope_len(scope))
        + spans
        + if schema == 0 {
            0
        } else {
            delimited_len(SCOPE_SPANS_SCHEMA_URL, schema)
        }
}

/// One span's body (no key or length).
fn put_span(s: &SpanData, buf: &mut Vec<u8>) {
    let sc = &s.span_context;
    put_bytes(SPAN_TRACE_ID, &sc.trace_id().to_bytes(), buf);
    put_bytes(SPAN_SPAN_ID, &sc.span_id().to_bytes(), buf);
    put_bytes(SPAN_TRACE_STATE, sc.trace_state().header().as_bytes(), buf);
    if s.parent_span_id != opentelemetry::trace::SpanId::INVALID {
        put_bytes(SPAN_PARENT_SPAN_ID, &s.parent_span_id.to_bytes(), buf);
    }
    put_bytes(SPAN_NAME, s.name.as_bytes(), buf);
    put_varint(SPAN_KIND, span_kind(&s.span_kind), buf);
    put_fixed64(SPAN_START, nanos(s.start_time), buf);
    put_fixed64(SPAN_END, nanos(s.end_time), buf);
    put_kvs(SPAN_ATTRIBUTES, &s.attributes, buf);
    put_varint(
        SPAN_DROPPED_ATTRIBUTES,
        u64::from(s.dropped_attributes_count),
        buf,
    );
    for e in s.events.iter() {
        let name = e.name.as_bytes();
        let time = nanos(e.timestamp);
        let len = if time == 0 {
            0
        } else {
            key_len(EVENT_TIME) + 8
        } + if name.is_empty() {
            0
        } else {
            delimited_len(EVENT_NAME, name.len())
        } + kvs_len(EVENT_ATTRIBUTES, &e.attributes)
            + if e.dropped_attributes_count == 0 {
                0
            } else {
                key_len(EVENT_DROPPED_ATTRIBUTES)
                    + encoded_len_varint(u64::from(e.dropped_attributes_count))
            };
        put_header(SPAN_EVENTS, len, buf);
        put_fixed64(EVENT_TIME, time, buf);
        put_bytes(EVENT_NAME, name, buf);
        put_kvs(EVENT_ATTRIBUTES, &e.attributes, buf);
        put_varint(
            EVENT_DROPPED_ATTRIBUTES,
            u64::from(e.dropped_attributes_count),
            buf,
        );
    }
    put_varint(SPAN_DROPPED_EVENTS, u64::from(s.events.dropped_count), buf);
    for l in s.links.iter() {
        let lc = &l.span_context;
        let state = lc.trace_state().header();
        let flags = span_flags(lc.trace_flags().to_u8(), lc.is_remote());
        let len = delimited_len(LINK_TRACE_ID, 16)
            + delimited_len(LINK_SPAN_ID, 8)
            + if state.is_empty() {
                0
            } else {
                delimited_len(LINK_TRACE_STATE, state.len())
            }
            + kvs_len(LINK_ATTRIBUTES, &l.attributes)
            + if l.dropped_attributes_count == 0 {
                0
            } else {
                key_len(LINK_DROPPED_ATTRIBUTES)
                    + encoded_len_varint(u64::from(l.dropped_attributes_count))
            }
            + key_len(LINK_FLAGS)
            + 4;
        put_header(SPAN_LINKS, len, buf);
        put_bytes(LINK_TRACE_ID, &lc.trace_id().to_bytes(), buf);
        put_bytes(LINK_SPAN_ID, &lc.span_id().to_bytes(), buf);
        put_bytes(LINK_TRACE_STATE, state.as_bytes(), buf);
        put_kvs(LINK_ATTRIBUTES, &l.attributes, buf);
        put_varint(
            LINK_DROPPED_ATTRIBUTES,
            u64::from(l.dropped_attributes_count),
            buf,
        );
        put_fixed32(LINK_FLAGS, flags, buf);
    }
    put_varint(SPAN_DROPPED_LINKS, u64::from(s.links.dropped_count), buf);
    // `status` is always present (the SDK's exporter writes an UNSET one too)
    let (code, message): (u64, &str) = match &s.status {
        Status::Unset => (0, ""),
        Status::Ok => (1, ""),
        Status::Error { description } => (2, description),
    };
    let len = if message.is_empty() {
        0
    } else {
        delimited_len(STATUS_MESSAGE, message.len())
    } + if code == 0 {
        0
    } else {
        key_len(STATUS_CODE) + encoded_len_varint(code)
    };
    put_header(SPAN_STATUS, len, buf);
    put_bytes(STATUS_MESSAGE, message.as_bytes(), buf);
    put_varint(STATUS_CODE, code, buf);
    put_fixed32(
        SPAN_FLAGS,
        span_flags(sc.trace_flags().to_u8(), s.parent_span_is_remote),
        buf,
    );
}

impl Encoder {
    /// The resource every batch is exported with.
    pub fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
        let attrs: Vec<KeyValue> = resource
            .iter()
            .map(|(k, v)| KeyValue::new(k.clone(), v.clone()))
            .collect();
        self.resource.clear();
        put_header(
            RESOURCE_SPANS_RESOURCE,
            kvs_len(RESOURCE_ATTRIBUTES, &attrs),
            &mut self.resource,
        );
        put_kvs(RESOURCE_ATTRIBUTES, &attrs, &mut self.resource);
        self.resource_schema_url = resource.schema_url().unwrap_or_default().to_string();
    }

    /// Append the `ExportTraceServiceRequest` of `batch` to `out`: one `ResourceSpans`, a
    /// `ScopeSpans` per instrumentation scope (in order of first appearance), the spans in
    /// batch order.
    pub fn encode(&mut self, batch: &[SpanData], out: &mut Vec<u8>) {
        if self.resource.is_empty() {
            // no resource set: an empty one
            put_header(RESOURCE_SPANS_RESOURCE, 0, &mut self.resource);
        }
        // the spans, grouped by scope, each one's body written once and copied once
        self.spans.clear();
        self.groups.clear();
        self.done.clear();
        self.done.resize(batch.len(), false);
        for first in 0..batch.len() {
            if self.done[first] {
                continue;
            }
            let scope = &batch[first].instrumentation_scope;
            let start = self.spans.len();
            for (i, s) in batch.iter().enumerate().skip(first) {
                if self.done[i] || (i != first && !same_scope(&s.instrumentation_scope, scope)) {
                    continue;
                }
                self.done[i] = true;
                self.span.clear();
                put_span(s, &mut self.span);
                put_header(SCOPE_SPANS_SPANS, self.span.len(), &mut self.spans);
                self.spans.extend_from_slice(&self.span);
            }
            self.groups.push((first, start..self.spans.len()));
        }
        // then the request, the spans copied into it
        let schema = self.resource_schema_url.as_bytes();
        let scopes: usize = self
            .groups
            .iter()
            .map(|(first, r)| {
                delimited_len(
                    RESOURCE_SPANS_SCOPE_SPANS,
                    scope_spans_len(&batch[*first].instrumentation_scope, r.len()),
                )
            })
            .sum();
        let schema_len = if schema.is_empty() {
            0
        } else {
            delimited_len(RESOURCE_SPANS_SCHEMA_URL, schema.len())
        };
        put_header(
            REQUEST_RESOURCE_SPANS,
            self.resource.len() + scopes + schema_len,
            out,
        );
        out.extend_from_slice(&self.resource);
        for (first, r) in &self.groups {
            let scope = &batch[*first].instrumentation_scope;
            put_header(
                RESOURCE_SPANS_SCOPE_SPANS,
                scope_spans_len(scope, r.len()),
                out,
            );
            put_scope(scope, out);
            out.extend_from_slice(&self.spans[r.clone()]);
            put_bytes(
                SCOPE_SPANS_SCHEMA_URL,
                scope.schema_url().unwrap_or_default().as_bytes(),
                out,
            );
        }
        put_bytes(RESOURCE_SPANS_SCHEMA_URL, schema, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::{Event, Link, SpanContext, SpanId, TraceFlags, TraceId, TraceState};
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
    use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
    use opentelemetry_sdk::trace::{SpanEvents, SpanLinks};
    use prost::Message;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use std::borrow::Cow;
    use std::time::Duration;

    fn text(rng: &mut StdRng) -> String {
        const PARTS: &[&str] = &[
            "",
            "a",
            "toolwall.decision",
            "é",
            "日本語",
            "\u{1F600}",
            "x=y,z",
            "\0",
        ];
        let mut s = String::new();
        for _ in 0..rng.random_range(0..4) {
            s.push_str(PARTS[rng.random_range(0..PARTS.len())]);
        }
        if rng.random_bool(0.1) {
            // lengths past one varint byte
            s.push_str(&"long".repeat(rng.random_range(32..300)));
        }
        s
    }

    fn value(rng: &mut StdRng) -> Value {
        let int = |rng: &mut StdRng| match rng.random_range(0..4) {
            0 => 0,
            1 => -1,
            2 => i64::MIN,
            _ => rng.random::<i64>() >> rng.random_range(0..63),
        };
        match rng.random_range(0..8) {
            0 => Value::Bool(rng.random()),
            1 => Value::I64(int(rng)),
            2 => Value::F64(match rng.random_range(0..3) {
                0 => 0.0,
                1 => -0.5,
                _ => rng.random::<f64>() * 1e9,
            }),
            3 => Value::Array(Array::Bool(
                (0..rng.random_range(0..4)).map(|_| rng.random()).collect(),
            )),
            4 => Value::Array(Array::I64(
                (0..rng.random_range(0..4)).map(|_| int(rng)).collect(),
            )),
            5 => Value::Array(Array::F64(
                (0..rng.random_range(0..4))
                    .map(|_| rng.random::<f64>())
                    .collect(),
            )),
            6 => Value::Array(Array::String(
                (0..rng.random_range(0..4))
                    .map(|_| text(rng).into())
                    .collect(),
            )),
            _ => Value::String(text(rng).into()),
        }
    }

    fn attrs(rng: &mut StdRng) -> Vec<KeyValue> {
        (0..rng.random_range(0..12))
            .map(|_| KeyValue::new(text(rng), value(rng)))
            .collect()
    }

    fn context(rng: &mut StdRng) -> SpanContext {
        let state = match rng.random_range(0..3) {
            0 => TraceState::default(),
            1 => TraceState::from_key_value([("vendor", "v1")]).expect("state"),
            _ => TraceState::from_key_value([("a", "1"), ("b", "2")]).expect("state"),
        };
        SpanContext::new(
            TraceId::from(rng.random::<u128>()),
            SpanId::from(rng.random::<u64>()),
            TraceFlags::new(rng.random_range(0..2)),
            rng.random(),
            state,
        )
    }

    fn time(rng: &mut StdRng) -> SystemTime {
        match rng.random_range(0..4) {
            0 => UNIX_EPOCH,
            // before the epoch: 0, as the SDK's exporter writes it
            1 => UNIX_EPOCH - Duration::from_secs(5),
            _ => UNIX_EPOCH + Duration::from_nanos(rng.random::<u64>() >> 1),
        }
    }

    fn span(rng: &mut StdRng, scopes: &[InstrumentationScope]) -> SpanData {
        SpanData {
            span_context: context(rng),
            parent_span_id: if rng.random_bool(0.3) {
                SpanId::INVALID
            } else {
                SpanId::from(rng.random::<u64>())
            },
            parent_span_is_remote: rng.random(),
            span_kind: match rng.random_range(0..5) {
                0 => SpanKind::Internal,
                1 => SpanKind::Server,
                2 => SpanKind::Client,
                3 => SpanKind::Producer,
                _ => SpanKind::Consumer,
            },
            name: if rng.random() {
                Cow::Borrowed("execute_tool")
            } else {
                Cow::Owned(text(rng))
            },
            start_time: time(rng),
            end_time: time(rng),
            attributes: attrs(rng),
            dropped_attributes_count: rng.random_range(0..3) * 200,
            events: {
                let mut ev = SpanEvents::default();
                ev.events = (0..rng.random_range(0..3))
                    .map(|_| {
                        let mut e = Event::new(text(rng), time(rng), attrs(rng), 0);
                        e.dropped_attributes_count = rng.random_range(0..2) * 7;
                        e
                    })
                    .collect();
                ev.dropped_count = rng.random_range(0..2) * 3;
                ev
            },
            links: {
                let mut links = SpanLinks::default();
                links.links = (0..rng.random_range(0..3))
                    .map(|_| {
                        let mut l = Link::new(context(rng), attrs(rng), 0);
                        l.dropped_attributes_count = rng.random_range(0..2) * 130;
                        l
                    })
                    .collect();
                links.dropped_count = rng.random_range(0..2);
                links
            },
            status: match rng.random_range(0..4) {
                0 => Status::Unset,
                1 => Status::Ok,
                2 => Status::error(""),
                _ => Status::error(text(rng)),
            },
            instrumentation_scope: scopes[rng.random_range(0..scopes.len())].clone(),
        }
    }

    /// The request as opentelemetry-otlp builds it: opentelemetry-proto's conversion.
    fn reference(
        batch: &[SpanData],
        resource: &opentelemetry_sdk::Resource,
    ) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: group_spans_by_resource_and_scope(
                batch.to_vec(),
                &ResourceAttributesWithSchema::from(resource),
            ),
        }
    }

    /// Resource attributes come from a map: compared in key order.
    fn normalized(mut r: ExportTraceServiceRequest) -> ExportTraceServiceRequest {
        for rs in &mut r.resource_spans {
            if let Some(res) = &mut rs.resource {
                res.attributes.sort_by(|a, b| a.key.cmp(&b.key));
            }
        }
        r
    }

    #[test]
    fn decodes_to_what_opentelemetry_proto_builds() {
        let scopes = [
            InstrumentationScope::builder("toolwall").build(),
            InstrumentationScope::builder("other")
                .with_version("1.2.3")
                .with_schema_url("https://opentelemetry.io/schemas/1.30.0")
                .with_attributes([KeyValue::new("k", "v"), KeyValue::new("n", 3)])
                .build(),
            InstrumentationScope::builder("").build(),
        ];
        let resources = [
            opentelemetry_sdk::Resource::builder_empty().build(),
            opentelemetry_sdk::Resource::builder()
                .with_service_name("toolwall-test")
                .with_attribute(KeyValue::new("deployment.environment", "ci"))
                .build(),
            opentelemetry_sdk::Resource::builder_empty()
                .with_schema_url(
                    [KeyValue::new("service.name", "s")],
                    "https://opentelemetry.io/schemas/1.30.0",
                )
                .build(),
        ];
        let mut rng = StdRng::seed_from_u64(19);
        let mut enc = Encoder::default();
        let mut out = Vec::new();
        let mut spans_seen = 0;
        for round in 0..600 {
            let resource = &resources[round % resources.len()];
            enc.set_resource(resource);
            let n = match round % 10 {
                0 => 1,
                1 => 60,
                _ => rng.random_range(1..12),
            };
            // one scope only in most rounds, as toolwall exports
            let in_use = if round % 3 == 0 {
                &scopes[..]
            } else {
                &scopes[..1]
            };
            let batch: Vec<SpanData> = (0..n).map(|_| span(&mut rng, in_use)).collect();
            spans_seen += batch.len();
            out.clear();
            // a prefix already in the buffer (gRPC's frame header) is left alone
            out.extend_from_slice(b"12345");
            enc.encode(&batch, &mut out);
            assert_eq!(&out[..5], b"12345");
            let ours = ExportTraceServiceRequest::decode(&out[5..]).expect("decodes");
            let theirs = reference(&batch, resource);
            assert_eq!(
                normalized(ours),
                normalized(theirs.clone()),
                "round {round}"
            );
            // and the same length as prost's encoding (same fields, minimal varints)
            assert_eq!(out.len() - 5, theirs.encoded_len(), "round {round}");
        }
        assert!(spans_seen > 3000);
    }
}
