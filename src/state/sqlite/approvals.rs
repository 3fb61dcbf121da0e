//! Approval requests in SQLite: table `approvals` (one row per request: the JSON document
//! plus `key`, `state`, `created`, `expires` columns to query on), written through at once —
//! not behind — on a connection of its own. Every change is one `BEGIN IMMEDIATE`
//! transaction, so two stores (or two processes) on one file never create two pending
//! requests for one key, count a vote twice or consume an approval twice. A request is
//! deleted `RETENTION_SECS` after its expiry (when a new request is stored).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::state::approvals::{apply_consume, apply_vote};
use crate::state::{
    ApprovalRequest, ApprovalState, Clock, ConsumeOutcome, StateError, Vote, VoteOutcome,
};

/// A request is deleted this long after its expiry (the audit log is the lasting record).
pub const RETENTION_SECS: i64 = 30 * 86_400;

/// How long a transaction waits for another writer on the same file.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub(super) const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS approvals (
     id TEXT PRIMARY KEY, key TEXT NOT NULL, state TEXT NOT NULL,
     created INTEGER NOT NULL, expires INTEGER NOT NULL, doc TEXT NOT NULL);
   CREATE INDEX IF NOT EXISTS approvals_key ON approvals (key, state);
   CREATE INDEX IF NOT EXISTS approvals_created ON approvals (created);
   CREATE INDEX IF NOT EXISTS approvals_expires ON approvals (expires);";

/// The approvals connection.
#[derive(Clone)]
pub(super) struct Approvals {
    conn: Arc<Mutex<Connection>>,
    clock: Arc<dyn Clock>,
}

fn db(e: rusqlite::Error) -> StateError {
    StateError::Backend(format!("sqlite approvals: {e}"))
}

fn parse(doc: &str) -> Result<ApprovalRequest, StateError> {
    serde_json::from_str(doc)
        .map_err(|e| StateError::Backend(format!("sqlite approvals: unreadable request: {e}")))
}

fn encode(req: &ApprovalRequest) -> Result<String, StateError> {
    serde_json::to_string(req).map_err(|e| StateError::Backend(format!("sqlite approvals: {e}")))
}

fn get(tx: &Connection, id: &str) -> Result<Option<ApprovalRequest>, StateError> {
    let doc: Option<String> = tx
        .query_row(
            "SELECT doc FROM approvals WHERE id = ?1",
            params![id],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)?;
    doc.as_deref().map(parse).transpose()
}

fn put(tx: &Connection, req: &ApprovalRequest) -> Result<(), StateError> {
    tx.execute(
        "INSERT INTO approvals (id, key, state, created, expires, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(id) DO UPDATE SET state = excluded.state, doc = excluded.doc",
        params![
            req.id,
            req.key,
            req.state.as_str(),
            req.created_unix,
            req.expires_unix,
            encode(req)?
        ],
    )
    .map_err(db)?;
    Ok(())
}

impl Approvals {
    pub(super) fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<Self, StateError> {
        let err = |e: rusqlite::Error| StateError::Backend(format!("{}: {e}", path.display()));
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(Approvals {
            conn: Arc::new(Mutex::new(conn)),
            clock,
        })
    }

    /// Run `f` on the connection, off the async workers when inside a Tokio runtime (a
    /// transaction may wait for another writer).
    pub(super) async fn run<T, F>(&self, f: F) -> Result<T, StateError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, i64) -> Result<T, StateError> + Send + 'static,
    {
        let this = self.clone();
        let job = move || {
            let now = this.clock.now().timestamp();
            let mut g = match this.conn.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            f(&mut g, now)
        };
        super::off_workers("sqlite approvals", job).await
    }
}

/// Change one request inside one immediate transaction.
fn modify<T>(
    conn: &mut Connection,
    id: &str,
    missing: T,
    f: impl FnOnce(&mut ApprovalRequest) -> (T, bool),
) -> Result<T, StateError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let Some(mut req) = get(&tx, id)? else {
        return Ok(missing);
    };
    let (out, changed) = f(&mut req);
    if changed {
        put(&tx, &req)?;
    }
    tx.commit().map_err(db)?;
    Ok(out)
}

