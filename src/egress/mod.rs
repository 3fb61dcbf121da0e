//! Egress: transparent HTTPS for guarded hosts (docs/egress.md).
//!
//! An agent using `HTTPS_PROXY` sends `CONNECT host:port`. When an adapter guards
//! `https://host:port`, toolwall answers `200`, terminates TLS with a certificate for the host
//! minted from its local CA (`ca`), and serves HTTP on the decrypted stream: every request in
//! it goes through the agent handler exactly as a forward-proxy request to
//! `https://host:port/...` would (`connect`). A host in `egress.passthrough` is tunnelled
//! untouched and audited; every other host is refused and audited (toolwall is an egress
//! allowlist). The transparent listener (`transparent`) does the same for connections the
//! enforcing mode redirects with iptables, reading the host from the TLS SNI (`sni`).

pub mod ca;
pub mod connect;
pub mod sni;
pub mod transparent;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::{BoxFuture, Either};
use http::{Request, Response};
use hyper::body::Incoming;
use serde_json::json;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::body::{full, ResBody};
use crate::config::egress::EgressSpec;
use crate::pipeline::reject::Reject;
use crate::pipeline::Runtime;
use crate::server::ConnLimits;
use crate::stage::identify::Principal;
use crate::stage::record::{CallRecord, Outcome};

/// The agent handler: what a forward-proxy request goes through (load shedding, the pipeline).
pub type Handler = Arc<
    dyn Fn(Request<Incoming>) -> BoxFuture<'static, Result<Response<ResBody>, Infallible>>
        + Send
        + Sync,
>;

/// What the CONNECT handler and the transparent listener share.
pub struct Egress {
    pub ca: ca::Ca,
    pub spec: EgressSpec,
    pub rt: Arc<Runtime>,
    /// The agent handler inner requests go through.
    inner: Handler,
    /// Intercepted, tunnelled and transparent connections held at once (the agent listener's
    /// `max_connections`): an upgraded connection no longer holds the listener's slot.
    slots: Arc<tokio::sync::Semaphore>,
    shutdown: watch::Receiver<bool>,
    header_read_timeout: Duration,
}

/// How an egress connection reached toolwall (the audit records say).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Connect,
    Transparent,
}

impl Via {
    fn as_str(self) -> &'static str {
        match self {
            Via::Connect => "connect",
            Via::Transparent => "transparent",
        }
    }
}

/// What toolwall does with a connection to `host:port`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// An adapter guards `https://host:port`: terminate TLS, run the pipeline.
    Intercept,
    /// Listed in `egress.passthrough`: tunnel untouched.
    Passthrough,
    /// Neither: refuse.
    Refuse,
}

impl Egress {
    /// What to do with a TLS connection to `host:port` (host lower-case, no trailing dot).
    pub fn verdict(&self, host: &str, port: u16) -> Verdict {
        let snap = self.rt.snapshot.load();
        let key = if port == 443 {
            host.to_string()
        } else {
            format!("{host}:{port}")
        };
        let guarded = snap
            .adapter_by_authority(&key)
            .and_then(|i| snap.adapters.get(i))
            .is_some_and(|a| a.upstream.https);
        if guarded {
            Verdict::Intercept
        } else if self.spec.passthrough.iter().any(|p| p.matches(host, port)) {
            Verdict::Passthrough
        } else {
            Verdict::Refuse
        }
    }

    /// A connection slot, or `None` when `max_connections` egress connections are open.
    fn slot(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.slots.clone().try_acquire_owned().ok()
    }

    /// Completes when the server starts shutting down.
    fn stopping(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.shutdown.clone();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    }

    /// Refuse an egress connection: its call record (decision `deny`, the reason, the
    /// target) is written to the audit stream, and the HTTP answer returned.
    pub fn refuse(
        &self,
        target: &Target<'_>,
        principal: Option<Principal>,
        rej: Reject,
    ) -> Response<ResBody> {
        let snap = self.rt.snapshot.load_full();
        let mut rec = CallRecord::new(
            self.rt.metrics.clone(),
            &snap,
            format!("{:032x}", rand::random::<u128>() | 1),
            self.rt.audit_hook(&snap),
        );
        // tracing on: a span (a root: a connection carries no trace context)
        rec.defer_span(&http::HeaderMap::new());
        rec.request = Some(json!({
            "method": target.method,
            "host": target.host,
            "port": target.port,
            "via": target.via.as_str(),
        }));
        rec.principal = principal;
        let resp = rej.to_response(&rec.decision_id);
        rec.outcome = Some(Outcome::Refused(rej));
        let (mut parts, body) = resp.into_parts();
        if let Ok(v) = http::HeaderValue::from_str(&rec.decision_id) {
            parts.headers.insert(crate::pipeline::DECISION_HEADER, v);
        }
        drop(rec);
        Response::from_parts(parts, full(body))
    }
}

/// The target of an egress connection, for its records.
pub struct Target<'a> {
    pub method: &'a str,
    pub host: &'a str,
    pub port: u16,
    pub via: Via,
    pub peer: Option<SocketAddr>,
}

