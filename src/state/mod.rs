//! Shared limiter state behind one narrow trait: spend counters (reserve → settle) and kill
//! switches, with an embedded SQLite backend (`sqlite.rs`) and a Redis backend (`redis.rs`).
//!
//! Amounts are integer micro-dollars (1 USD = 1,000,000) so that every backend adds exactly.
//! A budget key's *usage* is committed spend plus in-flight reservations; a reservation is
//! admitted only when every budget it touches still has room, atomically across the budgets.

pub mod approvals;
pub mod clock;
pub mod idempotency;
pub mod redis;
pub mod sqlite;

use std::sync::Arc;

use futures_util::future::BoxFuture;

pub use approvals::{ApprovalRequest, ApprovalState, ConsumeOutcome, Vote, VoteOutcome};
pub use clock::{Clock, FakeClock, SystemClock};
pub use idempotency::{IdemBegin, IdemClaim, StoredResponse};

/// One budget a reservation must fit in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetCheck {
    /// Backend key, e.g. `spend:tenant:acme:2026-11-21`.
    pub key: String,
    /// Limit in micro-dollars.
    pub limit: i64,
    /// How long the counter is kept after its last change (seconds).
    pub ttl_secs: u64,
}

/// What `reserve` decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReserveOutcome {
    /// The amount is reserved on every budget; `usage` is each budget's usage before it.
    Reserved { usage: Vec<i64> },
    /// Budget `index` has no room; nothing was reserved.
    Exceeded { index: usize, usage: Vec<i64> },
    /// A kill switch matched (the field, e.g. `tenant:acme`); nothing was reserved.
    Killed(String),
}

/// A state backend that could not answer. Limited calls fail closed on it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StateError {
    #[error("state backend unavailable: {0}")]
    Unavailable(String),
    #[error("state backend error: {0}")]
    Backend(String),
}

