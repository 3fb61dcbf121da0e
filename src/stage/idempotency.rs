//! Idempotent writes (docs/idempotency.md): a tool marked `idempotency: required | auto` gets
//! at most one forwarded call per key within its window; a retry gets the first answer.
//!
//! - [`select`] (decode time, before policy): the key — the agent's `Idempotency-Key`, or one
//!   derived from the run id and the arguments — scoped by tool and principal, and the
//!   arguments' fingerprint.
//! - [`begin`] (after admission, before forwarding): the key's entry in the state backend:
//!   fresh (this call forwards, holding an in-flight marker), answered (replay), in flight
//!   (wait, bounded), or used for other arguments (`409`).
//! - [`Pending`]: the marker this call holds, turned into the stored answer as the agent gets
//!   it (after response redaction) by [`Pending::capture`], or dropped when nothing reached
//!   the tool ([`Pending::abort`]). Dropped otherwise (client gone, panic), the call's outcome
//!   is unknown and the key is stored as answered but not replayable: fail closed.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::body::ResBody;
use crate::config::raw::IdempotencyMode;
use crate::config::Tool;
use crate::pipeline::reject::{Reason, Reject};
use crate::stage::identify::Principal;
use crate::state::idempotency::MAX_STORED_BODY;
use crate::state::{IdemBegin, IdemClaim, SharedState, StoredResponse};

/// The agent's key.
pub const KEY_HEADER: &str = "idempotency-key";
/// Set on an answer replayed from the store.
pub const REPLAY_HEADER: &str = "toolwall-idempotent-replay";
/// The longest `Idempotency-Key` accepted (bytes).
pub const MAX_KEY_LEN: usize = 255;
/// An in-flight marker outlives the adapter timeout by this much (the answer's body may still
/// be streaming after its head came): then a crashed sidecar's key is free again.
const LEASE_MARGIN: Duration = Duration::from_secs(300);
/// A concurrent duplicate waits at most the adapter timeout plus this, and never longer than
/// `MAX_WAIT`, for the first call's answer.
const WAIT_MARGIN: Duration = Duration::from_secs(5);
const MAX_WAIT: Duration = Duration::from_secs(120);

/// One call's idempotency key, scoped and hashed, and its arguments' fingerprint.
#[derive(Debug, Clone)]
pub struct Claim {
    /// Hex SHA-256 of tool, tenant, agent, key source and key: what the store is keyed by
    /// (the agent's key itself is never stored).
    pub key: String,
    /// Hex SHA-256 of the tool and the arguments' canonical JSON as the agent sent them.
    pub args: String,
    /// `header` (the agent's `Idempotency-Key`) or `run` (derived from the run id).
    pub source: &'static str,
    pub window: Duration,
    pub lease: Duration,
    pub wait: Duration,
}

impl Claim {
    /// What the audit record says about the key (`replay` set by the caller).
    pub fn audit(&self) -> Value {
        json!({"key_hash": self.key, "source": self.source})
    }
}

fn sha256_fields(fields: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for f in fields {
        h.update((f.len() as u64).to_be_bytes());
        h.update(f);
    }
    hex::encode(h.finalize())
}

/// Whether `key` is an acceptable `Idempotency-Key`: 1 to 255 bytes of visible ASCII.
pub fn valid_key(key: &[u8]) -> bool {
    !key.is_empty() && key.len() <= MAX_KEY_LEN && key.iter().all(|b| (0x21..=0x7e).contains(b))
}