pub(super) fn request(
    conn: &mut Connection,
    now: i64,
    req: ApprovalRequest,
) -> Result<(ApprovalRequest, bool), StateError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let existing: Option<String> = tx
        .query_row(
            "SELECT doc FROM approvals WHERE key = ?1 AND state = 'pending' AND expires >= ?2
             ORDER BY created DESC, id DESC LIMIT 1",
            params![req.key, now],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)?;
    if let Some(doc) = existing {
        return Ok((parse(&doc)?.at(now), false));
    }
    let mut req = req;
    req.state = ApprovalState::Pending;
    req.votes.clear();
    req.used_by = None;
    put(&tx, &req)?;
    tx.execute(
        "DELETE FROM approvals WHERE expires < ?1",
        params![now.saturating_sub(RETENTION_SECS)],
    )
    .map_err(db)?;
    tx.commit().map_err(db)?;
    Ok((req, true))
}

pub(super) fn get_at(
    conn: &mut Connection,
    now: i64,
    id: &str,
) -> Result<Option<ApprovalRequest>, StateError> {
    Ok(get(conn, id)?.map(|r| r.at(now)))
}

pub(super) fn list(
    conn: &mut Connection,
    now: i64,
    state: Option<ApprovalState>,
    limit: usize,
) -> Result<Vec<ApprovalRequest>, StateError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let (filter, s) = match state {
        None => ("1 = 1", ""),
        Some(ApprovalState::Pending) => ("state = ?1 AND expires >= ?2", "pending"),
        Some(ApprovalState::Expired) => (
            "state = ?1 OR (state = 'pending' AND expires < ?2)",
            "expired",
        ),
        Some(s) => ("state = ?1", s.as_str()),
    };
    // ?1 and ?2 may go unused by the filter: SQLite numbers parameters up to ?3 regardless
    let sql =
        format!("SELECT doc FROM approvals WHERE {filter} ORDER BY created DESC, id DESC LIMIT ?3");
    let mut stmt = conn.prepare(&sql).map_err(db)?;
    let rows = stmt
        .query_map(params![s, now, limit], |r| r.get::<_, String>(0))
        .map_err(db)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(parse(&row.map_err(db)?)?.at(now));
    }
    Ok(out)
}

pub(super) fn vote(
    conn: &mut Connection,
    now: i64,
    id: &str,
    vote: Vote,
) -> Result<VoteOutcome, StateError> {
    modify(conn, id, VoteOutcome::NotFound, |r| {
        apply_vote(r, vote, now)
    })
}

pub(super) fn consume(
    conn: &mut Connection,
    now: i64,
    id: &str,
    key: &str,
    used_by: &str,
) -> Result<ConsumeOutcome, StateError> {
    modify(conn, id, ConsumeOutcome::NotFound, |r| {
        apply_consume(r, key, used_by, now)
    })
}

pub(super) fn expire_due(
    conn: &mut Connection,
    now: i64,
    limit: usize,
) -> Result<Vec<ApprovalRequest>, StateError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let due: Vec<(String, String)> = {
        let mut stmt = tx
            .prepare(
                "SELECT id, doc FROM approvals WHERE state = 'pending' AND expires < ?1
                 ORDER BY expires, id LIMIT ?2",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map(params![now, limit], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(db)?;
        rows.collect::<Result<_, _>>().map_err(db)?
    };
    let mut out = Vec::with_capacity(due.len());
    for (id, doc) in due {
        match parse(&doc) {
            Ok(mut req) => {
                req.state = ApprovalState::Expired;
                put(&tx, &req)?;
                out.push(req);
            }
            // still flipped (it must never be approved), but there is nothing to announce
            Err(e) => {
                tracing::warn!(approval_id = %id, error = %e, "expiring an unreadable request");
                tx.execute(
                    "UPDATE approvals SET state = 'expired' WHERE id = ?1",
                    params![id],
                )
                .map_err(db)?;
            }
        }
    }
    tx.commit().map_err(db)?;
    Ok(out)
}

