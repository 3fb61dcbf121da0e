//! The `Clock` seam: wall time for budget days, monotonic time for GCRA; a fake for tests.

use std::fmt::Debug;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// Time as limits see it.
pub trait Clock: Send + Sync + Debug + 'static {
    /// Wall-clock time (budget days, `input.now`).
    fn now(&self) -> DateTime<Utc>;
    /// `now().timestamp()`: whole seconds since the epoch.
    fn now_secs(&self) -> i64 {
        self.now().timestamp()
    }
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
    /// The seconds of `SystemTime` as `Utc::now` reads them, without its calendar (~100
    /// instructions of ~175; two calls a call: docs/performance.md, "Twentieth round").
    fn now_secs(&self) -> i64 {
        match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            // before 1970: chrono's own arithmetic
            Err(_) => self.now().timestamp(),
        }
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

#[cfg(test)]
mod now_secs_tests {
    use super::*;

    /// `now_secs` is `now().timestamp()`: read between two of those, it lies between them.
    #[test]
    fn system_seconds_are_the_timestamps() {
        let c = SystemClock::default();
        for _ in 0..1000 {
            let before = c.now().timestamp();
            let secs = c.now_secs();
            let after = c.now().timestamp();
            assert!(before <= secs && secs <= after, "{before} {secs} {after}");
        }
        let fake = FakeClock::new(DateTime::from_timestamp(1_796_422_817, 5).expect("time"));
        assert_eq!(fake.now_secs(), 1_796_422_817);
    }
}
