//! `CONNECT host:port` on the agent listener: intercept a guarded host (TLS terminated with a
//! minted certificate, every inner request through the agent handler as a forward-proxy
//! request to `https://host:port`), tunnel a passthrough host, refuse every other.

use std::sync::Arc;

use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;

use super::{Egress, Target, Verdict, Via};
use crate::body::{full, ResBody};
use crate::pipeline::reject::{Reason, Reject};
use crate::stage::identify::{PeerIdentity, Principal};

/// How long connecting to a passthrough host may take.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Answer one `CONNECT` request.
pub async fn handle(e: Arc<Egress>, req: Request<Incoming>) -> Response<ResBody> {
    let peer_identity = req.extensions().get::<PeerIdentity>().cloned();
    let Some((host, port)) = connect_target(req.uri()) else {
        let shown = req.uri().to_string();
        let target = Target {
            method: "CONNECT",
            host: &shown,
            port: 0,
            via: Via::Connect,
            peer: None,
        };
        return e.refuse(
            &target,
            None,
            Reject::new(Reason::ConnectRefused, "CONNECT needs a host:port target"),
        );
    };
    let target = Target {
        method: "CONNECT",
        host: &host,
        port,
        via: Via::Connect,
        peer: None,
    };
    // who asked, when the listener's identity methods say (static, mTLS, headers on CONNECT)
    let principal = {
        let snap = e.rt.snapshot.load();
        let (parts, _) = http::Request::new(()).into_parts();
        let mut parts = parts;
        parts.method = req.method().clone();
        parts.uri = req.uri().clone();
        parts.headers = req.headers().clone();
        if let Some(p) = &peer_identity {
            parts.extensions.insert(p.clone());
        }
        crate::stage::identify::identify(&snap.identity, &parts).ok()
    };
    let verdict = e.verdict(&host, port);
    if verdict == Verdict::Refuse {
        return e.refuse(
            &target,
            principal,
            Reject::new(
                Reason::UnknownUpstream,
                format!(
                    "no adapter guards https://{host}:{port} and it is not in egress.passthrough: \
                     toolwall opens no tunnel to it"
                ),
            ),
        );
    }
    let Some(slot) = e.slot() else {
        return e.refuse(
            &target,
            principal,
            Reject::new(
                Reason::Overloaded,
                "too many egress connections; retry later",
            ),
        );
    };
    match verdict {
        Verdict::Intercept => {
            let tls = match e.ca.server_config(&host) {
                Ok(cfg) => tokio_rustls::TlsAcceptor::from(cfg),
                Err(err) => {
                    tracing::error!(host = %host, error = %err, "cannot mint a certificate");
                    return e.refuse(
                        &target,
                        principal,
                        Reject::new(Reason::Internal, "cannot mint a certificate for the host"),
                    );
                }
            };
            let upgrade = hyper::upgrade::on(req);
            let (h, ee) = (host.clone(), e.clone());
            tokio::spawn(async move {
                let _slot = slot;
                let Ok(upgraded) = upgrade.await else {
                    return;
                };
                let accepted = tokio::time::timeout(
                    ee.header_read_timeout,
                    tls.accept(TokioIo::new(upgraded)),
                )
                .await;
                let stream = match accepted {
                    Ok(Ok(s)) => s,
                    Ok(Err(err)) => {
                        // e.g. the agent does not trust toolwall's CA: nothing was sent
                        tracing::warn!(target: "toolwall::egress", host = %h, error = %err, "TLS handshake inside CONNECT failed");
                        return;
                    }
                    Err(_) => return,
                };
                let authority = Authority {
                    host: Some(h),
                    port,
                    scheme: "https",
                    via: Via::Connect,
                };
                serve_inner(ee, stream, authority, peer_identity).await;
            });
            established()
        }
        Verdict::Passthrough => {
            let connected = tokio::time::timeout(
                CONNECT_TIMEOUT,
                tokio::net::TcpStream::connect((
                    host.trim_start_matches('[').trim_end_matches(']'),
                    port,
                )),
            )
            .await;
            let server = match connected {
                Ok(Ok(s)) => s,
                Ok(Err(err)) => {
                    let mut rej = Reject::new(
                        Reason::UpstreamUnavailable,
                        format!("cannot connect to {host}:{port}: {err}"),
                    );
                    rej.nothing_sent = true;
                    return e.refuse(&target, principal, rej);
                }
                Err(_) => {
                    return e.refuse(
                        &target,
                        principal,
                        Reject::new(
                            Reason::UpstreamTimeout,
                            format!("connecting to {host}:{port} timed out"),
                        ),
                    )
                }
            };
            let upgrade = hyper::upgrade::on(req);
            let ee = e.clone();
            tokio::spawn(async move {
                let _slot = slot;
                let Ok(upgraded) = upgrade.await else {
                    return;
                };
                let target = Target {
                    method: "CONNECT",
                    host: &host,
                    port,
                    via: Via::Connect,
                    peer: server.peer_addr().ok(),
                };
                super::tunnel(
                    &ee,
                    TokioIo::new(upgraded),
                    server,
                    &target,
                    principal.as_ref(),
                )
                .await;
            });
            established()
        }
        Verdict::Refuse => unreachable_refusal(),
    }
}

