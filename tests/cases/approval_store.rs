//! The approval store on a real `redis-server` started here: two store handles (two
//! sidecars) share one queue — concurrent identical requests make one request, a vote or a
//! consumption through either counts once — and expiry follows the store's (fake) clock.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeZone;
use serde_json::json;
use toolwall::state::redis::RedisStore;
use toolwall::state::{
    ApprovalRequest, ApprovalState, Clock, ConsumeOutcome, FakeClock, StateError, StateStore, Vote,
    VoteOutcome,
};

use crate::common::*;

fn clock() -> Arc<FakeClock> {
    Arc::new(FakeClock::new(
        chrono::Utc
            .with_ymd_and_hms(2026, 12, 3, 10, 0, 0)
            .single()
            .expect("date"),
    ))
}

fn store(redis: &RedisServer, clock: &Arc<FakeClock>) -> Arc<RedisStore> {
    Arc::new(
        RedisStore::connect(&redis.url(), "tw-appr:", Duration::from_millis(500))
            .expect("connect")
            .with_clock(clock.clone()),
    )
}

fn request(key: &str, now: i64, ttl: i64, quorum: u32) -> ApprovalRequest {
    ApprovalRequest {
        id: ApprovalRequest::new_id(),
        key: key.into(),
        principal: json!({"agent": "bot", "tenant": "acme", "run_id": "r1"}),
        agent: "bot".into(),
        tool: "refund".into(),
        args_hmac: "9f86d081".into(),
        // what a Lua re-encoding would spoil: big integers, empty arrays and objects, unicode
        args_redacted: json!({"amount": 12345678901234567_u64, "items": [], "meta": {},
                              "note": "r\u{e9}sum\u{e9} \"quoted\"", "card": "[REDACTED]"}),
        reasons: vec!["refund_over_threshold".into()],
        tier: "high".into(),
        quorum,
        policy_version: "sha256:abc".into(),
        summary: "refund 500 USD to order 42".into(),
        decision_id: "d-1".into(),
        created_unix: now,
        expires_unix: now + ttl,
        state: ApprovalState::Pending,
        votes: Vec::new(),
        used_by: None,
    }
}

