//! How records reach the writer thread: a list under a lock, and as few wake-ups of the writer
//! as the traffic allows.
//!
//! A record is pushed to the list; nothing wakes the writer from the pushing call itself. A
//! *flusher* task on the proxy's runtime is told instead (a wake-up within the runtime: no
//! system call), and it wakes the writer once it gets its turn: after the calls already
//! waiting to run on that runtime, which push their records meanwhile. So the writer wakes
//! about once per turn of the runtime and writes what the turn produced with one `write(2)`
//! (group commit), instead of once or twice per call (the decision written ahead, the
//! outcome). Measured in docs/performance.md ("Fifth round"): the writer's wake-ups and the
//! runtime's preemptions per call, and the CPU per call.
//!
//! Without a runtime (a sink started outside one) the pushing call wakes the writer itself.
//! Whatever happens to the flusher, the writer also drains the list on its own 100 ms tick.
//!
//! The way back is coalesced the same way: the write-ahead acknowledgements of one batch are
//! handed to an *acker* task on the proxy's runtime with one cross-thread wake-up, and that
//! task completes them there ([`Acks`]). Sent from the writer thread one by one, each would
//! be a remote wake-up of the runtime — on tokio's current-thread scheduler a `write(2)` to
//! its eventfd per call, and a switch back to the runtime's thread mid-batch when the two
//! share a core (docs/performance.md, "Eighth round").

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::Duration;

use tokio::sync::Notify;

use super::{Ack, Msg, SinkError};

/// Records waiting that wake the writer directly, without waiting for the flusher's turn.
const WAKE_AT: usize = 256;

/// Most written records' line buffers on their way back to the runtime at a time.
const MAX_LINES_BACK: usize = 512;

/// The list shared by the handles and the writer thread.
pub(super) struct Shared {
    state: Mutex<Pending>,
    ready: Condvar,
    /// Tells the flusher task that records are waiting (`None`: no runtime, wake directly).
    pub(super) kick: Option<Arc<Notify>>,
    /// Times the writer was woken to write (tests check that records are batched).
    pub(super) wakes: AtomicU64,
    /// Where the writer leaves a batch's acknowledgements (`None`: no runtime, sent directly).
    pub(super) acks: Option<Arc<Acks>>,
}

/// A batch's write-ahead acknowledgements on their way back to the runtime: the writer thread
/// leaves them here and wakes the acker task once; the task completes them on the runtime's
/// thread (a wake-up within the runtime each: no system call).
pub(super) struct Acks {
    state: Mutex<AckState>,
    ready: Notify,
    /// Times the writer woke the acker (tests check that acknowledgements are coalesced).
    pub(super) wakes: AtomicU64,
}

struct AckState {
    done: Vec<(Ack, Result<u64, SinkError>)>,
    /// Written records' line buffers, back to the runtime's thread with the acknowledgements
    /// (`audit::call::give_back_lines`).
    lines: Vec<Vec<u8>>,
    /// The acker task is gone (its runtime shut down): the writer sends acknowledgements
    /// itself, so a write-ahead caller on another runtime is never left waiting.
    gone: bool,
}

impl Acks {
    fn lock(&self) -> MutexGuard<'_, AckState> {
        match self.state.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The writer thread: hand over a batch's acknowledgements (taken from `batch`, which
    /// keeps its room), with one wake-up of the acker, and the written records' line buffers
    /// with them (`lines`: kept by the writer for a batch with acknowledgements, as buffers
    /// alone are no reason to wake the runtime; at most [`MAX_LINES_BACK`] wait).
    pub(super) fn deliver(
        &self,
        batch: &mut Vec<(Ack, Result<u64, SinkError>)>,
        lines: &mut Vec<Vec<u8>>,
    ) {
        if batch.is_empty() {
            lines.truncate(MAX_LINES_BACK);
            return;
        }
        {
            let mut g = self.lock();
            if !g.gone {
                g.done.append(batch);
                if g.lines.len() < MAX_LINES_BACK {
                    g.lines.append(lines);
                }
                drop(g);
                lines.clear();
                self.wakes.fetch_add(1, Ordering::Relaxed);
                self.ready.notify_one();
                return;
            }
        }
        lines.clear();
        send_all(batch.drain(..));
    }
}

/// Complete acknowledgements (a caller that gave up waiting is no error).
pub(super) fn send_all(acks: impl Iterator<Item = (Ack, Result<u64, SinkError>)>) {
    for (ack, result) in acks {
        let _ = ack.send(result);
    }
}

/// The writer has stopped: a message pushed was not taken ([`Shared::push`]).
#[derive(Debug)]
pub(super) struct Stopped;

pub(super) struct Pending {
    pub msgs: Vec<Msg>,
    /// Every handle is gone: write what is left and close.
    pub disconnected: bool,
    /// The writer has stopped: nothing is accepted.
    closed: bool,
    /// The writer is waiting on `ready` (a wake-up is needed to get it going).
    pub(super) waiting: bool,
}