/// The `200` that opens the tunnel.
fn established() -> Response<ResBody> {
    let mut resp = Response::new(full(bytes::Bytes::new()));
    *resp.status_mut() = StatusCode::OK;
    resp
}

/// Not reached (refusals return above); an error answer rather than a panic.
fn unreachable_refusal() -> Response<ResBody> {
    let rej = Reject::new(Reason::Internal, "internal error");
    let (parts, body) = rej.to_response("").into_parts();
    Response::from_parts(parts, full(body))
}

/// `host:port` of a CONNECT request (host lower-case, without a trailing dot).
fn connect_target(uri: &http::Uri) -> Option<(String, u16)> {
    let auth = uri.authority()?;
    if uri
        .path_and_query()
        .is_some_and(|p| p.as_str() != "/" && !p.as_str().is_empty())
    {
        return None;
    }
    let port = auth.port_u16().filter(|p| *p != 0)?;
    let host = auth.host().trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || auth.as_str().contains('@') {
        return None;
    }
    Some((host, port))
}

/// Which authority the requests of one decrypted (or redirected plain) connection must name.
pub(crate) struct Authority {
    /// The CONNECT target or the SNI; `None` for transparent plain HTTP (the `Host` header
    /// names it, its port must be the original destination's).
    pub host: Option<String>,
    pub port: u16,
    /// `https` inside an intercepted TLS stream, `http` for redirected plain HTTP.
    pub scheme: &'static str,
    pub via: Via,
}

