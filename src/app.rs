//! The running proxy: agent listener, admin listener, reload, graceful drain.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use arc_swap::ArcSwap;
use futures_util::FutureExt;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower::limit::ConcurrencyLimitLayer;
use tower::load_shed::LoadShedLayer;
use tower::{ServiceBuilder, ServiceExt};

use crate::audit::sink::AuditSink;
use crate::config::compile::StateSpec;
use crate::config::{load_snapshot, LoadedConfig};
use crate::metrics::Metrics;
use crate::pipeline::{self, ResBody, Runtime};
use crate::stage::limits::Limiters;
use crate::stage::record::{CallRecord, Outcome};
use crate::state::{Clock, SharedState, SystemClock};

/// What every request handler shares.
pub struct AppState {
    /// What the pipeline shares (`AppState` derefs to it).
    pub rt: Arc<Runtime>,
    pub config_path: PathBuf,
    pub ready: AtomicBool,
    /// The last reload error, shown on /readyz.
    pub last_reload_error: std::sync::Mutex<Option<String>>,
    /// The admin API's bearer token and allowed `Host` names.
    pub admin: crate::admin::auth::AdminAuth,
}

impl std::ops::Deref for AppState {
    type Target = Runtime;
    fn deref(&self) -> &Runtime {
        &self.rt
    }
}

/// Open the configured state backend.
pub fn open_state(spec: &StateSpec, clock: Arc<dyn Clock>) -> anyhow::Result<SharedState> {
    Ok(match spec {
        StateSpec::Sqlite { path } => Arc::new(
            crate::state::sqlite::SqliteStore::open(path, clock)
                .with_context(|| format!("cannot open state database {}", path.display()))?,
        ),
        StateSpec::Redis {
            url,
            prefix,
            timeout,
        } => Arc::new(
            crate::state::redis::RedisStore::connect(url, prefix, *timeout)
                .with_context(|| format!("cannot use redis state at {url}"))?,
        ),
    })
}

impl AppState {
    /// Recompile config off the hot path and swap it in; a bad config never replaces a good one.
    pub async fn reload(self: &Arc<Self>) -> Result<String, String> {
        let path = self.config_path.clone();
        let result = tokio::task::spawn_blocking(move || load_snapshot(&path, true))
            .await
            .map_err(|e| format!("reload task failed: {e}"))?;
        let mut last = match self.last_reload_error.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        match result {
            Ok(loaded) => {
                let version = loaded.snapshot.version.clone();
                self.metrics
                    .set_policy_version(&loaded.snapshot.policy.version);
                self.snapshot.store(Arc::new(loaded.snapshot));
                self.metrics.config_reload_success.set(1);
                *last = None;
                tracing::info!(version = %version, "config reloaded");
                Ok(version)
            }
            Err(diags) => {
                let msg = diags.to_string();
                self.metrics.config_reload_success.set(0);
                tracing::error!(error = %msg, "config reload failed; keeping the previous config");
                *last = Some(msg.clone());
                Err(msg)
            }
        }
    }
}

/// A started proxy.
pub struct RunningApp {
    pub state: Arc<AppState>,
    pub listen_addr: SocketAddr,
    pub admin_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningApp {
    /// Stop accepting, drain in-flight requests (up to 10 s), seal the audit stream.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        if let Some((sink, _)) = &self.state.audit {
            sink.close().await;
        }
    }
}

/// Bind the listeners and start serving.
pub async fn start(loaded: LoadedConfig) -> anyhow::Result<RunningApp> {
    start_with_clock(loaded, Arc::new(SystemClock::default())).await
}

