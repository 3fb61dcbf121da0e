//! The listeners: accept loops over TCP and TLS (mTLS identity into each request), HTTP/1.1
//! and HTTP/2 with header-read deadlines and connection caps, graceful drain on shutdown.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use crate::body::ResBody;

/// Like `serve`, over TLS: the handshake verifies the client certificate (mTLS), and the
/// certificate's identity goes into every request's extensions as a `PeerIdentity`.
pub async fn serve_tls<A, F, Fut>(
    listener: TcpListener,
    acceptor: A,
    mut shutdown: watch::Receiver<bool>,
    limits: ConnLimits,
    handler: F,
) where
    A: Fn() -> tokio_rustls::TlsAcceptor,
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Response<ResBody>, Infallible>> + Send + 'static,
{
    use crate::stage::identify::PeerIdentity;
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let builder = http_builder(limits.header_read_timeout);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Some((stream, peer_addr)) = accepted_stream(accepted).await else {
                    continue;
                };
                let Some(slot) = take_slot(&slots, &peer_addr) else {
                    continue;
                };
                let acceptor = acceptor();
                let handler = handler.clone();
                let watcher = graceful.watcher();
                let builder = builder.clone();
                let first_byte = limits.header_read_timeout;
                tokio::spawn(async move {
                    let _slot = slot;
                    let tls = match tokio::time::timeout(first_byte, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => tls,
                        Ok(Err(e)) => {
                            // Wrong CA, expired or missing client certificate: no HTTP exchange
                            // happens, so this log line is the record.
                            tracing::warn!(target: "toolwall::identity", peer = %peer_addr, error = %e, "TLS handshake refused");
                            return;
                        }
                        Err(_) => {
                            tracing::warn!(target: "toolwall::identity", peer = %peer_addr, "TLS handshake timed out");
                            return;
                        }
                    };
                    let peer = tls
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|c| c.first())
                        .and_then(|c| PeerIdentity::from_der(c.as_ref()));
                    let svc = service_fn(move |mut req: Request<Incoming>| {
                        if let Some(p) = &peer {
                            req.extensions_mut().insert(p.clone());
                        }
                        handler(req)
                    });
                    let io = FirstByteDeadline::new(tls, first_byte);
                    let conn = builder
                        .serve_connection_with_upgrades(TokioIo::new(io), svc)
                        .into_owned();
                    if let Err(e) = watcher.watch(conn).await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                });
            }
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    drain(graceful).await;
}

/// HTTP/1.1 and HTTP/2 (h2c or ALPN) server settings shared by every listener.
fn http_builder(header_read_timeout: Duration) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // Slow-loris guard: a client has `header_read_timeout` to send each request head (an idle
    // keep-alive connection is closed after it too). The first byte of a connection is
    // guarded by `FirstByteDeadline`: the HTTP/1-or-2 sniffing reads before hyper's timer.
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(30)))
        .keep_alive_timeout(Duration::from_secs(20));
    builder
}

/// Connection limits of one listener (`listener:` in toolwall.yaml).
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// Accept to first byte (and TLS handshake), and each request head.
    pub header_read_timeout: Duration,
    /// Connections held at once; more are closed on accept.
    pub max_connections: usize,
}

impl Default for ConnLimits {
    fn default() -> Self {
        let d = crate::config::compile::ListenerLimits::default();
        ConnLimits {
            header_read_timeout: d.header_read_timeout,
            max_connections: d.max_connections,
        }
    }
}

/// A connection slot, or `None` (the connection is closed at once: it is dropped) when the
/// listener holds `max_connections` already. Established connections are not affected.
fn take_slot(
    slots: &Arc<tokio::sync::Semaphore>,
    peer: &SocketAddr,
) -> Option<tokio::sync::OwnedSemaphorePermit> {
    match slots.clone().try_acquire_owned() {
        Ok(p) => Some(p),
        Err(_) => {
            // Logged on the 1st, 2nd, 4th, 8th, … refusal: a flood cannot flood the log.
            static CLOSED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = CLOSED.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_power_of_two() {
                tracing::warn!(peer = %peer, closed_so_far = n, "connection limit reached; connection closed");
            }
            None
        }
    }
}

/// Fails the first read of a connection when no byte arrives within the deadline, so a
/// socket that never sends anything is closed instead of holding a descriptor forever.
struct FirstByteDeadline<S> {
    inner: S,
    deadline: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl<S> FirstByteDeadline<S> {
    fn new(inner: S, timeout: Duration) -> Self {
        FirstByteDeadline {
            inner,
            deadline: Some(Box::pin(tokio::time::sleep(timeout))),
        }
    }
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for FirstByteDeadline<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        use std::task::Poll;
        let before = buf.filled().len();
        let this = &mut *self;
        match std::pin::Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.deadline = None;
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                let expired = this
                    .deadline
                    .as_mut()
                    .is_some_and(|d| std::future::Future::poll(d.as_mut(), cx).is_ready());
                if expired {
                    Poll::Ready(Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "no request within the header read timeout",
                    )))
                } else {
                    Poll::Pending
                }
            }
        }
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for FirstByteDeadline<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// A freshly accepted connection with Nagle off; on an accept error (e.g. out of file
/// descriptors) log it and back off briefly instead of spinning.
async fn accepted_stream(
    accepted: std::io::Result<(tokio::net::TcpStream, SocketAddr)>,
) -> Option<(tokio::net::TcpStream, SocketAddr)> {
    match accepted {
        Ok((stream, addr)) => {
            let _ = stream.set_nodelay(true);
            Some((stream, addr))
        }
        Err(e) => {
            tracing::warn!(error = %e, "accept failed");
            tokio::time::sleep(Duration::from_millis(50)).await;
            None
        }
    }
}

/// Wait for in-flight connections to finish, at most 10 s.
async fn drain(graceful: GracefulShutdown) {
    if tokio::time::timeout(Duration::from_secs(10), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("drain timed out; closing remaining connections");
    }
}

/// Accept connections (HTTP/1.1 and HTTP/2) until shutdown, then drain; default limits.
pub async fn serve<F, Fut>(listener: TcpListener, shutdown: watch::Receiver<bool>, handler: F)
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Response<ResBody>, Infallible>> + Send + 'static,
{
    serve_limited(listener, shutdown, ConnLimits::default(), handler).await
}

/// Accept connections (HTTP/1.1 and HTTP/2) until shutdown, then drain: at most
/// `limits.max_connections` at once, each closed when it sends no request head in time.
pub async fn serve_limited<F, Fut>(
    listener: TcpListener,
    mut shutdown: watch::Receiver<bool>,
    limits: ConnLimits,
    handler: F,
) where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Response<ResBody>, Infallible>> + Send + 'static,
{
    let graceful = GracefulShutdown::new();
    let builder = http_builder(limits.header_read_timeout);
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Some((stream, peer)) = accepted_stream(accepted).await else {
                    continue;
                };
                let Some(slot) = take_slot(&slots, &peer) else {
                    continue;
                };
                let io = FirstByteDeadline::new(stream, limits.header_read_timeout);
                let conn = builder
                    .serve_connection_with_upgrades(TokioIo::new(io), service_fn(handler.clone()))
                    .into_owned();
                let watched = graceful.watch(conn);
                tokio::spawn(async move {
                    let _slot = slot;
                    if let Err(e) = watched.await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                });
            }
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    drain(graceful).await;
}
