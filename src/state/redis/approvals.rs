//! Approval requests in Redis. Under the store's prefix:
//!
//! - `approval:<id>`: a hash — `doc` (the request's JSON as created, never rewritten),
//!   `state`, `votes` (JSON array), `used_by`, and what the scripts decide on (`key`,
//!   `agent`, `quorum`, `expires`, `approvals`, one `voter:<name>` field per approver);
//! - `approvals`: a sorted set of every id by creation time (listing, newest first);
//! - `approvals:pending`: a sorted set of the pending ids by expiry (pending list and count);
//! - `approval_key:<key>`: the id of the last request created for a binding key.
//!
//! A request's hash and key entry expire `RETENTION_SECS` after the request does; listing
//! drops the ids whose hash is gone from the two indexes.
//!
//! Creating, voting, consuming and expiring are each one Lua script, so they are atomic
//! across every sidecar on the server. Time is the store's clock, passed to the scripts. A
//! pending id stays in `approvals:pending` until a vote decides it or the expiry sweep
//! (`EXPIRE_DUE`) flips it to `expired`, so every expiry is announced exactly once.

use std::collections::HashMap;

use redis::Script;

use super::RedisStore;
use crate::state::{ApprovalRequest, ApprovalState, ConsumeOutcome, StateError, Vote, VoteOutcome};

/// How many ids a listing reads from the index at most (a state filter skips the others).
const LIST_SCAN_MAX: usize = 50_000;
const LIST_PAGE: usize = 256;
/// A request's keys are kept this long after its expiry (the audit log is the lasting record).
pub const RETENTION_SECS: i64 = 30 * 86_400;

const CREATE: &str = r#"
local cur = redis.call('GET', KEYS[1])
if cur then
  local other = ARGV[9] .. cur
  local h = redis.call('HMGET', other, 'state', 'expires')
  if h[1] == 'pending' and tonumber(ARGV[1]) <= tonumber(h[2]) then
    return {'existing', unpack(redis.call('HGETALL', other))}
  end
end
redis.call('HSET', KEYS[2], 'doc', ARGV[8], 'state', 'pending', 'votes', '[]', 'key', ARGV[3],
  'expires', ARGV[4], 'quorum', ARGV[5], 'agent', ARGV[6], 'approvals', '0')
redis.call('ZADD', KEYS[3], ARGV[7], ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[10])
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[10])
return {'created'}
"#;

const VOTE: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 0 then return {'not_found'} end
local h = redis.call('HMGET', KEYS[1], 'state', 'expires', 'agent', 'quorum', 'approvals', 'votes')
local state = h[1]
if state == 'expired' or (state == 'pending' and tonumber(ARGV[1]) > tonumber(h[2])) then
  return {'expired'}
end
if state ~= 'pending' then return {'decided', state} end
if ARGV[2] == h[3] then return {'self'} end
if redis.call('HEXISTS', KEYS[1], 'voter:' .. ARGV[2]) == 1 then return {'duplicate'} end
local votes = h[6]
if votes == '[]' then
  votes = '[' .. ARGV[4] .. ']'
else
  votes = string.sub(votes, 1, -2) .. ',' .. ARGV[4] .. ']'
end
local n = tonumber(h[5])
local q = tonumber(h[4])
if q < 1 then q = 1 end
if ARGV[3] == '1' then
  n = n + 1
  if n >= q then state = 'approved' end
else
  state = 'denied'
end
redis.call('HSET', KEYS[1], 'voter:' .. ARGV[2], ARGV[3], 'votes', votes,
  'approvals', tostring(n), 'state', state)
if state ~= 'pending' then redis.call('ZREM', KEYS[2], ARGV[5]) end
return {'recorded', tostring(n), state}
"#;

const CONSUME: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 0 then return {'not_found'} end
local h = redis.call('HMGET', KEYS[1], 'state', 'expires', 'key')
if h[3] ~= ARGV[2] then return {'mismatch'} end
local state = h[1]
if (state == 'pending' or state == 'approved') and tonumber(ARGV[1]) > tonumber(h[2]) then
  return {'expired'}
end
if state == 'approved' then
  redis.call('HSET', KEYS[1], 'state', 'used', 'used_by', ARGV[3])
  return {'consumed', unpack(redis.call('HGETALL', KEYS[1]))}
end
if state == 'expired' then return {'expired'} end
return {'not_approved', state}
"#;

const EXPIRE_DUE: &str = r#"
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, ARGV[2])
local now = tonumber(ARGV[1])
local out = {}
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  local k = ARGV[3] .. id
  local h = redis.call('HMGET', k, 'state', 'expires')
  local e = tonumber(h[2])
  if h[1] == 'pending' and e and now > e then
    redis.call('HSET', k, 'state', 'expired')
    table.insert(out, redis.call('HGETALL', k))
  end
end
return out
"#;

/// The approval scripts, loaded once per store.
pub(super) struct Scripts {
    create: Script,
    vote: Script,
    consume: Script,
    expire_due: Script,
}

