//! Deciding approval requests on the admin port:
//!
//! - `GET /admin/approvals?state=pending&limit=N`: the queue, newest first;
//! - `GET /admin/approvals/{id}`: one request;
//! - `POST /admin/approvals/{id}/approve` and `/deny`, body `{"comment": "…"}` or empty;
//! - `GET /admin/approvals/events`: every change as server-sent events.
//!
//! The bearer token names the caller: an approver's token (`approvals.approvers`) names that
//! approver, who may read and vote; the admin token may only read. The other admin rules
//! (local `Host`, no `Origin`, no cross-site fetch, JSON on POST) apply as on every `/admin`
//! route. Every vote that changes a request goes through [`Runtime::approval_changed`] (audit
//! event, metrics, live feed, webhook); a refused vote is audited as `approval.vote_refused`.
//!
//! The handlers take the [`Runtime`] and the caller's name, so the `/ui` page reuses them.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::{Frame, Incoming};
use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc};

use super::auth::{bearer, Refusal};
use super::json_response;
use crate::app::AppState;
use crate::approvals::{Change, ChangeKind};
use crate::audit::event::EventRecord;
use crate::pipeline::{ResBody, Runtime};
use crate::state::{ApprovalRequest, ApprovalState, Vote, VoteOutcome};

/// Requests listed when `limit` is not given, and the most one listing returns.
pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 1000;
/// Longest comment on a vote, in characters.
pub const MAX_COMMENT: usize = 1000;
/// Largest vote body read.
const MAX_BODY: usize = 16 * 1024;
/// A comment line on the event stream after this long without an event, so proxies and
/// browsers keep the connection, and a client that went away is noticed.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

const PREFIX: &str = "/admin/approvals";

/// Whether `path` is one of this module's routes.
pub fn is_route(path: &str) -> bool {
    path == PREFIX
        || path
            .strip_prefix(PREFIX)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Who is calling, as the bearer token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The admin token: may read the queue, never vote.
    Admin,
    /// An approver, by name: may read and vote.
    Approver(String),
}

/// The caller a bearer token names: the admin token first (so a token that is both, after a
/// reload, can never vote), then each approver's (constant time).
pub fn caller_for_token(st: &AppState, token: &str) -> Option<Caller> {
    if st.admin.is_admin_token(token) {
        return Some(Caller::Admin);
    }
    st.snapshot
        .load()
        .approvals
        .approver_for_token(token)
        .map(|a| Caller::Approver(a.name.clone()))
}

/// The caller named by the request's `Authorization: Bearer` header.
pub fn caller(st: &AppState, headers: &HeaderMap) -> Option<Caller> {
    bearer(headers).and_then(|t| caller_for_token(st, t))
}

/// At start: an approver whose token is the admin token would let whoever holds the admin
/// token approve; refuse to start.
pub fn refuse_shared_token(
    loaded: &crate::config::LoadedConfig,
    admin_token: &str,
) -> anyhow::Result<()> {
    match loaded
        .snapshot
        .approvals
        .approver_for_token(admin_token.trim())
    {
        Some(a) => Err(anyhow::anyhow!(
            "approvals.approvers: approver `{}` has the admin token as its token; each approver \
             needs a token of its own (the admin token may list approvals, never decide them)",
            a.name
        )),
        None => Ok(()),
    }
}

