//! Embedded state (the default, one sidecar): counters and kill switches live in memory — the
//! authority, so a reservation costs a mutex and a hash lookup — and are written behind to a
//! SQLite file (WAL) by one writer thread, so they survive restarts.
//!
//! Only committed spend is persisted (every 20 ms, one transaction for whatever changed);
//! in-flight reservations are not (a crash releases them).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use futures_util::future::{self, BoxFuture};
use futures_util::FutureExt;
use rusqlite::{params, Connection};

use super::{
    ApprovalRequest, ApprovalState, BudgetCheck, Clock, ConsumeOutcome, IdemBegin, IdemClaim,
    ReserveOutcome, StateError, StateStore, StoredResponse, Vote, VoteOutcome,
};

mod approvals;
mod idempotency;

/// Run a write-through job off the async workers when inside a Tokio runtime (its
/// transaction may wait for another writer); `what` names the store in errors.
async fn off_workers<T, F>(what: &'static str, job: F) -> Result<T, StateError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, StateError> + Send + 'static,
{
    match tokio::runtime::Handle::try_current() {
        Ok(h) => h
            .spawn_blocking(job)
            .await
            .map_err(|e| StateError::Backend(format!("{what}: {e}")))?,
        Err(_) => job(),
    }
}

pub use approvals::RETENTION_SECS as APPROVAL_RETENTION_SECS;

#[derive(Debug, Clone, Copy, Default)]
struct Counter {
    committed: i64,
    reserved: i64,
    /// Unix seconds after which the counter is dropped.
    expires: i64,
}

impl Counter {
    fn usage(&self) -> i64 {
        self.committed.saturating_add(self.reserved)
    }
}

#[derive(Default)]
struct Inner {
    counters: HashMap<String, Counter>,
    kills: HashSet<String>,
    /// Counters whose committed value changed since the writer last ran.
    dirty: HashSet<String>,
    /// Kill switch changes since the writer last ran, in order.
    dirty_kills: Vec<(String, bool)>,
    /// MCP definition pins: (adapter, tool) → hash.
    pins: HashMap<(String, String), String>,
    dirty_pins: Vec<(String, String, String)>,
}

/// The SQLite-backed store.
pub struct SqliteStore {
    inner: Arc<Mutex<Inner>>,
    stop: Arc<AtomicBool>,
    writer: Mutex<Option<JoinHandle<()>>>,
    healthy: Arc<AtomicBool>,
    clock: Arc<dyn Clock>,
    /// Reservations so far; every `SWEEP_EVERY` the expired counters are dropped from memory.
    ops: AtomicU64,
    /// Approval requests: written through, on their own connection.
    approvals: approvals::Approvals,
    /// Idempotent writes: written through, on their own connection.
    idempotency: idempotency::Idempotency,
}

const SWEEP_EVERY: u64 = 8192;
/// The writer deletes expired rows this often.
const DB_SWEEP_EVERY: Duration = Duration::from_secs(300);
/// The writer writes what changed this often, in one transaction (one row per key): the
/// durability window of write-behind.
const FLUSH_EVERY: Duration = Duration::from_millis(20);

fn lock(m: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl SqliteStore {
    /// Open (or create) the database at `path` and load what it holds.
    pub fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<Self, StateError> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StateError::Backend(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
        }
        let err = |e: rusqlite::Error| StateError::Backend(format!("{}: {e}", path.display()));
        let conn = Connection::open(path).map_err(err)?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
             CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, committed INTEGER NOT NULL, expires INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS kills (field TEXT PRIMARY KEY);
             CREATE TABLE IF NOT EXISTS mcp_pins (adapter TEXT NOT NULL, tool TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (adapter, tool));",
        )
        .map_err(err)?;
        conn.execute_batch(approvals::SCHEMA).map_err(err)?;
        let approvals = approvals::Approvals::open(path, clock.clone())?;
        conn.execute_batch(idempotency::SCHEMA).map_err(err)?;
        let idempotency = idempotency::Idempotency::open(path, clock.clone())?;
        let now = clock.now().timestamp();
        conn.execute("DELETE FROM counters WHERE expires <= ?1", params![now])
            .map_err(err)?;
        let mut inner = Inner::default();
        {
            let mut stmt = conn
                .prepare("SELECT key, committed, expires FROM counters")
                .map_err(err)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                })
                .map_err(err)?;
            for row in rows {
                let (key, committed, expires) = row.map_err(err)?;
                inner.counters.insert(
                    key,
                    Counter {
                        committed,
                        reserved: 0,
                        expires,
                    },
                );
            }
            let mut stmt = conn.prepare("SELECT field FROM kills").map_err(err)?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(err)?;
            for row in rows {
                inner.kills.insert(row.map_err(err)?);
            }
            let mut stmt = conn
                .prepare("SELECT adapter, tool, hash FROM mcp_pins")
                .map_err(err)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })
                .map_err(err)?;
            for row in rows {
                let (adapter, tool, hash) = row.map_err(err)?;
                inner.pins.insert((adapter, tool), hash);
            }
        }
        let inner = Arc::new(Mutex::new(inner));
        let healthy = Arc::new(AtomicBool::new(true));
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (inner, healthy, stop, clock) =
                (inner.clone(), healthy.clone(), stop.clone(), clock.clone());
            std::thread::Builder::new()
                .name("toolwall-sqlite".into())
                .spawn(move || write_behind(conn, inner, healthy, stop, clock))
                .map_err(|e| StateError::Backend(format!("cannot start the writer thread: {e}")))?
        };
        Ok(SqliteStore {
            inner,
            stop,
            writer: Mutex::new(Some(writer)),
            healthy,
            clock,
            ops: AtomicU64::new(0),
            approvals,
            idempotency,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        lock(&self.inner)
    }

    /// Write everything changed so far and stop the writer (also done on drop).
    pub fn close(&self) {
        self.stop.store(true, Ordering::SeqCst);
        let handle = self.writer.lock().ok().and_then(|mut h| h.take());
        if let Some(h) = handle {
            h.thread().unpark();
            let _ = h.join();
        }
    }

    fn live<'a>(inner: &'a mut Inner, key: &str, now: i64) -> Option<&'a mut Counter> {
        let expired = inner.counters.get(key).is_some_and(|c| c.expires <= now);
        if expired {
            inner.counters.remove(key);
        }
        inner.counters.get_mut(key)
    }

    /// Change the counter `key`, creating it if needed (the key is copied only then).
    fn update(inner: &mut Inner, key: &str, f: impl FnOnce(&mut Counter)) {
        if let Some(c) = inner.counters.get_mut(key) {
            f(c);
            return;
        }
        let mut c = Counter::default();
        f(&mut c);
        inner.counters.insert(key.to_string(), c);
    }

    fn reserve_now(
        &self,
        kill_fields: &[String],
        budgets: &[BudgetCheck],
        amount: i64,
    ) -> ReserveOutcome {
        let now = self.clock.now().timestamp();
        let mut inner = self.lock();
        if self.ops.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            inner
                .counters
                .retain(|_, c| c.expires > now || c.reserved > 0);
        }
        if let Some(f) = kill_fields.iter().find(|f| inner.kills.contains(*f)) {
            return ReserveOutcome::Killed(f.clone());
        }
        let usage: Vec<i64> = budgets
            .iter()
            .map(|b| {
                Self::live(&mut inner, &b.key, now)
                    .map(|c| c.usage())
                    .unwrap_or(0)
            })
            .collect();
        if let Some(index) = budgets
            .iter()
            .zip(&usage)
            .position(|(b, u)| exceeds(*u, amount, b.limit))
        {
            return ReserveOutcome::Exceeded { index, usage };
        }
        for b in budgets {
            Self::update(&mut inner, &b.key, |c| {
                c.reserved = c.reserved.saturating_add(amount);
                c.expires = c.expires.max(now.saturating_add(b.ttl_secs as i64));
            });
        }
        ReserveOutcome::Reserved { usage }
    }
}