impl Default for Scripts {
    fn default() -> Self {
        Scripts {
            create: Script::new(CREATE),
            vote: Script::new(VOTE),
            consume: Script::new(CONSUME),
            expire_due: Script::new(EXPIRE_DUE),
        }
    }
}

fn bad(what: &str) -> StateError {
    StateError::Backend(format!("redis approvals: {what}"))
}

/// A request from its hash (flat field/value pairs), its state as seen at `now`.
fn from_fields(flat: &[String], now: i64) -> Result<ApprovalRequest, StateError> {
    let mut h: HashMap<&str, &str> = HashMap::new();
    for pair in flat.chunks(2) {
        if let [k, v] = pair {
            h.insert(k.as_str(), v.as_str());
        }
    }
    let doc = h
        .get("doc")
        .ok_or_else(|| bad("a request without its document"))?;
    let mut req: ApprovalRequest =
        serde_json::from_str(doc).map_err(|e| bad(&format!("unreadable request: {e}")))?;
    req.state = h
        .get("state")
        .and_then(|s| ApprovalState::parse(s))
        .ok_or_else(|| bad("a request without a known state"))?;
    req.votes = match h.get("votes") {
        Some(v) => serde_json::from_str(v).map_err(|e| bad(&format!("unreadable votes: {e}")))?,
        None => Vec::new(),
    };
    req.used_by = h.get("used_by").map(|s| s.to_string());
    Ok(req.at(now))
}

impl RedisStore {
    fn approval_key(&self, id: &str) -> String {
        self.key(&format!("approval:{id}"))
    }

    fn now(&self) -> i64 {
        self.clock.now().timestamp()
    }

    pub(super) async fn approval_request_impl(
        &self,
        req: ApprovalRequest,
    ) -> Result<(ApprovalRequest, bool), StateError> {
        let now = self.now();
        let mut req = req;
        req.state = ApprovalState::Pending;
        req.votes.clear();
        req.used_by = None;
        let doc = serde_json::to_string(&req).map_err(|e| bad(&e.to_string()))?;
        let mut inv = self
            .approvals
            .create
            .key(self.key(&format!("approval_key:{}", req.key)));
        inv.key(self.approval_key(&req.id))
            .key(self.key("approvals"))
            .key(self.key("approvals:pending"))
            .arg(now)
            .arg(&req.id)
            .arg(&req.key)
            .arg(req.expires_unix)
            .arg(req.quorum)
            .arg(&req.agent)
            .arg(req.created_unix)
            .arg(doc)
            .arg(self.key("approval:"))
            .arg(
                req.expires_unix
                    .saturating_sub(now)
                    .saturating_add(RETENTION_SECS)
                    .max(1),
            );
        let mut conn = self.conn.clone();
        let out: Vec<String> = self.op(inv.invoke_async(&mut conn)).await?;
        match out.first().map(String::as_str) {
            Some("created") => Ok((req, true)),
            Some("existing") => Ok((from_fields(&out[1..], now)?, false)),
            _ => Err(bad("unexpected answer to create")),
        }
    }

