//! An adapter's `upstream:` URL and its pooled HTTP client (`tls.ca` added to the web PKI
//! roots), built at config time; the forward stage only uses them.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rustls_pki_types::CertificateDer;

use super::error::{AtPath, ConfigError, PemError};

/// The pooled client of one adapter.
pub type UpstreamClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

#[derive(Debug, Clone)]
pub struct Upstream {
    pub https: bool,
    /// `host[:port]` as written in the adapter (port omitted when default).
    pub authority: String,
    pub host: String,
    /// Path prefix of the upstream URL, without a trailing slash ("" for none).
    pub base_path: String,
    /// `http://` upstreams: the `Host` header of every forwarded request, built once. The
    /// client reaches them over HTTP/1.1 only (no TLS, no ALPN) and would otherwise build it per
    /// request from the request's URI — `host[:port]`, the port left out when it is the
    /// scheme's default: `authority` as written here, since the URI is built from it
    /// (hyper-util 0.1's `set_host`: a `format!` and two URI parses per call, ~1.5k
    /// instructions). `None` for `https://` (HTTP/2 by ALPN sends `:authority`, no `Host`: the
    /// client decides per connection).
    pub host_header: Option<http::HeaderValue>,
}

/// Parse an adapter's `upstream:` value; errors are at `upstream`.
pub fn parse_upstream(s: &str) -> Result<Upstream, AtPath> {
    let err = |e: ConfigError| e.at("upstream");
    let uri: http::Uri = s.parse().map_err(|source| {
        err(ConfigError::UpstreamNotUrl {
            url: s.to_string(),
            source,
        })
    })?;
    let https = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => return Err(err(ConfigError::UpstreamScheme(s.to_string()))),
    };
    let auth = uri
        .authority()
        .ok_or_else(|| err(ConfigError::UpstreamNoHost(s.to_string())))?;
    let default_port = if https { 443 } else { 80 };
    let authority = match auth.port_u16() {
        Some(p) if p != default_port => format!("{}:{p}", auth.host()),
        _ => auth.host().to_string(),
    };
    if uri.query().is_some() {
        return Err(err(ConfigError::UpstreamQuery(s.to_string())));
    }
    let host_header = (!https)
        .then(|| http::HeaderValue::from_str(&authority).ok())
        .flatten();
    Ok(Upstream {
        https,
        host_header,
        authority,
        host: auth.host().to_string(),
        base_path: uri.path().trim_end_matches('/').to_string(),
    })
}

/// The upstream connectors' connect timeout.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The pool of an `http://` upstream ([`super::pool`]): what the client would do for it, with
/// the same connector; `None` for `https://`, which the client keeps.
pub fn build_pool(up: &Upstream) -> Option<super::pool::Http1Pool> {
    if up.https {
        return None;
    }
    super::pool::Http1Pool::new(
        &up.authority,
        tcp_connector(CONNECT_TIMEOUT),
        super::pool::IDLE_TIMEOUT,
    )
    .ok()
}

/// Build a client trusting the web PKI roots plus `extra_ca`; rustls with the `ring` provider.
/// Errors are at `tls.ca`.
pub fn build_client(
    extra_ca: Option<&[CertificateDer<'static>]>,
) -> Result<UpstreamClient, AtPath> {
    Ok(Client::builder(TokioExecutor::new())
        .pool_idle_timeout(super::pool::IDLE_TIMEOUT)
        .build(connector(extra_ca, false)?))
}

/// The connector of an upstream client: TCP (no Nagle, 5 s connect timeout), then TLS for
/// `https://` trusting the web PKI roots plus `extra_ca` (rustls, `ring`), offering HTTP/1.1
/// and HTTP/2 by ALPN — or HTTP/2 only (`h2_only`, gRPC).
/// The TCP side of the upstream and OTLP exporter clients: any URI
/// scheme (TLS is layered on top), no Nagle delay, a bounded connect.
pub fn tcp_connector(connect_timeout: Duration) -> HttpConnector {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(connect_timeout));
    http
}