/// `start` with a given clock (tests move time with a `FakeClock`).
pub async fn start_with_clock(
    loaded: LoadedConfig,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<RunningApp> {
    let state_store = open_state(&loaded.state, clock.clone())?;
    let admin = crate::admin::resolve_auth(&loaded)?;
    let metrics = Arc::new(Metrics::new());
    metrics.set_policy_version(&loaded.snapshot.policy.version);
    let mut loaded = loaded;
    let audit = match loaded.audit.take() {
        None => None,
        Some(settings) => {
            let dir = settings.writer.dir.clone();
            let sink = AuditSink::start(
                settings.writer,
                settings.hmac_key,
                settings.auditor,
                metrics.clone(),
            )
            .with_context(|| format!("cannot open the audit stream in {}", dir.display()))?;
            Some((sink, settings.args))
        }
    };
    let state = Arc::new(AppState {
        rt: Arc::new(Runtime {
            audit,
            snapshot: Arc::new(ArcSwap::from_pointee(loaded.snapshot)),
            metrics,
            limiters: Limiters::new(clock, state_store),
            mcp: crate::mcp::Catalog::default(),
        }),
        config_path: loaded.path.clone(),
        ready: AtomicBool::new(false),
        last_reload_error: std::sync::Mutex::new(None),
        admin,
    });
    let (tx, rx) = watch::channel(false);
    let mut tasks = Vec::new();

    let agent = TcpListener::bind(loaded.listen)
        .await
        .with_context(|| format!("cannot bind agent listener on {}", loaded.listen))?;
    let admin = TcpListener::bind(loaded.admin)
        .await
        .with_context(|| format!("cannot bind admin listener on {}", loaded.admin))?;
    let listen_addr = agent.local_addr()?;
    let admin_addr = admin.local_addr()?;

    // The generic outer shell (tower): shed load beyond `max_in_flight` instead of queueing.
    let st = state.clone();
    let agent_svc = ServiceBuilder::new()
        .layer(LoadShedLayer::new())
        .layer(ConcurrencyLimitLayer::new(loaded.max_in_flight))
        .service(tower::service_fn(move |req| {
            let st = st.clone();
            async move { Ok::<_, Infallible>(handle_agent(st, req).await) }
        }));
    let st = state.clone();
    let agent_handler = move |req: Request<Incoming>| {
        let svc = agent_svc.clone();
        let st = st.clone();
        // Kept for the record of a shed call (both clones are reference counts).
        let (method, uri) = (req.method().clone(), req.uri().clone());
        async move {
            Ok::<_, Infallible>(match svc.oneshot(req).await {
                Ok(resp) => resp,
                Err(_) => shed(&st, &method, &uri),
            })
        }
    };
    let agent_limits = ConnLimits {
        header_read_timeout: loaded.listener.header_read_timeout,
        max_connections: loaded.listener.max_connections,
    };
    match loaded.agent_tls.clone() {
        Some(first) => {
            // Each new connection uses the TLS config of the current snapshot, so rotated
            // certificates and CAs apply after a reload; a reload without mtls keeps the last.
            let snapshot = state.snapshot.clone();
            let last = Arc::new(std::sync::Mutex::new(first));
            let current = move || {
                let mut g = match last.lock() {
                    Ok(g) => g,
                    Err(p) => p.into_inner(),
                };
                if let Some(t) = &snapshot.load().agent_tls {
                    *g = t.clone();
                }
                tokio_rustls::TlsAcceptor::from(g.clone())
            };
            tasks.push(tokio::spawn(serve_tls(
                agent,
                current,
                rx.clone(),
                agent_limits,
                agent_handler,
            )))
        }
        None => tasks.push(tokio::spawn(serve_limited(
            agent,
            rx.clone(),
            agent_limits,
            agent_handler,
        ))),
    }
    let st = state.clone();
    let admin_limits = ConnLimits {
        header_read_timeout: loaded.listener.header_read_timeout,
        max_connections: loaded.listener.admin_max_connections,
    };
    tasks.push(tokio::spawn(serve_limited(
        admin,
        rx.clone(),
        admin_limits,
        move |req| {
            let st = st.clone();
            async move { Ok::<_, Infallible>(crate::admin::handle(&st, req).await) }
        },
    )));
    state.ready.store(true, Ordering::SeqCst);
    Ok(RunningApp {
        state,
        listen_addr,
        admin_addr,
        shutdown: tx,
        tasks,
    })
}

/// The answer to a call shed by the load-shed layer, recorded like every other exit: the
/// record carries what is known before the pipeline ran (method, adapter, path with PII
/// masked; no principal, no tool).
fn shed(st: &AppState, method: &http::Method, uri: &http::Uri) -> Response<ResBody> {
    let snap = st.snapshot.load_full();
    let mut ctx = CallRecord::new(
        st.metrics.clone(),
        &snap,
        format!("{:032x}", rand::random::<u128>() | 1),
        st.audit_hook(&snap),
    );
    // Decoded first, so an escaped `%40` cannot hide an email from the mask.
    let decoded = percent_encoding::percent_decode_str(uri.path()).decode_utf8_lossy();
    let (path, _) = snap
        .redactor
        .redact_text(&decoded, &crate::redact::ActionPlan::mask_all());
    let mut request = serde_json::json!({"method": method.as_str(), "path": path});
    if let Ok(route) = crate::protocol::http::route(&snap, method, uri) {
        if let Some(adapter) = snap.adapters.get(route.adapter) {
            ctx.adapter = Some(adapter.name.clone());
            request["host"] = serde_json::json!(adapter.upstream.host);
        }
    }
    ctx.request = Some(request);
    let rej = pipeline::reject::Reject::new(
        pipeline::reject::Reason::Overloaded,
        "too many calls in flight; retry later",
    );
    let (mut parts, body) = rej.to_response(&ctx.decision_id).into_parts();
    parts.headers.insert(
        http::header::RETRY_AFTER,
        http::HeaderValue::from_static("1"),
    );
    if let Ok(v) = http::HeaderValue::from_str(&ctx.decision_id) {
        parts.headers.insert(pipeline::DECISION_HEADER, v);
    }
    // The guard writes the record and counts the refusal when it drops.
    ctx.outcome = Some(Outcome::Refused(rej));
    drop(ctx);
    Response::from_parts(parts, pipeline::full(body))
}

/// The agent handler with panics caught: a panic becomes a 500 and the call's guard records it.
async fn handle_agent(st: Arc<AppState>, req: Request<Incoming>) -> Response<ResBody> {
    match std::panic::AssertUnwindSafe(pipeline::handle(&st.rt, req))
        .catch_unwind()
        .await
    {
        Ok(resp) => resp,
        Err(_) => {
            tracing::error!("request handler panicked");
            let rej =
                pipeline::reject::Reject::new(pipeline::reject::Reason::Internal, "internal error");
            let (parts, body) = rej.to_response("").into_parts();
            Response::from_parts(parts, pipeline::full(body))
        }
    }
}

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
                        .serve_connection(TokioIo::new(io), svc)
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
                    .serve_connection(TokioIo::new(io), service_fn(handler.clone()))
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
