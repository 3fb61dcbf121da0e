//! The transparent listener (`egress.transparent_listen`): connections the enforcing mode
//! redirects with iptables `REDIRECT`. The original destination comes from
//! `SO_ORIGINAL_DST` (`IP6T_SO_ORIGINAL_DST` for IPv6); the first bytes say what the agent
//! speaks: a TLS ClientHello is handled like `CONNECT <sni>:<original port>` (intercepted,
//! tunnelled to the original destination, or refused with a TLS alert), plain HTTP is routed
//! by its `Host` header like a forward-proxy request, anything else is refused.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use super::connect::{serve_inner, Authority};
use super::sni::{self, Hello};
use super::{Egress, Target, Verdict, Via};
use crate::pipeline::reject::{Reason, Reject};

/// A fatal `handshake_failure` alert: how a refused TLS connection is closed.
const HANDSHAKE_FAILURE: [u8; 7] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28];

/// Accept redirected connections until shutdown.
pub async fn serve(e: Arc<Egress>, listener: TcpListener) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let e = e.clone();
                    tokio::spawn(async move { handle(e, stream, peer).await });
                }
                Err(err) => {
                    tracing::warn!(error = %err, "transparent listener: accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            _ = e.stopping() => break,
        }
    }
}

/// The destination the agent connected to before iptables redirected it here.
pub fn original_dst(stream: &TcpStream) -> std::io::Result<SocketAddr> {
    let sock = socket2::SockRef::from(stream);
    let addr = if stream.local_addr()?.is_ipv4() {
        sock.original_dst_v4()?
    } else {
        sock.original_dst_v6()?
    };
    addr.as_socket().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "original destination is not an IP address",
        )
    })
}

/// What the first bytes of a connection are.
enum First {
    /// A whole ClientHello and its server name.
    Tls(Option<String>),
    Http,
}

async fn handle(e: Arc<Egress>, mut stream: TcpStream, peer: SocketAddr) {
    let Some(_slot) = e.slot() else {
        // logged on the 1st, 2nd, 4th, 8th, … close: a flood cannot flood the log
        static CLOSED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = CLOSED.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if n.is_power_of_two() {
            tracing::warn!(peer = %peer, closed_so_far = n, "egress connection limit reached; transparent connection closed");
        }
        return;
    };
    let refuse = |host: &str, port: u16, rej: Reject| {
        let target = Target {
            method: "TLS",
            host,
            port,
            via: Via::Transparent,
            peer: Some(peer),
        };
        drop(e.refuse(&target, None, rej));
    };
    // With conntrack, a connection made to this port directly "originally" went here: that
    // is not a redirected connection either.
    let redirected = match original_dst(&stream) {
        Ok(a) if stream.local_addr().is_ok_and(|l| l == a) => Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "the connection was made to the transparent listener itself",
        )),
        other => other,
    };
    let orig = match redirected {
        Ok(a) => a,
        Err(err) => match e.spec.test_original_dst {
            Some(a) => a,
            None => {
                // not a redirected connection (e.g. one made to this port directly)
                refuse(
                    "",
                    0,
                    Reject::new(
                        Reason::ConnectRefused,
                        format!("not a redirected connection (no original destination: {err})"),
                    ),
                );
                return;
            }
        },
    };
    let mut buf = Vec::with_capacity(1024);
    let first = match tokio::time::timeout(e.header_read_timeout, read_first(&mut stream, &mut buf))
        .await
    {
        Ok(Ok(f)) => f,
        Ok(Err(why)) => {
            refuse(
                &orig.ip().to_string(),
                orig.port(),
                Reject::new(Reason::ConnectRefused, why),
            );
            let _ = stream.write_all(&HANDSHAKE_FAILURE).await;
            return;
        }
        Err(_) => return, // nothing (whole) within the header read timeout
    };
    let port = orig.port();
    let stream = Prefixed {
        prefix: buf,
        pos: 0,
        inner: stream,
    };
    match first {
        First::Http => {
            let authority = Authority {
                host: None,
                port,
                scheme: "http",
                via: Via::Transparent,
            };
            serve_inner(e, stream, authority, None).await;
        }
        First::Tls(None) => {
            refuse(
                &orig.ip().to_string(),
                port,
                Reject::new(
                    Reason::ConnectRefused,
                    "a TLS connection without a server name (SNI): toolwall cannot tell which \
                     host it is for",
                ),
            );
            alert(stream).await;
        }
        First::Tls(Some(host)) => match e.verdict(&host, port) {
            Verdict::Intercept => {
                let tls = match e.ca.server_config(&host) {
                    Ok(cfg) => tokio_rustls::TlsAcceptor::from(cfg),
                    Err(err) => {
                        tracing::error!(host = %host, error = %err, "cannot mint a certificate");
                        refuse(
                            &host,
                            port,
                            Reject::new(Reason::Internal, "cannot mint a certificate"),
                        );
                        return alert(stream).await;
                    }
                };
                let accepted =
                    tokio::time::timeout(e.header_read_timeout, tls.accept(stream)).await;
                let Ok(Ok(tls)) = accepted else {
                    tracing::warn!(target: "toolwall::egress", host = %host, "TLS handshake on the transparent listener failed");
                    return;
                };
                let authority = Authority {
                    host: Some(host),
                    port,
                    scheme: "https",
                    via: Via::Transparent,
                };
                serve_inner(e, tls, authority, None).await;
            }
            Verdict::Passthrough => {
                let connected = tokio::time::timeout(
                    std::time::Duration::from_secs(10),
                    TcpStream::connect(orig),
                )
                .await;
                let Ok(Ok(mut server)) = connected else {
                    let mut rej = Reject::new(
                        Reason::UpstreamUnavailable,
                        format!("cannot connect to {orig} ({host})"),
                    );
                    rej.nothing_sent = true;
                    refuse(&host, port, rej);
                    return alert(stream).await;
                };
                let Prefixed { prefix, inner, .. } = stream;
                if server.write_all(&prefix).await.is_err() {
                    return;
                }
                let target = Target {
                    method: "TLS",
                    host: &host,
                    port,
                    via: Via::Transparent,
                    peer: Some(orig),
                };
                super::tunnel(&e, inner, server, &target, None).await;
            }
            Verdict::Refuse => {
                refuse(
                    &host,
                    port,
                    Reject::new(
                        Reason::UnknownUpstream,
                        format!(
                            "no adapter guards https://{host}:{port} and it is not in \
                             egress.passthrough"
                        ),
                    ),
                );
                alert(stream).await;
            }
        },
    }
}