/// The call's key for a tool with `idempotency:` (`None`: the tool has none, or `auto` found
/// no key). `args` are the arguments as the agent sent them (before redaction, so two calls
/// that differ only in redacted values are not taken for one).
pub fn select(
    tool: &Tool,
    timeout: Duration,
    headers: &HeaderMap,
    principal: &Principal,
    args: &Value,
) -> Result<Option<Claim>, Reject> {
    let Some(spec) = tool.idempotency else {
        return Ok(None);
    };
    let mut sent = headers.get_all(KEY_HEADER).iter();
    let header = match (sent.next(), sent.next()) {
        (None, _) => None,
        (Some(v), None) if valid_key(v.as_bytes()) => Some(v.as_bytes()),
        (Some(_), _) => {
            return Err(Reject::new(
                Reason::IdempotencyKeyInvalid,
                format!(
                    "Idempotency-Key must be sent once, 1 to {MAX_KEY_LEN} printable ASCII characters without spaces"
                ),
            ))
        }
    };
    let canonical = crate::audit::canonical::canonicalize_exact(args).map_err(|e| {
        Reject::new(
            Reason::Internal,
            format!("arguments cannot be fingerprinted: {e}"),
        )
    })?;
    let fingerprint = sha256_fields(&[b"toolwall-idem-args-v1", tool.name.as_bytes(), &canonical]);
    let derived;
    let (source, key): (&'static str, &[u8]) = match (header, principal.run_id.as_deref()) {
        (Some(k), _) => ("header", k),
        (None, Some(run)) => {
            derived = format!("{run}\n{fingerprint}");
            ("run", derived.as_bytes())
        }
        (None, None) => {
            return match spec.mode {
                IdempotencyMode::Auto => Ok(None),
                IdempotencyMode::Required => Err(Reject::new(
                    Reason::IdempotencyKeyRequired,
                    format!(
                        "{} changes state: send an Idempotency-Key header (or a run id) so a retry cannot do it twice",
                        tool.name
                    ),
                )),
            }
        }
    };
    // no tenant and an empty tenant are not one scope
    let tenant = match principal.tenant.as_deref() {
        Some(t) => format!("+{t}"),
        None => String::new(),
    };
    let scoped = sha256_fields(&[
        b"toolwall-idem-key-v1",
        tool.name.as_bytes(),
        tenant.as_bytes(),
        principal.agent.as_bytes(),
        source.as_bytes(),
        key,
    ]);
    Ok(Some(Claim {
        key: scoped,
        args: fingerprint,
        source,
        window: spec.window,
        lease: timeout.saturating_add(LEASE_MARGIN),
        wait: timeout.saturating_add(WAIT_MARGIN).min(MAX_WAIT),
    }))
}

/// What [`begin`] decided.
pub enum Started {
    /// This call forwards; it holds the key until its answer is stored.
    Fresh(Pending),
    /// The key's first answer, to send back without forwarding.
    Replay(StoredResponse),
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The key's entry: this call forwards, or gets the first answer, or is refused. A concurrent
/// duplicate waits (polling, bounded by `claim.wait`) for the first call's answer; the tool
/// never sees the key twice while its entry lives. A state backend that does not answer
/// refuses the call (`state_unavailable`): no call is forwarded unguarded.
pub async fn begin(state: &SharedState, claim: &Claim, owner: &str) -> Result<Started, Reject> {
    let started = tokio::time::Instant::now();
    let mut pause = Duration::from_millis(20);
    loop {
        let found = state
            .idem_begin(IdemClaim {
                key: &claim.key,
                args: &claim.args,
                owner,
                lease_ms: millis(claim.lease),
            })
            .await
            .map_err(|e| {
                Reject::new(
                    Reason::StateUnavailable,
                    format!(
                        "the idempotency key cannot be checked ({e}); the call was not forwarded"
                    ),
                )
            })?;
        match found {
            IdemBegin::Fresh => {
                return Ok(Started::Fresh(Pending {
                    state: Some(state.clone()),
                    key: claim.key.clone(),
                    owner: owner.to_string(),
                    window_ms: millis(claim.window),
                }))
            }
            IdemBegin::Done(r) if r.complete => return Ok(Started::Replay(r)),
            IdemBegin::Done(r) => {
                return Err(Reject::new(
                    Reason::IdempotencyReplayUnavailable,
                    format!(
                        "the first call with this Idempotency-Key (decision {}) reached the tool, but its answer could not be kept for replay; it is not forwarded again: use a new key to repeat the action",
                        r.decision_id
                    ),
                ))
            }
            IdemBegin::Conflict => {
                return Err(Reject::new(
                    Reason::IdempotencyConflict,
                    "this Idempotency-Key was used for a call with other arguments; nothing was forwarded",
                ))
            }
            IdemBegin::InFlight if started.elapsed() >= claim.wait => {
                return Err(Reject::new(
                    Reason::IdempotencyInFlight,
                    "a call with this Idempotency-Key is still being forwarded; nothing was forwarded: retry later",
                ))
            }
            IdemBegin::InFlight => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(250));
            }
        }
    }
}