/// Whether adding `amount` to `usage` breaks `limit`. A budget that is used up refuses even
/// calls that cost nothing right now (their cost may only be known from the response).
pub fn exceeds(usage: i64, amount: i64, limit: i64) -> bool {
    usage >= limit || usage.saturating_add(amount) > limit
}

/// The writer thread: every `FLUSH_EVERY` (or at once on close), write the counters and kill
/// switches that changed, in one transaction.
fn write_behind(
    mut conn: Connection,
    inner: Arc<Mutex<Inner>>,
    healthy: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    clock: Arc<dyn Clock>,
) {
    let mut last_sweep = std::time::Instant::now();
    loop {
        let stopping = stop.load(Ordering::SeqCst);
        if !stopping {
            std::thread::park_timeout(FLUSH_EVERY);
        }
        let (counters, kills, pins) = {
            let mut g = lock(&inner);
            let dirty = std::mem::take(&mut g.dirty);
            let counters: Vec<(String, i64, i64)> = dirty
                .into_iter()
                .filter_map(|k| {
                    let c = g.counters.get(&k).copied();
                    c.map(|c| (k, c.committed, c.expires))
                })
                .collect();
            (
                counters,
                std::mem::take(&mut g.dirty_kills),
                std::mem::take(&mut g.dirty_pins),
            )
        };
        let sweep = last_sweep.elapsed() >= DB_SWEEP_EVERY;
        if !counters.is_empty() || !kills.is_empty() || !pins.is_empty() || sweep {
            let result = (|| -> rusqlite::Result<()> {
                let tx = conn.transaction()?;
                {
                    let mut upsert = tx.prepare_cached(
                        "INSERT INTO counters (key, committed, expires) VALUES (?1, ?2, ?3)
                         ON CONFLICT(key) DO UPDATE SET committed = excluded.committed, expires = excluded.expires",
                    )?;
                    for (key, committed, expires) in &counters {
                        upsert.execute(params![key, committed, expires])?;
                    }
                    for (field, on) in &kills {
                        if *on {
                            tx.prepare_cached("INSERT OR IGNORE INTO kills (field) VALUES (?1)")?
                                .execute(params![field])?;
                        } else {
                            tx.prepare_cached("DELETE FROM kills WHERE field = ?1")?
                                .execute(params![field])?;
                        }
                    }
                    for (adapter, tool, hash) in &pins {
                        tx.prepare_cached(
                            "INSERT INTO mcp_pins (adapter, tool, hash) VALUES (?1, ?2, ?3)
                             ON CONFLICT(adapter, tool) DO UPDATE SET hash = excluded.hash",
                        )?
                        .execute(params![adapter, tool, hash])?;
                    }
                    if sweep {
                        tx.execute(
                            "DELETE FROM counters WHERE expires <= ?1",
                            params![clock.now().timestamp()],
                        )?;
                    }
                }
                tx.commit()
            })();
            if sweep {
                last_sweep = std::time::Instant::now();
            }
            match result {
                Ok(()) => healthy.store(true, Ordering::Relaxed),
                Err(e) => {
                    healthy.store(false, Ordering::Relaxed);
                    tracing::error!(error = %e, "sqlite state write failed");
                }
            }
        }
        if stopping {
            return;
        }
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.close();
    }
}