/// Close a refused TLS connection with a `handshake_failure` alert.
async fn alert(mut stream: Prefixed<TcpStream>) {
    let _ = stream.inner.write_all(&HANDSHAKE_FAILURE).await;
    let _ = stream.inner.shutdown().await;
}

/// Read until the first bytes say what the connection is: a whole ClientHello, or the start
/// of an HTTP request (an upper-case method letter).
async fn read_first(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<First, String> {
    loop {
        if let Some(&b) = buf.first() {
            if sni::looks_like_tls(b) {
                match sni::parse(buf) {
                    Ok(Hello::Complete(name)) => return Ok(First::Tls(name)),
                    Ok(Hello::Incomplete) => {}
                    Err(why) => return Err(format!("malformed TLS ClientHello: {why}")),
                }
            } else if b.is_ascii_uppercase() {
                return Ok(First::Http);
            } else {
                return Err("neither TLS nor HTTP: toolwall tunnels no other protocol".into());
            }
        }
        if buf.len() > sni::MAX_HELLO + 64 {
            return Err("TLS ClientHello too large".into());
        }
        let n = stream
            .read_buf(buf)
            .await
            .map_err(|e| format!("read failed: {e}"))?;
        if n == 0 {
            return Err("the connection closed before its first request".into());
        }
    }
}

/// A stream whose first bytes were already read: they are read again first.
struct Prefixed<S> {
    prefix: Vec<u8>,
    pos: usize,
    inner: S,
}

impl<S: AsyncRead + Unpin> AsyncRead for Prefixed<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        if this.pos < this.prefix.len() {
            let rest = &this.prefix[this.pos..];
            let n = rest.len().min(buf.remaining());
            buf.put_slice(&rest[..n]);
            this.pos += n;
            if this.pos == this.prefix.len() {
                this.prefix = Vec::new();
                this.pos = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Prefixed<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