/// The in-flight marker a fresh call holds.
pub struct Pending {
    /// `None` once the marker was turned into an answer or dropped.
    state: Option<SharedState>,
    key: String,
    owner: String,
    window_ms: i64,
}

impl Pending {
    /// Nothing reached the tool (the connection failed before the request was sent): the key
    /// is free again, a retry may go.
    pub async fn abort(mut self) {
        if let Some(state) = self.state.take() {
            if let Err(e) = state.idem_abort(&self.key, &self.owner).await {
                tracing::warn!(error = %e, "idempotency: the in-flight marker could not be dropped; it ends with its lease");
            }
        }
    }

    /// Store `response` (a refusal the agent got after the call reached, or may have reached,
    /// the tool) as the key's answer.
    pub async fn complete(mut self, response: StoredResponse) {
        if let Some(state) = self.state.take() {
            store(
                state,
                self.key.clone(),
                self.owner.clone(),
                response,
                self.window_ms,
            )
            .await;
        }
    }

    /// The answer's body as the agent gets it, copied (up to [`MAX_STORED_BODY`]) into the
    /// key's entry when it ends.
    pub fn capture(mut self, status: u16, content_type: String, body: ResBody) -> ResBody {
        use http_body_util::BodyExt;
        let pending = Captured {
            state: self.state.take(),
            key: std::mem::take(&mut self.key),
            owner: std::mem::take(&mut self.owner),
            window_ms: self.window_ms,
            status,
            content_type,
        };
        Capture {
            inner: body,
            buf: Vec::new(),
            over: false,
            pending: Some(pending),
        }
        .boxed()
    }
}

impl Drop for Pending {
    /// Dropped holding the marker (the client went away, a panic): the tool may have acted,
    /// so the key is stored as answered but not replayable.
    fn drop(&mut self) {
        if let Some(state) = self.state.take() {
            spawn_store(
                state,
                std::mem::take(&mut self.key),
                std::mem::take(&mut self.owner),
                unknown(),
                self.window_ms,
            );
        }
    }
}

fn unknown() -> StoredResponse {
    StoredResponse {
        status: 0,
        content_type: String::new(),
        body: Bytes::new(),
        complete: false,
        decision_id: String::new(),
    }
}

async fn store(state: SharedState, key: String, owner: String, r: StoredResponse, window: i64) {
    match state.idem_complete(&key, &owner, r, window).await {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            "idempotency: the in-flight marker was taken over before the answer was stored"
        ),
        Err(e) => {
            tracing::error!(error = %e, "idempotency: the answer could not be stored; the key is free again when its in-flight marker ends")
        }
    }
}

fn spawn_store(state: SharedState, key: String, owner: String, r: StoredResponse, window: i64) {
    if let Ok(h) = tokio::runtime::Handle::try_current() {
        h.spawn(store(state, key, owner, r, window));
    }
}

/// What a [`Capture`] stores when its body ends.
struct Captured {
    state: Option<SharedState>,
    key: String,
    owner: String,
    window_ms: i64,
    status: u16,
    content_type: String,
}

/// A body that passes every frame on and keeps a copy of the data for the key's entry.
struct Capture {
    inner: ResBody,
    buf: Vec<u8>,
    /// The body outgrew [`MAX_STORED_BODY`]: it is stored as not replayable.
    over: bool,
    pending: Option<Captured>,
}

