//! Idempotent writes in SQLite: table `idempotency` (one row per scoped key), written through
//! at once on a connection of its own. `begin` is one `BEGIN IMMEDIATE` transaction, so two
//! stores (or two processes) on one file never both own a key. Rows past their expiry are
//! deleted every `SWEEP_EVERY` new entries.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::state::{Clock, IdemBegin, StateError, StoredResponse};

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const SWEEP_EVERY: u64 = 256;

pub(super) const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS idempotency (
     key TEXT PRIMARY KEY, args TEXT NOT NULL, state TEXT NOT NULL, owner TEXT NOT NULL,
     expires INTEGER NOT NULL, status INTEGER NOT NULL DEFAULT 0,
     ctype TEXT NOT NULL DEFAULT '', body BLOB, complete INTEGER NOT NULL DEFAULT 0);
   CREATE INDEX IF NOT EXISTS idempotency_expires ON idempotency (expires);";

/// The idempotency connection.
#[derive(Clone)]
pub(super) struct Idempotency {
    conn: Arc<Mutex<Connection>>,
    clock: Arc<dyn Clock>,
    created: Arc<AtomicU64>,
}

fn db(e: rusqlite::Error) -> StateError {
    StateError::Backend(format!("sqlite idempotency: {e}"))
}

impl Idempotency {
    pub(super) fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<Self, StateError> {
        let err = |e: rusqlite::Error| StateError::Backend(format!("{}: {e}", path.display()));
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(Idempotency {
            conn: Arc::new(Mutex::new(conn)),
            clock,
            created: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Run `f` on the connection with the clock's now (Unix ms), off the async workers.
    async fn run<T, F>(&self, f: F) -> Result<T, StateError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, i64) -> Result<T, StateError> + Send + 'static,
    {
        let this = self.clone();
        let job = move || {
            let now = this.clock.now().timestamp_millis();
            let mut g = match this.conn.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            f(&mut g, now)
        };
        super::off_workers("sqlite idempotency", job).await
    }

    pub(super) async fn begin(
        &self,
        key: String,
        args: String,
        owner: String,
        lease_ms: i64,
    ) -> Result<IdemBegin, StateError> {
        let sweep = self
            .created
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(SWEEP_EVERY);
        self.run(move |c, now| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            type Row = (
                String,
                String,
                i64,
                i64,
                String,
                Option<Vec<u8>>,
                bool,
                String,
            );
            let row: Option<Row> = tx
                .query_row(
                    "SELECT args, state, expires, status, ctype, body, complete, owner
                     FROM idempotency WHERE key = ?1",
                    params![key],
                    |r| {
                        Ok((
                            r.get(0)?,
                            r.get(1)?,
                            r.get(2)?,
                            r.get(3)?,
                            r.get(4)?,
                            r.get(5)?,
                            r.get::<_, i64>(6)? != 0,
                            r.get(7)?,
                        ))
                    },
                )
                .optional()
                .map_err(db)?;
            if let Some((stored_args, state, expires, status, ctype, body, complete, by)) = row {
                if now < expires {
                    let out = if stored_args != args {
                        IdemBegin::Conflict
                    } else if state == "done" {
                        IdemBegin::Done(StoredResponse {
                            status: u16::try_from(status).unwrap_or(500),
                            content_type: ctype,
                            body: Bytes::from(body.unwrap_or_default()),
                            complete,
                            decision_id: by,
                        })
                    } else {
                        IdemBegin::InFlight
                    };
                    return Ok(out);
                }
            }
            tx.execute(
                "INSERT INTO idempotency (key, args, state, owner, expires)
                 VALUES (?1, ?2, 'inflight', ?3, ?4)
                 ON CONFLICT(key) DO UPDATE SET args = excluded.args, state = 'inflight',
                   owner = excluded.owner, expires = excluded.expires, status = 0, ctype = '',
                   body = NULL, complete = 0",
                params![key, args, owner, now.saturating_add(lease_ms)],
            )
            .map_err(db)?;
            if sweep {
                tx.execute("DELETE FROM idempotency WHERE expires <= ?1", params![now])
                    .map_err(db)?;
            }
            tx.commit().map_err(db)?;
            Ok(IdemBegin::Fresh)
        })
        .await
    }

    pub(super) async fn complete(
        &self,
        key: String,
        owner: String,
        r: StoredResponse,
        window_ms: i64,
    ) -> Result<bool, StateError> {
        self.run(move |c, now| {
            let n = c
                .execute(
                    "UPDATE idempotency SET state = 'done', status = ?3, ctype = ?4, body = ?5,
                       complete = ?6, expires = ?7
                     WHERE key = ?1 AND owner = ?2 AND state = 'inflight'",
                    params![
                        key,
                        owner,
                        i64::from(r.status),
                        r.content_type,
                        r.body.to_vec(),
                        i64::from(r.complete),
                        now.saturating_add(window_ms)
                    ],
                )
                .map_err(db)?;
            Ok(n == 1)
        })
        .await
    }

    pub(super) async fn abort(&self, key: String, owner: String) -> Result<(), StateError> {
        self.run(move |c, _| {
            c.execute(
                "DELETE FROM idempotency WHERE key = ?1 AND owner = ?2 AND state = 'inflight'",
                params![key, owner],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use crate::state::sqlite::SqliteStore;
    use crate::state::{FakeClock, IdemBegin, IdemClaim, StateStore};

    fn fake_clock() -> std::sync::Arc<FakeClock> {
        let start = chrono::Utc
            .with_ymd_and_hms(2026, 11, 21, 12, 0, 0)
            .single()
            .expect("time");
        std::sync::Arc::new(FakeClock::new(start))
    }

    #[tokio::test]
    async fn the_store_contract() {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = fake_clock();
        let s = SqliteStore::open(&dir.path().join("s.db"), clock.clone()).expect("open");
        crate::state::idempotency::tests::contract(&s, &clock).await;
    }

    #[tokio::test]
    async fn two_stores_on_one_file_give_a_key_to_one_call_and_survive_a_restart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.db");
        let clock = fake_clock();
        let a = std::sync::Arc::new(SqliteStore::open(&path, clock.clone()).expect("open"));
        let b = std::sync::Arc::new(SqliteStore::open(&path, clock.clone()).expect("open"));
        let mut tasks = Vec::new();
        for i in 0..16 {
            let s = if i % 2 == 0 { a.clone() } else { b.clone() };
            tasks.push(tokio::spawn(async move {
                let owner = format!("d{i}");
                let claim = IdemClaim {
                    key: "k",
                    args: "a",
                    owner: &owner,
                    lease_ms: 60_000,
                };
                s.idem_begin(claim).await.expect("begin")
            }));
        }
        let mut fresh = 0;
        for t in tasks {
            match t.await.expect("join") {
                IdemBegin::Fresh => fresh += 1,
                IdemBegin::InFlight => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(fresh, 1);
        drop((a, b));
        let c = SqliteStore::open(&path, clock).expect("reopen");
        let claim = IdemClaim {
            key: "k",
            args: "a",
            owner: "late",
            lease_ms: 60_000,
        };
        assert_eq!(
            c.idem_begin(claim).await.expect("begin"),
            IdemBegin::InFlight,
            "the marker is on disk"
        );
    }
}
