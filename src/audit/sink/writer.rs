//! The writer thread: drains the handed-over records in batches (group commit), writes a
//! minimal record in place of one that cannot be encoded, keeps health, checkpoints and fsyncs
//! on its tick.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::super::{AuditError, ChainWriter, Kind};
use super::handoff::Shared;
use super::queue::Queue;
use super::{Body, Msg, SinkError};
use crate::metrics::Metrics;

/// The keys the writer thread needs to complete a record's arguments ([`super::ArgsWork`]).
pub(super) struct ArgsKeys {
    /// The HMAC state keyed with `hmac_key`, set up once.
    pub mac: super::super::record::KeyedMac,
    pub hmac_key: Arc<[u8]>,
    pub auditor: Option<Arc<super::super::AuditorPublicKey>>,
}

/// Most records written with one `write(2)` (group commit).
const MAX_BATCH: usize = 256;

pub(super) fn writer_loop(
    mut writer: ChainWriter,
    shared: &Shared,
    healthy: Arc<AtomicBool>,
    metrics: Arc<Metrics>,
    queue: &Queue,
    keys: &ArgsKeys,
) {
    let tick = Duration::from_millis(100);
    // the stream opened counts as a checkpoint for `toolwall_audit_seconds_since_checkpoint`
    let mut checkpoint_seen = writer.last_checkpoint_at();
    metrics.audit_checkpointed_now();
    let mut taken: Vec<Msg> = Vec::new();
    let mut records = Vec::new();
    let mut acks = Vec::new();
    let mut done = Vec::new();
    // written records' line buffers, on their way back to the request threads
    let mut lines = Vec::new();
    loop {
        let disconnected = shared.take(&mut taken, tick);
        let mut close = None;
        let mut msgs = taken.drain(..);
        // Group commit: whatever was handed over since the last write goes out in one write
        // (at most `MAX_BATCH` records a write).
        loop {
            let mut more = false;
            for msg in msgs.by_ref() {
                match msg {
                    Msg::Append {
                        kind,
                        mut body,
                        args,
                        ack,
                    } => {
                        if let Some(work) = args {
                            let auditor = keys.auditor.as_deref();
                            match &mut body {
                                Body::Decision(d) => {
                                    d.args = Some(work.finish(&keys.mac, &keys.hmac_key, auditor));
                                }
                                Body::Outcome(_) | Body::Prebuilt(_) => {}
                                Body::Map(m) => {
                                    work.finish(&keys.mac, &keys.hmac_key, auditor)
                                        .insert_into(m);
                                    super::super::record::normalize_numbers(m);
                                }
                            }
                        }
                        acks.push(ack);
                        records.push((kind, body));
                    }
                    Msg::Close(done) => {
                        close = Some(done);
                        break;
                    }
                }
                if records.len() >= MAX_BATCH {
                    more = true;
                    break;
                }
            }
            if !records.is_empty() {
                let n = records.len();
                let results = writer.append_records(&records);
                for ((result, (kind, body)), ack) in
                    results.into_iter().zip(&records).zip(acks.drain(..))
                {
                    let result = settle(&mut writer, *kind, body, result, &healthy, &metrics);
                    if let Some(ack) = ack {
                        done.push((ack, result));
                    }
                }
                lines.extend(records.drain(..).filter_map(|(_, body)| match body {
                    Body::Prebuilt(p) => Some(p.into_buffer()),
                    _ => None,
                }));
                queue.release(n);
                // The batch is on its way to disk: its callers may forward now, woken together.
                match &shared.acks {
                    Some(back) => back.deliver(&mut done, &mut lines),
                    None => {
                        lines.clear();
                        super::handoff::send_all(done.drain(..));
                    }
                }
            }
            if !more || close.is_some() {
                break;
            }
        }
        let left = msgs.filter(|m| matches!(m, Msg::Append { .. })).count();
        if close.is_some() || disconnected {
            // Records behind a `Close` have no writer any more: they are counted as lost, as
            // is whatever a handle pushes from now on (the list refuses it).
            let left = left + shared.close();
            if left > 0 {
                queue.release(left);
                metrics.audit_write_errors.inc_by(left as u64);
                tracing::error!(records = left, "audit stream closed: records lost");
            }
            if let Err(e) = writer.close() {
                tracing::error!(error = %e, "closing the audit stream failed");
            }
            if let Some(done) = close {
                let _ = done.send(());
            }
            return;
        }
        housekeeping(&mut writer, &healthy, &metrics, &mut checkpoint_seen);
    }
}