/// The state operations the limits stage and the admin API need; nothing else.
pub trait StateStore: Send + Sync + 'static {
    /// Check the kill switches `kill_fields` (`all`, `tenant:x`, …); if none is on, reserve
    /// `amount` on every budget in `budgets` when all have room. One atomic step.
    fn reserve<'a>(
        &'a self,
        kill_fields: &'a [String],
        budgets: &'a [BudgetCheck],
        amount: i64,
    ) -> BoxFuture<'a, Result<ReserveOutcome, StateError>>;

    /// Turn `reserved` into `actual` on every key: commit the real cost (0 to release).
    fn settle<'a>(
        &'a self,
        budgets: &'a [BudgetCheck],
        reserved: i64,
        actual: i64,
    ) -> BoxFuture<'a, Result<(), StateError>>;

    /// The first kill switch among `kill_fields` that is on.
    fn killed<'a>(
        &'a self,
        kill_fields: &'a [String],
    ) -> BoxFuture<'a, Result<Option<String>, StateError>>;

    /// Kill switches as last seen, without a round trip (used when the backend is down for
    /// calls to tools that have no limits).
    fn killed_cached(&self, kill_fields: &[String]) -> Option<String>;

    /// Turn a kill switch on or off.
    fn set_kill<'a>(&'a self, field: &'a str, on: bool) -> BoxFuture<'a, Result<(), StateError>>;

    /// Every kill switch that is on.
    fn kills(&self) -> BoxFuture<'_, Result<Vec<String>, StateError>>;

    /// Usage (committed + reserved) of each key.
    fn usage<'a>(&'a self, keys: &'a [String]) -> BoxFuture<'a, Result<Vec<i64>, StateError>>;

    /// Usage as last seen, without a round trip (for `input.usage`); `None` if never seen.
    fn usage_cached(&self, key: &str) -> Option<i64>;

    /// MCP tool definition pins of one adapter: tool name → definition hash.
    fn pins<'a>(
        &'a self,
        adapter: &'a str,
    ) -> BoxFuture<'a, Result<std::collections::HashMap<String, String>, StateError>>;

    /// Record pins (tool name, definition hash) for one adapter, replacing earlier ones.
    fn set_pins<'a>(
        &'a self,
        adapter: &'a str,
        pins: &'a [(String, String)],
    ) -> BoxFuture<'a, Result<(), StateError>>;

    /// Store `req` as a new approval request, unless a pending, unexpired request with the
    /// same `key` exists: then that one is returned. `true` when `req` was stored. Atomic:
    /// concurrent identical calls (from any sidecar on the backend) get one request.
    fn approval_request(
        &self,
        req: ApprovalRequest,
    ) -> BoxFuture<'_, Result<(ApprovalRequest, bool), StateError>>;

    /// One request, its state as seen now (a pending request past its expiry is `expired`).
    fn approval_get<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<ApprovalRequest>, StateError>>;

    /// Up to `limit` requests in `state` (all when `None`), newest first.
    fn approval_list(
        &self,
        state: Option<ApprovalState>,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<ApprovalRequest>, StateError>>;

    /// Record one approver's vote (see `approvals::apply_vote`), atomically.
    fn approval_vote<'a>(
        &'a self,
        id: &'a str,
        vote: Vote,
    ) -> BoxFuture<'a, Result<VoteOutcome, StateError>>;

    /// Use an approved request for the call bound by `key`, once (see
    /// `approvals::apply_consume`), atomically.
    fn approval_consume<'a>(
        &'a self,
        id: &'a str,
        key: &'a str,
        used_by: &'a str,
    ) -> BoxFuture<'a, Result<ConsumeOutcome, StateError>>;

    /// Flip up to `limit` pending requests whose expiry has passed (by the store's clock) to
    /// `expired` and return them, oldest expiry first. Atomic: each expiry is returned once,
    /// to one caller, whichever sidecar on the backend asks (the expiry sweep announces it).
    fn approval_expire_due(
        &self,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<ApprovalRequest>, StateError>>;

    /// Pending, unexpired requests (for the `toolwall_approvals_pending` gauge).
    fn approvals_pending_count(&self) -> BoxFuture<'_, Result<u64, StateError>>;

    /// Idempotent writes: the entry of `claim.key` as seen now, and when there is none (or
    /// its in-flight lease or window ended) an in-flight marker owned by `claim.owner`.
    /// Atomic: of concurrent calls with one key (from any sidecar on the backend) one gets
    /// `Fresh`.
    fn idem_begin<'a>(
        &'a self,
        claim: IdemClaim<'a>,
    ) -> BoxFuture<'a, Result<IdemBegin, StateError>>;

    /// Store the answer of the in-flight call `owner` holds `key` for, kept `window_ms`.
    /// `false` (nothing stored) when `owner` no longer holds the key.
    fn idem_complete<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        response: StoredResponse,
        window_ms: i64,
    ) -> BoxFuture<'a, Result<bool, StateError>>;

    /// Drop the in-flight marker `owner` holds on `key` (nothing reached the tool: a retry
    /// may go again).
    fn idem_abort<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
    ) -> BoxFuture<'a, Result<(), StateError>>;

    /// Whether the backend answered its last operation (for `/readyz` and metrics).
    fn healthy(&self) -> bool;

    /// Backend name for logs and `/readyz`.
    fn name(&self) -> &'static str;
}

/// A shared state backend.
pub type SharedState = Arc<dyn StateStore>;

/// Micro-dollars from dollars (rounded up, so a budget never admits more than configured).
pub fn micros(usd: f64) -> i64 {
    if !usd.is_finite() || usd <= 0.0 {
        return 0;
    }
    (usd * 1_000_000.0).ceil().min(i64::MAX as f64) as i64
}

/// Dollars from micro-dollars.
pub fn usd(micros: i64) -> f64 {
    micros as f64 / 1_000_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micro_dollars() {
        assert_eq!(micros(0.04), 40_000);
        assert_eq!(micros(1.0), 1_000_000);
        assert_eq!(micros(-1.0), 0);
        assert_eq!(micros(f64::NAN), 0);
        assert_eq!(micros(0.0000001), 1);
        assert!((usd(40_000) - 0.04).abs() < 1e-12);
    }
}
