//! Redis state (many sidecars share one budget and one set of kill switches): a reservation is
//! one Lua script — kill switches checked, every budget checked, every budget incremented —
//! so it is atomic across sidecars and costs one round trip per call.
//!
//! A counter holds committed spend plus in-flight reservations; a sidecar that dies between
//! reserve and settle leaves its reservation counted until the key expires (fail closed).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use std::time::Instant;

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;

use super::{
    ApprovalRequest, ApprovalState, BudgetCheck, Clock, ConsumeOutcome, IdemBegin, IdemClaim,
    ReserveOutcome, StateError, StateStore, StoredResponse, SystemClock, Vote, VoteOutcome,
};

mod approvals;
mod idempotency;

pub use approvals::RETENTION_SECS as APPROVAL_RETENTION_SECS;

/// How long one state operation may take before the call fails closed, by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(500);
/// After a failure, operations fail at once for this long instead of each waiting for a
/// timeout (a black-holed Redis would otherwise add the timeout to every unlimited call).
const RETRY_AFTER_FAILURE: Duration = Duration::from_millis(250);
/// The usage cache (for `input.usage`) is cleared when it grows past this many keys.
const USAGE_CACHE_MAX: usize = 10_000;

const RESERVE: &str = r#"
local amount = tonumber(ARGV[1])
local nkill = tonumber(ARGV[2])
for i = 1, nkill do
  if redis.call('HEXISTS', KEYS[1], ARGV[2 + i]) == 1 then
    return {'killed', ARGV[2 + i]}
  end
