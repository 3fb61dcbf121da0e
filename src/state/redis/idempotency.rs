//! Idempotent writes in Redis: `idem:<key>` under the store's prefix, a hash — `state`
//! (`inflight` or `done`), `args`, `owner`, `expires` (Unix ms of the store's clock) and, once
//! done, `status`, `ctype`, `body` (binary safe), `complete`. Begin, complete and abort are
//! each one Lua script, so they are atomic across every sidecar on the server. The hash
//! expires with its lease or window (plus a minute, the store's clock deciding before that).

use bytes::Bytes;
use redis::Script;

use super::RedisStore;
use crate::state::{IdemBegin, IdemClaim, StateError, StoredResponse};

/// Redis keeps an entry this much longer than the store's clock needs it.
const GRACE_MS: i64 = 60_000;

const BEGIN: &str = r#"
local h = redis.call('HMGET', KEYS[1], 'state', 'args', 'expires')
if h[1] and tonumber(ARGV[1]) < tonumber(h[3]) then
  if h[2] ~= ARGV[2] then return {'conflict'} end
  if h[1] == 'done' then
    local r = redis.call('HMGET', KEYS[1], 'status', 'ctype', 'body', 'complete', 'owner')
    return {'done', r[1], r[2], r[3], r[4], r[5]}
  end
  return {'inflight'}
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'state', 'inflight', 'args', ARGV[2], 'owner', ARGV[3],
  'expires', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {'fresh'}
"#;

const COMPLETE: &str = r#"
local h = redis.call('HMGET', KEYS[1], 'state', 'owner')
if h[1] ~= 'inflight' or h[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'done', 'status', ARGV[2], 'ctype', ARGV[3],
  'body', ARGV[4], 'complete', ARGV[5], 'expires', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
return 1
"#;

const ABORT: &str = r#"
local h = redis.call('HMGET', KEYS[1], 'state', 'owner')
if h[1] == 'inflight' and h[2] == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
"#;

/// The idempotency scripts, loaded once per store.
pub(super) struct Scripts {
    begin: Script,
    complete: Script,
    abort: Script,
}

impl Default for Scripts {
    fn default() -> Self {
        Scripts {
            begin: Script::new(BEGIN),
            complete: Script::new(COMPLETE),
            abort: Script::new(ABORT),
        }
    }
}

fn bad(what: &str) -> StateError {
    StateError::Backend(format!("redis idempotency: {what}"))
}

fn text(v: &[u8]) -> Result<&str, StateError> {
    std::str::from_utf8(v).map_err(|_| bad("a field is not UTF-8"))
}

impl RedisStore {
    fn idem_key(&self, key: &str) -> String {
        self.key(&format!("idem:{key}"))
    }

    pub(super) async fn idempotency_begin(
        &self,
        claim: IdemClaim<'_>,
    ) -> Result<IdemBegin, StateError> {
        let now = self.clock.now().timestamp_millis();
        let lease = claim.lease_ms.max(1);
        let mut inv = self.idempotency.begin.key(self.idem_key(claim.key));
        inv.arg(now)
            .arg(claim.args)
            .arg(claim.owner)
            .arg(now.saturating_add(lease))
            .arg(lease.saturating_add(GRACE_MS));
        let mut conn = self.conn.clone();
        let out: Vec<Vec<u8>> = self.op(inv.invoke_async(&mut conn)).await?;
        let Some(head) = out.first() else {
            return Err(bad("begin returned nothing"));
        };
        match &head[..] {
            b"fresh" => Ok(IdemBegin::Fresh),
            b"inflight" => Ok(IdemBegin::InFlight),
            b"conflict" => Ok(IdemBegin::Conflict),
            b"done" if out.len() == 6 => Ok(IdemBegin::Done(StoredResponse {
                status: text(&out[1])?
                    .parse()
                    .map_err(|_| bad("status is not a number"))?,
                content_type: text(&out[2])?.to_string(),
                body: Bytes::from(out[3].clone()),
                complete: &out[4][..] == b"1",
                decision_id: text(&out[5])?.to_string(),
            })),
            _ => Err(bad("begin returned an unknown answer")),
        }
    }

    pub(super) async fn idempotency_complete(
        &self,
        key: &str,
        owner: &str,
        r: StoredResponse,
        window_ms: i64,
    ) -> Result<bool, StateError> {
        let now = self.clock.now().timestamp_millis();
        let window = window_ms.max(1);
        let mut inv = self.idempotency.complete.key(self.idem_key(key));
        inv.arg(owner)
            .arg(r.status)
            .arg(r.content_type)
            .arg(&r.body[..])
            .arg(if r.complete { "1" } else { "0" })
            .arg(now.saturating_add(window))
            .arg(window.saturating_add(GRACE_MS));
        let mut conn = self.conn.clone();
        let stored: i64 = self.op(inv.invoke_async(&mut conn)).await?;
        Ok(stored == 1)
    }

    pub(super) async fn idempotency_abort(&self, key: &str, owner: &str) -> Result<(), StateError> {
        let mut inv = self.idempotency.abort.key(self.idem_key(key));
        inv.arg(owner);
        let mut conn = self.conn.clone();
        let _: i64 = self.op(inv.invoke_async(&mut conn)).await?;
        Ok(())
    }
}
