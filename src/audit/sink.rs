//! The audit sink: a dedicated writer thread that owns the [`ChainWriter`], fed by a bounded
//! queue. Records are handed over in batches, about one wake-up of the writer per turn of the
//! proxy's runtime ([`handoff`]).
//!
//! Decisions for calls that will be forwarded are written ahead: the pipeline waits for the
//! record to reach the OS before a byte goes upstream. Everything else (refusals, outcomes) is
//! queued without waiting. If the stream cannot be written (I/O), the sink turns unhealthy:
//! calls are refused with `audit_unavailable` and `/readyz` says so. A record that cannot be
//! encoded (a bug: the pipeline normalises what it records) never affects health: a minimal
//! refusal record with the same `decision_id` is written in its place, so no call goes
//! unrecorded, and a write-ahead caller learns it through [`SinkError::Invalid`].
//!
//! # Backpressure (no record is ever dropped)
//!
//! The queue holds at most `2 × queue` records (`audit.queue`, default 4096), counted from
//! acceptance until the writer has written them (`toolwall_audit_queue_depth`):
//!
//! * A **write-ahead** record (a call about to be forwarded) is accepted only while fewer than
//!   `queue` records wait. Otherwise it waits for room, at most `queue_wait` (2 s); if the
//!   writer is still behind, [`SinkError::Busy`] is returned and the call is refused
//!   `audit_unavailable` — nothing is forwarded without its decision record on the way to
//!   disk. Health is not changed (the stream still writes; it is slow).
//! * A **fire-and-forget** record (a refusal or an outcome: the one record of a call that is
//!   ending, written from `Drop`) is never refused and never dropped. The second `queue` of
//!   room is reserved for them, so while write-ahead calls are held back the calls that end
//!   (including those refused for a full queue) are queued at once. Only when the full
//!   `2 × queue` is taken — the writer stalled for that many records — does the ending call's
//!   thread block until the writer frees room: the queue stays bounded and the record is kept.
//!
//! The only way a record is lost is a writer thread that is no longer running (it cannot write
//! anything then); that is counted in `toolwall_audit_write_errors_total` and logged.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Map, Value};
use tokio::sync::oneshot;

mod handoff;
mod queue;
mod writer;
use handoff::{Handles, Shared};
use queue::{Queue, StopOnExit};
use writer::writer_loop;

pub use super::call::{ArgsDone, ArgsKept, Body, DecisionBody, OutcomeBody, Prebuilt};
use super::{ChainWriter, Kind, WriterOptions};
use crate::metrics::Metrics;

/// Why a write-ahead record was not written as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SinkError {
    /// The record could not be encoded; a minimal refusal record (at `seq`) was written in
    /// its place. The call must be refused (`internal_error`); the stream is healthy.
    #[error("audit record could not be encoded ({message}); a minimal refusal record was written at seq {seq}")]
    Invalid {
        /// `seq` of the replacement record.
        seq: u64,
        /// What was wrong with the record.
        message: String,
    },
    /// The stream cannot be written.
    #[error("{0}")]
    Unavailable(String),
    /// The writer is behind: the queue stayed full for the whole wait. The record was not
    /// queued; the call must be refused (`audit_unavailable`) and its refusal recorded.
    #[error("the audit writer is behind: {queued} records queued, no room in the queue within {} ms", waited.as_millis())]
    Busy {
        /// Records queued when the wait ended.
        queued: usize,
        /// How long the record waited for room (the queue wait).
        waited: Duration,
    },
}

type Ack = oneshot::Sender<Result<u64, SinkError>>;

/// The work on a decision record's arguments that does not need to hold up the call: the
/// writer thread canonicalises them, computes `input_hmac` and, as `audit.args` says, writes
/// them as given, hashed or sealed, then rewrites big numbers ([`super::record::normalize_numbers`])
/// over the whole record, before the record is chained. The record written is the one the
/// request path would have built; the write-ahead caller still waits until it reached the OS.
#[derive(Debug)]
pub struct ArgsWork {
    /// The arguments as the agent sent them (what `input_hmac` and sealing cover).
    pub args: Value,
    /// What the record keeps of them.
    pub keep: KeepArgs,
    /// `args`' canonical bytes (the audit's strict number rule) when the request path has them
    /// already: the body forwarded to the tool, when it was written as exactly these bytes
    /// (`json::write::write_value_canonical`). Then they are not written again.
    pub canonical: Option<Bytes>,
}

/// What a decision record keeps of its arguments (`audit.args`).
#[derive(Debug)]
pub enum KeepArgs {
    /// `args`: the arguments as sent (nothing to mask).
    AsSent,
    /// `args`: this masked copy.
    Masked(Value),
    /// `args`: string leaves as HMAC tokens ([`super::hash_string_leaves`]).
    Hashed,
    /// `args_sealed` (or `args_sealed_error`): sealed to the auditor's key.
    Sealed,
    /// Only `input_hmac`.
    Omit,
}

impl ArgsWork {
    /// Complete `body` (the writer thread, before chaining it).
    pub fn apply(
        self,
        body: &mut Map<String, Value>,
        key: &[u8],
        auditor: Option<&super::AuditorPublicKey>,
    ) {
        let mac = super::record::keyed_mac(key);
        self.finish(&mac, key, auditor).insert_into(body);
        super::record::normalize_numbers(body);
    }

