//! Idempotent writes as the state backends store them: one entry per scoped key, first an
//! in-flight marker (the call is being forwarded), then the answer the agent got. The SQLite
//! backend decides `begin` inside one `BEGIN IMMEDIATE` transaction, the Redis backend in one
//! Lua script, so two calls with one key (from any sidecar on the backend) never both get
//! [`IdemBegin::Fresh`] while the entry lives.
//!
//! Times are Unix milliseconds of the store's clock. An in-flight marker lives until its lease
//! ends (a crashed sidecar does not block the key forever); a finished entry for its window.

use bytes::Bytes;

/// The largest answer body kept for replay. A larger answer reaches the first caller whole but
/// is stored as not replayable: a retry with its key is refused, never forwarded again.
pub const MAX_STORED_BODY: usize = 1 << 20;

/// The answer the first call with a key got, as the agent received it (redacted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    /// `Content-Type` of the answer (empty when it had none).
    pub content_type: String,
    pub body: Bytes,
    /// False when the answer could not be kept whole (larger than [`MAX_STORED_BODY`], cut
    /// off, or the call's outcome is unknown): a retry is refused instead of replayed.
    pub complete: bool,
    /// The decision id of the call that was forwarded.
    pub decision_id: String,
}

/// What `idem_begin` found for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdemBegin {
    /// No live entry: this call owns the key now (an in-flight marker was stored).
    Fresh,
    /// Another call with the key and the same arguments is being forwarded.
    InFlight,
    /// A call with the key and the same arguments was answered: this answer.
    Done(StoredResponse),
    /// The key is live for other arguments.
    Conflict,
}

/// One `idem_begin` request.
#[derive(Debug, Clone, Copy)]
pub struct IdemClaim<'a> {
    /// The scoped key (tool + principal + the agent's or derived key), hashed.
    pub key: &'a str,
    /// Fingerprint of the call's arguments.
    pub args: &'a str,
    /// Who holds the in-flight marker (the call's decision id): only it completes or aborts.
    pub owner: &'a str,
    /// How long the in-flight marker lives, in milliseconds.
    pub lease_ms: i64,
}

#[cfg(test)]
pub(crate) mod tests {
    //! The contract every backend passes (called from each backend's tests).
    use super::*;
    use crate::state::{FakeClock, StateStore};

    fn claim<'a>(key: &'a str, args: &'a str, owner: &'a str) -> IdemClaim<'a> {
        IdemClaim {
            key,
            args,
            owner,
            lease_ms: 30_000,
        }
    }

    fn answer(body: &'static [u8], owner: &str) -> StoredResponse {
        StoredResponse {
            status: 201,
            content_type: "application/json".into(),
            body: Bytes::from_static(body),
            complete: true,
            decision_id: owner.into(),
        }
    }

    /// begin / complete / abort / conflict / expiry, on `store` whose clock is `clock`.
    pub(crate) async fn contract(store: &dyn StateStore, clock: &FakeClock) {
        const DAY: i64 = 86_400_000;
        let b = store
            .idem_begin(claim("k1", "a", "d1"))
            .await
            .expect("begin");
        assert_eq!(b, IdemBegin::Fresh);
        // a duplicate while the first is in flight, and one with other arguments
        let b = store
            .idem_begin(claim("k1", "a", "d2"))
            .await
            .expect("begin");
        assert_eq!(b, IdemBegin::InFlight);
        let b = store
            .idem_begin(claim("k1", "b", "d3"))
            .await
            .expect("begin");
        assert_eq!(b, IdemBegin::Conflict);
        // only the owner completes
        let stored = store
            .idem_complete("k1", "d2", answer(b"{\"nope\":1}", "d2"), DAY)
            .await
            .expect("complete");
        assert!(!stored);
        let body = b"{\"id\":\"re_1\",\"bin\":\"\x00\xff\"}";
        let stored = store
            .idem_complete("k1", "d1", answer(body, "d1"), DAY)
            .await
            .expect("complete");
        assert!(stored);
        match store
            .idem_begin(claim("k1", "a", "d4"))
            .await
            .expect("begin")
        {
            IdemBegin::Done(r) => {
                assert_eq!(r.status, 201);
                assert_eq!(r.content_type, "application/json");
                assert_eq!(&r.body[..], &body[..]);
                assert!(r.complete);
                assert_eq!(r.decision_id, "d1");
            }
            other => panic!("expected Done, got {other:?}"),
        }
        let b = store
            .idem_begin(claim("k1", "b", "d5"))
            .await
            .expect("begin");
        assert_eq!(b, IdemBegin::Conflict);
        // an aborted call frees its key; someone else's abort does not
        let b = store
            .idem_begin(claim("k2", "a", "e1"))
            .await
            .expect("begin");
        assert_eq!(b, IdemBegin::Fresh);
        store.idem_abort("k2", "e9").await.expect("abort");
        let b = store
            .idem_begin(claim("k2", "a", "e2"))
            .await
            .expect("begin");
        assert_eq!(b, IdemBegin::InFlight);
        store.idem_abort("k2", "e1").await.expect("abort");
        let b = store
            .idem_begin(claim("k2", "a", "e3"))
            .await
            .expect("begin");
        assert_eq!(b, IdemBegin::Fresh);
        // an in-flight marker ends with its lease (a crashed sidecar), a finished entry with
        // its window
        clock.advance(std::time::Duration::from_secs(31));
        let b = store
            .idem_begin(claim("k2", "b", "e4"))
            .await
            .expect("begin");
        assert_eq!(b, IdemBegin::Fresh, "lease over: the key is free");
        // the old owner can no longer complete the key someone else holds
        let stored = store
            .idem_complete("k2", "e3", answer(b"late", "e3"), DAY)
            .await
            .expect("complete");
        assert!(!stored);
        let b = store
            .idem_begin(claim("k1", "a", "d6"))
            .await
            .expect("begin");
        assert!(matches!(b, IdemBegin::Done(_)), "{b:?}");
        clock.advance(std::time::Duration::from_secs(24 * 3600));
        let b = store
            .idem_begin(claim("k1", "b", "d7"))
            .await
            .expect("begin");
        assert_eq!(b, IdemBegin::Fresh, "window over: the key is free");
        // an answer that could not be kept is stored as such
        let mut cut = answer(b"", "d7");
        cut.complete = false;
        assert!(store
            .idem_complete("k1", "d7", cut, DAY)
            .await
            .expect("complete"));
        match store
            .idem_begin(claim("k1", "b", "d8"))
            .await
            .expect("begin")
        {
            IdemBegin::Done(r) => assert!(!r.complete),
            other => panic!("expected Done, got {other:?}"),
        }
    }
}