impl Authority {
    /// The absolute URI of an inner request: `scheme://host:port/path?query`, after checking
    /// that the request names this connection's host and port (its `Host` header and, for
    /// absolute-form or HTTP/2, its URI authority). Anything else is smuggling: refused.
    fn rewrite(&self, req: &Request<Incoming>) -> Result<http::Uri, Reject> {
        let default_port = if self.scheme == "https" { 443 } else { 80 };
        let parse = |s: &str| -> Option<(String, u16)> {
            let a: http::uri::Authority = s.parse().ok()?;
            if a.as_str().contains('@') {
                return None;
            }
            let host = a.host().trim_end_matches('.').to_ascii_lowercase();
            Some((host, a.port_u16().unwrap_or(default_port)))
        };
        let mismatch = |named: &str| {
            Reject::new(
                Reason::TunnelHostMismatch,
                match &self.host {
                    Some(h) => format!(
                        "a request in the connection to {h}:{} names `{named}`: one connection, one host",
                        self.port
                    ),
                    None => format!(
                        "the request names `{named}` but was sent to port {}",
                        self.port
                    ),
                },
            )
        };
        let mut named: Option<(String, u16)> = None;
        let hosts: Vec<&http::HeaderValue> =
            req.headers().get_all(http::header::HOST).iter().collect();
        if hosts.len() > 1 {
            return Err(mismatch("more than one Host header"));
        }
        let mut candidates: Vec<String> = Vec::new();
        if let Some(h) = hosts.first() {
            candidates.push(
                h.to_str()
                    .map_err(|_| mismatch("a Host header that is not text"))?
                    .to_string(),
            );
        }
        if let Some(a) = req.uri().authority() {
            candidates.push(a.as_str().to_string());
        }
        if candidates.is_empty() {
            return Err(Reject::new(
                Reason::TunnelHostMismatch,
                "a request without a Host header",
            ));
        }
        for c in &candidates {
            let Some(hp) = parse(c) else {
                return Err(mismatch(c));
            };
            let ok_port = hp.1 == self.port;
            let ok_host = self.host.as_ref().is_none_or(|h| *h == hp.0)
                && named.as_ref().is_none_or(|n: &(String, u16)| *n == hp);
            if !(ok_port && ok_host) {
                return Err(mismatch(c));
            }
            named = Some(hp);
        }
        if req
            .uri()
            .scheme_str()
            .is_some_and(|s| !s.eq_ignore_ascii_case(self.scheme))
        {
            return Err(mismatch(&req.uri().to_string()));
        }
        let Some((host, port)) = named else {
            return Err(mismatch("nothing"));
        };
        let pq = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        format!("{}://{host}:{port}{pq}", self.scheme)
            .parse()
            .map_err(|_| Reject::new(Reason::AmbiguousRequest, "the request target is not a URI"))
    }
}

/// Serve HTTP/1.1 and HTTP/2 on one decrypted (or redirected plain) connection: each request
/// checked against the connection's authority, rewritten to absolute form and handed to the
/// agent handler, as a forward-proxy request. The outer connection's mTLS identity goes into
/// each request, like on the plain listener.
pub(crate) async fn serve_inner<S>(
    e: Arc<Egress>,
    stream: S,
    authority: Authority,
    peer_identity: Option<PeerIdentity>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let authority = Arc::new(authority);
    let ee = e.clone();
    let svc = hyper::service::service_fn(move |mut req: Request<Incoming>| {
        let e = ee.clone();
        let authority = authority.clone();
        let peer_identity = peer_identity.clone();
        async move {
            match authority.rewrite(&req) {
                Ok(uri) => {
                    *req.uri_mut() = uri;
                    if let Some(p) = peer_identity {
                        req.extensions_mut().insert(p);
                    }
                    (e.inner)(req).await
                }
                Err(rej) => {
                    let shown = authority.host.clone().unwrap_or_default();
                    let target = Target {
                        method: req.method().as_str(),
                        host: &shown,
                        port: authority.port,
                        via: authority.via,
                        peer: None,
                    };
                    Ok(e.refuse(&target, None::<Principal>, rej))
                }
            }
        }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(e.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let conn = builder.serve_connection(TokioIo::new(stream), svc);
    tokio::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => {
            if let Err(err) = r {
                tracing::debug!(error = %err, "egress connection ended with an error");
            }
        }
        _ = e.stopping() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(std::time::Duration::from_secs(10), conn).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_targets() {
        let t = |s: &str| connect_target(&s.parse::<http::Uri>().expect("uri"));
        assert_eq!(
            t("API.Example.com.:443"),
            Some(("api.example.com".into(), 443))
        );
        assert_eq!(t("127.0.0.1:8443"), Some(("127.0.0.1".into(), 8443)));
        assert_eq!(t("[::1]:443"), Some(("[::1]".into(), 443)));
        assert_eq!(t("api.example.com"), None, "a port is required");
        assert_eq!(t("api.example.com:0"), None);
        assert_eq!(t("https://api.example.com:443/x"), None);
    }
}