end
local base = 2 + nkill
local out = {'ok'}
local over = -1
for i = 2, #KEYS do
  local u = tonumber(redis.call('GET', KEYS[i]) or '0')
  local limit = tonumber(ARGV[base + (i - 2) * 2 + 1])
  out[#out + 1] = tostring(u)
  if over < 0 and (u >= limit or u + amount > limit) then
    over = i - 2
  end
end
if over >= 0 then
  out[1] = 'exceeded:' .. tostring(over)
  return out
end
for i = 2, #KEYS do
  redis.call('INCRBY', KEYS[i], amount)
  local ttl = tonumber(ARGV[base + (i - 2) * 2 + 2])
  if redis.call('TTL', KEYS[i]) < ttl / 2 then
    redis.call('EXPIRE', KEYS[i], ttl)
  end
end
return out
"#;

/// The Redis-backed store.
pub struct RedisStore {
    conn: ConnectionManager,
    timeout: Duration,
    prefix: String,
    reserve: Script,
    healthy: AtomicBool,
    /// Milliseconds since `origin` of the last failure (circuit breaker).
    failed_at: AtomicU64,
    origin: Instant,
    kill_cache: RwLock<HashSet<String>>,
    usage_cache: Mutex<HashMap<String, i64>>,
    /// Wall time for approval expiry (the system clock unless `with_clock`).
    clock: Arc<dyn Clock>,
    approvals: approvals::Scripts,
    idempotency: idempotency::Scripts,
}

impl RedisStore {
    /// Connect lazily to `url` (e.g. `redis://127.0.0.1:6379/0`); keys are put under `prefix`.
    /// Must be called inside a Tokio runtime. An unreachable server is not an error here: calls
    /// that need state fail closed until it answers.
    pub fn connect(url: &str, prefix: &str, timeout: Duration) -> Result<Self, StateError> {
        let client = redis::Client::open(url)
            .map_err(|e| StateError::Backend(format!("redis url `{url}`: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| StateError::Backend(format!("redis: {e}")))?;
        Ok(RedisStore {
            conn,
            timeout,
            prefix: prefix.to_string(),
            reserve: Script::new(RESERVE),
            healthy: AtomicBool::new(true),
            failed_at: AtomicU64::new(0),
            origin: Instant::now(),
            kill_cache: RwLock::new(HashSet::new()),
            usage_cache: Mutex::new(HashMap::new()),
            clock: Arc::new(SystemClock::default()),
            approvals: approvals::Scripts::default(),
            idempotency: idempotency::Scripts::default(),
        })
    }

    /// Use `clock` for approval expiry (tests; the default is the system clock).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    fn key(&self, k: &str) -> String {
        format!("{}{k}", self.prefix)
    }

    fn kill_key(&self) -> String {
        format!("{}kill", self.prefix)
    }

    /// Run one operation with the timeout; record health.
    async fn op<T, F>(&self, f: F) -> Result<T, StateError>
    where
        F: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let now_ms = self.origin.elapsed().as_millis() as u64;
        if !self.healthy.load(Ordering::Relaxed)
            && now_ms.saturating_sub(self.failed_at.load(Ordering::Relaxed))
                < RETRY_AFTER_FAILURE.as_millis() as u64
        {
            return Err(StateError::Unavailable(
                "redis is unreachable (retrying every 250ms)".into(),
            ));
        }
        let fail = |msg: String| {
            if self.healthy.swap(false, Ordering::Relaxed) {
                tracing::error!(error = %msg, "redis state backend unavailable: calls to limited tools fail closed");
            }
            self.failed_at
                .store(self.origin.elapsed().as_millis() as u64, Ordering::Relaxed);
            Err(StateError::Unavailable(msg))
        };
        match tokio::time::timeout(self.timeout, f).await {
            Ok(Ok(v)) => {
                if !self.healthy.swap(true, Ordering::Relaxed) {
                    tracing::info!("redis state backend answers again");
                }
                Ok(v)
            }
            Ok(Err(e)) => fail(format!("redis: {e}")),
            Err(_) => fail(format!("redis did not answer within {:?}", self.timeout)),
        }
    }

    fn remember_usage(&self, budgets: &[BudgetCheck], usage: &[i64], delta: i64) {
        let mut cache = match self.usage_cache.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if cache.len() > USAGE_CACHE_MAX {
            cache.clear();
        }
        for (b, u) in budgets.iter().zip(usage) {
            cache.insert(b.key.clone(), u.saturating_add(delta));
        }
    }

    fn remember_kills(&self, all: HashSet<String>) {
        if let Ok(mut g) = self.kill_cache.write() {
            *g = all;
        }
    }
}

fn parse_i64(s: &str) -> Result<i64, StateError> {
    s.parse::<i64>()
        .map_err(|_| StateError::Backend(format!("redis returned a non-integer counter `{s}`")))
}

impl StateStore for RedisStore {
    fn reserve<'a>(
        &'a self,
        kill_fields: &'a [String],
        budgets: &'a [BudgetCheck],
        amount: i64,
    ) -> BoxFuture<'a, Result<ReserveOutcome, StateError>> {
        async move {
            let mut inv = self.reserve.key(self.kill_key());
            for b in budgets {
                inv.key(self.key(&b.key));
            }
            inv.arg(amount).arg(kill_fields.len());
            for f in kill_fields {
                inv.arg(f);
            }
            for b in budgets {
                inv.arg(b.limit).arg(b.ttl_secs.max(1));
            }
            let mut conn = self.conn.clone();
            let out: Vec<String> = self.op(inv.invoke_async(&mut conn)).await?;
            let Some(head) = out.first() else {
                return Err(StateError::Backend("redis reserve returned nothing".into()));
            };
            if head == "killed" {
                let field = out.get(1).cloned().unwrap_or_default();
                if let Ok(mut g) = self.kill_cache.write() {
                    g.insert(field.clone());
                }
                return Ok(ReserveOutcome::Killed(field));
            }
            let usage = out[1..]
                .iter()
                .map(|s| parse_i64(s))
                .collect::<Result<Vec<_>, _>>()?;
            if let Some(idx) = head.strip_prefix("exceeded:") {
                let index = idx
                    .parse::<usize>()
                    .map_err(|_| StateError::Backend(format!("redis reserve returned `{head}`")))?;
                self.remember_usage(budgets, &usage, 0);
                return Ok(ReserveOutcome::Exceeded { index, usage });
            }
            self.remember_usage(budgets, &usage, amount);
            Ok(ReserveOutcome::Reserved { usage })
        }
        .boxed()
    }

    fn settle<'a>(
        &'a self,
        budgets: &'a [BudgetCheck],
        reserved: i64,
        actual: i64,
    ) -> BoxFuture<'a, Result<(), StateError>> {
        async move {
            let delta = actual.saturating_sub(reserved);
            if delta == 0 || budgets.is_empty() {
                return Ok(());
            }
            let mut pipe = redis::pipe();
            pipe.atomic();
            for b in budgets {
                pipe.cmd("INCRBY").arg(self.key(&b.key)).arg(delta);
            }
            let mut conn = self.conn.clone();
            let after: Vec<i64> = self.op(pipe.query_async(&mut conn)).await?;
            self.remember_usage(budgets, &after, 0);
            Ok(())
        }
        .boxed()
    }

    fn killed<'a>(
        &'a self,
        kill_fields: &'a [String],
    ) -> BoxFuture<'a, Result<Option<String>, StateError>> {
        async move {
            let mut conn = self.conn.clone();
            let all: HashMap<String, String> = self
                .op(redis::cmd("HGETALL")
                    .arg(self.kill_key())
                    .query_async(&mut conn))
                .await?;
            let found = kill_fields.iter().find(|f| all.contains_key(*f)).cloned();
            self.remember_kills(all.into_keys().collect());
            Ok(found)
        }
        .boxed()
    }

    fn killed_cached(&self, kill_fields: &[String]) -> Option<String> {
        let g = self.kill_cache.read().ok()?;
        kill_fields.iter().find(|f| g.contains(*f)).cloned()
    }

    fn set_kill<'a>(&'a self, field: &'a str, on: bool) -> BoxFuture<'a, Result<(), StateError>> {
        async move {
            let mut conn = self.conn.clone();
            let cmd = if on {
                redis::cmd("HSET")
                    .arg(self.kill_key())
                    .arg(field)
                    .arg("1")
                    .to_owned()
            } else {
                redis::cmd("HDEL")
                    .arg(self.kill_key())
                    .arg(field)
                    .to_owned()
            };
            let _: i64 = self.op(cmd.query_async(&mut conn)).await?;
            if let Ok(mut g) = self.kill_cache.write() {
                if on {
                    g.insert(field.to_string());
                } else {
                    g.remove(field);
                }
            }
            Ok(())
        }
        .boxed()
    }

    fn pins<'a>(
        &'a self,
        adapter: &'a str,
    ) -> BoxFuture<'a, Result<HashMap<String, String>, StateError>> {
        async move {
            let mut conn = self.conn.clone();
            self.op(redis::cmd("HGETALL")
                .arg(self.key(&format!("pins:{adapter}")))
                .query_async(&mut conn))
                .await
        }
        .boxed()
    }

    fn set_pins<'a>(
        &'a self,
        adapter: &'a str,
        pins: &'a [(String, String)],
    ) -> BoxFuture<'a, Result<(), StateError>> {
        async move {
            if pins.is_empty() {
                return Ok(());
            }
            let mut conn = self.conn.clone();
            let mut cmd = redis::cmd("HSET");
            cmd.arg(self.key(&format!("pins:{adapter}")));
            for (tool, hash) in pins {
                cmd.arg(tool).arg(hash);
            }
            let _: i64 = self.op(cmd.query_async(&mut conn)).await?;
            Ok(())
        }
        .boxed()
    }

    fn kills(&self) -> BoxFuture<'_, Result<Vec<String>, StateError>> {
        async move {
            let mut conn = self.conn.clone();
            let mut all: Vec<String> = self
                .op(redis::cmd("HKEYS")
                    .arg(self.kill_key())
                    .query_async(&mut conn))
                .await?;
            all.sort();
            self.remember_kills(all.iter().cloned().collect());
            Ok(all)
        }
        .boxed()
    }

    fn usage<'a>(&'a self, keys: &'a [String]) -> BoxFuture<'a, Result<Vec<i64>, StateError>> {
        async move {
            if keys.is_empty() {
                return Ok(Vec::new());
            }
            let mut conn = self.conn.clone();
            let mut cmd = redis::cmd("MGET");
            for k in keys {
                cmd.arg(self.key(k));
            }
            let v: Vec<Option<i64>> = self.op(cmd.query_async(&mut conn)).await?;
            Ok(v.into_iter().map(|x| x.unwrap_or(0)).collect())
        }
        .boxed()
    }

    fn usage_cached(&self, key: &str) -> Option<i64> {
        self.usage_cache.lock().ok()?.get(key).copied()
    }

    fn approval_request(
        &self,
        req: ApprovalRequest,
    ) -> BoxFuture<'_, Result<(ApprovalRequest, bool), StateError>> {
        self.approval_request_impl(req).boxed()
    }

    fn approval_get<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<ApprovalRequest>, StateError>> {
        self.approval_get_impl(id).boxed()
    }

    fn approval_list(
        &self,
        state: Option<ApprovalState>,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<ApprovalRequest>, StateError>> {
        self.approval_list_impl(state, limit).boxed()
    }

    fn approval_vote<'a>(
        &'a self,
        id: &'a str,
        vote: Vote,
    ) -> BoxFuture<'a, Result<VoteOutcome, StateError>> {
        self.approval_vote_impl(id, vote).boxed()
    }

    fn approval_consume<'a>(
        &'a self,
        id: &'a str,
        key: &'a str,
        used_by: &'a str,
    ) -> BoxFuture<'a, Result<ConsumeOutcome, StateError>> {
        self.approval_consume_impl(id, key, used_by).boxed()
    }

    fn approval_expire_due(
        &self,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<ApprovalRequest>, StateError>> {
        self.approval_expire_due_impl(limit).boxed()
    }

    fn approvals_pending_count(&self) -> BoxFuture<'_, Result<u64, StateError>> {
        self.approvals_pending_count_impl().boxed()
    }

    fn idem_begin<'a>(
        &'a self,
        claim: IdemClaim<'a>,
    ) -> BoxFuture<'a, Result<IdemBegin, StateError>> {
        self.idempotency_begin(claim).boxed()
    }

    fn idem_complete<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        response: StoredResponse,
        window_ms: i64,
    ) -> BoxFuture<'a, Result<bool, StateError>> {
        self.idempotency_complete(key, owner, response, window_ms)
            .boxed()
    }

    fn idem_abort<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
    ) -> BoxFuture<'a, Result<(), StateError>> {
        self.idempotency_abort(key, owner).boxed()
    }

    fn healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }

    fn name(&self) -> &'static str {
        "redis"
    }
}