/// What an append of `body` came to, for its caller: counts it, keeps health, and writes the
/// minimal refusal record in place of one that cannot be encoded (a bug path: the call's trace
/// is never dropped).
pub(super) fn settle(
    writer: &mut ChainWriter,
    kind: Kind,
    body: &Body,
    result: Result<super::super::Appended, AuditError>,
    healthy: &AtomicBool,
    metrics: &Metrics,
) -> Result<u64, SinkError> {
    let result = match result {
        Ok(a) => Ok(a.seq),
        Err(AuditError::Invalid(why)) => {
            tracing::error!(error = %why, "audit record could not be encoded: writing a minimal refusal record");
            metrics.audit_write_errors.inc();
            let mut minimal = minimal_record(kind, &body.to_map());
            minimal.insert("audit_error".into(), Value::String(why.to_string()));
            let kind = if kind.is_caller_kind() {
                kind
            } else {
                Kind::Decision
            };
            match writer.append(kind, minimal) {
                Ok(a) => Err(SinkError::Invalid {
                    seq: a.seq,
                    message: why.to_string(),
                }),
                Err(e) => Err(SinkError::Unavailable(e.to_string())),
            }
        }
        Err(e) => Err(SinkError::Unavailable(e.to_string())),
    };
    match &result {
        Ok(_) | Err(SinkError::Invalid { .. }) => {
            metrics.audit_records.inc();
            if !healthy.swap(true, Ordering::SeqCst) {
                tracing::info!("audit stream writable again");
            }
        }
        Err(SinkError::Unavailable(e)) => {
            metrics.audit_write_errors.inc();
            if healthy.swap(false, Ordering::SeqCst) {
                tracing::error!(error = %e, "audit stream cannot be written: refusing calls");
            }
        }
        // Only `write_ahead` itself says `Busy`, before anything is queued.
        Err(SinkError::Busy { .. }) => {}
    }
    result
}

/// The writer's periodic work (checkpoint when due, batch fsync, the gauges), after a batch
/// or a quiet tick.
pub(super) fn housekeeping(
    writer: &mut ChainWriter,
    healthy: &AtomicBool,
    metrics: &Metrics,
    checkpoint_seen: &mut Instant,
) {
    if let Err(e) = writer.tick(Instant::now()) {
        metrics.audit_write_errors.inc();
        healthy.store(false, Ordering::SeqCst);
        tracing::error!(error = %e, "audit checkpoint failed");
    }
    if let Err(e) = writer.maybe_sync() {
        metrics.audit_write_errors.inc();
        healthy.store(false, Ordering::SeqCst);
        tracing::error!(error = %e, "audit fsync failed");
    }
    if writer.last_checkpoint_at() != *checkpoint_seen {
        *checkpoint_seen = writer.last_checkpoint_at();
        metrics.audit_checkpointed_now();
    }
    metrics
        .audit_unsealed_records
        .set(i64::try_from(writer.unsealed()).unwrap_or(i64::MAX));
}

/// The record written instead of one that cannot be encoded: who and which call (the string
/// fields that identify it), refused as `internal_error`; for an event, the event with an
/// empty `detail`. Built from strings only, so it always encodes.
fn minimal_record(kind: Kind, body: &Map<String, Value>) -> Map<String, Value> {
    if kind == Kind::Event {
        return super::super::event::minimal_event(body);
    }
    let mut r = Map::new();
    for field in [
        "decision_id",
        "trace_id",
        "run_id",
        "agent",
        "tenant_id",
        "adapter",
        "tool",
        "config_version",
        "mode",
    ] {
        if let Some(Value::String(s)) = body.get(field) {
            r.insert(field.into(), Value::String(s.clone()));
        }
    }
    if kind == Kind::Outcome {
        r.insert("status".into(), Value::from(500u16));
        r.insert("error".into(), Value::from("internal_error"));
    } else {
        r.insert("decision".into(), Value::from("error"));
        r.insert("status".into(), Value::from(500u16));
        r.insert("reason".into(), Value::from("internal_error"));
        r.insert("reasons".into(), Value::from(vec!["internal_error"]));
    }
    r
}
