//! The connection pool of an `http://` upstream: HTTP/1.1 connections (`hyper::client::conn::
//! http1`) kept per adapter, in place of hyper-util's legacy client, which `https://` upstreams
//! (TLS, HTTP/2 by ALPN) keep.
//!
//! Why our own (docs/performance.md, "Eighteenth round"): the legacy client's pool keys its idle
//! lists by `(Scheme, Authority)` in a `HashMap` hashed with SipHash, one lower-cased byte at a
//! time, at each checkout and each return (~3k instructions a call), and hands a connection
//! back from a task it spawns per call; ~9.6k instructions a call in all on the bench call. An
//! adapter has one upstream, so its pool is one list behind a mutex, as linkerd2-proxy and
//! agentgateway keep pools of their own.
//!
//! What it keeps of the legacy client (each pinned by a test against it, below):
//! - a request sent on a reused idle connection that closed before the request was written
//!   (hyper gives the request back: `TrySendError::take_message`) is sent again on another
//!   connection; never one on a fresh connection, never one that may have been written;
//! - an idle connection is not used past the idle timeout (60 s: [`IDLE_TIMEOUT`]) — counted
//!   here from when its answer's head came (the legacy client: from when its body was read),
//!   or from when a later checkout found it still busy, so never later than the legacy
//!   client would;
//! - a connection is used again only once its answer's body was read to the end (hyper's
//!   sender is ready again then): never while a body is being read, never after one was
//!   abandoned or the answer said `Connection: close` (hyper closes the connection);
//! - the errors: the same kinds and texts (`client error (Connect)` and its causes for a
//!   failed connect, the only kind where nothing was sent; `client error (SendRequest)`,
//!   `client error (Canceled)`), the same connector (`tcp_connector`: no Nagle, 5 s connect
//!   timeout), the same HTTP/1 settings (hyper's defaults), the request in origin form with the
//!   `Host` the forward stage sets (`Upstream::host_header`).
//!
//! Bounded: at most [`MAX_IDLE`] connections kept per adapter (the legacy client keeps any
//! number); one more is closed once its answer is read.

use std::error::Error as StdError;
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response, Uri};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::client::legacy::connect::HttpConnector;
use tower::ServiceExt;

/// How long a connection may stay idle and still be used (the legacy client's
/// `pool_idle_timeout` in `build_client`).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// At most this many connections kept per adapter.
pub const MAX_IDLE: usize = 256;

type Sender = SendRequest<Full<Bytes>>;

/// The pooled HTTP/1.1 connections of one `http://` upstream.
pub struct Http1Pool {
    /// Most recently handed back last; an entry may still be reading its answer's body (not
    /// ready: skipped, and its idle time counted from then).
    idle: Mutex<Vec<Idle>>,
    idle_timeout: Duration,
    connector: HttpConnector,
    /// `http://authority/`: what the connector is asked to reach (the legacy client's
    /// `domain_as_uri` of its pool key).
    dst: Uri,
}

struct Idle {
    tx: Sender,
    since: Instant,
}

impl fmt::Debug for Http1Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Http1Pool").field("dst", &self.dst).finish()
    }
}

/// A refusal, as the legacy client words it: `client error (<kind>)` with its causes.
#[derive(Debug)]
pub struct PoolError {
    kind: Kind,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Canceled,
    Connect,
    SendRequest,
}

impl PoolError {
    fn new(kind: Kind, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        PoolError {
            kind,
            source: Some(source.into()),
        }
    }

    /// The connection could not be made: nothing of the request was sent.
    pub fn is_connect(&self) -> bool {
        self.kind == Kind::Connect
    }
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "client error ({:?})", self.kind)
    }
}

impl StdError for PoolError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_ref().map(|e| &**e as _)
    }
}

impl Http1Pool {
    /// The pool of `http://{authority}`, its connections made by `connector`.
    pub fn new(
        authority: &str,
        connector: HttpConnector,
        idle_timeout: Duration,
    ) -> Result<Self, http::Error> {
        let dst = Uri::builder()
            .scheme("http")
            .authority(authority)
            .path_and_query("/")
            .build()?;
        Ok(Http1Pool {
            idle: Mutex::new(Vec::new()),
            idle_timeout,
            connector,
            dst,
        })
    }

    /// Send `req` (origin-form URI, `Host` set) on an idle connection, or a new one; again on
    /// another when a reused one closed before the request was written.
    pub async fn send(
        &self,
        mut req: Request<Full<Bytes>>,
    ) -> Result<Response<Incoming>, PoolError> {
        loop {
            let (mut tx, reused) = match self.checkout() {
                Some(tx) => (tx, true),
                None => (self.connect().await?, false),
            };
            match tx.try_send_request(req).await {
                Ok(resp) => {
                    self.hand_back(tx);
                    return Ok(resp);
                }
                Err(mut e) => match e.take_message() {
                    // not written: a reused connection closed under it, so another is tried
                    Some(back) if reused => req = back,
                    Some(_) => return Err(PoolError::new(Kind::Canceled, e.into_error())),
                    None => return Err(PoolError::new(Kind::SendRequest, e.into_error())),
                },
            }
        }
    }

    /// The most recently handed back connection that is ready (its last answer read to the
    /// end) and not idle past the timeout; closed and expired ones dropped on the way.
    fn checkout(&self) -> Option<Sender> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.is_empty() {
            return None;
        }
        let now = Instant::now();
        let mut i = idle.len();
        while i > 0 {
            i -= 1;
            let entry = &mut idle[i];
            if entry.tx.is_ready() {
                let entry = idle.remove(i);
                if now.saturating_duration_since(entry.since) > self.idle_timeout {
                    continue;
                }
                return Some(entry.tx);
            }
            if entry.tx.is_closed() {
                idle.remove(i);
                continue;
            }
            // still reading its answer: idle, at the earliest, from now
            entry.since = now;
        }
        None
    }

    /// Keep `tx` once its answer came: used again once that answer's body is read to the end.
    fn hand_back(&self, tx: Sender) {
        if tx.is_closed() {
            return;
        }
        let since = Instant::now();
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() >= MAX_IDLE {
            idle.retain(|e| !e.tx.is_closed());
            if idle.len() >= MAX_IDLE {
                // dropped: hyper closes the connection once this answer is read
                return;
            }
        }
        idle.push(Idle { tx, since });
    }

    /// A new connection, ready for a request (the legacy client's `connect_to`, HTTP/1).
    async fn connect(&self) -> Result<Sender, PoolError> {
        let io = self
            .connector
            .clone()
            .oneshot(self.dst.clone())
            .await
            .map_err(|e| PoolError::new(Kind::Connect, e))?;
        let (mut tx, conn) = http1::Builder::new()
            .handshake(io)
            .await
            .map_err(|e| PoolError::new(Kind::SendRequest, e))?;
        let (err_tx, err_rx) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            if let Err(e) = conn.with_upgrades().await {
                tracing::debug!("client connection error: {e:?}");
                let _ = err_tx.send(e);
            }
        });
        match tx.ready().await {
            Ok(()) => Ok(tx),
            // the connection's own error, when it has one, says more than "closed"
            Err(e) if e.is_closed() => match err_rx.await {
                Ok(conn_err) => Err(PoolError::new(Kind::SendRequest, conn_err)),
                Err(_) => Err(PoolError::new(Kind::SendRequest, e)),
            },
            Err(e) => Err(PoolError::new(Kind::SendRequest, e)),
        }
    }

    /// How many connections are kept (tests).
    #[cfg(test)]
    fn kept(&self) -> usize {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}