impl Shared {
    /// The shared list; with a flusher task on the current runtime when there is one.
    pub(super) fn start() -> Arc<Shared> {
        let runtime = tokio::runtime::Handle::try_current().ok();
        let kick = runtime.as_ref().map(|_| Arc::new(Notify::new()));
        let acks = runtime.as_ref().map(|_| {
            Arc::new(Acks {
                state: Mutex::new(AckState {
                    done: Vec::new(),
                    lines: Vec::new(),
                    gone: false,
                }),
                ready: Notify::new(),
                wakes: AtomicU64::new(0),
            })
        });
        let shared = Arc::new(Shared {
            state: Mutex::new(Pending {
                msgs: Vec::new(),
                disconnected: false,
                closed: false,
                waiting: false,
            }),
            ready: Condvar::new(),
            kick: kick.clone(),
            wakes: AtomicU64::new(0),
            acks: acks.clone(),
        });
        if let (Some(rt), Some(kick), Some(acks)) = (runtime, kick, acks) {
            rt.spawn(flusher(Arc::downgrade(&shared), kick));
            rt.spawn(acker(AckerGone(acks)));
        }
        shared
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Pending> {
        match self.state.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Add a record (or `Close`) for the writer; [`Stopped`] (the message dropped) once the
    /// writer has stopped. (Not the message back: no caller used it, and a record's message is
    /// larger than an error should be.)
    pub(super) fn push(&self, msg: Msg) -> Result<(), Stopped> {
        let waiting = {
            let mut g = self.lock();
            if g.closed {
                return Err(Stopped);
            }
            g.msgs.push(msg);
            g.msgs.len()
        };
        match &self.kick {
            // A long list is not left for the flusher: a thread that keeps the runtime busy
            // (or blocks it, waiting for room in the queue) must not hold the writer back.
            Some(kick) if waiting < WAKE_AT => kick.notify_one(),
            _ => self.wake_writer(),
        }
        Ok(())
    }

    /// The writer stops: refuse what comes from now on; how many records were still waiting
    /// (dropped here, unwritten).
    pub(super) fn close(&self) -> usize {
        let left = {
            let mut g = self.lock();
            g.closed = true;
            std::mem::take(&mut g.msgs)
        };
        left.iter()
            .filter(|m| matches!(m, Msg::Append { .. }))
            .count()
    }

    /// Wake the writer if it waits (a `Close` is pushed with [`Self::push`] and then woken at
    /// once, so a runtime shutting down does not have to run the flusher for it).
    pub(super) fn wake_writer(&self) {
        // One notification per wait: the flag is cleared with it, so a flusher that runs
        // again before the writer got the core does not notify again (a condvar's notify is a
        // system call each time).
        let waiting = std::mem::take(&mut self.lock().waiting);
        if waiting {
            self.wakes.fetch_add(1, Ordering::Relaxed);
            self.ready.notify_one();
        }
    }

    /// Every handle is gone.
    pub(super) fn disconnect(&self) {
        self.lock().disconnected = true;
        self.ready.notify_one();
    }

    /// The writer: take what is waiting, or wait at most `tick` for something to arrive. The
    /// messages are moved into `into` (emptied by the caller), keeping both buffers' room.
    /// Returns whether every handle is gone.
    pub(super) fn take(&self, into: &mut Vec<Msg>, tick: Duration) -> bool {
        let mut g = self.lock();
        if g.msgs.is_empty() && !g.disconnected {
            g.waiting = true;
            g = match self.ready.wait_timeout(g, tick) {
                Ok((g, _)) => g,
                Err(poisoned) => poisoned.into_inner().0,
            };
            g.waiting = false;
        }
        std::mem::swap(&mut g.msgs, into);
        g.disconnected
    }
}

/// The acker task's hold on [`Acks`]: when the task is dropped (its runtime shut down, even
/// before it first ran) the writer sends acknowledgements directly from then on, and what it
/// left here is sent now.
struct AckerGone(Arc<Acks>);

impl Drop for AckerGone {
    fn drop(&mut self) {
        let left = {
            let mut g = self.0.lock();
            g.gone = true;
            std::mem::take(&mut g.done)
        };
        send_all(left.into_iter());
    }
}

/// Completes the acknowledgements the writer hands back, on the runtime's thread.
async fn acker(acks: AckerGone) {
    let mut taken = Vec::new();
    let mut lines = Vec::new();
    loop {
        acks.0.ready.notified().await;
        {
            let mut g = acks.0.lock();
            std::mem::swap(&mut g.done, &mut taken);
            std::mem::swap(&mut g.lines, &mut lines);
        }
        send_all(taken.drain(..));
        crate::audit::call::give_back_lines(&mut lines);
    }
}

/// Wakes the writer once per turn: the notification queues this task behind the calls that
/// were ready to run, so by the time it runs they have pushed their records too.
async fn flusher(shared: Weak<Shared>, kick: Arc<Notify>) {
    loop {
        kick.notified().await;
        match shared.upgrade() {
            Some(shared) => shared.wake_writer(),
            None => return,
        }
    }
}

/// Marks the list disconnected when the last handle goes.
pub(super) struct Handles(pub(super) Arc<Shared>);

impl Drop for Handles {
    fn drop(&mut self) {
        self.0.disconnect();
    }
}
