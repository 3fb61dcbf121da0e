//! The audit sink: a dedicated writer thread that owns the [`ChainWriter`], fed by a channel.
//!
//! Decisions for calls that will be forwarded are written ahead: the pipeline waits for the
//! record to reach the OS before a byte goes upstream. Everything else (refusals, outcomes) is
//! queued without waiting. If the stream cannot be written (I/O), the sink turns unhealthy:
//! calls are refused with `audit_unavailable` and `/readyz` says so. A record that cannot be
//! encoded (a bug: the pipeline normalises what it records) never affects health: a minimal
//! refusal record with the same `decision_id` is written in its place, so no call goes
//! unrecorded, and a write-ahead caller learns it through [`SinkError::Invalid`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use tokio::sync::oneshot;

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
    tx: mpsc::Sender<Msg>,
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
        let writer = ChainWriter::open(opts)?;
        let (tx, rx) = mpsc::channel::<Msg>();
        let healthy = Arc::new(AtomicBool::new(true));
        let h = healthy.clone();
        let m = metrics.clone();
        std::thread::Builder::new()
            .name("toolwall-audit".into())
            .spawn(move || writer_loop(writer, rx, h, m))
            .map_err(|e| super::AuditError::Io {
                path: "audit writer thread".into(),
                source: e,
            })?;
        Ok(AuditSink {
            tx,
            healthy,
            metrics,
            hmac_key: hmac_key.into(),
            auditor: auditor.map(Arc::new),
        })
    }

    /// Whether the stream can be written: false only after an I/O failure of the sink (and
    /// until a later write succeeds), never because of what one record contained.
    pub fn healthy(&self) -> bool {
        self.healthy.load(Ordering::SeqCst)
    }

    /// Append and wait until the record reached the OS; the record's `seq`.
    pub async fn write_ahead(
        &self,
        kind: Kind,
        body: Map<String, Value>,
    ) -> Result<u64, SinkError> {
        let (ack, rx) = oneshot::channel();
        self.tx
            .send(Msg::Append {
                kind,
                body,
                ack: Some(ack),
            })
            .map_err(|_| SinkError::Unavailable("audit writer is not running".into()))?;
        rx.await
            .map_err(|_| SinkError::Unavailable("audit writer stopped".into()))?
    }

    /// Queue a record without waiting (refusals, outcomes; safe to call from `Drop`).
    pub fn record(&self, kind: Kind, body: Map<String, Value>) {
        if self
            .tx
            .send(Msg::Append {
                kind,
                body,
                ack: None,
            })
            .is_err()
        {
            self.metrics.audit_write_errors.inc();
            tracing::error!("audit writer is not running: record lost");
        }
    }

    /// Write the final checkpoint and close the stream.
    pub async fn close(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Close(tx)).is_ok() {
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
                }
                if let Some(ack) = ack {
                    let _ = ack.send(result);
                }
            }
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
/// fields that identify it), refused as `internal_error`. Built from strings only, so it
/// always encodes.
fn minimal_record(kind: Kind, body: &Map<String, Value>) -> Map<String, Value> {
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
    use crate::audit::chain::tests::{decision, test_key, test_opts};
    use serde_json::json;

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