pub(super) fn pending_count(conn: &mut Connection, now: i64) -> Result<u64, StateError> {
    let n: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM approvals WHERE state = 'pending' AND expires >= ?1",
            params![now],
            |r| r.get(0),
        )
        .map_err(db)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use chrono::TimeZone;

    use crate::state::approvals::tests::sample;
    use crate::state::sqlite::SqliteStore;
    use crate::state::{
        ApprovalState, Clock, ConsumeOutcome, FakeClock, StateStore, Vote, VoteOutcome,
    };

    fn clock() -> Arc<FakeClock> {
        Arc::new(FakeClock::new(
            chrono::Utc
                .with_ymd_and_hms(2026, 12, 3, 10, 0, 0)
                .single()
                .expect("date"),
        ))
    }

    fn vote(who: &str, approve: bool) -> Vote {
        Vote {
            approver: who.into(),
            approve,
            comment: Some(format!("{who} says {approve}")),
            at_unix: 1,
        }
    }

    #[tokio::test]
    async fn request_dedupe_quorum_single_use_and_restart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.db");
        let clock = clock();
        let now = clock.now().timestamp();
        let id = {
            let s = SqliteStore::open(&path, clock.clone()).expect("open");
            let (a, created) = s
                .approval_request(sample("k1", now, 60, 2))
                .await
                .expect("a");
            assert!(created);
            let (b, created) = s
                .approval_request(sample("k1", now, 60, 2))
                .await
                .expect("b");
            assert!(!created);
            assert_eq!(b.id, a.id);
            let (c, created) = s
                .approval_request(sample("k2", now, 60, 1))
                .await
                .expect("c");
            assert!(created && c.id != a.id);
            assert_eq!(s.approvals_pending_count().await.expect("n"), 2);
            assert_eq!(
                s.approval_vote(&a.id, vote("alice", true))
                    .await
                    .expect("v"),
                VoteOutcome::Recorded {
                    approvals_so_far: 1,
                    state: ApprovalState::Pending
                }
            );
            assert_eq!(
                s.approval_vote(&a.id, vote("bot", true)).await.expect("v"),
                VoteOutcome::SelfApproval
            );
            assert_eq!(
                s.approval_vote("nope", vote("bob", true)).await.expect("v"),
                VoteOutcome::NotFound
            );
            a.id
        };
        // reopened: the request and its vote survive; the duplicate is still refused
        let s = SqliteStore::open(&path, clock.clone()).expect("reopen");
        let got = s.approval_get(&id).await.expect("get").expect("some");
        assert_eq!(got.votes.len(), 1);
        assert_eq!(got.votes[0].comment.as_deref(), Some("alice says true"));
        assert_eq!(
            s.approval_vote(&id, vote("alice", true)).await.expect("v"),
            VoteOutcome::DuplicateApprover
        );
        // still pending: not consumable
        assert_eq!(
            s.approval_consume(&id, "k1", "d-2").await.expect("c"),
            ConsumeOutcome::NotApproved(ApprovalState::Pending)
        );
        assert_eq!(
            s.approval_vote(&id, vote("bob", true)).await.expect("v"),
            VoteOutcome::Recorded {
                approvals_so_far: 2,
                state: ApprovalState::Approved
            }
        );
        assert_eq!(
            s.approval_vote(&id, vote("carol", false)).await.expect("v"),
            VoteOutcome::AlreadyDecided(ApprovalState::Approved)
        );
        // approved: a new identical call is a new request (only pending ones are shared)
        let (d, created) = s
            .approval_request(sample("k1", now, 60, 2))
            .await
            .expect("d");
        assert!(created && d.id != id);
        assert_eq!(
            s.approval_consume(&id, "k-other", "d-2").await.expect("c"),
            ConsumeOutcome::Mismatch
        );
        let ConsumeOutcome::Consumed(used) = s.approval_consume(&id, "k1", "d-2").await.expect("c")
        else {
            panic!("not consumed");
        };
        assert_eq!(used.state, ApprovalState::Used);
        assert_eq!(used.used_by.as_deref(), Some("d-2"));
        assert_eq!(
            s.approval_consume(&id, "k1", "d-3").await.expect("c"),
            ConsumeOutcome::NotApproved(ApprovalState::Used)
        );
        assert_eq!(
            s.approval_consume("nope", "k1", "d-3").await.expect("c"),
            ConsumeOutcome::NotFound
        );
        drop(s);
        let s = SqliteStore::open(&path, clock).expect("reopen");
        let got = s.approval_get(&id).await.expect("get").expect("some");
        assert_eq!(got.state, ApprovalState::Used);
        assert_eq!(got.used_by.as_deref(), Some("d-2"));
        let used = s
            .approval_list(Some(ApprovalState::Used), 10)
            .await
            .expect("list");
        assert_eq!(used.iter().map(|r| &r.id).collect::<Vec<_>>(), vec![&id]);
        assert_eq!(s.approval_list(None, 10).await.expect("all").len(), 3);
        assert_eq!(s.approval_list(None, 1).await.expect("one").len(), 1);
    }

    #[tokio::test]
    async fn expired_is_never_consent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = clock();
        let now = clock.now().timestamp();
        let s = SqliteStore::open(&dir.path().join("s.db"), clock.clone()).expect("open");
        let (p, _) = s
            .approval_request(sample("k", now, 60, 1))
            .await
            .expect("p");
        let (a, _) = s
            .approval_request(sample("k2", now, 60, 1))
            .await
            .expect("a");
        assert!(matches!(
            s.approval_vote(&a.id, vote("alice", true))
                .await
                .expect("v"),
            VoteOutcome::Recorded {
                state: ApprovalState::Approved,
                ..
            }
        ));
        clock.advance(Duration::from_secs(60));
        // valid up to and including expires_unix
        assert_eq!(s.approvals_pending_count().await.expect("n"), 1);
        clock.advance(Duration::from_secs(1));
        assert_eq!(s.approvals_pending_count().await.expect("n"), 0);
        let got = s.approval_get(&p.id).await.expect("get").expect("some");
        assert_eq!(got.state, ApprovalState::Expired);
        assert_eq!(
            s.approval_vote(&p.id, vote("alice", true))
                .await
                .expect("v"),
            VoteOutcome::Expired
        );
        assert_eq!(
            s.approval_consume(&a.id, "k2", "d").await.expect("c"),
            ConsumeOutcome::Expired
        );
        assert!(s
            .approval_list(Some(ApprovalState::Pending), 10)
            .await
            .expect("l")
            .is_empty());
        let expired = s
            .approval_list(Some(ApprovalState::Expired), 10)
            .await
            .expect("l");
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].id, p.id);
        // the same call again: a new request, not the expired one
        let (q, created) = s
            .approval_request(sample("k", now + 61, 60, 1))
            .await
            .expect("q");
        assert!(created && q.id != p.id);
        // past the retention, storing a request deletes the old ones
        clock.advance(Duration::from_secs(super::RETENTION_SECS as u64));
        assert!(s.approval_get(&p.id).await.expect("get").is_some());
        let later = clock.now().timestamp();
        let (_, created) = s
            .approval_request(sample("k3", later, 60, 1))
            .await
            .expect("r");
        assert!(created);
        assert_eq!(s.approval_get(&p.id).await.expect("get"), None);
        assert_eq!(s.approval_get(&a.id).await.expect("get"), None);
        assert!(s.approval_get(&q.id).await.expect("get").is_some());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_stores_on_one_file_make_one_request_and_count_each_vote_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.db");
        let clock = clock();
        let now = clock.now().timestamp();
        let a = Arc::new(SqliteStore::open(&path, clock.clone()).expect("a"));
        let b = Arc::new(SqliteStore::open(&path, clock.clone()).expect("b"));
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let s = if i % 2 == 0 { a.clone() } else { b.clone() };
                tokio::spawn(async move {
                    s.approval_request(sample("same", now, 60, 2))
                        .await
                        .expect("req")
                })
            })
            .collect();
        let mut ids = Vec::new();
        let mut created = 0;
        for t in tasks {
            let (r, c) = t.await.expect("task");
            created += usize::from(c);
            ids.push(r.id);
        }
        ids.dedup();
        assert_eq!(created, 1);
        assert_eq!(ids.len(), 1, "{ids:?}");
        let id = ids.remove(0);
        // the same approver through both stores at once: counted once
        let (x, y) = tokio::join!(
            a.approval_vote(&id, vote("alice", true)),
            b.approval_vote(&id, vote("alice", true))
        );
        let mut outs = [x.expect("x"), y.expect("y")];
        outs.sort_by_key(|o| matches!(o, VoteOutcome::DuplicateApprover));
        assert!(matches!(outs[0], VoteOutcome::Recorded { .. }), "{outs:?}");
        assert_eq!(outs[1], VoteOutcome::DuplicateApprover);
        assert_eq!(
            b.approval_vote(&id, vote("bob", true)).await.expect("bob"),
            VoteOutcome::Recorded {
                approvals_so_far: 2,
                state: ApprovalState::Approved
            }
        );
        // consumed once between both
        let (x, y) = tokio::join!(
            a.approval_consume(&id, "same", "d-a"),
            b.approval_consume(&id, "same", "d-b")
        );
        let consumed = [x.expect("x"), y.expect("y")]
            .iter()
            .filter(|o| matches!(o, ConsumeOutcome::Consumed(_)))
            .count();
        assert_eq!(consumed, 1);
    }

    #[tokio::test]
    async fn expire_due_flips_each_expiry_once_across_two_stores() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.db");
        let clock = clock();
        let now = clock.now().timestamp();
        let a = Arc::new(SqliteStore::open(&path, clock.clone()).expect("a"));
        let b = Arc::new(SqliteStore::open(&path, clock.clone()).expect("b"));
        let mut short = Vec::new();
        for i in 0..30 {
            let (r, _) = a
                .approval_request(sample(&format!("k{i}"), now, 10, 1))
                .await
                .expect("req");
            short.push(r.id);
        }
        let (long, _) = a
            .approval_request(sample("long", now, 3600, 1))
            .await
            .expect("req");
        let (approved, _) = a
            .approval_request(sample("approved", now, 10, 1))
            .await
            .expect("req");
        assert!(matches!(
            a.approval_vote(&approved.id, vote("alice", true))
                .await
                .expect("vote"),
            VoteOutcome::Recorded { .. }
        ));
        // not yet due: at the expiry second a request is still valid
        clock.advance(Duration::from_secs(10));
        assert!(a.approval_expire_due(100).await.expect("due").is_empty());
        clock.advance(Duration::from_secs(1));
        // both stores sweep at once, in small batches, until nothing is left
        let sweep = |s: Arc<SqliteStore>| async move {
            let mut got = Vec::new();
            loop {
                let batch = s.approval_expire_due(4).await.expect("due");
                if batch.is_empty() {
                    return got;
                }
                got.extend(batch);
            }
        };
        let (x, y) = tokio::join!(sweep(a.clone()), sweep(b.clone()));
        let mut ids: Vec<String> = x.iter().chain(&y).map(|r| r.id.clone()).collect();
        assert!(x
            .iter()
            .chain(&y)
            .all(|r| r.state == ApprovalState::Expired));
        ids.sort();
        let mut want = short.clone();
        want.sort();
        assert_eq!(
            ids, want,
            "each expiry exactly once, and only the due pending ones"
        );
        // stored as expired; the approved one and the long one are untouched
        let got = b.approval_get(&short[0]).await.expect("get").expect("some");
        assert_eq!(got.state, ApprovalState::Expired);
        assert_eq!(
            a.approval_list(Some(ApprovalState::Expired), 100)
                .await
                .expect("list")
                .len(),
            30
        );
        let got = a.approval_get(&long.id).await.expect("get").expect("some");
        assert_eq!(got.state, ApprovalState::Pending);
        assert_eq!(a.approvals_pending_count().await.expect("n"), 1);
        // an expired request can be neither voted on nor consumed
        assert_eq!(
            a.approval_vote(&short[1], vote("alice", true))
                .await
                .expect("vote"),
            VoteOutcome::Expired
        );
        assert_eq!(
            a.approval_consume(&short[1], "k1", "d9")
                .await
                .expect("consume"),
            ConsumeOutcome::Expired
        );
        // a second sweep finds nothing; a later one finds the long one
        assert!(b.approval_expire_due(100).await.expect("due").is_empty());
        clock.advance(Duration::from_secs(3600));
        let due = b.approval_expire_due(100).await.expect("due");
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].id, long.id);
    }
}