impl Capture {
    fn finish(&mut self, whole: bool) {
        let Some(mut p) = self.pending.take() else {
            return;
        };
        let Some(state) = p.state.take() else {
            return;
        };
        let complete = whole && !self.over;
        let body = if complete {
            Bytes::from(std::mem::take(&mut self.buf))
        } else {
            Bytes::new()
        };
        let r = StoredResponse {
            status: p.status,
            content_type: std::mem::take(&mut p.content_type),
            body,
            complete,
            decision_id: String::new(),
        };
        spawn_store(
            state,
            std::mem::take(&mut p.key),
            std::mem::take(&mut p.owner),
            r,
            p.window_ms,
        );
    }
}

impl Body for Capture {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    if !this.over {
                        if this.buf.len().saturating_add(data.len()) > MAX_STORED_BODY {
                            this.over = true;
                            this.buf = Vec::new();
                        } else {
                            this.buf.extend_from_slice(data);
                        }
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.finish(false);
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => {
                this.finish(true);
                Poll::Ready(None)
            }
        }
    }

    /// Never ends before the inner body said so by a `None` frame: the copy is stored then.
    fn is_end_stream(&self) -> bool {
        self.pending.is_none() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Capture {
    /// The agent stopped reading: the answer was cut off (unless the inner body had ended).
    fn drop(&mut self) {
        let whole = self.inner.is_end_stream();
        self.finish(whole);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::adapters::Idempotency;

    fn tool(mode: IdempotencyMode) -> Tool {
        Tool {
            name: "pay.refund".into(),
            label: "pay.refund",
            method: http::Method::POST,
            path: "/refunds".into(),
            args_from: crate::config::raw::ArgsFrom::Json,
            schema: None,
            schema_ref: None,
            coerce: Default::default(),
            response_schema: None,
            cost_usd: 0.0,
            cost_pointer: None,
            read_only: false,
            risk: Value::Null,
            mode: None,
            dry_run: false,
            idempotency: Some(Idempotency {
                mode,
                window: Duration::from_secs(3600),
            }),
            grpc: None,
            input_part: None,
        }
    }

    fn principal(agent: &str, run: Option<&str>) -> Principal {
        Principal {
            agent: agent.into(),
            tenant: Some("acme".into()),
            run_id: run.map(String::from),
            ..Default::default()
        }
    }

    fn headers(keys: &[&[u8]]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for k in keys {
            h.append(
                KEY_HEADER,
                http::HeaderValue::from_bytes(k).expect("header value"),
            );
        }
        h
    }

    const T: Duration = Duration::from_secs(30);

    #[test]
    fn keys_are_scoped_by_tool_and_principal_and_args_are_fingerprinted() {
        let t = tool(IdempotencyMode::Required);
        let args = json!({"charge": "ch_1", "amount": 5});
        let h = headers(&[b"k-1"]);
        let a = select(&t, T, &h, &principal("bot", None), &args)
            .expect("ok")
            .expect("claim");
        assert_eq!(a.source, "header");
        let same = select(&t, T, &h, &principal("bot", Some("r9")), &args)
            .expect("ok")
            .expect("claim");
        assert_eq!(a.key, same.key, "the run id does not scope a header key");
        let other = select(&t, T, &h, &principal("eve", None), &args)
            .expect("ok")
            .expect("claim");
        assert_ne!(a.key, other.key, "another agent never shares the key");
        let mut no_tenant = principal("bot", None);
        no_tenant.tenant = None;
        let mut empty_tenant = principal("bot", None);
        empty_tenant.tenant = Some(String::new());
        let n = select(&t, T, &h, &no_tenant, &args)
            .expect("ok")
            .expect("claim");
        let e = select(&t, T, &h, &empty_tenant, &args)
            .expect("ok")
            .expect("claim");
        assert_ne!(n.key, e.key);
        assert_ne!(n.key, a.key);
        let reordered = json!({"amount": 5, "charge": "ch_1"});
        let b = select(&t, T, &h, &principal("bot", None), &reordered)
            .expect("ok")
            .expect("claim");
        assert_eq!(a.args, b.args, "canonical JSON");
        let changed = json!({"amount": 6, "charge": "ch_1"});
        let c = select(&t, T, &h, &principal("bot", None), &changed)
            .expect("ok")
            .expect("claim");
        assert_ne!(a.args, c.args);
        assert!(!a.key.contains("k-1"), "the agent's key is never stored");
    }

    #[test]
    fn a_key_without_header_comes_from_the_run_id_or_is_required() {
        let args = json!({"amount": 5});
        let none = HeaderMap::new();
        for mode in [IdempotencyMode::Required, IdempotencyMode::Auto] {
            let t = tool(mode);
            let a = select(&t, T, &none, &principal("bot", Some("r1")), &args)
                .expect("ok")
                .expect("claim");
            assert_eq!(a.source, "run");
            let b = select(&t, T, &none, &principal("bot", Some("r2")), &args)
                .expect("ok")
                .expect("claim");
            assert_ne!(a.key, b.key, "another run is another key");
        }
        let got = select(
            &tool(IdempotencyMode::Auto),
            T,
            &none,
            &principal("bot", None),
            &args,
        );
        assert!(matches!(got, Ok(None)));
        let got = select(
            &tool(IdempotencyMode::Required),
            T,
            &none,
            &principal("bot", None),
            &args,
        );
        let rej = got.expect_err("required");
        assert_eq!(rej.reason, Reason::IdempotencyKeyRequired);
        assert_eq!(rej.reason.response_class().0.as_u16(), 428);
    }

    #[test]
    fn malformed_keys_are_refused() {
        let t = tool(IdempotencyMode::Auto);
        let args = json!({});
        let long = vec![b'a'; MAX_KEY_LEN + 1];
        let max = vec![b'a'; MAX_KEY_LEN];
        for bad in [
            headers(&[b""]),
            headers(&[b"a b"]),
            headers(&[b"caf\xc3\xa9"]),
            headers(&[b"tab\there"]),
            headers(&[&long]),
            headers(&[b"one", b"two"]),
        ] {
            let rej = select(&t, T, &bad, &principal("bot", None), &args).expect_err("bad key");
            assert_eq!(rej.reason, Reason::IdempotencyKeyInvalid, "{bad:?}");
        }
        assert!(select(&t, T, &headers(&[&max]), &principal("bot", None), &args).is_ok());
    }

    fn store() -> (tempfile::TempDir, SharedState) {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock: std::sync::Arc<dyn crate::state::Clock> =
            std::sync::Arc::new(crate::state::SystemClock::default());
        let s =
            crate::state::sqlite::SqliteStore::open(&dir.path().join("s.db"), clock).expect("open");
        (dir, std::sync::Arc::new(s))
    }

    fn claim(wait: Duration) -> Claim {
        Claim {
            key: "k".into(),
            args: "a".into(),
            source: "header",
            window: Duration::from_secs(60),
            lease: Duration::from_secs(60),
            wait,
        }
    }

    async fn hold(state: &SharedState, owner: &str) {
        let c = claim(Duration::ZERO);
        let got = state
            .idem_begin(IdemClaim {
                key: &c.key,
                args: &c.args,
                owner,
                lease_ms: 60_000,
            })
            .await
            .expect("begin");
        assert_eq!(got, IdemBegin::Fresh);
    }

    fn answer(body: &'static str) -> StoredResponse {
        StoredResponse {
            status: 201,
            content_type: "application/json".into(),
            body: Bytes::from_static(body.as_bytes()),
            complete: true,
            decision_id: String::new(),
        }
    }

    #[tokio::test]
    async fn a_duplicate_waits_for_the_first_answer_within_its_bound() {
        let (_dir, state) = store();
        hold(&state, "first").await;
        // the first call does not finish in time: refused, not forwarded
        let started = std::time::Instant::now();
        let got = begin(&state, &claim(Duration::from_millis(300)), "second").await;
        let Err(rej) = got else {
            panic!("expected a refusal")
        };
        assert_eq!(rej.reason, Reason::IdempotencyInFlight);
        assert!(started.elapsed() >= Duration::from_millis(300));
        // the first call's answer arrives while a duplicate waits: the duplicate gets it
        let s2 = state.clone();
        let finisher = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(150)).await;
            s2.idem_complete("k", "first", answer("{\"n\":1}"), 60_000)
                .await
                .expect("complete")
        });
        match begin(&state, &claim(Duration::from_secs(5)), "third").await {
            Ok(Started::Replay(r)) => {
                assert_eq!(&r.body[..], b"{\"n\":1}");
                assert_eq!(r.decision_id, "first");
            }
            _ => panic!("expected the first answer"),
        }
        assert!(finisher.await.expect("join"));
        // other arguments: a conflict at once
        let mut other = claim(Duration::from_secs(5));
        other.args = "b".into();
        let Err(rej) = begin(&state, &other, "fourth").await else {
            panic!("expected a conflict")
        };
        assert_eq!(rej.reason, Reason::IdempotencyConflict);
    }

    #[tokio::test]
    async fn a_dropped_call_leaves_its_key_refused_and_an_aborted_one_frees_it() {
        let (_dir, state) = store();
        let Ok(Started::Fresh(p)) = begin(&state, &claim(Duration::ZERO), "d1").await else {
            panic!("fresh")
        };
        drop(p); // the agent went away mid-call: the outcome is unknown
        let mut refused = None;
        for _ in 0..50 {
            match begin(&state, &claim(Duration::ZERO), "d2").await {
                Err(r) if r.reason == Reason::IdempotencyInFlight => {
                    tokio::time::sleep(Duration::from_millis(20)).await
                }
                Err(r) => {
                    refused = Some(r.reason);
                    break;
                }
                Ok(_) => panic!("a call whose outcome is unknown must not go again"),
            }
        }
        assert_eq!(refused, Some(Reason::IdempotencyReplayUnavailable));

        let mut c = claim(Duration::ZERO);
        c.key = "k2".into();
        let Ok(Started::Fresh(p)) = begin(&state, &c, "e1").await else {
            panic!("fresh")
        };
        p.abort().await; // nothing reached the tool
        assert!(matches!(
            begin(&state, &c, "e2").await,
            Ok(Started::Fresh(_))
        ));
    }

    async fn captured(
        state: &SharedState,
        key: &str,
        chunks: Vec<Vec<u8>>,
    ) -> Result<Started, Reject> {
        use http_body_util::BodyExt;
        let mut c = claim(Duration::from_secs(2));
        c.key = key.into();
        let Ok(Started::Fresh(p)) = begin(state, &c, "owner").await else {
            panic!("fresh")
        };
        let frames = futures_util::stream::iter(
            chunks
                .into_iter()
                .map(|c| Ok::<_, hyper::Error>(Frame::data(Bytes::from(c)))),
        );
        let body = http_body_util::StreamBody::new(frames).boxed();
        let out = p
            .capture(200, "text/plain".into(), body)
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        assert!(!out.is_empty(), "the agent gets every byte");
        begin(state, &c, "retry").await
    }

    #[tokio::test]
    async fn the_answer_is_kept_as_the_agent_read_it_up_to_the_limit() {
        let (_dir, state) = store();
        let chunks = vec![b"hello ".to_vec(), b"world".to_vec()];
        match captured(&state, "small", chunks).await {
            Ok(Started::Replay(r)) => {
                assert_eq!(&r.body[..], b"hello world");
                assert_eq!((r.status, r.content_type.as_str()), (200, "text/plain"));
            }
            _ => panic!("expected a replay"),
        }
        let big = vec![vec![b'x'; MAX_STORED_BODY], vec![b'y'; 1]];
        match captured(&state, "big", big).await {
            Err(r) => assert_eq!(r.reason, Reason::IdempotencyReplayUnavailable),
            Ok(_) => panic!("an answer over the limit is not replayed"),
        }
        let exact = vec![vec![b'x'; MAX_STORED_BODY]];
        assert!(matches!(
            captured(&state, "exact", exact).await,
            Ok(Started::Replay(_))
        ));
    }

    #[test]
    fn a_tool_without_idempotency_has_no_claim() {
        let mut t = tool(IdempotencyMode::Required);
        t.idempotency = None;
        let got = select(
            &t,
            T,
            &headers(&[b"k"]),
            &principal("bot", None),
            &json!({}),
        );
        assert!(matches!(got, Ok(None)));
    }
}
