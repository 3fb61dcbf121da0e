//! The `Clock` seam: wall time for budget days, monotonic time for GCRA; a fake for tests.

use std::fmt::Debug;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// Time as limits see it.
pub trait Clock: Send + Sync + Debug + 'static {
    /// Wall-clock time (budget days, `input.now`).
    fn now(&self) -> DateTime<Utc>;
    /// Monotonic time since an arbitrary origin (rate limiting).
    fn monotonic(&self) -> Duration;
}

/// The real clock.
#[derive(Debug)]
pub struct SystemClock {
    origin: Instant,
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock {
            origin: Instant::now(),
        }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    fn monotonic(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// A clock that moves only when told to.
#[derive(Debug)]
pub struct FakeClock {
    inner: Mutex<(DateTime<Utc>, Duration)>,
}

impl FakeClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        FakeClock {
            inner: Mutex::new((start, Duration::ZERO)),
        }
    }

    /// Move both the wall clock and the monotonic clock forward.
    pub fn advance(&self, by: Duration) {
        let mut g = match self.inner.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        g.0 += chrono::Duration::from_std(by).unwrap_or(chrono::Duration::zero());
        g.1 += by;
    }

    fn get(&self) -> (DateTime<Utc>, Duration) {
        match self.inner.lock() {
            Ok(g) => *g,
            Err(p) => *p.into_inner(),
        }
    }
}

impl Clock for FakeClock {
    fn now(&self) -> DateTime<Utc> {
        self.get().0
    }
    fn monotonic(&self) -> Duration {
        self.get().1
    }
}