    /// What the record keeps of the arguments and their `input_hmac` (`mac`: the HMAC state
    /// keyed with `key`, set up once by the writer thread).
    pub fn finish(
        self,
        mac: &super::record::KeyedMac,
        key: &[u8],
        auditor: Option<&super::AuditorPublicKey>,
    ) -> ArgsDone {
        // The exact canonical bytes; when no number in them is beyond ±2^53 they are also the
        // record's (strict and exact forms agree then), so the record reuses them.
        let (canonical, safe) = match self.canonical {
            Some(bytes) => (bytes, true),
            None => match super::canonical::canonicalize_strict(&self.args) {
                Ok(bytes) => (Bytes::from(bytes), true),
                Err(_) => (
                    Bytes::from(
                        super::canonical::canonicalize_exact(&self.args).unwrap_or_default(),
                    ),
                    false,
                ),
            },
        };
        let input_hmac = super::record::hmac_with(mac, &canonical);
        let kept = match self.keep {
            KeepArgs::AsSent => {
                return ArgsDone {
                    input_hmac,
                    kept: ArgsKept::AsSent {
                        value: self.args,
                        canonical: safe.then_some(canonical),
                    },
                    spare: None,
                }
            }
            KeepArgs::Masked(masked) => ArgsKept::Args(masked),
            KeepArgs::Hashed => ArgsKept::Args(super::hash_string_leaves(&self.args, key)),
            KeepArgs::Sealed => match auditor.map(|pk| super::seal_args(pk, &canonical)) {
                Some(Ok(sealed)) => ArgsKept::Sealed(sealed),
                Some(Err(e)) => ArgsKept::SealedError(e.to_string()),
                None => ArgsKept::Nothing,
            },
            KeepArgs::Omit => ArgsKept::Nothing,
        };
        ArgsDone {
            input_hmac,
            kept,
            spare: Some(self.args),
        }
    }
}

enum Msg {
    Append {
        kind: Kind,
        body: Body,
        args: Option<ArgsWork>,
        ack: Option<Ack>,
    },
    Close(oneshot::Sender<()>),
}

/// Handle to the writer thread; cheap to clone.
#[derive(Clone)]
pub struct AuditSink {
    handoff: Arc<Handles>,
    queue: Arc<Queue>,
    healthy: Arc<AtomicBool>,
    metrics: Arc<Metrics>,
    /// Key for `input_hmac` and hashed argument leaves.
    pub hmac_key: Arc<[u8]>,
    /// The auditor's key, for `audit.args: encrypted`.
    pub auditor: Option<Arc<super::AuditorPublicKey>>,
    /// The HMAC state keyed with `hmac_key`, set up once (for [`Self::finish_args`]).
    mac: Arc<super::record::KeyedMac>,
}

impl AuditSink {
    /// Open the stream (recovering a torn tail) and start the writer thread.
    pub fn start(
        opts: WriterOptions,
        hmac_key: Vec<u8>,
        auditor: Option<super::AuditorPublicKey>,
        metrics: Arc<Metrics>,
    ) -> Result<AuditSink, super::AuditError> {
        Self::start_gated(opts, hmac_key, auditor, metrics, None)
    }

    /// `start`, with a writer thread that waits for `gate` before it writes anything (tests
    /// hold the writer back to fill the queue).
    fn start_gated(
        opts: WriterOptions,
        hmac_key: Vec<u8>,
        auditor: Option<super::AuditorPublicKey>,
        metrics: Arc<Metrics>,
        gate: Option<mpsc::Receiver<()>>,
    ) -> Result<AuditSink, super::AuditError> {
        let queue = Arc::new(Queue::new(opts.queue, opts.queue_wait, metrics.clone()));
        let writer = ChainWriter::open(opts)?;
        // Every record holds a place in `queue` before it is pushed, so the list never holds
        // more than `limit` records.
        let shared = Shared::start();
        let writer_shared = shared.clone();
        let healthy = Arc::new(AtomicBool::new(true));
        let h = healthy.clone();
        let m = metrics.clone();
        let q = queue.clone();
        let hmac_key: Arc<[u8]> = hmac_key.into();
        let auditor = auditor.map(Arc::new);
        let mac = Arc::new(super::record::keyed_mac(&hmac_key));
        let keys = writer::ArgsKeys {
            mac: (*mac).clone(),
            hmac_key: hmac_key.clone(),
            auditor: auditor.clone(),
        };
        std::thread::Builder::new()
            .name("toolwall-audit".into())
            .spawn(move || {
                let stop = StopOnExit(q);
                if let Some(gate) = gate {
                    let _ = gate.recv();
                }
                writer_loop(writer, &writer_shared, h, m, &stop.0, &keys);
            })
            .map_err(|e| super::AuditError::Io {
                path: "audit writer thread".into(),
                source: e,
            })?;
        Ok(AuditSink {
            handoff: Arc::new(Handles(shared)),
            queue,
            healthy,
            metrics,
            hmac_key,
            auditor,
            mac,
        })
    }