/// Put egress in front of the agent handler: `CONNECT` requests go to [`connect::handle`],
/// every other request to `handler`; and start the transparent listener when configured.
/// Without `egress:` the handler is unchanged (the pipeline refuses `CONNECT`).
pub async fn wire<F, Fut>(
    spec: Option<EgressSpec>,
    rt: Arc<Runtime>,
    shutdown: watch::Receiver<bool>,
    limits: ConnLimits,
    handler: F,
) -> anyhow::Result<(
    impl Fn(
            Request<Incoming>,
        ) -> Either<Fut, BoxFuture<'static, Result<Response<ResBody>, Infallible>>>
        + Clone
        + Send
        + Sync
        + 'static,
    Vec<JoinHandle<()>>,
)>
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Response<ResBody>, Infallible>> + Send + 'static,
{
    let inner: Handler = {
        let h = handler.clone();
        Arc::new(move |req| Box::pin(h(req)))
    };
    let mut tasks = Vec::new();
    let egress = match spec {
        None => None,
        Some(spec) => {
            let ca = ca::Ca::new(spec.ca.as_ref())?;
            if let Some(dir) = &spec.ca_out {
                ca.write_out(dir)?;
            }
            let transparent = spec.transparent_listen;
            let e = Arc::new(Egress {
                ca,
                spec,
                rt,
                inner: inner.clone(),
                slots: Arc::new(tokio::sync::Semaphore::new(limits.max_connections)),
                shutdown: shutdown.clone(),
                header_read_timeout: limits.header_read_timeout,
            });
            if let Some(addr) = transparent {
                use anyhow::Context;
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot bind egress.transparent_listen on {addr}"))?;
                tasks.push(tokio::spawn(transparent::serve(e.clone(), listener)));
            }
            Some(e)
        }
    };
    // Every other call goes straight to the agent handler: no box, no dynamic call on the
    // hot path; only CONNECT (and the requests inside a tunnel, through `inner`) take them.
    let wrapped = move |req: Request<Incoming>| match &egress {
        Some(e) if req.method() == http::Method::CONNECT => {
            let e = e.clone();
            Either::Right(
                Box::pin(async move { Ok(connect::handle(e, req).await) }) as BoxFuture<'static, _>
            )
        }
        _ => Either::Left(handler(req)),
    };
    Ok((wrapped, tasks))
}

/// Counts the bytes read through a stream.
struct Counted<S> {
    inner: S,
    read: Arc<std::sync::atomic::AtomicU64>,
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Counted<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = buf.filled().len().saturating_sub(before) as u64;
        self.read.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        r
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Counted<S> {
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
}

/// A passthrough tunnel: bytes copied both ways untouched until either side closes or the
/// server shuts down, with an `egress.tunnel_opened` and an `egress.tunnel_closed` event
/// (bytes each way) on the audit stream.
pub(crate) async fn tunnel<A, B>(
    e: &Egress,
    client: A,
    server: B,
    target: &Target<'_>,
    principal: Option<&Principal>,
) where
    A: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    B: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use crate::audit::event::{EventPrincipal, EventRecord};
    use std::sync::atomic::{AtomicU64, Ordering};
    let who = principal.map(|p| EventPrincipal {
        agent: Some(p.agent.clone()),
        run_id: p.run_id.clone(),
        tenant_id: p.tenant.clone(),
        workflow: p.workflow.clone(),
        source: Some(p.source.to_string()),
    });
    let mut opened = EventRecord::new("egress.tunnel_opened")
        .detail("host", target.host.to_string())
        .detail("port", target.port)
        .detail("via", target.via.as_str())
        .detail("peer", target.peer.map(|p| p.to_string()));
    if let Some(w) = &who {
        opened = opened.principal(w.clone());
    }
    let tunnel_id = opened.id().to_string();
    e.rt.event(opened);
    tracing::info!(target: "toolwall::egress", host = target.host, port = target.port, via = target.via.as_str(), "passthrough tunnel opened");
    let started = std::time::Instant::now();
    let (up, down) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut a = Counted {
        inner: client,
        read: up.clone(),
    };
    let mut b = Counted {
        inner: server,
        read: down.clone(),
    };
    let error = tokio::select! {
        r = tokio::io::copy_bidirectional(&mut a, &mut b) => r.err().map(|e| e.to_string()),
        _ = e.stopping() => Some("toolwall shut down".to_string()),
    };
    let (bytes_up, bytes_down) = (up.load(Ordering::Relaxed), down.load(Ordering::Relaxed));
    let mut closed = EventRecord::new("egress.tunnel_closed")
        .detail("tunnel_id", tunnel_id)
        .detail("host", target.host.to_string())
        .detail("port", target.port)
        .detail("via", target.via.as_str())
        .detail("bytes_up", bytes_up)
        .detail("bytes_down", bytes_down)
        .detail("duration_ms", started.elapsed().as_millis() as u64)
        .detail("error", error);
    if let Some(w) = who {
        closed = closed.principal(w);
    }
    e.rt.event(closed);
    tracing::info!(target: "toolwall::egress", host = target.host, port = target.port, bytes_up, bytes_down, "passthrough tunnel closed");
}