pub fn connector(
    extra_ca: Option<&[CertificateDer<'static>]>,
    h2_only: bool,
) -> Result<hyper_rustls::HttpsConnector<HttpConnector>, AtPath> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for ca in extra_ca.unwrap_or_default() {
        roots
            .add(ca.clone())
            .map_err(|e| ConfigError::ClientCa(e).at("tls.ca"))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigError::ClientTls(e).at("tls"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let http = tcp_connector(CONNECT_TIMEOUT);
    let builder = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http();
    Ok(if h2_only {
        builder.enable_http2().wrap_connector(http)
    } else {
        builder.enable_http1().enable_http2().wrap_connector(http)
    })
}

/// Every certificate of a PEM file (at least one).
pub fn load_pem_certs(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, PemError> {
    use rustls_pki_types::pem::PemObject;
    let shown = || path.display().to_string();
    let certs: Result<Vec<_>, _> = CertificateDer::pem_file_iter(path)
        .map_err(|source| PemError::Read {
            path: shown(),
            source,
        })?
        .collect();
    let certs = certs.map_err(|source| PemError::Bad {
        path: shown(),
        source,
    })?;
    if certs.is_empty() {
        return Err(PemError::Empty { path: shown() });
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_forms() {
        let u = parse_upstream("https://api.stripe.com").expect("ok");
        assert_eq!(
            (u.https, u.authority.as_str(), u.base_path.as_str()),
            (true, "api.stripe.com", "")
        );
        let u = parse_upstream("http://127.0.0.1:8081/base/").expect("ok");
        assert_eq!(
            (u.https, u.authority.as_str(), u.base_path.as_str()),
            (false, "127.0.0.1:8081", "/base")
        );
        let u = parse_upstream("http://example.com:80").expect("ok");
        assert_eq!(u.authority, "example.com");
        assert!(parse_upstream("ftp://x").is_err());
        assert!(parse_upstream("http://x/?a=1").is_err());
    }

    #[test]
    fn upstream_errors_are_typed_and_at_the_value() {
        let e = parse_upstream("ftp://x").expect_err("scheme");
        assert_eq!(e.path, "upstream");
        assert!(matches!(e.error, ConfigError::UpstreamScheme(ref u) if u == "ftp://x"));
        let e = parse_upstream("http://x/?a=1").expect_err("query");
        assert!(matches!(e.error, ConfigError::UpstreamQuery(_)));
        let e = parse_upstream("http://exa mple").expect_err("not a URL");
        assert!(matches!(e.error, ConfigError::UpstreamNotUrl { .. }), "{e}");
    }

    /// The `Host` an `http://` upstream gets is the one the client builds itself when the
    /// request has none: sent both ways to a listener, the request heads are compared.
    #[tokio::test]
    async fn host_header_is_the_one_the_client_builds() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = tokio::spawn(async move {
            let mut hosts = Vec::new();
            for _ in 0..4 {
                let (mut s, _) = listener.accept().await.expect("accept");
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = s.read(&mut buf).await.expect("read");
                    assert!(n > 0, "request head cut short");
                    head.extend_from_slice(&buf[..n]);
                }
                let head = String::from_utf8(head).expect("utf-8");
                let found: Vec<String> = head
                    .lines()
                    .filter_map(|l| l.strip_prefix("host: "))
                    .map(str::to_string)
                    .collect();
                hosts.push(found);
                s.write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
                    .await
                    .expect("write");
            }
            hosts
        });
        let client = build_client(None).expect("client");
        for url in [
            format!("http://127.0.0.1:{port}"),
            format!("http://localhost:{port}/base/"),
        ] {
            let up = parse_upstream(&url).expect("upstream");
            let uri: http::Uri = format!("http://{}{}/x", up.authority, up.base_path)
                .parse()
                .expect("uri");
            for set in [false, true] {
                let mut req = http::Request::new(Full::new(Bytes::new()));
                *req.uri_mut() = uri.clone();
                if set {
                    let host = up.host_header.clone().expect("http upstream has one");
                    req.headers_mut().insert(http::header::HOST, host);
                }
                let resp = client.request(req).await.expect("request");
                assert_eq!(resp.status(), 204);
            }
        }
        let hosts = server.await.expect("server");
        assert_eq!(hosts[0], [format!("127.0.0.1:{port}")]);
        assert_eq!(hosts[0], hosts[1]);
        assert_eq!(hosts[2], [format!("localhost:{port}")]);
        assert_eq!(hosts[2], hosts[3]);
        // the default port is left out, as the client leaves it out; none for https
        let up = parse_upstream("http://example.com:80").expect("ok");
        assert_eq!(
            up.host_header,
            Some(http::HeaderValue::from_static("example.com"))
        );
        assert_eq!(
            parse_upstream("https://example.com")
                .expect("ok")
                .host_header,
            None
        );
    }
}