/// Every `/admin/approvals*` request: the admin checks with approvers' tokens accepted, then
/// the route.
pub async fn handle(st: &Arc<AppState>, req: Request<Incoming>) -> Response<ResBody> {
    let mut who = None;
    let checked = st.admin.check_as(
        req.method(),
        req.uri().authority().map(|a| a.as_str()),
        req.headers(),
        |t| {
            who = caller_for_token(st, t);
            who.is_some()
        },
    );
    match checked {
        Ok(()) => {}
        Err(Refusal::Unauthorized) => {
            return unauthorized(
                "an approver's bearer token (or, to read, the admin token) is required",
            )
        }
        Err(Refusal::Forbidden(why)) => {
            tracing::warn!(target: "toolwall::admin", path = %req.uri().path(), "{why}");
            return error(StatusCode::FORBIDDEN, "forbidden", why);
        }
        Err(Refusal::NotJson) => {
            return error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "POST bodies must be sent as Content-Type: application/json",
            )
        }
    }
    let Some(who) = who else {
        return unauthorized("bearer token required");
    };
    let path = req.uri().path().to_string();
    let rest = path.strip_prefix(PREFIX).unwrap_or_default();
    let segments: Vec<&str> = rest.split('/').skip(1).collect();
    match (req.method(), segments.as_slice()) {
        (&Method::GET, []) => list(&st.rt, req.uri().query()).await,
        (&Method::GET, ["events"]) => events(&st.rt),
        (&Method::GET, [id]) => show(&st.rt, id).await,
        (&Method::POST, [id, verb @ ("approve" | "deny")]) => {
            let approver =
                match who {
                    Caller::Approver(name) => name,
                    Caller::Admin => return unauthorized(
                        "approve and deny need an approver's token; the admin token may only read",
                    ),
                };
            let approve = *verb == "approve";
            let id = id.to_string();
            let (parts, body) = req.into_parts();
            let body = match crate::body::read_body(body, &parts.headers, MAX_BODY).await {
                Ok(b) => b,
                Err(rej) => {
                    return error(StatusCode::BAD_REQUEST, "bad_request", &rej.message);
                }
            };
            vote(&st.rt, &approver, &id, approve, &body).await
        }
        (_, [] | ["events"] | [_] | [_, "approve" | "deny"]) => error(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "GET the queue, a request or the events; POST approve or deny",
        ),
        _ => not_found(),
    }
}

/// `GET /admin/approvals?state=S&limit=N`: `{"approvals": [request, …]}`, newest first. Also
/// refreshes the `toolwall_approvals_pending` gauge.
pub async fn list(rt: &Runtime, query: Option<&str>) -> Response<ResBody> {
    let mut state = Some(ApprovalState::Pending);
    let mut limit = DEFAULT_LIMIT;
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "state" if v == "all" => state = None,
            "state" => match ApprovalState::parse(&v) {
                Some(s) => state = Some(s),
                None => {
                    return bad_request(
                        "state must be pending, approved, denied, expired, used or all",
                    )
                }
            },
            "limit" => match v.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => limit = n,
                _ => return bad_request(&format!("limit must be 1 to {MAX_LIMIT}")),
            },
            _ => return bad_request("unknown parameter (state, limit)"),
        }
    }
    let listed = match rt.state().approval_list(state, limit).await {
        Ok(l) => l,
        Err(e) => return unavailable(&e),
    };
    if let Ok(n) = rt.state().approvals_pending_count().await {
        rt.metrics
            .approvals_pending
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }
    let now = now(rt);
    let out: Vec<Value> = listed.into_iter().map(|r| request_json(r, now)).collect();
    json_response(StatusCode::OK, &json!({ "approvals": out }))
}

/// `GET /admin/approvals/{id}`: the request, or 404.
pub async fn show(rt: &Runtime, id: &str) -> Response<ResBody> {
    if !plausible_id(id) {
        return not_found();
    }
    match rt.state().approval_get(id).await {
        Ok(Some(r)) => json_response(StatusCode::OK, &request_json(r, now(rt))),
        Ok(None) => not_found(),
        Err(e) => unavailable(&e),
    }
}

/// `POST /admin/approvals/{id}/approve|deny` by `approver`, with the raw body (empty, or
/// `{"comment": "…"}`).
pub async fn vote(
    rt: &Runtime,
    approver: &str,
    id: &str,
    approve: bool,
    body: &[u8],
) -> Response<ResBody> {
    match parse_comment(body) {
        Ok(comment) => vote_with_comment(rt, approver, id, approve, comment).await,
        Err(why) => bad_request(&why),
    }
}