fn vote(who: &str, approve: bool) -> Vote {
    Vote {
        approver: who.into(),
        approve,
        comment: Some(format!("{who}: ok?")),
        at_unix: 7,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sidecars_share_one_queue_on_redis() {
    let redis = RedisServer::start().await;
    let clock = clock();
    let now = clock.now().timestamp();
    let a = store(&redis, &clock);
    let b = store(&redis, &clock);

    // 16 concurrent identical calls through both sidecars: one request
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let s = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move { s.approval_request(request("k1", now, 600, 2)).await })
        })
        .collect();
    let mut ids = Vec::new();
    let mut created = 0;
    for t in tasks {
        let (r, c) = t.await.expect("task").expect("request");
        created += usize::from(c);
        ids.push(r.id);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(created, 1);
    assert_eq!(ids.len(), 1, "{ids:?}");
    let id = ids.remove(0);

    // B reads what A stored, byte for byte the same document
    let got = b.approval_get(&id).await.expect("get").expect("found");
    let mut want = request("k1", now, 600, 2);
    want.id = id.clone();
    want.created_unix = got.created_unix;
    want.expires_unix = got.expires_unix;
    assert_eq!(got, want);
    assert_eq!(a.approvals_pending_count().await.expect("n"), 1);

    assert_eq!(
        b.approval_vote(&id, vote("bot", true)).await.expect("self"),
        VoteOutcome::SelfApproval
    );
    // one approver through both sidecars at once: counted once
    let (x, y) = tokio::join!(
        a.approval_vote(&id, vote("alice", true)),
        b.approval_vote(&id, vote("alice", true))
    );
    let mut outs = [x.expect("x"), y.expect("y")];
    outs.sort_by_key(|o| matches!(o, VoteOutcome::DuplicateApprover));
    assert_eq!(
        outs,
        [
            VoteOutcome::Recorded {
                approvals_so_far: 1,
                state: ApprovalState::Pending
            },
            VoteOutcome::DuplicateApprover
        ]
    );
    // not approved yet: not consumable
    assert_eq!(
        a.approval_consume(&id, "k1", "d-2").await.expect("c"),
        ConsumeOutcome::NotApproved(ApprovalState::Pending)
    );
    assert_eq!(
        b.approval_vote(&id, vote("bob", true)).await.expect("bob"),
        VoteOutcome::Recorded {
            approvals_so_far: 2,
            state: ApprovalState::Approved
        }
    );
    assert_eq!(
        a.approval_vote(&id, vote("carol", false))
            .await
            .expect("late"),
        VoteOutcome::AlreadyDecided(ApprovalState::Approved)
    );
    assert_eq!(a.approvals_pending_count().await.expect("n"), 0);
    assert!(a
        .approval_list(Some(ApprovalState::Pending), 10)
        .await
        .expect("list")
        .is_empty());

    // a new sidecar (a restart) sees the votes
    drop(a);
    let a = store(&redis, &clock);
    let got = a.approval_get(&id).await.expect("get").expect("found");
    assert_eq!(got.state, ApprovalState::Approved);
    assert_eq!(
        got.votes
            .iter()
            .map(|v| (v.approver.as_str(), v.comment.as_deref()))
            .collect::<Vec<_>>(),
        vec![("alice", Some("alice: ok?")), ("bob", Some("bob: ok?"))]
    );

    // other args / principal / tool: refused, and the approval is still there
    assert_eq!(
        b.approval_consume(&id, "k-other", "d-2").await.expect("c"),
        ConsumeOutcome::Mismatch
    );
    // consumed once, by one of two racing sidecars
    let (x, y) = tokio::join!(
        a.approval_consume(&id, "k1", "d-a"),
        b.approval_consume(&id, "k1", "d-b")
    );
    let outs = [x.expect("x"), y.expect("y")];
    let used: Vec<_> = outs
        .iter()
        .filter_map(|o| match o {
            ConsumeOutcome::Consumed(r) => Some(r.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(used.len(), 1, "{outs:?}");
    assert_eq!(used[0].state, ApprovalState::Used);
    assert!(outs.contains(&ConsumeOutcome::NotApproved(ApprovalState::Used)));
    let by = used[0].used_by.clone().expect("used_by");
    let got = b.approval_get(&id).await.expect("get").expect("found");
    assert_eq!(got.used_by, Some(by));
    assert_eq!(
        b.approval_consume("no-such-id", "k1", "d-c")
            .await
            .expect("c"),
        ConsumeOutcome::NotFound
    );
    assert_eq!(
        b.approval_vote("no-such-id", vote("alice", true))
            .await
            .expect("v"),
        VoteOutcome::NotFound
    );

    // a deny denies at once; the same call then makes a new request
    let (d, created) = a
        .approval_request(request("k2", now, 600, 2))
        .await
        .expect("d");
    assert!(created);
    assert_eq!(
        b.approval_vote(&d.id, vote("alice", false))
            .await
            .expect("deny"),
        VoteOutcome::Recorded {
            approvals_so_far: 0,
            state: ApprovalState::Denied
        }
    );
    assert_eq!(
        a.approval_consume(&d.id, "k2", "d-x").await.expect("c"),
        ConsumeOutcome::NotApproved(ApprovalState::Denied)
    );
    let (d2, created) = a
        .approval_request(request("k2", now, 600, 2))
        .await
        .expect("d2");
    assert!(created && d2.id != d.id);

    // listing: newest first, by state
    clock.advance(Duration::from_secs(1));
    let (e, _) = a
        .approval_request(request("k3", now + 1, 600, 1))
        .await
        .expect("e");
    let all = b.approval_list(None, 100).await.expect("all");
    assert_eq!(all.len(), 4);
    assert_eq!(all[0].id, e.id);
    let pending: Vec<_> = b
        .approval_list(Some(ApprovalState::Pending), 100)
        .await
        .expect("pending")
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(pending, vec![e.id.clone(), d2.id.clone()]);
    let denied = b
        .approval_list(Some(ApprovalState::Denied), 100)
        .await
        .expect("denied");
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0].id, d.id);
    assert_eq!(b.approval_list(None, 1).await.expect("one").len(), 1);
    assert_eq!(b.approvals_pending_count().await.expect("n"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_approvals_are_never_consent_on_redis() {
    let redis = RedisServer::start().await;
    let clock = clock();
    let now = clock.now().timestamp();
    let s = store(&redis, &clock);
    let (p, _) = s
        .approval_request(request("p", now, 60, 1))
        .await
        .expect("p");
    let (a, _) = s
        .approval_request(request("a", now, 60, 1))
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
    // still valid at expires_unix
    assert_eq!(s.approvals_pending_count().await.expect("n"), 1);
    let (same, created) = s
        .approval_request(request("p", now + 60, 60, 1))
        .await
        .expect("same");
    assert!(!created);
    assert_eq!(same.id, p.id);
    clock.advance(Duration::from_secs(1));
    assert_eq!(s.approvals_pending_count().await.expect("n"), 0);
    assert_eq!(
        s.approval_get(&p.id)
            .await
            .expect("get")
            .expect("found")
            .state,
        ApprovalState::Expired
    );
    assert_eq!(
        s.approval_vote(&p.id, vote("alice", true))
            .await
            .expect("v"),
        VoteOutcome::Expired
    );
    assert_eq!(
        s.approval_consume(&a.id, "a", "d").await.expect("c"),
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
    assert_eq!(
        expired.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        vec![p.id.as_str()]
    );
    // the same call after expiry: a new request
    let (q, created) = s
        .approval_request(request("p", now + 61, 60, 1))
        .await
        .expect("q");
    assert!(created && q.id != p.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approvals_fail_closed_when_redis_is_down() {
    let mut redis = RedisServer::start().await;
    let clock = clock();
    let now = clock.now().timestamp();
    let s = store(&redis, &clock);
    let (r, _) = s
        .approval_request(request("k", now, 60, 1))
        .await
        .expect("r");
    redis.kill();
    let err = s.approval_request(request("k", now, 60, 1)).await;
    assert!(matches!(err, Err(StateError::Unavailable(_))), "{err:?}");
    let err = s.approval_consume(&r.id, "k", "d").await;
    assert!(matches!(err, Err(StateError::Unavailable(_))), "{err:?}");
    assert!(!s.healthy());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_keys_expire_after_the_retention_and_listing_drops_gone_ids() {
    let redis = RedisServer::start().await;
    let clock = clock();
    let now = clock.now().timestamp();
    let s = store(&redis, &clock);
    let (r, _) = s
        .approval_request(request("k", now, 600, 1))
        .await
        .expect("r");
    let (g, _) = s
        .approval_request(request("g", now, 600, 1))
        .await
        .expect("g");
    let client = redis::Client::open(redis.url()).expect("client");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("conn");
    let ttl: i64 = redis::cmd("TTL")
        .arg(format!("tw-appr:approval:{}", r.id))
        .query_async(&mut conn)
        .await
        .expect("ttl");
    let want = 600 + toolwall::state::redis::APPROVAL_RETENTION_SECS;
    assert!(ttl > want - 10 && ttl <= want, "{ttl}");
    // a request whose hash is gone is not listed and leaves the indexes
    let _: i64 = redis::cmd("DEL")
        .arg(format!("tw-appr:approval:{}", g.id))
        .query_async(&mut conn)
        .await
        .expect("del");
    let all = s.approval_list(None, 10).await.expect("all");
    assert_eq!(
        all.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(),
        vec![r.id.as_str()]
    );
    let left: Vec<String> = redis::cmd("ZRANGE")
        .arg("tw-appr:approvals")
        .arg(0)
        .arg(-1)
        .query_async(&mut conn)
        .await
        .expect("zrange");
    assert_eq!(left, vec![r.id.clone()]);
    assert_eq!(s.approval_get(&g.id).await.expect("get"), None);
}