impl StateStore for SqliteStore {
    fn reserve<'a>(
        &'a self,
        kill_fields: &'a [String],
        budgets: &'a [BudgetCheck],
        amount: i64,
    ) -> BoxFuture<'a, Result<ReserveOutcome, StateError>> {
        future::ready(Ok(self.reserve_now(kill_fields, budgets, amount))).boxed()
    }

    fn settle<'a>(
        &'a self,
        budgets: &'a [BudgetCheck],
        reserved: i64,
        actual: i64,
    ) -> BoxFuture<'a, Result<(), StateError>> {
        let now = self.clock.now().timestamp();
        let mut inner = self.lock();
        for b in budgets {
            Self::update(&mut inner, &b.key, |c| {
                c.reserved = c.reserved.saturating_sub(reserved).max(0);
                c.expires = c.expires.max(now.saturating_add(b.ttl_secs as i64));
                c.committed = c.committed.saturating_add(actual);
            });
            if actual != 0 && !inner.dirty.contains(&b.key) {
                inner.dirty.insert(b.key.clone());
            }
        }
        drop(inner);
        future::ready(Ok(())).boxed()
    }

    fn killed<'a>(
        &'a self,
        kill_fields: &'a [String],
    ) -> BoxFuture<'a, Result<Option<String>, StateError>> {
        future::ready(Ok(self.killed_cached(kill_fields))).boxed()
    }

    fn killed_cached(&self, kill_fields: &[String]) -> Option<String> {
        let inner = self.lock();
        kill_fields
            .iter()
            .find(|f| inner.kills.contains(*f))
            .cloned()
    }

    fn set_kill<'a>(&'a self, field: &'a str, on: bool) -> BoxFuture<'a, Result<(), StateError>> {
        let mut inner = self.lock();
        if on {
            inner.kills.insert(field.to_string());
        } else {
            inner.kills.remove(field);
        }
        inner.dirty_kills.push((field.to_string(), on));
        drop(inner);
        future::ready(Ok(())).boxed()
    }

    fn pins<'a>(
        &'a self,
        adapter: &'a str,
    ) -> BoxFuture<'a, Result<HashMap<String, String>, StateError>> {
        let inner = self.lock();
        let map = inner
            .pins
            .iter()
            .filter(|((a, _), _)| a == adapter)
            .map(|((_, t), h)| (t.clone(), h.clone()))
            .collect();
        drop(inner);
        future::ready(Ok(map)).boxed()
    }

    fn set_pins<'a>(
        &'a self,
        adapter: &'a str,
        pins: &'a [(String, String)],
    ) -> BoxFuture<'a, Result<(), StateError>> {
        let mut inner = self.lock();
        for (tool, hash) in pins {
            inner
                .pins
                .insert((adapter.to_string(), tool.clone()), hash.clone());
            inner
                .dirty_pins
                .push((adapter.to_string(), tool.clone(), hash.clone()));
        }
        drop(inner);
        future::ready(Ok(())).boxed()
    }

    fn kills(&self) -> BoxFuture<'_, Result<Vec<String>, StateError>> {
        let mut v: Vec<String> = self.lock().kills.iter().cloned().collect();
        v.sort();
        future::ready(Ok(v)).boxed()
    }

    fn usage<'a>(&'a self, keys: &'a [String]) -> BoxFuture<'a, Result<Vec<i64>, StateError>> {
        let v = keys
            .iter()
            .map(|k| self.usage_cached(k).unwrap_or(0))
            .collect();
        future::ready(Ok(v)).boxed()
    }

    fn usage_cached(&self, key: &str) -> Option<i64> {
        let now = self.clock.now_secs();
        let mut inner = self.lock();
        Self::live(&mut inner, key, now).map(|c| c.usage())
    }

    fn approval_request(
        &self,
        req: ApprovalRequest,
    ) -> BoxFuture<'_, Result<(ApprovalRequest, bool), StateError>> {
        self.approvals
            .run(move |c, now| approvals::request(c, now, req))
            .boxed()
    }

    fn approval_get<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<ApprovalRequest>, StateError>> {
        let id = id.to_string();
        self.approvals
            .run(move |c, now| approvals::get_at(c, now, &id))
            .boxed()
    }

    fn approval_list(
        &self,
        state: Option<ApprovalState>,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<ApprovalRequest>, StateError>> {
        self.approvals
            .run(move |c, now| approvals::list(c, now, state, limit))
            .boxed()
    }

    fn approval_vote<'a>(
        &'a self,
        id: &'a str,
        vote: Vote,
    ) -> BoxFuture<'a, Result<VoteOutcome, StateError>> {
        let id = id.to_string();
        self.approvals
            .run(move |c, now| approvals::vote(c, now, &id, vote))
            .boxed()
    }

    fn approval_consume<'a>(
        &'a self,
        id: &'a str,
        key: &'a str,
        used_by: &'a str,
    ) -> BoxFuture<'a, Result<ConsumeOutcome, StateError>> {
        let (id, key, used_by) = (id.to_string(), key.to_string(), used_by.to_string());
        self.approvals
            .run(move |c, now| approvals::consume(c, now, &id, &key, &used_by))
            .boxed()
    }

    fn approval_expire_due(
        &self,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<ApprovalRequest>, StateError>> {
        self.approvals
            .run(move |c, now| approvals::expire_due(c, now, limit))
            .boxed()
    }

    fn approvals_pending_count(&self) -> BoxFuture<'_, Result<u64, StateError>> {
        self.approvals.run(approvals::pending_count).boxed()
    }

    fn idem_begin<'a>(
        &'a self,
        claim: IdemClaim<'a>,
    ) -> BoxFuture<'a, Result<IdemBegin, StateError>> {
        let (key, args, owner) = (
            claim.key.to_string(),
            claim.args.to_string(),
            claim.owner.to_string(),
        );
        self.idempotency
            .begin(key, args, owner, claim.lease_ms)
            .boxed()
    }

    fn idem_complete<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        response: StoredResponse,
        window_ms: i64,
    ) -> BoxFuture<'a, Result<bool, StateError>> {
        self.idempotency
            .complete(key.to_string(), owner.to_string(), response, window_ms)
            .boxed()
    }

    fn idem_abort<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
    ) -> BoxFuture<'a, Result<(), StateError>> {
        self.idempotency
            .abort(key.to_string(), owner.to_string())
            .boxed()
    }

    fn healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }

    fn name(&self) -> &'static str {
        "sqlite"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::FakeClock;
    use chrono::TimeZone;

    fn budget(key: &str, limit: i64) -> BudgetCheck {
        BudgetCheck {
            key: key.into(),
            limit,
            ttl_secs: 3600,
        }
    }

    fn block<T>(f: BoxFuture<'_, T>) -> T {
        futures_util::FutureExt::now_or_never(f).expect("sqlite store is synchronous")
    }

    #[test]
    fn reserve_settle_release_and_survive_restart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state/t.db");
        let clock = Arc::new(FakeClock::new(
            chrono::Utc
                .with_ymd_and_hms(2026, 11, 21, 10, 0, 0)
                .single()
                .expect("date"),
        ));
        let b = [budget("a", 100), budget("b", 1000)];
        {
            let s = SqliteStore::open(&path, clock.clone()).expect("open");
            for _ in 0..3 {
                assert!(matches!(
                    block(s.reserve(&[], &b, 30)).expect("ok"),
                    ReserveOutcome::Reserved { .. }
                ));
            }
            // 90 reserved on `a`: 30 more does not fit
            assert_eq!(
                block(s.reserve(&[], &b, 30)).expect("ok"),
                ReserveOutcome::Exceeded {
                    index: 0,
                    usage: vec![90, 90]
                }
            );
            block(s.settle(&b, 30, 25)).expect("commit");
            block(s.settle(&b, 30, 0)).expect("release");
            assert_eq!(block(s.usage(&["a".into()])).expect("usage"), vec![55]);
            block(s.set_kill("tenant:acme", true)).expect("kill");
        }
        // reopened: committed spend (25) and the kill switch survive; reservations do not.
        let s = SqliteStore::open(&path, clock.clone()).expect("reopen");
        assert_eq!(block(s.usage(&["a".into()])).expect("usage"), vec![25]);
        assert_eq!(
            block(s.reserve(&["all".into(), "tenant:acme".into()], &b, 1)).expect("ok"),
            ReserveOutcome::Killed("tenant:acme".into())
        );
        // counters expire after their ttl
        clock.advance(std::time::Duration::from_secs(7200));
        assert_eq!(s.usage_cached("a"), None);
    }

    #[test]
    fn exceeds_table() {
        for (usage, amount, limit, want) in [
            (0, 10, 10, false),
            (0, 11, 10, true),
            (10, 0, 10, true),
            (9, 0, 10, false),
            (5, 5, 10, false),
        ] {
            assert_eq!(
                exceeds(usage, amount, limit),
                want,
                "{usage}+{amount} vs {limit}"
            );
        }
    }
}