    async fn fetch(&self, ids: &[String], now: i64) -> Result<Vec<ApprovalRequest>, StateError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for id in ids {
            pipe.cmd("HGETALL").arg(self.approval_key(id));
        }
        let mut conn = self.conn.clone();
        let all: Vec<Vec<String>> = self.op(pipe.query_async(&mut conn)).await?;
        // a hash that is gone (past its retention) is skipped and dropped from the indexes
        let gone: Vec<&String> = ids
            .iter()
            .zip(&all)
            .filter(|(_, f)| f.is_empty())
            .map(|(id, _)| id)
            .collect();
        if !gone.is_empty() {
            let mut pipe = redis::pipe();
            pipe.cmd("ZREM")
                .arg(self.key("approvals"))
                .arg(&gone)
                .ignore();
            pipe.cmd("ZREM")
                .arg(self.key("approvals:pending"))
                .arg(&gone)
                .ignore();
            let () = self.op(pipe.query_async(&mut conn)).await?;
        }
        all.iter()
            .filter(|f| !f.is_empty())
            .map(|f| from_fields(f, now))
            .collect()
    }

    pub(super) async fn approval_get_impl(
        &self,
        id: &str,
    ) -> Result<Option<ApprovalRequest>, StateError> {
        let now = self.now();
        Ok(self.fetch(&[id.to_string()], now).await?.pop())
    }

    pub(super) async fn approval_list_impl(
        &self,
        state: Option<ApprovalState>,
        limit: usize,
    ) -> Result<Vec<ApprovalRequest>, StateError> {
        let now = self.now();
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        if state == Some(ApprovalState::Pending) {
            let mut conn = self.conn.clone();
            let ids: Vec<String> = self
                .op(redis::cmd("ZREVRANGEBYSCORE")
                    .arg(self.key("approvals:pending"))
                    .arg("+inf")
                    .arg(now)
                    .arg("LIMIT")
                    .arg(0)
                    .arg(LIST_SCAN_MAX)
                    .query_async(&mut conn))
                .await?;
            out = self.fetch(&ids, now).await?;
            out.retain(|r| r.state == ApprovalState::Pending);
            out.sort_by(|a, b| (b.created_unix, &b.id).cmp(&(a.created_unix, &a.id)));
            out.truncate(limit);
            return Ok(out);
        }
        let mut start = 0usize;
        while out.len() < limit && start < LIST_SCAN_MAX {
            let mut conn = self.conn.clone();
            let ids: Vec<String> = self
                .op(redis::cmd("ZREVRANGE")
                    .arg(self.key("approvals"))
                    .arg(start)
                    .arg(start + LIST_PAGE - 1)
                    .query_async(&mut conn))
                .await?;
            let n = ids.len();
            for r in self.fetch(&ids, now).await? {
                if out.len() < limit && state.is_none_or(|s| r.state == s) {
                    out.push(r);
                }
            }
            if n < LIST_PAGE {
                break;
            }
            start += LIST_PAGE;
        }
        Ok(out)
    }

    pub(super) async fn approval_vote_impl(
        &self,
        id: &str,
        vote: Vote,
    ) -> Result<VoteOutcome, StateError> {
        let now = self.now();
        let json = serde_json::to_string(&vote).map_err(|e| bad(&e.to_string()))?;
        let mut inv = self.approvals.vote.key(self.approval_key(id));
        inv.key(self.key("approvals:pending"))
            .arg(now)
            .arg(&vote.approver)
            .arg(if vote.approve { "1" } else { "0" })
            .arg(json)
            .arg(id);
        let mut conn = self.conn.clone();
        let out: Vec<String> = self.op(inv.invoke_async(&mut conn)).await?;
        let state = |i: usize| {
            out.get(i)
                .and_then(|s| ApprovalState::parse(s))
                .ok_or_else(|| bad("a vote answer without a known state"))
        };
        Ok(match out.first().map(String::as_str) {
            Some("not_found") => VoteOutcome::NotFound,
            Some("expired") => VoteOutcome::Expired,
            Some("decided") => VoteOutcome::AlreadyDecided(state(1)?),
            Some("self") => VoteOutcome::SelfApproval,
            Some("duplicate") => VoteOutcome::DuplicateApprover,
            Some("recorded") => VoteOutcome::Recorded {
                approvals_so_far: out
                    .get(1)
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| bad("a vote answer without a count"))?,
                state: state(2)?,
            },
            _ => return Err(bad("unexpected answer to vote")),
        })
    }

    pub(super) async fn approval_consume_impl(
        &self,
        id: &str,
        key: &str,
        used_by: &str,
    ) -> Result<ConsumeOutcome, StateError> {
        let now = self.now();
        let mut inv = self.approvals.consume.key(self.approval_key(id));
        inv.arg(now).arg(key).arg(used_by);
        let mut conn = self.conn.clone();
        let out: Vec<String> = self.op(inv.invoke_async(&mut conn)).await?;
        Ok(match out.first().map(String::as_str) {
            Some("not_found") => ConsumeOutcome::NotFound,
            Some("mismatch") => ConsumeOutcome::Mismatch,
            Some("expired") => ConsumeOutcome::Expired,
            Some("consumed") => ConsumeOutcome::Consumed(Box::new(from_fields(&out[1..], now)?)),
            Some("not_approved") => ConsumeOutcome::NotApproved(
                out.get(1)
                    .and_then(|s| ApprovalState::parse(s))
                    .ok_or_else(|| bad("a consume answer without a known state"))?,
            ),
            _ => return Err(bad("unexpected answer to consume")),
        })
    }

    pub(super) async fn approval_expire_due_impl(
        &self,
        limit: usize,
    ) -> Result<Vec<ApprovalRequest>, StateError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let now = self.now();
        let mut inv = self.approvals.expire_due.key(self.key("approvals:pending"));
        inv.arg(now).arg(limit).arg(self.key("approval:"));
        let mut conn = self.conn.clone();
        let all: Vec<Vec<String>> = self.op(inv.invoke_async(&mut conn)).await?;
        let mut out = Vec::with_capacity(all.len());
        for fields in &all {
            match from_fields(fields, now) {
                Ok(r) => out.push(r),
                // flipped already (it must never be approved); nothing readable to announce
                Err(e) => tracing::warn!(error = %e, "expired an unreadable approval request"),
            }
        }
        Ok(out)
    }

    pub(super) async fn approvals_pending_count_impl(&self) -> Result<u64, StateError> {
        let now = self.now();
        let mut conn = self.conn.clone();
        self.op(redis::cmd("ZCOUNT")
            .arg(self.key("approvals:pending"))
            .arg(now)
            .arg("+inf")
            .query_async(&mut conn))
            .await
    }
}