/// A vote whose comment is already known (checked here: at most [`MAX_COMMENT`] characters,
/// no control characters but newline and tab). 200 `{"approval": …, "outcome": "recorded"}`,
/// or 404 / 403 `self_approval` / 409 `already_decided`, `expired`, `already_voted`.
pub async fn vote_with_comment(
    rt: &Runtime,
    approver: &str,
    id: &str,
    approve: bool,
    comment: Option<String>,
) -> Response<ResBody> {
    if let Err(why) = check_comment(comment.as_deref()) {
        return bad_request(&why);
    }
    let comment = comment.filter(|c| !c.trim().is_empty());
    if !plausible_id(id) {
        return not_found();
    }
    // Read first: 404 without a write, and the request to announce should the read-back fail.
    let before = match rt.state().approval_get(id).await {
        Ok(Some(r)) => r,
        Ok(None) => return not_found(),
        Err(e) => return unavailable(&e),
    };
    let now = now(rt);
    let ballot = Vote {
        approver: approver.to_string(),
        approve,
        comment: comment.clone(),
        at_unix: now,
    };
    let outcome = match rt.state().approval_vote(id, ballot.clone()).await {
        Ok(o) => o,
        Err(e) => return unavailable(&e),
    };
    let state = match outcome {
        VoteOutcome::Recorded { state, .. } => state,
        refused => return refused_vote(rt, &before, approver, approve, refused),
    };
    let after = match rt.state().approval_get(id).await {
        Ok(Some(r)) => r,
        // the vote is stored: announce it from what was read before, with the vote applied
        _ => {
            let mut r = before;
            crate::state::approvals::apply_vote(&mut r, ballot, now);
            r
        }
    };
    let kind = match state {
        ApprovalState::Approved => ChangeKind::Approved,
        ApprovalState::Denied => ChangeKind::Denied,
        _ => ChangeKind::Voted,
    };
    tracing::info!(
        target: "toolwall::admin",
        approval_id = %id,
        approver,
        approve,
        state = state.as_str(),
        "approval vote recorded"
    );
    let mut change = Change::new(kind, after.clone());
    change.by = Some(approver.to_string());
    change.comment = comment;
    rt.approval_changed(change).await;
    json_response(
        StatusCode::OK,
        &json!({ "approval": request_json(after, now), "outcome": "recorded" }),
    )
}

/// A vote the store refused: audited (`approval.vote_refused`) and answered.
fn refused_vote(
    rt: &Runtime,
    req: &ApprovalRequest,
    approver: &str,
    approve: bool,
    outcome: VoteOutcome,
) -> Response<ResBody> {
    let (status, kind, message, state) = match outcome {
        VoteOutcome::AlreadyDecided(s) => (
            StatusCode::CONFLICT,
            "already_decided",
            format!("the request is already {}", s.as_str()),
            Some(s),
        ),
        VoteOutcome::Expired => (
            StatusCode::CONFLICT,
            "expired",
            "the request expired (silence is never consent): the agent must ask again".into(),
            Some(ApprovalState::Expired),
        ),
        VoteOutcome::SelfApproval => (
            StatusCode::FORBIDDEN,
            "self_approval",
            "the agent that asked can never decide its own request".into(),
            None,
        ),
        VoteOutcome::DuplicateApprover => (
            StatusCode::CONFLICT,
            "already_voted",
            format!("{approver} already voted on this request"),
            None,
        ),
        VoteOutcome::NotFound => return not_found(),
        VoteOutcome::Recorded { .. } => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "vote outcome",
            )
        }
    };
    tracing::warn!(
        target: "toolwall::admin",
        approval_id = %req.id,
        approver,
        refused = kind,
        "approval vote refused"
    );
    rt.event(
        EventRecord::new("approval.vote_refused")
            .tool(req.tool.clone())
            .detail("approval_id", req.id.clone())
            .detail("decision_id", req.decision_id.clone())
            .detail("by", approver.to_string())
            .detail("approve", approve)
            .detail("refused", kind),
    );
    let mut err = json!({ "type": kind, "message": message });
    if let Some(s) = state {
        err["state"] = json!(s.as_str());
    }
    json_response(status, &json!({ "error": err }))
}

