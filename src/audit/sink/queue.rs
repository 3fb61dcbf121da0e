//! Room accounting of the audit sink's queue (the backpressure policy of [`super`]): how many
//! records are accepted and not yet written, who may take a place, and who waits for one.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::SinkError;
use crate::metrics::Metrics;

/// Room accounting of the queue: records accepted and not yet written.
pub(super) struct Queue {
    depth: Mutex<usize>,
    /// Wakes threads blocked in [`AuditSink::record`](super::AuditSink::record).
    room_sync: Condvar,
    /// Threads blocked on `room_sync` (changed only under `depth`'s lock): `release` wakes
    /// them only when there are some (a condvar's notify is a system call each time).
    blocked: AtomicUsize,
    /// Wakes tasks waiting in [`AuditSink::write_ahead`](super::AuditSink::write_ahead).
    room: Notify,
    /// Write-ahead records are accepted while `depth < capacity`.
    pub(super) capacity: usize,
    /// Fire-and-forget records are accepted while `depth < limit` (`2 × capacity`).
    pub(super) limit: usize,
    wait: Duration,
    /// The writer thread has exited: nothing will free room again.
    pub(super) stopped: AtomicBool,
    metrics: Arc<Metrics>,
}

impl Queue {
    /// Room for `capacity` write-ahead records, twice that in all; write-ahead records wait
    /// at most `wait` for room.
    pub(super) fn new(capacity: usize, wait: Duration, metrics: Arc<Metrics>) -> Self {
        let capacity = capacity.max(1);
        Queue {
            depth: Mutex::new(0),
            room_sync: Condvar::new(),
            blocked: AtomicUsize::new(0),
            room: Notify::new(),
            capacity,
            limit: capacity.saturating_mul(2),
            wait,
            stopped: AtomicBool::new(false),
            metrics,
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, usize> {
        match self.depth.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn set_gauge(&self, depth: usize) {
        self.metrics
            .audit_queue_depth
            .set(i64::try_from(depth).unwrap_or(i64::MAX));
    }

    /// Take one place if fewer than `bound` are taken; else the depth.
    fn try_reserve(&self, bound: usize) -> Result<(), usize> {
        let mut depth = self.lock();
        if *depth < bound {
            *depth += 1;
            self.set_gauge(*depth);
            Ok(())
        } else {
            Err(*depth)
        }
    }

    /// A place for a write-ahead record, waiting at most `wait` for one.
    pub(super) async fn reserve_ahead(&self) -> Result<(), SinkError> {
        let deadline = tokio::time::Instant::now() + self.wait;
        loop {
            let notified = self.room.notified();
            tokio::pin!(notified);
            // Registered before the check: a release between the check and the await wakes us.
            notified.as_mut().enable();
            if self.stopped.load(Ordering::SeqCst) {
                return Err(SinkError::Unavailable("audit writer is not running".into()));
            }
            match self.try_reserve(self.capacity) {
                Ok(()) => return Ok(()),
                Err(queued) => {
                    if tokio::time::timeout_at(deadline, notified).await.is_err() {
                        return match self.try_reserve(self.capacity) {
                            Ok(()) => Ok(()),
                            Err(queued_now) => Err(SinkError::Busy {
                                queued: queued_now.max(queued),
                                waited: self.wait,
                            }),
                        };
                    }
                }
            }
        }
    }

    /// A place for a fire-and-forget record: at once below `limit`, else block this thread
    /// until the writer frees one. `false` only if the writer is no longer running.
    pub(super) fn reserve_blocking(&self) -> bool {
        let mut depth = self.lock();
        let mut blocked: Option<Instant> = None;
        while *depth >= self.limit {
            if self.stopped.load(Ordering::SeqCst) {
                return false;
            }
            if blocked.is_none() {
                blocked = Some(Instant::now());
                tracing::warn!(
                    queued = *depth,
                    "audit queue full: a call's final record waits for the writer"
                );
            }
            self.blocked.fetch_add(1, Ordering::Relaxed);
            depth = match self.room_sync.wait_timeout(depth, Duration::from_secs(1)) {
                Ok((g, _)) => g,
                Err(poisoned) => poisoned.into_inner().0,
            };
            self.blocked.fetch_sub(1, Ordering::Relaxed);
        }
        *depth += 1;
        self.set_gauge(*depth);
        if let Some(t) = blocked {
            tracing::warn!(waited = ?t.elapsed(), "audit queue had room again: record queued");
        }
        true
    }

    /// `n` records left the queue (written, or never sent).
    pub(super) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let mut depth = self.lock();
        *depth = depth.saturating_sub(n);
        self.set_gauge(*depth);
        // read under the lock: a thread that blocks registers under it before it waits
        let blocked = self.blocked.load(Ordering::Relaxed) > 0;
        drop(depth);
        if blocked {
            self.room_sync.notify_all();
        }
        self.room.notify_waiters();
    }

    pub(super) fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        // Take the lock so no waiter misses the flag between its check and its wait.
        drop(self.lock());
        self.room_sync.notify_all();
        self.room.notify_waiters();
    }
}

/// Marks the queue stopped when the writer thread exits, however it exits.
pub(super) struct StopOnExit(pub(super) Arc<Queue>);

impl Drop for StopOnExit {
    fn drop(&mut self) {
        self.0.stop();
    }
}
