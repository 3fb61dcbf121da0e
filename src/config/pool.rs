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
    /// Requests sent again (tests).
    #[cfg(test)]
    retried: std::sync::atomic::AtomicUsize,
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
            #[cfg(test)]
            retried: std::sync::atomic::AtomicUsize::new(0),
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
                    Some(back) if reused => {
                        #[cfg(test)]
                        self.retried
                            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        req = back;
                    }
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

#[cfg(test)]
mod tests {
    //! Each behaviour of the pool next to hyper-util's legacy client's, against a real upstream
    //! on 127.0.0.1: the same answers, the same connections opened, the same errors.

    use super::*;
    use http_body_util::BodyExt;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    /// How the test upstream answers its `n`th request (from 0, over all connections).
    #[derive(Clone, Copy)]
    enum Answer {
        /// 200 with a short body, the connection kept.
        Short,
        /// 200 with `Connection: close`, then closed.
        Close,
        /// 200 with a 4 MiB body (not read at once).
        Long,
        /// 200 with a 256 KiB body (not read without the client reading it).
        Medium,
        /// The short answer, then, 300 ms later, the connection closed without a word.
        ShortThenHangUp,
        /// Nothing: the connection closed once the request was read.
        HangUp,
    }

    /// Every request read, with its connection's number.
    type Requests = Arc<Mutex<Vec<(usize, Vec<u8>)>>>;

    struct Up {
        addr: std::net::SocketAddr,
        conns: Arc<AtomicUsize>,
        /// Every request head and body read, with its connection's number.
        requests: Requests,
        /// Told after each answer is written (and the connection closed when it closes).
        answered: std::sync::mpsc::Receiver<usize>,
        /// Written to by the upstream right before it hangs up (`ShortThenHangUp`).
        trigger: tokio::net::UnixStream,
    }

