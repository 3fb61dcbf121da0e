//! The audit sink: a dedicated writer thread that owns the [`ChainWriter`], fed by a channel.
//!
//! Decisions for calls that will be forwarded are written ahead: the pipeline waits for the
//! record to reach the OS before a byte goes upstream. Everything else (refusals, outcomes) is
//! queued without waiting. If the writer cannot write, the sink turns unhealthy: calls are
//! refused with `audit_unavailable` and `/readyz` says so.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use tokio::sync::oneshot;

use super::{ChainWriter, Kind, WriterOptions};
use crate::metrics::Metrics;

enum Msg {
    Append {
        kind: Kind,
        body: Map<String, Value>,
        ack: Option<oneshot::Sender<Result<u64, String>>>,
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

    pub fn healthy(&self) -> bool {
        self.healthy.load(Ordering::SeqCst)
    }

    /// Append and wait until the record reached the OS; the record's `seq`.
    pub async fn write_ahead(&self, kind: Kind, body: Map<String, Value>) -> Result<u64, String> {
        let (ack, rx) = oneshot::channel();
        self.tx
            .send(Msg::Append {
                kind,
                body,
                ack: Some(ack),
            })
            .map_err(|_| "audit writer is not running".to_string())?;
        rx.await.map_err(|_| "audit writer stopped".to_string())?
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
        let mut acks = Vec::new();
        let mut close = None;
        let mut next = first;
        while let Some(msg) = next.take() {
            match msg {
                Msg::Append { kind, body, ack } => {
                    records.push((kind, body));
                    acks.push(ack);
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
            for (result, ack) in results.into_iter().zip(acks) {
                let result = result.map(|a| a.seq).map_err(|e| e.to_string());
                match &result {
                    Ok(_) => {
                        metrics.audit_records.inc();
                        if !healthy.swap(true, Ordering::SeqCst) {
                            tracing::info!("audit stream writable again");
                        }
                    }
                    Err(e) => {
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