/// `GET /admin/approvals/events`: `text/event-stream`, one `event: <kind>` / `data: <change>`
/// per change from now on, a `: keep-alive` comment after [`KEEP_ALIVE`] of silence, and
/// `event: lagged` when this client fell behind (reload the queue). The subscription ends when
/// the client goes away.
pub fn events(rt: &Runtime) -> Response<ResBody> {
    events_until(rt, std::future::pending())
}

/// [`events`], ending the stream when `stop` completes (the server shutting down: an open
/// stream would otherwise hold the graceful drain until its timeout).
pub fn events_until(
    rt: &Runtime,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Response<ResBody> {
    let feed = rt.approvals.subscribe();
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    let open = OpenStream::new(rt);
    tokio::spawn(async move {
        tokio::select! {
            _ = pump(feed, tx, open) => {}
            _ = stop => {}
        }
    });
    let body = http_body_util::StreamBody::new(futures_util::stream::unfold(rx, |mut rx| async {
        rx.recv()
            .await
            .map(|b| (Ok::<_, Infallible>(Frame::data(b)), rx))
    }));
    let mut r = Response::new(BodyExt::boxed(
        body.map_err(|never: Infallible| match never {}),
    ));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    r
}

/// Copy the feed to one client until it goes away (`tx` closed) or the feed ends.
async fn pump(mut feed: broadcast::Receiver<Change>, tx: mpsc::Sender<Bytes>, open: OpenStream) {
    let _open = open;
    if tx
        .send(Bytes::from_static(b"retry: 3000\n\n"))
        .await
        .is_err()
    {
        return;
    }
    loop {
        let chunk = tokio::select! {
            _ = tx.closed() => return,
            got = feed.recv() => match got {
                Ok(change) => Bytes::from(format!(
                    "event: {}\ndata: {}\n\n",
                    change.kind.as_str(),
                    change.to_json()
                )),
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    Bytes::from(format!("event: lagged\ndata: {{\"skipped\":{n}}}\n\n"))
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = tokio::time::sleep(KEEP_ALIVE) => Bytes::from_static(b": keep-alive\n\n"),
        };
        if tx.send(chunk).await.is_err() {
            return;
        }
    }
}

/// Event streams open per runtime (by address), for tests and diagnostics.
static OPEN_STREAMS: LazyLock<Mutex<HashMap<usize, usize>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// How many `/admin/approvals/events` streams of `rt` are open now.
pub fn open_streams(rt: &Runtime) -> usize {
    let key = rt as *const Runtime as usize;
    lock_streams().get(&key).copied().unwrap_or(0)
}

fn lock_streams() -> std::sync::MutexGuard<'static, HashMap<usize, usize>> {
    match OPEN_STREAMS.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// Counts one open stream while it lives.
struct OpenStream(usize);

impl OpenStream {
    fn new(rt: &Runtime) -> OpenStream {
        let key = rt as *const Runtime as usize;
        *lock_streams().entry(key).or_insert(0) += 1;
        OpenStream(key)
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        let mut g = lock_streams();
        if let Some(n) = g.get_mut(&self.0) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                g.remove(&self.0);
            }
        }
    }
}

/// The request as the API shows it: the stored document with its state as seen at `now`, the
/// distinct approvals so far and its age.
pub fn request_json(req: ApprovalRequest, now: i64) -> Value {
    let req = req.at(now);
    let approvals = req.approvals();
    let age = now.saturating_sub(req.created_unix).max(0);
    let mut v = serde_json::to_value(&req).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.insert("approvals".into(), json!(approvals));
        o.insert("age_seconds".into(), json!(age));
    }
    v
}