    /// The upstream, on a thread and runtime of its own (a test may block its own thread).
    async fn upstream(plan: fn(usize) -> Answer) -> Up {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let conns = Arc::new(AtomicUsize::new(0));
        let requests: Requests = Arc::default();
        let (tx, answered) = std::sync::mpsc::channel();
        let (c, r) = (conns.clone(), requests.clone());
        let (theirs, trigger) = std::os::unix::net::UnixStream::pair().expect("pair");
        trigger.set_nonblocking(true).expect("nonblocking");
        let trigger = tokio::net::UnixStream::from_std(trigger).expect("trigger");
        let theirs = Arc::new(theirs);
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = TcpListener::from_std(listener).expect("listener");
                let served = Arc::new(AtomicUsize::new(0));
                loop {
                    let Ok((s, _)) = listener.accept().await else {
                        return;
                    };
                    let conn = c.fetch_add(1, Ordering::SeqCst);
                    let (r, tx, served) = (r.clone(), tx.clone(), served.clone());
                    tokio::spawn(serve(s, conn, plan, r, tx, served, theirs.clone()));
                }
            });
        });
        Up {
            addr,
            conns,
            requests,
            answered,
            trigger,
        }
    }

    async fn serve(
        mut s: TcpStream,
        conn: usize,
        plan: fn(usize) -> Answer,
        requests: Requests,
        tx: std::sync::mpsc::Sender<usize>,
        served: Arc<AtomicUsize>,
        trigger: Arc<std::os::unix::net::UnixStream>,
    ) {
        let mut buf = Vec::new();
        loop {
            // one request: its head, then its `content-length` bytes
            let head_end = loop {
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break i + 4;
                }
                let mut chunk = [0u8; 4096];
                match s.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            };
            let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            while buf.len() < head_end + len {
                let mut chunk = [0u8; 4096];
                match s.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let request: Vec<u8> = buf.drain(..head_end + len).collect();
            requests
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((conn, request));
            let n = served.fetch_add(1, Ordering::SeqCst);
            let answer = plan(n);
            let written = match answer {
                Answer::Short | Answer::ShortThenHangUp => {
                    s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello")
                        .await
                }
                Answer::Close => {
                    s.write_all(
                        b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 5\r\n\r\nhello",
                    )
                    .await
                }
                Answer::Long | Answer::Medium => {
                    let size = if matches!(answer, Answer::Long) {
                        4 << 20
                    } else {
                        256 << 10
                    };
                    let body = vec![b'x'; size];
                    let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", body.len());
                    match s.write_all(head.as_bytes()).await {
                        // the client may stop reading: the rest is not waited for
                        Ok(()) => {
                            let _ = s.write_all(&body).await;
                            Ok(())
                        }
                        e => e,
                    }
                }
                Answer::HangUp => Ok(()),
            };
            if matches!(answer, Answer::ShortThenHangUp) {
                // idle on the client's side by now; the trigger first, then the close
                tokio::time::sleep(Duration::from_millis(300)).await;
                let _ = std::io::Write::write_all(&mut &*trigger, b"!");
            }
            let keep =
                matches!(answer, Answer::Short | Answer::Long | Answer::Medium) && written.is_ok();
            if !keep {
                let _ = s.shutdown().await;
                drop(s);
                let _ = tx.send(n);
                return;
            }
            let _ = tx.send(n);
        }
    }

    /// The two clients under test, one request at a time.
    enum Client {
        Pool(Http1Pool),
        Legacy(crate::config::upstream::UpstreamClient),
    }

    fn clients(addr: std::net::SocketAddr, idle: Duration) -> [Client; 2] {
        let legacy =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .pool_idle_timeout(idle)
                .build(crate::config::upstream::connector(None, false).expect("connector"));
        [
            Client::Pool(
                Http1Pool::new(
                    &addr.to_string(),
                    crate::config::upstream::tcp_connector(Duration::from_secs(5)),
                    idle,
                )
                .expect("pool"),
            ),
            Client::Legacy(legacy),
        ]
    }

    /// The request each client is given: the pool's in origin form with `Host`, the client's
    /// absolute (it makes the same request line and `Host` itself).
    async fn send(
        client: &Client,
        addr: std::net::SocketAddr,
        body: &'static str,
    ) -> Result<Response<Incoming>, (bool, String)> {
        match client {
            Client::Pool(pool) => {
                let mut req = Request::new(Full::new(Bytes::from_static(body.as_bytes())));
                *req.method_mut() = http::Method::POST;
                *req.uri_mut() = Uri::from_static("/v1/echo?x=1");
                req.headers_mut().insert(
                    http::header::HOST,
                    http::HeaderValue::from_str(&addr.to_string()).expect("host"),
                );
                pool.send(req)
                    .await
                    .map_err(|e| (e.is_connect(), crate::diag::error_chain(&e)))
            }
            Client::Legacy(c) => {
                let mut req = Request::new(Full::new(Bytes::from_static(body.as_bytes())));
                *req.method_mut() = http::Method::POST;
                *req.uri_mut() = format!("http://{addr}/v1/echo?x=1").parse().expect("uri");
                c.request(req)
                    .await
                    .map_err(|e| (e.is_connect(), crate::diag::error_chain(&e)))
            }
        }
    }

    async fn read_all(resp: Response<Incoming>) -> Vec<u8> {
        resp.into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec()
    }

    fn requests(up: &Up) -> Vec<(usize, Vec<u8>)> {
        up.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// What the upstream saw, its port written as `PORT` (each client has an upstream).
    fn seen(up: &Up) -> (usize, Vec<(usize, String)>) {
        let port = up.addr.port().to_string();
        let reqs = requests(up)
            .into_iter()
            .map(|(c, r)| (c, String::from_utf8_lossy(&r).replace(&port, "PORT")))
            .collect();
        (up.conns.load(Ordering::SeqCst), reqs)
    }

    #[tokio::test]
    async fn a_connection_is_used_again_once_its_answer_is_read() {
        let mut seen_by = Vec::new();
        for i in 0..2 {
            // the fourth answer is long: not read before the fifth request is sent
            let up = upstream(|n| {
                if n == 3 {
                    Answer::Medium
                } else {
                    Answer::Short
                }
            })
            .await;
            let client = &clients(up.addr, IDLE_TIMEOUT)[i];
            // read to the end, one after the other: one connection
            for _ in 0..3 {
                let r = send(client, up.addr, "{}").await.expect("answer");
                assert_eq!(read_all(r).await, b"hello");
            }
            assert_eq!(up.conns.load(Ordering::SeqCst), 1);
            // an answer not read yet: its connection is not used for the next request
            let held = send(client, up.addr, "{}").await.expect("answer");
            let r = send(client, up.addr, "{}").await.expect("answer");
            assert_eq!(read_all(r).await, b"hello");
            assert_eq!(up.conns.load(Ordering::SeqCst), 2);
            assert_eq!(read_all(held).await.len(), 256 << 10);
            // both read: the next two take the kept connections, no third one
            for _ in 0..2 {
                let r = send(client, up.addr, "{}").await.expect("answer");
                assert_eq!(read_all(r).await, b"hello");
            }
            seen_by.push(seen(&up));
        }
        assert_eq!(seen_by[0].0, 2);
        // the same connections for the first five requests and the same bytes (the request
        // lines, `Host`, the bodies); of the last two, which kept connection each takes may
        // differ (the client takes the one whose answer was read last, the pool the one
        // answered last)
        assert_eq!(seen_by[0].1[..5], seen_by[1].1[..5]);
        let bytes = |s: &(usize, Vec<(usize, String)>)| -> Vec<String> {
            s.1.iter().map(|(_, r)| r.clone()).collect()
        };
        assert_eq!(bytes(&seen_by[0]), bytes(&seen_by[1]));
        let head = &seen_by[0].1[0].1;
        assert!(
            head.starts_with("POST /v1/echo?x=1 HTTP/1.1\r\nhost: 127.0.0.1:PORT\r\n"),
            "{head}"
        );
    }

    #[tokio::test]
    async fn an_abandoned_answer_or_connection_close_is_not_used_again() {
        let mut seen_by = Vec::new();
        for i in 0..2 {
            // 0: a long answer abandoned; 1: `connection: close`; then short ones
            let up = upstream(|n| match n {
                0 => Answer::Long,
                1 => Answer::Close,
                _ => Answer::Short,
            })
            .await;
            let client = &clients(up.addr, IDLE_TIMEOUT)[i];
            let long = send(client, up.addr, "{}").await.expect("answer");
            let mut body = long.into_body();
            let first = body.frame().await.expect("a frame").expect("data");
            assert!(first.is_data());
            drop(body);
            let r = send(client, up.addr, "{}").await.expect("answer");
            assert_eq!(read_all(r).await, b"hello");
            let r = send(client, up.addr, "{}").await.expect("answer");
            assert_eq!(read_all(r).await, b"hello");
            let r = send(client, up.addr, "{}").await.expect("answer");
            assert_eq!(read_all(r).await, b"hello");
            seen_by.push(seen(&up));
        }
        // the abandoned one and the closed one each replaced: three connections, and every
        // request written once
        assert_eq!(seen_by[0].0, 3);
        assert_eq!(seen_by[0].1.len(), 4);
        assert_eq!(seen_by[0], seen_by[1]);
    }

    /// The upstream closes an idle connection, and the request is given to it before the
    /// connection's task has seen the close: hyper gives the request back unsent and it goes
    /// again on a new connection, once. (This thread blocks while the upstream writes a byte
    /// to a trigger and then closes; both wake-ups come in one poll of the runtime's driver,
    /// the trigger's first, so this task checks the connection out and sends before the
    /// connection's task runs: a request arriving as the upstream hangs up.)
    #[tokio::test(flavor = "current_thread")]
    async fn a_request_on_a_connection_closed_while_idle_is_sent_again() {
        let mut seen_by = Vec::new();
        for i in 0..2 {
            let up = upstream(|n| match n {
                0 => Answer::ShortThenHangUp,
                _ => Answer::Short,
            })
            .await;
            let client = &clients(up.addr, IDLE_TIMEOUT)[i];
            let r = send(client, up.addr, "{\"n\":1}").await.expect("answer");
            assert_eq!(read_all(r).await, b"hello");
            if let Client::Pool(p) = client {
                assert_eq!(p.kept(), 1);
            }
            // blocking: the trigger and the close reach this side, nothing here runs meanwhile
            assert_eq!(up.answered.recv().ok(), Some(0));
            std::thread::sleep(Duration::from_millis(100));
            up.trigger.readable().await.expect("trigger");
            let r = send(client, up.addr, "{\"n\":2}").await.expect("answer");
            assert_eq!(read_all(r).await, b"hello");
            if let Client::Pool(p) = client {
                assert_eq!(p.retried.load(Ordering::SeqCst), 1, "sent again");
            }
            seen_by.push(seen(&up));
        }
        assert_eq!(seen_by[0].0, 2, "a second connection");
        let conns: Vec<usize> = seen_by[0].1.iter().map(|(c, _)| *c).collect();
        assert_eq!(conns, [0, 1], "each request written once");
        assert_eq!(seen_by[0], seen_by[1]);
    }

    #[tokio::test]
    async fn an_idle_connection_is_not_used_past_the_idle_timeout() {
        let mut seen = Vec::new();
        for i in 0..2 {
            let up = upstream(|_| Answer::Short).await;
            let client = &clients(up.addr, Duration::from_millis(300))[i];
            for pause in [0, 100, 600, 100] {
                tokio::time::sleep(Duration::from_millis(pause)).await;
                let r = send(client, up.addr, "{}").await.expect("answer");
                assert_eq!(read_all(r).await, b"hello");
            }
            let conns: Vec<usize> = requests(&up).iter().map(|(c, _)| *c).collect();
            seen.push(conns);
        }
        assert_eq!(seen[0], [0, 0, 1, 1]);
        assert_eq!(seen[0], seen[1]);
    }

    #[tokio::test]
    async fn refusals_are_the_clients_own() {
        // nothing listens: a connect error, nothing sent
        let free = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let dead = free.local_addr().expect("addr");
        drop(free);
        let mut errs = Vec::new();
        for client in &clients(dead, IDLE_TIMEOUT) {
            errs.push(send(client, dead, "{}").await.expect_err("refused"));
        }
        assert!(errs[0].0, "a failed connect: nothing sent");
        assert!(
            errs[0].1.starts_with("client error (Connect)"),
            "{}",
            errs[0].1
        );
        assert_eq!(errs[0], errs[1]);
        // a fresh connection closed without an answer: sent, not retried
        let mut errs = Vec::new();
        let mut counts = Vec::new();
        for i in 0..2 {
            let up = upstream(|_| Answer::HangUp).await;
            let client = &clients(up.addr, IDLE_TIMEOUT)[i];
            errs.push(send(client, up.addr, "{}").await.expect_err("refused"));
            counts.push((up.conns.load(Ordering::SeqCst), requests(&up).len()));
        }
        assert!(!errs[0].0, "the request was written");
        assert!(
            errs[0].1.starts_with("client error (SendRequest)"),
            "{}",
            errs[0].1
        );
        assert_eq!(errs[0], errs[1]);
        assert_eq!(counts[0], (1, 1));
        assert_eq!(counts[0], counts[1]);
    }

    #[tokio::test]
    async fn at_most_max_idle_connections_are_kept() {
        // answers not read at once: each request takes a connection of its own
        let up = upstream(|n| {
            if n < MAX_IDLE + 3 {
                Answer::Medium
            } else {
                Answer::Short
            }
        })
        .await;
        let [client, _] = clients(up.addr, IDLE_TIMEOUT);
        let mut held = Vec::new();
        for _ in 0..MAX_IDLE + 3 {
            held.push(send(&client, up.addr, "{}").await.expect("answer"));
        }
        let Client::Pool(pool) = &client else {
            unreachable!("the pool first");
        };
        assert_eq!(pool.kept(), MAX_IDLE);
        for r in held {
            assert_eq!(read_all(r).await.len(), 256 << 10);
        }
        assert_eq!(up.conns.load(Ordering::SeqCst), MAX_IDLE + 3);
        // the kept ones serve the next requests
        for _ in 0..MAX_IDLE {
            let r = send(&client, up.addr, "{}").await.expect("answer");
            assert_eq!(read_all(r).await, b"hello");
        }
        assert_eq!(up.conns.load(Ordering::SeqCst), MAX_IDLE + 3);
        assert!(pool.kept() <= MAX_IDLE);
    }
}