    /// A decision record's arguments completed on the calling thread (`input_hmac` and what
    /// `audit.args` keeps), as the writer thread completes them for a record handed over with
    /// its [`ArgsWork`].
    pub fn finish_args(&self, work: ArgsWork) -> ArgsDone {
        work.finish(&self.mac, &self.hmac_key, self.auditor.as_deref())
    }

    /// Whether the stream can be written: false only after an I/O failure of the sink (and
    /// until a later write succeeds), never because of what one record contained or because
    /// the writer is behind.
    pub fn healthy(&self) -> bool {
        self.healthy.load(Ordering::SeqCst)
    }

    /// The queue's capacity for write-ahead records (`audit.queue`); records of calls that
    /// are ending may use as much again.
    pub fn capacity(&self) -> usize {
        self.queue.capacity
    }

    /// Records accepted and not yet written.
    pub fn queued(&self) -> usize {
        *self.queue.lock()
    }

    /// Append and wait until the record reached the OS; the record's `seq`. Waits at most the
    /// queue wait for room in the queue, then fails with [`SinkError::Busy`] (nothing queued).
    pub async fn write_ahead(
        &self,
        kind: Kind,
        body: Map<String, Value>,
    ) -> Result<u64, SinkError> {
        self.write_ahead_with(kind, body, None).await
    }

    /// [`Self::write_ahead`] of a record whose arguments the writer thread completes
    /// ([`ArgsWork`]) before chaining it; returns once the completed record reached the OS.
    pub async fn write_ahead_with(
        &self,
        kind: Kind,
        body: Map<String, Value>,
        args: Option<ArgsWork>,
    ) -> Result<u64, SinkError> {
        self.write_ahead_body(kind, Body::Map(body), args).await
    }

    /// [`Self::write_ahead_with`] of any [`Body`] (a call's typed record).
    pub async fn write_ahead_body(
        &self,
        kind: Kind,
        body: Body,
        args: Option<ArgsWork>,
    ) -> Result<u64, SinkError> {
        if let Err(e) = self.queue.reserve_ahead().await {
            if matches!(e, SinkError::Busy { .. }) {
                self.metrics.audit_queue_full.inc();
                tracing::warn!(error = %e, "audit writer behind: refusing a call before forwarding");
            }
            return Err(e);
        }
        let (ack, rx) = oneshot::channel();
        if self
            .handoff
            .0
            .push(Msg::Append {
                kind,
                body,
                args,
                ack: Some(ack),
            })
            .is_err()
        {
            self.queue.release(1);
            return Err(SinkError::Unavailable("audit writer is not running".into()));
        }
        rx.await
            .map_err(|_| SinkError::Unavailable("audit writer stopped".into()))?
    }

    /// Queue a record without waiting for it to be written (refusals, outcomes; safe to call
    /// from `Drop`). Never dropped: past the queue's bound this blocks the calling thread
    /// until the writer frees room (see the module docs).
    pub fn record(&self, kind: Kind, body: Map<String, Value>) {
        self.record_with(kind, body, None);
    }

    /// [`Self::record`] of a record whose arguments the writer thread completes ([`ArgsWork`]).
    pub fn record_with(&self, kind: Kind, body: Map<String, Value>, args: Option<ArgsWork>) {
        self.record_body(kind, Body::Map(body), args);
    }

    /// [`Self::record_with`] of any [`Body`] (a call's typed record).
    pub fn record_body(&self, kind: Kind, body: Body, args: Option<ArgsWork>) {
        let sent = self.queue.reserve_blocking()
            && match self.handoff.0.push(Msg::Append {
                kind,
                body,
                args,
                ack: None,
            }) {
                Ok(()) => true,
                Err(_) => {
                    self.queue.release(1);
                    false
                }
            };
        if !sent {
            self.metrics.audit_write_errors.inc();
            tracing::error!("audit writer is not running: record lost");
        }
    }

    /// Queue an `event` record (not a call: see [`super::event`]) without waiting for it to be
    /// written; never dropped, exactly like [`Self::record`] (past the queue's bound this
    /// blocks the calling thread until the writer frees room). The record's `id` is
    /// `event.id()`, read it before the call if it is needed.
    pub fn event(&self, event: super::EventRecord) {
        self.record(Kind::Event, event.into_body());
    }

    /// Write an `event` record and wait until it reached the OS (for an operator action that
    /// must not be acknowledged before its record exists); its `seq`. Same queue wait and
    /// errors as [`Self::write_ahead`]; on `Err(Busy | Unavailable)` nothing was written.
    pub async fn write_event(&self, event: super::EventRecord) -> Result<u64, SinkError> {
        self.write_ahead(Kind::Event, event.into_body()).await
    }

    /// Write the final checkpoint and close the stream.
    pub async fn close(&self) {
        let (tx, rx) = oneshot::channel();
        if self.handoff.0.push(Msg::Close(tx)).is_ok() {
            // at once: a runtime shutting down need not run the flusher for it
            self.handoff.0.wake_writer();
            let _ = rx.await;
        }
    }
}

#[cfg(test)]
mod tests;