/// The comment of a vote body: empty body (or only whitespace) is none; otherwise a JSON
/// object with at most `comment` (a string or null).
pub fn parse_comment(body: &[u8]) -> Result<Option<String>, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let v = crate::json::parse_strict(body, 4).map_err(|e| format!("body: {e}"))?;
    let Value::Object(o) = v else {
        return Err("body must be a JSON object: {\"comment\": \"…\"}".into());
    };
    if let Some(k) = o.keys().find(|k| k.as_str() != "comment") {
        return Err(format!("unknown field `{k}` (only `comment`)"));
    }
    match o.get("comment") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            check_comment(Some(s))?;
            Ok(Some(s.clone()))
        }
        Some(_) => Err("comment must be a string".into()),
    }
}

fn check_comment(c: Option<&str>) -> Result<(), String> {
    let Some(c) = c else { return Ok(()) };
    if c.chars().count() > MAX_COMMENT {
        return Err(format!("comment is longer than {MAX_COMMENT} characters"));
    }
    if c.chars()
        .any(|ch| ch.is_control() && ch != '\n' && ch != '\t')
    {
        return Err("comment has control characters".into());
    }
    Ok(())
}

/// Request ids are UUIDs: anything else is not found without asking the store.
fn plausible_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

fn now(rt: &Runtime) -> i64 {
    rt.clock().now().timestamp()
}

fn error(status: StatusCode, kind: &str, message: &str) -> Response<ResBody> {
    json_response(
        status,
        &json!({ "error": { "type": kind, "message": message } }),
    )
}

fn bad_request(message: &str) -> Response<ResBody> {
    error(StatusCode::BAD_REQUEST, "bad_request", message)
}

fn not_found() -> Response<ResBody> {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        "no approval request with that id",
    )
}

fn unavailable(e: &crate::state::StateError) -> Response<ResBody> {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "state_unavailable",
        &e.to_string(),
    )
}

/// 401 with `WWW-Authenticate: Bearer`.
pub fn unauthorized(message: &str) -> Response<ResBody> {
    let mut r = error(StatusCode::UNAUTHORIZED, "unauthorized", message);
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        for (p, ok) in [
            ("/admin/approvals", true),
            ("/admin/approvals/", true),
            ("/admin/approvals/x/approve", true),
            ("/admin/approvalsx", false),
            ("/admin/approval", false),
            ("/admin/kill", false),
        ] {
            assert_eq!(is_route(p), ok, "{p}");
        }
    }

    #[test]
    fn comments() {
        assert_eq!(parse_comment(b""), Ok(None));
        assert_eq!(parse_comment(b"  \n"), Ok(None));
        assert_eq!(parse_comment(b"{}"), Ok(None));
        assert_eq!(parse_comment(br#"{"comment":null}"#), Ok(None));
        assert_eq!(
            parse_comment(br#"{"comment":"ok\nfine"}"#),
            Ok(Some("ok\nfine".into()))
        );
        assert!(parse_comment(br#"{"comment":1}"#).is_err());
        assert!(parse_comment(br#"{"comment":"a","x":1}"#).is_err());
        assert!(parse_comment(br#"{"comment":"a","comment":"b"}"#).is_err());
        assert!(parse_comment(br#"["a"]"#).is_err());
        assert!(parse_comment(b"{").is_err());
        assert!(parse_comment(br#"{"comment":"\u001b[31m"}"#).is_err());
        let long = format!(r#"{{"comment":"{}"}}"#, "é".repeat(MAX_COMMENT));
        assert!(parse_comment(long.as_bytes()).is_ok());
        let long = format!(r#"{{"comment":"{}"}}"#, "é".repeat(MAX_COMMENT + 1));
        assert!(parse_comment(long.as_bytes()).is_err());
    }

    #[test]
    fn ids() {
        assert!(plausible_id("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"));
        assert!(!plausible_id(""));
        assert!(!plausible_id("../x"));
        assert!(!plausible_id(&"a".repeat(65)));
    }
}
