//! The background fsync of `sync: batch`: a thread of its own calls `fdatasync` on a duplicate
//! of the current file's descriptor, so the writer goes on handing records to the OS while the
//! disk catches up.
//!
//! Why: an `fdatasync` takes 1–10 ms on the VMs toolwall runs on (measured 3.7 ms p50, 7.8–11.5
//! ms p90 for 100 ms of records at 1,000 calls/s). Done on the writer thread it held every
//! write-ahead decision that arrived meanwhile, ten times a second plus once per checkpoint:
//! at 1,000 calls/s that is several percent of the calls, so the fsync set the p99. The
//! contract of `sync: batch` is unchanged: a decision is acknowledged once its line reached
//! the OS (`write(2)`), and an fsync is started at least every `batch_interval` while records
//! are unsynced (one at a time; while one runs, the next waits for it). A failed background
//! fsync stops the writer at its next record or tick, exactly like a failed write.

use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

#[derive(Default)]
struct State {
    /// The next file to sync (a duplicate descriptor) and its path for the error.
    job: Option<(File, PathBuf)>,
    /// A sync is running on the thread.
    busy: bool,
    /// A background sync failed: reported (and taken) by the writer's next call.
    failed: Option<(PathBuf, io::Error)>,
    /// Syncs finished (tests).
    done: u64,
    stop: bool,
    /// Tests: the next sync waits until `release`.
    #[cfg(test)]
    hold: bool,
    #[cfg(test)]
    fail_next: bool,
}

struct Shared {
    state: Mutex<State>,
    cv: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock would be a bug in the few lines below; the state is
        // plain data and stays meaningful, so go on with it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What [`Syncer::request`] did.
pub(super) enum Requested {
    /// A sync of the file was handed to the thread.
    Started,
    /// One is still running (or waiting): the records stay unsynced and the caller asks again.
    Busy,
}

/// The background fsync thread (started on the first request).
pub(super) struct Syncer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Syncer {
    pub(super) fn new() -> Self {
        Self {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                cv: Condvar::new(),
            }),
            thread: None,
        }
    }

    /// A failed background sync not reported yet.
    pub(super) fn take_failure(&self) -> Option<(PathBuf, io::Error)> {
        self.shared.lock().failed.take()
    }

    /// Sync `file` (at `path`) in the background unless a sync is running or waiting.
    pub(super) fn request(&mut self, file: &File, path: &std::path::Path) -> io::Result<Requested> {
        {
            let st = self.shared.lock();
            if st.busy || st.job.is_some() {
                return Ok(Requested::Busy);
            }
        }
        let dup = file.try_clone()?;
        if self.thread.is_none() {
            let shared = Arc::clone(&self.shared);
            self.thread = Some(
                std::thread::Builder::new()
                    .name("toolwall-audit-sync".into())
                    .spawn(move || run(&shared))?,
            );
        }
        let mut st = self.shared.lock();
        st.job = Some((dup, path.to_path_buf()));
        self.shared.cv.notify_all();
        Ok(Requested::Started)
    }

    /// Tests: wait until no sync is running or waiting.
    #[cfg(test)]
    pub(super) fn wait_idle(&self) {
        let mut st = self.shared.lock();
        while st.busy || st.job.is_some() {
            st = self.shared.cv.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }

    #[cfg(test)]
    pub(super) fn done(&self) -> u64 {
        self.shared.lock().done
    }

    /// Tests: hold the next sync until [`Self::release`].
    #[cfg(test)]
    pub(super) fn hold(&self) {
        self.shared.lock().hold = true;
    }

    #[cfg(test)]
    pub(super) fn release(&self) {
        self.shared.lock().hold = false;
        self.shared.cv.notify_all();
    }

    /// Tests: the next sync fails as an I/O error would (a real `fdatasync` error cannot be
    /// produced on demand).
    #[cfg(test)]
    pub(super) fn fail_next(&self) {
        self.shared.lock().fail_next = true;
    }

    #[cfg(test)]
    pub(super) fn busy(&self) -> bool {
        let st = self.shared.lock();
        st.busy || st.job.is_some()
    }
}

impl Drop for Syncer {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.cv.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(shared: &Shared) {
    let mut st = shared.lock();
    loop {
        #[cfg(test)]
        while st.hold && !st.stop {
            st = shared.cv.wait(st).unwrap_or_else(|p| p.into_inner());
        }
        if let Some((file, path)) = st.job.take() {
            st.busy = true;
            #[cfg(test)]
            let fail = std::mem::take(&mut st.fail_next);
            drop(st);
            let result = file.sync_data();
            #[cfg(test)]
            let result = if fail {
                Err(io::Error::other("injected fdatasync failure"))
            } else {
                result
            };
            drop(file);
            st = shared.lock();
            st.busy = false;
            st.done += 1;
            if let Err(e) = result {
                st.failed.get_or_insert((path, e));
            }
            shared.cv.notify_all();
            continue;
        }
        if st.stop {
            return;
        }
        st = shared.cv.wait(st).unwrap_or_else(|p| p.into_inner());
    }
}
