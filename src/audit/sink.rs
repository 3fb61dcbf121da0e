//! The audit sink: a dedicated writer thread that owns the [`ChainWriter`], fed by a bounded
//! queue.
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
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use tokio::sync::oneshot;

mod queue;
use queue::{Queue, StopOnExit};

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

enum Msg {
    Append {
        kind: Kind,
        body: Map<String, Value>,
        ack: Option<Ack>,
    },
    Close(oneshot::Sender<()>),
}

/// Handle to the writer thread; cheap to clone.
#[derive(Clone)]
pub struct AuditSink {
    tx: mpsc::SyncSender<Msg>,
    queue: Arc<Queue>,
    healthy: Arc<AtomicBool>,
    metrics: Arc<Metrics>,
    /// Key for `input_hmac` and hashed argument leaves.
    pub hmac_key: Arc<[u8]>,
    /// The auditor's key, for `audit.args: encrypted`.
    pub auditor: Option<Arc<super::AuditorPublicKey>>,
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
        // Every record holds a place in `queue` before it is sent, so the channel never holds
        // more than `limit`; the spare slots are for `Close`.
        let (tx, rx) = mpsc::sync_channel::<Msg>(queue.limit.saturating_add(8));
        let healthy = Arc::new(AtomicBool::new(true));
        let h = healthy.clone();
        let m = metrics.clone();
        let q = queue.clone();
        std::thread::Builder::new()
            .name("toolwall-audit".into())
            .spawn(move || {
                let stop = StopOnExit(q);
                if let Some(gate) = gate {
                    let _ = gate.recv();
                }
                writer_loop(writer, rx, h, m, &stop.0);
            })
            .map_err(|e| super::AuditError::Io {
                path: "audit writer thread".into(),
                source: e,
            })?;
        Ok(AuditSink {
            tx,
            queue,
            healthy,
            metrics,
            hmac_key: hmac_key.into(),
            auditor: auditor.map(Arc::new),
        })
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
        if let Err(e) = self.queue.reserve_ahead().await {
            if matches!(e, SinkError::Busy { .. }) {
                self.metrics.audit_queue_full.inc();
                tracing::warn!(error = %e, "audit writer behind: refusing a call before forwarding");
            }
            return Err(e);
        }
        let (ack, rx) = oneshot::channel();
        if self
            .tx
            .send(Msg::Append {
                kind,
                body,
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
        let sent = self.queue.reserve_blocking()
            && match self.tx.send(Msg::Append {
                kind,
                body,
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
        if self.tx.try_send(Msg::Close(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

/// Most records written with one `write(2)` (group commit).
const MAX_BATCH: usize = 256;

fn writer_loop(
    mut writer: ChainWriter,
    rx: mpsc::Receiver<Msg>,
    healthy: Arc<AtomicBool>,
    metrics: Arc<Metrics>,
    queue: &Queue,
) {
    let tick = Duration::from_millis(100);
    loop {
        let first = match rx.recv_timeout(tick) {
            Ok(m) => Some(m),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                if let Err(e) = writer.close() {
                    tracing::error!(error = %e, "closing the audit stream failed");
                }
                return;
            }
        };
        // Group commit: whatever queued up while the last write ran goes out in one write.
        let mut records = Vec::new();
        let mut pending = Vec::new();
        let mut close = None;
        let mut next = first;
        while let Some(msg) = next.take() {
            match msg {
                Msg::Append { kind, body, ack } => {
                    pending.push((kind, minimal_record(kind, &body), ack));
                    records.push((kind, body));
                }
                Msg::Close(done) => {
                    close = Some(done);
                    break;
                }
            }
            if records.len() < MAX_BATCH {
                next = rx.try_recv().ok();
            }
        }
        if !records.is_empty() {
            let taken = records.len();
            let results = writer.append_batch(records);
            for (result, (kind, minimal, ack)) in results.into_iter().zip(pending) {
                let result = match result {
                    Ok(a) => Ok(a.seq),
                    Err(super::AuditError::Invalid(why)) => {
                        // A bug path: the record cannot be encoded. Never drop the call's
                        // trace: write the minimal refusal record in its place.
                        tracing::error!(error = %why, "audit record could not be encoded: writing a minimal refusal record");
                        metrics.audit_write_errors.inc();
                        let mut minimal = minimal;
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
                if let Some(ack) = ack {
                    let _ = ack.send(result);
                }
            }
            queue.release(taken);
        }
        if let Some(done) = close {
            if let Err(e) = writer.close() {
                tracing::error!(error = %e, "closing the audit stream failed");
            }
            let _ = done.send(());
            return;
        }
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
    }
}

/// The record written instead of one that cannot be encoded: who and which call (the string
/// fields that identify it), refused as `internal_error`; for an event, the event with an
/// empty `detail`. Built from strings only, so it always encodes.
fn minimal_record(kind: Kind, body: &Map<String, Value>) -> Map<String, Value> {
    if kind == Kind::Event {
        return super::event::minimal_event(body);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::chain::tests::{decision, outcome, test_key, test_opts};
    use serde_json::json;

    /// Every record of the stream in `dir` (all files, in order).
    fn stream_records(dir: &std::path::Path) -> Vec<Value> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .expect("dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect();
        files.sort();
        files
            .iter()
            .flat_map(|f| {
                std::fs::read_to_string(f)
                    .expect("read")
                    .lines()
                    .map(|l| serde_json::from_str::<Value>(l).expect("json"))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    fn id(i: u64) -> String {
        format!("0193a1b2-c3d4-7e5f-8a9b-{i:012}")
    }

    /// Poll `cond` (every millisecond, at most 10 s).
    async fn until(what: &str, cond: impl Fn() -> bool) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !cond() {
            assert!(std::time::Instant::now() < deadline, "timed out: {what}");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_writer_behind_holds_back_write_ahead_and_loses_no_record() {
        let dir = tempfile::tempdir().expect("tempdir");
        let metrics = Arc::new(Metrics::new());
        let mut opts = test_opts(dir.path(), test_key(1));
        opts.queue = 2;
        opts.queue_wait = Duration::from_millis(200);
        let (open_gate, gate) = mpsc::channel();
        let sink = AuditSink::start_gated(opts, b"k".to_vec(), None, metrics.clone(), Some(gate))
            .expect("sink");

        // Two write-ahead records fill the queue; their callers wait for the writer.
        let ahead: Vec<_> = (1..=2)
            .map(|i| {
                let sink = sink.clone();
                tokio::spawn(async move { sink.write_ahead(Kind::Decision, decision(i)).await })
            })
            .collect();
        until("two records queued", || sink.queued() == 2).await;
        assert_eq!(metrics.audit_queue_depth.get(), 2);

        // A third waits for room for the wait bound, then is refused: nothing was queued.
        let started = std::time::Instant::now();
        let err = sink
            .write_ahead(Kind::Decision, decision(3))
            .await
            .expect_err("the queue is full");
        assert!(matches!(err, SinkError::Busy { queued: 2, .. }), "{err}");
        assert!(started.elapsed() >= Duration::from_millis(200), "it waited");
        assert_eq!(
            sink.queued(),
            2,
            "a refused write-ahead record is not queued"
        );
        assert_eq!(metrics.audit_queue_full.get(), 1);
        assert!(sink.healthy(), "a slow writer is not an unhealthy stream");

        // The refused call's own record, and the outcome of another ending call, go in at
        // once: room past `queue` is kept for records of calls that are ending.
        let mut refused = decision(3);
        refused.insert("status".into(), json!("refused"));
        refused.insert("reasons".into(), json!(["audit_unavailable"]));
        sink.record(Kind::Decision, refused);
        sink.record(Kind::Decision, decision(4));
        assert_eq!(sink.queued(), 4);
        assert_eq!(metrics.audit_queue_depth.get(), 4);

        // Past `2 × queue` an ending call's record blocks its thread (it is never dropped)
        // until the writer frees room.
        let blocked = {
            let sink = sink.clone();
            std::thread::spawn(move || sink.record(Kind::Decision, decision(5)))
        };
        // A write-ahead arriving now waits too (and gets room once the writer runs).
        let late = {
            let sink = sink.clone();
            tokio::spawn(async move {
                let mut opts_wait = decision(6);
                opts_wait.insert("late".into(), json!(true));
                sink.write_ahead(Kind::Decision, opts_wait).await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!blocked.is_finished(), "the fifth record waits for room");
        assert_eq!(sink.queued(), 4, "the queue never exceeds 2 × queue");

        open_gate.send(()).expect("open the gate");
        for task in ahead {
            task.await
                .expect("join")
                .expect("written once the writer runs");
        }
        blocked.join().expect("the blocked record was queued");
        // `late` waited for room: it is written if room came within the wait, else refused.
        match late.await.expect("join") {
            Ok(_) => {}
            Err(SinkError::Busy { .. }) => sink.record(Kind::Decision, decision(6)),
            Err(e) => panic!("{e}"),
        }
        sink.record(Kind::Outcome, outcome(1));
        sink.close().await;
        assert_eq!(sink.queued(), 0);
        assert_eq!(metrics.audit_queue_depth.get(), 0);

        let recs = stream_records(dir.path());
        for i in 1..=6 {
            let n = recs
                .iter()
                .filter(|r| r["kind"] == "decision" && r["decision_id"] == id(i))
                .count();
            assert_eq!(n, 1, "call {i} has exactly one decision record");
        }
        let refused = recs
            .iter()
            .find(|r| r["decision_id"] == id(3))
            .expect("the refused call's record");
        assert_eq!(refused["reasons"], json!(["audit_unavailable"]));
        assert!(recs
            .iter()
            .any(|r| r["kind"] == "outcome" && r["decision_id"] == id(1)));
        let mut keys = crate::audit::TrustedKeys::new();
        keys.add(test_key(1).verifier());
        let report = crate::audit::verify_path(dir.path(), &keys);
        assert!(report.valid, "{report}");
    }

    #[tokio::test]
    async fn a_stopped_writer_never_blocks_a_caller() {
        let dir = tempfile::tempdir().expect("tempdir");
        let metrics = Arc::new(Metrics::new());
        let mut opts = test_opts(dir.path(), test_key(1));
        opts.queue = 1;
        let sink = AuditSink::start(opts, b"k".to_vec(), None, metrics.clone()).expect("sink");
        sink.close().await;
        until("the writer has exited", || {
            sink.queue.stopped.load(Ordering::SeqCst)
        })
        .await;
        sink.record(Kind::Decision, decision(1));
        sink.record(Kind::Decision, decision(2));
        sink.record(Kind::Decision, decision(3));
        assert_eq!(
            metrics.audit_write_errors.get(),
            3,
            "each lost record is counted"
        );
        assert_eq!(sink.queued(), 0);
        let err = sink
            .write_ahead(Kind::Decision, decision(4))
            .await
            .expect_err("no writer");
        assert!(matches!(err, SinkError::Unavailable(_)), "{err}");
    }

    #[tokio::test]
    async fn events_are_written_and_a_malformed_one_is_replaced_not_dropped() {
        use crate::audit::event::{EventRecord, INVALID_EVENT_NAME};
        let dir = tempfile::tempdir().expect("tempdir");
        let metrics = Arc::new(Metrics::new());
        let sink = AuditSink::start(
            test_opts(dir.path(), test_key(1)),
            b"k".to_vec(),
            None,
            metrics.clone(),
        )
        .expect("sink");
        let queued = EventRecord::new("mcp.tool_withheld").tool("gh.search");
        let queued_id = queued.id().to_owned();
        sink.event(queued);
        let seq = sink
            .write_event(EventRecord::new("admin.pin").detail("by", "ops"))
            .await
            .expect("written");
        // a body that is not an event (a caller bypassing the builder): its minimal event
        let mut bad = Map::new();
        bad.insert("id".into(), json!("e-1"));
        bad.insert("tool".into(), json!("gh.search"));
        bad.insert("detail".into(), json!("not an object"));
        let err = sink
            .write_ahead(Kind::Event, bad)
            .await
            .expect_err("malformed");
        assert!(matches!(err, SinkError::Invalid { .. }), "{err}");
        assert!(sink.healthy(), "one record never changes health");
        sink.close().await;
        let recs = stream_records(dir.path());
        let events: Vec<&Value> = recs.iter().filter(|r| r["kind"] == "event").collect();
        assert_eq!(events.len(), 3);
        assert_eq!(
            (&events[0]["event"], &events[0]["id"]),
            (&json!("mcp.tool_withheld"), &json!(queued_id))
        );
        assert_eq!(events[1]["seq"], json!(seq));
        assert_eq!(events[1]["detail"], json!({"by": "ops"}));
        assert_eq!(events[2]["event"], INVALID_EVENT_NAME);
        assert_eq!(
            (&events[2]["id"], &events[2]["tool"]),
            (&json!("e-1"), &json!("gh.search"))
        );
        assert!(events[2]["audit_error"]
            .as_str()
            .is_some_and(|e| e.contains("malformed event record")));
        assert_eq!(metrics.audit_records.get(), 3);
        let mut keys = crate::audit::TrustedKeys::new();
        keys.add(test_key(1).verifier());
        let report = crate::audit::verify_path(dir.path(), &keys);
        assert!(report.valid, "{report}");
    }

    #[tokio::test]
    async fn a_record_that_cannot_be_encoded_is_replaced_and_health_holds() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sink = AuditSink::start(
            test_opts(dir.path(), test_key(1)),
            b"k".to_vec(),
            None,
            Arc::new(Metrics::new()),
        )
        .expect("sink");
        let mut bad = decision(7);
        bad.insert("args".into(), json!({"n": [1u64 << 60]}));
        let err = sink
            .write_ahead(Kind::Decision, bad)
            .await
            .expect_err("cannot be encoded");
        assert!(
            matches!(&err, SinkError::Invalid { message, .. } if message.contains("/args/n/0")),
            "{err}"
        );
        assert!(sink.healthy(), "one record never changes health");
        let mut reserved = decision(8);
        reserved.insert("seq".into(), json!(1));
        sink.record(Kind::Outcome, reserved);
        let seq = sink
            .write_ahead(Kind::Decision, decision(9))
            .await
            .expect("next record");
        assert!(sink.healthy());
        sink.close().await;
        let text = std::fs::read_to_string(dir.path().join("audit-000001.jsonl")).expect("read");
        let recs: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        let minimal = recs
            .iter()
            .find(|r| r["decision_id"] == "0193a1b2-c3d4-7e5f-8a9b-000000000007")
            .expect("the failed decision has its record");
        assert_eq!(minimal["kind"], "decision");
        assert_eq!(minimal["reason"], "internal_error");
        assert_eq!(minimal["tool"], "stripe.create_refund");
        assert!(minimal.get("args").is_none());
        let outcome = recs
            .iter()
            .find(|r| r["decision_id"] == "0193a1b2-c3d4-7e5f-8a9b-000000000008")
            .expect("the failed outcome has its record");
        assert_eq!(
            (&outcome["kind"], &outcome["status"]),
            (&json!("outcome"), &json!(500))
        );
        assert!(recs.iter().any(|r| r["seq"] == seq));
        let mut keys = crate::audit::TrustedKeys::new();
        keys.add(test_key(1).verifier());
        let report = crate::audit::verify_path(dir.path(), &keys);
        assert!(report.valid, "{report}");
    }
}
